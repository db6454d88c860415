/**
 * Boot plans: what a direct kernel boot puts in guest memory and the CPU state it starts in.
 * The loaders (bzimage.ts, pvh.ts, multiboot.ts) only compute plans; src/boot.ts applies them.
 *
 * Every plan starts the guest in 32-bit protected mode with paging off and flat 4 GiB segments,
 * the common ground of the Linux/x86 boot protocol's 32-bit entry (Documentation/arch/x86/
 * boot.rst, "32-bit BOOT PROTOCOL": __BOOT_CS 0x10, __BOOT_DS 0x18), Xen's x86/HVM direct boot
 * ABI (docs/misc/pvh.pandoc: cs/ds/es/ss flat, tr a 32-bit busy TSS with base 0 and limit 0x67)
 * and Multiboot 0.6.96 section 3.2 (flat CS and data segments, selectors undefined). One GDT
 * serves all three: null, null, code 0x10, data 0x18, TSS 0x20.
 *
 * The memory map is a plain PC's (the ACPI spec's E820 address range types 1 and 2):
 *   0x00000000-0x0009FBFF  RAM        (0-0x4FF IVT and BDA: never written by a plan)
 *   0x0009FC00-0x0009FFFF  reserved   (EBDA)
 *   0x000A0000-0x000EFFFF  (hole: VGA window and option ROMs, not listed)
 *   0x000F0000-0x000FFFFF  reserved   (system BIOS area)
 *   0x00100000-RAM top     RAM        (RAM sizes 2 MiB to 3 GiB)
 *
 * Fixed addresses of the plans' own structures, all in conventional memory:
 *   0x05000-0x05FFF  boot stack (ESP = 0x6000; nothing written)
 *   0x07000-0x07FFF  Linux zero page (struct boot_params)
 *   0x08000-0x08027  GDT
 *   0x09000-0x09FFF  info page: multiboot_info (0x9000), its mmap (0x9100) and module list
 *                    (0x9200); or PVH hvm_start_info (0x9000), modlist (0x9040), memmap (0x9100)
 *   0x20000-0x2FFFF  strings: the command line, then Multiboot module strings and loader name
 * and above 1 MiB: the kernel (bzImage at code32_start = 0x100000, ELF segments at p_paddr,
 * a.out-kludge images at load_addr); a Linux/PVH initrd page aligned as high as allowed (the RAM
 * top, initrd_addr_max, and 768 MiB for 32-bit kernels) above the kernel; Multiboot modules
 * page aligned right after the kernel.
 */

export interface PlanWrite {
  addr: number;
  bytes: Uint8Array;
  what: string;
}

export interface E820Entry {
  addr: number;
  size: number;
  type: number;
}

export interface BootPlan {
  kind: 'linux' | 'pvh' | 'multiboot';
  /** Physical memory contents to place. */
  writes: PlanWrite[];
  /** EIP: 32-bit flat protected mode, paging off. */
  entry: number;
  regs: { eax?: number; ebx?: number; ecx?: number; edx?: number; esi?: number; edi?: number; ebp?: number; esp?: number };
  /** The GDT the plan wrote (it is one of `writes`), flat descriptors. */
  gdt: { base: number; limit: number };
  /** Selector of the flat 4 GiB code descriptor (exec/read, 32-bit). */
  cs: number;
  /** Selector of the flat 4 GiB data descriptor (read/write); also for es, ss, fs, gs. */
  ds: number;
  /** PVH only: a 32-bit busy TSS selector, base 0 limit 0x67. */
  tr?: number;
  /** The memory map the plan told the guest. */
  e820: E820Entry[];
  /** Human-readable lines: where things went (for --verbose logs). */
  notes: string[];
}

/** A one-line, user-facing reason why an image cannot be booted. */
export class LoaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoaderError';
  }
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const PAGE = 4096;

/** E820 / hvm_memmap types (ACPI address range types). */
export const E820_RAM = 1;
export const E820_RESERVED = 2;

export const EBDA_START = 0x9fc00;
export const VGA_HOLE_START = 0xa0000;
export const BIOS_AREA_START = 0xf0000;
export const HIGH_MEMORY = 0x100000;
/** IVT and BIOS data area: plans never write below this. */
export const LOW_RESERVED_END = 0x500;

export const MIN_RAM = 2 * MiB;
export const MAX_RAM = 3 * 1024 * MiB;

