// Guest memory: the soft TLB (shadow paging) and the physical page map.
//
// Every guest linear address goes through TLB[lin >>> 12], one u32 per linear page:
//   (wasm address of the physical page ^ linear page base) | flags in the low 12 bits.
// The fast path is one load and one compare of the flag bits; a miss, an MMIO page, a write
// to a read-only entry or a user access to a supervisor entry takes the slow path, which
// walks the guest page tables (cpu/paging.ts) and refills the entry.
// PMAP[phys >>> 12] says what backs each physical page: wasm page address | P_* type.
import {
  TLB_BASE, PMAP_BASE, TLB_LIST_BASE, TLB_LIST_SIZE, TLB_SIZE, A20_MASK, EXIT_COUNT, CR,
  TLB_MISSES, TLB_FLUSH_FULL, TLB_FLUSH_ONE,
} from '../gen/layout';
import { translate } from './paging';
import { aborted } from './fault';
import { countTlbHit } from '../stats';
import { watchActive, watchAccess, pageWatched } from './debug';

// TLB entry flags
export const T_VALID: u32 = 1;
export const T_RO: u32 = 2; // writes take the slow path (ROM, clean or read-only page)
export const T_NOUSER: u32 = 4; // user accesses take the slow path
export const T_MMIO: u32 = 8; // not RAM/ROM: every access goes to the host
export const T_ROM: u32 = 16; // ROM: writes are dropped (with T_RO)
export const T_GLOBAL: u32 = 32; // a global page (CR4.PGE): kept across CR3 loads
export const T_NX: u32 = 64; // not executable: instruction fetches take the slow path
export const T_WATCH: u32 = 128; // the page holds a data breakpoint (cpu/debug.ts)

// PMAP entry types
export const P_RAM: u32 = 1;
export const P_ROM: u32 = 2;

// the access mask for the current privilege: reads check these bits, writes add T_RO
export let readMask: u32 = T_VALID | T_MMIO | T_WATCH;
export let writeMask: u32 = T_VALID | T_MMIO | T_WATCH | T_RO;
export function setUserMode(user: bool): void {
  readMask = T_VALID | T_MMIO | T_WATCH | (user ? T_NOUSER : 0);
  writeMask = readMask | T_RO;
}

let tlbCount: u32 = 0;
const TLB_LIST_MAX: u32 = TLB_LIST_SIZE >> 2;

// host callbacks for physical accesses that hit neither RAM nor ROM (EPT_VIOLATION, reason 48)
@external('env', 'mmioRead') declare function mmioRead(addr: u32, size: u32): u32;
@external('env', 'mmioWrite') declare function mmioWrite(addr: u32, size: u32, value: u32): void;

@inline function tlbEntry(lin: u32): u32 { return load<u32>(TLB_BASE + ((lin >>> 12) << 2)); }

// a flush the guest asked for (counted in TLB_FLUSH_FULL)
export function flushTlb(): void {
  flushTlbEntries(false);
  store<u64>(TLB_FLUSH_FULL, load<u64>(TLB_FLUSH_FULL) + 1);
}

// a CR3 load: entries of global pages stay when CR4.PGE is set (SDM Vol. 3A 4.10.4.1)
export function flushTlbNonGlobal(): void {
  flushTlbEntries((load<u32>(CR + 16) & 0x80) != 0);
  store<u64>(TLB_FLUSH_FULL, load<u64>(TLB_FLUSH_FULL) + 1);
}

// the host changed the memory map or the state: not counted
export function dropTlb(): void { flushTlbEntries(false); }

function flushTlbEntries(keepGlobal: bool): void {
  if (tlbCount >= TLB_LIST_MAX) {
    memory.fill(TLB_BASE, 0, TLB_SIZE); // the list overflowed: everything goes, globals too
    tlbCount = 0;
  } else {
    let kept: u32 = 0;
    for (let i: u32 = 0; i < tlbCount; i++) {
      const page = load<u32>(TLB_LIST_BASE + (i << 2));
      const slot = TLB_BASE + (page << 2);
      if (keepGlobal && (load<u32>(slot) & T_GLOBAL)) {
        store<u32>(TLB_LIST_BASE + (kept++ << 2), page);
      } else {
        store<u32>(slot, 0);
      }
    }
    tlbCount = kept;
  }
  invalidateFetch();
}

