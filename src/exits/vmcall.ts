/**
 * VMCALL (18): the paravirtual hypercall interface. EAX selects the call (KVM's numbering
 * where one exists, Linux Documentation/virt/kvm/x86/hypercalls.rst); the result goes in EAX.
 * Unknown calls return -KVM_ENOSYS (-1000) as KVM does.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_SKIP, type ExitAction } from './reasons.js';

export const KVM_ENOSYS = 1000;

export function handleVmcall(m: Machine): ExitAction {
  const c = m.core;
  const nr = c.reg32(0);
  const fn = m.hypercalls.get(nr);
  c.setReg32(0, fn ? fn(m) : -KVM_ENOSYS);
  c.set32(L.EXIT_PENDING, PENDING_SKIP);
  return CONTINUE;
}
