// IN OUT (SDM Vol. 2; I/O protection: SDM Vol. 1 chapter 19). In protected mode with
// CPL > IOPL, and in virtual-8086 mode, the TSS I/O permission bitmap decides; that check
// arrives with the protected-mode issue, until then such accesses raise #GP(0).
import { EFLAGS, CPL } from '../gen/layout';
import { fetch8, setNextEip } from '../cpu/decode';
import { reg16, getReg, setReg, EDX, protectedMode, vm86, F_IOPL } from '../cpu/state';
import { aborted, gp } from '../cpu/fault';
import { ioIn, ioOut, setIoContext } from '../cpu/io';

export function checkIoPermission(port: u32, size: u32): bool {
  if (!protectedMode()) return true;
  const iopl = (load<u32>(EFLAGS) & F_IOPL) >> 12;
  if (!vm86() && load<u32>(CPL) <= iopl) return true;
  gp(0);
  return false;
}

export function in_I<T>(): void {
  const port = fetch8();
  if (aborted || !checkIoPermission(port, sizeof<T>())) return;
  setIoContext(0x40, 0);
  const v = ioIn(port, sizeof<T>());
  setIoContext(0, 0);
  if (!aborted) setReg<T>(0, v);
}
export function in_DX<T>(): void {
  const port = reg16(EDX);
  if (!checkIoPermission(port, sizeof<T>())) return;
  const v = ioIn(port, sizeof<T>());
  if (!aborted) setReg<T>(0, v);
}
export function out_I<T>(): void {
  const port = fetch8();
  if (aborted || !checkIoPermission(port, sizeof<T>())) return;
  setIoContext(0x40, 0);
  ioOut(port, sizeof<T>(), getReg<T>(0));
  setIoContext(0, 0);
}
export function out_DX<T>(): void {
  const port = reg16(EDX);
  if (!checkIoPermission(port, sizeof<T>())) return;
  ioOut(port, sizeof<T>(), getReg<T>(0));
}
