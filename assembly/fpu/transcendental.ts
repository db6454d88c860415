// The x87 transcendental instructions: F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS
// (SDM Vol. 2 instruction pages; Vol. 1 8.3.10).
//
// The functions are evaluated in a 128-bit binary floating point ("bf": a 128-bit significand
// with an i32 exponent, truncating arithmetic, about 125 correct bits) and rounded once to the
// register format by the rounding control, so the result is the correctly rounded value in all
// but vanishingly rare cases. That is what the hardware delivers in most cases too (within one
// unit in the last place otherwise). FSIN, FCOS, FSINCOS and FPTAN reduce their argument modulo
// pi/2 exactly, as the hardware does, with its 66-bit approximation of pi: x = k * pi66/2 + r.
import {
  setMode, flags, rSe, rSig, classify, propagateNaN, invalid, unpack, uSign, uExp, uSig, roundExt, mul64, h64,
  l64, denormalOperand, raiseFlags, dropFlags, setResult, F_IE, F_DE, F_ZE, F_UE, F_PE, F_C1, C_ZERO,
  C_DENORMAL, C_NORMAL, C_INF, C_QNAN, C_UNSUPPORTED, BIAS, EXP_MAX, INDEF_SE, INDEF_SIG,
} from './softfloat80';
import {
  cw, sw, stSe, stSig, stEmpty, setSt, pushRaw, pushOverflows, stackFault, signal, unmasked, setC1, setCC,
  commitSt, underflowTo, SW_C1, SW_C2,
} from './state';

const J: u64 = 0x8000000000000000;

// ---------------------------------------------------------------- bf: 128-bit floating point
// A bf slot is 32 bytes: significand hi, lo (hi bit 63 set unless zero), exponent, sign. The value
// is (hi:lo) * 2^(exp - 127), i.e. the significand is in [1, 2).
const SLOT: usize = 32;
const BF: usize = memory.data(<i32>(SLOT * 24), 16);
@inline function slot(i: u32): usize { return BF + <usize>i * SLOT; }
@inline function hiOf(a: usize): u64 { return load<u64>(a); }
@inline function loOf(a: usize): u64 { return load<u64>(a, 8); }
@inline function expOf(a: usize): i32 { return load<i32>(a, 16); }
@inline function signOf(a: usize): u32 { return load<u32>(a, 20); }
@inline function isZero(a: usize): bool { return hiOf(a) == 0; }
@inline function setSign(a: usize, s: u32): void { store<u32>(a, s, 20); }

// The bf operations truncate. When a result's low word comes out zero (an exactly
// representable approximation: e.g. cos of a small argument), the direction of the largest
// amount lost decides how it rounds: lostDir +1 (the true magnitude is larger) or -1.
let lostExp: i32 = i32.MIN_VALUE;
let lostDir: i32 = 0;
function resetLost(): void { lostExp = i32.MIN_VALUE; lostDir = 0; }
function noteLost(exp: i32, dir: i32): void {
  if (exp > lostExp) { lostExp = exp; lostDir = dir; }
}

// stores a value, normalizing the significand
function put(d: usize, hi: u64, lo: u64, exp: i32, sign: u32): void {
  if (hi == 0) {
    if (lo == 0) { store<u64>(d, 0); store<u64>(d, 0, 8); store<i32>(d, 0, 16); store<u32>(d, sign, 20); return; }
    hi = lo; lo = 0; exp -= 64;
  }
  const lz = <i32>clz<u64>(hi);
  if (lz) {
    hi = (hi << <u64>lz) | (lo >> <u64>(64 - lz));
    lo <<= <u64>lz;
    exp -= lz;
  }
  store<u64>(d, hi);
  store<u64>(d, lo, 8);
  store<i32>(d, exp, 16);
  store<u32>(d, sign, 20);
}
function copy(d: usize, a: usize): void {
  if (d != a) memory.copy(d, a, SLOT);
}
// an extended value (finite)
function fromExt(d: usize, se: u32, sig: u64): void {
  if ((se & EXP_MAX) == 0 && sig == 0) { put(d, 0, 0, 0, se >> 15); return; }
  unpack(se, sig);
  put(d, uSig, 0, uExp - BIAS, uSign);
}
// a small integer
function fromInt(d: usize, v: u64): void { put(d, v, 0, 63, 0); }

