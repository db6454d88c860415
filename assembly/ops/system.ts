// Flag instructions, HLT, CPUID, RDTSC, RDMSR/WRMSR, RDPMC, descriptor-table registers,
// SMSW/LMSW, MOV CR/DR, CLTS, INVLPG, INVD/WBINVD, UD2, WAIT (the x87 itself is in assembly/fpu),
// and VMCALL (SDM Vol. 2 and Vol. 3C for the exits these cause).
import {
  EFLAGS, GDTR_BASE, GDTR_LIMIT, IDTR_BASE, IDTR_LIMIT, ACTIVITY, SHADOW, CPL, DR, ICOUNT, TSC_OFFSET,
  HOST_TSC, CTL_DETERMINISTIC, CTL_RDTSC_EXIT, CTL_HLT_EXIT, CTL_CR0_MASK, CTL_CR0_SHADOW, CTL_CR4_MASK,
  CTL_CR4_SHADOW, EXIT_QUAL,
} from '../gen/layout';
import {
  readE, writeE, readG, writeG, eaIsReg, eaSeg, eaOff, eaPlus, readSeg, writeSeg, mrm, mrmReg, checkLimit,
  checkLimitW, fetch8, o32, setNextEip,
} from '../cpu/decode';
import {
  readDescriptor, descriptorAddr, dLo, dHi, attrOf, dplOf, typeOf, baseOf, limitOf, A_S, A_P, A_CODE, A_DC, A_RW,
} from '../cpu/descriptor';
import { writeSys8, invalidateFetch, dropTlb } from '../cpu/memory';
import { recomputeDebug } from '../cpu/debug';
import { allSegsChanged, setCpl, recomputeAC } from '../cpu/segment';
import { readMsr, writeMsr, msrOk, msrExits, msrStore, IA32_SYSENTER_CS, IA32_SYSENTER_ESP, IA32_SYSENTER_EIP } from '../cpu/msr';
import {
  cr, setCr, segBase, segSel, setSegCache, reg32, setReg32, EAX, EDX, ECX, protectedMode, vm86, F_IF, F_IOPL,
  F_DF, F_CF, F_ZF, F_VM, F_RF, LDTR, TR, CS, SS, ESP,
  CR0_PE, CR0_PG, CR0_TS, CR0_MP, CR0_WP, CR0_ET, CR0_AM,
} from '../cpu/state';
import { arithFlags, setArith, setOneFlag } from '../cpu/flags';
import { flushTlb, flushTlbNonGlobal, flushTlbPage } from '../cpu/memory';
import { aborted, ud, gp, raise, requestExit, NM, NP } from '../cpu/fault';
import { guestNs, requestHltExit } from '../cpu/exec';
import { fpuWait } from '../fpu/control';

export const EXIT_CPUID: u32 = 10;
export const EXIT_HLT: u32 = 12;
export const EXIT_RDTSC: u32 = 16;
export const EXIT_VMCALL: u32 = 18;
export const EXIT_CR_ACCESS: u32 = 28;
export const EXIT_RDMSR: u32 = 31;
export const EXIT_WRMSR: u32 = 32;

@inline function cpl(): u32 { return load<u32>(CPL); }
@inline function iopl(): u32 { return (load<u32>(EFLAGS) & F_IOPL) >> 12; }
// privileged instructions: CPL 0 in protected mode, never in virtual-8086 mode
@inline function privileged(): bool {
  if (vm86() || (protectedMode() && cpl() != 0)) { gp(0); return false; }
  return true;
}

