/** Instruction quirks that no captured suite covers, each pinned to its SDM rule. */
import { describe, expect, it } from 'vitest';
import { realModeVm } from './helpers/vm.js';

describe('instruction quirks', () => {
  it('MOV r32, CR0 ignores the mod field: 3 bytes whatever mod says (SDM Vol. 2 MOV-Control Registers)', async () => {
    for (const modrm of [0xc0, 0x40, 0x80, 0x06]) {
      // mov eax, cr0 (encoded with mod = modrm >> 6) ; hlt
      const m = await realModeVm([0x0f, 0x20, modrm, 0xf4, 0xf4, 0xf4, 0xf4]);
      expect(m.run().why).toBe('halted');
      expect(m.core.eip, modrm.toString(16)).toBe(4);
      expect(m.core.reg32(modrm & 7) & 0x11).toBe(0x10); // ET set, PE clear
    }
  });

  it('a word at offset 0xFFFF raises #GP in a data segment and #SS in the stack segment (SDM Vol. 3B 22.33.1)', async () => {
    // mov bx, 0xffff ; mov ax, [bx] ; hlt
    const m = await realModeVm([0xbb, 0xff, 0xff, 0x8b, 0x07, 0xf4]);
    const vectors: number[] = [];
    m.core.set32((await import('../src/gen/layout.js')).CTL_EXC_BITMAP, 0xffffffff);
    m.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
    expect(m.run().why).toBe('exception');
    // mov bp, 0xffff ; mov ax, [bp] ; hlt
    const m2 = await realModeVm([0xbd, 0xff, 0xff, 0x8b, 0x46, 0x00, 0xf4]);
    m2.core.set32((await import('../src/gen/layout.js')).CTL_EXC_BITMAP, 0xffffffff);
    m2.onException = (ex) => { vectors.push(ex.vector); return 'stop'; };
    expect(m2.run().why).toBe('exception');
    expect(vectors).toEqual([13, 12]);
  });

  it('an instruction longer than 15 bytes raises #GP (SDM Vol. 2 2.3.11)', async () => {
    // 15 x 2E prefix + nop
    const m = await realModeVm([...new Array(15).fill(0x2e), 0x90, 0xf4]);
    m.core.set32((await import('../src/gen/layout.js')).CTL_EXC_BITMAP, 1 << 13);
    let v = -1;
    m.onException = (ex) => { v = ex.vector; return 'stop'; };
    expect(m.run().why).toBe('exception');
    expect(v).toBe(13);
    // 14 prefixes + nop = 15 bytes is fine
    const m2 = await realModeVm([...new Array(14).fill(0x2e), 0x90, 0xf4]);
    expect(m2.run().why).toBe('halted');
  });
});
