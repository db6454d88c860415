/**
 * The Intel 8042 keyboard controller of the PC AT / PS/2 (IBM PC AT Technical Reference,
 * "Keyboard Controller"; the PS/2 extensions for the auxiliary port), with a PS/2 MF2 keyboard
 * and a minimal PS/2 mouse behind it. Ports 0x60 (data) and 0x64 (status / command).
 *
 * Controller: the status register (OBF, IBF always 0 as commands complete at once, system flag,
 * A2 = last write was a command, keyboard not locked, AUX OBF), the command byte (bit 0 IRQ 1,
 * bit 1 IRQ 12, bit 2 system flag, bit 4 keyboard disable, bit 5 aux disable, bit 6 translation)
 * and the 32-byte internal RAM behind commands 0x20-0x3F / 0x60-0x7F, and commands A4 A7 A8 A9
 * AA AB AD AE C0 D0 D1 D2 D3 D4 DD DF F0-FF. Output port bit 0 is the CPU reset line (onReset)
 * and bit 1 the A20 gate (onA20). The single-byte output buffer is filled from, in order, the
 * controller's own replies, the keyboard (while not disabled; set 2 bytes are translated to set 1
 * when command byte bit 6 is set, as the 8042 does) and the mouse (while not disabled); reading
 * port 0x60 empties it and loads the next byte at once. IRQ 1 / IRQ 12 follow "output buffer
 * full with a keyboard / aux byte and its command-byte enable set"; the PIC sees the edge.
 *
 * Keyboard (IBM MF2, replies as QEMU's ps2.c): FF reset -> FA AA, F2 identify -> FA AB 83 (AB 41
 * once translated), F4/F5/F6, ED LEDs, EE echo, F0 get/set scancode set (sets 1 and 2; set 3 is
 * logged and produces set 2 codes), F3 typematic, FE resend, anything else -> FE. As in QEMU,
 * command replies go ahead of queued scancodes and a new command drops unread replies.
 * Mouse: a PS/2 mouse that never moves unless the host calls mouseMove(): FF -> FA AA 00,
 * F2 -> FA 00, E9 status, EB poll, stream/remote/wrap modes, sample rate and resolution.
 *
 * Deviations: no timing (replies are ready at once); the power-on command byte is the one a PC
 * BIOS leaves (0x45: IRQ 1, system flag, translation; aux enabled, IRQ 12 off) unless the
 * commandByte option says otherwise. Writing a byte for the keyboard (port 0x60) or the mouse
 * (D4) clears that interface's disable bit, as QEMU does for the keyboard. The input port (C0)
 * reads 0x80 (keyboard not inhibited) as in QEMU. reset() does not call onA20: after a reset the
 * output port's A20 bit is set again (read `a20`) and the machine decides the gate.
 */
import { OnceLog, StateReader, type Device, type IrqLine, type Logger } from './device.js';

export interface I8042Options {
  /** Output port bit 0 pulsed or written low (commands D1, F0-FF). */
  onReset?: () => void;
  /** Output port bit 1 changed (commands D1, DD, DF). */
  onA20?: (enabled: boolean) => void;
  log?: Logger;
  /** The command byte after reset (default 0x45). */
  commandByte?: number;
}

/** The 8042's translation of scancode set 2 to set 1 (bytes 0x80-0xFF map to themselves except
 * 0x83 (F7) and 0x84 (SysRq)). A set-2 byte after an F0 prefix is translated with bit 7 set. */
export const SET2_TO_SET1: Uint8Array = (() => {
  const t = Uint8Array.from([
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
  ]);
  const full = new Uint8Array(256);
  full.set(t);
  for (let i = 0x80; i < 0x100; i++) full[i] = i;
  full[0x83] = 0x41;
  full[0x84] = 0x54;
  return full;
})();

