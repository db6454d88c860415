/**
 * Lockstep comparison of wasmvisor against a reference (QEMU): both traces are aligned by
 * instruction index and compared field by field; the first divergence stops the run and is
 * reported with both states, the differing fields and the instructions before it.
 * See docs/trace-format.md for what is compared and what is masked.
 */
import { readFileSync } from 'node:fs';
import {
  REG_NAMES, SEG_NAMES, bytesOf, formatEvent, opcodeOf, type CpuState, type TraceEvent, type TraceInsn,
} from '../trace/format.js';
import { WasmvisorStepper } from '../trace/record.js';
import { startQemu } from '../trace/qemu.js';
import { ARITH, flagEffect } from './flags.js';

export interface FieldDiff {
  field: string;
  wasmvisor: string;
  reference: string;
}

export interface Divergence {
  /** Index of the first instruction whose record differs. */
  n: number;
  fields: FieldDiff[];
  wasmvisor?: TraceInsn;
  reference?: TraceInsn;
  /** Flags masked as undefined when it was compared. */
  maskedFlags: number;
  /** The instructions before it (oldest first), disassembled. */
  context: string[];
  /** A human-readable report. */
  report: string;
}

export interface DiffResult {
  /** True if no divergence was found in the compared instructions. */
  ok: boolean;
  compared: number;
  /** How the comparison ended. */
  why: 'limit' | 'halted' | 'diverged' | 'timeout' | 'exit';
  divergence?: Divergence;
  /** How many records had a field masked, by reason. */
  masked: Record<string, number>;
  /** External interrupts the reference took that wasmvisor was given at the same boundary. */
  interrupts: number;
  ms: number;
  referenceVersion?: string;
  console: { wasmvisor: string; reference: string };
  /** Warnings of the reference's adapter (Bochs: selectors `sreg` corrected). */
  notes?: string[];
}

const h8 = (v: number) => (v >>> 0).toString(16).padStart(8, '0');
const h4 = (v: number) => (v & 0xffff).toString(16).padStart(4, '0');

function flagNames(f: number): string {
  const names: [number, string][] = [[0x800, 'OF'], [0x400, 'DF'], [0x200, 'IF'], [0x100, 'TF'], [0x80, 'SF'], [0x40, 'ZF'], [0x10, 'AF'], [0x4, 'PF'], [0x1, 'CF']];
  return names.filter(([b]) => f & b).map(([, n]) => n).join(' ') || '-';
}

function eventKey(e: TraceEvent): string {
  return formatEvent(e).slice(2);
}

/** Disassembles one instruction. */
export type Disassembler = (hex: string, ip: number) => string;

const capstone = new Map<number, Promise<Disassembler>>();

/** capstone-wasm (16-bit code, or 32-bit with code32), loaded on first use; falls back to the
 * raw bytes if it is missing. */
export function loadDisassembler(code32 = false): Promise<Disassembler> {
  const bits = code32 ? 32 : 16;
  let d = capstone.get(bits);
  if (d) return d;
  d = (async () => {
    try {
      const { Capstone, Const, loadCapstone } = await import('capstone-wasm');
      await loadCapstone();
      const cs = new Capstone(Const.CS_ARCH_X86, code32 ? Const.CS_MODE_32 : Const.CS_MODE_16);
      return (hex: string, ip: number) => {
        if (!hex) return '(bytes unknown)';
        try {
          const [i] = cs.disasm(bytesOf(hex), { address: ip, count: 1 });
          return i ? `${i.mnemonic} ${i.opStr}`.trim() : '(undecodable)';
        } catch {
          return '(undecodable)';
        }
      };
    } catch {
      return (hex: string) => `db ${hex}`;
    }
  })();
  capstone.set(bits, d);
  return d;
}

export interface ComparatorOptions {
  /** The code runs in a 32-bit code segment (operand sizes, stack slots, disassembly) and the
   * stack segment is flat (base 0): the Linux diff. Default: real mode (SS.base = SS << 4). */
  code32?: boolean;
  /** The instructions kept for the report (default 10). */
  contextSize?: number;
}

/**
 * The field-by-field comparator. Feed pairs in order; it keeps the masks (undefined flags,
 * implementation-specific reset values) and the recent history for the report.
 */
