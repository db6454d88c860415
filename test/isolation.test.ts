/**
 * Guest RAM, ROM and MMIO are the only things a guest can reach: a guest writes to every 4 KiB
 * page of the 4 GiB physical space; afterwards no wasm memory outside guest RAM has changed
 * except the CPU state and the soft TLB, and every non-RAM page was seen by the host as MMIO.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';

describe('isolation', () => {
  it('a guest writing every physical page touches only RAM, ROM (dropped) and MMIO (host)', async () => {
    const RAM = 8 << 20;
    const m = await Machine.create({ memory: RAM, bios: readFileSync('firmware/demo.bin') });
    const c = m.core;
    // flat 32-bit protected mode through the descriptor caches, paging off
    c.setSeg(1, 8, 0, 0xffffffff, 0x00cf9b00);
    for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 16, 0, 0xffffffff, 0x00cf9300);
    c.set32(L.CR, 0x11);
    // at 0x700800: mov eax, 0xdeadbeef ; mov ecx, 0x100000 ; xor edi, edi ;
    //   l: mov [edi], eax ; add edi, 0x1000 ; loop l ; hlt
    const code = [0xb8, 0xef, 0xbe, 0xad, 0xde, 0xb9, 0, 0, 0x10, 0, 0x31, 0xff, 0x89, 0x07, 0x81, 0xc7, 0, 0x10, 0, 0, 0xe2, 0xf6, 0xf4];
    m.writePhys(0x700800, Uint8Array.from(code));
    c.eip = 0x700800;
    c.exports.stateChanged();
    const mmio = new Set<number>();
    c.mmio = { read: () => 0xffffffff, write: (addr) => { mmio.add(addr >>> 12); } };
    c.refresh();
    const before = Uint8Array.from(c.u8.subarray(0, L.RAM_BASE));
    const size = c.exports.memory.buffer.byteLength;
    const stop = m.run(10_000_000n);
    expect(stop.why).toBe('halted');
    c.refresh();
    expect(c.exports.memory.buffer.byteLength).toBe(size); // nothing grew
    // every page outside RAM and ROM went to the host
    // RAM is mapped below 0xA0000 and from 1 MiB up; the 64 KiB ROM twice (below 1 MiB and 4 GiB)
    const ramPages = 0xa0000 / 4096 + (RAM - 0x100000) / 4096;
    const romPages = 2 * 16;
    expect(mmio.size).toBe((1 << 20) - ramPages - romPages);
    expect(mmio.has(0xa0)).toBe(true); // the legacy VGA hole
    expect(mmio.has(0xfee00)).toBe(true); // where a local APIC would be
    // RAM pages got the value
    expect(c.dv.getUint32(L.RAM_BASE + 0x123000, true)).toBe(0xdeadbeef);
    // outside guest RAM, only the CPU state and the TLB may differ
    const after = c.u8.subarray(0, L.RAM_BASE);
    const changed = new Set<string>();
    const regionOf = (a: number) => {
      const order = [['STATE', L.STATE_BASE], ['IO_BITMAP', L.IO_BITMAP_BASE], ['MSR_BITMAP', L.MSR_BITMAP_BASE], ['DEVICES', L.DEVICES_BASE], ['TLB_LIST', L.TLB_LIST_BASE], ['TLB', L.TLB_BASE], ['PMAP', L.PMAP_BASE], ['ROM', L.ROM_BASE], ['CODE_CACHE', L.CODE_CACHE_BASE], ['AS_DATA', L.AS_DATA_BASE]] as const;
      let name = 'STATE';
      for (const [n, b] of order) if (a >= b) name = n;
      return name;
    };
    for (let a = 0; a < after.length; a++) if (after[a] !== before[a]) changed.add(regionOf(a));
    expect([...changed].filter((r) => r !== 'STATE' && r !== 'TLB' && r !== 'TLB_LIST')).toEqual([]);
  });
});
