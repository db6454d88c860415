/**
 * Bochs as the reference (src/trace/bochs.ts): the debugger-output parser on a fixed excerpt
 * (registers before each instruction, selectors implied by the loads Bochs traces, exceptions,
 * port I/O derived from the instructions, external interrupts), demo.bin against Debian's bochs
 * in lockstep to its final HLT with no divergence, and diff-rom.bin with its timer interrupts.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { BochsLogParser, bochsCommands } from '../src/trace/bochs.js';
import { diffAgainst } from '../src/diff/compare.js';
import type { TraceInsn } from '../src/trace/format.js';
import { requireTool } from './helpers/tools.js';

const DEMO = fileURLToPath(new URL('../firmware/demo.bin', import.meta.url));
const hasBochs = requireTool('bochs', 'bochs');

const regs = (ax: string, sp: string, ip: string, fl = '00000002', dx = '0000') => [
  'CPU0:',
  `rax: 00000000_0000${ax}`, 'rbx: 00000000_00000000', 'rcx: 00000000_00000000', `rdx: 00000000_0000${dx}`,
  `rsp: 00000000_0000${sp}`, 'rbp: 00000000_00000000', 'rsi: 00000000_00000000', 'rdi: 00000000_00000000',
  'r8 : 00000000_00000000', 'r15: 00000000_00000000',
  `rip: 00000000_0000${ip}`,
  `eflags 0x${fl}: id vip vif ac vm rf nt IOPL=0 of df if tf sf zf af pf cf`,
];
const sreg = (cs: string, ds = '0000', es = '0000') => [
  `es:0x${es}, dh=0x00009300, dl=0x0000ffff, valid=7`, '\tData segment, base=0x00000000, limit=0x0000ffff, Read/Write, Accessed',
  `cs:0x${cs}, dh=0x0000930f, dl=0x0000ffff, valid=1`,
  'ss:0x0000, dh=0x00009300, dl=0x0000ffff, valid=7',
  `ds:0x${ds}, dh=0x00009300, dl=0x0000ffff, valid=7`,
  'fs:0x0000, dh=0x00009300, dl=0x0000ffff, valid=7',
  'gs:0x0000, dh=0x00009300, dl=0x0000ffff, valid=7',
  'ldtr:0x0000, dh=0x00008200, dl=0x0000ffff, valid=1',
  'idtr:base=0x0000000000000000, limit=0xffff',
];

describe('Bochs debugger output parser', () => {
  it('makes records with the state after each instruction, selectors and events', () => {
    const log = [
      '<bochs:5> r', ...regs('0000', '8000', '0010'), '<bochs:6> sreg', ...sreg('f000'),
      '<bochs:7> s 5',
      ...regs('0000', '8000', '0010'),
      '(0).[0] [0x0000000f0010] f000:0010 (unk. ctxt): pop ds                    ; 1f',
      '[CPU0 RD]: LIN 0x0000000000008000 PHY 0x000000008000 (len=2, UC): 0x1234',
      ...regs('0000', '8002', '0011'),
      '(0).[1] [0x0000000f0011] f000:0011 (unk. ctxt): les di, ds:0x0030         ; c43e3000',
      '[CPU0 RD]: LIN 0x0000000000012372 PHY 0x000000012372 (len=2, UC): 0x4000',
      '[CPU0 RD]: LIN 0x0000000000012370 PHY 0x000000012370 (len=2, UC): 0x0020',
      ...regs('0041', '8002', '0015'),
      '(0).[2] [0x0000000f0015] f000:0015 (unk. ctxt): out 0xe9, al              ; e6e9',
      ...regs('0041', '8002', '0017'),
      '(0).[3] [0x0000000f0017] f000:0017 (unk. ctxt): div al, bl                ; f6f3',
      'CPU 0: Exception 0x00 - (#DE) divide by zero occurred (error_code=0x0000)',
      'CPU 0: Interrupt 0x00 occurred (error_code=0x0000)',
      '[CPU0 WR]: LIN 0x0000000000007ffe PHY 0x000000007ffe (len=2, UC): 0x0002',
      '[CPU0 RD]: LIN 0x0000000000000000 PHY 0x000000000000 (len=2, UC): 0x1E91',
      '00000000004: exception (not softint) f000:1e91 (0x000f1e91)',
      ...regs('0041', '7ffc', '1e91', '00000002', '0061'),
      '(0).[4] [0x0000000f1e91] f000:1e91 (unk. ctxt): in al, dx                 ; ec',
      'Next at t=5',
      ...regs('0061', '7ffc', '1e92', '00000002', '0061'),
      '(0) [0x0000000f1e92] f000:1e92 (unk. ctxt): hlt                       ; f4',
      '<bochs:8> sreg', ...sreg('f000', '1234', '4000'),
    ];
    const out: TraceInsn[] = [];
    const p = new BochsLogParser((r) => out.push(r));
    for (const l of log) p.line(l);
    expect(p.reset).toMatchObject({ eip: 0x10, sel: [0xf000, 0, 0, 0, 0, 0] });
    expect(out.map((r) => [r.ip, r.bytes, r.after.eip])).toEqual([
      [0x10, '1f', 0x11], [0x11, 'c43e3000', 0x15], [0x15, 'e6e9', 0x17], [0x17, 'f6f3', 0x1e91], [0x1e91, 'ec', 0x1e92],
    ]);
    expect(out[0]!.after.sel[2]).toBe(0x1234); // DS from the POP's read
    expect(out[1]!.after.sel[3]).toBe(0x4000); // ES: the read at the higher address
    expect(out[1]!.linear).toBe(0xf0011);
    expect(out[2]!.events).toEqual([{ kind: 'io', dir: 'out', port: 0xe9, size: 1, value: 0x41 }]);
    expect(out[3]!.events).toEqual([{ kind: 'exc', vector: 0 }]);
    expect(out[4]!.events).toEqual([{ kind: 'io', dir: 'in', port: 0x61, size: 1, value: 0x61 }]);
    expect(p.notes).toEqual([]); // sreg agrees with what the trace implied
  });

  it('gives an external interrupt to the instruction before it (Bochs prints the next line with the old address)', () => {
    // Bochs 2.7 on test/guests/diff-rom.bin: IRQ 0 (vector 08h) after a MOV, handler at F000:0154
    const log = [
      '<bochs:5> r', ...regs('0000', '7ffa', '00dc', '00000216'), '<bochs:6> sreg', ...sreg('f000'),
      '<bochs:7> s 5',
      ...regs('0000', '7ffa', '00dc', '00000216'),
      '(0).[0] [0x0000000f00dc] f000:00dc (unk. ctxt): mov eax, ebx              ; 6689d8',
      'CPU 0: Interrupt 0x08 occurred (error_code=0x0000)',
      '[CPU0 WR]: LIN 0x0000000000007ff8 PHY 0x000000007ff8 (len=2, UC): 0x0216',
      '[CPU0 WR]: LIN 0x0000000000007ff6 PHY 0x000000007ff6 (len=2, UC): 0xF000',
      '[CPU0 WR]: LIN 0x0000000000007ff4 PHY 0x000000007ff4 (len=2, UC): 0x00DF',
      '[CPU0 RD]: LIN 0x0000000000000020 PHY 0x000000000020 (len=2, UC): 0x0154',
      '[CPU0 RD]: LIN 0x0000000000000022 PHY 0x000000000022 (len=2, UC): 0xF000',
      ...regs('0000', '7ff4', '0154', '00000016'),
      '(0).[1] [0x0000000f00df] f000:00df (unk. ctxt): shr eax, 0x10             ; 66c1e810',
      '[CPU0 WR]: LIN 0x0000000000007ff2 PHY 0x000000007ff2 (len=2, UC): 0x7647',
      '00000004052: exception (not softint) f000:0155 (0x000f0155)',
      ...regs('0000', '7ff2', '0155', '00000016'),
      '(0).[2] [0x0000000f0155] f000:0155 (unk. ctxt): inc word ptr ss:0x0500    ; 36ff060005',
      ...regs('0000', '7ff2', '015a', '00000016'),
      '(0).[3] [0x0000000f015a] f000:015a (unk. ctxt): nop                       ; 90',
    ];
    const out: TraceInsn[] = [];
    const p = new BochsLogParser((r) => out.push(r));
    for (const l of log) p.line(l);
    expect(out.map((r) => [r.cs, r.ip, r.linear, r.bytes, r.after.eip])).toEqual([
      [0xf000, 0xdc, 0xf00dc, '6689d8', 0x154], [0xf000, 0x154, 0xf0154, '', 0x155], [0xf000, 0x155, 0xf0155, '36ff060005', 0x15a],
    ]);
    expect(out[0]!.events).toEqual([{ kind: 'irq', vector: 8 }]);
    expect(out[0]!.after.regs[4]).toBe(0x7ff4);
    expect(out[1]!.events).toEqual([]); // the "exception (not softint)" of the delivery is not an exception
    expect(p.notes).toEqual([]);
  });

  it('asks for the selectors after every chunk', () => {
    expect(bochsCommands(45_000, 20_000).split('\n').filter((l) => l.startsWith('s '))).toEqual(['s 20000', 's 20000', 's 5000']);
  });
});

describe.runIf(hasBochs)('against Bochs', () => {
  it('runs demo.bin in lockstep to its HLT with no divergence', async () => {
    const r = await diffAgainst({ ref: 'bochs', bios: DEMO, maxInsns: 1_000_000, timeoutMs: 240_000 });
    console.log(`demo.bin: ${r.compared} instructions compared against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.notes).toBeUndefined();
    expect(r.why).toBe('halted');
    expect(r.compared).toBe(738_202); // as against QEMU: each REP iteration, the 3 faulting DIVs
    expect(r.console.wasmvisor).toBe(readFileSync(new URL('../firmware/demo.expected', import.meta.url), 'latin1'));
    expect(r.console.reference).toBe(r.console.wasmvisor);
  }, 300_000);

  it('runs diff-rom.bin 200,000 instructions in lockstep, Bochs\'s timer interrupts injected', async () => {
    const rom = fileURLToPath(new URL('./guests/diff-rom.bin', import.meta.url));
    const r = await diffAgainst({ ref: 'bochs', bios: rom, maxInsns: 200_000, timeoutMs: 120_000 });
    console.log(`diff-rom.bin: ${r.compared} instructions, ${r.interrupts} interrupts, against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.notes).toBeUndefined();
    expect(r.compared).toBe(200_000);
    expect(r.interrupts).toBeGreaterThan(10);
  }, 150_000);
});