/** Scancode set 2 make codes by KeyboardEvent.code (0xE0xx: an E0-prefixed code). */
export const SET2_MAKE: Readonly<Record<string, number>> = {
  Escape: 0x76, F1: 0x05, F2: 0x06, F3: 0x04, F4: 0x0c, F5: 0x03, F6: 0x0b, F7: 0x83, F8: 0x0a,
  F9: 0x01, F10: 0x09, F11: 0x78, F12: 0x07, ScrollLock: 0x7e,
  Backquote: 0x0e, Digit1: 0x16, Digit2: 0x1e, Digit3: 0x26, Digit4: 0x25, Digit5: 0x2e, Digit6: 0x36,
  Digit7: 0x3d, Digit8: 0x3e, Digit9: 0x46, Digit0: 0x45, Minus: 0x4e, Equal: 0x55, Backspace: 0x66,
  Tab: 0x0d, KeyQ: 0x15, KeyW: 0x1d, KeyE: 0x24, KeyR: 0x2d, KeyT: 0x2c, KeyY: 0x35, KeyU: 0x3c,
  KeyI: 0x43, KeyO: 0x44, KeyP: 0x4d, BracketLeft: 0x54, BracketRight: 0x5b, Backslash: 0x5d,
  CapsLock: 0x58, KeyA: 0x1c, KeyS: 0x1b, KeyD: 0x23, KeyF: 0x2b, KeyG: 0x34, KeyH: 0x33, KeyJ: 0x3b,
  KeyK: 0x42, KeyL: 0x4b, Semicolon: 0x4c, Quote: 0x52, Enter: 0x5a,
  ShiftLeft: 0x12, IntlBackslash: 0x61, KeyZ: 0x1a, KeyX: 0x22, KeyC: 0x21, KeyV: 0x2a, KeyB: 0x32,
  KeyN: 0x31, KeyM: 0x3a, Comma: 0x41, Period: 0x49, Slash: 0x4a, ShiftRight: 0x59,
  ControlLeft: 0x14, MetaLeft: 0xe01f, AltLeft: 0x11, Space: 0x29, AltRight: 0xe011, MetaRight: 0xe027,
  ContextMenu: 0xe02f, ControlRight: 0xe014,
  Insert: 0xe070, Home: 0xe06c, PageUp: 0xe07d, Delete: 0xe071, End: 0xe069, PageDown: 0xe07a,
  ArrowUp: 0xe075, ArrowLeft: 0xe06b, ArrowDown: 0xe072, ArrowRight: 0xe074,
  NumLock: 0x77, NumpadDivide: 0xe04a, NumpadMultiply: 0x7c, NumpadSubtract: 0x7b, NumpadAdd: 0x79,
  NumpadEnter: 0xe05a, NumpadDecimal: 0x71, Numpad0: 0x70, Numpad1: 0x69, Numpad2: 0x72, Numpad3: 0x7a,
  Numpad4: 0x6b, Numpad5: 0x73, Numpad6: 0x74, Numpad7: 0x6c, Numpad8: 0x75, Numpad9: 0x7d,
  IntlRo: 0x51, IntlYen: 0x6a, KanaMode: 0x13, Convert: 0x64, NonConvert: 0x67,
};

const PRINT_SCREEN_MAKE2 = [0xe0, 0x12, 0xe0, 0x7c];
const PRINT_SCREEN_BREAK2 = [0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12];
const PAUSE_MAKE2 = [0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77];

/** Translates a set-2 byte sequence to set 1 the way the 8042 does. */
export function translateSet2(bytes: readonly number[]): number[] {
  const out: number[] = [];
  let brk = false;
  for (const b of bytes) {
    if (b === 0xf0) {
      brk = true;
      continue;
    }
    out.push(SET2_TO_SET1[b]! | (brk ? 0x80 : 0));
    brk = false;
  }
  return out;
}

/** Set 2 bytes for a key press (make) or release (break); undefined for an unknown code. */
export function set2Sequence(code: string, down: boolean): number[] | undefined {
  if (code === 'PrintScreen') return down ? [...PRINT_SCREEN_MAKE2] : [...PRINT_SCREEN_BREAK2];
  if (code === 'Pause') return down ? [...PAUSE_MAKE2] : [];
  const k = SET2_MAKE[code];
  if (k === undefined) return undefined;
  const pre = k > 0xff ? [0xe0] : [];
  return down ? [...pre, k & 0xff] : [...pre, 0xf0, k & 0xff];
}

