// The run loop: run(budget) executes guest instructions until a VM exit and returns its basic
// exit reason (SDM Vol. 3C appendix C). Between instructions it takes NMI and INTR as the
// interrupt flag and the one-instruction shadow allow (SDM Vol. 3A 6.8.3), and single-step traps.
import {
  EIP, EFLAGS, ICOUNT, ACTIVITY, SHADOW, INTR_LINE, INTR_VECTOR, NMI_PENDING,
  NMI_BLOCKED, CTL_INTWIN_EXIT, CTL_HLT_EXIT, EXIT_REASON, EXIT_COUNT, EXIT_PENDING, EXIT_INSN_LEN,
  DR, ENTRY_INTR_INFO, ENTRY_INTR_ERROR, PIC_ENABLED, PIT_ENABLED, CTL_DETERMINISTIC, HOST_TSC, IDLE_NS,
  HOST_DEADLINE, CTL_IDLE_SKIP,
} from '../gen/layout';
import { ESP, CS, segBase, reg32, setReg32, codeIs32, F_IF, F_TF, F_RF } from './state';
import { execBpActive, execBreakpoints, dataBpHits, takeDataHits, clearDataHits, consumeRF } from './debug';
import { ssLoaded } from './segment';
import { picAck } from '../devices/pic';
import { pitService, pitNextEvent } from '../devices/pit';
import { beginInsn, decodeOpcode, nextEip } from './decode';
import { aborted, faultVector, faultError, exitReason, clearAbort, DB } from './fault';
import { deliverException, T_EXT, T_NMI, T_HW_EXC, T_SW_INT } from './interrupt';
import { dispatch } from '../gen/dispatch';

// The budget left in this run(). Retired instructions are counted by it: the counter is
// ICOUNT at entry + (budget - remaining) - notRetired, so the loop keeps one decrement.
export let remaining: u32 = 0;
let budgetAtEntry: u32 = 0;
let budgetLeft: u32 = 0; // budget held back while `remaining` runs to the next timer event
let icountAtEntry: u64 = 0;
let notRetired: u32 = 0; // budget units spent on instructions that faulted or exited

// the retired-instruction counter now
export function icountNow(): u64 {
  return icountAtEntry + <u64>(budgetAtEntry - budgetLeft - remaining - notRetired);
}

// guest time in ns: deterministic mode counts 1 ns per instruction plus the time spent halted;
// otherwise the host's clock as the host last wrote it
export function guestNs(): u64 {
  if (load<u32>(CTL_DETERMINISTIC)) return icountNow() + load<u64>(IDLE_NS);
  return load<u64>(HOST_TSC);
}

// the next timed event: the in-core PIT's or the host devices' deadline (HOST_DEADLINE)
export function nextTimerEvent(now: u64): u64 {
  const p = pitNextEvent(now);
  const h = load<u64>(HOST_DEADLINE);
  return p < h ? p : h;
}

// ends the current slice of `remaining` at the next timer event (also after a queued write of
// buffered I/O lowered HOST_DEADLINE)
export function clampToTimer(): void {
  if (!load<u32>(CTL_DETERMINISTIC)) return;
  const now = guestNs();
  const d = nextTimerEvent(now);
  if (d == u64.MAX_VALUE) return;
  const until: u64 = d > now ? d - now : 1;
  if (until < <u64>remaining) {
    budgetLeft += remaining - <u32>until;
    remaining = <u32>until;
  }
}

// `remaining` ran out: a timer event is due, or the budget is spent (-1: go on)
function sliceEnd(): i32 {
  if (budgetLeft == 0) return <i32>EXIT_PREEMPTION;
  const now = guestNs();
  if (now >= load<u64>(HOST_DEADLINE)) { // a host device's event: the host services it
    remaining = budgetLeft; // (returned to the budget, so the counter stays right)
    budgetLeft = 0;
    return <i32>EXIT_PREEMPTION;
  }
  pitService(now);
  remaining = budgetLeft;
  budgetLeft = 0;
  clampToTimer();
  return -1;
}

// exit reasons used here
export const EXIT_EXCEPTION: u32 = 0;
export const EXIT_TRIPLE_FAULT: u32 = 2;
export const EXIT_INTERRUPT_WINDOW: u32 = 7;
export const EXIT_HLT: u32 = 12;
export const EXIT_PREEMPTION: u32 = 52; // VMX-preemption timer expired: the budget ran out

// EXIT_PENDING values
export const PENDING_NONE: u32 = 0;
export const PENDING_REPLAY: u32 = 1; // re-execute the instruction; the host's I/O data is ready
export const PENDING_SKIP: u32 = 2; // the host emulated the instruction; retire it

// HLT with HLT exiting: the instruction retires and the next boundary exits (reason 12)
let hltExit: bool = false;
export function requestHltExit(): void { hltExit = true; }

