/**
 * MMX, SSE and SSE2 against hardware: test/fixtures/native-simd.json.gz holds the SIMD forms of
 * the opcode tables run natively on a real CPU (made by test/fixtures/gen-simd.mjs from the table
 * rows; see test/fixtures/README.md). Each case runs here in the core in flat 32-bit protected
 * mode with CR0.NE = 1 and CR4.OSFXSR | OSXMMEXCPT (as under Linux), the state written directly,
 * and must end with the same XMM0-7, x87 registers (significand, sign and exponent), FCW, FSW
 * (TOP included), abridged tag word, MXCSR, GPRs, arithmetic flags, scratch memory and exception
 * vector. RCPPS/RCPSS/RSQRTPS/RSQRTSS results are approximations whose exact bits belong to the
 * microarchitecture: they must lie within the SDM's bound (relative error at most 1.5 * 2^-12)
 * and everything else, MXCSR included, must be identical; the bit-identical share is printed.
 * The fixture records the table rows it was made from: a table row without cases fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Machine } from '../src/machine.js';
import * as L from '../src/gen/layout.js';
import { SIMD } from '../src/gen/simd.js';
import { loadDisassembler, type Disassembler } from '../src/diff/compare.js';

type Pairs<T> = [number, T][];
interface SimdCase {
  f: number;
  b: string; // instruction bytes
  s: [number, number, number, number]; // FCW, FSW (TOP included), abridged tag, MXCSR
  fl: number; // arithmetic flags
  x?: Pairs<string>; // XMM registers that differ from base (128-bit hex, most significant first)
  r?: Pairs<string>; // x87 physical registers that differ from base (sign|exponent, significand)
  g?: Pairs<number>; // GPRs that differ from base
  p?: number; // GPRs (bit per register) holding the scratch block's address plus their value
  o?: number; // the memory operand's offset in the scratch block (default operandOffset)
  m?: Pairs<string>; // initial scratch bytes that differ from the pattern
  S: [number, number, number, number]; // final FCW, FSW, abridged tag, MXCSR
  X?: Pairs<string>; // final XMM registers that changed
  R?: Pairs<string>; // final x87 registers that changed
  G?: Pairs<number>; // final GPRs that changed
  F?: number; // final arithmetic flags when they changed
  M?: Pairs<string>; // scratch bytes that changed
  t?: number; // the instruction raised an exception: vector
}
interface SimdForm { name: string; kind?: string; op: number; prefix: string; reg: number; mnemonic: string; operands: string; flags: string }
interface SimdFixture {
  seed: number;
  host: Record<string, string>;
  scratchSize: number;
  operandOffset: number;
  pattern: string;
  base: { xmm: string[]; fpr: string[]; gpr: number[] };
  forms: SimdForm[];
  cases: SimdCase[];
}

const fixture = JSON.parse(
  gunzipSync(readFileSync(process.env.SIMD_FIXTURE || new URL('./fixtures/native-simd.json.gz', import.meta.url))).toString('utf8'),
) as SimdFixture;

const CODE = 0x80000;
const SCRATCH = 0x10000;
const RAM = 1 << 20;
const ARITH_FLAGS = 0x8d5;
const CR4_OSFXSR_OSXMMEXCPT = 0x600;
/** cases every table row must have in the fixture, and how many of them must run without a fault */
const MIN_CASES = 20;
const MIN_RUN = 5;
/** the SSE/SSE2 rows of the integer table that the fixture covers too */
const EXTRA_ROWS = [
  { op: 0x0fae, prefix: '', reg: 2, mnemonic: 'LDMXCSR', operands: 'M', flags: '' },
  { op: 0x0fae, prefix: '', reg: 3, mnemonic: 'STMXCSR', operands: 'M', flags: '' },
  { op: 0x0fc3, prefix: '', reg: -1, mnemonic: 'MOVNTI', operands: 'M,Gd', flags: '' },
];
/** table rows with no native cases, each with the reason */
const NO_NATIVE: Record<string, string> = {};
/** the approximations compared within the SDM's bound */
const APPROX = /^(RCP|RSQRT)(PS|SS)$/;
const APPROX_BOUND = 1.5 * 2 ** -12;
const GPR = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'];

const h = (v: number, n = 4) => '0x' + (v >>> 0).toString(16).padStart(n, '0');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const pattern = unhex(fixture.pattern);
const key = (r: { op: number; prefix: string; reg: number }) => `${r.op.toString(16)}/${r.prefix}/${r.reg}`;

