// MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ").
// The address size picks SI/DI/CX or ESI/EDI/ECX; the source segment can be overridden, ES:DI
// cannot. A REP instruction runs as many iterations as the budget allows, then stays at its
// own address with the registers updated, so interrupts and exits fall between iterations.
import { EFLAGS } from '../gen/layout';
import { readSeg, writeSeg, dataSeg, a32, pfx, PFX_REP, PFX_REPNE, setNextEip } from '../cpu/decode';
import { EIP } from '../gen/layout';
import { reg16, reg32, setReg16, setReg32, getReg, setReg, ECX, ESI, EDI, ES, EDX, F_DF } from '../cpu/state';
import { getZF } from '../cpu/flags';
import { alu } from './alu';
import { aborted } from '../cpu/fault';
import { remaining, chargeIterations } from '../cpu/exec';
import { ioIn, ioOut, setIoContext } from '../cpu/io';
import { checkIoPermission } from './io';

@inline function idx(r: u32): u32 { return a32() ? reg32(r) : reg16(r); }
@inline function setIdx(r: u32, v: u32): void { if (a32()) setReg32(r, v); else setReg16(r, v); }
@inline function delta<T>(): u32 { return load<u32>(EFLAGS) & F_DF ? 0 - sizeof<T>() : sizeof<T>(); }
@inline function amask(): u32 { return a32() ? 0xffffffff : 0xffff; }

// how many iterations to run now: the count, bounded by the budget (at least one)
@inline function batch(count: u32): u32 { return count < remaining ? count : (remaining ? remaining : 1); }

// finish a REP run of `done` iterations with `left` remaining in the count register
// (stopped: REPE/REPNE ended on its flag condition)
function repEnd(done: u32, left: u32, stopped: bool = false): void {
  setIdx(ECX, left);
  // iterations count as retired instructions; an iteration that exits (REP INS/OUTS) does not
  // retire the instruction, so every completed one is charged here
  if (aborted) chargeIterations(done);
  else if (done > 1) chargeIterations(done - 1);
  if (left != 0 && !stopped) setNextEip(load<u32>(EIP)); // not finished: run again from the same address
}

export function movs<T>(): void {
  const d = delta<T>();
  const m = amask();
  const src = dataSeg();
  let si = idx(ESI);
  let di = idx(EDI);
  if (!(pfx & (PFX_REP | PFX_REPNE))) {
    const v = readSeg<T>(src, si);
    if (aborted) return;
    writeSeg<T>(ES, di, v);
    if (aborted) return;
    setIdx(ESI, (si + d) & m);
    setIdx(EDI, (di + d) & m);
    return;
  }
  let cnt = idx(ECX);
  if (cnt == 0) return;
  const n = batch(cnt);
  let i: u32 = 0;
  for (; i < n; i++) {
    const v = readSeg<T>(src, si);
    if (aborted) break;
    writeSeg<T>(ES, di, v);
    if (aborted) break;
    si = (si + d) & m;
    di = (di + d) & m;
    cnt--;
  }
  setIdx(ESI, si);
  setIdx(EDI, di);
  repEnd(i, cnt);
}

export function stos<T>(): void {
  const d = delta<T>();
  const m = amask();
  const v = getReg<T>(0);
  let di = idx(EDI);
  if (!(pfx & (PFX_REP | PFX_REPNE))) {
    writeSeg<T>(ES, di, v);
    if (!aborted) setIdx(EDI, (di + d) & m);
    return;
  }
  let cnt = idx(ECX);
  if (cnt == 0) return;
  const n = batch(cnt);
  let i: u32 = 0;
  for (; i < n; i++) {
    writeSeg<T>(ES, di, v);
    if (aborted) break;
    di = (di + d) & m;
    cnt--;
  }
  setIdx(EDI, di);
  repEnd(i, cnt);
}

export function lods<T>(): void {
  const d = delta<T>();
  const m = amask();
  const src = dataSeg();
  let si = idx(ESI);
  if (!(pfx & (PFX_REP | PFX_REPNE))) {
    const v = readSeg<T>(src, si);
    if (aborted) return;
    setReg<T>(0, v);
    setIdx(ESI, (si + d) & m);
    return;
  }
  let cnt = idx(ECX);
  if (cnt == 0) return;
  const n = batch(cnt);
  let i: u32 = 0;
  for (; i < n; i++) {
    const v = readSeg<T>(src, si);
    if (aborted) break;
    setReg<T>(0, v);
    si = (si + d) & m;
    cnt--;
  }
  setIdx(ESI, si);
  repEnd(i, cnt);
}

