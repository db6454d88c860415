/**
 * HLT (12): the guest waits for an interrupt. With interrupts disabled and no NMI possible
 * nothing can wake it: the VM stops (status 0; this is how a kernel without ACPI powers off).
 * Otherwise host devices due now run; if one raised an interrupt the guest takes it. Else
 * guest time moves to the next timer event: at once (idle 'skip', the default: a batch run
 * wastes no time) or, in 'sleep' mode, the run stops with 'wait' so an interactive host can
 * wait in real time or for input. With no timer armed only input can wake the guest.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export function handleHlt(m: Machine): ExitAction {
  const c = m.core;
  const ifSet = (c.get32(L.EFLAGS) & 0x200) !== 0;
  if (!ifSet && !c.get32(L.NMI_PENDING)) return { stop: true, why: 'halted' };
  m.serviceDevices();
  if (c.get32(L.INTR_LINE) || c.get32(L.NMI_PENDING)) return CONTINUE;
  const now = m.guestNs();
  const next = BigInt.asUintN(64, c.exports.nextEvent()); // wasm returns u64 as a signed BigInt
  if (next === 0xffffffffffffffffn) {
    if (m.waitForEvent()) return CONTINUE;
    if (m.idleMode === 'sleep') return { stop: true, why: 'wait', waitNs: Infinity };
    return { stop: true, why: 'idle', message: 'guest halted with interrupts enabled and no event pending' };
  }
  const wait = Math.max(1, Number(next) - now);
  if (m.idleMode === 'sleep') return { stop: true, why: 'wait', waitNs: wait };
  m.idle(wait);
  return CONTINUE;
}
