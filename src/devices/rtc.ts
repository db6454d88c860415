/**
 * The Motorola MC146818A real-time clock with its 114 bytes of CMOS RAM (the MC146818A
 * datasheet; the contents follow the IBM PC AT CMOS map as QEMU and SeaBIOS use it), at
 * index port 0x70 (bit 7: the NMI mask latch of the PC, kept as a flag) and data port 0x71.
 *
 * Time registers 0-9 and the century byte 0x32 in BCD or binary (register B DM) and 12/24-hour
 * (B bit 1); registers A (UIP, divider, rate), B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE),
 * C (IRQF, PF, AF, UF; reading clears them and lowers IRQ 8) and D (VRT = 1).
 *
 * Time comes from the guest clock: the RTC reads the base epoch (seconds at guest time 0, a
 * constructor option; no host clock is read) plus guest time, through an offset that guest
 * writes change. Events sit on the 32.768 kHz divider chain: updates once per second at a fixed
 * phase, the periodic interrupt at 2^(rate-1) ticks (rates 1 and 2: 3.90625 and 7.8125 ms), UIP
 * set during the 244 us before each update. tick() deadlines are given only for enabled
 * interrupts; flags are computed lazily when the guest reads, so polling also works.
 *
 * Deviations: the update cycle itself takes no time (the registers change at the update
 * instant; UIP covers the 244 us before it). Daylight saving (DSE) is not implemented (logged).
 * The day of week is derived from the date; a guest write to it is not kept while the clock
 * runs. Divider settings other than 32.768 kHz (000, 001) count as 32.768 kHz (logged);
 * test and reset settings (011-111) stop the chain, and leaving them starts the first update
 * half a second later as the datasheet says. The chip's reset pin (reset()) clears PIE, AIE,
 * UIE, SQWE and the flags; the time and CMOS contents survive, as on battery.
 */
import { OnceLog, StateReader, type Clock, type Device, type IrqLine, type Logger } from './device.js';

export interface RtcOptions {
  /** Guest RAM in bytes (CMOS memory-size bytes). */
  memory: number;
  /** Wall-clock time at guest time 0, in seconds since 1970-01-01T00:00:00Z (default 2000-01-01). */
  epoch?: number;
  /** A math coprocessor is installed (equipment byte bit 1). */
  fpu?: boolean;
  log?: Logger;
}

const NS = 1e9;
/** UIP is set this long before an update (8 cycles of 32.768 kHz, 244.140625 us). */
const UIP_NS = 244_141;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
const B_DM = 0x04;
const B_24H = 0x02;
const B_DSE = 0x01;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const TIME_REGS = [0, 2, 4, 6, 7, 8, 9, CENTURY];