export function clc(): void { setArith(arithFlags() & ~F_CF); }
export function stc(): void { setArith(arithFlags() | F_CF); }
export function cmc(): void { setArith(arithFlags() ^ F_CF); }
export function cld(): void { store<u32>(EFLAGS, load<u32>(EFLAGS) & ~F_DF); }
export function std(): void { store<u32>(EFLAGS, load<u32>(EFLAGS) | F_DF); }
// CLI/STI: IOPL-sensitive in protected and virtual-8086 mode (VME arrives with its issue)
export function cli(): void {
  if (protectedMode() && iopl() < (vm86() ? 3 : cpl())) { gp(0); return; }
  store<u32>(EFLAGS, load<u32>(EFLAGS) & ~F_IF);
}
export function sti(): void {
  if (protectedMode() && iopl() < (vm86() ? 3 : cpl())) { gp(0); return; }
  const f = load<u32>(EFLAGS);
  if (!(f & F_IF)) store<u32>(SHADOW, 1); // interrupts wait until after the next instruction
  store<u32>(EFLAGS, f | F_IF);
}

// HLT: with HLT exiting the instruction retires and exits (the host decides how to wait);
// otherwise the core halts and exits only when no event can wake it
export function hlt(): void {
  if (!privileged()) return;
  store<u32>(ACTIVITY, 1);
  if (load<u32>(CTL_HLT_EXIT)) requestHltExit();
}

// CPUID always exits (as under VT-x); the host's policy supplies the leaves
export function cpuid(): void { requestExit(EXIT_CPUID); }

export function rdtsc(): void {
  if ((cr(4) & 4) && protectedMode() && cpl() != 0) { gp(0); return; } // CR4.TSD
  if (load<u32>(CTL_RDTSC_EXIT)) { requestExit(EXIT_RDTSC); return; }
  const base: u64 = guestNs();
  const t = base + load<u64>(TSC_OFFSET);
  setReg32(EAX, <u32>t);
  setReg32(EDX, <u32>(t >> 32));
}

// RDMSR/WRMSR: the core's MSRs (cpu/msr.ts), unless the MSR bitmap gives the MSR to the host
export function rdmsr(): void {
  if (!privileged()) return;
  const msr = reg32(ECX);
  if (msrExits(msr, false)) { requestExit(EXIT_RDMSR); return; }
  const v = readMsr(msr);
  if (!msrOk) { gp(0); return; }
  setReg32(EAX, <u32>v);
  setReg32(EDX, <u32>(v >> 32));
}
export function wrmsr(): void {
  if (!privileged()) return;
  const msr = reg32(ECX);
  if (msrExits(msr, true)) { requestExit(EXIT_WRMSR); return; }
  writeMsr(msr, (<u64>reg32(EDX) << 32) | <u64>reg32(EAX));
  if (!msrOk) gp(0);
}

// SYSENTER/SYSEXIT (SDM Vol. 2): flat segments derived from IA32_SYSENTER_CS
export function sysenter(): void {
  const cs = <u32>msrStore(IA32_SYSENTER_CS) & 0xfffc;
  if (!protectedMode() || cs == 0) { gp(0); return; }
  store<u32>(EFLAGS, load<u32>(EFLAGS) & ~(F_VM | F_IF | F_RF));
  setSegCache(CS, cs, 0, 0xffffffff, 0x00cf9b00);
  setSegCache(SS, (cs + 8) & 0xfffc, 0, 0xffffffff, 0x00cf9300);
  setCpl(0);
  allSegsChanged();
  invalidateFetch();
  setReg32(ESP, <u32>msrStore(IA32_SYSENTER_ESP));
  setNextEip(<u32>msrStore(IA32_SYSENTER_EIP));
}
export function sysexit(): void {
  const cs = <u32>msrStore(IA32_SYSENTER_CS) & 0xfffc;
  if (!protectedMode() || vm86() || cpl() != 0 || cs == 0) { gp(0); return; }
  setSegCache(CS, (cs + 16) | 3, 0, 0xffffffff, 0x00cffb00);
  setSegCache(SS, (cs + 24) | 3, 0, 0xffffffff, 0x00cff300);
  setCpl(3);
  allSegsChanged();
  invalidateFetch();
  setReg32(ESP, reg32(ECX));
  setNextEip(reg32(EDX));
}
export function rdpmc(): void {
  if ((cr(4) & (1 << 8)) == 0 && protectedMode() && cpl() != 0) { gp(0); return; }
  if (reg32(ECX) > 1) { gp(0); return; }
  setReg32(EAX, 0);
  setReg32(EDX, 0);
}

