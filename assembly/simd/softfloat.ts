// IEEE 754 single and double precision arithmetic as the SSE/SSE2 scalar and packed instructions
// compute it under MXCSR, bit for bit including the exception flags.
//
// References: Intel SDM Vol. 1 4.8 (real numbers, denormals, NaNs, table 4-7 NaN results, the
// QNaN floating-point indefinite), 4.9 (exception conditions: 4.9.1 pre- and post-computation
// exceptions, 4.9.2 masked and unmasked responses), 10.2.3 (MXCSR: flags, masks, RC, DAZ,
// FTZ), 11.5 (SSE/SSE2 exceptions: 11.5.2 responses, 11.5.2.1 precedence); Vol. 2 pages of
// ADDSS..SQRTSD, MINSS/MAXSS, CMPSS, COMISS/UCOMISS, CVTSS2SD/CVTSD2SS, CVTSI2SS/SD,
// CVT(T)SS2SI/CVT(T)SD2SI, RCPSS/RSQRTSS.
//
// Interface: operands and results are raw bit patterns (u32 single, u64 double). sfSetMode(mxcsr)
// latches rounding control, DAZ, FTZ and the exception masks for the following calls.
// Exceptions raised are ORed into sfFlags in MXCSR bit positions (IE DE ZE OE UE PE = bits 0-5);
// the caller clears it. When an exception is unmasked the CPU does not write the destination
// (the caller checks sfFlags against the masks and raises #XM): the flags reported are the ones
// the CPU sets in that case (an unmasked pre-computation exception -- IE, DE, ZE -- stops the
// operation before the post-computation ones -- OE, UE, PE -- are evaluated) and the returned
// value is then meaningless.
//
//   add32 sub32 mul32 div32 min32 max32 (a, b: u32): u32     sqrt32(a: u32): u32
//   add64 sub64 mul64 div64 min64 max64 (a, b: u64): u64     sqrt64(a: u64): u64
//   cmp32(a, b, pred): bool  cmp64(a, b, pred): bool          CMPSS/CMPSD predicates 0-7
//   comi32(a, b, signalQnan): u32  comi64(...): u32            EFLAGS ZF|PF|CF (0x40|4|1)
//   cvt32to64(a: u32): u64  cvt64to32(a: u64): u32             CVTSS2SD / CVTSD2SS
//   i32to32(v: i32): u32  i32to64(v: i32): u64                 CVTSI2SS / CVTSI2SD
//   f32toi32(a: u32, truncate: bool): i32  f64toi32(a: u64, truncate: bool): i32
//   rcp32(a: u32): u32  rsqrt32(a: u32): u32                   RCPSS / RSQRTSS approximations
// "a" is always the first (destination) operand, "b" the second (source).
//
// Behaviour, as the SDM states it and as verified bit for bit on the reference host (an AMD EPYC,
// x86-64 with SSE2; see test/sse-softfloat.test.ts and its generator):
//  - NaNs (Vol. 1 table 4-7): one NaN operand -> that NaN made quiet; two -> the first operand's;
//    IE for an SNaN operand; invalid without NaN operands -> the QNaN floating-point indefinite
//    (0xFFC00000 / 0xFFF8000000000000). IE for inf-inf, 0*inf, 0/0, inf/inf and the square root
//    of a negative nonzero value (sqrt(-0) = -0). ZE for a finite nonzero value divided by zero.
//  - Pre-computation exceptions: a NaN operand, an invalid operation or a division by zero
//    suppresses DE for a denormal operand (IE/ZE take precedence, 11.5.2.1). DE is raised for a
//    denormal operand otherwise (also by MIN/MAX, CMP, COMI, CVTSS2SD, CVTSD2SS), never with DAZ
//    (the operand reads as a zero of its sign; MIN/MAX then return that zero, even when the other
//    operand is a NaN), never by CVT(T)SS2SI/CVT(T)SD2SI (DAZ does apply to their operand).
//  - Post-computation: tininess is detected after rounding (the value rounded to the full
//    precision with an unbounded exponent is below the smallest normal). Masked underflow: UE
//    and PE when the tiny result is inexact; FTZ (effective only while UM is masked) returns a
//    zero of the result's sign and sets UE and PE for every tiny result. Unmasked underflow: UE,
//    and PE when the full-precision rounding (the x87-style exponent-wrapped result) is inexact.
//    Masked overflow: OE and PE, infinity or the largest finite value by rounding mode; unmasked:
//    OE, and PE when the full-precision rounding is inexact.
//  - MIN/MAX: dest = a < b ? a : b (a > b for MAX); a NaN operand of either kind raises IE and
//    returns the source b, as do two zeros of any signs. CMP: LT LE NLT NLE (and COMISS) signal
//    IE for any NaN, EQ UNORD NEQ ORD (and UCOMISS) only for an SNaN.
//  - CVT*2SI: NaN or out of range -> 0x80000000 with IE; otherwise PE when inexact.
//
// Implementation: exact integer arithmetic on significands held in a u64 with the leading bit
// at bit 63 and the bits below the rounding position jammed into bit 0 (sticky), rounded once
// by roundPack in the current mode; 128-bit products as hi/lo pairs. Fast paths use wasm's
// native f32/f64 operations (correctly rounded, round to nearest even) when the result is
// provably identical: normal or zero operands, a normal result outside the smallest binade
// (a tiny value may round into it) or an exact zero. The inexact flag and, for the directed
// rounding modes, the sign of the rounding error come from error-free transforms (TwoSum,
// Dekker's product with a Veltkamp split, the exact remainder of a division, the exact square
// of a root) or an exact integer test on the odd parts of the significands; a directed result
// is then the nearest result or its neighbour. Single precision results computed in f64 and
// rounded to f32 are exact for * (48-bit products) and correctly rounded for + - / sqrt
// (53 >= 2*24+2: double rounding is innocuous).
//
// Deviation: RCPSS/RSQRTSS reproduce the reference host's approximation tables (AMD); Intel
// processors return different (equally SDM-conformant) approximations. Everything else follows
// the SDM rules above; where the SDM leaves the choice open (the precedence of DE, the flags of
// the unmasked underflow response), the host's behaviour is implemented.

export const SF_IE: u32 = 0x01;
export const SF_DE: u32 = 0x02;
export const SF_ZE: u32 = 0x04;
export const SF_OE: u32 = 0x08;
export const SF_UE: u32 = 0x10;
export const SF_PE: u32 = 0x20;

const RN: u32 = 0;
const RD: u32 = 1;
const RU: u32 = 2;
const RZ: u32 = 3;

export let sfFlags: u32 = 0;
let rcMode: u32 = RN;
let dazOn: bool = false;
let ftzOn: bool = false; // FTZ and UM masked
let masked: u32 = 0x3f; // IM..PM moved to bits 0-5

export function sfSetMode(mxcsr: u32): void {
  rcMode = (mxcsr >> 13) & 3;
  dazOn = (mxcsr & 0x40) != 0;
  masked = (mxcsr >> 7) & 0x3f;
  ftzOn = (mxcsr & 0x8000) != 0 && (masked & SF_UE) != 0;
}

const QNAN32: u32 = 0xffc00000; // QNaN floating-point indefinite
const QNAN64: u64 = 0xfff8000000000000;

