/**
 * The PC platform with a Multiboot test kernel of our own (test/guests/mb-platform.asm): it
 * drives the PICs, the PIT, the RTC/CMOS, a UART, the i8042 and PCI configuration space, prints
 * a report on COM1 and ends through isa-debug-exit. wasmvisor and qemu-system-i386 must print
 * the same report (mb-platform.expected, recorded from QEMU) and exit with the same status.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pc } from '../src/pc.js';
import { requireTool } from './helpers/tools.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'guests');
const BIN = join(DIR, 'mb-platform.bin');
const EXPECTED = readFileSync(join(DIR, 'mb-platform.expected'), 'latin1');

describe('Multiboot platform test kernel', () => {
  const hasNasm = requireTool('nasm', 'nasm');
  const hasQemu = requireTool('qemu-system-i386', 'qemu-system-x86');

  it.runIf(hasNasm)('mb-platform.bin matches mb-platform.asm', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
    execFileSync('nasm', ['-f', 'bin', '-o', out, join(DIR, 'mb-platform.asm')]);
    expect(Buffer.compare(readFileSync(out), readFileSync(BIN))).toBe(0);
  });

  it('under wasmvisor prints the report and exits through isa-debug-exit with status 1', async () => {
    let out = '';
    const pc = await Pc.create({
      memory: 32 << 20,
      kernel: readFileSync(BIN),
      serial: [(b) => { out += Buffer.from(b).toString('latin1'); }],
      debugExit: { iobase: 0xf4, iosize: 4 },
    });
    const stop = pc.machine.run(100_000_000n);
    expect(out).toBe(EXPECTED);
    expect(stop.why).toBe('exit');
    expect(stop.status).toBe(1); // (0 failures << 1) | 1
    expect(EXPECTED).toMatch(/done, failures 00/);
  });

  it.runIf(hasQemu)('under qemu-system-i386 prints the same report and status', () => {
    const r = spawnSync('qemu-system-i386', ['-machine', 'pc', '-nodefaults', '-display', 'none', '-serial', 'stdio', '-m', '32',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-kernel', BIN], { timeout: 30_000, encoding: 'latin1' });
    expect(r.stdout).toBe(EXPECTED);
    expect(r.status).toBe(1);
  }, 40_000);
});
