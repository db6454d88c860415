/**
 * The page walk and the shadow TLB (SDM Vol. 3A chapter 4): translations, accessed and dirty
 * bits, #PF error codes and CR2, CR0.WP, INVLPG, global pages across CR3 loads, PAE with NX.
 * The code runs with cached real-mode segments after the host sets CR0.PE|PG (the descriptor
 * caches stay as they were, as on silicon); exceptions are intercepted through the bitmap.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import type { Machine } from '../src/machine.js';
import { realModeVm } from './helpers/vm.js';

const PD = 0x20000;
const PT0 = 0x21000;
const PT1 = 0x22000;
const DATA = 0x30000;
const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;

function w32(m: Machine, addr: number, v: number): void {
  m.core.dv.setUint32(L.RAM_BASE + addr, v >>> 0, true);
}
function r32(m: Machine, addr: number): number {
  return m.core.dv.getUint32(L.RAM_BASE + addr, true);
}

/** identity-maps 0-4 MiB through PT0 and maps linear 0x400000 -> DATA through PT1 */
function mapTables(m: Machine, leaf = P | RW): void {
  for (let i = 0; i < 1024; i++) w32(m, PT0 + 4 * i, (i << 12) | P | RW);
  w32(m, PD, PT0 | P | RW);
  w32(m, PD + 4, PT1 | P | RW);
  w32(m, PT1, DATA | leaf);
}

function enablePaging(m: Machine, cr4 = 0, cr3 = PD): void {
  const c = m.core;
  c.set32(L.CR + 12, cr3);
  c.set32(L.CR + 16, cr4);
  c.set32(L.CR, 0x80010011); // PG | WP | ET | PE
  c.set32(L.CTL_EXC_BITMAP, 0xffffffff); // protected-mode delivery is not there yet: every exception exits
  c.exports.stateChanged();
}

function dsAt(m: Machine, base: number): void {
  m.core.setSeg(3, 0, base, 0xffff, 0x9300);
  m.core.exports.stateChanged();
}

async function pageFault(m: Machine): Promise<{ error: number; cr2: number }> {
  let error = -1;
  m.onException = (ex) => {
    error = ex.vector === 14 ? ex.error ?? -1 : -100 - ex.vector - (ex.error ?? 0) * 1000;
    return 'stop';
  };
  expect(m.run(1000n).why).toBe('exception');
  return { error, cr2: m.core.get32(L.CR + 8) };
}

