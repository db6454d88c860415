/**
 * The x87 FPU state as the host sees it (tools/layout.mjs: FPU_REGS, FPU_CW, FPU_SW, FPU_TAG ...):
 * the registers in stack order and the full 2-bit tag word that FSTENV/FSAVE store (the core
 * keeps the abridged tag of FXSAVE, as the P6 does; assembly/fpu/state.ts).
 */
import * as L from './gen/layout.js';
import type { Core } from './core.js';

/** The full tag of physical register p from its abridged bit and contents: 00 valid, 01 zero,
 * 10 special (NaN, infinity, denormal, unsupported), 11 empty. */
export function tag2(valid: boolean, se: number, sig: bigint): number {
  if (!valid) return 3;
  const e = se & 0x7fff;
  if (e === 0 && sig === 0n) return 1;
  if (e === 0 || e === 0x7fff || !(sig >> 63n)) return 2;
  return 0;
}

/** The full tag word of an abridged tag (bit per physical register) and the registers. */
export function fullTagWord(abridged: number, regs: { se: number; sig: bigint }[]): number {
  let t = 0;
  for (let p = 0; p < 8; p++) t |= tag2(((abridged >> p) & 1) !== 0, regs[p]!.se, regs[p]!.sig) << (2 * p);
  return t;
}

/** Physical register p of the core. */
export function physReg(core: Core, p: number): { se: number; sig: bigint } {
  return { sig: core.get64(L.FPU_REGS + 16 * p), se: Number(core.get64(L.FPU_REGS + 16 * p + 8) & 0xffffn) };
}

/** ST(i) as the 10 bytes of the memory format (significand, then sign and exponent). */
export function stBytes(core: Core, i: number): Uint8Array {
  const top = (core.get32(L.FPU_SW) >> 11) & 7;
  const { se, sig } = physReg(core, (top + i) & 7);
  const b = new Uint8Array(10);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, sig, true);
  dv.setUint16(8, se, true);
  return b;
}

/** The full tag word of the core's state. */
export function coreTagWord(core: Core): number {
  return fullTagWord(core.get32(L.FPU_TAG), Array.from({ length: 8 }, (_, p) => physReg(core, p)));
}
