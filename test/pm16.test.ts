/**
 * 16-bit protected mode (286-style code): a 16-bit code segment, a 16-bit interrupt gate with a
 * 16-bit IRET, a 16-bit call gate to ring 0 from ring 3 with a parameter copied (SDM Vol. 3A
 * 5.8.5: the gate's size decides the size of the copied words and of the return frame).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';

const GDT = 0x1000, IDT = 0x2000, TSS = 0x3000, CODE = 0x10000;

function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  return [(((base & 0xffff) << 16) | (limit & 0xffff)) >>> 0,
    ((base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff)) >>> 0];
}

describe('16-bit protected mode', () => {
  it('runs 16-bit code through 16-bit interrupt and call gates, across rings', async () => {
    const m = await Machine.create({ memory: 1 << 20, flat: true });
    const c = m.core;
    const w32 = (a: number, v: number) => c.dv.setUint32(L.RAM_BASE + a, v >>> 0, true);
    const gdt: [number, number][] = [
      [0, 0],
      desc(CODE, 0xffff, 0x9b, 0), // 0x08 16-bit ring-0 code, base 0x10000
      desc(0, 0xffff, 0x93, 0), // 0x10 16-bit ring-0 data/stack
      desc(CODE, 0xffff, 0xfb, 0), // 0x1b 16-bit ring-3 code
      desc(0, 0xffff, 0xf3, 0), // 0x23 16-bit ring-3 data/stack
      desc(TSS, 0x2b, 0x81, 0), // 0x28 16-bit TSS (available)
      // 0x30: 16-bit call gate, DPL 3, 1 parameter word -> 0x08:0x0200
      [((0x08 << 16) | 0x0200) >>> 0, (0x0000 | (0x84 | (3 << 5)) << 8 | 1) >>> 0],
    ];
    gdt.forEach(([lo, hi], i) => { w32(GDT + 8 * i, lo); w32(GDT + 8 * i + 4, hi); });
    // IDT entry 0x40: 16-bit interrupt gate, DPL 3 -> 0x08:0x0100
    w32(IDT + 0x40 * 8, (0x08 << 16) | 0x0100);
    w32(IDT + 0x40 * 8 + 4, (0x86 | (3 << 5)) << 8);
    // 16-bit TSS: SP0 = 0x9000, SS0 = 0x10
    c.dv.setUint16(L.RAM_BASE + TSS + 2, 0x9000, true);
    c.dv.setUint16(L.RAM_BASE + TSS + 4, 0x10, true);
    // ring-3 code at 0: push 0x1234 ; int 0x40 ; call far 0x30:0 ; ud2 (ends the test)
    const ring3 = [0x68, 0x34, 0x12, 0xcd, 0x40, 0x9a, 0x00, 0x00, 0x30, 0x00, 0x0f, 0x0b];
    // 0x100 (ring 0, from INT): inc bx ; mov dx, sp ; iret
    const isr = [0x43, 0x89, 0xe2, 0xcf];
    // 0x200 (ring 0, from the call gate): inc cx ; mov bp, sp ; mov ax, [ss:bp+4] (the copied word) ; retf 2
    const gate = [0x41, 0x89, 0xe5, 0x8b, 0x46, 0x04, 0xca, 0x02, 0x00];
    m.writePhys(CODE, Uint8Array.from(ring3));
    m.writePhys(CODE + 0x100, Uint8Array.from(isr));
    m.writePhys(CODE + 0x200, Uint8Array.from(gate));
    c.set32(L.GDTR_BASE, GDT); c.set32(L.GDTR_LIMIT, 8 * gdt.length - 1);
    c.set32(L.IDTR_BASE, IDT); c.set32(L.IDTR_LIMIT, 0x7ff);
    c.setSeg(7, 0x28, TSS, 0x2b, 0x8300); // TR: busy 16-bit TSS
    c.setSeg(1, 0x1b, CODE, 0xffff, 0xfb00);
    for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x23, 0, 0xffff, 0xf300);
    c.set32(L.CPL, 3);
    c.set32(L.CR, 0x11);
    c.setReg32(4, 0x7000);
    c.eip = 0;
    c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
    c.exports.stateChanged();
    const seen: number[] = [];
    m.onException = (ex) => { seen.push(ex.vector); return 'stop'; };
    expect(m.run(1000n).why).toBe('exception');
    expect(seen).toEqual([6]); // the UD2 at the end, back in ring 3
    expect(c.eip).toBe(10);
    expect(c.segSel(1)).toBe(0x1b);
    expect(c.get32(L.CPL)).toBe(3);
    expect(c.reg32(3) & 0xffff).toBe(1); // the interrupt handler ran
    expect(c.reg32(2) & 0xffff).toBe(0x9000 - 10); // 16-bit frame on the ring-0 stack: SS SP FLAGS CS IP
    expect(c.reg32(1) & 0xffff).toBe(1); // the call-gate target ran
    expect(c.reg32(0) & 0xffff).toBe(0x1234); // with the parameter word copied
    expect(c.reg32(4) & 0xffff).toBe(0x7000 - 2 + 2); // RETF 2 released the parameter
  });
});
