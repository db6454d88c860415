// x87 data transfer: FLD FST FSTP (m32/m64/m80 real, ST(i)), FILD FIST FISTP (m16/m32/m64 int),
// FBLD FBSTP (m80 packed BCD), FXCH, FFREE, FFREEP, FINCSTP, FDECSTP, the constants (FLD1 FLDL2T
// FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ) (SDM Vol. 2 instruction pages).
import { mrm } from '../cpu/decode';
import { aborted } from '../cpu/fault';
import {
  setMode, flags, rSe, rSig, fromInt, toF32, toF64, toInt, binResult, intResult, classify, unpack, uSign, uExp,
  uSig, intRound, intMag, intOverflow, raiseFlags, resetFlags, F_IE, F_DE, F_OE, F_UE, F_C1, C_ZERO, C_INF,
  INDEF_SE, INDEF_SIG, RC_UP, RC_NEAR, rc,
} from './softfloat80';
import {
  cw, stSe, stSig, stEmpty, phys, setSt, pop, pushRaw, pushOverflows, stackFault, signal, unmasked, setC1,
  setReg, regSe, regSig, setValid, setEmpty, isEmpty, top, setTop,
} from './state';
import { canRead, canWrite, rd16, rd64, rd80se, rd80sig, wr16, wr32, wr64, wr80 } from './mem';
import { readSource, K_M32, K_M64, K_I32, K_I16, K_M80, K_I64 } from './arith';

// pushes (se, sig) unless the stack is full: then IE/SF with C1 = 1, and the masked response
// pushes the indefinite. C1 = 0 otherwise.
function pushChecked(se: u32, sig: u64): void {
  if (pushOverflows()) {
    if (stackFault(true)) pushRaw(INDEF_SE, INDEF_SIG);
    return;
  }
  const f = flags;
  if (unmasked(f) & F_IE) { setC1(false); signal(f); return; } // an unmasked DE still loads
  pushRaw(se, sig);
  setC1(false);
  signal(f);
}

// FLD m32real/m64real/m80real, FILD m16int/m32int/m64int
export function fld_m(kind: u32): void {
  setMode(cw());
  let se: u32, sig: u64;
  if (kind == K_M80) {
    if (!canRead(10)) return;
    sig = rd80sig(0);
    se = rd80se(0);
    if (aborted) return;
  } else if (kind == K_I64) {
    if (!canRead(8)) return;
    const v = rd64(0);
    if (aborted) return;
    fromInt(<i64>v);
    se = rSe;
    sig = rSig;
  } else {
    if (!readSource(kind, true)) return;
    se = rSe;
    sig = rSig;
  }
  pushChecked(se, sig);
}

// FLD ST(i): an empty source is a stack underflow (masked: the indefinite is pushed)
export function fld_r(): void {
  setMode(cw());
  const i = mrm & 7;
  const se = stSe(i), sig = stSig(i);
  if (stEmpty(i)) {
    if (stackFault(false)) pushRaw(INDEF_SE, INDEF_SIG);
    return;
  }
  pushChecked(se, sig);
}

// FST/FSTP m32real/m64real, FSTP m80real
export function fst_m(kind: u32, doPop: bool): void {
  setMode(cw());
  const size: u32 = kind == K_M32 ? 4 : kind == K_M64 ? 8 : 10;
  if (!canWrite(size)) return;
  if (stEmpty(0)) {
    if (!stackFault(false)) return;
    if (kind == K_M32) wr32(0, 0xffc00000);
    else if (kind == K_M64) wr64(0, 0xfff8000000000000);
    else wr80(0, INDEF_SE, INDEF_SIG);
    if (aborted) return;
    if (doPop) pop();
    return;
  }
  const se = stSe(0), sig = stSig(0);
  if (kind == K_M80) {
    wr80(0, se, sig);
    if (aborted) return;
    setC1(false);
    if (doPop) pop();
    return;
  }
  if (kind == K_M32) toF32(se, sig); else toF64(se, sig);
  const f = flags;
  if (unmasked(f) & (F_IE | F_OE | F_UE)) { setC1(false); signal(f); return; }
  if (kind == K_M32) wr32(0, <u32>binResult); else wr64(0, binResult);
  if (aborted) return;
  setC1((f & F_C1) != 0);
  signal(f);
  if (doPop) pop();
}

// FST/FSTP ST(i). The undocumented D9 D8+i form (checked false) does not check for an empty
// ST(0): it then stores nothing, raises nothing and pops (as the hardware does).
export function fst_r(doPop: bool, checked: bool): void {
  const i = mrm & 7;
  if (stEmpty(0)) {
    if (!checked) setC1(false);
    else {
      if (!stackFault(false)) return;
      setSt(i, INDEF_SE, INDEF_SIG);
    }
  } else {
    setSt(i, stSe(0), stSig(0));
    setC1(false);
  }
  if (doPop) pop();
}

