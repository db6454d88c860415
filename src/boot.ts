/**
 * Applies a loader's boot plan (src/loaders/) to a machine: the memory contents, then the CPU
 * state a direct kernel boot hands over -- 32-bit protected mode with paging off, flat 4 GiB
 * segments from the plan's GDT, interrupts off, A20 open (Linux boot.rst "32-bit boot
 * protocol", Xen's PVH start state, Multiboot 0.6.96 section 3.2). No firmware runs first, as
 * with QEMU's and TinyEMU's direct boot.
 */
import * as L from './gen/layout.js';
import type { Machine } from './machine.js';
import type { BootPlan } from './loaders/plan.js';

// descriptor-cache attribute words (SEG_ATTR: bits 8-15 and 20-23 of the descriptor high word)
const FLAT_CODE = 0x00c09b00; // present, DPL 0, code exec/read accessed, D=1, G=1
const FLAT_DATA = 0x00c09300; // present, DPL 0, data read/write accessed, B=1, G=1
const TSS32_BUSY = 0x00008b00; // present, 32-bit TSS busy, byte granular

const REG = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;

export function applyBootPlan(m: Machine, plan: BootPlan): void {
  for (const w of plan.writes) m.writePhys(w.addr, w.bytes);
  const c = m.core;
  m.setA20(true);
  c.set32(L.GDTR_BASE, plan.gdt.base);
  c.set32(L.GDTR_LIMIT, plan.gdt.limit);
  c.set32(L.CR, (c.get32(L.CR) & ~0x80000000) | 0x11); // PE (and ET), paging off
  c.setSeg(1, plan.cs, 0, 0xffffffff, FLAT_CODE);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, plan.ds, 0, 0xffffffff, FLAT_DATA);
  if (plan.tr !== undefined) c.setSeg(7, plan.tr, 0, 0x67, TSS32_BUSY);
  c.set32(L.CPL, 0);
  for (let r = 0; r < 8; r++) c.setReg32(r, 0);
  for (const [name, v] of Object.entries(plan.regs)) {
    if (v !== undefined) c.setReg32(REG[name as keyof typeof REG], v);
  }
  c.eflags = 2; // IF off
  c.eip = plan.entry;
  c.exports.stateChanged();
}
