/**
 * The MC146818A RTC and CMOS (src/devices/rtc.ts) through the I/O bus: time from the epoch
 * option and the virtual clock in BCD/binary and 12/24-hour formats, the periodic, update and
 * alarm interrupts counted over virtual time, UIP, SET and divider reset, the CMOS memory map.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../src/devices/device.js';
import { Rtc, civilFromDays, daysFromCivil } from '../src/devices/rtc.js';
import { FakeIrq, VirtualClock, runUntil } from './helpers/device-fakes.js';

const S = 1e9;

function setup(epoch = Date.UTC(2024, 1, 29, 23, 59, 58) / 1000, memory = 128 << 20, fpu = false) {
  const clock = new VirtualClock();
  const irq = new FakeIrq();
  const logs: string[] = [];
  const rtc = new Rtc(irq, clock, { memory, epoch, fpu, log: (m) => logs.push(m) });
  const bus = new IoBus();
  bus.attach(rtc);
  const rd = (i: number) => {
    bus.write(0x70, 1, i);
    return bus.read(0x71, 1);
  };
  const wr = (i: number, v: number) => {
    bus.write(0x70, 1, i);
    bus.write(0x71, 1, v);
  };
  const time = () => [0x32, 9, 8, 7, 4, 2, 0].map(rd);
  return { clock, irq, rtc, bus, rd, wr, time, logs };
}

describe('MC146818A RTC', () => {
  it('starts at the epoch option in BCD 24-hour and counts guest seconds across a leap day', () => {
    const { clock, rd, time } = setup();
    // century, year, month, day, hour, minute, second
    expect(time()).toEqual([0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x58]);
    expect(rd(6)).toBe(5); // Thursday
    clock.t = 2 * S - 1;
    expect(rd(0)).toBe(0x59);
    clock.t = 2 * S;
    expect(time()).toEqual([0x20, 0x24, 0x03, 0x01, 0x00, 0x00, 0x00]);
    expect(rd(6)).toBe(6); // Friday
    expect(rd(0x0d)).toBe(0x80); // VRT
  });

  it('reads binary and 12-hour formats per register B', () => {
    const { rd, wr } = setup(Date.UTC(2023, 11, 31, 23, 5, 9) / 1000);
    wr(0x0b, 0x06); // binary, 24h
    expect([rd(9), rd(8), rd(7), rd(4), rd(2), rd(0), rd(0x32)]).toEqual([23, 12, 31, 23, 5, 9, 20]);
    wr(0x0b, 0x04); // binary, 12h: 11 PM
    expect(rd(4)).toBe(0x80 | 11);
    wr(0x0b, 0x00); // BCD, 12h
    expect(rd(4)).toBe(0x91);
  });

  it('keeps sub-second phase of a fractional epoch', () => {
    const { clock, rd } = setup(1000.25);
    expect(rd(0)).toBe(0x40); // 1970-01-01 00:16:40
    clock.t = 0.75 * S - 1;
    expect(rd(0)).toBe(0x40);
    clock.t = 0.75 * S;
    expect(rd(0)).toBe(0x41);
  });

  it('gives 1024 periodic interrupts in a virtual second at rate 6, 2 at rate 15, 8192 at rate 3', () => {
    for (const [rate, n] of [[6, 1024], [15, 2], [3, 8192], [1, 256], [2, 128]] as const) {
      const { clock, irq, rtc, rd, wr } = setup();
      wr(0x0a, 0x20 | rate);
      wr(0x0b, 0x02 | 0x40); // PIE
      let handled = 0;
      const edges = runUntil(clock, rtc, irq, S, () => {
        const c = rd(0x0c);
        expect(c & 0xc0).toBe(0xc0); // IRQF, PF
        handled++;
      });
      expect(edges).toBe(n);
      expect(handled).toBe(n);
    }
  });

  it('sets PF without PIE but raises no IRQ; enabling PIE then raises it', () => {
    const { clock, irq, rtc, rd, wr } = setup();
    clock.t = 2_000_000; // past two 1024 Hz periods
    expect(rtc.tick(clock.t)).toBeUndefined();
    expect(irq.level).toBe(false);
    wr(0x0b, 0x42);
    expect(irq.level).toBe(true);
    expect(rd(0x0c)).toBe(0xc0);
    expect(irq.level).toBe(false);
    expect(rd(0x0c)).toBe(0x00);
  });

  it('gives one update-ended interrupt per virtual second', () => {
    const { clock, irq, rtc, rd, wr } = setup();
    wr(0x0b, 0x12); // UIE
    const at: number[] = [];
    const edges = runUntil(clock, rtc, irq, 3.5 * S, () => {
      at.push(clock.t);
      expect(rd(0x0c) & 0x90).toBe(0x90); // IRQF, UF (PF runs too, and AF at 00:00:00 with the alarm at 0)
    });
    expect(edges).toBe(3);
    expect(at).toEqual([S, 2 * S, 3 * S]);
  });

  it('sets UIP during the 244 us before an update', () => {
    const { clock, rd, wr } = setup();
    clock.t = S - 300_000;
    expect(rd(0x0a)).toBe(0x26);
    clock.t = S - 200_000;
    expect(rd(0x0a)).toBe(0xa6);
    clock.t = S;
    expect(rd(0x0a)).toBe(0x26);
    wr(0x0b, 0x82); // SET: no updates, no UIP
    clock.t = 2 * S - 100_000;
    expect(rd(0x0a)).toBe(0x26);
  });

  it('raises the alarm interrupt when the time matches, with 0xC0-0xFF as "don\'t care"', () => {
    const { clock, irq, rtc, rd, wr } = setup(Date.UTC(2024, 0, 1, 12, 0, 0) / 1000);
    wr(1, 0x05);
    wr(3, 0x00);
    wr(5, 0x12);
    wr(0x0b, 0x22); // AIE
    const at: number[] = [];
    runUntil(clock, rtc, irq, 10 * S, () => {
      at.push(clock.t);
      expect(rd(0x0c) & 0xa0).toBe(0xa0);
    });
    expect(at).toEqual([5 * S]);
    // every minute at :30
    wr(1, 0x30);
    wr(3, 0xc0);
    wr(5, 0xff);
    const at2: number[] = [];
    runUntil(clock, rtc, irq, 200 * S, () => {
      at2.push(clock.t / S);
      rd(0x0c);
    });
    expect(at2).toEqual([30, 90, 150]);
  });

  it('finds an alarm that passed while nobody ticked (lazy, polled)', () => {
    const { clock, rd, wr } = setup(Date.UTC(2024, 0, 1, 12, 0, 0) / 1000);
    wr(1, 0x07);
    wr(3, 0xc0);
    wr(5, 0xc0);
    clock.t = 20 * S;
    expect(rd(0x0c) & 0x30).toBe(0x30); // AF and UF, no IRQF (AIE, UIE off)
    clock.t = 25 * S;
    expect(rd(0x0c) & 0x20).toBe(0);
  });

  it('SET freezes the clock, guest writes set it, and it runs on from there', () => {
    const { clock, rd, wr, time, rtc } = setup();
    wr(0x0b, 0x82 | 0x10); // SET (+UIE, which SET clears)
    expect(rd(0x0b)).toBe(0x82);
    const values: [number, number][] = [[0x32, 0x19], [9, 0x99], [8, 0x12], [7, 0x31], [4, 0x23], [2, 0x59], [0, 0x59]];
    for (const [i, v] of values) wr(i, v);
    clock.t = 5 * S; // frozen: still as written
    expect(time()).toEqual([0x19, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59]);
    wr(0x0b, 0x02);
    expect(rtc.time).toBe(Date.UTC(1999, 11, 31, 23, 59, 59) / 1000);
    clock.t = 6 * S; // the next update keeps the divider's phase
    expect(time()).toEqual([0x20, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
  });

  it('a write to a running clock sets that field', () => {
    const { clock, rd, wr } = setup(Date.UTC(2024, 0, 1, 12, 0, 0) / 1000);
    clock.t = 0.5 * S;
    wr(2, 0x30); // minutes
    expect(rd(2)).toBe(0x30);
    expect(rd(4)).toBe(0x12);
    clock.t = S;
    expect(rd(0)).toBe(0x01);
    expect(rd(2)).toBe(0x30);
  });

  it('divider reset stops the clock; leaving it starts the first update 500 ms later', () => {
    const { clock, rd, wr } = setup(Date.UTC(2024, 0, 1, 12, 0, 0) / 1000);
    clock.t = 0.3 * S;
    wr(0x0a, 0x76);
    clock.t = 3.3 * S;
    expect(rd(0)).toBe(0x00);
    wr(0x0a, 0x26);
    clock.t = 3.8 * S - 1;
    expect(rd(0)).toBe(0x00);
    clock.t = 3.8 * S;
    expect(rd(0)).toBe(0x01);
    clock.t = 4.8 * S;
    expect(rd(0)).toBe(0x02);
  });

  it('builds the CMOS memory map, checksum and equipment byte from the options', () => {
    const big = setup(0, 128 << 20, true);
    const rw = (r: typeof big, i: number) => r.rd(i) | (r.rd(i + 1) << 8);
    expect(rw(big, 0x15)).toBe(640);
    expect(rw(big, 0x17)).toBe(0xffff); // 127 MiB in KiB, capped
    expect(rw(big, 0x30)).toBe(0xffff);
    expect(rw(big, 0x34)).toBe((112 << 20) >> 16);
    expect([big.rd(0x5b), big.rd(0x5c), big.rd(0x5d)]).toEqual([0, 0, 0]);
    expect(big.rd(0x14)).toBe(0x02); // FPU, EGA/VGA, no floppies
    expect([big.rd(0x10), big.rd(0x12), big.rd(0x0e), big.rd(0x0f)]).toEqual([0, 0, 0, 0]);
    const small = setup(0, 32 << 20, false);
    expect(rw(small, 0x17)).toBe(31 * 1024);
    expect(rw(small, 0x34)).toBe(256);
    expect(small.rd(0x14)).toBe(0x00);
    for (const r of [big, small]) {
      let sum = 0;
      for (let i = 0x10; i <= 0x2d; i++) sum += r.rd(i);
      expect((r.rd(0x2e) << 8) | r.rd(0x2f)).toBe(sum);
    }
    // shutdown status byte is plain RAM
    small.wr(0x0f, 0x0a);
    expect(small.rd(0x0f)).toBe(0x0a);
  });

  it('keeps the NMI mask bit of port 0x70 as a flag; port 0x70 reads 0xFF', () => {
    const { bus, rtc, rd } = setup();
    bus.write(0x70, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    expect(bus.read(0x71, 1)).toBe(0); // index 0x0F
    bus.write(0x70, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
    expect(bus.read(0x70, 1)).toBe(0xff);
    expect(rd(0x0a)).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
  });

  it('reset clears the interrupt enables and flags but keeps the time', () => {
    const { clock, irq, rtc, rd, wr } = setup();
    wr(0x0b, 0x72);
    clock.t = 1.5 * S;
    rtc.tick(clock.t);
    expect(irq.level).toBe(true);
    rtc.reset();
    expect(irq.level).toBe(false);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0c)).toBe(0);
    expect(rd(0)).toBe(0x59);
  });

  it('save, load, save gives identical state, and the loaded RTC keeps counting', () => {
    const a = setup();
    a.wr(0x0b, 0x42);
    a.clock.t = 1.2345 * S;
    a.rtc.tick(a.clock.t);
    const s1 = a.rtc.save();
    const b = setup(0);
    b.clock.t = a.clock.t;
    b.rtc.load(JSON.parse(JSON.stringify(s1)));
    expect(JSON.stringify(b.rtc.save())).toBe(JSON.stringify(s1));
    expect(b.irq.level).toBe(true);
    expect(b.rd(0x0c)).toBe(0xd0); // IRQF, PF, UF (an update passed at 1 s)
    expect(b.rd(0)).toBe(0x59);
    b.clock.t = 2 * S;
    expect(b.rd(0)).toBe(0x00);
  });

  it('converts dates both ways (proleptic Gregorian)', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [1900, 3, 1], [2099, 12, 31], [2400, 2, 29]] as const) {
      const days = daysFromCivil(y, m, d);
      expect(days).toBe(Date.UTC(y, m - 1, d) / 86400000);
      expect(civilFromDays(days)).toEqual({ y, m, d });
    }
  });
});
