// x87 arithmetic and comparison: FADD FMUL FSUB FSUBR FDIV FDIVR in all forms (memory real and
// integer, ST(0)/ST(i), pops), FCOM FCOMP FCOMPP FUCOM* FICOM* FCOMI* FUCOMI*, FTST, FXAM,
// FCHS, FABS, FSQRT, FRNDINT, FCMOVcc (SDM Vol. 2 instruction pages; Vol. 1 8.3-8.5).
import { mrm } from '../cpu/decode';
import { aborted } from '../cpu/fault';
import { setArith, cond } from '../cpu/flags';
import { F_CF, F_PF, F_ZF } from '../cpu/state';
import {
  setMode, flags, rSe, rSig, add, mul, div, sqrt, compare, roundInt, classify, fromInt, fromF32, fromF64,
  F_IE, F_DE, C_ZERO, C_NORMAL, C_INF, C_QNAN, C_SNAN, C_UNSUPPORTED,
} from './softfloat80';
import {
  cw, stSe, stSig, stEmpty, setSt, pop, precision, commitSt, underflowTo, stackFault, signal, unmasked, setC1,
  setCC, SW_C0, SW_C1, SW_C2, SW_C3,
} from './state';
import { rd16, rd32, rd64, canRead } from './mem';

// memory operand kinds
export const K_M32: u32 = 0; // single real
export const K_M64: u32 = 1; // double real
export const K_I32: u32 = 2;
export const K_I16: u32 = 3;
export const K_M80: u32 = 4; // extended real (FLD/FSTP only)
export const K_I64: u32 = 5; // FILD/FISTP only

// Reads a memory source as an extended value into (srcSe, srcSig). Reals keep SNaNs signalling
// (the operation raises IE) unless quiet; denormals raise DE. False if the read faulted.
export let srcSe: u32 = 0;
export let srcSig: u64 = 0;
export function readSource(kind: u32, quiet: bool): bool {
  const size: u32 = kind == K_M64 ? 8 : kind == K_I16 ? 2 : 4;
  if (!canRead(size)) return false;
  const v: u64 = size == 8 ? rd64(0) : size == 4 ? <u64>rd32(0) : <u64>rd16(0);
  if (aborted) return false;
  switch (kind) {
    case K_M32: fromF32(<u32>v, quiet); break;
    case K_M64: fromF64(v, quiet); break;
    case K_I32: fromInt(<i64><i32>v); break;
    default: fromInt(<i64><i16>v); break;
  }
  srcSe = rSe;
  srcSig = rSig;
  return true;
}

// result = x op y for the arithmetic ops of ModRM.reg (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr)
function operate(op: u32, xSe: u32, xSig: u64, ySe: u32, ySig: u64): void {
  const prec = precision();
  switch (op) {
    case 0: add(xSe, xSig, ySe, ySig, false, prec); break;
    case 1: mul(xSe, xSig, ySe, ySig, prec); break;
    case 4: add(xSe, xSig, ySe, ySig, true, prec); break;
    case 5: add(ySe, ySig, xSe, xSig, true, prec); break;
    case 6: div(xSe, xSig, ySe, ySig, prec); break;
    default: div(ySe, ySig, xSe, xSig, prec); break;
  }
}

// FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR ST(0), m32real/m64real/m32int/m16int
export function arith_m(op: u32, kind: u32): void {
  setMode(cw());
  if (!readSource(kind, false)) return;
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  operate(op, stSe(0), stSig(0), srcSe, srcSig);
  commitSt(0, 0);
}

// the register forms: ST(0) = ST(0) op ST(i), or (toSti) ST(i) = ST(i) op ST(0), then pops
export function arith_r(op: u32, toSti: bool, doPop: bool): void {
  setMode(cw());
  const i = mrm & 7;
  const d = toSti ? i : 0;
  if (stEmpty(0) || stEmpty(i)) { underflowTo(d, doPop ? 1 : 0); return; }
  const s = toSti ? 0 : i;
  operate(op, stSe(d), stSig(d), stSe(s), stSig(s));
  commitSt(d, doPop ? 1 : 0);
}

// ---------------------------------------------------------------- comparisons
// condition codes of a comparison result (0 >, 1 <, 2 =, 3 unordered)
function compareCC(r: u32): u32 {
  return r == 0 ? 0 : r == 1 ? SW_C0 : r == 2 ? SW_C3 : SW_C3 | SW_C2 | SW_C0;
}

