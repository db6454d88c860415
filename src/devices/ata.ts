/**
 * An ATA (IDE) channel with up to two hard disks, written from ATA/ATAPI-6 (T13 1410D): the
 * primary channel's Command Block registers at 1F0h-1F7h and the Control Block register at 3F6h,
 * INTRQ on ISA IRQ 14.
 *
 * Registers (the chapter "Register descriptions"): 1F0h Data (16-bit PIO; 32-bit and 8-bit
 * accesses move 4 and 1 bytes of the same stream), 1F1h Error / Features, 1F2h Sector Count, 1F3h
 * LBA Low (CHS: sector), 1F4h LBA Mid (cylinder low), 1F5h LBA High (cylinder high), 1F6h Device
 * (bit 6 LBA, bit 4 DEV, bits 3:0 LBA 27:24 or the head), 1F7h Status / Command; 3F6h Alternate
 * Status / Device Control (bit 1 nIEN, bit 2 SRST, bit 7 HOB). Sector Count, LBA and Features are
 * two deep for the 48-bit commands ("48-bit Address feature set"): a write pushes the last value
 * into the "previous" slot, which reads back with HOB set; any Command Block write clears HOB.
 *
 * Commands ("Command descriptions"): IDENTIFY DEVICE (ECh), READ SECTORS (20h/21h), READ SECTORS
 * EXT (24h), READ MULTIPLE (C4h) and EXT (29h), WRITE SECTORS (30h/31h), WRITE SECTORS EXT (34h),
 * WRITE MULTIPLE (C5h) and EXT (39h), SET MULTIPLE MODE (C6h: 0 disables, else a power of two up
 * to 16), READ VERIFY SECTORS (40h/41h) and EXT (42h), READ DMA (C8h/C9h), READ DMA EXT (25h), WRITE
 * DMA (CAh/CBh), WRITE DMA EXT (35h), INITIALIZE DEVICE PARAMETERS (91h), SET FEATURES (EFh:
 * subcommand 03h sets the transfer mode, see setTransferMode; the others accepted and logged once), FLUSH CACHE (E7h) and EXT (EAh),
 * EXECUTE DEVICE DIAGNOSTIC (90h), the power commands IDLE/STANDBY (E0h-E3h, 94h-97h), CHECK POWER
 * MODE (E5h/98h: active) and SLEEP (E6h/99h) as no-ops, RECALIBRATE (1xh) and SEEK (70h). Anything
 * else (NOP, DEVICE RESET and the PACKET commands, which are not for ATA devices, queued DMA,
 * SMART, security) ends with ERR and ABRT in Error, logged once per opcode. CHS (LBA bit clear) uses the
 * current geometry (IDENTIFY words 54-56, changed by 91h); a sector outside it, or an LBA past the
 * end, ends the command with IDNF.
 *
 * Protocols ("Protocol": PIO data-in, PIO data-out, non-data): PIO data-in interrupts at the start
 * of each DRQ block (a sector, or the multiple count); PIO data-out sets DRQ without an interrupt
 * for the first block and interrupts after each block; non-data commands interrupt at completion.
 * The interrupt is pending until the Status register (not Alternate Status) is read or a command
 * is written; INTRQ is the pending bit gated by nIEN. SRST (3F6h bit 2) puts the drives in reset
 * (BSY) while set; clearing it leaves the signature (count 1, LBA 1/0/0, device 0), Error 01h
 * (diagnostics passed) and DRDY|DSC, without an interrupt. With device 1 absent, device 0 answers
 * for it as the standard allows when there is no device 1: the Command Block reads back and Status
 * reads 00h.
 *
 * DMA (protocol "DMA"): a DMA command with a valid address enters its data phase with BSY and
 * DRQ set and waits for the bus master (src/devices/bmide.ts, the PIIX3's Bus Master IDE), which
 * moves the data at a deadline on the virtual clock and calls dmaDone: BSY and DRQ clear and the
 * interrupt comes then, so the guest runs while the transfer is in flight. Command Block writes
 * while a DMA command is in progress are ignored (the host must not write while BSY); SRST
 * ends it. IDENTIFY reports multiword DMA 0-2 (word 63) and UDMA 0-2 (word 88, UDMA/33) with the
 * mode SET FEATURES selected in the high byte, and DMA support in word 49 bit 8. Measured
 * (docs/benchmarks.md): while a 64 KiB READ DMA is in flight (1.996 ms of guest time at the
 * default 33 MB/s) the guest retires about two million instructions of its own; by PIO it
 * retires none beside the transfer. Host throughput for 1 MiB: DMA 200-480 MB/s, PIO (an exit
 * per 16-bit word) 1.4-2.1 MB/s.
 *
 * Deviations, on purpose: PIO and non-data commands complete at once (BSY is never seen outside
 * SRST and DMA); a transfer that would pass the end
 * is refused with IDNF before any data moves (a real drive stops at the bad sector; QEMU answers
 * ABRT there); after a successful transfer the address registers hold the last sector transferred
 * and the count is 0; SET FEATURES is accepted whatever it asks; the drive has no write cache to
 * flush. The IDENTIFY block follows the IDENTIFY DEVICE description with the model "WASMVISOR
 * HARDDISK"; CHS geometry is 16 heads and 63 sectors per track with as many cylinders as fit (up
 * to 16383), as QEMU and Bochs choose for a disk without a partition table (disks under 1008
 * sectors get 1 head); the 48-bit feature set is always reported (words 83/86 bit 10, words
 * 100-103 the whole size) and words 60-61 stop at 0FFFFFFFh.
 *
 * Save state: the registers, each drive's settings (with the DMA modes) and any transfer in
 * progress (buffer and position, or the DMA command waiting for the bus master), and each disk's written sectors (DiskImage's overlay); not the base image.
 */
