// Loading segment registers and the access checks that depend on them.
// Real mode and virtual-8086 mode (SDM Vol. 3A 20.1.1): the base becomes selector << 4 and
// the rest of the descriptor cache is kept (so "unreal" limits survive).
// Protected mode (SDM Vol. 3A 5.4-5.8, Vol. 2 MOV/POP/LDS): descriptor checks with #GP, #SS,
// #NP and the selector as error code; null selectors load an unusable segment.
// Accesses through a segment that is not a plain readable+writable expand-up data segment
// (null, read-only, expand-down, code) go through segCheckSlow: the fast path tests one bit.
import { SHADOW, CPL, CR, EFLAGS } from '../gen/layout';
import {
  CS, SS, segSel, segBase, segLimit, segAttr, setSegCache, protectedMode, vm86, codeIs32, stackIs32,
} from './state';
import { raise, GP, SS_, NP, AC } from './fault';
import { invalidateFetch, setUserMode } from './memory';
import {
  readDescriptor, setAccessed, dLo, dHi, attrOf, dplOf, baseOf, limitOf, A_P, A_S, A_CODE, A_RW, A_DC, A_D,
} from './descriptor';

// segments whose reads / writes need the slow check (bit per segment register)
export let slowRead: u32 = 0;
export let slowWrite: u32 = 0;

// Alignment checking (SDM Vol. 3A 6.15, #AC): CR0.AM, EFLAGS.AC and CPL 3. While it is on, every
// segment takes the slow check, which tests the alignment.
export let acActive: bool = false;
export function recomputeAC(): void {
  const on = load<u32>(CPL) == 3 && (load<u32>(CR) & (1 << 18)) != 0 && (load<u32>(EFLAGS) & (1 << 18)) != 0;
  if (on == acActive) return;
  acActive = on;
  allSegsChanged();
}

// recomputes the check bits of segment s from its cache and the mode
export function segChanged(s: u32): void {
  const bit: u32 = 1 << s;
  slowRead &= ~bit;
  slowWrite &= ~bit;
  if (acActive) { slowRead |= bit; slowWrite |= bit; }
  if (!protectedMode() || vm86()) return;
  const a = segAttr(s);
  if (!(a & A_P) || !(a & A_S)) { slowRead |= bit; slowWrite |= bit; return; }
  if (a & A_CODE) {
    slowWrite |= bit;
    if (!(a & A_RW)) slowRead |= bit;
  } else {
    if (a & A_DC) { slowRead |= bit; slowWrite |= bit; }
    if (!(a & A_RW)) slowWrite |= bit;
  }
}
export function allSegsChanged(): void {
  for (let s: u32 = 0; s < 6; s++) segChanged(s);
}

// the full check for a segment flagged slow; false after raising the fault
export function segCheckSlow(seg: u32, off: u32, size: u32, write: bool): bool {
  if (!segCheckType(seg, off, size, write)) return false;
  if (acActive && size > 1 && ((segBase(seg) + off) & (size - 1)) != 0) { raise(AC, 0); return false; }
  return true;
}

function segCheckType(seg: u32, off: u32, size: u32, write: bool): bool {
  const a = segAttr(seg);
  const f: u32 = seg == SS ? SS_ : GP;
  if (!protectedMode() || vm86()) {
    // real and virtual-8086 mode: the limit only (here because alignment checking is on)
    if (<u64>off + <u64>size - 1 > <u64>segLimit(seg)) { raise(f, 0); return false; }
    return true;
  }
  if (!(a & A_P) || !(a & A_S)) { raise(f, 0); return false; } // null or unusable
  if (a & A_CODE) {
    if (write || !(a & A_RW)) { raise(GP, 0); return false; }
  } else if (write && !(a & A_RW)) { raise(f, 0); return false; }
  const lim = segLimit(seg);
  const end = <u64>off + <u64>size - 1;
  if (!(a & A_CODE) && (a & A_DC)) {
    // expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (B bit)
    const upper: u64 = a & A_D ? 0xffffffff : 0xffff;
    if (off <= lim || end > upper) { raise(f, 0); return false; }
    return true;
  }
  if (end > <u64>lim) { raise(f, 0); return false; }
  return true;
}

