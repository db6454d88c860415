// Software 80-bit extended precision (the x87 register format, SDM Vol. 1 4.2.2 and 8.2):
// integer arithmetic on a 64-bit significand with an explicit integer bit and a 15-bit biased
// exponent. Exact results are rounded once, in one of the four rounding modes, to a precision
// of 24, 53 or 64 bits and to the exponent range of the destination (extended, double or single).
//
// Interface: operands are (se, sig) pairs: se = sign << 15 | biased exponent, sig the 64-bit
// significand. Results go to the globals rSe/rSig; exceptions accumulate in `flags` as FSW bits
// (IE DE ZE OE UE PE, and C1 for "rounded up"). The caller sets `rc` (rounding control) and
// `masks` (the FCW exception masks: the unmasked responses to overflow and underflow differ).
// Nothing allocates: multi-word intermediates live in globals.

export const F_IE: u32 = 0x01;
export const F_DE: u32 = 0x02;
export const F_ZE: u32 = 0x04;
export const F_OE: u32 = 0x08;
export const F_UE: u32 = 0x10;
export const F_PE: u32 = 0x20;
export const F_SF: u32 = 0x40; // stack fault (with IE)
export const F_C1: u32 = 0x200; // the significand was rounded up (incremented in magnitude)

export const RC_NEAR: u32 = 0;
export const RC_DOWN: u32 = 1;
export const RC_UP: u32 = 2;
export const RC_ZERO: u32 = 3;

export const BIAS: i32 = 16383;
export const EXP_MAX: u32 = 0x7fff;
const J: u64 = 0x8000000000000000; // the explicit integer bit
const QBIT: u64 = 0x4000000000000000; // the quiet bit of a NaN
// the exponent adjustment of the unmasked overflow/underflow response for an extended result
export const WRAP: i32 = 24576;

export let flags: u32 = 0;
export let rc: u32 = RC_NEAR;
export let masks: u32 = 0x3f;
export let rSe: u32 = 0;
export let rSig: u64 = 0;

@inline export function setMode(cw: u32): void {
  rc = (cw >> 10) & 3;
  masks = cw & 0x3f;
  flags = 0;
  sourceDenormal = false;
}
@inline export function setResult(se: u32, sig: u64): void { rSe = se; rSig = sig; }
@inline export function resetFlags(): void { flags = 0; }
@inline export function raiseFlags(f: u32): void { flags |= f; }
@inline export function dropFlags(f: u32): void { flags &= ~f; }

// ---------------------------------------------------------------- classes
export const C_ZERO: u32 = 0;
export const C_DENORMAL: u32 = 1; // denormal or pseudo-denormal
export const C_NORMAL: u32 = 2;
export const C_INF: u32 = 3;
export const C_QNAN: u32 = 4;
export const C_SNAN: u32 = 5;
export const C_UNSUPPORTED: u32 = 6; // unnormal, pseudo-NaN, pseudo-infinity (invalid since the 387)

export function classify(se: u32, sig: u64): u32 {
  const e = se & EXP_MAX;
  if (e == 0) return sig == 0 ? C_ZERO : C_DENORMAL;
  if ((sig & J) == 0) return C_UNSUPPORTED;
  if (e == EXP_MAX) {
    if ((sig << 1) == 0) return C_INF;
    return sig & QBIT ? C_QNAN : C_SNAN;
  }
  return C_NORMAL;
}
@inline export function isNaN(se: u32, sig: u64): bool {
  return (se & EXP_MAX) == EXP_MAX && (sig & J) != 0 && (sig << 1) != 0;
}
@inline export function isSNaN(se: u32, sig: u64): bool { return isNaN(se, sig) && (sig & QBIT) == 0; }

// the default NaN (real indefinite)
export const INDEF_SE: u32 = 0xffff;
export const INDEF_SIG: u64 = 0xc000000000000000;
export function invalid(): void {
  flags |= F_IE;
  rSe = INDEF_SE;
  rSig = INDEF_SIG;
}