// the constants: significand hi, lo and exponent
const K_PI: u32 = 0;
const K_LN2: u32 = 1;
const K_LOG2E: u32 = 2;
const K_SQRT2: u32 = 3;
const K_ATAN: u32 = 3; // + k: atan(k/8), k = 1..8
const CONSTS: StaticArray<u64> = [
  0xc90fdaa22168c234, 0xc4c6628b80dc1cd1, 1, // pi
  0xb17217f7d1cf79ab, 0xc9e3b39803f2f6af, -1, // ln 2
  0xb8aa3b295c17f0bb, 0xbe87fed0691d3e89, 0, // log2 e
  0xb504f333f9de6484, 0x597d89b3754abe9f, 0, // sqrt 2
  0xfeadd4d5617b6e32, 0xc897989f3e888ef8, -4, // atan(1/8)
  0xfadbafc96406eb15, 0x6dc79ef5f7a217e6, -3,
  0xb7b0ca0f26f78473, 0x8aa32122dcfe4483, -2,
  0xed63382b0dda7b45, 0x6fe445ecbc3a8d03, -2,
  0x8f005d5ef7f59f9b, 0x5c835e1665c43748, -1,
  0xa4bc7d1934f70924, 0x19a87f2a457dac9f, -1,
  0xb8053e2bc2319e73, 0xcb2da55210a4443d, -1,
  0xc90fdaa22168c234, 0xc4c6628b80dc1cd1, -1, // atan(1) = pi/4
];
function constant(d: usize, k: u32): void {
  put(d, CONSTS[k * 3], CONSTS[k * 3 + 1], <i32>CONSTS[k * 3 + 2], 0);
}

// d = a + b (negB: a - b)
function add(d: usize, a: usize, b: usize, negB: bool): void {
  let bs = signOf(b) ^ (negB ? 1 : 0);
  if (isZero(b)) { copy(d, a); return; }
  if (isZero(a)) { copy(d, b); setSign(d, bs); return; }
  let ah = hiOf(a), al = loOf(a), ae = expOf(a), as = signOf(a);
  let bh = hiOf(b), bl = loOf(b), be = expOf(b);
  if (be > ae || (be == ae && (bh > ah || (bh == ah && bl > al)))) {
    let t = ah; ah = bh; bh = t;
    t = al; al = bl; bl = t;
    const te = ae; ae = be; be = te;
    const ts = as; as = bs; bs = ts;
  }
  const sh = ae - be;
  const dir: i32 = as == bs ? 1 : -1; // a lost part of b: the true sum is larger, the difference smaller
  if (sh >= 128) { noteLost(be, dir); bh = 0; bl = 0; }
  else if (sh >= 64) {
    if (bl != 0 || (sh > 64 && (bh << <u64>(128 - sh)) != 0)) noteLost(ae - 128, dir);
    bl = sh == 64 ? bh : bh >> <u64>(sh - 64);
    bh = 0;
  } else if (sh > 0) {
    if ((bl << <u64>(64 - sh)) != 0) noteLost(ae - 128, dir);
    bl = (bl >> <u64>sh) | (bh << <u64>(64 - sh));
    bh >>= <u64>sh;
  }
  if (as == bs) {
    const lo = al + bl;
    const c: u64 = lo < al ? 1 : 0;
    const t = ah + bh;
    const hi = t + c;
    if (t < ah || hi < t) { // carry out: one bit right
      if (lo & 1) noteLost(ae - 127, 1);
      put(d, (hi >> 1) | J, (lo >> 1) | (hi << 63), ae + 1, as);
    } else put(d, hi, lo, ae, as);
  } else {
    const lo = al - bl;
    const hi = ah - bh - (al < bl ? 1 : 0);
    put(d, hi, lo, ae, as);
  }
}