export class Comparator {
  /** Flags currently holding an undefined value (ARITH bits). */
  undef = 0;
  readonly masked: Record<string, number> = {};
  private readonly history: { wv: TraceInsn; ref: TraceInsn; undef: number }[] = [];
  private wvPrev: CpuState;
  private refPrev: CpuState;
  /** Stack slots (linear address) holding a FLAGS image with undefined bits (PUSHF, INT). */
  private readonly slots = new Map<number, number>();
  /** Register bits loaded from such a slot (PUSHF; POP AX): masked until both sides agree. */
  private readonly regTaint = [0, 0, 0, 0, 0, 0, 0, 0];

  readonly code32: boolean;
  readonly contextSize: number;

  constructor(readonly wvReset: CpuState, readonly refReset: CpuState, opts: ComparatorOptions = {}) {
    this.wvPrev = wvReset;
    this.refPrev = refReset;
    this.code32 = opts.code32 ?? false;
    this.contextSize = opts.contextSize ?? 10;
  }

  /** Counts a masked or aligned field under its reason. */
  noteMasked(reason: string): void {
    this.mask(reason);
  }

  private mask(reason: string): void {
    this.masked[reason] = (this.masked[reason] ?? 0) + 1;
  }

  /** Compares one aligned pair; returns the differing fields (empty if they agree). */
  compare(wv: TraceInsn, ref: TraceInsn): FieldDiff[] {
    const d: FieldDiff[] = [];
    const add = (field: string, a: string, b: string) => d.push({ field, wasmvisor: a, reference: b });
    if (wv.cs !== ref.cs || wv.ip !== ref.ip) add('CS:EIP (before)', `${h4(wv.cs)}:${h8(wv.ip)}`, `${h4(ref.cs)}:${h8(ref.ip)}`);
    if (wv.linear !== ref.linear) add('linear', h8(wv.linear), h8(ref.linear));
    if (wv.bytes && ref.bytes && wv.bytes !== ref.bytes) add('bytes', wv.bytes, ref.bytes);
    // undefined flags: the effect of this instruction on the running set
    const hex = wv.bytes || ref.bytes;
    const fx = flagEffect(hex, this.wvPrev, this.code32);
    const a = wv.after, b = ref.after;
    this.trackFlagImages(hex, this.wvPrev, a, wv.events.length > 0, fx.def);
    this.undef = (this.undef & ~fx.def) | fx.undef | this.popped;
    for (let r = 0; r < 8; r++) {
      const x = a.regs[r]!, y = b.regs[r]!;
      if (x === y) {
        this.regTaint[r] = 0;
        continue;
      }
      if (((x ^ y) & ~this.regTaint[r]!) === 0) {
        this.mask('undefined flags read back from a PUSHF image');
        continue;
      }
      // an implementation-specific reset value (EDX: the processor signature) still unchanged
      if (x === this.wvReset.regs[r] && y === this.refReset.regs[r]) {
        this.mask(`${REG_NAMES[r]} reset value`);
        continue;
      }
      add(REG_NAMES[r]!, h8(x), h8(y));
    }
    if (a.eip !== b.eip) add('EIP', h8(a.eip), h8(b.eip));
    const fm = ~(this.undef & ARITH);
    if ((a.eflags & fm) !== (b.eflags & fm)) {
      const diff = (a.eflags ^ b.eflags) & fm;
      add('EFLAGS', `${h8(a.eflags)}`, `${h8(b.eflags)} (differ: ${flagNames(diff)})`);
    } else if (a.eflags !== b.eflags) {
      this.mask(`undefined flags (${fx.undef && fx.why ? fx.why : 'left undefined earlier'})`);
    }
    for (let s = 0; s < 6; s++) if (a.sel[s] !== b.sel[s]) add(SEG_NAMES[s]!, h4(a.sel[s]!), h4(b.sel[s]!));
    const ea = wv.events.map(eventKey).join(', '), eb = ref.events.map(eventKey).join(', ');
    if (ea !== eb) add('events', ea || '(none)', eb || '(none)');
    this.history.push({ wv, ref, undef: this.undef });
    if (this.history.length > this.contextSize + 1) this.history.shift();
    this.wvPrev = a;
    this.refPrev = b;
    return d;
  }

