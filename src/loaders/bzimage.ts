/**
 * Linux bzImage loader for the Linux/x86 boot protocol's 32-bit entry (Documentation/arch/x86/
 * boot.rst: "The Real-Mode Kernel Header", "Details of Header Fields", "32-bit BOOT PROTOCOL";
 * Documentation/arch/x86/zero-page.rst for struct boot_params).
 *
 * The real-mode setup code is not run: like QEMU's and other VMMs' direct boot, the plan builds
 * the zero page itself (setup header copied from the file at 0x1F1, e820 table, command line,
 * initrd), loads the protected-mode kernel at 0x100000 and enters it at code32_start with
 * %esi = zero page, %ebp = %edi = %ebx = 0, CS = __BOOT_CS (0x10), DS/ES/SS = __BOOT_DS (0x18).
 */
import {
  CMDLINE_ADDR,
  GDT_ADDR,
  GDT_LIMIT,
  HIGH_MEMORY,
  I386_LOWMEM_INITRD_LIMIT,
  KiB,
  Le,
  LoaderError,
  MiB,
  PAGE,
  SEL_CODE,
  SEL_DATA,
  STRINGS_END,
  BOOT_STACK_TOP,
  ZERO_PAGE_ADDR,
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
import { isElf } from './elf.js';

export const HDRS_MAGIC = 0x53726448; // "HdrS"
export const BOOT_FLAG = 0xaa55;

// loadflags
export const LOADED_HIGH = 0x01;
export const KASLR_FLAG = 0x02;
export const QUIET_FLAG = 0x20;
export const KEEP_SEGMENTS = 0x40;
export const CAN_USE_HEAP = 0x80;

// xloadflags
export const XLF_KERNEL_64 = 0x01;
export const XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;

/** type_of_loader 0xFF: "undefined" boot loader (boot.rst, "type_of_loader"). */
export const TYPE_OF_LOADER = 0xff;
/** heap_end_ptr: the whole 64 KiB real-mode segment minus the 0x200 offset (unused by the 32-bit
 * entry, set as boot.rst asks of loaders that set CAN_USE_HEAP). */
export const HEAP_END_PTR = 0xfe00;

/** Zero page (struct boot_params) offsets, zero-page.rst. */
export const ZP = {
  screenInfo: 0x000,
  extMemK: 0x002, // screen_info.ext_mem_k (u16)
  origVideoMode: 0x006,
  origVideoCols: 0x007,
  origVideoLines: 0x00e,
  origVideoIsVGA: 0x00f,
  altMemK: 0x1e0,
  e820Entries: 0x1e8,
  sentinel: 0x1ef,
  hdr: 0x1f1,
  e820Table: 0x2d0,
  e820Max: 128,
  size: 4096,
} as const;

/** Setup header offsets (boot.rst, "The Real-Mode Kernel Header"), from the start of the file /
 * the zero page. */
export const HDR = {
  setupSects: 0x1f1,
  rootFlags: 0x1f2,
  syssize: 0x1f4,
  vidMode: 0x1fa,
  bootFlag: 0x1fe,
  jump: 0x200,
  header: 0x202,
  version: 0x206,
  kernelVersion: 0x20e,
  typeOfLoader: 0x210,
  loadflags: 0x211,
  code32Start: 0x214,
  ramdiskImage: 0x218,
  ramdiskSize: 0x21c,
  heapEndPtr: 0x224,
  cmdLinePtr: 0x228,
  initrdAddrMax: 0x22c,
  kernelAlignment: 0x230,
  relocatableKernel: 0x234,
  minAlignment: 0x235,
  xloadflags: 0x236,
  cmdlineSize: 0x238,
  hardwareSubarch: 0x23c,
  prefAddress: 0x258,
  initSize: 0x260,
} as const;

export interface SetupHeader {
  /** Protocol version, e.g. 0x020f for 2.15. */
  version: number;
  /** Sectors of real-mode setup code after the boot sector (0 in the file means 4). */
  setupSects: number;
  /** Protected-mode code size in 16-byte paragraphs. */
  syssize: number;
  loadflags: number;
  code32Start: number;
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  xloadflags: number;
  /** Longest command line the kernel accepts, without the NUL. */
  cmdlineSize: number;
  /** Where the kernel runs after (relocation and) decompression; 0x100000 before protocol 2.10. */
  prefAddress: number;
  /** Bytes the kernel needs from where it runs, for decompression and early boot (0 if the
   * protocol predates 2.10). */
  initSize: number;
  /** End offset of the setup header: 0x202 + the byte at 0x201 (the jump's displacement). */
  headerEnd: number;
  /** The kernel version string, when the header points to one. */
  kernelVersion?: string;
}

export function formatVersion(v: number): string {
  return `${v >> 8}.${(v & 0xff).toString().padStart(2, '0')}`;
}

/** True when the file carries the "HdrS" signature of a Linux setup header at 0x202. */
export function hasLinuxHeader(file: Uint8Array): boolean {
  if (file.length < HDR.header + 4) return false;
  return new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(HDR.header, true) === HDRS_MAGIC;
}

/** Parses and checks the setup header of a bzImage. */
export function parseSetupHeader(file: Uint8Array): SetupHeader {
  if (file.length === 0) throw new LoaderError('kernel image is empty');
  if (isElf(file)) {
    throw new LoaderError(
      'this is an ELF vmlinux, not a bzImage: boot it through PVH (a kernel built with CONFIG_PVH) or use arch/x86/boot/bzImage',
    );
  }
  if (file.length < 0x210) throw new LoaderError(`not a Linux kernel: ${file.length} bytes is too short for a setup header`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(HDR.header, true) !== HDRS_MAGIC) throw new LoaderError('not a Linux kernel: no HdrS signature at 0x202');
  const bootFlag = dv.getUint16(HDR.bootFlag, true);
  if (bootFlag !== BOOT_FLAG) throw new LoaderError(`not a Linux kernel: boot_flag at 0x1FE is ${hex(bootFlag)}, expected 0xAA55`);
  const version = dv.getUint16(HDR.version, true);
  if (version < 0x0202) {
    throw new LoaderError(`Linux boot protocol ${formatVersion(version)} is too old: the 32-bit entry needs protocol 2.02 or later`);
  }
  const loadflags = file[HDR.loadflags]!;
  if (!(loadflags & LOADED_HIGH)) {
    throw new LoaderError('this is a zImage (loaded low at 0x10000): only bzImage kernels (LOADED_HIGH) are supported');
  }
  let setupSects = file[HDR.setupSects]!;
  if (setupSects === 0) setupSects = 4;
  const setupBytes = (setupSects + 1) * 512;
  if (file.length < setupBytes) {
    throw new LoaderError(`truncated bzImage: setup says ${setupSects} sectors (${setupBytes} bytes with the boot sector), file has ${file.length} bytes`);
  }
  // From here on the whole header (which ends before 0x290) is inside the file.
  const syssize = dv.getUint32(HDR.syssize, true);
  const pmBytes = file.length - setupBytes;
  if (syssize * 16 > pmBytes) {
    throw new LoaderError(
      `truncated bzImage: syssize says ${syssize * 16} bytes of protected-mode code, file has ${pmBytes} after the ${setupSects}-sector setup`,
    );
  }
  if (pmBytes === 0) throw new LoaderError('truncated bzImage: no protected-mode kernel after the setup code');
  const u32 = (o: number) => dv.getUint32(o, true);
  const initrdAddrMax = version >= 0x0203 ? u32(HDR.initrdAddrMax) : 0x37ffffff;
  const kernelAlignment = version >= 0x0205 ? u32(HDR.kernelAlignment) : 0;
  const relocatable = version >= 0x0205 && file[HDR.relocatableKernel] !== 0;
  const xloadflags = version >= 0x020c ? dv.getUint16(HDR.xloadflags, true) : 0;
  const cmdlineSize = version >= 0x0206 ? u32(HDR.cmdlineSize) : 255;
  let prefAddress = HIGH_MEMORY;
  let initSize = 0;
  if (version >= 0x020a) {
    if (u32(HDR.prefAddress + 4) !== 0) throw new LoaderError('the kernel prefers to run above 4 GiB (pref_address); not supported');
    prefAddress = u32(HDR.prefAddress);
    initSize = u32(HDR.initSize);
  }
  const headerEnd = Math.min(0x202 + file[0x201]!, 0x290);
  let kernelVersion: string | undefined;
  const kvOff = dv.getUint16(HDR.kernelVersion, true);
  if (kvOff !== 0 && kvOff + 0x200 < setupBytes) {
    const start = kvOff + 0x200;
    let end = start;
    while (end < setupBytes && end - start < 256 && file[end] !== 0) end++;
    kernelVersion = new TextDecoder('latin1').decode(file.subarray(start, end));
  }
  return {
    version,
    setupSects,
    syssize,
    loadflags,
    code32Start: u32(HDR.code32Start),
    initrdAddrMax,
    kernelAlignment,
    relocatable,
    xloadflags,
    cmdlineSize,
    prefAddress,
    initSize,
    headerEnd,
    kernelVersion,
  };
}

export interface BzImageOptions {
  ramBytes: number;
  cmdline?: string;
  initrd?: Uint8Array;
}

/** Builds the boot plan for a bzImage (see the header comment). */
export function loadBzImage(file: Uint8Array, opts: BzImageOptions): BootPlan {
  const hdr = parseSetupHeader(file);
  const e820 = pcMemoryMap(opts.ramBytes);
  const ram = opts.ramBytes;
  const notes: string[] = [];
  const setupBytes = (hdr.setupSects + 1) * 512;
  const pm = file.subarray(setupBytes);
  // code32_start is both where the protected-mode kernel goes and its entry (0x100000 for a
  // bzImage; boot.rst, "code32_start").
  const kernelLoad = hdr.code32Start;
  if (kernelLoad < HIGH_MEMORY) throw new LoaderError(`code32_start ${hex(kernelLoad)} is below 1 MiB: not a bzImage`);
  notes.push(
    `Linux boot protocol ${formatVersion(hdr.version)}${hdr.kernelVersion ? `, kernel ${hdr.kernelVersion}` : ''}`,
    `bzImage: ${hdr.setupSects} setup sectors (not run), protected-mode kernel ${pm.length} bytes at ${hex(kernelLoad)}`,
  );
  if (hdr.xloadflags & XLF_KERNEL_64) notes.push('64-bit kernel (XLF_KERNEL_64): it switches to long mode itself');

  // Where the kernel lives while it boots: the loaded image at 1 MiB, and the area it
  // decompresses into, init_size bytes from its run address (pref_address, or the load address
  // rounded up to kernel_alignment for a relocatable kernel if that is higher).
  let runAddr = hdr.prefAddress;
  if (hdr.relocatable && hdr.kernelAlignment > 0) runAddr = Math.max(runAddr, alignUp(kernelLoad, hdr.kernelAlignment));
  const loadEnd = kernelLoad + pm.length;
  const runEnd = runAddr + hdr.initSize;
  const kernelEnd = Math.max(loadEnd, runEnd);
  if (hdr.initSize > 0) {
    notes.push(
      `kernel runs at ${hex(runAddr)}${hdr.relocatable ? ' (relocatable)' : ''}, init_size ${hex(hdr.initSize)}: it uses ${hex(kernelLoad)}-${hex(kernelEnd - 1)} while booting`,
    );
  } else {
    notes.push(`init_size unknown (protocol before 2.10): only the loaded image ${hex(kernelLoad)}-${hex(loadEnd - 1)} is kept clear`);
  }
  if (kernelEnd > ram) {
    throw new LoaderError(
      `kernel needs at least ${mib(alignUp(kernelEnd, MiB))} of RAM (it occupies up to ${hex(kernelEnd - 1)} while booting), the machine has ${mib(ram)}`,
    );
  }

  const writes: PlanWrite[] = [];
  const zp = new Uint8Array(ZP.size);
  const z = new Le(zp);

  // screen_info stays zero: orig_video_mode, _cols and _lines all 0 tell the VGA console there is
  // no VGA text screen, so the kernel does not touch one (there is none on this machine).
  const extKb = Math.floor((ram - HIGH_MEMORY) / KiB);
  z.u16(ZP.extMemK, Math.min(extKb, 0xffff));
  z.u32(ZP.altMemK, extKb);
  if (e820.length > ZP.e820Max) throw new LoaderError('too many e820 entries');
  z.u8(ZP.e820Entries, e820.length);
  e820.forEach((e, i) => {
    const o = ZP.e820Table + i * 20;
    z.u64(o, e.addr);
    z.u64(o + 8, e.size);
    z.u32(o + 16, e.type);
  });
  zp.set(file.subarray(HDR.setupSects, hdr.headerEnd), HDR.setupSects);
  z.u8(HDR.typeOfLoader, TYPE_OF_LOADER);
  z.u8(HDR.loadflags, (hdr.loadflags | CAN_USE_HEAP) & ~KEEP_SEGMENTS);
  z.u16(HDR.heapEndPtr, HEAP_END_PTR);
  notes.push('screen_info: no video (orig_video_mode/cols/lines 0: the VGA console stays off)');

  // Command line, NUL-terminated, at most cmdline_size bytes before the NUL.
  const maxCmd = Math.min(hdr.cmdlineSize, STRINGS_END - CMDLINE_ADDR - 1);
  const cmd = cString(opts.cmdline ?? '', 'the command line', maxCmd);
  writes.push({ addr: CMDLINE_ADDR, bytes: cmd.bytes, what: 'command line' });
  z.u32(HDR.cmdLinePtr, CMDLINE_ADDR);
  notes.push(`command line at ${hex(CMDLINE_ADDR)}: ${cmd.bytes.length - 1} bytes (cmdline_size ${hdr.cmdlineSize})`);
  if (cmd.truncated) notes.push(`command line truncated to cmdline_size = ${maxCmd} bytes`);

  // initrd: page aligned, as high as possible below initrd_addr_max and the RAM top, above the
  // kernel's boot-time area.
  if (opts.initrd) {
    const size = opts.initrd.length;
    if (size === 0) throw new LoaderError('the initrd is empty');
    let limit = Math.min(hdr.initrdAddrMax + 1, ram);
    if (!(hdr.xloadflags & XLF_KERNEL_64) && limit > I386_LOWMEM_INITRD_LIMIT) {
      limit = I386_LOWMEM_INITRD_LIMIT;
      notes.push(`initrd kept below ${hex(I386_LOWMEM_INITRD_LIMIT)}: a 32-bit kernel maps only its lowmem directly and would copy it down`);
    }
    const addr = alignDown(limit - size, PAGE);
    if (addr < kernelEnd) {
      if (limit < ram) {
        throw new LoaderError(
          `initrd of ${size} bytes does not fit between the kernel (up to ${hex(kernelEnd - 1)}) and its highest address ${hex(limit - 1)} (initrd_addr_max ${hex(hdr.initrdAddrMax)})`,
        );
      }
      throw new LoaderError(
        `not enough RAM for the kernel and a ${mib(size)} initrd: needs at least ${mib(alignUp(alignUp(kernelEnd, PAGE) + size, MiB))}, the machine has ${mib(ram)}`,
      );
    }
    writes.push({ addr, bytes: opts.initrd, what: 'initrd' });
    z.u32(HDR.ramdiskImage, addr);
    z.u32(HDR.ramdiskSize, size);
    notes.push(`initrd at ${hex(addr)}-${hex(addr + size - 1)} (${size} bytes; initrd_addr_max ${hex(hdr.initrdAddrMax)})`);
  }

  writes.push({ addr: ZERO_PAGE_ADDR, bytes: zp, what: 'zero page (boot_params)' });
  writes.push(gdtWrite());
  writes.push({ addr: kernelLoad, bytes: pm, what: 'protected-mode kernel' });
  notes.push(`zero page at ${hex(ZERO_PAGE_ADDR)}, GDT at ${hex(GDT_ADDR)}, entry ${hex(hdr.code32Start)} with ESI=${hex(ZERO_PAGE_ADDR)}`);
  notes.push(...e820Notes(e820));
  checkWrites(writes, e820);
  return {
    kind: 'linux',
    writes,
    entry: hdr.code32Start,
    regs: { esi: ZERO_PAGE_ADDR, ebp: 0, edi: 0, ebx: 0, esp: BOOT_STACK_TOP },
    gdt: { base: GDT_ADDR, limit: GDT_LIMIT },
    cs: SEL_CODE,
    ds: SEL_DATA,
    e820,
    notes,
  };
}
