/**
 * The VGA with Bochs's VBE extensions (QEMU's "std" VGA, bochs-display's DISPI interface).
 *
 * Registers (ports 3B4h/3B5h/3BAh in mono, 3C0h-3CFh, 3D4h/3D5h/3DAh): miscellaneous output,
 * sequencer, CRTC (with its write protection of registers 0-7), graphics controller, attribute
 * controller (index/data flip-flop reset by reading input status 1), the DAC (3C6h-3C9h, 6-bit
 * or, with VBE's 8-bit DAC flag, 8-bit components) and input status 1 whose retrace bits toggle
 * on every read, so polling loops end at once. DISPI at 1CEh (index) and 1CFh (data): ids
 * B0C0h-B0C5h, resolution, depth 4/8/15/16/24/32, enable (get-caps, 8-bit DAC, LFB,
 * no-clear-memory), 64 KiB bank, virtual width/height and offsets, memory size.
 *
 * Memory. Video memory is wasm memory the host gives the device (`VramHost`); the display reads
 * it directly. The legacy window 0xA0000-0xBFFFF is mapped as RAM, so that guest writes cost no
 * exits, whenever the mode makes VGA memory linear: text modes with odd/even addressing
 * (characters and attributes kept linear at TEXT_BASE, after the planes: vga-state.ts), chain-4 256-colour modes (mode 13h: the byte at offset
 * a is plane a & 3, offset a >> 2, which the interleaved layout of vga-state.ts makes linear)
 * and VBE's 64 KiB bank window. Planar modes (mode 12h and the like) go through MMIO: write
 * modes 0-3 with set/reset, rotation, the logical operation, bit mask and map mask; read modes
 * 0 and 1 (colour compare) through the latches. The part of the window the memory-map field
 * (GR06 bits 2-3) does not decode reads as all ones. The linear framebuffer is mapped as RAM at
 * the PCI BAR (vga-pci.ts) through setLfb.
 *
 * No VGA BIOS runs: the registers start as a BIOS leaves them for mode 3 (vga-state.ts).
 */
import { OnceLog, type Device, type Logger } from './device.js';
import type { MmioRegion } from './mmio.js';
import { fromBase64, toBase64 } from '../base64.js';
import * as V from '../display/vga-state.js';

/** Where video memory lives and how the device maps guest-physical pages onto it. */
export interface VramHost {
  /** Video memory (valid until the host's memory grows; the device asks again each time). */
  vram(): Uint8Array;
  /** Maps [phys, phys + size) as RAM onto video memory from `offset`, or, offset undefined,
   * back to MMIO. Page-aligned. */
  map(phys: number, size: number, offset: number | undefined): void;
}

export const VGA_WINDOW = 0xa0000;
const WINDOW_SIZE = 0x20000;
const PLANES_SIZE = 0x40000; // 4 x 64 KiB

export class Vga implements Device {
  readonly name = 'vga';
  readonly ports = [{ start: 0x3b0, count: 0x30 }, { start: 0x1ce, count: 2 }];
  readonly widths = [1, 2];
  /** The register file (vga-state.ts layout): the display reads it. */
  readonly regs = new Uint8Array(V.REGS_SIZE);
  /** The legacy window as MMIO (pages not mapped as RAM reach it). */
  readonly mmio: MmioRegion;
  readonly vramSize: number;
  private lfbBase: number | undefined;
  private windowMap = '';
  /** The window is not RAM-mapped: accesses come here and go to the planes. */
  private planar = false;
  private readonly once: OnceLog;

  constructor(private readonly host: VramHost, opts: { log?: Logger } = {}) {
    this.once = new OnceLog(opts.log ?? (() => {}));
    this.vramSize = host.vram().length;
    if (this.vramSize < V.TEXT_BASE + 0x10000 || this.vramSize % 0x10000) throw new Error(`vga: video memory of ${this.vramSize} bytes (at least 320 KiB, in 64 KiB units)`);
    this.mmio = {
      name: 'vga',
      base: VGA_WINDOW,
      size: WINDOW_SIZE,
      read: (o, size) => {
        let v = 0;
        for (let i = 0; i < size; i++) v |= this.memRead(o + i) << (8 * i);
        return v >>> 0;
      },
      write: (o, size, value) => {
        for (let i = 0; i < size; i++) this.memWrite(o + i, (value >>> (8 * i)) & 0xff);
      },
    };
    this.reset();
  }

  /** Video memory (the display reads it with `regs`). */
  memory(): Uint8Array {
    return this.host.vram();
  }

