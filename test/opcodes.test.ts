/**
 * The opcode table (tools/opcodes) is the single source of truth: every form it defines is
 * dispatched, and every one-byte form has a hardware-captured SingleStepTests file or a stated
 * reason why not. Generated dispatch is checked for staleness in layout.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPCODES, OPINFO } from '../src/gen/opcodes.js';

const SST = resolve(__dirname, '../../shared/conformance/sst-80286');
// one-byte forms that the 286 suite cannot cover, and why
const NO_SST: Record<string, string> = {
  '0F': 'two-byte map: 386+ (covered by the native fixtures of the protected-mode issue)',
  '63': 'ARPL: protected mode only (#UD in real mode)',
  'C8': 'ENTER: its published file is too large for shared/ (covered by firmware/demo.asm)',
  'D6': 'SALC: undocumented, skipped by the suite metadata',
  'F1': 'INT1/ICEBP: not in the 286 suite',
  '9B': 'FWAIT: coprocessor',
};

describe('opcode table', () => {
  it('dispatches every defined form and nothing else', () => {
    const dispatch = readFileSync('assembly/gen/dispatch.ts', 'utf8');
    for (const r of OPCODES) {
      const idx = r.op < 0x100 ? r.op : 0x100 | (r.op & 0xff);
      expect(OPINFO[idx]! & 0x80, r.mnemonic).toBe(0x80);
      expect(dispatch).toContain(`case 0x${idx.toString(16).padStart(3, '0')}:`);
    }
  });

  it.runIf(existsSync(SST))('has a hardware-captured test file or a reason for every one-byte form', () => {
    const missing: string[] = [];
    for (const r of OPCODES) {
      if (r.op > 0xff) continue;
      const key = r.op.toString(16).toUpperCase().padStart(2, '0');
      if ((r.op >= 0xd8 && r.op <= 0xdf) || NO_SST[key]) continue; // x87 escapes: the FPU issue
      // group forms are in KEY.REG files, except groups with one defined form (8F, C6, C7)
      const files = r.reg >= 0 ? [`${key}.${r.reg}.MOO.gz`, `${key}.MOO.gz`] : [`${key}.MOO.gz`];
      if (!files.some((f) => existsSync(resolve(SST, f)))) missing.push(`${files[0]} ${r.mnemonic} ${r.operands}`);
    }
    // 64-67 are prefixes and 0F the escape: not rows of the table
    expect(missing).toEqual([]);
  });
});
