// SSE/SSE2 conversions (SDM Vol. 2: CVTPI2PS CVTPI2PD CVTSI2SS CVTSI2SD, CVT(T)PS2PI CVT(T)PD2PI
// CVT(T)SS2SI CVT(T)SD2SI, CVTPS2PD CVTPD2PS CVTSS2SD CVTSD2SS, CVTDQ2PS CVT(T)PS2DQ, CVT(T)PD2DQ
// CVTDQ2PD; Vol. 1 11.4.1.5, 11.5). Results round by MXCSR.RC (the T forms truncate); an
// out-of-range or NaN source gives the integer indefinite 80000000h with IE. The forms with an
// MMX register operand have made the x87-to-MMX transition in the prologue. As for the
// arithmetic (fp.ts), every lane is converted before the exception check and nothing is written
// when an exception is unmasked.
import { aborted } from '../cpu/fault';
import { readE } from '../cpu/decode';
import { setReg32 } from '../cpu/state';
import {
  regV, setXmm, setXmmLo, setXmm32, setMm, sLo, sHi, readWx, readWq, readWd, readQq,
} from './state';
import { i32to32, i32to64, f32toi32, f64toi32, cvt32to64, cvt64to32 } from './softfloat';
import { sfBegin, sfEnd } from './fp';

// two int32 in a quadword to two singles / from two singles or doubles
@inline function i2ps(v: u64): u64 {
  const lo = i32to32(<i32>v);
  return <u64>lo | (<u64>i32to32(<i32>(v >> 32)) << 32);
}
@inline function ps2i(v: u64, t: bool): u64 {
  const lo = <u32>f32toi32(<u32>v, t);
  return <u64>lo | (<u64><u32>f32toi32(<u32>(v >> 32), t) << 32);
}
@inline function pd2i(lo: u64, hi: u64, t: bool): u64 {
  const a = <u32>f64toi32(lo, t);
  return <u64>a | (<u64><u32>f64toi32(hi, t) << 32);
}

// CVTPI2PS xmm, mm/m64 (ps: the low two lanes, the high quadword kept) and CVTPI2PD xmm, mm/m64
// (exact)
export function cvtpi2p(pd: bool): void {
  const r = regV();
  if (!readQq()) return;
  if (pd) { setXmm(r, i32to64(<i32>sLo), i32to64(<i32>(sLo >> 32))); return; }
  sfBegin();
  const v = i2ps(sLo);
  if (!sfEnd()) return;
  setXmmLo(r, v);
}
// CVTSI2SS/CVTSI2SD xmm, r/m32: the low lane
export function cvtsi2s(d: bool): void {
  const r = regV();
  const v = <i32>readE<u32>();
  if (aborted) return;
  if (d) { setXmmLo(r, i32to64(v)); return; }
  sfBegin();
  const f = i32to32(v);
  if (!sfEnd()) return;
  setXmm32(r, 0, f);
}
// CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128
export function cvtp2pi(pd: bool, t: bool): void {
  const r = regV();
  if (!(pd ? readWx() : readWq())) return;
  sfBegin();
  const v = pd ? pd2i(sLo, sHi, t) : ps2i(sLo, t);
  if (!sfEnd()) return;
  setMm(r, v);
}
// CVT(T)SS2SI/CVT(T)SD2SI r32, xmm/m32 (m64)
export function cvts2si(d: bool, t: bool): void {
  if (!(d ? readWq() : readWd())) return;
  sfBegin();
  const v = d ? f64toi32(sLo, t) : f32toi32(<u32>sLo, t);
  if (!sfEnd()) return;
  setReg32(regV(), <u32>v);
}
// kind 0 CVTPS2PD xmm, xmm/m64; 1 CVTPD2PS xmm, xmm/m128 (the high quadword zeroed);
// 2 CVTSS2SD xmm, xmm/m32; 3 CVTSD2SS xmm, xmm/m64 (the other lanes kept)
export function cvtfp(kind: u32): void {
  const r = regV();
  if (!(kind == 1 ? readWx() : kind == 2 ? readWd() : readWq())) return;
  sfBegin();
  let lo: u64 = 0, hi: u64 = 0;
  if (kind == 0) { lo = cvt32to64(<u32>sLo); hi = cvt32to64(<u32>(sLo >> 32)); }
  else if (kind == 1) lo = <u64>cvt64to32(sLo) | (<u64>cvt64to32(sHi) << 32);
  else if (kind == 2) lo = cvt32to64(<u32>sLo);
  else lo = <u64>cvt64to32(sLo);
  if (!sfEnd()) return;
  if (kind == 2) setXmmLo(r, lo);
  else if (kind == 3) setXmm32(r, 0, <u32>lo);
  else setXmm(r, lo, hi);
}
// the conversions of a 128-bit source: kind 0 CVTDQ2PS, 1 CVTPS2DQ, 2 CVTTPS2DQ (four lanes),
// 3 CVTPD2DQ, 4 CVTTPD2DQ (two lanes, the high quadword zeroed)
export function cvtx(kind: u32): void {
  const r = regV();
  if (!readWx()) return;
  sfBegin();
  const t = kind == 2 || kind == 4;
  let lo: u64, hi: u64 = 0;
  if (kind == 0) { lo = i2ps(sLo); hi = i2ps(sHi); }
  else if (kind <= 2) { lo = ps2i(sLo, t); hi = ps2i(sHi, t); }
  else lo = pd2i(sLo, sHi, t);
  if (!sfEnd()) return;
  setXmm(r, lo, hi);
}
// CVTDQ2PD xmm, xmm/m64 (exact)
export function cvtdq2pd(): void {
  const r = regV();
  if (!readWq()) return;
  setXmm(r, i32to64(<i32>sLo), i32to64(<i32>(sLo >> 32)));
}
