// LDMXCSR, STMXCSR (SDM Vol. 2; MXCSR: Vol. 1 10.2.3), the fences and CLFLUSH (0F AE /5-/7).
// They sit in the integer table (tools/opcodes/integer.mjs) beside FXSAVE/FXRSTOR, so they make
// the SSE checks themselves.
import { MXCSR } from '../gen/layout';
import { eaIsReg, mrmReg, readE } from '../cpu/decode';
import { ud, gp, aborted } from '../cpu/fault';
import { rd32, canRead } from '../fpu/mem';
import { sseBegin, writeM32, MXCSR_MASK } from './state';

// LDMXCSR m32: #GP(0) for a reserved bit
export function ldmxcsr(): void {
  if (!sseBegin()) return;
  if (!canRead(4)) return;
  const v = rd32(0);
  if (aborted) return;
  if (v & ~MXCSR_MASK) { gp(0); return; }
  store<u32>(MXCSR, v);
}
// STMXCSR m32
export function stmxcsr(): void {
  if (!sseBegin()) return;
  writeM32(load<u32>(MXCSR));
}
// 0F AE /5 LFENCE, /6 MFENCE, /7 SFENCE (register forms; one CPU orders everything anyway) and
// /7 CLFLUSH m8 (memory form: faults as a byte read would; no cache to flush). The memory forms of
// /5 and /6 are #UD on this processor generation.
export function fence(): void {
  if (eaIsReg()) return;
  if (mrmReg() != 7) { ud(); return; }
  readE<u8>();
}