// ---------------------------------------------------------------- format helpers
// d: double (true) or single (false)
@inline function fracBits(d: bool): i32 { return d ? 52 : 23; }
@inline function expMax(d: bool): i32 { return d ? 0x7ff : 0xff; }
@inline function bias(d: bool): i32 { return d ? 1023 : 127; }
@inline function signBit(d: bool): u64 { return d ? <u64>0x8000000000000000 : <u64>0x80000000; }
@inline function fracMask(d: bool): u64 { return d ? <u64>0xfffffffffffff : <u64>0x7fffff; }
@inline function quietBit(d: bool): u64 { return d ? <u64>0x8000000000000 : <u64>0x400000; }
@inline function expOf(x: u64, d: bool): i32 { return <i32>(x >> <u64>fracBits(d)) & expMax(d); }
@inline function isNaNx(x: u64, d: bool): bool { return expOf(x, d) == expMax(d) && (x & fracMask(d)) != 0; }
@inline function isSNaNx(x: u64, d: bool): bool { return isNaNx(x, d) && (x & quietBit(d)) == 0; }
@inline function isDenx(x: u64, d: bool): bool { return expOf(x, d) == 0 && (x & fracMask(d)) != 0; }
@inline function isInfx(x: u64, d: bool): bool { return expOf(x, d) == expMax(d) && (x & fracMask(d)) == 0; }
@inline function isZerox(x: u64, d: bool): bool { return (x & ~signBit(d)) == 0; }
@inline function negOf(x: u64, d: bool): bool { return (x & signBit(d)) != 0; }
@inline function defaultNaN(d: bool): u64 { return d ? QNAN64 : <u64>QNAN32; }
@inline function infOf(neg: bool, d: bool): u64 { return (neg ? signBit(d) : 0) | (<u64>expMax(d) << <u64>fracBits(d)); }
@inline function zeroOf(neg: bool, d: bool): u64 { return neg ? signBit(d) : 0; }

// normal or zero (the operands the fast paths accept)
@inline function plain64(x: u64): bool {
  const e = <u32>(x >> 52) & 0x7ff;
  return e - 1 < 0x7fe || (x << 1) == 0;
}
@inline function plain32(x: u32): bool {
  const e = (x >> 23) & 0xff;
  return e - 1 < 0xfe || (x << 1) == 0;
}

// Pre-computation flags: commit them; true when one of them is unmasked (the operation stops).
@inline function preStop(f: u32): bool {
  sfFlags |= f;
  return (f & ~masked) != 0;
}

// DAZ: a denormal operand reads as a signed zero; without DAZ it raises DE (returned in denFlag)
let denFlag: u32 = 0;
@inline function daz(x: u64, d: bool): u64 {
  if (isDenx(x, d)) {
    if (dazOn) return x & signBit(d);
    denFlag = SF_DE;
  }
  return x;
}

// ---------------------------------------------------------------- rounding
@inline function roundsUp(neg: bool, q: u64, rem: u64, half: u64): bool {
  const m = rcMode;
  if (m == RN) return rem > half || (rem == half && (q & 1) != 0);
  if (m == RZ) return false;
  if (m == RD) return neg && rem != 0;
  return !neg && rem != 0;
}

// x >> n with the bits shifted out ORed into bit 0
@inline function shrJam(x: u64, n: i32): u64 {
  if (n <= 0) return x;
  if (n < 64) return (x >> <u64>n) | ((x << <u64>(64 - n)) != 0 ? 1 : 0);
  return x != 0 ? 1 : 0;
}

// Round and pack a finite nonzero value (m / 2^63) * 2^(e - bias), m normalized (bit 63 set),
// sticky jammed into the low bits. Handles overflow, tininess (detected after rounding, as x86
// does), FTZ and the masked/unmasked responses.
function roundPack(neg: bool, e: i32, m: u64, d: bool): u64 {
  const fb = fracBits(d);
  const drop = 63 - fb;
  const lowMask: u64 = (<u64>1 << <u64>drop) - 1;
  const half: u64 = <u64>1 << <u64>(drop - 1);
  const sgn: u64 = neg ? signBit(d) : 0;
  const emax = expMax(d);
  if (e >= 1) {
    let q = m >> <u64>drop;
    const rem = m & lowMask;
    if (roundsUp(neg, q, rem, half)) q++;
    const bits = (<u64>(e - 1) << <u64>fb) + q;
    if (e >= emax || (bits >> <u64>fb) >= <u64>emax) return overflow(neg, d, rem != 0);
    if (rem != 0) sfFlags |= SF_PE;
    return sgn | bits;
  }
  // tiny before rounding; tiny after rounding unless the value rounded to full precision with
  // an unbounded exponent reaches the smallest normal
  let tiny = true;
  if (e == 0) {
    let q = m >> <u64>drop;
    if (roundsUp(neg, q, m & lowMask, half)) q++;
    if ((q >> <u64>(fb + 1)) != 0) tiny = false;
  }
  const mm = shrJam(m, 1 - e);
  let q = mm >> <u64>drop;
  const rem = mm & lowMask;
  if (roundsUp(neg, q, rem, half)) q++;
  const inexact = rem != 0;
  if (tiny) {
    if ((masked & SF_UE) == 0) {
      // unmasked: the CPU computes the result at full precision with a wrapped exponent;
      // PE if that rounding is inexact (the destination is not written)
      sfFlags |= SF_UE;
      if ((m & lowMask) != 0) sfFlags |= SF_PE;
      return sgn | q;
    }
    if (ftzOn) {
      sfFlags |= SF_UE | SF_PE;
      return sgn;
    }
    if (inexact) sfFlags |= SF_UE | SF_PE;
    return sgn | q;
  }
  if (inexact) sfFlags |= SF_PE;
  return sgn | q;
}

function overflow(neg: bool, d: bool, inexact: bool): u64 {
  sfFlags |= SF_OE;
  if ((masked & SF_OE) == 0) {
    if (inexact) sfFlags |= SF_PE;
    return infOf(neg, d);
  }
  sfFlags |= SF_PE;
  const m = rcMode;
  const toInf = m == RN || (m == RU && !neg) || (m == RD && neg);
  if (toInf) return infOf(neg, d);
  return (neg ? signBit(d) : 0) | ((<u64>expMax(d) << <u64>fracBits(d)) - 1); // max finite
}

// ---------------------------------------------------------------- unpacking
// significand with the implicit bit and the exponent (denormals: exponent 1, no implicit bit)
@inline function sigOf(x: u64, d: bool): u64 {
  const f = x & fracMask(d);
  return expOf(x, d) != 0 ? f | (<u64>1 << <u64>fracBits(d)) : f;
}
@inline function eOf(x: u64, d: bool): i32 {
  const e = expOf(x, d);
  return e != 0 ? e : 1;
}

// NaN operand(s): SNaN raises IE; one NaN -> it, quietened; two -> the first one, quietened
// (SDM Vol. 1 table 4-7). Returns with the result in nanResult.
let nanResult: u64 = 0;
function nanPick(a: u64, b: u64, d: bool): u32 {
  const qb = quietBit(d);
  let f: u32 = 0;
  if (isSNaNx(a, d) || isSNaNx(b, d)) f = SF_IE;
  nanResult = (isNaNx(a, d) ? a : b) | qb;
  return f;
}

