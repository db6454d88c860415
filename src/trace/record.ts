/**
 * Records wasmvisor's instruction trace by single-stepping the machine: run(icount + 1) per
 * instruction, reading the state after each step. Nothing changes in the core, so tracing
 * costs nothing when it is off. See docs/trace-format.md for the alignment rules.
 */
import * as L from '../gen/layout.js';
import { Machine, type StopInfo } from '../machine.js';
import { DebugCon } from '../devices/debugcon.js';
import { ExitReason } from '../exits/reasons.js';
import { PIC_REG, picReg } from './machine-state.js';
import {
  CORE_SEG_OF_SLOT, TraceWriter, bytesOf, hexBytes, opcodeOf, portIoEvent, softIntEvent,
  type CpuState, type TraceEvent, type TraceInsn,
} from './format.js';

/** Reads one byte of guest physical memory as the CPU sees it (RAM and ROM through the core's
 * page map), 0xFF elsewhere (nothing decodes it). */
export function readPhysByte(m: Machine, addr: number): number {
  const w = m.core.physToWasm(addr >>> 0);
  return w < 0 ? 0xff : m.core.u8[w]!;
}

/** The wasm-memory address of guest physical `addr`, or -1 (unmapped / MMIO). */
export function physToWasm(m: Machine, addr: number): number {
  return m.core.physToWasm(addr >>> 0);
}

export function readState(m: Machine): CpuState {
  const c = m.core;
  return {
    regs: [0, 1, 2, 3, 4, 5, 6, 7].map((r) => c.reg32(r)),
    eip: c.eip >>> 0,
    eflags: c.eflags >>> 0,
    sel: CORE_SEG_OF_SLOT.map((s) => c.segSel(s) & 0xffff),
  };
}

/** Linear to physical for instruction fetch: identity without paging, else the core's page
 * walk without side effects (-1 if not mapped). */
export function linearToPhys(m: Machine, linear: number): number {
  if (!(m.core.get32(L.CR) & 0x80000000)) return linear >>> 0;
  const p = m.core.exports.debugTranslate(linear >>> 0);
  return p < 0n ? -1 : Number(p);
}

/** The bytes of the instruction at CS:EIP (linear address; paging is followed). */
export function fetchInsnBytes(m: Machine, linear: number): Uint8Array {
  const c = m.core;
  const is32 = (c.get32(L.SEG_ATTR + 4 * 1) & 0x400000) !== 0 ? 1 : 0; // CS.D (bit 22 of the high word)
  const buf = new Uint8Array(16);
  let len = 0;
  const phys = linearToPhys(m, linear);
  const w = phys < 0 ? -1 : physToWasm(m, phys);
  // the length decoder reads wasm memory directly; only use it where the 16 bytes are contiguous
  // (and on one page, so that paging cannot split them)
  if (w >= 0 && (linear & 0xfff) <= 0xff0 && physToWasm(m, phys + 15) === w + 15) {
    buf.set(c.u8.subarray(w, w + 16));
    len = c.exports.insnLength(w, is32);
  } else {
    for (let i = 0; i < 16; i++) {
      const p = linearToPhys(m, (linear + i) >>> 0);
      buf[i] = p < 0 ? 0xff : readPhysByte(m, p);
    }
    // across a page boundary: the length decoder reads wasm memory, so the bytes go for a moment
    // where guest RAM page 0 is kept (saved and restored; no guest code runs in between)
    const scratch = physToWasm(m, 0);
    if (scratch >= 0) {
      const saved = c.u8.slice(scratch, scratch + 16);
      c.u8.set(buf, scratch);
      len = c.exports.insnLength(scratch, is32);
      c.u8.set(saved, scratch);
    }
  }
  return buf.subarray(0, len > 0 ? len : 1);
}

export interface RecordOptions {
  bios: Uint8Array;
  memory?: number;
  maxInsns: number;
  /** Trace output (besides the returned array, unless keep is false). */
  writer?: TraceWriter;
  /** Keep the records in memory (default true). */
  keep?: boolean;
  /** Debug console bytes (port 0xE9). */
  console?: (bytes: Uint8Array) => void;
  /** Called with each record as it is made. */
  onInsn?: (r: TraceInsn) => void;
}