// compares ST(0) with (bSe, bSig) and sets C0 C2 C3 (C1 = 0), even when an exception is
// unmasked; the pops happen unless an unmasked IE or DE stops the instruction
function comparePop(bSe: u32, bSig: u64, quiet: bool, nPop: u32): void {
  const r = compare(stSe(0), stSig(0), bSe, bSig, quiet);
  const f = flags;
  setCC(compareCC(r));
  signal(f);
  if (unmasked(f) & (F_IE | F_DE)) return;
  for (let k: u32 = 0; k < nPop; k++) pop();
}

// a comparison with an empty operand: IE (stack fault), unordered; masked, the pops happen
function compareUnderflow(nPop: u32): void {
  setCC(SW_C3 | SW_C2 | SW_C0);
  if (!stackFault(false)) return;
  for (let k: u32 = 0; k < nPop; k++) pop();
}

// FCOM/FCOMP m32real/m64real, FICOM/FICOMP m32int/m16int
export function fcom_m(kind: u32, nPop: u32): void {
  setMode(cw());
  if (!readSource(kind, false)) return;
  if (stEmpty(0)) { compareUnderflow(nPop); return; }
  comparePop(srcSe, srcSig, false, nPop);
}

// FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP ST(i)
export function fcom_r(nPop: u32, quiet: bool): void {
  setMode(cw());
  const i = mrm & 7;
  if (stEmpty(0) || stEmpty(i)) { compareUnderflow(nPop); return; }
  comparePop(stSe(i), stSig(i), quiet, nPop);
}

// FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result in ZF, PF, CF (OF, SF, AF cleared); C1 is kept
export function fcomi(quiet: bool, doPop: bool): void {
  setMode(cw());
  const i = mrm & 7;
  if (stEmpty(0) || stEmpty(i)) {
    setArith(F_ZF | F_PF | F_CF);
    if (stackFault(false) && doPop) pop();
    return;
  }
  const r = compare(stSe(0), stSig(0), stSe(i), stSig(i), quiet);
  const f = flags;
  setArith(r == 0 ? 0 : r == 1 ? F_CF : r == 2 ? F_ZF : F_ZF | F_PF | F_CF);
  signal(f);
  if (unmasked(f) & (F_IE | F_DE)) return;
  if (doPop) pop();
}

// FTST: ST(0) compared with +0.0
export function ftst(): void {
  setMode(cw());
  if (stEmpty(0)) { compareUnderflow(0); return; }
  comparePop(0, 0, false, 0);
}

// FXAM: the class of ST(0) in C3 C2 C0, its sign in C1 (SDM Vol. 2 FXAM table)
export function fxam(): void {
  const se = stSe(0), sig = stSig(0);
  let c: u32;
  if (stEmpty(0)) c = SW_C3 | SW_C0;
  else {
    switch (classify(se, sig)) {
      case C_UNSUPPORTED: c = 0; break;
      case C_QNAN: case C_SNAN: c = SW_C0; break;
      case C_NORMAL: c = SW_C2; break;
      case C_INF: c = SW_C2 | SW_C0; break;
      case C_ZERO: c = SW_C3; break;
      default: c = SW_C3 | SW_C2; break; // denormal, pseudo-denormal
    }
  }
  setCC(c | (se & 0x8000 ? SW_C1 : 0));
}

// ---------------------------------------------------------------- one-operand operations
// FCHS, FABS: the sign only, no exception for any operand; C1 = 0
export function fchs(): void {
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  setSt(0, stSe(0) ^ 0x8000, stSig(0));
  setC1(false);
}
export function fabs(): void {
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  setSt(0, stSe(0) & 0x7fff, stSig(0));
  setC1(false);
}

export function fsqrt(): void {
  setMode(cw());
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  sqrt(stSe(0), stSig(0), precision());
  commitSt(0, 0);
}

export function frndint(): void {
  setMode(cw());
  if (stEmpty(0)) { underflowTo(0, 0); return; }
  roundInt(stSe(0), stSig(0));
  commitSt(0, 0);
}

// FCMOVcc ST(0), ST(i): B E BE U and the negations (CF, ZF, CF|ZF, PF)
const FCMOV_CC: StaticArray<u32> = [2, 4, 6, 10];
export function fcmov(c: u32, negate: bool): void {
  const i = mrm & 7;
  if (stEmpty(0) || stEmpty(i)) { underflowTo(0, 0); return; }
  if (cond(FCMOV_CC[c] | (negate ? 1 : 0))) setSt(0, stSe(i), stSig(i));
}