  private popped = 0;

  /**
   * Follows FLAGS images with undefined bits through the stack (real mode: SS.base = SS << 4 and
   * 16-bit slots; code32: a flat stack and 32-bit slots): PUSHF and interrupt delivery store
   * them, POP r16/r32 loads them into a register (tainted bits), POPF and IRET load them back
   * into EFLAGS (undefined again).
   */
  private trackFlagImages(hex: string, before: CpuState, after: CpuState, events: boolean, _def: number): void {
    this.popped = 0;
    if (!hex) return;
    const b = bytesOf(hex);
    let i = 0;
    while (i < b.length && [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b[i]!)) i++;
    const op = b[i]!;
    const slot = this.code32 ? 4 : 2;
    const top = this.code32
      ? (s: CpuState, off = 0) => (s.regs[4]! + off) >>> 0
      : (s: CpuState, off = 0) => ((s.sel[1]! << 4) + ((s.regs[4]! + off) & 0xffff)) >>> 0;
    const take = (addr: number) => {
      const m = this.slots.get(addr) ?? 0;
      this.slots.delete(addr);
      return m;
    };
    if (op === 0x9c) {
      if (this.undef) this.slots.set(top(after), this.undef);
    } else if (op >= 0x58 && op <= 0x5f) {
      const m = take(top(before));
      if (m) this.regTaint[op - 0x58] = (this.regTaint[op - 0x58] ?? 0) | m;
    } else if (op === 0x9d) {
      this.popped = take(top(before)) & ARITH;
    } else if (op === 0xcf) {
      this.popped = take(top(before, 2 * slot)) & ARITH;
    }
    if (events && this.undef && after.sel[0] !== before.sel[0] || (events && this.undef && op === 0xcd)) {
      this.slots.set(top(after, 2 * slot), this.undef); // INT n / exception: FLAGS above CS and IP
    }
  }

  /** Builds the report for a divergence at the last compared pair. */
  async report(fields: FieldDiff[], dis?: Disassembler): Promise<Divergence> {
    dis ??= await loadDisassembler(this.code32);
    const last = this.history[this.history.length - 1]!;
    const ipw = (ip: number) => (this.code32 ? h8(ip) : h4(ip));
    const irq = (r: TraceInsn) => r.events.filter((e) => e.kind === 'irq').map((e) => `   (then external interrupt ${e.vector.toString(16).padStart(2, '0')})`).join('');
    const line = (r: TraceInsn) => `${String(r.n).padStart(8)}  ${h4(r.cs)}:${ipw(r.ip)}  ${(r.bytes || '?').padEnd(16)} ${dis!(r.bytes, r.ip)}${irq(r)}`;
    const context = this.history.slice(0, -1).map((h) => `  ${line(h.wv)}`);
    const st = (s: CpuState) =>
      `${REG_NAMES.map((n, i) => `${n}=${h8(s.regs[i]!)}`).join(' ')}\n      EIP=${h8(s.eip)} EFLAGS=${h8(s.eflags)} [${flagNames(s.eflags)}] ` +
      SEG_NAMES.map((n, i) => `${n}=${h4(s.sel[i]!)}`).join(' ');
    const out: string[] = [];
    out.push(`first divergence at instruction ${last.wv.n}: ${h4(last.wv.cs)}:${ipw(last.wv.ip)} ${last.wv.bytes || last.ref.bytes}  ${dis(last.wv.bytes || last.ref.bytes, last.wv.ip)}`);
    out.push('differing fields:');
    for (const f of fields) out.push(`  ${f.field.padEnd(16)} wasmvisor ${f.wasmvisor}   reference ${f.reference}`);
    if (last.undef) out.push(`  (flags masked as undefined here: ${flagNames(last.undef)})`);
    out.push('state after it:');
    out.push(`  wasmvisor ${st(last.wv.after)}`);
    out.push(`  reference ${st(last.ref.after)}`);
    if (last.wv.events.length || last.ref.events.length) {
      out.push(`  events: wasmvisor [${last.wv.events.map(eventKey).join(', ')}]  reference [${last.ref.events.map(eventKey).join(', ')}]`);
    }
    out.push(`the ${context.length} instructions before it:`);
    for (const c of context) out.push(c);
    out.push(`=>${line(last.wv)}`); // (the marker in front: a 9-digit index is not cut)
    return { n: last.wv.n, fields, wasmvisor: last.wv, reference: last.ref, maskedFlags: last.undef, context, report: out.join('\n') };
  }
}