let m: Machine;
let vector = -1;
let disasm: Disassembler = (hex) => `db ${hex}`;

interface State { xmm: string[]; fpr: string[]; gpr: number[]; fcw: number; fsw: number; tag: number; mxcsr: number; flags: number; mem: Uint8Array }
interface Outcome extends State { why: string; vector: number; eip: number }

/** a 128-bit register (hex, most significant first) as the 16 bytes of memory order */
const xmmBytes = (s: string) => unhex(s).reverse();

function initialState(c: SimdCase): State {
  const xmm = fixture.base.xmm.slice();
  for (const [i, v] of c.x ?? []) xmm[i] = v;
  const fpr = fixture.base.fpr.slice();
  for (const [p, v] of c.r ?? []) fpr[p] = v;
  const gpr = fixture.base.gpr.slice();
  for (const [i, v] of c.g ?? []) gpr[i] = (c.p ?? 0) >> i & 1 ? SCRATCH + v : v;
  const mem = pattern.slice();
  for (const [a, b] of c.m ?? []) mem.set(unhex(b), a);
  return { xmm, fpr, gpr, fcw: c.s[0], fsw: c.s[1], tag: c.s[2], mxcsr: c.s[3], flags: c.fl, mem };
}

function finalState(c: SimdCase): State {
  const s = initialState(c);
  for (const [i, v] of c.X ?? []) s.xmm[i] = v;
  for (const [p, v] of c.R ?? []) s.fpr[p] = v;
  for (const [i, v] of c.G ?? []) s.gpr[i] = v;
  for (const [a, b] of c.M ?? []) s.mem.set(unhex(b), a);
  return { ...s, fcw: c.S[0], fsw: c.S[1], tag: c.S[2], mxcsr: c.S[3], flags: c.F ?? c.fl };
}

function runCase(c: SimdCase): Outcome {
  const core = m.core;
  const s = initialState(c);
  core.exports.reset();
  core.set32(L.CTL_EXC_BITMAP, 0xffffffff);
  core.setSeg(1, 0x08, 0, 0xffffffff, 0x00c09b00);
  for (const sg of [0, 2, 3, 4, 5]) core.setSeg(sg, 0x10, 0, 0xffffffff, 0x00c09300);
  core.set32(L.CR, 0x33); // PE MP ET NE
  core.set32(L.CR + 16, CR4_OSFXSR_OSXMMEXCPT);
  core.set32(L.CPL, 0);
  for (let r = 0; r < 8; r++) core.setReg32(r, s.gpr[r]!);
  core.eip = CODE;
  core.eflags = (c.fl & ARITH_FLAGS) | 0x202;
  core.set32(L.FPU_CW, s.fcw);
  core.set32(L.FPU_SW, s.fsw);
  core.set32(L.FPU_TAG, s.tag);
  for (let p = 0; p < 8; p++) {
    const v = s.fpr[p]!;
    core.set64(L.FPU_REGS + 16 * p, BigInt('0x' + v.slice(4)));
    core.set64(L.FPU_REGS + 16 * p + 8, BigInt('0x' + v.slice(0, 4)));
  }
  core.set32(L.MXCSR, s.mxcsr);
  for (let i = 0; i < 8; i++) {
    core.set64(L.XMM + 16 * i, BigInt('0x' + s.xmm[i]!.slice(16)));
    core.set64(L.XMM + 16 * i + 8, BigInt('0x' + s.xmm[i]!.slice(0, 16)));
  }
  const ram = core.ram();
  ram.set(s.mem, SCRATCH);
  const code = unhex(c.b);
  ram.set(code, CODE);
  ram[CODE + code.length] = 0xf4;
  core.exports.stateChanged();
  vector = -1;
  const stop = m.run(m.instructions + 20n);
  const q = (a: number) => core.get64(a).toString(16).padStart(16, '0');
  const xmm: string[] = [];
  for (let i = 0; i < 8; i++) xmm.push(q(L.XMM + 16 * i + 8) + q(L.XMM + 16 * i));
  const fpr: string[] = [];
  for (let p = 0; p < 8; p++) {
    const se = Number(core.get64(L.FPU_REGS + 16 * p + 8) & 0xffffn);
    fpr.push(se.toString(16).padStart(4, '0') + core.get64(L.FPU_REGS + 16 * p).toString(16).padStart(16, '0'));
  }
  const gpr: number[] = [];
  for (let r = 0; r < 8; r++) gpr.push(core.reg32(r));
  return {
    why: stop.why,
    vector,
    eip: core.eip,
    xmm,
    fpr,
    gpr,
    fcw: core.get32(L.FPU_CW) & 0xffff,
    fsw: core.get32(L.FPU_SW) & 0xffff,
    tag: core.get32(L.FPU_TAG) & 0xff,
    mxcsr: core.get32(L.MXCSR),
    flags: core.eflags & ARITH_FLAGS,
    mem: core.ram().slice(SCRATCH, SCRATCH + fixture.scratchSize),
  };
}