// ---------------------------------------------------------------- add / sub
// The operands of a two-operand operation after the NaN rules and DAZ: false when a NaN decided
// the result (nanResult); otherwise opA and opB, with denFlag for denormal inputs.
let opA: u64 = 0;
let opB: u64 = 0;
function operands(a: u64, b: u64, d: bool): bool {
  denFlag = 0;
  if (isNaNx(a, d) || isNaNx(b, d)) {
    preStop(nanPick(a, b, d));
    return false;
  }
  opA = daz(a, d);
  opB = daz(b, d);
  return true;
}

function addSlow(a: u64, b: u64, subtract: bool, d: bool): u64 {
  if (!operands(a, b, d)) return nanResult;
  a = opA;
  b = opB;
  if (subtract) b ^= signBit(d);
  let f = denFlag;
  const na = negOf(a, d), nb = negOf(b, d);
  if (isInfx(a, d) || isInfx(b, d)) {
    if (isInfx(a, d) && isInfx(b, d) && na != nb) {
      preStop(SF_IE);
      return defaultNaN(d);
    }
    preStop(f);
    return isInfx(a, d) ? a : b;
  }
  if (preStop(f)) return 0;
  const fb = fracBits(d);
  let ma = sigOf(a, d) << <u64>(62 - fb), mb = sigOf(b, d) << <u64>(62 - fb);
  let ea = eOf(a, d), eb = eOf(b, d);
  let neg = na;
  if (ma == 0 && mb == 0) {
    if (na == nb) return zeroOf(na, d);
    return zeroOf(rcMode == RD, d);
  }
  if (ea < eb || (ea == eb && ma < mb)) {
    const tm = ma; ma = mb; mb = tm;
    const te = ea; ea = eb; eb = te;
    neg = nb;
  }
  if (mb != 0) mb = shrJam(mb, ea - eb);
  let m: u64;
  if (na == nb) m = ma + mb;
  else {
    m = ma - mb;
    if (m == 0) return zeroOf(rcMode == RD, d);
  }
  const s = <i32>clz<u64>(m);
  return roundPack(neg, ea + 1 - s, m << <u64>s, d);
}