/** Compares two recorded traces (e.g. files read with loadTrace); stops at the first divergence. */
export async function compareTraces(
  wv: { reset: CpuState; insns: Iterable<TraceInsn> },
  ref: { reset: CpuState; insns: Iterable<TraceInsn> },
): Promise<{ compared: number; divergence?: Divergence; masked: Record<string, number> }> {
  const cmp = new Comparator(wv.reset, ref.reset);
  const ia = wv.insns[Symbol.iterator](), ib = ref.insns[Symbol.iterator]();
  let compared = 0;
  for (;;) {
    const a = ia.next(), b = ib.next();
    if (a.done || b.done) {
      if (a.done !== b.done) {
        const r = (a.done ? b.value : a.value) as TraceInsn;
        const fields = [{ field: 'length', wasmvisor: a.done ? `ends after ${compared}` : `goes on (${r.n})`, reference: b.done ? `ends after ${compared}` : `goes on (${r.n})` }];
        return { compared, masked: cmp.masked, divergence: { n: compared, fields, maskedFlags: 0, context: [], report: `the traces differ in length after ${compared} instructions` } };
      }
      return { compared, masked: cmp.masked };
    }
    const fields = cmp.compare(a.value, b.value);
    compared++;
    if (fields.length) return { compared, masked: cmp.masked, divergence: await cmp.report(fields) };
  }
}

/** MSRs whose value is the platform's, not the emulation's: IA32_BIOS_SIGN_ID (8Bh), whose high
 * half is the revision of the loaded microcode update (SDM Vol. 3A 9.11.7: 0 when none is
 * loaded, as wasmvisor; QEMU's TCG reports 1). */
export const PLATFORM_MSRS: ReadonlySet<number> = new Set([0x8b]);

/**
 * Instructions whose results are a property of the platform, not of the emulation: CPUID (the
 * CPU model: vendor, signature, features, QEMU's TCG hypervisor leaves), RDTSC (the time) and
 * RDMSR of PLATFORM_MSRS (the microcode revision).
 * When wasmvisor's record differs from the reference's only in the output registers of such an
 * instruction, wasmvisor is given the reference's values (in the record and in the core), so
 * that both run on with the same view; returns the reason to count, else undefined.
 */
export function alignPlatform(wv: TraceInsn, ref: TraceInsn, setReg: (r: number, v: number) => void): string | undefined {
  const hex = wv.bytes || ref.bytes;
  if (!hex) return undefined;
  const { op, op2 } = opcodeOf(bytesOf(hex));
  const a = wv.after, b = ref.after;
  const msr = op === 0x0f && op2 === 0x32 && a.regs[1] === b.regs[1] && PLATFORM_MSRS.has(a.regs[1]!);
  if (op !== 0x0f || (op2 !== 0xa2 && op2 !== 0x31 && !msr)) return undefined;
  const outs = op2 === 0xa2 ? [0, 1, 2, 3] : [0, 2]; // CPUID: EAX ECX EDX EBX; RDTSC, RDMSR: EAX EDX
  let differs = false;
  for (let r = 0; r < 8; r++) {
    if (a.regs[r] === b.regs[r]) continue;
    if (!outs.includes(r)) return undefined;
    differs = true;
  }
  if (!differs || a.eip !== b.eip || a.eflags !== b.eflags || a.sel.some((v, i) => v !== b.sel[i])) return undefined;
  for (const r of outs) {
    if (a.regs[r] === b.regs[r]) continue;
    a.regs[r] = b.regs[r]!;
    setReg(r, b.regs[r]!);
  }
  if (msr) return `RDMSR ${a.regs[1]!.toString(16)}h (the platform's microcode revision): the reference's value given to wasmvisor`;
  return op2 === 0xa2 ? "CPUID results (the CPU model): the reference's given to wasmvisor" : "RDTSC (the time): the reference's value given to wasmvisor";
}

