// ADD OR ADC SBB AND SUB XOR CMP, INC DEC NEG NOT TEST (SDM Vol. 2, each instruction's page).
// op numbers follow the ModRM.reg encoding of group 1: 0 ADD 1 OR 2 ADC 3 SBB 4 AND 5 SUB 6 XOR 7 CMP.
import { setCC, setCC2, sizeIdx, getCF, K_ADD, K_ADC, K_SUB, K_SBB, K_LOGIC, K_INC, K_DEC } from '../cpu/flags';
import { readE, writeE, readG, writeG, fetchImm, fetchImm8s } from '../cpu/decode';
import { getReg, setReg } from '../cpu/state';
import { aborted } from '../cpu/fault';

@inline function maskT<T>(): u32 { return sizeof<T>() == 1 ? 0xff : sizeof<T>() == 2 ? 0xffff : 0xffffffff; }

@inline export function alu<T>(op: u32, a: u32, b: u32): u32 {
  const s = sizeIdx<T>();
  const m = maskT<T>();
  let r: u32;
  switch (op) {
    case 0: r = (a + b) & m; setCC((K_ADD << 2) | s, r, b); return r;
    case 1: r = a | b; setCC((K_LOGIC << 2) | s, r, 0); return r;
    case 2: { const c = getCF(); r = (a + b + c) & m; setCC2((K_ADC << 2) | s, r, b, c); return r; }
    case 3: { const c = getCF(); r = (a - b - c) & m; setCC2((K_SBB << 2) | s, r, b, c); return r; }
    case 4: r = a & b; setCC((K_LOGIC << 2) | s, r, 0); return r;
    case 5: r = (a - b) & m; setCC((K_SUB << 2) | s, r, b); return r;
    case 6: r = a ^ b; setCC((K_LOGIC << 2) | s, r, 0); return r;
    default: r = (a - b) & m; setCC((K_SUB << 2) | s, r, b); return a; // CMP
  }
}

export function alu_EG<T>(op: u32): void {
  const a = readE<T>();
  if (aborted) return;
  const r = alu<T>(op, a, readG<T>());
  if (op != 7) writeE<T>(r);
}
export function alu_GE<T>(op: u32): void {
  const b = readE<T>();
  if (aborted) return;
  const r = alu<T>(op, readG<T>(), b);
  if (op != 7) writeG<T>(r);
}
export function alu_AI<T>(op: u32): void {
  const b = fetchImm<T>();
  if (aborted) return;
  const r = alu<T>(op, getReg<T>(0), b);
  if (op != 7) setReg<T>(0, r);
}
export function alu_EI<T>(op: u32): void {
  const a = readE<T>();
  const b = fetchImm<T>();
  if (aborted) return;
  const r = alu<T>(op, a, b);
  if (op != 7) writeE<T>(r);
}
export function alu_EIb<T>(op: u32): void {
  const a = readE<T>();
  const b = fetchImm8s<T>();
  if (aborted) return;
  const r = alu<T>(op, a, b);
  if (op != 7) writeE<T>(r);
}

export function test_EG<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  alu<T>(4, a, readG<T>());
}
export function test_AI<T>(): void {
  const b = fetchImm<T>();
  if (aborted) return;
  alu<T>(4, getReg<T>(0), b);
}
export function test_EI<T>(): void {
  const a = readE<T>();
  const b = fetchImm<T>();
  if (aborted) return;
  alu<T>(4, a, b);
}

@inline function inc<T>(a: u32): u32 {
  const r = (a + 1) & maskT<T>();
  setCC2((K_INC << 2) | sizeIdx<T>(), r, 1, getCF());
  return r;
}
@inline function dec<T>(a: u32): u32 {
  const r = (a - 1) & maskT<T>();
  setCC2((K_DEC << 2) | sizeIdx<T>(), r, 1, getCF());
  return r;
}
export function inc_R<T>(r: u32): void { setReg<T>(r, inc<T>(getReg<T>(r))); }
export function dec_R<T>(r: u32): void { setReg<T>(r, dec<T>(getReg<T>(r))); }
export function inc_E<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  writeE<T>(inc<T>(a));
}
export function dec_E<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  writeE<T>(dec<T>(a));
}
export function not_E<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  writeE<T>(~a & maskT<T>());
}
export function neg_E<T>(): void {
  const a = readE<T>();
  if (aborted) return;
  const r = (0 - a) & maskT<T>();
  setCC((K_SUB << 2) | sizeIdx<T>(), r, a);
  writeE<T>(r);
}