/** Set 1 bytes for a key press (make) or release (break = make | 0x80, same prefixes). */
export function set1Sequence(code: string, down: boolean): number[] | undefined {
  const s2 = set2Sequence(code, down);
  return s2 && translateSet2(s2);
}

/** Set 1 make codes by KeyboardEvent.code, as byte sequences (E0 prefixes included). */
export const SET1_MAKE: Readonly<Record<string, readonly number[]>> = Object.fromEntries(
  [...Object.keys(SET2_MAKE), 'PrintScreen', 'Pause'].map((c) => [c, set1Sequence(c, true)!]),
);

// status register
const ST_OBF = 0x01;
const ST_SYS = 0x04;
const ST_A2 = 0x08;
const ST_UNLOCKED = 0x10;
const ST_AUXOBF = 0x20;
// command byte
const CB_KBDINT = 0x01;
const CB_AUXINT = 0x02;
const CB_SYS = 0x04;
const CB_KBDDIS = 0x10;
const CB_AUXDIS = 0x20;
const CB_XLATE = 0x40;
// queue entry flags
const F_AUX = 0x100;
const F_RAW = 0x200; // keyboard byte already in set 1: no translation

const ACK = 0xfa;
const RESEND = 0xfe;
const KBD_QUEUE_MAX = 64;
const OUTPORT_DEFAULT = 0xcf; // reset line high, A20 on, the unused lines high (QEMU)

export class I8042 implements Device {
  readonly name = 'i8042';
  readonly ports = [
    { start: 0x60, count: 1 },
    { start: 0x64, count: 1 },
  ];
  private readonly log: Logger;
  private readonly once: OnceLog;
  private readonly onReset?: () => void;
  private readonly onA20?: (enabled: boolean) => void;
  private readonly defaultCommandByte: number;

  // controller
  private ram = new Uint8Array(32); // ram[0] is the command byte
  private sysFlag = false;
  private a2 = true;
  private outport = OUTPORT_DEFAULT;
  /** A controller command waiting for its data byte on port 0x60. */
  private pendingCmd = 0;
  private obf = false;
  private outData = 0;
  private outAux = false;
  private ctrlQueue: number[] = [];
  /** The 8042 saw an F0 from the keyboard while translating: the next byte gets bit 7. */
  private xlatBreak = false;
  private irq1Level = false;
  private irq12Level = false;

  // keyboard
  private kbdReplies: number[] = [];
  private kbdScan: number[] = [];
  private kbdScanning = true;
  private kbdSet = 2;
  private kbdLeds = 0;
  private kbdExpect = 0; // a command waiting for its argument (ED, F0, F3)
  private kbdLast = 0;

  // mouse
  private mouseQueue: number[] = [];
  private mouseExpect = 0; // E8 or F3
  private mouseStatus = 0; // bit 6 remote, 5 enabled, 4 scaling 2:1
  private mouseResolution = 2;
  private mouseRate = 100;
  private mouseWrap = false;
  private mouseLast = 0;

  constructor(private readonly irq1: IrqLine, private readonly irq12: IrqLine, opts: I8042Options = {}) {
    this.log = opts.log ?? (() => {});
    this.once = new OnceLog(this.log);
    if (opts.onReset) this.onReset = opts.onReset;
    if (opts.onA20) this.onA20 = opts.onA20;
    this.defaultCommandByte = (opts.commandByte ?? 0x45) & 0xff;
    this.reset();
  }

  /** Output port bit 1: the A20 gate as this controller drives it. */
  get a20(): boolean {
    return (this.outport & 0x02) !== 0;
  }

  get commandByte(): number {
    return this.ram[0]!;
  }

  /** Keyboard LEDs as last set by the guest (bit 0 Scroll, 1 Num, 2 Caps Lock). */
  get leds(): number {
    return this.kbdLeds;
  }

