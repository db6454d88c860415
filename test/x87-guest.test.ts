/**
 * A floating-point program on the emulated FPU and on the host's: bench/x87.asm (a ROM) and
 * bench/x87-native.asm (a Linux i386 program) run the same instructions (bench/x87-work.inc: a
 * Mandelbrot set under every precision and rounding control, Whetstone-like modules with the
 * transcendental instructions, FPREM, FBSTP/FBLD) and print the same text. bench/x87.expected is
 * the native program's output; the ROM must print it too. Where nasm, ld and i386 binaries are
 * available, the native program is also rebuilt and run here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { have, requireTool } from './helpers/tools.js';

const expected = readFileSync('bench/x87.expected', 'latin1');

describe('x87 guest program: the emulated FPU prints what the host CPU prints', () => {
  const hasNasm = requireTool('nasm', 'nasm');

  it.runIf(hasNasm)('bench/x87.bin is what bench/x87.asm assembles to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-'));
    try {
      execFileSync('nasm', ['-f', 'bin', '-I', 'bench/', '-o', join(dir, 'x.bin'), 'bench/x87.asm']);
      expect(Buffer.compare(readFileSync(join(dir, 'x.bin')), readFileSync('bench/x87.bin'))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ROM prints bench/x87.expected (the native output)', async () => {
    const m = await Machine.create({ memory: 16 << 20, bios: readFileSync('bench/x87.bin') });
    const chunks: Uint8Array[] = [];
    m.attach(new DebugCon(0xe9, (b) => chunks.push(b)));
    const stop = m.run(200_000_000n);
    expect(stop.why).toBe('halted');
    expect(Buffer.concat(chunks).toString('latin1')).toBe(expected);
  });

  // the native side, where this machine can build and run it
  const canRunNative = hasNasm && have('ld') && process.platform === 'linux' && process.arch === 'x64';
  it.runIf(canRunNative)('the native program (same instructions on the host CPU) prints bench/x87.expected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-'));
    try {
      execFileSync('nasm', ['-f', 'elf32', '-I', 'bench/', '-o', join(dir, 'x.o'), 'bench/x87-native.asm']);
      execFileSync('ld', ['-m', 'elf_i386', '-o', join(dir, 'x87'), join(dir, 'x.o')]);
      let out: string;
      try {
        out = execFileSync(join(dir, 'x87'), { encoding: 'latin1' });
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
