/**
 * The x87 FPU against hardware: test/fixtures/native-x87.json.gz holds x87 instructions run
 * natively on a real CPU (made by test/fixtures/gen-x87.mjs; see test/fixtures/README.md). Each
 * case runs here in the core in flat 32-bit protected mode (CR0.NE = 1, as under Linux) with the
 * FPU state written directly, and must end with the same control word, status word (all bits),
 * tag word (the full 2-bit form, or the abridged one after a trap), registers, memory, AX and
 * arithmetic flags. Transcendental results (F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS)
 * may differ from the hardware's by one unit in the last place, and their C1 (rounded up, which
 * follows the hardware's internal approximation) is free; everything else, exception flags
 * included, must be identical. The share of bit-identical transcendental results (registers and
 * status word) is printed and held to a floor.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Machine } from '../src/machine.js';
import * as L from '../src/gen/layout.js';
import { fullTagWord } from '../src/x87.js';
import { X87 } from '../src/gen/x87.js';

interface X87Case {
  f: number;
  b: string; // instruction bytes
  s: [number, number, number]; // FCW, FSW (TOP included), abridged tag
  r: string[]; // physical registers R0-R7: sign|exponent (4 hex) and significand (16 hex)
  o?: number; // the memory operand's offset in the scratch block (default operandOffset)
  m?: [number, string][]; // initial scratch bytes that differ from the pattern
  a: number; // EAX
  fl: number; // arithmetic flags
  S: [number, number, number]; // final FCW, FSW, tag (full; abridged when t is set)
  R?: [number, string][]; // final registers that changed
  M?: [number, string][]; // final scratch bytes that changed
  A?: number; // final EAX when it changed
  F?: number; // final arithmetic flags when they changed
  t?: number; // the instruction trapped: vector
  x?: [number, number][]; // scratch ranges not compared (the last-instruction pointers)
}
interface X87Fixture {
  seed: number;
  host: Record<string, string>;
  scratchSize: number;
  operandOffset: number;
  pattern: string;
  forms: { name: string; kind?: string }[];
  cases: X87Case[];
}

const fixture = JSON.parse(
  gunzipSync(readFileSync(process.env.X87_FIXTURE ?? new URL('./fixtures/native-x87.json.gz', import.meta.url))).toString('utf8'),
) as X87Fixture;

const CODE = 0x80000;
const SCRATCH = 0x10000;
const RAM = 1 << 20;
const ARITH_FLAGS = 0x8d5;
/** the bit-identical share of transcendental results this core reaches (held as a floor) */
const TRANSCENDENTAL_IDENTICAL_FLOOR = 0.93;

const h = (v: number, n = 4) => '0x' + (v >>> 0).toString(16).padStart(n, '0');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const pattern = unhex(fixture.pattern);

let m: Machine;
let vector = -1;

interface Outcome { why: string; vector: number; eip: number; cw: number; sw: number; tagAbridged: number; regs: string[]; mem: Uint8Array; eax: number; flags: number }

function regHex(se: number, sig: bigint): string {
  return se.toString(16).padStart(4, '0') + sig.toString(16).padStart(16, '0');
}
function parseReg(s: string): { se: number; sig: bigint } {
  return { se: parseInt(s.slice(0, 4), 16), sig: BigInt('0x' + s.slice(4)) };
}

