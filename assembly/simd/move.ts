// Data moves between MMX/XMM registers, general registers and memory (SDM Vol. 2: MOVD/MOVQ,
// MOVDQA, MOVDQU, MOVAPS, MOVUPS, MOVAPD, MOVUPD, MOVQ2DQ, MOVDQ2Q, MOVNTQ, MOVNTDQ, MASKMOVQ,
// MASKMOVDQU). The prologue (assembly/gen/simd.ts) has made the checks, including the alignment
// of MOVDQA/MOVAPS/MOVAPD/MOVNTDQ memory operands. The non-temporal hints change nothing here.
import { mrm, eaIsReg, readE, writeE, a32, dataSeg, checkLimitW } from '../cpu/decode';
import { reg32, reg16, segBase, EDI } from '../cpu/state';
import { writeLin8, probeWrite } from '../cpu/memory';
import {
  regV, regW, mm, setMm, xmmLo, xmmHi, setXmm, xmm32, sLo, sHi, readWx, readWq, readQq, writeM128, writeM64,
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
// MOVQ mm/m64, mm and MOVNTQ m64, mm
export function movq_QP(): void {
  const v = mm(regV());
  if (eaIsReg()) setMm(regW(), v);
  else writeM64(v);
}
// MOVQ xmm, xmm/m64 (F3 0F 7E): the high quadword is cleared
export function movq_VW(): void {
  if (!readWq()) return;
  setXmm(regV(), sLo, 0);
}
// MOVQ xmm/m64, xmm (66 0F D6): a register destination's high quadword is cleared
export function movq_WV(): void {
  const v = xmmLo(regV());
  if (eaIsReg()) setXmm(regW(), v, 0);
  else writeM64(v);
}
// MOVQ2DQ xmm, mm
export function movq2dq(): void {
  setXmm(regV(), mm(regW()), 0);
}
// MOVDQ2Q mm, xmm
export function movdq2q(): void {
  setMm(regV(), xmmLo(regW()));
}
// MOVDQA/MOVDQU/MOVAPS/MOVUPS/MOVAPD/MOVUPD xmm, xmm/m128
export function mov_VW(): void {
  if (!readWx()) return;
  setXmm(regV(), sLo, sHi);
}
// ... xmm/m128, xmm and MOVNTDQ m128, xmm
export function mov_WV(): void {
  const r = regV();
  if (eaIsReg()) setXmm(mrm & 7, xmmLo(r), xmmHi(r));
  else writeM128(xmmLo(r), xmmHi(r));
}

// MASKMOVQ mm, mm / MASKMOVDQU xmm, xmm: the bytes of ModRM.reg whose mask byte (ModRM.rm) has
// its top bit set go to DS:(E)DI + i (the segment may be overridden; DI with a 16-bit address
// size, the offset wrapping like it). Each selected byte is a byte store: the limit and the page
// of every selected byte are checked before the first one is written, and unselected bytes
// neither fault nor change.
export function maskmov(x: bool): void {
  const r = regV(), m = regW();
  const dLo = x ? xmmLo(r) : mm(r), dHi = x ? xmmHi(r) : 0;
  const mLo = (x ? xmmLo(m) : mm(m)) & 0x8080808080808080, mHi = x ? xmmHi(m) & 0x8080808080808080 : 0;
  const seg = dataSeg();
  const wide = a32();
  const base = wide ? reg32(EDI) : reg16(EDI);
  const n: u32 = x ? 16 : 8;
  for (let pass = 0; pass < 2; pass++) {
    for (let i: u32 = 0; i < n; i++) {
      const sh = <u64>(i & 7) << 3;
      if ((((i < 8 ? mLo : mHi) >> sh) & 0x80) == 0) continue;
      const off = wide ? base + i : (base + i) & 0xffff;
      if (pass == 0) {
        if (!checkLimitW(seg, off, 1) || !probeWrite(segBase(seg) + off)) return;
      } else writeLin8(segBase(seg) + off, <u32>((i < 8 ? dLo : dHi) >> sh) & 0xff);
    }
  }
}