  reset(): void {
    V.resetRegisters(this.regs);
    V.setDispi(this.regs, V.DISPI_VIDEO_MEMORY_64K, this.vramSize >> 16);
    this.remap();
  }

  // ---- ports ----

  ioRead(port: number, size: number): number {
    if (size === 2) {
      if (port === 0x1ce) return this.dispiIndex();
      if (port === 0x1cf) return this.dispiRead();
      return this.readPort(port) | (this.readPort(port + 1) << 8);
    }
    return this.readPort(port);
  }

  ioWrite(port: number, size: number, value: number): void {
    if (size === 2) {
      if (port === 0x1ce) return this.setDispiIndex(value);
      if (port === 0x1cf) return this.dispiWrite(value);
      this.writePort(port, value & 0xff);
      this.writePort(port + 1, (value >> 8) & 0xff);
      return;
    }
    this.writePort(port, value);
  }

  /** Ports 3B4h/3B5h/3BAh answer in mono mode, 3D4h/3D5h/3DAh in colour (misc bit 0). */
  private wrongMono(port: number): boolean {
    const colour = (this.regs[V.R_MISC]! & 1) !== 0;
    return (port >= 0x3b0 && port <= 0x3bf && colour) || (port >= 0x3d0 && port <= 0x3df && !colour);
  }

  private readPort(port: number): number {
    const r = this.regs;
    if (port === 0x1ce) return this.dispiIndex() & 0xff;
    if (port === 0x1cf) return this.dispiRead() & 0xff;
    if (this.wrongMono(port)) return 0xff;
    switch (port) {
      case 0x3c0: return r[V.R_ATTR_INDEX]!;
      case 0x3c1: return r[V.R_ATTR + (r[V.R_ATTR_INDEX]! & 0x1f)] ?? 0;
      case 0x3c2: return 0x10; // input status 0: switch sense
      case 0x3c3: return 1;
      case 0x3c4: return r[V.R_SEQ_INDEX]!;
      case 0x3c5: return r[V.R_SEQ + (r[V.R_SEQ_INDEX]! & 7)]!;
      case 0x3c6: return r[V.R_PEL_MASK]!;
      case 0x3c7: return r[V.R_DAC_STATE]!;
      case 0x3c8: return r[V.R_DAC_WRITE]!;
      case 0x3c9: return this.dacRead();
      case 0x3ca: return r[V.R_FEATURE]!;
      case 0x3cc: return r[V.R_MISC]!;
      case 0x3ce: return r[V.R_GC_INDEX]!;
      case 0x3cf: return r[V.R_GC + (r[V.R_GC_INDEX]! & 0xf)]!;
      case 0x3b4: case 0x3d4: return r[V.R_CRTC_INDEX]!;
      case 0x3b5: case 0x3d5: return r[V.R_CRTC + (r[V.R_CRTC_INDEX]! & 0x3f)]!;
      case 0x3ba: case 0x3da: {
        // input status 1: resets the attribute flip-flop; display-enable (bit 0) and vertical
        // retrace (bit 3) alternate read by read, so "wait for retrace" loops end at once
        r[V.R_ATTR_FLIP] = 0;
        const n = (r[V.R_STATUS_COUNT]! + 1) & 0xff;
        r[V.R_STATUS_COUNT] = n;
        return (n & 1) | ((n & 2) << 2);
      }
      default: return 0xff;
    }
  }