// SGDT/SIDT: a 16-bit operand size stores 24 bits of base and a zero byte (SDM SGDT)
// 0F 01 C1 (register form of /0) is VMCALL, which exits (reason 18)
export function sgdt<T>(which: u32): void {
  if (eaIsReg()) {
    if (which == 0 && mrm == 0xc1) { requestExit(EXIT_VMCALL); return; }
    ud();
    return;
  }
  if (!checkLimitW(eaSeg, eaOff, 6)) return;
  const base = load<u32>(which ? IDTR_BASE : GDTR_BASE);
  const limit = load<u32>(which ? IDTR_LIMIT : GDTR_LIMIT);
  writeSeg<u16>(eaSeg, eaOff, limit);
  writeSeg<u32>(eaSeg, eaPlus(2), sizeof<T>() == 2 ? base & 0xffffff : base);
}
export function lgdt<T>(which: u32): void {
  if (!privileged()) return;
  if (!checkLimit(eaSeg, eaOff, 6)) return;
  const limit = readSeg<u16>(eaSeg, eaOff);
  let base = readSeg<u32>(eaSeg, eaPlus(2));
  if (aborted) return;
  if (sizeof<T>() == 2) base &= 0xffffff;
  store<u32>(which ? IDTR_BASE : GDTR_BASE, base);
  store<u32>(which ? IDTR_LIMIT : GDTR_LIMIT, limit);
}

// SMSW: a register destination with a 32-bit operand gets all of CR0 (P6 family)
export function smsw<T>(): void {
  const v = guestCr(0);
  if (eaIsReg()) writeE<T>(sizeof<T>() == 2 ? v & 0xffff : v);
  else writeE<u16>(v & 0xffff);
}
// LMSW: loads PE MP EM TS; it cannot clear PE
export function lmsw(): void {
  if (!privileged()) return;
  const v = readE<u16>();
  if (aborted) return;
  // CR_ACCESS exit (SDM Vol. 3C 25.1.3): an owned bit among MP EM TS differs from the shadow, or
  // PE is owned, shadowed clear and set by the source
  const mask = load<u32>(CTL_CR0_MASK);
  const shadow = load<u32>(CTL_CR0_SHADOW);
  if (((v ^ shadow) & mask & 0xe) || ((mask & 1) && !(shadow & 1) && (v & 1))) {
    crExit(0, 3, 0, (eaIsReg() ? 0 : 0x40) | (v << 16));
    return;
  }
  const old = cr(0);
  setCR0((old & ~0xe) | (v & 0xf) | (old & CR0_PE));
}

// what the guest reads from CR0/CR4: the read shadow for the bits the host owns
@inline function guestCr(n: u32): u32 {
  if (n == 0) return (cr(0) & ~load<u32>(CTL_CR0_MASK)) | (load<u32>(CTL_CR0_SHADOW) & load<u32>(CTL_CR0_MASK));
  if (n == 4) return (cr(4) & ~load<u32>(CTL_CR4_MASK)) | (load<u32>(CTL_CR4_SHADOW) & load<u32>(CTL_CR4_MASK));
  return cr(n);
}
// a CR_ACCESS exit: CR number, access type (0 MOV to, 1 MOV from, 2 CLTS, 3 LMSW), more bits
function crExit(n: u32, type: u32, reg: u32, extra: u32): void {
  store<u32>(EXIT_QUAL, n | (type << 4) | (reg << 8) | extra);
  requestExit(EXIT_CR_ACCESS);
}
// a MOV to CR0/CR4 exits when it would change an owned bit relative to the read shadow
@inline function crWriteExits(n: u32, v: u32): bool {
  if (n == 0) return ((v ^ load<u32>(CTL_CR0_SHADOW)) & load<u32>(CTL_CR0_MASK)) != 0;
  if (n == 4) return ((v ^ load<u32>(CTL_CR4_SHADOW)) & load<u32>(CTL_CR4_MASK)) != 0;
  return false;
}

