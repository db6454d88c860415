// Far transfers of control: JMP, CALL, RET and IRET with a selector (SDM Vol. 2 "CALL", "JMP",
// "RET", "IRET"; Vol. 3A 5.8 privilege levels and call gates). Real and virtual-8086 mode load
// CS the real-mode way; protected mode checks the descriptor, goes through call gates (with a
// stack switch and parameter copy to an inner level) and returns to outer levels.
// Task switches through TSS descriptors and task gates: cpu/task.ts.
import { CPL, NMI_BLOCKED } from '../gen/layout';
import {
  CS, SS, ESP, segSel, segBase, segLimit, segAttr, protectedMode, vm86, reg32, setReg32, reg16,
  setReg16, setSegCache, stackIs32, F_VM, F_IOPL, F_IF, F_NT, F_RF, F_AC, F_ID, F_VIF, F_VIP, F_TF,
  TR, DS, ES, FS, GS,
} from './state';
import {
  readDescriptor, setDescriptor, dLo, dHi, attrOf, dplOf, typeOf, baseOf, limitOf, A_P, A_S, A_CODE, A_DC, A_RW, A_D,
} from './descriptor';
import {
  loadCSReal, loadCSDescriptor, loadSSDescriptor, invalidateDataSegs, setCpl, allSegsChanged, segChanged,
} from './segment';
import { readSys16, readSys32, setUserMode, writeLin16, writeLin32 } from './memory';
import { setNextEip, readSeg } from './decode';
import { push, pop, stackPtr, setStackPtr, stackMask } from './stack';
import { getFlags, setFlags } from './flags';
import { aborted, raise, GP, NP, SS_, TS } from './fault';
import { taskSwitch, TASK_JMP, TASK_CALL, TASK_IRET } from './task';

@inline function cpl(): u32 { return load<u32>(CPL); }

// reads the target code descriptor for a far JMP/CALL/RET; false after raising the fault
function codeDescriptor(sel: u32): bool {
  if ((sel & 0xfffc) == 0) { raise(GP, 0); return false; }
  if (!readDescriptor(sel)) { if (!aborted) raise(GP, <i32>(sel & 0xfffc)); return false; }
  return true;
}

// checks a code segment for a direct JMP/CALL at the current CPL (SDM 5.8.1)
function checkDirectCode(sel: u32): bool {
  const a = attrOf(dHi);
  const err = <i32>(sel & 0xfffc);
  if (!(a & A_S) || !(a & A_CODE)) { raise(GP, err); return false; }
  const dpl = dplOf(a);
  if (a & A_DC) { if (dpl > cpl()) { raise(GP, err); return false; } }
  else if ((sel & 3) > cpl() || dpl != cpl()) { raise(GP, err); return false; }
  if (!(a & A_P)) { raise(NP, err); return false; }
  return true;
}

// JMP/CALL to a TSS descriptor or a task gate (SDM 7.3): privilege checks, then the switch
function taskTransfer(sel: u32, reason: u32, retIp: u32): void {
  const a = attrOf(dHi);
  const t = typeOf(a);
  const err = <i32>(sel & 0xfffc);
  if (t != 5 && t != 1 && t != 9) { raise(GP, err); return; } // busy TSS or another system type
  if (dplOf(a) < cpl() || dplOf(a) < (sel & 3)) { raise(GP, err); return; }
  if (!(a & A_P)) { raise(NP, err); return; }
  let tss = sel;
  if (t == 5) tss = dLo >>> 16; // task gate: the TSS selector
  taskSwitch(tss, reason, retIp, -1, 0);
}

// retIp: the address after the JMP, saved in the old TSS by a task switch
export function farJump(sel: u32, off: u32, retIp: u32): void {
  if (!protectedMode() || vm86()) {
    if (off > segLimit(CS)) { raise(GP, 0); return; }
    loadCSReal(sel);
    setNextEip(off);
    return;
  }
  if (!codeDescriptor(sel)) return;
  const a = attrOf(dHi);
  if (!(a & A_S)) {
    const t = typeOf(a);
    if (t == 4 || t == 12) { jumpGate(sel); return; }
    taskTransfer(sel, TASK_JMP, retIp);
    return;
  }
  if (!checkDirectCode(sel)) return;
  if (off > limitOf(dLo, dHi)) { raise(GP, 0); return; }
  loadCSDescriptor(sel, cpl());
  setNextEip(off);
}