  private writePort(port: number, v: number): void {
    const r = this.regs;
    if (port === 0x1ce) return this.setDispiIndex(v);
    if (port === 0x1cf) return this.dispiWrite(v);
    if (this.wrongMono(port)) return;
    switch (port) {
      case 0x3c0:
        if (r[V.R_ATTR_FLIP] === 0) r[V.R_ATTR_INDEX] = v & 0x3f;
        else {
          const i = r[V.R_ATTR_INDEX]! & 0x1f;
          if (i <= 0x14) r[V.R_ATTR + i] = i < 0x10 ? v & 0x3f : v;
        }
        r[V.R_ATTR_FLIP] = r[V.R_ATTR_FLIP]! ^ 1;
        return;
      case 0x3c2: r[V.R_MISC] = v; return;
      case 0x3c4: r[V.R_SEQ_INDEX] = v & 7; return;
      case 0x3c5: {
        const i = r[V.R_SEQ_INDEX]! & 7;
        r[V.R_SEQ + i] = v;
        if (i === 4) this.remap();
        return;
      }
      case 0x3c6: r[V.R_PEL_MASK] = v; return;
      case 0x3c7: r[V.R_DAC_READ] = v; r[V.R_DAC_COMPONENT] = 0; r[V.R_DAC_STATE] = 3; return;
      case 0x3c8: r[V.R_DAC_WRITE] = v; r[V.R_DAC_COMPONENT] = 0; r[V.R_DAC_STATE] = 0; return;
      case 0x3c9: this.dacWrite(v); return;
      case 0x3ce: r[V.R_GC_INDEX] = v & 0xf; return;
      case 0x3cf: {
        const i = r[V.R_GC_INDEX]! & 0xf;
        if (i > 8) return;
        r[V.R_GC + i] = v;
        if (i === 5 || i === 6) this.remap();
        return;
      }
      case 0x3b4: case 0x3d4: r[V.R_CRTC_INDEX] = v & 0x3f; return;
      case 0x3b5: case 0x3d5: {
        const i = r[V.R_CRTC_INDEX]! & 0x3f;
        if (i > 0x18) return;
        // CR11 bit 7 protects CR00-CR07, except CR07's line-compare bit 4
        if (r[V.R_CRTC + 0x11]! & 0x80 && i <= 7) {
          if (i === 7) r[V.R_CRTC + 7] = (r[V.R_CRTC + 7]! & ~0x10) | (v & 0x10);
          return;
        }
        r[V.R_CRTC + i] = v;
        return;
      }
      case 0x3ba: case 0x3da: r[V.R_FEATURE] = v; return;
      default:
        this.once.warn(`port:${port}`, `vga: write of 0x${v.toString(16)} to port 0x${port.toString(16)} ignored`);
    }
  }

  private dacBits(): number {
    return V.dispi(this.regs, V.DISPI_ENABLE) & V.DISPI_8BIT_DAC ? 0xff : 0x3f;
  }

  private dacWrite(v: number): void {
    const r = this.regs;
    const c = r[V.R_DAC_COMPONENT]!;
    r[V.R_DAC + 3 * r[V.R_DAC_WRITE]! + c] = v & this.dacBits();
    if (c === 2) {
      r[V.R_DAC_COMPONENT] = 0;
      r[V.R_DAC_WRITE] = (r[V.R_DAC_WRITE]! + 1) & 0xff;
    } else r[V.R_DAC_COMPONENT] = c + 1;
  }

  private dacRead(): number {
    const r = this.regs;
    const c = r[V.R_DAC_COMPONENT]!;
    const v = r[V.R_DAC + 3 * r[V.R_DAC_READ]! + c]!;
    if (c === 2) {
      r[V.R_DAC_COMPONENT] = 0;
      r[V.R_DAC_READ] = (r[V.R_DAC_READ]! + 1) & 0xff;
    } else r[V.R_DAC_COMPONENT] = c + 1;
    return v;
  }

  // ---- Bochs VBE (DISPI) ----

  private dispiIndex(): number {
    return this.regs[V.R_DISPI_INDEX]! | (this.regs[V.R_DISPI_INDEX + 1]! << 8);
  }

  private setDispiIndex(v: number): void {
    this.regs[V.R_DISPI_INDEX] = v & 0xff;
    this.regs[V.R_DISPI_INDEX + 1] = (v >> 8) & 0xff;
  }

  private dispiRead(): number {
    const r = this.regs;
    const i = this.dispiIndex();
    if (i >= V.DISPI_COUNT) return 0;
    if (V.dispi(r, V.DISPI_ENABLE) & V.DISPI_GETCAPS) {
      if (i === V.DISPI_XRES) return V.DISPI_MAX_XRES;
      if (i === V.DISPI_YRES) return V.DISPI_MAX_YRES;
      if (i === V.DISPI_BPP) return V.DISPI_MAX_BPP;
    }
    return V.dispi(r, i);
  }