/**
 * Port reads whose value depends on when they happen, not on the emulation: the 8254's
 * counters and port 61h (the refresh toggle and timer 2's output), the MC146818's data port
 * (the clock, UIP, the interrupt flags of register C) and the 8259A's command ports (IRR, whose
 * bits follow each side's own timer). QEMU's devices run on the host's clock, wasmvisor's on
 * the instruction counter, so the two can never read the same values there. The RTC's data
 * port counts only for the registers that hold time (00h-0Dh: the clock, the alarms, status
 * registers A-D) and the 8259A's only for IRR and poll reads (TimedPortState follows what the
 * reference selected); CMOS RAM and the in-service register are compared.
 */
export const TIMED_PORTS: ReadonlyMap<number, string> = new Map([
  [0x40, 'the 8254 counter 0'], [0x41, 'the 8254 counter 1'], [0x42, 'the 8254 counter 2'],
  [0x61, 'port 61h (refresh toggle, timer 2 output)'], [0x71, 'the RTC/CMOS data port'],
  [0x20, 'the 8259A IRR'], [0xa0, 'the 8259A IRR'],
]);

/** What the reference's writes selected behind TIMED_PORTS: the RTC register (port 70h) and
 * the register a read of an 8259A's command port returns (OCW3: IRR, ISR, or a poll). */
export class TimedPortState {
  private cmosIndex = 0;
  private readonly isr = [false, false];
  private readonly poll = [false, false];

  /** A read of this port now returns a time-dependent value. */
  timed(port: number): boolean {
    if (!TIMED_PORTS.has(port)) return false;
    if (port === 0x71) return this.cmosIndex <= 0x0d;
    if (port === 0x20 || port === 0xa0) {
      const c = port === 0xa0 ? 1 : 0;
      return this.poll[c]! || !this.isr[c]!;
    }
    return true;
  }

  /** Follows the port accesses of one reference record. */
  observe(events: TraceEvent[]): void {
    for (const e of events) {
      if (e.kind !== 'io') continue;
      const c = e.port === 0xa0 ? 1 : 0;
      if (e.port === 0x70 && e.dir === 'out') this.cmosIndex = e.value & 0x7f;
      if (e.port !== 0x20 && e.port !== 0xa0) continue;
      if (e.dir === 'in') this.poll[c] = false;
      else if (e.value & 0x10) { this.isr[c] = false; this.poll[c] = false; } // ICW1: IRR again
      else if ((e.value & 0x18) === 0x08) { // OCW3
        if (e.value & 4) this.poll[c] = true;
        if (e.value & 2) this.isr[c] = (e.value & 1) !== 0;
      }
    }
  }
}

/**
 * When wasmvisor's record differs from the reference's in the value an IN read from one of
 * TIMED_PORTS (and the instruction and port agree), wasmvisor is given the reference's value,
 * in AL/AX/EAX (core and record) and in the event, as alignPlatform does for CPUID; returns
 * the reason to count, else undefined. INS is not aligned (the value went to memory).
 */
export function alignTimedRead(wv: TraceInsn, ref: TraceInsn, setReg: (r: number, v: number) => void, ports = new TimedPortState()): string | undefined {
  const hex = wv.bytes || ref.bytes;
  if (!hex || (wv.bytes && ref.bytes && wv.bytes !== ref.bytes)) return undefined;
  const { op } = opcodeOf(bytesOf(hex));
  if (op !== 0xe4 && op !== 0xe5 && op !== 0xec && op !== 0xed) return undefined;
  const a = wv.events.findIndex((e) => e.kind === 'io');
  const b = ref.events.findIndex((e) => e.kind === 'io');
  if (a < 0 || b < 0) return undefined;
  const x = wv.events[a]!, y = ref.events[b]!;
  if (x.kind !== 'io' || y.kind !== 'io' || x.dir !== 'in' || y.dir !== 'in' || x.port !== y.port || x.size !== y.size) return undefined;
  if (x.value === y.value) return undefined;
  const what = TIMED_PORTS.get(x.port);
  if (!what || !ports.timed(x.port)) return undefined;
  const mask = x.size === 4 ? 0xffffffff : (1 << (x.size * 8)) - 1;
  const eax = ((wv.after.regs[0]! & ~mask) | (y.value & mask)) >>> 0;
  wv.after.regs[0] = eax;
  setReg(0, eax);
  wv.events[a] = { ...x, value: y.value };
  return `IN from ${what} (timing): the reference's value given to wasmvisor`;
}