// JMP through a call gate: no privilege change is possible
function jumpGate(gsel: u32): void {
  const a = attrOf(dHi);
  const dpl = dplOf(a);
  const err = <i32>(gsel & 0xfffc);
  if (dpl < cpl() || dpl < (gsel & 3)) { raise(GP, err); return; }
  if (!(a & A_P)) { raise(NP, err); return; }
  const sel = dLo >>> 16;
  let off = (dLo & 0xffff) | (typeOf(a) == 12 ? dHi & 0xffff0000 : 0);
  if (!codeDescriptor(sel)) return;
  const ca = attrOf(dHi);
  const cerr = <i32>(sel & 0xfffc);
  if (!(ca & A_S) || !(ca & A_CODE)) { raise(GP, cerr); return; }
  const cdpl = dplOf(ca);
  if ((ca & A_DC) ? cdpl > cpl() : cdpl != cpl()) { raise(GP, cerr); return; }
  if (!(ca & A_P)) { raise(NP, cerr); return; }
  if (off > limitOf(dLo, dHi)) { raise(GP, 0); return; }
  loadCSDescriptor(sel, cpl());
  setNextEip(off);
}

// operand size of the far CALL (T = u16/u32 in the handlers)
export function farCall(sel: u32, off: u32, o32: bool, retIp: u32): void {
  if (!protectedMode() || vm86()) {
    if (o32) { push<u32>(segSel(CS)); push<u32>(retIp); } else { push<u16>(segSel(CS)); push<u16>(retIp); }
    if (aborted) return;
    if (off > segLimit(CS)) { raise(GP, 0); return; }
    loadCSReal(sel);
    setNextEip(off);
    return;
  }
  if (!codeDescriptor(sel)) return;
  const a = attrOf(dHi);
  if (!(a & A_S)) {
    const t = typeOf(a);
    if (t == 4 || t == 12) { callGate(sel, retIp); return; }
    taskTransfer(sel, TASK_CALL, retIp);
    return;
  }
  if (!checkDirectCode(sel)) return;
  if (off > limitOf(dLo, dHi)) { raise(GP, 0); return; }
  const lo = dLo;
  const hi = dHi;
  if (o32) { push<u32>(segSel(CS)); push<u32>(retIp); } else { push<u16>(segSel(CS)); push<u16>(retIp); }
  if (aborted) return;
  restoreDescriptor(lo, hi);
  loadCSDescriptor(sel, cpl());
  setNextEip(off);
}

// the descriptor globals are overwritten by nested reads; put one back
@inline function restoreDescriptor(lo: u32, hi: u32): void { setDescriptor(lo, hi); }

// the inner-level stack for privilege level dpl from the current TSS (SDM 7.2.1); false on #TS
export let tssSS: u32 = 0;
export let tssESP: u32 = 0;
export function tssStack(dpl: u32, ext: u32): bool {
  const a = segAttr(TR);
  const is32 = (a & 0x800) != 0; // type 9/11: 32-bit TSS
  const base = segBase(TR);
  const off: u32 = is32 ? 4 + dpl * 8 : 2 + dpl * 4;
  const size: u32 = is32 ? 8 : 4;
  if (off + size - 1 > segLimit(TR)) { raise(TS, <i32>((segSel(TR) & 0xfffc) | ext)); return false; }
  if (is32) { tssESP = readSys32(base + off); tssSS = readSys16(base + off + 4); }
  else { tssESP = readSys16(base + off); tssSS = readSys16(base + off + 2); }
  return !aborted;
}

// checks the new stack segment of an inner-level transfer (SDM CALL, "CALL-GATE-MORE-PRIVILEGE")
export function checkNewSS(ss: u32, dpl: u32, ext: u32): bool {
  const err = <i32>((ss & 0xfffc) | ext);
  if ((ss & 0xfffc) == 0) { raise(TS, <i32>ext); return false; }
  if (!readDescriptor(ss)) { if (!aborted) raise(TS, err); return false; }
  const a = attrOf(dHi);
  if ((ss & 3) != dpl || dplOf(a) != dpl || !(a & A_S) || (a & A_CODE) || !(a & A_RW)) { raise(TS, err); return false; }
  if (!(a & A_P)) { raise(SS_, err); return false; }
  return true;
}

