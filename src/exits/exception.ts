/**
 * EXCEPTION_OR_NMI (0): an exception whose bit is set in the exception bitmap. The machine's
 * interceptor (a debugger, a test harness) decides; without one the exception is re-injected,
 * so the guest sees exactly what it would have without the intercept.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export interface ExceptionInfo {
  vector: number;
  type: number;
  error?: number;
}

export function handleException(m: Machine): ExitAction {
  const c = m.core;
  const info = c.get32(L.EXIT_INTR_INFO);
  const ex: ExceptionInfo = { vector: info & 0xff, type: (info >>> 8) & 7 };
  if (info & (1 << 11)) ex.error = c.get32(L.EXIT_INTR_ERROR);
  const verdict = m.onException?.(ex) ?? 'inject';
  if (verdict === 'stop') return { stop: true, why: 'exception', message: `exception ${ex.vector}` };
  m.inject(ex);
  return CONTINUE;
}
