/**
 * Multiboot (version 1) loader, following the Multiboot Specification 0.6.96: the OS image
 * header (3.1: magic 0x1BADB002 4-byte aligned within the first 8192 bytes, checksum, flags,
 * the a.out kludge address fields of flag 16), the machine state (3.2: EAX 0x2BADB002, EBX the
 * multiboot_info address, flat CS and data segments, paging off, IF and VM clear) and the boot
 * information format (3.3: mem_lower/mem_upper, cmdline, mods, mmap with a size field before
 * each entry, boot_loader_name).
 *
 * Without flag 16 the image must be an ELF32 executable: PT_LOAD segments go to their physical
 * addresses and the entry point is e_entry, translated from the virtual to the physical address
 * space through the segment that contains it (as GRUB does) when p_vaddr != p_paddr.
 * Modules follow the kernel, each page aligned; mod_end is exclusive (start + size), as GRUB and
 * QEMU set it.
 */
import { loadSegments, parseElf32, PT_LOAD, isElf } from './elf.js';
import {
  BOOT_STACK_TOP,
  CMDLINE_ADDR,
  EBDA_START,
  GDT_ADDR,
  GDT_LIMIT,
  HIGH_MEMORY,
  INFO_ADDR,
  INFO_END,
  KiB,
  Le,
  LeReader,
  LoaderError,
  MiB,
  PAGE,
  SEL_CODE,
  SEL_DATA,
  STRINGS_END,
  alignUp,
  checkWrites,
  cString,
  e820Notes,
  gdtWrite,
  hex,
  mib,
  pcMemoryMap,
  type BootPlan,
  type PlanWrite,
} from './plan.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
export const MULTIBOOT_SEARCH = 8192;

// header flags
export const MBH_PAGE_ALIGN = 1 << 0;
export const MBH_MEMORY_INFO = 1 << 1;
export const MBH_VIDEO_MODE = 1 << 2;
export const MBH_AOUT_KLUDGE = 1 << 16;
const MBH_KNOWN_MANDATORY = MBH_PAGE_ALIGN | MBH_MEMORY_INFO | MBH_VIDEO_MODE;

// multiboot_info flags
export const MBI_MEMORY = 1 << 0;
export const MBI_CMDLINE = 1 << 2;
export const MBI_MODS = 1 << 3;
export const MBI_MEM_MAP = 1 << 6;
export const MBI_BOOT_LOADER_NAME = 1 << 9;

/** multiboot_info field offsets (3.3); the structure is 88 bytes. */
export const MBI = {
  flags: 0,
  memLower: 4,
  memUpper: 8,
  bootDevice: 12,
  cmdline: 16,
  modsCount: 20,
  modsAddr: 24,
  syms: 28,
  mmapLength: 44,
  mmapAddr: 48,
  drivesLength: 52,
  drivesAddr: 56,
  configTable: 60,
  bootLoaderName: 64,
  apmTable: 68,
  size: 88,
} as const;
/** Module entries: mod_start, mod_end, string, reserved. */
export const MOD_ENTRY_SIZE = 16;
/** mmap entries: size (= 20, not counting itself), base_addr u64, length u64, type u32. */
export const MMAP_ENTRY_SIZE = 24;

export const MBI_ADDR = INFO_ADDR;
export const MMAP_ADDR = INFO_ADDR + 0x100;
export const MODS_ADDR = INFO_ADDR + 0x200;
export const MAX_MODULES = (INFO_END - MODS_ADDR) / MOD_ENTRY_SIZE;
export const BOOT_LOADER_NAME = 'wasmvisor';

export interface MultibootHeader {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
  modeType: number;
  width: number;
  height: number;
  depth: number;
}

export interface BootModule {
  bytes: Uint8Array;
  /** The module's string (QEMU passes the whole "file args" text). */
  cmdline?: string;
}