// d = a * b
function mulBf(d: usize, a: usize, b: usize): void {
  if (isZero(a) || isZero(b)) { put(d, 0, 0, 0, signOf(a) ^ signOf(b)); return; }
  const ah = hiOf(a), al = loOf(a), bh = hiOf(b), bl = loOf(b);
  mul64(ah, bh); const p1h = h64, p1l = l64;
  mul64(ah, bl); const p2h = h64, p2l = l64;
  mul64(al, bh); const p3h = h64, p3l = l64;
  mul64(al, bl); const p4h = h64;
  // 256-bit sum: w3 w2 w1 (w0 dropped)
  let w1 = p4h + p2l;
  let c1: u64 = w1 < p4h ? 1 : 0;
  const w1b = w1 + p3l;
  c1 += w1b < w1 ? 1 : 0;
  w1 = w1b;
  let w2 = p1l + p2h;
  let c2: u64 = w2 < p1l ? 1 : 0;
  let t = w2 + p3h;
  c2 += t < w2 ? 1 : 0;
  w2 = t + c1;
  c2 += w2 < t ? 1 : 0;
  const w3 = p1h + c2;
  const e = expOf(a) + expOf(b);
  if (w1 != 0 || (al * bl) != 0) noteLost(e - 127, 1);
  if (w3 & J) put(d, w3, w2, e + 1, signOf(a) ^ signOf(b));
  else put(d, (w3 << 1) | (w2 >> 63), (w2 << 1) | (w1 >> 63), e, signOf(a) ^ signOf(b));
}

// d = a / n for a small integer n (< 2^32)
function divSmall(d: usize, a: usize, n: u64): void {
  const hi = hiOf(a), lo = loOf(a);
  // 32-bit digits of the significand and one more, divided from the top
  let r: u64 = 0;
  let q0: u64 = 0, q1: u64 = 0, q2: u64 = 0;
  for (let k = 0; k < 5; k++) {
    const digit: u64 = k == 0 ? hi >> 32 : k == 1 ? hi & 0xffffffff : k == 2 ? lo >> 32 : k == 3 ? lo & 0xffffffff : 0;
    const cur = (r << 32) | digit;
    const q = cur / n;
    r = cur % n;
    // shift the 160-bit quotient left by 32 and add q
    q2 = (q2 << 32) | (q1 >> 32);
    q1 = (q1 << 32) | (q0 >> 32);
    q0 = (q0 << 32) | q;
  }
  // q2:q1:q0 holds 160 bits (q2: the top 32), value = q * 2^-32 * significand scale
  const lz = <i32>clz<u64>(q2 << 32 | (q1 >> 32)); // leading zeros of the top 64 bits of the 160
  // take 128 bits starting at the leading one: bits (159 - lz) .. (32 - lz)
  const top = (q2 << 32) | (q1 >> 32);
  const mid = (q1 << 32) | (q0 >> 32);
  const low = q0 << 32;
  let h: u64, l: u64;
  if (lz == 0) { h = top; l = mid; }
  else {
    h = (top << <u64>lz) | (mid >> <u64>(64 - lz));
    l = (mid << <u64>lz) | (low >> <u64>(64 - lz));
  }
  if (r != 0 || (lz < 32 && (low << <u64>lz) != 0)) noteLost(expOf(a) - lz - 128, 1);
  put(d, h, l, expOf(a) - lz, signOf(a));
}

// d = a / b (restoring division of the significands)
function divBf(d: usize, a: usize, b: usize): void {
  const bh = hiOf(b), bl = loOf(b);
  let rc: u64 = 0, rh = hiOf(a), rl = loOf(a);
  let e = expOf(a) - expOf(b);
  if (rh < bh || (rh == bh && rl < bl)) { rc = rh >> 63; rh = (rh << 1) | (rl >> 63); rl <<= 1; e--; }
  let qh: u64 = 0, ql: u64 = 0;
  for (let i = 0; i < 128; i++) {
    qh = (qh << 1) | (ql >> 63);
    ql <<= 1;
    if (rc != 0 || rh > bh || (rh == bh && rl >= bl)) {
      const nl = rl - bl;
      rh = rh - bh - (rl < bl ? 1 : 0);
      rl = nl;
      rc = 0;
      ql |= 1;
    }
    rc = rh >> 63;
    rh = (rh << 1) | (rl >> 63);
    rl <<= 1;
  }
  if ((rc | rh | rl) != 0) noteLost(e - 128, 1);
  put(d, qh, ql, e, signOf(a) ^ signOf(b));
}

