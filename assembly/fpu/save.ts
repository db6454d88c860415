// FXSAVE and FXRSTOR (0F AE /0, /1): the 512-byte x87 and SSE state image, 16-byte aligned (SDM
// Vol. 2 FXSAVE, table 10-2). The tag is the abridged one. XMM0-7 are saved and restored whatever
// CR4.OSFXSR says (the SDM leaves that implementation-dependent; P6-family parts do).
import { FPU_TAG, FPU_FIP, FPU_FCS, FPU_FOP, FPU_FDP, FPU_FDS, MXCSR, FPU_CW, XMM } from '../gen/layout';
import { eaSeg, eaOff } from '../cpu/decode';
import { aborted, gp } from '../cpu/fault';
import { segBase } from '../cpu/state';
import { cw, sw, setSw, top, regSe, regSig, setReg, x87Absent } from './state';
import { canRead, canWrite, rd16, rd32, rd64, wr16, wr32, wr64 } from './mem';
import { recomputeES, REG_BUF } from './control';

import { MXCSR_MASK } from '../simd/state';

// #NM when CR0.EM or CR0.TS; #GP(0) for an address that is not 16-byte aligned
function fxCheck(): bool {
  if (x87Absent()) return false;
  if ((segBase(eaSeg) + eaOff) & 15) { gp(0); return false; }
  return true;
}

export function fxsave(): void {
  if (!fxCheck()) return;
  if (!canWrite(512)) return;
  wr16(0, cw());
  wr16(2, sw());
  wr16(4, load<u32>(FPU_TAG) & 0xff);
  wr16(6, load<u32>(FPU_FOP) & 0x7ff);
  wr32(8, load<u32>(FPU_FIP));
  wr32(12, load<u32>(FPU_FCS) & 0xffff);
  wr32(16, load<u32>(FPU_FDP));
  wr32(20, load<u32>(FPU_FDS) & 0xffff);
  wr32(24, load<u32>(MXCSR));
  wr32(28, MXCSR_MASK);
  for (let i: u32 = 0; i < 8; i++) {
    const p = (top() + i) & 7;
    wr64(32 + (i << 4), regSig(p));
    wr16(40 + (i << 4), regSe(p));
    wr16(42 + (i << 4), 0);
    wr32(44 + (i << 4), 0);
    if (aborted) return;
  }
  for (let i: u32 = 0; i < 16; i++) {
    wr64(160 + (i << 3), load<u64>(XMM + (i << 3)));
    if (aborted) return;
  }
}

export function fxrstor(): void {
  if (!fxCheck()) return;
  if (!canRead(512)) return;
  const mx = rd32(24);
  if (aborted) return;
  if (mx & ~MXCSR_MASK) { gp(0); return; }
  for (let i: u32 = 0; i < 8; i++) {
    store<u64>(REG_BUF + (i << 4), rd64(32 + (i << 4)));
    store<u64>(REG_BUF + (i << 4) + 8, rd16(40 + (i << 4)));
  }
  for (let i: u32 = 0; i < 16; i++) store<u64>(REG_BUF + 128 + (i << 3), rd64(160 + (i << 3)));
  const c = rd16(0), s = rd16(2), t = rd16(4) & 0xff, op = rd16(6) & 0x7ff;
  const ip = rd32(8), cs = rd16(12), dp = rd32(16), ds = rd16(20);
  if (aborted) return;
  store<u32>(FPU_CW, (c & 0x1f7f) | 0x40);
  setSw(s);
  store<u32>(FPU_TAG, t);
  store<u32>(FPU_FOP, op);
  store<u32>(FPU_FIP, ip);
  store<u32>(FPU_FCS, cs);
  store<u32>(FPU_FDP, dp);
  store<u32>(FPU_FDS, ds);
  store<u32>(MXCSR, mx);
  for (let i: u32 = 0; i < 8; i++) setReg((top() + i) & 7, <u32>load<u64>(REG_BUF + (i << 4) + 8), load<u64>(REG_BUF + (i << 4)));
  memory.copy(XMM, REG_BUF + 128, 128);
  recomputeES();
}