// ---------------------------------------------------------------- mul
let hi128: u64 = 0;
let lo128: u64 = 0;
@inline function mul128(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo128 = (mid << 32) | (p00 & 0xffffffff);
  hi128 = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

function mulSlow(a: u64, b: u64, d: bool): u64 {
  if (!operands(a, b, d)) return nanResult;
  a = opA;
  b = opB;
  const f = denFlag;
  const neg = negOf(a, d) != negOf(b, d);
  if (isInfx(a, d) || isInfx(b, d)) {
    if (isZerox(a, d) || isZerox(b, d)) {
      preStop(SF_IE);
      return defaultNaN(d);
    }
    preStop(f);
    return infOf(neg, d);
  }
  if (preStop(f)) return 0;
  if (isZerox(a, d) || isZerox(b, d)) return zeroOf(neg, d);
  const fb = fracBits(d);
  let sa = sigOf(a, d), sb = sigOf(b, d);
  let ea = eOf(a, d), eb = eOf(b, d);
  // normalize to the leading bit at 63
  let s = <i32>clz<u64>(sa);
  sa <<= <u64>s; ea -= s - (63 - fb);
  s = <i32>clz<u64>(sb);
  sb <<= <u64>s; eb -= s - (63 - fb);
  let m: u64;
  let e = ea + eb - bias(d);
  if (d) {
    mul128(sa, sb);
    if ((hi128 >> 63) != 0) {
      m = hi128 | (lo128 != 0 ? 1 : 0);
      e += 1;
    } else {
      m = (hi128 << 1) | (lo128 >> 63) | ((lo128 << 1) != 0 ? 1 : 0);
    }
  } else {
    // 24-bit significands: the product fits 48 bits
    const p = (sa >> 40) * (sb >> 40);
    if ((p >> 47) != 0) { m = p << 16; e += 1; } else m = p << 17;
  }
  return roundPack(neg, e, m, d);
}

// ---------------------------------------------------------------- div
function divSlow(a: u64, b: u64, d: bool): u64 {
  if (!operands(a, b, d)) return nanResult;
  a = opA;
  b = opB;
  let f = denFlag;
  const neg = negOf(a, d) != negOf(b, d);
  const ia = isInfx(a, d), ib = isInfx(b, d), za = isZerox(a, d), zb = isZerox(b, d);
  if (ia || ib) {
    if (ia && ib) { preStop(SF_IE); return defaultNaN(d); }
    preStop(f);
    return ia ? infOf(neg, d) : zeroOf(neg, d);
  }
  if (zb) {
    if (za) { preStop(SF_IE); return defaultNaN(d); }
    preStop(SF_ZE); // divide-by-zero takes precedence over denormal (host CPU)
    return infOf(neg, d);
  }
  if (preStop(f)) return 0;
  if (za) return zeroOf(neg, d);
  const fb = fracBits(d);
  let sa = sigOf(a, d), sb = sigOf(b, d);
  let ea = eOf(a, d), eb = eOf(b, d);
  // normalize to the leading bit at fb
  let s = <i32>clz<u64>(sa) - (63 - fb);
  sa <<= <u64>s; ea -= s;
  s = <i32>clz<u64>(sb) - (63 - fb);
  sb <<= <u64>s; eb -= s;
  if (sa < sb) { sa <<= 1; ea--; }
  const e = ea - eb + bias(d);
  let m: u64;
  if (d) {
    // long division, 10 quotient bits per step (rem < sb < 2^53)
    let q: u64 = 1;
    let rem = sa - sb;
    for (let i = 0; i < 6; i++) {
      rem <<= 10;
      q = (q << 10) | (rem / sb);
      rem = rem % sb;
    }
    m = (q << 3) | (rem != 0 ? 1 : 0);
  } else {
    const num = sa << 38;
    const q = num / sb;
    m = (q << 25) | ((num % sb) != 0 ? 1 : 0);
  }
  return roundPack(neg, e, m, d);
}

// ---------------------------------------------------------------- fast paths
// The native operation rounds to nearest. For a result r that is normal and outside the smallest
// binade (a tiny value can round up into it), the directed roundings are r or its neighbour on
// the side of the exact value: dir is the sign of (exact - r), nonzero (the caller returns
// exact results itself). Returns 0 when the neighbour overflows (the caller takes the slow path).
function adj64(r: u64, dir: f64): u64 {
  sfFlags |= SF_PE;
  const m = rcMode;
  if (m == RN) return r;
  const neg = (r >> 63) != 0;
  const moves = dir > 0 ? m == RU || (m == RZ && neg) : m == RD || (m == RZ && !neg);
  if (!moves) return r;
  if ((dir > 0) != neg) {
    const q = r + 1; // away from zero
    return ((q >> 52) & 0x7ff) == 0x7ff ? 0 : q;
  }
  return r - 1;
}
function adj32(r: u32, dir: f64): u32 {
  sfFlags |= SF_PE;
  const m = rcMode;
  if (m == RN) return r;
  const neg = (r >> 31) != 0;
  const moves = dir > 0 ? m == RU || (m == RZ && neg) : m == RD || (m == RZ && !neg);
  if (!moves) return r;
  if ((dir > 0) != neg) {
    const q = r + 1;
    return ((q >> 23) & 0xff) == 0xff ? 0 : q;
  }
  return r - 1;
}
// normal, outside the smallest binade, finite
@inline function inner64(r: u64): bool { return (<u32>(r >> 52) & 0x7ff) - 2 < 0x7fd; }
@inline function inner32(r: u32): bool { return ((r >> 23) & 0xff) - 2 < 0xfd; }
// exponent within 2^-450..2^450: Dekker's product is exact (no overflow, no underflow)
@inline function mid64(x: u64): bool { return (<u32>(x >> 52) & 0x7ff) - (1023 - 450) < 900; }
// the rounding error of p = x * y, exactly (Veltkamp split, Dekker product)
@inline function prodErr(x: f64, y: f64, p: f64): f64 {
  let t = 134217729.0 * x;
  const xh = t - (t - x), xl = x - xh;
  t = 134217729.0 * y;
  const yh = t - (t - y), yl = y - yh;
  return ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
}

let fastHit: bool = false;
function addFast64(x: f64, y: f64): u64 {
  const s = x + y;
  const r = reinterpret<u64>(s);
  fastHit = true;
  if (inner64(r)) {
    const bb = s - x;
    const err = (x - (s - bb)) + (y - bb); // TwoSum: exact
    if (err == 0) return r;
    const q = adj64(r, err);
    if (q != 0) return q;
  } else if ((r << 1) == 0 && rcMode == RN) return r; // exact cancellation or zeros
  fastHit = false;
  return 0;
}
function addFast32(x: f64, y: f64): u32 {
  const s = x + y;
  const rf = <f32>s;
  const r = reinterpret<u32>(rf);
  fastHit = true;
  if (inner32(r)) {
    const bb = s - x;
    const err = (x - (s - bb)) + (y - bb);
    const rd = <f64>rf;
    if (rd == s) {
      if (err == 0) return r;
      const q = adj32(r, err);
      if (q != 0) return q;
    } else {
      const q = adj32(r, s - rd); // |s - rd| exceeds |err|
      if (q != 0) return q;
    }
  } else if (s == 0 && rcMode == RN) return r;
  fastHit = false;
  return 0;
}

// ---------------------------------------------------------------- public arithmetic, double
export function add64(a: u64, b: u64): u64 {
  if (addable64(a) && addable64(b)) {
    const r = addFast64(reinterpret<f64>(a), reinterpret<f64>(b));
    if (fastHit) return r;
  }
  return addSlow(a, b, false, true);
}
export function sub64(a: u64, b: u64): u64 {
  if (addable64(a) && addable64(b)) {
    const r = addFast64(reinterpret<f64>(a), -reinterpret<f64>(b));
    if (fastHit) return r;
  }
  return addSlow(a, b, true, true);
}

// normal below 2^1023, or zero: TwoSum's intermediates cannot overflow
@inline function addable64(x: u64): bool {
  const e = <u32>(x >> 52) & 0x7ff;
  return e - 1 < 0x7fd || (x << 1) == 0;
}

// odd part of a normal double's significand
@inline function oddSig(x: u64): u64 {
  const s = (x & 0xfffffffffffff) | 0x10000000000000;
  return s >> ctz<u64>(s);
}

export function mul64(a: u64, b: u64): u64 {
  if (plain64(a) && plain64(b)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const p = x * y;
    const r = reinterpret<u64>(p);
    if (inner64(r)) {
      if (rcMode == RN) {
        const oa = oddSig(a), ob = oddSig(b);
        // exact iff the product of the odd parts fits 53 bits
        const la = 64 - <i32>clz<u64>(oa), lb = 64 - <i32>clz<u64>(ob);
        if (la + lb > 54 || oa * ob >= 0x20000000000000) sfFlags |= SF_PE;
        return r;
      }
      if (mid64(a) && mid64(b)) {
        const err = prodErr(x, y, p);
        if (err == 0) return r;
        const q = adj64(r, err);
        if (q != 0) return q;
      }
    } else if ((a << 1) == 0 || (b << 1) == 0) return r; // an exact zero
  }
  return mulSlow(a, b, true);
}

export function div64(a: u64, b: u64): u64 {
  if (plain64(a) && plain64(b) && (b << 1) != 0) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const q = x / y;
    const r = reinterpret<u64>(q);
    if (inner64(r)) {
      if (rcMode == RN) {
        // exact iff the odd part of b divides the odd part of a
        if (oddSig(a) % oddSig(b) != 0) sfFlags |= SF_PE;
        return r;
      }
      if (mid64(r) && mid64(b)) {
        // remainder x - q*y, exactly: q*y = ph + pl, x - ph is exact (Sterbenz)
        const ph = q * y;
        const rem = (x - ph) - prodErr(q, y, ph);
        if (rem == 0) return r;
        const z = adj64(r, y > 0 ? rem : -rem);
        if (z != 0) return z;
      }
    } else if ((a << 1) == 0) return r;
  }
  return divSlow(a, b, true);
}

// sqrt: the native square root (round to nearest) and an exact integer comparison of its square
// with the operand decide inexactness and the direction for the directed rounding modes.
export function sqrt64(a: u64): u64 {
  if (a - 0x10000000000000 < 0x7fe0000000000000) return sqrtPos64(a); // positive normal
  denFlag = 0;
  if (isNaNx(a, true)) {
    preStop(isSNaNx(a, true) ? SF_IE : 0);
    return a | 0x8000000000000;
  }
  a = daz(a, true);
  const f = denFlag;
  if ((a << 1) == 0) { preStop(f); return a; }
  if ((a >> 63) != 0) { preStop(SF_IE); return QNAN64; }
  if (preStop(f)) return 0;
  if ((a >> 52) == 0x7ff) return a;
  return sqrtPos64(a);
}
function sqrtPos64(a: u64): u64 {
  const y = reinterpret<u64>(Math.sqrt(reinterpret<f64>(a)));
  if (rcMode == RN) {
    // exact iff the odd parts satisfy Y'^2 == X' (y is the nearest double to the root)
    const oy = oddSig(y);
    const xs = sigOf(a, true);
    const ox = xs >> ctz<u64>(xs);
    if (oy >= 0x8000000 || oy * oy != ox) sfFlags |= SF_PE;
    return y;
  }
  // y*y vs a: Y^2 * 2^(2ey-2150) vs X * 2^(ex-1075)
  const Y = (y & 0xfffffffffffff) | 0x10000000000000;
  const ey = <i32>(y >> 52);
  const X = sigOf(a, true);
  const ex = eOf(a, true);
  mul128(Y, Y);
  const s = ex + 1075 - 2 * ey;
  let xh: u64, xl: u64;
  if (s >= 64) { xh = X << <u64>(s - 64); xl = 0; }
  else if (s == 0) { xh = 0; xl = X; }
  else { xh = X >> <u64>(64 - s); xl = X << <u64>s; }
  if (hi128 == xh && lo128 == xl) return y;
  sfFlags |= SF_PE;
  const above = hi128 > xh || (hi128 == xh && lo128 > xl);
  const m = rcMode;
  if (above && (m == RD || m == RZ)) return y - 1;
  if (!above && m == RU) return y + 1;
  return y;
}