// ---------------------------------------------------------------- the approximations
const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;
/** the source operand's 32-bit lanes (ModRM.rm: an XMM register or the scratch block) */
function rmLanes(c: SimdCase, s: State): number[] {
  const b = unhex(c.b);
  let k = 0;
  while (b[k] === 0x66 || b[k] === 0xf2 || b[k] === 0xf3) k++;
  const mrm = b[k + 2]!;
  const src = mrm >= 0xc0 ? xmmBytes(s.xmm[mrm & 7]!) : s.mem.slice(c.o ?? fixture.operandOffset, (c.o ?? fixture.operandOffset) + 16);
  const dv = new DataView(src.buffer, src.byteOffset);
  return [0, 1, 2, 3].map((i) => (i * 4 + 4 <= src.length ? dv.getUint32(4 * i, true) : 0));
}
/** whether the core's approximation of lane `i` is acceptable where it differs from the CPU's */
function approxOk(mnemonic: string, src: number, got: number, want: number): boolean {
  const finite = (v: number) => (v & 0x7f800000) !== 0x7f800000 && (v & 0x7f800000) !== 0;
  if (!finite(got) || !finite(want) || (got ^ want) >>> 31) return false; // specials must be exact
  const x = f32(src);
  const truth = mnemonic.startsWith('RCP') ? 1 / x : 1 / Math.sqrt(x);
  return Math.abs((f32(got) - truth) / truth) <= APPROX_BOUND;
}

interface Verdict { diffs: string[]; approx: boolean }

/** Differences between the native result and the core's. */
function compare(c: SimdCase, o: Outcome): Verdict {
  const d: string[] = [];
  const form = fixture.forms[c.f]!;
  const want = finalState(c);
  let approx = false;
  const vec = (v: number) => (v === 6 ? '#UD' : v === 13 ? '#GP' : v === 16 ? '#MF' : v === 19 ? '#XM' : v === 7 ? '#NM' : `vector ${v}`);
  if (c.t !== undefined) {
    if (o.why !== 'exception' || o.vector !== c.t || o.eip !== CODE) d.push(`expected ${vec(c.t)} at the instruction; got ${o.why}${o.why === 'exception' ? ` ${vec(o.vector)}` : ''} at eip ${h(o.eip, 8)}`);
  } else if (o.why !== 'halted' && o.why !== 'idle') d.push(`stopped with ${o.why}${o.why === 'exception' ? ` ${vec(o.vector)}` : ''} at eip ${h(o.eip, 8)}; the CPU ran it`);
  const approxForm = !form.kind && APPROX.test(form.mnemonic) && c.t === undefined;
  for (let i = 0; i < 8; i++) {
    if (o.xmm[i] === want.xmm[i]) continue;
    if (approxForm) {
      const src = rmLanes(c, initialState(c));
      const g = xmmBytes(o.xmm[i]!), w = xmmBytes(want.xmm[i]!);
      const gv = new DataView(g.buffer), wv = new DataView(w.buffer);
      let ok = true;
      for (let k = 0; k < 4; k++) {
        const a = gv.getUint32(4 * k, true), b = wv.getUint32(4 * k, true);
        if (a !== b && !approxOk(form.mnemonic, src[k]!, a, b)) ok = false;
      }
      if (ok) { approx = true; continue; }
    }
    d.push(`XMM${i} ${o.xmm[i]} expected ${want.xmm[i]}`);
  }
  for (let p = 0; p < 8; p++) if (o.fpr[p] !== want.fpr[p]) d.push(`R${p} (MM${p}) ${o.fpr[p]} expected ${want.fpr[p]}`);
  if (o.fcw !== want.fcw) d.push(`FCW ${h(o.fcw)} expected ${h(want.fcw)}`);
  if (o.fsw !== want.fsw) d.push(`FSW ${h(o.fsw)} expected ${h(want.fsw)} (TOP ${(o.fsw >> 11) & 7} expected ${(want.fsw >> 11) & 7})`);
  if (o.tag !== want.tag) d.push(`tag ${h(o.tag, 2)} expected ${h(want.tag, 2)}`);
  if (o.mxcsr !== want.mxcsr) d.push(`MXCSR ${h(o.mxcsr)} expected ${h(want.mxcsr)} (differ ${h(o.mxcsr ^ want.mxcsr)})`);
  for (let r = 0; r < 8; r++) if (o.gpr[r] !== want.gpr[r]! >>> 0) d.push(`${GPR[r]} ${h(o.gpr[r]!, 8)} expected ${h(want.gpr[r]!, 8)}`);
  if (o.flags !== want.flags) d.push(`flags ${h(o.flags)} expected ${h(want.flags)}`);
  const base = c.o ?? fixture.operandOffset;
  const bad: string[] = [];
  for (let k = 0; k < want.mem.length; k++) {
    if (want.mem[k] === o.mem[k]) continue;
    bad.push(`[+${k - base}] ${o.mem[k]!.toString(16).padStart(2, '0')} expected ${want.mem[k]!.toString(16).padStart(2, '0')}`);
  }
  if (bad.length) d.push(`memory: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ` (+${bad.length - 10} more)` : ''}`);
  return { diffs: d, approx };
}

