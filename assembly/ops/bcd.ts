// DAA DAS AAA AAS AAM AAD, and SALC (SDM Vol. 2 pseudo-code; SALC is the undocumented D6:
// AL = CF ? 0xFF : 0). Flags the SDM leaves undefined follow the result in AL.
import { arithFlags, setArith, getCF, setCC, K_LOGIC } from '../cpu/flags';
import { reg8, setReg8, reg16, setReg16, F_CF, F_AF, F_ZF, F_SF } from '../cpu/state';
import { fetch8 } from '../cpu/decode';
import { aborted, raise, DE } from '../cpu/fault';

// SF ZF PF of an 8-bit value
@inline function szp(v: u32): u32 {
  return (v & 0x80 ? F_SF : 0) | (v & 0xff ? 0 : F_ZF) | ((~popcnt<u32>(v & 0xff) & 1) << 2);
}

export function daa(): void {
  const f = arithFlags();
  const old = reg8(0);
  const oldCf = f & F_CF;
  let al = old;
  let cf: u32 = 0;
  let af: u32 = 0;
  if ((al & 0xf) > 9 || (f & F_AF)) {
    al += 6;
    cf = oldCf | (al > 0xff ? 1 : 0);
    af = F_AF;
  }
  if (old > 0x99 || oldCf) { al += 0x60; cf = 1; } else cf = 0;
  al &= 0xff;
  setReg8(0, al);
  setArith(szp(al) | cf | af); // OF is undefined: cleared
}

export function das(): void {
  const f = arithFlags();
  const old = reg8(0);
  const oldCf = f & F_CF;
  let al = old;
  let cf: u32 = 0;
  let af: u32 = 0;
  if ((al & 0xf) > 9 || (f & F_AF)) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al -= 6;
    af = F_AF;
  }
  if (old > 0x99 || oldCf) { al -= 0x60; cf = 1; }
  al &= 0xff;
  setReg8(0, al);
  setArith(szp(al) | cf | af);
}

export function aaa(): void {
  const f = arithFlags();
  let ax = reg16(0);
  if ((ax & 0xf) > 9 || (f & F_AF)) {
    ax = (ax + 0x106) & 0xffff;
    setReg16(0, ax & 0xff0f);
    setArith(F_AF | F_CF | szp(ax & 0xff));
  } else {
    setReg16(0, ax & 0xff0f);
    setArith(szp(ax & 0xff));
  }
}

export function aas(): void {
  const f = arithFlags();
  let ax = reg16(0);
  if ((ax & 0xf) > 9 || (f & F_AF)) {
    ax = (ax - 6) & 0xffff;
    ax = (ax - 0x100) & 0xffff;
    setReg16(0, ax & 0xff0f);
    setArith(F_AF | F_CF | szp(ax & 0xff));
  } else {
    setReg16(0, ax & 0xff0f);
    setArith(szp(ax & 0xff));
  }
}

export function aam(): void {
  const base = fetch8();
  if (aborted) return;
  if (base == 0) { raise(DE, -1); return; }
  const al = reg8(0);
  const r = al % base;
  setReg16(0, ((al / base) << 8) | r);
  setCC(K_LOGIC << 2, r, 0);
}

export function aad(): void {
  const base = fetch8();
  if (aborted) return;
  const r = (reg8(0) + reg8(4) * base) & 0xff;
  setReg16(0, r);
  setCC(K_LOGIC << 2, r, 0);
}

export function salc(): void {
  setReg8(0, getCF() ? 0xff : 0);
}
