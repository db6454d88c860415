/** The layout spec generates both sides; both must agree and be current, and the core must use them. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { realModeVm } from './helpers/vm.js';

describe('generated files', () => {
  it('are current (tools/gen.mjs --check)', () => {
    expect(() => execFileSync('node', ['tools/gen.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('give the core and the host the same offsets', () => {
    const as = readFileSync('assembly/gen/layout.ts', 'utf8');
    const consts = new Map<string, number>();
    for (const m of as.matchAll(/export const (\w+): u32 = (0x[0-9A-F]+);/g)) consts.set(m[1]!, Number(m[2]));
    expect(consts.size).toBeGreaterThan(L.FIELDS.length);
    for (const f of L.FIELDS) expect(consts.get(f.name), f.name).toBe(f.offset);
    for (const [name, v] of Object.entries(L)) if (typeof v === 'number') expect(consts.get(name), name).toBe(v);
  });

  it('lays fields out without overlap inside STATE', () => {
    const size = { u8: 1, u16: 2, u32: 4, u64: 8 };
    const spans = L.FIELDS.map((f) => [f.offset, f.offset + size[f.type] * f.count] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(spans.at(-1)![1]).toBeLessThanOrEqual(L.STATE_SIZE);
  });

  it('is what the running core uses', async () => {
    // mov ax, 0x1234 ; mov bx, 0x5678 ; hlt
    const m = await realModeVm([0xb8, 0x34, 0x12, 0xbb, 0x78, 0x56, 0xf4]);
    expect(m.run().why).toBe('halted');
    const c = m.core;
    expect(c.u32[(L.REGS >>> 2) + 0]! & 0xffff).toBe(0x1234);
    expect(c.u32[(L.REGS >>> 2) + 3]! & 0xffff).toBe(0x5678);
    expect(c.u32[L.EIP >>> 2]).toBe(7);
    expect(c.get64(L.ICOUNT)).toBe(3n);
    expect(c.get32(L.EXIT_REASON)).toBe(12);
  });
});
