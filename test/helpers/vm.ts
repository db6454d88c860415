/** Small helpers for tests that run code in a flat real-mode machine. */
import { Machine } from '../../src/machine.js';

export const CODE_SEG = 0x1000;

/** A machine with flat RAM, CS:IP = 1000:0000 holding `code`, SS:SP = 0000:8000, IVT at 0. */
export async function realModeVm(code: number[] | Uint8Array, memory = 1 << 20): Promise<Machine> {
  const m = await Machine.create({ memory, flat: true });
  load(m, code);
  return m;
}

export function load(m: Machine, code: number[] | Uint8Array): void {
  const c = m.core;
  c.exports.reset();
  c.setSeg(1, CODE_SEG, CODE_SEG << 4, 0xffff, 0x9b00);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0, 0, 0xffff, 0x9300);
  c.eip = 0;
  c.setReg32(4, 0x8000);
  m.writePhys(CODE_SEG << 4, Uint8Array.from(code));
  c.exports.stateChanged();
}

/** Points IVT entry `vector` at seg:off. */
export function setVector(m: Machine, vector: number, seg: number, off: number): void {
  m.writePhys(vector * 4, Uint8Array.of(off & 0xff, off >> 8, seg & 0xff, seg >> 8));
}

/** A PC machine (the in-core PICs and PIT, no ROM) with `code` at CS:IP = 1000:0000, SS:SP = 0000:8000. */
export async function realModePc(code: number[] | Uint8Array, memory = 1 << 20): Promise<Machine> {
  const m = await Machine.create({ memory });
  load(m, code);
  return m;
}