import { fromBase64, toBase64 } from '../base64.js';
import { OnceLog, StateReader, type Device, type IrqLine, type Logger } from './device.js';
import { DiskImage, SECTOR } from './disk-image.js';

// status bits
export const ST_BSY = 0x80;
export const ST_DRDY = 0x40;
export const ST_DF = 0x20;
export const ST_DSC = 0x10;
export const ST_DRQ = 0x08;
export const ST_ERR = 0x01;
// error bits
export const ER_ABRT = 0x04;
export const ER_IDNF = 0x10;
// device control bits
const DC_NIEN = 0x02;
const DC_SRST = 0x04;
const DC_HOB = 0x80;
// device register
const DEV_LBA = 0x40;
const DEV_DEV = 0x10;

/** Sectors per DRQ block the drive allows for READ/WRITE MULTIPLE (IDENTIFY word 47). */
export const MAX_MULTIPLE = 16;
/** Largest CHS capacity: 16383 cylinders, 16 heads, 63 sectors. */
const CHS_MAX = 16383 * 16 * 63;

export interface AtaOptions {
  /** Command Block base (default 1F0h) and Control Block port (default 3F6h). */
  base?: number;
  control?: number;
  name?: string;
  log?: Logger;
}

/** The default CHS geometry for a disk of `sectors` (see the header). */
export function defaultGeometry(sectors: number): { cylinders: number; heads: number; spt: number } {
  if (sectors >= 16 * 63) return { cylinders: Math.min(16383, Math.floor(sectors / (16 * 63))), heads: 16, spt: 63 };
  const spt = Math.min(63, sectors);
  return { cylinders: Math.max(1, Math.floor(sectors / spt)), heads: 1, spt };
}

class Drive {
  status = ST_DRDY | ST_DSC;
  error = 0x01;
  multiple = 0;
  /** SET FEATURES 03h: the selected multiword DMA mode (0-2) or UDMA mode (0-2), or -1. */
  mdma = -1;
  udma = -1;
  heads: number;
  spt: number;
  readonly geometry;
  constructor(readonly disk: DiskImage) {
    this.geometry = defaultGeometry(disk.sectors);
    this.heads = this.geometry.heads;
    this.spt = this.geometry.spt;
  }

  /** Cylinders of the current (91h) geometry. */
  get cylinders(): number {
    return Math.min(65535, Math.floor(Math.min(this.disk.sectors, CHS_MAX) / (this.heads * this.spt)));
  }

  powerOn(): void {
    this.status = ST_DRDY | ST_DSC;
    this.error = 0x01;
    this.multiple = 0;
    this.mdma = -1;
    this.udma = -1;
    this.heads = this.geometry.heads;
    this.spt = this.geometry.spt;
  }
}

type Dir = 'none' | 'in' | 'out';

export class AtaChannel implements Device {
  readonly name: string;
  readonly ports;
  /** Buffered I/O: the data port's PIO data-in block is a read stream (readStream). */
  readonly fastPorts: readonly number[];
  readonly widths = [1, 2, 4];
  private readonly base: number;
  private readonly ctlPort: number;
  private readonly drives: (Drive | undefined)[];
  private readonly log: Logger;
  private readonly once: OnceLog;

