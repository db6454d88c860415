// SSE/SSE2 floating-point compares (SDM Vol. 2: CMPPS CMPPD CMPSS CMPSD, COMISS COMISD, UCOMISS
// UCOMISD; Vol. 1 11.4.1.2 and 11.5). CMPxx write an all-ones or all-zeros mask per lane, by the
// predicate imm8 & 7 (EQ LT LE UNORD NEQ NLT NLE ORD); COMISS/UCOMISS set ZF PF CF (unordered:
// all three; less: CF; equal: ZF) and clear OF SF AF. COMISS signals invalid for any NaN,
// UCOMISS only for an SNaN. With an unmasked exception EFLAGS and the destination are unchanged.
import { fetch8 } from '../cpu/decode';
import { aborted } from '../cpu/fault';
import { setArith } from '../cpu/flags';
import { regV, xmmLo, xmm32, sLo, readWq, readWd } from './state';
import { comi32, comi64 } from './softfloat';
import { fcompare, sfBegin, sfEnd } from './fp';

// CMPPS/PD/SS/SD xmm, xmm/m, imm8 (form: 0 ps, 1 pd, 2 ss, 3 sd)
export function fcmp(form: u32): void {
  const imm = fetch8();
  if (aborted) return;
  fcompare(form, imm & 7);
}
// COMISS/UCOMISS (d false), COMISD/UCOMISD (d true); signal: the COMI forms
export function comis(d: bool, signal: bool): void {
  const r = regV();
  if (!(d ? readWq() : readWd())) return;
  sfBegin();
  const f = d ? comi64(xmmLo(r), sLo, signal) : comi32(xmm32(r, 0), <u32>sLo, signal);
  if (!sfEnd()) return;
  setArith(f);
}
