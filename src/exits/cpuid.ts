/** CPUID (10): the host's CPUID policy answers; the core then retires the instruction. */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_SKIP, type ExitAction } from './reasons.js';

export function handleCpuid(m: Machine): ExitAction {
  const c = m.core;
  const r = m.cpuid.leaf(c.reg32(0), c.reg32(1));
  c.setReg32(0, r.eax);
  c.setReg32(3, r.ebx);
  c.setReg32(1, r.ecx);
  c.setReg32(2, r.edx);
  c.set32(L.EXIT_PENDING, PENDING_SKIP);
  return CONTINUE;
}
