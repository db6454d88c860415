/**
 * SSE/SSE2 floating point in the core (assembly/simd/fp*.ts, convert.ts) against values computed
 * here independently: round-to-nearest results from Math.fround and double arithmetic, the
 * inexact flag from exact error terms (TwoSum, Dekker's product), and hand-worked cases for the
 * rounding modes, the exceptions (SDM Vol. 1 11.5), the compares and the data moves. The native
 * fixture (test/simd.test.ts) is the bit-for-bit proof; this file exercises the handlers while
 * they are written, in a flat 32-bit protected-mode machine with CR4.OSFXSR and OSXMMEXCPT.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { prng } from './helpers/prng.js';
import { assembleSnippet, requireTool } from './helpers/tools.js';

const hasNasm = requireTool('nasm', 'nasm');
const CODE = 0x80000;
const DATA = 0x10000;
const MX0 = 0x1f80; // MXCSR after RESET: all masked, round to nearest

// ---------------------------------------------------------------- bit patterns
const dv = new DataView(new ArrayBuffer(8));
const f2b = (x: number): number => { dv.setFloat32(0, x, true); return dv.getUint32(0, true); };
const b2f = (b: number): number => { dv.setUint32(0, b >>> 0, true); return dv.getFloat32(0, true); };
const d2b = (x: number): bigint => { dv.setFloat64(0, x, true); return dv.getBigUint64(0, true); };
const b2d = (b: bigint): number => { dv.setBigUint64(0, b, true); return dv.getFloat64(0, true); };
const M64 = (1n << 64n) - 1n;
/** four dword lanes (low first) as [lo, hi] */
const lanes = (a: number, b: number, c: number, d: number): [bigint, bigint] =>
  [BigInt(a >>> 0) | (BigInt(b >>> 0) << 32n), BigInt(c >>> 0) | (BigInt(d >>> 0) << 32n)];
const ps = (a: number, b: number, c: number, d: number) => lanes(f2b(a), f2b(b), f2b(c), f2b(d));
const pd = (a: number, b: number): [bigint, bigint] => [d2b(a), d2b(b)];
const lane = (v: [bigint, bigint], k: number): number => Number(((k < 2 ? v[0] : v[1]) >> BigInt((k & 1) * 32)) & 0xffffffffn);
const hex = (v: [bigint, bigint]) => `${v[1].toString(16).padStart(16, '0')}:${v[0].toString(16).padStart(16, '0')}`;

// ---------------------------------------------------------------- the machine
const asmCache = new Map<string, Uint8Array>();
function assemble(src: string, head = `BITS 32\nORG ${CODE}`): Uint8Array {
  const hit = asmCache.get(head + src);
  if (hit) return hit;
  const b = assembleSnippet(`${head}\n${src}\nhlt\n`);
  asmCache.set(head + src, b);
  return b;
}

interface Init {
  xmm?: Record<number, [bigint, bigint]>;
  mm?: Record<number, bigint>;
  mem?: Record<number, Uint8Array>;
  regs?: Record<number, number>;
  mxcsr?: number;
  cr4?: number;
  cr0?: number;
  eflags?: number;
}
interface Out {
  m: Machine;
  vectors: number[];
  xmm: (i: number) => [bigint, bigint];
  mm: (i: number) => bigint;
  mxcsr: number;
  eflags: number;
  reg: (i: number) => number;
  mem32: (a: number) => number;
}

let machine: Machine;
async function run(src: string, init: Init = {}): Promise<Out> {
  const m = machine;
  const vectors: number[] = [];
  m.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
  const c = m.core;
  c.exports.reset();
  c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
  c.setSeg(1, 0x08, 0, 0xffffffff, 0x00c09b00);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x10, 0, 0xffffffff, 0x00c09300);
  c.set32(L.CR, init.cr0 ?? 0x31);
  c.set32(L.CR + 16, init.cr4 ?? 0x600);
  c.setReg32(4, 0x9000);
  for (const [r, v] of Object.entries(init.regs ?? {})) c.setReg32(+r, v);
  c.set32(L.MXCSR, init.mxcsr ?? MX0);
  for (const [r, v] of Object.entries(init.xmm ?? {})) {
    c.dv.setBigUint64(L.XMM + 16 * +r, v[0], true);
    c.dv.setBigUint64(L.XMM + 16 * +r + 8, v[1], true);
  }
  for (const [r, v] of Object.entries(init.mm ?? {})) {
    c.dv.setBigUint64(L.FPU_REGS + 16 * +r, v, true);
    c.dv.setUint16(L.FPU_REGS + 16 * +r + 8, 0xffff, true);
  }
  for (const [a, b] of Object.entries(init.mem ?? {})) m.writePhys(+a, b);
  c.eip = CODE;
  m.writePhys(CODE, assemble(src));
  c.exports.stateChanged();
  if (init.eflags !== undefined) c.exports.setEflags(init.eflags);
  const why = m.run(c.icount + 1000n).why;
  if (!vectors.length) expect(why, `${src} at ${c.eip.toString(16)}`).toBe('halted');
  return {
    m,
    vectors,
    xmm: (i) => [c.get64(L.XMM + 16 * i), c.get64(L.XMM + 16 * i + 8)],
    mm: (i) => c.get64(L.FPU_REGS + 16 * i),
    mxcsr: c.get32(L.MXCSR),
    eflags: c.eflags,
    reg: (i) => c.reg32(i),
    mem32: (a) => new DataView(c.ram().buffer, c.ram().byteOffset).getUint32(a, true),
  };
}
const bytes128 = (v: [bigint, bigint]): Uint8Array => {
  const b = new DataView(new ArrayBuffer(16));
  b.setBigUint64(0, v[0], true);
  b.setBigUint64(8, v[1], true);
  return new Uint8Array(b.buffer);
};