  reset(): void {
    this.ram.fill(0);
    this.ram[0] = this.defaultCommandByte;
    this.sysFlag = (this.defaultCommandByte & CB_SYS) !== 0;
    this.a2 = true;
    this.outport = OUTPORT_DEFAULT;
    this.pendingCmd = 0;
    this.obf = false;
    this.outData = 0;
    this.outAux = false;
    this.ctrlQueue = [];
    this.xlatBreak = false;
    this.kbdReset();
    this.kbdReplies = [];
    this.kbdExpect = 0;
    this.kbdLast = 0;
    this.mouseReset();
    this.mouseQueue = [];
    this.mouseLast = 0;
    this.update();
  }

  // ---- host input ----

  /** A key press, by KeyboardEvent.code; the keyboard sends it in its current scancode set. */
  keyDown(code: string): void {
    this.key(code, true);
  }

  keyUp(code: string): void {
    this.key(code, false);
  }

  /** Set 1 scancode bytes straight to the guest (as a translating 8042 would deliver them),
   * untranslated whatever the command byte says. Like keyDown, ignored while the keyboard has
   * scanning disabled (F5). */
  sendScancodes(bytes: readonly number[]): void {
    this.kbdQueue(bytes.map((b) => (b & 0xff) | F_RAW));
  }

  /** Raw bytes from the keyboard in its current set (set 2 normally; translated if enabled). */
  sendKeyboardBytes(bytes: readonly number[]): void {
    this.kbdQueue(bytes.map((b) => b & 0xff));
  }

  /** Mouse movement (dy > 0 is up, PS/2 convention) and buttons (bit 0 left, 1 right, 2 middle).
   * Reported only in stream mode with reporting enabled (F4). */
  mouseMove(dx: number, dy: number, buttons = 0): void {
    if (!(this.mouseStatus & 0x20) || this.mouseStatus & 0x40) return;
    this.mouseQueue.push(...this.mousePacket(dx, dy, buttons));
    this.update();
  }

  private key(code: string, down: boolean): void {
    let bytes: number[] | undefined;
    if (this.kbdSet === 1) bytes = set1Sequence(code, down);
    else {
      if (this.kbdSet === 3) this.warnOnce('set3', 'i8042: scancode set 3 is not implemented; the keyboard sends set 2');
      bytes = set2Sequence(code, down);
    }
    if (bytes === undefined) {
      this.warnOnce(`key:${code}`, `i8042: no scancode for key ${code}`);
      return;
    }
    this.kbdQueue(bytes);
  }

  private kbdQueue(entries: number[]): void {
    if (!this.kbdScanning || entries.length === 0) return;
    if (this.kbdScan.length + entries.length > KBD_QUEUE_MAX) {
      this.warnOnce('overflow', 'i8042: keyboard buffer full; keystrokes dropped');
      return;
    }
    this.kbdScan.push(...entries);
    this.update();
  }

  // ---- ports ----

  ioRead(port: number): number {
    if (port === 0x64) return this.status();
    const v = this.outData; // an empty buffer reads the last byte again (QEMU; EMM386 wants it)
    if (this.obf) {
      this.obf = false;
      this.updateIrq(); // the line drops, then rises again if another byte is waiting
      this.update();
    }
    return v;
  }

  ioWrite(port: number, _size: number, value: number): void {
    value &= 0xff;
    if (port === 0x64) {
      this.a2 = true;
      this.command(value);
    } else {
      this.a2 = false;
      this.data(value);
    }
    this.update();
  }

  private status(): number {
    let s = ST_UNLOCKED;
    if (this.obf) s |= ST_OBF;
    if (this.obf && this.outAux) s |= ST_AUXOBF;
    if (this.sysFlag) s |= ST_SYS;
    if (this.a2) s |= ST_A2;
    return s;
  }

  private reply(b: number, aux = false): void {
    this.ctrlQueue.push((b & 0xff) | (aux ? F_AUX : 0));
  }