// ---------------------------------------------------------------- public arithmetic, single
export function add32(a: u32, b: u32): u32 {
  if (plain32(a) && plain32(b)) {
    const r = addFast32(<f64>reinterpret<f32>(a), <f64>reinterpret<f32>(b));
    if (fastHit) return r;
  }
  return <u32>addSlow(a, b, false, false);
}
export function sub32(a: u32, b: u32): u32 {
  if (plain32(a) && plain32(b)) {
    const r = addFast32(<f64>reinterpret<f32>(a), -<f64>reinterpret<f32>(b));
    if (fastHit) return r;
  }
  return <u32>addSlow(a, b, true, false);
}
export function mul32(a: u32, b: u32): u32 {
  if (plain32(a) && plain32(b)) {
    const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b); // exact
    const rf = <f32>p;
    const r = reinterpret<u32>(rf);
    if (inner32(r)) {
      const rd = <f64>rf;
      if (rd == p) return r;
      const q = adj32(r, p - rd);
      if (q != 0) return q;
    } else if (p == 0) return r;
  }
  return <u32>mulSlow(a, b, false);
}
export function div32(a: u32, b: u32): u32 {
  if (plain32(a) && plain32(b) && (b << 1) != 0) {
    const x = <f64>reinterpret<f32>(a), y = <f64>reinterpret<f32>(b);
    const rf = <f32>(x / y);
    const r = reinterpret<u32>(rf);
    if (inner32(r)) {
      const rem = x - <f64>rf * y; // exact: the product has 48 bits, then Sterbenz
      if (rem == 0) return r;
      const q = adj32(r, y > 0 ? rem : -rem);
      if (q != 0) return q;
    } else if (x == 0) return r;
  }
  return <u32>divSlow(a, b, false);
}
export function sqrt32(a: u32): u32 {
  if (a - 0x800000 < 0x7f000000) return sqrtPos32(a); // positive normal
  denFlag = 0;
  if (isNaNx(a, false)) {
    preStop(isSNaNx(a, false) ? SF_IE : 0);
    return a | 0x400000;
  }
  const a1 = <u32>daz(a, false);
  const f = denFlag;
  if ((a1 << 1) == 0) { preStop(f); return a1; }
  if ((a1 >> 31) != 0) { preStop(SF_IE); return QNAN32; }
  if (preStop(f)) return 0;
  if ((a1 >> 23) == 0xff) return a1;
  return sqrtPos32(a1);
}
// positive finite nonzero: the native root, then the exact square decides PE and the direction
function sqrtPos32(a1: u32): u32 {
  const rf = sqrt<f32>(reinterpret<f32>(a1)); // correctly rounded (to nearest)
  const x = <f64>reinterpret<f32>(a1);
  const r = reinterpret<u32>(rf);
  const sq = <f64>rf * <f64>rf; // exact
  if (sq == x) return r;
  sfFlags |= SF_PE;
  const m = rcMode;
  if (sq > x && (m == RD || m == RZ)) return r - 1;
  if (sq < x && m == RU) return r + 1;
  return r;
}

// ---------------------------------------------------------------- min / max
// MINSS: dest = a < b ? a : b; a NaN operand (quiet or signaling) raises IE and returns b, as do
// two zeros of any sign. DAZ operands read as zero.
function minmax(a: u64, b: u64, d: bool, isMax: bool): u64 {
  denFlag = 0;
  if (isNaNx(a, d) || isNaNx(b, d)) {
    preStop(SF_IE);
    return dazOn && isDenx(b, d) ? b & signBit(d) : b;
  }
  a = daz(a, d);
  b = daz(b, d);
  if (preStop(denFlag)) return 0;
  const x = d ? reinterpret<f64>(a) : <f64>reinterpret<f32>(<u32>a);
  const y = d ? reinterpret<f64>(b) : <f64>reinterpret<f32>(<u32>b);
  if (isMax) return x > y ? a : b;
  return x < y ? a : b;
}
export function min32(a: u32, b: u32): u32 { return <u32>minmax(a, b, false, false); }
export function max32(a: u32, b: u32): u32 { return <u32>minmax(a, b, false, true); }
export function min64(a: u64, b: u64): u64 { return minmax(a, b, true, false); }
export function max64(a: u64, b: u64): u64 { return minmax(a, b, true, true); }

// ---------------------------------------------------------------- compares
function cmpG(a: u64, b: u64, pred: u32, d: bool): bool {
  denFlag = 0;
  let f: u32 = 0;
  const un = isNaNx(a, d) || isNaNx(b, d);
  const p = pred & 7;
  if (un) {
    if (isSNaNx(a, d) || isSNaNx(b, d) || (p & 3) == 1 || (p & 3) == 2) f = SF_IE;
  }
  if (un) {
    preStop(f);
    return p == 3 || p == 4 || p == 5 || p == 6;
  }
  a = daz(a, d);
  b = daz(b, d);
  preStop(denFlag);
  const x = d ? reinterpret<f64>(a) : <f64>reinterpret<f32>(<u32>a);
  const y = d ? reinterpret<f64>(b) : <f64>reinterpret<f32>(<u32>b);
  switch (p) {
    case 0: return x == y;
    case 1: return x < y;
    case 2: return x <= y;
    case 3: return un;
    case 4: return !(x == y);
    case 5: return !(x < y);
    case 6: return !(x <= y);
    default: return !un;
  }
}
export function cmp32(a: u32, b: u32, pred: u32): bool { return cmpG(a, b, pred, false); }
export function cmp64(a: u64, b: u64, pred: u32): bool { return cmpG(a, b, pred, true); }

function comiG(a: u64, b: u64, signalQnan: bool, d: bool): u32 {
  denFlag = 0;
  let f: u32 = 0;
  const un = isNaNx(a, d) || isNaNx(b, d);
  if (un && (signalQnan || isSNaNx(a, d) || isSNaNx(b, d))) f = SF_IE;
  if (un) {
    preStop(f);
    return 0x45;
  }
  a = daz(a, d);
  b = daz(b, d);
  preStop(denFlag);
  const x = d ? reinterpret<f64>(a) : <f64>reinterpret<f32>(<u32>a);
  const y = d ? reinterpret<f64>(b) : <f64>reinterpret<f32>(<u32>b);
  if (x < y) return 0x01;
  if (x == y) return 0x40;
  return 0;
}
export function comi32(a: u32, b: u32, signalQnan: bool): u32 { return comiG(a, b, signalQnan, false); }
export function comi64(a: u64, b: u64, signalQnan: bool): u32 { return comiG(a, b, signalQnan, true); }

// ---------------------------------------------------------------- conversions
export function cvt32to64(a: u32): u64 {
  denFlag = 0;
  if (isNaNx(a, false)) {
    preStop(isSNaNx(a, false) ? SF_IE : 0);
    return (<u64>(a >> 31) << 63) | 0x7ff8000000000000 | (<u64>(a & 0x3fffff) << 29);
  }
  const a1 = <u32>daz(a, false);
  if (preStop(denFlag)) return 0;
  return reinterpret<u64>(<f64>reinterpret<f32>(a1)); // exact
}