// string handlers that run several iterations account for the extra ones here. A slice clamp
// during the batch (buffered I/O ends the slice early from inside IN/OUT) may have moved budget
// to budgetLeft after the batch was sized: the iterations beyond `remaining` take it back, and the
// slice ends after this instruction.
@inline export function chargeIterations(n: u32): void {
  if (n < remaining) { remaining -= n; return; }
  budgetLeft -= n - remaining + 1;
  remaining = 1;
}

// Executes one instruction. On return, `aborted` says whether it faulted or exits.
@inline function step(): void {
  const is32 = codeIs32();
  beginInsn(is32);
  const idx = decodeOpcode(is32);
  if (idx != 0xffffffff) dispatch(idx);
}

// the guest can take a maskable interrupt now
@inline function interruptible(): bool {
  return (load<u32>(EFLAGS) & F_IF) != 0 && load<u32>(SHADOW) == 0;
}

function recordExit(reason: u32): u32 {
  store<u32>(EXIT_REASON, reason);
  const slot = EXIT_COUNT + (reason << 3);
  store<u64>(slot, load<u64>(slot) + 1);
  store<u64>(ICOUNT, icountNow());
  return reason;
}

// takes NMI or INTR if one is ready; returns an exit reason or -1
function takeEvents(): i32 {
  if (load<u32>(NMI_PENDING) && !load<u32>(NMI_BLOCKED)) {
    store<u32>(NMI_PENDING, 0);
    store<u32>(NMI_BLOCKED, 1);
    store<u32>(ACTIVITY, 0);
    return deliverException(2, -1, load<u32>(EIP), T_NMI);
  }
  if (!interruptible()) return -1;
  if (load<u32>(CTL_INTWIN_EXIT)) return <i32>EXIT_INTERRUPT_WINDOW;
  if (load<u32>(INTR_LINE)) {
    store<u32>(ACTIVITY, 0);
    // the acknowledge cycle: the in-core PICs answer it, or the host's vector with the line
    let vector: u32;
    if (load<u32>(PIC_ENABLED)) vector = picAck();
    else {
      store<u32>(INTR_LINE, 0);
      vector = load<u32>(INTR_VECTOR) & 0xff;
    }
    return deliverException(vector, -1, load<u32>(EIP), T_EXT);
  }
  return -1;
}

// an instruction breakpoint at CS:EIP (a fault, before the instruction): -2 when none hit,
// otherwise the result of delivering #DB
function instructionBreakpoint(): i32 {
  const hits = execBreakpoints(segBase(CS) + load<u32>(EIP));
  if (!hits) return -2;
  store<u32>(DR + 6 * 4, (load<u32>(DR + 6 * 4) & ~0xf) | hits);
  const r = deliverException(DB, -1, load<u32>(EIP), T_HW_EXC);
  clearAbort();
  return r;
}

// RF was set at this boundary: no instruction breakpoint for this instruction
let rfSkip: bool = false;

// the slow part of an instruction boundary: the shadow, NMI, INTR, HLT and shutdown
function boundaryEvents(): i32 {
  rfSkip = consumeRF();
  if (hltExit) {
    hltExit = false;
    store<u32>(ACTIVITY, 0); // as under VT-x: the guest stays active, the host emulates the wait
    return <i32>EXIT_HLT;
  }
  if (load<u32>(SHADOW)) {
    store<u32>(SHADOW, 0);
  } else if (load<u32>(INTR_LINE) | load<u32>(NMI_PENDING) | load<u32>(CTL_INTWIN_EXIT)) {
    const r = takeEvents();
    if (r >= 0) return r;
  }
  if (load<u32>(ACTIVITY) == 1 && idleUntilTimer()) {
    const r = takeEvents();
    if (r >= 0) return r;
  }
  if (load<u32>(ACTIVITY)) return load<u32>(ACTIVITY) == 2 ? <i32>EXIT_TRIPLE_FAULT : <i32>EXIT_HLT;
  return -1;
}

// HLT in deterministic mode with idle skipping on: guest time jumps to the next timer event;
// true when that raised INTR. When the event is a host device's, the HLT exit that follows
// lets the host service it.
function idleUntilTimer(): bool {
  if (!load<u32>(CTL_IDLE_SKIP) || !load<u32>(CTL_DETERMINISTIC)) return false;
  if (!(load<u32>(EFLAGS) & F_IF)) return false;
  const now = guestNs();
  const d = nextTimerEvent(now);
  if (d == u64.MAX_VALUE) return false;
  if (d > now) store<u64>(IDLE_NS, load<u64>(IDLE_NS) + (d - now));
  if (d >= load<u64>(HOST_DEADLINE)) return false;
  pitService(d);
  remaining += budgetLeft; // the next event is now measured from the new time
  budgetLeft = 0;
  clampToTimer();
  return load<u32>(INTR_LINE) != 0;
}

