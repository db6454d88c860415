/**
 * x87 behaviour that the native fixture (test/x87.test.ts) cannot show, because a user-mode
 * program on a 64-bit host cannot reach it, checked against the SDM: the last-instruction
 * pointers (FIP FCS FOP FDP FDS; the host deprecates FCS/FDS and FOP), the real-mode FSTENV
 * layouts, the RESET and FNINIT states, #MF with CR0.NE = 1, FERR# with CR0.NE = 0 (IRQ 13 through
 * the in-core PICs, port F0h and IGNNE#, the freeze at the waiting instruction), #NM, FISTTP as
 * #UD (an SSE3 instruction, not the Pentium Pro's), FXSAVE alignment and the CPUID bits.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { FEAT } from '../src/policy/cpuid.js';
import { assembleSnippet, requireTool } from './helpers/tools.js';
import { realModePc } from './helpers/vm.js';

const hasNasm = requireTool('nasm', 'nasm');

const assemble = assembleSnippet;

const CODE = 0x80000;
const DATA = 0x10000;

/** a flat 32-bit protected-mode machine (CS 08h, data 10h) running `src` at CODE, CR0 as given */
async function flat32(src: string, cr0 = 0x31): Promise<{ m: Machine; vectors: number[] }> {
  const m = await Machine.create({ memory: 1 << 20, flat: true });
  const vectors: number[] = [];
  m.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
  const c = m.core;
  c.exports.reset();
  c.set32(L.CTL_EXC_BITMAP, 0xffffffff);
  c.setSeg(1, 0x08, 0, 0xffffffff, 0x00c09b00);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0x10, 0, 0xffffffff, 0x00c09300);
  c.set32(L.CR, cr0);
  c.setReg32(4, 0x9000);
  c.eip = CODE;
  m.writePhys(CODE, assemble(`BITS 32\nORG ${CODE}\n${src}\nhlt\n`));
  c.exports.stateChanged();
  return { m, vectors };
}

const u16 = (m: Machine, a: number) => m.core.ram()[a]! | (m.core.ram()[a + 1]! << 8);
const u32 = (m: Machine, a: number) => (u16(m, a) | (u16(m, a + 2) << 16)) >>> 0;

