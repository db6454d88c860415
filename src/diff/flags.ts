/**
 * Which arithmetic flags an instruction leaves undefined (Intel SDM Vol. 2, each instruction's
 * "Flags Affected"), for the common cases. The comparator keeps a running set of flags whose
 * value is undefined: an instruction adds the flags it leaves undefined and removes the ones it
 * defines; EFLAGS is compared with that set masked out.
 */
import { bytesOf, opcodeOf, type CpuState } from '../trace/format.js';

export const CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;

export interface FlagEffect {
  /** flags the instruction writes with a defined value */
  def: number;
  /** flags the instruction leaves undefined */
  undef: number;
  /** a short reason for reports */
  why?: string;
}

const NONE: FlagEffect = { def: 0, undef: 0 };
const ALL: FlagEffect = { def: ARITH, undef: 0 };
const LOGIC: FlagEffect = { def: ARITH & ~AF, undef: AF, why: 'AF after a logic op' };
const INCDEC: FlagEffect = { def: ARITH & ~CF, undef: 0 };
const MUL: FlagEffect = { def: CF | OF, undef: SF | ZF | AF | PF, why: 'SF ZF AF PF after MUL/IMUL' };
const DIV: FlagEffect = { def: 0, undef: ARITH, why: 'all arithmetic flags after DIV/IDIV' };

/** Operand size in bits of a non-byte instruction (real mode default 16, 66 toggles). */
function opSize(prefixes: number[], byteOp: boolean, code32 = false): number {
  if (byteOp) return 8;
  return prefixes.includes(0x66) !== code32 ? 32 : 16;
}

function shiftEffect(kind: number, count: number, bits: number): FlagEffect {
  count &= 0x1f;
  if (count === 0) return NONE;
  if (kind <= 3) {
    // ROL ROR RCL RCR: CF, OF only for a count of 1
    return count === 1 ? { def: CF | OF, undef: 0 } : { def: CF, undef: OF, why: 'OF after a multi-bit rotate' };
  }
  // SHL/SAL SHR SAR
  let undef = AF;
  let def = CF | SF | ZF | PF | OF;
  let why = 'AF after a shift';
  if (count !== 1) { undef |= OF; def &= ~OF; why = 'OF and AF after a multi-bit shift'; }
  if (count > bits && kind !== 7) { undef |= CF; def &= ~CF; why += ', CF with a count above the operand size'; }
  return { def, undef, why };
}

/**
 * The flag effect of the instruction `hex` executed with `before` as the state before it (for
 * CL shift counts); code32: a 32-bit code segment (the default operand size).
 */
export function flagEffect(hex: string, before: CpuState | undefined, code32 = false): FlagEffect {
  if (!hex) return NONE;
  const b = bytesOf(hex);
  const { op, op2, reg, prefixes } = opcodeOf(b);
  const last = b[b.length - 1] ?? 0;
  const cl = before ? before.regs[1]! & 0xff : 0;
  if (op < 0x40 && (op & 7) < 6 && op !== 0x0f) {
    const alu = op >> 3; // 0 add 1 or 2 adc 3 sbb 4 and 5 sub 6 xor 7 cmp
    return alu === 1 || alu === 4 || alu === 6 ? LOGIC : ALL;
  }
  switch (op) {
    case 0x27: case 0x2f: return { def: ARITH & ~OF, undef: OF, why: 'OF after DAA/DAS' };
    case 0x37: case 0x3f: return { def: AF | CF, undef: OF | SF | ZF | PF, why: 'OF SF ZF PF after AAA/AAS' };
    case 0xd4: case 0xd5: return { def: SF | ZF | PF, undef: OF | AF | CF, why: 'OF AF CF after AAM/AAD' };
    case 0x80: case 0x81: case 0x82: case 0x83:
      return reg === 1 || reg === 4 || reg === 6 ? LOGIC : ALL;
    case 0x84: case 0x85: case 0xa8: case 0xa9: return LOGIC;
    case 0x69: case 0x6b: return MUL;
    case 0x9d: case 0xcf: case 0x9e: return ALL; // POPF IRET SAHF (SAHF: not OF, close enough)
    case 0xa6: case 0xa7: case 0xae: case 0xaf: return ALL;
    case 0xf5: case 0xf8: case 0xf9: return { def: CF, undef: 0 };
    case 0xc0: case 0xc1: return shiftEffect(reg, last, opSize(prefixes, op === 0xc0, code32));
    case 0xd0: case 0xd1: return shiftEffect(reg, 1, opSize(prefixes, op === 0xd0, code32));
    case 0xd2: case 0xd3: return shiftEffect(reg, cl, opSize(prefixes, op === 0xd2, code32));
    case 0xf6: case 0xf7:
      if (reg <= 1) return LOGIC;
      if (reg === 2) return NONE;
      if (reg === 3) return ALL;
      if (reg <= 5) return MUL;
      return DIV;
    case 0xfe: case 0xff: return reg <= 1 ? INCDEC : NONE;
  }
  if (op >= 0x40 && op <= 0x4f) return INCDEC;
  if (op === 0x0f) {
    switch (op2) {
      case 0xaf: return MUL;
      case 0xbc: case 0xbd: return { def: ZF, undef: CF | OF | SF | AF | PF, why: 'CF OF SF AF PF after BSF/BSR' };
      case 0xa3: case 0xab: case 0xb3: case 0xbb: case 0xba:
        return { def: CF, undef: OF | SF | AF | PF, why: 'OF SF AF PF after BT/BTS/BTR/BTC' };
      case 0xa4: case 0xa5: case 0xac: case 0xad: {
        const count = (op2 & 1 ? cl : last) & 0x1f;
        const bits = opSize(prefixes, false, code32);
        if (count === 0) return NONE;
        if (count > bits) return { def: 0, undef: ARITH, why: 'all flags after SHLD/SHRD with a count above the operand size' };
        return count === 1
          ? { def: CF | SF | ZF | PF | OF, undef: AF, why: 'AF after SHLD/SHRD' }
          : { def: CF | SF | ZF | PF, undef: AF | OF, why: 'OF and AF after a multi-bit SHLD/SHRD' };
      }
      case 0xb0: case 0xb1: case 0xc0: case 0xc1: return ALL;
    }
  }
  return NONE;
}
