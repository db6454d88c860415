/**
 * Runs a -bios ROM under Bochs (Debian's bochs, built with its internal debugger) and turns
 * the debugger's instruction trace into trace records (format.ts). See docs/trace-format.md.
 *
 * Bochs is driven by debugger commands from a file (-rc), written at start:
 *
 *   trace on          each executed instruction: "(0).[n] [0xPHYS] CS:IP (ctx): disasm ; bytes"
 *   trace-reg on      before each instruction: the general registers, RIP and EFLAGS
 *   trace-mem on      every memory access: "[CPU0 RD]: LIN 0x.. PHY 0x.. (len=2, UC): 0x1234"
 *   show int          interrupts: "CPU 0: Interrupt 0x00 occurred", "exception (not softint)"
 *   r, sreg           the reset state
 *   s N, sreg         N instructions, then the selectors (repeated)
 *   q
 *
 * The registers printed before instruction k+1 are the state after instruction k. The trace
 * does not print the data-segment selectors: they follow from the instructions that load them
 * (MOV Sreg, POP Sreg, LDS/LES/LSS/LFS/LGS: the value is a register or the memory read the
 * trace shows), CS from the next instruction line, and the `sreg` after every N instructions
 * checks them (a mismatch is reported in `notes`). Port I/O is not in the trace either: the
 * events are derived from IN/OUT/INS/OUTS (port from the immediate or DX, value from AL/AX/EAX
 * after an IN, before an OUT, or the memory access of INS/OUTS). The debug console (port 0xE9)
 * is therefore the bytes of the OUTs to it: port_e9_hack stays off (it would mix the guest's
 * bytes into the debugger's output).
 *
 * Bochs has no display-less GUI in Debian's build: `rfb` with timeout=0 is used (it does not
 * wait for a VNC client; it listens on the first free port from 5900 while Bochs runs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  bytesOf, lineReader, opcodeOf, portIoEvent, softIntEvent, type CpuState, type TraceEvent, type TraceInsn,
} from './format.js';

export const BOCHS = 'bochs';

/** Bochs's version ("2.7"), or undefined if it is not installed. */
export function bochsVersion(bin = BOCHS): string | undefined {
  try {
    const r = spawnSync(bin, ['-q', '--help'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /Bochs x86 Emulator (\S+)/.exec(`${r.stdout}${r.stderr}`);
    return m ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** The configuration: the ROM, RAM, no display, messages to a log file, no sound. */
export function bochsrc(bios: string, memoryMiB: number, logPath: string): string {
  return [
    `megs: ${memoryMiB}`,
    `romimage: file="${bios}"`,
    'display_library: rfb, options="timeout=0"',
    `log: ${logPath}`,
    'panic: action=fatal',
    'error: action=report',
    'info: action=ignore',
    'debug: action=ignore',
    'speaker: enabled=0',
    'clock: sync=none, time0=946684800',
    'cpu: count=1, reset_on_triple_fault=0',
    '',
  ].join('\n');
}

/** Instructions per `s` command (the selectors are checked with `sreg` after each). */
export const CHUNK = 20_000;

/** The debugger commands for up to maxInsns instructions. */
export function bochsCommands(maxInsns: number, chunk = CHUNK): string {
  const out = ['trace on', 'trace-reg on', 'trace-mem on', 'show int', 'r', 'sreg'];
  for (let left = maxInsns; left > 0; left -= chunk) out.push(`s ${Math.min(chunk, left)}`, 'sreg');
  out.push('q', '');
  return out.join('\n');
}

interface MemAccess {
  kind: 'RD' | 'WR' | 'RW';
  /** linear address (-1 when the line has only the physical one) */
  lin: number;
  len: number;
  /** the value as Bochs prints it (hex, most significant first) */
  hex: string;
}

// trace-reg prints rax rbx rcx rdx rsp rbp rsi rdi: their index in the trace's order
const REG_INDEX: Record<string, number> = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7 };
// sreg's names -> trace selector slot (CS SS DS ES FS GS)
const SREG_SLOT: Record<string, number> = { cs: 0, ss: 1, ds: 2, es: 3, fs: 4, gs: 5 };
// the ModRM reg field of MOV Sreg (ES CS SS DS FS GS) -> trace slot
const SREG_OF_REG = [3, 0, 1, 2, 4, 5];

const low16 = (hex: string) => parseInt(hex.slice(-4), 16);

/** The incremental parser of Bochs's debugger output; exported for tests. */
export class BochsLogParser {
  reset?: CpuState;
  n = 0;
  halted = false;
  /** Selector mismatches between what the trace implied and `sreg` (should stay empty). */
  readonly notes: string[] = [];
  /** 32-bit code segment (CS.D), from the last sreg. */
  code32 = false;
  private regs = [0, 0, 0, 0, 0, 0, 0, 0];
  private rip = 0;
  /** the last complete register block (state before the next instruction) */
  private state: { regs: number[]; eip: number; eflags: number } | undefined;
  private sel = [0, 0, 0, 0, 0, 0];
  private sregSeen = 0;
  private vector = -1;
  /** "CPU 0: Exception" came before the next "Interrupt" line (else that one is external). */
  private excSeen = false;
  /** An external interrupt was delivered after the pending instruction: the next trace line
   * still shows the fall-through address (Bochs prints it before delivering), and the
   * "exception (not softint)" line Bochs prints for it later is not an exception. */
  private irqAfter = -1;
  private skipExcLine = false;
  private pending: {
    cs: number; ip: number; linear: number; bytes: string; before: CpuState; mem: MemAccess[]; events: TraceEvent[];
  } | undefined;

  constructor(private readonly emit: (r: TraceInsn) => void) {}

  line(s: string): void {
    const c0 = s.charCodeAt(0);
    if (c0 === 0x72 /* r */ && s[3] === ':') {
      // "rax: 00000000_00000000"
      const name = s.slice(0, 3);
      if (name === 'rip') this.rip = parseInt(s.slice(14, 22), 16) >>> 0;
      else {
        const r = REG_INDEX[name];
        if (r !== undefined) this.regs[r] = parseInt(s.slice(14, 22), 16) >>> 0;
      }
      return;
    }
    if (c0 === 0x65 /* e */ && s.startsWith('eflags 0x')) {
      this.state = { regs: [...this.regs], eip: this.rip, eflags: parseInt(s.slice(9, 17), 16) >>> 0 };
      return;
    }
    if (c0 === 0x28 /* ( */) {
      // "(0).[12] [0x0000000f004e] f000:004e (unk. ctxt): push ax ; 50" (executed next)
      // "(0) [0x0000000f0002] f000:0002 (unk. ctxt): xor ax, ax ; 31c0" (after "Next at")
      const m = /^\(\d+\)(\.\[\d+\])? \[0x([0-9a-f]+)\] ([0-9a-f]+):([0-9a-f]+) /.exec(s);
      if (!m) return;
      let cs = parseInt(m[3]!, 16);
      let ip = parseInt(m[4]!, 16) >>> 0;
      let linear = parseInt(m[2]!, 16) >>> 0;
      const semi = s.lastIndexOf('; ');
      let bytes = semi >= 0 ? s.slice(semi + 2).trim().toLowerCase() : '';
      if (this.irqAfter >= 0 && this.pending && this.state) {
        // the handler's first instruction, printed with the interrupted address: CS from the
        // IVT read of the delivery (real mode), EIP from the registers, bytes unknown
        const v = this.irqAfter;
        const ivt = this.pending.mem.find((a) => a.kind === 'RD' && a.lin === v * 4 + 2 && a.len === 2);
        if (ivt) {
          cs = low16(ivt.hex);
          ip = this.state.eip;
          linear = ((cs << 4) + ip) >>> 0;
        } else this.notes.push(`external interrupt ${v.toString(16)} after instruction ${this.n} in protected mode: the handler's first record keeps the trace line's address`);
        bytes = '';
        this.irqAfter = -1;
      }
      if (this.pending) this.finish(cs);
      if (!m[1]) return; // a preview: the same instruction is printed again when it executes
      const st = this.state;
      if (!st) throw new Error(`bochs: an instruction before any registers: '${s}'`);
      const before: CpuState = { regs: st.regs, eip: st.eip, eflags: st.eflags, sel: [...this.sel] };
      before.sel[0] = cs;
      this.sel[0] = cs;
      this.pending = {
        cs, ip, linear, bytes: /^[0-9a-f]+$/.test(bytes) ? bytes : '',
        before, mem: [], events: [],
      };
      this.vector = -1;
      // HLT with IF=0: nothing follows; finish it now, EIP past it (as QEMU's parser does)
      if (this.pending.bytes === 'f4' && !(st.eflags & 0x200)) {
        const p = this.pending;
        this.pending = undefined;
        this.emitRecord(p, { ...before, regs: [...before.regs], sel: [...before.sel], eip: (before.eip + 1) >>> 0 });
        this.halted = true;
      }
      return;
    }
    if (c0 === 0x5b /* [ */ && s.startsWith('[CPU')) {
      // "[CPU0 RD]: LIN 0x.. PHY 0x.. (len=2, UC): 0x1E91"
      if (!this.pending) return;
      const m = /^\[CPU\d+ (RD|WR|RW)\]: (?:LIN 0x([0-9a-fA-F]+) )?.*\(len=(\d+),[^)]*\): 0x([0-9A-Fa-f]+)/.exec(s);
      if (m) this.pending.mem.push({ kind: m[1] as MemAccess['kind'], lin: m[2] ? Number.parseInt(m[2].slice(-8), 16) : -1, len: Number(m[3]), hex: m[4]! });
      return;
    }
    if (c0 === 0x43 /* C */ && s.startsWith('CPU ')) {
      // "CPU 0: Exception 0x00 - (#DE) divide by zero occurred (error_code=0x0000)", then
      // "CPU 0: Interrupt 0x00 occurred (error_code=0x0000)"; an external interrupt has only the
      // second, after the instruction before it (as has INT n, INT3, INTO, INT1 of its own)
      if (/^CPU \d+: Exception/.test(s)) { this.excSeen = true; return; }
      const m = /^CPU \d+: Interrupt 0x([0-9a-f]+) occurred/.exec(s);
      if (!m) return;
      const v = parseInt(m[1]!, 16);
      if (this.excSeen || !this.pending || softIntVector(this.pending.bytes) === v) this.vector = v;
      else {
        this.pending.events.push({ kind: 'irq', vector: v });
        this.irqAfter = v;
        this.skipExcLine = true;
      }
      this.excSeen = false;
      return;
    }
    if (c0 >= 0x30 && c0 <= 0x39) {
      // "00000726360: exception (not softint) f000:1e91 (0x000f1e91)"; softint / extint / iret
      if (/^\d+: exception/.test(s) && this.skipExcLine) this.skipExcLine = false;
      else if (/^\d+: exception/.test(s) && this.pending) this.pending.events.push({ kind: 'exc', vector: this.vector & 0xff });
      else if (/^\d+: extint/.test(s)) this.notes.push(`an external interrupt (vector ${this.vector}) before instruction ${this.n + (this.pending ? 1 : 0)}: not modelled in the trace`);
      return;
    }
    // sreg: "es:0x0000, dh=0x00009300, dl=0x0000ffff, valid=7"
    const m = /^(es|cs|ss|ds|fs|gs):0x([0-9a-f]{4}), dh=0x([0-9a-f]{8})/.exec(s);
    if (m) {
      const slot = SREG_SLOT[m[1]!]!;
      const v = parseInt(m[2]!, 16);
      if (m[1] === 'cs') this.code32 = (parseInt(m[3]!, 16) & 0x400000) !== 0;
      if (this.reset) {
        // a check of what the trace implied; `sreg` comes after the preview, before the next `s`
        if (this.sel[slot] !== v) {
          this.notes.push(`${m[1]!.toUpperCase()} after instruction ${this.n - 1} is ${v.toString(16)} by sreg, ${this.sel[slot]!.toString(16)} by the trace`);
        }
      }
      this.sel[slot] = v;
      if (++this.sregSeen === 6) {
        this.sregSeen = 0;
        if (!this.reset && this.state) {
          this.reset = { regs: [...this.state.regs], eip: this.state.eip, eflags: this.state.eflags, sel: [...this.sel] };
        }
      }
    }
  }

  /** The pending instruction is complete: the last register block is the state after it. */
  private finish(nextCs: number): void {
    const p = this.pending!;
    this.pending = undefined;
    const st = this.state!;
    const after: CpuState = { regs: st.regs, eip: st.eip, eflags: st.eflags, sel: [...this.sel] };
    after.sel[0] = nextCs;
    if (!p.events.some((e) => e.kind === 'exc')) this.segmentLoads(p, after);
    this.sel = [...after.sel];
    this.emitRecord(p, after);
  }

  /** Selectors loaded by the instruction (real or protected mode, no task switch). */
  private segmentLoads(p: NonNullable<BochsLogParser['pending']>, after: CpuState): void {
    if (!p.bytes) return;
    const b = bytesOf(p.bytes);
    const { op, op2, prefixes } = opcodeOf(b);
    const reads = p.mem.filter((a) => a.kind === 'RD');
    const first = reads[0];
    const i = prefixes.length;
    if (op === 0x8e) {
      const modrm = b[i + 1]!;
      const slot = SREG_OF_REG[(modrm >> 3) & 7];
      if (slot === undefined || slot === 0) return;
      if ((modrm >> 6) === 3) after.sel[slot] = p.before.regs[modrm & 7]! & 0xffff;
      else if (first) after.sel[slot] = low16(first.hex);
      return;
    }
    const pop: Record<number, number> = { 0x07: 3, 0x17: 1, 0x1f: 2 };
    if (pop[op] !== undefined && first) { after.sel[pop[op]!] = low16(first.hex); return; }
    if (op === 0x0f && (op2 === 0xa1 || op2 === 0xa9) && first) { after.sel[op2 === 0xa1 ? 4 : 5] = low16(first.hex); return; }
    let slot = -1;
    if (op === 0xc4) slot = 3;
    else if (op === 0xc5) slot = 2;
    else if (op === 0x0f && op2 === 0xb2) slot = 1;
    else if (op === 0x0f && op2 === 0xb4) slot = 4;
    else if (op === 0x0f && op2 === 0xb5) slot = 5;
    if (slot < 0 || !first) return;
    const offBytes = prefixes.includes(0x66) !== this.code32 ? 4 : 2;
    // one read of offset and selector together, or two reads (Bochs reads the selector, at the
    // higher address, first): the selector is the read at the highest address
    if (first.len === offBytes + 2) after.sel[slot] = parseInt(first.hex.padStart((offBytes + 2) * 2, '0').slice(0, 4), 16);
    else if (reads.length >= 2) {
      const two = reads.slice(0, 2);
      const sel = two[0]!.lin >= 0 && two[1]!.lin >= 0 && two[1]!.lin > two[0]!.lin ? two[1]! : two[0]!;
      after.sel[slot] = low16(sel.hex);
    }
  }

  /** Port I/O of IN/OUT/INS/OUTS, derived from the instruction (Bochs does not trace it). */
  private ioEvents(p: NonNullable<BochsLogParser['pending']>, after: CpuState): TraceEvent[] {
    if (!p.bytes) return [];
    const io = portIoEvent(p.bytes, p.before, after, this.code32);
    if (io) return [io];
    const b = bytesOf(p.bytes);
    const { op, prefixes } = opcodeOf(b);
    if (op < 0x6c || op > 0x6f) return [];
    // INS writes what it read to memory; OUTS reads what it writes; REP with ECX = 0: nothing
    const isIn = op <= 0x6d;
    const size = (op & 1) === 0 ? 1 : prefixes.includes(0x66) !== this.code32 ? 4 : 2;
    const acc = p.mem.find((a) => a.kind === (isIn ? 'WR' : 'RD'));
    if (!acc) return [];
    const value = parseInt(acc.hex.slice(-2 * size), 16) >>> 0;
    return [{ kind: 'io', dir: isIn ? 'in' : 'out', port: p.before.regs[2]! & 0xffff, size, value }];
  }

  private emitRecord(p: NonNullable<BochsLogParser['pending']>, after: CpuState): void {
    const events = p.events.some((e) => e.kind === 'exc') ? [...p.events] : [...this.ioEvents(p, after), ...p.events];
    const si = softIntEvent(p.bytes, p.ip, after, p.cs);
    if (si) events.splice(events.findIndex((e) => e.kind === 'irq') >>> 0, 0, si);
    this.emit({ n: this.n++, cs: p.cs, ip: p.ip, linear: p.linear, bytes: p.bytes, after, events });
  }
}

/** The vector of INT n / INT3 / INTO / INT1 (ICEBP), or -1. */
function softIntVector(hex: string): number {
  if (!hex) return -1;
  const b = bytesOf(hex);
  const { op, prefixes } = opcodeOf(b);
  if (op === 0xcd) return b[prefixes.length + 1] ?? -1;
  return op === 0xcc ? 3 : op === 0xce ? 4 : op === 0xf1 ? 1 : -1;
}

export interface BochsRunOptions {
  bios: string;
  maxInsns: number;
  memory?: number; // bytes (default 16 MiB)
  timeoutMs?: number;
  bin?: string;
}

export interface BochsSession {
  version: string;
  done: Promise<{ why: 'limit' | 'halted' | 'exit' | 'timeout'; console: string }>;
  stop(): void;
  parser: BochsLogParser;
}

/**
 * Starts Bochs on the ROM; every record goes to onInsn as the output streams in; onInsn
 * returns false to stop. Bochs is killed at maxInsns, at HLT with IF=0, when onInsn says so,
 * or at the timeout; the console is the bytes written to port 0xE9.
 */
export function startBochs(o: BochsRunOptions, onReset: (s: CpuState) => void, onInsn: (r: TraceInsn) => boolean): BochsSession {
  const bin = o.bin ?? BOCHS;
  const version = bochsVersion(bin);
  if (!version) throw new Error(`${bin} is not installed (apt-get install bochs bochsbios)`);
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-bochs-'));
  const rc = join(dir, 'bochsrc');
  const mib = Math.max(1, Math.round((o.memory ?? 16 << 20) / (1 << 20)));
  writeFileSync(rc, bochsrc(resolve(o.bios), mib, join(dir, 'bochs.log')));
  // the commands come from a file (-rc), not stdin: the rfb GUI writes its framebuffer updates
  // to descriptor 0 when no VNC client is connected (a pipe there fills up and Bochs blocks, or
  // dies of SIGPIPE once it is closed); stdin is /dev/null. One chunk more than asked, so that
  // the limit is always reached: Bochs is killed there (at the end of the file it would idle).
  const cmds = join(dir, 'commands');
  writeFileSync(cmds, bochsCommands(o.maxInsns + CHUNK));
  const child = spawn(bin, ['-q', '-f', rc, '-rc', cmds], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let stderr = '';
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  let why = 'exit' as 'limit' | 'halted' | 'exit' | 'timeout';
  let stopped = false;
  let consoleText = '';
  const stop = (w: typeof why) => {
    if (stopped) return;
    stopped = true;
    why = w;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let resetSent = false;
  const parser = new BochsLogParser((r) => {
    if (stopped) return;
    if (!resetSent) {
      resetSent = true;
      onReset(parser.reset!);
    }
    for (const e of r.events) if (e.kind === 'io' && e.dir === 'out' && e.port === 0xe9) consoleText += String.fromCharCode(e.value & 0xff);
    if (!onInsn(r)) stop('limit');
  });
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs ?? 120_000);
  const read = lineReader((line) => {
    parser.line(line);
    if (parser.n >= o.maxInsns) stop('limit');
    else if (parser.halted) stop('halted');
    return !stopped;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!stopped) read(chunk);
  });
  const done = new Promise<{ why: typeof why; console: string }>((resolveDone, reject) => {
    child.on('close', () => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (!parser.reset) reject(new Error(`Bochs produced no trace (${bin} -q -f bochsrc): ${stderr.replace(/ALSA lib[^\n]*\n?/g, '').trim()}`));
      else resolveDone({ why, console: consoleText });
    });
  });
  return { version, done, stop: () => stop('limit'), parser };
}

/** Runs Bochs on the ROM and collects its trace. */
export async function recordBochs(o: BochsRunOptions): Promise<{ reset: CpuState; insns: TraceInsn[]; why: string; console: string; notes: string[] }> {
  const insns: TraceInsn[] = [];
  let reset: CpuState | undefined;
  const s = startBochs(o, (r) => { reset = r; }, (r) => { insns.push(r); return true; });
  const { why, console } = await s.done;
  return { reset: reset!, insns, why, console, notes: s.parser.notes };
}
