// Hardware task switching (SDM Vol. 3A 7.3): JMP or CALL to a TSS descriptor or task gate, INT n
// or an exception through a task gate, IRET with NT set. 32- and 16-bit TSSs.
// Deviation: every field of the new TSS is read before anything is changed, and the old task's
// state is written back before the new one is loaded; faults while loading the new task's
// segments are raised in its context, as the SDM describes (#TS with the selector).
import { CPL, EIP } from '../gen/layout';
import {
  CS, SS, DS, ES, FS, GS, LDTR, TR, reg32, setReg32, segSel, segAttr, segBase, segLimit, setSegCache,
  cr, setCr, CR0_TS, F_NT, F_VM,
} from './state';
import { getFlags, setFlags } from './flags';
import {
  readDescriptor, descriptorAddr, setDescriptor, dLo, dHi, attrOf, dplOf, typeOf, baseOf, limitOf,
  A_P, A_S, A_CODE, A_DC, A_RW,
} from './descriptor';
import { readSys32, readSys16, writeSys32, writeSys16, writeSys8, flushTlbNonGlobal, invalidateFetch } from './memory';
import { setCpl, segChanged, allSegsChanged } from './segment';
import { setNextEip } from './decode';
import { push } from './stack';
import { aborted, raise, GP, TS, NP, SS_ } from './fault';

export const TASK_JMP: u32 = 0;
export const TASK_CALL: u32 = 1; // CALL, INT n, exceptions and interrupts: nested task
export const TASK_IRET: u32 = 2;

// the new task's state, read before the switch commits
let nEip: u32 = 0;
let nFlags: u32 = 0;
let nCr3: u32 = 0;
let nLdt: u32 = 0;
const nRegs = memory.data(32);
const nSegs = memory.data(24);

// Switches to the task whose TSS selector is sel; retEip is saved as the old task's EIP.
// Returns false after raising a fault.
export function taskSwitch(sel: u32, reason: u32, retEip: u32, error: i32, ext: u32): bool {
  const err = <i32>((sel & 0xfffc) | ext);
  if (sel & 4) { raise(reason == TASK_IRET ? TS : GP, err); return false; }
  if (!readDescriptor(sel)) { if (!aborted) raise(reason == TASK_IRET ? TS : GP, err); return false; }
  const a = attrOf(dHi);
  const t = typeOf(a);
  const busy = (t & 2) != 0;
  if ((a & A_S) || (t & 5) != 1 || (reason == TASK_IRET) != busy) { raise(reason == TASK_IRET ? TS : GP, err); return false; }
  if (!(a & A_P)) { raise(NP, err); return false; }
  const is32 = (t & 8) != 0;
  const nbase = baseOf(dLo, dHi);
  const nlimit = limitOf(dLo, dHi);
  const nhi = dHi;
  const nlo = dLo;
  const minLimit: u32 = is32 ? 0x67 : 0x2b;
  if (nlimit < minLimit) { raise(TS, err); return false; }

  // read the new task's state
  if (is32) {
    nCr3 = readSys32(nbase + 0x1c);
    nEip = readSys32(nbase + 0x20);
    nFlags = readSys32(nbase + 0x24);
    for (let i: u32 = 0; i < 8; i++) store<u32>(nRegs + i * 4, readSys32(nbase + 0x28 + i * 4));
    for (let i: u32 = 0; i < 6; i++) store<u32>(nSegs + i * 4, readSys16(nbase + 0x48 + i * 4));
    nLdt = readSys16(nbase + 0x60);
  } else {
    nCr3 = cr(3);
    nEip = readSys16(nbase + 0x0e);
    nFlags = readSys16(nbase + 0x10) | (getFlags() & 0xffff0000 & ~F_VM);
    for (let i: u32 = 0; i < 8; i++) store<u32>(nRegs + i * 4, readSys16(nbase + 0x12 + i * 2) | (reg32(i) & 0xffff0000));
    for (let i: u32 = 0; i < 4; i++) store<u32>(nSegs + i * 4, readSys16(nbase + 0x22 + i * 2));
    store<u32>(nSegs + 16, 0);
    store<u32>(nSegs + 20, 0);
    nLdt = readSys16(nbase + 0x2a);
  }
  if (aborted) return false;

  // save the old task (SDM 7.3, step 8)
  const obase = segBase(TR);
  const o32 = (segAttr(TR) & 0x800) != 0;
  let flags = getFlags();
  if (reason == TASK_IRET) flags &= ~F_NT;
  if (o32) {
    writeSys32(obase + 0x20, retEip);
    writeSys32(obase + 0x24, flags);
    for (let i: u32 = 0; i < 8; i++) writeSys32(obase + 0x28 + i * 4, reg32(i));
    for (let i: u32 = 0; i < 6; i++) writeSys16(obase + 0x48 + i * 4, segSel(i));
  } else {
    writeSys16(obase + 0x0e, retEip);
    writeSys16(obase + 0x10, flags);
    for (let i: u32 = 0; i < 8; i++) writeSys16(obase + 0x12 + i * 2, reg32(i));
    for (let i: u32 = 0; i < 4; i++) writeSys16(obase + 0x22 + i * 2, segSel(i));
  }
  if (aborted) return false;
  const oldTr = segSel(TR);
  if (reason != TASK_CALL) {
    // JMP and IRET leave the old task: clear its busy bit
    if (readDescriptor(oldTr)) writeSys8(descriptorAddr(oldTr) + 5, ((dHi >> 8) & 0xff) & ~2);
  }
  if (reason == TASK_CALL) {
    writeSys16(nbase, oldTr); // the back link, in both TSS formats
    nFlags |= F_NT;
  }
  if (reason != TASK_IRET) writeSys8(descriptorAddr(sel) + 5, ((nhi >> 8) & 0xff) | 2);
  if (aborted) return false;

  // commit: TR, CR0.TS, CR3, registers
  setSegCache(TR, sel, nbase, limitOf(nlo, nhi), attrOf(nhi) | 0x200);
  setCr(0, cr(0) | CR0_TS);
  if (is32 && (cr(0) & 0x80000000)) { setCr(3, nCr3); flushTlbNonGlobal(); }
  for (let i: u32 = 0; i < 8; i++) setReg32(i, load<u32>(nRegs + i * 4));
  setFlags(nFlags | 2);
  setNextEip(nEip);
  store<u32>(EIP, nEip);
  // selectors first (unusable until their descriptors load), then the descriptors, with #TS
  for (let s: u32 = 0; s < 6; s++) setSegCache(s, load<u32>(nSegs + s * 4), 0, 0, 0);
  setSegCache(LDTR, nLdt, 0, 0, 0);
  allSegsChanged();
  invalidateFetch();
  if (nFlags & F_VM) {
    for (let s: u32 = 0; s < 6; s++) {
      const v = load<u32>(nSegs + s * 4);
      setSegCache(s, v, v << 4, 0xffff, s == CS ? 0xfb00 : 0xf300);
    }
    setCpl(3);
    allSegsChanged();
  } else {
    if (!loadTaskLdt(nLdt)) return false;
    const cs = load<u32>(nSegs + CS * 4);
    setCpl(cs & 3);
    if (!loadTaskSeg(CS, cs) || !loadTaskSeg(SS, load<u32>(nSegs + SS * 4))) return false;
    for (let s: u32 = 0; s < 6; s++) {
      if (s == CS || s == SS) continue;
      if (!loadTaskSeg(s, load<u32>(nSegs + s * 4))) return false;
    }
  }
  if (error >= 0) {
    if (is32) push<u32>(<u32>error); else push<u16>(<u32>error);
    if (aborted) return false;
  }
  if (nEip > segLimit(CS)) { raise(GP, 0); return false; }
  return true;
}

