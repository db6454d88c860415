/**
 * A reference emulator's CPU state at one instruction boundary (QEMU's `info registers`), and
 * how wasmvisor takes it over: the general registers, EIP, EFLAGS, all eight segment registers
 * with their descriptor caches, GDTR/IDTR, CR0/CR2/CR3/CR4, EFER, DR6/DR7, the x87 registers,
 * control, status and tag words and MXCSR, the A20 gate and a copy of guest RAM. The Linux diff (docs/trace-format.md) starts both sides from it.
 */
import * as L from '../gen/layout.js';
import type { Machine } from '../machine.js';

export interface SegmentState {
  sel: number;
  base: number;
  /** Limit in bytes (the expanded limit, as QEMU prints it). */
  limit: number;
  /** The descriptor's high word as QEMU keeps it (type, S, DPL, P, AVL, L, D/B, G; limit 19:16). */
  flags: number;
}

export interface X86State {
  /** EAX ECX EDX EBX ESP EBP ESI EDI */
  regs: number[];
  eip: number;
  eflags: number;
  /** ES CS SS DS FS GS LDTR TR (the core's order) */
  segs: SegmentState[];
  gdt: { base: number; limit: number };
  idt: { base: number; limit: number };
  /** CR0 CR2 CR3 CR4 */
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  efer: number;
  dr6: number;
  dr7: number;
  cpl: number;
  a20: boolean;
  /** x87 and MXCSR, when the dump has them (QEMU's FCW/FSW/FTW/MXCSR and FPR0-7 lines: the
   * physical registers; FSW with TOP; FTW abridged, a bit set for a register in use). The last
   * instruction and operand pointers are not in the dump. */
  fpu?: { fcw: number; fsw: number; ftw: number; mxcsr: number; regs: { mant: bigint; exp: number }[] };
}

const SEG_ROWS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDT', 'TR'];

/** Parses QEMU's `info registers` (HMP) for a 32-bit guest. */
export function parseQemuRegisters(text: string): X86State {
  const num = (name: string, re = new RegExp(`(?:^|\\s)${name}=([0-9a-fA-F]+)`, 'm')): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`info registers: no ${name} in:\n${text}`);
    return parseInt(m[1]!.slice(-8), 16) >>> 0;
  };
  const segs = SEG_ROWS.map((n): SegmentState => {
    const m = new RegExp(`^${n}\\s*=([0-9a-f]{4}) ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})`, 'm').exec(text);
    if (!m) throw new Error(`info registers: no ${n} row in:\n${text}`);
    return { sel: parseInt(m[1]!, 16), base: parseInt(m[2]!, 16) >>> 0, limit: parseInt(m[3]!, 16) >>> 0, flags: parseInt(m[4]!, 16) >>> 0 };
  });
  const table = (n: string) => {
    const m = new RegExp(`^${n}=\\s*([0-9a-f]+) ([0-9a-f]+)`, 'm').exec(text);
    if (!m) throw new Error(`info registers: no ${n} in:\n${text}`);
    return { base: parseInt(m[1]!.slice(-8), 16) >>> 0, limit: parseInt(m[2]!, 16) >>> 0 };
  };
  let fpu: X86State['fpu'];
  const fcw = /FCW=([0-9a-f]{4}) FSW=([0-9a-f]{4}) \[ST=\d\] FTW=([0-9a-f]{2}) MXCSR=([0-9a-f]{8})/.exec(text);
  if (fcw) {
    const regs: { mant: bigint; exp: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const m = new RegExp(`FPR${i}=([0-9a-f]{16}) ([0-9a-f]{4})`).exec(text);
      if (!m) break;
      regs.push({ mant: BigInt(`0x${m[1]}`), exp: parseInt(m[2]!, 16) });
    }
    if (regs.length === 8) {
      fpu = { fcw: parseInt(fcw[1]!, 16), fsw: parseInt(fcw[2]!, 16), ftw: parseInt(fcw[3]!, 16), mxcsr: parseInt(fcw[4]!, 16), regs };
    }
  }
  return {
    ...(fpu ? { fpu } : {}),
    regs: ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'].map((r) => num(r)),
    eip: num('EIP'),
    eflags: num('EFL'),
    segs,
    gdt: table('GDT'),
    idt: table('IDT'),
    cr0: num('CR0'),
    cr2: num('CR2'),
    cr3: num('CR3'),
    cr4: num('CR4'),
    efer: num('EFER'),
    dr6: num('DR6'),
    dr7: num('DR7'),
    cpl: num('CPL'),
    a20: num('A20') !== 0,
  };
}

/** wasmvisor's descriptor-cache attribute word (SEG_ATTR: bits 8-15 and 20-23 of the high word). */
export const attrOf = (flags: number) => (flags & 0x00f0ff00) >>> 0;

