// Stack access through SS; the stack-address size is SS's B bit (SDM Vol. 3A 3.4.5).
import { SS, ESP, reg32, setReg32, reg16, setReg16, stackIs32 } from './state';
import { readSeg, writeSeg } from './decode';
import { aborted } from './fault';

@inline export function stackPtr(): u32 { return stackIs32() ? reg32(ESP) : reg16(ESP); }
@inline export function setStackPtr(v: u32): void {
  if (stackIs32()) setReg32(ESP, v); else setReg16(ESP, v);
}
@inline export function stackMask(): u32 { return stackIs32() ? 0xffffffff : 0xffff; }

export function push<T>(v: u32): void {
  const sp = (stackPtr() - sizeof<T>()) & stackMask();
  writeSeg<T>(SS, sp, v);
  if (!aborted) setStackPtr(sp);
}

export function pop<T>(): u32 {
  const sp = stackPtr();
  const v = readSeg<T>(SS, sp);
  if (!aborted) setStackPtr((sp + sizeof<T>()) & stackMask());
  return v;
}

// reads the stack slot n bytes above the top without popping
export function peek<T>(n: u32): u32 {
  return readSeg<T>(SS, (stackPtr() + n) & stackMask());
}
