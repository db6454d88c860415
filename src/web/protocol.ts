/**
 * Messages between the page (wasmvisor.ts) and the VM's Web Worker (worker.ts), and the layout
 * of the display's SharedArrayBuffer. The page reads video memory straight from the core's wasm
 * memory, which is shared (the 'shared' core build) and handed over once in 'ready'; after each
 * run slice, at most once per frame, the worker copies the VGA's 1 KiB register file into the
 * display buffer and bumps its frame counter; the page renders when the counter moves. No
 * message per frame or per write.
 */
export interface BootImages {
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  bios?: Uint8Array;
  /** The VGA's option ROM (with a firmware BIOS). */
  vgaBios?: Uint8Array;
  /** A raw hard disk image for the IDE master, and its name for messages. */
  disk?: Uint8Array;
  diskName?: string;
  /** A name for messages ("bzImage", a file or URL name). */
  kernelName?: string;
  cmdline?: string;
  /** Guest RAM in MiB. */
  memoryMiB?: number;
}

export type ToWorker =
  | { type: 'start'; images: BootImages; display: SharedArrayBuffer }
  | { type: 'serial'; bytes: Uint8Array }
  | { type: 'key'; code: string; down: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'save'; id: number }
  | { type: 'restore'; id: number; state: Uint8Array };

/** Per basic exit reason: its name, exits per second over the last interval, the total, and
 * (as in the CLI's --stats) the average host nanoseconds spent handling one. */
export interface ExitRate {
  reason: number;
  name: string;
  perSecond: number;
  total: number;
  avgNs: number;
}

export interface VmStats {
  instructions: number;
  /** Millions of guest instructions per second of wall time over the last interval. */
  mips: number;
  exits: ExitRate[];
  running: boolean;
}

export type FromWorker =
  | { type: 'ready'; vram: VideoMemory }
  | { type: 'serial'; bytes: Uint8Array }
  | { type: 'stats'; stats: VmStats }
  | { type: 'stopped'; why: string; message: string }
  | { type: 'error'; message: string }
  | { type: 'saved'; id: number; state: Uint8Array }
  | { type: 'restored'; id: number; error?: string };

/** Where video memory is in the core's shared wasm memory. */
export interface VideoMemory {
  buffer: SharedArrayBuffer;
  offset: number;
  size: number;
}

// display buffer: a header of 32-bit words, then the register file
export const D_FRAME = 0; // frame counter (Atomics)
export const D_HEADER_BYTES = 64;
export const D_REGS = D_HEADER_BYTES;
export const D_REGS_SIZE = 0x400;
export const DISPLAY_BYTES = D_REGS + D_REGS_SIZE;
export const VRAM_BYTES = 8 << 20;
