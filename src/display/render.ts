/**
 * Turns the VGA's register file and video memory (vga-state.ts) into RGBA pixels: text modes
 * with the 8x16 code page 437 font (9-dot cells with the line-graphics column, blink, cursor),
 * 256-colour chain-4 (mode 13h), 16-colour planar (mode 12h) and the Bochs VBE framebuffer in
 * 8/15/16/24/32 bits. Pure: the same in Node (tests) and in a browser page (a canvas).
 * The font is the built-in one, not the guest's plane 2 (no VGA BIOS loads one).
 */
import { FONT_8X16_BASE64 } from './font8x16.js';
import { fromBase64 } from '../base64.js';
import * as V from './vga-state.js';

export interface Frame {
  width: number;
  height: number;
  /** width * height pixels, 4 bytes each (R, G, B, A), top row first. */
  rgba: Uint8ClampedArray;
  mode: V.DisplayMode['kind'];
}

export interface RenderOptions {
  /** Phase of blinking text and the cursor: true shows them (default). */
  blinkOn?: boolean;
}

let font: Uint8Array | undefined;
const glyphs = () => (font ??= fromBase64(FONT_8X16_BASE64));

const BLACK = 0xff000000;

export class Renderer {
  private out = new Uint8ClampedArray(0);
  private px = new Uint32Array(0);
  private readonly dac = new Uint32Array(256);

  render(regs: Uint8Array, vram: Uint8Array, opts: RenderOptions = {}): Frame {
    const m = V.decodeMode(regs);
    const width = Math.max(1, Math.min(m.width, V.DISPI_MAX_XRES));
    const height = Math.max(1, Math.min(m.height, V.DISPI_MAX_YRES));
    if (this.out.length !== width * height * 4) {
      this.out = new Uint8ClampedArray(width * height * 4);
      this.px = new Uint32Array(this.out.buffer);
    }
    this.loadDac(regs);
    const blinkOn = opts.blinkOn ?? true;
    switch (m.kind) {
      case 'blank': this.px.fill(BLACK); break;
      case 'text': this.text(regs, vram, m, blinkOn); break;
      case 'chain4': this.chain4(regs, vram, m, width, height); break;
      case 'planar': this.planar(regs, vram, m, width, height); break;
      case 'vbe': this.vbe(vram, m, width, height); break;
    }
    return { width, height, rgba: this.out, mode: m.kind };
  }

  /** The DAC as little-endian RGBA words (A in the top byte), masked by the PEL mask at lookup. */
  private loadDac(regs: Uint8Array): void {
    const eight = (V.dispi(regs, V.DISPI_ENABLE) & V.DISPI_8BIT_DAC) !== 0;
    const c = (v: number) => (eight ? v : ((v & 0x3f) << 2) | ((v & 0x3f) >> 4));
    for (let i = 0; i < 256; i++) {
      const o = V.R_DAC + 3 * i;
      this.dac[i] = (BLACK | (c(regs[o + 2]!) << 16) | (c(regs[o + 1]!) << 8) | c(regs[o]!)) >>> 0;
    }
  }

  /** A 4-bit attribute colour through the attribute controller's palette to a DAC colour. */
  private attrColour(regs: Uint8Array, i: number): number {
    const mode = regs[V.R_ATTR + 0x10]!;
    const select = regs[V.R_ATTR + 0x14]!;
    const pal = regs[V.R_ATTR + (i & 0xf)]!;
    const index = mode & 0x80 ? (pal & 0x0f) | ((select & 0x0f) << 4) : (pal & 0x3f) | ((select & 0x0c) << 4);
    return this.dac[index & regs[V.R_PEL_MASK]!]!;
  }