// Rounds a bf to the register format (64 bits, RC). nudge: the sign of the error of the bf
// value when its low word is zero (the true magnitude is slightly less: -1, more: +1), so that
// an exactly representable approximation of an inexact value rounds and reports correctly.
function toExt(a: usize, nudge: i32): void {
  if (isZero(a)) { setResult(signOf(a) << 15, 0); return; }
  let hi = hiOf(a), lo = loOf(a), e = expOf(a);
  if (lostDir != 0 && lostExp > e - 200) nudge = lostDir;
  if (lo == 0) {
    if (nudge < 0) {
      hi--;
      lo = 0xffffffffffffffff;
      if ((hi & J) == 0) { hi = (hi << 1) | 1; lo = 0xfffffffffffffffe; e--; }
    } else lo = 1;
  }
  roundExt(signOf(a), e + BIAS, hi, lo | 1, 64);
}

// scratch slots
const A: usize = BF;
const B: usize = BF + SLOT;
const C: usize = BF + 2 * SLOT;
const D: usize = BF + 3 * SLOT;
const E: usize = BF + 4 * SLOT;
const F: usize = BF + 5 * SLOT;
const G: usize = BF + 6 * SLOT;
const H: usize = BF + 7 * SLOT;
const ONE: usize = BF + 8 * SLOT;
const R1: usize = BF + 9 * SLOT; // results
const R2: usize = BF + 10 * SLOT;

// the last term is negligible: below the sum by more than the significand's width
@inline function negligible(term: usize, sum: usize): bool {
  return isZero(term) || expOf(term) < expOf(sum) - 130;
}

// ---------------------------------------------------------------- sin, cos, tan
// sin and cos of a reduced argument |r| <= pi/4 (Taylor series): sin in R1, cos in R2
function sinCos(r: usize): void {
  fromInt(ONE, 1);
  mulBf(B, r, r); // r^2
  // sin
  copy(R1, r);
  copy(C, r);
  for (let k: u64 = 1; k < 60; k++) {
    mulBf(C, C, B);
    divSmall(C, C, (2 * k) * (2 * k + 1));
    add(R1, R1, C, (k & 1) != 0);
    if (negligible(C, R1)) break;
  }
  // cos
  copy(R2, ONE);
  copy(C, ONE);
  for (let k: u64 = 1; k < 60; k++) {
    mulBf(C, C, B);
    divSmall(C, C, (2 * k - 1) * (2 * k));
    add(R2, R2, C, (k & 1) != 0);
    if (negligible(C, R2)) break;
  }
}

// x (finite, |x| < 2^63) = k * pi66/2 + r with |r| <= pi66/4: r into A, returns k mod 4 (for |x|)
// pi66 = P * 2^-64 with P the 66-bit integer below
const P_HI: u64 = 3;
const P_LO: u64 = 0x243f6a8885a308d3;
function reduce(se: u32, sig: u64): u32 {
  unpack(se, sig);
  const s = uExp - BIAS + 2; // x * 2^65 = X * 2^s
  if (s < 1) { put(A, uSig, 0, uExp - BIAS, 0); return 0; } // |x| < 1/2: r = x
  // the remainder of N = X * 2^s (up to 129 bits) by P, one bit at a time
  let rh: u64 = 0, rl: u64 = 0, q: u64 = 0;
  const X = uSig;
  for (let i = 63 + s; i >= 0; i--) {
    const bit: u64 = i >= s ? (X >> <u64>(i - s)) & 1 : 0;
    rh = (rh << 1) | (rl >> 63);
    rl = (rl << 1) | bit;
    q <<= 1;
    if (rh > P_HI || (rh == P_HI && rl >= P_LO)) {
      rh = rh - P_HI - (rl < P_LO ? 1 : 0);
      rl -= P_LO;
      q |= 1;
    }
  }
  // the nearest multiple: r > P/2 rounds the quotient up and r becomes r - P
  let neg: u32 = 0;
  const th = (rh << 1) | (rl >> 63), tl = rl << 1;
  if (th > P_HI || (th == P_HI && tl > P_LO)) {
    q++;
    const nl = P_LO - rl;
    rh = P_HI - rh - (P_LO < rl ? 1 : 0);
    rl = nl;
    neg = 1;
  }
  put(A, rh, rl, 127 - 65, neg); // (rh:rl) * 2^-65
  return <u32>(q & 3);
}

