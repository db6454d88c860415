// Event delivery: exceptions, software interrupts, INTR and NMI.
// Real mode (SDM Vol. 3A 20.1.4): FLAGS, CS, IP are pushed and CS:IP is loaded from the IVT at
// IDTR.base + 4 * vector; IF, TF and AC are cleared. Exception classes and double faults:
// SDM Vol. 3A 6.15, table 6-5.
import {
  IDTR_BASE, IDTR_LIMIT, EIP, EFLAGS, CTL_EXC_BITMAP, EXIT_INTR_INFO, EXIT_INTR_ERROR,
  EXIT_INSN_LEN, EXIT_QUAL, ACTIVITY, CPL,
} from '../gen/layout';
import {
  CS, SS, DS, ES, FS, GS, ESP, reg32, setReg32, setReg16, segSel, F_IF, F_TF, F_AC, F_RF, F_NT, F_VM,
  protectedMode, vm86, setSegCache,
} from './state';
import { getFlags } from './flags';
import { push } from './stack';
import { readLin16, readSys32, writeLin16, writeLin32, setUserMode } from './memory';
import { aborted, raise, clearAbort, faultVector, faultError, GP, NP, DF } from './fault';
import { readDescriptor, setDescriptor, dLo, dHi, attrOf, dplOf, baseOf, limitOf, A_P, A_S, A_CODE, A_DC, A_D } from './descriptor';
import { loadCSReal, loadCSDescriptor, loadSSDescriptor, allSegsChanged } from './segment';
import { tssStack, tssSS, tssESP, checkNewSS } from './farcall';
import { taskSwitch, TASK_CALL } from './task';

// interruption types (SDM Vol. 3C 25.9.2)
export const T_EXT: u32 = 0;
export const T_NMI: u32 = 2;
export const T_HW_EXC: u32 = 3;
export const T_SW_INT: u32 = 4;
export const T_SW_EXC: u32 = 6; // INT3, INTO

// Delivers vector with the return address retIp; false if delivery itself faulted
// (the new fault is pending in cpu/fault). soft: INT n, INT3, INTO (the gate's DPL is checked
// and error codes of faults during delivery have EXT clear).
export function deliver(vector: u32, retIp: u32, error: i32, soft: bool = false): bool {
  if (protectedMode()) return deliverProtected(vector, retIp, error, soft);
  const off = vector << 2;
  if (off + 3 > load<u32>(IDTR_LIMIT)) { raise(GP, <i32>(vector * 8 + 2)); return false; }
  const flags = getFlags();
  push<u16>(flags);
  push<u16>(segSel(CS));
  push<u16>(retIp);
  if (aborted) return false;
  const ip = readLin16(load<u32>(IDTR_BASE) + off);
  const cs = readLin16(load<u32>(IDTR_BASE) + off + 2);
  if (aborted) return false;
  store<u32>(EFLAGS, load<u32>(EFLAGS) & ~(F_IF | F_TF | F_AC | F_RF));
  loadCSReal(cs);
  store<u32>(EIP, ip);
  return true;
}