export interface DiffOptions {
  /** The reference (default QEMU). */
  ref?: 'qemu' | 'bochs';
  /** A -bios ROM: both sides start at the reset vector. */
  bios?: string;
  /** Or a kernel (bzImage, PVH ELF, Multiboot) booted directly: QEMU boots it through its
   * firmware to the kernel's entry, and wasmvisor starts there from QEMU's state and RAM. */
  kernel?: string;
  initrd?: string;
  append?: string;
  /** With a kernel: start the comparison where QEMU first reaches this linear address instead
   * of at the entry (state, RAM and the PICs are copied there). */
  startAt?: number;
  maxInsns: number;
  /** Guest RAM in bytes (default 16 MiB for a ROM, 64 MiB for a kernel; given to both). */
  memory?: number;
  timeoutMs?: number;
  /** Test hook: changes a wasmvisor record before it is compared (fault injection). */
  mutate?: (r: TraceInsn) => void;
  /** Test hook: changes wasmvisor's machine after the step that made record r (a broken
   * instruction whose effect, e.g. on memory, shows only where it is used). */
  tamper?: (m: import('../machine.js').Machine, r: TraceInsn) => void;
}

/** What the lockstep driver needs of a reference: records pushed as they come. */
export interface RefSession {
  version: string;
  done: Promise<{ why: 'limit' | 'halted' | 'exit' | 'timeout'; console: string }>;
  stop(): void;
}

/**
 * Runs the guest in wasmvisor and in the reference (QEMU, or Bochs for a ROM) in lockstep:
 * every record the reference yields is compared with the next wasmvisor step; the reference is
 * killed at the first divergence.
 */