describe.runIf(hasNasm)('x87 (SDM behaviour beyond the native fixture)', () => {
  it('RESET leaves FCW 0040h, all registers +0 and valid, MXCSR 1F80h; FNINIT 037Fh and all empty', async () => {
    const m = await Machine.create({ memory: 1 << 20, flat: true });
    const c = m.core;
    c.exports.reset();
    expect(c.get32(L.FPU_CW)).toBe(0x40);
    expect(c.get32(L.FPU_SW)).toBe(0);
    expect(c.get32(L.FPU_TAG)).toBe(0xff);
    expect(c.get32(L.MXCSR)).toBe(0x1f80);
    const { m: m2 } = await flat32('fninit');
    expect(m2.run(100n).why).toBe('halted');
    expect(m2.core.get32(L.FPU_CW)).toBe(0x37f);
    expect(m2.core.get32(L.FPU_TAG)).toBe(0);
  });

  it('records FIP/FCS/FOP and FDP/FDS of the last non-control instruction (SDM Vol. 1 8.1.8)', async () => {
    const { m } = await flat32(`
      mov ebx, ${DATA}
      fninit
      fld dword [ebx+8]        ; ${CODE + 10}: FOP 0x143, FDP DATA+8
      fnstcw [ebx+0x40]        ; control: no change
      fldcw [ebx+0x40]
      fnstenv [ebx+0x100]
      fldenv [ebx+0x100]       ; (masks restored)
      db 0xd8, 0xc0            ; fadd st0, st0: FIP and FOP change, FDP stays
      db 0x66
      fnstenv [ebx+0x200]      ; 16-bit protected-mode layout
      fnstenv [ebx+0x180]
    `);
    expect(m.run(100n).why).toBe('halted');
    const fldAt = CODE + 5 + 2; // after mov ebx (5 bytes) and fninit (2)
    const env = DATA + 0x100;
    expect(u32(m, env + 12)).toBe(fldAt);
    expect(u16(m, env + 16)).toBe(0x08); // FCS
    expect(u32(m, env + 16) >>> 16).toBe(0x143); // FOP: D9 /0 with ModRM 43h
    expect(u32(m, env + 20)).toBe(DATA + 8);
    expect(u16(m, env + 24)).toBe(0x10);
    const env2 = DATA + 0x180;
    const faddAt = fldAt + 3 + 3 + 3 + 6 + 6;
    expect(u32(m, env2 + 12)).toBe(faddAt);
    expect(u32(m, env2 + 16) >>> 16).toBe(0x0c0); // D8 C0
    expect(u32(m, env2 + 20)).toBe(DATA + 8);
    const env16 = DATA + 0x200;
    expect(u16(m, env16 + 6)).toBe(faddAt & 0xffff);
    expect(u16(m, env16 + 8)).toBe(0x08);
    expect(u16(m, env16 + 10)).toBe((DATA + 8) & 0xffff);
    expect(u16(m, env16 + 12)).toBe(0x10);
  });

  it('stores the real-mode environment layouts (20-bit linear pointers and the opcode)', async () => {
    const m = await Machine.create({ memory: 1 << 20, flat: true });
    const c = m.core;
    c.exports.reset();
    c.setSeg(1, 0x1000, 0x10000, 0xffff, 0x9b00);
    for (const s of [0, 2, 4, 5]) c.setSeg(s, 0, 0, 0xffff, 0x9300);
    c.setSeg(3, 0x2345, 0x23450, 0xffff, 0x9300);
    c.setReg32(4, 0x8000);
    c.eip = 0x100;
    m.writePhys(0x10100, assemble(`BITS 16\nORG 0x100\nfninit\nfld qword [0x30]\nfnstenv [0x40]\no32 fnstenv [0x60]\nfldenv [0x40]\nfnstenv [0x80]\nhlt\n`));
    c.exports.stateChanged();
    expect(m.run(100n).why).toBe('halted');
    const ip = 0x10000 + 0x102, dp = 0x23450 + 0x30, op = 0x506; // DD /0, ModRM 06h
    const e16 = 0x23450 + 0x40;
    expect(u16(m, e16 + 6)).toBe(ip & 0xffff);
    expect(u16(m, e16 + 8)).toBe(((ip >> 16) << 12) | op);
    expect(u16(m, e16 + 10)).toBe(dp & 0xffff);
    expect(u16(m, e16 + 12)).toBe((dp >> 16) << 12);
    const e32 = 0x23450 + 0x60;
    expect(u32(m, e32 + 12) & 0xffff).toBe(ip & 0xffff);
    expect(u32(m, e32 + 16)).toBe(((ip >>> 16) << 12) | op);
    expect(u32(m, e32 + 20) & 0xffff).toBe(dp & 0xffff);
    expect(u32(m, e32 + 24)).toBe((dp >>> 16) << 12);
    // FLDENV of the 16-bit image and FNSTENV again give the same pointers
    const again = 0x23450 + 0x80;
    for (const k of [6, 8, 10, 12]) expect(u16(m, again + k)).toBe(u16(m, e16 + k));
  });

  it('reports a pending unmasked exception as #MF (CR0.NE = 1) at the next waiting instruction only', async () => {
    const { m, vectors } = await flat32(`
      mov ebx, ${DATA}
      fninit
      mov word [ebx], 0x037b   ; ZE unmasked
      fldcw [ebx]
      fld1
      fldz
      fdivp st1, st0           ; 1/0: ZE; the destination keeps 1.0, no pop
      fnstsw ax                ; no-wait: no #MF
      fnclex
      fldz
      fdivr st0, st2           ; 1/0 again
      fnstcw [ebx+0x20]        ; no-wait
      fwait                    ; #MF here
    `);
    expect(m.run(100n).why).toBe('exception');
    expect(vectors).toEqual([16]);
    expect(m.core.reg32(0) & 0xffff).toBe(0xb084); // B, TOP 6, ES, ZE: 1/0 was not stored
    const eip = m.core.eip;
    expect(Array.from(m.core.ram().subarray(eip, eip + 2))).toEqual([0x9b, 0xf4]); // at the WAIT
  });

  it('with CR0.NE = 0, asserts FERR# (IRQ 13) and freezes at the waiting instruction until the handler clears it', async () => {
    const prog = (handlerClears: boolean) => assemble(`BITS 16
ORG 0
      mov al,11h
      out 20h,al
      mov al,08h
      out 21h,al
      mov al,04h
      out 21h,al
      mov al,01h
      out 21h,al
      mov al,11h
      out 0A0h,al
      mov al,70h
      out 0A1h,al
      mov al,02h
      out 0A1h,al
      mov al,01h
      out 0A1h,al
      mov al,0
      out 21h,al
      out 0A1h,al
      xor ax, ax
      mov ds, ax
      mov word [75h*4], handler
      mov word [75h*4+2], 1000h
      mov ax, 1000h
      mov ds, ax
      fninit
      fldcw [cw]
      fld1
      fldz
      fdivp st1, st0          ; ZE pending (ES)
      sti
      fld1                    ; frozen: FERR# -> IRQ 13 -> handler, then this runs again
      mov byte [done], 1
      fnstsw [after]
      fnclex
      cli
      hlt
handler:
      inc byte [count]
      fnstsw [inside]         ; no-wait, inside the handler
      out 0F0h, al            ; clear the latch, assert IGNNE#
      ${handlerClears ? 'fnclex' : ''}
      mov al, 20h
      out 0A0h, al
      out 20h, al
      iret
cw: dw 0x037b
count: db 0
done: db 0
inside: dw 0
after: dw 0
`);
    for (const clears of [true, false]) {
      const code = prog(clears);
      const m = await realModePc(code);
      const c = m.core;
      expect(c.get32(L.CR) & 0x20).toBe(0); // NE = 0 after RESET
      expect(m.run(10_000n).why).toBe('halted');
      const base = 0x10000 + code.length - 6;
      const ram = c.ram();
      expect(ram[base], 'handler runs once').toBe(1);
      expect(ram[base + 1], 'the program went on').toBe(1);
      expect(u16(m, base + 2) & 0x80, 'ES inside the handler').toBe(0x80);
      // with FNCLEX in the handler the FLD1 ran cleanly; with IGNNE# only, it ran with ES still set
      expect(u16(m, base + 4) & 0x80).toBe(clears ? 0 : 0x80);
      expect(c.get32(L.FPU_FERR)).toBe(0); // the final FNCLEX deasserts FERR# (and IGNNE#)
      expect(c.get32(L.FPU_IGNNE)).toBe(0);
    }
  });

  it('raises #NM for every escape when CR0.EM or TS is set, and for WAIT and FXSAVE as the SDM says', async () => {
    for (const [cr0, insn, nm] of [[0x35, 'fld1', true], [0x39, 'fnop', true], [0x39, 'fwait', false], [0x3b, 'fwait', true],
      [0x35, 'fwait', false], [0x39, 'fxsave [0x10000]', true], [0x35, 'db 0xd9, 0xd1', true]] as [number, string, boolean][]) {
      const { m, vectors } = await flat32(insn, cr0);
      m.run(100n);
      expect(vectors, `${insn} with CR0 ${cr0.toString(16)}`).toEqual(nm ? [7] : []);
    }
  });

  it('FISTTP (SSE3) and reserved x87 encodings are #UD', async () => {
    for (const insn of ['fisttp word [0x10000]', 'fisttp dword [0x10000]', 'fisttp qword [0x10000]', 'db 0xd9, 0x08', 'db 0xdf, 0xe1']) {
      const { m, vectors } = await flat32(insn);
      m.run(100n);
      expect(vectors, insn).toEqual([6]);
    }
  });

  it('FXSAVE/FXRSTOR: #GP(0) unless 16-byte aligned; a round trip keeps the state', async () => {
    const { m, vectors } = await flat32('fxsave [0x10008]');
    m.run(100n);
    expect(vectors).toEqual([13]);
    const { m: m2 } = await flat32(`
      fninit
      fldpi
      fld1
      fxsave [0x10000]
      fninit
      fxrstor [0x10000]
      fstp tword [0x10400]
      fstp tword [0x10410]
    `);
    expect(m2.run(100n).why).toBe('halted');
    expect(Array.from(m2.core.ram().subarray(0x10400, 0x1040a))).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
    expect(u16(m2, 0x10418)).toBe(0x4000);
    expect(u32(m2, 0x10000 + 24)).toBe(0x1f80); // MXCSR
  });

  it('CPUID.1:EDX advertises the FPU and FXSR', async () => {
    const m = await Machine.create({ memory: 1 << 20, flat: true });
    const edx = m.cpuid.leaf(1, 0).edx;
    expect(edx & FEAT.FPU).toBe(FEAT.FPU);
    expect(edx & FEAT.FXSR).toBe(FEAT.FXSR);
  });
});
