/**
 * Bus Master IDE (Intel 82371SB PIIX3 datasheet, 2.7 "Bus Master IDE Registers" and 3.2 "IDE
 * Interface": Bus Master IDE function) for the primary ATA channel of src/devices/ata.ts, with
 * asynchronous completion on the virtual clock: the guest starts a transfer and keeps running
 * while it is "in flight" (Xen's HVM lesson: let disk DMA complete while the guest runs).
 *
 * Registers (16 bytes of I/O space at BMIBA, PCI config 20h of the IDE function, see
 * piix3-ide.ts; the primary channel at +0, the secondary's at +8 are stored but there is no
 * secondary channel): BMICOM (+0: bit 0 Start/Stop Bus Master, bit 3 Read/Write Control, 1 = the
 * bus master writes memory, i.e. READ DMA), BMISTA (+2: bit 0 Active, read only; bit 1 Error and
 * bit 2 Interrupt, write 1 to clear; bits 5/6 Drive 0/1 DMA Capable, read/write), BMIDTP (+4,
 * dword: the Physical Region Descriptor table's address, bits 1:0 read 0). Bytes +1 and +3 read
 * 0. Any access width; wider accesses cover the consecutive registers.
 *
 * The PRD table (3.2, "Physical Region Descriptor Format"): 8-byte entries in guest physical
 * memory, dword 0 the region's base (bit 0 ignored), dword 1 bits 15:1 the byte count (0 means
 * 64 KiB) and bit 31 EOT. At most 8192 entries (64 KiB of table) are followed.
 *
 * Timing (the model, not the part): the transfer takes DMA_LATENCY_NS (a fixed 10 us command
 * overhead) plus bytes / rate, with rate DMA_RATE = 33 MB/s (UDMA mode 2) unless configured
 * (`rate`; 0 completes at the next device service). Guest time in deterministic mode is the
 * instruction count plus idle time, so the completion instruction is the same on every run. It
 * starts when both the ATA command is in its data phase and Start is set (either order). At the
 * deadline the data moves in one go between the disk and guest memory, then the drive ends the
 * command (BSY and DRQ clear, INTRQ: IRQ 14), which sets BMISTA.Interrupt; Active clears if the
 * PRD table ended (EOT) on the transfer's last byte or later, and stays set when the table is
 * larger than the transfer (as the datasheet describes).
 *
 * Deviations: clearing Start before the deadline stops the engine with no data moved (the drive
 * stays in its data phase, BSY; a new Start begins the whole transfer again; SRST ends it), as
 * the data only moves at the deadline. A PRD table shorter than the transfer, a region that is
 * not RAM (MMIO, unmapped, ROM for a write to memory; logged once) or bus mastering disabled in
 * PCICMD end the transfer with BMISTA.Error set and the drive's command aborted (ABRT, an
 * interrupt): the part would hang or master-abort. Interrupt follows IRQ 14's rising edges
 * (PIO ones too, as the part's IDE interrupt input does).
 *
 * Measured (docs/benchmarks.md, test/ata-dma-guest.test.ts with test/guests/ata-dma.asm): a
 * 64 KiB READ DMA at 33 MB/s is in flight for 1.996 ms of guest time, in which the guest's
 * 3-instruction wait loop runs 665,313 times (about two million instructions, the same on every
 * run); the same 64 KiB by PIO leaves the guest none, as it moves every word itself. Host
 * throughput for 1 MiB: DMA 200-480 MB/s, PIO (16-bit REP INSW, an exit per word) 1.4-2.1 MB/s.
 */
import { OnceLog, StateReader, type Clock, type Device, type IrqLine, type Logger, type PortRange } from './device.js';
import type { AtaChannel } from './ata.js';

/** Default modelled transfer rate, bytes per second of guest time (UDMA mode 2). */
export const DMA_RATE = 33_000_000;
/** Fixed per-command latency of the model (ns). */
export const DMA_LATENCY_NS = 10_000;

export const BM_START = 0x01;
export const BM_READ = 0x08; // the bus master writes memory
export const BS_ACTIVE = 0x01;
export const BS_ERROR = 0x02;
export const BS_INTR = 0x04;
const BS_CAPABLE = 0x60;
const MAX_PRDS = 8192;