export interface Recording {
  reset: CpuState;
  insns: TraceInsn[];
  stop: StopInfo;
  count: number;
  ms: number;
}

/**
 * Steps a machine one instruction at a time and makes a record per step.
 *
 * Alignment: one record per step of the core's instruction counter, which counts each REP
 * iteration once (as QEMU does with one instruction per TB: every iteration is a TB
 * execution). A run() that stops with nothing retired and no event (the HLT exit reported at
 * the boundary after the HLT retired) is not an instruction: the stepper ends there.
 */
export class WasmvisorStepper {
  readonly reset: CpuState;
  n = 0;
  stop: StopInfo = { why: 'limit', instructions: 0n };
  ended = false;
  private events: TraceEvent[] = [];

  private constructor(readonly m: Machine) {
    // I/O events: wrap the bus's outermost read/write (the bus splits wide accesses recursively)
    let depth = 0;
    const bus = m.bus;
    const rd = bus.read.bind(bus);
    const wr = bus.write.bind(bus);
    bus.read = (port: number, size: number): number => {
      depth++;
      try {
        const v = rd(port, size);
        if (depth === 1) this.events.push({ kind: 'io', dir: 'in', port, size, value: v >>> 0 });
        return v;
      } finally {
        depth--;
      }
    };
    bus.write = (port: number, size: number, value: number): void => {
      depth++;
      try {
        wr(port, size, value);
        if (depth === 1) this.events.push({ kind: 'io', dir: 'out', port, size, value: value >>> 0 });
      } finally {
        depth--;
      }
    };
    // exceptions the core hands to the host (intercepted ones) become events; the default
    // action (re-inject) is kept
    m.onException = (ex) => {
      this.events.push({ kind: 'exc', vector: ex.vector });
      return 'inject';
    };
    this.reset = readState(m);
    this.prev = this.reset;
  }

  /** The state after the last step (before the next). */
  private prev: CpuState;

  private con?: DebugCon;

  /** Steps a machine that is already set up (a Pc at a kernel's entry); its state now is the
   * reset line of the trace. */
  static forMachine(m: Machine): WasmvisorStepper {
    return new WasmvisorStepper(m);
  }

  static async create(o: { bios: Uint8Array; memory?: number; console?: (bytes: Uint8Array) => void }): Promise<WasmvisorStepper> {
    const m = await Machine.create({ memory: o.memory ?? 16 << 20, bios: o.bios, log: () => {} });
    const con = new DebugCon(0xe9, o.console ?? (() => {}));
    m.attach(con);
    const st = new WasmvisorStepper(m);
    st.con = con;
    return st;
  }

  /** Flushes the debug console (it buffers up to a newline). */
  flush(): void {
    this.con?.flush();
  }

  /**
   * One core.run(1) per instruction, exits handled as Machine.run handles them. Machine.run
   * is not used: it runs on until the counter moves, so a faulting instruction (which does
   * not retire) would be merged with the first instruction of its handler, while QEMU logs
   * it as a TB of its own. Returns true if an exception was delivered with nothing retired.
   */
  private step(): boolean {
    const m = this.m;
    const c = m.core;
    const start = m.instructions;
    for (let guard = 0; guard < 1000; guard++) {
      m.serviceDevices(); // host device timers, as Machine.run does before each slice
      const reason = c.exports.run(1);
      if (reason === ExitReason.PREEMPTION_TIMER) {
        this.stop = { why: 'limit', instructions: m.instructions };
        return m.instructions === start && this.events.length === 0;
      }
      const action = m.handleExit(reason);
      if (action.stop) {
        this.ended = true;
        this.stop = { why: action.why, instructions: m.instructions };
        if (action.message !== undefined) this.stop.message = action.message;
        this.con?.flush();
        return false;
      }
      if (m.instructions !== start) {
        this.stop = { why: 'limit', instructions: m.instructions };
        return false;
      }
    }
    this.ended = true;
    this.stop = { why: 'error', message: 'no progress after 1000 exits', instructions: m.instructions };
    return false;
  }