// NaN operands (x87 rules, SDM Vol. 1 table 4-7): an SNaN raises IE; the result is the NaN
// operand, or of two NaNs the one with the larger significand, made quiet.
export function propagateNaN(aSe: u32, aSig: u64, bSe: u32, bSig: u64): void {
  const aN = isNaN(aSe, aSig);
  const bN = isNaN(bSe, bSig);
  if ((aN && !(aSig & QBIT)) || (bN && !(bSig & QBIT))) flags |= F_IE;
  let pickA = aN;
  if (aN && bN) pickA = aSig > bSig || (aSig == bSig && (aSe & 0x8000) == 0);
  if (pickA) { rSe = aSe; rSig = aSig | QBIT; } else { rSe = bSe; rSig = bSig | QBIT; }
}

// ---------------------------------------------------------------- unpacked operands
// An unpacked finite nonzero value: sign, biased exponent (any i32) and a normalized
// significand (bit 63 set). Pseudo-denormals have exponent 1, denormals are normalized.
export let uSign: u32 = 0;
export let uExp: i32 = 0;
export let uSig: u64 = 0;
export function unpack(se: u32, sig: u64): void {
  uSign = se >> 15;
  let e = <i32>(se & EXP_MAX);
  if (e == 0) {
    if (sig & J) e = 1;
    else {
      const lz = <i32>clz<u64>(sig);
      sig <<= <u64>lz;
      e = 1 - lz;
    }
  }
  uExp = e;
  uSig = sig;
}

// ---------------------------------------------------------------- multi-word helpers
export let h64: u64 = 0; // high and low words of a 128-bit result
export let l64: u64 = 0;

// (hi:lo) >> n, with the bits shifted out ORed into bit 0 (sticky)
export function shiftRightJam128(hi: u64, lo: u64, n: i32): void {
  if (n <= 0) { h64 = hi; l64 = lo; return; }
  if (n < 64) {
    l64 = (hi << <u64>(64 - n)) | (lo >> <u64>n) | ((lo << <u64>(64 - n)) != 0 ? 1 : 0);
    h64 = hi >> <u64>n;
  } else if (n == 64) {
    l64 = hi | (lo != 0 ? 1 : 0);
    h64 = 0;
  } else if (n < 128) {
    l64 = (hi >> <u64>(n - 64)) | (((hi << <u64>(128 - n)) | lo) != 0 ? 1 : 0);
    h64 = 0;
  } else {
    l64 = (hi | lo) != 0 ? 1 : 0;
    h64 = 0;
  }
}

// (hi:lo) << n for 0 <= n < 128
export function shiftLeft128(hi: u64, lo: u64, n: i32): void {
  if (n == 0) { h64 = hi; l64 = lo; return; }
  if (n < 64) {
    h64 = (hi << <u64>n) | (lo >> <u64>(64 - n));
    l64 = lo << <u64>n;
  } else {
    h64 = lo << <u64>(n - 64);
    l64 = 0;
  }
}

// a * b as 128 bits
export function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  l64 = (mid << 32) | (p00 & 0xffffffff);
  h64 = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

// (u1:u0) / v for a normalized v (bit 63 set) and u1 < v: the quotient in h64, the remainder in
// l64 (Hacker's Delight divlu, 32-bit digits)
export function div128(u1: u64, u0: u64, v: u64): void {
  const B: u64 = 0x100000000;
  const vn1 = v >> 32, vn0 = v & 0xffffffff;
  const un1 = u0 >> 32, un0 = u0 & 0xffffffff;
  let q1 = u1 / vn1;
  let rhat = u1 - q1 * vn1;
  while (q1 >= B || q1 * vn0 > ((rhat << 32) | un1)) {
    q1--;
    rhat += vn1;
    if (rhat >= B) break;
  }
  const un21 = (u1 << 32) + un1 - q1 * v;
  let q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= B || q0 * vn0 > ((rhat << 32) | un0)) {
    q0--;
    rhat += vn1;
    if (rhat >= B) break;
  }
  l64 = (un21 << 32) + un0 - q0 * v;
  h64 = (q1 << 32) + q0;
}

