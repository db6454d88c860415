// MMX and SSE2 packed integer arithmetic, logic and comparisons (SDM Vol. 1 chapter 9 and
// 11.4.3; Vol. 2 instruction pages PADDx, PADDSx, PADDUSx, PSUBx, PSUBSx, PSUBUSx, PCMPEQx,
// PCMPGTx, PMINUB, PMAXUB, PMINSW, PMAXSW, PAVGB/W, PMULLW, PMULHW, PMULHUW, PMADDWD, PMULUDQ,
// PSADBW, PAND, PANDN, POR, PXOR, EMMS). The operations work on one 64-bit half at a time: SWAR
// (SIMD within a register: additions with the lanes' top bits masked, comparisons from the
// borrow out of each lane) and a loop over the lanes for the multiplies and PSADBW. Each handler takes x: the SSE2 form (xmm, 128 bits) or the MMX form (mm, 64 bits).
import { FPU_SW, FPU_TAG } from '../gen/layout';
import { cr, CR0_EM, CR0_TS } from '../cpu/state';
import { raise, ud, NM } from '../cpu/fault';
import { fpuPending } from '../fpu/state';
import { regV, mm, setMm, xmmLo, xmmHi, setXmm, sLo, sHi, readWx, readQq } from './state';

// EMMS: every x87 tag empty and TOP 0 (SDM Vol. 2 EMMS; Vol. 1 table 9-2)
export function emms(): void {
  const c0 = cr(0);
  if (c0 & CR0_EM) { ud(); return; }
  if (c0 & CR0_TS) { raise(NM, -1); return; }
  if (!fpuPending()) return;
  store<u32>(FPU_SW, load<u32>(FPU_SW) & ~0x3800);
  store<u32>(FPU_TAG, 0);
}

// the operations, numbered as INT_OPS in tools/opcodes/simd-int.mjs
const AND = 0, ANDN = 1, OR = 2, XOR = 3;
const ADDB = 4, ADDW = 5, ADDD = 6, ADDQ = 7, SUBB = 8, SUBW = 9, SUBD = 10, SUBQ = 11;
const ADDSB = 12, ADDSW = 13, ADDUSB = 14, ADDUSW = 15, SUBSB = 16, SUBSW = 17, SUBUSB = 18, SUBUSW = 19;
const CMPEQB = 20, CMPEQW = 21, CMPEQD = 22, CMPGTB = 23, CMPGTW = 24, CMPGTD = 25;
const MINUB = 26, MAXUB = 27, MINSW = 28, MAXSW = 29, AVGB = 30, AVGW = 31;
const MULLW = 32, MULHW = 33, MULHUW = 34, MADDWD = 35, MULUDQ = 36, SADBW = 37;

// the sign bit of every lane: bytes, words, doublewords
const H8: u64 = 0x8080808080808080;
const H16: u64 = 0x8000800080008000;
const H32: u64 = 0x8000000080000000;

// Lane-wise arithmetic on a 64-bit half: h has the top bit of every w-bit lane set (H8, H16, H32).
// wrapping add and subtract: the lanes' low bits are added with the top bits masked off, so no
// carry leaves a lane; the top bits are then the XOR of both operands' and the carry into them
@inline function addH(a: u64, b: u64, h: u64): u64 { return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h); }
@inline function subH(a: u64, b: u64, h: u64): u64 { return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h); }
// the top bit of each lane widened to the whole lane
@inline function widen(top: u64, w: u32): u64 { return (top >> (w - 1)) * ((<u64>1 << w) - 1); }
// the top bit of each lane where a < b unsigned: the borrow out of the lane's a - b
@inline function ltU(a: u64, b: u64, h: u64): u64 { return ((~a & b) | (~(a ^ b) & subH(a, b, h))) & h; }
// ... where a + b carries out of the lane
@inline function carry(a: u64, b: u64, h: u64): u64 { return ((a & b) | ((a | b) & ~addH(a, b, h))) & h; }
// all ones in each lane where a == b: nz has the top bit of a lane set when that lane of a ^ b is
// not zero
@inline function eqH(a: u64, b: u64, h: u64, w: u32): u64 {
  const d = a ^ b;
  const nz = (((d & ~h) + ~h) | d) & h;
  return widen(nz ^ h, w);
}
// ... where a < b signed: flipping the sign bits orders signed lanes as unsigned ones
@inline function ltS(a: u64, b: u64, h: u64): u64 { return ltU(a ^ h, b ^ h, h); }
// the minimum or maximum (mx) of each lane, lt: the top bits of the lanes where a < b
@inline function minMax(a: u64, b: u64, lt: u64, w: u32, mx: bool): u64 {
  const m = widen(lt, w);
  return mx ? (b & m) | (a & ~m) : (a & m) | (b & ~m);
}
// signed saturation: where the operation overflowed (ov: top bits), the limit of a's sign
// (a negative: 80..0, else 7F..F)
@inline function satS(r: u64, a: u64, ov: u64, h: u64, w: u32): u64 {
  const m = widen(ov, w);
  return (r & ~m) | ((widen(a & h, w) ^ ~h) & m);
}
@inline function addS(a: u64, b: u64, h: u64, w: u32): u64 {
  const r = addH(a, b, h);
  return satS(r, a, ~(a ^ b) & (a ^ r) & h, h, w);
}
@inline function subS(a: u64, b: u64, h: u64, w: u32): u64 {
  const r = subH(a, b, h);
  return satS(r, a, (a ^ b) & (a ^ r) & h, h, w);
}
// PAVGB/PAVGW: (a + b + 1) >> 1 = (a | b) - ((a ^ b) >> 1), which never borrows out of a lane
@inline function avg(a: u64, b: u64, h: u64): u64 { return (a | b) - (((a ^ b) >> 1) & ~h); }