  private dispiWrite(v: number): void {
    const r = this.regs;
    const i = this.dispiIndex();
    const enabled = (V.dispi(r, V.DISPI_ENABLE) & V.DISPI_ENABLED) !== 0;
    const set = (k: number, x: number) => V.setDispi(r, k, x);
    switch (i) {
      case V.DISPI_ID:
        if (v >= 0xb0c0 && v <= 0xb0c5) set(i, v);
        return;
      case V.DISPI_XRES:
      case V.DISPI_YRES:
      case V.DISPI_BPP: {
        if (enabled) return; // the mode is fixed while enabled
        const max = i === V.DISPI_XRES ? V.DISPI_MAX_XRES : i === V.DISPI_YRES ? V.DISPI_MAX_YRES : V.DISPI_MAX_BPP;
        if (i === V.DISPI_BPP && v === 0) v = 8;
        if (i === V.DISPI_BPP && ![4, 8, 15, 16, 24, 32].includes(v)) return this.once.warn(`bpp:${v}`, `vga: VBE depth ${v} refused`);
        if (i === V.DISPI_XRES && v & 7) return this.once.warn(`xres:${v}`, `vga: VBE width ${v} is not a multiple of 8, refused`);
        if (v > max) return;
        set(i, v);
        return;
      }
      case V.DISPI_ENABLE: this.dispiEnable(v); return;
      case V.DISPI_BANK: {
        const banks = this.vramSize >> 16;
        set(i, v < banks ? v : 0);
        this.remap();
        return;
      }
      case V.DISPI_VIRT_WIDTH: {
        const bytes = this.bytesPerPixel();
        if (v < V.dispi(r, V.DISPI_XRES) || !bytes) return;
        set(i, v);
        set(V.DISPI_VIRT_HEIGHT, Math.min(0xffff, Math.floor(this.vramSize / (v * bytes))));
        return;
      }
      case V.DISPI_X_OFFSET:
      case V.DISPI_Y_OFFSET:
        set(i, v);
        return;
      default:
        this.once.warn(`dispi:${i}`, `vga: write of DISPI register ${i} ignored`);
    }
  }

  private bytesPerPixel(): number {
    const bpp = V.dispi(this.regs, V.DISPI_BPP);
    return bpp === 15 ? 2 : bpp >> 3;
  }

  private dispiEnable(v: number): void {
    const r = this.regs;
    const was = (V.dispi(r, V.DISPI_ENABLE) & V.DISPI_ENABLED) !== 0;
    if (v & V.DISPI_ENABLED && !was) {
      const xres = V.dispi(r, V.DISPI_XRES);
      const yres = V.dispi(r, V.DISPI_YRES);
      const bytes = Math.max(1, this.bytesPerPixel());
      if (!xres || !yres || xres * yres * bytes > this.vramSize) {
        this.once.warn(`mode:${xres}x${yres}`, `vga: VBE mode ${xres}x${yres}x${V.dispi(r, V.DISPI_BPP)} does not fit ${this.vramSize} bytes, not enabled`);
        return;
      }
      V.setDispi(r, V.DISPI_VIRT_WIDTH, xres);
      V.setDispi(r, V.DISPI_VIRT_HEIGHT, Math.min(0xffff, Math.floor(this.vramSize / (xres * bytes))));
      V.setDispi(r, V.DISPI_X_OFFSET, 0);
      V.setDispi(r, V.DISPI_Y_OFFSET, 0);
      if (!(v & V.DISPI_NOCLEARMEM)) this.host.vram().fill(0);
      // the legacy registers follow, as Bochs's: graphics, the 64 KiB window at A0000h
      r[V.R_GC + 6] = (r[V.R_GC + 6]! & ~0x0c) | 0x05;
      r[V.R_ATTR_INDEX] = r[V.R_ATTR_INDEX]! | 0x20;
    }
    V.setDispi(r, V.DISPI_ENABLE, v);
    this.remap();
  }

  // ---- memory ----

  /** The legacy window's mapping: VBE bank, linear (text, chain-4) or MMIO (planar). */
  private remap(): void {
    const r = this.regs;
    const vbe = (V.dispi(r, V.DISPI_ENABLE) & V.DISPI_ENABLED) !== 0;
    const [base, size] = this.windowRange();
    let linear: number | undefined;
    if (vbe) linear = V.dispi(r, V.DISPI_BANK) << 16;
    else if (r[V.R_SEQ + 4]! & 0x08) linear = 0; // chain-4
    // alphanumeric with odd/even addressing: the text; sequential (a font load into plane 2)
    // takes the planar path
    else if (!(r[V.R_GC + 6]! & 1) && !(r[V.R_SEQ + 4]! & 0x04)) linear = V.TEXT_BASE;
    const key = `${base}:${size}:${linear}`;
    if (key === this.windowMap) return;
    this.windowMap = key;
    this.planar = linear === undefined;
    this.host.map(VGA_WINDOW, WINDOW_SIZE, undefined);
    if (linear !== undefined) this.host.map(base, size, linear);
  }