  // the Command Block registers shared by both devices ([current, previous] for the 48-bit ones)
  private feature = [0, 0];
  private count = [0, 0];
  private lbaLow = [0, 0];
  private lbaMid = [0, 0];
  private lbaHigh = [0, 0];
  private device = 0;
  private control = 0;
  private intrq = false;
  private irqLevel = false;

  // the transfer in progress
  private dir: Dir = 'none';
  private buf = new Uint8Array(MAX_MULTIPLE * SECTOR);
  private bufLen = 0;
  private pos = 0;
  /** Next sector to read (data-in) or the first sector of the buffer (data-out). */
  private lba = 0;
  /** Sectors still to transfer after the current block. */
  private remaining = 0;
  private block = 1;
  /** Whether the addressing is LBA48 (2), LBA28 (1) or CHS (0), for the final register update. */
  private mode = 1;
  /** The transfer moves disk sectors (not IDENTIFY's block). */
  private diskXfer = false;
  /** A DMA command waiting for the bus master (src/devices/bmide.ts) to move its data. */
  private dma: { toMemory: boolean; lba: number; sectors: number } | undefined;
  /** Called when a DMA command enters its data phase (the bus master may start). */
  onDmaRequest?: () => void;

  constructor(private readonly irq: IrqLine, disks: [DiskImage?, DiskImage?], opts: AtaOptions = {}) {
    this.base = opts.base ?? 0x1f0;
    this.ctlPort = opts.control ?? 0x3f6;
    this.name = opts.name ?? 'ata0';
    this.ports = [{ start: this.base, count: 8 }, { start: this.ctlPort, count: 1 }];
    this.fastPorts = [this.base];
    this.drives = [disks[0] && new Drive(disks[0]), disks[1] && new Drive(disks[1])];
    if (!this.drives[0] && !this.drives[1]) throw new Error(`${this.name}: no drives`);
    this.log = opts.log ?? (() => {});
    this.once = new OnceLog(this.log);
    this.reset();
  }

  /** The disk behind drive 0 (master) or 1 (slave). */
  disk(n: 0 | 1): DiskImage | undefined {
    return this.drives[n]?.disk;
  }

  /** The drive's CHS geometry as IDENTIFY words 1, 3 and 6 report it (for the BIOS's CMOS). */
  geometry(n: 0 | 1): { cylinders: number; heads: number; spt: number } | undefined {
    return this.drives[n]?.geometry;
  }

  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  /** Hardware reset (power on, RESET-): as SRST, and the drives' settings go back to defaults. */
  reset(): void {
    for (const d of this.drives) d?.powerOn();
    this.control = 0;
    this.softReset();
  }

  private softReset(): void {
    this.dir = 'none';
    this.dma = undefined;
    this.bufLen = this.pos = 0;
    this.remaining = 0;
    this.feature = [0, 0];
    this.count = [1, 0];
    this.lbaLow = [1, 0];
    this.lbaMid = [0, 0];
    this.lbaHigh = [0, 0];
    this.device = 0;
    for (const d of this.drives) {
      if (!d) continue;
      d.status = ST_DRDY | ST_DSC;
      d.error = 0x01;
    }
    this.intrq = false;
    this.updateIrq();
  }

  private get selected(): Drive | undefined {
    return this.drives[(this.device & DEV_DEV) ? 1 : 0];
  }

  // ---- port access ----

  ioRead(port: number, size: number): number {
    if (port === this.base) return this.dataRead(size);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readReg(port + i) << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (port === this.base) return this.dataWrite(size, value);
    for (let i = 0; i < size; i++) this.writeReg(port + i, (value >>> (8 * i)) & 0xff);
  }

  private readReg(port: number): number {
    const d = this.selected;
    if (port === this.ctlPort) return d ? d.status : 0; // Alternate Status: no side effect
    const hob = this.control & DC_HOB ? 1 : 0;
    switch (port - this.base) {
      case 0: return this.dataRead(1);
      case 1: return d ? d.error : 0;
      case 2: return this.count[hob]!;
      case 3: return this.lbaLow[hob]!;
      case 4: return this.lbaMid[hob]!;
      case 5: return this.lbaHigh[hob]!;
      case 6: return this.device | 0xa0; // bits 7 and 5 are obsolete, read as set on most drives
      case 7:
        if (!d) return 0;
        this.intrq = false;
        this.updateIrq();
        return d.status;
      default: return 0xff; // the 3F7h half of the bus is not ours
    }
  }

