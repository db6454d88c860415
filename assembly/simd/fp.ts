// SSE/SSE2 floating-point arithmetic: ADD SUB MUL DIV MIN MAX SQRT (PS PD SS SD), RCPPS/RCPSS,
// RSQRTPS/RSQRTSS and the lane engine CMPPS/PD/SS/SD share (SDM Vol. 2 instruction pages; Vol. 1
// 10.4.2, 11.4.1, 11.5 SIMD floating-point exceptions). Every lane is computed by the softfloat
// (softfloat.ts) under MXCSR, the exception flags of all lanes are ORed, and the destination is
// written only when none of them is unmasked (SDM Vol. 1 11.5.3). The scalar forms (SS, SD) read
// a 32- or 64-bit memory operand and leave the upper lanes of the destination unchanged.
import { MXCSR } from '../gen/layout';
import { regV, xmmLo, xmmHi, setXmm, sLo, sHi, readWx, readWq, readWd, simdFlags, MX_MASKS_SHIFT } from './state';
import {
  sfFlags, sfSetMode, add32, sub32, mul32, div32, min32, max32, sqrt32, rcp32, rsqrt32, cmp32,
  add64, sub64, mul64, div64, min64, max64, sqrt64, cmp64,
} from './softfloat';

// the forms: the mandatory prefix none, 66, F3, F2
const F_PS: u32 = 0;
const F_PD: u32 = 1;
const F_SS: u32 = 2;
const F_SD: u32 = 3;

// the pre-computation exceptions IE DE ZE (SDM Vol. 1 4.9.1)
const PRE: u32 = 0x07;

// before the lanes: the softfloat takes MXCSR's rounding, DAZ, FTZ and masks, no flags yet
export function sfBegin(): void {
  sfSetMode(load<u32>(MXCSR));
  sfFlags = 0;
}
// after the lanes: when an unmasked pre-computation exception was detected in any lane the
// instruction stops before the post-computation exceptions (OE UE PE) of the other lanes are
// evaluated (SDM Vol. 1 11.5.3, handling unmasked exceptions, steps 1-5), so only IE DE ZE are reported (as the CPU does:
// DIVPS with ZE unmasked, lanes 1/0 and 2/3, sets ZE alone). Returns whether the destination
// may be written (simdFlags).
export function sfEnd(): bool {
  let f = sfFlags;
  if (f & ~(load<u32>(MXCSR) >> MX_MASKS_SHIFT) & PRE) f &= PRE;
  return simdFlags(f);
}
// the source of a form: 128 bits (PS PD), 32 (SS) or 64 (SD)
function readForm(form: u32): bool {
  if (form == F_SS) return readWd();
  if (form == F_SD) return readWq();
  return readWx();
}

// op: 0 add, 1 sub, 2 mul, 3 div, 4 min, 5 max, 6 sqrt, 7 rcp, 8 rsqrt (of the source), 9 compare
// with the predicate cmpPred (an all-ones or all-zeros lane)
let cmpPred: u32 = 0;
function op32(op: u32, a: u32, b: u32): u32 {
  switch (op) {
    case 0: return add32(a, b);
    case 1: return sub32(a, b);
    case 2: return mul32(a, b);
    case 3: return div32(a, b);
    case 4: return min32(a, b);
    case 5: return max32(a, b);
    case 6: return sqrt32(b);
    case 7: return rcp32(b);
    case 8: return rsqrt32(b);
  }
  return cmp32(a, b, cmpPred) ? 0xffffffff : 0;
}
function op64(op: u32, a: u64, b: u64): u64 {
  switch (op) {
    case 0: return add64(a, b);
    case 1: return sub64(a, b);
    case 2: return mul64(a, b);
    case 3: return div64(a, b);
    case 4: return min64(a, b);
    case 5: return max64(a, b);
    case 6: return sqrt64(b);
  }
  return cmp64(a, b, cmpPred) ? 0xffffffffffffffff : 0;
}
// two single lanes packed in a quadword
@inline function pair32(op: u32, a: u64, b: u64): u64 {
  const lo = op32(op, <u32>a, <u32>b);
  return <u64>lo | (<u64>op32(op, <u32>(a >> 32), <u32>(b >> 32)) << 32);
}

// the arithmetic instructions: XMMreg = XMMreg op source, lane by lane
export function farith(form: u32, op: u32): void {
  const r = regV();
  if (!readForm(form)) return;
  const dlo = xmmLo(r);
  const dhi = xmmHi(r);
  sfBegin();
  let lo: u64, hi: u64 = dhi;
  if (form == F_PS) {
    lo = pair32(op, dlo, sLo);
    hi = pair32(op, dhi, sHi);
  } else if (form == F_SS) {
    lo = (dlo & 0xffffffff00000000) | <u64>op32(op, <u32>dlo, <u32>sLo);
  } else {
    lo = op64(op, dlo, sLo);
    if (form == F_PD) hi = op64(op, dhi, sHi);
  }
  if (!sfEnd()) return;
  setXmm(r, lo, hi);
}
// CMPPS/PD/SS/SD with predicate pred (0-7)
export function fcompare(form: u32, pred: u32): void {
  cmpPred = pred;
  farith(form, 9);
}
