// Event delivery: exceptions, software interrupts, INTR and NMI.
// Real mode (SDM Vol. 3A 20.1.4): FLAGS, CS, IP are pushed and CS:IP is loaded from the IVT at
// IDTR.base + 4 * vector; IF, TF and AC are cleared. Exception classes and double faults:
// SDM Vol. 3A 6.15, table 6-5. Protected-mode delivery arrives with the protected-mode issue.
import {
  IDTR_BASE, IDTR_LIMIT, EIP, EFLAGS, CTL_EXC_BITMAP, EXIT_INTR_INFO, EXIT_INTR_ERROR,
  EXIT_INSN_LEN, EXIT_QUAL, ACTIVITY,
} from '../gen/layout';
import { CS, ESP, reg32, setReg32, segSel, F_IF, F_TF, F_AC, F_RF, protectedMode, setSegCache, segAttr, segLimit } from './state';
import { getFlags } from './flags';
import { push } from './stack';
import { readLin16 } from './memory';
import { aborted, raise, clearAbort, faultVector, faultError, GP, DF } from './fault';
import { invalidateFetch } from './memory';

// interruption types (SDM Vol. 3C 25.9.2)
export const T_EXT: u32 = 0;
export const T_NMI: u32 = 2;
export const T_HW_EXC: u32 = 3;
export const T_SW_INT: u32 = 4;
export const T_SW_EXC: u32 = 6; // INT3, INTO

// Delivers vector with the return address retIp; false if delivery itself faulted
// (the new fault is pending in cpu/fault).
export function deliver(vector: u32, retIp: u32, error: i32): bool {
  if (protectedMode()) {
    // protected-mode delivery is not implemented yet: shut down like an unusable IDT would
    raise(GP, <i32>(vector * 8 + 2));
    return false;
  }
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
  setSegCache(CS, cs, cs << 4, segLimit(CS), segAttr(CS));
  store<u32>(EIP, ip);
  invalidateFetch();
  return true;
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
    if (deliver(v, retIp, e)) return -1;
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