  private writeReg(port: number, v: number): void {
    if (port === this.ctlPort) return this.writeControl(v);
    if (this.anyBusy()) return; // writes are ignored while BSY (SRST held)
    if (this.dma) {
      // a DMA command in flight (BSY): the host must not write the Command Block
      this.once.warn('wr-dma', `${this.name}: Command Block write while a DMA command is in progress: ignored`);
      return;
    }
    this.control &= ~DC_HOB;
    const push = (r: number[]) => { r[1] = r[0]!; r[0] = v; };
    switch (port - this.base) {
      case 0: return this.dataWrite(1, v);
      case 1: return push(this.feature);
      case 2: return push(this.count);
      case 3: return push(this.lbaLow);
      case 4: return push(this.lbaMid);
      case 5: return push(this.lbaHigh);
      case 6: this.device = v & 0x5f; return;
      case 7: return this.command(v);
    }
  }

  private anyBusy(): boolean {
    return (this.control & DC_SRST) !== 0;
  }

  private writeControl(v: number): void {
    const was = this.control;
    this.control = v & (DC_HOB | DC_SRST | DC_NIEN);
    if (v & DC_SRST && !(was & DC_SRST)) {
      // reset asserted: transfers stop, the drives are busy until SRST clears
      this.dir = 'none';
      this.dma = undefined;
      this.intrq = false;
      for (const d of this.drives) if (d) d.status = ST_BSY;
    } else if (!(v & DC_SRST) && was & DC_SRST) {
      this.softReset();
    }
    this.updateIrq();
  }

  // ---- the data port ----

  /** Buffered I/O: during a PIO data-in block, the rest of it is what the next data-port reads
   * return (8-, 16- and 32-bit reads take the same byte stream), so the core may serve them. */
  readStream(port: number): Uint8Array | undefined {
    if (port !== this.base || this.dir !== 'in' || this.pos >= this.bufLen) return undefined;
    return this.buf.subarray(this.pos, this.bufLen);
  }

  /** The guest read n bytes of the stream: as n one-byte reads (the last ends the block). */
  consumeStream(port: number, n: number): void {
    if (port !== this.base || this.dir !== 'in') return;
    this.pos = Math.min(this.bufLen, this.pos + n);
    if (this.pos >= this.bufLen) this.blockDone();
  }

  private dataRead(size: number): number {
    if (this.dir !== 'in') {
      this.once.warn('rd-nodrq', `${this.name}: data port read without DRQ`);
      return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    }
    let v = 0;
    for (let i = 0; i < size && this.pos < this.bufLen; i++) v |= this.buf[this.pos++]! << (8 * i);
    if (this.pos >= this.bufLen) this.blockDone();
    return v >>> 0;
  }

  private dataWrite(size: number, value: number): void {
    if (this.dir !== 'out') {
      this.once.warn('wr-nodrq', `${this.name}: data port write without DRQ`);
      return;
    }
    for (let i = 0; i < size && this.pos < this.bufLen; i++) this.buf[this.pos++] = (value >>> (8 * i)) & 0xff;
    if (this.pos >= this.bufLen) this.blockDone();
  }

  /** The host has moved the whole DRQ block. */
  private blockDone(): void {
    const d = this.selected!;
    if (this.dir === 'out') {
      const n = this.bufLen / SECTOR;
      for (let i = 0; i < n; i++) d.disk.write(this.lba + i, this.buf, i * SECTOR);
      this.lba += n;
      if (this.remaining > 0) {
        this.loadBlock(d);
        this.raise();
      } else {
        this.finish(d, this.lba - 1);
        this.raise();
      }
      return;
    }
    if (this.remaining > 0) {
      this.loadBlock(d);
      this.raise();
    } else {
      this.dir = 'none';
      d.status = ST_DRDY | ST_DSC;
      if (this.diskXfer) this.setAddress(this.lba - 1, 0);
    }
  }

  /** Sets up the next DRQ block: data-in reads it from the disk, data-out waits for it. */
  private loadBlock(d: Drive): void {
    const n = Math.min(this.block, this.remaining);
    this.remaining -= n;
    this.bufLen = n * SECTOR;
    this.pos = 0;
    if (this.dir === 'in') {
      for (let i = 0; i < n; i++) d.disk.read(this.lba + i, this.buf, i * SECTOR);
      this.lba += n;
    }
    d.status = ST_DRDY | ST_DSC | ST_DRQ;
  }

  /** A data-out command's end: registers, status. */
  private finish(d: Drive, last: number): void {
    this.dir = 'none';
    d.status = ST_DRDY | ST_DSC;
    this.setAddress(last, 0);
  }

  // ---- commands ----