  private command(cmd: number): void {
    this.pendingCmd = 0;
    if (cmd >= 0x20 && cmd <= 0x3f) {
      this.reply(this.ram[cmd & 0x1f]!);
      return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.pendingCmd = cmd;
      return;
    }
    if (cmd >= 0xf0) {
      // pulse output port bits 3:0 that are 0 in the command; bit 0 is the CPU reset line
      if (!(cmd & 1)) this.onReset?.();
      return;
    }
    switch (cmd) {
      case 0xa4: // password installed?
        this.reply(0xf1);
        break;
      case 0xa7:
        this.ram[0]! |= CB_AUXDIS;
        break;
      case 0xa8:
        this.ram[0]! &= ~CB_AUXDIS;
        break;
      case 0xa9: // aux interface test: no error
        this.reply(0x00);
        break;
      case 0xaa: // self test passed
        this.sysFlag = true;
        this.ram[0]! |= CB_SYS;
        this.reply(0x55);
        break;
      case 0xab: // keyboard interface test: no error
        this.reply(0x00);
        break;
      case 0xad:
        this.ram[0]! |= CB_KBDDIS;
        break;
      case 0xae:
        this.ram[0]! &= ~CB_KBDDIS;
        break;
      case 0xc0: // input port: keyboard not inhibited
        this.reply(0x80);
        break;
      case 0xd0: {
        const obfBits = this.obf ? (this.outAux ? 0x20 : 0x10) : 0;
        this.reply((this.outport & ~0x30) | obfBits);
        break;
      }
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCmd = cmd;
        break;
      case 0xdd:
        this.writeOutport(this.outport & ~0x02);
        break;
      case 0xdf:
        this.writeOutport(this.outport | 0x02);
        break;
      default:
        this.warnOnce(`cmd:${cmd}`, `i8042: controller command 0x${cmd.toString(16)} not implemented`);
    }
  }