/**
 * Puts a reference's state into a wasmvisor machine: guest RAM first (every 4 KiB page of the
 * image that the core maps to RAM or ROM, so the BIOS area below 1 MiB is copied wherever the
 * machine keeps it; MMIO holes such as the VGA window are skipped), then the CPU.
 */
export function applyX86State(m: Machine, s: X86State, ram?: Uint8Array): void {
  const c = m.core;
  m.setA20(true); // the copy goes by physical page, with bit 20 as it is
  if (ram) {
    const n = Math.min(ram.length, m.ramBytes);
    for (let p = 0; p < n; p += 4096) {
      const w = c.physToWasm(p);
      if (w < 0) continue;
      c.u8.set(ram.subarray(p, Math.min(p + 4096, n)), w);
    }
  }
  for (let r = 0; r < 8; r++) c.setReg32(r, s.regs[r]!);
  s.segs.forEach((g, i) => c.setSeg(i, g.sel, g.base, g.limit, attrOf(g.flags)));
  c.set32(L.GDTR_BASE, s.gdt.base);
  c.set32(L.GDTR_LIMIT, s.gdt.limit);
  c.set32(L.IDTR_BASE, s.idt.base);
  c.set32(L.IDTR_LIMIT, s.idt.limit);
  c.set32(L.CR + 0, s.cr0);
  c.set32(L.CR + 8, s.cr2);
  c.set32(L.CR + 12, s.cr3);
  c.set32(L.CR + 16, s.cr4);
  c.set32(L.EFER, s.efer);
  c.set32(L.DR + 24, s.dr6);
  c.set32(L.DR + 28, s.dr7);
  c.set32(L.CPL, s.cpl);
  if (s.fpu) {
    c.set32(L.FPU_CW, s.fpu.fcw);
    c.set32(L.FPU_SW, s.fpu.fsw);
    c.set32(L.FPU_TAG, s.fpu.ftw);
    c.set32(L.MXCSR, s.fpu.mxcsr);
    s.fpu.regs.forEach((r, i) => {
      c.set64(L.FPU_REGS + 16 * i, r.mant);
      c.set32(L.FPU_REGS + 16 * i + 8, r.exp); // sign and exponent (u16), then padding
    });
  }
  c.eflags = s.eflags;
  c.eip = s.eip;
  m.setA20(s.a20); // (also stateChanged)
  c.exports.stateChanged();
}

/** The in-core 8259A's register slots (assembly/devices/pic.ts), 4 bytes each, chip c at
 * PIC + 64 c. */
export const PIC_REG = {
  IRR: 0, ISR: 1, IMR: 2, BASE: 3, STEP: 4, ICW1: 5, ICW4: 6, READ_ISR: 7, LOWEST: 8, SMM: 9,
  POLL: 10, ROTATE_AEOI: 11, ELCR: 12, ICW3: 14,
} as const;

/** The state offset of register r of PIC chip (0 master, 1 slave). */
export const picReg = (chip: number, r: number): number => L.PIC + chip * 64 + r * 4;

/**
 * Puts QEMU's 8259A state (HMP `info pic`: `pic0: irr=.. imr=.. isr=.. hprio=. irq_base=..
 * rr_sel=. elcr=.. fnm=.`) into wasmvisor's in-core PICs (assembly/devices/pic.ts registers,
 * 64 bytes per chip). What `info pic` does not show is taken as a PC's firmware and Linux
 * program it: initialized, edge-triggered cascade (ICW1 11h), ICW3 04h/02h, ICW4 01h (no
 * auto-EOI), no special mask, no poll pending. Returns false if the text has no PIC lines.
 */
export function applyPicState(m: Machine, text: string): boolean {
  const c = m.core;
  if (!c.get32(L.PIC_ENABLED)) return false;
  let found = 0;
  for (const line of text.split('\n')) {
    const mm = /^pic([01]): (.*)$/.exec(line.trim());
    if (!mm) continue;
    const chip = Number(mm[1]);
    const f: Record<string, number> = {};
    for (const kv of mm[2]!.split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) f[k] = parseInt(v, 16);
    }
    const put = (r: number, v: number) => c.set32(picReg(chip, r), v >>> 0);
    const R = PIC_REG;
    put(R.IRR, f.irr ?? 0);
    put(R.ISR, f.isr ?? 0);
    put(R.IMR, f.imr ?? 0);
    put(R.BASE, (f.irq_base ?? 0) & 0xf8);
    put(R.STEP, 0); // initialized
    put(R.ICW1, 0x11);
    put(R.ICW4, 0x01);
    put(R.READ_ISR, f.rr_sel ?? 0);
    put(R.LOWEST, ((f.hprio ?? 0) - 1) & 7); // QEMU keeps the highest-priority level
    put(R.SMM, 0);
    put(R.POLL, 0);
    put(R.ROTATE_AEOI, 0);
    put(R.ELCR, (f.elcr ?? 0) & (chip ? 0xde : 0xf8));
    put(R.ICW3, chip ? 0x02 : 0x04);
    found++;
  }
  return found === 2;
}