// MOV to CR with the architectural effects; false after raising #GP (also for the host, which
// completes a CR_ACCESS exit through the core's writeCr export)
export function writeCr(n: u32, v: u32): bool {
  switch (n) {
    case 0: setCR0(v); return !aborted;
    case 2: setCr(2, v); return true;
    case 3: setCr(3, v); flushTlbNonGlobal(); return true;
    case 4: {
      if (v & ~0x7ff) { gp(0); return false; } // reserved bits (OSXMMEXCPT, bit 10, is the highest defined)
      const old = cr(4);
      setCr(4, v);
      if ((old ^ v) & 0xb0) flushTlb(); // PSE PAE PGE
      return true;
    }
  }
  ud();
  return false;
}

export function setCR0(v: u32): void {
  const old = cr(0);
  v |= CR0_ET; // the 387-class coprocessor type bit is hard-wired on P6
  if ((v & CR0_PG) && !(v & CR0_PE)) { gp(0); return; }
  setCr(0, v);
  if ((old ^ v) & (CR0_PG | CR0_PE | CR0_WP)) flushTlb();
  if ((old ^ v) & CR0_PE) allSegsChanged(); // segment checks apply in protected mode only
  if ((old ^ v) & CR0_AM) recomputeAC();
}

// MOV to/from CRn and DRn: the ModRM mod field is ignored, operands are 32-bit registers
export function mov_RC(): void {
  if (!privileged()) return;
  const n = mrmReg();
  if (n == 1 || n > 4) { ud(); return; }
  setReg32(mrm & 7, guestCr(n));
}
export function mov_CR(): void {
  if (!privileged()) return;
  const n = mrmReg();
  const v = reg32(mrm & 7);
  if (crWriteExits(n, v)) { crExit(n, 0, mrm & 7, 0); return; }
  writeCr(n, v);
}
export function mov_RD(): void {
  if (!privileged()) return;
  let n = mrmReg();
  if (n == 4 || n == 5) {
    if (cr(4) & 8) { ud(); return; } // CR4.DE
    n += 2;
  }
  setReg32(mrm & 7, load<u32>(DR + (n << 2)));
}
export function mov_DR(): void {
  if (!privileged()) return;
  let n = mrmReg();
  if (n == 4 || n == 5) {
    if (cr(4) & 8) { ud(); return; }
    n += 2;
  }
  let v = reg32(mrm & 7);
  if (n == 6) v = (v & 0xe00f) | 0xffff0ff0;
  else if (n == 7) v = (v & 0xffff2fff) | 0x400;
  store<u32>(DR + (n << 2), v);
  if (n != 6) { recomputeDebug(); dropTlb(); } // breakpoints changed: pages to watch changed
}
export function clts(): void {
  if (!privileged()) return;
  if ((load<u32>(CTL_CR0_MASK) & load<u32>(CTL_CR0_SHADOW) & CR0_TS) != 0) { crExit(0, 2, 0, 0); return; }
  setCr(0, cr(0) & ~CR0_TS);
}
export function invlpg(): void {
  if (!privileged()) return;
  flushTlbPage(segBase(eaSeg) + eaOff);
}
export function wbinvd(): void { privileged(); }
export function ud2(): void { ud(); }

// SLDT STR LLDT LTR VERR VERW, LAR LSL, ARPL (SDM Vol. 2): protected mode only, #UD in real
// and virtual-8086 mode.
@inline function pmOnly(): bool {
  if (!protectedMode() || vm86()) { ud(); return false; }
  return true;
}
export function grp6(op: u32): void {
  if (!pmOnly()) return;
  switch (op) {
    case 0: case 1: { // SLDT, STR: a register destination is zero-extended
      const v = segSel(op == 0 ? LDTR : TR);
      if (eaIsReg()) { if (o32()) writeE<u32>(v); else writeE<u16>(v); } else writeE<u16>(v);
      return;
    }
    case 2: case 3: {
      if (cpl() != 0) { gp(0); return; }
      const sel = readE<u16>();
      if (aborted) return;
      if (op == 2) lldt(sel); else ltr(sel);
      return;
    }
    default: {
      const sel = readE<u16>();
      if (aborted) return;
      setZF(verify(sel, op == 5));
    }
  }
}

