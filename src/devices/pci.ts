/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) at 0xCF8-0xCFF,
 * the i440FX host bridge (Intel 82441FX PMC datasheet) at 00:00.0 and the PIIX3 PCI-to-ISA
 * bridge (Intel 82371SB datasheet) at 00:01.0, as in QEMU's "pc" machine.
 *
 * CONFIG_ADDRESS (0xCF8) is decoded only for dword accesses at 0xCF8 (bit 31 enable, bus,
 * device, function, register; bits 30:24 and 1:0 read 0). Other accesses to 0xCF8-0xCFB go to
 * the ISA bus: the byte at 0xCF9 is the PIIX3 Reset Control register (bit 2: reset, with bit 1
 * choosing a hard reset -> onReset(hard); bit 1 is kept, as in QEMU), the rest read 0xFF.
 * CONFIG_DATA (0xCFC-0xCFF) reads and writes bytes, words or dwords of the selected function's
 * configuration space at offset register + (port & 3); with the enable bit clear, or for a
 * function that is not there (any bus but 0: there are no PCI-to-PCI bridges), reads return all
 * ones and writes vanish.
 *
 * Functions implement PciFunction; PciFunctionBase gives them a 256-byte space with a write mask
 * and a write-1-to-clear mask per byte, 32-bit memory and I/O BARs with sizing (writing all ones
 * reads back the size mask), and hooks when the command register or a BAR's decoded address
 * changes. Following QEMU, device-specific registers 0x40-0xFF are writable unless a function
 * narrows them, and a BAR is "not mapped" when its decoder is off in the command register, its
 * address is 0, or its last byte is at 0xFFFFFFFF (memory: the sizing pattern) or past 64 KiB (I/O).
 * 64-bit BARs and expansion ROM BARs are not implemented (the ROM BAR reads 0: no ROM).
 *
 * i440FX: PAM0-PAM6 (0x59-0x5F) and SMRAM (0x72) are stored with their write masks (SMRAM's
 * D_LCK locks D_OPEN and itself until reset); their memory effects (shadow RAM, SMRAM) are not
 * modelled: the onPamChange/onSmramChange hooks report writes, or they are logged once.
 * PIIX3: PIRQ route registers 0x60-0x63 (default 0x80: disabled), TOM (0x69) and the other
 * registers with QEMU's reset values; pirqRoute() decodes the routing for the machine.
 */
import type { MmioRegion } from './mmio.js';
import { OnceLog, type Device, type Logger } from './device.js';

/** One PCI function's configuration space, as the host bridge sees it. */
export interface PciFunction {
  readonly bus: number;
  readonly dev: number;
  readonly fn: number;
  readonly name: string;
  configRead(offset: number, size: number): number;
  configWrite(offset: number, size: number, value: number): void;
  reset(): void;
  save(): Record<string, unknown>;
  load(state: Record<string, unknown>): void;
}

export interface PciBar {
  type: 'mem' | 'io';
  /** A power of two: at least 16 (memory) or 4 (I/O). */
  size: number;
  prefetchable?: boolean;
}

export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;

export function pciAddress(bus: number, dev: number, fn: number): string {
  const h = (v: number, n: number) => v.toString(16).padStart(n, '0');
  return `${h(bus, 2)}:${h(dev, 2)}.${fn}`;
}

export abstract class PciFunctionBase implements PciFunction {
  readonly config = new Uint8Array(256);
  readonly wmask = new Uint8Array(256);
  readonly w1cmask = new Uint8Array(256);
  protected readonly bars: (PciBar | undefined)[] = [];
  private mapped: (number | undefined)[] = [];
  protected readonly log: Logger;
  private readonly once: OnceLog;
  /** A BAR's decoded address changed (undefined: no longer decoded). Remap it. */
  onBarChange?: (bar: number, base: number | undefined) => void;
  /** The command register changed. */
  onCommandChange?: (command: number) => void;

  constructor(readonly name: string, readonly bus: number, readonly dev: number, readonly fn: number, log?: Logger) {
    if (bus < 0 || bus > 255 || dev < 0 || dev > 31 || fn < 0 || fn > 7) throw new Error(`bad PCI address ${bus}:${dev}.${fn}`);
    this.log = log ?? (() => {});
    this.once = new OnceLog(this.log);
  }