function runCase(c: X87Case): Outcome {
  const core = m.core;
  core.exports.reset();
  core.set32(L.CTL_EXC_BITMAP, 0xffffffff);
  core.setSeg(1, 0x08, 0, 0xffffffff, 0x00c09b00);
  for (const s of [0, 2, 3, 4, 5]) core.setSeg(s, 0x10, 0, 0xffffffff, 0x00c09300);
  core.set32(L.CR, 0x31); // PE ET NE
  core.set32(L.CPL, 0);
  for (let r = 0; r < 8; r++) core.setReg32(r, 0);
  core.setReg32(0, c.a);
  core.setReg32(3, SCRATCH + (c.o ?? fixture.operandOffset));
  core.setReg32(4, SCRATCH + 0x8000);
  core.eip = CODE;
  core.eflags = (c.fl & ARITH_FLAGS) | 0x202;
  core.set32(L.FPU_CW, c.s[0]);
  core.set32(L.FPU_SW, c.s[1]);
  core.set32(L.FPU_TAG, c.s[2]);
  for (let p = 0; p < 8; p++) {
    const { se, sig } = parseReg(c.r[p]!);
    core.set64(L.FPU_REGS + 16 * p, sig);
    core.set64(L.FPU_REGS + 16 * p + 8, BigInt(se));
  }
  const ram = core.ram();
  ram.set(pattern, SCRATCH);
  for (const [a, b] of c.m ?? []) ram.set(unhex(b), SCRATCH + a);
  const code = unhex(c.b);
  ram.set(code, CODE);
  ram[CODE + code.length] = 0xf4;
  core.exports.stateChanged();
  vector = -1;
  const stop = m.run(m.instructions + 20n);
  const regs: string[] = [];
  for (let p = 0; p < 8; p++) regs.push(regHex(Number(core.get64(L.FPU_REGS + 16 * p + 8) & 0xffffn), core.get64(L.FPU_REGS + 16 * p)));
  return {
    why: stop.why,
    vector,
    eip: core.eip,
    cw: core.get32(L.FPU_CW),
    sw: core.get32(L.FPU_SW),
    tagAbridged: core.get32(L.FPU_TAG),
    regs,
    mem: core.ram().slice(SCRATCH, SCRATCH + fixture.scratchSize),
    eax: core.reg32(0),
    flags: core.eflags & ARITH_FLAGS,
  };
}

/** the full tag word of a state (src/x87.ts) */
const fullTag = (tag: number, regs: string[]) => fullTagWord(tag, regs.map(parseReg));

/** distance in units of the last place between two finite extended values of the same sign, or Infinity */
function ulps(a: string, b: string): number {
  const x = parseReg(a), y = parseReg(b);
  if (x.se >> 15 !== y.se >> 15) return x.sig === 0n && y.sig === 0n ? 0 : Infinity;
  const ord = (v: { se: number; sig: bigint }) => {
    const e = v.se & 0x7fff;
    if (e === 0x7fff) return null;
    if (e === 0) return v.sig; // denormals continue below the smallest normal
    return (BigInt(e - 1) << 63n) + v.sig;
  };
  const p = ord(x), q = ord(y);
  if (p === null || q === null) return a === b ? 0 : Infinity;
  const d = p > q ? p - q : q - p;
  return d > 1000n ? Infinity : Number(d);
}

interface Verdict { diffs: string[]; oneUlp: boolean }

