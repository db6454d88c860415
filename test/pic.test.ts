/**
 * The in-core 8259A pair (Intel 8259A datasheet): programmed by a real-mode guest the way a PC
 * BIOS does (master at vector 08h, slave at 70h, cascade on IR2), driven by the host's IRQ lines,
 * acknowledged by the CPU with no exit. Ports 20h/21h/A0h/A1h never exit.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { ExitReason } from '../src/exits/reasons.js';

const HLT = 0xf4;
// mov al,11h; out 20h,al; mov al,08h; out 21h,al; mov al,04h; out 21h,al; mov al,01h; out 21h,al
// mov al,11h; out A0h,al; mov al,70h; out A1h,al; mov al,02h; out A1h,al; mov al,01h; out A1h,al
// mov al,0; out 21h,al; out A1h,al
const INIT = [0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21,
  0xb0, 0x11, 0xe6, 0xa0, 0xb0, 0x70, 0xe6, 0xa1, 0xb0, 0x02, 0xe6, 0xa1, 0xb0, 0x01, 0xe6, 0xa1,
  0xb0, 0x00, 0xe6, 0x21, 0xe6, 0xa1];

async function pc(code: number[]): Promise<Machine> {
  const m = await Machine.create({ memory: 1 << 20 });
  const c = m.core;
  c.setSeg(1, 0x1000, 0x10000, 0xffff, 0x9b00);
  for (const s of [0, 2, 3, 4, 5]) c.setSeg(s, 0, 0, 0xffff, 0x9300);
  c.eip = 0;
  c.setReg32(4, 0x8000);
  m.writePhys(0x10000, Uint8Array.from(code));
  // every vector -> 2000:vector*8: "inc byte [vector]; <program>"; handlers written per test
  for (let v = 0; v < 256; v++) m.writePhys(v * 4, Uint8Array.of((v * 8) & 0xff, (v * 8) >> 8, 0x00, 0x20));
  c.exports.stateChanged();
  return m;
}

describe('8259A PICs in the core', () => {
  it('deliver IRQ 1 at vector 09h and IRQ 12 at 74h, in service until EOI, without exits', async () => {
    // after INIT: sti ; hlt ; hlt ; cli ; hlt
    const m = await pc([...INIT, 0xfb, HLT, HLT, 0xfa, HLT]);
    // handlers: record the vector in BL (mov bl, v), then iret (no EOI)
    for (const v of [0x09, 0x74]) m.writePhys(0x20000 + v * 8, Uint8Array.of(0xb3, v, 0xcf));
    expect(m.run(10_000n).why).toBe('idle'); // waiting at the first hlt with IF set
    const exitsBefore = m.core.exitCount(ExitReason.IO_INSTRUCTION);
    expect(exitsBefore).toBe(0n); // the 20 OUTs to the PICs did not exit
    m.setIrq(1, true);
    m.core.set32(L.ACTIVITY, 1);
    expect(m.run(10_000n).why).toBe('idle');
    expect(m.core.reg32(3) & 0xff).toBe(0x09);
    // ISR bit 1 of the master is set (no EOI yet): OCW3 read-ISR through the guest would show it;
    // here another IRQ 1 edge cannot interrupt: it is in service
    m.setIrq(1, false);
    m.setIrq(12, true);
    expect(m.run(10_000n).why).toBe('idle'); // IRQ 12 (priority 2 on the master) waits behind IRQ 1
    expect(m.core.reg32(3) & 0xff).toBe(0x09);
  });

  it('prioritises IRQ 0 over IRQ 1, and EOI lets the next one in', async () => {
    // handlers log their vector at DS:SI (0:600h onwards), send a non-specific EOI and return
    // after INIT: mov si,600h ; hlt (IF clear: the host raises the lines now) ; sti ; nop ; nop ; nop ; cli ; hlt
    const m = await pc([...INIT, 0xbe, 0x00, 0x06, HLT, 0xfb, 0x90, 0x90, 0x90, 0xfa, HLT]);
    m.writePhys(0x20000 + 0x40, Uint8Array.of(0xc6, 0x04, 0x08, 0x46, 0xeb, 0x10)); // v08: log, jmp +16
    m.writePhys(0x20000 + 0x48, Uint8Array.of(0xc6, 0x04, 0x09, 0x46, 0xeb, 0x08)); // v09: log, jmp +8
    m.writePhys(0x20000 + 0x56, Uint8Array.of(0xb0, 0x20, 0xe6, 0x20, 0xcf)); // EOI ; iret
    expect(m.run(10_000n).why).toBe('halted');
    m.setIrq(1, true);
    m.setIrq(0, true);
    m.core.set32(L.ACTIVITY, 0);
    expect(m.run(10_000n).why).toBe('halted');
    expect([...m.core.u8.subarray(L.RAM_BASE + 0x600, L.RAM_BASE + 0x602)]).toEqual([0x08, 0x09]);
  });

  it('masked IRQs wait; poll mode reads the request without an interrupt', async () => {
    // after INIT: mov al,0FEh ; out 21h,al (mask all but IRQ 0) ; hlt ; sti ; nop ; cli ;
    // mov al,0Ch ; out 20h,al (OCW3 poll) ; in al,20h ; hlt
    const m = await pc([...INIT, 0xb0, 0xfe, 0xe6, 0x21, HLT, 0xfb, 0x90, 0xfa, 0xb0, 0x0c, 0xe6, 0x20, 0xe4, 0x20, HLT]);
    expect(m.run(10_000n).why).toBe('halted');
    m.setIrq(3, true); // masked: no interrupt
    m.core.set32(L.ACTIVITY, 0);
    expect(m.run(10_000n).why).toBe('halted');
    expect(m.core.reg32(0) & 0xff).toBe(0x00); // poll sees nothing unmasked
    const m2 = await pc([...INIT, HLT, 0xb0, 0x0c, 0xe6, 0x20, 0xe4, 0x20, HLT]);
    expect(m2.run(10_000n).why).toBe('halted');
    m2.setIrq(5, true);
    m2.core.set32(L.ACTIVITY, 0);
    expect(m2.run(10_000n).why).toBe('halted');
    expect(m2.core.reg32(0) & 0xff).toBe(0x85); // bit 7: a request, level 5
  });
});