function loadTaskLdt(sel: u32): bool {
  if ((sel & 0xfffc) == 0) return true;
  const err = <i32>(sel & 0xfffc);
  if ((sel & 4) || !readDescriptor(sel)) { if (!aborted) raise(TS, err); return false; }
  const a = attrOf(dHi);
  if ((a & A_S) || typeOf(a) != 2) { raise(TS, err); return false; }
  if (!(a & A_P)) { raise(TS, err); return false; }
  setSegCache(LDTR, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), a);
  return true;
}

// a segment of the new task (SDM 7.3 step 12: #TS for type and privilege, #NP/#SS for presence)
function loadTaskSeg(s: u32, sel: u32): bool {
  const err = <i32>(sel & 0xfffc);
  const cpl = load<u32>(CPL);
  if ((sel & 0xfffc) == 0) {
    if (s == CS || s == SS) { raise(TS, err); return false; }
    return true; // stays unusable
  }
  if (!readDescriptor(sel)) { if (!aborted) raise(TS, err); return false; }
  const a = attrOf(dHi);
  const dpl = dplOf(a);
  if (!(a & A_S)) { raise(TS, err); return false; }
  if (s == CS) {
    if (!(a & A_CODE) || ((a & A_DC) ? dpl > (sel & 3) : dpl != (sel & 3))) { raise(TS, err); return false; }
  } else if (s == SS) {
    if ((a & A_CODE) || !(a & A_RW) || dpl != cpl || (sel & 3) != cpl) { raise(TS, err); return false; }
    if (!(a & A_P)) { raise(SS_, err); return false; }
  } else {
    if ((a & A_CODE) && !(a & A_RW)) { raise(TS, err); return false; }
    const conforming = (a & A_CODE) && (a & A_DC);
    if (!conforming && (dpl < cpl || dpl < (sel & 3))) { raise(TS, err); return false; }
  }
  if (!(a & A_P)) { raise(NP, err); return false; }
  setSegCache(s, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), a);
  segChanged(s);
  return true;
}
