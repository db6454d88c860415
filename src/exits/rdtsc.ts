/** RDTSC (16), when the host asks for it: the host's clock, scaled to TSC ticks. */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_SKIP, type ExitAction } from './reasons.js';

export function handleRdtsc(m: Machine): ExitAction {
  const c = m.core;
  const t = (m.tscNow() + c.get64(L.TSC_OFFSET)) & 0xffffffffffffffffn;
  c.setReg32(0, Number(t & 0xffffffffn));
  c.setReg32(2, Number(t >> 32n));
  c.set32(L.EXIT_PENDING, PENDING_SKIP);
  return CONTINUE;
}
