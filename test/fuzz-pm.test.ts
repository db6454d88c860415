/**
 * Robustness in protected mode: 200,000 seeded random instruction streams run at CPL 0 in flat
 * 32-bit protected mode, with a GDT (flat code and data, a ring-3 pair, a TSS) and an IDT whose
 * 256 interrupt gates lead to a HLT. Streams load segments, change CR0/CR3/CR4, take faults,
 * switch privilege and tasks at random. Each must end in an architectural outcome with no host
 * exception, no trap in the core and no hang (the budget always returns control).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { prng } from './helpers/prng.js';

const CASES = 200_000;
const SEED = 0x5eed_0386;
const BUDGET = 50n;
const GDT = 0x1000;
const IDT = 0x2000;
const STUB = 0x3000;
const TSS = 0x4000;
const CODE = 0x10000;
const STACK = 0x80000;

function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

describe('fuzz: random protected-mode instruction streams', () => {
  it(`runs ${CASES} streams to architectural outcomes`, async () => {
    const m = await Machine.create({ memory: 4 << 20, flat: true });
    const c = m.core;
    m.maxStall = 1000;
    const dv = c.dv;
    const w32 = (a: number, v: number) => dv.setUint32(L.RAM_BASE + a, v >>> 0, true);
    const gdt: [number, number][] = [
      [0, 0],
      descriptor(0, 0xfffff, 0x9b, 0xc), // 0x08 ring-0 code
      descriptor(0, 0xfffff, 0x93, 0xc), // 0x10 ring-0 data
      descriptor(0, 0xfffff, 0xfb, 0xc), // 0x1b ring-3 code
      descriptor(0, 0xfffff, 0xf3, 0xc), // 0x23 ring-3 data
      descriptor(TSS, 0x67, 0x89, 0), // 0x28 32-bit TSS
    ];
    const setup = () => {
      c.exports.reset();
      gdt.forEach(([lo, hi], i) => { w32(GDT + 8 * i, lo); w32(GDT + 8 * i + 4, hi); });
      for (let v = 0; v < 256; v++) { w32(IDT + 8 * v, (0x08 << 16) | STUB); w32(IDT + 8 * v + 4, 0x8e00 | (3 << 13)); }
      c.u8[L.RAM_BASE + STUB] = 0xf4;
      w32(TSS + 4, STACK); w32(TSS + 8, 0x10);
      c.set32(L.GDTR_BASE, GDT); c.set32(L.GDTR_LIMIT, 8 * gdt.length - 1);
      c.set32(L.IDTR_BASE, IDT); c.set32(L.IDTR_LIMIT, 256 * 8 - 1);
      c.setSeg(1, 0x08, 0, 0xffffffff, 0x00cf9b00);
      for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x10, 0, 0xffffffff, 0x00cf9300);
      c.setSeg(7, 0x28, TSS, 0x67, 0x8b00);
      c.set32(L.CR, 0x11);
      c.setReg32(4, STACK);
      c.eip = CODE;
    };
    const rnd = prng(SEED);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      setup();
      for (let r = 0; r < 8; r++) if (r !== 4) c.setReg32(r, rnd());
      for (let b = 0; b < 16; b += 4) w32(CODE + b, rnd());
      c.u8[L.RAM_BASE + CODE + 16] = 0xf4;
      c.exports.stateChanged();
      let why: string;
      try {
        why = m.run(m.instructions + BUDGET).why;
      } catch (e) {
        throw new Error(`stream ${i}: host exception ${(e as Error).message}`);
      }
      outcomes.set(why, (outcomes.get(why) ?? 0) + 1);
    }
    console.log([...outcomes].map(([k, v]) => `${k}: ${v}`).join(', '));
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(CASES);
    for (const k of outcomes.keys()) expect(['halted', 'idle', 'limit', 'triple-fault', 'error']).toContain(k);
  });
});
