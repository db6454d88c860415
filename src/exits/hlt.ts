/**
 * HLT (12): the guest waits for an interrupt. With interrupts disabled and no NMI possible
 * nothing can wake it: the VM stops (status 0). Otherwise the host advances to the next
 * device event; with none scheduled the guest would wait forever, so the VM stops as idle.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export function handleHlt(m: Machine): ExitAction {
  const c = m.core;
  const ifSet = (c.get32(L.EFLAGS) & 0x200) !== 0;
  if (!ifSet && !c.get32(L.NMI_PENDING)) return { stop: true, why: 'halted' };
  if (m.waitForEvent()) return CONTINUE;
  return { stop: true, why: 'idle', message: 'guest halted with interrupts enabled and no event pending' };
}
