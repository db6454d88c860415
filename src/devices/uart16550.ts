/**
 * The National Semiconductor PC16550D UART (the 16550A register set; the PC16550D datasheet,
 * "PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs", June 1995), as wired on a
 * PC's COM ports: eight registers from the base port, the interrupt output gated by MCR OUT2.
 *
 * Registers: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, and the divisor latch (DLL/DLM)
 * under LCR.DLAB. 16-byte receive FIFO with the FCR trigger levels (1/4/8/14), FIFO resets,
 * the character timeout (4 character times at the programmed speed and frame, on the virtual
 * clock) and the interrupt priorities of the datasheet's table 4 (line status > received data /
 * timeout > THR empty > modem status).
 *
 * Deviations, on purpose:
 * - Transmission is instant: a byte written to THR goes to the sink at once and THR/TSR are empty
 *   again (LSR.THRE and TEMT stay 1), so the THRE interrupt is re-raised right after the write
 *   (the line drops and rises: the PIC sees a new edge). QEMU behaves the same way.
 * - THRE interrupt: raised when THR is empty and IER.ETBEI is set, including when ETBEI goes
 *   from 0 to 1 with THR empty (Linux's UART_BUG_THRE/TXEN probes and Windows rely on this);
 *   cleared by reading IIR while THRE is the reported source, or by writing THR.
 * - Host input is never lost: bytes from receive() beyond the FIFO wait in a host-side backlog
 *   that refills the FIFO as the guest reads. Only loopback data (MCR.LOOP) can overrun (LSR.OE),
 *   which is what Linux's FIFO-size probe expects of a 16-byte FIFO.
 * - The baud rate only times the character timeout; received bytes arrive as fast as the guest
 *   reads them. A divisor of 0 is timed as 1.
 * - IRQ output: asserted when an interrupt is pending and the OUT2 pin is active (MCR bit 3 set,
 *   not in loopback, where the datasheet forces the modem outputs inactive).
 * - Modem inputs CTS, DSR, DCD are asserted by default (a connected terminal), RI is not;
 *   setModemInputs() changes them and sets the delta bits.
 * - DMA mode (FCR bit 3) is accepted and has no effect; there are no parity/framing errors except
 *   a break sent with sendBreak().
 * - Buffered I/O (fastPortMode): while THR writes raise no interrupt (IER.ETBEI clear), outside
 *   loopback and with DLAB clear, they may queue in the core until the next exit; while no line
 *   error is latched, an LSR read returns the core's shadow of it. A polling console (Linux's
 *   printk on 8250) then prints without exits (test/devices-uart.test.ts, test/linux-boot.test.ts).
 */
import { OnceLog, StateReader, FAST_READ, FAST_WRITE, type Clock, type Device, type IrqLine, type Logger } from './device.js';

export type ByteSink = (bytes: Uint8Array) => void;

export interface UartOptions {
  /** Receives every byte the guest transmits (outside loopback), one call per byte. */
  sink?: ByteSink;
  log?: Logger;
}

/** The PC's standard serial ports. */
export const COM_PORTS: readonly { name: string; base: number; irq: number }[] = [
  { name: 'com1', base: 0x3f8, irq: 4 },
  { name: 'com2', base: 0x2f8, irq: 3 },
  { name: 'com3', base: 0x3e8, irq: 4 },
  { name: 'com4', base: 0x2e8, irq: 3 },
];

/** The UART's input clock: 1.8432 MHz, divided by 16 * divisor for the bit rate. */
const XTAL_HZ = 1_843_200;
const FIFO_SIZE = 16;
const TRIGGER = [1, 4, 8, 14];

// LSR bits
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_PE = 0x04;
const LSR_FE = 0x08;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_FIFOERR = 0x80;
const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;
// IER bits
const IER_ERBFI = 0x01;
const IER_ETBEI = 0x02;
const IER_ELSI = 0x04;
const IER_EDSSI = 0x08;
// MCR bits
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
// IIR interrupt identification codes
const IIR_NONE = 0x01;
const IIR_RLS = 0x06;
const IIR_RDA = 0x04;
const IIR_CTI = 0x0c;
const IIR_THRE = 0x02;
const IIR_MSR = 0x00;

export interface ModemInputs {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

export class Uart16550 implements Device {
  readonly ports;
  private readonly sink?: ByteSink;
  private readonly log: Logger;
  private readonly once: OnceLog;

