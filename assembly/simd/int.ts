// MMX and SSE2 packed integer arithmetic, logic, comparisons, shifts, packs and shuffles
// (SDM Vol. 1 chapter 9 and 11.4.3; Vol. 2 instruction pages). Each handler takes x: the SSE2
// form (xmm, 128 bits) or the MMX form (mm, 64 bits).
import { FPU_TAG } from '../gen/layout';
import { cr, CR0_EM, CR0_TS } from '../cpu/state';
import { raise, ud, NM } from '../cpu/fault';
import { fpuPending } from '../fpu/state';
import { regV, mm, setMm, xmmLo, xmmHi, setXmm, sLo, sHi, readWx, readQq } from './state';

// EMMS: every x87 tag empty (SDM Vol. 2 EMMS)
export function emms(): void {
  const c0 = cr(0);
  if (c0 & CR0_EM) { ud(); return; }
  if (c0 & CR0_TS) { raise(NM, -1); return; }
  if (!fpuPending()) return;
  store<u32>(FPU_TAG, 0);
}

// PAND PANDN POR PXOR: op 0 and, 1 andn (NOT dest AND src), 2 or, 3 xor
@inline function logic(op: u32, d: u64, s: u64): u64 {
  switch (op) {
    case 0: return d & s;
    case 1: return ~d & s;
    case 2: return d | s;
  }
  return d ^ s;
}
export function plogic(x: bool, op: u32): void {
  const r = regV();
  if (x) {
    if (!readWx()) return;
    setXmm(r, logic(op, xmmLo(r), sLo), logic(op, xmmHi(r), sHi));
  } else {
    if (!readQq()) return;
    setMm(r, logic(op, mm(r), sLo));
  }
}