// ---------------------------------------------------------------- reference arithmetic
const PE = 0x20, UE = 0x10, OE = 0x08, ZE = 0x04, DE = 0x02, IE = 0x01;
// exact error terms (Knuth's TwoSum, Dekker's split product) for the inexact flag of doubles
function twoSumErr(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  return (a - (s - bb)) + (b - bb);
}
function split(a: number): [number, number] {
  const c = 134217729 * a;
  const h = c - (c - a);
  return [h, a - h];
}
function twoProdErr(a: number, b: number): number {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
type Op = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'sqrt';
/** single: result bits and inexact; operands within 2^+-10, so + - * are exact in double */
function ref32(op: Op, a: number, b: number): [number, boolean] {
  let x: number;
  switch (op) {
    case 'add': x = a + b; break;
    case 'sub': x = a - b; break;
    case 'mul': x = a * b; break;
    case 'div': { const q = Math.fround(a / b); return [f2b(q), q * b !== a]; }
    case 'sqrt': { const r = Math.fround(Math.sqrt(b)); return [f2b(r), r * r !== b]; }
    case 'min': return [f2b(a < b ? a : b), false];
    case 'max': return [f2b(a > b ? a : b), false];
  }
  const r = Math.fround(x);
  return [f2b(r), r !== x];
}
function ref64(op: Op, a: number, b: number): [bigint, boolean] {
  switch (op) {
    case 'add': return [d2b(a + b), twoSumErr(a, b) !== 0];
    case 'sub': return [d2b(a - b), twoSumErr(a, -b) !== 0];
    case 'mul': return [d2b(a * b), twoProdErr(a, b) !== 0];
    case 'div': { const q = a / b; return [d2b(q), q * b !== a || twoProdErr(q, b) !== 0]; }
    case 'sqrt': { const r = Math.sqrt(b); return [d2b(r), r * r !== b || twoProdErr(r, r) !== 0]; }
    case 'min': return [d2b(a < b ? a : b), false];
    case 'max': return [d2b(a > b ? a : b), false];
  }
}

describe.runIf(hasNasm)('SSE/SSE2 floating point (core against independent references)', () => {
  beforeAll(async () => {
    machine = await Machine.create({ memory: 1 << 20, flat: true });
  });
  const rnd = prng(0x55e2);
  const r32 = (lo: number, hi: number): number => {
    const e = lo + (rnd() % (hi - lo + 1));
    const f = (1 + (rnd() & 0x7fffff) / 0x800000) * 2 ** e;
    return Math.fround(rnd() & 1 ? -f : f);
  };
  const r64 = (lo: number, hi: number): number => {
    const f = (1 + (rnd() * 2 ** 20 + (rnd() >>> 12)) / 2 ** 52) * 2 ** (lo + (rnd() % (hi - lo + 1)));
    return rnd() & 1 ? -f : f;
  };

  const OPS: [Op, string][] = [['add', 'add'], ['sub', 'sub'], ['mul', 'mul'], ['div', 'div'], ['min', 'min'], ['max', 'max'], ['sqrt', 'sqrt']];
  for (const [op, mn] of OPS) {
    it(`${mn.toUpperCase()}PS/PD/SS/SD, register and memory sources, round to nearest`, async () => {
      for (let i = 0; i < 12; i++) {
        const mem = (i & 1) === 1;
        // singles
        const a = [0, 1, 2, 3].map(() => r32(-10, 10));
        const b = [0, 1, 2, 3].map(() => op === 'sqrt' ? Math.abs(r32(-10, 10)) : r32(-10, 10));
        const res = a.map((x, k) => ref32(op, x, b[k]!));
        const src = ps(b[0]!, b[1]!, b[2]!, b[3]!);
        const dst = ps(a[0]!, a[1]!, a[2]!, a[3]!);
        const init = (s: [bigint, bigint]): Init => ({ xmm: { 1: dst, 2: s }, mem: { [DATA]: bytes128(s) } });
        let o = await run(`${mn}ps xmm1, ${mem ? `[${DATA}]` : 'xmm2'}`, init(src));
        expect(hex(o.xmm(1)), `${mn}ps ${a} ${b}`).toBe(hex(lanes(res[0]![0], res[1]![0], res[2]![0], res[3]![0])));
        expect(o.mxcsr).toBe(MX0 | (res.some((r) => r[1]) ? PE : 0));
        o = await run(`${mn}ss xmm1, ${mem ? `dword [${DATA}]` : 'xmm2'}`, init(src));
        expect(hex(o.xmm(1)), `${mn}ss ${a} ${b}`).toBe(hex(lanes(res[0]![0], lane(dst, 1), lane(dst, 2), lane(dst, 3))));
        expect(o.mxcsr).toBe(MX0 | (res[0]![1] ? PE : 0));
        // doubles
        const c = [0, 1].map(() => r64(-100, 100));
        const d = [0, 1].map(() => op === 'sqrt' ? Math.abs(r64(-100, 100)) : r64(-100, 100));
        const rd = c.map((x, k) => ref64(op, x, d[k]!));
        const srcd = pd(d[0]!, d[1]!);
        const dstd = pd(c[0]!, c[1]!);
        const initd = { xmm: { 3: dstd, 4: srcd }, mem: { [DATA + 0x40]: bytes128(srcd) } };
        o = await run(`${mn}pd xmm3, ${mem ? `[${DATA + 0x40}]` : 'xmm4'}`, initd);
        expect(hex(o.xmm(3)), `${mn}pd ${c} ${d}`).toBe(hex([rd[0]![0], rd[1]![0]]));
        expect(o.mxcsr).toBe(MX0 | (rd.some((r) => r[1]) ? PE : 0));
        o = await run(`${mn}sd xmm3, ${mem ? `qword [${DATA + 0x40}]` : 'xmm4'}`, initd);
        expect(hex(o.xmm(3)), `${mn}sd ${c} ${d}`).toBe(hex([rd[0]![0], dstd[1]]));
        expect(o.mxcsr).toBe(MX0 | (rd[0]![1] ? PE : 0));
      }
    });
  }

  it('scalar memory operands are 32/64 bits and need no alignment; packed ones #GP when misaligned', async () => {
    const mem = { [DATA + 3]: Uint8Array.from([0, 0, 0x80, 0x3f, 0xff, 0xff, 0xff, 0xff]) }; // 1.0f then junk
    let o = await run(`addss xmm1, dword [${DATA + 3}]`, { xmm: { 1: ps(2, 5, 6, 7) }, mem });
    expect(hex(o.xmm(1))).toBe(hex(ps(3, 5, 6, 7)));
    o = await run(`addps xmm1, [${DATA + 8}]`, { xmm: { 1: ps(2, 5, 6, 7) } });
    expect(o.vectors).toEqual([13]);
    expect(hex(o.xmm(1))).toBe(hex(ps(2, 5, 6, 7)));
    o = await run(`addsd xmm1, qword [${DATA + 0xff9}]`, { xmm: { 1: pd(1, 9) }, mem: { [DATA + 0xff9]: bytes128(pd(0.5, 0)).slice(0, 8) } });
    expect(hex(o.xmm(1))).toBe(hex(pd(1.5, 9)));
  });

  it('rounds by MXCSR.RC (ADDSS, DIVSD, SQRTSS, CVTSD2SS) and sets PE', async () => {
    const one = 1, tiny = 2 ** -30;
    const cases: [number, number][] = [[0, f2b(1)], [1, f2b(1)], [2, f2b(1) + 1], [3, f2b(1)]];
    for (const [rc, want] of cases) {
      const o = await run('addss xmm1, xmm2', { xmm: { 1: ps(one, 0, 0, 0), 2: ps(tiny, 0, 0, 0) }, mxcsr: MX0 | (rc << 13) });
      expect(lane(o.xmm(1), 0), `rc ${rc}`).toBe(want);
      expect(o.mxcsr & 0x3f).toBe(PE);
    }
    // 1/3 in double: the nearest is below (…5555), rounding up gives …5556
    const third = d2b(1 / 3);
    for (const [rc, want] of [[0, third], [1, third], [2, third + 1n], [3, third]] as [number, bigint][]) {
      const o = await run('divsd xmm1, xmm2', { xmm: { 1: pd(1, 7), 2: pd(3, 0) }, mxcsr: MX0 | (rc << 13) });
      expect(o.xmm(1)[0], `rc ${rc}`).toBe(want);
      expect(o.xmm(1)[1]).toBe(d2b(7));
    }
    // sqrt(2) in single: 0x3fb504f3 is nearest and above the true value
    for (const [rc, want] of [[0, 0x3fb504f3], [1, 0x3fb504f3], [2, 0x3fb504f3 + 1], [3, 0x3fb504f3]]) {
      const o = await run('sqrtss xmm1, xmm2', { xmm: { 1: ps(0, 1, 2, 3), 2: ps(2, 0, 0, 0) }, mxcsr: MX0 | (rc! << 13) });
      expect(lane(o.xmm(1), 0), `rc ${rc}`).toBe(want);
      expect(lane(o.xmm(1), 3)).toBe(f2b(3));
    }
    // 1 + 2^-24 + 2^-40 to single: above the halfway point
    for (const [rc, want] of [[0, f2b(1) + 1], [1, f2b(1)], [2, f2b(1) + 1], [3, f2b(1)]]) {
      const o = await run('cvtsd2ss xmm1, xmm2', { xmm: { 1: ps(0, 1, 2, 3), 2: pd(1 + 2 ** -24 + 2 ** -40, 0) }, mxcsr: MX0 | (rc! << 13) });
      expect(hex(o.xmm(1)), `rc ${rc}`).toBe(hex(lanes(want!, f2b(1), f2b(2), f2b(3))));
      expect(o.mxcsr & 0x3f).toBe(PE);
    }
  });

  it('masked exceptions: the default results and the flags of every lane ORed', async () => {
    // 1/0 = inf (ZE), 0/0 = QNaN indefinite (IE), 1e30*1e30 = inf (OE PE), 1e-30*1e-30 = 0 (UE PE)
    let o = await run('divps xmm1, xmm2', { xmm: { 1: ps(1, 0, 3, -1), 2: ps(0, 0, 2, -0) } });
    expect(hex(o.xmm(1))).toBe(hex(lanes(0x7f800000, 0xffc00000, f2b(1.5), 0x7f800000)));
    expect(o.mxcsr).toBe(MX0 | ZE | IE);
    o = await run('mulps xmm1, xmm2', { xmm: { 1: ps(1e30, 1e-30, 1, 1), 2: ps(1e30, 1e-30, 1, 1) } });
    expect(hex(o.xmm(1))).toBe(hex(lanes(0x7f800000, 0, f2b(1), f2b(1))));
    expect(o.mxcsr).toBe(MX0 | OE | UE | PE);
    // a QNaN operand propagates (the first source's NaN for two NaNs), an SNaN is quieted with IE
    o = await run('addps xmm1, xmm2', { xmm: { 1: lanes(0x7fc00001, 0x7f800001, f2b(1), 0xffc00002), 2: lanes(f2b(1), f2b(1), 0x7fc00003, 0x7fc00004) } });
    expect(hex(o.xmm(1))).toBe(hex(lanes(0x7fc00001, 0x7fc00001, 0x7fc00003, 0xffc00002)));
    expect(o.mxcsr).toBe(MX0 | IE);
    // sqrt of a negative number: the indefinite with IE; a denormal operand: DE
    o = await run('sqrtsd xmm1, xmm2', { xmm: { 1: pd(0, 5), 2: pd(-4, 0) } });
    expect(hex(o.xmm(1))).toBe(hex([0xfff8000000000000n, d2b(5)]));
    expect(o.mxcsr).toBe(MX0 | IE);
    o = await run('addss xmm1, xmm2', { xmm: { 1: lanes(1, 0, 0, 0), 2: lanes(f2b(1), 0, 0, 0) } });
    expect(lane(o.xmm(1), 0)).toBe(f2b(1));
    expect(o.mxcsr).toBe(MX0 | DE | PE);
  });

  it('DAZ reads denormal sources as zero, FTZ flushes tiny results (with UE PE)', async () => {
    let o = await run('addss xmm1, xmm2', { xmm: { 1: lanes(1, 0, 0, 0), 2: lanes(0x80000005, 0, 0, 0) }, mxcsr: MX0 | 0x40 });
    expect(lane(o.xmm(1), 0)).toBe(0); // +0 + -0 = +0
    expect(o.mxcsr).toBe(MX0 | 0x40);
    o = await run('mulss xmm1, xmm2', { xmm: { 1: ps(1e-20, 0, 0, 0), 2: ps(-1e-20, 0, 0, 0) }, mxcsr: MX0 | 0x8000 });
    expect(lane(o.xmm(1), 0)).toBe(0x80000000);
    expect(o.mxcsr).toBe(MX0 | 0x8000 | UE | PE);
  });

  it('unmasked exceptions: #XM (or #UD without OSXMMEXCPT), nothing written, the flags still set', async () => {
    const xmm = { 1: ps(1, 2, 3, 4), 2: ps(0, 3, 1, 1) };
    let o = await run('divps xmm1, xmm2', { xmm, mxcsr: MX0 & ~(ZE << 7) });
    expect(o.vectors).toEqual([19]);
    expect(hex(o.xmm(1))).toBe(hex(ps(1, 2, 3, 4)));
    // an unmasked pre-computation exception stops the instruction: PE of lane 1 is not reported
    expect(o.mxcsr).toBe((MX0 & ~(ZE << 7)) | ZE);
    o = await run('divps xmm1, xmm2', { xmm, mxcsr: MX0 & ~(ZE << 7), cr4: 0x200 });
    expect(o.vectors).toEqual([6]);
    expect(hex(o.xmm(1))).toBe(hex(ps(1, 2, 3, 4)));
    // an unmasked precision exception: the masked ZE of lane 0 and PE both reported
    o = await run('divps xmm1, xmm2', { xmm, mxcsr: MX0 & ~(PE << 7) });
    expect(o.vectors).toEqual([19]);
    expect(o.mxcsr).toBe((MX0 & ~(PE << 7)) | ZE | PE);
    expect(hex(o.xmm(1))).toBe(hex(ps(1, 2, 3, 4)));
    // a scalar form only looks at the low lane
    o = await run('divss xmm1, xmm2', { xmm: { 1: ps(1, 2, 3, 4), 2: ps(2, 0, 0, 0) }, mxcsr: MX0 & ~(ZE << 7) });
    expect(o.vectors).toEqual([]);
    expect(hex(o.xmm(1))).toBe(hex(ps(0.5, 2, 3, 4)));
    // COMISS with an unmasked IE leaves EFLAGS alone
    o = await run('comiss xmm1, xmm2', { xmm: { 1: lanes(0x7fc00000, 0, 0, 0), 2: ps(1, 0, 0, 0) }, mxcsr: MX0 & ~(IE << 7), eflags: 0x8d7 });
    expect(o.vectors).toEqual([19]);
    expect(o.eflags & 0x8d5).toBe(0x8d5);
    // a conversion to integer: CVTTSD2SI with unmasked IE leaves the register alone
    o = await run('cvttsd2si eax, xmm2', { xmm: { 2: pd(3e9, 0) }, regs: { 0: 0x1234 }, mxcsr: MX0 & ~(IE << 7) });
    expect(o.vectors).toEqual([19]);
    expect(o.reg(0)).toBe(0x1234);
    expect(o.mxcsr & 0x3f).toBe(IE);
  });

  it('CMPPS/CMPPD/CMPSS/CMPSD: the eight predicates, NaNs and their IE', async () => {
    const QN = NaN;
    const pairs: [number, number][] = [[1, 2], [2, 1], [3, 3], [0, -0], [QN, 1], [1, QN], [-Infinity, 5], [Infinity, Infinity]];
    const pred = (p: number, a: number, b: number) => {
      const un = Number.isNaN(a) || Number.isNaN(b);
      switch (p) {
        case 0: return a === b;
        case 1: return a < b;
        case 2: return a <= b;
        case 3: return un;
        case 4: return !(a === b);
        case 5: return !(a < b);
        case 6: return !(a <= b);
        default: return !un;
      }
    };
    for (let p = 0; p < 8; p++) {
      for (let i = 0; i < pairs.length; i += 4) {
        const a = pairs.slice(i, i + 4).map((x) => x[0]);
        const b = pairs.slice(i, i + 4).map((x) => x[1]);
        const want = a.map((x, k) => (pred(p, x, b[k]!) ? 0xffffffff : 0));
        const nan = a.some((x, k) => Number.isNaN(x) || Number.isNaN(b[k]!));
        const ie = nan && [1, 2, 5, 6].includes(p) ? IE : 0;
        let o = await run(`cmpps xmm1, xmm2, ${p | 8 * (i & 1)}`, { xmm: { 1: ps(a[0]!, a[1]!, a[2]!, a[3]!), 2: ps(b[0]!, b[1]!, b[2]!, b[3]!) } });
        expect(hex(o.xmm(1)), `cmpps ${p} ${a} ${b}`).toBe(hex(lanes(want[0]!, want[1]!, want[2]!, want[3]!)));
        expect(o.mxcsr).toBe(MX0 | ie);
        o = await run(`cmppd xmm1, [${DATA}], ${p}`, { xmm: { 1: pd(a[0]!, a[1]!) }, mem: { [DATA]: bytes128(pd(b[0]!, b[1]!)) } });
        const w64 = (k: number) => (want[k] ? M64 : 0n);
        expect(hex(o.xmm(1)), `cmppd ${p}`).toBe(hex([w64(0), w64(1)]));
        o = await run(`cmpss xmm1, xmm2, ${p}`, { xmm: { 1: ps(a[2]!, 7, 8, 9), 2: ps(b[2]!, 0, 0, 0) } });
        expect(hex(o.xmm(1)), `cmpss ${p}`).toBe(hex(lanes(want[2]!, f2b(7), f2b(8), f2b(9))));
        o = await run(`cmpsd xmm1, [${DATA + 4}], ${p}`, { xmm: { 1: pd(a[3]!, 7) }, mem: { [DATA + 4]: bytes128(pd(b[3]!, 0)) } });
        expect(hex(o.xmm(1)), `cmpsd ${p}`).toBe(hex([w64(3), d2b(7)]));
      }
    }
    // an SNaN raises IE for every predicate
    const o = await run('cmpss xmm1, xmm2, 0', { xmm: { 1: lanes(0x7f800001, 0, 0, 0), 2: ps(1, 0, 0, 0) } });
    expect(lane(o.xmm(1), 0)).toBe(0);
    expect(o.mxcsr).toBe(MX0 | IE);
  });

  it('COMISS/UCOMISS/COMISD/UCOMISD set ZF PF CF and clear OF SF AF', async () => {
    const cases: [number, number, number][] = [[1, 2, 0x01], [2, 1, 0], [3, 3, 0x40], [0, -0, 0x40], [NaN, 1, 0x45], [-Infinity, 1, 0x01]];
    for (const [a, b, f] of cases) {
      for (const mn of ['comiss', 'ucomiss', 'comisd', 'ucomisd']) {
        const d = mn.endsWith('d');
        const o = await run(`${mn} xmm1, xmm2`, { xmm: d ? { 1: pd(a, 0), 2: pd(b, 0) } : { 1: ps(a, 0, 0, 0), 2: ps(b, 0, 0, 0) }, eflags: 0x8d7 });
        expect(o.eflags & 0x8d5, `${mn} ${a} ${b}`).toBe(f);
        expect(o.mxcsr, `${mn} ${a} ${b}`).toBe(MX0 | (Number.isNaN(a) && mn.startsWith('c') ? IE : 0));
      }
    }
    const o = await run(`ucomiss xmm1, dword [${DATA + 1}]`, { xmm: { 1: ps(1, 0, 0, 0) }, mem: { [DATA + 1]: Uint8Array.from([1, 0, 0x80, 0x7f]) } });
    expect(o.eflags & 0x8d5).toBe(0x45);
    expect(o.mxcsr).toBe(MX0 | IE); // an SNaN
  });

  it('MOVSS/MOVSD, MOVLPS/MOVHPS/MOVHLPS/MOVLHPS, MOVLPD/MOVHPD, MOVNTPS, MOVMSKPS/PD', async () => {
    const a: [bigint, bigint] = [0x1111111122222222n, 0x3333333344444444n];
    const b: [bigint, bigint] = [0x5555555566666666n, 0x7777777788888888n];
    const mem = { [DATA]: bytes128(b) };
    const cases: [string, [bigint, bigint]][] = [
      ['movss xmm1, xmm2', [0x1111111166666666n, a[1]]],
      [`movss xmm1, [${DATA}]`, [0x66666666n, 0n]],
      ['movsd xmm1, xmm2', [b[0], a[1]]],
      [`movsd xmm1, [${DATA}]`, [b[0], 0n]],
      [`movlps xmm1, [${DATA + 8}]`, [b[1], a[1]]],
      ['movhlps xmm1, xmm2', [b[1], a[1]]],
      [`movhps xmm1, [${DATA}]`, [a[0], b[0]]],
      ['movlhps xmm1, xmm2', [a[0], b[0]]],
      [`movlpd xmm1, [${DATA + 8}]`, [b[1], a[1]]],
      [`movhpd xmm1, [${DATA + 8}]`, [a[0], b[1]]],
      ['unpcklps xmm1, xmm2', [0x6666666622222222n, 0x5555555511111111n]],
      ['unpckhps xmm1, xmm2', [0x8888888844444444n, 0x7777777733333333n]],
      [`unpcklpd xmm1, [${DATA}]`, [a[0], b[0]]],
      ['unpckhpd xmm1, xmm2', [a[1], b[1]]],
      ['shufps xmm1, xmm2, 0x1b', [0x4444444433333333n, 0x6666666655555555n]], // d3 d2 | s1 s0 (fields 3 2 1 0)
      [`shufps xmm1, [${DATA}], 0xe4`, [a[0], b[1]]],
      ['shufpd xmm1, xmm2, 1', [a[1], b[0]]],
      ['shufpd xmm1, xmm2, 2', [a[0], b[1]]],
      ['andps xmm1, xmm2', [a[0] & b[0], a[1] & b[1]]],
      ['andnpd xmm1, xmm2', [~a[0] & b[0] & M64, ~a[1] & b[1] & M64]],
      ['orps xmm1, xmm2', [a[0] | b[0], a[1] | b[1]]],
      [`xorpd xmm1, [${DATA}]`, [a[0] ^ b[0], a[1] ^ b[1]]],
    ];
    for (const [src, want] of cases) {
      const o = await run(src, { xmm: { 1: a, 2: b }, mem });
      expect(hex(o.xmm(1)), src).toBe(hex(want));
      expect(hex(o.xmm(2)), src).toBe(hex(b));
      expect(o.mxcsr).toBe(MX0);
    }
    // stores
    const stores: [string, number, number[]][] = [
      [`movss [${DATA + 0x101}], xmm1`, DATA + 0x100, [0x22222200, 0x22, 0]],
      [`movsd [${DATA + 0x100}], xmm1`, DATA + 0x100, [0x22222222, 0x11111111, 0]],
      [`movlps [${DATA + 0x100}], xmm1`, DATA + 0x100, [0x22222222, 0x11111111, 0]],
      [`movhpd [${DATA + 0x104}], xmm1`, DATA + 0x100, [0, 0x44444444, 0x33333333]],
      [`movntps [${DATA + 0x100}], xmm1`, DATA + 0x108, [0x44444444, 0x33333333, 0]],
    ];
    for (const [src, at, want] of stores) {
      const o = await run(src, { xmm: { 1: a }, mem: { [DATA + 0x100]: new Uint8Array(32) } });
      expect([0, 4, 8].map((k) => o.mem32(at + k)), src).toEqual(want);
    }
    let o = await run('movss xmm2, xmm1', { xmm: { 1: a, 2: b } });
    expect(hex(o.xmm(2))).toBe(hex([0x5555555522222222n, b[1]]));
    o = await run(`movntpd [${DATA + 8}], xmm1`, { xmm: { 1: a } });
    expect(o.vectors).toEqual([13]);
    o = await run('movhlps xmm1, xmm2\ndb 0x66, 0x0f, 0x12, 0xca', { xmm: { 1: a, 2: b } });
    expect(o.vectors).toEqual([6]); // MOVLPD has no register form
    o = await run('movmskps eax, xmm1\nmovmskpd ecx, xmm2', { xmm: { 1: lanes(0x80000000, 1, 0xffffffff, 0x7fffffff), 2: [1n << 63n, 0x7fffffffffffffffn] }, regs: { 0: -1, 1: -1 } });
    expect(o.reg(0)).toBe(5);
    expect(o.reg(1)).toBe(1);
  });

  it('integer conversions: CVTSI2SS/SD, CVT(T)SS2SI, CVT(T)SD2SI under each rounding mode', async () => {
    // CVTSI2SS of values above 2^24: [value, RN, RD, RU, RZ]
    const si: number[][] = [[16777217, 16777216, 16777216, 16777218, 16777216], [-16777217, -16777216, -16777218, -16777216, -16777216],
      [16777219, 16777220, 16777218, 16777220, 16777218], [0x7fffffff, 2 ** 31, 2 ** 31 - 128, 2 ** 31, 2 ** 31 - 128]];
    for (const [v, ...w] of si) {
      for (let rc = 0; rc < 4; rc++) {
        const o = await run('cvtsi2ss xmm1, eax', { xmm: { 1: ps(0, 1, 2, 3) }, regs: { 0: v! }, mxcsr: MX0 | (rc << 13) });
        expect(hex(o.xmm(1)), `${v} rc ${rc}`).toBe(hex(ps(w[rc]!, 1, 2, 3)));
        expect(o.mxcsr & 0x3f).toBe(PE);
      }
      const o = await run(`cvtsi2sd xmm1, dword [${DATA}]`, { xmm: { 1: pd(0, 1) }, mem: { [DATA]: Uint8Array.from([v! & 255, (v! >> 8) & 255, (v! >> 16) & 255, (v! >>> 24) & 255]) } });
      expect(hex(o.xmm(1))).toBe(hex(pd(v!, 1)));
      expect(o.mxcsr).toBe(MX0);
    }
    // float to int: [value, RN, RD, RU, RZ]
    const fi: number[][] = [[2.5, 2, 2, 3, 2], [-2.5, -2, -3, -2, -2], [3.5, 4, 3, 4, 3], [-0.75, -1, -1, 0, 0], [1e9 + 0.25, 1e9, 1e9, 1e9 + 1, 1e9]];
    for (const [v, ...w] of fi) {
      for (let rc = 0; rc < 4; rc++) {
        const mx = MX0 | (rc << 13);
        if (Math.fround(v!) === v) {
          let o = await run('cvtss2si eax, xmm1', { xmm: { 1: ps(v!, 0, 0, 0) }, mxcsr: mx });
          expect(o.reg(0) | 0, `cvtss2si ${v} rc ${rc}`).toBe(w[rc]);
          expect(o.mxcsr).toBe(mx | PE);
          o = await run('cvttss2si eax, xmm1', { xmm: { 1: ps(v!, 0, 0, 0) }, mxcsr: mx });
          expect(o.reg(0) | 0).toBe(w[3]);
        }
        let o = await run(`cvtsd2si ecx, [${DATA}]`, { mem: { [DATA]: bytes128(pd(v!, 0)) }, mxcsr: mx });
        expect(o.reg(1) | 0, `cvtsd2si ${v} rc ${rc}`).toBe(w[rc]);
        expect(o.mxcsr).toBe(mx | PE);
        o = await run('cvttsd2si ecx, xmm3', { xmm: { 3: pd(v!, 0) }, mxcsr: mx });
        expect(o.reg(1) | 0).toBe(w[3]);
      }
    }
    // out of range and NaN: the integer indefinite with IE; exact: no flag
    for (const [v, want, f] of [[3e9, 0x80000000, IE], [-2147483648, 0x80000000, 0], [NaN, 0x80000000, IE], [-2147483649, 0x80000000, IE], [2147483647, 0x7fffffff, 0], [-0, 0, 0]] as number[][]) {
      const o = await run('cvttsd2si eax, xmm1', { xmm: { 1: pd(v!, 0) } });
      expect(o.reg(0), `${v}`).toBe(want);
      expect(o.mxcsr).toBe(MX0 | f!);
    }
  });

  it('packed conversions: CVTDQ2PS CVT(T)PS2DQ CVTPS2PD CVTPD2PS CVT(T)PD2DQ CVTDQ2PD CVTSS2SD', async () => {
    const rne = (x: number) => { const f = Math.floor(x); const d = x - f; return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f; };
    for (let i = 0; i < 16; i++) {
      const ints = [0, 1, 2, 3].map(() => (rnd() | 0) >> (rnd() % 16));
      let o = await run('cvtdq2ps xmm1, xmm2', { xmm: { 2: lanes(ints[0]!, ints[1]!, ints[2]!, ints[3]!) } });
      expect(hex(o.xmm(1))).toBe(hex(ps(ints[0]!, ints[1]!, ints[2]!, ints[3]!)));
      expect(o.mxcsr).toBe(MX0 | (ints.some((v) => Math.fround(v) !== v) ? PE : 0));
      o = await run(`cvtdq2pd xmm1, [${DATA + 4}]`, { mem: { [DATA + 4]: bytes128(lanes(ints[0]!, ints[1]!, 0, 0)) }, xmm: { 1: pd(9, 9) } });
      expect(hex(o.xmm(1))).toBe(hex(pd(ints[0]!, ints[1]!)));
      const fl = [0, 1, 2, 3].map(() => r32(-4, 29));
      const n = fl.map(rne);
      const t = fl.map(Math.trunc);
      const inexact = fl.some((x) => !Number.isInteger(x)) ? PE : 0;
      o = await run('cvtps2dq xmm1, xmm2', { xmm: { 2: ps(fl[0]!, fl[1]!, fl[2]!, fl[3]!) } });
      expect(hex(o.xmm(1)), `${fl}`).toBe(hex(lanes(n[0]!, n[1]!, n[2]!, n[3]!)));
      expect(o.mxcsr).toBe(MX0 | inexact);
      o = await run('cvttps2dq xmm1, xmm2', { xmm: { 2: ps(fl[0]!, fl[1]!, fl[2]!, fl[3]!) }, mxcsr: MX0 | 0x2000 });
      expect(hex(o.xmm(1))).toBe(hex(lanes(t[0]!, t[1]!, t[2]!, t[3]!)));
      o = await run('cvtps2pd xmm1, xmm2', { xmm: { 1: pd(9, 9), 2: ps(fl[0]!, fl[1]!, fl[2]!, fl[3]!) } });
      expect(hex(o.xmm(1))).toBe(hex(pd(fl[0]!, fl[1]!)));
      expect(o.mxcsr).toBe(MX0);
      const db = [r64(-30, 30), r64(-30, 30)];
      o = await run('cvtpd2ps xmm1, xmm2', { xmm: { 1: ps(9, 9, 9, 9), 2: pd(db[0]!, db[1]!) } });
      expect(hex(o.xmm(1))).toBe(hex(ps(db[0]!, db[1]!, 0, 0)));
      expect(o.mxcsr).toBe(MX0 | PE);
      const dd = [r64(-3, 30), r64(-3, 30)];
      o = await run('cvtpd2dq xmm1, xmm2', { xmm: { 1: ps(9, 9, 9, 9), 2: pd(dd[0]!, dd[1]!) } });
      expect(hex(o.xmm(1))).toBe(hex(lanes(rne(dd[0]!), rne(dd[1]!), 0, 0)));
      o = await run('cvttpd2dq xmm1, xmm2', { xmm: { 1: ps(9, 9, 9, 9), 2: pd(dd[0]!, dd[1]!) } });
      expect(hex(o.xmm(1))).toBe(hex(lanes(Math.trunc(dd[0]!), Math.trunc(dd[1]!), 0, 0)));
      o = await run('cvtss2sd xmm1, xmm2', { xmm: { 1: pd(9, 8), 2: ps(fl[0]!, 0, 0, 0) } });
      expect(hex(o.xmm(1))).toBe(hex(pd(fl[0]!, 8)));
      o = await run('cvtsd2ss xmm1, xmm2', { xmm: { 1: ps(9, 8, 7, 6), 2: pd(db[0]!, 0) } });
      expect(hex(o.xmm(1))).toBe(hex(ps(db[0]!, 8, 7, 6)));
    }
    // NaNs: CVTSS2SD keeps the payload, quiets an SNaN with IE; CVTPD2PS overflow gives OE PE
    let o = await run('cvtss2sd xmm1, xmm2', { xmm: { 2: lanes(0xff800001, 0, 0, 0) } });
    expect(o.xmm(1)[0]).toBe(0xfff8000020000000n);
    expect(o.mxcsr).toBe(MX0 | IE);
    o = await run('cvtpd2ps xmm1, xmm2', { xmm: { 2: pd(1e300, -1e-300) } });
    expect(hex(o.xmm(1))).toBe(hex(lanes(0x7f800000, 0x80000000, 0, 0)));
    expect(o.mxcsr).toBe(MX0 | OE | UE | PE);
    o = await run('cvtps2dq xmm1, xmm2', { xmm: { 2: ps(3e9, -3e9, NaN, Infinity) } });
    expect(hex(o.xmm(1))).toBe(hex(lanes(0x80000000, 0x80000000, 0x80000000, 0x80000000)));
    expect(o.mxcsr).toBe(MX0 | IE);
  });

  it('MMX-operand conversions: CVTPI2PS/PD, CVT(T)PS2PI, CVT(T)PD2PI and the x87-to-MMX transition', async () => {
    const mmv = BigInt(16777217) | (BigInt(-5 >>> 0) << 32n);
    let o = await run('fninit\nfld1\ncvtpi2ps xmm1, mm2', { xmm: { 1: ps(1, 2, 3, 4) }, mm: { 2: mmv } });
    expect(hex(o.xmm(1))).toBe(hex(ps(16777216, -5, 3, 4)));
    expect(o.mxcsr).toBe(MX0 | PE);
    expect(o.m.core.get32(L.FPU_TAG)).toBe(0xff);
    expect((o.m.core.get32(L.FPU_SW) >> 11) & 7).toBe(0);
    o = await run(`fninit\nfld1\ncvtpi2pd xmm1, [${DATA}]`, { xmm: { 1: ps(1, 2, 3, 4) }, mem: { [DATA]: bytes128([mmv, 0n]) } });
    expect(hex(o.xmm(1))).toBe(hex(pd(16777217, -5)));
    expect(o.m.core.get32(L.FPU_TAG)).toBe(0x80); // a memory operand: no transition
    expect((o.m.core.get32(L.FPU_SW) >> 11) & 7).toBe(7);
    o = await run('cvtps2pi mm3, xmm1', { xmm: { 1: ps(2.5, -7.5, 9, 9) } });
    expect(o.mm(3)).toBe(2n | (BigInt(-8 >>> 0) << 32n));
    expect(o.m.core.get32(L.FPU_REGS + 48 + 8) & 0xffff).toBe(0xffff);
    expect(o.mxcsr).toBe(MX0 | PE);
    o = await run(`cvttps2pi mm3, [${DATA + 4}]`, { mem: { [DATA + 4]: bytes128(ps(2.5, -7.5, 0, 0)) } });
    expect(o.mm(3)).toBe(2n | (BigInt(-7 >>> 0) << 32n));
    o = await run(`cvtpd2pi mm0, [${DATA}]`, { mem: { [DATA]: bytes128(pd(1e10, 0.5)) } });
    expect(o.mm(0)).toBe(0x80000000n);
    expect(o.mxcsr).toBe(MX0 | IE | PE);
    o = await run('cvttpd2pi mm0, xmm1', { xmm: { 1: pd(-3.9, 3.9) } });
    expect(o.mm(0)).toBe(BigInt(-3 >>> 0) | (3n << 32n));
    o = await run(`cvttpd2pi mm0, [${DATA + 8}]`);
    expect(o.vectors).toEqual([13]);
  });

  it('the SSE checks before the operation: #UD (CR4.OSFXSR clear, CR0.EM, a register-only form with memory), #NM (CR0.TS); the mandatory prefix', async () => {
    const xmm = { 1: ps(1, 2, 3, 4), 2: ps(1, 1, 1, 1) };
    const cases: [string, Init, number][] = [
      ['addps xmm1, xmm2', { xmm, cr4: 0 }, 6],
      ['cvtsi2sd xmm1, eax', { xmm, cr0: 0x35 }, 6], // EM
      ['sqrtpd xmm1, xmm2', { xmm, cr0: 0x39 }, 7], // TS
      ['cvtpi2ps xmm1, mm0', { xmm, cr0: 0x39 }, 7],
      [`db 0x0f, 0x50, 0x03`, { xmm }, 6], // MOVMSKPS eax, [ebx]
      [`db 0x0f, 0x13, 0xca`, { xmm }, 6], // MOVLPS xmm2, xmm1: memory only
      [`db 0xf3, 0x0f, 0x2b, 0x08`, { xmm }, 6], // MOVNTPS has no F3 form
    ];
    for (const [src, init, v] of cases) {
      const o = await run(src, init);
      expect(o.vectors, src).toEqual([v]);
      expect(hex(o.xmm(1)), src).toBe(hex(ps(1, 2, 3, 4)));
    }
    // F3 wins over 66: ADDSS
    const o = await run('db 0x66, 0xf3, 0x0f, 0x58, 0xca', { xmm });
    expect(hex(o.xmm(1))).toBe(hex(ps(2, 2, 3, 4)));
  });

  it('works in real mode with 16-bit addressing (alignment by the linear address)', async () => {
    const m = machine;
    const c = m.core;
    const vectors: number[] = [];
    m.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
    c.exports.reset();
    c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
    c.setSeg(1, 0x1000, 0x10000, 0xffff, 0x9b00);
    c.setSeg(3, 0x2001, 0x20010, 0xffff, 0x9300); // DS base 20010h: aligned at offset 0
    for (const s of [0, 2, 4, 5]) c.setSeg(s, 0, 0, 0xffff, 0x9300);
    c.set32(L.CR + 16, 0x600);
    c.setReg32(3, 0x20); // BX
    c.setReg32(6, 0x10); // SI
    c.eip = 0;
    m.writePhys(0x10000, assemble('mulpd xmm1, [bx+si]\naddsd xmm1, [bx+si+8]\ndivps xmm2, [bx+1]', 'BITS 16\nORG 0'));
    m.writePhys(0x20040, bytes128(pd(3, 0.5)));
    c.dv.setBigUint64(L.XMM + 16, d2b(2), true);
    c.dv.setBigUint64(L.XMM + 24, d2b(4), true);
    c.exports.stateChanged();
    m.run(c.icount + 100n);
    expect(vectors).toEqual([13]); // DIVPS: DS:21h is not 16-byte aligned
    expect(c.eip).toBe(9);
    expect([c.get64(L.XMM + 16), c.get64(L.XMM + 24)]).toEqual([d2b(6.5), d2b(2)]);
  });
});
