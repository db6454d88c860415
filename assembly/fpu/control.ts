// x87 control instructions: FLDCW FNSTCW FNSTSW (m16, AX) FNCLEX FNINIT FNOP, the 8087/287
// legacy no-ops (FNENI FNDISI FNSETPM), FLDENV FNSTENV FRSTOR FNSAVE in the 16- and 32-bit,
// real-mode and protected-mode layouts (SDM Vol. 1 8.1.10, figures 8-9 to 8-12), FWAIT.
import { FPU_CW, FPU_TAG, FPU_FIP, FPU_FCS, FPU_FOP, FPU_FDP, FPU_FDS } from '../gen/layout';
import { o32 } from '../cpu/decode';
import { aborted } from '../cpu/fault';
import { protectedMode, vm86, setReg16, EAX } from '../cpu/state';
import { classify, C_ZERO, C_NORMAL } from './softfloat80';
import { cw, sw, setSw, top, regSe, regSig, setReg, isEmpty, fpuInit, fpuPending, syncFerr, SW_ES, SW_B } from './state';
import { canRead, canWrite, rd16, rd32, rd64, wr16, wr32, wr64 } from './mem';

// the ES and B bits from the exception flags and masks (FLDCW, FLDENV, FRSTOR, FXRSTOR)
export function recomputeES(): void {
  let s = sw() & ~(SW_ES | SW_B);
  if (s & 0x3f & ~cw()) s |= SW_ES | SW_B;
  setSw(s);
  syncFerr();
}

// FLDCW m16: bit 6 reads as 1, bits 13-15 as 0
@inline function setCw(v: u32): void { store<u32>(FPU_CW, (v & 0x1f7f) | 0x40); }
export function fldcw(): void {
  const v = rd16(0);
  if (aborted) return;
  setCw(v);
  recomputeES();
}
export function fstcw(): void { wr16(0, cw()); }
export function fstsw_m(): void { wr16(0, sw()); }
export function fstsw_ax(): void { setReg16(EAX, sw()); }
// FNCLEX: the exception flags, SF, ES and B clear
export function fclex(): void {
  setSw(sw() & ~0x80ff);
  syncFerr();
}
export function finit(): void { fpuInit(); }
export function fnop(): void {}
export function fnop_legacy(): void {}

// FWAIT/WAIT: a pending unmasked exception is reported (cpu/ops/system.ts checks #NM first)
export function fpuWait(): void { fpuPending(); }

// ---------------------------------------------------------------- the tag word
// the full tag of a physical register: 00 valid, 01 zero, 10 special, 11 empty
function tag2(p: u32): u32 {
  if (isEmpty(p)) return 3;
  const c = classify(regSe(p), regSig(p));
  return c == C_ZERO ? 1 : c == C_NORMAL ? 0 : 2;
}
export function fullTag(): u32 {
  let t: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) t |= tag2(p) << (p << 1);
  return t;
}
// the abridged tag of a full tag word: 11 is empty, anything else valid
export function abridge(t: u32): u32 {
  let a: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((t >> (p << 1)) & 3) != 3) a |= 1 << p;
  return a;
}

// ---------------------------------------------------------------- environment
// the real-mode layouts (real and virtual-8086 mode) hold the 20-bit (32-bit) linear addresses
@inline function realLayout(): bool { return !protectedMode() || vm86(); }

// writes the environment at offset 0; returns its size (14 or 28), 0 if a write faulted
function storeEnv(): u32 {
  const big = o32();
  const size: u32 = big ? 28 : 14;
  if (!canWrite(size)) return 0;
  const real = realLayout();
  const fip = load<u32>(FPU_FIP), fcs = load<u32>(FPU_FCS), fop = load<u32>(FPU_FOP) & 0x7ff;
  const fdp = load<u32>(FPU_FDP), fds = load<u32>(FPU_FDS);
  const ip = real ? fip + (fcs << 4) : fip;
  const dp = real ? fdp + (fds << 4) : fdp;
  if (big) {
    wr32(0, cw() | 0xffff0000);
    wr32(4, sw() | 0xffff0000);
    wr32(8, fullTag() | 0xffff0000);
    if (real) {
      wr32(12, (ip & 0xffff) | 0xffff0000);
      wr32(16, ((ip >> 16) << 12) | fop);
      wr32(20, (dp & 0xffff) | 0xffff0000);
      wr32(24, (dp >> 16) << 12);
    } else {
      wr32(12, ip);
      wr32(16, (fcs & 0xffff) | (fop << 16));
      wr32(20, dp);
      wr32(24, (fds & 0xffff) | 0xffff0000);
    }
  } else {
    wr16(0, cw());
    wr16(2, sw());
    wr16(4, fullTag());
    if (real) {
      wr16(6, ip);
      wr16(8, (((ip >> 16) & 0xf) << 12) | fop);
      wr16(10, dp);
      wr16(12, ((dp >> 16) & 0xf) << 12);
    } else {
      wr16(6, ip);
      wr16(8, fcs);
      wr16(10, dp);
      wr16(12, fds);
    }
  }
  return aborted ? 0 : size;
}