  /** Sets identity, reset values and masks; called by reset() on a zeroed space. */
  protected abstract setup(): void;

  /** Called after a guest write to the bytes offset..offset+size-1 (hooks for subclasses). */
  protected afterWrite(_offset: number, _size: number): void {}

  reset(): void {
    this.config.fill(0);
    this.wmask.fill(0);
    this.w1cmask.fill(0);
    this.bars.length = 0;
    // the generic header: command (I/O, memory, master, parity, SERR, INTx disable), cache line
    // size, latency timer, interrupt line; status error bits are write-1-to-clear
    this.wmask[0x04] = 0x47;
    this.wmask[0x05] = 0x05;
    this.wmask[0x0c] = 0xff;
    this.wmask[0x0d] = 0xff;
    this.wmask[0x3c] = 0xff;
    this.w1cmask[0x07] = 0xf9;
    this.wmask.fill(0xff, 0x40, 0x100);
    this.setup();
    this.syncMappings();
  }

  // ---- helpers for setup() ----

  protected set8(off: number, v: number): void {
    this.config[off] = v & 0xff;
  }

  protected set16(off: number, v: number): void {
    this.config[off] = v & 0xff;
    this.config[off + 1] = (v >> 8) & 0xff;
  }

  protected set32(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.config[off + i] = (v >>> (8 * i)) & 0xff;
  }

  protected get32(off: number): number {
    return (this.config[off]! | (this.config[off + 1]! << 8) | (this.config[off + 2]! << 16) | (this.config[off + 3]! << 24)) >>> 0;
  }

  protected ids(vendor: number, device: number, revision: number, classCode: number, headerType = 0): void {
    this.set16(0x00, vendor);
    this.set16(0x02, device);
    this.set8(0x08, revision);
    this.set8(0x09, classCode & 0xff); // programming interface
    this.set16(0x0a, classCode >> 8); // subclass, base class
    this.set8(0x0e, headerType);
  }

  protected defineBar(i: number, bar: PciBar): void {
    const min = bar.type === 'mem' ? 16 : 4;
    if (i < 0 || i > 5 || bar.size < min || (bar.size & (bar.size - 1)) !== 0) {
      throw new Error(`${this.name}: bad BAR${i} size ${bar.size}`);
    }
    this.bars[i] = bar;
    const low = bar.type === 'io' ? 0x1 : bar.prefetchable ? 0x8 : 0x0;
    const mask = (~(bar.size - 1) & (bar.type === 'io' ? 0xfffffffc : 0xfffffff0)) >>> 0;
    this.set32(0x10 + 4 * i, low);
    for (let b = 0; b < 4; b++) this.wmask[0x10 + 4 * i + b] = (mask >>> (8 * b)) & 0xff;
  }

  // ---- configuration space access ----

  configRead(offset: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.config[(offset + i) & 0xff]! << (8 * i);
    return v >>> 0;
  }

  configWrite(offset: number, size: number, value: number): void {
    const cmdBefore = this.command;
    for (let i = 0; i < size; i++) {
      const off = (offset + i) & 0xff;
      const b = (value >>> (8 * i)) & 0xff;
      const wm = this.wmask[off]!;
      let nv = (this.config[off]! & ~wm) | (b & wm);
      nv &= ~(b & this.w1cmask[off]!);
      this.config[off] = nv;
    }
    this.afterWrite(offset, size);
    const cmd = this.command;
    if (cmd !== cmdBefore) this.onCommandChange?.(cmd);
    if (cmd !== cmdBefore || (offset < 0x28 && offset + size > 0x10)) this.syncMappings();
  }

  get command(): number {
    return this.config[0x04]! | (this.config[0x05]! << 8);
  }

  /** The address programmed in a BAR (type bits masked off). */
  barAddress(i: number): number {
    const bar = this.bars[i];
    if (!bar) return 0;
    return (this.get32(0x10 + 4 * i) & (bar.type === 'io' ? 0xfffffffc : 0xfffffff0)) >>> 0;
  }

