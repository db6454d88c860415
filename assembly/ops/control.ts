// Jcc JMP CALL RET LOOP/JCXZ, far JMP/CALL/RET, INT n/INT3/INTO/INT1, IRET, BOUND
// (SDM Vol. 2). A near target beyond the CS limit raises #GP(0) at the branch; with a 16-bit
// operand size the target is truncated to 16 bits.
import { EIP, EFLAGS, NMI_BLOCKED, CTL_EXC_BITMAP, EXIT_INTR_INFO, EXIT_INTR_ERROR, EXIT_INSN_LEN } from '../gen/layout';
import {
  fetch8, fetch16, fetch32, fetchImm, readE, readG, readSeg, eaSeg, eaOff, eaPlus, nextEip, setNextEip,
  a32, checkLimit,
} from '../cpu/decode';
import {
  CS, ECX, segSel, segLimit, reg16, reg32, setReg16, setReg32, getReg, protectedMode, vm86, F_VM, F_RF,
  F_IOPL, F_VIP, F_VIF, F_NT, F_AC, F_ID, F_IF, F_OF,
} from '../cpu/state';
import { cond, getZF, getFlags, setFlags, getOF } from '../cpu/flags';
import { push, pop, stackPtr, setStackPtr, stackMask } from '../cpu/stack';
import { farJump, farCall, farReturn, interruptReturn } from '../cpu/farcall';
import { deliver, T_SW_EXC, T_SW_INT } from '../cpu/interrupt';
import { aborted, raise, gp, requestExit, GP, BR, BP, OF, DB } from '../cpu/fault';

@inline function opMask<T>(): u32 { return sizeof<T>() == 2 ? 0xffff : 0xffffffff; }

// near jump to target (already truncated to the operand size)
export function jumpTo(target: u32): void {
  if (target > segLimit(CS)) { gp(0); return; }
  setNextEip(target);
}

@inline export function jcc_b<T>(cc: u32): void {
  const d = <u32><i32><i8>fetch8();
  if (aborted) return;
  if (cond(cc)) jumpTo((nextEip + d) & opMask<T>());
}
export function jcc_z<T>(cc: u32): void {
  const d = fetchImm<T>();
  if (aborted) return;
  if (cond(cc)) jumpTo((nextEip + (sizeof<T>() == 2 ? <u32><i32><i16>d : d)) & opMask<T>());
}
export function jmp_Jb<T>(): void {
  const d = <u32><i32><i8>fetch8();
  if (!aborted) jumpTo((nextEip + d) & opMask<T>());
}
export function jmp_J<T>(): void {
  const d = fetchImm<T>();
  if (!aborted) jumpTo((nextEip + d) & opMask<T>());
}
export function jmp_E<T>(): void {
  const t = readE<T>();
  if (!aborted) jumpTo(t);
}
export function call_J<T>(): void {
  const d = fetchImm<T>();
  if (aborted) return;
  const t = (nextEip + d) & opMask<T>();
  if (t > segLimit(CS)) { gp(0); return; }
  push<T>(nextEip);
  if (!aborted) setNextEip(t);
}
export function call_E<T>(): void {
  const t = readE<T>();
  if (aborted) return;
  if (t > segLimit(CS)) { gp(0); return; }
  push<T>(nextEip);
  if (!aborted) setNextEip(t);
}
export function retn<T>(): void {
  const t = pop<T>();
  if (!aborted) jumpTo(t);
}
export function retn_I<T>(): void {
  const n = fetch16();
  if (aborted) return;
  const t = pop<T>();
  if (aborted) return;
  setStackPtr((stackPtr() + n) & stackMask());
  jumpTo(t);
}

// LOOPNE LOOPE LOOP JCXZ: the count register follows the address size
export function loop_b<T>(kind: u32): void {
  const d = <u32><i32><i8>fetch8();
  if (aborted) return;
  let c: u32;
  if (a32()) {
    c = reg32(ECX);
    if (kind != 3) { c--; setReg32(ECX, c); }
  } else {
    c = reg16(ECX);
    if (kind != 3) { c = (c - 1) & 0xffff; setReg16(ECX, c); }
  }
  let take: bool;
  switch (kind) {
    case 0: take = c != 0 && !getZF(); break;
    case 1: take = c != 0 && getZF() != 0; break;
    case 2: take = c != 0; break;
    default: take = c == 0; break;
  }
  if (take) jumpTo((nextEip + d) & opMask<T>());
}

// ---- far transfers (assembly/cpu/farcall.ts) ----
export function jmpf_A<T>(): void {
  const off = fetchImm<T>();
  const sel = fetch16();
  if (!aborted) farJump(sel, off, nextEip);
}
export function jmpf_M<T>(): void {
  if (!checkLimit(eaSeg, eaOff, sizeof<T>() + 2)) return;
  const off = readSeg<T>(eaSeg, eaOff);
  const sel = readSeg<u16>(eaSeg, eaPlus(sizeof<T>()));
  if (!aborted) farJump(sel, off, nextEip);
}
export function callf_A<T>(): void {
  const off = fetchImm<T>();
  const sel = fetch16();
  if (!aborted) farCall(sel, off, sizeof<T>() == 4, nextEip);
}
export function callf_M<T>(): void {
  if (!checkLimit(eaSeg, eaOff, sizeof<T>() + 2)) return;
  const off = readSeg<T>(eaSeg, eaOff);
  const sel = readSeg<u16>(eaSeg, eaPlus(sizeof<T>()));
  if (!aborted) farCall(sel, off, sizeof<T>() == 4, nextEip);
}
export function retf<T>(imm: bool): void {
  const n = imm ? fetch16() : 0;
  if (!aborted) farReturn(sizeof<T>() == 4, n);
}
export function iret<T>(): void {
  interruptReturn(sizeof<T>() == 4, nextEip);
}

// software interrupts: INT n is not intercepted; INT3 and INTO are software exceptions, which
// the exception bitmap can make exit (SDM Vol. 3C 25.2)
function softInt(vector: u32, type: u32): void {
  if (type == T_SW_EXC && (load<u32>(CTL_EXC_BITMAP) >> vector) & 1) {
    store<u32>(EXIT_INTR_INFO, vector | (type << 8) | (1 << 31));
    store<u32>(EXIT_INTR_ERROR, 0);
    requestExit(0);
    return;
  }
  if (vm86() && ((load<u32>(EFLAGS) & F_IOPL) >> 12) < 3 && type == T_SW_INT) { gp(0); return; }
  if (!deliver(vector, nextEip, -1, vector != DB)) return;
  setNextEip(load<u32>(EIP));
}
export function int_I(): void {
  const v = fetch8();
  if (!aborted) softInt(v, T_SW_INT);
}
export function int3(): void { softInt(BP, T_SW_EXC); }
export function int1(): void { softInt(DB, T_SW_EXC); }
export function into(): void { if (getOF()) softInt(OF, T_SW_EXC); }

// BOUND: #BR (a fault) when the index is outside [lower, upper], signed
export function bound<T>(): void {
  if (!checkLimit(eaSeg, eaOff, sizeof<T>() * 2)) return;
  const lo = readSeg<T>(eaSeg, eaOff);
  const hi = readSeg<T>(eaSeg, eaPlus(sizeof<T>()));
  if (aborted) return;
  const i = readG<T>();
  let out: bool;
  if (sizeof<T>() == 2) out = <i16>i < <i16>lo || <i16>i > <i16>hi;
  else out = <i32>i < <i32>lo || <i32>i > <i32>hi;
  if (out) raise(BR, -1);
}