/** Differences between the native result and the core's. */
function compare(c: X87Case, o: Outcome): Verdict {
  const d: string[] = [];
  const transcendental = fixture.forms[c.f]!.kind === 't';
  let oneUlp = false;
  if (c.t !== undefined) {
    if (o.why !== 'exception' || o.vector !== c.t || o.eip !== CODE) d.push(`expected exception ${c.t} at the instruction; got ${o.why}${o.why === 'exception' ? ` ${o.vector}` : ''} at eip ${h(o.eip, 8)}`);
  } else if (o.why !== 'halted' && o.why !== 'idle') d.push(`stopped with ${o.why}${o.why === 'exception' ? ` ${o.vector}` : ''} at eip ${h(o.eip, 8)}`);
  const expRegs = c.r.slice();
  for (const [p, v] of c.R ?? []) expRegs[p] = v;
  let c1Free = false;
  for (let p = 0; p < 8; p++) {
    if (o.regs[p] === expRegs[p]) continue;
    const u = transcendental ? ulps(o.regs[p]!, expRegs[p]!) : Infinity;
    if (u <= 1) { oneUlp = true; c1Free = true; continue; }
    d.push(`R${p} ${o.regs[p]} expected ${expRegs[p]}${transcendental && u < Infinity ? ` (${u} ulps)` : ''}`);
  }
  const [cw, sw, tag] = c.S;
  if (o.cw !== cw) d.push(`FCW ${h(o.cw)} expected ${h(cw)}`);
  // transcendentals: C1 (rounded up) follows the hardware's internal approximation, which may lie
  // on the other side of the true value than ours; it is not compared (but counts for identity)
  const swMask = c1Free || transcendental ? ~0x200 : ~0;
  if (transcendental && !c1Free && (o.sw ^ sw) & 0x200) oneUlp = true;
  if ((o.sw ^ sw) & swMask & 0xffff) d.push(`FSW ${h(o.sw)} expected ${h(sw)} (differ ${h((o.sw ^ sw) & 0xffff)})`);
  const t = c.t !== undefined ? o.tagAbridged : fullTag(o.tagAbridged, o.regs);
  if (t !== tag) d.push(`tag ${h(t)} expected ${h(tag)}`);
  if (c.t === undefined) {
    if (o.eax !== (c.A ?? c.a) >>> 0) d.push(`EAX ${h(o.eax, 8)} expected ${h(c.A ?? c.a, 8)}`);
    if (o.flags !== (c.F ?? c.fl)) d.push(`flags ${h(o.flags)} expected ${h(c.F ?? c.fl)}`);
    const exp = pattern.slice();
    for (const [a, b] of c.m ?? []) exp.set(unhex(b), a);
    for (const [a, b] of c.M ?? []) exp.set(unhex(b), a);
    const skip = new Set<number>();
    const base = c.o ?? fixture.operandOffset;
    for (const [a, n] of c.x ?? []) for (let k = 0; k < n; k++) skip.add(base + a + k);
    const bad: string[] = [];
    for (let k = 0; k < exp.length; k++) {
      if (skip.has(k) || exp[k] === o.mem[k]) continue;
      bad.push(`[+${k - base}] ${o.mem[k]!.toString(16).padStart(2, '0')} expected ${exp[k]!.toString(16).padStart(2, '0')}`);
    }
    if (bad.length) d.push(`memory: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ` (+${bad.length - 10} more)` : ''}`);
  }
  return { diffs: d, oneUlp };
}

function describeCase(c: X87Case, d: string[]): string {
  const [cw, sw, tag] = c.s;
  const top = (sw >> 11) & 7;
  const st = Array.from({ length: 8 }, (_, i) => {
    const p = (top + i) & 7;
    return `ST${i}=${(tag >> p) & 1 ? c.r[p] : 'empty'}`;
  });
  return [
    `${fixture.forms[c.f]!.name}   (bytes ${c.b})`,
    `  initial: FCW ${h(cw)} FSW ${h(sw)} tag ${h(tag, 2)} EAX ${h(c.a, 8)} flags ${h(c.fl)}`,
    `  ${st.join(' ')}`,
    ...(c.m ? [`  memory: ${c.m.map(([a, b]) => `[+${a - (c.o ?? fixture.operandOffset)}] ${b}`).join(', ')}`] : []),
    ...d.map((x) => '  ' + x),
  ].join('\n');
}

const byForm = new Map<number, X87Case[]>();
for (const c of fixture.cases) {
  let l = byForm.get(c.f);
  if (!l) byForm.set(c.f, (l = []));
  l.push(c);
}

const tStats = { cases: 0, identical: 0, oneUlp: 0, byForm: new Map<string, [number, number]>() };