// FIST/FISTP m16int/m32int, FISTP m64int: rounded by RC; out of range or not a number is IE
// and (masked) the integer indefinite
export function fist_m(kind: u32, doPop: bool): void {
  setMode(cw());
  const size: u32 = kind == K_I16 ? 2 : kind == K_I32 ? 4 : 8;
  if (!canWrite(size)) return;
  let v: i64;
  if (stEmpty(0)) {
    if (!stackFault(false)) return;
    v = <i64>(<u64>1 << <u64>(size * 8 - 1));
  } else {
    const ok = toInt(stSe(0), stSig(0), <i32>size * 8);
    const f = flags;
    if (unmasked(f) & (F_IE | F_DE)) { setC1(false); signal(f); return; }
    v = ok ? intResult : <i64>(<u64>1 << <u64>(size * 8 - 1));
    setC1((f & F_C1) != 0);
    signal(f);
  }
  if (size == 2) wr16(0, <u32>v);
  else if (size == 4) wr32(0, <u32>v);
  else wr64(0, <u64>v);
  if (aborted) return;
  if (doPop) pop();
}

// FXCH ST(i): empty registers are a stack underflow; masked, they take the indefinite first
export function fxch(): void {
  const i = mrm & 7;
  const p0 = phys(0), pi = phys(i);
  if (isEmpty(p0) || isEmpty(pi)) {
    if (!stackFault(false)) return;
    if (isEmpty(p0)) { setReg(p0, INDEF_SE, INDEF_SIG); setValid(p0); }
    if (isEmpty(pi)) { setReg(pi, INDEF_SE, INDEF_SIG); setValid(pi); }
  } else setC1(false);
  const se = regSe(p0), sig = regSig(p0);
  setReg(p0, regSe(pi), regSig(pi));
  setReg(pi, se, sig);
}

// FFREE ST(i), FFREEP ST(i) (undocumented: FFREE, then a pop); C1 = 0
export function ffree(doPop: bool): void {
  setEmpty(phys(mrm & 7));
  setC1(false);
  if (doPop) pop();
}

// FINCSTP, FDECSTP: TOP changes, the tags do not; C1 = 0
export function fincstp(d: u32): void {
  setTop(top() + d);
  setC1(false);
}

// The constants, held with more bits than the register format and rounded by RC (SDM Vol. 1
// 8.3.8): the significand for rounding down/toward zero, and whether nearest and up round up.
const CONST_SE: StaticArray<u32> = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0];
const CONST_SIG: StaticArray<u64> = [
  0x8000000000000000, 0xd49a784bcd1b8afe, 0xb8aa3b295c17f0bb, 0xc90fdaa22168c234, 0x9a209a84fbcff798,
  0xb17217f7d1cf79ab, 0,
];
const CONST_UP: StaticArray<u8> = [0, 1, 1, 1, 1, 1, 0]; // inexact: RC up adds one ulp
const CONST_NEAR: StaticArray<u8> = [0, 0, 1, 1, 1, 1, 0]; // RC nearest adds one ulp
export function fldconst(k: u32): void {
  setMode(cw());
  let sig = CONST_SIG[k];
  if (rc == RC_UP ? CONST_UP[k] : rc == RC_NEAR ? CONST_NEAR[k] : 0) sig++;
  pushChecked(CONST_SE[k], sig);
}

// ---------------------------------------------------------------- packed BCD
// FBLD m80bcd: 18 digits and a sign byte; exact. Invalid digits give an undefined result
// (here: the digits' binary weights, as the hardware's conversion does).
export function fbld(): void {
  setMode(cw());
  if (!canRead(10)) return;
  const lo = rd64(0);
  const hi = rd16(8);
  if (aborted) return;
  let v: u64 = 0;
  for (let k: i32 = 8; k >= 0; k--) {
    const b = k == 8 ? <u32>(hi & 0xff) : <u32>((lo >> <u64>(k * 8)) & 0xff);
    v = v * 100 + <u64>((b >> 4) * 10 + (b & 15));
  }
  fromInt(<i64>v);
  let se = rSe;
  if (hi & 0x8000) se |= 0x8000; // -0 for a negative zero
  pushChecked(se, rSig);
}

// FBSTP m80bcd: rounded by RC; |value| >= 10^18, NaN, infinity, unsupported: IE, the BCD
// indefinite (FFFF C000 0000 0000 0000h)
export function fbstp(): void {
  setMode(cw());
  if (!canWrite(10)) return;
  let sign: u32 = 0;
  let mag: u64 = 0;
  let indefinite = false;
  if (stEmpty(0)) {
    if (!stackFault(false)) return;
    indefinite = true;
  } else {
    const se = stSe(0), sig = stSig(0);
    const c = classify(se, sig);
    sign = se >> 15;
    if (c >= C_INF) raiseFlags(F_IE);
    else if (c != C_ZERO) {
      unpack(se, sig); // no DE for a denormal (as the hardware does)
      const saved = flags;
      intRound(uSign, uExp, uSig);
      if (intOverflow || intMag > 999999999999999999) { resetFlags(); raiseFlags(saved | F_IE); } else mag = intMag;
    }
    const f = flags;
    if (unmasked(f) & (F_IE | F_DE)) { setC1(false); signal(f); return; }
    indefinite = (f & F_IE) != 0;
    setC1((f & F_C1) != 0);
    signal(f);
  }
  if (indefinite) {
    wr64(0, 0xc000000000000000);
    if (!aborted) wr16(8, 0xffff);
  } else {
    let lo: u64 = 0;
    for (let k: u64 = 0; k < 8; k++) {
      const d = mag % 100;
      mag /= 100;
      lo |= (((d / 10) << 4) | (d % 10)) << (k * 8);
    }
    const d = mag % 100;
    wr64(0, lo);
    if (!aborted) wr16(8, <u32>(((d / 10) << 4) | (d % 10)) | (sign << 15));
  }
  if (aborted) return;
  pop();
}