/** For 32-bit kernels the initrd also stays below 768 MiB: an i386 kernel (3G/1G split) maps
 * only about 896 MiB of low memory directly and copies an initrd above that down at boot
 * (arch/x86/kernel/setup.c, relocate_initrd); not a protocol rule, a cheaper choice. */
export const I386_LOWMEM_INITRD_LIMIT = 0x30000000;

export const BOOT_STACK_TOP = 0x6000;
export const ZERO_PAGE_ADDR = 0x7000;
export const GDT_ADDR = 0x8000;
export const INFO_ADDR = 0x9000;
export const INFO_END = 0xa000;
export const CMDLINE_ADDR = 0x20000;
export const STRINGS_END = 0x30000;

export const SEL_CODE = 0x10;
export const SEL_DATA = 0x18;
export const SEL_TSS = 0x20;
export const GDT_ENTRIES = 5;

export function hex(n: number): string {
  return '0x' + n.toString(16).toUpperCase();
}

function hex8(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(8, '0');
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

export function mib(bytes: number): string {
  const m = bytes / MiB;
  return Number.isInteger(m) ? `${m} MiB` : `${m.toFixed(1)} MiB`;
}

/** Checks the RAM size a plan is made for. */
export function checkRamSize(ramBytes: number): void {
  if (!Number.isInteger(ramBytes) || ramBytes < MIN_RAM || ramBytes > MAX_RAM) {
    throw new LoaderError(`RAM size ${ramBytes} bytes is out of range for a direct kernel boot (2 MiB to 3 GiB)`);
  }
}

/** The standard PC memory map for `ramBytes` of RAM (see the header comment). */
export function pcMemoryMap(ramBytes: number): E820Entry[] {
  checkRamSize(ramBytes);
  return [
    { addr: 0, size: EBDA_START, type: E820_RAM },
    { addr: EBDA_START, size: VGA_HOLE_START - EBDA_START, type: E820_RESERVED },
    { addr: BIOS_AREA_START, size: HIGH_MEMORY - BIOS_AREA_START, type: E820_RESERVED },
    { addr: HIGH_MEMORY, size: ramBytes - HIGH_MEMORY, type: E820_RAM },
  ];
}

/** An 8-byte segment descriptor (SDM vol. 3 3.4.5): `access` is the byte with P, DPL, S and the
 * type; `flags` the nibble with G, D/B, L, AVL. */
export function encodeDescriptor(base: number, limit: number, access: number, flags: number): Uint8Array {
  const d = new Uint8Array(8);
  d[0] = limit & 0xff;
  d[1] = (limit >>> 8) & 0xff;
  d[2] = base & 0xff;
  d[3] = (base >>> 8) & 0xff;
  d[4] = (base >>> 16) & 0xff;
  d[5] = access & 0xff;
  d[6] = ((flags & 0xf) << 4) | ((limit >>> 16) & 0xf);
  d[7] = (base >>> 24) & 0xff;
  return d;
}

export interface Descriptor {
  base: number;
  /** Effective limit in bytes (scaled by G). */
  limit: number;
  type: number;
  /** S: 1 code/data, 0 system. */
  s: number;
  dpl: number;
  present: boolean;
  /** D/B: 1 for 32-bit segments. */
  db: number;
  g: number;
}

export function decodeDescriptor(d: Uint8Array, off = 0): Descriptor {
  const b = (i: number) => d[off + i] ?? 0;
  const rawLimit = b(0) | (b(1) << 8) | ((b(6) & 0xf) << 16);
  const g = (b(6) >> 7) & 1;
  return {
    base: (b(2) | (b(3) << 8) | (b(4) << 16) | (b(7) << 24)) >>> 0,
    limit: g ? rawLimit * 4096 + 4095 : rawLimit,
    type: b(5) & 0xf,
    s: (b(5) >> 4) & 1,
    dpl: (b(5) >> 5) & 3,
    present: (b(5) & 0x80) !== 0,
    db: (b(6) >> 6) & 1,
    g,
  };
}

/** The plans' GDT: 0x00 null, 0x08 null, 0x10 flat code (exec/read, accessed, 32-bit, 4 KiB
 * granular), 0x18 flat data (read/write, accessed, 32-bit), 0x20 32-bit TSS (busy) base 0
 * limit 0x67. The accessed bits are preset so that loading a selector never writes the GDT. */
export function buildGdt(): Uint8Array {
  const gdt = new Uint8Array(GDT_ENTRIES * 8);
  gdt.set(encodeDescriptor(0, 0xfffff, 0x9b, 0xc), SEL_CODE);
  gdt.set(encodeDescriptor(0, 0xfffff, 0x93, 0xc), SEL_DATA);
  gdt.set(encodeDescriptor(0, 0x67, 0x8b, 0x0), SEL_TSS);
  return gdt;
}

export function gdtWrite(): PlanWrite {
  return { addr: GDT_ADDR, bytes: buildGdt(), what: 'GDT' };
}

export const GDT_LIMIT = GDT_ENTRIES * 8 - 1;

/** A NUL-terminated string; `maxLen` bytes at most before the NUL (UTF-8). */
export function cString(s: string, what: string, maxLen = Infinity): { bytes: Uint8Array; truncated: boolean } {
  if (s.includes('\0')) throw new LoaderError(`${what} contains a NUL character`);
  let enc = new TextEncoder().encode(s);
  const truncated = enc.length > maxLen;
  if (truncated) enc = enc.subarray(0, maxLen);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return { bytes: out, truncated };
}

/** Little-endian field writers over a byte buffer. */
export class Le {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(off: number, v: number): void {
    this.view.setUint8(off, v);
  }
  u16(off: number, v: number): void {
    this.view.setUint16(off, v, true);
  }
  u32(off: number, v: number): void {
    this.view.setUint32(off, v >>> 0, true);
  }
  u64(off: number, v: number): void {
    this.view.setUint32(off, v % 0x100000000, true);
    this.view.setUint32(off + 4, Math.floor(v / 0x100000000), true);
  }
}

/** Little-endian readers with a bounds check that names the image. */
export class LeReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(off: number, n: number): void {
    if (off < 0 || off + n > this.bytes.length) {
      throw new LoaderError(`truncated ${this.what}: needs bytes ${hex(off)}-${hex(off + n - 1)}, file has ${this.bytes.length} bytes`);
    }
  }
  u8(off: number): number {
    this.need(off, 1);
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    this.need(off, 2);
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    this.need(off, 4);
    return this.view.getUint32(off, true);
  }
  u64(off: number): number {
    this.need(off, 8);
    return this.view.getUint32(off, true) + this.view.getUint32(off + 4, true) * 0x100000000;
  }
}

