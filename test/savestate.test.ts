/** Save state: named, versioned fields; save, load, save gives identical bytes; a restored VM goes on identically. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { loadState, saveState } from '../src/savestate.js';

async function demo(out: Uint8Array[]): Promise<Machine> {
  const m = await Machine.create({ memory: 16 << 20, bios: readFileSync('firmware/demo.bin') });
  m.attach(new DebugCon(0xe9, (b) => out.push(b)));
  return m;
}

describe('save state', () => {
  it('save, load, save gives identical bytes, and the restored VM finishes identically', async () => {
    const outA: Uint8Array[] = [];
    const a = await demo(outA);
    a.run(300_000n);
    const s1 = saveState(a);
    const printedBefore = outA.length;
    const outB: Uint8Array[] = [];
    const b = await demo(outB);
    loadState(b, s1);
    const s2 = saveState(b);
    expect(Buffer.compare(s1, s2)).toBe(0);
    const ra = a.run();
    const rb = b.run();
    expect(rb.why).toBe('halted');
    expect(rb.instructions).toBe(ra.instructions);
    expect(Buffer.concat(outB).toString()).toBe(Buffer.concat(outA.slice(printedBefore)).toString());
    expect(Buffer.concat(outB).toString()).toMatch(/done\n$/);
    // the guest's state matches (exit statistics differ: the host sliced the two runs differently)
    expect([...b.core.u8.subarray(0, L.CC_OP)]).toEqual([...a.core.u8.subarray(0, L.CC_OP)]);
    expect(Buffer.compare(b.core.ram(), a.core.ram())).toBe(0);
  });

  it('rejects bad input with a clear error', async () => {
    const m = await demo([]);
    const s = saveState(m);
    expect(() => loadState(m, s.subarray(0, 8))).toThrow(/truncated/);
    const bad = Uint8Array.from(s);
    bad[4] = 99;
    expect(() => loadState(m, bad)).toThrow(/version 99/);
    const other = await Machine.create({ memory: 32 << 20, bios: readFileSync('firmware/demo.bin') });
    expect(() => loadState(other, s)).toThrow(/RAM/);
  });
});