/** floor(a / b) for integers, exact where a / b rounds to the wrong side. */
function fdiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y += fdiv(m - 1, 12);
  m = ((((m - 1) % 12) + 12) % 12) + 1;
  y -= m <= 2 ? 1 : 0;
  const era = fdiv(y, 400);
  const yoe = y - era * 400;
  const doy = fdiv(153 * (m + (m > 2 ? -3 : 9)) + 2, 5) + d - 1;
  const doe = yoe * 365 + fdiv(yoe, 4) - fdiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The proleptic Gregorian date of a day number (days since 1970-01-01). */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  z += 719468;
  const era = fdiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = fdiv(doe - fdiv(doe, 1460) + fdiv(doe, 36524) - fdiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + fdiv(yoe, 4) - fdiv(yoe, 100));
  const mp = fdiv(5 * doy + 2, 153);
  const d = doy - fdiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export class Rtc implements Device {
  readonly name = 'rtc';
  readonly ports = [{ start: 0x70, count: 2 }];
  private readonly log: Logger;
  private readonly once: OnceLog;
  private cmos = new Uint8Array(128);
  private index = 0;
  private nmiMask = false;
  /** Updates happen at guest times phase + n * 1e9; periodic ticks are aligned to it too. */
  private phase = 0;
  /** The RTC's time (epoch seconds) at guest time t is epochBase + floor((t - phase) / 1e9). */
  private epochBase = 0;
  /** PF, AF, UF as in register C. */
  private flags = 0;
  private nextPeriodic: number | null = null;
  private nextUpdate: number | null = null;
  private irqLevel = false;

  constructor(private readonly irq: IrqLine, private readonly clock: Clock, opts: RtcOptions) {
    this.log = opts.log ?? (() => {});
    this.once = new OnceLog(this.log);
    const epoch = opts.epoch ?? 946_684_800;
    const whole = Math.floor(epoch);
    this.epochBase = whole;
    this.phase = -Math.round((epoch - whole) * NS);
    const c = this.cmos;
    c[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    c[REG_B] = B_24H; // 24-hour, BCD
    c[REG_C] = 0;
    c[REG_D] = 0x80; // valid RAM and time
    this.buildConfig(opts);
    this.reschedule(this.now());
  }

  /** The NMI mask latch (port 0x70 bit 7): true when NMIs are masked. */
  get nmiMasked(): boolean {
    return this.nmiMask;
  }

  /** The RTC's current time in epoch seconds (what the guest would read). */
  get time(): number {
    const t = this.now();
    return this.frozen() ? this.parseRegs() : this.secondsAt(t);
  }

  /** Host access to CMOS RAM (not the clock registers); keeps the 0x10-0x2D checksum. */
  setCmosByte(index: number, value: number): void {
    this.cmos[index & 0x7f] = value & 0xff;
    if (index >= 0x10 && index <= 0x2d) this.updateChecksum();
  }

  getCmosByte(index: number): number {
    return this.cmos[index & 0x7f]!;
  }

  reset(): void {
    const t = this.now();
    this.advance(t);
    // the RESET pin: PIE, AIE, UIE, SQWE and the flags clear; time and RAM are kept
    this.cmos[REG_B]! &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    this.flags = 0;
    this.nmiMask = false;
    this.updateIrq();
  }

  ioRead(port: number): number {
    if (port === 0x70) return 0xff; // the index register is write-only on the AT
    const t = this.now();
    this.advance(t);
    const v = this.readReg(this.index, t);
    this.updateIrq();
    return v;
  }

  ioWrite(port: number, _size: number, value: number): void {
    value &= 0xff;
    if (port === 0x70) {
      this.index = value & 0x7f;
      this.nmiMask = (value & 0x80) !== 0;
      return;
    }
    const t = this.now();
    this.advance(t);
    this.writeReg(this.index, value, t);
    this.updateIrq();
  }

  tick(now: number): number | undefined {
    const t = Math.floor(now);
    this.advance(t);
    this.updateIrq();
    const b = this.cmos[REG_B]!;
    let next: number | undefined;
    if (b & B_PIE && !(this.flags & C_PF) && this.nextPeriodic !== null) next = this.nextPeriodic;
    const wantUpdate = (b & B_UIE && !(this.flags & C_UF)) || (b & B_AIE && !(this.flags & C_AF));
    if (wantUpdate && this.nextUpdate !== null && (next === undefined || this.nextUpdate < next)) next = this.nextUpdate;
    return next;
  }

  // ---- registers ----

  private readReg(i: number, t: number): number {
    switch (i) {
      case REG_A: {
        const uip = !this.frozen() && this.nextUpdate !== null && this.nextUpdate - t <= UIP_NS;
        return (this.cmos[REG_A]! & 0x7f) | (uip ? 0x80 : 0);
      }
      case REG_C: {
        const v = this.flags | (this.irqf() ? C_IRQF : 0);
        this.flags = 0;
        return v;
      }
      case REG_D:
        return 0x80;
      default:
        if (TIME_REGS.includes(i) && !this.frozen()) return this.timeRegs(this.secondsAt(t))[i]!;
        return this.cmos[i]!;
    }
  }

  private writeReg(i: number, v: number, t: number): void {
    switch (i) {
      case REG_A: {
        const wasFrozen = this.frozen();
        const wasStopped = this.dividerStopped();
        if (!wasFrozen) this.freezeRegs(t);
        this.cmos[REG_A] = v & 0x7f;
        const dv = (v >> 4) & 7;
        if (dv < 2) {
          const bits = dv.toString(2).padStart(3, '0');
          this.warnOnce('dv', `rtc: divider ${bits} selects a 4.19/1.05 MHz time base; counting as 32.768 kHz`);
        }
        if (wasStopped && !this.dividerStopped()) {
          // out of divider reset: the first update comes half a second later
          this.phase = t + NS / 2;
        }
        if (!this.frozen()) this.thaw(t);
        this.reschedule(t);
        break;
      }
      case REG_B: {
        const old = this.cmos[REG_B]!;
        if (v & B_SET && !(old & B_SET)) {
          if (!this.frozen()) this.freezeRegs(t);
          v &= ~B_UIE; // setting SET clears UIE (datasheet)
        }
        this.cmos[REG_B] = v;
        if (old & B_SET && !(v & B_SET) && !this.frozen()) this.thaw(t);
        if (v & B_DSE) this.warnOnce('dse', 'rtc: daylight saving (DSE) is not implemented');
        this.reschedule(t);
        break;
      }
      case REG_C:
      case REG_D:
        break; // read-only
      default:
        if (TIME_REGS.includes(i)) {
          if (this.frozen()) {
            this.cmos[i] = v;
          } else {
            // a write to a running clock sets that counter; the divider phase is kept
            this.freezeRegs(t);
            this.cmos[i] = v;
            this.thaw(t);
          }
        } else {
          this.cmos[i] = v;
        }
    }
  }

  // ---- time keeping ----

  private now(): number {
    return Math.floor(this.clock.now());
  }

  private dividerStopped(): boolean {
    return ((this.cmos[REG_A]! >> 4) & 7) > 2;
  }

  /** The time registers hold still: SET, or the divider chain stopped. */
  private frozen(): boolean {
    return (this.cmos[REG_B]! & B_SET) !== 0 || this.dividerStopped();
  }

  private secondsAt(t: number): number {
    return this.epochBase + fdiv(t - this.phase, NS);
  }

  /** Running -> frozen: the registers take the current time in the current format. */
  private freezeRegs(t: number): void {
    const regs = this.timeRegs(this.secondsAt(t));
    for (const r of TIME_REGS) this.cmos[r] = regs[r]!;
  }

  /** Frozen -> running: the clock continues from the registers. */
  private thaw(t: number): void {
    this.epochBase = this.parseRegs() - fdiv(t - this.phase, NS);
  }

  /** Recomputes the next periodic tick and update from the registers. */
  private reschedule(t: number): void {
    const rate = this.cmos[REG_A]! & 0x0f;
    this.nextPeriodic = rate !== 0 && !this.dividerStopped() ? this.periodicAfter(t, rate) : null;
    this.nextUpdate = this.frozen() ? null : this.phase + (fdiv(t - this.phase, NS) + 1) * NS;
  }

  /** The first periodic tick strictly after t. */
  private periodicAfter(t: number, rate: number): number {
    const ticks = rate <= 2 ? 1 << (rate + 6) : 1 << (rate - 1); // of the 32.768 kHz clock
    const elapsed = t - this.phase;
    const w = fdiv(elapsed, NS);
    const rem = elapsed - w * NS; // 0 <= rem < 1e9
    const unit = ticks * NS; // one period is unit / 32768 ns
    const j = fdiv(rem * 32768, unit) + 1;
    return this.phase + w * NS + Math.ceil((j * unit) / 32768);
  }

  /** Brings the flags up to guest time t. */
  private advance(t: number): void {
    if (this.nextPeriodic !== null && t >= this.nextPeriodic) {
      this.flags |= C_PF;
      this.nextPeriodic = this.periodicAfter(t, this.cmos[REG_A]! & 0x0f);
    }
    if (this.nextUpdate !== null && t >= this.nextUpdate) {
      const n = fdiv(t - this.nextUpdate, NS) + 1;
      this.flags |= C_UF;
      // the alarm compares time of day only: a day's worth of updates covers every case
      for (let k = Math.max(0, n - 86400); k < n; k++) {
        if (this.alarmMatches(this.secondsAt(this.nextUpdate + k * NS))) {
          this.flags |= C_AF;
          break;
        }
      }
      this.nextUpdate += n * NS;
    }
  }

  private alarmMatches(secs: number): boolean {
    const sod = secs - fdiv(secs, 86400) * 86400;
    const h = fdiv(sod, 3600);
    const m = fdiv(sod - h * 3600, 60);
    const s = sod - h * 3600 - m * 60;
    const c = this.cmos;
    const dc = (a: number) => (a & 0xc0) === 0xc0;
    if (!dc(c[1]!) && this.dec(c[1]!) !== s) return false;
    if (!dc(c[3]!) && this.dec(c[3]!) !== m) return false;
    if (!dc(c[5]!) && this.decHour(c[5]!) !== h) return false;
    return true;
  }

  private irqf(): boolean {
    const b = this.cmos[REG_B]!;
    return ((this.flags & C_PF) !== 0 && (b & B_PIE) !== 0) ||
      ((this.flags & C_AF) !== 0 && (b & B_AIE) !== 0) ||
      ((this.flags & C_UF) !== 0 && (b & B_UIE) !== 0);
  }

  private updateIrq(): void {
    const level = this.irqf();
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  // ---- register formats ----

  private bcd(): boolean {
    return (this.cmos[REG_B]! & B_DM) === 0;
  }

  private enc(v: number): number {
    return this.bcd() ? ((Math.floor(v / 10) % 10) << 4) | (v % 10) : v;
  }

  private dec(r: number): number {
    return this.bcd() ? (r >> 4) * 10 + (r & 0x0f) : r;
  }

  private encHour(h: number): number {
    if (this.cmos[REG_B]! & B_24H) return this.enc(h);
    return this.enc(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
  }

  private decHour(r: number): number {
    if (this.cmos[REG_B]! & B_24H) return this.dec(r);
    return (this.dec(r & 0x7f) % 12) + (r & 0x80 ? 12 : 0);
  }

  /** Register values (by index) of a time in epoch seconds, in the current format. */
  private timeRegs(secs: number): Record<number, number> {
    const days = fdiv(secs, 86400);
    const sod = secs - days * 86400;
    const h = fdiv(sod, 3600);
    const m = fdiv(sod - h * 3600, 60);
    const s = sod - h * 3600 - m * 60;
    const { y, m: mon, d } = civilFromDays(days);
    const dow = ((((days + 4) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday; Sunday = 1
    return {
      0: this.enc(s),
      2: this.enc(m),
      4: this.encHour(h),
      6: this.enc(dow),
      7: this.enc(d),
      8: this.enc(mon),
      9: this.enc(((y % 100) + 100) % 100),
      [CENTURY]: this.enc(fdiv(y, 100)),
    };
  }

  /** The time the (frozen) registers hold, in epoch seconds. */
  private parseRegs(): number {
    const c = this.cmos;
    const y = this.dec(c[CENTURY]!) * 100 + this.dec(c[9]!);
    const days = daysFromCivil(y, this.dec(c[8]!), this.dec(c[7]!));
    return days * 86400 + this.decHour(c[4]!) * 3600 + this.dec(c[2]!) * 60 + this.dec(c[0]!);
  }

  // ---- CMOS contents ----

  private buildConfig(opts: RtcOptions): void {
    const c = this.cmos;
    const mem = opts.memory;
    const kb = Math.floor(mem / 1024);
    const base = Math.min(640, kb);
    const ext = Math.max(0, Math.min(0xffff, Math.floor((Math.min(mem, 0x100000000) - 0x100000) / 1024)));
    const above16 = Math.max(0, Math.min(0xffff, Math.floor((Math.min(mem, 0x100000000) - 0x1000000) / 65536)));
    c[0x0e] = 0; // diagnostic status: all good
    c[0x0f] = 0; // shutdown status: normal
    c[0x10] = 0; // no floppy drives
    c[0x12] = 0; // no hard disks
    c[0x14] = opts.fpu ? 0x02 : 0x00; // EGA/VGA display, no floppies, coprocessor
    c[0x15] = base & 0xff;
    c[0x16] = base >> 8;
    c[0x17] = ext & 0xff;
    c[0x18] = ext >> 8;
    c[0x30] = ext & 0xff;
    c[0x31] = ext >> 8;
    c[0x34] = above16 & 0xff;
    c[0x35] = above16 >> 8;
    c[0x5b] = c[0x5c] = c[0x5d] = 0; // nothing above 4 GiB
    this.updateChecksum();
    const regs = this.timeRegs(this.secondsAt(this.now()));
    for (const r of TIME_REGS) c[r] = regs[r]!;
  }

  private updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.cmos[i]!;
    this.cmos[0x2e] = (sum >> 8) & 0xff;
    this.cmos[0x2f] = sum & 0xff;
  }

  private warnOnce(key: string, msg: string): void {
    this.once.warn(key, msg);
  }

  save(): Record<string, unknown> {
    return {
      cmos: Array.from(this.cmos),
      index: this.index,
      nmiMask: this.nmiMask,
      phase: this.phase,
      epochBase: this.epochBase,
      flags: this.flags,
      nextPeriodic: this.nextPeriodic,
      nextUpdate: this.nextUpdate,
      irqLevel: this.irqLevel,
    };
  }

  load(s: Record<string, unknown>): void {
    const cm = s.cmos;
    if (!Array.isArray(cm) || cm.length !== 128) throw new Error('rtc: save state field cmos missing or malformed');
    const r = new StateReader('rtc', s);
    const num = (k: string) => r.num(k);
    const numOrNull = (k: string) => (s[k] === null ? null : num(k));
    this.cmos = Uint8Array.from(cm as number[]);
    this.index = num('index');
    this.nmiMask = Boolean(s.nmiMask);
    this.phase = num('phase');
    this.epochBase = num('epochBase');
    this.flags = num('flags');
    this.nextPeriodic = numOrNull('nextPeriodic');
    this.nextUpdate = numOrNull('nextUpdate');
    this.irqLevel = Boolean(s.irqLevel);
    this.irq.set(this.irqLevel);
  }
}