/** Finds the first Multiboot header with a valid checksum; `badChecksumAt` reports a magic
 * whose checksum did not match when no valid header was found. */
export function findMultibootHeader(file: Uint8Array): { header?: MultibootHeader; badChecksumAt?: number } {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const end = Math.min(MULTIBOOT_SEARCH, file.length) - 12;
  let badChecksumAt: number | undefined;
  for (let off = 0; off <= end; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true);
    const checksum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      badChecksumAt ??= off;
      continue;
    }
    const r = new LeReader(file, 'Multiboot kernel');
    const opt = (o: number, need: boolean) => (need ? r.u32(off + o) : 0);
    const aout = (flags & MBH_AOUT_KLUDGE) !== 0;
    const video = (flags & MBH_VIDEO_MODE) !== 0;
    return {
      header: {
        offset: off,
        flags,
        headerAddr: opt(12, aout),
        loadAddr: opt(16, aout),
        loadEndAddr: opt(20, aout),
        bssEndAddr: opt(24, aout),
        entryAddr: opt(28, aout),
        modeType: opt(32, video),
        width: opt(36, video),
        height: opt(40, video),
        depth: opt(44, video),
      },
    };
  }
  return { badChecksumAt };
}

export function hasMultibootHeader(file: Uint8Array): boolean {
  try {
    return findMultibootHeader(file).header !== undefined;
  } catch {
    return true; // a valid magic and checksum whose fields run past the end: let the loader say so
  }
}

export interface MultibootOptions {
  ramBytes: number;
  cmdline?: string;
  modules?: BootModule[];
  /** If given, the command line is "kernelName cmdline" (QEMU and GRUB pass the image name first). */
  kernelName?: string;
}

interface LoadedKernel {
  writes: PlanWrite[];
  entry: number;
  high: number;
}

function loadAout(file: Uint8Array, h: MultibootHeader, notes: string[]): LoadedKernel {
  if (h.loadAddr > h.headerAddr) {
    throw new LoaderError(`Multiboot header: load_addr ${hex(h.loadAddr)} is above header_addr ${hex(h.headerAddr)}`);
  }
  const fileOff = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOff < 0) {
    throw new LoaderError(`Multiboot header: header_addr - load_addr (${hex(h.headerAddr - h.loadAddr)}) is more than the header's file offset ${hex(h.offset)}`);
  }
  let size: number;
  if (h.loadEndAddr === 0) {
    size = file.length - fileOff;
  } else {
    if (h.loadEndAddr <= h.loadAddr) throw new LoaderError(`Multiboot header: load_end_addr ${hex(h.loadEndAddr)} is not above load_addr ${hex(h.loadAddr)}`);
    size = h.loadEndAddr - h.loadAddr;
    if (fileOff + size > file.length) {
      throw new LoaderError(
        `truncated Multiboot kernel: load_end_addr asks for ${size} bytes from file offset ${hex(fileOff)}, file has ${file.length} bytes`,
      );
    }
  }
  const loadEnd = h.loadAddr + size;
  const writes: PlanWrite[] = [{ addr: h.loadAddr, bytes: file.subarray(fileOff, fileOff + size), what: 'kernel image' }];
  let high = loadEnd;
  if (h.bssEndAddr !== 0) {
    if (h.bssEndAddr < loadEnd) throw new LoaderError(`Multiboot header: bss_end_addr ${hex(h.bssEndAddr)} is below the loaded image's end ${hex(loadEnd)}`);
    if (h.bssEndAddr > loadEnd) writes.push({ addr: loadEnd, bytes: new Uint8Array(h.bssEndAddr - loadEnd), what: 'kernel bss' });
    high = h.bssEndAddr;
  }
  if (h.entryAddr < h.loadAddr || h.entryAddr >= high) {
    throw new LoaderError(`Multiboot header: entry_addr ${hex(h.entryAddr)} is outside the image ${hex(h.loadAddr)}-${hex(high - 1)}`);
  }
  notes.push(
    `Multiboot a.out kludge: file offset ${hex(fileOff)} -> ${hex(h.loadAddr)}-${hex(loadEnd - 1)}${high > loadEnd ? `, bss to ${hex(high - 1)}` : ''}`,
  );
  return { writes, entry: h.entryAddr, high };
}

