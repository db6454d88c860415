/** The command line as a user meets it: npx wasmvisor ... */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, parseSize } from '../src/cli.js';
import { VERSION } from '../src/version.js';
import { requireTool } from './helpers/tools.js';

const cli = (...args: string[]) => spawnSync('node', ['bin/wasmvisor.js', ...args], { encoding: 'latin1', timeout: 120_000 });

describe('wasmvisor CLI', () => {
  it('--version matches package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(VERSION).toBe(pkg.version);
    const r = cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(`wasmvisor ${pkg.version}`);
  });

  it('runs the demo ROM, prints its output and the instruction count', () => {
    const r = cli('-bios', 'firmware/demo.bin');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('firmware/demo.expected', 'latin1'));
    expect(r.stderr).toMatch(/^wasmvisor: guest halted after \d+ instructions\n$/);
  });

  it('-bios with --debugcon to a file, and --stats', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-'));
    const out = join(dir, 'out.txt');
    const r = cli('-bios', 'firmware/demo.bin', '-m', '16', '--debugcon', `0xe9=${out}`, '--stats');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe(readFileSync('firmware/demo.expected', 'latin1'));
    expect(r.stderr).toMatch(/IO_INSTRUCTION \(30\)/);
    expect(r.stderr).toMatch(/HLT \(12\)/);
    expect(r.stderr).toMatch(/MIPS/);
    expect(r.stderr).toMatch(/tlb: hits [1-9]\d*, misses \d+ \(hit rate \d+\.\d+%/);
  });

  it('--max-insns stops the guest', () => {
    const r = cli('-bios', 'firmware/demo.bin', '--max-insns', '1000');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/stopped after 1000 instructions/);
  });

  it('bad input is a one-line error with a non-zero status', () => {
    for (const args of [['-nosuch'], ['-bios', '/nonexistent/rom.bin'], ['-m', 'lots'], ['--debugcon', 'e9'], ['-bios']]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^wasmvisor: error: /);
    }
    const empty = join(mkdtempSync(join(tmpdir(), 'wv-')), 'empty.rom');
    writeFileSync(empty, '');
    const r = cli('-bios', empty);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ROM image is empty/);
  });

  it('a triple fault is an error', () => {
    // a 4 KiB ROM whose reset vector runs: lidt with limit 0, then int3 -> triple fault
    const rom = new Uint8Array(4096).fill(0xf4);
    // at F000:FFF0 (file offset 0xFF0): lidt cs:[0xfff8] ; int3 ; ... descriptor at 0xFF8 (all zero)
    rom.set([0x2e, 0x0f, 0x01, 0x1e, 0xf8, 0xff, 0xcc], 0xff0);
    rom.fill(0, 0xff8);
    const f = join(mkdtempSync(join(tmpdir(), 'wv-')), 'tf.rom');
    writeFileSync(f, rom);
    const r = cli('-bios', f, '-no-reboot'); // a PC resets on a triple fault unless told not to
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^wasmvisor: error: triple fault at f000:0000fff6/);
  });

  it('parses QEMU-style sizes and options', () => {
    expect(parseSize('64')).toBe(64 << 20);
    expect(parseSize('512K')).toBe(512 << 10);
    expect(parseSize('1G')).toBe(1 << 30);
    const o = parseArgs(['--debugcon=0x402=-', '-m=32M', '--stats']);
    expect(o).toMatchObject({ memory: 32 << 20, stats: true, debugcon: [{ port: 0x402, file: '-' }] });
  });
});

describe('wasmvisor -gdb', () => {
  const hasGdb = requireTool('gdb', 'gdb');
  it.runIf(hasGdb)('waits under -S, and Debian gdb steps the demo ROM from its reset vector', async () => {
    const { spawn, spawnSync: run } = await import('node:child_process');
    const vm = spawn('node', ['bin/wasmvisor.js', '-bios', 'firmware/demo.bin', '-gdb', 'tcp::0', '-S'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let buf = '';
        vm.stderr.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(buf);
          if (m) resolve(Number(m[1]));
        });
        setTimeout(() => reject(new Error(`no port: ${buf}`)), 20_000);
      });
      const g = run('gdb', ['-nx', '-batch', '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'info registers eip cs', '-ex', 'stepi', '-ex', 'info registers cs eip', '-ex', 'kill'], { encoding: 'utf8', timeout: 60_000 });
      // reset state: F000:FFF0; the first instruction is the far jump to F000:xxxx
      expect(g.stdout).toMatch(/eip\s+0xfff0/);
      expect(g.stdout).toMatch(/cs\s+0xf000/);
      const eips = [...g.stdout.matchAll(/eip\s+(0x[0-9a-f]+)/g)].map((x) => Number(x[1]));
      expect(eips).toHaveLength(2);
      expect(eips[1]).not.toBe(0xfff0);
    } finally {
      vm.kill();
    }
  });
});
