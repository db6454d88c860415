/**
 * The in-core 8254 PIT (Intel 8254 datasheet) with a virtual clock: in deterministic mode guest
 * time is 1 ns per instruction plus the time spent halted, so timer interrupts land at exact,
 * repeatable instructions and a halted guest jumps to the next one without an exit.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../src/gen/layout.js';
import { Machine } from '../src/machine.js';
import { ExitReason } from '../src/exits/reasons.js';

const HLT = 0xf4;
// PIC: master at 08h, slave at 70h, all unmasked
const PIC_INIT = [0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21,
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
  c.exports.stateChanged();
  return m;
}

describe('8254 PIT in the core', () => {
  it('mode 2 on channel 0 interrupts every period; HLT skips to the next tick; deterministic', async () => {
    // IRQ 0 handler at 2000:0000: inc cx ; mov al,20h ; out 20h,al ; iret
    // main (a BIOS's order: the timer, then the PICs, whose ICW1 forgets the edge OUT 0 made when
    // it went high): mov al,34h ; out 43h,al ; count 11932 (10 ms): out 40h lo, hi ; PIC init ;
    //   xor cx,cx ; sti ; l: hlt ; cmp cx,100 ; jb l ; cli ; hlt
    const count = 11932;
    const code = [0xb0, 0x34, 0xe6, 0x43, 0xb0, count & 255, 0xe6, 0x40, 0xb0, count >> 8, 0xe6, 0x40, ...PIC_INIT,
      0x31, 0xc9, 0xfb, HLT, 0x83, 0xf9, 0x64, 0x72, 0xfa, 0xfa, HLT];
    const runOnce = async () => {
      const m = await pc(code);
      m.writePhys(8 * 4, Uint8Array.of(0, 0, 0, 0x20));
      m.writePhys(0x20000, Uint8Array.of(0x41, 0xb0, 0x20, 0xe6, 0x20, 0xcf));
      const stop = m.run(10_000_000n);
      const ns = m.core.get64(L.ICOUNT) + m.core.get64(L.IDLE_NS);
      return { stop, ns, cx: m.core.reg32(1) & 0xffff, io: m.core.exitCount(ExitReason.IO_INSTRUCTION) };
    };
    const a = await runOnce();
    expect(a.stop.why).toBe('halted');
    expect(a.cx).toBe(100);
    expect(a.io).toBe(0n); // PIC and PIT accesses never left the core
    // 100 periods of 11932 ticks at 1.193182 MHz: 1.0000 s of guest time, to a tick
    const expected = (100 * count * 1e9) / 1193182;
    expect(Math.abs(Number(a.ns) - expected)).toBeLessThan(2 * 1e9 / 1193182 + 1000);
    const b = await runOnce();
    expect(b.ns).toBe(a.ns);
    expect(b.stop.instructions).toBe(a.stop.instructions);
  });

  it('channel 2 through port 61h: gate, OUT in bit 5, counter latch and read-back', async () => {
    // mov al,1 ; out 61h,al (gate 2 on) ; mov al,0B0h ; out 43h,al (ch 2, lo/hi, mode 0) ;
    // mov al,64h ; out 42h,al ; mov al,00h ; out 42h,al (100 ticks) ;
    // w: in al,61h ; test al,20h ; jz w (wait for OUT 2) ; mov bx, cx? -> count the loops in cx
    // then read-back status of ch 2: mov al,0E8h ; out 43h,al ; in al,42h -> status in AL ; hlt
    const code = [0xb0, 0x01, 0xe6, 0x61, 0xb0, 0xb0, 0xe6, 0x43, 0xb0, 0x64, 0xe6, 0x42, 0xb0, 0x00, 0xe6, 0x42,
      0x31, 0xc9, 0x41, 0xe4, 0x61, 0xa8, 0x20, 0x74, 0xf9, 0xb0, 0xe8, 0xe6, 0x43, 0xe4, 0x42, HLT];
    const m = await pc(code);
    expect(m.run(10_000_000n).why).toBe('halted');
    // OUT 2 went high after 100 ticks = 83.8 us of guest time: the poll loop (4 instructions) ran
    // about 83,800 / 4 times
    const loops = m.core.reg32(1) & 0xffff;
    const expectLoops = (101 * 1e9) / 1193182 / 4;
    expect(Math.abs(loops - expectLoops)).toBeLessThan(10);
    // read-back status: OUT high (bit 7), lo/hi access (bits 5-4 = 11), mode 0, binary
    expect(m.core.reg32(0) & 0xff).toBe(0xb0);
  });
});
