/** INTERRUPT_WINDOW (7): the guest can take an interrupt now; the machine delivers its pending one. */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export function handleInterruptWindow(m: Machine): ExitAction {
  m.core.set32(L.CTL_INTWIN_EXIT, 0);
  m.onInterruptWindow?.();
  return CONTINUE;
}
