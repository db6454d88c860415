// The page walk (SDM Vol. 3A chapter 4): the TLB's only slow path.
// translate() returns the physical page base | T_RO | T_NOUSER | T_GLOBAL | T_NX for the entry,
// or 0xFFFFFFFF after raising #PF (CR2 = the linear address, error code per 4.7).
// - 32-bit paging (4.3) with 4 MiB pages under CR4.PSE (PSE-36 high bits are not supported);
// - PAE paging (4.4) with 2 MiB pages and NX (IA32_EFER.NXE). The four PDPTEs are read at walk
//   time rather than cached at MOV CR3 (a guest that edits them without reloading CR3 sees its
//   edit sooner than on silicon). MAXPHYADDR is 32: physical address bits 32-51 are reserved.
// Accessed bits are set on every walk, dirty bits on the walk for a write; an entry that is
// clean or read-only gets T_RO so that the first write walks again (4.8).
import { CR, EFER, A20_MASK, PAGE_FAULTS } from '../gen/layout';
import { readPhys32, writePhys32, T_RO, T_NOUSER, T_GLOBAL, T_NX } from './memory';
import { raise, PF } from './fault';

const P: u32 = 1;
const RW: u32 = 2;
const US: u32 = 4;
const A: u32 = 0x20;
const D: u32 = 0x40;
const PS: u32 = 0x80;
const G: u32 = 0x100;

// #PF error code bits
const PF_P: u32 = 1;
const PF_W: u32 = 2;
const PF_U: u32 = 4;
const PF_RSVD: u32 = 8;
const PF_I: u32 = 16;

// a debugger's look-up: no accessed/dirty bits, no fault raised (translate returns -1)
let probe: bool = false;

function pageFault(lin: u32, code: u32): u32 {
  if (probe) return 0xffffffff;
  store<u64>(PAGE_FAULTS, load<u64>(PAGE_FAULTS) + 1);
  store<u32>(CR + 8, lin); // CR2
  raise(PF, <i32>code);
  return 0xffffffff;
}

// sets bits in a paging-structure entry if they are not set yet
@inline function setBits(addr: u32, e: u32, bits: u32): void {
  if ((e & bits) != bits && !probe) writePhys32(addr, e | bits);
}

export function translate(lin: u32, write: bool, user: bool, exec: bool): u32 {
  const cr0 = load<u32>(CR);
  if (!(cr0 & 0x80000000)) return lin & ~0xfff;
  const cr4 = load<u32>(CR + 16);
  const wp = (cr0 & 0x10000) != 0;
  const ecode: u32 = (write ? PF_W : 0) | (user ? PF_U : 0);
  if (cr4 & 0x20) return walkPae(lin, write, user, exec, wp, ecode, cr4);

  const cr3 = load<u32>(CR + 12);
  const pdeAddr = (cr3 & 0xfffff000) | ((lin >>> 22) << 2);
  const pde = readPhys32(pdeAddr);
  if (!(pde & P)) return pageFault(lin, ecode);
  if ((pde & PS) && (cr4 & 0x10)) {
    // 4 MiB page: bits 21:13 are reserved when PSE-36 is not supported (4.3, table 4-5)
    if (pde & 0x003fe000) return pageFault(lin, ecode | PF_P | PF_RSVD);
    const f = check(pde, pde, write, user, wp, lin, ecode);
    if (f == 0xffffffff) return f;
    setBits(pdeAddr, pde, write ? A | D : A);
    const dirty = write || (pde & D) != 0;
    return ((pde & 0xffc00000) | (lin & 0x003ff000)) | f | (dirty ? 0 : T_RO) | (pde & G && cr4 & 0x80 ? T_GLOBAL : 0);
  }
  const pteAddr = (pde & 0xfffff000) | (((lin >>> 12) & 0x3ff) << 2);
  const pte = readPhys32(pteAddr);
  if (!(pte & P)) return pageFault(lin, ecode);
  const f = check(pde, pte, write, user, wp, lin, ecode);
  if (f == 0xffffffff) return f;
  setBits(pdeAddr, pde, A);
  setBits(pteAddr, pte, write ? A | D : A);
  const dirty = write || (pte & D) != 0;
  return (pte & 0xfffff000) | f | (dirty ? 0 : T_RO) | (pte & G && cr4 & 0x80 ? T_GLOBAL : 0);
}

