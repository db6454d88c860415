// FPREM, FPREM1, FSCALE, FXTRACT (SDM Vol. 2 instruction pages). Results are exact, rounded only
// when they leave the exponent range (FSCALE) or become denormal.
import {
  setMode, flags, rSe, rSig, classify, propagateNaN, invalid, unpack, uSign, uExp, uSig, roundExt, div128,
  h64, l64, denormalOperand, raiseFlags, setResult,
  F_IE, F_DE, F_ZE, C_ZERO, C_DENORMAL, C_INF, C_QNAN, C_UNSUPPORTED, BIAS, EXP_MAX, INDEF_SE, INDEF_SIG,
} from './softfloat80';
import {
  cw, sw, stSe, stSig, stEmpty, setSt, pushRaw, pushOverflows, stackFault, signal, unmasked, setC1, setCC,
  commitSt, underflowTo, SW_C0, SW_C1, SW_C2, SW_C3,
} from './state';

const J: u64 = 0x8000000000000000;

// operands ST(0), ST(1): both valid, else the stack underflow response to ST(0) (FPREM: C2 = 0)
function twoOperands(prem: bool): bool {
  if (stEmpty(0) || stEmpty(1)) {
    if (prem) setCC(sw() & (SW_C0 | SW_C3));
    underflowTo(0, 0);
    return false;
  }
  return true;
}

// common special cases of two operands: unsupported, NaNs, denormals (DE; true = stop)
function specials(aSe: u32, aSig: u64, bSe: u32, bSig: u64): bool {
  const ca = classify(aSe, aSig), cb = classify(bSe, bSig);
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED) { invalid(); return true; }
  if (ca >= C_QNAN || cb >= C_QNAN) { propagateNaN(aSe, aSig, bSe, bSig); return true; }
  if (ca == C_DENORMAL || cb == C_DENORMAL) return denormalOperand();
  return false;
}

// ---------------------------------------------------------------- FPREM, FPREM1
// The partial remainder: with exponent difference D < 64 the remainder is complete (C2 = 0) and
// the quotient's low bits go to C0 (Q2), C3 (Q1), C1 (Q0); otherwise the reduction is partial
// (C2 = 1): ST(0) is reduced by a multiple of ST(1) * 2^(D - N).
export function fprem(ieee: bool): void {
  setMode(cw());
  if (!twoOperands(true)) return;
  const aSe = stSe(0), aSig = stSig(0), bSe = stSe(1), bSig = stSig(1);
  // a NaN, an invalid operation (inf rem x, x rem 0) or an unmasked DE: C0 and C3 are kept
  let cc: u32 = sw() & (SW_C0 | SW_C3);
  const ca = classify(aSe, aSig), cb = classify(bSe, bSig);
  if (ca == C_UNSUPPORTED || cb == C_UNSUPPORTED) invalid();
  else if (ca >= C_QNAN || cb >= C_QNAN) propagateNaN(aSe, aSig, bSe, bSig);
  else if (ca == C_INF || cb == C_ZERO) invalid(); // before DE
  else if (!((ca == C_DENORMAL || cb == C_DENORMAL) && denormalOperand())) {
    if (ca == C_ZERO || cb == C_INF) { // ST(0) stays (a pseudo-denormal comes out normalized)
      setResult((aSe & EXP_MAX) == 0 && (aSig & J) != 0 ? aSe | 1 : aSe, aSig);
      cc = 0;
    }
    else cc = remainder(aSe, aSig, bSe, bSig, ieee);
  }
  const f = flags;
  setCC(cc);
  signal(f);
  if (unmasked(f) & (F_IE | F_DE)) return;
  setSt(0, rSe, rSig);
}

// both operands finite and nonzero: sets the (exact) result, returns the condition codes
function remainder(aSe: u32, aSig: u64, bSe: u32, bSig: u64, ieee: bool): u32 {
  unpack(aSe, aSig);
  const sign = uSign, ea = uExp, A = uSig;
  unpack(bSe, bSig);
  const eb = uExp, B = uSig;
  const d = ea - eb;
  if (d < 0) {
    // |a| < |b|: the quotient is 0, except for FPREM1 when |a| > |b| / 2 (then 1)
    if (ieee && d == -1 && A > B) {
      const t = (B << 1) - A; // b - |a| in units of 2^(eb - 64), exact
      const lz = <i32>clz<u64>(t);
      roundExt(sign ^ 1, eb - 1 - lz, t << <u64>lz, 0, 64);
      return SW_C1;
    }
    roundExt(sign, ea, A, 0, 64);
    return 0;
  }
  let q: u64, r: u64, e: i32;
  const partial = d >= 64;
  if (partial) {
    // reduce by a multiple of b * 2^(d - n): the remainder of A * 2^n / B
    const n = 32 + (d & 31);
    div128(A >> <u64>(64 - n), A << <u64>n, B);
    e = ea - n;
  } else {
    div128(d ? A >> <u64>(64 - d) : 0, A << <u64>d, B);
    e = eb;
  }
  q = h64;
  r = l64;
  let rs = sign;
  // FPREM1 rounds the quotient to nearest, ties to even
  if (ieee && !partial && (r > B - r || (r == B - r && (q & 1) != 0))) {
    q++;
    r = B - r;
    rs ^= 1;
  }
  if (r == 0) setResult(sign << 15, 0);
  else {
    const lz = <i32>clz<u64>(r);
    roundExt(rs, e - lz, r << <u64>lz, 0, 64);
  }
  if (partial) return SW_C2;
  return ((q & 4) != 0 ? SW_C0 : 0) | ((q & 2) != 0 ? SW_C3 : 0) | ((q & 1) != 0 ? SW_C1 : 0);
}