export function flushTlbPage(lin: u32): void {
  store<u32>(TLB_BASE + ((lin >>> 12) << 2), 0);
  store<u64>(TLB_FLUSH_ONE, load<u64>(TLB_FLUSH_ONE) + 1);
  invalidateFetch();
}

// Fills the entry for lin; returns it, or 0 when the walk faulted (the fault is raised).
export function tlbFill(lin: u32, write: bool, user: bool, exec: bool): u32 {
  store<u64>(TLB_MISSES, load<u64>(TLB_MISSES) + 1);
  const t = translate(lin, write, user, exec); // physical page | T_RO T_NOUSER T_GLOBAL T_NX, or -1
  if (t == 0xffffffff) return 0;
  const tf = t & (T_RO | T_NOUSER | T_GLOBAL | T_NX);
  const phys = (t & ~0xfff) & load<u32>(A20_MASK);
  const p = load<u32>(PMAP_BASE + ((phys >>> 12) << 2));
  let e: u32;
  if (p & (P_RAM | P_ROM)) {
    e = ((p & ~0xfff) ^ (lin & ~0xfff)) | T_VALID | tf | (p & P_ROM ? T_RO | T_ROM : 0);
  } else {
    // MMIO: keep the physical page in the entry, the flag sends every access to the host
    e = phys | T_VALID | T_MMIO | tf;
  }
  if (watchActive && pageWatched(lin)) e |= T_WATCH;
  const slot = TLB_BASE + ((lin >>> 12) << 2);
  if (load<u32>(slot) == 0) {
    if (tlbCount < TLB_LIST_MAX) store<u32>(TLB_LIST_BASE + (tlbCount << 2), lin >>> 12);
    tlbCount++;
  }
  store<u32>(slot, e);
  return e;
}

// ---- byte-granular slow paths ----
function slowEntry(lin: u32, write: bool): u32 {
  const user = (readMask & T_NOUSER) != 0;
  let e = tlbEntry(lin);
  const need = write ? writeMask : readMask;
  if ((e & need & ~(T_MMIO | T_WATCH)) != T_VALID) {
    e = tlbFill(lin, write, user, false);
    if (e == 0) return 0;
  }
  return e;
}

// The wasm address of an access of size bytes at lin when the TLB fast path serves all of it (one
// page of RAM, allowed at this privilege, no watchpoint; for a write, writable and dirty), else 0
// (RAM starts above 0 in wasm memory). Wide SIMD operands use it to move 8 bytes at a time.
@inline export function fastAddr(lin: u32, size: u32, write: bool): u32 {
  const e = tlbEntry(lin);
  if ((e & (write ? writeMask : readMask)) != T_VALID || (lin & 0xfff) > 0x1000 - size) return 0;
  countTlbHit();
  return (e & ~0xfff) ^ lin;
}

// A multi-part store that crosses a page checks that the last byte's page is writable before it
// writes the first part, so a #PF there leaves memory unchanged; false after raising the fault.
export function probeWrite(lin: u32): bool {
  return slowEntry(lin, true) != 0;
}

export function readSlow8(lin: u32): u32 {
  if (watchActive) watchAccess(lin, 1, false);
  const e = slowEntry(lin, false);
  if (e == 0) return 0;
  if (e & T_MMIO) return mmio(e, lin, 1, false, 0);
  return load<u8>((e & ~0xfff) ^ lin);
}

export function writeSlow8(lin: u32, v: u32): void {
  if (watchActive) watchAccess(lin, 1, true);
  const e = slowEntry(lin, true);
  if (e == 0) return;
  if (e & T_MMIO) { mmio(e, lin, 1, true, v); return; }
  if (e & T_ROM) return; // ROM: writes are dropped
  const a = (e & ~0xfff) ^ lin;
  store<u8>(a, v);
}

