/**
 * The VGA's register file as one byte array, shared by the device (src/devices/vga.ts), which
 * writes it, and the renderer (render.ts), which reads it with the video memory. Keeping every
 * register in one small array makes the display's state a plain copy (a Web Worker hands it to
 * the page through a SharedArrayBuffer) and the save state a plain dump.
 *
 * Video memory layout (as QEMU's): 256 KiB of planar VGA memory interleaved by plane, byte
 * `offset * 4 + plane`, so that chain-4 (mode 13h) is plain linear memory; text modes are kept
 * linear (character, attribute, character, ...) from offset 0; the Bochs VBE framebuffer starts
 * at offset 0 too.
 */

export const REGS_SIZE = 0x400;
/** Video memory: the four 64 KiB planes interleaved (plane p of offset o at o * 4 + p) from 0, so
 * chain-4 modes are linear there; text modes keep characters and attributes linear in a 64 KiB
 * block of their own after the planes (TEXT_BASE), so that a font loaded into plane 2 (through
 * the planar path, as a VGA BIOS does at a mode set) leaves the text alone. */
export const TEXT_BASE = 0x40000;

// single registers and indexes
export const R_MISC = 0x00;
export const R_SEQ_INDEX = 0x01;
export const R_GC_INDEX = 0x02;
export const R_CRTC_INDEX = 0x03;
export const R_ATTR_INDEX = 0x04; // bit 5: palette address source (display on)
export const R_ATTR_FLIP = 0x05; // 0: next 3C0 write is an index, 1: data
export const R_DAC_WRITE = 0x06;
export const R_DAC_READ = 0x07;
export const R_DAC_COMPONENT = 0x08;
export const R_DAC_STATE = 0x09; // 3C7 read: 0 = write mode, 3 = read mode
export const R_PEL_MASK = 0x0a;
export const R_FEATURE = 0x0b;
export const R_STATUS_COUNT = 0x0c;
export const R_DISPI_INDEX = 0x0e; // u16
export const R_LATCH = 0x10; // 4 bytes: the planar read latches
// register arrays
export const R_SEQ = 0x20; // 8
export const R_GC = 0x28; // 16
export const R_CRTC = 0x40; // 64 (25 defined)
export const R_ATTR = 0x80; // 32 (21 defined)
export const R_DISPI = 0xa0; // 16 x u16
export const R_DAC = 0x100; // 256 x (r, g, b), 6 bits each

// Bochs VBE (DISPI) register indexes and values
export const DISPI_ID = 0;
export const DISPI_XRES = 1;
export const DISPI_YRES = 2;
export const DISPI_BPP = 3;
export const DISPI_ENABLE = 4;
export const DISPI_BANK = 5;
export const DISPI_VIRT_WIDTH = 6;
export const DISPI_VIRT_HEIGHT = 7;
export const DISPI_X_OFFSET = 8;
export const DISPI_Y_OFFSET = 9;
export const DISPI_VIDEO_MEMORY_64K = 10;
export const DISPI_COUNT = 11;
export const DISPI_ENABLED = 0x01;
export const DISPI_GETCAPS = 0x02;
export const DISPI_8BIT_DAC = 0x20;
export const DISPI_LFB_ENABLED = 0x40;
export const DISPI_NOCLEARMEM = 0x80;
export const DISPI_MAX_XRES = 2560;
export const DISPI_MAX_YRES = 1600;
export const DISPI_MAX_BPP = 32;

export const dispi = (r: Uint8Array, i: number): number => r[R_DISPI + 2 * i]! | (r[R_DISPI + 2 * i + 1]! << 8);
export const setDispi = (r: Uint8Array, i: number, v: number): void => {
  r[R_DISPI + 2 * i] = v & 0xff;
  r[R_DISPI + 2 * i + 1] = (v >> 8) & 0xff;
};

/** What the registers make of the screen. */
export type DisplayMode =
  | { kind: 'blank'; width: number; height: number }
  | { kind: 'text'; width: number; height: number; cols: number; rows: number; cellW: 8 | 9; cellH: number; start: number; stride: number }
  | { kind: 'chain4'; width: number; height: number; start: number; stride: number; scan: number }
  | { kind: 'planar'; width: number; height: number; start: number; stride: number; scan: number }
  | { kind: 'vbe'; width: number; height: number; bpp: number; start: number; stride: number };