  /** The address a BAR decodes at, or undefined when it does not decode. */
  barMapping(i: number): number | undefined {
    const bar = this.bars[i];
    if (!bar) return undefined;
    const enabled = this.command & (bar.type === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
    const a = this.barAddress(i);
    // as QEMU's pci_bar_address: a 32-bit BAR whose last byte would be 0xFFFFFFFF (the sizing
    // pattern) does not decode; I/O BARs must end below 64 KiB
    const last = a + bar.size - 1;
    if (!enabled || a === 0 || (bar.type === 'io' ? last > 0xffff : last >= 0xffffffff)) return undefined;
    return a;
  }

  // ---- the expansion ROM (PCI Local Bus Specification 3.0, 6.2.5.2: offset 30h) ----
  private rom?: { image: Uint8Array; size: number };

  /** Gives the function an expansion ROM: a 2 KiB-aligned power-of-two window at offset 30h
   * (bit 0 enables its decoder), read-only, as firmware finds option ROMs. Call from setup(). */
  protected defineRom(image: Uint8Array): void {
    let size = 2048;
    while (size < image.length) size *= 2;
    this.rom = { image, size };
    const mask = ((~(size - 1) & 0xfffff800) | 1) >>> 0;
    for (let b = 0; b < 4; b++) this.wmask[0x30 + b] = (mask >>> (8 * b)) & 0xff;
  }

  /** The address the expansion ROM decodes at (enable bit and memory decode on), or undefined. */
  romMapping(): number | undefined {
    if (!this.rom) return undefined;
    const v = this.get32(0x30);
    const a = (v & 0xfffff800) >>> 0;
    if (!(v & 1) || !(this.command & PCI_COMMAND_MEMORY) || a === 0) return undefined;
    return a;
  }

  /** The expansion ROM as an MMIO region for the machine's bus (undefined: the function has none). */
  romRegion(): MmioRegion | undefined {
    const rom = this.rom;
    if (!rom) return undefined;
    const self = this;
    return {
      name: `${this.name} ROM`,
      get base() { return self.romMapping(); },
      size: rom.size,
      read: (offset, size) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= (rom.image[offset + i] ?? 0xff) << (8 * i);
        return v >>> 0;
      },
      write: () => {},
    };
  }

  /** Firmware-style assignment: programs the BAR and turns on its decoder. */
  assignBar(i: number, address: number): void {
    const bar = this.bars[i];
    if (!bar) throw new Error(`${this.name}: no BAR${i}`);
    if (address % bar.size !== 0) throw new Error(`${this.name}: BAR${i} address 0x${address.toString(16)} is not aligned to its size`);
    const low = this.get32(0x10 + 4 * i) & (bar.type === 'io' ? 0x3 : 0xf);
    this.set32(0x10 + 4 * i, (address | low) >>> 0);
    const cmdBefore = this.command;
    this.config[0x04]! |= bar.type === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    if (this.command !== cmdBefore) this.onCommandChange?.(this.command);
    this.syncMappings();
  }

  /** Tells onBarChange about every BAR whose decoded address differs from the last report. */
  protected syncMappings(): void {
    for (let i = 0; i < 6; i++) {
      const m = this.barMapping(i);
      if (m !== this.mapped[i]) {
        this.mapped[i] = m;
        this.onBarChange?.(i, m);
      }
    }
  }

  protected warnOnce(key: string, msg: string): void {
    this.once.warn(key, msg);
  }

  save(): Record<string, unknown> {
    return { config: Array.from(this.config), wmask: Array.from(this.wmask) };
  }

  load(s: Record<string, unknown>): void {
    const c = s.config;
    const w = s.wmask;
    if (!Array.isArray(c) || c.length !== 256 || !Array.isArray(w) || w.length !== 256) {
      throw new Error(`${this.name}: save state config/wmask missing or malformed`);
    }
    this.config.set(c as number[]);
    this.wmask.set(w as number[]);
    this.syncMappings();
  }
}

// ---- the chipset ----

const I440FX_PAM = 0x59;
const I440FX_SMRAM = 0x72;
const SMRAM_D_OPEN = 0x40;
const SMRAM_D_LCK = 0x10;

/** Intel 82441FX (i440FX) host bridge, 8086:1237 rev 02, class 0600. */
export class I440fx extends PciFunctionBase {
  /** A PAM register changed (index 0-6, value); shadow RAM is up to the machine. */
  onPamChange?: (index: number, value: number) => void;
  /** The SMRAM register changed. */
  onSmramChange?: (value: number) => void;