/** the first word of each difference: the field (XMM3, MXCSR, memory, expected #XM, ...) */
const fieldOf = (d: string) => (d.startsWith('expected') || d.startsWith('stopped') ? 'exception' : d.split(' ')[0]!.replace(/:$/, ''));

function describeCase(c: SimdCase, d: string[]): string {
  const s = initialState(c);
  const form = fixture.forms[c.f]!;
  const ptr = c.p ?? 0;
  const used = new Set([...(c.x ?? []).map(([i]) => i), ...(c.X ?? []).map(([i]) => i)]);
  const mmUsed = new Set([...(c.r ?? []).map(([i]) => i), ...(c.R ?? []).map(([i]) => i)]);
  return [
    `${form.name}: ${disasm(c.b, CODE)}   (bytes ${c.b})`,
    `  initial: FCW ${h(s.fcw)} FSW ${h(s.fsw)} (TOP ${(s.fsw >> 11) & 7}) tag ${h(s.tag, 2)} MXCSR ${h(s.mxcsr)} flags ${h(c.fl)}`,
    `  ${s.gpr.map((v, r) => `${GPR[r]}=${h(v, 8)}${ptr >> r & 1 ? '(scratch+' + (v - SCRATCH) + ')' : ''}`).join(' ')}`,
    ...[...used].sort().map((i) => `  XMM${i}=${s.xmm[i]}`),
    ...[...mmUsed].sort().map((p) => `  R${p}(MM${p})=${s.fpr[p]}`),
    ...(c.m ? [`  memory: ${c.m.map(([a, b]) => `[+${a - (c.o ?? fixture.operandOffset)}] ${b}`).join(', ')}`] : []),
    `  CPU: ${c.t !== undefined ? `exception ${c.t}, ` : ''}MXCSR ${h(c.S[3])} FSW ${h(c.S[1])} tag ${h(c.S[2], 2)}${(c.X ?? []).map(([i, v]) => ` XMM${i}=${v}`).join('')}${(c.R ?? []).map(([p, v]) => ` R${p}=${v}`).join('')}${(c.G ?? []).map(([r, v]) => ` ${GPR[r]}=${h(v, 8)}`).join('')}${c.F !== undefined ? ` flags ${h(c.F)}` : ''}${(c.M ?? []).map(([a, b]) => ` [+${a - (c.o ?? fixture.operandOffset)}]=${b}`).join('')}`,
    ...d.map((x) => '  ' + x),
  ].join('\n');
}

const byForm = new Map<number, SimdCase[]>();
fixture.forms.forEach((_, f) => byForm.set(f, []));
for (const c of fixture.cases) byForm.get(c.f)!.push(c);

const approxStats = new Map<string, [number, number]>(); // form -> [identical, within the bound]

