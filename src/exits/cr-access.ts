/**
 * CR_ACCESS (28): the guest wrote a CR0/CR4 bit the host owns (CTL_CR0_MASK/CTL_CR4_MASK), or ran
 * CLTS/LMSW on one. Qualification (SDM Vol. 3C table 28-3): bits 3:0 the CR, 5:4 the access type
 * (0 MOV to CR, 2 CLTS, 3 LMSW), 11:8 the source register, 31:16 the LMSW source.
 * The machine's onCrWrite hook sees the value first; then the write is completed through the
 * core (with its architectural effects), the read shadow follows it, and the instruction retires.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_SKIP, type ExitAction } from './reasons.js';

export function handleCrAccess(m: Machine): ExitAction {
  const c = m.core;
  const q = c.get32(L.EXIT_QUAL);
  const n = q & 15;
  const type = (q >>> 4) & 3;
  const cur = c.get32(L.CR + 4 * n);
  let v: number;
  if (type === 0) v = c.reg32((q >>> 8) & 15);
  else if (type === 2) v = cur & ~8; // CLTS
  else v = (cur & ~0xe) | ((q >>> 16) & 0xf) | (cur & 1); // LMSW cannot clear PE
  v >>>= 0;
  m.onCrWrite?.(n, v);
  if (!c.exports.writeCr(n, v)) {
    m.inject({ vector: 13, type: 3, error: 0 });
    return CONTINUE;
  }
  const shadow = n === 0 ? L.CTL_CR0_SHADOW : L.CTL_CR4_SHADOW;
  const mask = c.get32(n === 0 ? L.CTL_CR0_MASK : L.CTL_CR4_MASK);
  c.set32(shadow, (c.get32(shadow) & ~mask) | (v & mask));
  c.set32(L.EXIT_PENDING, PENDING_SKIP);
  return CONTINUE;
}