/** Guest physical memory as the bus master reaches it. */
export interface DmaMemory {
  /** A copy of [addr, addr + len), or undefined when any of it is not RAM or ROM. */
  read(addr: number, len: number): Uint8Array | undefined;
  /** Writes bytes at addr; false when any of it is not RAM (nothing is written then). */
  write(addr: number, bytes: Uint8Array): boolean;
}

export interface BmideOptions {
  /** Bytes per second of guest time; 0: complete at the next device service. Default DMA_RATE. */
  rate?: number;
  /** Fixed latency per transfer (ns), ignored with rate 0. Default DMA_LATENCY_NS. */
  latencyNs?: number;
  /** PCICMD's Bus Master Enable (default: always on). */
  busMaster?: () => boolean;
  log?: Logger;
}

export class BusMasterIde implements Device {
  readonly name = 'bmide';
  /** Decoded ports: the machine's I/O bus moves them with BAR4 (IoBus.remap). */
  readonly ports: PortRange[] = [];
  readonly widths = [1, 2, 4];
  private base: number | undefined;
  private readonly cmd = [0, 0];
  private readonly status = [0, 0];
  private readonly dtp = [0, 0];
  private deadline: number | undefined;
  private readonly rate: number;
  private readonly latency: number;
  private readonly log: Logger;
  private readonly once: OnceLog;

  constructor(private readonly ata: AtaChannel, private readonly mem: DmaMemory, private readonly clock: Clock, private readonly opts: BmideOptions = {}) {
    this.rate = opts.rate ?? DMA_RATE;
    if (!(this.rate >= 0) || !Number.isFinite(this.rate)) throw new Error(`bmide: bad DMA rate ${this.rate}`);
    this.latency = opts.latencyNs ?? DMA_LATENCY_NS;
    this.log = opts.log ?? (() => {});
    this.once = new OnceLog(this.log);
    ata.onDmaRequest = () => this.maybeSchedule();
    this.reset();
  }

  /** The IRQ line between the drive and the PICs: a rising edge sets BMISTA.Interrupt. */
  irqLine(out: IrqLine): IrqLine {
    let level = false;
    return {
      set: (l: boolean) => {
        if (l && !level) this.status[0]! |= BS_INTR;
        level = l;
        out.set(l);
      },
    };
  }

  /** BAR4's decoded address (undefined: not decoded); the owner moves the ports on the bus. */
  setBase(base: number | undefined): void {
    this.base = base;
    this.ports.length = 0;
    if (base !== undefined) this.ports.push({ start: base, count: 16 });
  }

  reset(): void {
    this.cmd.fill(0);
    this.status.fill(0);
    this.dtp.fill(0);
    this.deadline = undefined;
  }

  /** The completion deadline of the transfer in flight (ns), if any. */
  get pendingDeadline(): number | undefined {
    return this.deadline;
  }

  ioRead(port: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte((port + i - (this.base ?? port)) & 0xf) << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte((port + i - (this.base ?? port)) & 0xf, (value >>> (8 * i)) & 0xff);
  }

  private readByte(off: number): number {
    const ch = off >> 3;
    switch (off & 7) {
      case 0: return this.cmd[ch]!;
      case 2: return this.status[ch]!;
      case 4: case 5: case 6: case 7: return (this.dtp[ch]! >>> (8 * ((off & 7) - 4))) & 0xff;
      default: return 0;
    }
  }

  private writeByte(off: number, v: number): void {
    const ch = off >> 3;
    switch (off & 7) {
      case 0: return this.writeCommand(ch, v);
      case 2: {
        const s = this.status[ch]!;
        this.status[ch] = (s & BS_ACTIVE) | (s & (BS_ERROR | BS_INTR) & ~v) | (v & BS_CAPABLE);
        return;
      }
      case 4: case 5: case 6: case 7: {
        const sh = 8 * ((off & 7) - 4);
        this.dtp[ch] = ((this.dtp[ch]! & ~(0xff << sh)) | (v << sh)) & 0xfffffffc;
        this.dtp[ch] = this.dtp[ch]! >>> 0;
        return;
      }
    }
  }

