// Lazy arithmetic flags (the cc_op scheme): an instruction records its operation, result and
// operands; CF PF AF ZF SF OF are computed only when something reads them.
// Flag definitions: Intel SDM Vol. 1 3.4.3.1 and each instruction's "Flags Affected".
// Undefined flags take the values the expressions below give; the conformance runner and the
// fixture tests mask them per instruction (metadata flags-mask).
import { EFLAGS, CC_OP, CC_DST, CC_SRC, CC_SRC2 } from '../gen/layout';
import { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF, F_ARITH } from './state';
import { recomputeAC } from './segment';

// CC_OP = kind << 2 | size (0 byte, 1 word, 2 dword)
export const CC_EFLAGS: u32 = 0; // flags are in CC_SRC
export const K_ADD: u32 = 1;
export const K_ADC: u32 = 2;
export const K_SUB: u32 = 3;
export const K_SBB: u32 = 4;
export const K_LOGIC: u32 = 5;
export const K_INC: u32 = 6; // CC_SRC2 = CF before
export const K_DEC: u32 = 7; // CC_SRC2 = CF before
export const K_SHL: u32 = 8; // CC_SRC = operand shifted by count-1
export const K_SHR: u32 = 9; // CC_SRC = operand shifted by count-1 (SHR and SAR)
export const K_MUL: u32 = 10; // CC_SRC != 0 means CF = OF = 1

@inline export function sizeIdx<T>(): u32 { return sizeof<T>() == 1 ? 0 : sizeof<T>() == 2 ? 1 : 2; }
@inline function maskOf(s: u32): u32 { return s == 0 ? 0xff : s == 1 ? 0xffff : 0xffffffff; }
@inline function signOf(s: u32): u32 { return s == 0 ? 0x80 : s == 1 ? 0x8000 : 0x80000000; }

@inline export function setCC(op: u32, dst: u32, src: u32): void {
  store<u32>(CC_OP, op);
  store<u32>(CC_DST, dst);
  store<u32>(CC_SRC, src);
}
@inline export function setCC2(op: u32, dst: u32, src: u32, src2: u32): void {
  store<u32>(CC_OP, op);
  store<u32>(CC_DST, dst);
  store<u32>(CC_SRC, src);
  store<u32>(CC_SRC2, src2);
}

export function getCF(): u32 {
  const op = load<u32>(CC_OP);
  const s = op & 3;
  const m = maskOf(s);
  const dst = load<u32>(CC_DST) & m;
  const src = load<u32>(CC_SRC) & m;
  switch (op >> 2) {
    case K_ADD: return u32(dst < src);
    case K_ADC: return load<u32>(CC_SRC2) ? u32(dst <= src) : u32(dst < src);
    case K_SUB: return u32(((dst + src) & m) < src);
    case K_SBB: {
      const a = (dst + src + load<u32>(CC_SRC2)) & m;
      return load<u32>(CC_SRC2) ? u32(a <= src) : u32(a < src);
    }
    case K_LOGIC: return 0;
    case K_INC: case K_DEC: return load<u32>(CC_SRC2) & 1;
    case K_SHL: return (src >> ((8 << s) - 1)) & 1;
    case K_SHR: return load<u32>(CC_SRC) & 1;
    case K_MUL: return u32(load<u32>(CC_SRC) != 0);
    default: return load<u32>(CC_SRC) & F_CF;
  }
}

export function getOF(): u32 {
  const op = load<u32>(CC_OP);
  const s = op & 3;
  const sg = signOf(s);
  const dst = load<u32>(CC_DST);
  const src = load<u32>(CC_SRC);
  switch (op >> 2) {
    case K_ADD: { const a = dst - src; return u32(((a ^ dst) & (src ^ dst) & sg) != 0); }
    case K_ADC: { const a = dst - src - load<u32>(CC_SRC2); return u32(((a ^ dst) & (src ^ dst) & sg) != 0); }
    case K_SUB: { const a = dst + src; return u32(((a ^ src) & (a ^ dst) & sg) != 0); }
    case K_SBB: { const a = dst + src + load<u32>(CC_SRC2); return u32(((a ^ src) & (a ^ dst) & sg) != 0); }
    case K_LOGIC: return 0;
    case K_INC: return u32((dst & maskOf(s)) == sg);
    case K_DEC: return u32((dst & maskOf(s)) == sg - 1);
    case K_SHL: // OF = MSB(result) ^ CF, and CF is the MSB of the operand shifted by count-1
    case K_SHR: return u32(((src ^ dst) & sg) != 0);
    case K_MUL: return u32(src != 0);
    default: return (src & F_OF) != 0 ? 1 : 0;
  }
}