@inline function cpl(): u32 { return load<u32>(CPL); }

// CPL follows CS (and the user/supervisor view of paging with it)
export function setCpl(c: u32): void {
  store<u32>(CPL, c);
  setUserMode(c == 3);
  recomputeAC();
}

// a real-mode / virtual-8086 load
function loadReal(s: u32, sel: u32): void {
  let attr = segAttr(s);
  let limit = segLimit(s);
  if (vm86()) { attr = s == CS ? 0xf300 | 0x800 : 0xf300; limit = 0xffff; } // DPL 3, 64 KiB
  setSegCache(s, sel, sel << 4, limit, attr);
  segChanged(s);
}

// loads data/stack segment register s (not CS) with sel; false if it faulted
export function loadSeg(s: u32, sel: u32): bool {
  sel &= 0xffff;
  if (!protectedMode() || vm86()) {
    loadReal(s, sel);
  } else if (!loadSegProtected(s, sel)) {
    return false;
  }
  if (s == SS) { store<u32>(SHADOW, 1); ssLoaded = true; } // MOV SS / POP SS: interrupts and debug traps wait
  return true;
}

// set when this instruction loaded SS through MOV or POP (the run loop clears it)
export let ssLoaded: bool = false;

function loadSegProtected(s: u32, sel: u32): bool {
  const err = <i32>(sel & 0xfffc);
  if ((sel & 0xfffc) == 0) {
    if (s == SS) { raise(GP, 0); return false; }
    setSegCache(s, sel, 0, 0, 0); // a null selector: the segment is unusable until reloaded
    segChanged(s);
    return true;
  }
  if (!readDescriptor(sel)) { raise(GP, err); return false; }
  const attr = attrOf(dHi);
  const dpl = dplOf(attr);
  const rpl = sel & 3;
  if (s == SS) {
    if (rpl != cpl() || dpl != cpl() || !(attr & A_S) || (attr & A_CODE) || !(attr & A_RW)) { raise(GP, err); return false; }
    if (!(attr & A_P)) { raise(SS_, err); return false; }
  } else {
    if (!(attr & A_S) || ((attr & A_CODE) && !(attr & A_RW))) { raise(GP, err); return false; }
    const conforming = (attr & A_CODE) && (attr & A_DC);
    if (!conforming && (rpl > dpl || cpl() > dpl)) { raise(GP, err); return false; }
    if (!(attr & A_P)) { raise(NP, err); return false; }
  }
  setAccessed(sel);
  setSegCache(s, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), attrOf(dHi));
  segChanged(s);
  return true;
}

// CS in real and virtual-8086 mode (far jumps, calls, returns, interrupts)
export function loadCSReal(sel: u32): void {
  loadReal(CS, sel & 0xffff);
  invalidateFetch();
}

// CS from a code descriptor already read into dLo/dHi, with the CPL it now runs at
export function loadCSDescriptor(sel: u32, newCpl: u32): void {
  setAccessed(sel);
  setSegCache(CS, (sel & 0xfffc) | newCpl, baseOf(dLo, dHi), limitOf(dLo, dHi), attrOf(dHi));
  if (newCpl != cpl()) setCpl(newCpl);
  segChanged(CS);
  invalidateFetch();
}

// SS from a descriptor already read into dLo/dHi (stack switches)
export function loadSSDescriptor(sel: u32): void {
  setAccessed(sel);
  setSegCache(SS, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), attrOf(dHi));
  segChanged(SS);
}

// after a return to an outer level: data segments the new CPL may not use become null (SDM RET)
export function invalidateDataSegs(): void {
  for (let s: u32 = 0; s < 6; s++) {
    if (s == CS || s == SS) continue;
    const a = segAttr(s);
    const conforming = (a & A_CODE) && (a & A_DC);
    if ((a & A_P) && !conforming && dplOf(a) < cpl()) {
      setSegCache(s, 0, 0, 0, 0);
      segChanged(s);
    }
  }
}