  constructor(opts: { log?: Logger } = {}) {
    super('i440fx', 0, 0, 0, opts.log);
    this.reset();
  }

  protected setup(): void {
    this.ids(0x8086, 0x1237, 0x02, 0x060000);
    this.set16(0x04, 0x0006); // PCICMD: memory, bus master
    this.set16(0x06, 0x0280); // PCISTS: fast back-to-back, medium DEVSEL
    // PAM: bits 5:4 and 1:0 of each register (PAM0's low nibble is reserved)
    this.wmask[I440FX_PAM] = 0x30;
    for (let i = 1; i < 7; i++) this.wmask[I440FX_PAM + i] = 0x33;
    this.set8(I440FX_SMRAM, 0x02); // C_BASE_SEG = 010 (A0000h)
    this.wmask[I440FX_SMRAM] = 0x78;
  }

  /** PAM register i (0-6). */
  pam(i: number): number {
    return this.config[I440FX_PAM + i]!;
  }

  get smram(): number {
    return this.config[I440FX_SMRAM]!;
  }

  protected afterWrite(offset: number, size: number): void {
    const touches = (reg: number) => offset <= reg && reg < offset + size;
    for (let i = 0; i < 7; i++) {
      if (!touches(I440FX_PAM + i)) continue;
      if (this.onPamChange) this.onPamChange(i, this.pam(i));
      else this.warnOnce('pam', 'i440fx: PAM (shadow RAM) writes are stored; their memory effects are not modelled');
    }
    if (touches(I440FX_SMRAM)) {
      if (this.config[I440FX_SMRAM]! & SMRAM_D_LCK) {
        // D_LCK: D_OPEN is forced closed and both bits are read-only until reset
        this.config[I440FX_SMRAM]! &= ~SMRAM_D_OPEN;
        this.wmask[I440FX_SMRAM]! &= ~(SMRAM_D_OPEN | SMRAM_D_LCK);
      }
      if (this.onSmramChange) this.onSmramChange(this.smram);
      else this.warnOnce('smram', 'i440fx: SMRAM writes are stored; SMRAM is not modelled');
    }
  }
}

/** Legal PIIX3 PIRQ routing targets. */
const PIRQ_IRQS = new Set([3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15]);

/** Intel 82371SB (PIIX3) PCI-to-ISA bridge, function 0: 8086:7000, class 0601, multifunction. */
export class Piix3 extends PciFunctionBase {
  /** A PIRQ route register changed: PIRQ n (0-3 = A-D) now goes to `irq` (undefined: off). */
  onPirqChange?: (pirq: number, irq: number | undefined) => void;

  constructor(opts: { dev?: number; log?: Logger } = {}) {
    super('piix3', 0, opts.dev ?? 1, 0, opts.log);
    this.reset();
  }

  protected setup(): void {
    this.ids(0x8086, 0x7000, 0x00, 0x060100, 0x80);
    this.set16(0x04, 0x0007); // I/O, memory, bus master
    this.set16(0x06, 0x0200); // medium DEVSEL
    const c: [number, number][] = [
      [0x4c, 0x4d], [0x4e, 0x03], [0x4f, 0x00], [0x60, 0x80], [0x61, 0x80], [0x62, 0x80], [0x63, 0x80],
      [0x69, 0x02], [0x70, 0x80], [0x76, 0x0c], [0x77, 0x0c], [0x78, 0x02], [0x79, 0x00], [0x80, 0x00],
      [0x82, 0x00], [0xa0, 0x08], [0xa8, 0x0f],
    ];
    for (const [off, v] of c) this.set8(off, v);
    for (let i = 0; i < 4; i++) this.wmask[0x60 + i] = 0x8f;
  }

  /** The ISA IRQ PIRQ n (0-3 = PIRQA-D) is routed to, or undefined when disabled. */
  pirqRoute(n: number): number | undefined {
    const v = this.config[0x60 + n]!;
    if (v & 0x80) return undefined;
    const irq = v & 0x0f;
    return PIRQ_IRQS.has(irq) ? irq : undefined;
  }

  /** TOM: top of memory register (0x69). */
  get tom(): number {
    return this.config[0x69]!;
  }

