// Debug registers (SDM Vol. 3B 17.2-17.3): DR0-DR3 instruction and data breakpoints under DR7,
// with the status in DR6. Instruction breakpoints are faults checked at the instruction boundary
// (RF suppresses them for one instruction); data breakpoints are traps taken after the
// instruction. Pages that hold a data breakpoint get T_WATCH in the TLB, so only their accesses
// leave the fast path. I/O breakpoints (CR4.DE, RW = 10b) are not implemented.
import { DR, EFLAGS } from '../gen/layout';
import { F_RF } from './state';

export let execBpActive: u32 = 0; // DR7 enables an instruction breakpoint
export let watchActive: bool = false; // DR7 enables a data breakpoint
export let dataBpHits: u32 = 0; // DR6 B0-B3 bits of data breakpoints hit by this instruction

@inline function dr(n: u32): u32 { return load<u32>(DR + (n << 2)); }
@inline function enabled(dr7: u32, i: u32): bool { return ((dr7 >> (i * 2)) & 3) != 0; }
@inline function rw(dr7: u32, i: u32): u32 { return (dr7 >> (16 + i * 4)) & 3; }
// breakpoint length in bytes (LEN 00 1, 01 2, 11 4, 10 8)
@inline function len(dr7: u32, i: u32): u32 {
  const l = (dr7 >> (18 + i * 4)) & 3;
  return l == 0 ? 1 : l == 1 ? 2 : l == 3 ? 4 : 8;
}

// after DR0-DR3 or DR7 changed
export function recomputeDebug(): void {
  const dr7 = dr(7);
  execBpActive = 0;
  watchActive = false;
  for (let i: u32 = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const t = rw(dr7, i);
    if (t == 0) execBpActive = 1;
    else if (t == 1 || t == 3) watchActive = true;
  }
}

// DR6 bits of the instruction breakpoints at linear address lin (0 = none)
export function execBreakpoints(lin: u32): u32 {
  const dr7 = dr(7);
  let hits: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) {
    if (enabled(dr7, i) && rw(dr7, i) == 0 && dr(i) == lin) hits |= 1 << i;
  }
  return hits;
}

// a data access of size bytes at lin: record the breakpoints it touches
export function watchAccess(lin: u32, size: u32, write: bool): void {
  const dr7 = dr(7);
  for (let i: u32 = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const t = rw(dr7, i);
    if (t != 3 && !(t == 1 && write)) continue;
    const n = len(dr7, i);
    const start = dr(i) & ~(n - 1); // the breakpoint covers an aligned range
    if (lin <= start + n - 1 && start <= lin + size - 1) dataBpHits |= 1 << i;
  }
}

// does the linear page hold a data breakpoint?
export function pageWatched(lin: u32): bool {
  const dr7 = dr(7);
  for (let i: u32 = 0; i < 4; i++) {
    if (!enabled(dr7, i)) continue;
    const t = rw(dr7, i);
    if (t != 1 && t != 3) continue;
    const start = dr(i) & ~(len(dr7, i) - 1);
    if (((start ^ lin) & ~0xfff) == 0 || (((start + len(dr7, i) - 1) ^ lin) & ~0xfff) == 0) return true;
  }
  return false;
}

export function takeDataHits(): u32 {
  const h = dataBpHits;
  dataBpHits = 0;
  return h;
}
export function clearDataHits(): void { dataBpHits = 0; }

// RF suppresses instruction breakpoints for one instruction and is then cleared (17.3.1.1)
export function consumeRF(): bool {
  const f = load<u32>(EFLAGS);
  if (!(f & F_RF)) return false;
  store<u32>(EFLAGS, f & ~F_RF);
  return true;
}