  private writeCommand(ch: number, v: number): void {
    const was = this.cmd[ch]!;
    // Read/Write Control is not to change while the engine runs: keep it then
    const dir = was & BM_START ? was & BM_READ : v & BM_READ;
    this.cmd[ch] = (v & BM_START) | dir;
    if (ch !== 0) {
      if (v & BM_START) this.once.warn('sec', 'bmide: the secondary channel has no drives: its engine does nothing');
      return;
    }
    if (v & BM_START && !(was & BM_START)) {
      this.status[0]! |= BS_ACTIVE;
      this.maybeSchedule();
    } else if (!(v & BM_START) && was & BM_START) {
      this.status[0]! &= ~BS_ACTIVE;
      if (this.deadline !== undefined) this.once.warn('stop', 'bmide: engine stopped with a transfer in flight: no data moved');
      this.deadline = undefined;
    }
  }

  /** Starts the clock when the engine runs and the drive waits for its data. */
  private maybeSchedule(): void {
    if (!(this.cmd[0]! & BM_START) || this.deadline !== undefined) return;
    const x = this.ata.dmaPending();
    if (!x) return;
    const now = this.clock.now();
    this.deadline = this.rate === 0 ? now : Math.round(now + this.latency + (x.bytes * 1e9) / this.rate);
  }

  tick(now: number): number | undefined {
    if (this.deadline !== undefined && now >= this.deadline) {
      this.deadline = undefined;
      this.complete();
    }
    return this.deadline;
  }

  private fail(why: string): void {
    this.once.warn(`err-${why.slice(0, 20)}`, `bmide: ${why}: transfer ended with Error`);
    this.status[0] = (this.status[0]! | BS_ERROR) & ~BS_ACTIVE;
    this.ata.dmaDone(undefined, true);
  }

  /** The deadline: walk the PRD table and move the data in one go. */
  private complete(): void {
    const x = this.ata.dmaPending();
    if (!x) return; // the command went away (SRST)
    if (this.opts.busMaster && !this.opts.busMaster()) return this.fail('bus mastering disabled in PCICMD');
    if (x.toMemory !== ((this.cmd[0]! & BM_READ) !== 0)) return this.fail('BMICOM direction does not match the ATA command');
    const data = x.toMemory ? this.ata.dmaReadData() : new Uint8Array(x.bytes);
    let done = 0;
    let eot = false;
    for (let i = 0; i < MAX_PRDS && done < x.bytes && !eot; i++) {
      const prd = this.mem.read((this.dtp[0]! + 8 * i) >>> 0, 8);
      if (!prd) return this.fail(`PRD table at ${hex(this.dtp[0]! + 8 * i)} is not in RAM`);
      const dv = new DataView(prd.buffer);
      const addr = dv.getUint32(0, true) & 0xfffffffe;
      const w1 = dv.getUint32(4, true);
      eot = (w1 & 0x80000000) !== 0;
      const len = Math.min((w1 & 0xfffe) || 0x10000, x.bytes - done);
      if (x.toMemory) {
        if (!this.mem.write(addr, data.subarray(done, done + len))) return this.fail(`region ${hex(addr)}+${hex(len)} is not RAM`);
      } else {
        const src = this.mem.read(addr, len);
        if (!src) return this.fail(`region ${hex(addr)}+${hex(len)} is not RAM`);
        data.set(src, done);
      }
      done += len;
    }
    if (done < x.bytes) return this.fail(eot ? 'PRD table shorter than the transfer' : 'PRD table without EOT in 8192 entries');
    if (eot) this.status[0]! &= ~BS_ACTIVE;
    this.ata.dmaDone(x.toMemory ? undefined : data, false);
  }

  save(): Record<string, unknown> {
    return { cmd: [...this.cmd], status: [...this.status], dtp: [...this.dtp], deadline: this.deadline ?? null };
  }

  load(s: Record<string, unknown>): void {
    const r = new StateReader(this.name, s);
    for (const k of ['cmd', 'status', 'dtp'] as const) {
      const a = r.arr(k);
      if (a.length !== 2) throw new Error(`bmide: save state field ${k} malformed`);
      this[k][0] = a[0]!;
      this[k][1] = a[1]!;
    }
    this.deadline = s.deadline === null || s.deadline === undefined ? undefined : r.num('deadline');
  }
}

const hex = (v: number) => `${(v >>> 0).toString(16)}h`;
