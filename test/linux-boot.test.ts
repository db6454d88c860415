/**
 * Boot to text: the tiny Linux of images/ (bzImage + busybox initramfs) boots to its shell on
 * COM1; commands typed into the serial port answer as a Linux on this CPU must (uname, the CPU
 * flags the CPUID policy advertises, timer interrupts counting in /proc/interrupts); poweroff
 * halts the CPU with interrupts off, which ends the VM. Deterministic: guest time comes from the
 * instruction counter, so the instruction counts repeat from run to run.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pc } from '../src/pc.js';
import { saveState, loadState } from '../src/savestate.js';
import { Console } from './helpers/console.js';

const KERNEL = readFileSync(new URL('../images/bzImage', import.meta.url));
const INITRD = readFileSync(new URL('../images/initramfs.cpio', import.meta.url));
const PROMPT = '~ # ';

async function boot(opts: { cmdline?: string; bufferedIo?: boolean } = {}): Promise<Console> {
  let con!: Console;
  const pc = await Pc.create({ memory: 64 << 20, kernel: KERNEL, initrd: INITRD, cmdline: opts.cmdline ?? 'console=ttyS0',
    rtcEpoch: 1_700_000_000, serial: [(b) => con.sink(b)], noReboot: true, bufferedIo: opts.bufferedIo ?? true });
  con = new Console(pc);
  return con;
}

describe('tiny Linux', () => {
  it('boots to the busybox shell, answers uname, /proc/cpuinfo and /proc/interrupts, and powers off', async () => {
    const con = await boot();
    const up = con.until(/~ # /, 1_500_000_000n);
    expect(up.stop, con.text.slice(-2000)).toBeUndefined();
    expect(up.match, con.text.slice(-2000)).not.toBeNull();
    const atPrompt = con.pc.machine.instructions;
    console.log(`prompt after ${atPrompt} instructions`);
    expect(con.text).toMatch(/Linux version 6\.1\.\d+/);
    expect(con.text).toMatch(/ttyS0 at I\/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A/);
    expect(con.text).toMatch(/pci 0000:00:00\.0: \[8086:1237\]/);

    let from = con.type('uname -a; cat /proc/cpuinfo; cat /proc/interrupts\n');
    let r = con.until(/\n~ # /, 300_000_000n, from);
    expect(r.match, con.text.slice(from)).not.toBeNull();
    const out = con.text.slice(from);
    expect(out).toMatch(/^Linux wasmvisor 6\.1\.\d+ #1 [^\n]* i686 GNU\/Linux/m);
    expect(out).toMatch(/vendor_id\s+: GenuineIntel/);
    expect(out).toMatch(/cpu family\s+: 6/);
    const flags = /^flags\s+: (.*)$/m.exec(out)![1]!.split(' ');
    console.log(flags.join(' '));
    // the CPUID policy's features (src/policy/cpuid.ts); Linux hides PAT on family 6 models below 15 (errata)
    for (const f of ['fpu', 'pse', 'tsc', 'msr', 'pae', 'cx8', 'sep', 'mtrr', 'pge', 'cmov', 'fxsr', 'clflush', 'mmx', 'sse', 'sse2']) expect(flags).toContain(f);
    expect(con.text).toMatch(/x86\/fpu: x87 FPU will use FXSAVE/); // the kernel uses the core's x87
    const timer1 = Number(/^\s*0:\s+(\d+)\s/m.exec(out)?.[1]);
    expect(timer1).toBeGreaterThan(0);
    expect(out).toMatch(/^\s*4:\s+\d+\s+XT-PIC\s+ttyS0/m);

    // user space computes with the FPU (busybox awk: doubles through the x87)
    from = con.type('awk "BEGIN{print 1/3, 22/7, 3.5*4.25, 1e15/7, int(-7.5)}"\n');
    r = con.until(/\n~ # /, 300_000_000n, from);
    expect(con.text.slice(from)).toMatch(/^0\.333333 3\.14286 14\.875 1\.42857e\+14 -7\r?$/m);

    // the timer keeps counting
    from = con.type('cat /proc/interrupts\n');
    r = con.until(/\n~ # /, 300_000_000n, from);
    const timer2 = Number(/^\s*0:\s+(\d+)\s/m.exec(con.text.slice(from))?.[1]);
    expect(timer2).toBeGreaterThan(timer1);

    from = con.type('poweroff -f\n');
    r = con.until(/will never match/, 300_000_000n, from);
    expect(r.stop?.why, con.text.slice(from)).toBe('halted');
  }, 300_000);
});

describe('determinism', () => {
  it('two boots reach the prompt at the same instruction with the same console text', async () => {
    const runs: { insns: bigint; text: string; eip: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const con = await boot();
      const m = con.pc.machine;
      while (!con.text.includes(PROMPT) && m.instructions < 1_000_000_000n) m.run(m.instructions + 100_000n);
      runs.push({ insns: m.instructions, text: con.text, eip: m.core.eip });
    }
    expect(runs[0]!.text).toContain(PROMPT);
    expect(runs[1]).toEqual(runs[0]);
  }, 120_000);

  it('buffered I/O changes nothing the guest sees, only the exits: the same boot with it off', async () => {
    const runs: { insns: bigint; text: string; eip: number; ioExits: number; queued: bigint; shadow: bigint }[] = [];
    for (const bufferedIo of [true, false]) {
      const con = await boot({ bufferedIo });
      const m = con.pc.machine;
      while (!con.text.includes(PROMPT) && m.instructions < 1_000_000_000n) m.run(m.instructions + 100_000n);
      const b = m.bufferedIoCounts();
      runs.push({ insns: m.instructions, text: con.text, eip: m.core.eip, ioExits: m.stats.count[30] ?? 0, queued: b.writes, shadow: b.reads });
    }
    const [on, off] = runs as [typeof runs[0], typeof runs[0]];
    expect(on.text).toContain(PROMPT);
    expect({ insns: on.insns, text: on.text, eip: on.eip }).toEqual({ insns: off.insns, text: off.text, eip: off.eip });
    expect(off.queued + off.shadow).toBe(0n);
    // the console's bytes and its LSR polls no longer exit
    expect(on.queued).toBeGreaterThan(4000n);
    expect(on.shadow).toBeGreaterThan(4000n);
    expect(on.ioExits).toBeLessThan(off.ioExits - 8000);
    console.log(`buffered I/O: ${on.queued} writes queued, ${on.shadow} shadow reads; IO exits ${off.ioExits} -> ${on.ioExits}`);
  }, 120_000);
});

describe('save state', () => {
  it('a booted Linux saved at its prompt resumes in a fresh PC and answers a command; save, load, save is identical', async () => {
    const a = await boot();
    a.until(/~ # /, 1_500_000_000n);
    const snap = saveState(a.pc.machine);
    const b = await boot();
    loadState(b.pc.machine, snap);
    expect(Buffer.compare(saveState(b.pc.machine), snap)).toBe(0);
    const from = b.type('echo resumed $((6*7))\n');
    const r = b.until(/resumed 42/, 200_000_000n, from);
    expect(r.match, b.text.slice(from)).not.toBeNull();
  }, 120_000);
});

describe('tiny Linux through the PVH entry', () => {
  it('vmlinux.pvh boots to the same shell (hvm_start_info, initrd as module 0)', async () => {
    let text = '';
    const pc = await Pc.create({ memory: 64 << 20, kernel: readFileSync(new URL('../images/vmlinux.pvh', import.meta.url)), initrd: INITRD,
      cmdline: 'console=ttyS0', rtcEpoch: 1_700_000_000, serial: [(b) => { text += Buffer.from(b).toString('latin1'); }] });
    expect(pc.plan?.kind).toBe('pvh');
    const m = pc.machine;
    while (!text.includes(PROMPT) && m.instructions < 1_000_000_000n) {
      const stop = m.run(m.instructions + 1_000_000n);
      expect(stop.why, text.slice(-2000)).toBe('limit');
    }
    expect(text).toMatch(/wasmvisor tiny linux 6\.1\.\d+ i686/);
    expect(text).toContain(PROMPT);
  }, 120_000);
});

describe('tiny Linux from the command line', () => {
  const cli = (args: string[], input = '') =>
    spawnSync('node', ['bin/wasmvisor.js', ...args], { input, encoding: 'latin1', timeout: 120_000 });

  it('reboot -f under -no-reboot ends the VM cleanly', () => {
    const r = cli(['-no-reboot'], 'reboot -f\n'); // the default guest: images/bzImage + initramfs
    expect(r.stdout).toMatch(/reboot: Restarting system/);
    expect(r.stderr).toMatch(/guest reset \(i8042 reset pulse\) after \d+ instructions; not rebooting \(-no-reboot\)/);
    expect(r.status).toBe(0);
  });

  it('a kernel panic (corrupt initrd, panic=-1) shows the panic and exits non-zero', () => {
    const r = cli(['-kernel', 'images/bzImage', '-initrd', 'package.json', '-append', 'console=ttyS0 panic=-1', '-no-reboot']);
    expect(r.stdout).toMatch(/Kernel panic - not syncing: /);
    expect(r.stderr).toMatch(/the guest kernel panicked \(pvpanic\)/);
    expect(r.status).toBe(1);
  });

  it('a truncated or non-kernel -kernel file is a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-'));
    const trunc = join(dir, 'trunc');
    writeFileSync(trunc, KERNEL.subarray(0, 100_000));
    for (const [file, msg] of [[trunc, /truncated bzImage/], ['package.json', /not a kernel image/]] as const) {
      const r = cli(['-kernel', file]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
