// The MMX and SSE register files, the checks every SIMD instruction makes before it executes, and
// its operands (SDM Vol. 1 chapters 9-11; Vol. 3A 2.5 (CR0, CR4), 13.1 (OSFXSR, OSXMMEXCPT) and
// 9.5/9.6 (MMX and the x87 state); Vol. 2 appendix A for the operand notation).
//   XMMi  at XMM + 16 * i, low quadword first
//   MMi   the 64-bit significand of x87 physical register i (FPU_REGS + 16 * i); an MMX write sets
//         that register's sign and exponent to all ones (SDM Vol. 1 9.5.1)
// Handlers run after the generated prologue (assembly/gen/simd.ts) has decoded ModRM and made the
// checks, so an operand read here can fault only on the memory access itself. A handler reads its
// source before it writes anything, so a fault leaves the destination unchanged.
import { XMM, FPU_REGS, FPU_SW, FPU_TAG, MXCSR } from '../gen/layout';
import { cr, segBase, CR0_EM, CR0_TS } from '../cpu/state';
import { probeWrite, fastAddr } from '../cpu/memory';
import { pfx, PFX_66, PFX_REP, PFX_REPNE, PFX_A32, mrm, mrmReg, eaSeg, eaOff, eaIsReg } from '../cpu/decode';
import { raise, ud, gp, aborted, NM, XM } from '../cpu/fault';
import { fpuPending } from '../fpu/state';
import { canRead, canWrite, rd16, rd32, rd64, wr32, wr64 } from '../fpu/mem';

export const CR4_OSFXSR: u32 = 1 << 9;
export const CR4_OSXMMEXCPT: u32 = 1 << 10;

// MXCSR (SDM Vol. 1 10.2.3)
export const MX_FLAGS: u32 = 0x3f; // IE DE ZE OE UE PE
export const MX_DAZ: u32 = 0x40;
export const MX_MASKS_SHIFT: u32 = 7;
export const MX_FTZ: u32 = 0x8000;
export const MXCSR_MASK: u32 = 0xffff; // the bits LDMXCSR/FXRSTOR accept (DAZ included)

// the mandatory prefix: 0 none, 1 66, 2 F3, 3 F2 (F3/F2 win over 66; decode.ts keeps the last of F3/F2)
@inline export function simdPrefix(): u32 {
  if (pfx & PFX_REP) return 2;
  if (pfx & PFX_REPNE) return 3;
  return pfx & PFX_66 ? 1 : 0;
}

// ---------------------------------------------------------------- checks
// SSE/SSE2: #UD if CR0.EM or CR4.OSFXSR is clear, #NM if CR0.TS (SDM Vol. 3A 13.1.3, table 13-1)
export function sseBegin(): bool {
  const c0 = cr(0);
  if ((c0 & CR0_EM) || !(cr(4) & CR4_OSFXSR)) { ud(); return false; }
  if (c0 & CR0_TS) { raise(NM, -1); return false; }
  return true;
}
// MMX: #UD if CR0.EM, #NM if CR0.TS, #MF (or FERR#) for a pending x87 exception; then the x87
// state becomes MMX state: TOP = 0 and every tag valid (SDM Vol. 1 9.5.1, table 9-2; Vol. 3A 12.5)
export function mmxBegin(): bool {
  const c0 = cr(0);
  if (c0 & CR0_EM) { ud(); return false; }
  if (c0 & CR0_TS) { raise(NM, -1); return false; }
  if (!fpuPending()) return false;
  mmxEnter();
  return true;
}
// an SSE/SSE2 instruction with MMX operands (CVTPI2PS, MOVQ2DQ, ...): the SSE checks, and with an
// MMX register operand the x87 checks and the transition
export function sseMmxBegin(mmReg: bool): bool {
  if (!sseBegin()) return false;
  if (!mmReg) return true;
  if (!fpuPending()) return false;
  mmxEnter();
  return true;
}
// the same for a form whose 128-bit memory operand must be aligned (CVTPD2PI, CVTTPD2PI): the
// CPU raises #MF before the alignment #GP, and both before the transition
export function sseMmxAligned(): bool {
  if (!sseBegin() || !fpuPending()) return false;
  if (!eaIsReg() && !aligned16()) return false;
  mmxEnter();
  return true;
}
@inline function mmxEnter(): void {
  store<u32>(FPU_SW, load<u32>(FPU_SW) & ~0x3800);
  store<u32>(FPU_TAG, 0xff);
}
// a 128-bit memory operand of an instruction that requires alignment: #GP(0) when the linear
// address is not a multiple of 16 (SDM Vol. 1 11.4.1)
export function aligned16(): bool {
  if ((segBase(eaSeg) + eaOff) & 15) { gp(0); return false; }
  return true;
}

// A SIMD floating-point result with exception flags f (MXCSR bits 0-5): the flags go to MXCSR; if
// any is unmasked, the instruction raises #XM (CR4.OSXMMEXCPT set) or #UD and the caller must not
// write its destination (SDM Vol. 1 11.5.1). Returns true when the result may be written.
export function simdFlags(f: u32): bool {
  const mx = load<u32>(MXCSR);
  store<u32>(MXCSR, mx | (f & MX_FLAGS));
  if ((f & ~(mx >> MX_MASKS_SHIFT) & MX_FLAGS) == 0) return true;
  if (cr(4) & CR4_OSXMMEXCPT) raise(XM, -1);
  else ud();
  return false;
}