function mmio(e: u32, lin: u32, size: u32, write: bool, v: u32): u32 {
  const phys = (e & ~0xfff) | (lin & 0xfff);
  store<u64>(EXIT_COUNT + 48 * 8, load<u64>(EXIT_COUNT + 48 * 8) + 1);
  if (write) { mmioWrite(phys, size, v); return 0; }
  return mmioRead(phys, size);
}

// an access that straddles a page or needs the slow path; each byte on its own
function readSlow(lin: u32, size: u32): u32 {
  if (watchActive) watchAccess(lin, size, false);
  const e = tlbEntry(lin);
  if ((lin & 0xfff) <= 0x1000 - size && (e & readMask) == (T_VALID | T_MMIO)) {
    return mmio(e, lin, size, false, 0);
  }
  if ((lin & 0xfff) <= 0x1000 - size) {
    const e2 = slowEntry(lin, false);
    if (e2 == 0) return 0;
    if (e2 & T_MMIO) return mmio(e2, lin, size, false, 0);
    const a = (e2 & ~0xfff) ^ lin;
    return size == 2 ? <u32>load<u16>(a) : load<u32>(a);
  }
  // crossing a page: check both pages before reading (a fault leaves nothing half done); a
  // fault on the second page reports that page's first byte in CR2
  if (slowEntry((lin + size - 1) & ~0xfff, false) == 0) return 0;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    v |= readSlow8(lin + i) << (i << 3);
    if (aborted) return 0;
  }
  return v;
}

function writeSlow(lin: u32, size: u32, v: u32): void {
  if (watchActive) watchAccess(lin, size, true);
  if ((lin & 0xfff) <= 0x1000 - size) {
    const e = slowEntry(lin, true);
    if (e == 0) return;
    if (e & T_MMIO) { mmio(e, lin, size, true, v); return; }
    if (e & T_ROM) return;
    const a = (e & ~0xfff) ^ lin;
    if (size == 2) store<u16>(a, v); else store<u32>(a, v);
    return;
  }
  if (slowEntry(lin, true) == 0) return;
  if (slowEntry((lin + size - 1) & ~0xfff, true) == 0) return;
  for (let i: u32 = 0; i < size; i++) writeSlow8(lin + i, v >>> (i << 3));
}

// Implicit supervisor accesses (descriptor tables, the TSS; SDM Vol. 3A 5.11): checked as CPL 0
// whatever the current privilege.
let savedRead: u32 = 0;
let savedWrite: u32 = 0;
@inline function enterSys(): void { savedRead = readMask; savedWrite = writeMask; setUserMode(false); }
@inline function leaveSys(): void { readMask = savedRead; writeMask = savedWrite; }
export function readSys32(lin: u32): u32 { enterSys(); const v = readLin32(lin); leaveSys(); return v; }
export function readSys16(lin: u32): u32 { enterSys(); const v = readLin16(lin); leaveSys(); return v; }
export function writeSys8(lin: u32, v: u32): void { enterSys(); writeLin8(lin, v); leaveSys(); }
export function writeSys16(lin: u32, v: u32): void { enterSys(); writeLin16(lin, v); leaveSys(); }
export function writeSys32(lin: u32, v: u32): void { enterSys(); writeLin32(lin, v); leaveSys(); }