// Protected mode (SDM Vol. 3A 6.10-6.12): interrupt and trap gates, 16- and 32-bit, to the same
// or an inner privilege level (stack from the TSS), from virtual-8086 mode to ring 0.
// Task gates switch tasks (cpu/task.ts).
function deliverProtected(vector: u32, retIp: u32, error: i32, soft: bool): bool {
  const ext: u32 = soft ? 0 : 1;
  const off = vector << 3;
  const gerr = <i32>(off | 2 | ext);
  if (off + 7 > load<u32>(IDTR_LIMIT)) { raise(GP, gerr); return false; }
  const glo = readSys32(load<u32>(IDTR_BASE) + off);
  const ghi = readSys32(load<u32>(IDTR_BASE) + off + 4);
  if (aborted) return false;
  const gtype = (ghi >> 8) & 0x1f; // type with the S bit (bit 4)
  if (gtype != 0x05 && gtype != 0x06 && gtype != 0x07 && gtype != 0x0e && gtype != 0x0f) { raise(GP, gerr); return false; }
  const cpl = load<u32>(CPL);
  if (soft && ((ghi >> 13) & 3) < cpl) { raise(GP, gerr); return false; }
  if (!(ghi & A_P)) { raise(NP, gerr); return false; }
  if (gtype == 0x05) return taskSwitch(glo >>> 16, TASK_CALL, retIp, error, ext); // task gate
  const gate32 = (gtype & 8) != 0;
  const trap = (gtype & 1) != 0;
  const sel = glo >>> 16;
  const eoff = (glo & 0xffff) | (gate32 ? ghi & 0xffff0000 : 0);
  if ((sel & 0xfffc) == 0) { raise(GP, <i32>ext); return false; }
  const serr = <i32>((sel & 0xfffc) | ext);
  if (!readDescriptor(sel)) { if (!aborted) raise(GP, serr); return false; }
  const ca = attrOf(dHi);
  const dpl = dplOf(ca);
  if (!(ca & A_S) || !(ca & A_CODE) || dpl > cpl) { raise(GP, serr); return false; }
  if (!(ca & A_P)) { raise(NP, serr); return false; }
  if (eoff > limitOf(dLo, dHi)) { raise(GP, <i32>ext); return false; }
  const clo = dLo;
  const chi = dHi;
  const fromV86 = vm86();
  const flags = getFlags();
  const w: u32 = gate32 ? 4 : 2;
  if (!(ca & A_DC) && dpl < cpl) {
    if (fromV86 && dpl != 0) { raise(GP, serr); return false; }
    if (!tssStack(dpl, ext)) return false;
    const nss = tssSS;
    const nesp = tssESP;
    if (!checkNewSS(nss, dpl, ext)) return false;
    const slo = dLo;
    const shi = dHi;
    const nbase = baseOf(slo, shi);
    const nmask: u32 = shi & A_D ? 0xffffffff : 0xffff;
    let sp = nesp;
    setUserMode(dpl == 3);
    if (fromV86) {
      sp = (sp - w) & nmask; wr(nbase + sp, segSel(GS), gate32);
      sp = (sp - w) & nmask; wr(nbase + sp, segSel(FS), gate32);
      sp = (sp - w) & nmask; wr(nbase + sp, segSel(DS), gate32);
      sp = (sp - w) & nmask; wr(nbase + sp, segSel(ES), gate32);
    }
    sp = (sp - w) & nmask; wr(nbase + sp, segSel(SS), gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, reg32(ESP), gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, flags, gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, segSel(CS), gate32);
    sp = (sp - w) & nmask; wr(nbase + sp, retIp, gate32);
    if (error >= 0) { sp = (sp - w) & nmask; wr(nbase + sp, <u32>error, gate32); }
    setUserMode(cpl == 3);
    if (aborted) return false;
    setDescriptor(slo, shi);
    loadSSDescriptor(nss);
    if (shi & A_D) setReg32(ESP, sp); else setReg16(ESP, sp);
    if (fromV86) {
      for (let s: u32 = 0; s < 6; s++) {
        if (s == CS || s == SS) continue;
        setSegCache(s, 0, 0, 0, 0);
      }
    }
    store<u32>(EFLAGS, load<u32>(EFLAGS) & ~(F_TF | F_NT | F_RF | F_VM | (trap ? 0 : F_IF)));
    setDescriptor(clo, chi);
    loadCSDescriptor(sel, dpl);
    allSegsChanged();
  } else {
    if (fromV86) { raise(GP, serr); return false; }
    if (gate32) { push<u32>(flags); push<u32>(segSel(CS)); push<u32>(retIp); if (error >= 0) push<u32>(<u32>error); }
    else { push<u16>(flags); push<u16>(segSel(CS)); push<u16>(retIp); if (error >= 0) push<u16>(<u32>error); }
    if (aborted) return false;
    store<u32>(EFLAGS, load<u32>(EFLAGS) & ~(F_TF | F_NT | F_RF | F_VM | (trap ? 0 : F_IF)));
    setDescriptor(clo, chi);
    loadCSDescriptor(sel, cpl);
  }
  store<u32>(EIP, eoff);
  return true;
}

@inline function wr(lin: u32, v: u32, is32: bool): void {
  if (is32) writeLin32(lin, v); else writeLin16(lin, v);
}

// exception classes for double-fault detection
function contributory(v: u32): bool { return v == 0 || (v >= 10 && v <= 13); }

// Delivers a fault raised by an instruction (EIP = the faulting instruction) or a trap, with
// escalation to #DF and to shutdown. Returns an exit reason, or -1 to go on.
// intercept: the exception bitmap applies (not to events the host injects, SDM Vol. 3C 27.6)
export function deliverException(vector: u32, error: i32, retIp: u32, type: u32, intercept: bool = true): i32 {
  let v = vector;
  let e = error;
  for (let tries = 0; tries < 3; tries++) {
    if (intercept && v < 32 && (load<u32>(CTL_EXC_BITMAP) >> v) & 1) {
      store<u32>(EXIT_INTR_INFO, v | (type << 8) | (e >= 0 ? 1 << 11 : 0) | (1 << 31));
      store<u32>(EXIT_INTR_ERROR, e >= 0 ? <u32>e : 0);
      store<u32>(EXIT_QUAL, 0);
      store<u32>(EXIT_INSN_LEN, retIp - load<u32>(EIP));
      return 0; // EXCEPTION_OR_NMI
    }
    clearAbort();
    const sp = reg32(ESP);
    if (deliver(v, retIp, e, type == T_SW_INT || type == T_SW_EXC)) return -1;
    setReg32(ESP, sp);
    // delivery faulted: classify (SDM Vol. 3A table 6-5)
    const nv = <u32>faultVector;
    const ne = faultError;
    clearAbort();
    if (v == DF) { store<u32>(ACTIVITY, 2); return 2; } // TRIPLE_FAULT
    const prev = v;
    if ((contributory(prev) && contributory(nv)) || (prev == 14 && (nv == 14 || contributory(nv)))) {
      v = DF; e = 0;
    } else {
      v = nv; e = ne;
    }
    type = T_HW_EXC;
    retIp = load<u32>(EIP);
    intercept = true;
  }
  store<u32>(ACTIVITY, 2);
  return 2;
}
