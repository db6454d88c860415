// wasmvisor core: the module's exports. The host (src/core.ts) drives it through these and
// through the state laid out in tools/layout.mjs.
import {
  RAM_BASE, STATE_BASE, STATE_SIZE, EIP, EFLAGS, CR, DR, GDTR_LIMIT, IDTR_LIMIT, A20_MASK, REGS,
  CC_OP, CC_SRC, CPL, ACTIVITY, SHADOW, INTR_LINE, NMI_PENDING, NMI_BLOCKED, EXIT_PENDING, ENTRY_INTR_INFO,
  PIC_ENABLED, PIT_ENABLED, HOST_DEADLINE, CTL_IDLE_SKIP,
  XMM,
} from './gen/layout';
import { CS, setSegCache, setReg32, EDX, setCr } from './cpu/state';
import { flushTlb, dropTlb, mapPages as mapPagesImpl, invalidateFetch, setUserMode } from './cpu/memory';
import { run as runImpl, nextTimerEvent, guestNs } from './cpu/exec';
import { getFlags, setFlags } from './cpu/flags';
import { probeTranslate } from './cpu/paging';
import { allSegsChanged, recomputeAC } from './cpu/segment';
import { resetMsrs } from './cpu/msr';
import { picReset, picSetIrq } from './devices/pic';
import { pitReset } from './devices/pit';
import { recomputeDebug } from './cpu/debug';
import { writeCr as writeCrImpl } from './ops/system';
import { clearAbort } from './cpu/fault';
import { insnLength as insnLengthImpl } from './cpu/length';
import { fpuReset } from './fpu/state';

export { flushTlb };

// grows memory so that guest RAM of ramBytes fits; returns false if it cannot
export function init(ramBytes: u32): bool {
  const need = (<u64>RAM_BASE + <u64>ramBytes + 0xffff) >> 16;
  const have = <u64>memory.size();
  if (need > have && memory.grow(<i32>(need - have)) < 0) return false;
  store<u64>(HOST_DEADLINE, u64.MAX_VALUE); // no host-device event yet
  store<u32>(CTL_IDLE_SKIP, 1);
  return true;
}

// the next in-core timer event or host deadline at or after guest time now (~0: none)
export function nextEvent(): u64 { return nextTimerEvent(guestNs()); }

export function mapPages(phys: u32, size: u32, wasm: u32, type: u32): void {
  mapPagesImpl(phys, size, wasm, type);
}

// the processor state after RESET (SDM Vol. 3A 9.1.1, table 9-1), keeping the host's controls
export function reset(): void {
  // registers through the descriptor tables; the exit record and controls are left alone
  memory.fill(REGS, 0, CR - REGS);
  memory.fill(CR, 0, 16 * 4);
  memory.fill(XMM, 0, 128); // +0.0 after RESET (SDM Vol. 3A table 9-1)
  store<u32>(EIP, 0xfff0);
  store<u32>(EFLAGS, 2);
  store<u32>(CC_OP, 0);
  store<u32>(CC_SRC, 0);
  for (let s: u32 = 0; s < 6; s++) setSegCache(s, 0, 0, 0xffff, 0x9300);
  setSegCache(CS, 0xf000, 0xffff0000, 0xffff, 0x9b00);
  setSegCache(6, 0, 0, 0xffff, 0x8200);
  setSegCache(7, 0, 0, 0xffff, 0x8b00);
  store<u32>(GDTR_LIMIT, 0xffff);
  store<u32>(IDTR_LIMIT, 0xffff);
  setCr(0, 0x60000010);
  store<u32>(DR + 6 * 4, 0xffff0ff0);
  store<u32>(DR + 7 * 4, 0x400);
  setReg32(EDX, 0x0633); // family 6, model 3, stepping 3: matches the default CPUID policy
  store<u32>(A20_MASK, 0xffffffff);
  store<u32>(CPL, 0);
  store<u32>(ACTIVITY, 0);
  store<u32>(SHADOW, 0);
  store<u32>(INTR_LINE, 0);
  store<u32>(NMI_PENDING, 0);
  store<u32>(NMI_BLOCKED, 0);
  store<u32>(EXIT_PENDING, 0);
  store<u32>(ENTRY_INTR_INFO, 0);
  resetMsrs();
  fpuReset();
  recomputeDebug();
  recomputeAC();
  setUserMode(false);
  allSegsChanged();
  dropTlb();
  invalidateFetch();
}

export function run(budget: u32): u32 { return runImpl(budget); }

// the host changed state behind the core's back (registers, CRs, the A20 gate, a loaded save
// state): drop everything derived from it
export function stateChanged(): void {
  setUserMode(load<u32>(CPL) == 3);
  recomputeDebug();
  recomputeAC();
  allSegsChanged();
  dropTlb();
  invalidateFetch();
}

export function insnLength(p: u32, is32: bool): u32 { return insnLengthImpl(p, is32); }

// EFLAGS with the lazy arithmetic flags evaluated, and its inverse (for the host)
export function getEflags(): u32 { return getFlags(); }
export function setEflags(v: u32): void { setFlags(v); }

// linear -> physical without side effects, or -1 (debuggers)
export function debugTranslate(lin: u32): i64 { return probeTranslate(lin); }

// a MOV to CR the host completes after a CR_ACCESS exit; false if it faulted (#GP is then pending
// as an exception exit the host should inject)
export function writeCr(n: u32, v: u32): bool {
  clearAbort();
  const ok = writeCrImpl(n, v);
  clearAbort();
  return ok;
}

// the in-core PICs: enable them (ports 20h/21h/A0h/A1h/4D0h/4D1h stop exiting when the host
// clears their I/O bitmap bits) and drive an IRQ line
export function picEnable(on: bool): void {
  store<u32>(PIC_ENABLED, on ? 1 : 0);
  picReset();
}
export function setIrq(irq: u32, level: bool): void { picSetIrq(irq, level); }

// the in-core 8254 PIT and port 61h (ports 40h-43h, 61h; clear their I/O bitmap bits too)
export function pitEnable(on: bool): void {
  store<u32>(PIT_ENABLED, on ? 1 : 0);
  pitReset();
}