// round a finite nonzero double to single (CVTSD2SS and the slow single multiply)
function f64ToF32Round(x: u64): u32 {
  const neg = (x >> 63) != 0;
  let e = <i32>(x >> 52) & 0x7ff;
  let m = x & 0xfffffffffffff;
  if (e == 0) {
    const s = <i32>clz<u64>(m) - 11;
    m <<= <u64>s;
    e = 1 - s;
  } else m |= 0x10000000000000;
  return <u32>roundPack(neg, e - 1023 + 127, m << 11, false);
}

export function cvt64to32(a: u64): u32 {
  denFlag = 0;
  if (isNaNx(a, true)) {
    preStop(isSNaNx(a, true) ? SF_IE : 0);
    return (<u32>(a >> 63) << 31) | 0x7fc00000 | <u32>((a >> 29) & 0x3fffff);
  }
  const a1 = daz(a, true);
  if (preStop(denFlag)) return 0;
  if ((a1 << 1) == 0) return <u32>(a1 >> 32);
  if (((a1 >> 52) & 0x7ff) == 0x7ff) return <u32>(a1 >> 32) & 0xff800000;
  {
    const x = reinterpret<f64>(a1);
    const rf = <f32>x;
    const r = reinterpret<u32>(rf);
    if (inner32(r)) {
      const rd = <f64>rf;
      if (rd == x) return r;
      const q = adj32(r, x - rd);
      if (q != 0) return q;
    }
  }
  return f64ToF32Round(a1);
}

export function i32to64(v: i32): u64 { return reinterpret<u64>(<f64>v); }
export function i32to32(v: i32): u32 {
  const x = <f64>v;
  const rf = <f32>x;
  const rd = <f64>rf;
  if (rd == x) return reinterpret<u32>(rf);
  return adj32(reinterpret<u32>(rf), x - rd); // |v| < 2^31: never overflows
}

function toInt(x: f64, truncate: bool): i32 {
  let r: f64;
  const m = truncate ? RZ : rcMode;
  if (m == RN) r = nearest<f64>(x);
  else if (m == RD) r = floor<f64>(x);
  else if (m == RU) r = ceil<f64>(x);
  else r = trunc<f64>(x);
  if (!(r >= -2147483648.0 && r <= 2147483647.0)) {
    sfFlags |= SF_IE;
    return 0x80000000;
  }
  if (r != x) sfFlags |= SF_PE;
  return <i32>r;
}
export function f32toi32(a: u32, truncate: bool): i32 {
  if (dazOn && isDenx(a, false)) a &= 0x80000000;
  return toInt(<f64>reinterpret<f32>(a), truncate);
}
export function f64toi32(a: u64, truncate: bool): i32 {
  if (dazOn && isDenx(a, true)) a &= 0x8000000000000000;
  return toInt(reinterpret<f64>(a), truncate);
}