  private text(regs: Uint8Array, vram: Uint8Array, m: Extract<V.DisplayMode, { kind: 'text' }>, blinkOn: boolean): void {
    const f = glyphs();
    const px = this.px;
    const width = m.width;
    const attrMode = regs[V.R_ATTR + 0x10]!;
    const blinkAttr = (attrMode & 0x08) !== 0;
    const lineGraphics = (attrMode & 0x04) !== 0;
    const crtc = (i: number) => regs[V.R_CRTC + i]!;
    const cursorOff = (crtc(0x0a) & 0x20) !== 0;
    const cursorStart = crtc(0x0a) & 0x1f;
    const cursorEnd = crtc(0x0b) & 0x1f;
    const cursorAt = ((crtc(0x0e) << 8) | crtc(0x0f)) - m.start;
    const colours = new Uint32Array(16);
    for (let i = 0; i < 16; i++) colours[i] = this.attrColour(regs, i);
    const wrap = vram.length - 1;
    for (let row = 0; row < m.rows; row++) {
      for (let col = 0; col < m.cols; col++) {
        const cell = m.start + row * m.stride + col;
        const a = (V.TEXT_BASE + ((cell * 2) & 0xffff)) & wrap;
        const ch = vram[a]!;
        const at = vram[a + 1]!;
        let fg = colours[at & 0xf]!;
        const bg = colours[blinkAttr ? (at >> 4) & 7 : at >> 4]!;
        if (blinkAttr && at & 0x80 && !blinkOn) fg = bg;
        const cursor = !cursorOff && blinkOn && cell - m.start === cursorAt;
        const x0 = col * m.cellW;
        for (let y = 0; y < m.cellH; y++) {
          let bits = y < 16 ? f[ch * 16 + y]! : 0;
          if (cursor && y >= cursorStart && y <= cursorEnd) bits = 0xff;
          const ninth = m.cellW === 9 && (cursor && y >= cursorStart && y <= cursorEnd ? true : lineGraphics && ch >= 0xc0 && ch <= 0xdf && (bits & 1) !== 0);
          let p = (row * m.cellH + y) * width + x0;
          for (let b = 7; b >= 0; b--) px[p++] = bits & (1 << b) ? fg : bg;
          if (m.cellW === 9) px[p] = ninth ? fg : bg;
        }
      }
    }
  }

  private chain4(regs: Uint8Array, vram: Uint8Array, m: Extract<V.DisplayMode, { kind: 'chain4' }>, width: number, height: number): void {
    const mask = regs[V.R_PEL_MASK]!;
    const wrap = vram.length - 1;
    for (let y = 0; y < height; y++) {
      const line = m.start + y * m.stride;
      for (let x = 0; x < width; x++) this.px[y * width + x] = this.dac[vram[(line + x) & wrap]! & mask]!;
    }
  }

  private planar(regs: Uint8Array, vram: Uint8Array, m: Extract<V.DisplayMode, { kind: 'planar' }>, width: number, height: number): void {
    const enable = regs[V.R_ATTR + 0x12]! & 0xf;
    const colours = new Uint32Array(16);
    for (let i = 0; i < 16; i++) colours[i] = this.attrColour(regs, i);
    const wrap = vram.length - 1;
    for (let y = 0; y < height; y++) {
      const line = m.start + y * m.stride;
      for (let x = 0; x < width; x++) {
        const o = ((line + (x >> 3)) * 4) & wrap;
        const bit = 7 - (x & 7);
        let c = 0;
        for (let p = 0; p < 4; p++) c |= ((vram[o + p]! >> bit) & 1) << p;
        this.px[y * width + x] = colours[c & enable]!;
      }
    }
  }

  private vbe(vram: Uint8Array, m: Extract<V.DisplayMode, { kind: 'vbe' }>, width: number, height: number): void {
    const px = this.px;
    for (let y = 0; y < height; y++) {
      let o = m.start + y * m.stride;
      let p = y * width;
      for (let x = 0; x < width; x++, p++) {
        if (o + 4 > vram.length) {
          px[p] = BLACK;
          continue;
        }
        switch (m.bpp) {
          case 8: px[p] = this.dac[vram[o]!]!; o += 1; break;
          case 15: case 16: {
            const v = vram[o]! | (vram[o + 1]! << 8);
            const r = m.bpp === 15 ? (v >> 10) & 0x1f : v >> 11;
            const g = m.bpp === 15 ? ((v >> 5) & 0x1f) << 1 : (v >> 5) & 0x3f;
            const b = v & 0x1f;
            px[p] = (BLACK | (((b << 3) | (b >> 2)) << 16) | (((g << 2) | (g >> 4)) << 8) | ((r << 3) | (r >> 2))) >>> 0;
            o += 2;
            break;
          }
          case 24: case 32:
            px[p] = (BLACK | (vram[o]! << 16) | (vram[o + 1]! << 8) | vram[o + 2]!) >>> 0;
            o += m.bpp >> 3;
            break;
          default: px[p] = BLACK; // 4-bit VBE modes are planar: not shown
        }
      }
    }
  }
}

/** The characters of a text screen, one string per row (printable ASCII as is, others as '.'),
 * or undefined when the display is not in a text mode. */
export function screenText(regs: Uint8Array, vram: Uint8Array): string[] | undefined {
  const m = V.decodeMode(regs);
  if (m.kind !== 'text') return undefined;
  const rows: string[] = [];
  for (let row = 0; row < m.rows; row++) {
    let s = '';
    for (let col = 0; col < m.cols; col++) {
      const ch = vram[(V.TEXT_BASE + (((m.start + row * m.stride + col) * 2) & 0xffff)) & (vram.length - 1)]!;
      s += ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : ch === 0 ? ' ' : '.';
    }
    rows.push(s);
  }
  return rows;
}
