// Segment descriptors (SDM Vol. 3A 3.4.5): reading them from the GDT/LDT and decoding them.
// Descriptor-table reads are implicit supervisor accesses (5.11), even at CPL 3.
import { GDTR_BASE, GDTR_LIMIT } from '../gen/layout';
import { segBase, segLimit, segAttr, LDTR } from './state';
import { readSys32, writeSys8 } from './memory';
import { aborted } from './fault';

// the last descriptor read
export let dLo: u32 = 0;
export let dHi: u32 = 0;

// attribute bits as kept in SEG_ATTR (the descriptor's high dword, bits 8-23)
export const A_ACCESSED: u32 = 1 << 8;
export const A_RW: u32 = 1 << 9; // data: writable; code: readable
export const A_DC: u32 = 1 << 10; // data: expand-down; code: conforming
export const A_CODE: u32 = 1 << 11;
export const A_S: u32 = 1 << 12; // code or data (not system)
export const A_P: u32 = 1 << 15;
export const A_D: u32 = 1 << 22;
export const A_G: u32 = 1 << 23;

@inline export function attrOf(hi: u32): u32 { return hi & 0x00f0ff00; }
@inline export function dplOf(attr: u32): u32 { return (attr >> 13) & 3; }
@inline export function typeOf(attr: u32): u32 { return (attr >> 8) & 15; }
@inline export function baseOf(lo: u32, hi: u32): u32 { return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000); }
@inline export function limitOf(lo: u32, hi: u32): u32 {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return hi & A_G ? (l << 12) | 0xfff : l;
}

// Reads the descriptor for sel into dLo/dHi. Returns false when sel is outside its table
// (the caller raises the right fault); an access fault (#PF) sets `aborted`.
export function readDescriptor(sel: u32): bool {
  const off = sel & 0xfff8;
  let base: u32, limit: u32;
  if (sel & 4) {
    // an LDT selector with no usable LDT loaded is outside its table
    if (!(segAttr(LDTR) & A_P)) return false;
    base = segBase(LDTR);
    limit = segLimit(LDTR);
  } else {
    base = load<u32>(GDTR_BASE);
    limit = load<u32>(GDTR_LIMIT);
  }
  if (off + 7 > limit) return false;
  dLo = readSys32(base + off);
  dHi = readSys32(base + off + 4);
  return !aborted;
}

// puts a saved descriptor back into dLo/dHi (nested reads overwrite them)
export function setDescriptor(lo: u32, hi: u32): void { dLo = lo; dHi = hi; }

// the linear address of the descriptor last read, for setting its accessed or busy bit
export function descriptorAddr(sel: u32): u32 {
  return ((sel & 4) ? segBase(LDTR) : load<u32>(GDTR_BASE)) + (sel & 0xfff8);
}

// sets the accessed bit of a code/data descriptor (a locked write, SDM 3.4.5.1)
export function setAccessed(sel: u32): void {
  if (dHi & A_ACCESSED) return;
  dHi |= A_ACCESSED;
  writeSys8(descriptorAddr(sel) + 5, (dHi >> 8) & 0xff);
}