function callGate(gsel: u32, retIp: u32): void {
  const ga = attrOf(dHi);
  const gdpl = dplOf(ga);
  const gerr = <i32>(gsel & 0xfffc);
  if (gdpl < cpl() || gdpl < (gsel & 3)) { raise(GP, gerr); return; }
  if (!(ga & A_P)) { raise(NP, gerr); return; }
  const gate32 = typeOf(ga) == 12;
  const params = dHi & 31;
  const sel = dLo >>> 16;
  const off = (dLo & 0xffff) | (gate32 ? dHi & 0xffff0000 : 0);
  if (!codeDescriptor(sel)) return;
  const ca = attrOf(dHi);
  const cerr = <i32>(sel & 0xfffc);
  if (!(ca & A_S) || !(ca & A_CODE) || dplOf(ca) > cpl()) { raise(GP, cerr); return; }
  if (!(ca & A_P)) { raise(NP, cerr); return; }
  if (off > limitOf(dLo, dHi)) { raise(GP, 0); return; }
  const clo = dLo;
  const chi = dHi;
  const dpl = dplOf(ca);
  const oldCS = segSel(CS);
  if (!(ca & A_DC) && dpl < cpl()) {
    // more privilege: switch to the inner stack, copy the parameters (SDM 5.8.5)
    if (!tssStack(dpl, 0)) return;
    const nss = tssSS;
    const nesp = tssESP;
    if (!checkNewSS(nss, dpl, 0)) return;
    const slo = dLo;
    const shi = dHi;
    const nbase = baseOf(slo, shi);
    const n32 = (shi & A_D) != 0;
    const nmask: u32 = n32 ? 0xffffffff : 0xffff;
    const oldSS = segSel(SS);
    const oldESP = reg32(ESP);
    const oldMask = stackMask();
    const w: u32 = gate32 ? 4 : 2;
    let sp = nesp;
    // the pushes go to the new stack as the new privilege level would make them
    setUserMode(dpl == 3);
    sp = (sp - w) & nmask; wr(nbase + sp, oldSS, gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, oldESP, gate32);
    for (let i: i32 = <i32>params - 1; i >= 0; i--) {
      const v = gate32 ? readSeg<u32>(SS, (oldESP + <u32>i * 4) & oldMask) : readSeg<u16>(SS, (oldESP + <u32>i * 2) & oldMask);
      sp = (sp - w) & nmask; wr(nbase + sp, v, gate32);
    }
    sp = (sp - w) & nmask; wr(nbase + sp, oldCS, gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, retIp, gate32);
    setUserMode(cpl() == 3);
    if (aborted) return;
    restoreDescriptor(slo, shi);
    loadSSDescriptor(nss);
    if (n32) setReg32(ESP, sp); else setReg16(ESP, sp);
    restoreDescriptor(clo, chi);
    loadCSDescriptor(sel, dpl);
  } else {
    if (gate32) { push<u32>(oldCS); push<u32>(retIp); } else { push<u16>(oldCS); push<u16>(retIp); }
    if (aborted) return;
    restoreDescriptor(clo, chi);
    loadCSDescriptor(sel, cpl());
  }
  setNextEip(off);
}

@inline function wr(lin: u32, v: u32, is32: bool): void {
  if (is32) writeLin32(lin, v); else writeLin16(lin, v);
}

// the code segment a RETF or IRET returns to, read into dLo/dHi and checked (SDM RET, IRET):
// not below the current privilege, conforming DPL <= RPL or non-conforming DPL == RPL, present,
// the offset within the limit
function returnCode(sel: u32, off: u32): bool {
  if (!codeDescriptor(sel)) return false;
  const a = attrOf(dHi);
  const err = <i32>(sel & 0xfffc);
  const rpl = sel & 3;
  if (!(a & A_S) || !(a & A_CODE) || rpl < cpl()) { raise(GP, err); return false; }
  const dpl = dplOf(a);
  if ((a & A_DC) ? dpl > rpl : dpl != rpl) { raise(GP, err); return false; }
  if (!(a & A_P)) { raise(NP, err); return false; }
  if (off > limitOf(dLo, dHi)) { raise(GP, 0); return false; }
  return true;
}

