/**
 * The Linux diff: QEMU boots the tiny Linux of images/ through SeaBIOS and its option ROM to
 * the kernel's 32-bit entry, wasmvisor takes over QEMU's machine state and RAM there, and the
 * two run 100,000 instructions in lockstep (docs/trace-format.md). Also the pieces: QEMU's
 * `info registers` parsed into the state wasmvisor is given, a TB that QEMU stopped before its
 * first instruction dropped from the trace, CPUID/RDTSC alignment, and a register flipped in
 * one wasmvisor record reported at exactly that instruction of the kernel. And a million
 * instructions from x86_late_time_init, where the kernel sets up its timer: past the first timer
 * interrupts, which QEMU takes and wasmvisor is given at the same instruction boundaries.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { diffAgainst, alignPlatform } from '../src/diff/compare.js';
import { parseQemuRegisters, applyPicState, picReg } from '../src/trace/machine-state.js';
import { Machine } from '../src/machine.js';
import { QemuLogParser } from '../src/trace/qemu.js';
import type { TraceInsn } from '../src/trace/format.js';
import { requireTool } from './helpers/tools.js';

const img = (f: string) => fileURLToPath(new URL(`../images/${f}`, import.meta.url));
const hasQemu = requireTool('qemu-system-i386', 'qemu-system-x86');

// QEMU 7.2's HMP `info registers` at the bzImage's code32_start
const INFO_REGISTERS = `CPU#0
EAX=00100000 EBX=00000000 ECX=00000000 EDX=00000000
ESI=00013bb0 EDI=00000000 EBP=00000000 ESP=0001ff80
EIP=00100000 EFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]
SS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
DS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
FS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
GS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
LDT=0000 00000000 00000000 00008200 DPL=0 LDT
TR =0020 00001000 00000067 00008900 DPL=0 TSS32-avl
GDT=     00013770 00000027
IDT=     00000000 00000000
CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000
DR0=00000000 DR1=00000000 DR2=00000000 DR3=00000000 
DR6=ffff0ff0 DR7=00000400
EFER=0000000000000000
FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80
FPR0=0000000000000000 0000 FPR1=0000000000000000 0000
FPR2=0000000000000000 0000 FPR3=0000000000000000 0000
FPR4=0000000000000000 0000 FPR5=0000000000000000 0000
FPR6=0000000000000000 0000 FPR7=8000000000000000 3fff
`;

describe('the state at the kernel entry', () => {
  it("parses QEMU's info registers", () => {
    const s = parseQemuRegisters(INFO_REGISTERS);
    expect(s.regs).toEqual([0x100000, 0, 0, 0, 0x1ff80, 0, 0x13bb0, 0]);
    expect(s.eip).toBe(0x100000);
    expect(s.eflags).toBe(0x46);
    expect(s.segs[1]).toEqual({ sel: 0x10, base: 0, limit: 0xffffffff, flags: 0x00cf9b00 });
    expect(s.segs[7]).toEqual({ sel: 0x20, base: 0x1000, limit: 0x67, flags: 0x8900 }); // TR
    expect(s.gdt).toEqual({ base: 0x13770, limit: 0x27 });
    expect([s.cr0, s.cr3, s.cr4, s.dr6, s.dr7, s.cpl, s.a20]).toEqual([0x11, 0, 0, 0xffff0ff0, 0x400, 0, true]);
    expect(s.fpu?.fcw).toBe(0x37f);
    expect(s.fpu?.regs[7]).toEqual({ mant: 0x8000000000000000n, exp: 0x3fff });
  });

  it('drops a TB that QEMU stopped before its first instruction', () => {
    const dump = (eip: string, ecx: string) => [
      `EAX=00000018 EBX=013c7000 ECX=${ecx} EDX=0024d000`,
      'ESI=00013bb0 EDI=00000000 EBP=01000000 ESP=013b5200',
      `EIP=${eip} EFL=00000006 [-----P-] CPL=0 II=0 A20=1 SMM=0 HLT=0`,
      'ES =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
      'CS =0010 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]',
      'SS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
      'DS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
      'FS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
      'GS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
    ];
    const tb = (pc: string) => `Trace 0: 0x7fb00c001900 [00000000/${pc}/000000b0/ff000201] `;
    const out: TraceInsn[] = [];
    const p = new QemuLogParser((r) => out.push(r));
    for (const l of [
      tb('00100061'), ...dump('00100061', '00000003'),
      tb('00100061'), ...dump('00100061', '00000002'),
      'Stopped execution of TB chain before 0x7fb00c001900 [00100061] ', // a device timer kicked the vCPU
      tb('00100061'), ...dump('00100061', '00000002'),
      tb('00100061'), ...dump('00100061', '00000001'),
    ]) p.line(l);
    p.end(); // the last record waits for the next TB (an interrupt could still come before it)
    expect(p.stoppedTbs).toBe(1);
    expect(out.map((r) => r.after.regs[1])).toEqual([2, 1]);
  });

  it('aligns CPUID results (the CPU model) and nothing else', () => {
    const st = (regs: number[]) => ({ regs, eip: 0x102, eflags: 0x46, sel: [0x10, 0x18, 0x18, 0x18, 0x18, 0x18] });
    const rec = (bytes: string, regs: number[]): TraceInsn => ({ n: 0, cs: 0x10, ip: 0x100, linear: 0x100, bytes, after: st(regs), events: [] });
    const set: [number, number][] = [];
    const wv = rec('0fa2', [1, 0, 0, 0, 0x1000, 0, 0, 0]);
    const ref = rec('0fa2', [0x40000001, 0x43544743, 0x47435447, 0x54474354, 0x1000, 0, 0, 0]);
    expect(alignPlatform(wv, ref, (r, v) => set.push([r, v]))).toMatch(/CPUID/);
    expect(wv.after.regs).toEqual(ref.after.regs);
    expect(set).toHaveLength(4);
    // a difference outside CPUID's outputs is not aligned
    const wv2 = rec('0fa2', [1, 0, 0, 0, 0x1004, 0, 0, 0]);
    expect(alignPlatform(wv2, ref, () => {})).toBeUndefined();
    expect(alignPlatform(rec('01c8', [1, 0, 0, 0, 0, 0, 0, 0]), rec('01c8', [2, 0, 0, 0, 0, 0, 0, 0]), () => {})).toBeUndefined();
    // RDMSR of IA32_BIOS_SIGN_ID (the microcode revision: QEMU 1, wasmvisor 0), no other MSR
    const sign = rec('0f32', [0, 0x8b, 0, 0, 0, 0, 0, 0]);
    expect(alignPlatform(sign, rec('0f32', [0, 0x8b, 1, 0, 0, 0, 0, 0]), () => {})).toMatch(/RDMSR 8bh/);
    expect(sign.after.regs[2]).toBe(1);
    expect(alignPlatform(rec('0f32', [0, 0x1b, 0, 0, 0, 0, 0, 0]), rec('0f32', [0, 0x1b, 1, 0, 0, 0, 0, 0]), () => {})).toBeUndefined();
  });
});

describe("QEMU's 8259A state", () => {
  it('goes into the in-core PICs (info pic)', async () => {
    const m = await Machine.create({ memory: 1 << 20, log: () => {} });
    const info = 'pic1: irr=00 imr=ff isr=00 hprio=0 irq_base=70 rr_sel=0 elcr=0c fnm=0\n' +
      'pic0: irr=01 imr=fa isr=01 hprio=3 irq_base=30 rr_sel=1 elcr=00 fnm=0\n';
    expect(applyPicState(m, info)).toBe(true);
    const reg = (chip: number, r: number) => m.core.get32(picReg(chip, r));
    expect([reg(0, 0), reg(0, 1), reg(0, 2), reg(0, 3), reg(0, 7), reg(0, 8)]).toEqual([1, 1, 0xfa, 0x30, 1, 2]);
    expect([reg(1, 2), reg(1, 3), reg(1, 8), reg(1, 12)]).toEqual([0xff, 0x70, 7, 0x0c]);
  });
});

describe.runIf(hasQemu)('Linux against QEMU from the kernel entry (qemu-system-i386)', () => {
  const linux = { kernel: img('bzImage'), initrd: img('initramfs.cpio'), append: 'console=ttyS0', memory: 64 << 20 };

  it('runs the bzImage 100,000 instructions from code32_start in lockstep', async () => {
    const r = await diffAgainst({ ...linux, maxInsns: 100_000 });
    console.log(`bzImage: ${r.compared} instructions from the 32-bit entry compared against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.why).toBe('limit');
    expect(r.compared).toBe(100_000);
  }, 120_000);

  it('runs the PVH vmlinux 100,000 instructions from its PVH entry in lockstep (CPUID aligned)', async () => {
    const r = await diffAgainst({ ...linux, kernel: img('vmlinux.pvh'), maxInsns: 100_000 });
    console.log(`vmlinux.pvh: ${r.compared} instructions from the PVH entry compared against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.compared).toBe(100_000);
    // the only masks: CPUID (xen_cpuid_base probes the hypervisor leaves, QEMU answers TCG's)
    expect(Object.keys(r.masked).every((k) => k.startsWith('CPUID'))).toBe(true);
  }, 120_000);

  it('runs the bzImage 1,000,000 instructions from x86_late_time_init in lockstep, timer interrupts injected', async () => {
    // x86_late_time_init of images/bzImage (its /proc/kallsyms: echo 'grep late_time_init
    // /proc/kallsyms; poweroff -f' | npx wasmvisor): run once, just before the PIT is set up
    // and IRQ 0 unmasked; QEMU's state, RAM and PICs there are copied to wasmvisor
    const r = await diffAgainst({ ...linux, startAt: 0xc1237173, maxInsns: 1_000_000 });
    console.log(`bzImage from x86_late_time_init: ${r.compared} instructions, ${r.interrupts} interrupts, against ${r.referenceVersion} in ${(r.ms / 1000).toFixed(1)} s; masked: ${JSON.stringify(r.masked)}`);
    if (r.divergence) console.log(r.divergence.report);
    expect(r.divergence).toBeUndefined();
    expect(r.compared).toBe(1_000_000);
    expect(r.interrupts).toBeGreaterThan(10);
  }, 150_000);

  it('reports a register flipped in one wasmvisor record at exactly that kernel instruction', async () => {
    const at = 777;
    const r = await diffAgainst({ ...linux, maxInsns: 2000, mutate: (w) => { if (w.n === at) w.after.regs[6] = w.after.regs[6]! ^ 0x40; } });
    expect(r.ok).toBe(false);
    expect(r.divergence!.n).toBe(at);
    expect(r.divergence!.fields.map((f) => f.field)).toEqual(['ESI']);
    expect(r.divergence!.report).toMatch(new RegExp(`first divergence at instruction ${at}: 0010:[0-9a-f]{8} `));
  }, 60_000);
});