// floor(sqrt(hi:lo)) in h64 (it fits 64 bits), the remainder (up to 65 bits) in l64 with its
// bit 64 in sqrtRemHi (bit-by-bit method)
export let sqrtRemHi: u64 = 0;
export function sqrt128(hi: u64, lo: u64): void {
  let xh = hi, xl = lo; // remainder
  let rh: u64 = 0, rl: u64 = 0; // root, scaled
  let bh: u64 = 0x4000000000000000, bl: u64 = 0; // the bit, a power of four
  while ((bh | bl) != 0) {
    // t = r + b
    const tl = rl + bl;
    const th = rh + bh + (tl < rl ? 1 : 0);
    // r >>= 1
    rl = (rl >> 1) | (rh << 63);
    rh >>= 1;
    if (xh > th || (xh == th && xl >= tl)) {
      const nl = xl - tl;
      xh = xh - th - (xl < tl ? 1 : 0);
      xl = nl;
      // r += b
      const sl = rl + bl;
      rh = rh + bh + (sl < rl ? 1 : 0);
      rl = sl;
    }
    // b >>= 2
    bl = (bl >> 2) | (bh << 62);
    bh >>= 2;
  }
  h64 = rl;
  l64 = xl;
  sqrtRemHi = xh;
}

// ---------------------------------------------------------------- rounding
// Rounds the exact value sig.extra * 2^(exp - BIAS - 63) (sig normalized, extra the bits below
// it with a sticky bit 0) to `prec` significant bits, in the exponent range [eMin, eMax]
// (biased; denormals below eMin). wrap: the destination is an extended register, where an
// unmasked overflow or underflow delivers the result with the exponent adjusted by 24576
// (SDM Vol. 1 4.9.1.4 and 4.9.1.5); otherwise an unmasked OE/UE only raises its flag (the
// caller stores nothing). Tininess is detected after rounding. Sets rSe/rSig in the biased
// extended encoding of the same value (the packers below re-encode it for memory formats);
// a denormal result has exponent eMin with bit 63 clear.
export let rExp: i32 = 0; // the result's biased exponent (i32, for memory-format packing)
export function roundPack(sign: u32, exp: i32, sig: u64, extra: u64, prec: i32, eMin: i32, eMax: i32, wrap: bool): void {
  const sh = 64 - prec;
  const ueUnmasked = (masks & F_UE) == 0;
  const oeUnmasked = (masks & F_OE) == 0;
  let tiny = false;
  let denorm = false;
  // a result beyond even the adjusted range (FSCALE can make one) becomes infinity or zero
  if (wrap && oeUnmasked && exp > eMax + WRAP) { // infinity, whatever the rounding mode
    flags |= F_OE | F_PE | F_C1;
    rSe = (sign << 15) | EXP_MAX;
    rSig = J;
    return;
  }
  if (wrap && ueUnmasked && exp < eMin - WRAP) { // zero
    flags |= F_UE | F_PE;
    rSe = sign << 15;
    rSig = 0;
    return;
  }
  if (exp < eMin) {
    tiny = exp < eMin - 1 || !roundCarries(sign, sig, extra, sh);
    if (!(wrap && ueUnmasked)) {
      shiftRightJam128(sig, extra, eMin - exp);
      sig = h64;
      extra = l64;
      exp = eMin;
      denorm = true;
    }
  }
  let inexact: bool;
  let inc: bool;
  if (sh == 0) {
    inexact = extra != 0;
    inc = roundUp(sign, (sig & 1) != 0, extra > J, extra == J, inexact);
    if (inc) {
      sig++;
      if (sig == 0) { sig = J; exp++; }
    }
  } else {
    const one = <u64>1 << <u64>sh;
    const mask = one - 1;
    const half = <u64>1 << <u64>(sh - 1);
    const rb = sig & mask;
    inexact = rb != 0 || extra != 0;
    inc = roundUp(sign, (sig & one) != 0, rb > half || (rb == half && extra != 0), rb == half && extra == 0, inexact);
    sig &= ~mask;
    if (inc) {
      sig += one;
      if (sig == 0) { sig = J; exp++; }
    }
  }
  if (!wrap && ((exp > eMax && oeUnmasked) || (tiny && ueUnmasked))) {
    // a memory destination with OE/UE unmasked: only the flag; nothing is stored
    flags |= exp > eMax ? F_OE : F_UE;
    return;
  }
  if (inexact) flags |= F_PE;
  if (inc) flags |= F_C1;
  if (tiny && (inexact || ueUnmasked)) flags |= F_UE;
  if (exp > eMax) {
    flags |= F_OE;
    if (wrap && oeUnmasked) {
      exp -= WRAP;
    } else {
      flags |= F_PE;
      // the masked response: infinity or the largest finite value, by rounding direction
      if (rc == RC_NEAR || (rc == RC_UP && sign == 0) || (rc == RC_DOWN && sign != 0)) {
        exp = EXP_MAX;
        sig = J;
        flags |= F_C1;
      } else {
        exp = eMax;
        sig = sh == 0 ? 0xffffffffffffffff : ~((<u64>1 << <u64>sh) - 1);
        flags &= ~F_C1;
      }
      rExp = exp;
      rSe = (sign << 15) | <u32>(exp == EXP_MAX ? EXP_MAX : exp);
      rSig = sig;
      return;
    }
  } else if (tiny && wrap && ueUnmasked) {
    exp += WRAP;
  }
  if (denorm && (sig & J) == 0) {
    rExp = eMin;
    rSe = sign << 15; // extended: denormals have exponent field 0
    rSig = sig;
    return;
  }
  rExp = exp;
  rSe = (sign << 15) | (<u32>exp & EXP_MAX);
  rSig = sig;
}

