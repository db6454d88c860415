/**
 * The 16550A UART (src/devices/uart16550.ts) through the I/O bus, driven the way Linux's 8250
 * driver drives it: autoconfig (IER and loopback tests, FIFO detection and the 16550A variant
 * probes), the THRE interrupt probes of serial8250_do_startup, receive interrupts with the FIFO
 * trigger and the character timeout, and interrupt priorities.
 */
import { describe, expect, it } from 'vitest';
import { FAST_READ, FAST_WRITE, IoBus } from '../src/devices/device.js';
import { COM_PORTS, Uart16550 } from '../src/devices/uart16550.js';
import { FakeIrq, VirtualClock, runUntil } from './helpers/device-fakes.js';

const BASE = 0x3f8;
const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function setup() {
  const clock = new VirtualClock();
  const irq = new FakeIrq();
  const out: number[] = [];
  const uart = new Uart16550('com1', BASE, irq, clock, { sink: (b) => out.push(...b) });
  const bus = new IoBus();
  bus.attach(uart);
  const rd = (r: number) => bus.read(BASE + r, 1);
  const wr = (r: number, v: number) => bus.write(BASE + r, 1, v);
  return { clock, irq, out, uart, bus, rd, wr };
}

describe('16550A UART', () => {
  it('passes Linux 8250 autoconfig: IER test, loopback MSR test, 16550A FIFO detection', () => {
    const { rd, wr } = setup();
    // IER existence test
    const save = rd(IER);
    wr(IER, 0);
    expect(rd(IER) & 0x0f).toBe(0);
    wr(IER, 0x0f);
    expect(rd(IER) & 0x0f).toBe(0x0f);
    wr(IER, save);
    // scratch register
    for (const v of [0x55, 0xaa, 0x00]) {
      wr(SCR, v);
      expect(rd(SCR)).toBe(v);
    }
    // loopback: RTS -> CTS, OUT2 -> DCD; DTR -> DSR, OUT1 -> RI
    const saveMcr = rd(MCR);
    wr(MCR, 0x10 | 0x08 | 0x02);
    expect(rd(MSR) & 0xf0).toBe(0x90);
    wr(MCR, 0x10 | 0x01 | 0x04);
    expect(rd(MSR) & 0xf0).toBe(0x60);
    wr(MCR, 0x10);
    expect(rd(MSR) & 0xf0).toBe(0x00);
    wr(MCR, saveMcr);
    expect(rd(MSR) & 0xb0).toBe(0xb0); // a connected terminal: DCD, DSR, CTS
    // FIFO detection: EFR (FCR) write under LCR=BF, then FCR=1: IIR 7:6 = 11 means 16550A
    wr(LCR, 0xbf);
    wr(FCR, 0);
    wr(LCR, 0);
    wr(FCR, 0x01);
    expect(rd(IIR) >> 6).toBe(3);
    // autoconfig_16550a: no EFR under DLAB (the IIR shows through, nonzero)
    wr(LCR, 0x80);
    expect(rd(IIR)).not.toBe(0);
    wr(LCR, 0xbf);
    expect(rd(IIR)).not.toBe(0);
    // not a 16750: IIR bit 5 stays 0 with the 64-byte FIFO bit, with and without DLAB
    wr(LCR, 0);
    wr(FCR, 0x21);
    expect(rd(IIR) & 0xe0).toBe(0xc0);
    wr(LCR, 0x80);
    wr(FCR, 0x21);
    expect(rd(IIR) & 0xe0).toBe(0xc0);
    wr(LCR, 0);
    // not an XScale: IER bit 6 does not stick
    wr(IER, 0x40);
    expect(rd(IER) & 0x40).toBe(0);
    // the FCR value Linux uses: E7 (FIFO on, resets, trigger 14)
    wr(FCR, 0xe7);
    expect(rd(IIR) & 0xc0).toBe(0xc0);
    wr(FCR, 0x00);
    expect(rd(IIR) & 0xc0).toBe(0x00);
    expect(rd(LSR)).toBe(0x60); // THRE and TEMT, no data
  });

  it('has a 16-byte FIFO: Linux size_fifo() sends 256 bytes in loopback and counts 16', () => {
    const { rd, wr, out } = setup();
    wr(FCR, 0x07);
    wr(MCR, 0x10);
    for (let i = 0; i < 256; i++) wr(THR, i);
    let count = 0;
    const got: number[] = [];
    while (rd(LSR) & 0x01 && count < 256) {
      got.push(rd(RBR));
      count++;
    }
    expect(count).toBe(16);
    expect(got).toEqual([...Array(16).keys()]);
    expect(out).toEqual([]); // loopback data never leaves the chip
    wr(MCR, 0x10);
    wr(THR, 0x42);
    expect(rd(LSR) & 0x02).toBe(0); // OE was cleared by the LSR reads above
    for (let i = 0; i < 20; i++) wr(THR, i);
    expect(rd(LSR) & 0x02).toBe(0x02); // overrun in loopback
  });

  it('keeps the divisor latch under DLAB', () => {
    const { rd, wr } = setup();
    wr(LCR, 0x83);
    wr(0, 0x01);
    wr(1, 0x00);
    expect(rd(0)).toBe(0x01);
    expect(rd(1)).toBe(0x00);
    wr(LCR, 0x03);
    wr(IER, 0x05);
    expect(rd(IER)).toBe(0x05);
    wr(LCR, 0x83);
    expect(rd(1)).toBe(0x00); // DLM, not IER
    expect(rd(LCR)).toBe(0x83);
  });

  it('raises THRE when ETBEI is enabled, clears it on IIR read, re-raises on re-enable (UART_BUG_THRE probe)', () => {
    const { rd, wr, irq } = setup();
    wr(MCR, 0x0b); // DTR, RTS, OUT2
    expect(irq.level).toBe(false);
    wr(IER, 0x02);
    expect(irq.level).toBe(true);
    const iir1 = rd(IIR);
    expect(iir1 & 0x0f).toBe(0x02);
    expect(irq.level).toBe(false); // reading IIR cleared THRE
    expect(rd(IIR) & 0x01).toBe(1);
    wr(IER, 0);
    wr(IER, 0x02);
    const iir = rd(IIR);
    expect(iir & 0x01).toBe(0); // re-asserted: no UART_BUG_THRE
    wr(IER, 0);
    // UART_BUG_TXEN probe: IER=THRI, then LSR and IIR
    wr(IER, 0x02);
    expect(rd(LSR) & 0x40).toBe(0x40);
    expect(rd(IIR) & 0x01).toBe(0);
    wr(IER, 0);
  });

  it('offers buffered I/O only while a queued THR write or a shadow LSR read cannot be told apart', () => {
    const { rd, wr, uart, out } = setup();
    expect(uart.fastPorts).toEqual([BASE, BASE + LSR]);
    // a polling console: no THRE interrupt, no loopback, DLAB clear
    wr(LCR, 0x03);
    expect(uart.fastPortMode(BASE + THR)).toBe(FAST_WRITE);
    const lsr = uart.fastPortMode(BASE + LSR);
    expect(lsr & FAST_READ).toBe(FAST_READ);
    expect(lsr >>> 24).toBe(rd(LSR)); // the shadow is what a read returns
    expect(uart.fastPortMode(BASE + IER)).toBe(0); // only the listed ports
    // each condition under which a THR write has another effect turns the write path off
    wr(IER, 0x02); // THRE interrupts: a write clears and re-raises the interrupt
    expect(uart.fastPortMode(BASE + THR)).toBe(0);
    wr(IER, 0);
    wr(MCR, 0x10); // loopback: the byte enters the receive FIFO
    expect(uart.fastPortMode(BASE + THR)).toBe(0);
    wr(THR, 0x41);
    expect(uart.fastPortMode(BASE + LSR) >>> 24 & 0x01).toBe(1); // DR shows in the shadow
    wr(MCR, 0);
    wr(LCR, 0x83); // DLAB: port 0 is the divisor latch
    expect(uart.fastPortMode(BASE + THR)).toBe(0);
    wr(LCR, 0x03);
    // a latched line error: reading LSR clears it, so reads must exit
    uart.sendBreak();
    while (rd(LSR) & 0x01) rd(RBR);
    uart.sendBreak();
    expect(uart.fastPortMode(BASE + LSR)).toBe(0);
    rd(LSR);
    expect(uart.fastPortMode(BASE + LSR) & FAST_READ).toBe(FAST_READ);
    expect(out).toEqual([]);
  });

  it('transmits at once and gives a new THRE edge after each THR write', () => {
    const { rd, wr, irq, out } = setup();
    wr(MCR, 0x08);
    wr(IER, 0x02);
    expect(irq.rises).toBe(1);
    for (const c of 'hi\n') wr(THR, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(irq.rises).toBe(4); // the line dropped and rose on every write
    expect(irq.level).toBe(true);
    expect(rd(LSR) & 0x60).toBe(0x60);
  });

  it('drives the IRQ line only with OUT2 set (PC wiring), and not in loopback', () => {
    const { rd, wr, irq } = setup();
    wr(IER, 0x02);
    expect(rd(IIR) & 0x0f).toBe(0x02 & 0x0f); // pending in IIR...
    expect(irq.level).toBe(false); // ...but OUT2 is off
    wr(IER, 0);
    wr(IER, 0x02);
    wr(MCR, 0x08);
    expect(irq.level).toBe(true);
    wr(MCR, 0x18);
    expect(irq.level).toBe(false);
    wr(MCR, 0x08);
    expect(irq.level).toBe(true);
  });

  it('interrupts on received data at the FIFO trigger level and never loses pasted input', () => {
    const { rd, wr, irq, uart } = setup();
    wr(MCR, 0x08);
    wr(FCR, 0x87); // FIFO, trigger 8
    wr(IER, 0x01);
    uart.receive(Uint8Array.from([1, 2, 3]));
    expect(irq.level).toBe(false); // below the trigger, before any timeout
    expect(rd(IIR) & 0x0f).toBe(0x01);
    uart.receive(Uint8Array.from([4, 5, 6, 7, 8]));
    expect(irq.level).toBe(true);
    expect(rd(IIR)).toBe(0xc4);
    // a paste of 100 bytes more: all arrive, in order, as the guest reads
    const paste = Array.from({ length: 100 }, (_, i) => (i + 9) & 0xff);
    uart.receive(Uint8Array.from(paste));
    expect(uart.pendingInput).toBe(100 - 8);
    const got: number[] = [];
    while (rd(LSR) & 0x01) got.push(rd(RBR));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, ...paste]);
    expect(irq.level).toBe(false);
    expect(rd(LSR) & 0x02).toBe(0); // no overrun
  });

  it('reports a character timeout after 4 character times when data sits below the trigger', () => {
    const { rd, wr, irq, uart, clock } = setup();
    wr(LCR, 0x83); // 8N1, divisor 1: 115200 baud, 10 bits per character
    wr(0, 1);
    wr(1, 0);
    wr(LCR, 0x03);
    wr(MCR, 0x08);
    wr(FCR, 0xc7); // trigger 14
    wr(IER, 0x01);
    clock.t = 1_000_000;
    uart.receive(Uint8Array.from([0x41, 0x42]));
    const charNs = (10 * 16 * 1e9) / 1_843_200;
    const deadline = uart.tick(clock.t);
    expect(deadline).toBe(Math.ceil(1_000_000 + 4 * charNs));
    clock.t = deadline! - 1;
    uart.tick(clock.t);
    expect(irq.level).toBe(false);
    expect(rd(IIR) & 0x0f).toBe(0x01);
    clock.t = deadline!;
    uart.tick(clock.t);
    expect(irq.level).toBe(true);
    expect(rd(IIR)).toBe(0xcc);
    expect(rd(RBR)).toBe(0x41); // reading clears the timeout and restarts the timer
    expect(irq.level).toBe(false);
    const edges = runUntil(clock, uart, irq, clock.t + 10 * 4 * charNs, () => {
      expect(rd(IIR)).toBe(0xcc);
      expect(rd(RBR)).toBe(0x42);
    });
    expect(edges).toBe(1);
    expect(rd(LSR) & 0x01).toBe(0);
    expect(uart.tick(clock.t)).toBeUndefined(); // nothing left to time
  });

  it('interrupts per character in 16450 mode (no FIFO), no timeouts', () => {
    const { rd, wr, irq, uart, clock } = setup();
    wr(MCR, 0x08);
    wr(IER, 0x01);
    uart.receive(Uint8Array.from([0x61, 0x62]));
    expect(irq.level).toBe(true);
    expect(rd(IIR)).toBe(0x04);
    expect(rd(RBR)).toBe(0x61);
    expect(irq.level).toBe(true); // the next byte moved in at once
    expect(rd(RBR)).toBe(0x62);
    expect(irq.level).toBe(false);
    expect(uart.tick(clock.t)).toBeUndefined();
  });

  it('orders interrupts: line status over received data over THRE over modem status', () => {
    const { rd, wr, uart } = setup();
    wr(MCR, 0x08);
    wr(FCR, 0x07);
    wr(IER, 0x0f);
    uart.setModemInputs({ dcd: false });
    uart.sendBreak();
    expect(rd(IIR) & 0x0f).toBe(0x06);
    const lsr = rd(LSR);
    expect(lsr & 0x10).toBe(0x10); // BI
    expect(lsr & 0x01).toBe(0x01);
    expect(rd(IIR) & 0x0f).toBe(0x04); // the break's 0 byte
    expect(rd(RBR)).toBe(0);
    expect(rd(IIR) & 0x0f).toBe(0x02); // THRE (ETBEI was enabled with THR empty)
    expect(rd(IIR) & 0x0f).toBe(0x00); // then modem status
    const msr = rd(MSR);
    expect(msr & 0x08).toBe(0x08); // DDCD
    expect(msr & 0x80).toBe(0); // DCD dropped
    expect(rd(IIR) & 0x0f).toBe(0x01);
    expect(rd(MSR) & 0x0f).toBe(0);
  });

  it('save, load, save gives identical state, and the loaded UART carries on', () => {
    const a = setup();
    a.wr(MCR, 0x0b);
    a.wr(FCR, 0x47);
    a.wr(IER, 0x03);
    a.uart.receive(Uint8Array.from(Array.from({ length: 30 }, (_, i) => i)));
    a.rd(RBR);
    const s1 = a.uart.save();
    const b = setup();
    b.uart.load(JSON.parse(JSON.stringify(s1)));
    expect(JSON.stringify(b.uart.save())).toBe(JSON.stringify(s1));
    expect(b.irq.level).toBe(a.irq.level);
    const rest: number[] = [];
    while (b.rd(LSR) & 1) rest.push(b.rd(RBR));
    expect(rest).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
  });

  it('reset clears registers and input', () => {
    const { rd, wr, uart, irq } = setup();
    wr(MCR, 0x08);
    wr(IER, 0x0f);
    uart.receive(Uint8Array.of(1, 2, 3));
    uart.reset();
    expect(rd(IER)).toBe(0);
    expect(rd(MCR)).toBe(0);
    expect(rd(LSR)).toBe(0x60);
    expect(irq.level).toBe(false);
  });

  it('exports the PC COM port table', () => {
    expect(COM_PORTS.map((p) => [p.base, p.irq])).toEqual([[0x3f8, 4], [0x2f8, 3], [0x3e8, 4], [0x2e8, 3]]);
  });
});