// the word multiplies, one lane at a time (a, b: 0-65535)
@inline function mulWord(op: u32, a: i32, b: i32): i32 {
  const sa = (a << 16) >> 16, sb = (b << 16) >> 16;
  if (op == MULLW) return sa * sb;
  if (op == MULHW) return (sa * sb) >> 16;
  return <i32>((<u32>a * <u32>b) >> 16); // MULHUW
}
@inline function mulWords(op: u32, d: u64, s: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i += 16) {
    r |= <u64>(<u32>mulWord(op, <i32>((d >> i) & 0xffff), <i32>((s >> i) & 0xffff)) & 0xffff) << i;
  }
  return r;
}
// PMADDWD: each doubleword is the sum of the two signed word products (wrapping: two
// 8000h * 8000h products give 80000000h)
@inline function madd(d: u64, s: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i += 32) {
    const p0 = (<i32>(<i16>(d >> i))) * (<i32>(<i16>(s >> i)));
    const p1 = (<i32>(<i16>(d >> (i + 16)))) * (<i32>(<i16>(s >> (i + 16))));
    r |= <u64>(<u32>(p0 + p1)) << i;
  }
  return r;
}
// PSADBW: the sum of the absolute byte differences in the low word, the rest zero
@inline function sad(d: u64, s: u64): u64 {
  let t: i32 = 0;
  for (let i: u64 = 0; i < 64; i += 8) {
    const v = <i32>((d >> i) & 0xff) - <i32>((s >> i) & 0xff);
    t += v < 0 ? -v : v;
  }
  return <u64>t;
}

// one 64-bit half of the destination (d) and the source (s)
function half(op: u32, d: u64, s: u64): u64 {
  switch (op) {
    case AND: return d & s;
    case ANDN: return ~d & s;
    case OR: return d | s;
    case XOR: return d ^ s;
    case ADDB: return addH(d, s, H8);
    case ADDW: return addH(d, s, H16);
    case ADDD: return addH(d, s, H32);
    case ADDQ: return d + s;
    case SUBB: return subH(d, s, H8);
    case SUBW: return subH(d, s, H16);
    case SUBD: return subH(d, s, H32);
    case SUBQ: return d - s;
    case CMPEQB: return eqH(d, s, H8, 8);
    case CMPEQW: return eqH(d, s, H16, 16);
    case CMPEQD: return eqH(d, s, H32, 32);
    case CMPGTB: return widen(ltS(s, d, H8), 8);
    case CMPGTW: return widen(ltS(s, d, H16), 16);
    case CMPGTD: return widen(ltS(s, d, H32), 32);
    case ADDSB: return addS(d, s, H8, 8);
    case ADDSW: return addS(d, s, H16, 16);
    case SUBSB: return subS(d, s, H8, 8);
    case SUBSW: return subS(d, s, H16, 16);
    case ADDUSB: return addH(d, s, H8) | widen(carry(d, s, H8), 8);
    case ADDUSW: return addH(d, s, H16) | widen(carry(d, s, H16), 16);
    case SUBUSB: return subH(d, s, H8) & ~widen(ltU(d, s, H8), 8);
    case SUBUSW: return subH(d, s, H16) & ~widen(ltU(d, s, H16), 16);
    case MINUB: return minMax(d, s, ltU(d, s, H8), 8, false);
    case MAXUB: return minMax(d, s, ltU(d, s, H8), 8, true);
    case MINSW: return minMax(d, s, ltS(d, s, H16), 16, false);
    case MAXSW: return minMax(d, s, ltS(d, s, H16), 16, true);
    case AVGB: return avg(d, s, H8);
    case AVGW: return avg(d, s, H16);
    case MULLW: return mulWords(MULLW, d, s);
    case MULHW: return mulWords(MULHW, d, s);
    case MULHUW: return mulWords(MULHUW, d, s);
    case MADDWD: return madd(d, s);
    case MULUDQ: return (d & 0xffffffff) * (s & 0xffffffff);
    case SADBW: return sad(d, s);
  }
  return 0;
}

// op mm, mm/m64 or op xmm, xmm/m128
export function pint(x: bool, op: u32): void {
  const r = regV();
  if (x) {
    if (!readWx()) return;
    setXmm(r, half(op, xmmLo(r), sLo), half(op, xmmHi(r), sHi));
  } else {
    if (!readQq()) return;
    setMm(r, half(op, mm(r), sLo));
  }
}
