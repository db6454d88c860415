/**
 * The VM-exit protocol (SDM Vol. 3C appendix C reasons, table 28-5 I/O qualification):
 * run(budget) returns a reason, the record sits at fixed offsets, the host completes the
 * instruction and the guest cannot tell.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { ExitReason, PENDING_REPLAY, PENDING_SKIP } from '../src/exits/reasons.js';
import { realModeVm, setVector, CODE_SEG } from './helpers/vm.js';

const HLT = 0xf4;

describe('exit protocol', () => {
  it('IN imm8 exits with the SDM qualification and completes with the host data', async () => {
    // in al, 0x71 ; hlt
    const m = await realModeVm([0xe4, 0x71, HLT]);
    const c = m.core;
    m.core.set32(L.CTL_HLT_EXIT, 0);
    expect(c.exports.run(100)).toBe(ExitReason.IO_INSTRUCTION);
    const q = c.get32(L.EXIT_QUAL);
    expect(q & 7).toBe(0); // size 1
    expect(q & 8).toBe(8); // IN
    expect(q & 0x10).toBe(0); // not string
    expect(q & 0x40).toBe(0x40); // immediate operand
    expect(q >>> 16).toBe(0x71);
    expect(c.get32(L.EXIT_INSN_LEN)).toBe(2);
    expect(c.eip).toBe(0); // not retired yet
    expect(c.icount).toBe(0n);
    c.set32(L.EXIT_DATA, 0x5a);
    c.set32(L.EXIT_PENDING, PENDING_REPLAY);
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    expect(c.reg32(0) & 0xff).toBe(0x5a);
    expect(c.eip).toBe(3);
    expect(c.icount).toBe(2n);
  });

  it('OUT DX, AX reports port, size and data', async () => {
    // mov dx, 0x3f8 ; mov ax, 0x1234 ; out dx, ax ; hlt
    const m = await realModeVm([0xba, 0xf8, 0x03, 0xb8, 0x34, 0x12, 0xef, HLT]);
    const c = m.core;
    expect(c.exports.run(100)).toBe(ExitReason.IO_INSTRUCTION);
    const q = c.get32(L.EXIT_QUAL);
    expect(q & 7).toBe(1);
    expect(q & 8).toBe(0);
    expect(q & 0x40).toBe(0);
    expect(q >>> 16).toBe(0x3f8);
    expect(c.get32(L.EXIT_DATA)).toBe(0x1234);
    c.set32(L.EXIT_PENDING, PENDING_REPLAY);
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    expect(c.icount).toBe(4n);
  });

  it('REP INSB exits once per element with string and REP bits, and fills memory', async () => {
    // mov cx, 3 ; mov di, 0x200 ; mov dx, 0x60 ; rep insb ; hlt
    const m = await realModeVm([0xb9, 3, 0, 0xbf, 0, 2, 0xba, 0x60, 0, 0xf3, 0x6c, HLT]);
    const c = m.core;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(c.exports.run(1000)).toBe(ExitReason.IO_INSTRUCTION);
      const q = c.get32(L.EXIT_QUAL);
      expect(q & 0x30).toBe(0x30);
      expect(q >>> 16).toBe(0x60);
      seen.push(c.get32(L.EXIT_GUEST_LINEAR));
      c.set32(L.EXIT_DATA, 0xa0 + i);
      c.set32(L.EXIT_PENDING, PENDING_REPLAY);
    }
    expect(c.exports.run(1000)).toBe(ExitReason.HLT);
    expect(seen).toEqual([0x200, 0x201, 0x202]);
    expect([...c.u8.subarray(L.RAM_BASE + 0x200, L.RAM_BASE + 0x203)]).toEqual([0xa0, 0xa1, 0xa2]);
    expect(c.reg32(1) & 0xffff).toBe(0);
    expect(c.reg32(7) & 0xffff).toBe(0x203);
  });

  it('the I/O bitmap decides which ports exit', async () => {
    // in al, 0x80 ; hlt
    const m = await realModeVm([0xe4, 0x80, HLT]);
    const c = m.core;
    c.u8[L.IO_BITMAP_BASE + (0x80 >> 3)] = c.u8[L.IO_BITMAP_BASE + (0x80 >> 3)]! & ~(1 << (0x80 & 7));
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    expect(c.reg32(0) & 0xff).toBe(0xff); // no device in the core owns it: floats high
  });

  it('CPUID exits; the host answers and the core retires it', async () => {
    // xor eax, eax ; cpuid ; hlt
    const m = await realModeVm([0x66, 0x31, 0xc0, 0x0f, 0xa2, HLT]);
    const c = m.core;
    expect(c.exports.run(100)).toBe(ExitReason.CPUID);
    expect(c.get32(L.EXIT_INSN_LEN)).toBe(2);
    c.setReg32(3, 0x756e6547);
    c.set32(L.EXIT_PENDING, PENDING_SKIP);
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    expect(c.reg32(3)).toBe(0x756e6547);
    expect(c.eip).toBe(6);
  });

  it('the machine answers CPUID from its policy: GenuineIntel', async () => {
    const m = await realModeVm([0x66, 0x31, 0xc0, 0x0f, 0xa2, HLT]);
    expect(m.run().why).toBe('halted');
    const s = [3, 2, 1].map((r) => m.core.reg32(r)).map((v) => String.fromCharCode(v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24)).join('');
    expect(s).toBe('GenuineIntel');
  });

  it('the budget returns control with reason 52 and counts exactly', async () => {
    // jmp $
    const m = await realModeVm([0xeb, 0xfe]);
    expect(m.core.exports.run(1000)).toBe(ExitReason.PREEMPTION_TIMER);
    expect(m.core.icount).toBe(1000n);
  });

  it('an intercepted exception exits with its vector; re-injection delivers it', async () => {
    // ud2 at 1000:0000; #UD handler at 2000:0000 is hlt
    const m = await realModeVm([0x0f, 0x0b]);
    const c = m.core;
    setVector(m, 6, 0x2000, 0);
    m.writePhys(0x20000, Uint8Array.of(HLT));
    c.set32(L.CTL_EXC_BITMAP, 1 << 6);
    expect(c.exports.run(100)).toBe(ExitReason.EXCEPTION_OR_NMI);
    const info = c.get32(L.EXIT_INTR_INFO);
    expect(info & 0xff).toBe(6);
    expect((info >>> 8) & 7).toBe(3); // hardware exception
    expect(info >>> 31).toBe(1);
    expect(c.eip).toBe(0);
    m.inject({ vector: 6, type: 3 });
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    expect(c.segSel(1)).toBe(0x2000);
    // the frame holds the faulting IP (a fault)
    const sp = c.reg32(4) & 0xffff;
    expect(c.u8[L.RAM_BASE + sp]! | (c.u8[L.RAM_BASE + sp + 1]! << 8)).toBe(0);
    expect(c.u8[L.RAM_BASE + sp + 2]! | (c.u8[L.RAM_BASE + sp + 3]! << 8)).toBe(CODE_SEG);
  });

  it('INTR is taken only when IF allows, after the STI shadow, and the window exit fires', async () => {
    // sti ; nop ; nop ; hlt     handler (vector 0x20) at 2000:0000: hlt
    const m = await realModeVm([0xfb, 0x90, 0x90, HLT]);
    const c = m.core;
    setVector(m, 0x20, 0x2000, 0);
    m.writePhys(0x20000, Uint8Array.of(HLT));
    c.set32(L.INTR_LINE, 1);
    c.set32(L.INTR_VECTOR, 0x20);
    expect(c.exports.run(100)).toBe(ExitReason.HLT);
    // STI retired, then one more instruction in the shadow, then the interrupt
    const sp = c.reg32(4) & 0xffff;
    const retIp = c.u8[L.RAM_BASE + sp]! | (c.u8[L.RAM_BASE + sp + 1]! << 8);
    expect(retIp).toBe(2);
    expect(c.segSel(1)).toBe(0x2000);

    // interrupt-window exiting: exit as soon as IF=1 and no shadow
    const m2 = await realModeVm([0xfb, 0x90, 0x90, HLT]);
    m2.core.set32(L.CTL_INTWIN_EXIT, 1);
    expect(m2.core.exports.run(100)).toBe(ExitReason.INTERRUPT_WINDOW);
    expect(m2.core.eip).toBe(2);
  });

  it('a triple fault exits with reason 2', async () => {
    // IDTR limit 0 makes every delivery fault: lidt [cs:desc] ; int3
    // 2e 0f 01 1e 08 00 = lidt cs:[0008]; cc = int3; desc at 8: limit 0, base 0
    const m = await realModeVm([0x2e, 0x0f, 0x01, 0x1e, 0x08, 0x00, 0xcc, 0x90, 0, 0, 0, 0, 0, 0]);
    expect(m.core.exports.run(100)).toBe(ExitReason.TRIPLE_FAULT);
    expect(m.run().why).toBe('triple-fault');
  });

  it('VMCALL exits with reason 18 and returns through EAX', async () => {
    // mov eax, 7 ; vmcall ; hlt
    const m = await realModeVm([0x66, 0xb8, 7, 0, 0, 0, 0x0f, 0x01, 0xc1, HLT]);
    m.hypercalls.set(7, () => 42);
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(0)).toBe(42);
    expect(m.stats.count[ExitReason.VMCALL]).toBe(1);
  });

  it('RDTSC is deterministic (the instruction counter) unless RDTSC exiting is on', async () => {
    // nop ; nop ; rdtsc ; hlt
    const m = await realModeVm([0x90, 0x90, 0x0f, 0x31, HLT]);
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(0)).toBe(2);
    const m2 = await realModeVm([0x90, 0x90, 0x0f, 0x31, HLT]);
    m2.core.set32(L.CTL_RDTSC_EXIT, 1);
    expect(m2.core.exports.run(100)).toBe(ExitReason.RDTSC);
  });
});

describe('platform pins', () => {
  it('A20: with the gate closed FFFF:0010 aliases 0000:0000', async () => {
    // mov ax, 0xffff ; mov es, ax ; mov al, [es:0x10] ; hlt
    const code = [0xb8, 0xff, 0xff, 0x8e, 0xc0, 0x26, 0xa0, 0x10, 0x00, HLT];
    const m = await realModeVm(code, 2 << 20);
    m.writePhys(0, Uint8Array.of(0x11));
    m.writePhys(0x100000, Uint8Array.of(0x22));
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(0) & 0xff).toBe(0x22);
    const m2 = await realModeVm(code, 2 << 20);
    m2.writePhys(0, Uint8Array.of(0x11));
    m2.writePhys(0x100000, Uint8Array.of(0x22));
    m2.setA20(false);
    expect(m2.run().why).toBe('halted');
    expect(m2.core.reg32(0) & 0xff).toBe(0x11);
  });

  it('NMI is taken even with IF clear, and blocks further NMIs until IRET', async () => {
    // cli ; nop ; nop ; hlt      NMI handler at 2000:0000: inc bx ; iret
    const m = await realModeVm([0xfa, 0x90, 0x90, HLT]);
    setVector(m, 2, 0x2000, 0);
    m.writePhys(0x20000, Uint8Array.of(0x43, 0xcf));
    m.nmi();
    expect(m.run().why).toBe('halted');
    expect(m.core.reg32(3) & 0xffff).toBe(1);
    expect(m.core.get32(L.NMI_BLOCKED)).toBe(0);
  });

  it('raiseIntr delivers through the IVT with the supplied vector', async () => {
    // sti ; jmp $      handler for 0x30 at 2000:0000: mov cx, 0x77 ; cli ; hlt
    const m = await realModeVm([0xfb, 0xeb, 0xfe]);
    setVector(m, 0x30, 0x2000, 0);
    m.writePhys(0x20000, Uint8Array.of(0xb9, 0x77, 0x00, 0xfa, HLT));
    m.raiseIntr(0x30);
    expect(m.run(1000n).why).toBe('halted');
    expect(m.core.reg32(1) & 0xffff).toBe(0x77);
  });
});

describe('MSRs', () => {
  it('the core owns the architectural MSRs; unknown ones raise #GP; the host can claim one', async () => {
    // mov ecx, 0x174 ; mov eax, 0x1234 ; xor edx, edx ; wrmsr ; xor eax, eax ; rdmsr ; mov ebx, eax ;
    // mov ecx, MSR ; rdmsr ; hlt
    const code = (msr: number) => [0x66, 0xb9, 0x74, 0x01, 0, 0, 0x66, 0xb8, 0x34, 0x12, 0, 0, 0x66, 0x31, 0xd2, 0x0f, 0x30,
      0x66, 0x31, 0xc0, 0x0f, 0x32, 0x66, 0x89, 0xc3, 0x66, 0xb9, msr & 255, (msr >> 8) & 255, (msr >> 16) & 255, msr >>> 24, 0x0f, 0x32, HLT];
    const m = await realModeVm(code(0x1234)); // not an MSR of this CPU
    const c = m.core;
    c.set32(L.CTL_EXC_BITMAP, 1 << 13);
    let gp = -1;
    m.onException = (ex) => { gp = ex.vector; return 'stop'; };
    expect(m.run().why).toBe('exception');
    expect(gp).toBe(13);
    expect(c.reg32(3)).toBe(0x1234);
    const m2 = await realModeVm(code(0x4b564d00)); // KVM's wall-clock MSR, outside the bitmap
    m2.claimMsr(0x4b564d00, { read: () => 0x1122334455667788n });
    expect(m2.run().why).toBe('halted');
    expect(m2.core.reg32(0)).toBe(0x55667788);
    expect(m2.core.reg32(2)).toBe(0x11223344);
    expect(m2.stats.count[ExitReason.RDMSR]).toBe(1);
  });
});

describe('CR access', () => {
  it('a write to a host-owned CR0 bit exits (28) with the SDM qualification; reads see the shadow', async () => {
    // mov eax, cr0 ; or eax, 4 (EM) ; mov cr0, eax ; mov ebx, cr0 ; hlt
    const code = [0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x04, 0x0f, 0x22, 0xc0, 0x0f, 0x20, 0xc3, HLT];
    const m = await realModeVm(code);
    const c = m.core;
    c.set32(L.CTL_CR0_MASK, 4);
    c.set32(L.CTL_CR0_SHADOW, 0);
    expect(c.exports.run(100)).toBe(ExitReason.CR_ACCESS);
    expect(c.get32(L.EXIT_QUAL) & 0xfff).toBe(0x000); // CR0, MOV to CR, from EAX
    expect(c.eip).toBe(7);
    const writes: number[] = [];
    m.onCrWrite = (n, v) => writes.push(n, v);
    expect(m.handleExit(ExitReason.CR_ACCESS).stop).toBe(false);
    expect(m.run().why).toBe('halted');
    expect(writes).toEqual([0, 0x60000014]);
    expect(c.get32(L.CR) & 4).toBe(4); // the write happened
    expect(c.reg32(3) & 4).toBe(4); // and the shadow now says so too
  });
});
