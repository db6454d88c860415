// MUL IMUL DIV IDIV (SDM Vol. 2). Division by zero or a quotient that does not fit raises #DE,
// a fault: nothing is written. After MUL/IMUL, SF ZF AF PF are undefined; here they follow the
// low half of the product. DIV/IDIV leave all flags unchanged (undefined in the SDM).
import { setCC, sizeIdx, K_MUL } from '../cpu/flags';
import { readE, readG, writeG, fetchImm, fetchImm8s } from '../cpu/decode';
import { reg8, reg16, reg32, setReg16, setReg32, EAX, EDX } from '../cpu/state';
import { aborted, raise, DE } from '../cpu/fault';

@inline function sext<T>(a: u32): i64 {
  if (sizeof<T>() == 1) return <i64><i8>a;
  if (sizeof<T>() == 2) return <i64><i16>a;
  return <i64><i32>a;
}

export function mul_E<T>(): void {
  const b = readE<T>();
  if (aborted) return;
  if (sizeof<T>() == 1) {
    const r = reg8(0) * b;
    setReg16(EAX, r);
    setCC((K_MUL << 2) | 0, r & 0xff, r >> 8);
  } else if (sizeof<T>() == 2) {
    const r = reg16(EAX) * b;
    setReg16(EAX, r);
    setReg16(EDX, r >>> 16);
    setCC((K_MUL << 2) | 1, r & 0xffff, r >>> 16);
  } else {
    const r: u64 = <u64>reg32(EAX) * <u64>b;
    setReg32(EAX, <u32>r);
    setReg32(EDX, <u32>(r >> 32));
    setCC((K_MUL << 2) | 2, <u32>r, <u32>(r >> 32));
  }
}

export function imul_E<T>(): void {
  const b = readE<T>();
  if (aborted) return;
  if (sizeof<T>() == 1) {
    const r = <i32><i8>reg8(0) * <i32><i8>b;
    setReg16(EAX, <u32>r);
    setCC((K_MUL << 2) | 0, <u32>r & 0xff, u32(r != <i32><i8>r));
  } else if (sizeof<T>() == 2) {
    const r = <i32><i16>reg16(EAX) * <i32><i16>b;
    setReg16(EAX, <u32>r);
    setReg16(EDX, <u32>r >>> 16);
    setCC((K_MUL << 2) | 1, <u32>r & 0xffff, u32(r != <i32><i16>r));
  } else {
    const r: i64 = <i64><i32>reg32(EAX) * <i64><i32>b;
    setReg32(EAX, <u32>r);
    setReg32(EDX, <u32>(r >> 32));
    setCC((K_MUL << 2) | 2, <u32>r, u32(r != <i64><i32>r));
  }
}

// two- and three-operand IMUL: the product truncated to the operand size
@inline function imulTrunc<T>(a: u32, b: u32): u32 {
  const r: i64 = sext<T>(a) * sext<T>(b);
  const t = sext<T>(<u32>r);
  const m: u32 = sizeof<T>() == 2 ? 0xffff : 0xffffffff;
  setCC((K_MUL << 2) | sizeIdx<T>(), <u32>r & m, u32(t != r));
  return <u32>r & m;
}
export function imul_GE<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  writeG<T>(imulTrunc<T>(readG<T>(), a));
}
export function imul_GEI<T>(): void {
  const a = readE<T>();
  const b = fetchImm<T>();
  if (aborted) return;
  writeG<T>(imulTrunc<T>(a, b));
}
export function imul_GEIb<T>(): void {
  const a = readE<T>();
  const b = fetchImm8s<T>();
  if (aborted) return;
  writeG<T>(imulTrunc<T>(a, b));
}

export function div_E<T>(): void {
  const b = readE<T>();
  if (aborted) return;
  if (b == 0) { raise(DE, -1); return; }
  if (sizeof<T>() == 1) {
    const n = reg16(EAX);
    const q = n / b;
    if (q > 0xff) { raise(DE, -1); return; }
    setReg16(EAX, ((n % b) << 8) | q);
  } else if (sizeof<T>() == 2) {
    const n = (reg16(EDX) << 16) | reg16(EAX);
    const q = n / b;
    if (q > 0xffff) { raise(DE, -1); return; }
    setReg16(EAX, q);
    setReg16(EDX, n % b);
  } else {
    const n: u64 = (<u64>reg32(EDX) << 32) | <u64>reg32(EAX);
    const q: u64 = n / <u64>b;
    if (q > 0xffffffff) { raise(DE, -1); return; }
    setReg32(EAX, <u32>q);
    setReg32(EDX, <u32>(n % <u64>b));
  }
}

export function idiv_E<T>(): void {
  const bu = readE<T>();
  if (aborted) return;
  const b = sext<T>(bu);
  if (b == 0) { raise(DE, -1); return; }
  if (sizeof<T>() == 1) {
    const n = <i64><i16>reg16(EAX);
    const q = n / b;
    if (q > 127 || q < -128) { raise(DE, -1); return; }
    setReg16(EAX, ((<u32>(n % b) & 0xff) << 8) | (<u32>q & 0xff));
  } else if (sizeof<T>() == 2) {
    const n = <i64><i32>((reg16(EDX) << 16) | reg16(EAX));
    const q = n / b;
    if (q > 32767 || q < -32768) { raise(DE, -1); return; }
    setReg16(EAX, <u32>q);
    setReg16(EDX, <u32>(n % b));
  } else {
    const n = <i64>((<u64>reg32(EDX) << 32) | <u64>reg32(EAX));
    if (n == i64.MIN_VALUE && b == -1) { raise(DE, -1); return; }
    const q = n / b;
    if (q > 0x7fffffff || q < -0x80000000) { raise(DE, -1); return; }
    setReg32(EAX, <u32>q);
    setReg32(EDX, <u32>(n % b));
  }
}