  // registers
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fifoEnabled = false;
  private trigger = 1;
  private dmaMode = false;
  /** Receive FIFO entries: byte | (PE/FE/BI bits of that character) << 8. */
  private rx: number[] = [];
  /** Host input not yet in the FIFO. */
  private backlog: number[] = [];
  /** Latched LSR error bits (OE, and PE/FE/BI of the character at the top of the FIFO). */
  private lsrErr = 0;
  private thrIpending = false;
  /** MSR delta bits (DCTS, DDSR, TERI, DDCD). */
  private msrDelta = 0;
  /** The modem input pins from the outside (ignored in loopback). */
  private lines: ModemInputs = { cts: true, dsr: true, ri: false, dcd: true };
  /** Guest time of the last receive-FIFO activity (a character in, or a CPU read). */
  private rxActivity = 0;
  private timeoutPending = false;
  private irqLevel = false;

  readonly fastPorts: readonly number[];

  constructor(
    readonly name: string,
    readonly base: number,
    private readonly irq: IrqLine,
    private readonly clock: Clock,
    opts: UartOptions = {},
  ) {
    this.ports = [{ start: base, count: 8 }];
    this.fastPorts = [base, base + 5];
    if (opts.sink) this.sink = opts.sink;
    this.log = opts.log ?? (() => {});
    this.once = new OnceLog(this.log);
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    this.dll = 0x0c;
    this.dlm = 0;
    this.fifoEnabled = false;
    this.trigger = 1;
    this.dmaMode = false;
    this.rx = [];
    this.backlog = [];
    this.lsrErr = 0;
    this.thrIpending = false;
    this.msrDelta = 0;
    this.rxActivity = this.clock.now();
    this.timeoutPending = false;
    this.updateIrq();
  }

  // ---- host side ----

  /** Bytes arriving on the serial line. */
  receive(bytes: Uint8Array | readonly number[]): void {
    if (bytes.length === 0) return;
    this.advance(this.clock.now());
    for (const b of bytes) this.backlog.push(b & 0xff);
    this.refill();
    this.updateIrq();
  }

  /** A break condition on the line: a 0 character with LSR.BI (and FE, as the datasheet says). */
  sendBreak(): void {
    this.advance(this.clock.now());
    this.backlog.push(0 | ((LSR_BI | LSR_FE) << 8));
    this.refill();
    this.updateIrq();
  }

  /** Changes the modem input pins (outside loopback they show in MSR, with delta bits). */
  setModemInputs(lines: Partial<ModemInputs>): void {
    const before = this.modemInputs();
    this.lines = { ...this.lines, ...lines };
    this.noteModemChange(before);
    this.updateIrq();
  }

  /** Bytes waiting to enter the receive FIFO. */
  get pendingInput(): number {
    return this.backlog.length;
  }

  /** The guest has turned on received-data interrupts: a driver has the port open. */
  get listening(): boolean {
    return (this.ier & IER_ERBFI) !== 0;
  }

  /** The interrupt output as the PIC sees it. */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  // ---- guest side ----

  ioRead(port: number): number {
    const now = this.clock.now();
    this.advance(now);
    const v = this.readReg(port - this.base, now);
    this.updateIrq();
    return v;
  }

  private readReg(reg: number, now: number): number {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (reg) {
      case 0:
        return dlab ? this.dll : this.readRbr(now);
      case 1:
        return dlab ? this.dlm : this.ier;
      case 2: {
        const v = this.iir();
        // reading IIR clears a THRE interrupt when it is the one reported
        if ((v & 0x0f) === IIR_THRE) this.thrIpending = false;
        return v;
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = this.lsr();
        this.lsrErr = 0;
        return v;
      }
      case 6: {
        const v = this.msr();
        this.msrDelta = 0;
        return v;
      }
      default:
        return this.scr;
    }
  }

  ioWrite(port: number, _size: number, value: number): void {
    const now = this.clock.now();
    this.advance(now);
    value &= 0xff;
    const dlab = (this.lcr & 0x80) !== 0;
    switch (port - this.base) {
      case 0:
        if (dlab) this.dll = value;
        else this.writeThr(value, now);
        break;
      case 1:
        if (dlab) this.dlm = value;
        else {
          const changed = this.ier ^ (value & 0x0f);
          this.ier = value & 0x0f;
          // ETBEI newly set with THR empty raises THRE; clearing it forgets the request
          if (changed & IER_ETBEI) this.thrIpending = (this.ier & IER_ETBEI) !== 0;
        }
        break;
      case 2:
        this.writeFcr(value, now);
        break;
      case 3:
        this.lcr = value;
        break;
      case 4: {
        const before = this.modemInputs();
        this.mcr = value & 0x1f;
        this.noteModemChange(before);
        break;
      }
      case 5:
      case 6:
        // LSR (factory test) and MSR writes: no effect
        this.warnOnce(`write${port - this.base}`,
          `${this.name}: write of 0x${value.toString(16)} to ${port - this.base === 5 ? 'LSR' : 'MSR'} ignored`);
        break;
      default:
        this.scr = value;
    }
    this.updateIrq();
  }

