/**
 * CPUID policy: what the guest is told about its processor. By default a GenuineIntel family 6
 * part that advertises exactly the features the core implements, no more (SDM Vol. 2 CPUID,
 * tables 3-8 to 3-20). Each feature bit is added here when its implementation lands.
 */
export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

// CPUID.1:EDX feature bits
export const FEAT = {
  FPU: 1 << 0,
  VME: 1 << 1,
  DE: 1 << 2,
  PSE: 1 << 3,
  TSC: 1 << 4,
  MSR: 1 << 5,
  PAE: 1 << 6,
  CX8: 1 << 8,
  SEP: 1 << 11,
  MTRR: 1 << 12,
  PGE: 1 << 13,
  CMOV: 1 << 15,
  PAT: 1 << 16,
  CLFSH: 1 << 19,
  MMX: 1 << 23,
  FXSR: 1 << 24,
  SSE: 1 << 25,
  SSE2: 1 << 26,
} as const;

// CPUID.80000001h:EDX
export const EXT_NX = 1 << 20;

const str4 = (s: string) => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);

export class CpuidPolicy {
  /** Family 6, model 3, stepping 3 (the value RESET leaves in EDX). */
  signature = 0x0633;
  vendor = 'GenuineIntel';
  features = FEAT.FPU | FEAT.PSE | FEAT.TSC | FEAT.MSR | FEAT.PAE | FEAT.CX8 | FEAT.SEP | FEAT.MTRR | FEAT.PGE | FEAT.CMOV |
    FEAT.PAT | FEAT.CLFSH | FEAT.MMX | FEAT.FXSR | FEAT.SSE | FEAT.SSE2;
  /** CLFLUSH line size in 8-byte units (CPUID.1:EBX[15:8]): 64 bytes */
  clflushLine = 8;
  extFeatures = EXT_NX;
  brand = 'wasmvisor virtual CPU';

  leaf(eax: number, ecx: number): CpuidResult {
    const maxBasic = 2;
    const maxExt = 0x80000004;
    let leaf = eax >>> 0;
    // out-of-range leaves return the highest basic leaf (Intel behaviour)
    if ((leaf < 0x80000000 && leaf > maxBasic) || leaf > maxExt) leaf = maxBasic;
    switch (leaf) {
      case 0: {
        const v = this.vendor;
        return { eax: maxBasic, ebx: str4(v.slice(0, 4)), edx: str4(v.slice(4, 8)), ecx: str4(v.slice(8, 12)) };
      }
      case 1:
        return { eax: this.signature, ebx: (this.clflushLine & 0xff) << 8, ecx: 0, edx: this.features >>> 0 };
      case 2:
        // cache and TLB descriptors: one iteration, no descriptors (null descriptors)
        return { eax: 0x00000001, ebx: 0, ecx: 0, edx: 0 };
      case 0x80000000:
        return { eax: maxExt, ebx: 0, ecx: 0, edx: 0 };
      case 0x80000001:
        return { eax: 0, ebx: 0, ecx: 0, edx: this.extFeatures >>> 0 };
      default: {
        // 0x80000002-4: the brand string, 16 bytes per leaf, NUL-padded
        const s = this.brand.padEnd(48, '\0');
        const o = (leaf - 0x80000002) * 16;
        const w = (i: number) => str4(s.slice(o + 4 * i, o + 4 * i + 4));
        void ecx;
        return { eax: w(0), ebx: w(1), ecx: w(2), edx: w(3) };
      }
    }
  }
}