// the common frame of FSIN FCOS FSINCOS FPTAN: 0 sin, 1 cos, 2 sincos, 3 tan
function trig(op: u32): void {
  setMode(cw());
  resetLost();
  const pushes = op >= 2;
  if (stEmpty(0)) {
    setCC(sw() & ~SW_C2);
    if (!pushes) underflowTo(0, 0);
    else if (stackFault(false)) { setSt(0, INDEF_SE, INDEF_SIG); pushRaw(INDEF_SE, INDEF_SIG); }
    return;
  }
  const se = stSe(0), sig = stSig(0);
  const c = classify(se, sig);
  if (pushes && pushOverflows()) {
    setCC(sw() & ~SW_C2);
    if (stackFault(true)) { setSt(0, INDEF_SE, INDEF_SIG); pushRaw(INDEF_SE, INDEF_SIG); }
    return;
  }
  // out of range: C2 = 1 and nothing else happens
  if ((c == C_NORMAL || c == C_DENORMAL) && (se & EXP_MAX) >= <u32>(BIAS + 63)) { setCC((sw() | SW_C2) & ~SW_C1); return; }
  let s1: u32 = 0, g1: u64 = 0, s2: u32 = 0, g2: u64 = 0; // ST(0) result, pushed result
  if (c == C_UNSUPPORTED || c == C_INF) { invalid(); s1 = s2 = rSe; g1 = g2 = rSig; }
  else if (c >= C_QNAN) { propagateNaN(se, sig, se, sig); s1 = s2 = rSe; g1 = g2 = rSig; }
  else if (c == C_ZERO) {
    s1 = se; g1 = 0; // sin, tan: the zero
    if (op == 1) { s1 = BIAS; g1 = J; }
    if (op == 2) { s2 = BIAS; g2 = J; } // cos 0 = 1
    if (op == 3) { s2 = BIAS; g2 = J; } // FPTAN pushes 1
  } else {
    if (c == C_DENORMAL && denormalOperand()) { s1 = se; g1 = sig; }
    else if ((se & EXP_MAX) < <u32>(BIAS - 68)) {
      // |x| < 2^-68: sin x = tan x = x and cos x = 1, delivered unrounded (C1 = 0), inexact
      // (a denormal x: underflow)
      if (op != 1) {
        unpack(se, sig);
        roundExt(uSign, uExp, uSig, 0, 64);
      }
      raiseFlags(F_PE | ((se & EXP_MAX) == 0 && (sig & J) == 0 && op != 1 ? F_UE : 0));
      s1 = op == 1 ? BIAS : rSe; g1 = op == 1 ? J : rSig;
      s2 = BIAS; g2 = J;
    } else {
      const k = reduce(se, sig);
      const xs = se >> 15;
      sinCos(A);
      // sin(x) and cos(x) from sin(r) (R1) and cos(r) (R2) by quadrant, for |x|
      if (op == 3) {
        // tan = sin/cos (k even) or -cos/sin (k odd)
        if (k & 1) { divBf(D, R2, R1); setSign(D, signOf(D) ^ 1); } else divBf(D, R1, R2);
        setSign(D, signOf(D) ^ xs);
        toExt(D, (k & 1) != 0 ? -1 : 1);
        s1 = rSe; g1 = rSig;
        s2 = BIAS; g2 = J;
      } else {
        if (op != 1) { quadrant(k, false, xs); s1 = rSe; g1 = rSig; }
        if (op != 0) {
          dropFlags(F_C1); // FSINCOS: C1 tells how the cosine (ST(0)) was rounded
          quadrant(k, true, 0);
          if (op == 1) { s1 = rSe; g1 = rSig; } else { s2 = rSe; g2 = rSig; }
        }
      }
    }
  }
  const f = flags;
  setCC(sw() & ~SW_C2);
  if (unmasked(f) & (F_IE | F_DE)) { setC1(false); signal(f); return; }
  setSt(0, s1, g1);
  if (pushes) pushRaw(s2, g2);
  setC1((f & 0x200) != 0);
  signal(f);
}

