/**
 * Protected-mode guest ROMs (test/guests/pm-*.asm, see test/guests/README.md): each prints
 * "ok N - ..." lines and "done N" on port 0xE9 and halts. For each guest:
 *  (a) the committed .bin is what nasm assembles from the .asm,
 *  (b) wasmvisor prints NAME.expected,
 *  (c) QEMU prints NAME.expected too, or NAME.qemu where the guest has one: pm-limits checks
 *      data-access segment limits, which QEMU (TCG) does not implement; its .expected is the
 *      SDM's answer (checked with Bochs) and its .qemu records what QEMU prints instead.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { requireTool } from './helpers/tools.js';

const DIR = 'test/guests';
const GUESTS = ['pm-seg', 'pm-limits', 'pm-ring', 'pm-paging', 'pm-task', 'pm-v86', 'pm-debug', 'pm-exc'];

/** Runs a ROM under QEMU until it prints "done N" (QEMU does not exit on cli;hlt) or 10 s pass. */
async function runQemu(bin: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'wv-qemu-')), 'out.txt');
  const qemu = spawn('qemu-system-i386', [
    '-bios', bin, '-m', '32', '-nographic', '-display', 'none', '-monitor', 'none',
    '-serial', 'none', '-device', 'isa-debugcon,iobase=0xe9,chardev=dbg',
    '-chardev', `file,id=dbg,path=${out}`, '-no-reboot',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  const read = () => (existsSync(out) ? readFileSync(out, 'latin1') : '');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && qemu.exitCode === null && !/^done \d+\n/m.test(read())) {
    await new Promise((r) => setTimeout(r, 50));
  }
  qemu.kill();
  await exited;
  return read();
}

describe('protected-mode guest ROMs', () => {
  const hasNasm = requireTool('nasm', 'nasm');
  const hasQemu = requireTool('qemu-system-i386', 'qemu-system-x86');

  for (const name of GUESTS) {
    const asm = join(DIR, `${name}.asm`);
    const bin = join(DIR, `${name}.bin`);
    const expected = join(DIR, `${name}.expected`);
    const qemuExpected = existsSync(join(DIR, `${name}.qemu`)) ? join(DIR, `${name}.qemu`) : expected;

    it.runIf(hasNasm)(`${name}.bin matches ${name}.asm`, () => {
      const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
      execFileSync('nasm', ['-f', 'bin', '-I', `${DIR}/`, '-o', out, asm]);
      expect(Buffer.compare(readFileSync(out), readFileSync(bin))).toBe(0);
    });

    it(`${name} under wasmvisor prints ${name}.expected`, async () => {
      const m = await Machine.create({ memory: 32 << 20, bios: readFileSync(bin) });
      const chunks: Uint8Array[] = [];
      m.attach(new DebugCon(0xe9, (b) => chunks.push(b)));
      const stop = m.run(50_000_000n);
      const text = Buffer.concat(chunks).toString('latin1');
      expect(text).toBe(readFileSync(expected, 'latin1'));
      expect(stop.why).toBe('halted');
    });

    it.runIf(hasQemu)(`${name} under QEMU prints ${qemuExpected.slice(DIR.length + 1)}`, async () => {
      expect(await runQemu(bin)).toBe(readFileSync(qemuExpected, 'latin1'));
    }, 20_000);
  }
});
