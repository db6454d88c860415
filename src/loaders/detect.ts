/**
 * Kernel format detection for `-kernel`, in QEMU's order (hw/i386/x86.c, x86_load_linux): a
 * Linux setup header ("HdrS" at 0x202, Documentation/arch/x86/boot.rst) makes it a bzImage;
 * otherwise a Multiboot 0.6.96 header (magic 0x1BADB002 with a valid checksum in the first
 * 8192 bytes) makes it a Multiboot kernel -- checked before PVH because Multiboot kernels may be
 * ELF files too; otherwise an ELF with Xen's XEN_ELFNOTE_PHYS32_ENTRY note (docs/misc/
 * pvh.pandoc) is booted through PVH.
 */
import { hasLinuxHeader, loadBzImage } from './bzimage.js';
import { elfClass, isElf, ELFCLASS64 } from './elf.js';
import { hasMultibootHeader, loadMultiboot, type BootModule } from './multiboot.js';
import { hasPvhNote, loadPvh } from './pvh.js';
import { LoaderError, type BootPlan } from './plan.js';

export type KernelFormat = BootPlan['kind'];

export interface LoadKernelOptions {
  ramBytes: number;
  cmdline?: string;
  /** Linux and PVH: the initrd. Multiboot: taken as a single module when `modules` is absent. */
  initrd?: Uint8Array;
  /** Multiboot modules (QEMU's comma-separated -initrd list, already split and read). Linux and
   * PVH accept at most one, used as the initrd. */
  modules?: BootModule[];
  /** Multiboot only: the image name put before the command line, as QEMU does. */
  kernelName?: string;
}

/** The format of a kernel image, or undefined when it is none of the three. */
export function detectKernelFormat(file: Uint8Array): KernelFormat | undefined {
  if (hasLinuxHeader(file)) return 'linux';
  if (hasMultibootHeader(file)) return 'multiboot';
  if (hasPvhNote(file)) return 'pvh';
  return undefined;
}

export function loadKernel(file: Uint8Array, opts: LoadKernelOptions): BootPlan {
  if (file.length === 0) throw new LoaderError('kernel image is empty');
  const format = detectKernelFormat(file);
  if (format === 'multiboot') {
    const modules = opts.modules ?? (opts.initrd ? [{ bytes: opts.initrd, cmdline: '' }] : []);
    if (opts.modules && opts.initrd) throw new LoaderError('give Multiboot modules either as an initrd or as a module list, not both');
    return loadMultiboot(file, { ramBytes: opts.ramBytes, cmdline: opts.cmdline, modules, kernelName: opts.kernelName });
  }
  if (format === undefined) {
    if (isElf(file)) {
      if (elfClass(file) === ELFCLASS64) {
        throw new LoaderError('64-bit ELF kernel without a Multiboot header: only 32-bit ELF kernels boot through PVH; use the bzImage');
      }
      throw new LoaderError('ELF kernel without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) or Multiboot header: build Linux with CONFIG_PVH, or boot the bzImage');
    }
    if (file.length < 512) throw new LoaderError(`not a kernel image: ${file.length} bytes, no Linux setup header, PVH note or Multiboot header`);
    throw new LoaderError('not a kernel image: no Linux setup header, PVH note or Multiboot header');
  }
  let initrd = opts.initrd;
  if (opts.modules && opts.modules.length > 0) {
    if (opts.modules.length > 1 || initrd) {
      throw new LoaderError(`a ${format === 'linux' ? 'Linux' : 'PVH'} kernel takes one initrd; several modules are for Multiboot kernels`);
    }
    initrd = opts.modules[0]!.bytes;
  }
  const o = { ramBytes: opts.ramBytes, cmdline: opts.cmdline, initrd };
  return format === 'linux' ? loadBzImage(file, o) : loadPvh(file, o);
}