// sin (cosine: cos) of |x| = k * pi66/2 + r from R1 = sin r, R2 = cos r, negated for sign
function quadrant(k: u32, cosine: bool, sign: u32): void {
  const q = cosine ? (k + 1) & 3 : k;
  // sin(q*pi/2 + r): q 0 sin r, 1 cos r, 2 -sin r, 3 -cos r
  const src = (q & 1) ? R2 : R1;
  copy(E, src);
  setSign(E, signOf(E) ^ ((q & 2) ? 1 : 0) ^ sign);
  toExt(E, -1); // for a tiny r, |sin r| < |r| and cos r < 1
}

export function fsin(): void { trig(0); }
export function fcos(): void { trig(1); }
export function fsincos(): void { trig(2); }
export function fptan(): void { trig(3); }

// ---------------------------------------------------------------- atan
// atan(t) for 0 <= t <= 1 into R1: atan(k/8) + atan(u), u = (t - k/8) / (1 + t k/8), |u| <= 1/16
function atanUnit(t: usize): void {
  const e = expOf(t);
  let k: u32 = 0;
  if (!isZero(t) && e >= -4) k = <u32>((hiOf(t) >> <u64>(59 - e)) + 1) >> 1; // round(t * 8)
  if (k == 0) { copy(D, t); }
  else {
    put(C, <u64>k, 0, 63 - 3, 0); // k / 8
    add(D, t, C, true); // t - c
    mulBf(E, t, C);
    fromInt(ONE, 1);
    add(E, E, ONE, false); // 1 + t c
    divBf(D, D, E);
  }
  // atan(u) = u - u^3/3 + u^5/5 - ...
  copy(R1, D);
  if (!isZero(D)) {
    mulBf(F, D, D);
    copy(G, D);
    for (let n: u64 = 1; n < 80; n++) {
      mulBf(G, G, F);
      divSmall(H, G, 2 * n + 1);
      add(R1, R1, H, (n & 1) != 0);
      if (negligible(H, R1)) break;
    }
  }
  if (k) {
    constant(C, K_ATAN + k);
    add(R1, R1, C, false);
  }
}

// FPATAN: ST(1) = atan(ST(1) / ST(0)) in the quadrant of (ST(0), ST(1)), pop
export function fpatan(): void {
  setMode(cw());
  resetLost();
  if (stEmpty(0) || stEmpty(1)) { underflowTo(1, 1); return; }
  const xSe = stSe(0), xSig = stSig(0), ySe = stSe(1), ySig = stSig(1);
  const cx = classify(xSe, xSig), cy = classify(ySe, ySig);
  const ys = ySe >> 15, xneg = (xSe & 0x8000) != 0;
  if (cx == C_UNSUPPORTED || cy == C_UNSUPPORTED) invalid();
  else if (cx >= C_QNAN || cy >= C_QNAN) propagateNaN(xSe, xSig, ySe, ySig);
  else if ((cx == C_DENORMAL || cy == C_DENORMAL) && denormalOperand()) {}
  else if (cy == C_ZERO || cy == C_INF || cx == C_ZERO || cx == C_INF) {
    // the special angles: 0, pi, pi/2, pi/4, 3pi/4 (SDM FPATAN table)
    if (cy == C_ZERO) { if (xneg) piMultiple(4, ys); else setResult(ys << 15, 0); }
    else if (cy == C_INF) piMultiple(cx == C_INF ? (xneg ? 3 : 1) : 2, ys);
    else if (cx == C_ZERO) piMultiple(2, ys);
    else if (xneg) piMultiple(4, ys); // x = -inf
    else setResult(ys << 15, 0); // x = +inf
  } else {
    fromExt(A, xSe & 0x7fff, xSig);
    fromExt(B, ySe & 0x7fff, ySig);
    const swap = expOf(B) > expOf(A) || (expOf(B) == expOf(A) && (hiOf(B) > hiOf(A)));
    if (swap) divBf(R2, A, B); else divBf(R2, B, A); // t <= 1
    atanUnit(R2);
    let nudge: i32 = -1; // atan t < t
    if (swap) { // pi/2 - atan(t)
      constant(C, K_PI);
      store<i32>(C, expOf(C) - 1, 16);
      add(R1, C, R1, true);
      nudge = 1;
    }
    if (xneg) { // pi - a
      constant(C, K_PI);
      add(R1, C, R1, true);
      nudge = -nudge;
    }
    setSign(R1, ys);
    toExt(R1, nudge);
  }
  commitSt(1, 1);
}

