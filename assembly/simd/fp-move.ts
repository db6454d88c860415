// SSE/SSE2 floating-point data moves, unpacks and shuffles (SDM Vol. 2: MOVSS, MOVSD (the SSE2
// form), MOVLPS/MOVHLPS, MOVLPD, MOVHPS/MOVLHPS, MOVHPD, UNPCKLPS/UNPCKHPS, UNPCKLPD/UNPCKHPD,
// MOVMSKPS/MOVMSKPD, SHUFPS/SHUFPD; Vol. 1 10.4.1 and 11.4.1). None of them raises a SIMD
// floating-point exception: the values are moved as bit patterns. MOVAPS/MOVUPS/MOVNTPS and the
// PD forms are mov_VW/mov_WV (move.ts); ANDPS..XORPS are pint 0-3 (int.ts).
import { eaIsReg, fetch8 } from '../cpu/decode';
import { aborted } from '../cpu/fault';
import { setReg32 } from '../cpu/state';
import {
  regV, regW, xmmLo, xmmHi, setXmm, setXmmLo, setXmmHi, xmm32, setXmm32, sLo, sHi,
  readWx, readWq, readWd, writeM64, writeM32,
} from './state';

// MOVSS/MOVSD xmm, xmm/m32 (m64): a register source replaces the low lane only, a memory source
// also zeroes the rest of the register. d: the double (MOVSD) form
export function movs_VW(d: bool): void {
  const r = regV();
  if (eaIsReg()) {
    if (d) setXmmLo(r, xmmLo(regW()));
    else setXmm32(r, 0, xmm32(regW(), 0));
    return;
  }
  if (!(d ? readWq() : readWd())) return;
  setXmm(r, sLo, 0);
}
// MOVSS/MOVSD xmm/m32 (m64), xmm
export function movs_WV(d: bool): void {
  const r = regV();
  if (eaIsReg()) {
    if (d) setXmmLo(regW(), xmmLo(r));
    else setXmm32(regW(), 0, xmm32(r, 0));
  } else if (d) writeM64(xmmLo(r));
  else writeM32(xmm32(r, 0));
}
// 0F 12 MOVLPS/MOVLPD xmm, m64 (high false) and 0F 16 MOVHPS/MOVHPD xmm, m64 (high true): the
// other quadword is kept. The register forms (no prefix only) are MOVHLPS (the source's high
// quadword to the low one) and MOVLHPS (the source's low quadword to the high one).
export function movlh_VW(high: bool): void {
  const r = regV();
  if (eaIsReg()) {
    if (high) setXmmHi(r, xmmLo(regW()));
    else setXmmLo(r, xmmHi(regW()));
    return;
  }
  if (!readWq()) return;
  if (high) setXmmHi(r, sLo);
  else setXmmLo(r, sLo);
}
// 0F 13 MOVLPS/MOVLPD m64, xmm and 0F 17 MOVHPS/MOVHPD m64, xmm
export function movlh_MV(high: bool): void {
  const r = regV();
  writeM64(high ? xmmHi(r) : xmmLo(r));
}
// UNPCKLPS: d0 s0 d1 s1, UNPCKHPS: d2 s2 d3 s3; UNPCKLPD: d0 s0, UNPCKHPD: d1 s1 (lanes low first)
export function unpck(pd: bool, high: bool): void {
  const r = regV();
  if (!readWx()) return;
  const d = high ? xmmHi(r) : xmmLo(r);
  const s = high ? sHi : sLo;
  if (pd) setXmm(r, d, s);
  else setXmm(r, (d & 0xffffffff) | (s << 32), (d >> 32) | (s & 0xffffffff00000000));
}
// MOVMSKPS/MOVMSKPD r32, xmm: the sign bits of the lanes, zero-extended
export function movmsk(pd: bool): void {
  const w = regW();
  const lo = xmmLo(w);
  const hi = xmmHi(w);
  let m: u32;
  if (pd) m = <u32>(lo >> 63) | (<u32>(hi >> 63) << 1);
  else m = <u32>((lo >> 31) & 1) | <u32>((lo >> 62) & 2) | (<u32>((hi >> 31) & 1) << 2) | (<u32>((hi >> 62) & 2) << 2);
  setReg32(regV(), m);
}
// dword lane k (0-3) of the 128-bit value hi:lo
@inline function lane(lo: u64, hi: u64, k: u32): u64 {
  return ((k & 2 ? hi : lo) >> ((k & 1) << 5)) & 0xffffffff;
}
// SHUFPS: the low two lanes picked from the destination, the high two from the source, by the
// 2-bit fields of imm8; SHUFPD: imm8 bit 0 picks the destination's quadword, bit 1 the source's
export function shufp(pd: bool): void {
  const imm = fetch8();
  if (aborted) return;
  const r = regV();
  if (!readWx()) return;
  const dlo = xmmLo(r);
  const dhi = xmmHi(r);
  if (pd) {
    setXmm(r, imm & 1 ? dhi : dlo, imm & 2 ? sHi : sLo);
    return;
  }
  setXmm(r, lane(dlo, dhi, imm & 3) | (lane(dlo, dhi, (imm >> 2) & 3) << 32),
    lane(sLo, sHi, (imm >> 4) & 3) | (lane(sLo, sHi, imm >> 6) << 32));
}