  /** The vector of an exception delivered by the core without a host exit: #DE for
   * DIV/IDIV, else the first IVT entry (real mode) or IDT gate (protected mode) that points at
   * the new CS:EIP. */
  private guessVector(hex: string): number {
    const b = bytesOf(hex);
    const { op, reg } = opcodeOf(b);
    if ((op === 0xf6 || op === 0xf7) && reg >= 6) return 0;
    const c = this.m.core;
    const m = this.m;
    const cs = c.segSel(1) & 0xffff;
    const byte = (lin: number) => {
      const p = linearToPhys(m, lin >>> 0);
      return p < 0 ? 0 : readPhysByte(m, p);
    };
    const w16 = (lin: number) => byte(lin) | (byte(lin + 1) << 8);
    if (c.get32(L.CR) & 1) {
      const base = c.get32(L.IDTR_BASE), limit = c.get32(L.IDTR_LIMIT);
      for (let v = 0; v < 256 && v * 8 + 7 <= limit; v++) {
        const at = base + v * 8;
        const off = (w16(at) | (w16(at + 6) << 16)) >>> 0;
        if (off === c.eip >>> 0 && w16(at + 2) === cs) return v;
      }
      return 0xff;
    }
    const ip = c.eip & 0xffff;
    for (let v = 0; v < 256; v++) {
      if (w16(v * 4) === ip && w16(v * 4 + 2) === cs) return v;
    }
    return 0xff;
  }

  /**
   * Lockstep mode: external interrupts come from the reference only (injectInterrupt). The
   * in-core PICs keep their ports and registers but stop driving INTR (PIC_ENABLED = 2), so
   * wasmvisor's own timer and devices, whose timing is not QEMU's, raise IRR bits but never
   * interrupt; HLT with IF = 1 then waits for the reference's interrupt.
   */
  externalInterruptsFromHost(): void {
    const c = this.m.core;
    if (c.get32(L.PIC_ENABLED)) c.set32(L.PIC_ENABLED, 2);
    c.set32(L.INTR_LINE, 0);
  }

  /**
   * Delivers external interrupt `vector` at the boundary after record `r` (the last one made),
   * where the reference took it: VM-entry injection (ENTRY_INTR_INFO, type external) with a zero
   * budget, so nothing else runs; r's state after becomes the handler's entry and it gets the
   * `irq` event. The in-core PIC is acknowledged as the CPU's INTA cycle would (ISR bit set,
   * IRR bit cleared) when the vector is one of its inputs. Returns why wasmvisor could not take
   * an interrupt here (IF = 0, the STI/MOV SS shadow), or undefined.
   */
  injectInterrupt(r: TraceInsn, vector: number): string | undefined {
    const c = this.m.core;
    if (this.ended) return 'wasmvisor has stopped';
    if (!(c.eflags & 0x200)) return 'IF = 0';
    if (c.get32(L.SHADOW)) return 'in the interrupt shadow of STI / MOV SS / POP SS';
    if (c.get32(L.EXIT_PENDING)) return 'an exit is pending';
    this.acknowledgePic(vector);
    c.set32(L.ENTRY_INTR_INFO, (vector & 0xff) | 0x80000000); // type 0: external interrupt
    this.events = r.events;
    const reason = c.exports.run(0);
    if (reason !== ExitReason.PREEMPTION_TIMER) {
      const action = this.m.handleExit(reason); // e.g. a triple fault during delivery
      if (action.stop) {
        this.ended = true;
        this.stop = { why: action.why, instructions: this.m.instructions };
      }
    }
    r.events.push({ kind: 'irq', vector });
    r.after = readState(this.m);
    this.prev = r.after;
    return undefined;
  }

  /** The INTA cycle's effect on the in-core 8259A pair for `vector`. */
  private acknowledgePic(vector: number): void {
    const c = this.m.core;
    if (!c.get32(L.PIC_ENABLED)) return;
    const ack = (chip: number, level: number) => {
      const b = 1 << level;
      c.set32(picReg(chip, PIC_REG.IRR), c.get32(picReg(chip, PIC_REG.IRR)) & ~b);
      if (!(c.get32(picReg(chip, PIC_REG.ICW4)) & 2)) { // not auto-EOI
        c.set32(picReg(chip, PIC_REG.ISR), c.get32(picReg(chip, PIC_REG.ISR)) | b);
      }
    };
    const base0 = c.get32(picReg(0, PIC_REG.BASE)), base1 = c.get32(picReg(1, PIC_REG.BASE));
    if ((vector & 0xf8) === base0 && (vector & 7) !== 2) ack(0, vector & 7);
    else if ((vector & 0xf8) === base1) {
      ack(1, vector & 7);
      ack(0, 2);
    }
  }