// n * pi/4 with a sign, rounded
function piMultiple(n: u32, sign: u32): void {
  constant(C, K_PI);
  store<i32>(C, expOf(C) - 2, 16); // pi/4
  if (n == 3) { fromInt(D, 3); mulBf(C, C, D); }
  else if (n == 2) store<i32>(C, expOf(C) + 1, 16);
  else if (n == 4) store<i32>(C, expOf(C) + 2, 16);
  setSign(C, sign);
  toExt(C, 1);
}

// ---------------------------------------------------------------- logarithms
// ln(1 + ...) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) for the bf in D, into R1
function atanh2(): void {
  copy(R1, D);
  if (!isZero(D)) {
    mulBf(F, D, D);
    copy(G, D);
    for (let n: u64 = 1; n < 200; n++) {
      mulBf(G, G, F);
      divSmall(H, G, 2 * n + 1);
      add(R1, R1, H, false);
      if (negligible(H, R1)) break;
    }
  }
  store<i32>(R1, expOf(R1) + 1, 16);
}

// log2 of a positive finite x into R1; true when exact (x a power of two)
function log2Of(se: u32, sig: u64): bool {
  unpack(se, sig);
  let e = uExp - BIAS;
  let m = uSig;
  if (m == J) { put(R1, e < 0 ? <u64>(-e) : <u64>e, 0, 63, e < 0 ? 1 : 0); return true; }
  // m in [1, 2): move it to [sqrt(2)/2, sqrt(2)) so that log2 m is small around x = 1
  put(B, m, 0, 0, 0);
  if (m > CONSTS[K_SQRT2 * 3]) { store<i32>(B, -1, 16); e++; }
  fromInt(ONE, 1);
  add(C, B, ONE, true); // m - 1 (exact)
  add(E, B, ONE, false); // m + 1
  divBf(D, C, E);
  atanh2(); // ln m
  constant(C, K_LOG2E);
  mulBf(R1, R1, C);
  if (e != 0) {
    put(C, e < 0 ? <u64>(-e) : <u64>e, 0, 63, e < 0 ? 1 : 0);
    add(R1, R1, C, false);
  }
  return false;
}

// y * log2(x) for FYL2X (xp1: log2(x + 1), FYL2XP1): ST(1) = result, pop
function ylog(xp1: bool): void {
  setMode(cw());
  resetLost();
  if (stEmpty(0) || stEmpty(1)) { underflowTo(1, 1); return; }
  const xSe = stSe(0), xSig = stSig(0), ySe = stSe(1), ySig = stSig(1);
  const cx = classify(xSe, xSig), cy = classify(ySe, ySig);
  const xneg = (xSe & 0x8000) != 0, ys = ySe >> 15;
  if (cx == C_UNSUPPORTED || cy == C_UNSUPPORTED) invalid();
  else if (cx >= C_QNAN || cy >= C_QNAN) propagateNaN(xSe, xSig, ySe, ySig);
  else if (!xp1) {
    if (xneg && cx != C_ZERO) invalid(); // log of a negative number
    else if (cx != C_ZERO && (cx == C_DENORMAL || cy == C_DENORMAL) && denormalOperand()) {}
    else if (cx == C_ZERO) { // (ZE comes before DE)
      if (cy == C_ZERO) invalid(); // 0 * -inf
      else { if (cy != C_INF) raiseFlags(F_ZE); setResult(((ys ^ 1) << 15) | EXP_MAX, J); } // -inf * y
    } else if (cx == C_INF) {
      if (cy == C_ZERO) invalid();
      else setResult((ys << 15) | EXP_MAX, J);
    } else {
      const exact = log2Of(xSe, xSig);
      productWith(ySe, ySig, cy, exact);
    }
  } else {
    if ((cx == C_DENORMAL || cy == C_DENORMAL) && denormalOperand()) {}
    else if (cx == C_ZERO) {
      if (cy == C_INF) invalid();
      else setResult((((xSe ^ ySe) >> 15) << 15), 0);
    } else if (cx == C_INF) {
      if (xneg || cy == C_ZERO) invalid();
      else setResult((ys << 15) | EXP_MAX, J);
    } else {
      // log2(1 + x) = ln(1 + x) log2 e, ln(1 + x) = 2 atanh(x / (2 + x))
      fromExt(B, xSe, xSig);
      fromInt(ONE, 2);
      add(E, B, ONE, false);
      if (signOf(E) || isZero(E)) invalid();
      else {
        divBf(D, B, E);
        atanh2();
        constant(C, K_LOG2E);
        mulBf(R1, R1, C);
        productWith(ySe, ySig, cy, false);
      }
    }
  }
  commitSt(1, 1);
}

