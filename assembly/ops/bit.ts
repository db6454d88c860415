// BT BTS BTR BTC (register and immediate bit offsets), BSF BSR (SDM Vol. 2).
// With a memory operand and a register offset the offset is signed and may address bits
// outside the operand (SDM BT: "bit string"); an immediate offset is taken modulo the size.
// op: 0 BT, 1 BTS, 2 BTR, 3 BTC
import { readE, writeE, readG, writeG, fetch8, eaIsReg, eaSeg, eaOff, readSeg, writeSeg, a32 } from '../cpu/decode';
import { arithFlags, setArith, setCC, sizeIdx, K_LOGIC } from '../cpu/flags';
import { F_CF, F_ZF } from '../cpu/state';
import { aborted } from '../cpu/fault';

@inline function apply(op: u32, v: u32, bit: u32): u32 {
  const m: u32 = 1 << bit;
  if (op == 1) return v | m;
  if (op == 2) return v & ~m;
  return v ^ m;
}
@inline function setCarry(cf: u32): void { setArith((arithFlags() & ~F_CF) | cf); }

export function bt_EG<T>(op: u32): void {
  const bits: u32 = sizeof<T>() << 3;
  const off = readG<T>();
  if (eaIsReg()) {
    const v = readE<T>();
    const b = off & (bits - 1);
    setCarry((v >> b) & 1);
    if (op) writeE<T>(apply(op, v, b));
    return;
  }
  // bit string in memory: the operand-sized unit containing the bit
  const soff: i32 = sizeof<T>() == 2 ? <i32><i16>off : <i32>off;
  const unit = (soff >> (sizeof<T>() == 2 ? 4 : 5)) * <i32>sizeof<T>();
  let addr = eaOff + <u32>unit;
  if (!a32()) addr &= 0xffff;
  const b = off & (bits - 1);
  const v = readSeg<T>(eaSeg, addr);
  if (aborted) return;
  if (op) {
    writeSeg<T>(eaSeg, addr, apply(op, v, b));
    if (aborted) return;
  }
  setCarry((v >> b) & 1);
}

export function bt_EI<T>(op: u32): void {
  const v = readE<T>();
  const b = fetch8() & ((sizeof<T>() << 3) - 1);
  if (aborted) return;
  if (op) {
    writeE<T>(apply(op, v, b));
    if (aborted) return;
  }
  setCarry((v >> b) & 1);
}

// BSF/BSR: ZF = source is zero, and then the destination is left unchanged
export function bsf<T>(): void {
  const v = readE<T>();
  if (aborted) return;
  if (v == 0) { setArith(arithFlags() | F_ZF); return; }
  const r = ctz<u32>(v);
  writeG<T>(r);
  setCC((K_LOGIC << 2) | sizeIdx<T>(), r | 0x100, 0); // ZF=0, the rest are undefined
}
export function bsr<T>(): void {
  const v = readE<T>();
  if (aborted) return;
  if (v == 0) { setArith(arithFlags() | F_ZF); return; }
  const r = 31 - clz<u32>(v);
  writeG<T>(r);
  setCC((K_LOGIC << 2) | sizeIdx<T>(), r | 0x100, 0);
}
