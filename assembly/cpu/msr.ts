// Model-specific registers (SDM Vol. 4) owned by the core, and the MSR bitmap that gives others to
// the host. The bitmap has the VMX layout (SDM Vol. 3C 25.6.9): 1 KiB each of read-low
// (MSRs 0-1FFFh), read-high (C0000000h-C0001FFFh), write-low and write-high bits; a set bit makes
// RDMSR (31) or WRMSR (32) exit, and so does every MSR outside the two ranges. An MSR that
// neither the core nor the host implements raises #GP(0).
import { MSR_BITMAP_BASE, MSRS, EFER, TSC_OFFSET, HOST_TSC, CTL_DETERMINISTIC } from '../gen/layout';
import { guestNs } from './exec';
import { flushTlb } from './memory';

export const IA32_TSC: u32 = 0x10;
export const IA32_APIC_BASE: u32 = 0x1b;
export const IA32_MTRRCAP: u32 = 0xfe;
export const IA32_SYSENTER_CS: u32 = 0x174;
export const IA32_SYSENTER_ESP: u32 = 0x175;
export const IA32_SYSENTER_EIP: u32 = 0x176;
export const IA32_MISC_ENABLE: u32 = 0x1a0;
export const IA32_PAT: u32 = 0x277;
export const IA32_MTRR_DEF_TYPE: u32 = 0x2ff;
export const IA32_EFER: u32 = 0xc0000080;

// storage slot of a storage-only MSR, or -1
function slot(msr: u32): i32 {
  if (msr >= 0x200 && msr <= 0x20f) return <i32>(msr - 0x200); // variable-range MTRRs: 0-15
  switch (msr) {
    case 0x250: return 16;
    case 0x258: return 17;
    case 0x259: return 18;
    case IA32_MTRR_DEF_TYPE: return 27;
    case IA32_PAT: return 28;
    case IA32_APIC_BASE: return 29;
    case IA32_MISC_ENABLE: return 30;
    case IA32_SYSENTER_CS: return 31;
    case IA32_SYSENTER_ESP: return 32;
    case IA32_SYSENTER_EIP: return 33;
  }
  if (msr >= 0x268 && msr <= 0x26f) return <i32>(19 + msr - 0x268); // fixed-range MTRRs 4K: 19-26
  return -1;
}

@inline export function msrStore(msr: u32): u64 { return load<u64>(MSRS + (<u32>slot(msr) << 3)); }

// the values after RESET (SDM Vol. 3A table 9-1 and the MSR pages)
export function resetMsrs(): void {
  memory.fill(MSRS, 0, 48 * 8);
  store<u64>(MSRS + (29 << 3), 0xfee00900); // APIC base, BSP, enabled
  store<u64>(MSRS + (30 << 3), 1); // fast strings
  store<u64>(MSRS + (28 << 3), 0x0007040600070406); // PAT power-up value
  store<u32>(EFER, 0);
}

// the host claims this MSR for reads (write = false) or writes; MSRs outside the bitmap's two
// ranges always exit, as under VMX
export function msrExits(msr: u32, write: bool): bool {
  let bit: u32;
  if (msr <= 0x1fff) bit = msr;
  else if (msr >= 0xc0000000 && msr <= 0xc0001fff) bit = 0x2000 + (msr - 0xc0000000);
  else return true;
  if (write) bit += 0x4000;
  return ((load<u8>(MSR_BITMAP_BASE + (bit >> 3)) >> (bit & 7)) & 1) != 0;
}

export let msrOk: bool = true; // false after readMsr/writeMsr met an MSR nobody implements

// IA32_BIOS_SIGN_ID (SDM Vol. 4 table 2-2, P6 family and later): the microcode update signature;
// Linux writes and reads it on every family-6 boot (found by the QEMU lockstep, test/diff-linux)
const IA32_BIOS_SIGN_ID: u32 = 0x8b;

function tscBase(): u64 { return guestNs(); }

export function readMsr(msr: u32): u64 {
  msrOk = true;
  switch (msr) {
    case IA32_TSC: return tscBase() + load<u64>(TSC_OFFSET);
    case IA32_MTRRCAP: return 0x508; // 8 variable ranges, fixed ranges, write-combining
    case IA32_EFER: return load<u32>(EFER);
    case IA32_BIOS_SIGN_ID: return 0; // microcode revision 0 (no update loaded)
  }
  const s = slot(msr);
  if (s >= 0) return load<u64>(MSRS + (<u32>s << 3));
  msrOk = false;
  return 0;
}

export function writeMsr(msr: u32, v: u64): void {
  msrOk = true;
  switch (msr) {
    case IA32_TSC: store<u64>(TSC_OFFSET, v - tscBase()); return;
    case IA32_MTRRCAP: msrOk = false; return; // read-only
    case IA32_BIOS_SIGN_ID: return; // software writes 0 before CPUID to read the revision
    case IA32_EFER: {
      if (v & ~(<u64>0x800)) { msrOk = false; return; } // only NXE exists without long mode
      const old = load<u32>(EFER);
      store<u32>(EFER, <u32>v);
      if ((old ^ <u32>v) & 0x800) flushTlb();
      return;
    }
    case IA32_APIC_BASE: {
      if (v & 0xffffffff000002ff) { msrOk = false; return; } // reserved bits (32-bit physical space)
      break;
    }
  }
  const s = slot(msr);
  if (s < 0) { msrOk = false; return; }
  store<u64>(MSRS + (<u32>s << 3), v);
}