// ---------------------------------------------------------------- FSCALE
// ST(0) * 2^trunc(ST(1)), rounded only on overflow/underflow (no precision control)
export function fscale(): void {
  setMode(cw());
  if (!twoOperands(false)) return;
  const aSe = stSe(0), aSig = stSig(0), bSe = stSe(1), bSig = stSig(1);
  if (!specials(aSe, aSig, bSe, bSig)) {
    const ca = classify(aSe, aSig), cb = classify(bSe, bSig);
    const bNeg = (bSe & 0x8000) != 0;
    if (cb == C_INF) {
      if (ca == C_ZERO && !bNeg) invalid(); // 0 * 2^+inf
      else if (ca == C_INF && bNeg) invalid(); // inf * 2^-inf
      else if (bNeg) setResult(aSe & 0x8000, 0);
      else setResult(aSe | EXP_MAX, J);
    } else if (ca == C_ZERO || ca == C_INF) {
      setResult(aSe, aSig);
    } else {
      // the scale truncated toward zero, clamped far outside the exponent range
      let n: i32 = 0;
      if (cb != C_ZERO) {
        unpack(bSe, bSig);
        const e = uExp - BIAS;
        if (e >= 0) n = e >= 20 ? 0x100000 : <i32>(uSig >> <u64>(63 - e));
        if (uSign) n = -n;
      }
      unpack(aSe, aSig);
      roundExt(uSign, uExp + n, uSig, 0, 64);
    }
  }
  commitSt(0, 0);
}

// ---------------------------------------------------------------- FXTRACT
// ST(0) -> its exponent (in ST(1)) and its significand with exponent 0 (the new ST(0))
export function fxtract(): void {
  setMode(cw());
  if (stEmpty(0)) {
    // masked: the indefinite in ST(0), and pushed
    if (stackFault(false)) { setSt(0, INDEF_SE, INDEF_SIG); pushRaw(INDEF_SE, INDEF_SIG); }
    return;
  }
  if (pushOverflows()) {
    // stack overflow: masked, both become the indefinite
    if (stackFault(true)) { setSt(0, INDEF_SE, INDEF_SIG); pushRaw(INDEF_SE, INDEF_SIG); }
    return;
  }
  const se = stSe(0), sig = stSig(0);
  const c = classify(se, sig);
  let eSe: u32, eSig: u64, mSe: u32, mSig: u64;
  if (c == C_UNSUPPORTED) { invalid(); eSe = mSe = rSe; eSig = mSig = rSig; }
  else if (c >= C_QNAN) { propagateNaN(se, sig, se, sig); eSe = mSe = rSe; eSig = mSig = rSig; }
  else if (c == C_INF) { eSe = EXP_MAX; eSig = J; mSe = se; mSig = sig; }
  else if (c == C_ZERO) { raiseFlags(F_ZE); eSe = 0x8000 | EXP_MAX; eSig = J; mSe = se; mSig = sig; }
  else {
    if (c == C_DENORMAL) raiseFlags(F_DE);
    unpack(se, sig);
    mSe = (uSign << 15) | <u32>BIAS;
    mSig = uSig;
    // the exponent as an extended integer
    const e = uExp - BIAS;
    if (e == 0) { eSe = 0; eSig = 0; }
    else {
      const m: u64 = e < 0 ? <u64>(-e) : <u64>e;
      const lz = <i32>clz<u64>(m);
      eSe = (e < 0 ? 0x8000 : 0) | <u32>(BIAS + 63 - lz);
      eSig = m << <u64>lz;
    }
  }
  const f = flags;
  if (unmasked(f) & (F_IE | F_DE | F_ZE)) { setC1(false); signal(f); return; }
  setSt(0, eSe, eSig);
  pushRaw(mSe, mSig);
  setC1(false);
  signal(f);
}