function lldt(sel: u32): void {
  if ((sel & 0xfffc) == 0) { setSegCache(LDTR, sel, 0, 0, 0); return; }
  const err = <i32>(sel & 0xfffc);
  if (sel & 4) { gp(err); return; }
  if (!readDescriptor(sel)) { if (!aborted) gp(err); return; }
  const a = attrOf(dHi);
  if ((a & A_S) || typeOf(a) != 2) { gp(err); return; }
  if (!(a & A_P)) { raise(NP, err); return; }
  setSegCache(LDTR, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), a);
}

function ltr(sel: u32): void {
  const err = <i32>(sel & 0xfffc);
  if ((sel & 0xfffc) == 0) { gp(0); return; }
  if (sel & 4) { gp(err); return; }
  if (!readDescriptor(sel)) { if (!aborted) gp(err); return; }
  const a = attrOf(dHi);
  const t = typeOf(a);
  if ((a & A_S) || (t != 1 && t != 9)) { gp(err); return; }
  if (!(a & A_P)) { raise(NP, err); return; }
  writeSys8(descriptorAddr(sel) + 5, ((dHi >> 8) & 0xff) | 2); // busy
  if (aborted) return;
  setSegCache(TR, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), a | 0x200);
}

// VERR/VERW: may the current privilege read/write through sel? (ZF)
function verify(sel: u32, write: bool): bool {
  if ((sel & 0xfffc) == 0 || !readDescriptor(sel)) return false;
  const a = attrOf(dHi);
  if (!(a & A_S)) return false;
  const conforming = (a & A_CODE) && (a & A_DC);
  if (!conforming && (dplOf(a) < cpl() || dplOf(a) < (sel & 3))) return false;
  if (write) return !(a & A_CODE) && (a & A_RW) != 0;
  return !(a & A_CODE) || (a & A_RW) != 0;
}

// LAR/LSL: the access rights or the limit when the descriptor is visible at this privilege
function visible(sel: u32, lar: bool): bool {
  if ((sel & 0xfffc) == 0 || !readDescriptor(sel)) return false;
  const a = attrOf(dHi);
  if (a & A_S) {
    const conforming = (a & A_CODE) && (a & A_DC);
    return conforming || (dplOf(a) >= cpl() && dplOf(a) >= (sel & 3));
  }
  const t = typeOf(a);
  const ok = lar ? (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 11 || t == 12)
                 : (t == 1 || t == 2 || t == 3 || t == 9 || t == 11);
  return ok && dplOf(a) >= cpl() && dplOf(a) >= (sel & 3);
}
export function lar<T>(): void {
  if (!pmOnly()) return;
  const sel = readE<u16>();
  if (aborted) return;
  const ok = visible(sel, true);
  if (aborted) return;
  if (ok) writeG<T>(sizeof<T>() == 2 ? dHi & 0xff00 : dHi & 0x00ffff00);
  setZF(ok);
}
export function lsl<T>(): void {
  if (!pmOnly()) return;
  const sel = readE<u16>();
  if (aborted) return;
  const ok = visible(sel, false);
  if (aborted) return;
  if (ok) writeG<T>(limitOf(dLo, dHi));
  setZF(ok);
}
export function arpl(): void {
  if (!pmOnly()) return;
  const d = readE<u16>();
  if (aborted) return;
  const s = readG<u16>();
  if ((d & 3) < (s & 3)) {
    writeE<u16>((d & ~3) | (s & 3));
    if (!aborted) setZF(true);
  } else setZF(false);
}

@inline function setZF(on: bool): void { setOneFlag(F_ZF, on); }


// WAIT/FWAIT: #NM when CR0.MP and CR0.TS; then a pending x87 exception (assembly/fpu)
export function fwait(): void {
  if ((cr(0) & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) { raise(NM, -1); return; }
  fpuWait();
}