// the rounding decision: lsb of the kept part, more than half below it, exactly half
@inline function roundUp(sign: u32, lsb: bool, aboveHalf: bool, exactHalf: bool, inexact: bool): bool {
  switch (rc) {
    case RC_NEAR: return aboveHalf || (exactHalf && lsb);
    case RC_DOWN: return inexact && sign != 0;
    case RC_UP: return inexact && sign == 0;
  }
  return false;
}

// whether rounding a normalized sig.extra at `sh` bits below bit 63 carries out of bit 63
function roundCarries(sign: u32, sig: u64, extra: u64, sh: i32): bool {
  if (sh == 0) {
    if (sig != 0xffffffffffffffff) return false;
    return roundUp(sign, true, extra > J, extra == J, extra != 0);
  }
  const one = <u64>1 << <u64>sh;
  const mask = one - 1;
  if ((sig | mask) != 0xffffffffffffffff) return false;
  const half = <u64>1 << <u64>(sh - 1);
  const rb = sig & mask;
  return roundUp(sign, true, rb > half || (rb == half && extra != 0), rb == half && extra == 0, rb != 0 || extra != 0);
}

// an extended result in the register range, rounded to prec bits
@inline export function roundExt(sign: u32, exp: i32, sig: u64, extra: u64, prec: i32): void {
  roundPack(sign, exp, sig, extra, prec, 1, 0x7ffe, true);
}

// a zero result of an exact sum x + (-x): +0, or -0 when rounding down (IEEE 754 6.3)
@inline function exactZero(): void {
  rSe = rc == RC_DOWN ? 0x8000 : 0;
  rSig = 0;
}

// ---------------------------------------------------------------- operand checks
// Common handling of two operands: unsupported formats and SNaNs (IE), QNaNs, denormals (DE).
// Returns true when the result is already decided (rSe/rSig set).
function specials2(aSe: u32, aSig: u64, bSe: u32, bSig: u64): bool {
  const ca = classify(aSe, aSig), cb = classify(bSe, bSig);
  const srcDenormal = sourceDenormal;
  sourceDenormal = false;
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED) { invalid(); return true; }
  if (ca >= C_QNAN || cb >= C_QNAN) { propagateNaN(aSe, aSig, bSe, bSig); return true; }
  if (ca == C_DENORMAL || cb == C_DENORMAL || srcDenormal) return denormalOperand();
  return false;
}

// the memory source of the next operation was a single or double denormal (normalized by the
// conversion): DE, unless a NaN or an invalid operand takes precedence
export let sourceDenormal: bool = false;

