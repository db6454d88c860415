/**
 * The guest binaries committed in firmware/ and bench/ are what their nasm sources assemble
 * to, and the demo ROM prints what an independent model (firmware/expected-demo.py, checked
 * against QEMU) says it should.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { requireTool } from './helpers/tools.js';

const ROMS = ['firmware/demo', 'bench/intloop'];

describe('committed guest binaries', () => {
  const hasNasm = requireTool('nasm', 'nasm');
  for (const rom of ROMS) {
    it.runIf(hasNasm)(`${rom}.bin matches ${rom}.asm`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
      execFileSync('nasm', ['-f', 'bin', '-o', out, `${rom}.asm`]);
      expect(Buffer.compare(readFileSync(out), readFileSync(`${rom}.bin`))).toBe(0);
    });
  }
});

describe('demo ROM', () => {
  it('prints the expected results and halts', async () => {
    const m = await Machine.create({ memory: 16 << 20, bios: readFileSync('firmware/demo.bin') });
    const chunks: Uint8Array[] = [];
    m.attach(new DebugCon(0xe9, (b) => chunks.push(b)));
    const stop = m.run(100_000_000n);
    expect(stop.why).toBe('halted');
    expect(Buffer.concat(chunks).toString('latin1')).toBe(readFileSync('firmware/demo.expected', 'latin1'));
  });

  it('runs deterministically: same instruction count twice', async () => {
    const counts: bigint[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await Machine.create({ memory: 16 << 20, bios: readFileSync('firmware/demo.bin') });
      m.attach(new DebugCon(0xe9, () => {}));
      counts.push(m.run(100_000_000n).instructions);
    }
    expect(counts[0]).toBe(counts[1]);
  });
});