// y * R1 (log2 of the operand, exact or not), rounded once
function productWith(ySe: u32, ySig: u64, cy: u32, exact: bool): void {
  const ys = ySe >> 15;
  if (isZero(R1)) {
    // log2 1 = +0: y * 0
    if (cy == C_INF) { invalid(); return; }
    setResult((ys ^ 0) << 15, 0);
    return;
  }
  if (cy == C_INF) { setResult(((ys ^ signOf(R1)) << 15) | EXP_MAX, J); return; }
  if (cy == C_ZERO) { setResult((ys ^ signOf(R1)) << 15, 0); return; }
  fromExt(B, ySe, ySig);
  mulBf(R2, R1, B); // exact when R1 is an integer exponent
  if (exact && signOf(R1) == 0) {
    // reported inexact (so a denormal product underflows)
    toExactExt(R2, 0);
    raiseFlags(F_PE | ((rSe & EXP_MAX) == 0 && rSig != 0 ? F_UE : 0));
    return;
  }
  // the hardware's log2 of a power of two below 1 is a hair smaller in magnitude than the
  // exponent (and inexact): so is the product
  toExactExt(R2, exact ? -1 : 1);
}

// rounds a bf that is exact (nudge 0) or a hair below (-1) or above (+1) its value
function toExactExt(a: usize, nudge: i32): void {
  if (nudge == 0) {
    roundExt(signOf(a), expOf(a) + BIAS, hiOf(a), loOf(a), 64);
    return;
  }
  if (nudge > 0) { toExt(a, 1); return; }
  let hi = hiOf(a), lo = loOf(a), e = expOf(a);
  if (lo == 0) {
    hi--;
    if ((hi & J) == 0) { hi = (hi << 1) | 1; e--; }
  }
  lo = (lo - 1) | 1;
  roundExt(signOf(a), e + BIAS, hi, lo, 64);
}

export function fyl2x(): void { ylog(false); }
export function fyl2xp1(): void { ylog(true); }

// ---------------------------------------------------------------- 2^x - 1
// F2XM1 for -1 <= x <= 1: expm1(x ln 2) = z + z^2/2! + z^3/3! + ...
export function f2xm1(): void {
  setMode(cw());
  resetLost();
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  const se = stSe(0), sig = stSig(0);
  const c = classify(se, sig);
  if (c == C_UNSUPPORTED) invalid();
  else if (c >= C_QNAN) propagateNaN(se, sig, se, sig);
  else if (c == C_ZERO) setResult(se, 0);
  else if (c == C_INF) { if (se & 0x8000) setResult(0x8000 | BIAS, J); else setResult(se, sig); } // -1, +inf
  else if (c == C_DENORMAL && denormalOperand()) {}
  else if ((se & EXP_MAX) == <u32>BIAS && sig == J) { // x = 1, -1: 1, -1/2 (reported inexact)
    setResult(se & 0x8000 ? 0x8000 | (BIAS - 1) : BIAS, J);
    raiseFlags(F_PE);
  }
  else {
    fromExt(A, se, sig);
    constant(B, K_LN2);
    mulBf(B, A, B); // z
    copy(R1, B);
    copy(C, B);
    for (let n: u64 = 2; n < 200; n++) {
      mulBf(C, C, B);
      divSmall(C, C, n);
      add(R1, R1, C, false);
      if (negligible(C, R1)) break;
    }
    toExt(R1, signOf(B) ? -1 : 1);
  }
  commitSt(0, 0);
}