// DE for a denormal operand; unmasked, the operation does not take place (true: stop)
export function denormalOperand(): bool {
  flags |= F_DE;
  return (masks & F_DE) == 0;
}

// ---------------------------------------------------------------- add and subtract
// a + b (sub: a - b), rounded to prec bits
export function add(aSe: u32, aSig: u64, bSe: u32, bSig: u64, sub: bool, prec: i32): void {
  if (specials2(aSe, aSig, bSe, bSig)) return;
  if (sub) bSe ^= 0x8000;
  const aInf = (aSe & EXP_MAX) == EXP_MAX, bInf = (bSe & EXP_MAX) == EXP_MAX;
  if (aInf || bInf) {
    if (aInf && bInf && ((aSe ^ bSe) & 0x8000)) { invalid(); return; }
    rSe = aInf ? aSe : bSe;
    rSig = J;
    return;
  }
  const aZero = aSig == 0, bZero = bSig == 0;
  if (aZero && bZero) {
    if ((aSe ^ bSe) & 0x8000) exactZero(); else { rSe = aSe & 0x8000; rSig = 0; }
    return;
  }
  if (bZero) { unpack(aSe, aSig); roundExt(uSign, uExp, uSig, 0, prec); return; }
  if (aZero) { unpack(bSe, bSig); roundExt(uSign, uExp, uSig, 0, prec); return; }
  unpack(aSe, aSig);
  const as = uSign, ae = uExp, am = uSig;
  unpack(bSe, bSig);
  const bs = uSign, be = uExp, bm = uSig;
  // x = the operand of larger magnitude
  let xs = as, xe = ae, xm = am, ys = bs, ye = be, ym = bm;
  if (be > ae || (be == ae && bm > am)) { xs = bs; xe = be; xm = bm; ys = as; ye = ae; ym = am; }
  shiftRightJam128(ym, 0, xe - ye);
  const yh = h64, yl = l64;
  if (xs == ys) {
    let sh = xm + yh;
    let sl = yl;
    let e = xe;
    if (sh < xm) { // carry out: shift right one
      sl = (sl >> 1) | (sl & 1) | (sh << 63);
      sh = (sh >> 1) | J;
      e++;
    }
    roundExt(xs, e, sh, sl, prec);
    return;
  }
  // magnitudes differ in sign: x - y (x >= y)
  let dl = <u64>0 - yl;
  let dh = xm - yh - (yl != 0 ? 1 : 0);
  if ((dh | dl) == 0) { exactZero(); return; }
  let e = xe;
  if (dh == 0) { dh = dl; dl = 0; e -= 64; }
  const lz = <i32>clz<u64>(dh);
  shiftLeft128(dh, dl, lz);
  roundExt(xs, e - lz, h64, l64, prec);
}

// ---------------------------------------------------------------- multiply
export function mul(aSe: u32, aSig: u64, bSe: u32, bSig: u64, prec: i32): void {
  if (specials2(aSe, aSig, bSe, bSig)) return;
  const sign = ((aSe ^ bSe) >> 15) & 1;
  const aInf = (aSe & EXP_MAX) == EXP_MAX, bInf = (bSe & EXP_MAX) == EXP_MAX;
  if (aInf || bInf) {
    if (aSig == 0 || bSig == 0) { invalid(); return; } // 0 * inf
    rSe = (sign << 15) | EXP_MAX;
    rSig = J;
    return;
  }
  if (aSig == 0 || bSig == 0) { rSe = sign << 15; rSig = 0; return; }
  unpack(aSe, aSig);
  const ae = uExp, am = uSig;
  unpack(bSe, bSig);
  mul64(am, uSig);
  let e = ae + uExp - BIAS + 1;
  let hi = h64, lo = l64;
  if ((hi & J) == 0) {
    hi = (hi << 1) | (lo >> 63);
    lo <<= 1;
    e--;
  }
  roundExt(sign, e, hi, lo, prec);
}

