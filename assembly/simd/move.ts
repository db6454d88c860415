// Data moves between MMX/XMM registers, general registers and memory (SDM Vol. 2: MOVD/MOVQ,
// MOVDQA, MOVDQU, MOVAPS, MOVUPS, MOVAPD, MOVUPD). The prologue (assembly/gen/simd.ts) has made the
// checks, including the alignment of MOVDQA/MOVAPS/MOVAPD memory operands.
import { mrm, eaIsReg, readE, writeE } from '../cpu/decode';
import {
  regV, regW, mm, setMm, xmmLo, xmmHi, setXmm, xmm32, sLo, sHi, readWx, readQq, writeM128, writeM64,
} from './state';

// MOVD mm/xmm, r/m32: zero-extends
export function movd_to(x: bool): void {
  const v = <u64>readE<u32>();
  if (x) setXmm(regV(), v, 0);
  else setMm(regV(), v);
}
// MOVD r/m32, mm/xmm
export function movd_from(x: bool): void {
  writeE<u32>(x ? xmm32(regV(), 0) : <u32>mm(regV()));
}
// MOVQ mm, mm/m64
export function movq_PQ(): void {
  if (!readQq()) return;
  setMm(regV(), sLo);
}
// MOVQ mm/m64, mm
export function movq_QP(): void {
  const v = mm(regV());
  if (eaIsReg()) setMm(regW(), v);
  else writeM64(v);
}
// MOVDQA/MOVDQU/MOVAPS/MOVUPS/MOVAPD/MOVUPD xmm, xmm/m128
export function mov_VW(): void {
  if (!readWx()) return;
  setXmm(regV(), sLo, sHi);
}
// ... xmm/m128, xmm
export function mov_WV(): void {
  const r = regV();
  if (eaIsReg()) setXmm(mrm & 7, xmmLo(r), xmmHi(r));
  else writeM128(xmmLo(r), xmmHi(r));
}