export function run(budget: u32): u32 {
  icountAtEntry = load<u64>(ICOUNT);
  budgetAtEntry = budget;
  remaining = budget;
  budgetLeft = 0;
  notRetired = 0;
  clearAbort();
  pitService(guestNs());
  clampToTimer();
  const pending = load<u32>(EXIT_PENDING);
  if (pending == PENDING_SKIP) {
    store<u32>(EXIT_PENDING, PENDING_NONE);
    store<u32>(EIP, load<u32>(EIP) + load<u32>(EXIT_INSN_LEN));
    if (--remaining == 0) { const r = sliceEnd(); if (r >= 0) return recordExit(<u32>r); }
  }
  // VM-entry event injection (SDM Vol. 3C 27.6): delivered before any instruction
  const inject = load<u32>(ENTRY_INTR_INFO);
  if (inject & 0x80000000) {
    store<u32>(ENTRY_INTR_INFO, 0);
    const type = (inject >> 8) & 7;
    const err: i32 = inject & (1 << 11) ? <i32>load<u32>(ENTRY_INTR_ERROR) : -1;
    // software interrupts and exceptions return past the instruction (EXIT_INSN_LEN)
    const ret = type >= T_SW_INT ? load<u32>(EIP) + load<u32>(EXIT_INSN_LEN) : load<u32>(EIP);
    store<u32>(ACTIVITY, 0);
    const r = deliverException(inject & 0xff, err, ret, type, false);
    clearAbort();
    if (r >= 0) return recordExit(<u32>r);
  }
  // a zero budget: the injected event is delivered and the run exits before any instruction
  // (as VT-x does for a VMX-preemption timer of zero at VM entry)
  if (budget == 0) return recordExit(EXIT_PREEMPTION);
  // the replayed instruction (I/O completion) runs first, with no boundary before it
  let tf: u32 = 0;
  if (pending == PENDING_REPLAY) {
    tf = load<u32>(EFLAGS) & F_TF;
    const r = execOne(tf);
    store<u32>(EXIT_PENDING, PENDING_NONE); // the completion was consumed (or is stale)
    if (r >= 0) return recordExit(<u32>r);
    if (--remaining == 0) { const r2 = sliceEnd(); if (r2 >= 0) return recordExit(<u32>r2); }
  }
  while (true) {
    // instruction boundary: one test for everything that is rarely set
    tf = 0;
    if (load<u32>(SHADOW) | load<u32>(INTR_LINE) | load<u32>(NMI_PENDING) | load<u32>(CTL_INTWIN_EXIT) |
        load<u32>(ACTIVITY) | (load<u32>(EFLAGS) & (F_TF | F_RF)) | execBpActive) {
      const r = boundaryEvents();
      if (r >= 0) return recordExit(<u32>r);
      tf = load<u32>(EFLAGS) & F_TF; // after any delivery, which clears TF
      if (execBpActive && !rfSkip) {
        const r2 = instructionBreakpoint();
        if (r2 != -2) {
          if (r2 >= 0) return recordExit(<u32>r2);
          notRetired++; // the delivery costs budget, so a breakpoint storm still returns
          if (--remaining == 0) { const r3 = sliceEnd(); if (r3 >= 0) return recordExit(<u32>r3); }
          continue;
        }
      }
    }
    const r = execOne(tf);
    if (r >= 0) return recordExit(<u32>r);
    if (--remaining == 0) { const r4 = sliceEnd(); if (r4 >= 0) return recordExit(<u32>r4); }
  }
}

// Executes one instruction and retires it, or delivers its fault; returns an exit reason or -1.
// tf: the trap flag was set when the instruction began (single-step trap after it).
@inline function execOne(tf: u32): i32 {
  const sp = reg32(ESP);
  ssLoaded = false;
  step();
  if (!aborted) {
    store<u32>(EIP, nextEip);
    // MOV SS and POP SS hold debug traps until after the next instruction (SDM Vol. 3A 6.8.3)
    if (tf | dataBpHits) return ssLoaded ? -1 : debugTrap(tf);
    return -1;
  }
  clearDataHits(); // a faulting instruction reports no data breakpoint
  return abortPath(sp);
}

// the instruction faulted or asked for an exit: it did not retire
function abortPath(sp: u32): i32 {
  setReg32(ESP, sp);
  if (exitReason >= 0) {
    store<u32>(EXIT_INSN_LEN, nextEip - load<u32>(EIP));
    const r = exitReason;
    return r;
  }
  const r = deliverException(<u32>faultVector, faultError, load<u32>(EIP), T_HW_EXC);
  clearAbort();
  if (r < 0) notRetired++; // the loop goes on and charges the budget for it
  return r;
}

// the trap after an instruction (SDM Vol. 3B 17.3.1.2, 17.3.1.4): single step sets DR6.BS,
// data breakpoints their B0-B3 bits; then #DB
function debugTrap(tf: u32): i32 {
  const hits = takeDataHits();
  store<u32>(DR + 6 * 4, (load<u32>(DR + 6 * 4) & (hits ? ~0xf : 0xffffffff)) | hits | (tf ? 0x4000 : 0));
  const r = deliverException(DB, -1, load<u32>(EIP), T_HW_EXC);
  clearAbort();
  return r;
}
