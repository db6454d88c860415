// IN OUT (SDM Vol. 2; I/O protection: SDM Vol. 1 19.5). In protected mode with CPL > IOPL, and
// in virtual-8086 mode, the I/O permission bitmap of a 32-bit TSS decides: every bit covering
// the accessed ports must be clear, and a bitmap beyond the TSS limit denies (#GP(0)).
import { EFLAGS, CPL } from '../gen/layout';
import { fetch8, setNextEip } from '../cpu/decode';
import { reg16, getReg, setReg, EDX, protectedMode, vm86, F_IOPL, TR, segAttr, segBase, segLimit } from '../cpu/state';
import { readSys16 } from '../cpu/memory';
import { aborted, gp } from '../cpu/fault';
import { ioIn, ioOut, setIoContext } from '../cpu/io';

export function checkIoPermission(port: u32, size: u32): bool {
  if (!protectedMode()) return true;
  const iopl = (load<u32>(EFLAGS) & F_IOPL) >> 12;
  if (!vm86() && load<u32>(CPL) <= iopl) return true;
  if (ioBitmapAllows(port, size)) return true;
  if (!aborted) gp(0);
  return false;
}

function ioBitmapAllows(port: u32, size: u32): bool {
  const a = segAttr(TR);
  if (!(a & 0x800) || !(a & 0x8000)) return false; // a 16-bit TSS has no bitmap
  const base = segBase(TR);
  const limit = segLimit(TR);
  if (limit < 0x67) return false;
  const map = readSys16(base + 0x66);
  const off = map + (port >> 3);
  if (off + 1 > limit) return false; // both bytes of the word read must be inside the TSS
  const bits = readSys16(base + off);
  if (aborted) return false;
  const mask: u32 = ((1 << size) - 1) << (port & 7);
  return (bits & mask) == 0;
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