/**
 * Final checks shared by the loaders: every write lies in RAM of the plan's memory map, none
 * touches the IVT/BDA, and no two writes overlap (a kernel segment over the GDT, a module over
 * the kernel...).
 */
export function checkWrites(writes: PlanWrite[], e820: E820Entry[]): void {
  const ram = e820.filter((e) => e.type === E820_RAM);
  for (const w of writes) {
    const end = w.addr + w.bytes.length;
    const where = `${w.what} at ${hex(w.addr)}-${hex(end - 1)}`;
    if (w.bytes.length === 0) continue;
    if (w.addr < LOW_RESERVED_END) throw new LoaderError(`${where} overlaps the IVT and BIOS data area (below ${hex(LOW_RESERVED_END)})`);
    if (!ram.some((e) => w.addr >= e.addr && end <= e.addr + e.size)) {
      const top = ram[ram.length - 1];
      if (top && end > top.addr + top.size && w.addr >= HIGH_MEMORY) {
        throw new LoaderError(`${where} does not fit in ${mib(top.addr + top.size)} of RAM (needs at least ${mib(alignUp(end, MiB))})`);
      }
      throw new LoaderError(`${where} is not in RAM (the PC map has RAM at 0-${hex(EBDA_START - 1)} and from ${hex(HIGH_MEMORY)})`);
    }
  }
  const sorted = writes.filter((w) => w.bytes.length > 0).sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.addr < a.addr + a.bytes.length) {
      throw new LoaderError(
        `${b.what} at ${hex(b.addr)}-${hex(b.addr + b.bytes.length - 1)} overlaps ${a.what} at ${hex(a.addr)}-${hex(a.addr + a.bytes.length - 1)}`,
      );
    }
  }
}

export function e820Notes(e820: E820Entry[]): string[] {
  return e820.map(
    (e) => `e820: ${hex8(e.addr)}-${hex8(e.addr + e.size - 1)} ${e.type === E820_RAM ? 'RAM' : 'reserved'}`,
  );
}