  private data(v: number): void {
    const cmd = this.pendingCmd;
    this.pendingCmd = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.ram[cmd & 0x1f] = v;
      if (cmd === 0x60) this.sysFlag = (v & CB_SYS) !== 0;
      return;
    }
    switch (cmd) {
      case 0xd1:
        this.writeOutport(v);
        return;
      case 0xd2:
        this.reply(v);
        return;
      case 0xd3:
        this.reply(v, true);
        return;
      case 0xd4:
        this.ram[0]! &= ~CB_AUXDIS;
        this.mouseWrite(v);
        return;
      default:
        // to the keyboard; sending re-enables the keyboard interface
        this.ram[0]! &= ~CB_KBDDIS;
        this.kbdWrite(v);
    }
  }

  private writeOutport(v: number): void {
    const old = this.outport;
    this.outport = v & 0xff;
    if ((old ^ v) & 0x02) this.onA20?.((v & 0x02) !== 0);
    if (!(v & 0x01)) this.onReset?.();
  }

  /** Loads the output buffer if empty, then drives the IRQ lines. */
  private update(): void {
    while (!this.obf) {
      const c = this.ctrlQueue.shift();
      if (c !== undefined) {
        this.fill(c & 0xff, (c & F_AUX) !== 0);
        break;
      }
      if (!(this.ram[0]! & CB_KBDDIS) && (this.kbdReplies.length || this.kbdScan.length)) {
        const e = this.kbdReplies.length ? this.kbdReplies.shift()! : this.kbdScan.shift()!;
        const b = e & 0xff;
        if (this.ram[0]! & CB_XLATE && !(e & F_RAW)) {
          if (b === 0xf0) {
            this.xlatBreak = true;
            continue;
          }
          this.fill(SET2_TO_SET1[b]! | (this.xlatBreak ? 0x80 : 0), false);
          this.xlatBreak = false;
        } else {
          this.fill(b, false);
        }
        break;
      }
      if (!(this.ram[0]! & CB_AUXDIS) && this.mouseQueue.length) {
        this.fill(this.mouseQueue.shift()!, true);
        break;
      }
      break;
    }
    this.updateIrq();
  }

  private fill(b: number, aux: boolean): void {
    this.obf = true;
    this.outData = b;
    this.outAux = aux;
  }

  private updateIrq(): void {
    const cb = this.ram[0]!;
    const l1 = this.obf && !this.outAux && (cb & CB_KBDINT) !== 0;
    const l12 = this.obf && this.outAux && (cb & CB_AUXINT) !== 0;
    if (l1 !== this.irq1Level) {
      this.irq1Level = l1;
      this.irq1.set(l1);
    }
    if (l12 !== this.irq12Level) {
      this.irq12Level = l12;
      this.irq12.set(l12);
    }
  }

  // ---- keyboard ----

  private kbdReset(): void {
    this.kbdScanning = true;
    this.kbdSet = 2;
    this.kbdLeds = 0;
    this.kbdScan = [];
    this.xlatBreak = false;
  }

  private kbdReply(...bytes: number[]): void {
    this.kbdReplies.push(...bytes);
    this.kbdLast = bytes[bytes.length - 1]!;
  }

  private kbdWrite(v: number): void {
    this.kbdReplies = []; // unread replies to an earlier command are dropped (QEMU)
    const expect = this.kbdExpect;
    this.kbdExpect = 0;
    switch (expect) {
      case 0xed:
        this.kbdLeds = v & 7;
        this.kbdReply(ACK);
        return;
      case 0xf3:
        this.kbdReply(ACK);
        return;
      case 0xf0:
        if (v === 0) this.kbdReply(ACK, this.kbdSet);
        else if (v <= 3) {
          this.kbdSet = v;
          this.kbdReply(ACK);
        } else this.kbdReply(RESEND);
        return;
    }
    switch (v) {
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.kbdExpect = v;
        this.kbdReply(ACK);
        break;
      case 0xee:
        this.kbdReply(0xee);
        break;
      case 0xf2: // MF2 keyboard
        this.kbdReply(ACK, 0xab, 0x83);
        break;
      case 0xf4:
        this.kbdScanning = true;
        this.kbdReply(ACK);
        break;
      case 0xf5:
        this.kbdReset();
        this.kbdScanning = false;
        this.kbdReply(ACK);
        break;
      case 0xf6:
        this.kbdReset();
        this.kbdReply(ACK);
        break;
      case 0xfe:
        this.kbdReply(this.kbdLast);
        break;
      case 0xff:
        this.kbdReset();
        this.kbdReply(ACK, 0xaa);
        break;
      default:
        this.warnOnce(`kbd:${v}`, `i8042: keyboard command 0x${v.toString(16)} not implemented (RESEND)`);
        this.kbdReply(RESEND);
    }
  }

  // ---- mouse ----

  private mouseReset(): void {
    this.mouseExpect = 0;
    this.mouseStatus = 0;
    this.mouseResolution = 2;
    this.mouseRate = 100;
    this.mouseWrap = false;
  }

  private mouseReply(...bytes: number[]): void {
    this.mouseQueue.push(...bytes);
    this.mouseLast = bytes[bytes.length - 1]!;
  }

  private mousePacket(dx: number, dy: number, buttons: number): number[] {
    const clamp = (v: number) => Math.max(-256, Math.min(255, Math.trunc(v)));
    const x = clamp(dx);
    const y = clamp(dy);
    const b0 = 0x08 | (buttons & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0);
    return [b0, x & 0xff, y & 0xff];
  }

  private mouseWrite(v: number): void {
    const expect = this.mouseExpect;
    this.mouseExpect = 0;
    if (expect === 0xe8) {
      this.mouseResolution = v & 3;
      this.mouseReply(ACK);
      return;
    }
    if (expect === 0xf3) {
      this.mouseRate = v;
      this.mouseReply(ACK);
      return;
    }
    if (this.mouseWrap && v !== 0xec && v !== 0xff) {
      this.mouseReply(v); // wrap mode echoes
      return;
    }
    switch (v) {
      case 0xe6:
        this.mouseStatus &= ~0x10;
        this.mouseReply(ACK);
        break;
      case 0xe7:
        this.mouseStatus |= 0x10;
        this.mouseReply(ACK);
        break;
      case 0xe8:
      case 0xf3:
        this.mouseExpect = v;
        this.mouseReply(ACK);
        break;
      case 0xe9:
        this.mouseReply(ACK, this.mouseStatus, this.mouseResolution, this.mouseRate);
        break;
      case 0xea:
        this.mouseStatus &= ~0x40;
        this.mouseReply(ACK);
        break;
      case 0xeb:
        this.mouseReply(ACK, ...this.mousePacket(0, 0, 0));
        break;
      case 0xec:
        this.mouseWrap = false;
        this.mouseReply(ACK);
        break;
      case 0xee:
        this.mouseWrap = true;
        this.mouseReply(ACK);
        break;
      case 0xf0:
        this.mouseStatus |= 0x40;
        this.mouseReply(ACK);
        break;
      case 0xf2: // a plain PS/2 mouse
        this.mouseReply(ACK, 0x00);
        break;
      case 0xf4:
        this.mouseStatus |= 0x20;
        this.mouseReply(ACK);
        break;
      case 0xf5:
        this.mouseStatus &= ~0x20;
        this.mouseReply(ACK);
        break;
      case 0xf6:
        this.mouseReset();
        this.mouseReply(ACK);
        break;
      case 0xfe:
        this.mouseReply(this.mouseLast);
        break;
      case 0xff:
        this.mouseReset();
        this.mouseQueue = [];
        this.mouseReply(ACK, 0xaa, 0x00);
        break;
      default:
        this.warnOnce(`aux:${v}`, `i8042: mouse command 0x${v.toString(16)} not implemented (RESEND)`);
        this.mouseReply(RESEND);
    }
  }

  private warnOnce(key: string, msg: string): void {
    this.once.warn(key, msg);
  }

  save(): Record<string, unknown> {
    return {
      ram: Array.from(this.ram),
      sysFlag: this.sysFlag,
      a2: this.a2,
      outport: this.outport,
      pendingCmd: this.pendingCmd,
      obf: this.obf,
      outData: this.outData,
      outAux: this.outAux,
      ctrlQueue: [...this.ctrlQueue],
      xlatBreak: this.xlatBreak,
      irq1Level: this.irq1Level,
      irq12Level: this.irq12Level,
      kbdReplies: [...this.kbdReplies],
      kbdScan: [...this.kbdScan],
      kbdScanning: this.kbdScanning,
      kbdSet: this.kbdSet,
      kbdLeds: this.kbdLeds,
      kbdExpect: this.kbdExpect,
      kbdLast: this.kbdLast,
      mouseQueue: [...this.mouseQueue],
      mouseExpect: this.mouseExpect,
      mouseStatus: this.mouseStatus,
      mouseResolution: this.mouseResolution,
      mouseRate: this.mouseRate,
      mouseWrap: this.mouseWrap,
      mouseLast: this.mouseLast,
    };
  }

  load(s: Record<string, unknown>): void {
    const r = new StateReader('i8042', s);
    const num = (k: string) => r.num(k);
    const arr = (k: string) => r.arr(k);
    const ram = arr('ram');
    if (ram.length !== 32) throw new Error('i8042: save state field ram malformed');
    this.ram = Uint8Array.from(ram);
    this.sysFlag = Boolean(s.sysFlag);
    this.a2 = Boolean(s.a2);
    this.outport = num('outport');
    this.pendingCmd = num('pendingCmd');
    this.obf = Boolean(s.obf);
    this.outData = num('outData');
    this.outAux = Boolean(s.outAux);
    this.ctrlQueue = arr('ctrlQueue');
    this.xlatBreak = Boolean(s.xlatBreak);
    this.kbdReplies = arr('kbdReplies');
    this.kbdScan = arr('kbdScan');
    this.kbdScanning = Boolean(s.kbdScanning);
    this.kbdSet = num('kbdSet');
    this.kbdLeds = num('kbdLeds');
    this.kbdExpect = num('kbdExpect');
    this.kbdLast = num('kbdLast');
    this.mouseQueue = arr('mouseQueue');
    this.mouseExpect = num('mouseExpect');
    this.mouseStatus = num('mouseStatus');
    this.mouseResolution = num('mouseResolution');
    this.mouseRate = num('mouseRate');
    this.mouseWrap = Boolean(s.mouseWrap);
    this.mouseLast = num('mouseLast');
    // drive the lines at the saved levels (the restored PIC saw these last)
    this.irq1Level = Boolean(s.irq1Level);
    this.irq12Level = Boolean(s.irq12Level);
    this.irq1.set(this.irq1Level);
    this.irq12.set(this.irq12Level);
  }
}