  /** Buffered I/O: THR writes may queue while they only feed the sink (no THRE interrupt, no
   * loopback, not the divisor latch); LSR reads come from a shadow while no error is latched
   * (the read then has no side effect, and nothing but an exit can change the value). */
  fastPortMode(port: number): number {
    if (port === this.base) return (this.lcr & 0x80) || (this.ier & IER_ETBEI) || (this.mcr & MCR_LOOP) ? 0 : FAST_WRITE;
    if (port === this.base + 5 && this.lsrErr === 0) return (FAST_READ | (this.lsr() << 24)) >>> 0;
    return 0;
  }

  /** Advances to guest time `now`: the character timeout. Returns the next deadline. */
  tick(now: number): number | undefined {
    this.advance(now);
    this.updateIrq();
    return this.deadline();
  }

  // ---- internals ----

  private readRbr(now: number): number {
    const e = this.rx.shift();
    this.rxActivity = now;
    this.timeoutPending = false;
    this.refill();
    this.topErrors();
    return e === undefined ? 0 : e & 0xff;
  }

  private writeThr(value: number, now: number): void {
    this.thrIpending = false;
    this.updateIrq();
    if (this.mcr & MCR_LOOP) {
      // the serial output is looped to the input inside the chip; a full FIFO overruns
      if (this.rx.length < this.capacity()) {
        this.rx.push(value);
        if (this.rx.length === 1) this.topErrors();
        this.rxActivity = now;
      } else {
        this.lsrErr |= LSR_OE;
      }
    } else {
      this.sink?.(Uint8Array.of(value));
    }
    // THR (and the transmitter) are empty again at once
    this.thrIpending = true;
  }

  private writeFcr(value: number, now: number): void {
    const enable = (value & 0x01) !== 0;
    if (enable !== this.fifoEnabled) {
      // changing between FIFO and 16450 mode clears both FIFOs
      this.fifoEnabled = enable;
      this.clearRx(now);
    }
    if (!enable) return; // the other bits are only programmed with FCR0 = 1
    if (value & 0x02) this.clearRx(now);
    // bit 2 resets the transmit FIFO, which instant transmission keeps empty
    if (value & 0x08) {
      if (!this.dmaMode) this.warnOnce('dma', `${this.name}: DMA mode selected; there is no DMA, it has no effect`);
    }
    this.dmaMode = (value & 0x08) !== 0;
    this.trigger = TRIGGER[value >> 6]!;
  }

  private clearRx(now: number): void {
    this.rx = [];
    this.lsrErr &= LSR_OE;
    this.timeoutPending = false;
    this.rxActivity = now;
    // bytes still on the line (the host backlog) arrive after the reset
    this.refill();
    this.topErrors();
  }

  private capacity(): number {
    return this.fifoEnabled ? FIFO_SIZE : 1;
  }

  /** Moves host input into the receive FIFO while there is room. */
  private refill(): void {
    const cap = this.capacity();
    let moved = false;
    while (this.rx.length < cap && this.backlog.length > 0) {
      this.rx.push(this.backlog.shift()!);
      if (this.rx.length === 1) this.topErrors();
      moved = true;
    }
    if (moved) this.rxActivity = this.clock.now();
  }

  /** The error bits of the character now at the top of the FIFO become visible in LSR. */
  private topErrors(): void {
    const top = this.rx[0];
    if (top !== undefined) this.lsrErr |= (top >> 8) & (LSR_PE | LSR_FE | LSR_BI);
  }

  private charTimeNs(): number {
    const divisor = (this.dlm << 8) | this.dll || 1;
    const word = 5 + (this.lcr & 3);
    const parity = this.lcr & 0x08 ? 1 : 0;
    const stop = this.lcr & 0x04 ? (word === 5 ? 1.5 : 2) : 1;
    return ((1 + word + parity + stop) * 16 * divisor * 1e9) / XTAL_HZ;
  }

  private timeoutDeadline(): number | undefined {
    if (!this.fifoEnabled || this.rx.length === 0 || this.timeoutPending) return undefined;
    return Math.ceil(this.rxActivity + 4 * this.charTimeNs());
  }