  /**
   * The port access of one INS/OUTS iteration to an in-core device (no bus access to see):
   * port DX, the value read from memory at DS:(E)SI before an OUTS (segment override honoured)
   * or at ES:(E)DI after an INS. Nothing when the index did not move (REP with ECX = 0).
   */
  private stringIoEvent(hex: string, before: CpuState, after: CpuState, code32: boolean): TraceEvent | undefined {
    if (!hex) return undefined;
    const { op, prefixes } = opcodeOf(bytesOf(hex));
    if (op < 0x6c || op > 0x6f) return undefined;
    const isIn = op <= 0x6d;
    const size = (op & 1) === 0 ? 1 : prefixes.includes(0x66) !== code32 ? 4 : 2;
    const a32 = prefixes.includes(0x67) !== code32;
    const idx = isIn ? 7 : 6;
    const mask = a32 ? 0xffffffff : 0xffff;
    if (((before.regs[idx]! ^ after.regs[idx]!) & mask) === 0) return undefined;
    const overrides: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };
    let seg = isIn ? 0 : 3; // ES for INS (not overridable), DS for OUTS
    if (!isIn) for (const p of prefixes) if (overrides[p] !== undefined) seg = overrides[p]!;
    const off = ((isIn ? after.regs[idx]! : before.regs[idx]!) & mask) >>> 0;
    const step = after.eflags & 0x400 ? -size : size; // INS: the element is behind the moved DI
    const at = isIn ? (off - step) & mask : off;
    const lin = (this.m.core.segBase(seg) + at) >>> 0;
    let value = 0;
    for (let i = size - 1; i >= 0; i--) {
      const p = linearToPhys(this.m, (lin + i) >>> 0);
      value = value * 256 + (p < 0 ? 0xff : readPhysByte(this.m, p));
    }
    return { kind: 'io', dir: isIn ? 'in' : 'out', port: before.regs[2]! & 0xffff, size, value: value >>> 0 };
  }

  /** Executes one instruction; undefined once the machine has stopped. */
  next(): TraceInsn | undefined {
    if (this.ended) return undefined;
    const m = this.m;
    const c = m.core;
    const cs = c.segSel(1) & 0xffff;
    const ip = c.eip >>> 0;
    const linear = (c.segBase(1) + ip) >>> 0;
    const bytes = hexBytes(fetchInsnBytes(m, linear));
    const code32 = (c.get32(L.SEG_ATTR + 4 * 1) & 0x400000) !== 0;
    this.events = [];
    const before = m.instructions;
    const delivered = this.step();
    if (this.ended && m.instructions === before && this.events.length === 0 && !delivered) return undefined;
    if (delivered && !this.events.some((e) => e.kind === 'exc')) this.events.push({ kind: 'exc', vector: this.guessVector(bytes) });
    const after = readState(m);
    const ev = this.events;
    // the in-core PICs and PIT (ports 20h/21h, A0h/A1h, 4D0h/4D1h, 40h-43h, 61h) never reach the
    // bus: their IN/OUT are derived from the instruction and the registers
    if (!ev.length && !delivered) {
      const io = portIoEvent(bytes, this.prev, after, code32) ?? this.stringIoEvent(bytes, this.prev, after, code32);
      if (io) ev.push(io);
    }
    this.prev = after;
    const si = softIntEvent(bytes, ip, after, cs);
    if (si) ev.push(si);
    return { n: this.n++, cs, ip, linear, bytes, after, events: ev };
  }
}

/** Records a whole run (up to maxInsns instructions or until the machine stops). */
export async function recordWasmvisor(o: RecordOptions): Promise<Recording> {
  const t0 = performance.now();
  const st = await WasmvisorStepper.create(o);
  o.writer?.reset(st.reset);
  const keep = o.keep !== false;
  const insns: TraceInsn[] = [];
  while (st.n < o.maxInsns) {
    const r = st.next();
    if (!r) break;
    if (keep) insns.push(r);
    o.writer?.insn(r);
    o.onInsn?.(r);
  }
  st.flush();
  return { reset: st.reset, insns, stop: st.stop, count: st.n, ms: performance.now() - t0 };
}
