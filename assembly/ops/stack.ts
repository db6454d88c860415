// PUSH POP (registers, memory, immediates, segment registers), PUSHA POPA, PUSHF POPF,
// ENTER LEAVE (SDM Vol. 2).
import { EFLAGS } from '../gen/layout';
import { readE, writeE, fetchImm, fetchImm8s, fetch8, fetch16, eaIsReg, mrm, eaOff, eaSeg, a32, writeSeg } from '../cpu/decode';
import * as dec from '../cpu/decode';
import {
  getReg, setReg, reg32, setReg32, reg16, setReg16, segSel, ESP, EBP, SS, stackIs32, vm86, protectedMode,
  F_VM, F_RF, F_IOPL, F_IF, F_AC, F_ID, F_VIP, F_VIF, F_NT,
} from '../cpu/state';
import { push, pop, peek, stackPtr, setStackPtr, stackMask } from '../cpu/stack';
import { getFlags, setFlags } from '../cpu/flags';
import { loadSeg } from '../cpu/segment';
import { aborted, ud, gp } from '../cpu/fault';
import { CPL } from '../gen/layout';

export function push_R<T>(r: u32): void { push<T>(getReg<T>(r)); } // PUSH ESP pushes the value before the push
export function pop_R<T>(r: u32): void {
  const v = pop<T>();
  if (!aborted) setReg<T>(r, v);
}
export function push_I<T>(): void {
  const v = fetchImm<T>();
  if (!aborted) push<T>(v);
}
export function push_Ib<T>(): void {
  const v = fetchImm8s<T>();
  if (!aborted) push<T>(v);
}
export function push_E<T>(): void {
  const v = readE<T>();
  if (!aborted) push<T>(v);
}
// POP Ev: ESP is incremented before an ESP-based destination address is used (SDM POP)
export function pop_E<T>(): void {
  const v = peek<T>(0);
  if (aborted) return;
  const sp = stackPtr();
  setStackPtr((sp + sizeof<T>()) & stackMask());
  if (eaIsReg()) { writeE<T>(v); return; }
  dec.adjustEaForPop(sizeof<T>());
  writeE<T>(v);
  if (aborted) setStackPtr(sp);
}
// PUSH sreg with a 32-bit operand writes only the low word on P6-class CPUs, moving ESP by 4
export function push_sreg<T>(s: u32): void {
  if (sizeof<T>() == 2) { push<u16>(segSel(s)); return; }
  const sp = (stackPtr() - 4) & stackMask();
  writeSeg<u16>(SS, sp, segSel(s));
  if (!aborted) setStackPtr(sp);
}
export function pop_sreg<T>(s: u32): void {
  const v = peek<T>(0);
  if (aborted) return;
  if (!loadSeg(s, v & 0xffff)) return;
  setStackPtr((stackPtr() + sizeof<T>()) & stackMask());
}

export function pusha<T>(): void {
  const sp = getReg<T>(ESP);
  for (let r: u32 = 0; r < 8; r++) {
    push<T>(r == ESP ? sp : getReg<T>(r));
    if (aborted) return;
  }
}
export function popa<T>(): void {
  for (let i: u32 = 0; i < 8; i++) {
    const r = 7 - i;
    const v = pop<T>();
    if (aborted) return;
    if (r != ESP) setReg<T>(r, v);
  }
}

// PUSHF: VM and RF read as 0 in the pushed image
export function pushf<T>(): void {
  if (vm86() && ((load<u32>(EFLAGS) & F_IOPL) >> 12) < 3) { gp(0); return; }
  const f = getFlags() & ~(F_VM | F_RF);
  push<T>(f);
}

// POPF (SDM POPF, operation table): which bits change depends on mode, CPL and IOPL
export function popf<T>(): void {
  const iopl = (load<u32>(EFLAGS) & F_IOPL) >> 12;
  if (vm86() && iopl < 3) { gp(0); return; }
  const v = pop<T>();
  if (aborted) return;
  let mask: u32 = 0x0dd5 | F_NT | F_AC | F_ID | F_IOPL | F_IF | (1 << 8);
  if (protectedMode()) {
    const cpl = load<u32>(CPL);
    if (cpl > 0) mask &= ~F_IOPL;
    if (cpl > iopl) mask &= ~F_IF;
  }
  if (vm86()) mask &= ~F_IOPL;
  if (sizeof<T>() == 2) mask &= 0xffff;
  const old = getFlags();
  setFlags((old & ~mask) | (v & mask));
}

export function enter<T>(): void {
  const size = fetch16();
  const level = fetch8() & 31;
  if (aborted) return;
  const bp = stackIs32() ? reg32(EBP) : reg16(EBP);
  push<T>(getReg<T>(EBP));
  if (aborted) return;
  const frame = stackPtr();
  if (level > 0) {
    let b = bp;
    for (let i: u32 = 1; i < level; i++) {
      b = (b - sizeof<T>()) & stackMask();
      const v = peekAt<T>(b);
      if (aborted) return;
      push<T>(v);
      if (aborted) return;
    }
    push<T>(frame);
    if (aborted) return;
  }
  const newSp = (stackPtr() - size) & stackMask();
  // the frame must be writable (SDM ENTER: #SS if the new stack pointer is outside the segment)
  writeSeg<u8>(SS, newSp, peekByte(newSp));
  if (aborted) return;
  if (sizeof<T>() == 2) setReg16(EBP, frame); else setReg32(EBP, frame);
  setStackPtr(newSp);
}
@inline function peekAt<T>(off: u32): u32 { return dec.readSeg<T>(SS, off); }
@inline function peekByte(off: u32): u32 { return dec.readSeg<u8>(SS, off); }

export function leave<T>(): void {
  const bp = stackIs32() ? reg32(EBP) : reg16(EBP);
  const v = dec.readSeg<T>(SS, bp);
  if (aborted) return;
  setStackPtr((bp + sizeof<T>()) & stackMask());
  setReg<T>(EBP, v);
}
