// The x87 register stack, status and control words, tag, last-instruction pointers, and the
// error-reporting machinery (SDM Vol. 1 chapter 8; #MF and FERR#: 8.7 and appendix D).
// Physical register i is at FPU_REGS + 16 * i: the u64 significand, then u16 sign|exponent.
// ST(i) is physical register (TOP + i) & 7. The tag is kept in the abridged form of FXSAVE
// (a valid bit per physical register), as the P6 does: FSTENV/FSAVE derive the 2-bit tags.
import {
  FPU_REGS, FPU_CW, FPU_SW, FPU_TAG, FPU_FIP, FPU_FCS, FPU_FOP, FPU_FDP, FPU_FDS, FPU_FERR, FPU_IGNNE,
  MXCSR, EIP, PIC_ENABLED, ACTIVITY,
} from '../gen/layout';
import { cr, segSel, CS, CR0_EM, CR0_TS, CR0_NE } from '../cpu/state';
import { raise, NM, MF, aborted } from '../cpu/fault';
import { mrm, eaSeg, eaOff, setNextEip } from '../cpu/decode';
import { picSetIrq } from '../devices/pic';
import { F_IE, F_DE, F_ZE, F_SF, F_C1, flags, rSe, rSig, INDEF_SE, INDEF_SIG } from './softfloat80';

// status word bits
export const SW_ES: u32 = 0x80;
export const SW_C0: u32 = 0x100;
export const SW_C1: u32 = 0x200;
export const SW_C2: u32 = 0x400;
export const SW_C3: u32 = 0x4000;
export const SW_B: u32 = 0x8000;
export const SW_CC: u32 = SW_C0 | SW_C1 | SW_C2 | SW_C3;

@inline export function cw(): u32 { return load<u32>(FPU_CW); }
@inline export function sw(): u32 { return load<u32>(FPU_SW); }
@inline export function setSw(v: u32): void { store<u32>(FPU_SW, v & 0xffff); }
@inline export function top(): u32 { return (load<u32>(FPU_SW) >> 11) & 7; }
@inline export function setTop(t: u32): void { store<u32>(FPU_SW, (load<u32>(FPU_SW) & ~0x3800) | ((t & 7) << 11)); }
@inline export function phys(i: u32): u32 { return (top() + i) & 7; }
// precision control as significand bits (PC 00: 24, 10: 53, 11: 64; 01 is reserved and acts as 64)
@inline export function precision(): i32 {
  const pc = (cw() >> 8) & 3;
  return pc == 0 ? 24 : pc == 2 ? 53 : 64;
}

@inline export function regSig(p: u32): u64 { return load<u64>(FPU_REGS + (p << 4)); }
@inline export function regSe(p: u32): u32 { return load<u16>(FPU_REGS + (p << 4) + 8); }
@inline export function setReg(p: u32, se: u32, sig: u64): void {
  store<u64>(FPU_REGS + (p << 4), sig);
  store<u64>(FPU_REGS + (p << 4) + 8, se & 0xffff);
}
@inline export function stSig(i: u32): u64 { return regSig(phys(i)); }
@inline export function stSe(i: u32): u32 { return regSe(phys(i)); }
@inline export function isEmpty(p: u32): bool { return ((load<u32>(FPU_TAG) >> p) & 1) == 0; }
@inline export function stEmpty(i: u32): bool { return isEmpty(phys(i)); }
@inline export function setValid(p: u32): void { store<u32>(FPU_TAG, load<u32>(FPU_TAG) | (1 << p)); }
@inline export function setEmpty(p: u32): void { store<u32>(FPU_TAG, load<u32>(FPU_TAG) & ~(1 << p)); }
// writes ST(i) and marks it valid
@inline export function setSt(i: u32, se: u32, sig: u64): void {
  const p = phys(i);
  setReg(p, se, sig);
  setValid(p);
}
export function pop(): void {
  setEmpty(phys(0));
  setTop(top() + 1);
}
// TOP - 1, writes the new ST(0)
export function pushRaw(se: u32, sig: u64): void {
  const t = (top() - 1) & 7;
  setTop(t);
  setReg(t, se, sig);
  setValid(t);
}
// the register that a push would write is in use
@inline export function pushOverflows(): bool { return !isEmpty((top() - 1) & 7); }

// ---------------------------------------------------------------- exceptions
// ORs exception flags into the status word, with ES and B when any is unmasked
export function signal(f: u32): void {
  let s = sw() | (f & 0x7f);
  if ((s & 0x3f & ~cw()) != 0) s |= SW_ES | SW_B;
  setSw(s);
}
@inline export function unmasked(f: u32): u32 { return f & 0x3f & ~cw(); }

// condition codes: C1 from the operation's "rounded up" flag; C0 C2 C3 kept
@inline export function setC1(on: bool): void { setSw(on ? sw() | SW_C1 : sw() & ~SW_C1); }
@inline export function setCC(c: u32): void { setSw((sw() & ~SW_CC) | c); }

// Stack underflow (an empty source) or overflow: IE and SF, C1 = 1 for overflow. Returns true when
// masked (the instruction delivers the real indefinite).
export function stackFault(overflow: bool): bool {
  setC1(overflow);
  signal(F_IE | F_SF);
  return (cw() & F_IE) != 0;
}

