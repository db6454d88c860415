/**
 * The lockstep comparison across external interrupts: test/guests/diff-rom.bin (the 8254 at
 * ~1 kHz on IRQ 0, REP string instructions, STI; HLT waits, timer reads in the handler, OUTSB
 * and INSB to the in-core PIC) runs to its final HLT in lockstep with QEMU, every interrupt QEMU
 * takes injected into wasmvisor at the same instruction boundary; QEMU's log parser on both
 * shapes of an interrupt in the log; a broken instruction right after an interrupt is reported
 * at exactly that instruction, a broken STOSB where its byte is first used; timing-dependent
 * port reads aligned and nothing else; the Multiboot platform kernel to its HLT; the command
 * line.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QemuLogParser } from '../src/trace/qemu.js';
import type { TraceInsn } from '../src/trace/format.js';
import { diffAgainstQemu, alignTimedRead, TimedPortState } from '../src/diff/compare.js';
import { requireTool } from './helpers/tools.js';

const ROM = fileURLToPath(new URL('./guests/diff-rom.bin', import.meta.url));
const ASM = fileURLToPath(new URL('./guests/diff-rom.asm', import.meta.url));
const hasNasm = requireTool('nasm', 'nasm');
const hasQemu = requireTool('qemu-system-i386', 'qemu-system-x86');

describe.runIf(hasNasm)('diff-rom.bin', () => {
  it('is what nasm makes of diff-rom.asm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'diff-rom-'));
    try {
      execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'out.bin'), ASM]);
      expect(readFileSync(join(dir, 'out.bin')).equals(readFileSync(ROM))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('QEMU log parser: hardware interrupts', () => {
  const dump = (eip: string, efl: string, cs = 'f000', esp = '00008000') => [
    `EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000633`,
    `ESI=00000000 EDI=00000000 EBP=00000000 ESP=${esp}`,
    `EIP=${eip} EFL=${efl} [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0`,
    'ES =0000 00000000 0000ffff 00009300',
    `CS =${cs} 000${cs.slice(0, 3)}0 0000ffff 00009b00`,
    'SS =0000 00000000 0000ffff 00009300',
    'DS =0000 00000000 0000ffff 00009300',
    'FS =0000 00000000 0000ffff 00009300',
    'GS =0000 00000000 0000ffff 00009300',
  ];
  const tb = (pc: string, eip: string, efl: string, cs = 'f000', esp?: string) => [
    `Trace 0: 0x7f0000000100 [000${cs.slice(0, 3)}0/${pc}/00000040/ff000201] `, ...dump(eip, efl, cs, esp),
  ];
  const code = ['IN: ', '0x000f0010:  90                       nop', '', 'IN: ', '0x000f0011:  90                       nop', '',
    'IN: ', '0x000f0012:  f4                       hlt', ''];
  const parse = (log: string[]) => {
    const out: TraceInsn[] = [];
    const p = new QemuLogParser((r) => out.push(r));
    for (const l of log) p.line(l);
    p.end();
    return { out, p };
  };

  it('gives the interrupt to the instruction that ran last, with the handler as its state after', () => {
    // the interrupt is seen between two TBs; then, with the next TB already entered and
    // stopped at its start (dropped), the interrupt belongs to the record before that TB
    for (const stopped of [false, true]) {
      const { out, p } = parse([
        ...code,
        ...tb('000f0010', '00000010', '00000202'),
        ...tb('000f0011', '00000011', '00000202'),
        ...(stopped ? ['Stopped execution of TB chain before 0x7f0000000100 [000f0011]'] : []),
        'Servicing hardware INT=0x08',
        ...tb('000f0100', '00000100', '00000002', 'f000', '00007ffa'),
        ...tb('000f0101', '00000101', '00000002', 'f000', '00007ffa'),
      ]);
      expect(p.interrupts).toBe(1);
      const irqAt = stopped ? 0 : 1;
      expect(out[irqAt]!.events).toEqual([{ kind: 'irq', vector: 8 }]);
      expect(out[irqAt]!.after).toMatchObject({ eip: 0x100, eflags: 0x2 });
      expect(out[irqAt]!.after.regs[4]).toBe(0x7ffa);
      expect(out.map((r) => r.ip)).toEqual(stopped ? [0x10, 0x100] : [0x10, 0x11, 0x100]);
    }
  });

  it('ends a HLT with IF = 1 in the interrupt that wakes it', () => {
    const { out } = parse([
      ...code,
      ...tb('000f0012', '00000012', '00000202'),
      'Servicing hardware INT=0x08',
      ...tb('000f0100', '00000100', '00000002', 'f000', '00007ffa'),
      ...tb('000f0101', '00000101', '00000002', 'f000', '00007ffa'),
    ]);
    expect(out[0]).toMatchObject({ ip: 0x12, bytes: 'f4', events: [{ kind: 'irq', vector: 8 }] });
    expect(out[0]!.after.eip).toBe(0x100);
  });
});

describe('timing-dependent port reads', () => {
  const rec = (bytes: string, eax: number, port: number, value: number): TraceInsn => ({
    n: 0, cs: 0xf000, ip: 0, linear: 0xf0000, bytes,
    after: { regs: [eax, 0, port, 0, 0, 0, 0, 0], eip: 2, eflags: 2, sel: [0xf000, 0, 0, 0, 0, 0] },
    events: [{ kind: 'io', dir: 'in', port, size: 1, value }],
  });
  it('takes the reference\'s PIT count, and RTC clock but not CMOS RAM, IRR but not ISR', () => {
    const regs: number[] = [];
    const setReg = (r: number, v: number) => { regs[r] = v; };
    const wv = rec('e440', 0x1234, 0x40, 0x34);
    expect(alignTimedRead(wv, rec('e440', 0x12a9, 0x40, 0xa9), setReg)).toMatch(/8254 counter 0/);
    expect(wv.after.regs[0]).toBe(0x12a9);
    expect(regs[0]).toBe(0x12a9);
    expect(wv.events[0]).toMatchObject({ value: 0xa9 });
    const ports = new TimedPortState();
    const out = (port: number, value: number) => ports.observe([{ kind: 'io', dir: 'out', port, size: 1, value }]);
    out(0x70, 0x00); // seconds
    expect(alignTimedRead(rec('e471', 0x05, 0x71, 0x05), rec('e471', 0x07, 0x71, 0x07), setReg, ports)).toBeDefined();
    out(0x70, 0x15); // base memory size, low byte: CMOS RAM
    expect(alignTimedRead(rec('e471', 0x80, 0x71, 0x80), rec('e471', 0x40, 0x71, 0x40), setReg, ports)).toBeUndefined();
    expect(alignTimedRead(rec('e420', 0x01, 0x20, 0x01), rec('e420', 0x00, 0x20, 0x00), setReg, ports)).toMatch(/IRR/);
    out(0x20, 0x0b); // OCW3: read ISR
    expect(alignTimedRead(rec('e420', 0x01, 0x20, 0x01), rec('e420', 0x00, 0x20, 0x00), setReg, ports)).toBeUndefined();
    out(0x20, 0x0c); // OCW3: poll
    expect(alignTimedRead(rec('e420', 0x80, 0x20, 0x80), rec('e420', 0x00, 0x20, 0x00), setReg, ports)).toBeDefined();
    // not an IN, or another port: compared
    expect(alignTimedRead(rec('e460', 1, 0x60, 1), rec('e460', 2, 0x60, 2), setReg, ports)).toBeUndefined();
  });
});

describe.runIf(hasQemu)('diff-rom.bin against QEMU (qemu-system-i386)', () => {
  it('runs in lockstep to its HLT: over a million instructions, every timer interrupt injected', async () => {
    const r = await diffAgainstQemu({ bios: ROM, maxInsns: 5_000_000, timeoutMs: 240_000 });
    console.log(`diff-rom.bin: ${r.compared} instructions, ${r.interrupts} interrupts, against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.why).toBe('halted');
    expect(r.compared).toBeGreaterThan(1_000_000);
    expect(r.interrupts).toBeGreaterThan(100);
    // the handler's timer reads (two per interrupt) were QEMU's, so the sums printed agree too
    expect(r.masked['IN from the 8254 counter 0 (timing): the reference\'s value given to wasmvisor']).toBeGreaterThan(0);
    expect(r.console.wasmvisor).toMatch(/^diff-rom crc=87ea5cb2 pit=[0-9a-f]{4} isr=01\n$/);
    expect(r.console.reference).toBe(r.console.wasmvisor);
  }, 300_000);

  it('reports a broken instruction in an interrupt handler at exactly that instruction', async () => {
    // the first instruction of the handler (PUSH AX) after the 20th interrupt: its ESP is off
    let seen = 0;
    let target = -1;
    const r = await diffAgainstQemu({
      bios: ROM, maxInsns: 1_000_000,
      mutate: (x) => {
        if (x.n === target) x.after.regs[4] = (x.after.regs[4]! + 2) >>> 0;
        if (x.events.some((e) => e.kind === 'irq') && ++seen === 20) target = x.n + 1;
      },
    });
    expect(r.why).toBe('diverged');
    expect(r.divergence!.n).toBe(target);
    expect(r.divergence!.fields.map((f) => f.field)).toEqual(['ESP']);
    expect(r.divergence!.report).toMatch(new RegExp(`first divergence at instruction ${target}: f000:[0-9a-f]{4} 50  push ax`));
    expect(r.divergence!.report).toMatch(/the 10 instructions before it/);
    console.log(r.divergence!.report);
  }, 120_000);
});

describe.runIf(hasQemu)('a Multiboot kernel with interrupts against QEMU', () => {
  it('runs test/guests/mb-platform.bin in lockstep to its final HLT (timer, RTC and PIT reads aligned)', async () => {
    const kernel = fileURLToPath(new URL('./guests/mb-platform.bin', import.meta.url));
    const r = await diffAgainstQemu({ kernel, memory: 64 << 20, maxInsns: 1_000_000 });
    console.log(`mb-platform.bin: ${r.compared} instructions, ${r.interrupts} interrupts, against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.why).toBe('halted');
    expect(r.interrupts).toBeGreaterThan(0);
  }, 120_000);
});

describe.runIf(hasQemu)('a broken instruction is reported where it first matters', () => {
  it('a STOSB that stores a wrong byte: at the CRC loop\'s XOR that reads it, not before', async () => {
    // the 1000th STOSB of the LCG fill stores byte 999 of 1000:0000 with bit 0 flipped (the
    // core is tampered with, not the record); REP MOVSW copies it to 2000:0000 and REPE CMPSB
    // compares the two copies (equal on both sides), so no register differs until the CRC loop
    // loads byte 999 of the copy: XOR AL, [SI] with SI = 999
    let stosb = 0;
    let tampered = false;
    let firstUse = -1;
    const r = await diffAgainstQemu({
      bios: ROM, maxInsns: 1_000_000,
      tamper: (m, x) => {
        if (x.bytes === 'aa' && ++stosb === 1000) {
          const di = (x.after.regs[7]! - 1) & 0xffff;
          expect(di).toBe(999);
          const w = m.core.physToWasm(0x10000 + di);
          m.core.u8[w] = m.core.u8[w]! ^ 1;
          tampered = true;
        }
        if (tampered && firstUse < 0 && x.bytes === '3204' && x.after.regs[6] === 999) firstUse = x.n;
      },
    });
    expect(tampered).toBe(true);
    expect(r.why).toBe('diverged');
    expect(r.divergence!.n).toBe(firstUse);
    const fields = r.divergence!.fields.map((f) => f.field);
    expect(fields[0]).toBe('EAX'); // AL, and the XOR's flags when the parity changed
    expect(fields.every((f) => f === 'EAX' || f === 'EFLAGS')).toBe(true);
    expect(r.divergence!.report).toMatch(new RegExp(`first divergence at instruction ${firstUse}: f000:[0-9a-f]{4} 3204  xor al, byte ptr \\[si\\]`));
    console.log(r.divergence!.report);
  }, 120_000);
});

describe.runIf(hasQemu)('the command line', () => {
  const cli = fileURLToPath(new URL('../bin/wasmvisor.js', import.meta.url));
  it('wasmvisor diff --ref qemu -bios ROM: status 0 and the count of injected interrupts', () => {
    const out = execFileSync('node', [cli, 'diff', '--ref', 'qemu', '-bios', ROM, '--max-insns', '50000'], { encoding: 'utf8' });
    expect(out).toMatch(/^wasmvisor diff: 50000 instructions agree with QEMU [\d.]+ \(limit\) in [\d.]+ s; \d+ external interrupts taken by the reference injected at the same boundaries$/m);
    expect(out).toMatch(/^masked or aligned: \d+ IN from the 8254 counter 0 \(timing\)/m);
  }, 60_000);

  it('refuses --start-at without -kernel', () => {
    let err = '';
    try {
      execFileSync('node', [cli, 'diff', '--ref', 'qemu', '-bios', ROM, '--start-at', 'c1237173'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toMatch(/--start-at needs -kernel/);
  });
});