  private command(cmd: number): void {
    this.intrq = false; // a command write clears a pending interrupt (a new one is a new edge)
    this.updateIrq();
    const d = this.selected;
    if (cmd === 0x90) return this.diagnostic();
    if (!d) return; // device 1 absent: nobody executes it
    this.dir = 'none';
    this.dma = undefined;
    d.error = 0;
    switch (cmd) {
      case 0xec: return this.identify(d);
      case 0x20: case 0x21: return this.transfer(d, 'in', false, 1);
      case 0x24: return this.transfer(d, 'in', true, 1);
      case 0xc4: case 0x29: return d.multiple ? this.transfer(d, 'in', cmd === 0x29, d.multiple) : this.abort(d, cmd);
      case 0x30: case 0x31: return this.transfer(d, 'out', false, 1);
      case 0x34: return this.transfer(d, 'out', true, 1);
      case 0xc5: case 0x39: return d.multiple ? this.transfer(d, 'out', cmd === 0x39, d.multiple) : this.abort(d, cmd);
      case 0x40: case 0x41: case 0x42: return this.verify(d, cmd === 0x42);
      case 0xc8: case 0xc9: return this.dmaCommand(d, true, false);
      case 0x25: return this.dmaCommand(d, true, true);
      case 0xca: case 0xcb: return this.dmaCommand(d, false, false);
      case 0x35: return this.dmaCommand(d, false, true);
      case 0xc6: {
        const n = this.count[0]!;
        if (n !== 0 && (n > MAX_MULTIPLE || (n & (n - 1)) !== 0)) return this.abort(d, cmd);
        d.multiple = n;
        return this.complete(d);
      }
      case 0x91: {
        const spt = this.count[0]!;
        if (spt === 0) return this.abort(d, cmd);
        d.spt = spt;
        d.heads = (this.device & 0x0f) + 1;
        return this.complete(d);
      }
      case 0xef:
        if (this.feature[0] === 0x03) return this.setTransferMode(d);
        this.once.warn(`setf-${this.feature[0]}`, `${this.name}: SET FEATURES ${hex(this.feature[0]!)} (count ${hex(this.count[0]!)}) accepted`);
        return this.complete(d);
      case 0xe5: case 0x98:
        this.count[0] = 0xff; // active or idle
        return this.complete(d);
      case 0xe7: case 0xea: // FLUSH CACHE (EXT): nothing is cached
      case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6: // STANDBY/IDLE (IMMEDIATE), SLEEP
      case 0x94: case 0x95: case 0x96: case 0x97: case 0x99:
        return this.complete(d);
      case 0x70: {
        const a = this.address(d, false);
        return a === undefined ? this.idnf(d) : this.complete(d);
      }
      default:
        if (cmd >= 0x10 && cmd <= 0x1f) return this.complete(d); // RECALIBRATE
        return this.abort(d, cmd);
    }
  }

  private identify(d: Drive): void {
    this.buf.set(identifyBlock(d.disk.sectors, d.geometry, { heads: d.heads, spt: d.spt, cylinders: d.cylinders }, d.multiple, { mdma: d.mdma, udma: d.udma }));
    this.dir = 'in';
    this.bufLen = SECTOR;
    this.pos = 0;
    this.remaining = 0;
    this.diskXfer = false;
    d.status = ST_DRDY | ST_DSC | ST_DRQ;
    this.raise();
  }

  /** The addressed sector from the registers, or undefined when it is outside the disk (or CHS geometry). */
  private address(d: Drive, ext: boolean): number | undefined {
    let lba: number;
    if (ext) {
      lba = (this.lbaHigh[1]! * 2 ** 40) + (this.lbaMid[1]! * 2 ** 32) + (this.lbaLow[1]! * 2 ** 24) + ((this.lbaHigh[0]! << 16) | (this.lbaMid[0]! << 8) | this.lbaLow[0]!);
    } else if (this.device & DEV_LBA) {
      lba = (((this.device & 0x0f) << 24) | (this.lbaHigh[0]! << 16) | (this.lbaMid[0]! << 8) | this.lbaLow[0]!) >>> 0;
    } else {
      const c = (this.lbaHigh[0]! << 8) | this.lbaMid[0]!;
      const h = this.device & 0x0f;
      const s = this.lbaLow[0]!;
      if (s === 0 || s > d.spt || h >= d.heads || c >= d.cylinders) return undefined;
      lba = (c * d.heads + h) * d.spt + s - 1;
    }
    return lba < d.disk.sectors ? lba : undefined;
  }

  private sectorCount(ext: boolean): number {
    if (ext) return ((this.count[1]! << 8) | this.count[0]!) || 65536;
    return this.count[0]! || 256;
  }

