/**
 * The instruction trace format shared by wasmvisor's recorder (record.ts) and the QEMU log
 * converter (qemu.ts): one text line per executed instruction with the architectural state
 * after it, and event lines between instructions. See docs/trace-format.md.
 *
 *   R <eax> <ecx> <edx> <ebx> <esp> <ebp> <esi> <edi> <eip> <eflags> <cs> <ss> <ds> <es> <fs> <gs>
 *   <n> <cs>:<eip> <linear> <bytes|-> <eax> ... <edi> <eip> <eflags> <cs> <ss> <ds> <es> <fs> <gs>
 *   ! <event> ...
 *   # comment
 *
 * All numbers are hexadecimal without a prefix except <n> (decimal).
 */
import { openSync, writeSync, closeSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export const TRACE_VERSION = 1;
export const REG_NAMES = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'] as const;
/** Selector order in a trace line (not the core's ES CS SS DS FS GS order). */
export const SEG_NAMES = ['CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const;
/** Core segment index (0 ES 1 CS 2 SS 3 DS 4 FS 5 GS) of each trace selector slot. */
export const CORE_SEG_OF_SLOT = [1, 2, 3, 0, 4, 5] as const;

/** Architectural state: the eight GPRs, EIP, EFLAGS and the six selectors. */
export interface CpuState {
  regs: number[]; // EAX ECX EDX EBX ESP EBP ESI EDI
  eip: number;
  eflags: number;
  sel: number[]; // CS SS DS ES FS GS
}

export type TraceEvent =
  | { kind: 'exc'; vector: number } // an exception raised by the instruction
  | { kind: 'int'; vector: number } // a software interrupt (INT n, INT3, INTO) taken
  | { kind: 'irq'; vector: number } // an external interrupt (INTR) delivered after the instruction
  | { kind: 'io'; dir: 'in' | 'out'; port: number; size: number; value: number };

export interface TraceInsn {
  /** 0-based index of the instruction in the run (each REP iteration is one instruction). */
  n: number;
  cs: number;
  /** EIP before the instruction. */
  ip: number;
  /** CS.base + EIP before the instruction. */
  linear: number;
  /** The instruction's bytes as lower-case hex; '' if the source does not know them. */
  bytes: string;
  /** State after the instruction (for a faulting one: at the handler's first instruction). */
  after: CpuState;
  /** Events that happened while the instruction executed, in order. */
  events: TraceEvent[];
}

const h8 = (v: number) => (v >>> 0).toString(16).padStart(8, '0');
const h4 = (v: number) => (v & 0xffff).toString(16).padStart(4, '0');
const h2 = (v: number) => (v & 0xff).toString(16).padStart(2, '0');

export function formatState(s: CpuState): string {
  return `${s.regs.map(h8).join(' ')} ${h8(s.eip)} ${h8(s.eflags)} ${s.sel.map(h4).join(' ')}`;
}

export function formatEvent(e: TraceEvent): string {
  switch (e.kind) {
    case 'exc': return `! exc ${h2(e.vector)}`;
    case 'int': return `! int ${h2(e.vector)}`;
    case 'irq': return `! irq ${h2(e.vector)}`;
    case 'io': return `! ${e.dir} ${h4(e.port)} ${e.size} ${(e.value >>> 0).toString(16)}`;
  }
}

export function formatInsn(r: TraceInsn): string {
  let s = `${r.n} ${h4(r.cs)}:${h8(r.ip)} ${h8(r.linear)} ${r.bytes || '-'} ${formatState(r.after)}`;
  for (const e of r.events) s += '\n' + formatEvent(e);
  return s;
}

function parseState(f: string[], at: number, line: string): CpuState {
  if (f.length < at + 16) throw new Error(`trace: short line '${line}'`);
  const n = (i: number) => {
    const v = parseInt(f[at + i]!, 16);
    if (Number.isNaN(v)) throw new Error(`trace: bad number '${f[at + i]}' in '${line}'`);
    return v >>> 0;
  };
  return {
    regs: [n(0), n(1), n(2), n(3), n(4), n(5), n(6), n(7)],
    eip: n(8),
    eflags: n(9),
    sel: [n(10), n(11), n(12), n(13), n(14), n(15)],
  };
}

export function parseEvent(line: string): TraceEvent {
  const f = line.trim().split(/\s+/);
  const x = (s: string | undefined) => parseInt(s ?? '', 16);
  switch (f[1]) {
    case 'exc': return { kind: 'exc', vector: x(f[2]) };
    case 'int': return { kind: 'int', vector: x(f[2]) };
    case 'irq': return { kind: 'irq', vector: x(f[2]) };
    case 'in': case 'out':
      return { kind: 'io', dir: f[1], port: x(f[2]), size: parseInt(f[3] ?? '', 10), value: x(f[4]) >>> 0 };
    default: throw new Error(`trace: unknown event '${line}'`);
  }
}

/** Parses an instruction line (without its events). */
export function parseInsnLine(line: string): TraceInsn {
  const f = line.trim().split(/\s+/);
  const m = /^([0-9a-f]+):([0-9a-f]+)$/i.exec(f[1] ?? '');
  if (!m) throw new Error(`trace: bad CS:EIP in '${line}'`);
  return {
    n: parseInt(f[0]!, 10),
    cs: parseInt(m[1]!, 16),
    ip: parseInt(m[2]!, 16) >>> 0,
    linear: parseInt(f[2]!, 16) >>> 0,
    bytes: f[3] === '-' ? '' : f[3]!.toLowerCase(),
    after: parseState(f, 4, line),
    events: [],
  };
}

/** Where trace text goes. */
export interface TraceSink {
  write(text: string): void;
  close(): void;
}

/** Buffers text and writes it to a file descriptor in large chunks (synchronously: the
 * recorder is a tight loop and a stream would buffer without bound). */
export class FdSink implements TraceSink {
  private buf: string[] = [];
  private len = 0;
  constructor(private readonly fd: number, private readonly ownsFd = true) {}
  static open(path: string): FdSink {
    return new FdSink(openSync(path, 'w'));
  }
  write(text: string): void {
    this.buf.push(text);
    this.len += text.length;
    if (this.len >= 1 << 20) this.flush();
  }
  flush(): void {
    if (!this.len) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.len = 0;
  }
  close(): void {
    this.flush();
    if (this.ownsFd) closeSync(this.fd);
  }
}

/** Keeps the records in memory as well as (optionally) passing them on: tests and the
 * comparator use the array. */
export class TraceWriter {
  private headerDone = false;
  constructor(private readonly sink?: TraceSink, private readonly source = 'unknown') {}

  reset(s: CpuState): void {
    this.header();
    this.sink?.write(`R ${formatState(s)}\n`);
  }

  insn(r: TraceInsn): void {
    this.header();
    this.sink?.write(formatInsn(r) + '\n');
  }

  comment(text: string): void {
    this.header();
    this.sink?.write(`# ${text}\n`);
  }

  close(): void {
    this.sink?.close();
  }

  private header(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    this.sink?.write(`# wasmvisor-trace ${TRACE_VERSION} source=${this.source}\n`);
    this.sink?.write(`# n cs:eip linear bytes ${REG_NAMES.join(' ')} EIP EFLAGS ${SEG_NAMES.join(' ')} (state after)\n`);
  }
}

/** A parsed trace: the reset state (if the trace has an R line) and its instructions. */
export interface TraceItem {
  reset?: CpuState;
  insn?: TraceInsn;
}

/** Reads a trace file (or stream) and yields each instruction with the events that follow
 * its line attached; an R line is yielded as { reset }. */
export async function* readTrace(input: string | Readable): AsyncGenerator<TraceItem> {
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let pending: TraceInsn | undefined;
  for await (const line of rl) {
    if (line === '' || line[0] === '#') continue;
    if (line[0] === '!') {
      if (!pending) throw new Error(`trace: event before the first instruction: '${line}'`);
      pending.events.push(parseEvent(line));
      continue;
    }
    if (line[0] === 'R') {
      yield { reset: parseState(line.trim().split(/\s+/), 1, line) };
      continue;
    }
    if (pending) yield { insn: pending };
    pending = parseInsnLine(line);
  }
  if (pending) yield { insn: pending };
}

/** Reads a whole trace into memory. */
export async function loadTrace(input: string | Readable): Promise<{ reset?: CpuState; insns: TraceInsn[] }> {
  const insns: TraceInsn[] = [];
  let reset: CpuState | undefined;
  for await (const it of readTrace(input)) {
    if (it.reset) reset = it.reset;
    if (it.insn) insns.push(it.insn);
  }
  return reset ? { reset, insns } : { insns };
}

// -------------------------------------------------------------------------------------------
// Small helpers both sides use
// -------------------------------------------------------------------------------------------

export function hexBytes(b: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += h2(b[i]!);
  return s;
}

export function bytesOf(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

const PREFIX = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** The opcode after any prefixes: [byte, second byte (0F map) or -1, ModRM reg field or -1]. */
export function opcodeOf(b: Uint8Array): { op: number; op2: number; reg: number; prefixes: number[] } {
  let i = 0;
  const prefixes: number[] = [];
  while (i < b.length && PREFIX.has(b[i]!)) prefixes.push(b[i++]!);
  const op = b[i] ?? -1;
  if (op === 0x0f) {
    const op2 = b[i + 1] ?? -1;
    const modrm = b[i + 2];
    return { op, op2, reg: modrm === undefined ? -1 : (modrm >> 3) & 7, prefixes };
  }
  const modrm = b[i + 1];
  return { op, op2: -1, reg: modrm === undefined ? -1 : (modrm >> 3) & 7, prefixes };
}

/** A software-interrupt event for INT n / INT3 / INTO when control went to a handler (EIP is
 * not the fall-through address). Both sides derive it the same way: QEMU does not log
 * real-mode software interrupts. */
export function softIntEvent(bytesHex: string, ipBefore: number, after: CpuState, csBefore: number): TraceEvent | undefined {
  if (!bytesHex) return undefined;
  const b = bytesOf(bytesHex);
  const { op } = opcodeOf(b);
  let vector = -1;
  if (op === 0xcd) vector = b[b.length - 1]!;
  else if (op === 0xcc) vector = 3;
  else if (op === 0xce) vector = 4;
  if (vector < 0) return undefined;
  // the fall-through EIP: 16-bit code wraps at 64 KiB, 32-bit code does not (the trace does
  // not say which: either counts)
  const next = ipBefore + b.length;
  if ((after.eip === (next & 0xffff) || after.eip === next >>> 0) && after.sel[0] === csBefore) return undefined;
  return { kind: 'int', vector };
}

/**
 * The port access of IN/OUT with an immediate or DX port (not INS/OUTS), derived from the
 * instruction and the registers: port from the immediate or DX before, value from AL/AX/EAX
 * after an IN or before an OUT. For a side that does not see the access itself (Bochs; the
 * in-core PIC and PIT in wasmvisor). code32: the code segment's default operand size is 32.
 */
export function portIoEvent(bytesHex: string, before: CpuState, after: CpuState, code32: boolean): TraceEvent | undefined {
  if (!bytesHex) return undefined;
  const b = bytesOf(bytesHex);
  const { op, prefixes } = opcodeOf(b);
  if (!((op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef))) return undefined;
  const isIn = (op & 2) === 0;
  const size = (op & 1) === 0 ? 1 : prefixes.includes(0x66) !== code32 ? 4 : 2;
  const mask = size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  const port = op <= 0xe7 ? b[prefixes.length + 1]! : before.regs[2]! & 0xffff;
  const value = ((isIn ? after.regs[0]! : before.regs[0]!) & mask) >>> 0;
  return { kind: 'io', dir: isIn ? 'in' : 'out', port, size, value };
}

/** A handler for chunks of a child's text output that calls onLine per complete line (the
 * rest waits for the next chunk); onLine returns false to drop the remaining lines. */
export function lineReader(onLine: (line: string) => boolean): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const line = text.slice(at, nl);
      at = nl + 1;
      if (!onLine(line)) return;
    }
    rest = text.slice(at);
  };
}