describe('paging', () => {
  it('translates through a two-level table and sets A and D exactly', async () => {
    // mov al, [0] ; hlt ; (then) mov byte [1], 0x55 ; hlt
    const m = await realModeVm([0xa0, 0x00, 0x00, 0xf4, 0xc6, 0x06, 0x01, 0x00, 0x55, 0xf4]);
    mapTables(m);
    m.writePhys(DATA, Uint8Array.of(0x9c));
    enablePaging(m);
    dsAt(m, 0x400000);
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(0) & 0xff).toBe(0x9c);
    expect(r32(m, PT1) & (A | D)).toBe(A); // read: accessed, not dirty
    expect(r32(m, PD + 4) & A).toBe(A);
    m.core.set32(L.ACTIVITY, 0);
    expect(m.run().why).toBe('halted');
    expect(m.core.u8[L.RAM_BASE + DATA + 1]).toBe(0x55);
    expect(r32(m, PT1) & (A | D)).toBe(A | D); // the first write walked again and set D
  });

  it('raises #PF with the SDM error code and CR2', async () => {
    const code = [0xa0, 0x00, 0x00, 0xf4];
    // not present, read, supervisor: error 0
    let m = await realModeVm(code);
    mapTables(m, 0);
    enablePaging(m);
    dsAt(m, 0x400000);
    expect(await pageFault(m)).toEqual({ error: 0, cr2: 0x400000 });
    // write to a read-only page with CR0.WP: present | write = 3
    m = await realModeVm([0xc6, 0x06, 0x10, 0x00, 0x55, 0xf4]);
    mapTables(m, P);
    enablePaging(m);
    dsAt(m, 0x400000);
    expect(await pageFault(m)).toEqual({ error: 3, cr2: 0x400010 });
    // the same write with CR0.WP clear succeeds for the supervisor
    m = await realModeVm([0xc6, 0x06, 0x10, 0x00, 0x55, 0xf4]);
    mapTables(m, P);
    enablePaging(m);
    m.core.set32(L.CR, 0x80000011);
    dsAt(m, 0x400000);
    expect(m.run().why).toBe('halted');
    expect(m.core.u8[L.RAM_BASE + DATA + 0x10]).toBe(0x55);
  });

  it('INVLPG drops a stale translation; CR3 loads keep global pages under CR4.PGE', async () => {
    // mov al,[0] ; (host remaps) ; mov al,[0] ; invlpg [0] ; mov al,[0] ; hlt, with hlts between
    const code = [0xa0, 0, 0, 0xf4, 0xa0, 0, 0, 0xf4, 0x0f, 0x01, 0x3e, 0, 0, 0xa0, 0, 0, 0xf4];
    const m = await realModeVm(code);
    mapTables(m);
    m.writePhys(DATA, Uint8Array.of(0x11));
    m.writePhys(DATA + 0x1000, Uint8Array.of(0x22));
    enablePaging(m);
    dsAt(m, 0x400000);
    const step = () => { m.core.set32(L.ACTIVITY, 0); expect(m.run().why).toBe('halted'); return m.core.reg32(0) & 0xff; };
    expect(step()).toBe(0x11);
    w32(m, PT1, (DATA + 0x1000) | P | RW); // remap without telling the TLB
    expect(step()).toBe(0x11); // the stale entry is used, as on silicon
    expect(step()).toBe(0x22); // after INVLPG
    expect(m.tlbStats().flushOne).toBe(1n);

    // global page survives MOV CR3 (same value) when CR4.PGE; a non-global one does not
    // mov al,[0] ; mov eax,cr3 ; mov cr3,eax ; mov al,[0] ; hlt
    const code2 = [0xa0, 0, 0, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, 0xa0, 0, 0, 0xf4];
    for (const [glob, expected] of [[true, 0x11], [false, 0x22]] as const) {
      const m2 = await realModeVm(code2);
      mapTables(m2, P | RW | (glob ? G : 0));
      m2.writePhys(DATA, Uint8Array.of(0x11));
      m2.writePhys(DATA + 0x1000, Uint8Array.of(0x22));
      enablePaging(m2, 0x80);
      dsAt(m2, 0x400000);
      // remap between the two reads: after the first read the entry is cached
      expect(m2.run(m2.instructions + 1n).why).toBe('limit');
      w32(m2, PT1, (DATA + 0x1000) | P | RW | (glob ? G : 0));
      expect(m2.run().why).toBe('halted');
      expect(m2.core.reg32(0) & 0xff).toBe(expected);
    }
  });

  it('maps 4 MiB pages with CR4.PSE', async () => {
    const m = await realModeVm([0xa0, 0x34, 0x12, 0xf4], 16 << 20);
    mapTables(m);
    w32(m, PD + 4, 0x00400000 | P | RW | PS); // linear 4-8 MiB -> physical 4-8 MiB
    m.writePhys(0x401234, Uint8Array.of(0x77));
    enablePaging(m, 0x10);
    dsAt(m, 0x400000);
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(0) & 0xff).toBe(0x77);
    expect(r32(m, PD + 4) & A).toBe(A);
  });

  it('PAE with NX: data reads work, an instruction fetch from an NX page faults with I/D', async () => {
    const PDPT = 0x23000, PDP = 0x24000, PTE = 0x25000;
    const m = await realModeVm([0xa0, 0x00, 0x00, 0xf4], 16 << 20);
    const c = m.core;
    w32(m, PDPT, PDP | P);
    // PDE 0 -> 2 MiB identity page; PDE 2 (linear 4 MiB) -> page table with an NX page
    w32(m, PDP, 0 | P | RW | PS);
    w32(m, PDP + 16, PTE | P | RW);
    w32(m, PTE, DATA | P | RW);
    w32(m, PTE + 4, 0x80000000); // NX
    m.writePhys(DATA, Uint8Array.of(0xf4, 0x5a));
    c.set32(L.EFER, 0x800);
    enablePaging(m, 0x20, PDPT);
    dsAt(m, 0x400000);
    expect(m.run().why).toBe('halted');
    expect(c.reg32(0) & 0xff).toBe(0xf4);
    // jump there: CS base 0x400000, EIP 0
    const m2 = await realModeVm([0xf4], 16 << 20);
    for (const [a, v] of [[PDPT, PDP | P], [PDP, P | RW | PS], [PDP + 16, PTE | P | RW], [PTE, DATA | P | RW], [PTE + 4, 0x80000000]]) w32(m2, a!, v!);
    m2.writePhys(DATA, Uint8Array.of(0xf4));
    m2.core.set32(L.EFER, 0x800);
    enablePaging(m2, 0x20, PDPT);
    m2.core.setSeg(1, 0, 0x400000, 0xffff, 0x9b00);
    m2.core.eip = 0;
    m2.core.exports.stateChanged();
    expect(await pageFault(m2)).toEqual({ error: 0x11, cr2: 0x400000 });
  });
});

