// Memory operands of x87 instructions: the effective address decoded from ModRM (cpu/decode.ts),
// read and written in parts at eaPlus(offset) (which wraps like the address size). The whole
// operand's segment limit is checked before the first part, so a limit fault leaves memory
// and the FPU unchanged.
import { eaSeg, eaOff, eaPlus, readSeg, writeSeg, checkLimit, checkLimitW } from '../cpu/decode';
import { aborted } from '../cpu/fault';

@inline export function canRead(size: u32): bool { return checkLimit(eaSeg, eaOff, size); }
@inline export function canWrite(size: u32): bool { return checkLimitW(eaSeg, eaOff, size); }

@inline export function rd8(k: u32): u32 { return readSeg<u8>(eaSeg, eaPlus(k)); }
@inline export function rd16(k: u32): u32 { return readSeg<u16>(eaSeg, eaPlus(k)); }
@inline export function rd32(k: u32): u32 { return readSeg<u32>(eaSeg, eaPlus(k)); }
export function rd64(k: u32): u64 {
  const lo = rd32(k);
  return (<u64>rd32(k + 4) << 32) | <u64>lo;
}
@inline export function wr8(k: u32, v: u32): void { writeSeg<u8>(eaSeg, eaPlus(k), v); }
@inline export function wr16(k: u32, v: u32): void { writeSeg<u16>(eaSeg, eaPlus(k), v); }
@inline export function wr32(k: u32, v: u32): void { writeSeg<u32>(eaSeg, eaPlus(k), v); }
export function wr64(k: u32, v: u64): void {
  wr32(k, <u32>v);
  if (!aborted) wr32(k + 4, <u32>(v >> 32));
}
// an 80-bit value at offset k: significand, then sign|exponent
export function rd80sig(k: u32): u64 { return rd64(k); }
export function rd80se(k: u32): u32 { return rd16(k + 8); }
export function wr80(k: u32, se: u32, sig: u64): void {
  wr64(k, sig);
  if (!aborted) wr16(k + 8, se);
}