describe(`x87 native reference: ${fixture.cases.length} cases from ${fixture.host.model ?? 'unknown CPU'} (seed ${fixture.seed})`, () => {
  beforeAll(async () => {
    m = await Machine.create({ memory: RAM, flat: true });
    m.onException = (ex) => {
      vector = ex.vector;
      return 'stop';
    };
  });

  it('has at least 20,000 cases covering every x87 form of the opcode table', async () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20000);
    const seen = new Set<string>();
    for (const c of fixture.cases) {
      const b = unhex(c.b);
      let k = 0;
      while (b[k] === 0x66) k++;
      const op = b[k]!, mrm = b[k + 1]!;
      if (op < 0xd8 || op > 0xdf || c.t !== undefined) continue;
      const reg = (mrm >> 3) & 7;
      seen.add(mrm >= 0xc0 ? `${op}/${reg}/r` : `${op}/${reg}/m`);
      if (mrm >= 0xc0) seen.add(`${op}/${reg}/${mrm & 7}`);
    }
    const missing = X87.filter((r) => !seen.has(`${r.op}/${r.reg}/${r.form}`)).map((r) => `${r.mnemonic} (${r.op.toString(16)} /${r.reg} ${r.form})`);
    expect(missing).toEqual([]);
  });

  it('catches a wrong register, status bit, tag or memory byte (self-check of the comparison)', () => {
    const name = (n: string) => fixture.forms.findIndex((f) => f.name === n);
    const add = fixture.cases.find((c) => c.f === name('fadd st0,st(i)') && c.R?.length)!;
    const st = fixture.cases.find((c) => c.f === name('fst m64') && c.M?.length)!;
    expect(compare(add, runCase(add)).diffs).toEqual([]);
    expect(compare({ ...add, S: [add.S[0], add.S[1] ^ 0x4000, add.S[2]] }, runCase(add)).diffs).toHaveLength(1);
    expect(compare({ ...add, S: [add.S[0], add.S[1], add.S[2] ^ 3] }, runCase(add)).diffs).toHaveLength(1);
    const [p, v] = add.R![0]!;
    expect(compare({ ...add, R: [[p, v.slice(0, 19) + (parseInt(v[19]!, 16) ^ 1).toString(16)]] }, runCase(add)).diffs).toHaveLength(1);
    expect(compare(st, runCase(st)).diffs).toEqual([]);
    const [a, b] = st.M![0]!;
    expect(compare({ ...st, M: [[a, (parseInt(b.slice(0, 2), 16) ^ 0x80).toString(16).padStart(2, '0') + b.slice(2)]] }, runCase(st)).diffs).toHaveLength(1);
  });

  for (const [f, cases] of byForm) {
    const form = fixture.forms[f]!;
    it(`${form.name} (${cases.length})`, () => {
      const failures: string[] = [];
      for (const c of cases) {
        const v = compare(c, runCase(c));
        if (v.diffs.length) failures.push(describeCase(c, v.diffs));
        if (form.kind === 't' && !v.diffs.length) {
          tStats.cases++;
          if (v.oneUlp) tStats.oneUlp++; else tStats.identical++;
          const fs = tStats.byForm.get(form.name) ?? [0, 0];
          fs[v.oneUlp ? 1 : 0]++;
          tStats.byForm.set(form.name, fs);
        }
      }
      expect(failures.length, `${failures.length} of ${cases.length} cases differ from the CPU; first:\n${failures.slice(0, 3).join('\n')}`).toBe(0);
    });
  }

  it('transcendentals: bit-identical share', () => {
    const share = tStats.cases ? tStats.identical / tStats.cases : 1;
    const forms = [...tStats.byForm].map(([n, [same, ulp]]) => `${n} ${((100 * same) / (same + ulp)).toFixed(1)}%`).join(', ');
    console.log(`x87 transcendentals: ${tStats.identical} of ${tStats.cases} results bit-identical to the CPU (${(share * 100).toFixed(2)}%), ${tStats.oneUlp} within 1 ulp or with another C1 (${forms})`);
    expect(share).toBeGreaterThanOrEqual(TRANSCENDENTAL_IDENTICAL_FLOOR);
  });
});
