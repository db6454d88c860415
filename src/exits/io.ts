/**
 * IO_INSTRUCTION (30): the qualification (SDM Vol. 3C table 28-5) names the port, size and
 * direction; string and REP forms come one element at a time. The bus does the access; for IN
 * the data goes into EXIT_DATA; the instruction then replays and completes in the core.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_REPLAY, type ExitAction } from './reasons.js';

export function handleIo(m: Machine): ExitAction {
  const c = m.core;
  const q = c.get32(L.EXIT_QUAL);
  const size = (q & 7) + 1;
  const isIn = (q & 8) !== 0;
  const port = q >>> 16;
  if (isIn) c.set32(L.EXIT_DATA, m.bus.read(port, size));
  else m.bus.write(port, size, c.get32(L.EXIT_DATA));
  m.timersChanged(); // the access may have armed or moved a device's timer
  c.set32(L.EXIT_PENDING, PENDING_REPLAY);
  return CONTINUE;
}