// ---- the fast paths ----
@inline export function readLin8(lin: u32): u32 {
  const e = tlbEntry(lin);
  if ((e & readMask) == T_VALID) { countTlbHit(); return load<u8>((e & ~0xfff) ^ lin); }
  return readSlow8(lin);
}
@inline export function readLin16(lin: u32): u32 {
  const e = tlbEntry(lin);
  if ((e & readMask) == T_VALID && (lin & 0xfff) != 0xfff) { countTlbHit(); return load<u16>((e & ~0xfff) ^ lin); }
  return readSlow(lin, 2);
}
@inline export function readLin32(lin: u32): u32 {
  const e = tlbEntry(lin);
  if ((e & readMask) == T_VALID && (lin & 0xfff) <= 0xffc) { countTlbHit(); return load<u32>((e & ~0xfff) ^ lin); }
  return readSlow(lin, 4);
}
@inline export function writeLin8(lin: u32, v: u32): void {
  const e = tlbEntry(lin);
  if ((e & writeMask) == T_VALID) { countTlbHit(); store<u8>((e & ~0xfff) ^ lin, v); return; }
  writeSlow8(lin, v);
}
@inline export function writeLin16(lin: u32, v: u32): void {
  const e = tlbEntry(lin);
  if ((e & writeMask) == T_VALID && (lin & 0xfff) != 0xfff) { countTlbHit(); store<u16>((e & ~0xfff) ^ lin, v); return; }
  writeSlow(lin, 2, v);
}
@inline export function writeLin32(lin: u32, v: u32): void {
  const e = tlbEntry(lin);
  if ((e & writeMask) == T_VALID && (lin & 0xfff) <= 0xffc) { countTlbHit(); store<u32>((e & ~0xfff) ^ lin, v); return; }
  writeSlow(lin, 4, v);
}
@inline export function readLin<T>(lin: u32): u32 {
  if (sizeof<T>() == 1) return readLin8(lin);
  if (sizeof<T>() == 2) return readLin16(lin);
  return readLin32(lin);
}
@inline export function writeLin<T>(lin: u32, v: u32): void {
  if (sizeof<T>() == 1) writeLin8(lin, v);
  else if (sizeof<T>() == 2) writeLin16(lin, v);
  else writeLin32(lin, v);
}

// ---- instruction fetch: a window of EIP values whose bytes sit in one RAM/ROM page ----
// For ip - fetchIpLo < fetchIpLen (unsigned), the byte at CS:ip is at wasm address fetchBase + ip.
// The window never crosses a page or the CS limit; CS loads, TLB flushes and host changes close it.
export let fetchIpLo: u32 = 0;
export let fetchIpLen: u32 = 0;
export let fetchBase: u32 = 0;
export function invalidateFetch(): void { fetchIpLen = 0; }

// opens the window around ip (known to be within the CS limit); false when the fetch faulted
// or the code is not in RAM/ROM (then it is fetched byte by byte through the slow path)
export function fetchRefill(ip: u32, csBase: u32, csLimit: u32): bool {
  const lin = csBase + ip;
  const user = (readMask & T_NOUSER) != 0;
  let e = tlbEntry(lin);
  if ((e & (readMask | T_NX) & ~(T_MMIO | T_WATCH)) != T_VALID) {
    e = tlbFill(lin, false, user, true); // raises #PF for a non-executable page
    if (e == 0) return false;
  }
  if (e & T_MMIO) return false;
  const pageLin = lin & ~0xfff;
  const lo = <i64>ip - <i64>(lin & 0xfff); // the EIP of the page's first byte (may be negative)
  let end = lo + 0x1000;
  if (end > <i64>csLimit + 1) end = <i64>csLimit + 1;
  fetchIpLo = <u32>lo;
  fetchIpLen = <u32>(end - lo);
  fetchBase = (((e & ~0xfff) ^ pageLin) - pageLin) + csBase;
  return true;
}

// ---- physical memory (host loaders, the page walker) ----
export function physToWasm(phys: u32): u32 {
  const p = load<u32>(PMAP_BASE + ((phys >>> 12) << 2));
  if (!(p & (P_RAM | P_ROM))) return 0;
  return (p & ~0xfff) | (phys & 0xfff);
}
export function readPhys32(phys: u32): u32 {
  const a = physToWasm(phys);
  if (a == 0) return mmioRead(phys, 4);
  return load<u32>(a);
}
export function writePhys32(phys: u32, v: u32): void {
  const a = physToWasm(phys);
  if (a == 0) { mmioWrite(phys, 4, v); return; }
  const p = load<u32>(PMAP_BASE + ((phys >>> 12) << 2));
  if (p & P_ROM) return;
  store<u32>(a, v);
}

// page map setup: [phys, phys+size) is backed by wasm memory at wasm, as RAM or ROM, or unmapped
export function mapPages(phys: u32, size: u32, wasm: u32, type: u32): void {
  for (let off: u32 = 0; off < size; off += 0x1000) {
    store<u32>(PMAP_BASE + (((phys + off) >>> 12) << 2), type ? ((wasm + off) | type) : 0);
  }
  dropTlb();
}