/** Decodes the display mode from the register file (VBE first, then the VGA's own registers). */
export function decodeMode(r: Uint8Array): DisplayMode {
  if (dispi(r, DISPI_ENABLE) & DISPI_ENABLED) {
    const width = dispi(r, DISPI_XRES);
    const height = dispi(r, DISPI_YRES);
    const bpp = dispi(r, DISPI_BPP);
    const bytes = bpp === 15 ? 2 : bpp >> 3;
    const stride = dispi(r, DISPI_VIRT_WIDTH) * bytes;
    const start = dispi(r, DISPI_Y_OFFSET) * stride + dispi(r, DISPI_X_OFFSET) * bytes;
    return { kind: 'vbe', width, height, bpp, start, stride };
  }
  const crtc = (i: number) => r[R_CRTC + i]!;
  const chars = crtc(0x01) + 1;
  const overflow = crtc(0x07);
  const lines = (crtc(0x12) | ((overflow & 0x02) << 7) | ((overflow & 0x40) << 3)) + 1;
  const maxScan = crtc(0x09);
  const start = (crtc(0x0c) << 8) | crtc(0x0d);
  const offset = crtc(0x13);
  // the screen is off: attribute controller's palette source bit clear, or sequencer's screen-off bit
  if (!(r[R_ATTR_INDEX]! & 0x20) || r[R_SEQ + 1]! & 0x20) return { kind: 'blank', width: chars * 8, height: lines };
  const graphics = (r[R_GC + 6]! & 1) !== 0;
  if (!graphics) {
    const cellW = r[R_SEQ + 1]! & 1 ? 8 : 9;
    const cellH = (maxScan & 0x1f) + 1;
    const rows = Math.max(1, Math.floor(lines / cellH));
    return { kind: 'text', width: chars * cellW, height: rows * cellH, cols: chars, rows, cellW, cellH, start, stride: offset * 2 };
  }
  // scan: how many display lines show one line of memory (max scan line + 1, doubled by CR09 bit 7)
  const scan = ((maxScan & 0x1f) + 1) * (maxScan & 0x80 ? 2 : 1);
  const height = Math.max(1, Math.floor(lines / scan));
  if (r[R_GC + 5]! & 0x40) {
    // 256 colours: a character clock is 4 pixels of one byte each
    return { kind: 'chain4', width: chars * 4, height, start: start * 4, stride: offset * 8, scan };
  }
  return { kind: 'planar', width: chars * 8, height, start, stride: offset * 2, scan };
}

/** The register values a VGA BIOS leaves for mode 3 (80x25 text, 9x16 cells, colour at B8000):
 * the state at power-on, since no VGA BIOS runs here. */
export function resetRegisters(r: Uint8Array): void {
  r.fill(0);
  r[R_MISC] = 0x67;
  r.set([0x03, 0x00, 0x03, 0x00, 0x02], R_SEQ);
  r.set([0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff], R_CRTC);
  r.set([0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff], R_GC);
  r.set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x0c, 0x00, 0x0f, 0x08, 0x00], R_ATTR);
  r[R_ATTR_INDEX] = 0x20;
  r[R_PEL_MASK] = 0xff;
  // the DAC's first 64 entries as the EGA palette (bits 0-2 the 2/3 intensity of blue, green,
  // red; bits 3-5 the 1/3 intensity), as the BIOS loads them for 16-colour modes
  for (let i = 0; i < 64; i++) {
    const c = (hi: number, lo: number) => ((i >> hi) & 1) * 42 + ((i >> lo) & 1) * 21;
    r[R_DAC + 3 * i] = c(2, 5);
    r[R_DAC + 3 * i + 1] = c(1, 4);
    r[R_DAC + 3 * i + 2] = c(0, 3);
  }
  setDispi(r, DISPI_ID, 0xb0c5);
  setDispi(r, DISPI_BPP, 8);
}