// the combined U/S and R/W rights of two levels (4.6); returns T_RO | T_NOUSER or faults
function check(upper: u32, leaf: u32, write: bool, user: bool, wp: bool, lin: u32, ecode: u32): u32 {
  const rw = (upper & leaf & RW) != 0;
  const us = (upper & leaf & US) != 0;
  if (user && !us) return pageFault(lin, ecode | PF_P);
  if (write && !rw && (user || wp)) return pageFault(lin, ecode | PF_P);
  return (rw ? 0 : T_RO) | (us ? 0 : T_NOUSER);
}

// PAE: 64-bit entries; the high dword holds address bits 32-51 (reserved here) and NX (bit 63)
function walkPae(lin: u32, write: bool, user: bool, exec: bool, wp: bool, ecode: u32, cr4: u32): u32 {
  const nxe = (load<u32>(EFER) & 0x800) != 0;
  const ec = ecode | (exec && nxe ? PF_I : 0);
  // reserved bits of the high dword (SDM tables 4-8 to 4-11): 62:32 (MAXPHYADDR 32, and 62:52
  // are reserved in PAE paging), bit 63 without NXE
  const rsvdHi: u32 = nxe ? 0x7fffffff : 0xffffffff;
  const cr3 = load<u32>(CR + 12);
  const pdpteAddr = (cr3 & 0xffffffe0) | ((lin >>> 30) << 3);
  const pdpte = readPhys32(pdpteAddr);
  if (!(pdpte & P)) return pageFault(lin, ec);
  // PDPTE reserved bits: 2:1, 8:5 and the high address bits (4.4.1)
  if ((pdpte & 0x1e6) || readPhys32(pdpteAddr + 4)) { // PDPTE bit 63 is reserved too
    return pageFault(lin, ec | PF_P | PF_RSVD);
  }
  const pdeAddr = (pdpte & 0xfffff000) | (((lin >>> 21) & 0x1ff) << 3);
  const pde = readPhys32(pdeAddr);
  if (!(pde & P)) return pageFault(lin, ec);
  const pdeHi = readPhys32(pdeAddr + 4);
  if (pdeHi & rsvdHi) return pageFault(lin, ec | PF_P | PF_RSVD);
  let nx = nxe && (pdeHi & 0x80000000) != 0;
  if (pde & PS) {
    if (pde & 0x001fe000) return pageFault(lin, ec | PF_P | PF_RSVD); // 2 MiB page: bits 20:13
    if (exec && nx) return pageFault(lin, ec | PF_P);
    const f = check(pde, pde, write, user, wp, lin, ec);
    if (f == 0xffffffff) return f;
    setBits(pdeAddr, pde, write ? A | D : A);
    const dirty = write || (pde & D) != 0;
    return ((pde & 0xffe00000) | (lin & 0x001ff000)) | f | (dirty ? 0 : T_RO) |
      (pde & G && cr4 & 0x80 ? T_GLOBAL : 0) | (nx ? T_NX : 0);
  }
  const pteAddr = (pde & 0xfffff000) | (((lin >>> 12) & 0x1ff) << 3);
  const pte = readPhys32(pteAddr);
  if (!(pte & P)) return pageFault(lin, ec);
  const pteHi = readPhys32(pteAddr + 4);
  if (pteHi & rsvdHi) return pageFault(lin, ec | PF_P | PF_RSVD);
  nx = nx || (nxe && (pteHi & 0x80000000) != 0);
  if (exec && nx) return pageFault(lin, ec | PF_P);
  const f = check(pde, pte, write, user, wp, lin, ec);
  if (f == 0xffffffff) return f;
  setBits(pdeAddr, pde, A);
  setBits(pteAddr, pte, write ? A | D : A);
  const dirty = write || (pte & D) != 0;
  return (pte & 0xfffff000) | f | (dirty ? 0 : T_RO) | (pte & G && cr4 & 0x80 ? T_GLOBAL : 0) | (nx ? T_NX : 0);
}

// The physical address of lin as a supervisor read would see it, with no side effects, or -1
// when it is not mapped (for debuggers and tools).
export function probeTranslate(lin: u32): i64 {
  probe = true;
  const t = translate(lin, false, false, false);
  probe = false;
  if (t == 0xffffffff) return -1;
  return <i64>(((t & ~0xfff) & load<u32>(A20_MASK)) | (lin & 0xfff));
}