export async function diffAgainst(opts: DiffOptions): Promise<DiffResult> {
  const t0 = performance.now();
  const ref = opts.ref ?? 'qemu';
  if (!opts.bios === !opts.kernel) throw new Error('diff: give either a -bios ROM or a -kernel');
  if (opts.kernel && ref !== 'qemu') throw new Error(`diff: -kernel is only supported against QEMU (not ${ref})`);
  let wvConsole = '';
  const sink = (b: Uint8Array) => { wvConsole += Buffer.from(b).toString('latin1'); };
  let st: WasmvisorStepper | undefined;
  let cmp: Comparator | undefined;
  let code32 = false;
  let compared = 0;
  let interrupts = 0;
  const timedPorts = new TimedPortState();
  let pendingDiv: { fields: FieldDiff[] } | undefined;
  let wvEnded = false;
  const onReset = (reset: CpuState) => { cmp = new Comparator(st!.reset, reset, { code32 }); };
  const onInsn = (r: TraceInsn): boolean => {
    if (pendingDiv || compared >= opts.maxInsns) return false;
    const wv = st!.next();
    if (!wv) {
      wvEnded = true;
      pendingDiv = { fields: [{ field: 'length', wasmvisor: `stopped (${st!.stop.why}) after ${compared}`, reference: `goes on at ${h4(r.cs)}:${h8(r.ip)}` }] };
      return false;
    }
    const setReg = (reg: number, v: number) => st!.m.core.setReg32(reg, v);
    const timed = alignTimedRead(wv, r, setReg, timedPorts);
    if (timed) cmp!.noteMasked(timed);
    timedPorts.observe(r.events);
    // an external interrupt the reference took after this instruction: wasmvisor takes it too
    const irq = r.events.find((e) => e.kind === 'irq');
    const refused = irq && st!.injectInterrupt(wv, irq.vector);
    if (irq && !refused) interrupts++;
    opts.mutate?.(wv);
    opts.tamper?.(st!.m, wv);
    const aligned = alignPlatform(wv, r, setReg);
    if (aligned) cmp!.noteMasked(aligned);
    const fields = cmp!.compare(wv, r);
    if (refused) fields.unshift({ field: 'interrupt', wasmvisor: `cannot take one here (${refused})`, reference: `took vector ${irq.vector.toString(16).padStart(2, '0')}` });
    compared++;
    if (fields.length) {
      pendingDiv = { fields };
      return false;
    }
    return true;
  };
  let session: RefSession;
  let refName: string;
  let notes: string[] | undefined;
  if (opts.kernel) {
    const memory = opts.memory ?? 64 << 20;
    const { Pc } = await import('../pc.js');
    const { applyX86State, applyPicState } = await import('../trace/machine-state.js');
    const pc = await Pc.create({
      memory,
      kernel: readFileSync(opts.kernel),
      kernelName: opts.kernel,
      ...(opts.initrd ? { initrd: readFileSync(opts.initrd) } : {}),
      ...(opts.append !== undefined ? { cmdline: opts.append } : {}),
      serial: [sink],
      log: () => {},
    });
    const q = startQemu({
      kernel: {
        path: opts.kernel,
        ...(opts.initrd ? { initrd: opts.initrd } : {}),
        ...(opts.append !== undefined ? { append: opts.append } : {}),
        entry: pc.plan!.entry,
        ...(opts.startAt !== undefined ? { startAt: opts.startAt } : {}),
        onEntry: (state, ram, pic) => {
          applyX86State(pc.machine, state, ram);
          applyPicState(pc.machine, pic);
          code32 = (state.segs[1]!.flags & 0x400000) !== 0;
          st = WasmvisorStepper.forMachine(pc.machine);
          st.externalInterruptsFromHost();
        },
      },
      maxInsns: opts.maxInsns, memory, timeoutMs: opts.timeoutMs ?? 120_000,
    }, onReset, onInsn);
    session = q;
    refName = `QEMU ${q.version}`;
  } else if (ref === 'bochs') {
    const { startBochs } = await import('../trace/bochs.js');
    st = await WasmvisorStepper.create({ bios: readFileSync(opts.bios!), memory: opts.memory ?? 16 << 20, console: sink });
    st.externalInterruptsFromHost();
    const b = startBochs({ bios: opts.bios!, maxInsns: opts.maxInsns, memory: opts.memory ?? 16 << 20, timeoutMs: opts.timeoutMs ?? 120_000 }, onReset, onInsn);
    session = b;
    refName = `Bochs ${b.version}`;
    notes = b.parser.notes;
  } else {
    st = await WasmvisorStepper.create({ bios: readFileSync(opts.bios!), memory: opts.memory ?? 16 << 20, console: sink });
    st.externalInterruptsFromHost();
    const q = startQemu({ bios: opts.bios!, maxInsns: opts.maxInsns, memory: opts.memory ?? 16 << 20, timeoutMs: opts.timeoutMs ?? 120_000 }, onReset, onInsn);
    session = q;
    refName = `QEMU ${q.version}`;
  }
  const end = await session.done;
  st?.flush();
  let why: DiffResult['why'] = end.why;
  let divergence: Divergence | undefined;
  if (pendingDiv && cmp) {
    why = 'diverged';
    divergence = wvEnded
      ? { n: compared, fields: pendingDiv.fields, maskedFlags: 0, context: [], report: `wasmvisor stopped (${st!.stop.why}${st!.stop.message ? ': ' + st!.stop.message : ''}) after ${compared} instructions; ${refName} goes on` }
      : await cmp.report(pendingDiv.fields);
  } else if (end.why === 'halted' && compared < opts.maxInsns && st) {
    // the reference halted: wasmvisor must stop here too
    const more = st.next();
    if (more) {
      why = 'diverged';
      const fields = [{ field: 'length', wasmvisor: `goes on at ${h4(more.cs)}:${h8(more.ip)}`, reference: `halted after ${compared}` }];
      divergence = { n: compared, fields, maskedFlags: 0, context: [], report: `${refName} halted after ${compared} instructions; wasmvisor goes on` };
    }
  }
  const r: DiffResult = {
    ok: !divergence, compared, why, masked: cmp?.masked ?? {}, interrupts, ms: performance.now() - t0,
    referenceVersion: refName, console: { wasmvisor: wvConsole, reference: end.console },
  };
  if (divergence) r.divergence = divergence;
  if (notes?.length) r.notes = notes;
  return r;
}

/** diffAgainst with QEMU as the reference. */
export function diffAgainstQemu(opts: DiffOptions): Promise<DiffResult> {
  return diffAgainst({ ...opts, ref: 'qemu' });
}
