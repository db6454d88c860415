/**
 * The VGA test ROMs (test/guests/vga-*.asm) and what they leave on the screen: the renderer's
 * RGBA pixels in Node (test/vga.test.ts) and the page's canvas (test/web-e2e.test.ts) must both
 * have these SHA-256 digests.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pc } from '../../src/pc.js';
import { Renderer, type Frame } from '../../src/display/render.js';
import type { StopInfo } from '../../src/machine.js';

export const VGA_GUEST_DIR = 'test/guests';

export const VGA_GUESTS = {
  'vga-text': { width: 720, height: 400, sha256: '1be6e922df651b92ad663953d8ef0827f1f6e0cc2a4f284f55a60d274d1269e9' },
  'vga-13h': { width: 320, height: 200, sha256: '5d25ebb79d0e7666baaa6737e524490cbc20430d9a9e0dc7b5c0eb9f3cd54384' },
  'vga-12h': { width: 640, height: 480, sha256: 'bad8f18b06a3681f7de7f774a974b8d30decab8904663384f38064e9336636be' },
  'vga-vbe': { width: 640, height: 480, sha256: 'd7d5d534e9cc7c1e1551ac46b17c820475bcc7914beeb423114b83776393e4e6' },
} as const;

export type VgaGuest = keyof typeof VGA_GUESTS;

export const rgbaDigest = (rgba: Uint8Array | Uint8ClampedArray): string =>
  createHash('sha256').update(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength)).digest('hex');

/** Runs a test ROM to its halt and renders the screen (blinking text in its "on" phase). */
export async function runVgaGuest(name: VgaGuest): Promise<{ pc: Pc; stop: StopInfo; frame: Frame }> {
  const pc = await Pc.create({ bios: readFileSync(join(VGA_GUEST_DIR, `${name}.bin`)), memory: 16 << 20 });
  const stop = pc.machine.run(10_000_000n);
  return { pc, stop, frame: new Renderer().render(pc.vga.regs, pc.vga.memory()) };
}