// ---------------------------------------------------------------- approximations
// RCPSS / RSQRTSS (no exceptions; denormal operands read as zero, tiny results are flushed to
// zero). The SDM only bounds the relative error (1.5 * 2^-12); the exact values are a property
// of the microarchitecture. These reproduce the reference host (AMD EPYC, Zen): a 12-bit result
// significand that depends only on the top 12 significand bits of the operand (and, for
// RSQRTSS, the exponent's parity). Each entry is the 12-bit rounding of the function at the
// midpoint of its input interval plus a measured correction of -1, 0 or +1 (2 bits, packed four
// to a byte); the full tables are built on first use into static memory. Intel parts return
// different approximations.
// RCPSS: 4096 2-bit corrections
const RCP_DELTA = memory.data<u8>([
  80,85,165,170,80,85,165,170,80,85,165,170,80,85,80,85,165,170,165,170,165,90,165,170,81,85,165,85,165,86,165,90,
  165,90,165,90,165,86,165,85,101,85,85,85,165,90,165,85,170,106,165,86,170,106,165,85,166,90,101,85,165,85,81,1,
  4,69,85,89,20,85,101,105,20,69,85,89,89,154,166,170,84,149,101,89,89,150,166,105,105,154,166,105,105,154,166,105,
  89,150,101,89,85,85,85,21,89,150,101,85,105,154,101,89,105,154,101,89,105,150,85,21,89,86,81,4,106,154,101,21,
  68,85,102,166,68,101,102,170,68,101,102,166,68,85,101,102,85,102,170,170,68,85,85,102,85,102,102,102,85,102,102,102,
  85,102,102,102,85,102,85,85,153,170,170,102,85,102,86,85,153,102,102,102,153,170,102,102,154,170,102,102,153,106,102,86,
  20,85,150,105,101,153,166,170,20,85,149,101,85,89,150,105,101,89,166,105,101,89,150,105,85,85,150,101,20,85,85,85,
  101,89,150,101,85,85,85,85,85,85,85,85,101,89,150,85,101,89,150,85,101,89,85,85,85,85,81,20,105,154,150,85,
  80,81,85,89,84,86,86,90,149,150,150,154,149,150,150,154,149,150,150,154,149,150,86,90,85,86,85,89,169,166,166,154,
  149,86,86,89,165,166,150,90,85,85,81,69,85,86,85,69,85,86,85,69,85,86,81,69,85,85,65,5,169,150,86,89,
  85,85,165,85,106,149,170,169,21,85,149,85,101,85,169,85,105,85,170,85,106,85,170,85,106,85,169,85,105,85,165,85,
  85,85,85,84,106,149,170,85,105,85,85,85,106,85,170,85,21,85,85,0,106,85,85,80,106,85,85,84,106,85,85,84,
  85,85,85,149,85,85,85,85,149,170,170,170,85,85,85,170,85,85,85,85,85,85,85,149,170,170,170,170,85,85,85,85,
  85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,170,170,170,170,106,85,85,85,85,85,85,85,
  85,101,85,85,85,165,170,170,1,80,85,85,85,85,85,85,85,165,86,85,85,165,90,85,85,165,90,85,85,165,86,85,
  85,85,85,85,21,80,85,85,85,165,170,85,85,101,85,85,90,165,170,86,85,101,85,85,86,165,90,85,85,80,85,1,
  149,90,165,106,149,106,165,170,64,85,80,85,64,85,80,85,149,106,165,106,149,90,165,90,149,86,165,85,85,85,85,85,
  150,170,165,90,149,86,101,85,69,85,80,5,149,86,101,85,150,106,165,86,85,85,81,21,149,85,85,85,149,90,101,85,
  81,69,85,85,81,69,85,85,81,69,85,85,81,69,21,85,165,150,90,106,165,149,86,90,101,149,85,86,81,69,21,85,
  165,149,86,90,85,85,21,85,165,150,86,86,85,69,21,21,165,149,85,85,166,150,86,90,85,69,5,5,101,85,21,21,
  85,101,101,101,85,165,165,165,149,165,165,101,85,101,101,101,85,101,101,101,69,85,85,85,69,81,81,81,150,165,165,165,
  85,101,101,85,69,85,81,81,149,165,101,101,69,85,81,81,149,101,101,85,69,81,81,80,85,101,85,81,150,165,101,85,
  85,85,149,101,85,89,150,165,101,89,150,166,101,89,154,166,101,89,154,166,101,89,154,166,101,89,150,166,101,89,150,101,
  85,85,149,101,85,85,85,85,81,20,69,81,101,89,150,101,85,85,85,85,166,105,154,166,101,85,85,85,81,20,69,81,
  4,81,20,85,85,101,85,101,89,166,89,166,20,85,20,85,85,85,85,101,85,101,89,101,89,102,89,166,89,166,105,166,
  20,81,20,81,20,81,20,85,20,81,20,81,20,81,20,81,105,166,89,166,89,102,89,102,89,101,89,101,85,85,85,85,
  21,85,84,81,105,166,153,102,89,101,149,85,21,85,84,81,89,102,153,101,85,85,85,81,89,102,153,101,85,85,84,81,
  89,102,149,85,21,81,68,17,89,85,85,81,89,102,149,85,106,166,153,101,21,85,68,17,89,85,85,81,89,101,85,85,
  68,84,17,85,68,85,81,85,68,85,81,85,68,85,81,85,68,85,17,85,68,84,17,81,153,153,102,102,153,153,101,102,
  85,153,85,101,85,85,85,85,68,85,17,81,153,153,101,102,85,149,85,85,68,85,17,17,153,153,85,101,85,85,17,85,
  153,89,85,102,85,21,17,85,153,89,85,101,85,21,17,17,149,89,85,85,153,89,102,102,85,21,17,17,149,89,85,85,
  153,89,85,85,169,106,102,102,85,21,17,17,85,21,17,17,153,89,85,85,153,89,85,85,153,89,85,85,153,89,85,85,
]);
// RSQRTSS: 8192 2-bit corrections
const RSQRT_DELTA = memory.data<u8>([
  81,85,85,101,85,89,150,165,101,89,154,166,16,20,69,81,80,20,69,81,165,105,154,166,101,105,154,166,101,89,150,101,
  101,89,150,101,85,85,85,85,166,105,154,166,101,89,150,101,85,21,69,81,101,89,150,101,85,20,69,81,101,89,85,85,
  85,101,85,85,89,102,89,150,89,166,105,150,20,85,20,69,21,85,21,69,21,85,21,69,21,85,21,69,21,85,21,69,
  21,85,20,69,105,166,105,150,89,102,89,86,89,101,85,69,21,85,20,65,105,166,89,86,89,85,21,69,105,166,89,86,
  89,101,86,153,20,81,69,84,85,85,86,149,89,102,150,153,20,81,69,84,21,85,85,85,89,85,86,149,89,101,86,153,
  89,102,150,153,89,102,150,153,89,102,150,153,89,102,86,153,89,102,86,153,89,101,86,85,89,85,85,85,21,85,69,84,
  21,17,85,85,89,101,102,102,89,85,85,101,21,17,81,85,89,85,102,102,21,81,85,85,89,85,102,102,21,17,85,85,
  89,85,85,101,106,102,102,102,21,85,85,85,89,85,85,85,105,102,102,102,21,17,17,17,21,17,85,85,89,85,85,85,
  153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,85,85,85,85,85,85,
  85,85,85,85,69,68,68,68,153,153,153,153,85,85,85,85,85,85,68,68,153,153,153,85,85,85,85,85,153,153,153,153,
  81,85,85,101,150,153,153,169,81,85,85,101,149,153,153,101,81,85,69,84,149,89,85,101,150,153,153,105,81,85,69,84,
  149,85,85,85,149,153,85,101,166,153,153,101,81,69,68,84,81,85,69,84,85,85,85,84,85,85,85,84,149,85,85,85,
  153,101,102,154,153,101,102,153,153,101,102,153,89,101,86,153,89,101,86,153,85,101,85,89,85,85,85,85,85,84,17,85,
  153,105,102,154,89,101,86,153,85,85,85,85,85,84,17,85,153,101,102,153,85,101,85,85,69,84,17,69,89,101,86,89,
  85,84,85,85,153,101,150,89,85,85,85,85,153,101,150,89,85,84,81,85,153,101,150,89,85,84,81,69,89,101,149,85,
  153,101,150,89,85,84,81,69,89,101,85,85,153,101,150,89,69,20,81,68,85,85,81,69,89,101,85,85,153,101,149,85,
  85,81,85,85,85,85,101,85,101,85,101,149,101,149,101,149,101,149,101,150,101,150,101,150,101,150,101,150,101,150,101,150,
  101,150,101,150,101,149,101,149,101,149,101,85,101,85,101,85,85,85,85,85,85,81,85,81,84,81,20,81,105,150,105,150,
  85,150,101,153,85,85,85,89,69,81,84,85,89,166,105,154,85,150,101,89,69,85,85,85,68,81,20,69,85,150,101,89,
  69,81,85,85,89,150,101,154,85,85,85,85,69,81,20,69,85,85,101,89,69,81,20,69,85,149,101,89,69,81,20,69,
  85,85,85,85,154,166,105,154,85,85,85,85,89,150,101,89,69,81,20,69,85,85,85,85,89,150,101,89,69,81,20,69,
  85,85,85,85,89,150,101,89,69,81,20,69,85,85,85,85,89,150,85,85,89,150,101,89,154,166,105,154,69,81,20,69,
  81,20,69,85,81,20,69,85,85,85,69,85,85,85,85,89,86,85,85,89,150,85,85,89,150,101,85,89,150,101,89,89,
  150,101,89,89,150,101,89,89,150,101,89,89,150,101,85,89,150,101,85,89,150,85,85,89,86,85,85,89,85,85,85,85,
  20,5,69,81,105,89,154,150,101,89,90,150,101,85,89,86,85,85,85,85,21,69,85,81,20,5,69,81,101,89,90,150,
  101,85,89,85,85,69,85,85,20,5,69,81,101,89,89,150,85,85,85,85,21,69,69,81,101,89,90,150,85,85,85,85,
  20,69,69,81,101,89,89,86,85,69,85,81,105,89,90,150,85,85,85,85,20,5,69,65,101,85,89,85,21,69,69,81,
  101,89,89,85,21,69,69,81,101,89,89,85,21,69,69,81,101,85,89,85,21,5,69,65,101,85,85,85,105,89,90,150,
  69,69,85,85,85,89,89,89,5,69,69,69,85,85,85,89,89,89,89,90,5,69,69,69,85,85,85,89,89,89,89,90,
  5,69,69,69,69,85,85,85,85,89,89,89,89,90,90,90,69,69,69,69,69,85,85,85,85,85,89,89,89,89,89,90,
  5,5,5,69,69,69,69,69,69,85,85,85,85,85,85,85,89,89,89,89,89,89,89,90,90,90,90,90,5,5,5,5,
  69,69,69,69,69,69,69,69,69,69,69,69,69,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,
  0,0,85,85,0,0,85,85,0,0,85,85,85,85,170,170,85,85,90,85,0,0,85,85,85,85,90,85,85,85,170,170,
  5,0,85,85,85,5,85,85,85,85,85,85,85,85,85,85,85,21,85,85,85,5,85,85,21,0,85,21,85,85,106,85,
  85,106,85,170,5,85,85,85,85,106,85,170,1,85,5,85,85,85,85,86,85,90,85,90,85,106,85,106,85,170,85,170,
  85,106,85,106,85,106,85,90,85,90,85,86,85,85,21,85,5,85,1,85,85,90,85,86,85,85,5,85,85,106,85,86,
  85,85,86,101,149,86,106,165,65,21,85,81,69,85,85,85,85,85,86,85,149,85,86,101,149,85,86,85,149,85,86,85,
  85,85,85,81,69,21,85,80,150,90,106,165,149,85,86,85,85,21,85,80,150,86,90,85,85,85,85,80,149,86,86,85,
  69,101,101,101,149,165,165,165,64,81,81,81,65,85,85,85,69,85,85,85,69,85,85,85,69,85,85,85,69,85,85,85,
  69,85,85,85,65,81,81,81,150,165,165,165,85,101,101,101,69,85,85,81,150,166,165,101,85,101,85,85,150,166,165,101,
  20,5,69,81,85,85,85,101,89,90,150,165,20,21,69,81,85,21,85,85,85,86,85,101,89,86,150,101,89,90,150,101,
  89,90,150,101,89,90,150,101,89,86,150,101,89,86,85,85,89,86,85,85,85,21,69,81,105,90,150,101,89,86,85,85,
  81,20,85,85,101,89,166,105,85,85,101,89,101,89,166,105,85,85,85,85,101,89,166,89,81,20,85,21,85,85,101,85,
  101,89,102,89,166,89,166,105,81,20,85,20,85,21,85,21,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,85,
  89,102,154,102,89,102,154,101,89,101,150,101,85,85,86,85,21,85,85,81,89,102,154,102,89,101,150,85,21,85,85,81,
  89,102,154,101,85,85,86,85,89,102,154,101,85,85,86,81,89,102,154,85,21,85,85,17,89,101,86,85,105,102,154,101,
  85,89,85,86,153,89,102,150,153,105,102,154,84,21,85,69,85,85,85,69,85,85,85,85,85,89,85,85,85,89,85,86,
  85,89,85,85,85,89,85,85,85,85,85,69,85,21,85,69,84,21,17,69,153,105,102,86,153,89,101,86,85,89,85,69,
  102,102,166,170,85,85,102,102,81,85,85,85,102,102,102,166,85,85,85,102,102,102,166,170,85,85,85,102,102,102,102,170,
  85,85,85,101,102,102,102,102,81,85,85,85,85,85,101,102,102,102,102,102,17,85,85,85,85,85,85,85,85,102,102,102,
  85,85,85,85,85,85,85,85,149,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,153,
  153,153,153,153,153,153,153,153,153,153,85,85,85,85,85,85,85,85,85,85,170,170,154,153,153,153,153,153,153,153,89,85,
  85,85,102,102,85,85,85,85,153,153,170,106,85,85,102,102,85,68,85,85,153,89,102,102,85,85,86,85,153,153,106,102,
  85,85,102,85,153,153,106,102,85,85,85,85,153,89,102,102,85,68,85,85,85,85,102,86,153,153,106,102,85,69,85,85,
  17,85,85,84,85,89,85,101,86,153,153,101,102,170,153,169,17,85,85,84,85,85,85,85,85,89,85,101,85,153,89,101,
  86,153,89,101,102,153,153,101,102,154,153,101,102,154,153,105,102,154,153,105,102,154,153,101,102,154,153,101,102,153,89,101,
  85,85,89,85,69,85,85,85,68,21,85,69,153,102,170,153,89,102,154,89,85,86,153,85,85,85,89,85,68,21,85,69,
  89,102,154,153,85,86,153,85,69,85,85,69,153,102,154,153,85,86,153,85,69,21,85,69,89,102,153,89,85,85,85,85,
  153,101,150,105,85,85,85,101,153,101,150,169,85,85,85,101,153,101,150,105,85,84,81,85,153,101,150,105,85,84,81,85,
  89,101,149,101,154,101,150,105,85,84,81,85,89,101,149,101,154,101,150,105,85,84,81,85,85,85,85,101,153,101,149,101,
  69,21,69,20,85,85,85,84,85,86,89,85,89,102,89,101,153,102,153,101,154,102,154,101,154,106,154,105,85,21,85,20,
  85,21,85,84,85,85,85,84,85,85,85,84,85,85,85,85,85,86,85,85,85,85,85,84,85,85,85,84,85,85,85,84,
  101,89,101,89,101,89,85,89,85,89,85,85,85,85,85,85,84,85,20,85,105,170,105,154,105,154,101,154,101,153,101,89,
  85,89,85,85,85,85,84,85,105,154,105,154,101,154,101,89,101,89,85,85,85,85,20,85,105,154,101,153,101,89,85,85,
]);