  /** The part of 0xA0000-0xBFFFF the memory-map field decodes (VBE: the 64 KiB bank window). */
  private windowRange(): [number, number] {
    if (V.dispi(this.regs, V.DISPI_ENABLE) & V.DISPI_ENABLED) return [0xa0000, 0x10000];
    switch ((this.regs[V.R_GC + 6]! >> 2) & 3) {
      case 0: return [0xa0000, 0x20000];
      case 1: return [0xa0000, 0x10000];
      case 2: return [0xb0000, 0x8000];
      default: return [0xb8000, 0x8000];
    }
  }

  /** A planar access at window offset `o` (from 0xA0000): the plane offset, or -1 if not decoded. */
  private planeOffset(o: number): number {
    const [base, size] = this.windowRange();
    const off = VGA_WINDOW + o - base;
    return off >= 0 && off < size ? off : -1;
  }

  private memRead(o: number): number {
    const off = this.planeOffset(o);
    if (off < 0 || !this.planar) return 0xff;
    const r = this.regs;
    const vram = this.host.vram();
    for (let p = 0; p < 4; p++) r[V.R_LATCH + p] = vram[off * 4 + p]!;
    if (!(r[V.R_GC + 5]! & 0x08)) return r[V.R_LATCH + (r[V.R_GC + 4]! & 3)]!;
    // read mode 1: colour compare, planes left out by colour don't care match anything
    const compare = r[V.R_GC + 2]!;
    const care = r[V.R_GC + 7]!;
    let diff = 0;
    for (let p = 0; p < 4; p++) {
      if (!(care & (1 << p))) continue;
      diff |= r[V.R_LATCH + p]! ^ (compare & (1 << p) ? 0xff : 0);
    }
    return ~diff & 0xff;
  }

  private memWrite(o: number, v: number): void {
    const off = this.planeOffset(o);
    if (off < 0 || !this.planar) return;
    const r = this.regs;
    const gc = (i: number) => r[V.R_GC + i]!;
    const mode = gc(5) & 3;
    const rot = gc(3) & 7;
    const rotated = ((v >> rot) | (v << (8 - rot))) & 0xff;
    const op = (gc(3) >> 3) & 3;
    let mask = gc(8);
    const vram = this.host.vram();
    const planes = r[V.R_SEQ + 2]! & 0xf;
    if (mode === 3) mask &= rotated;
    for (let p = 0; p < 4; p++) {
      if (!(planes & (1 << p))) continue;
      const latch = r[V.R_LATCH + p]!;
      let d: number;
      if (mode === 1) {
        vram[off * 4 + p] = latch;
        continue;
      }
      if (mode === 2) d = v & (1 << p) ? 0xff : 0;
      else if (mode === 3 || gc(1) & (1 << p)) d = gc(0) & (1 << p) ? 0xff : 0;
      else d = rotated;
      if (op === 1) d &= latch;
      else if (op === 2) d |= latch;
      else if (op === 3) d ^= latch;
      vram[off * 4 + p] = (d & mask) | (latch & ~mask & 0xff);
    }
  }

  /** Maps the linear framebuffer at `base` (the PCI BAR), or unmaps it (undefined). */
  setLfb(base: number | undefined): void {
    if (base === this.lfbBase) return;
    if (this.lfbBase !== undefined) this.host.map(this.lfbBase, this.vramSize, undefined);
    this.lfbBase = base;
    if (base !== undefined) this.host.map(base, this.vramSize, 0);
  }

  // ---- save state ----

  save(): Record<string, unknown> {
    // video memory up to the last 64 KiB block in use (the planes, or the VBE framebuffer)
    const vram = this.host.vram();
    let used = PLANES_SIZE;
    for (let b = this.vramSize; b > PLANES_SIZE; b -= 0x10000) {
      if (vram.subarray(b - 0x10000, b).some((x) => x !== 0)) {
        used = b;
        break;
      }
    }
    return { regs: toBase64(this.regs), vram: toBase64(vram.subarray(0, used)) };
  }

  load(s: Record<string, unknown>): void {
    const regs = s.regs;
    const vram = s.vram;
    if (typeof regs !== 'string' || typeof vram !== 'string') throw new Error('vga: save state fields regs/vram missing');
    const rb = fromBase64(regs);
    const vb = fromBase64(vram);
    if (rb.length !== V.REGS_SIZE || vb.length > this.vramSize) throw new Error('vga: save state malformed');
    this.regs.set(rb);
    const mem = this.host.vram();
    mem.fill(0);
    mem.set(vb);
    this.windowMap = '';
    this.remap();
  }
}
