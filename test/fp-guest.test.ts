/**
 * Floating-point and SIMD programs on the emulated CPU and on the host's. Each workload is a ROM
 * (bench/NAME.asm) and a Linux i386 program (bench/NAME-native.asm) that run the same instructions
 * (bench/NAME-work.inc) and print the same text; bench/NAME.expected is the native program's
 * output, and the ROM must print it too. Where nasm, ld and i386 binaries are available, the native
 * program is also rebuilt and run here.
 *   x87: a Mandelbrot set under every precision and rounding control, Whetstone-like modules with
 *        the transcendental instructions, FPREM, FBSTP/FBLD.
 *   sse: scalar-double and packed-single Mandelbrot sets under every MXCSR rounding mode and
 *        FTZ/DAZ, integer MMX/SSE2 (PSADBW, PMADDWD, shuffles, packs, saturation), square roots,
 *        divisions and conversions, and the MXCSR flags of masked exceptions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { have, requireTool } from './helpers/tools.js';

for (const name of ['x87', 'sse']) {
  describe(`${name} guest program: the emulated CPU prints what the host CPU prints`, () => {
    const expected = readFileSync(`bench/${name}.expected`, 'latin1');
    const hasNasm = requireTool('nasm', 'nasm');

    it.runIf(hasNasm)(`bench/${name}.bin is what bench/${name}.asm assembles to`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'wv-'));
      try {
        execFileSync('nasm', ['-f', 'bin', '-I', 'bench/', '-o', join(dir, 'x.bin'), `bench/${name}.asm`]);
        expect(Buffer.compare(readFileSync(join(dir, 'x.bin')), readFileSync(`bench/${name}.bin`))).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`the ROM prints bench/${name}.expected (the native output)`, async () => {
      const m = await Machine.create({ memory: 16 << 20, bios: readFileSync(`bench/${name}.bin`) });
      const chunks: Uint8Array[] = [];
      m.attach(new DebugCon(0xe9, (b) => chunks.push(b)));
      const stop = m.run(400_000_000n);
      expect(stop.why).toBe('halted');
      expect(Buffer.concat(chunks).toString('latin1')).toBe(expected);
    });

    // the native side, where this machine can build and run it
    const canRunNative = hasNasm && have('ld') && process.platform === 'linux' && process.arch === 'x64';
    it.runIf(canRunNative)(`the native program (same instructions on the host CPU) prints bench/${name}.expected`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'wv-'));
      try {
        execFileSync('nasm', ['-f', 'elf32', '-I', 'bench/', '-o', join(dir, 'x.o'), `bench/${name}-native.asm`]);
        execFileSync('ld', ['-m', 'elf_i386', '-o', join(dir, name), join(dir, 'x.o')]);
        let out: string;
        try {
          out = execFileSync(join(dir, name), { encoding: 'latin1' });
        } catch (e) {
          console.warn(`SKIPPED: the host cannot run i386 programs (${(e as Error).message})`);
          return;
        }
        expect(out).toBe(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
