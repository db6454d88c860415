// Loading segment registers. Real mode and virtual-8086 mode (SDM Vol. 3A 20.1.1): the base
// becomes selector << 4 and the rest of the descriptor cache is kept (so "unreal" limits
// survive). Protected-mode descriptor loads arrive with the protected-mode issue.
import { SHADOW } from '../gen/layout';
import { CS, SS, segLimit, segAttr, setSegCache, protectedMode, vm86 } from './state';
import { ud, raise, GP } from './fault';
import { invalidateFetch } from './memory';

// loads data/stack segment register s (not CS) with sel; false if it faulted
export function loadSeg(s: u32, sel: u32): bool {
  sel &= 0xffff;
  if (protectedMode() && !vm86()) {
    raise(GP, <i32>(sel & 0xfffc)); // protected-mode segment loads: not yet implemented
    return false;
  }
  setSegCache(s, sel, sel << 4, segLimit(s), segAttr(s));
  if (s == SS) store<u32>(SHADOW, 1); // MOV SS / POP SS inhibit interrupts for one instruction
  return true;
}

// far transfer of control: CS:EIP; false if it faulted
export function loadCS(sel: u32): bool {
  sel &= 0xffff;
  if (protectedMode() && !vm86()) {
    raise(GP, <i32>(sel & 0xfffc));
    return false;
  }
  setSegCache(CS, sel, sel << 4, segLimit(CS), segAttr(CS));
  invalidateFetch();
  return true;
}

export function movToCS(): void { ud(); }
