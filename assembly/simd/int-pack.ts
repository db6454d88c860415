// MMX and SSE2 packs, unpacks, shuffles, word inserts/extracts and byte masks (SDM Vol. 2:
// PACKSSWB, PACKSSDW, PACKUSWB, PUNPCKLBW/WD/DQ/QDQ, PUNPCKHBW/WD/DQ/QDQ, PSHUFW, PSHUFD,
// PSHUFHW, PSHUFLW, PINSRW, PEXTRW, PMOVMSKB). x: the SSE2 form (xmm) or the MMX form (mm).
import { fetch8, readE, mrmReg } from '../cpu/decode';
import { setReg32 } from '../cpu/state';
import { aborted } from '../cpu/fault';
import { regV, regW, mm, setMm, xmmLo, xmmHi, setXmm, xmmAddr, sLo, sHi, readWx, readQq, readQd } from './state';

// ---------------------------------------------------------------- packs
// four words (k 0 PACKSSWB, 1 PACKUSWB) or two doublewords (k 2 PACKSSDW) of v, saturated to
// half their width
function pack32(k: u32, v: u64): u64 {
  let r: u64 = 0;
  if (k == 2) {
    for (let i: u64 = 0; i < 2; i++) {
      const e = <i32>(v >> (i << 5));
      r |= <u64>(<u32>(e < -32768 ? -32768 : e > 32767 ? 32767 : e) & 0xffff) << (i << 4);
    }
    return r;
  }
  for (let i: u64 = 0; i < 4; i++) {
    const e = <i32>(<i16>(v >> (i << 4)));
    const b = k == 1 ? (e < 0 ? 0 : e > 255 ? 255 : e) : (e < -128 ? -128 : e > 127 ? 127 : e);
    r |= <u64>(<u32>b & 0xff) << (i << 3);
  }
  return r;
}
// the destination's elements in the low half of the result, the source's in the high half
export function ppack(x: bool, k: u32): void {
  const r = regV();
  if (x) {
    if (!readWx()) return;
    setXmm(r, pack32(k, xmmLo(r)) | (pack32(k, xmmHi(r)) << 32), pack32(k, sLo) | (pack32(k, sHi) << 32));
  } else {
    if (!readQq()) return;
    setMm(r, pack32(k, mm(r)) | (pack32(k, sLo) << 32));
  }
}

// ---------------------------------------------------------------- unpacks
// the bytes (k 0), words (k 1) or doublewords (k 2) of the 32-bit values a and b interleaved,
// a's first
@inline function spread16(a: u64): u64 { return (a | (a << 16)) & 0x0000ffff0000ffff; }
@inline function spread8(a: u64): u64 {
  const t = spread16(a);
  return (t | (t << 8)) & 0x00ff00ff00ff00ff;
}
function ilv(k: u32, a: u64, b: u64): u64 {
  a &= 0xffffffff; b &= 0xffffffff;
  if (k == 0) return spread8(a) | (spread8(b) << 8);
  if (k == 1) return spread16(a) | (spread16(b) << 16);
  return a | (b << 32);
}
// PUNPCKLxx: the low halves (mm, mm/m32; xmm, xmm/m128); k 3 PUNPCKLQDQ
export function punpckl(x: bool, k: u32): void {
  const r = regV();
  if (x) {
    if (!readWx()) return;
    const d = xmmLo(r);
    if (k == 3) setXmm(r, d, sLo);
    else setXmm(r, ilv(k, d, sLo), ilv(k, d >> 32, sLo >> 32));
  } else {
    if (!readQd()) return;
    setMm(r, ilv(k, mm(r), sLo));
  }
}
// PUNPCKHxx: the high halves; k 3 PUNPCKHQDQ
export function punpckh(x: bool, k: u32): void {
  const r = regV();
  if (x) {
    if (!readWx()) return;
    const d = xmmHi(r);
    if (k == 3) setXmm(r, d, sHi);
    else setXmm(r, ilv(k, d, sHi), ilv(k, d >> 32, sHi >> 32));
  } else {
    if (!readQq()) return;
    setMm(r, ilv(k, mm(r) >> 32, sLo >> 32));
  }
}

// ---------------------------------------------------------------- shuffles
// the four words of v in the order the immediate's 2-bit fields select
function shuf16(v: u64, imm: u32): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 4; i++) r |= ((v >> (<u64>((imm >> (<u32>i << 1)) & 3) << 4)) & 0xffff) << (i << 4);
  return r;
}
// PSHUFW mm, mm/m64, imm8
export function pshufw(): void {
  const imm = fetch8();
  if (!readQq()) return;
  setMm(regV(), shuf16(sLo, imm));
}
// PSHUFD xmm, xmm/m128, imm8
export function pshufd(): void {
  const imm = fetch8();
  if (!readWx()) return;
  let lo: u64 = 0, hi: u64 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    const j = (imm >> (i << 1)) & 3;
    const e = ((j & 2) ? sHi : sLo) >> (<u64>(j & 1) << 5) & 0xffffffff;
    if (i < 2) lo |= e << (<u64>i << 5);
    else hi |= e << (<u64>(i - 2) << 5);
  }
  setXmm(regV(), lo, hi);
}
// PSHUFHW (high) / PSHUFLW: one quadword's words shuffled, the other copied
export function pshufxw(high: bool): void {
  const imm = fetch8();
  if (!readWx()) return;
  if (high) setXmm(regV(), sLo, shuf16(sHi, imm));
  else setXmm(regV(), shuf16(sLo, imm), sHi);
}

// ---------------------------------------------------------------- words and masks
// PINSRW mm/xmm, r32/m16, imm8: the low word of the register, or the word in memory, into the
// word the immediate selects (modulo the word count)
export function pinsrw(x: bool): void {
  const imm = fetch8();
  const w = readE<u16>();
  if (aborted) return;
  const r = regV();
  if (x) store<u16>(xmmAddr(r) + ((imm & 7) << 1), w);
  else {
    const sh = <u64>(imm & 3) << 4;
    setMm(r, (mm(r) & ~(<u64>0xffff << sh)) | (<u64>w << sh));
  }
}
// PEXTRW r32, mm/xmm, imm8: the selected word, zero-extended
export function pextrw(x: bool): void {
  const imm = fetch8();
  const r = regW();
  setReg32(mrmReg(), x ? <u32>load<u16>(xmmAddr(r) + ((imm & 7) << 1)) : <u32>(mm(r) >> (<u64>(imm & 3) << 4)) & 0xffff);
}
// the top bit of each byte of v, byte i's in bit i: each product term lands in its own bit
// (8i + 7 + 49 - 7i = 56 + i), and no two terms share a position, so nothing carries
@inline function signs8(v: u64): u32 { return <u32>(((v & 0x8080808080808080) * 0x0002040810204081) >> 56); }
// PMOVMSKB r32, mm/xmm
export function pmovmskb(x: bool): void {
  const r = regW();
  setReg32(mrmReg(), x ? signs8(xmmLo(r)) | (signs8(xmmHi(r)) << 8) : signs8(mm(r)));
}
