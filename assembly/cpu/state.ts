// Register file and segment caches: accessors over the STATE region (tools/layout.mjs).
// Registers live in linear memory, not in wasm globals, so the host sees them without a copy
// and save state is a byte copy.
import {
  REGS, EIP, SEG_SEL, SEG_BASE, SEG_LIMIT, SEG_ATTR, CR, EFLAGS,
} from '../gen/layout';

// segment register numbers (encoding order)
export const ES: u32 = 0;
export const CS: u32 = 1;
export const SS: u32 = 2;
export const DS: u32 = 3;
export const FS: u32 = 4;
export const GS: u32 = 5;
export const LDTR: u32 = 6;
export const TR: u32 = 7;

// general registers
export const EAX: u32 = 0;
export const ECX: u32 = 1;
export const EDX: u32 = 2;
export const EBX: u32 = 3;
export const ESP: u32 = 4;
export const EBP: u32 = 5;
export const ESI: u32 = 6;
export const EDI: u32 = 7;

// EFLAGS bits (SDM Vol. 1 3.4.3)
export const F_CF: u32 = 1 << 0;
export const F_PF: u32 = 1 << 2;
export const F_AF: u32 = 1 << 4;
export const F_ZF: u32 = 1 << 6;
export const F_SF: u32 = 1 << 7;
export const F_TF: u32 = 1 << 8;
export const F_IF: u32 = 1 << 9;
export const F_DF: u32 = 1 << 10;
export const F_OF: u32 = 1 << 11;
export const F_IOPL: u32 = 3 << 12;
export const F_NT: u32 = 1 << 14;
export const F_RF: u32 = 1 << 16;
export const F_VM: u32 = 1 << 17;
export const F_AC: u32 = 1 << 18;
export const F_VIF: u32 = 1 << 19;
export const F_VIP: u32 = 1 << 20;
export const F_ID: u32 = 1 << 21;
export const F_ARITH: u32 = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF;

// CR0 bits
export const CR0_PE: u32 = 1 << 0;
export const CR0_MP: u32 = 1 << 1;
export const CR0_EM: u32 = 1 << 2;
export const CR0_TS: u32 = 1 << 3;
export const CR0_ET: u32 = 1 << 4;
export const CR0_NE: u32 = 1 << 5;
export const CR0_WP: u32 = 1 << 16;
export const CR0_AM: u32 = 1 << 18;
export const CR0_PG: u32 = 1 << 31;

@inline export function reg32(r: u32): u32 { return load<u32>(REGS + (r << 2)); }
@inline export function setReg32(r: u32, v: u32): void { store<u32>(REGS + (r << 2), v); }
@inline export function reg16(r: u32): u32 { return load<u16>(REGS + (r << 2)); }
@inline export function setReg16(r: u32, v: u32): void { store<u16>(REGS + (r << 2), <u16>v); }
// 8-bit registers: AL CL DL BL AH CH DH BH
@inline export function reg8(r: u32): u32 { return load<u8>(REGS + ((r & 3) << 2) + (r >> 2)); }
@inline export function setReg8(r: u32, v: u32): void { store<u8>(REGS + ((r & 3) << 2) + (r >> 2), <u8>v); }

// sized access: T is u8, u16 or u32
@inline export function getReg<T>(r: u32): u32 {
  if (sizeof<T>() == 1) return reg8(r);
  if (sizeof<T>() == 2) return reg16(r);
  return reg32(r);
}
@inline export function setReg<T>(r: u32, v: u32): void {
  if (sizeof<T>() == 1) setReg8(r, v);
  else if (sizeof<T>() == 2) setReg16(r, v);
  else setReg32(r, v);
}

@inline export function eip(): u32 { return load<u32>(EIP); }
@inline export function setEip(v: u32): void { store<u32>(EIP, v); }

@inline export function segSel(s: u32): u32 { return load<u32>(SEG_SEL + (s << 2)); }
@inline export function segBase(s: u32): u32 { return load<u32>(SEG_BASE + (s << 2)); }
@inline export function segLimit(s: u32): u32 { return load<u32>(SEG_LIMIT + (s << 2)); }
@inline export function segAttr(s: u32): u32 { return load<u32>(SEG_ATTR + (s << 2)); }
@inline export function setSegCache(s: u32, sel: u32, base: u32, limit: u32, attr: u32): void {
  store<u32>(SEG_SEL + (s << 2), sel);
  store<u32>(SEG_BASE + (s << 2), base);
  store<u32>(SEG_LIMIT + (s << 2), limit);
  store<u32>(SEG_ATTR + (s << 2), attr);
}

@inline export function cr(n: u32): u32 { return load<u32>(CR + (n << 2)); }
@inline export function setCr(n: u32, v: u32): void { store<u32>(CR + (n << 2), v); }
@inline export function protectedMode(): bool { return (cr(0) & CR0_PE) != 0; }
@inline export function vm86(): bool { return (load<u32>(EFLAGS) & F_VM) != 0; }

// descriptor attribute bits as kept in SEG_ATTR (descriptor high dword bits 8-23)
export const ATTR_D: u32 = 1 << 22; // default operand size 32 (D/B)
export const ATTR_G: u32 = 1 << 23;
export const ATTR_P: u32 = 1 << 15;
@inline export function codeIs32(): bool { return (segAttr(CS) & ATTR_D) != 0; }
@inline export function stackIs32(): bool { return (segAttr(SS) & ATTR_D) != 0; }