  private transfer(d: Drive, dir: 'in' | 'out', ext: boolean, block: number): void {
    const lba = this.address(d, ext);
    const n = this.sectorCount(ext);
    if (lba === undefined || lba + n > d.disk.sectors) return this.idnf(d);
    this.mode = ext ? 2 : this.device & DEV_LBA ? 1 : 0;
    this.dir = dir;
    this.lba = lba;
    this.remaining = n;
    this.block = block;
    this.diskXfer = true;
    this.loadBlock(d);
    if (dir === 'in') this.raise(); // data-out: the first block is asked for without an interrupt
  }

  /** SET FEATURES 03h, Set transfer mode: the count register's mode (ATA/ATAPI-6 table "Transfer
   * mode values"): 00h/01h PIO default, 08h-0Ch PIO 0-4, 20h-22h multiword DMA 0-2, 40h-42h
   * UDMA 0-2; a DMA mode selection clears the other kind's. Anything else aborts. */
  private setTransferMode(d: Drive): void {
    const v = this.count[0]!;
    const mode = v & 7;
    if (v <= 1 || (v >= 0x08 && v <= 0x0c)) return this.complete(d);
    if ((v & 0xf8) === 0x20 && mode <= 2) { d.mdma = mode; d.udma = -1; return this.complete(d); }
    if ((v & 0xf8) === 0x40 && mode <= 2) { d.udma = mode; d.mdma = -1; return this.complete(d); }
    this.once.warn(`xfer-${v}`, `${this.name}: SET FEATURES transfer mode ${hex(v)} not supported: aborted`);
    return this.fail(d, ER_ABRT);
  }

  /** READ/WRITE DMA (EXT): the drive enters the data phase (BSY, DRQ) and waits for the bus master. */
  private dmaCommand(d: Drive, toMemory: boolean, ext: boolean): void {
    const lba = this.address(d, ext);
    const n = this.sectorCount(ext);
    if (lba === undefined || lba + n > d.disk.sectors) return this.idnf(d);
    this.mode = ext ? 2 : this.device & DEV_LBA ? 1 : 0;
    this.dma = { toMemory, lba, sectors: n };
    d.status = ST_BSY | ST_DRDY | ST_DSC | ST_DRQ;
    this.onDmaRequest?.();
  }

  /** The DMA command waiting for its data, if any: direction and length in bytes. */
  dmaPending(): { toMemory: boolean; bytes: number } | undefined {
    return this.dma && { toMemory: this.dma.toMemory, bytes: this.dma.sectors * SECTOR };
  }

  /** READ DMA's data: the command's sectors from the disk. */
  dmaReadData(): Uint8Array {
    const x = this.dma;
    if (!x || !x.toMemory) throw new Error(`${this.name}: no READ DMA in progress`);
    const d = this.selected!;
    const out = new Uint8Array(x.sectors * SECTOR);
    for (let i = 0; i < x.sectors; i++) d.disk.read(x.lba + i, out, i * SECTOR);
    return out;
  }

  /** The bus master ends the data phase. WRITE DMA: `data` holds the whole transfer (written to
   * the disk). `error`: the transfer failed (a PRD table too short, a target that is not RAM);
   * the command ends with ABRT, as the drive sees its data phase cut off, and no sector is written. */
  dmaDone(data: Uint8Array | undefined, error: boolean): void {
    const x = this.dma;
    if (!x) return;
    const d = this.selected!;
    this.dma = undefined;
    if (error) return this.fail(d, ER_ABRT);
    if (!x.toMemory) {
      if (!data || data.length < x.sectors * SECTOR) return this.fail(d, ER_ABRT);
      for (let i = 0; i < x.sectors; i++) d.disk.write(x.lba + i, data, i * SECTOR);
    }
    d.status = ST_DRDY | ST_DSC;
    this.setAddress(x.lba + x.sectors - 1, 0);
    this.raise();
  }

  private verify(d: Drive, ext: boolean): void {
    const lba = this.address(d, ext);
    const n = this.sectorCount(ext);
    if (lba === undefined || lba + n > d.disk.sectors) return this.idnf(d);
    this.mode = ext ? 2 : this.device & DEV_LBA ? 1 : 0;
    this.setAddress(lba + n - 1, 0);
    this.complete(d);
  }

  private diagnostic(): void {
    this.softReset();
    this.raise();
  }

