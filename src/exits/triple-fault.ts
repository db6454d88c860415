/** TRIPLE_FAULT (2): the processor shut down (SDM Vol. 3A 6.15, interrupt 8). A PC resets;
 * under -no-reboot, or on a bare machine, the VM stops with the place of the fault. */
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export function handleTripleFault(m: Machine): ExitAction {
  // a PC resets (the shutdown cycle makes the chipset assert INIT/RESET), unless -no-reboot
  if (m.onReset && !m.noReboot) {
    m.requestReset('triple fault');
    return CONTINUE;
  }
  const c = m.core;
  const where = `${c.segSel(1).toString(16).padStart(4, '0')}:${c.eip.toString(16).padStart(8, '0')}`;
  return { stop: true, why: 'triple-fault', message: `triple fault at ${where}` };
}