// Delivers an arithmetic result (rSe/rSig, flags) to ST(i): an unmasked IE, DE or ZE leaves the
// destination (and the stack) unchanged; otherwise the value is written, C1 says whether it was
// rounded up, and pops follow. An unmasked OE/UE already has the wrapped exponent (softfloat80).
export function commitSt(i: u32, nPop: u32): void {
  const f = flags;
  if (unmasked(f) & (F_IE | F_DE | F_ZE)) {
    setC1(false);
    signal(f);
    return;
  }
  setSt(i, rSe, rSig);
  setC1((f & F_C1) != 0);
  signal(f);
  for (let k: u32 = 0; k < nPop; k++) pop();
}

// a source register is empty: the masked response writes the indefinite to ST(i)
export function underflowTo(i: u32, nPop: u32): void {
  if (!stackFault(false)) return;
  setSt(i, INDEF_SE, INDEF_SIG);
  for (let k: u32 = 0; k < nPop; k++) pop();
}

// ---------------------------------------------------------------- instruction framing
// CR0.EM or CR0.TS: every escape opcode raises #NM (SDM Vol. 3A table 2-2)
export function x87Absent(): bool {
  if (cr(0) & (CR0_EM | CR0_TS)) { raise(NM, -1); return true; }
  return false;
}

// A waiting instruction with a pending unmasked exception (ES): #MF when CR0.NE = 1; otherwise
// the error goes out on FERR#, unless IGNNE# is asserted, and the processor freezes before the
// instruction until an interrupt arrives (SDM Vol. 1 D.2.1; the PC wires FERR# to IRQ 13).
export function x87Begin(fl: u32): bool {
  if (fl & 1) return true;
  return fpuPending();
}
export function fpuPending(): bool {
  if ((sw() & SW_ES) == 0) return true;
  if (cr(0) & CR0_NE) { raise(MF, -1); return false; }
  if (load<u32>(FPU_IGNNE)) return true;
  setFerr(true);
  // freeze: the instruction does not execute; the core idles at it (as after HLT, but EIP stays
  // on the instruction) until an interrupt is taken, whose handler returns to it
  setNextEip(load<u32>(EIP));
  store<u32>(ACTIVITY, 1);
  return false;
}

// the FERR# output; it drives IRQ 13 of the in-core PIC (the PC's wiring)
export function setFerr(on: bool): void {
  const was = load<u32>(FPU_FERR) != 0;
  if (was == on) return;
  store<u32>(FPU_FERR, on ? 1 : 0);
  if (!on) store<u32>(FPU_IGNNE, 0); // the PC's IGNNE# latch follows FERR# going inactive
  if (load<u32>(PIC_ENABLED)) picSetIrq(13, on);
}
// after ES may have cleared (FNCLEX, FNINIT, FLDCW, FLDENV, FRSTOR, FXRSTOR)
export function syncFerr(): void {
  if ((sw() & SW_ES) == 0) setFerr(false);
}
// a write to port F0h: the PC's coprocessor-error latch clears (IRQ 13 drops) and IGNNE# asserts
export function fpuPortF0(): void {
  if (load<u32>(PIC_ENABLED)) picSetIrq(13, false);
  if (load<u32>(FPU_FERR)) store<u32>(FPU_IGNNE, 1);
}

// FIP/FCS/FOP, and FDP/FDS for a memory operand, of a non-control instruction that executed
export function x87End(fl: u32, op: u32): void {
  if (aborted || (fl & 2)) return;
  store<u32>(FPU_FIP, load<u32>(EIP));
  store<u32>(FPU_FCS, segSel(CS));
  store<u32>(FPU_FOP, ((op & 7) << 8) | mrm);
  if (mrm < 0xc0) {
    store<u32>(FPU_FDP, eaOff);
    store<u32>(FPU_FDS, segSel(eaSeg));
  }
}

// ---------------------------------------------------------------- reset
// FNINIT (SDM Vol. 1 8.1.9 ... FINIT): FCW 037Fh, FSW 0, all tags empty, pointers 0
export function fpuInit(): void {
  store<u32>(FPU_CW, 0x037f);
  store<u32>(FPU_SW, 0);
  store<u32>(FPU_TAG, 0);
  store<u32>(FPU_FIP, 0);
  store<u32>(FPU_FCS, 0);
  store<u32>(FPU_FOP, 0);
  store<u32>(FPU_FDP, 0);
  store<u32>(FPU_FDS, 0);
  setFerr(false);
}
// RESET (SDM Vol. 3A table 9-1): FCW 0040h, FSW 0, FTW 5555h (every register valid, +0.0),
// MXCSR 1F80h
export function fpuReset(): void {
  for (let p: u32 = 0; p < 8; p++) setReg(p, 0, 0);
  fpuInit();
  store<u32>(FPU_CW, 0x0040);
  store<u32>(FPU_TAG, 0xff);
  store<u32>(MXCSR, 0x1f80);
  store<u32>(FPU_FERR, 0);
  store<u32>(FPU_IGNNE, 0);
}