  /** Writes a sector address back into the registers in the command's addressing mode. */
  private setAddress(lba: number, count: number): void {
    if (this.mode === 2) {
      this.lbaLow = [lba & 0xff, Math.floor(lba / 2 ** 24) & 0xff];
      this.lbaMid = [(lba >>> 8) & 0xff, Math.floor(lba / 2 ** 32) & 0xff];
      this.lbaHigh = [(lba >>> 16) & 0xff, Math.floor(lba / 2 ** 40) & 0xff];
      this.count = [count & 0xff, (count >> 8) & 0xff];
    } else if (this.mode === 1) {
      this.lbaLow[0] = lba & 0xff;
      this.lbaMid[0] = (lba >>> 8) & 0xff;
      this.lbaHigh[0] = (lba >>> 16) & 0xff;
      this.device = (this.device & 0xf0) | ((lba >>> 24) & 0x0f);
      this.count[0] = count & 0xff;
    } else {
      const d = this.selected!;
      const s = (lba % d.spt) + 1;
      const t = Math.floor(lba / d.spt);
      const h = t % d.heads;
      const c = Math.floor(t / d.heads);
      this.lbaLow[0] = s;
      this.lbaMid[0] = c & 0xff;
      this.lbaHigh[0] = (c >> 8) & 0xff;
      this.device = (this.device & 0xf0) | h;
      this.count[0] = count & 0xff;
    }
  }

  private complete(d: Drive): void {
    d.status = ST_DRDY | ST_DSC;
    this.raise();
  }

  private fail(d: Drive, error: number): void {
    this.dir = 'none';
    d.error = error;
    d.status = ST_DRDY | ST_DSC | ST_ERR;
    this.raise();
  }

  private abort(d: Drive, cmd: number): void {
    this.once.warn(`cmd-${cmd}`, `${this.name}: command ${hex(cmd)} not supported: aborted`);
    this.fail(d, ER_ABRT);
  }

  private idnf(d: Drive): void {
    this.fail(d, ER_IDNF);
  }