// ---------------------------------------------------------------- divide
export function div(aSe: u32, aSig: u64, bSe: u32, bSig: u64, prec: i32): void {
  const sign = ((aSe ^ bSe) >> 15) & 1;
  // division by zero (ZE, or IE for 0/0) comes before a denormal dividend's DE
  if (bSig == 0 && (bSe & EXP_MAX) == 0 && (aSe & EXP_MAX) != EXP_MAX && classify(aSe, aSig) != C_UNSUPPORTED) {
    sourceDenormal = false;
    if (aSig == 0) { invalid(); return; } // 0 / 0
    flags |= F_ZE;
    rSe = (sign << 15) | EXP_MAX;
    rSig = J;
    return;
  }
  if (specials2(aSe, aSig, bSe, bSig)) return;
  const aInf = (aSe & EXP_MAX) == EXP_MAX, bInf = (bSe & EXP_MAX) == EXP_MAX;
  if (aInf) {
    if (bInf) { invalid(); return; }
    rSe = (sign << 15) | EXP_MAX;
    rSig = J;
    return;
  }
  if (bInf) { rSe = sign << 15; rSig = 0; return; }
  if (aSig == 0) { rSe = sign << 15; rSig = 0; return; }
  unpack(aSe, aSig);
  const ae = uExp, am = uSig;
  unpack(bSe, bSig);
  const be = uExp, bm = uSig;
  let e = ae - be + BIAS;
  let u1 = am, u0: u64 = 0;
  if (am >= bm) { u0 = am << 63; u1 = am >> 1; } else e--;
  div128(u1, u0, bm);
  const q = h64;
  div128(l64, 0, bm);
  const extra = h64 | (l64 != 0 ? 1 : 0);
  roundExt(sign, e, q, extra, prec);
}

// ---------------------------------------------------------------- square root
export function sqrt(aSe: u32, aSig: u64, prec: i32): void {
  const c = classify(aSe, aSig);
  if (c == C_UNSUPPORTED) { invalid(); return; }
  if (c >= C_QNAN) { propagateNaN(aSe, aSig, aSe, aSig); return; }
  if (c == C_ZERO) { rSe = aSe; rSig = 0; return; }
  if (aSe & 0x8000) { invalid(); return; } // before DE
  if (c == C_DENORMAL && denormalOperand()) return;
  if (c == C_INF) { rSe = aSe; rSig = aSig; return; }
  unpack(aSe, aSig);
  const ue = uExp - BIAS;
  // value = m * 2^ue, m = uSig / 2^63; sqrt of m or 2m scaled by 2^126 is a 64-bit integer
  let hi: u64, lo: u64;
  if (ue & 1) { hi = uSig; lo = 0; } else { hi = uSig >> 1; lo = uSig << 63; }
  sqrt128(hi, lo);
  const q = h64;
  let extra: u64 = 0;
  // the remainder r = N - q^2 (0 <= r <= 2q): above half an ulp when r > q (never exactly half)
  if (sqrtRemHi != 0 || l64 > q) extra = J | 1;
  else if (l64 != 0) extra = 1;
  roundExt(0, ((ue - (ue & 1)) >> 1) + BIAS, q, extra, prec);
}

// ---------------------------------------------------------------- compare
// returns 0 a > b, 1 a < b, 2 equal, 3 unordered. quiet: QNaNs raise no IE (FUCOM).
export function compare(aSe: u32, aSig: u64, bSe: u32, bSig: u64, quiet: bool): u32 {
  const ca = classify(aSe, aSig), cb = classify(bSe, bSig);
  const srcDenormal = sourceDenormal;
  sourceDenormal = false;
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED || ca == C_SNAN || cb == C_SNAN) { flags |= F_IE; return 3; }
  if (ca == C_QNAN || cb == C_QNAN) { if (!quiet) flags |= F_IE; return 3; }
  if (ca == C_DENORMAL || cb == C_DENORMAL || srcDenormal) flags |= F_DE;
  if (ca == C_ZERO && cb == C_ZERO) return 2;
  const as = aSe >> 15, bs = bSe >> 15;
  if (ca == C_ZERO) return bs ? 0 : 1;
  if (cb == C_ZERO) return as ? 1 : 0;
  if (as != bs) return as ? 1 : 0;
  // same sign: compare magnitudes (pseudo-denormals compare by value)
  let ae: i32, am: u64, be: i32, bm: u64;
  if (ca == C_INF) { ae = 0x7fff; am = J; } else { unpack(aSe, aSig); ae = uExp; am = uSig; }
  if (cb == C_INF) { be = 0x7fff; bm = J; } else { unpack(bSe, bSig); be = uExp; bm = uSig; }
  if (ae == be && am == bm) return 2;
  const aBigger = ae > be || (ae == be && am > bm);
  return aBigger != (as != 0) ? 0 : 1;
}

