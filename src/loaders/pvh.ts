/**
 * PVH direct boot of an uncompressed ELF kernel (a Linux vmlinux built with CONFIG_PVH), as
 * QEMU's `-kernel vmlinux` does. Follows Xen's x86/HVM direct boot ABI (docs/misc/pvh.pandoc)
 * and xen/include/public/arch-x86/hvm/start_info.h (hvm_start_info version 1,
 * hvm_modlist_entry, hvm_memmap_table_entry); the entry point comes from the
 * XEN_ELFNOTE_PHYS32_ENTRY note (xen/include/public/elfnote.h: name "Xen", type 18).
 *
 * Start state: EBX = hvm_start_info's physical address, CR0 = PE, CR4 = 0, CS a flat 32-bit
 * exec/read segment, DS/ES/SS flat read/write, TR a 32-bit busy TSS with base 0 and limit 0x67,
 * EFLAGS with VM, IF and TF clear. Everything else is unspecified.
 */
import { elfClass, elfNotes, isElf, loadSegments, parseElf32, ELFCLASS32, PT_LOAD, type Elf32 } from './elf.js';
import {
  BOOT_STACK_TOP,
  CMDLINE_ADDR,
  GDT_ADDR,
  GDT_LIMIT,
  I386_LOWMEM_INITRD_LIMIT,
  INFO_ADDR,
  Le,
  LoaderError,
  MiB,
  PAGE,
  SEL_CODE,
  SEL_DATA,
  SEL_TSS,
  STRINGS_END,
  alignDown,
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

export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const XEN_HVM_START_MAGIC = 0x336ec578;
export const HVM_START_INFO_VERSION = 1;

/** hvm_start_info (version 1) field offsets; 56 bytes. */
export const SI = {
  magic: 0,
  version: 4,
  flags: 8,
  nrModules: 12,
  modlistPaddr: 16,
  cmdlinePaddr: 24,
  rsdpPaddr: 32,
  memmapPaddr: 40,
  memmapEntries: 48,
  reserved: 52,
  size: 56,
} as const;
/** hvm_modlist_entry: paddr u64, size u64, cmdline_paddr u64, reserved u64. */
export const MODLIST_ENTRY_SIZE = 32;
/** hvm_memmap_table_entry: addr u64, size u64, type u32, reserved u32. */
export const MEMMAP_ENTRY_SIZE = 24;

export const START_INFO_ADDR = INFO_ADDR;
export const MODLIST_ADDR = INFO_ADDR + 0x40;
export const MEMMAP_ADDR = INFO_ADDR + 0x100;

/** The XEN_ELFNOTE_PHYS32_ENTRY address of an ELF32 kernel, or undefined when it has none. */
export function pvhEntry(file: Uint8Array, elf: Elf32 = parseElf32(file)): number | undefined {
  for (const n of elfNotes(file, elf)) {
    if (n.name !== 'Xen' || n.type !== XEN_ELFNOTE_PHYS32_ENTRY) continue;
    const dv = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
    // .long in the ABI document; Linux emits a pointer-sized value (_ASM_PTR)
    if (n.desc.length === 4) return dv.getUint32(0, true);
    if (n.desc.length === 8) {
      if (dv.getUint32(4, true) !== 0) throw new LoaderError('the PVH entry note points above 4 GiB');
      return dv.getUint32(0, true);
    }
    throw new LoaderError(`the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) has a ${n.desc.length}-byte value, expected 4 or 8`);
  }
  return undefined;
}

/** True for a 32-bit ELF with a PVH entry note (no errors for other files). */
export function hasPvhNote(file: Uint8Array): boolean {
  if (!isElf(file) || elfClass(file) !== ELFCLASS32) return false;
  try {
    return pvhEntry(file) !== undefined;
  } catch {
    return false;
  }
}

export interface PvhOptions {
  ramBytes: number;
  cmdline?: string;
  initrd?: Uint8Array;
}

export function loadPvh(file: Uint8Array, opts: PvhOptions): BootPlan {
  const e820 = pcMemoryMap(opts.ramBytes);
  const ram = opts.ramBytes;
  const elf = parseElf32(file, 'ELF kernel');
  const entry = pvhEntry(file, elf);
  if (entry === undefined) {
    throw new LoaderError('ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): build Linux with CONFIG_PVH, or boot the bzImage');
  }
  const notes: string[] = [];
  const seg = loadSegments(file, elf, 'kernel');
  const writes: PlanWrite[] = [...seg.writes];
  for (const w of seg.writes) notes.push(`${w.what}: ${hex(w.addr)}-${hex(w.addr + w.bytes.length - 1)}`);
  notes.push(`PVH entry ${hex(entry)} (XEN_ELFNOTE_PHYS32_ENTRY), ELF e_entry ${hex(elf.entry)}`);
  if (!elf.segments.some((s) => s.type === PT_LOAD && entry >= s.paddr && entry < s.paddr + s.memsz)) {
    throw new LoaderError(`the PVH entry ${hex(entry)} is not inside any loaded segment`);
  }
  if (seg.high > ram) {
    throw new LoaderError(`kernel needs at least ${mib(alignUp(seg.high, MiB))} of RAM (its segments end at ${hex(seg.high - 1)}), the machine has ${mib(ram)}`);
  }

  const cmd = cString(opts.cmdline ?? '', 'the command line', STRINGS_END - CMDLINE_ADDR - 1);
  if (cmd.truncated) throw new LoaderError(`the command line is longer than ${STRINGS_END - CMDLINE_ADDR - 1} bytes`);
  writes.push({ addr: CMDLINE_ADDR, bytes: cmd.bytes, what: 'command line' });
  notes.push(`command line at ${hex(CMDLINE_ADDR)}: ${cmd.bytes.length - 1} bytes`);

  const info = new Uint8Array(MEMMAP_ADDR + e820.length * MEMMAP_ENTRY_SIZE - START_INFO_ADDR);
  const w = new Le(info);
  w.u32(SI.magic, XEN_HVM_START_MAGIC);
  w.u32(SI.version, HVM_START_INFO_VERSION);
  w.u32(SI.flags, 0);
  w.u64(SI.cmdlinePaddr, CMDLINE_ADDR);
  w.u64(SI.rsdpPaddr, 0);
  w.u64(SI.memmapPaddr, MEMMAP_ADDR);
  w.u32(SI.memmapEntries, e820.length);
  e820.forEach((e, i) => {
    const o = MEMMAP_ADDR - START_INFO_ADDR + i * MEMMAP_ENTRY_SIZE;
    w.u64(o, e.addr);
    w.u64(o + 8, e.size);
    w.u32(o + 16, e.type);
  });

  if (opts.initrd) {
    const size = opts.initrd.length;
    if (size === 0) throw new LoaderError('the initrd is empty');
    const floor = Math.max(alignUp(seg.high, PAGE), MiB);
    // high, but below 768 MiB: an ELF32 kernel is a 32-bit one, which maps only its lowmem
    // directly (see I386_LOWMEM_INITRD_LIMIT)
    const limit = Math.min(ram, I386_LOWMEM_INITRD_LIMIT);
    const addr = alignDown(limit - size, PAGE);
    if (addr < floor) {
      if (limit < ram) throw new LoaderError(`initrd of ${size} bytes does not fit between the kernel (up to ${hex(floor - 1)}) and ${hex(limit - 1)}`);
      throw new LoaderError(
        `not enough RAM for the kernel and a ${mib(size)} initrd: needs at least ${mib(alignUp(floor + size, MiB))}, the machine has ${mib(ram)}`,
      );
    }
    writes.push({ addr, bytes: opts.initrd, what: 'initrd' });
    w.u32(SI.nrModules, 1);
    w.u64(SI.modlistPaddr, MODLIST_ADDR);
    const m = MODLIST_ADDR - START_INFO_ADDR;
    w.u64(m, addr);
    w.u64(m + 8, size);
    w.u64(m + 16, 0); // no module command line
    notes.push(`initrd at ${hex(addr)}-${hex(addr + size - 1)} (${size} bytes), module list at ${hex(MODLIST_ADDR)}`);
  }
  writes.push({ addr: START_INFO_ADDR, bytes: info, what: 'hvm_start_info' });
  writes.push(gdtWrite());
  notes.push(`hvm_start_info at ${hex(START_INFO_ADDR)} (EBX), memory map at ${hex(MEMMAP_ADDR)}, GDT at ${hex(GDT_ADDR)}, TR ${hex(SEL_TSS)}`);
  notes.push(...e820Notes(e820));
  checkWrites(writes, e820);
  return {
    kind: 'pvh',
    writes,
    entry,
    regs: { ebx: START_INFO_ADDR, esp: BOOT_STACK_TOP },
    gdt: { base: GDT_ADDR, limit: GDT_LIMIT },
    cs: SEL_CODE,
    ds: SEL_DATA,
    tr: SEL_TSS,
    e820,
    notes,
  };
}
