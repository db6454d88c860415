// MMX and SSE2 packed integer arithmetic, logic and comparisons (SDM Vol. 1 chapter 9 and
// 11.4.3; Vol. 2 instruction pages PADDx, PADDSx, PADDUSx, PSUBx, PSUBSx, PSUBUSx, PCMPEQx,
// PCMPGTx, PMINUB, PMAXUB, PMINSW, PMAXSW, PAVGB/W, PMULLW, PMULHW, PMULHUW, PMADDWD, PMULUDQ,
// PSADBW, PAND, PANDN, POR, PXOR, EMMS). The operations work on one 64-bit half at a time: SWAR
// (SIMD within a register) where carries can be kept inside the lanes, a loop over the lanes
// otherwise. Each handler takes x: the SSE2 form (xmm, 128 bits) or the MMX form (mm, 64 bits).
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

// lane-wise wrapping add and subtract (the top bit of each lane is added without its carry out)
@inline function addH(a: u64, b: u64, h: u64): u64 { return ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h); }
@inline function subH(a: u64, b: u64, h: u64): u64 { return ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h); }
// all ones in each w-bit lane where a == b: nz has the top bit of a lane set when that lane of
// a ^ b is not zero; a 1 in the low bit of each equal lane times 2^w - 1 fills the lane
@inline function eqH(a: u64, b: u64, h: u64, w: u32): u64 {
  const d = a ^ b;
  const nz = (((d & ~h) + ~h) | d) & h;
  return ((nz ^ h) >> (w - 1)) * ((<u64>1 << w) - 1);
}

@inline function sat8s(v: i32): i32 { return v < -128 ? -128 : v > 127 ? 127 : v; }
@inline function sat16s(v: i32): i32 { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }
@inline function sat8u(v: i32): i32 { return v < 0 ? 0 : v > 255 ? 255 : v; }
@inline function sat16u(v: i32): i32 { return v < 0 ? 0 : v > 65535 ? 65535 : v; }

// one byte lane (a, b: 0-255)
@inline function byteOp(op: u32, a: i32, b: i32): i32 {
  const sa = (a << 24) >> 24, sb = (b << 24) >> 24;
  switch (op) {
    case ADDSB: return sat8s(sa + sb);
    case ADDUSB: return sat8u(a + b);
    case SUBSB: return sat8s(sa - sb);
    case SUBUSB: return sat8u(a - b);
    case CMPGTB: return sa > sb ? 0xff : 0;
    case MINUB: return a < b ? a : b;
    case MAXUB: return a > b ? a : b;
    case AVGB: return (a + b + 1) >> 1;
  }
  return 0;
}
// one word lane (a, b: 0-65535)
@inline function wordOp(op: u32, a: i32, b: i32): i32 {
  const sa = (a << 16) >> 16, sb = (b << 16) >> 16;
  switch (op) {
    case ADDSW: return sat16s(sa + sb);
    case ADDUSW: return sat16u(a + b);
    case SUBSW: return sat16s(sa - sb);
    case SUBUSW: return sat16u(a - b);
    case CMPGTW: return sa > sb ? 0xffff : 0;
    case MINSW: return sa < sb ? sa : sb;
    case MAXSW: return sa > sb ? sa : sb;
    case AVGW: return (a + b + 1) >> 1;
    case MULLW: return sa * sb;
    case MULHW: return (sa * sb) >> 16;
    case MULHUW: return <i32>((<u32>a * <u32>b) >> 16);
  }
  return 0;
}
@inline function bytes(op: u32, d: u64, s: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i += 8) {
    r |= <u64>(<u32>byteOp(op, <i32>((d >> i) & 0xff), <i32>((s >> i) & 0xff)) & 0xff) << i;
  }
  return r;
}
@inline function words(op: u32, d: u64, s: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i += 16) {
    r |= <u64>(<u32>wordOp(op, <i32>((d >> i) & 0xffff), <i32>((s >> i) & 0xffff)) & 0xffff) << i;
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
@inline function cmpgtd(d: u64, s: u64): u64 {
  const lo: u64 = <i32>d > <i32>s ? 0xffffffff : 0;
  const hi: u64 = <i32>(d >> 32) > <i32>(s >> 32) ? 0xffffffff00000000 : 0;
  return lo | hi;
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
    case CMPGTD: return cmpgtd(d, s);
    case ADDSB: return bytes(ADDSB, d, s);
    case ADDUSB: return bytes(ADDUSB, d, s);
    case SUBSB: return bytes(SUBSB, d, s);
    case SUBUSB: return bytes(SUBUSB, d, s);
    case CMPGTB: return bytes(CMPGTB, d, s);
    case MINUB: return bytes(MINUB, d, s);
    case MAXUB: return bytes(MAXUB, d, s);
    case AVGB: return bytes(AVGB, d, s);
    case ADDSW: return words(ADDSW, d, s);
    case ADDUSW: return words(ADDUSW, d, s);
    case SUBSW: return words(SUBSW, d, s);
    case SUBUSW: return words(SUBUSW, d, s);
    case CMPGTW: return words(CMPGTW, d, s);
    case MINSW: return words(MINSW, d, s);
    case MAXSW: return words(MAXSW, d, s);
    case AVGW: return words(AVGW, d, s);
    case MULLW: return words(MULLW, d, s);
    case MULHW: return words(MULHW, d, s);
    case MULHUW: return words(MULHUW, d, s);
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
// ANDPS/ANDNPS/ORPS/XORPS and the PD forms (tools/opcodes/simd-fp.mjs): the same bitwise operations
export function plogic(x: bool, op: u32): void { pint(x, op); }
