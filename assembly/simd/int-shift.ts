// MMX and SSE2 shifts (SDM Vol. 2: PSLLW/PSLLD/PSLLQ, PSRLW/PSRLD/PSRLQ, PSRAW/PSRAD, PSLLDQ,
// PSRLDQ). The count is the whole 64-bit source (mm/m64, or the low quadword of xmm/m128) or
// the immediate byte; a count past the lane width clears the lanes of a logical shift and fills
// those of an arithmetic shift with the sign. kind: 0 logical right, 1 arithmetic right, 2 left;
// size: 1 words, 2 doublewords, 3 quadwords.
import { fetch8 } from '../cpu/decode';
import { regV, regW, mm, setMm, xmmLo, xmmHi, setXmm, sLo, readWx, readQq } from './state';

// 1 in the low bit of each lane
@inline function lanes(size: u32): u64 { return size == 1 ? 0x0001000100010001 : size == 2 ? 0x0000000100000001 : 1; }

function shiftHalf(kind: u32, size: u32, v: u64, count: u64): u64 {
  const w: u64 = <u64>8 << size;
  let c = count;
  if (c >= w) {
    if (kind != 1) return 0;
    c = w - 1;
  }
  if (size == 3) return kind == 2 ? v << c : v >> c;
  const one = lanes(size);
  const full: u64 = (<u64>1 << w) - 1; // one lane of ones
  if (kind == 2) return (v << c) & (((full << c) & full) * one);
  const keep = (full >> c) * one; // the bits a right shift keeps in each lane
  const r = (v >> c) & keep;
  if (kind == 0) return r;
  const neg = ((v >> (w - 1)) & one) * full; // the lanes whose sign is set
  return r | (neg & ~keep);
}
function shift(x: bool, kind: u32, size: u32, r: u32, c: u64): void {
  if (x) setXmm(r, shiftHalf(kind, size, xmmLo(r), c), shiftHalf(kind, size, xmmHi(r), c));
  else setMm(r, shiftHalf(kind, size, mm(r), c));
}

// PSxx mm, mm/m64 and PSxx xmm, xmm/m128: the count is the source's low quadword
export function pshift(x: bool, kind: u32, size: u32): void {
  if (x ? !readWx() : !readQq()) return;
  shift(x, kind, size, regV(), sLo);
}
// PSxx mm, imm8 and PSxx xmm, imm8 (0F 71-73 groups: the destination is ModRM.rm)
export function pshifti(x: bool, kind: u32, size: u32): void {
  shift(x, kind, size, regW(), <u64>fetch8());
}
// PSLLDQ/PSRLDQ xmm, imm8: the 128-bit register shifted by whole bytes (past 15: all zero)
export function pshiftdq(left: bool): void {
  const r = regW();
  const n = fetch8();
  const b: u64 = n > 15 ? 128 : <u64>n << 3;
  let lo = xmmLo(r), hi = xmmHi(r);
  if (b >= 128) { lo = 0; hi = 0; } else if (b >= 64) {
    if (left) { hi = lo << (b - 64); lo = 0; } else { lo = hi >> (b - 64); hi = 0; }
  } else if (b > 0) {
    if (left) { hi = (hi << b) | (lo >> (64 - b)); lo <<= b; } else { lo = (lo >> b) | (hi << (64 - b)); hi >>= b; }
  }
  setXmm(r, lo, hi);
}