describe('debug registers', () => {
  it('an instruction breakpoint faults before the instruction; RF lets it run once', async () => {
    // 0: inc ax ; 1: inc bx ; 2: inc cx ; 3: hlt     (breakpoint on linear 0x10001)
    const m = await realModeVm([0x40, 0x43, 0x41, 0xf4]);
    const c = m.core;
    c.set32(L.DR, 0x10001);
    c.set32(L.DR + 28, 0x401); // L0, RW0 = execute, LEN0 = 1
    c.set32(L.CTL_EXC_BITMAP, 1 << 1);
    c.exports.stateChanged();
    let seen = -1;
    m.onException = (ex) => { seen = ex.vector; return 'stop'; };
    expect(m.run().why).toBe('exception');
    expect(seen).toBe(1);
    expect(c.eip).toBe(1); // a fault: nothing of "inc bx" ran
    expect(c.reg32(3) & 0xffff).toBe(0);
    expect(c.get32(L.DR + 24) & 0xf).toBe(1); // DR6.B0
    c.eflags = c.eflags | 0x10000; // RF, as a handler's IRET would restore it
    m.onException = undefined;
    expect(m.run().why).toBe('halted');
    expect(c.reg32(3) & 0xffff).toBe(1);
    expect(c.reg32(1) & 0xffff).toBe(1);
    expect(c.eflags & 0x10000).toBe(0); // RF is cleared after one instruction
  });

  it('a data write breakpoint traps after the instruction that wrote it', async () => {
    // mov byte [0x100], 1 ; mov byte [0x203], 2 ; mov al, [0x203] ; hlt   (write bp on 0x200, LEN 4)
    const m = await realModeVm([0xc6, 0x06, 0x00, 0x01, 0x01, 0xc6, 0x06, 0x03, 0x02, 0x02, 0xa0, 0x03, 0x02, 0xf4]);
    const c = m.core;
    c.set32(L.DR + 4, 0x200); // DR1
    c.set32(L.DR + 28, 0x4 | (1 << 20) | (3 << 22)); // L1, RW1 = write, LEN1 = 4
    c.set32(L.CTL_EXC_BITMAP, 1 << 1);
    c.exports.stateChanged();
    let seen = -1;
    m.onException = (ex) => { seen = ex.vector; return 'stop'; };
    expect(m.run().why).toBe('exception');
    expect(seen).toBe(1);
    expect(c.eip).toBe(10); // a trap: after the second store
    expect(c.u8[L.RAM_BASE + 0x203]).toBe(2);
    expect(c.get32(L.DR + 24) & 0xf).toBe(2); // DR6.B1
  });
});

describe('alignment check', () => {
  it('#AC(0) for a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC, not otherwise', async () => {
    // mov ax, [1] ; hlt   run at CPL 3 with flat data
    const setup = async (ac: boolean) => {
      const m = await realModeVm([0x8b, 0x06, 0x01, 0x00, 0xf4]);
      const c = m.core;
      c.set32(L.CR, 0x00040011); // PE | ET | AM
      c.setSeg(1, 0x1b, 0x10000, 0xffff, 0xfb00); // ring-3 code
      for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x23, 0, 0xffff, 0xf300);
      c.set32(L.CPL, 3);
      c.eflags = ac ? 0x40002 : 2;
      c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
      c.exports.stateChanged();
      const seen: number[] = [];
      m.onException = (ex) => { seen.push(ex.vector, ex.error ?? -1); return 'stop'; };
      return { m, seen };
    };
    const a = await setup(true);
    expect(a.m.run(100n).why).toBe('exception');
    expect(a.seen).toEqual([17, 0]);
    const b = await setup(false);
    // HLT at CPL 3 is #GP(0): the access itself went through
    expect(b.m.run(100n).why).toBe('exception');
    expect(b.seen).toEqual([13, 0]);
  });
});
