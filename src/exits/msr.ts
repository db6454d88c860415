/**
 * RDMSR (31) and WRMSR (32): MSRs the core does not own. The policy has none yet, so every
 * access raises #GP(0) in the guest (SDM Vol. 2 RDMSR: "an unimplemented MSR").
 */
import type { Machine } from '../machine.js';
import { CONTINUE, type ExitAction } from './reasons.js';

export function handleMsr(m: Machine, write: boolean): ExitAction {
  const msr = m.core.reg32(1);
  m.log(`msr: ${write ? 'write' : 'read'} of unknown MSR 0x${msr.toString(16)}: #GP`);
  m.inject({ vector: 13, type: 3, error: 0 });
  return CONTINUE;
}
