/**
 * Why a 386-class CPU differs from the 80286 captures in SingleStepTests (docs/conformance.md).
 * Each class names the SDM passage that makes the 386 behave differently. A failure that fits
 * no class is reported as unexplained: those are bugs.
 */
import type { MooTest } from './moo.js';
import type { SstCpu } from './sst.js';

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);
const GP = 13;
const SS = 12;
const DE = 0;
const STRING_OPS = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);

export const CLASSES: Record<string, string> = {
  'segment-wrap': 'word access crossing offset 0xFFFF: the 286 wraps or faults differently; a 386 raises #GP (data) or #SS (stack) (SDM Vol. 3B 22.33.1)',
  'insn-length': 'instruction longer than 10 bytes: the 286 raises #GP, the 386 limit is 15 bytes (SDM Vol. 2 2.3.11)',
  'fs-gs': 'MOV to/from segment register 4/5: #UD on the 286, FS/GS on a 386 (SDM Vol. 2 MOV)',
  'pop-restart': 'POP m16 whose write faults: the 286 keeps SP incremented; 386 faults are restartable and leave SP unchanged (SDM Vol. 3A 6.5)',
  'string-restart': 'string instruction faulting at offset 0xFFFF: the 286 has already stepped SI/DI (and CX); 386 faults are restartable and leave them unchanged (SDM Vol. 3A 6.5)',
  'aam0-flags': 'AAM 0: the 286 updates SF/ZF/PF before raising #DE; a fault on a 386 leaves EFLAGS unchanged (SDM Vol. 3A 6.5)',
  'idiv-286': 'IDIV overflow the 286 microcode does not detect; the 386 raises #DE (SDM Vol. 2 IDIV)',
};

export function explain386(key: string, test: MooTest, cpu: SstCpu): string | undefined {
  const bytes = test.bytes.subarray(0, test.bytes.length - 1); // the trailing HLT is not part of it
  let i = 0;
  while (i < bytes.length && PREFIXES.has(bytes[i]!)) i++;
  const op = bytes[i];
  const modrm = bytes[i + 1] ?? 0;
  const fault = cpu.faultAtStart?.();
  const expected = test.exception?.number;
  if (bytes.length > 10) return 'insn-length';
  if ((op === 0x8c || op === 0x8e) && ((modrm >> 3) & 7) >= 4 && ((modrm >> 3) & 7) <= 5) return 'fs-gs';
  if (op === 0xd4 && bytes[i + 1] === 0 && fault === DE && expected === DE) return 'aam0-flags';
  if (op === 0x8f && fault === GP && expected === GP) return 'pop-restart';
  if (op !== undefined && STRING_OPS.has(op) && fault !== undefined && fault === expected) return 'string-restart';
  if ((key === 'F6.7' || key === 'F7.7') && fault === DE && expected === undefined) return 'idiv-286';
  // the core refused the access at a segment limit where the 286 wrapped (or raised #GP for SS)
  if ((fault === GP || fault === SS) && expected !== fault && touchesFFFF(test)) return 'segment-wrap';
  return undefined;
}

/** An address register (or the stack pointer) of the test sits where a word access reaches offset 0xFFFF. */
function touchesFFFF(test: MooTest): boolean {
  const r = test.init.regs;
  return [r.si, r.di, r.sp, r.bp, r.bx].some((v) => v !== undefined && v >= 0xfff9) ||
    // [bp+si], [bx+di], ... sums that land on 0xFFFF
    [[r.bp, r.si], [r.bp, r.di], [r.bx, r.si], [r.bx, r.di]].some(([a, b]) => a !== undefined && b !== undefined && ((a + b) & 0xffff) >= 0xfff9);
}