function loadElf(file: Uint8Array, notes: string[]): LoadedKernel {
  const elf = parseElf32(file, 'Multiboot ELF kernel');
  const seg = loadSegments(file, elf, 'kernel');
  for (const w of seg.writes) notes.push(`${w.what}: ${hex(w.addr)}-${hex(w.addr + w.bytes.length - 1)}`);
  const loads = elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  const e = elf.entry;
  let entry = e;
  const byVirt = loads.find((s) => e >= s.vaddr && e < s.vaddr + s.memsz);
  if (byVirt) {
    entry = e - byVirt.vaddr + byVirt.paddr;
    if (entry !== e) notes.push(`ELF entry ${hex(e)} is virtual: physical entry ${hex(entry)}`);
  } else if (!loads.some((s) => e >= s.paddr && e < s.paddr + s.memsz)) {
    throw new LoaderError(`Multiboot ELF kernel: entry point ${hex(e)} is not inside any loadable segment`);
  }
  return { writes: seg.writes, entry, high: seg.high };
}

export function loadMultiboot(file: Uint8Array, opts: MultibootOptions): BootPlan {
  if (file.length === 0) throw new LoaderError('kernel image is empty');
  const e820 = pcMemoryMap(opts.ramBytes);
  const ram = opts.ramBytes;
  const found = findMultibootHeader(file);
  const h = found.header;
  if (!h) {
    if (found.badChecksumAt !== undefined) throw new LoaderError(`Multiboot header at file offset ${hex(found.badChecksumAt)} has a bad checksum`);
    throw new LoaderError(`not a Multiboot kernel: no header (magic 0x1BADB002) in the first ${MULTIBOOT_SEARCH} bytes`);
  }
  const unknown = h.flags & 0xffff & ~MBH_KNOWN_MANDATORY;
  if (unknown) {
    throw new LoaderError(`Multiboot header requires features this loader does not know (mandatory flag bits ${hex(unknown)})`);
  }
  const notes: string[] = [`Multiboot header at file offset ${hex(h.offset)}, flags ${hex(h.flags)}`];
  if (h.flags & MBH_VIDEO_MODE) {
    notes.push(`kernel asks for video mode type ${h.modeType} ${h.width}x${h.height}x${h.depth}: ignored (no framebuffer)`);
  }
  let k: LoadedKernel;
  if (h.flags & MBH_AOUT_KLUDGE) {
    k = loadAout(file, h, notes);
  } else {
    if (!isElf(file)) throw new LoaderError('Multiboot kernel is neither ELF nor has the a.out kludge (header flag 16) load addresses');
    k = loadElf(file, notes);
  }
  if (k.high > ram) {
    throw new LoaderError(`kernel needs at least ${mib(alignUp(k.high, MiB))} of RAM (it ends at ${hex(k.high - 1)}), the machine has ${mib(ram)}`);
  }
  const writes: PlanWrite[] = [...k.writes];

  // strings: the command line, the module strings, the boot loader's name
  let strAt = CMDLINE_ADDR;
  const addString = (s: string, what: string): number => {
    const c = cString(s, what);
    if (strAt + c.bytes.length > STRINGS_END) {
      throw new LoaderError(`the command line and module strings need more than ${STRINGS_END - CMDLINE_ADDR} bytes`);
    }
    const at = strAt;
    writes.push({ addr: at, bytes: c.bytes, what });
    strAt += c.bytes.length;
    return at;
  };
  const cmdText = opts.kernelName !== undefined ? [opts.kernelName, opts.cmdline ?? ''].filter((s) => s !== '').join(' ') : (opts.cmdline ?? '');
  const cmdAddr = addString(cmdText, 'command line');
  notes.push(`command line at ${hex(cmdAddr)}: "${cmdText}"`);

  const mods = opts.modules ?? [];
  if (mods.length > MAX_MODULES) throw new LoaderError(`too many Multiboot modules (${mods.length}; at most ${MAX_MODULES})`);
  const modList = new Uint8Array(mods.length * MOD_ENTRY_SIZE);
  const ml = new Le(modList);
  let at = Math.max(alignUp(k.high, PAGE), HIGH_MEMORY);
  mods.forEach((m, i) => {
    const start = alignUp(at, PAGE);
    const end = start + m.bytes.length;
    if (end > ram) {
      const total = mods.slice(i).reduce((n, x) => n + alignUp(x.bytes.length, PAGE), start);
      throw new LoaderError(`not enough RAM for the kernel and its modules: needs at least ${mib(alignUp(total, MiB))}, the machine has ${mib(ram)}`);
    }
    writes.push({ addr: start, bytes: m.bytes, what: `module ${i}` });
    const strAddr = addString(m.cmdline ?? '', `module ${i} string`);
    ml.u32(i * MOD_ENTRY_SIZE, start);
    ml.u32(i * MOD_ENTRY_SIZE + 4, end);
    ml.u32(i * MOD_ENTRY_SIZE + 8, strAddr);
    notes.push(`module ${i} at ${hex(start)}-${hex(end - 1)} (${m.bytes.length} bytes) "${m.cmdline ?? ''}"`);
    at = end;
  });
  const nameAddr = addString(BOOT_LOADER_NAME, 'boot loader name');

  const mmap = new Uint8Array(e820.length * MMAP_ENTRY_SIZE);
  const mm = new Le(mmap);
  e820.forEach((e, i) => {
    const o = i * MMAP_ENTRY_SIZE;
    mm.u32(o, MMAP_ENTRY_SIZE - 4);
    mm.u64(o + 4, e.addr);
    mm.u64(o + 12, e.size);
    mm.u32(o + 20, e.type);
  });

  const info = new Uint8Array(MBI.size);
  const w = new Le(info);
  w.u32(MBI.flags, MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MEM_MAP | MBI_BOOT_LOADER_NAME);
  w.u32(MBI.memLower, Math.floor(EBDA_START / KiB));
  w.u32(MBI.memUpper, Math.floor((ram - HIGH_MEMORY) / KiB));
  w.u32(MBI.cmdline, cmdAddr);
  w.u32(MBI.modsCount, mods.length);
  w.u32(MBI.modsAddr, MODS_ADDR);
  w.u32(MBI.mmapLength, mmap.length);
  w.u32(MBI.mmapAddr, MMAP_ADDR);
  w.u32(MBI.bootLoaderName, nameAddr);

  writes.push({ addr: MBI_ADDR, bytes: info, what: 'multiboot_info' });
  writes.push({ addr: MMAP_ADDR, bytes: mmap, what: 'multiboot memory map' });
  writes.push({ addr: MODS_ADDR, bytes: modList, what: 'multiboot module list' });
  writes.push(gdtWrite());
  notes.push(`multiboot_info at ${hex(MBI_ADDR)} (EBX), mmap at ${hex(MMAP_ADDR)}, modules at ${hex(MODS_ADDR)}, GDT at ${hex(GDT_ADDR)}, entry ${hex(k.entry)}`);
  notes.push(...e820Notes(e820));
  checkWrites(writes, e820);
  return {
    kind: 'multiboot',
    writes,
    entry: k.entry,
    regs: { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: MBI_ADDR, esp: BOOT_STACK_TOP },
    gdt: { base: GDT_ADDR, limit: GDT_LIMIT },
    cs: SEL_CODE,
    ds: SEL_DATA,
    e820,
    notes,
  };
}
