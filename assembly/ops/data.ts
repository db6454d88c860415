// Data movement: MOV (all forms), XCHG, LEA, MOVZX/MOVSX, CBW/CWDE, CWD/CDQ, BSWAP, CMOVcc,
// SETcc, XLAT, LAHF/SAHF, LDS/LES/LFS/LGS/LSS, CMPXCHG, XADD, CMPXCHG8B (SDM Vol. 2).
import {
  readE, writeE, readG, writeG, fetchImm, fetchImm8s, fetch16, fetch32, mrmReg, eaIsReg, eaSeg, eaOff,
  eaPlus, readSeg, writeSeg, dataSeg, a32, checkLimit,
} from '../cpu/decode';
import { getReg, setReg, reg8, setReg8, reg16, setReg16, reg32, setReg32, segSel, EAX, EDX, EBX, ECX, CS, SS } from '../cpu/state';
import { cond, arithFlags, setArith, setCC, sizeIdx, getZF, K_SUB } from '../cpu/flags';
import { alu } from './alu';
import { loadSeg } from '../cpu/segment';
import { aborted, ud } from '../cpu/fault';

export function mov_EG<T>(): void { writeE<T>(readG<T>()); }
export function mov_GE<T>(): void {
  const v = readE<T>();
  if (!aborted) writeG<T>(v);
}
export function mov_EI<T>(): void {
  const v = fetchImm<T>();
  if (!aborted) writeE<T>(v);
}
export function mov_RI<T>(r: u32): void {
  const v = fetchImm<T>();
  if (!aborted) setReg<T>(r, v);
}
@inline function moffs(): u32 { return a32() ? fetch32() : fetch16(); }
export function mov_AO<T>(): void {
  const off = moffs();
  if (aborted) return;
  const v = readSeg<T>(dataSeg(), off);
  if (!aborted) setReg<T>(0, v);
}
export function mov_OA<T>(): void {
  const off = moffs();
  if (aborted) return;
  writeSeg<T>(dataSeg(), off, getReg<T>(0));
}
// MOV Ev,Sw: a register destination with 32-bit operand size gets the selector zero-extended
// (Pentium Pro and later); a memory destination is always written as a word
export function mov_ES<T>(): void {
  const s = mrmReg();
  if (s > 5) { ud(); return; }
  if (eaIsReg()) writeE<T>(segSel(s));
  else writeE<u16>(segSel(s));
}
export function mov_SE(): void {
  const s = mrmReg();
  if (s > 5 || s == CS) { ud(); return; }
  const v = readE<u16>();
  if (aborted) return;
  loadSeg(s, v);
}
export function xchg_EG<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  const b = readG<T>();
  writeE<T>(b);
  if (!aborted) writeG<T>(a);
}
export function xchg_RA<T>(r: u32): void {
  const a = getReg<T>(0);
  setReg<T>(0, getReg<T>(r));
  setReg<T>(r, a);
}
export function nop(): void {}
export function nop_E(): void {}
export function lea<T>(): void {
  if (eaIsReg()) { ud(); return; }
  writeG<T>(eaOff);
}
export function movzx<T, S>(): void {
  const v = readE<S>();
  if (!aborted) writeG<T>(v);
}
export function movsx<T, S>(): void {
  const v = readE<S>();
  if (aborted) return;
  const x: u32 = sizeof<S>() == 1 ? <u32><i32><i8>v : <u32><i32><i16>v;
  writeG<T>(x);
}
export function cbw<T>(): void {
  if (sizeof<T>() == 2) setReg16(EAX, <u32><i32><i8>reg8(0));
  else setReg32(EAX, <u32><i32><i16>reg16(EAX));
}
export function cwd<T>(): void {
  if (sizeof<T>() == 2) setReg16(EDX, reg16(EAX) & 0x8000 ? 0xffff : 0);
  else setReg32(EDX, reg32(EAX) & 0x80000000 ? 0xffffffff : 0);
}
// BSWAP with a 16-bit operand is undefined; like the hardware, the register is zeroed
export function bswap_R<T>(r: u32): void {
  if (sizeof<T>() == 2) setReg16(r, 0);
  else setReg32(r, bswap<u32>(reg32(r)));
}
// CMOVcc reads its source even when the condition is false; with a 32-bit operand the
// destination's upper half is cleared either way
export function cmovcc<T>(cc: u32): void {
  const v = readE<T>();
  if (aborted) return;
  if (cond(cc)) writeG<T>(v);
  else if (sizeof<T>() == 4) writeG<T>(readG<T>());
}
export function setcc(cc: u32): void { writeE<u8>(cond(cc) ? 1 : 0); }
export function xlat(): void {
  const off = a32() ? reg32(EBX) + reg8(0) : (reg16(EBX) + reg8(0)) & 0xffff;
  const v = readSeg<u8>(dataSeg(), off);
  if (!aborted) setReg8(0, v);
}
export function lahf(): void { setReg8(4, (arithFlags() & 0xd5) | 2); }
export function sahf(): void { setArith((arithFlags() & ~0xd5) | (reg8(4) & 0xd5)); }

// LDS LES LFS LGS LSS: offset then selector from memory
export function lxs<T>(s: u32): void {
  if (eaIsReg()) { ud(); return; }
  if (!checkLimit(eaSeg, eaOff, sizeof<T>() + 2)) return;
  const off = readSeg<T>(eaSeg, eaOff);
  const sel = readSeg<u16>(eaSeg, eaPlus(sizeof<T>()));
  if (aborted) return;
  if (!loadSeg(s, sel)) return;
  writeG<T>(off);
}

// CMPXCHG: compare the accumulator with the destination (flags as CMP); the destination is
// written in both cases (SDM: "the processor never produces a locked read without a write")
export function cmpxchg<T>(): void {
  const d = readE<T>();
  if (aborted) return;
  const acc = getReg<T>(0);
  alu<T>(7, acc, d);
  if (acc == d) writeE<T>(readG<T>());
  else {
    writeE<T>(d);
    if (!aborted) setReg<T>(0, d);
  }
}
export function xadd<T>(): void {
  const d = readE<T>();
  if (aborted) return;
  const s = readG<T>();
  const r = alu<T>(0, d, s);
  writeG<T>(d);
  writeE<T>(r);
}
export function cmpxchg8b(): void {
  const lo = readSeg<u32>(eaSeg, eaOff);
  const hi = readSeg<u32>(eaSeg, eaPlus(4));
  if (aborted) return;
  const f = arithFlags();
  if (lo == reg32(EAX) && hi == reg32(EDX)) {
    writeSeg<u32>(eaSeg, eaOff, reg32(EBX));
    writeSeg<u32>(eaSeg, eaPlus(4), reg32(ECX));
    if (!aborted) setArith(f | 0x40);
  } else {
    writeSeg<u32>(eaSeg, eaOff, lo);
    writeSeg<u32>(eaSeg, eaPlus(4), hi);
    if (aborted) return;
    setReg32(EAX, lo);
    setReg32(EDX, hi);
    setArith(f & ~0x40);
  }
}
