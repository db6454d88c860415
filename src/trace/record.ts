/**
 * Records wasmvisor's instruction trace by single-stepping the machine: run(icount + 1) per
 * instruction, reading the state after each step. Nothing changes in the core, so tracing
 * costs nothing when it is off. See docs/trace-format.md for the alignment rules.
 */
import * as L from '../gen/layout.js';
import { Machine, type StopInfo } from '../machine.js';
import { DebugCon } from '../devices/debugcon.js';
import {
  CORE_SEG_OF_SLOT, TraceWriter, hexBytes, softIntEvent,
  type CpuState, type TraceEvent, type TraceInsn,
} from './format.js';

/** Reads one byte of guest physical memory as the CPU sees it: RAM, the ROM windows (below
 * 1 MiB and below 4 GiB, see Machine.loadRom), 0xFF elsewhere (nothing decodes it). */
export function readPhysByte(m: Machine, addr: number): number {
  const c = m.core;
  addr = addr >>> 0;
  const w = physToWasm(m, addr);
  return w < 0 ? 0xff : c.u8[w]!;
}

/** The wasm-memory address of guest physical `addr`, or -1 (unmapped / MMIO). */
export function physToWasm(m: Machine, addr: number): number {
  const c = m.core;
  const romBytes = c.get32(L.GUEST_ROM_BYTES);
  if (romBytes) {
    const size = Math.ceil(romBytes / 4096) * 4096;
    const low = Math.min(size, 0x20000);
    if (addr >= 0x100000 - low && addr < 0x100000) return L.ROM_BASE + size - low + (addr - (0x100000 - low));
    if (addr >= 0x100000000 - size) return L.ROM_BASE + (addr - (0x100000000 - size));
  }
  if (addr < m.ramBytes && (addr < 0xa0000 || addr >= 0x100000)) return L.RAM_BASE + addr;
  return -1;
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

/** The bytes of the instruction at CS:EIP (real mode / no paging: linear = physical). */
export function fetchInsnBytes(m: Machine, linear: number): Uint8Array {
  const c = m.core;
  const is32 = (c.get32(L.SEG_ATTR + 4 * 1) & 0x4000) !== 0 ? 1 : 0;
  const buf = new Uint8Array(16);
  for (let i = 0; i < 16; i++) buf[i] = readPhysByte(m, (linear + i) >>> 0);
  let len = 0;
  const w = physToWasm(m, linear);
  // the length decoder reads wasm memory directly; only use it where the 16 bytes are contiguous
  if (w >= 0 && physToWasm(m, linear + 15) === w + 15) len = c.exports.insnLength(w, is32);
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
 * Steps a fresh machine through `maxInsns` instructions (or until it stops).
 *
 * Alignment: one record per step of the core's instruction counter, which counts each REP
 * iteration once (as QEMU does with one instruction per TB: every iteration is a TB
 * execution). A step that retires nothing (an exception delivered without retiring the
 * faulting instruction) is detected by the counter and merged with the handler state.
 */
export async function recordWasmvisor(o: RecordOptions): Promise<Recording> {
  const t0 = performance.now();
  const m = await Machine.create({ memory: o.memory ?? 16 << 20, bios: o.bios, log: () => {} });
  m.attach(new DebugCon(0xe9, o.console ?? (() => {})));
  const c = m.core;

  // I/O events: wrap the bus's outermost read/write (the bus splits wide accesses recursively)
  let events: TraceEvent[] = [];
  let depth = 0;
  const bus = m.bus;
  const rd = bus.read.bind(bus);
  const wr = bus.write.bind(bus);
  bus.read = (port: number, size: number): number => {
    depth++;
    try {
      const v = rd(port, size);
      if (depth === 1) events.push({ kind: 'io', dir: 'in', port, size, value: v >>> 0 });
      return v;
    } finally {
      depth--;
    }
  };
  bus.write = (port: number, size: number, value: number): void => {
    depth++;
    try {
      wr(port, size, value);
      if (depth === 1) events.push({ kind: 'io', dir: 'out', port, size, value: value >>> 0 });
    } finally {
      depth--;
    }
  };
  // exceptions the core hands to the host (intercepted ones) become events; the default
  // action (re-inject) is kept
  m.onException = (ex) => {
    events.push({ kind: 'exc', vector: ex.vector });
    return 'inject';
  };

  const reset = readState(m);
  o.writer?.reset(reset);
  const keep = o.keep !== false;
  const insns: TraceInsn[] = [];
  let stop: StopInfo = { why: 'limit', instructions: 0n };
  let n = 0;
  for (; n < o.maxInsns; n++) {
    const cs = c.segSel(1) & 0xffff;
    const ip = c.eip >>> 0;
    const linear = (c.segBase(1) + ip) >>> 0;
    const bytes = hexBytes(fetchInsnBytes(m, linear));
    events = [];
    stop = m.run(m.instructions + 1n);
    const after = readState(m);
    const ev = events;
    const si = softIntEvent(bytes, ip, after, cs);
    if (si) ev.push(si);
    const r: TraceInsn = { n, cs, ip, linear, bytes, after, events: ev };
    if (keep) insns.push(r);
    o.writer?.insn(r);
    o.onInsn?.(r);
    if (stop.why !== 'limit') {
      n++;
      break;
    }
  }
  return { reset, insns, stop, count: n, ms: performance.now() - t0 };
}
