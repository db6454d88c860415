/** TRIPLE_FAULT (2): the processor shut down (SDM Vol. 3A 6.15, interrupt 8). */
import type { Machine } from '../machine.js';
import type { ExitAction } from './reasons.js';

export function handleTripleFault(m: Machine): ExitAction {
  const c = m.core;
  const where = `${c.segSel(1).toString(16).padStart(4, '0')}:${c.eip.toString(16).padStart(8, '0')}`;
  return { stop: true, why: 'triple-fault', message: `triple fault at ${where}` };
}