// RETF (imm: bytes released after the return address); to the same or an outer level
export function farReturn(o32: bool, imm: u32): void {
  const w: u32 = o32 ? 4 : 2;
  const sp = stackPtr();
  const m = stackMask();
  const off = o32 ? readSeg<u32>(SS, sp) : readSeg<u16>(SS, sp);
  const sel = (o32 ? readSeg<u32>(SS, ((sp + w) & m)) : readSeg<u16>(SS, ((sp + w) & m))) & 0xffff;
  if (aborted) return;
  if (!protectedMode() || vm86()) {
    if (off > segLimit(CS)) { raise(GP, 0); return; }
    loadCSReal(sel);
    setStackPtr((sp + 2 * w + imm) & m);
    setNextEip(off);
    return;
  }
  if (!returnCode(sel, off)) return;
  const rpl = sel & 3;
  const clo = dLo;
  const chi = dHi;
  if (rpl == cpl()) {
    loadCSDescriptor(sel, cpl());
    setStackPtr((sp + 2 * w + imm) & m);
    setNextEip(off);
    return;
  }
  // to an outer level: the caller's SS:ESP follow the parameters
  const p = (sp + 2 * w + imm) & m;
  const nesp = o32 ? readSeg<u32>(SS, p) : readSeg<u16>(SS, p);
  const nss = (o32 ? readSeg<u32>(SS, ((p + w) & m)) : readSeg<u16>(SS, ((p + w) & m))) & 0xffff;
  if (aborted) return;
  if (!outerStack(nss, rpl)) return;
  const slo = dLo;
  const shi = dHi;
  restoreDescriptor(clo, chi);
  loadCSDescriptor(sel, rpl);
  restoreDescriptor(slo, shi);
  loadSSDescriptor(nss);
  if (shi & A_D) setReg32(ESP, nesp + imm); else setReg16(ESP, (nesp + imm) & 0xffff);
  invalidateDataSegs();
  setNextEip(off);
}

// the stack segment of a return to level rpl (SDM RET: #GP(sel) on every check)
function outerStack(ss: u32, rpl: u32): bool {
  const err = <i32>(ss & 0xfffc);
  if ((ss & 0xfffc) == 0) { raise(GP, 0); return false; }
  if (!readDescriptor(ss)) { if (!aborted) raise(GP, err); return false; }
  const a = attrOf(dHi);
  if ((ss & 3) != rpl || dplOf(a) != rpl || !(a & A_S) || (a & A_CODE) || !(a & A_RW)) { raise(GP, err); return false; }
  if (!(a & A_P)) { raise(SS_, err); return false; }
  return true;
}