// ---------------------------------------------------------------- registers
@inline export function xmmLo(r: u32): u64 { return load<u64>(XMM + (r << 4)); }
@inline export function xmmHi(r: u32): u64 { return load<u64>(XMM + (r << 4) + 8); }
@inline export function setXmm(r: u32, lo: u64, hi: u64): void {
  store<u64>(XMM + (r << 4), lo);
  store<u64>(XMM + (r << 4) + 8, hi);
}
@inline export function setXmmLo(r: u32, lo: u64): void { store<u64>(XMM + (r << 4), lo); }
@inline export function setXmmHi(r: u32, hi: u64): void { store<u64>(XMM + (r << 4) + 8, hi); }
// 32-bit lane k (0-3) of XMMr
@inline export function xmm32(r: u32, k: u32): u32 { return load<u32>(XMM + (r << 4) + (k << 2)); }
@inline export function setXmm32(r: u32, k: u32, v: u32): void { store<u32>(XMM + (r << 4) + (k << 2), v); }
// the address of XMMr in linear memory, for byte and word lanes
@inline export function xmmAddr(r: u32): usize { return XMM + (r << 4); }

@inline export function mm(r: u32): u64 { return load<u64>(FPU_REGS + (r << 4)); }
@inline export function setMm(r: u32, v: u64): void {
  store<u64>(FPU_REGS + (r << 4), v);
  store<u16>(FPU_REGS + (r << 4) + 8, 0xffff);
}

// ModRM.reg and ModRM.rm register numbers
@inline export function regV(): u32 { return mrmReg(); }
@inline export function regW(): u32 { return mrm & 7; }

// ---------------------------------------------------------------- operands
// The source operand read by readW*/readQ*: the low and high quadwords (narrower reads
// zero-extend into sLo and clear sHi). Each returns false when the memory access faulted.
export let sLo: u64 = 0;
export let sHi: u64 = 0;

// The wasm address of the memory operand's size bytes when the TLB fast path serves them and the
// offset does not wrap (16-bit addresses), else 0: the caller then goes through rd64/wr64. The
// segment limit has been checked.
@inline function operandAddr(size: u32, write: bool): u32 {
  if (!(pfx & PFX_A32) && eaOff > 0x10000 - size) return 0;
  return fastAddr(segBase(eaSeg) + eaOff, size, write);
}

// Wx: XMMrm or 128 bits of memory (alignment was checked by the prologue when required)
export function readWx(): bool {
  if (eaIsReg()) { sLo = xmmLo(mrm & 7); sHi = xmmHi(mrm & 7); return true; }
  if (!canRead(16)) return false;
  const a = operandAddr(16, false);
  if (a) { sLo = load<u64>(a); sHi = load<u64>(a, 8); return true; }
  const lo = rd64(0);
  const hi = rd64(8);
  if (aborted) return false;
  sLo = lo; sHi = hi;
  return true;
}
// Wq/Wsd: the low quadword of XMMrm or 64 bits of memory
export function readWq(): bool {
  sHi = 0;
  if (eaIsReg()) { sLo = xmmLo(mrm & 7); return true; }
  if (!canRead(8)) return false;
  const a = operandAddr(8, false);
  if (a) { sLo = load<u64>(a); return true; }
  const lo = rd64(0);
  if (aborted) return false;
  sLo = lo;
  return true;
}
// Wd/Wss: the low doubleword of XMMrm or 32 bits of memory
export function readWd(): bool {
  sHi = 0;
  if (eaIsReg()) { sLo = <u64>xmm32(mrm & 7, 0); return true; }
  if (!canRead(4)) return false;
  const v = rd32(0);
  if (aborted) return false;
  sLo = <u64>v;
  return true;
}
// Qq: MMrm or 64 bits of memory
export function readQq(): bool {
  sHi = 0;
  if (eaIsReg()) { sLo = mm(mrm & 7); return true; }
  if (!canRead(8)) return false;
  const a = operandAddr(8, false);
  if (a) { sLo = load<u64>(a); return true; }
  const v = rd64(0);
  if (aborted) return false;
  sLo = v;
  return true;
}
// Qd: the low doubleword of MMrm or 32 bits of memory (PUNPCKLxx mm, mm/m32)
export function readQd(): bool {
  sHi = 0;
  if (eaIsReg()) { sLo = mm(mrm & 7) & 0xffffffff; return true; }
  if (!canRead(4)) return false;
  const v = rd32(0);
  if (aborted) return false;
  sLo = <u64>v;
  return true;
}
// Mw: 16 bits of memory (PINSRW)
export function readMw(): bool {
  if (!canRead(2)) return false;
  const v = rd16(0);
  if (aborted) return false;
  sLo = <u64>v; sHi = 0;
  return true;
}

// memory destinations (the register forms are written by the handlers directly): the limit and,
// for an operand that crosses a page, both pages are checked before the first byte is written
// (the first page first; a fault on the second reports its first byte in CR2, as the integer
// stores do)
function pagesWritable(size: u32): bool {
  const lin = segBase(eaSeg) + eaOff;
  return (lin & 0xfff) + size <= 0x1000 || (probeWrite(lin) && probeWrite((lin + size - 1) & ~0xfff));
}
export function writeM128(lo: u64, hi: u64): bool {
  if (!canWrite(16)) return false;
  const a = operandAddr(16, true);
  if (a) { store<u64>(a, lo); store<u64>(a, hi, 8); return true; }
  if (!pagesWritable(16)) return false;
  wr64(0, lo);
  if (!aborted) wr64(8, hi);
  return !aborted;
}
export function writeM64(v: u64): bool {
  if (!canWrite(8)) return false;
  const a = operandAddr(8, true);
  if (a) { store<u64>(a, v); return true; }
  if (!pagesWritable(8)) return false;
  wr64(0, v);
  return !aborted;
}
export function writeM32(v: u32): bool {
  if (!canWrite(4)) return false;
  wr32(0, v);
  return !aborted;
}