  private raise(): void {
    this.intrq = true;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.intrq && !(this.control & DC_NIEN) && !(this.control & DC_SRST);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  // ---- save state ----

  save(): Record<string, unknown> {
    return {
      feature: [...this.feature], count: [...this.count], lbaLow: [...this.lbaLow], lbaMid: [...this.lbaMid], lbaHigh: [...this.lbaHigh],
      device: this.device, control: this.control, intrq: this.intrq, irqLevel: this.irqLevel,
      dir: this.dir, buf: toBase64(this.buf.subarray(0, this.bufLen)), pos: this.pos, lba: this.lba,
      remaining: this.remaining, block: this.block, mode: this.mode, diskXfer: this.diskXfer,
      dma: this.dma ? [this.dma.toMemory ? 1 : 0, this.dma.lba, this.dma.sectors] : null,
      drives: this.drives.map((d) => d && {
        status: d.status, error: d.error, multiple: d.multiple, heads: d.heads, spt: d.spt, mdma: d.mdma, udma: d.udma, disk: d.disk.save(),
      }),
    };
  }

  load(s: Record<string, unknown>): void {
    const r = new StateReader(this.name, s);
    const pair = (k: string) => {
      const a = r.arr(k);
      if (a.length !== 2) throw new Error(`${this.name}: save state field ${k} malformed`);
      return a;
    };
    const drives = s.drives;
    if (!Array.isArray(drives) || drives.length !== 2) throw new Error(`${this.name}: save state field drives missing`);
    this.drives.forEach((d, i) => {
      const ds = drives[i] as Record<string, unknown> | null;
      if (!d !== !ds) throw new Error(`${this.name}: save state has ${ds ? 'a' : 'no'} drive ${i}, this machine ${d ? 'has one' : 'does not'}`);
      if (!d || !ds) return;
      const dr = new StateReader(`${this.name} drive ${i}`, ds);
      d.disk.load(ds.disk as Record<string, unknown>);
      d.status = dr.num('status');
      d.error = dr.num('error');
      d.multiple = dr.num('multiple');
      d.heads = dr.num('heads');
      d.spt = dr.num('spt');
      d.mdma = typeof ds.mdma === 'number' ? ds.mdma : -1; // states from before DMA lack them
      d.udma = typeof ds.udma === 'number' ? ds.udma : -1;
    });
    this.feature = pair('feature');
    this.count = pair('count');
    this.lbaLow = pair('lbaLow');
    this.lbaMid = pair('lbaMid');
    this.lbaHigh = pair('lbaHigh');
    this.device = r.num('device');
    this.control = r.num('control');
    this.intrq = Boolean(s.intrq);
    const dir = s.dir;
    if (dir !== 'none' && dir !== 'in' && dir !== 'out') throw new Error(`${this.name}: save state field dir malformed`);
    this.dir = dir;
    const buf = fromBase64(String(s.buf ?? ''));
    if (buf.length > this.buf.length) throw new Error(`${this.name}: save state field buf too long`);
    this.buf.fill(0);
    this.buf.set(buf);
    this.bufLen = buf.length;
    this.pos = r.num('pos');
    this.lba = r.num('lba');
    this.remaining = r.num('remaining');
    this.block = r.num('block');
    this.mode = r.num('mode');
    this.diskXfer = Boolean(s.diskXfer);
    if (s.dma === undefined || s.dma === null) this.dma = undefined;
    else {
      const a = r.arr('dma');
      if (a.length !== 3 || !(a[2]! >= 1)) throw new Error(`${this.name}: save state field dma malformed`);
      this.dma = { toMemory: a[0] === 1, lba: a[1]!, sectors: a[2]! };
    }
    this.irqLevel = Boolean(s.irqLevel);
    this.irq.set(this.irqLevel);
  }
}

const hex = (v: number) => `${v.toString(16).padStart(2, '0')}h`;

/** ATA strings: two characters a word, the first in the high byte, padded with spaces. */
function putString(b: Uint8Array, word: number, words: number, s: string): void {
  const t = s.padEnd(words * 2, ' ');
  for (let i = 0; i < words * 2; i++) b[word * 2 + (i ^ 1)] = t.charCodeAt(i) & 0x7f;
}

/** The 512-byte IDENTIFY DEVICE data (ATA/ATAPI-6, IDENTIFY DEVICE) of a drive. */
export function identifyBlock(
  sectors: number,
  geo: { cylinders: number; heads: number; spt: number },
  cur: { cylinders: number; heads: number; spt: number },
  multiple: number,
  dma: { mdma: number; udma: number } = { mdma: -1, udma: -1 },
): Uint8Array {
  const b = new Uint8Array(SECTOR);
  const w = (i: number, v: number) => { b[2 * i] = v & 0xff; b[2 * i + 1] = (v >>> 8) & 0xff; };
  w(0, 0x0040); // ATA device, fixed
  w(1, geo.cylinders);
  w(3, geo.heads);
  w(6, geo.spt);
  putString(b, 10, 10, `WV${sectors.toString(16).toUpperCase().padStart(8, '0')}`); // serial number
  putString(b, 23, 4, '1.0'); // firmware revision
  putString(b, 27, 20, 'WASMVISOR HARDDISK'); // model number
  w(47, 0x8000 | MAX_MULTIPLE);
  w(49, 0x0300); // LBA and DMA supported (no IORDY)
  w(50, 0x4000);
  w(51, 0x0200); // PIO timing mode 2 (obsolete word)
  w(53, 0x0007); // words 54-58, 64-70 and 88 valid
  const chs = cur.cylinders * cur.heads * cur.spt;
  w(54, cur.cylinders);
  w(55, cur.heads);
  w(56, cur.spt);
  w(57, chs & 0xffff);
  w(58, chs >>> 16);
  w(59, multiple ? 0x0100 | multiple : 0);
  const lba28 = Math.min(sectors, 0x0fffffff);
  w(60, lba28 & 0xffff);
  w(61, lba28 >>> 16);
  w(63, 0x0007 | (dma.mdma >= 0 ? 0x100 << dma.mdma : 0)); // multiword DMA 0-2 supported, the selected one
  w(64, 0x0003); // PIO modes 3 and 4
  w(65, 120); w(66, 120); w(67, 120); w(68, 120); // cycle times (ns)
  w(80, 0x007e); // ATA-1 to ATA/ATAPI-6
  w(82, 0x4000); // NOP supported (it aborts, as the standard says it does)
  w(83, 0x4000 | 0x2000 | 0x1000 | 0x0400); // FLUSH CACHE EXT, FLUSH CACHE, 48-bit address
  w(84, 0x4000);
  w(85, 0x4000);
  w(86, 0x2000 | 0x1000 | 0x0400);
  w(87, 0x4000);
  w(88, 0x0007 | (dma.udma >= 0 ? 0x100 << dma.udma : 0)); // UDMA 0-2 (33 MB/s) supported, the selected one
  w(93, 0x4000 | 0x000b); // device 0: jumper, passed diagnostics
  for (let i = 0; i < 4; i++) w(100 + i, Math.floor(sectors / 2 ** (16 * i)) & 0xffff);
  // word 255: signature A5h and a checksum that makes the 512 bytes sum to 0
  b[510] = 0xa5;
  let sum = 0;
  for (let i = 0; i < 511; i++) sum += b[i]!;
  b[511] = (256 - (sum & 0xff)) & 0xff;
  return b;
}