// reads the environment at offset 0; returns its size, 0 if a read faulted
function loadEnv(): u32 {
  const big = o32();
  const size: u32 = big ? 28 : 14;
  if (!canRead(size)) return 0;
  const real = realLayout();
  let c: u32, s: u32, t: u32, ip: u32, cs: u32, op: u32, dp: u32, ds: u32;
  if (big) {
    c = rd16(0); s = rd16(4); t = rd16(8);
    const a = rd32(12), b = rd32(16), d = rd32(20), e = rd32(24);
    if (real) {
      ip = (a & 0xffff) | ((b >> 12) << 16); op = b & 0x7ff; cs = 0;
      dp = (d & 0xffff) | ((e >> 12) << 16); ds = 0;
    } else {
      ip = a; cs = b & 0xffff; op = (b >> 16) & 0x7ff; dp = d; ds = e & 0xffff;
    }
  } else {
    c = rd16(0); s = rd16(2); t = rd16(4);
    const a = rd16(6), b = rd16(8), d = rd16(10), e = rd16(12);
    if (real) {
      ip = a | ((b >> 12) << 16); op = b & 0x7ff; cs = 0;
      dp = d | ((e >> 12) << 16); ds = 0;
    } else {
      ip = a; cs = b; op = 0; dp = d; ds = e;
    }
  }
  if (aborted) return 0;
  setCw(c);
  setSw(s);
  store<u32>(FPU_TAG, abridge(t));
  store<u32>(FPU_FIP, ip);
  store<u32>(FPU_FCS, cs);
  store<u32>(FPU_FOP, op);
  store<u32>(FPU_FDP, dp);
  store<u32>(FPU_FDS, ds);
  return size;
}

// FNSTENV: stores the environment, then masks every exception
export function fstenv(): void {
  if (storeEnv() == 0) return;
  store<u32>(FPU_CW, cw() | 0x3f);
  recomputeES(); // nothing is unmasked now: ES and B clear
}
export function fldenv(): void {
  if (loadEnv() == 0) return;
  recomputeES();
}

// FNSAVE: the environment and ST(0)-ST(7) (10 bytes each, stack order), then FNINIT
export function fsave(): void {
  const base: u32 = o32() ? 28 : 14;
  if (!canWrite(base + 80)) return;
  const env = storeEnv();
  if (env == 0) return;
  for (let i: u32 = 0; i < 8; i++) {
    const p = (top() + i) & 7;
    wr64(env + i * 10, regSig(p));
    wr16(env + i * 10 + 8, regSe(p));
    if (aborted) return;
  }
  fpuInit();
}
// FRSTOR: the environment and the registers; ST(i) is relative to the loaded TOP
export function frstor(): void {
  const base: u32 = o32() ? 28 : 14;
  if (!canRead(base + 80)) return;
  // read everything before changing anything
  for (let i: u32 = 0; i < 8; i++) {
    store<u64>(REG_BUF + (i << 4), rd64(base + i * 10));
    store<u64>(REG_BUF + (i << 4) + 8, rd16(base + i * 10 + 8));
    if (aborted) return;
  }
  if (loadEnv() == 0) return;
  for (let i: u32 = 0; i < 8; i++) setReg((top() + i) & 7, <u32>load<u64>(REG_BUF + (i << 4) + 8), load<u64>(REG_BUF + (i << 4)));
  recomputeES();
}
// FRSTOR and FXRSTOR read the eight registers here first (sig, se per 16 bytes)
export const REG_BUF: usize = memory.data(256, 16); // eight registers; FXRSTOR also stages XMM0-7 after them
