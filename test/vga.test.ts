/**
 * The VGA (src/devices/vga.ts) and the renderer (src/display/render.ts), without a browser:
 * the test ROMs test/guests/vga-text.asm and vga-13h.asm drawn into RGBA and compared by
 * checksum and by sample pixels; the registers, the planar path, Bochs VBE with the PCI
 * framebuffer, and the save state.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pc } from '../src/pc.js';
import { Renderer, screenText, type Frame } from '../src/display/render.js';
import { saveState, loadState } from '../src/savestate.js';
import { requireTool } from './helpers/tools.js';
import { VGA_GUESTS, VGA_GUEST_DIR, rgbaDigest, runVgaGuest, type VgaGuest } from './helpers/vga-guests.js';

const DIR = VGA_GUEST_DIR;
const sha256 = rgbaDigest;

async function runGuest(name: VgaGuest): Promise<{ pc: Pc; frame: Frame }> {
  const { pc, stop, frame } = await runVgaGuest(name);
  expect(stop.why).toBe('halted');
  return { pc, frame };
}

const pixel = (f: Frame, x: number, y: number) => Array.from(f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3));

describe('VGA test ROMs', () => {
  const hasNasm = requireTool('nasm', 'nasm');
  for (const name of Object.keys(VGA_GUESTS)) {
    it.runIf(hasNasm)(`${name}.bin matches ${name}.asm`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
      execFileSync('nasm', ['-f', 'bin', '-I', `${DIR}/`, '-o', out, join(DIR, `${name}.asm`)]);
      expect(Buffer.compare(readFileSync(out), readFileSync(join(DIR, `${name}.bin`)))).toBe(0);
    });
  }

  it('vga-text: 80x25 text at B800:0000 with the cursor, in 9x16 cells', async () => {
    const { pc, frame } = await runGuest('vga-text');
    expect(frame.mode).toBe('text');
    const rows = screenText(pc.vga.regs, pc.vga.memory())!;
    expect(rows).toHaveLength(25);
    expect(rows[1]).toBe('  wasmvisor VGA text mode: B800:0000, 80x25, code page 437'.padEnd(80));
    expect(rows[15]!.trim()).toBe('The quick brown fox jumps over the lazy dog 0123456789');
    expect(rows[13]!.trim()).toBe('0000111122223333444455556666777788889999AAAABBBBCCCCDDDDEEEEFFFF');
    expect([frame.width, frame.height]).toEqual([720, 400]);
    expect(pixel(frame, 0, 0)).toEqual([0, 0, 170]); // blue background (EGA colour 1)
    expect(pixel(frame, 8 * 9, 13 * 16)).toEqual([0, 0, 0]); // the black bar, colour 0
    expect(pixel(frame, (8 + 4 * 4) * 9, 13 * 16)).toEqual([170, 0, 0]); // bar 4: red (top line of its cell)
    // the cursor (CRTC 0Ah/0Bh: scan lines 13-14) at row 23, column 10, light grey on blue
    expect(pixel(frame, 10 * 9 + 3, 23 * 16 + 13)).toEqual([170, 170, 170]);
    expect(pixel(frame, 10 * 9 + 3, 23 * 16 + 12)).toEqual([0, 0, 170]);
    // blinking text: shown in the "on" phase, background in the "off" phase
    const off = new Renderer().render(pc.vga.regs, pc.vga.memory(), { blinkOn: false });
    expect(sha256(off.rgba)).not.toBe(sha256(frame.rgba));
    expect(sha256(frame.rgba)).toBe(VGA_GUESTS['vga-text'].sha256);
  });

  it('vga-13h: 320x200 in 256 colours from chain-4 memory at A000:0000 and the DAC', async () => {
    const { frame } = await runGuest('vga-13h');
    expect(frame.mode).toBe('chain4');
    expect([frame.width, frame.height]).toEqual([320, 200]);
    const dac = (r: number, g: number, b: number) => [r, g, b].map((v) => (v << 2) | (v >> 4));
    expect(pixel(frame, 0, 0)).toEqual(dac(56, 56, 56)); // the frame, colour 255
    expect(pixel(frame, 150, 100)).toEqual(dac(0, 16, 63)); // the square, colour 0x40
    expect(pixel(frame, 30, 30)).toEqual([0, 0, 0]); // the diagonal, colour 248
    expect(pixel(frame, 10, 5)).toEqual(dac(15, 3, 48)); // the gradient, colour 15
    expect(sha256(frame.rgba)).toBe(VGA_GUESTS['vga-13h'].sha256);
  });

  it('vga-12h: 640x480 in 16 colours from the four planes, written through MMIO', async () => {
    const { frame, pc } = await runGuest('vga-12h');
    expect([frame.mode, frame.width, frame.height]).toEqual(['planar', 640, 480]);
    expect(pc.machine.core.physToWasm(0xa0000)).toBe(-1); // planar: the window is MMIO
    const ega = (c: number) => [[2, 5], [1, 4], [0, 3]].map(([hi, lo]) => ((c >> hi!) & 1) * 170 + ((c >> lo!) & 1) * 85);
    // the bars: colour 0-15 every 40 pixels, through the attribute palette (6 -> 0x14: brown)
    expect(pixel(frame, 0, 0)).toEqual(ega(0));
    expect(pixel(frame, 45, 10)).toEqual(ega(1));
    expect(pixel(frame, 6 * 40 + 3, 450)).toEqual(ega(0x14));
    expect(pixel(frame, 639, 479)).toEqual(ega(0x3f));
    expect(pixel(frame, 80, 100)).toEqual(ega(0x3f)); // the white rectangle
    expect(pixel(frame, 239, 199)).toEqual(ega(0x3f));
    expect(pixel(frame, 79, 100)).toEqual(ega(0x01)); // left of it, bar 1 (x 40-79): blue
    // the yellow rectangle's edges end mid-byte: bar colours survive next to them
    expect(pixel(frame, 299, 310)).toEqual(ega(0x07));
    expect(pixel(frame, 300, 310)).toEqual(ega(0x3e));
    expect(pixel(frame, 403, 339)).toEqual(ega(0x3e));
    expect(pixel(frame, 404, 339)).toEqual(ega(0x3a));
    expect(sha256(frame.rgba)).toBe(VGA_GUESTS['vga-12h'].sha256);
  });

  it('vga-vbe: 640x480x32 through the Bochs VBE bank window', async () => {
    const { frame } = await runGuest('vga-vbe');
    expect([frame.mode, frame.width, frame.height]).toEqual(['vbe', 640, 480]);
    const colour = (x: number, y: number) => [(x ^ y) & 0xff, y & 0xff, x & 0xff];
    for (const [x, y] of [[0, 0], [5, 3], [639, 0], [100, 200], [639, 479], [300, 409]] as const) expect(pixel(frame, x, y)).toEqual(colour(x, y));
    expect(sha256(frame.rgba)).toBe(VGA_GUESTS['vga-vbe'].sha256);
  });
});

describe('VGA registers', () => {
  const out = (pc: Pc, port: number, v: number, size = 1) => pc.machine.bus.write(port, size, v);
  const inp = (pc: Pc, port: number, size = 1) => pc.machine.bus.read(port, size);

  it('DAC, attribute flip-flop, CRTC write protection, retrace toggle', async () => {
    const pc = await Pc.create({ memory: 4 << 20 });
    out(pc, 0x3c8, 7);
    for (const v of [1, 2, 3, 4]) out(pc, 0x3c9, v);
    out(pc, 0x3c7, 7);
    expect([inp(pc, 0x3c9), inp(pc, 0x3c9), inp(pc, 0x3c9), inp(pc, 0x3c9)]).toEqual([1, 2, 3, 4]);
    inp(pc, 0x3da); // flip-flop to index
    out(pc, 0x3c0, 0x02);
    out(pc, 0x3c0, 0x3f);
    out(pc, 0x3c0, 0x02);
    expect(inp(pc, 0x3c1)).toBe(0x3f);
    out(pc, 0x3d4, 0x0111, 2); // CR01 = 1: CR11 bit 7 is set in mode 3, so refused
    out(pc, 0x3d4, 0x01);
    expect(inp(pc, 0x3d5)).toBe(0x4f);
    const s = [inp(pc, 0x3da), inp(pc, 0x3da), inp(pc, 0x3da), inp(pc, 0x3da)];
    expect(s.some((v) => v & 8) && s.some((v) => !(v & 8))).toBe(true);
  });

  it('planar writes (mode 12h layout) go through MMIO to the four planes', async () => {
    const pc = await Pc.create({ memory: 4 << 20 });
    // graphics, 64 KiB at A0000, not chain-4, not 256-colour: the window becomes MMIO
    out(pc, 0x3ce, 0x0506, 2);
    out(pc, 0x3ce, 0x0005, 2);
    out(pc, 0x3c4, 0x0604, 2);
    expect(pc.machine.core.physToWasm(0xa0000)).toBe(-1);
    out(pc, 0x3c4, 0x0502, 2); // map mask: planes 0 and 2
    pc.mmio.write(0xa0000, 1, 0x81);
    const vram = pc.vga.memory();
    expect(Array.from(vram.subarray(0, 4))).toEqual([0x81, 0, 0x81, 0]);
    // read mode 0 from plane 2 loads the latches; write mode 1 copies them
    out(pc, 0x3ce, 0x0204, 2);
    expect(pc.mmio.read(0xa0000, 1)).toBe(0x81);
    out(pc, 0x3c4, 0x0f02, 2);
    out(pc, 0x3ce, 0x0105, 2);
    pc.mmio.write(0xa0001, 1, 0);
    expect(Array.from(vram.subarray(4, 8))).toEqual([0x81, 0, 0x81, 0]);
    // rendered as 16 colours: pixel 0 has planes 0 and 2 (colour 5, magenta), pixel 1 none
    const f = new Renderer().render(pc.vga.regs, pc.vga.memory());
    expect(f.mode).toBe('planar');
    expect(pixel(f, 0, 0)).toEqual([170, 0, 170]);
    expect(pixel(f, 1, 0)).toEqual([0, 0, 0]);
    expect(pixel(f, 7, 0)).toEqual([170, 0, 170]);
    expect(pixel(f, 8, 0)).toEqual([170, 0, 170]); // the byte written through the latches
    // back to text: B8000 is RAM again
    out(pc, 0x3ce, 0x0e06, 2);
    out(pc, 0x3c4, 0x0204, 2);
    expect(pc.machine.core.physToWasm(0xb8000)).toBeGreaterThan(0);
  });

  it('Bochs VBE: 640x480x32 through DISPI, drawn through the PCI framebuffer', async () => {
    const pc = await Pc.create({ memory: 4 << 20 });
    const dispi = (i: number, v?: number) => {
      out(pc, 0x1ce, i, 2);
      if (v === undefined) return inp(pc, 0x1cf, 2);
      out(pc, 0x1cf, v, 2);
      return v;
    };
    expect(dispi(0)).toBe(0xb0c5);
    expect(dispi(10)).toBe(128); // 8 MiB in 64 KiB units
    dispi(1, 640);
    dispi(2, 480);
    dispi(3, 32);
    dispi(4, 0x41); // enabled, LFB
    const lfb = pc.machine.core.physToWasm(0xfd000000);
    expect(lfb).toBeGreaterThan(0);
    const u8 = pc.machine.core.u8;
    u8.set([0x10, 0x20, 0x30, 0], lfb + (10 * 640 + 5) * 4); // B, G, R, X
    const f = new Renderer().render(pc.vga.regs, pc.vga.memory());
    expect([f.mode, f.width, f.height]).toEqual(['vbe', 640, 480]);
    expect(pixel(f, 5, 10)).toEqual([0x30, 0x20, 0x10]);
    // the PCI function: 1234:1111 at 00:03.0, class 0300
    out(pc, 0xcf8, 0x80001800, 4);
    expect(inp(pc, 0xcfc, 4)).toBe(0x11111234);
    out(pc, 0xcf8, 0x80001808, 4);
    expect(inp(pc, 0xcfc, 4) >>> 8).toBe(0x030000);
  });

  it('save state keeps the registers and video memory', async () => {
    const { pc, frame } = await runGuest('vga-13h');
    const before = sha256(frame.rgba);
    const state = saveState(pc.machine);
    const other = await Pc.create({ memory: 16 << 20 });
    loadState(other.machine, state);
    expect(sha256(new Renderer().render(other.vga.regs, other.vga.memory()).rgba)).toBe(before);
    expect(other.machine.core.physToWasm(0xa0000)).toBeGreaterThan(0); // chain-4: RAM again
  });
});
