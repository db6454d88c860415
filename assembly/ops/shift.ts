// ROL ROR RCL RCR SHL SHR SAL SAR, SHLD SHRD (SDM Vol. 2 "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR",
// "SHLD", "SHRD"). The count is masked to 5 bits (186 and later); a masked count of 0 changes
// nothing, flags included. OF is defined only for 1-bit shifts; for others it takes the value
// of the same expression (as the 386 family does for SHL/SHR/SAR).
import { setCC, sizeIdx, arithFlags, setArith, K_SHL, K_SHR } from '../cpu/flags';
import { readE, writeE, readG, fetch8 } from '../cpu/decode';
import { reg8, F_CF, F_OF } from '../cpu/state';
import { aborted } from '../cpu/fault';

@inline function bitsT<T>(): u32 { return sizeof<T>() << 3; }
@inline function maskT<T>(): u32 { return sizeof<T>() == 1 ? 0xff : sizeof<T>() == 2 ? 0xffff : 0xffffffff; }
@inline function signT<T>(): u32 { return sizeof<T>() == 1 ? 0x80 : sizeof<T>() == 2 ? 0x8000 : 0x80000000; }
@inline function sext<T>(a: u32): u32 {
  if (sizeof<T>() == 1) return <u32><i32><i8>a;
  if (sizeof<T>() == 2) return <u32><i32><i16>a;
  return a;
}

// rotations set CF and OF directly and keep the other arithmetic flags
@inline function setCfOf(cf: u32, ovf: u32): void {
  setArith((arithFlags() & ~(F_CF | F_OF)) | cf | (ovf << 11));
}

export function shiftOp<T>(op: u32, a: u32, count: u32): u32 {
  const c = count & 31;
  if (c == 0) return a;
  const bits = bitsT<T>();
  const m = maskT<T>();
  const s = sizeIdx<T>();
  switch (op) {
    case 0: { // ROL
      const k = c & (bits - 1);
      const r = k ? ((a << k) | (a >>> (bits - k))) & m : a;
      const cf = r & 1;
      setCfOf(cf, ((r >>> (bits - 1)) & 1) ^ cf);
      return r;
    }
    case 1: { // ROR
      const k = c & (bits - 1);
      const r = k ? ((a >>> k) | (a << (bits - k))) & m : a;
      const cf = (r >>> (bits - 1)) & 1;
      setCfOf(cf, cf ^ ((r >>> (bits - 2)) & 1));
      return r;
    }
    case 2: { // RCL: rotate the (bits+1)-bit value CF:a
      const k = c % (bits + 1);
      const cin = <u64>(arithFlags() & F_CF);
      const v: u64 = (cin << bits) | <u64>a;
      const w: u64 = bits + 1;
      const rot: u64 = k ? ((v << k) | (v >> (w - k))) & ((<u64>1 << w) - 1) : v;
      const r = <u32>rot & m;
      const cf = <u32>(rot >> bits) & 1;
      setCfOf(cf, ((r >>> (bits - 1)) & 1) ^ cf);
      return r;
    }
    case 3: { // RCR
      const k = c % (bits + 1);
      const cin = <u64>(arithFlags() & F_CF);
      const v: u64 = (cin << bits) | <u64>a;
      const w: u64 = bits + 1;
      const rot: u64 = k ? ((v >> k) | (v << (w - k))) & ((<u64>1 << w) - 1) : v;
      const r = <u32>rot & m;
      const cf = <u32>(rot >> bits) & 1;
      setCfOf(cf, ((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1);
      return r;
    }
    case 4: case 6: { // SHL/SAL
      const src: u32 = c - 1 >= 32 ? 0 : (<u32>(<u64>a << (c - 1))) & m;
      const r = (<u32>(<u64>a << c)) & m;
      setCC((K_SHL << 2) | s, r, src);
      return r;
    }
    case 5: { // SHR
      const src = a >>> (c - 1);
      const r = (<u32>(<u64>a >> c)) & m;
      setCC((K_SHR << 2) | s, r, src);
      return r;
    }
    default: { // SAR
      const v = <i32>sext<T>(a);
      const src = (<u32>(v >> (c - 1))) & m;
      const r = (<u32>(v >> c)) & m;
      setCC((K_SHR << 2) | s, r, src);
      return r;
    }
  }
}

export function shift_I<T>(op: u32): void {
  const a = readE<T>();
  const c = fetch8();
  if (aborted) return;
  writeE<T>(shiftOp<T>(op, a, c));
}
export function shift_1<T>(op: u32): void {
  const a = readE<T>();
  if (aborted) return;
  writeE<T>(shiftOp<T>(op, a, 1));
}
export function shift_CL<T>(op: u32): void {
  const a = readE<T>();
  if (aborted) return;
  writeE<T>(shiftOp<T>(op, a, reg8(1)));
}

// SHLD/SHRD: the destination is shifted, bits come in from the source register. For 16-bit
// operands with a count above 16 the result is undefined; this takes bits from src:dst:src.
export function shld<T>(imm: bool): void {
  const a = readE<T>();
  const c = (imm ? fetch8() : reg8(1)) & 31;
  if (aborted || c == 0) return;
  const b = readG<T>();
  const bits = bitsT<T>();
  let v: u64;
  if (sizeof<T>() == 2) v = (<u64>a << 48) | (<u64>b << 32) | (<u64>a << 16);
  else v = (<u64>a << 32) | <u64>b;
  const top: u64 = sizeof<T>() == 2 ? 48 : 32;
  const r = <u32>((v << c) >> top) & maskT<T>();
  const src = <u32>((v << (c - 1)) >> top) & maskT<T>();
  setCC((K_SHL << 2) | sizeIdx<T>(), r, src);
  writeE<T>(r);
}
export function shrd<T>(imm: bool): void {
  const a = readE<T>();
  const c = (imm ? fetch8() : reg8(1)) & 31;
  if (aborted || c == 0) return;
  const b = readG<T>();
  let v: u64;
  if (sizeof<T>() == 2) v = (<u64>b << 32) | (<u64>a << 16) | <u64>b;
  else v = (<u64>b << 32) | <u64>a;
  const low: u64 = sizeof<T>() == 2 ? 16 : 0;
  const r = <u32>(v >> (<u64>c + low)) & maskT<T>();
  const src = <u32>(v >> (<u64>c - 1 + low)) & maskT<T>();
  setCC((K_SHR << 2) | sizeIdx<T>(), r, src);
  writeE<T>(r);
}
