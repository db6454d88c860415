/**
 * MMX and SSE2 integer instructions and integer data moves against a reference model written
 * here from the SDM instruction pages (BigInt lanes), with seeded random operands per form, both
 * the register and the memory source forms; plus the checks the native fixture cannot make
 * (#GP for misaligned m128, #UD without CR4.OSFXSR or with CR0.EM, MASKMOVQ/MASKMOVDQU with a
 * 16-bit address size, the MMX state after an MMX instruction).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { prng } from './helpers/prng.js';
import { assembleSnippet, requireTool } from './helpers/tools.js';

const hasNasm = requireTool('nasm', 'nasm');

const assemble = assembleSnippet;

const CODE = 0x100000;
const DATA = 0x10000;
const CR4_OSFXSR = 1 << 9;

interface Opts { cr0?: number; cr4?: number; data?: Uint8Array; at?: number; memory?: number; bits?: 16 | 32; ds?: [number, number, number] }
async function flat32(src: string, opts: Opts = {}) {
  const m = await Machine.create({ memory: opts.memory ?? 4 << 20, flat: true });
  const vectors: number[] = [];
  m.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
  const c = m.core;
  c.exports.reset();
  c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
  const big = opts.bits === 16 ? 0x00009b00 : 0x00c09b00;
  c.setSeg(1, 0x08, 0, 0xffffffff, big);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x10, 0, 0xffffffff, 0x00c09300);
  if (opts.ds) c.setSeg(3, 0x18, ...opts.ds);
  c.set32(L.CR, opts.cr0 ?? 0x31);
  c.set32(L.CR + 16, opts.cr4 ?? CR4_OSFXSR);
  c.setReg32(4, 0x9000);
  c.eip = CODE;
  if (opts.data) m.writePhys(opts.at ?? DATA, opts.data);
  m.writePhys(CODE, assemble(`BITS ${opts.bits ?? 32}\nORG ${CODE}\n${src}\nhlt\n`));
  c.exports.stateChanged();
  return { m, vectors };
}

// ---------------------------------------------------------------- reference model (SDM)
type Bytes = Uint8Array;
const lane = (a: Bytes, i: number, sz: number, signed = false): bigint => {
  let v = 0n;
  for (let k = sz - 1; k >= 0; k--) v = (v << 8n) | BigInt(a[i * sz + k]!);
  return signed ? BigInt.asIntN(sz * 8, v) : v;
};
const setLane = (a: Bytes, i: number, sz: number, v: bigint) => {
  let u = BigInt.asUintN(sz * 8, v);
  for (let k = 0; k < sz; k++) { a[i * sz + k] = Number(u & 0xffn); u >>= 8n; }
};
const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);
const sMin = (sz: number) => -(1n << BigInt(sz * 8 - 1));
const sMax = (sz: number) => (1n << BigInt(sz * 8 - 1)) - 1n;
const uMax = (sz: number) => (1n << BigInt(sz * 8)) - 1n;

type Model = (d: Bytes, s: Bytes, n: number, imm: number) => Bytes;
const lanewise = (sz: number, signed: boolean, f: (a: bigint, b: bigint) => bigint): Model => (d, s, n) => {
  const r = new Uint8Array(n);
  for (let i = 0; i < n / sz; i++) setLane(r, i, sz, f(lane(d, i, sz, signed), lane(s, i, sz, signed)));
  return r;
};
const ones = (sz: number) => uMax(sz);
const BIN: Record<string, Model> = {
  PAND: lanewise(8, false, (a, b) => a & b),
  PANDN: lanewise(8, false, (a, b) => ~a & b),
  POR: lanewise(8, false, (a, b) => a | b),
  PXOR: lanewise(8, false, (a, b) => a ^ b),
  PADDB: lanewise(1, false, (a, b) => a + b), PADDW: lanewise(2, false, (a, b) => a + b),
  PADDD: lanewise(4, false, (a, b) => a + b), PADDQ: lanewise(8, false, (a, b) => a + b),
  PSUBB: lanewise(1, false, (a, b) => a - b), PSUBW: lanewise(2, false, (a, b) => a - b),
  PSUBD: lanewise(4, false, (a, b) => a - b), PSUBQ: lanewise(8, false, (a, b) => a - b),
  PADDSB: lanewise(1, true, (a, b) => clamp(a + b, sMin(1), sMax(1))),
  PADDSW: lanewise(2, true, (a, b) => clamp(a + b, sMin(2), sMax(2))),
  PADDUSB: lanewise(1, false, (a, b) => clamp(a + b, 0n, uMax(1))),
  PADDUSW: lanewise(2, false, (a, b) => clamp(a + b, 0n, uMax(2))),
  PSUBSB: lanewise(1, true, (a, b) => clamp(a - b, sMin(1), sMax(1))),
  PSUBSW: lanewise(2, true, (a, b) => clamp(a - b, sMin(2), sMax(2))),
  PSUBUSB: lanewise(1, false, (a, b) => clamp(a - b, 0n, uMax(1))),
  PSUBUSW: lanewise(2, false, (a, b) => clamp(a - b, 0n, uMax(2))),
  PCMPEQB: lanewise(1, false, (a, b) => (a === b ? ones(1) : 0n)),
  PCMPEQW: lanewise(2, false, (a, b) => (a === b ? ones(2) : 0n)),
  PCMPEQD: lanewise(4, false, (a, b) => (a === b ? ones(4) : 0n)),
  PCMPGTB: lanewise(1, true, (a, b) => (a > b ? ones(1) : 0n)),
  PCMPGTW: lanewise(2, true, (a, b) => (a > b ? ones(2) : 0n)),
  PCMPGTD: lanewise(4, true, (a, b) => (a > b ? ones(4) : 0n)),
  PMINUB: lanewise(1, false, (a, b) => (a < b ? a : b)),
  PMAXUB: lanewise(1, false, (a, b) => (a > b ? a : b)),
  PMINSW: lanewise(2, true, (a, b) => (a < b ? a : b)),
  PMAXSW: lanewise(2, true, (a, b) => (a > b ? a : b)),
  PAVGB: lanewise(1, false, (a, b) => (a + b + 1n) >> 1n),
  PAVGW: lanewise(2, false, (a, b) => (a + b + 1n) >> 1n),
  PMULLW: lanewise(2, true, (a, b) => a * b),
  PMULHW: lanewise(2, true, (a, b) => (a * b) >> 16n),
  PMULHUW: lanewise(2, false, (a, b) => (a * b) >> 16n),
  PMADDWD: (d, s, n) => {
    const r = new Uint8Array(n);
    for (let i = 0; i < n / 4; i++) setLane(r, i, 4, lane(d, 2 * i, 2, true) * lane(s, 2 * i, 2, true) + lane(d, 2 * i + 1, 2, true) * lane(s, 2 * i + 1, 2, true));
    return r;
  },
  PMULUDQ: (d, s, n) => {
    const r = new Uint8Array(n);
    for (let i = 0; i < n / 8; i++) setLane(r, i, 8, lane(d, 2 * i, 4) * lane(s, 2 * i, 4));
    return r;
  },
  PSADBW: (d, s, n) => {
    const r = new Uint8Array(n);
    for (let q = 0; q < n / 8; q++) {
      let t = 0n;
      for (let i = 0; i < 8; i++) { const v = lane(d, q * 8 + i, 1) - lane(s, q * 8 + i, 1); t += v < 0n ? -v : v; }
      setLane(r, q, 8, t);
    }
    return r;
  },
};
const pack = (sz: number, unsigned: boolean): Model => (d, s, n) => {
  const r = new Uint8Array(n);
  const k = n / sz;
  const lo = unsigned ? 0n : sMin(sz / 2), hi = unsigned ? uMax(sz / 2) : sMax(sz / 2);
  for (let i = 0; i < k; i++) {
    setLane(r, i, sz / 2, clamp(lane(d, i, sz, true), lo, hi));
    setLane(r, i + k, sz / 2, clamp(lane(s, i, sz, true), lo, hi));
  }
  return r;
};
BIN.PACKSSWB = pack(2, false);
BIN.PACKUSWB = pack(2, true);
BIN.PACKSSDW = pack(4, false);
const unpack = (sz: number, high: boolean): Model => (d, s, n) => {
  const r = new Uint8Array(n);
  const k = n / sz / 2;
  for (let i = 0; i < k; i++) {
    setLane(r, 2 * i, sz, lane(d, i + (high ? k : 0), sz));
    setLane(r, 2 * i + 1, sz, lane(s, i + (high ? k : 0), sz));
  }
  return r;
};
for (const [m, sz] of [['BW', 1], ['WD', 2], ['DQ', 4], ['QDQ', 8]] as const) {
  BIN[`PUNPCKL${m}`] = unpack(sz, false);
  BIN[`PUNPCKH${m}`] = unpack(sz, true);
}
// shifts: the count is the source's low quadword
const shift = (sz: number, kind: 'l' | 'a' | 'r') => (d: Bytes, count: bigint, n: number): Bytes => {
  const r = new Uint8Array(n);
  const w = BigInt(sz * 8);
  for (let i = 0; i < n / sz; i++) {
    const v = lane(d, i, sz, kind === 'a');
    let x: bigint;
    if (kind === 'l') x = count >= w ? 0n : v << count;
    else if (kind === 'r') x = count >= w ? 0n : v >> count;
    else x = v >> (count >= w ? w - 1n : count);
    setLane(r, i, sz, x);
  }
  return r;
};
const SHIFTS: Record<string, [number, 'l' | 'a' | 'r']> = {
  PSRLW: [2, 'r'], PSRLD: [4, 'r'], PSRLQ: [8, 'r'], PSRAW: [2, 'a'], PSRAD: [4, 'a'],
  PSLLW: [2, 'l'], PSLLD: [4, 'l'], PSLLQ: [8, 'l'],
};
const shufw = (s: Bytes, base: number, imm: number, r: Bytes) => {
  for (let i = 0; i < 4; i++) setLane(r, base + i, 2, lane(s, base + ((imm >> (2 * i)) & 3), 2));
};
const SHUF: Record<string, Model> = {
  PSHUFW: (_d, s, n, imm) => { const r = new Uint8Array(n); shufw(s, 0, imm, r); return r; },
  PSHUFD: (_d, s, n, imm) => {
    const r = new Uint8Array(n);
    for (let i = 0; i < 4; i++) setLane(r, i, 4, lane(s, (imm >> (2 * i)) & 3, 4));
    return r;
  },
  PSHUFHW: (_d, s, n, imm) => { const r = s.slice(0, n); shufw(s, 4, imm, r); return r; },
  PSHUFLW: (_d, s, n, imm) => { const r = s.slice(0, n); shufw(s, 0, imm, r); return r; },
};

// ---------------------------------------------------------------- the cases
interface Case { asm: string; d: Bytes; s: Bytes; expect: Bytes; eax?: number; what: string; mask?: Bytes }
const hex = (a: Bytes) => [...a].map((b) => b.toString(16).padStart(2, '0')).join('');

const rnd = prng(0x5eed);
const SPECIAL = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0xfe];
function operands(n: number): [Bytes, Bytes] {
  const d = new Uint8Array(16), s = new Uint8Array(16);
  const mode = rnd() % 4;
  for (let i = 0; i < 16; i++) {
    d[i] = mode === 0 ? SPECIAL[rnd() % SPECIAL.length]! : rnd() & 0xff;
    s[i] = mode === 0 || (mode === 1 && rnd() % 2) ? SPECIAL[rnd() % SPECIAL.length]! : rnd() & 0xff;
  }
  if (mode === 2) for (let i = 0; i < 16; i += 4) if (rnd() % 2) s.set(d.subarray(i, i + 4), i); // equal lanes
  if (mode === 3) for (let i = 0; i < 16; i += 2) if (rnd() % 2) { d[i] = 0; d[i + 1] = 0x80; s[i] = 0; s[i + 1] = 0x80; }
  return [d.slice(0, 16), s.slice(0, 16)].map((a) => (n === 8 ? a.fill(0, 8) : a)) as [Bytes, Bytes];
}

const cases: Case[] = [];
// x: the xmm form; r0 destination register, r1 source register; load/store per form
function add(what: string, x: boolean, body: (S: string) => string[], d: Bytes, s: Bytes, expect: Bytes, eax?: number) {
  const n = x ? 16 : 8;
  const i = cases.length;
  const base = DATA + i * 64;
  const S = `[${base + 16}]`;
  const ld = x ? 'movdqu' : 'movq';
  const r0 = x ? 'xmm0' : 'mm0', r1 = x ? 'xmm1' : 'mm1';
  const asm = [
    `${ld} ${r0}, [${base}]`, `${ld} ${r1}, ${S}`, 'mov eax, 0xdeadbeef',
    ...body(S).map((l) => l.replaceAll('R0', r0).replaceAll('R1', r1)),
    `${ld} [${base + 32}], ${r0}`, `mov [${base + 48}], eax`,
  ].join('\n');
  cases.push({ asm, d: d.slice(0, n), s: s.slice(0, n), expect: expect.slice(0, n), what, ...(eax !== undefined ? { eax } : {}) });
}
const N = 6; // random cases per form and source kind

for (const x of [false, true]) {
  const n = x ? 16 : 8;
  for (const [mn, f] of Object.entries(BIN)) {
    if (!x && /QDQ$/.test(mn)) continue;
    for (let k = 0; k < 2 * N; k++) {
      const [d, s] = operands(n);
      const mem = k % 2 === 1;
      // PUNPCKLxx mm, m32 reads only 4 bytes: the model sees them all anyway
      add(`${mn} ${x ? 'xmm' : 'mm'} ${mem ? 'mem' : 'reg'}`, x, (S) => [mem ? `${mn.toLowerCase()} R0, ${S}` : `${mn.toLowerCase()} R0, R1`], d, s, f(d, s, n, 0));
    }
  }
  for (const [mn, [sz, kind]] of Object.entries(SHIFTS)) {
    const f = shift(sz, kind);
    for (let k = 0; k < 3 * N; k++) {
      const [d, s] = operands(n);
      const count = k % 3 === 2 ? BigInt(rnd() % 70) | (rnd() % 4 === 0 ? 1n << BigInt(32 + (rnd() % 32)) : 0n) : BigInt(rnd() % (sz * 8 + 2));
      s.fill(0, 0, 8);
      setLane(s, 0, 8, count);
      const mem = k % 3 === 1;
      add(`${mn} ${x ? 'xmm' : 'mm'} count ${count}`, x, (S) => [`${mn.toLowerCase()} R0, ${mem ? S : 'R1'}`], d, s, f(d, count, n));
      const imm = rnd() % (sz * 8 + 3);
      add(`${mn} ${x ? 'xmm' : 'mm'}, ${imm}`, x, () => [`${mn.toLowerCase()} R0, ${imm}`], d, s, f(d, BigInt(imm), n));
    }
  }
  // PINSRW / PEXTRW / PMOVMSKB
  for (let k = 0; k < 2 * N; k++) {
    const [d, s] = operands(n);
    const imm = rnd() & 0xff;
    const w = Number(lane(s, 0, 2));
    const r = d.slice(0, n);
    setLane(r, imm & (x ? 7 : 3), 2, BigInt(w));
    const mem = k % 2 === 1;
    add(`PINSRW ${x ? 'xmm' : 'mm'} ${imm}`, x, (S) => (mem ? [`pinsrw R0, word ${S}, ${imm}`] : [`mov ecx, ${S}`, `pinsrw R0, ecx, ${imm}`]), d, s, r);
    add(`PEXTRW ${x ? 'xmm' : 'mm'} ${imm}`, x, () => [`pextrw eax, R1, ${imm}`], d, s, d, Number(lane(s, imm & (x ? 7 : 3), 2)));
    let msk = 0;
    for (let i = 0; i < n; i++) msk |= (s[i]! >> 7) << i;
    add(`PMOVMSKB ${x ? 'xmm' : 'mm'}`, x, () => ['pmovmskb eax, R1'], d, s, d, msk);
  }
}
// shuffles
for (const [mn, f] of Object.entries(SHUF)) {
  const x = mn !== 'PSHUFW';
  for (let k = 0; k < 2 * N; k++) {
    const [d, s] = operands(x ? 16 : 8);
    const imm = rnd() & 0xff;
    add(`${mn} ${imm}`, x, (S) => [`${mn.toLowerCase()} R0, ${k % 2 ? S : 'R1'}, ${imm}`], d, s, f(d, s, x ? 16 : 8, imm));
  }
}
// PSLLDQ / PSRLDQ
for (let k = 0; k < 3 * N; k++) {
  const [d, s] = operands(16);
  const imm = k < 17 ? k : rnd() & 0xff;
  const sh = Math.min(imm, 16);
  const l = new Uint8Array(32), r = new Uint8Array(32);
  l.set(d, sh); r.set(d.subarray(sh), 0);
  add(`PSLLDQ ${imm}`, true, () => [`pslldq R0, ${imm}`], d, s, l.slice(0, 16));
  add(`PSRLDQ ${imm}`, true, () => [`psrldq R0, ${imm}`], d, s, r.slice(0, 16));
}
// data moves
for (let k = 0; k < N; k++) {
  const [d, s] = operands(16);
  const lo = (a: Bytes) => { const r = new Uint8Array(16); r.set(a.subarray(0, 8)); return r; };
  add('MOVQ xmm, xmm (F3 0F 7E)', true, () => ['movq R0, R1'], d, s, lo(s));
  add('MOVQ xmm, m64 (F3 0F 7E)', true, (S) => [`movq R0, ${S}`], d, s, lo(s));
  add('MOVQ xmm, xmm (66 0F D6)', true, () => ['db 0x66, 0x0f, 0xd6, 0xc8'], d, s, lo(s));
  add('MOVQ m64, xmm (66 0F D6)', true, (S) => [`movq ${S}, R1`, `movdqu R0, ${S}`], d, s, s);
  add('MOVQ2DQ', true, (S) => [`movq mm3, ${S}`, 'movq2dq R0, mm3'], d, s, lo(s));
  add('MOVDQ2Q', false, (S) => [`movdqu xmm3, ${S}`, 'movdq2q R0, xmm3'], d, s, s);
  add('MOVNTQ', false, (S) => [`movntq ${S}, R1`, `movq R0, ${S}`], d, s, s);
  add('MOVNTDQ', true, (S) => [`movntdq ${S}, R1`, `movdqu R0, ${S}`], d, s, s);
  // MASKMOVQ/MASKMOVDQU: R1's mask bytes select R0's bytes; stored over the source slot
  for (const x of [false, true]) {
    const n = x ? 16 : 8;
    const mask = new Uint8Array(16).map(() => (rnd() % 2 ? 0x80 | (rnd() & 0x7f) : rnd() & 0x7f));
    const data = d.slice(0, n);
    const r = s.slice(0, n);
    for (let i = 0; i < n; i++) if (mask[i]! & 0x80) r[i] = data[i]!;
    const i0 = cases.length;
    add(`MASKMOV ${x ? 'DQU' : 'Q'}`, x, (S) => [
      `${x ? 'movdqu' : 'movq'} R1, [${DATA + i0 * 64 + 48}]`, `mov edi, ${DATA + i0 * 64 + 16}`,
      `${x ? 'maskmovdqu' : 'maskmovq'} R0, R1`, `${x ? 'movdqu' : 'movq'} R0, ${S}`, 'mov eax, 0xdeadbeef'], d, s, r);
    cases[i0]!.mask = mask;
  }
}

describe.runIf(hasNasm)('MMX/SSE2 integer instructions against the SDM model', () => {
  it(`${cases.length} cases`, async () => {
    const data = new Uint8Array(cases.length * 64);
    cases.forEach((c, i) => {
      data.set(c.d, i * 64);
      data.set(c.s, i * 64 + 16);
      if (c.mask) data.set(c.mask, i * 64 + 48);
    });
    const { m, vectors } = await flat32(cases.map((c) => c.asm).join('\n'), { data });
    expect(m.run(10_000_000n).why).toBe('halted');
    expect(vectors).toEqual([]);
    const ram = m.core.ram();
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const b = DATA + i * 64;
      const got = ram.slice(b + 32, b + 32 + c.expect.length);
      const eax = (ram[b + 48]! | (ram[b + 49]! << 8) | (ram[b + 50]! << 16) | (ram[b + 51]! << 24)) >>> 0;
      const want = c.eax ?? 0xdeadbeef;
      if (hex(got) !== hex(c.expect) || eax !== want) {
        bad.push(`${c.what}: d ${hex(c.d)} s ${hex(c.s)} -> ${hex(got)} eax ${eax.toString(16)}, want ${hex(c.expect)} eax ${want.toString(16)}`);
      }
    });
    expect(bad.slice(0, 20)).toEqual([]);
  });
});

describe.runIf(hasNasm)('MMX/SSE2 integer checks (SDM Vol. 3B 22.25.3, Vol. 2 instruction pages)', () => {
  const vec = async (src: string, opts: Parameters<typeof flat32>[1] = {}) => {
    const { m, vectors } = await flat32(src, opts);
    m.run(1000n);
    return vectors;
  };
  it('an aligned 128-bit memory operand not on 16 bytes raises #GP(0); MOVDQU, PINSRW and the mm forms do not', async () => {
    for (const i of ['paddb xmm0, [0x10008]', 'pshufd xmm0, [0x10004], 1', 'punpcklbw xmm0, [0x10001]', 'psrlw xmm0, [0x10008]', 'movntdq [0x10008], xmm0', 'pmaddwd xmm1, [0x1000c]']) {
      expect(await vec(i), i).toEqual([13]);
    }
    for (const i of ['movdqu xmm0, [0x10008]', 'pinsrw xmm0, [0x10001], 3', 'paddb mm0, [0x10001]', 'movq xmm0, [0x10003]', 'movq [0x10005], xmm0', 'movntq [0x10003], mm0']) {
      expect(await vec(i), i).toEqual([]);
    }
  });
  it('SSE2 forms need CR4.OSFXSR; the mm forms (MMX, PSHUFW, PAVGB, MASKMOVQ, MOVNTQ) do not; CR0.EM #UD, CR0.TS #NM', async () => {
    for (const i of ['paddb xmm0, xmm1', 'movq2dq xmm0, mm1', 'movdq2q mm0, xmm1', 'pshuflw xmm0, xmm1, 0', 'pextrw eax, xmm0, 1', 'psrldq xmm0, 3']) {
      expect(await vec(i, { cr4: 0 }), i).toEqual([6]);
    }
    for (const i of ['paddb mm0, mm1', 'pshufw mm0, mm1, 0', 'pavgb mm0, mm1', 'pextrw eax, mm0, 1', 'mov edi, 0x10000\nmaskmovq mm0, mm1', 'movntq [0x10000], mm0', 'paddq mm0, mm1']) {
      expect(await vec(i, { cr4: 0 }), i).toEqual([]);
      expect(await vec(i, { cr0: 0x35 }), i).toEqual([6]);
      expect(await vec(i, { cr0: 0x39 }), i).toEqual([7]);
    }
    // register-only forms with a memory operand and memory-only forms with a register: #UD
    const forms: [string, string][] = [
      ['MASKMOVQ mm0, [0x10000]', '0x0f, 0xf7, 0x05, 0, 0, 1, 0'], ['PMOVMSKB eax, [0x10000]', '0x0f, 0xd7, 0x05, 0, 0, 1, 0'],
      ['PSRLW [0x10000], 3', '0x0f, 0x71, 0x15, 0, 0, 1, 0, 3'], ['MOVNTDQ xmm0, xmm1', '0x66, 0x0f, 0xe7, 0xc1'],
      ['MOVQ2DQ xmm0, [0x10000]', '0xf3, 0x0f, 0xd6, 0x05, 0, 0, 1, 0'],
    ];
    for (const [what, bytes] of forms) expect(await vec(`db ${bytes}`), what).toEqual([6]);
    expect(await vec('db 0xf3, 0x0f, 0x60, 0xc1')).toEqual([6]); // no F3 form of PUNPCKLBW
  });
  it('an MMX instruction makes TOP 0, every tag valid and the exponent of its destination all ones', async () => {
    const { m } = await flat32('fninit\nfld1\nfld1\npaddb mm5, mm2');
    expect(m.run(100n).why).toBe('halted');
    expect((m.core.get32(L.FPU_SW) >> 11) & 7).toBe(0);
    expect(m.core.get32(L.FPU_TAG) & 0xff).toBe(0xff);
    expect(m.core.get32(L.FPU_REGS + 5 * 16 + 8) & 0xffff).toBe(0xffff);
  });
  it('PUNPCKLBW mm, m32 reads 4 bytes: the last 4 bytes of a segment do not fault', async () => {
    expect(await vec('punpcklbw mm0, [0xfffc]', { ds: [DATA, 0xffff, 0x00409300] })).toEqual([]);
    expect(await vec('punpckhbw mm0, [0xfffc]', { ds: [DATA, 0xffff, 0x00409300] })).toEqual([13]);
  });
  it('MASKMOVQ/MASKMOVDQU: DS:DI with a 16-bit address size (wrapping), segment override, the limit of selected bytes only', async () => {
    const data = new Uint8Array(0x10010).fill(0xee);
    // mm1 = mask 80 00 80 80 80 00 00 80, mm0 = 11 22 33 44 55 66 77 88; DI = FFFE
    const setup = 'mov eax, 0x80800080\nmovd mm1, eax\nmov eax, 0x80000080\nmovd mm2, eax\npsllq mm2, 32\npor mm1, mm2\n'
      + 'mov eax, 0x44332211\nmovd mm0, eax\nmov eax, 0x88776655\nmovd mm2, eax\npsllq mm2, 32\npor mm0, mm2\n';
    const { m, vectors } = await flat32(`${setup}mov edi, 0x3fffe\na16 maskmovq mm0, mm1`, { data, ds: [DATA, 0xffff, 0x00409300] });
    expect(m.run(1000n).why).toBe('halted');
    expect(vectors).toEqual([]);
    const r = m.core.ram();
    expect([...r.slice(DATA + 0xfffe, DATA + 0x10000)]).toEqual([0x11, 0xee]);
    expect([...r.slice(DATA, DATA + 8)]).toEqual([0x33, 0x44, 0x55, 0xee, 0xee, 0x88, 0xee, 0xee]);
    // ES override, 32-bit address
    const o = await flat32(`${setup}mov edi, 0x100\nes maskmovq mm0, mm1`, { data });
    o.m.core.setSeg(0, 0x10, 0x20000, 0xffffffff, 0x00c09300);
    expect(o.m.run(1000n).why).toBe('halted');
    expect([...o.m.core.ram().slice(0x20100, 0x20108)]).toEqual([0x11, 0, 0x33, 0x44, 0x55, 0, 0, 0x88]);
    // a selected byte past the limit: #GP and nothing written; unselected bytes past it: no fault
    const p = await flat32(`${setup}mov edi, 0xfffb\nmaskmovq mm0, mm1`, { data, ds: [DATA, 0xffff, 0x00409300] });
    p.m.run(1000n);
    expect(p.vectors).toEqual([13]);
    expect([...p.m.core.ram().slice(DATA + 0xfffb, DATA + 0x10000)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
    // mask 80 00 00 80 00 00 00 00: bytes 4-7 lie past the limit, unselected
    const q = await flat32(`${setup}psrlq mm1, 32\nmov edi, 0xfffc\nmaskmovq mm0, mm1`, { data, ds: [DATA, 0xffff, 0x00409300] });
    q.m.run(1000n);
    expect(q.vectors).toEqual([]);
    expect([...q.m.core.ram().slice(DATA + 0xfffc, DATA + 0x10000)]).toEqual([0x11, 0xee, 0xee, 0x44]);
  });
});

describe.runIf(hasNasm)('MMX/SSE2 lane arithmetic over every pair of edge values', () => {
  // bytes: all 65536 pairs; words and doublewords: all pairs of 256 values around 0, the signed
  // and unsigned limits and random ones
  const words = [...Array(16).keys()].flatMap((k) => [k, 0x7ff8 + k, 0xfff0 + k, 0x0100 * k + 0x80, 0x8000 + k * 0x101, (rnd() & 0xffff)]);
  const edges: Record<number, bigint[]> = {
    1: [...Array(256).keys()].map(BigInt),
    2: [...words, ...[...Array(256 - words.length)].map(() => BigInt(rnd() & 0xffff))].map(BigInt),
    4: [...Array(256).keys()].map((k) => BigInt([k, 0x7ffffff0 + (k & 31), 0xfffffff0 + (k & 15), 0x80000000 + k, rnd()][k % 5]! >>> 0)),
  };
  const OPS: [string, number][] = [
    ['PADDB', 1], ['PSUBB', 1], ['PADDSB', 1], ['PADDUSB', 1], ['PSUBSB', 1], ['PSUBUSB', 1], ['PCMPEQB', 1], ['PCMPGTB', 1],
    ['PMINUB', 1], ['PMAXUB', 1], ['PAVGB', 1],
    ['PADDW', 2], ['PSUBW', 2], ['PADDSW', 2], ['PADDUSW', 2], ['PSUBSW', 2], ['PSUBUSW', 2], ['PCMPEQW', 2], ['PCMPGTW', 2],
    ['PMINSW', 2], ['PMAXSW', 2], ['PAVGW', 2], ['PMULLW', 2], ['PMULHW', 2], ['PMULHUW', 2],
    ['PADDD', 4], ['PSUBD', 4], ['PCMPEQD', 4], ['PCMPGTD', 4],
  ];
  it(`${OPS.length} operations, 65536 lane pairs each, xmm and mm forms`, async () => {
    const A = 0x200000, B = 0x240000, OUT = 0x300000, LEN = 0x40000; // 65536 pairs of up to 4 bytes
    const src = OPS.map(([mn, sz], i) => {
      const n = 65536 * sz;
      const x = i % 2 === 0; // alternate the xmm and mm forms
      const r = x ? 'xmm0' : 'mm0', ld = x ? 'movdqa' : 'movq', st = x ? 16 : 8;
      return [`mov esi, ${A}`, `mov ecx, ${n / st}`, `mov edi, ${OUT + i * LEN}`, `l${i}: ${ld} ${r}, [esi]`, `${mn.toLowerCase()} ${r}, [esi + ${B - A}]`,
        `${ld} [edi], ${r}`, `add esi, ${st}`, `add edi, ${st}`, `dec ecx`, `jnz l${i}`].join('\n');
    }).join('\n');
    // one run per lane size: the pairs in A and B, then the operations of that size
    const bad: string[] = [];
    const a = new Uint8Array(LEN), b = new Uint8Array(LEN);
    // the program runs every operation on the same A/B: one machine per lane size
    for (const sz of [1, 2, 4]) {
      const v = edges[sz]!;
      for (let k = 0; k < 65536; k++) { setLane(a, k, sz, v[k >> 8]!); setLane(b, k, sz, v[k & 255]!); }
      const data = new Uint8Array(B - A + LEN);
      data.set(a);
      data.set(b, B - A);
      const { m, vectors } = await flat32(src, { data, at: A, memory: 16 << 20 });
      expect(m.run(100_000_000n).why).toBe('halted');
      expect(vectors).toEqual([]);
      const ram = m.core.ram();
      OPS.forEach(([mn, osz], i) => {
        if (osz !== sz) return;
        const got = ram.subarray(OUT + i * LEN, OUT + i * LEN + 65536 * sz);
        const want = BIN[mn]!(a.subarray(0, 65536 * sz), b.subarray(0, 65536 * sz), 65536 * sz, 0);
        for (let k = 0; k < 65536; k++) {
          if (got[k * sz] !== want[k * sz] || (sz > 1 && lane(got, k, sz) !== lane(want, k, sz))) {
            bad.push(`${mn} ${lane(a, k, sz).toString(16)} ${lane(b, k, sz).toString(16)} -> ${lane(got, k, sz).toString(16)}, want ${lane(want, k, sz).toString(16)}`);
            break;
          }
        }
      });
    }
    expect(bad).toEqual([]);
  });
});

describe.runIf(hasNasm)('MMX/SSE2 integer memory operands: paging and 16-bit addresses', () => {
  const HOLE = 0x50000; // a page that is not present
  /** flat32 with paging: 0-4 MiB identity-mapped except HOLE; runs to HLT or the first exception */
  async function paged(src: string) {
    const { m, vectors } = await flat32(src, { data: new Uint8Array(0x50000 - DATA).fill(0xee) });
    const c = m.core;
    const PD = 0x200000, PT = 0x201000;
    const pt = new Uint8Array(4096 + 4);
    const dv = new DataView(pt.buffer);
    for (let i = 0; i < 1024; i++) dv.setUint32(4 + 4 * i, (i << 12) === HOLE ? 0 : (i << 12) | 3, true);
    dv.setUint32(0, PT | 3, true);
    m.writePhys(PD, pt.subarray(0, 4));
    m.writePhys(PT, pt.subarray(4));
    c.set32(L.CR + 12, PD);
    c.set32(L.CR, 0x80000031);
    c.exports.stateChanged();
    const errors: number[] = [];
    m.onException = (ex) => { vectors.push(ex.vector); errors.push(ex.error ?? -1); return 'stop'; };
    m.run(1000n);
    return { m, vectors, errors, cr2: c.get32(L.CR + 8), ram: m.core.ram() };
  }
  const fill = (x: string) => `mov eax, 0x44332211\nmovd ${x}0, eax\nmov eax, 0x88776655\nmovd ${x}2, eax\npunpckldq ${x}0, ${x}2\n`;
  const MASK_LO = 'pcmpeqb xmm1, xmm1\npsrldq xmm1, 8\n'; // bytes 0-7 selected
  it('MASKMOVDQU faults only on the pages of selected bytes, and then writes nothing', async () => {
    const ok = await paged(`${fill('xmm')}${MASK_LO}mov edi, ${HOLE - 8}\nmaskmovdqu xmm0, xmm1`);
    expect(ok.vectors).toEqual([]);
    expect([...ok.ram.slice(HOLE - 8, HOLE)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    const bad = await paged(`${fill('xmm')}pcmpeqb xmm1, xmm1\npsrldq xmm1, 7\nmov edi, ${HOLE - 8}\nmaskmovdqu xmm0, xmm1`);
    expect(bad.vectors).toEqual([14]);
    expect(bad.cr2).toBe(HOLE);
    expect(bad.errors[0]! & 2).toBe(2); // a write
    expect([...bad.ram.slice(HOLE - 8, HOLE)]).toEqual(Array(8).fill(0xee));
  });
  it('a 128-bit or 64-bit store across into a missing page faults before writing the first page', async () => {
    for (const st of ['movdqu [edi], xmm0', 'movq [edi+8], xmm0', 'movq [edi+8], mm0', 'movntq [edi+8], mm0', 'movd [edi+12], mm0']) {
      const r = await paged(`${fill('xmm')}${fill('mm')}mov edi, ${HOLE - 12}\n${st}`);
      expect(r.vectors, st).toEqual([14]);
      expect(r.cr2, st).toBe(HOLE);
      expect([...r.ram.slice(HOLE - 12, HOLE)], st).toEqual(Array(12).fill(0xee));
    }
    for (const ld of ['movdqu xmm0, [edi]', 'paddb mm0, [edi+8]', 'pinsrw xmm0, [edi+11], 1', 'punpcklbw mm0, [edi+9]']) {
      const r = await paged(`mov edi, ${HOLE - 12}\n${ld}`);
      expect(r.vectors, ld).toEqual([14]);
      expect(r.cr2, ld).toBe(HOLE);
      expect(r.errors[0]! & 2, ld).toBe(0); // a read
    }
    expect((await paged(`mov edi, ${HOLE - 12}\npunpcklbw mm0, [edi+8]\npinsrw xmm0, [edi+10], 1`)).vectors).toEqual([]);
  });
  it('16-bit addresses wrap at 64 KiB (a16 PADDB xmm, [bx+si]; PSHUFW mm, [bp+di], ib)', async () => {
    const data = new Uint8Array(0x20);
    for (let i = 0; i < 16; i++) data[0x10 + i] = i + 1;
    const { m, vectors } = await flat32(
      'pxor xmm0, xmm0\nmov ebx, 0x3fff0\nmov esi, 0x20\na16 paddb xmm0, [bx+si]\nmovdqu [0x10100], xmm0\n'
      + 'mov ebp, 0x2fff8\nmov edi, 0x20\na16 pshufw mm1, [bp+di], 0x1b\nmovq [0x10110], mm1',
      { data, at: 0 },
    );
    expect(m.run(1000n).why).toBe('halted');
    expect(vectors).toEqual([]);
    const r = m.core.ram();
    expect([...r.slice(0x10100, 0x10110)]).toEqual([...Array(16).keys()].map((i) => i + 1));
    expect([...r.slice(0x10110, 0x10118)]).toEqual([15, 16, 13, 14, 11, 12, 9, 10]); // [bp+di] = SS:0x18
  });
});