const RCP_TABLE = memory.data(4096 * 2); // u16: 12-bit significand fraction of 1/x, x in [1, 2)
const RSQRT_TABLE = memory.data(8192 * 2); // u16: (bits - 0x3f000000) >> 11, x in [0.5, 2)
let approxReady = false;
@inline function delta(t: usize, i: u32): i32 {
  return <i32>((load<u8>(t + (i >> 2)) >> ((i & 3) << 1)) & 3) - 1;
}
function buildApprox(): void {
  for (let i: u32 = 0; i < 4096; i++) {
    const xm = 1.0 + (<f64>i + 0.5) / 4096.0;
    store<u16>(RCP_TABLE + (i << 1), <u16>(<i32>nearest<f64>(8192.0 / xm - 4096.0) + delta(RCP_DELTA, i)));
  }
  for (let j: u32 = 0; j < 8192; j++) {
    const m = 1.0 + (<f64>(j & 4095) + 0.5) / 4096.0;
    const v = 1.0 / Math.sqrt(j < 4096 ? 0.5 * m : m);
    const c = v >= 1.0 ? nearest<f64>((v - 1.0) * 4096.0) + 4096.0 : nearest<f64>((v - 0.5) * 8192.0);
    store<u16>(RSQRT_TABLE + (j << 1), <u16>(<i32>c + delta(RSQRT_DELTA, j)));
  }
  approxReady = true;
}

export function rcp32(a: u32): u32 {
  const sgn = a & 0x80000000;
  const e = (a >> 23) & 0xff;
  if (e == 0xff) {
    if ((a & 0x7fffff) != 0) return a | 0x400000;
    return sgn;
  }
  if (e == 0) return sgn | 0x7f800000;
  if (!approxReady) buildApprox();
  const re = 253 - <i32>e;
  if (re <= 0) return sgn;
  const f = <u32>load<u16>(RCP_TABLE + (((a >> 11) & 0xfff) << 1));
  return sgn | (<u32>re << 23) | (f << 11);
}
export function rsqrt32(a: u32): u32 {
  const sgn = a & 0x80000000;
  const e = (a >> 23) & 0xff;
  if (e == 0xff && (a & 0x7fffff) != 0) return a | 0x400000;
  if (e == 0) return sgn | 0x7f800000;
  if (sgn) return QNAN32;
  if (e == 0xff) return 0;
  if (!approxReady) buildApprox();
  const j = ((e & 1) << 12) | ((a >> 11) & 0xfff);
  const base = 0x3f000000 + (<u32>load<u16>(RSQRT_TABLE + (j << 1)) << 11);
  const k = (<i32>e - (126 + <i32>(e & 1))) >> 1;
  return <u32>(<i32>base - (k << 23));
}