// CMPS/SCAS with REPE (F3) stop when ZF = 0, with REPNE (F2) when ZF = 1
export function cmps<T>(): void {
  const d = delta<T>();
  const m = amask();
  const src = dataSeg();
  let si = idx(ESI);
  let di = idx(EDI);
  const rep = pfx & (PFX_REP | PFX_REPNE);
  if (!rep) {
    const a = readSeg<T>(src, si);
    if (aborted) return;
    const b = readSeg<T>(ES, di);
    if (aborted) return;
    alu<T>(7, a, b);
    setIdx(ESI, (si + d) & m);
    setIdx(EDI, (di + d) & m);
    return;
  }
  let cnt = idx(ECX);
  if (cnt == 0) return;
  const n = batch(cnt);
  const wantZ: u32 = rep & PFX_REP ? 1 : 0;
  let i: u32 = 0;
  while (i < n) {
    const a = readSeg<T>(src, si);
    if (aborted) break;
    const b = readSeg<T>(ES, di);
    if (aborted) break;
    alu<T>(7, a, b);
    si = (si + d) & m;
    di = (di + d) & m;
    cnt--;
    i++;
    if (getZF() != wantZ) break;
  }
  setIdx(ESI, si);
  setIdx(EDI, di);
  const stopped = i > 0 && !aborted && getZF() != wantZ;
  repEnd(i, cnt, stopped);
}

export function scas<T>(): void {
  const d = delta<T>();
  const m = amask();
  const acc = getReg<T>(0);
  let di = idx(EDI);
  const rep = pfx & (PFX_REP | PFX_REPNE);
  if (!rep) {
    const b = readSeg<T>(ES, di);
    if (aborted) return;
    alu<T>(7, acc, b);
    setIdx(EDI, (di + d) & m);
    return;
  }
  let cnt = idx(ECX);
  if (cnt == 0) return;
  const n = batch(cnt);
  const wantZ: u32 = rep & PFX_REP ? 1 : 0;
  let i: u32 = 0;
  while (i < n) {
    const b = readSeg<T>(ES, di);
    if (aborted) break;
    alu<T>(7, acc, b);
    di = (di + d) & m;
    cnt--;
    i++;
    if (getZF() != wantZ) break;
  }
  setIdx(EDI, di);
  const stopped = i > 0 && !aborted && getZF() != wantZ;
  repEnd(i, cnt, stopped);
}

// INS/OUTS: one element per exit when the port exits; the replayed instruction completes it
export function ins<T>(): void {
  const port = reg16(EDX);
  if (!checkIoPermission(port, sizeof<T>())) return;
  const d = delta<T>();
  const m = amask();
  const rep = (pfx & (PFX_REP | PFX_REPNE)) != 0;
  let di = idx(EDI);
  let cnt = rep ? idx(ECX) : 1;
  if (cnt == 0) return;
  const n = rep ? batch(cnt) : 1;
  let i: u32 = 0;
  for (; i < n; i++) {
    setIoContext(0x10 | (rep ? 0x20 : 0), di);
    // probe the destination first so a fault does not lose the port's data
    writeSeg<T>(ES, di, readSeg<T>(ES, di));
    if (aborted) break;
    const v = ioIn(port, sizeof<T>());
    if (aborted) break;
    writeSeg<T>(ES, di, v);
    di = (di + d) & m;
    cnt--;
  }
  setIoContext(0, 0);
  setIdx(EDI, di);
  if (rep) repEnd(i, cnt);
}

export function outs<T>(): void {
  const port = reg16(EDX);
  if (!checkIoPermission(port, sizeof<T>())) return;
  const d = delta<T>();
  const m = amask();
  const src = dataSeg();
  const rep = (pfx & (PFX_REP | PFX_REPNE)) != 0;
  let si = idx(ESI);
  let cnt = rep ? idx(ECX) : 1;
  if (cnt == 0) return;
  const n = rep ? batch(cnt) : 1;
  let i: u32 = 0;
  for (; i < n; i++) {
    const v = readSeg<T>(src, si);
    if (aborted) break;
    setIoContext(0x10 | (rep ? 0x20 : 0), si);
    ioOut(port, sizeof<T>(), v);
    if (aborted) break;
    si = (si + d) & m;
    cnt--;
  }
  setIoContext(0, 0);
  setIdx(ESI, si);
  if (rep) repEnd(i, cnt);
}