describe(`SIMD native reference: ${fixture.cases.length} cases from ${fixture.host.model ?? 'unknown CPU'} (microcode ${fixture.host.microcode}, seed ${fixture.seed})`, () => {
  beforeAll(async () => {
    m = await Machine.create({ memory: RAM, flat: true });
    m.onException = (ex) => {
      vector = ex.vector;
      return 'stop';
    };
    disasm = await loadDisassembler(true);
  });

  it(`every SIMD table row has at least ${MIN_CASES} cases (the fixture was made from the current tables)`, () => {
    const want = [...SIMD, ...EXTRA_ROWS];
    const have = new Map(fixture.forms.map((f, i) => [f.kind ? f.name : key(f), i]));
    const problems: string[] = [];
    for (const r of want) {
      const f = have.get(key(r));
      if (f === undefined) {
        if (!NO_NATIVE[key(r)]) problems.push(`${r.mnemonic} (${key(r)}): not in the fixture; regenerate it (node test/fixtures/gen-simd.mjs)`);
        continue;
      }
      const form = fixture.forms[f]!;
      const cases = byForm.get(f)!;
      if ((form.mnemonic !== r.mnemonic || form.operands !== r.operands || form.flags !== r.flags)) problems.push(`${r.mnemonic} ${r.operands} (${key(r)}): the fixture has ${form.mnemonic} ${form.operands} '${form.flags}'; regenerate it`);
      const ran = cases.filter((c) => c.t === undefined).length;
      if (cases.length < MIN_CASES || ran < MIN_RUN) problems.push(`${form.name}: ${cases.length} cases, ${ran} without a fault`);
    }
    const rows = new Set(want.map(key));
    for (const f of fixture.forms) if (!f.kind && !rows.has(key(f))) problems.push(`${f.name}: in the fixture but not in the tables; regenerate it`);
    expect(problems).toEqual([]);
  });

  it('table rows without native cases each have a stated reason', () => {
    const have = new Set(fixture.forms.filter((f, i) => !f.kind && byForm.get(i)!.length).map(key));
    const missing = [...SIMD, ...EXTRA_ROWS].filter((r) => !have.has(key(r)));
    const unexplained = missing.filter((r) => !NO_NATIVE[key(r)]).map((r) => `${r.mnemonic} (${key(r)})`);
    for (const r of missing) if (NO_NATIVE[key(r)]) console.log(`no native cases: ${r.mnemonic} (${key(r)}): ${NO_NATIVE[key(r)]}`);
    expect(unexplained).toEqual([]);
    expect(Object.keys(NO_NATIVE).filter((k) => have.has(k))).toEqual([]); // a reason for a form that has cases is stale
  });

  it('catches a wrong XMM byte, MXCSR bit, tag or exception (self-check of the comparison)', () => {
    const c = fixture.cases.find((k) => k.t === undefined && k.X?.length && compare(k, runCase(k)).diffs.length === 0);
    if (!c) return; // no form matches the CPU yet
    const [i, v] = c.X![0]!;
    const flip = (s: string) => s.slice(0, -1) + (parseInt(s.slice(-1), 16) ^ 1).toString(16);
    expect(compare({ ...c, X: [[i, flip(v)]] }, runCase(c)).diffs).toHaveLength(1);
    expect(compare({ ...c, S: [c.S[0], c.S[1], c.S[2], c.S[3] ^ 0x20] }, runCase(c)).diffs).toHaveLength(1);
    expect(compare({ ...c, S: [c.S[0], c.S[1], c.S[2] ^ 1, c.S[3]] }, runCase(c)).diffs).toHaveLength(1);
    expect(compare({ ...c, t: 19 }, runCase(c)).diffs).toHaveLength(1);
  });

  for (const [f, cases] of byForm) {
    const form = fixture.forms[f]!;
    if (!cases.length) continue;
    const traps = cases.filter((c) => c.t !== undefined).length;
    it(`${form.name} (${cases.length}${traps ? `, ${traps} faulting` : ''})`, () => {
      const failures: string[] = [];
      const fields = new Map<string, number>();
      for (const c of cases) {
        const v = compare(c, runCase(c));
        if (v.diffs.length) {
          failures.push(describeCase(c, v.diffs));
          for (const fld of new Set(v.diffs.map(fieldOf))) fields.set(fld, (fields.get(fld) ?? 0) + 1);
        } else if (!form.kind && APPROX.test(form.mnemonic) && c.t === undefined) {
          const st = approxStats.get(form.name) ?? [0, 0];
          st[v.approx ? 1 : 0]++;
          approxStats.set(form.name, st);
        }
      }
      const summary = [...fields].map(([k, n]) => `${k} ${n}`).join(', ');
      expect(failures.length, `${failures.length} of ${cases.length} cases differ from the CPU (fields: ${summary}); first:\n${failures.slice(0, 2).join('\n')}`).toBe(0);
    });
  }

  it('RCPPS/RCPSS/RSQRTPS/RSQRTSS: bit-identical share (information)', () => {
    for (const [name, [same, near]] of approxStats) console.log(`${name}: ${same} of ${same + near} results bit-identical to the CPU (${((100 * same) / (same + near)).toFixed(1)}%), ${near} within the SDM bound`);
  });
});