  private advance(now: number): void {
    const d = this.timeoutDeadline();
    if (d !== undefined && now >= d) this.timeoutPending = true;
  }

  private deadline(): number | undefined {
    return this.timeoutDeadline();
  }

  private lsr(): number {
    let v = LSR_THRE | LSR_TEMT | this.lsrErr;
    if (this.rx.length > 0) v |= LSR_DR;
    if (this.fifoEnabled && this.rx.some((e) => e >> 8)) v |= LSR_FIFOERR;
    return v;
  }

  /** The modem input pins as the chip sees them (in loopback: the MCR outputs). */
  private modemInputs(): number {
    if (this.mcr & MCR_LOOP) {
      const m = this.mcr;
      return ((m & MCR_RTS) ? 0x10 : 0) | ((m & MCR_DTR) ? 0x20 : 0) | ((m & MCR_OUT1) ? 0x40 : 0) | ((m & MCR_OUT2) ? 0x80 : 0);
    }
    const l = this.lines;
    return (l.cts ? 0x10 : 0) | (l.dsr ? 0x20 : 0) | (l.ri ? 0x40 : 0) | (l.dcd ? 0x80 : 0);
  }

  private noteModemChange(before: number): void {
    const after = this.modemInputs();
    const ch = before ^ after;
    if (ch & 0x10) this.msrDelta |= 0x01; // DCTS
    if (ch & 0x20) this.msrDelta |= 0x02; // DDSR
    if (ch & 0x40 && !(after & 0x40)) this.msrDelta |= 0x04; // TERI: RI went inactive
    if (ch & 0x80) this.msrDelta |= 0x08; // DDCD
  }

  private msr(): number {
    return this.modemInputs() | this.msrDelta;
  }

  /** The pending interrupt of highest priority (IIR bits 3:0). */
  private pending(): number {
    const ier = this.ier;
    if (ier & IER_ELSI && this.lsrErr & LSR_ERRORS) return IIR_RLS;
    if (ier & IER_ERBFI) {
      const level = this.fifoEnabled ? this.trigger : 1;
      if (this.rx.length >= level) return IIR_RDA;
      if (this.timeoutPending && this.rx.length > 0) return IIR_CTI;
    }
    if (ier & IER_ETBEI && this.thrIpending) return IIR_THRE;
    if (ier & IER_EDSSI && this.msrDelta) return IIR_MSR;
    return IIR_NONE;
  }

  private iir(): number {
    return this.pending() | (this.fifoEnabled ? 0xc0 : 0);
  }

  private updateIrq(): void {
    const out2 = (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2;
    const level = out2 && this.pending() !== IIR_NONE;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private warnOnce(key: string, msg: string): void {
    this.once.warn(key, msg);
  }

  save(): Record<string, unknown> {
    return {
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fifoEnabled: this.fifoEnabled,
      trigger: this.trigger,
      dmaMode: this.dmaMode,
      rx: [...this.rx],
      backlog: [...this.backlog],
      lsrErr: this.lsrErr,
      thrIpending: this.thrIpending,
      msrDelta: this.msrDelta,
      lines: { ...this.lines },
      rxActivity: this.rxActivity,
      timeoutPending: this.timeoutPending,
      irqLevel: this.irqLevel,
    };
  }

  load(s: Record<string, unknown>): void {
    const r = new StateReader(this.name, s);
    const num = (k: string) => r.num(k);
    const arr = (k: string) => r.arr(k);
    this.ier = num('ier');
    this.lcr = num('lcr');
    this.mcr = num('mcr');
    this.scr = num('scr');
    this.dll = num('dll');
    this.dlm = num('dlm');
    this.fifoEnabled = Boolean(s.fifoEnabled);
    this.trigger = num('trigger');
    this.dmaMode = Boolean(s.dmaMode);
    this.rx = arr('rx');
    this.backlog = arr('backlog');
    this.lsrErr = num('lsrErr');
    this.thrIpending = Boolean(s.thrIpending);
    this.msrDelta = num('msrDelta');
    const l = (s.lines ?? {}) as Partial<ModemInputs>;
    this.lines = { cts: Boolean(l.cts), dsr: Boolean(l.dsr), ri: Boolean(l.ri), dcd: Boolean(l.dcd) };
    this.rxActivity = num('rxActivity');
    this.timeoutPending = Boolean(s.timeoutPending);
    // drive the line at the saved level (the restored PIC saw this level last)
    this.irqLevel = Boolean(s.irqLevel);
    this.irq.set(this.irqLevel);
  }
}
