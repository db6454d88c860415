// Instruction fetch, prefixes, ModRM/SIB effective addresses and operand access.
// SDM Vol. 2 chapter 2 (instruction format) and tables 2-1 to 2-3 (16- and 32-bit ModRM/SIB).
// The decoded instruction is a handful of integers in globals; handlers read them through the
// accessors below. EIP in memory stays at the instruction's first byte until it retires.
import { EIP } from '../gen/layout';
import {
  CS, SS, DS, segBase, segLimit, getReg, setReg, reg32, reg16, EBP, ESP,
} from './state';
import { readLin, writeLin, fetchIpLo, fetchIpLen, fetchBase, fetchRefill, readSlow8, invalidateFetch } from './memory';
import { aborted, raise, ud, GP, SS_ } from './fault';
import { LOCK_OK } from '../gen/lengths';
import { slowRead, slowWrite, segCheckSlow } from './segment';

export const PFX_O32: u32 = 1;
export const PFX_A32: u32 = 2;
export const PFX_LOCK: u32 = 4;
export const PFX_REP: u32 = 8; // F3
export const PFX_REPNE: u32 = 16; // F2
export const PFX_66: u32 = 32; // an operand-size prefix was present (the SSE mandatory prefix)

export let nextEip: u32 = 0; // where the next byte is fetched; the EIP the instruction retires with
export let pfx: u32 = 0;
export let segOvr: i32 = -1;
export let mrm: u32 = 0;
export let eaSeg: u32 = DS;
export let eaOff: u32 = 0;
export let eaBaseEsp: bool = false; // the address uses ESP as its base (POP Ev adjusts it)

@inline export function setNextEip(v: u32): void { nextEip = v; }
@inline export function o32(): bool { return (pfx & PFX_O32) != 0; }
@inline export function a32(): bool { return (pfx & PFX_A32) != 0; }
@inline export function mrmReg(): u32 { return (mrm >> 3) & 7; }
@inline export function mrmRm(): u32 { return mrm & 7; }
@inline export function eaIsReg(): bool { return mrm >= 0xc0; }
@inline export function dataSeg(): u32 { return segOvr >= 0 ? <u32>segOvr : DS; }

// An instruction with four or more prefixes may exceed 15 bytes (SDM 2.3.11: #GP(0)); its
// remaining bytes are fetched through the slow path, which checks the length.
let longInsn: bool = false;
let insnStart: u32 = 0;

export function beginInsn(defaultO32: bool): void {
  nextEip = load<u32>(EIP);
  longInsn = false;
  pfx = defaultO32 ? PFX_O32 | PFX_A32 : 0;
  segOvr = -1;
}

// ---- fetch ----
function fetchFault(): u32 {
  raise(GP, 0);
  return 0;
}

@inline export function fetch8(): u32 {
  const ip = nextEip;
  if (ip - fetchIpLo < fetchIpLen) {
    nextEip = ip + 1;
    return load<u8>(fetchBase + ip);
  }
  return fetch8Slow();
}

function fetch8Slow(): u32 {
  const ip = nextEip;
  const limit = segLimit(CS);
  if (ip > limit) return fetchFault();
  if (longInsn) {
    if (ip - insnStart >= 15) return fetchFault();
    nextEip = ip + 1;
    return readSlow8(segBase(CS) + ip);
  }
  nextEip = ip + 1;
  if (!fetchRefill(ip, segBase(CS), limit)) return aborted ? 0 : readSlow8(segBase(CS) + ip); // MMIO code
  return load<u8>(fetchBase + ip);
}
export function fetch16(): u32 {
  const lo = fetch8();
  return lo | (fetch8() << 8);
}
export function fetch32(): u32 {
  const lo = fetch16();
  return lo | (fetch16() << 16);
}
@inline export function fetchImm<T>(): u32 {
  if (sizeof<T>() == 1) return fetch8();
  if (sizeof<T>() == 2) return fetch16();
  return fetch32();
}
// a sign-extended byte immediate, masked to T
@inline export function fetchImm8s<T>(): u32 {
  const v = <u32><i32><i8>fetch8();
  return sizeof<T>() == 2 ? v & 0xffff : v;
}

// ---- ModRM ----
@inline export function decodeModrm(): void {
  const m = fetch8();
  mrm = m;
  if (m < 0xc0) decodeEA(m);
}

// ModRM of MOV CR/DR: mod is ignored and no displacement follows; the operand is a register
@inline export function decodeModrmReg(): void {
  mrm = fetch8() | 0xc0;
}

// the memory form of ModRM: effective address and default segment
function decodeEA(m: u32): void {
  const mod = m >> 6;
  const rm = m & 7;
  let seg: u32 = DS;
  let off: u32 = 0;
  eaBaseEsp = false;
  if (!(pfx & PFX_A32)) {
    switch (rm) {
      case 0: off = reg16(3) + reg16(6); break; // BX+SI
      case 1: off = reg16(3) + reg16(7); break; // BX+DI
      case 2: off = reg16(5) + reg16(6); seg = SS; break; // BP+SI
      case 3: off = reg16(5) + reg16(7); seg = SS; break; // BP+DI
      case 4: off = reg16(6); break;
      case 5: off = reg16(7); break;
      case 6: if (mod == 0) { off = fetch16(); } else { off = reg16(5); seg = SS; } break;
      default: off = reg16(3); break;
    }
    if (mod == 1) off += <u32><i32><i8>fetch8();
    else if (mod == 2) off += fetch16();
    off &= 0xffff;
  } else {
    if (rm == 4) {
      const sib = fetch8();
      const base = sib & 7;
      const index = (sib >> 3) & 7;
      if (base == 5 && mod == 0) off = fetch32();
      else {
        off = reg32(base);
        if (base == ESP || base == EBP) seg = SS;
        eaBaseEsp = base == ESP;
      }
      if (index != 4) off += reg32(index) << (sib >> 6);
    } else if (rm == 5 && mod == 0) {
      off = fetch32();
    } else {
      off = reg32(rm);
      if (rm == EBP) seg = SS;
    }
    if (mod == 1) off += <u32><i32><i8>fetch8();
    else if (mod == 2) off += fetch32();
  }
  eaSeg = segOvr >= 0 ? <u32>segOvr : seg;
  eaOff = off;
}

