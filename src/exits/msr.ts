/**
 * RDMSR (31) and WRMSR (32): MSRs the host claimed through the MSR bitmap (Machine.claimMsr).
 * The core owns the architectural ones (assembly/cpu/msr.ts); a claimed MSR without a handler
 * for that direction raises #GP(0) in the guest (SDM Vol. 2 RDMSR: "an unimplemented MSR").
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';
import { CONTINUE, PENDING_SKIP, type ExitAction } from './reasons.js';

export interface MsrHandler {
  read?: () => bigint;
  write?: (v: bigint) => void;
}

export function handleMsr(m: Machine, write: boolean): ExitAction {
  const c = m.core;
  const msr = c.reg32(1);
  const h = m.msrHandlers.get(msr);
  if (write && h?.write) {
    h.write((BigInt(c.reg32(2)) << 32n) | BigInt(c.reg32(0)));
  } else if (!write && h?.read) {
    const v = h.read();
    c.setReg32(0, Number(v & 0xffffffffn));
    c.setReg32(2, Number((v >> 32n) & 0xffffffffn));
  } else {
    m.log(`msr: ${write ? 'write' : 'read'} of MSR 0x${msr.toString(16)} with no handler: #GP`);
    m.inject({ vector: 13, type: 3, error: 0 });
    return CONTINUE;
  }
  c.set32(L.EXIT_PENDING, PENDING_SKIP);
  return CONTINUE;
}
