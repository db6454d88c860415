/**
 * Messages between the page (wasmvisor.ts) and the VM's Web Worker (worker.ts), and the layout
 * of the display's SharedArrayBuffer: the worker copies the VGA's register file and the part of
 * video memory the mode shows into it after each run slice and bumps the frame counter; the page
 * renders from it when the counter moves, with no message per frame or per write.
 */
export interface BootImages {
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  bios?: Uint8Array;
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
  | { type: 'ready' }
  | { type: 'serial'; bytes: Uint8Array }
  | { type: 'stats'; stats: VmStats }
  | { type: 'stopped'; why: string; message: string }
  | { type: 'error'; message: string }
  | { type: 'saved'; id: number; state: Uint8Array }
  | { type: 'restored'; id: number; error?: string };

// display buffer: a header of 32-bit words, the register file, then video memory at its offsets
export const D_FRAME = 0; // frame counter (Atomics)
export const D_HEADER_BYTES = 64;
export const D_REGS = D_HEADER_BYTES;
export const D_REGS_SIZE = 0x400;
export const D_VRAM = D_REGS + D_REGS_SIZE;

export const displayBytes = (vramSize: number): number => D_VRAM + vramSize;
export const VRAM_BYTES = 8 << 20;