// POP Ev with an ESP-based address uses ESP after the pop
export function adjustEaForPop(n: u32): void { if (eaBaseEsp) eaOff += n; }

// ---- segmented memory access ----
// SDM Vol. 3A 5.3: an offset past the limit faults, #SS for the stack segment, #GP otherwise.
function limitFault(seg: u32): void {
  raise(seg == SS ? SS_ : GP, 0);
}

// a read of size bytes at seg:off is allowed (limit, and type for segments flagged slow)
@inline export function checkLimit(seg: u32, off: u32, size: u32): bool {
  if ((slowRead >> seg) & 1) return segCheckSlow(seg, off, size, false);
  const lim = segLimit(seg);
  if (off > lim || lim - off < size - 1) { limitFault(seg); return false; }
  return true;
}
@inline export function checkLimitW(seg: u32, off: u32, size: u32): bool {
  if ((slowWrite >> seg) & 1) return segCheckSlow(seg, off, size, true);
  const lim = segLimit(seg);
  if (off > lim || lim - off < size - 1) { limitFault(seg); return false; }
  return true;
}

@inline export function readSeg<T>(seg: u32, off: u32): u32 {
  if (!checkLimit(seg, off, sizeof<T>())) return 0;
  return readLin<T>(segBase(seg) + off);
}
@inline export function writeSeg<T>(seg: u32, off: u32, v: u32): void {
  if (!checkLimitW(seg, off, sizeof<T>())) return;
  writeLin<T>(segBase(seg) + off, v);
}

// ---- operands ----
@inline export function readE<T>(): u32 {
  if (mrm >= 0xc0) return getReg<T>(mrm & 7);
  return readSeg<T>(eaSeg, eaOff);
}
@inline export function writeE<T>(v: u32): void {
  if (mrm >= 0xc0) setReg<T>(mrm & 7, v);
  else writeSeg<T>(eaSeg, eaOff, v);
}
@inline export function readG<T>(): u32 { return getReg<T>((mrm >> 3) & 7); }
@inline export function writeG<T>(v: u32): void { setReg<T>((mrm >> 3) & 7, v); }

// effective offset + extra, wrapped to the address size (for multi-part memory operands)
@inline export function eaPlus(n: u32): u32 {
  return pfx & PFX_A32 ? eaOff + n : (eaOff + n) & 0xffff;
}

// ---- prefixes and opcode ----
// Reads prefixes (SDM Vol. 2 2.1.1; the last segment override wins) and the opcode. Returns the
// dispatch index (opcode | 0x100 for 0F xx | 0x200 for a 32-bit operand size), or 0xFFFFFFFF
// when the fetch faulted or the LOCK prefix is illegal here.
@inline export function decodeOpcode(defaultO32: bool): u32 {
  const start = nextEip;
  let b = fetch8();
  // most instructions have no prefix: one test before the prefix switch
  if ((b & 0xe7) != 0x26 && (b & 0xfc) != 0x64 && b < 0xf0 && b != 0x0f && !aborted) {
    return b | (pfx & PFX_O32 ? 0x200 : 0);
  }
  while (true) {
    switch (b) {
      case 0x26: segOvr = 0; break;
      case 0x2e: segOvr = 1; break;
      case 0x36: segOvr = 2; break;
      case 0x3e: segOvr = 3; break;
      case 0x64: segOvr = 4; break;
      case 0x65: segOvr = 5; break;
      case 0x66: pfx = (defaultO32 ? pfx & ~PFX_O32 : pfx | PFX_O32) | PFX_66; break;
      case 0x67: pfx = defaultO32 ? pfx & ~PFX_A32 : pfx | PFX_A32; break;
      case 0xf0: pfx |= PFX_LOCK; break;
      case 0xf2: pfx = (pfx & ~PFX_REP) | PFX_REPNE; break;
      case 0xf3: pfx = (pfx & ~PFX_REPNE) | PFX_REP; break;
      case 0x0f: b = 0x100 | fetch8(); // fall through
      default: {
        if (aborted) return 0xffffffff;
        if (pfx & PFX_LOCK && !lockAllowed(b)) { ud(); return 0xffffffff; }
        return b | (pfx & PFX_O32 ? 0x200 : 0);
      }
    }
    // SDM 2.3.11: an instruction longer than 15 bytes raises #GP(0)
    if (nextEip - start >= 15) { raise(GP, 0); return 0xffffffff; }
    if (nextEip - start == 4) {
      longInsn = true;
      insnStart = start;
      invalidateFetch(); // the rest of this instruction goes through fetch8Slow
    }
    b = fetch8();
    if (aborted) return 0xffffffff;
  }
}

// LOCK is legal only on the forms that allow it, and only with a memory destination (SDM LOCK)
function lockAllowed(idx: u32): bool {
  const ok = <u32>LOCK_OK[idx];
  if (ok == 0) return false;
  const save = nextEip;
  const m = fetch8(); // peek at ModRM
  nextEip = save;
  if (aborted || m >= 0xc0) return false;
  return ((ok >> ((m >> 3) & 7)) & 1) != 0;
}