// ---------------------------------------------------------------- round to integer
// FRNDINT: the value rounded to an integer by rc (extended format, no precision control)
export function roundInt(aSe: u32, aSig: u64): void {
  const c = classify(aSe, aSig);
  if (c == C_UNSUPPORTED) { invalid(); return; }
  if (c >= C_QNAN) { propagateNaN(aSe, aSig, aSe, aSig); return; }
  if (c == C_ZERO || c == C_INF) { rSe = aSe; rSig = aSig; return; }
  if (c == C_DENORMAL && denormalOperand()) return;
  unpack(aSe, aSig);
  intRound(uSign, uExp, uSig);
  if (intOverflow) { rSe = aSe; rSig = aSig; return; } // |x| >= 2^63: already an integer
  if (intMag == 0) { rSe = uSign << 15; rSig = 0; return; }
  const lz = <i32>clz<u64>(intMag);
  rSe = (uSign << 15) | <u32>(BIAS + 63 - lz);
  rSig = intMag << <u64>lz;
}

// rounds an unpacked value to an integer magnitude by rc: intMag, or intOverflow when
// |value| >= 2^64 after rounding (or the value was >= 2^63 with no fraction); PE and C1 set
export let intMag: u64 = 0;
export let intOverflow: bool = false;
export function intRound(sign: u32, exp: i32, sig: u64): void {
  intOverflow = false;
  const fracBits = BIAS + 63 - exp; // bits of sig below the binary point
  if (fracBits < 0) { intOverflow = true; intMag = sig; return; }
  let kept: u64, below: u64; // the integer part and the fraction as a 64-bit binary fraction
  if (fracBits == 0) { kept = sig; below = 0; }
  else if (fracBits >= 65) { kept = 0; below = 1; } // less than one half: only sticky
  else if (fracBits == 64) { kept = 0; below = sig; }
  else { kept = sig >> <u64>fracBits; below = sig << <u64>(64 - fracBits); }
  const inexact = below != 0;
  const inc = roundUp(sign, (kept & 1) != 0, below > J, below == J, inexact);
  if (inexact) flags |= F_PE;
  if (inc) {
    flags |= F_C1;
    kept++;
    if (kept == 0) { intOverflow = true; return; }
  }
  intMag = kept;
}

// ---------------------------------------------------------------- integers
// an integer (two's complement, i64) as an extended value: exact
export function fromInt(v: i64): void {
  if (v == 0) { rSe = 0; rSig = 0; return; }
  const sign: u32 = v < 0 ? 1 : 0;
  const m: u64 = v < 0 ? <u64>(-v) : <u64>v;
  const lz = <i32>clz<u64>(m);
  rSe = (sign << 15) | <u32>(BIAS + 63 - lz);
  rSig = m << <u64>lz;
}

// an extended value rounded to a signed integer of `bits` bits; false when invalid (IE raised:
// NaN, infinity, unsupported, or out of range), and the caller stores the integer indefinite
export let intResult: i64 = 0;
export function toInt(aSe: u32, aSig: u64, bits: i32): bool {
  const c = classify(aSe, aSig);
  if (c >= C_INF) { flags |= F_IE; return false; }
  if (c == C_ZERO) { intResult = 0; return true; }
  unpack(aSe, aSig); // a denormal raises no DE here (FIST, FBSTP: as the hardware does)
  const saved = flags;
  intRound(uSign, uExp, uSig);
  const limit: u64 = <u64>1 << <u64>(bits - 1); // |negative| may reach it, positive stays below
  if (intOverflow || intMag > limit || (intMag == limit && uSign == 0)) {
    flags = saved | F_IE;
    return false;
  }
  intResult = uSign ? -<i64>intMag : <i64>intMag;
  return true;
}