  protected afterWrite(offset: number, size: number): void {
    for (let n = 0; n < 4; n++) {
      if (offset <= 0x60 + n && 0x60 + n < offset + size) this.onPirqChange?.(n, this.pirqRoute(n));
    }
  }
}

// ---- the host bridge's I/O ports ----

export interface PciHostOptions {
  /** The PIIX3 Reset Control register (0xCF9) asked for a reset; hard when bit 1 was set. */
  onReset?: (hard: boolean) => void;
  log?: Logger;
}

export class PciHost implements Device {
  readonly name = 'pci';
  readonly ports = [{ start: 0xcf8, count: 8 }];
  readonly widths = [1, 2, 4];
  private readonly functions = new Map<number, PciFunction>();
  private address = 0;
  private rcr = 0;

  constructor(private readonly opts: PciHostOptions = {}) {}

  add(f: PciFunction): void {
    const key = (f.bus << 8) | (f.dev << 3) | f.fn;
    const other = this.functions.get(key);
    if (other) throw new Error(`PCI ${pciAddress(f.bus, f.dev, f.fn)} claimed by both ${other.name} and ${f.name}`);
    this.functions.set(key, f);
  }

  get(bus: number, dev: number, fn: number): PciFunction | undefined {
    return this.functions.get((bus << 8) | (dev << 3) | fn);
  }

  /** All functions, in bus/device/function order. */
  list(): PciFunction[] {
    return [...this.functions.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  reset(): void {
    this.address = 0;
    this.rcr = 0;
    for (const f of this.functions.values()) f.reset();
  }

  ioRead(port: number, size: number): number {
    if (port === 0xcf8 && size === 4) return this.address;
    if (port >= 0xcfc && (port & 3) + size <= 4) return this.dataRead(port & 3, size);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(port + i) << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (port === 0xcf8 && size === 4) {
      this.address = (value & 0x80fffffc) >>> 0;
      return;
    }
    if (port >= 0xcfc && (port & 3) + size <= 4) {
      this.dataWrite(port & 3, size, value);
      return;
    }
    for (let i = 0; i < size; i++) this.writeByte(port + i, (value >>> (8 * i)) & 0xff);
  }

  private readByte(port: number): number {
    if (port >= 0xcfc && port <= 0xcff) return this.dataRead(port & 3, 1);
    if (port === 0xcf9) return this.rcr;
    return 0xff; // the ISA bus: nothing there
  }

  private writeByte(port: number, v: number): void {
    if (port >= 0xcfc && port <= 0xcff) this.dataWrite(port & 3, 1, v);
    else if (port === 0xcf9) {
      if (v & 0x04) {
        this.opts.onReset?.((v & 0x02) !== 0);
        return;
      }
      this.rcr = v & 0x02;
    }
  }

  /** The function CONFIG_ADDRESS selects, and the register offset. */
  private target(): [PciFunction, number] | undefined {
    const a = this.address;
    if (!(a & 0x80000000)) return undefined;
    const f = this.functions.get((a >>> 8) & 0xffff);
    return f ? [f, a & 0xfc] : undefined;
  }

  private dataRead(off: number, size: number): number {
    const t = this.target();
    if (!t) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return t[0].configRead(t[1] + off, size);
  }

  private dataWrite(off: number, size: number, value: number): void {
    const t = this.target();
    if (t) t[0].configWrite(t[1] + off, size, value);
  }

  save(): Record<string, unknown> {
    const functions: Record<string, unknown> = {};
    for (const f of this.list()) functions[pciAddress(f.bus, f.dev, f.fn)] = f.save();
    return { address: this.address, rcr: this.rcr, functions };
  }

  load(s: Record<string, unknown>): void {
    if (typeof s.address !== 'number' || typeof s.rcr !== 'number') throw new Error('pci: save state fields address/rcr missing');
    this.address = s.address;
    this.rcr = s.rcr;
    const fs = (s.functions ?? {}) as Record<string, Record<string, unknown>>;
    for (const f of this.list()) {
      const st = fs[pciAddress(f.bus, f.dev, f.fn)];
      if (!st) throw new Error(`pci: save state has no function ${pciAddress(f.bus, f.dev, f.fn)} (${f.name})`);
      f.load(st);
    }
  }
}