export function getZF(): u32 {
  const op = load<u32>(CC_OP);
  if (op == CC_EFLAGS) return (load<u32>(CC_SRC) >> 6) & 1;
  return u32((load<u32>(CC_DST) & maskOf(op & 3)) == 0);
}

export function getSF(): u32 {
  const op = load<u32>(CC_OP);
  if (op == CC_EFLAGS) return (load<u32>(CC_SRC) >> 7) & 1;
  return u32((load<u32>(CC_DST) & signOf(op & 3)) != 0);
}

export function getPF(): u32 {
  const op = load<u32>(CC_OP);
  if (op == CC_EFLAGS) return (load<u32>(CC_SRC) >> 2) & 1;
  return (~popcnt<u32>(load<u32>(CC_DST) & 0xff)) & 1;
}

export function getAF(): u32 {
  const op = load<u32>(CC_OP);
  const dst = load<u32>(CC_DST);
  const src = load<u32>(CC_SRC);
  switch (op >> 2) {
    case K_ADD: return ((dst ^ src ^ (dst - src)) >> 4) & 1;
    case K_ADC: return ((dst ^ src ^ (dst - src - load<u32>(CC_SRC2))) >> 4) & 1;
    case K_SUB: return ((dst ^ src ^ (dst + src)) >> 4) & 1;
    case K_SBB: return ((dst ^ src ^ (dst + src + load<u32>(CC_SRC2))) >> 4) & 1;
    case K_INC: return u32((dst & 0xf) == 0);
    case K_DEC: return u32((dst & 0xf) == 0xf);
    case K_LOGIC: case K_SHL: case K_SHR: case K_MUL: return 0;
    default: return (src >> 4) & 1;
  }
}

// the six arithmetic flags as EFLAGS bits
export function arithFlags(): u32 {
  const op = load<u32>(CC_OP);
  if (op == CC_EFLAGS) return load<u32>(CC_SRC) & F_ARITH;
  return getCF() | (getPF() << 2) | (getAF() << 4) | (getZF() << 6) | (getSF() << 7) | (getOF() << 11);
}

// full EFLAGS (bit 1 always set)
export function getFlags(): u32 {
  return (load<u32>(EFLAGS) & ~F_ARITH) | arithFlags() | 2;
}

// sets the arithmetic flags from bits of f
@inline export function setArith(f: u32): void {
  store<u32>(CC_OP, CC_EFLAGS);
  store<u32>(CC_SRC, f & F_ARITH);
}

// replaces the whole EFLAGS image (callers have applied their write masks)
export function setFlags(f: u32): void {
  const old = load<u32>(EFLAGS);
  store<u32>(EFLAGS, (f & ~F_ARITH) | 2);
  setArith(f);
  if ((old ^ f) & (1 << 18)) recomputeAC(); // EFLAGS.AC
}

// sets or clears one arithmetic flag, keeping the others
export function setOneFlag(bit: u32, on: bool): void {
  const f = arithFlags();
  setArith(on ? f | bit : f & ~bit);
}

// Jcc/SETcc/CMOVcc condition (SDM Vol. 1 appendix B): cc 0-15
export function cond(cc: u32): bool {
  const op = load<u32>(CC_OP);
  if ((op >> 2) == K_SUB) {
    // after CMP/SUB the conditions follow from the operands directly (a = b + result)
    const s = op & 3;
    const m = maskOf(s);
    const b = load<u32>(CC_SRC) & m;
    const r = load<u32>(CC_DST) & m;
    const a = (r + b) & m;
    const sh: u32 = s == 0 ? 24 : s == 1 ? 16 : 0;
    let t: bool;
    switch (cc >> 1) {
      case 1: t = a < b; break; // B
      case 2: t = r == 0; break; // E
      case 3: t = a <= b; break; // BE
      case 6: t = <i32>(a << sh) < <i32>(b << sh); break; // L
      case 7: t = <i32>(a << sh) <= <i32>(b << sh); break; // LE
      default: return condSlow(cc);
    }
    return t != ((cc & 1) != 0);
  }
  return condSlow(cc);
}

function condSlow(cc: u32): bool {
  let r: u32;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF(); break;
    case 2: r = getZF(); break;
    case 3: r = getCF() | getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() ^ getOF(); break;
    default: r = getZF() | (getSF() ^ getOF()); break;
  }
  return (r ^ (cc & 1)) != 0;
}
