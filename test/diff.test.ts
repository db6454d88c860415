/**
 * The differential tracer (src/trace/, src/diff/): the trace format round trip, the QEMU log
 * parser on a fixed log excerpt, the undefined-flag table, and against qemu-system-i386:
 * demo.bin in lockstep to its final HLT with no divergence, and a fault injected into one
 * wasmvisor record reported at exactly that instruction.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import {
  TraceWriter, formatInsn, loadTrace, opcodeOf, bytesOf, type TraceInsn, type TraceSink,
} from '../src/trace/format.js';
import { QemuLogParser } from '../src/trace/qemu.js';
import { recordWasmvisor } from '../src/trace/record.js';
import { diffAgainstQemu, compareTraces } from '../src/diff/compare.js';
import { flagEffect, CF, OF, AF, SF, ZF, PF } from '../src/diff/flags.js';
import { requireTool } from './helpers/tools.js';

const DEMO = fileURLToPath(new URL('../firmware/demo.bin', import.meta.url));
const hasQemu = requireTool('qemu-system-i386', 'qemu-system-x86');

class MemSink implements TraceSink {
  text = '';
  write(t: string): void { this.text += t; }
  close(): void {}
}

describe('trace format', () => {
  it('round-trips records, events and the reset line', async () => {
    const rec = await recordWasmvisor({ bios: readFileSync(DEMO), maxInsns: 3000 });
    const sink = new MemSink();
    const w = new TraceWriter(sink, 'wasmvisor');
    w.reset(rec.reset);
    for (const r of rec.insns) w.insn(r);
    w.close();
    expect(rec.insns.some((r) => r.events.some((e) => e.kind === 'io'))).toBe(true); // the banner
    const back = await loadTrace(Readable.from([sink.text]));
    expect(back.reset).toEqual(rec.reset);
    expect(back.insns).toEqual(rec.insns);
    expect(formatInsn(rec.insns[0]!)).toMatch(/^0 f000:0000fff0 fffffff0 ea000000f0 /);
  });

  it('finds the opcode behind prefixes', () => {
    expect(opcodeOf(bytesOf('6667c7048bbebafeca'))).toMatchObject({ op: 0xc7, reg: 0, prefixes: [0x66, 0x67] });
    expect(opcodeOf(bytesOf('0fbcc1'))).toMatchObject({ op: 0x0f, op2: 0xbc });
  });
});

describe('QEMU log parser', () => {
  const dump = (eip: string, efl: string, eax = '00000000') => [
    `EAX=${eax} EBX=00000000 ECX=00000000 EDX=00000663`,
    'ESI=00000000 EDI=00000000 EBP=00000000 ESP=00008000',
    `EIP=${eip} EFL=${efl} [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0`,
    'ES =0000 00000000 0000ffff 00009300',
    'CS =f000 000f0000 0000ffff 00009b00',
    'SS =0000 00000000 0000ffff 00009300',
    'DS =0000 00000000 0000ffff 00009300',
    'FS =0000 00000000 0000ffff 00009300',
    'GS =0000 00000000 0000ffff 00009300',
    'LDT=0000 00000000 0000ffff 00008200',
    'CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000',
  ];
  it('aligns "state before each TB" to "state after each instruction"', () => {
    const log = [
      'IN: ',
      '0x000f0010:  66 67 c7 04 8b be ba fe  movl     $0xcafebabe, (%ebx, %ecx, 4)',
      '0x000f0018:  ca',
      '',
      'Trace 0: 0x7f0000000100 [000f0000/000f0010/00000040/ff000201] ',
      ...dump('00000010', '00000002'),
      'IN: ',
      '0x000f0019:  e6 e9                    outb     %al, $0xe9',
      '',
      'Trace 0: 0x7f0000000200 [000f0000/000f0019/00000040/ff000201] ',
      ...dump('00000019', '00000002', '00000041'),
      "memory_region_ops_write cpu 0 mr 0x55 addr 0xe9 value 0x41 size 1 name 'isa-debugcon'",
      'IN: ',
      '0x000f001b:  f6 f3                    divb     %bl',
      '',
      'Trace 0: 0x7f0000000300 [000f0000/000f001b/00000040/ff000201] ',
      ...dump('0000001b', '00000002', '00000041'),
      'check_exception old: 0xffffffff new 0x0',
      'IN: ',
      '0x000f0100:  f4                       hlt',
      '',
      'Trace 0: 0x7f0000000400 [000f0000/000f0100/00000040/ff000201] ',
      ...dump('00000100', '00000002', '00000041'),
    ];
    const out: TraceInsn[] = [];
    const p = new QemuLogParser((r) => out.push(r));
    for (const l of log) p.line(l);
    expect(p.reset?.eip).toBe(0x10);
    expect(out.map((r) => [r.n, r.ip, r.bytes, r.after.eip])).toEqual([
      [0, 0x10, '6667c7048bbebafeca', 0x19],
      [1, 0x19, 'e6e9', 0x1b],
      [2, 0x1b, 'f6f3', 0x100],
      [3, 0x100, 'f4', 0x101], // HLT with IF=0: finished at once, EIP past it
    ]);
    expect(out[0]!.after.regs[0]).toBe(0x41);
    expect(out[1]!.events).toEqual([{ kind: 'io', dir: 'out', port: 0xe9, size: 1, value: 0x41 }]);
    expect(out[2]!.events).toEqual([{ kind: 'exc', vector: 0 }]);
    expect(p.halted).toBe(true);
  });
});

describe('undefined flags', () => {
  it('follows the SDM for the common cases', () => {
    expect(flagEffect('21c8', undefined).undef).toBe(AF); // and ax, cx
    expect(flagEffect('01c8', undefined).undef).toBe(0); // add ax, cx
    expect(flagEffect('f7e3', undefined).undef).toBe(SF | ZF | AF | PF); // mul bx
    expect(flagEffect('f6f3', undefined).undef).toBe(OF | SF | ZF | AF | PF | CF); // div bl
    expect(flagEffect('c1e003', undefined).undef).toBe(AF | OF); // shl ax, 3
    expect(flagEffect('d1e0', undefined).undef).toBe(AF); // shl ax, 1
    expect(flagEffect('c1c003', undefined)).toMatchObject({ def: CF, undef: OF }); // rol ax, 3
    expect(flagEffect('c1e000', undefined)).toMatchObject({ def: 0, undef: 0 }); // count 0
    expect(flagEffect('0fbcc1', undefined).undef).toBe(CF | OF | SF | AF | PF); // bsf ax, cx
  });
});

describe.runIf(hasQemu)('against QEMU (qemu-system-i386)', () => {
  it('runs demo.bin in lockstep to its HLT with no divergence', async () => {
    const r = await diffAgainstQemu({ bios: DEMO, maxInsns: 1_000_000 });
    console.log(`demo.bin: ${r.compared} instructions compared against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.why).toBe('halted');
    // 738,199 retired instructions (each REP iteration counted) + the 3 faulting DIVs (#DE)
    expect(r.compared).toBe(738_202);
    expect(r.console.wasmvisor).toBe(readFileSync(new URL('../firmware/demo.expected', import.meta.url), 'latin1'));
    expect(r.console.reference).toBe(r.console.wasmvisor);
  }, 120_000);

  it('reports a flipped CF at exactly the instruction it was injected into', async () => {
    // the first ADD (00-05, or 80/81/83 /0) in the run
    const rec = await recordWasmvisor({ bios: readFileSync(DEMO), maxInsns: 20_000 });
    const target = rec.insns.find((r) => {
      const { op, reg } = opcodeOf(bytesOf(r.bytes));
      return (op >= 0x00 && op <= 0x05) || ((op === 0x81 || op === 0x83 || op === 0x80) && reg === 0);
    })!;
    expect(target).toBeDefined();
    const r = await diffAgainstQemu({
      bios: DEMO, maxInsns: 20_000,
      mutate: (x) => { if (x.n === target.n) x.after.eflags ^= CF; },
    });
    expect(r.ok).toBe(false);
    expect(r.why).toBe('diverged');
    expect(r.divergence!.n).toBe(target.n);
    expect(r.divergence!.fields.map((f) => f.field)).toEqual(['EFLAGS']);
    expect(r.divergence!.fields[0]!.reference).toMatch(/differ: CF\)/);
    expect(r.divergence!.context).toHaveLength(10);
    expect(r.divergence!.report).toMatch(new RegExp(`first divergence at instruction ${target.n}: .*add`));
    console.log(r.divergence!.report);
  }, 60_000);

  it('compares stored traces the same way (a register changed mid-run)', async () => {
    const { recordQemu } = await import('../src/trace/qemu.js');
    const q = await recordQemu({ bios: DEMO, maxInsns: 5000 });
    const w = await recordWasmvisor({ bios: readFileSync(DEMO), maxInsns: 5000 });
    expect(q.count).toBe(5000);
    expect((await compareTraces(w, q)).divergence).toBeUndefined();
    const regs = w.insns[4321]!.after.regs;
    regs[6] = regs[6]! ^ 0x100; // ESI
    const d = (await compareTraces(w, q)).divergence!;
    expect(d.n).toBe(4321);
    expect(d.fields).toEqual([{ field: 'ESI', wasmvisor: expect.any(String), reference: expect.any(String) }]);
  }, 60_000);
});