// ---------------------------------------------------------------- single and double
// a float32 (bits in the low half) or float64 as an extended value; exact. Denormal sources
// raise DE. An SNaN stays signalling (an arithmetic operation raises IE), or with quiet (FLD)
// raises IE and becomes quiet.
export function fromF32(v: u32, quiet: bool): void {
  const sign = v >> 31, e = <i32>((v >> 23) & 0xff);
  const f = <u64>(v & 0x7fffff);
  fromBinary(sign, e, f << 40, 0xff, 127, quiet);
}
export function fromF64(v: u64, quiet: bool): void {
  const sign = <u32>(v >> 63), e = <i32>((v >> 52) & 0x7ff);
  const f = v & 0xfffffffffffff;
  fromBinary(sign, e, f << 11, 0x7ff, 1023, quiet);
}
// frac: the fraction left-aligned below bit 63
function fromBinary(sign: u32, e: i32, frac: u64, emax: i32, bias: i32, quiet: bool): void {
  if (e == emax) {
    rSe = (sign << 15) | EXP_MAX;
    if (frac == 0) { rSig = J; return; }
    if (quiet) {
      if ((frac & QBIT) == 0) flags |= F_IE;
      frac |= QBIT;
    }
    rSig = J | frac;
    return;
  }
  if (e == 0) {
    if (frac == 0) { rSe = sign << 15; rSig = 0; return; }
    if (quiet) flags |= F_DE; else sourceDenormal = true;
    const lz = <i32>clz<u64>(frac);
    rSe = (sign << 15) | <u32>(BIAS - bias + 1 - lz);
    rSig = frac << <u64>lz;
    return;
  }
  rSe = (sign << 15) | <u32>(e - bias + BIAS);
  rSig = J | frac;
}

// an extended value rounded to float32 / float64 (masks decide the unmasked responses: the
// caller stores nothing when an unmasked IE, OE or UE results)
export let binResult: u64 = 0;
export function toF32(aSe: u32, aSig: u64): void { toBinary(aSe, aSig, 24, 127, 8); }
export function toF64(aSe: u32, aSig: u64): void { toBinary(aSe, aSig, 53, 1023, 11); }
function toBinary(aSe: u32, aSig: u64, prec: i32, bias: i32, ebits: i32): void {
  const sign = <u64>(aSe >> 15);
  const emax: u64 = (<u64>1 << <u64>ebits) - 1;
  const fbits = prec - 1;
  const c = classify(aSe, aSig);
  const top = sign << <u64>(ebits + fbits);
  if (c == C_UNSUPPORTED) {
    flags |= F_IE;
    binResult = (<u64>1 << <u64>(ebits + fbits)) | (emax << <u64>fbits) | (<u64>1 << <u64>(fbits - 1)); // indefinite
    return;
  }
  if (c == C_QNAN || c == C_SNAN) {
    if (c == C_SNAN) flags |= F_IE;
    binResult = top | (emax << <u64>fbits) | ((aSig << 1) >> <u64>(65 - prec)) | (<u64>1 << <u64>(fbits - 1));
    return;
  }
  if (c == C_INF) { binResult = top | (emax << <u64>fbits); return; }
  if (c == C_ZERO) { binResult = top; return; }
  unpack(aSe, aSig); // a denormal source raises no DE (FST: as the hardware does)
  roundPack(uSign, uExp, uSig, 0, prec, BIAS - bias + 1, BIAS + bias, false);
  if ((rSe & EXP_MAX) == EXP_MAX) { binResult = top | (emax << <u64>fbits); return; }
  const frac = (rSig << 1) >> <u64>(65 - prec);
  if ((rSig & J) == 0) { binResult = top | (rSig >> <u64>(64 - prec)); return; } // denormal or zero
  binResult = top | (<u64>(rExp - BIAS + bias) << <u64>fbits) | frac;
}