// IRET/IRETD (SDM IRET): real mode, protected mode to the same or an outer level, to
// virtual-8086 mode, and the return from a nested task (NT).
let nextEipOfIret: u32 = 0;
export function interruptReturn(o32: bool, after: u32): void {
  nextEipOfIret = after;
  const w: u32 = o32 ? 4 : 2;
  const sp = stackPtr();
  const m = stackMask();
  const eip = o32 ? readSeg<u32>(SS, sp) : readSeg<u16>(SS, sp);
  const sel = (o32 ? readSeg<u32>(SS, ((sp + w) & m)) : readSeg<u16>(SS, ((sp + w) & m))) & 0xffff;
  const fl = o32 ? readSeg<u32>(SS, ((sp + 2 * w) & m)) : readSeg<u16>(SS, ((sp + 2 * w) & m));
  if (aborted) return;
  const cur = getFlags();
  store<u32>(NMI_BLOCKED, 0); // IRET ends NMI blocking (SDM Vol. 3A 6.7.1), even if it then faults
  if (!protectedMode()) {
    if (eip > segLimit(CS)) { raise(GP, 0); return; }
    loadCSReal(sel);
    setStackPtr((sp + 3 * w) & m);
    const mask: u32 = o32 ? 0x257fd5 : 0x7fd5;
    setFlags((cur & ~mask) | (fl & mask));
    setNextEip(eip);
    return;
  }
  if (vm86()) {
    // IOPL 3 lets a virtual-8086 task IRET within itself; otherwise #GP(0) to the monitor
    if (((cur & F_IOPL) >> 12) < 3) { raise(GP, 0); return; }
    if (eip > 0xffff) { raise(GP, 0); return; }
    loadCSReal(sel);
    setStackPtr((sp + 3 * w) & m);
    const mask: u32 = o32 ? 0x254dd5 & ~F_IOPL : 0x4dd5 & ~F_IOPL; // IOPL and VM stay
    setFlags((cur & ~mask) | (fl & mask));
    setNextEip(eip);
    return;
  }
  if (cur & F_NT) {
    // return to the task that called this one: its selector is the back link of the current TSS
    taskSwitch(readSys16(segBase(TR)), TASK_IRET, nextEipOfIret, -1, 0);
    return;
  }
  if (o32 && (fl & F_VM) && cpl() == 0) { returnToV86(sp, m, eip, sel, fl); return; }
  if (!returnCode(sel, eip)) return;
  const rpl = sel & 3;
  const clo = dLo;
  const chi = dHi;
  const oldCpl = cpl();
  let nesp: u32 = 0;
  let nss: u32 = 0;
  let slo: u32 = 0;
  let shi: u32 = 0;
  if (rpl > oldCpl) {
    nesp = o32 ? readSeg<u32>(SS, ((sp + 3 * w) & m)) : readSeg<u16>(SS, ((sp + 3 * w) & m));
    nss = (o32 ? readSeg<u32>(SS, ((sp + 4 * w) & m)) : readSeg<u16>(SS, ((sp + 4 * w) & m))) & 0xffff;
    if (aborted) return;
    if (!outerStack(nss, rpl)) return;
    slo = dLo;
    shi = dHi;
  }
  // EFLAGS: IOPL only at CPL 0, IF only when CPL <= IOPL (SDM IRET operation)
  let mask: u32 = 0x0dd5 | F_NT | (1 << 8);
  if (o32) mask |= F_RF | F_AC | F_ID;
  if (oldCpl == 0) mask |= F_IOPL | (o32 ? F_VIF | F_VIP : 0);
  if (oldCpl <= ((cur & F_IOPL) >> 12)) mask |= F_IF;
  restoreDescriptor(clo, chi);
  loadCSDescriptor(sel, rpl);
  setFlags((cur & ~mask) | (fl & mask));
  if (rpl > oldCpl) {
    restoreDescriptor(slo, shi);
    loadSSDescriptor(nss);
    if (shi & A_D) setReg32(ESP, nesp); else setReg16(ESP, nesp);
    invalidateDataSegs();
  } else {
    setStackPtr((sp + 3 * w) & m);
  }
  setNextEip(eip);
}

// IRETD from CPL 0 with VM set in the popped EFLAGS: the frame also holds ESP SS ES DS FS GS
function returnToV86(sp: u32, m: u32, eip: u32, cs: u32, fl: u32): void {
  const nesp = readSeg<u32>(SS, ((sp + 12) & m));
  const nss = readSeg<u32>(SS, ((sp + 16) & m)) & 0xffff;
  const es = readSeg<u32>(SS, ((sp + 20) & m)) & 0xffff;
  const ds = readSeg<u32>(SS, ((sp + 24) & m)) & 0xffff;
  const fs = readSeg<u32>(SS, ((sp + 28) & m)) & 0xffff;
  const gs = readSeg<u32>(SS, ((sp + 32) & m)) & 0xffff;
  if (aborted) return;
  setFlags((fl & 0x257fd5) | F_VM);
  setSegsV86(es, cs, nss, ds, fs, gs);
  setReg32(ESP, nesp);
  setCpl(3);
  setNextEip(eip & 0xffff);
}

function setSegsV86(es: u32, cs: u32, ss: u32, ds: u32, fs: u32, gs: u32): void {
  setSegCache(ES, es, es << 4, 0xffff, 0xf300);
  setSegCache(SS, ss, ss << 4, 0xffff, 0xf300);
  setSegCache(DS, ds, ds << 4, 0xffff, 0xf300);
  setSegCache(FS, fs, fs << 4, 0xffff, 0xf300);
  setSegCache(GS, gs, gs << 4, 0xffff, 0xf300);
  allSegsChanged();
  loadCSReal(cs);
}
