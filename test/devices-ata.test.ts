/**
 * The ATA channel (src/devices/ata.ts) alone on the I/O bus: IDENTIFY DEVICE checked word by
 * word against ATA/ATAPI-6, PIO reads and writes with CHS, LBA28 and LBA48 addressing,
 * READ/WRITE MULTIPLE, IDNF and ABRT, the interrupt (per DRQ block, cleared by Status, gated by
 * nIEN), the SRST signature, and the save state round trip. Then the bus master
 * (src/devices/bmide.ts) with a fake guest memory and a virtual clock: PRD tables, EOT, 64 KiB
 * regions, errors, BMISTA's write-1-to-clear bits, stopping, the deadline, the save state.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../src/devices/device.js';
import { AtaChannel, ER_ABRT, ER_IDNF, ST_BSY, ST_DRDY, ST_DRQ, ST_DSC, ST_ERR, defaultGeometry } from '../src/devices/ata.js';
import { DiskImage } from '../src/devices/disk-image.js';
import { FakeIrq, VirtualClock } from './helpers/device-fakes.js';
import { BM_READ, BM_START, BS_ACTIVE, BS_ERROR, BS_INTR, BusMasterIde, DMA_LATENCY_NS, DMA_RATE, type DmaMemory } from '../src/devices/bmide.js';

const DATA = 0x1f0, ERR = 0x1f1, FEAT = 0x1f1, COUNT = 0x1f2, LOW = 0x1f3, MID = 0x1f4, HIGH = 0x1f5, DEV = 0x1f6, STATUS = 0x1f7, CMD = 0x1f7, CTL = 0x3f6, ALT = 0x3f6;

/** A disk whose every sector starts with its number (32-bit) and is filled with its low byte. */
function pattern(sectors: number): Uint8Array {
  const b = new Uint8Array(sectors * 512);
  const dv = new DataView(b.buffer);
  for (let s = 0; s < sectors; s++) {
    b.fill(s & 0xff, s * 512, s * 512 + 512);
    dv.setUint32(s * 512, s, true);
  }
  return b;
}

function setup(disk: DiskImage = new DiskImage(pattern(4096))) {
  const irq = new FakeIrq();
  const ata = new AtaChannel(irq, [disk]);
  const bus = new IoBus();
  bus.attach(ata);
  const rd = (p: number, size = 1) => bus.read(p, size);
  const wr = (p: number, v: number, size = 1) => bus.write(p, size, v);
  /** Reads n bytes from the data port, 16 bits at a time (or 32). */
  const readData = (n: number, size = 2) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += size) {
      const v = rd(DATA, size);
      for (let k = 0; k < size; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  };
  const writeData = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i += 2) wr(DATA, bytes[i]! | (bytes[i + 1]! << 8), 2);
  };
  const lba28 = (lba: number, count: number) => {
    wr(COUNT, count); wr(LOW, lba & 0xff); wr(MID, (lba >> 8) & 0xff); wr(HIGH, (lba >> 16) & 0xff); wr(DEV, 0xe0 | ((lba >> 24) & 0xf));
  };
  const lba48 = (lba: number, count: number) => {
    wr(COUNT, count >> 8); wr(LOW, Math.floor(lba / 2 ** 24) & 0xff); wr(MID, Math.floor(lba / 2 ** 32) & 0xff); wr(HIGH, Math.floor(lba / 2 ** 40) & 0xff);
    wr(COUNT, count & 0xff); wr(LOW, lba & 0xff); wr(MID, (lba >> 8) & 0xff); wr(HIGH, (lba >> 16) & 0xff); wr(DEV, 0x40);
  };
  const identify = () => {
    wr(DEV, 0xa0);
    wr(CMD, 0xec);
    const b = readData(512);
    return { b, w: (i: number) => b[2 * i]! | (b[2 * i + 1]! << 8) };
  };
  return { ata, irq, bus, rd, wr, readData, writeData, lba28, lba48, identify, disk };
}

const sectorNo = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
/** An ATA string from IDENTIFY words: the first character in each word's high byte. */
function ataString(b: Uint8Array, word: number, words: number): string {
  let s = '';
  for (let i = 0; i < words * 2; i++) s += String.fromCharCode(b[word * 2 + (i ^ 1)]!);
  return s;
}

describe('ATA channel', () => {
  it('offers a PIO data-in block as a buffered-I/O read stream; consuming it acts as the reads would', () => {
    // two channels in the same state: one read word by word, the other through the stream
    const a = setup();
    const b = setup();
    expect(b.ata.fastPorts).toEqual([DATA]);
    expect(b.ata.readStream(DATA)).toBeUndefined(); // no data-in block yet
    for (const ch of [a, b]) { ch.lba28(5, 2); ch.wr(CMD, 0x20); } // READ SECTORS, 2 sectors
    const s1 = b.ata.readStream(DATA)!;
    expect(s1).toEqual(a.readData(512)); // what the reads return
    expect(b.ata.readStream(DATA + 1)).toBeUndefined();
    b.ata.consumeStream(DATA, 100); // part of a block: the rest is the stream now
    expect(b.ata.readStream(DATA)).toEqual(s1.subarray(100));
    b.ata.consumeStream(DATA, 412); // the end of the block: the next sector is loaded, IRQ raised
    expect(b.irq.level).toBe(a.irq.level);
    expect(b.rd(STATUS)).toBe(a.rd(STATUS));
    const s2 = b.ata.readStream(DATA)!;
    expect(sectorNo(s2)).toBe(6);
    expect(s2).toEqual(a.readData(512));
    b.ata.consumeStream(DATA, 512);
    expect(b.ata.readStream(DATA)).toBeUndefined(); // the command is done
    expect(b.rd(STATUS)).toBe(a.rd(STATUS));
  });

  it('IDENTIFY DEVICE: the words of ATA/ATAPI-6', () => {
    const { identify, irq, rd } = setup();
    const { b, w } = identify();
    expect(w(0) & 0x8000).toBe(0); // ATA device
    expect(ataString(b, 27, 20)).toBe('WASMVISOR HARDDISK'.padEnd(40));
    expect(b[54]).toBe('A'.charCodeAt(0)); // byte-swapped: "WA" is stored as 'A','W'
    expect(b[55]).toBe('W'.charCodeAt(0));
    expect(ataString(b, 10, 10).trim()).toMatch(/^WV[0-9A-F]+$/); // serial
    expect(ataString(b, 23, 4)).toBe('1.0     ');
    // 4096 sectors: 16 heads, 63 sectors per track, 4 cylinders (as QEMU and Bochs choose)
    expect([w(1), w(3), w(6)]).toEqual([4, 16, 63]);
    expect([w(54), w(55), w(56)]).toEqual([4, 16, 63]);
    expect(w(57) | (w(58) << 16)).toBe(4 * 16 * 63);
    expect(w(47)).toBe(0x8010); // READ/WRITE MULTIPLE up to 16 sectors
    expect(w(49) & 0x0200).toBe(0x0200); // LBA supported
    expect(w(49) & 0x0100).toBe(0x0100); // DMA supported
    expect(w(53) & 0x0007).toBe(0x0007); // words 54-58, 64-70 and 88 valid
    expect(w(63)).toBe(0x0007); // multiword DMA 0-2 supported, none selected
    expect(w(88)).toBe(0x0007); // UDMA 0-2 supported, none selected
    expect(w(59)).toBe(0); // multiple mode off
    expect(w(60) | (w(61) << 16)).toBe(4096); // LBA28 capacity
    expect(w(80) & 0x0040).toBe(0x0040); // ATA/ATAPI-6
    expect(w(83) & 0xc000).toBe(0x4000);
    expect(w(83) & 0x0400).toBe(0x0400); // 48-bit address feature set supported
    expect(w(86) & 0x0400).toBe(0x0400); // ... and enabled
    expect(w(83) & 0x1000).toBe(0x1000); // FLUSH CACHE
    expect(w(100) + w(101) * 65536).toBe(4096);
    expect(w(255) & 0xff).toBe(0xa5); // integrity word: the bytes sum to 0
    expect(b.reduce((a, x) => a + x, 0) & 0xff).toBe(0);
    expect(irq.rises).toBe(1);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC); // no DRQ after the 256 words
  });

  it('IDENTIFY of a disk over 2^28 sectors: words 60-61 stop at 0FFFFFFFh, words 100-103 hold the size', () => {
    const sectors = 2 ** 30 + 12345; // sparse: the base array is empty
    const { identify } = setup(new DiskImage(new Uint8Array(0), sectors));
    const { w } = identify();
    expect(w(60) | (w(61) << 16)).toBe(0x0fffffff);
    expect(w(100) + w(101) * 2 ** 16 + w(102) * 2 ** 32 + w(103) * 2 ** 48).toBe(sectors);
    expect([w(1), w(3), w(6)]).toEqual([16383, 16, 63]);
    expect(w(57) | (w(58) << 16)).toBe(16383 * 16 * 63);
  });

  it('default geometry: 16 heads and 63 sectors per track, 1 head for tiny disks', () => {
    expect(defaultGeometry(20480)).toEqual({ cylinders: 20, heads: 16, spt: 63 });
    expect(defaultGeometry(100)).toEqual({ cylinders: 1, heads: 1, spt: 63 });
    expect(defaultGeometry(10)).toEqual({ cylinders: 1, heads: 1, spt: 10 });
  });

  it('READ SECTORS with LBA28: one interrupt per sector, registers at the last sector', () => {
    const { rd, wr, readData, lba28, irq } = setup();
    lba28(1000, 3);
    wr(CMD, 0x20);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(irq.level).toBe(true);
      expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_DRQ); // clears the interrupt
      expect(irq.level).toBe(false);
      const s = readData(512);
      got.push(sectorNo(s));
      expect(s[511]).toBe((1000 + i) & 0xff);
    }
    expect(got).toEqual([1000, 1001, 1002]);
    expect(irq.rises).toBe(3);
    expect(irq.level).toBe(false); // no interrupt after the last data-in block
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect([rd(COUNT), rd(LOW), rd(MID), rd(HIGH), rd(DEV) & 0x0f]).toEqual([0, 1002 & 0xff, 1002 >> 8, 0, 0]);
  });

  it('READ SECTORS with CHS, under the default and an INITIALIZE DEVICE PARAMETERS geometry', () => {
    const { rd, wr, readData } = setup();
    const chs = (c: number, h: number, s: number) => {
      wr(COUNT, 1); wr(LOW, s); wr(MID, c & 0xff); wr(HIGH, c >> 8); wr(DEV, 0xa0 | h);
      wr(CMD, 0x20);
      expect(rd(STATUS) & (ST_ERR | ST_DRQ)).toBe(ST_DRQ);
      return sectorNo(readData(512));
    };
    expect(chs(0, 0, 1)).toBe(0);
    expect(chs(2, 3, 5)).toBe((2 * 16 + 3) * 63 + 4);
    // 91h: 4 heads (device bits 3:0 = heads - 1), 32 sectors per track
    wr(COUNT, 32); wr(DEV, 0xa0 | 3); wr(CMD, 0x91);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect(chs(1, 2, 3)).toBe((1 * 4 + 2) * 32 + 2);
    // IDENTIFY words 54-56 follow it; 1, 3, 6 do not
    wr(CMD, 0xec);
    const b = readData(512);
    const w = (i: number) => b[2 * i]! | (b[2 * i + 1]! << 8);
    expect([w(54), w(55), w(56), w(1), w(3), w(6)]).toEqual([32, 4, 32, 4, 16, 63]);
    // sector 0, or past the geometry: IDNF
    wr(COUNT, 1); wr(LOW, 0); wr(MID, 0); wr(HIGH, 0); wr(DEV, 0xa0); wr(CMD, 0x20);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_ERR);
    expect(rd(ERR)).toBe(ER_IDNF);
    wr(COUNT, 1); wr(LOW, 33); wr(DEV, 0xa0); wr(CMD, 0x20);
    expect(rd(ERR)).toBe(ER_IDNF);
  });

  it('WRITE SECTORS: DRQ without an interrupt first, then one per sector; the data reads back', () => {
    const { rd, wr, readData, writeData, lba28, irq, disk } = setup();
    lba28(7, 2);
    wr(CMD, 0x30);
    expect(irq.rises).toBe(0);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_DRQ);
    writeData(new Uint8Array(512).fill(0xab));
    expect(irq.rises).toBe(1);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_DRQ);
    writeData(new Uint8Array(512).fill(0xcd));
    expect(irq.rises).toBe(2); // and one at completion
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect(disk.changed()).toEqual([7, 8]);
    expect(disk.base[7 * 512]).toBe(7); // the base image is not modified
    lba28(6, 3);
    wr(CMD, 0x20);
    const r = readData(3 * 512);
    expect([r[511], r[512], r[1024 + 511]]).toEqual([6, 0xab, 0xcd]);
  });

  it('READ/WRITE SECTORS EXT with 48-bit addresses (HOB reads back the previous values)', () => {
    const big = new DiskImage(new Uint8Array(0), 2 ** 33 + 10);
    const { rd, wr, readData, writeData, lba48 } = setup(big);
    const lba = 2 ** 32 + 5;
    lba48(lba, 2);
    // the register FIFO: HOB=1 shows the first-written (high) bytes
    wr(CTL, 0x80);
    expect([rd(COUNT), rd(LOW), rd(MID), rd(HIGH)]).toEqual([0, 0, 1, 0]); // LBA 47:24
    wr(CTL, 0x00);
    expect([rd(COUNT), rd(LOW), rd(MID), rd(HIGH)]).toEqual([2, 5, 0, 0]);
    wr(CMD, 0x34);
    writeData(new Uint8Array(512).fill(0x11));
    writeData(new Uint8Array(512).fill(0x22));
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect(big.changed()).toEqual([lba, lba + 1]);
    lba48(lba - 1, 3);
    wr(CMD, 0x24);
    const r = readData(3 * 512, 4); // 32-bit data port reads
    expect([r[0], r[512], r[1023], r[1024]]).toEqual([0, 0x11, 0x11, 0x22]);
    // the registers hold the last sector: 2^32 + 6
    expect([rd(LOW), rd(MID), rd(HIGH)]).toEqual([6, 0, 0]);
    wr(CTL, 0x80);
    expect([rd(LOW), rd(MID), rd(HIGH)]).toEqual([0, 1, 0]);
    // past the end
    lba48(2 ** 33 + 9, 2);
    wr(CMD, 0x24);
    wr(CTL, 0);
    expect(rd(STATUS) & ST_ERR).toBe(ST_ERR);
    expect(rd(ERR)).toBe(ER_IDNF);
  });

  it('READ/WRITE MULTIPLE: one interrupt per block of the SET MULTIPLE MODE count', () => {
    const { rd, wr, readData, writeData, lba28, irq, identify } = setup();
    lba28(0, 4);
    wr(CMD, 0xc4); // multiple mode off: aborted
    expect(rd(ERR)).toBe(ER_ABRT);
    wr(COUNT, 3); wr(CMD, 0xc6); // not a power of two
    expect(rd(ERR)).toBe(ER_ABRT);
    wr(COUNT, 4); wr(CMD, 0xc6);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect(identify().w(59)).toBe(0x0104);
    irq.rises = 0;
    lba28(100, 10); // blocks of 4, 4, 2
    wr(CMD, 0xc4);
    const seen: number[] = [];
    for (const n of [4, 4, 2]) {
      expect(rd(STATUS) & ST_DRQ).toBe(ST_DRQ);
      const b = readData(n * 512);
      for (let i = 0; i < n; i++) seen.push(sectorNo(b, i * 512));
    }
    expect(seen).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(irq.rises).toBe(3);
    irq.rises = 0;
    lba28(200, 6);
    wr(CMD, 0xc5);
    writeData(new Uint8Array(4 * 512).fill(1));
    expect(irq.rises).toBe(1);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_DRQ); // the handler's read clears it
    writeData(new Uint8Array(2 * 512).fill(2));
    expect(irq.rises).toBe(2);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
  });

  it('errors: IDNF past the end, ABRT for unknown commands; READ VERIFY, FLUSH, SET FEATURES, power commands complete', () => {
    const log: string[] = [];
    const irq = new FakeIrq();
    const ata = new AtaChannel(irq, [new DiskImage(pattern(64))], { log: (m) => log.push(m) });
    const bus = new IoBus();
    bus.attach(ata);
    const wr = (p: number, v: number) => bus.write(p, 1, v);
    const rd = (p: number) => bus.read(p, 1);
    wr(COUNT, 2); wr(LOW, 63); wr(MID, 0); wr(HIGH, 0); wr(DEV, 0xe0); wr(CMD, 0x20);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_ERR);
    expect(rd(ERR)).toBe(ER_IDNF);
    for (const cmd of [0x00, 0x08, 0xa1, 0xc7, 0xb0, 0xff]) {
      wr(CMD, cmd);
      expect(rd(STATUS), cmd.toString(16)).toBe(ST_DRDY | ST_DSC | ST_ERR);
      expect(rd(ERR)).toBe(ER_ABRT);
    }
    expect(log.filter((l) => /command ffh not supported/.test(l))).toHaveLength(1);
    for (const cmd of [0x40, 0xe7, 0xea, 0xef, 0xe0, 0xe1, 0xe3, 0x10, 0x70]) {
      wr(COUNT, 1); wr(LOW, 5); wr(DEV, 0xe0);
      wr(CMD, cmd);
      expect(rd(STATUS), cmd.toString(16)).toBe(ST_DRDY | ST_DSC);
      expect(rd(ERR)).toBe(0);
    }
    wr(CMD, 0xe5);
    expect(rd(COUNT)).toBe(0xff); // CHECK POWER MODE: active
  });

  it('nIEN gates INTRQ; Status clears the pending interrupt, Alternate Status does not', () => {
    const { rd, wr, irq, readData, lba28 } = setup();
    wr(CTL, 0x02);
    lba28(1, 1);
    wr(CMD, 0x20);
    expect(irq.level).toBe(false);
    wr(CTL, 0x00); // still pending: the line rises
    expect(irq.level).toBe(true);
    expect(rd(CTL)).toBe(ST_DRDY | ST_DSC | ST_DRQ);
    expect(irq.level).toBe(true);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC | ST_DRQ);
    expect(irq.level).toBe(false);
    readData(512);
    wr(CMD, 0xe7);
    expect(irq.level).toBe(true);
    wr(CMD, 0xe7); // writing a command clears it first: a new edge
    expect(irq.rises).toBe(3);
  });

  it('SRST: BSY while set, then the signature and diagnostics code, no interrupt; a transfer is cancelled', () => {
    const { rd, wr, irq, lba28 } = setup();
    lba28(5, 2);
    wr(CMD, 0x20);
    const rises = irq.rises;
    wr(CTL, 0x04);
    expect(rd(CTL) & 0x80).toBe(0x80);
    expect(irq.level).toBe(false);
    wr(CTL, 0x00);
    expect(rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect([rd(ERR), rd(COUNT), rd(LOW), rd(MID), rd(HIGH), rd(DEV)]).toEqual([0x01, 1, 1, 0, 0, 0xa0]);
    expect(irq.rises).toBe(rises);
    expect(rd(DATA, )).toBe(0xff); // no DRQ
    // device 1 is absent: Status reads 0, the registers still read back
    wr(DEV, 0xb0);
    expect(rd(STATUS)).toBe(0);
    wr(LOW, 0x55);
    expect(rd(LOW)).toBe(0x55);
    wr(CMD, 0xec);
    expect(rd(STATUS)).toBe(0);
  });

  it('two drives: DEV selects which one executes; each has its own status, error and data', () => {
    const irq = new FakeIrq();
    const slave = new Uint8Array(100 * 512).fill(0x77);
    const ata = new AtaChannel(irq, [new DiskImage(pattern(4096)), new DiskImage(slave)]);
    const bus = new IoBus();
    bus.attach(ata);
    const wr = (p: number, v: number) => bus.write(p, 1, v);
    const rd = (p: number) => bus.read(p, 1);
    const words = (n: number) => Array.from({ length: n }, () => bus.read(DATA, 2));
    wr(DEV, 0xb0);
    wr(CMD, 0xec);
    const id = words(256);
    expect(id[60]! | (id[61]! << 16)).toBe(100);
    expect([id[1], id[3], id[6]]).toEqual([1, 1, 63]);
    wr(COUNT, 1); wr(LOW, 99); wr(MID, 0); wr(HIGH, 0); wr(DEV, 0xf0); wr(CMD, 0x20);
    expect(words(256).every((w) => w === 0x7777)).toBe(true);
    wr(COUNT, 1); wr(LOW, 100); wr(DEV, 0xf0); wr(CMD, 0x20); // past the slave's end
    expect(rd(STATUS) & ST_ERR).toBe(ST_ERR);
    wr(DEV, 0xe0); // the master did nothing: no error there
    expect([rd(STATUS), rd(ERR)]).toEqual([ST_DRDY | ST_DSC, 0x01]);
    wr(COUNT, 1); wr(LOW, 100); wr(DEV, 0xe0); wr(CMD, 0x20);
    expect(sectorNo(Uint8Array.from(words(256).flatMap((w) => [w & 0xff, w >> 8])))).toBe(100);
    wr(DEV, 0xf0);
    expect(rd(ERR)).toBe(ER_IDNF);
    // SRST resets both
    wr(CTL, 0x04); wr(CTL, 0x00);
    expect([rd(STATUS), rd(ERR)]).toEqual([ST_DRDY | ST_DSC, 0x01]);
  });

  it('a disk of a size that is not a whole number of sectors is refused at creation', () => {
    expect(() => new DiskImage(new Uint8Array(1000))).toThrow(/not a whole number of 512-byte sectors/);
    expect(() => new DiskImage(new Uint8Array(0))).toThrow(/empty/);
  });

  it('save -> load -> save gives identical bytes, mid-transfer, with written sectors', () => {
    const a = setup();
    a.wr(COUNT, 2); a.wr(CMD, 0xc6);
    a.lba28(20, 1);
    a.wr(CMD, 0x30);
    a.writeData(new Uint8Array(512).fill(0x5a));
    a.lba28(30, 3);
    a.wr(CMD, 0x20);
    a.readData(100);
    const s1 = JSON.stringify(a.ata.save());
    const b = setup();
    b.ata.load(JSON.parse(s1) as Record<string, unknown>);
    expect(JSON.stringify(b.ata.save())).toBe(s1);
    // the restored channel continues the transfer where it was
    const rest = b.readData(512 - 100);
    expect(rest[512 - 100 - 1]).toBe(30);
    expect(sectorNo(b.readData(512))).toBe(31);
    b.lba28(20, 1);
    b.wr(CMD, 0x20);
    expect(b.readData(512)[0]).toBe(0x5a);
    // a state of another disk size is refused
    const c = setup(new DiskImage(pattern(8)));
    expect(() => c.ata.load(JSON.parse(s1) as Record<string, unknown>)).toThrow(/4096-sector disk/);
  });
});

// ---- bus-master DMA (src/devices/bmide.ts) ----

/** A flat fake guest memory: RAM below `size`, MMIO at and above. */
class FakeMemory implements DmaMemory {
  readonly ram: Uint8Array;
  constructor(size = 1 << 20) {
    this.ram = new Uint8Array(size);
  }
  read(addr: number, len: number): Uint8Array | undefined {
    return addr + len <= this.ram.length ? this.ram.slice(addr, addr + len) : undefined;
  }
  write(addr: number, bytes: Uint8Array): boolean {
    if (addr + bytes.length > this.ram.length) return false;
    this.ram.set(bytes, addr);
    return true;
  }
  /** PRD entries at `at`: [base, count (0 = 64 KiB), eot]. */
  prd(at: number, entries: [number, number, boolean][]): void {
    const dv = new DataView(this.ram.buffer);
    entries.forEach(([base, count, eot], i) => {
      dv.setUint32(at + 8 * i, base, true);
      dv.setUint32(at + 8 * i + 4, ((count & 0xffff) | (eot ? 0x80000000 : 0)) >>> 0, true);
    });
  }
}

const BM = 0xc000, BMCOM = BM, BMSTA = BM + 2, BMDTP = BM + 4;

function dmaSetup(opts: { rate?: number; log?: string[] } = {}) {
  const disk = new DiskImage(pattern(4096));
  const clock = new VirtualClock();
  const out = new FakeIrq();
  let wrapped = { set: (_l: boolean) => {} };
  const ata = new AtaChannel({ set: (l) => wrapped.set(l) }, [disk]);
  const mem = new FakeMemory();
  const bm = new BusMasterIde(ata, mem, clock, { ...opts, log: (m) => opts.log?.push(m) });
  wrapped = bm.irqLine(out); // IRQ 14 passes the bus master (BMISTA.Interrupt)
  bm.setBase(BM);
  const bus = new IoBus();
  bus.attach(ata);
  bus.attach(bm);
  bus.remap(bm, bm.ports);
  const rd = (p: number, size = 1) => bus.read(p, size);
  const wr = (p: number, v: number, size = 1) => bus.write(p, size, v);
  const lba28 = (lba: number, count: number) => {
    wr(COUNT, count); wr(LOW, lba & 0xff); wr(MID, (lba >> 8) & 0xff); wr(HIGH, (lba >> 16) & 0xff); wr(DEV, 0xe0 | ((lba >> 24) & 0xf));
  };
  const lba48 = (lba: number, count: number) => {
    wr(COUNT, count >> 8); wr(LOW, 0); wr(MID, 0); wr(HIGH, 0);
    wr(COUNT, count & 0xff); wr(LOW, lba & 0xff); wr(MID, (lba >> 8) & 0xff); wr(HIGH, (lba >> 16) & 0xff); wr(DEV, 0x40);
  };
  /** Advances the clock to t and ticks. */
  const at = (t: number) => { clock.t = t; return bm.tick(t); };
  /** READ DMA of `count` sectors from `lba` into one region at 10000h; returns the deadline. */
  const startRead = (lba: number, count: number) => {
    mem.prd(0x1000, [[0x10000, count * 512, true]]);
    wr(BMDTP, 0x1000, 4);
    lba28(lba, count);
    wr(CMD, 0xc8);
    wr(BMCOM, BM_READ | BM_START);
    return bm.pendingDeadline!;
  };
  return { disk, clock, irq: out, ata, mem, bm, bus, rd, wr, lba28, lba48, at, startRead };
}

describe('bus-master IDE DMA', () => {
  it('READ DMA: scheduled at 33 MB/s plus the latency, BSY meanwhile, data at the deadline exactly, EOT clears Active', () => {
    const s = dmaSetup();
    s.mem.prd(0x1000, [[0x10000, 512, false], [0x20000, 1024, true]]);
    s.wr(BMDTP, 0x1000, 4);
    s.wr(BMCOM, BM_READ);
    s.clock.t = 5000;
    s.lba28(10, 3);
    s.wr(CMD, 0xc8);
    expect(s.rd(ALT)).toBe(ST_BSY | ST_DRDY | ST_DSC | ST_DRQ);
    expect(s.bm.pendingDeadline).toBeUndefined(); // the engine is not started
    s.wr(BMCOM, BM_READ | BM_START);
    const due = 5000 + DMA_LATENCY_NS + Math.round((1536 * 1e9) / DMA_RATE);
    expect(s.bm.pendingDeadline).toBe(due);
    expect(s.rd(BMSTA)).toBe(BS_ACTIVE);
    expect(s.at(due - 1)).toBe(due);
    expect(s.irq.rises).toBe(0);
    expect(s.mem.ram[0x10000 + 4]).toBe(0); // nothing moved yet
    expect(s.at(due)).toBeUndefined();
    expect(s.irq.rises).toBe(1);
    expect(s.rd(BMSTA)).toBe(BS_INTR); // EOT: Active clear
    expect(sectorNo(s.mem.ram, 0x10000)).toBe(10);
    expect(sectorNo(s.mem.ram, 0x20000)).toBe(11);
    expect(sectorNo(s.mem.ram, 0x20200)).toBe(12);
    expect(s.rd(STATUS)).toBe(ST_DRDY | ST_DSC);
    expect(s.rd(LOW)).toBe(12); // the last sector transferred, count 0
    expect(s.rd(COUNT)).toBe(0);
    s.wr(BMSTA, BS_INTR | BS_ERROR); // write 1 to clear
    expect(s.rd(BMSTA)).toBe(0);
    s.wr(BMSTA, 0x60); // drive DMA capable bits are read/write
    expect(s.rd(BMSTA)).toBe(0x60);
  });

  it('WRITE DMA EXT with a count-0 (64 KiB) region; command after Start; PRD larger than the transfer keeps Active', () => {
    const s = dmaSetup({ rate: 0 });
    for (let i = 0; i < 0x10000; i++) s.mem.ram[0x40000 + i] = (i * 7) & 0xff;
    s.mem.prd(0x2000, [[0x40000, 0, false], [0x60000, 512, true]]);
    s.wr(BMDTP, 0x2000, 4);
    s.wr(BMCOM, BM_START); // direction: memory to the drive
    s.lba48(300, 128);
    s.wr(CMD, 0x35);
    expect(s.bm.pendingDeadline).toBe(0); // rate 0: at the next service
    s.at(0);
    expect(s.rd(BMSTA)).toBe(BS_ACTIVE | BS_INTR); // the table was larger: still active
    expect(s.disk.changed()).toHaveLength(128);
    expect(Buffer.compare(s.disk.bytes().subarray(300 * 512, 300 * 512 + 0x10000), s.mem.ram.subarray(0x40000, 0x50000))).toBe(0);
    s.wr(BMCOM, 0);
    expect(s.rd(BMSTA)).toBe(BS_INTR);
  });

  it('errors: PRD table too short, MMIO target, direction mismatch, table in MMIO; the host never throws', () => {
    const log: string[] = [];
    const s = dmaSetup({ rate: 0, log });
    const run = (cmd: number, com: number) => {
      s.wr(BMSTA, BS_INTR | BS_ERROR);
      s.lba28(0, 4);
      s.wr(CMD, cmd);
      s.wr(BMCOM, com);
      s.at(s.clock.t);
      s.wr(BMCOM, 0);
      return [s.rd(STATUS), s.rd(ERR), s.rd(BMSTA)];
    };
    const failed = [ST_DRDY | ST_DSC | ST_ERR, ER_ABRT, BS_ERROR | BS_INTR];
    s.mem.prd(0x1000, [[0x10000, 1024, true]]); // 2 of 4 sectors
    s.wr(BMDTP, 0x1000, 4);
    expect(run(0xc8, BM_READ | BM_START)).toEqual(failed);
    expect(sectorNo(s.mem.ram, 0x10200)).toBe(1); // what fitted moved
    s.mem.prd(0x1000, [[0xfff00, 0x2000, true]]); // runs off the end of RAM
    expect(run(0xc8, BM_READ | BM_START)).toEqual(failed);
    s.mem.prd(0x1000, [[0x10000, 2048, true]]);
    expect(run(0xca, BM_READ | BM_START)).toEqual(failed); // WRITE DMA, engine writes memory
    s.wr(BMDTP, 0xfffff0, 4); // the table itself outside RAM
    expect(run(0xc8, BM_READ | BM_START)).toEqual(failed);
    s.wr(BMDTP, 0x1000, 4);
    expect(run(0xc8, BM_READ | BM_START)).toEqual([ST_DRDY | ST_DSC, 0, BS_INTR]); // and it recovers
    expect(log.some((l) => /shorter than the transfer/.test(l))).toBe(true);
    expect(log.some((l) => /not RAM/.test(l))).toBe(true);
    expect(log.some((l) => /direction/.test(l))).toBe(true);
    // past the end: IDNF before any DMA
    s.lba28(4095, 2);
    s.wr(CMD, 0xc8);
    expect([s.rd(STATUS), s.rd(ERR)]).toEqual([ST_DRDY | ST_DSC | ST_ERR, ER_IDNF]);
    // odd descriptor bits: bit 0 of base and count ignored; DTP bits 1:0 read 0
    s.wr(BMDTP, 0x1003, 4);
    expect(s.rd(BMDTP, 4)).toBe(0x1000);
  });

  it('stop mid-transfer: no data moves, BSY stays; a new Start moves it all; SRST ends a DMA command', () => {
    const s = dmaSetup();
    const due = s.startRead(7, 1);
    s.at(due - 100);
    s.wr(BMCOM, BM_READ); // stop
    expect(s.bm.pendingDeadline).toBeUndefined();
    expect(s.rd(BMSTA)).toBe(0);
    expect(s.at(due + 1000)).toBeUndefined();
    expect(s.mem.ram[0x10000]).toBe(0);
    expect(s.rd(ALT) & ST_BSY).toBe(ST_BSY);
    s.wr(CMD, 0xec); // ignored while the DMA command is in progress
    expect(s.rd(ALT) & ST_BSY).toBe(ST_BSY);
    s.wr(BMCOM, BM_READ | BM_START);
    const due2 = s.bm.pendingDeadline!;
    expect(due2).toBe(due + 1000 + (due - 0));
    s.at(due2);
    expect(sectorNo(s.mem.ram, 0x10000)).toBe(7);
    s.wr(BMCOM, 0);
    // SRST while a DMA command waits
    s.lba28(8, 1);
    s.wr(CMD, 0xc8);
    s.wr(BMCOM, BM_READ | BM_START);
    s.wr(CTL, 0x04);
    s.wr(CTL, 0x00);
    expect(s.at(s.clock.t + 1e9)).toBeUndefined();
    expect(sectorNo(s.mem.ram, 0x10000)).toBe(7);
    expect(s.rd(STATUS)).toBe(ST_DRDY | ST_DSC);
  });

  it('SET FEATURES transfer mode selects the DMA mode IDENTIFY reports; bad modes abort', () => {
    const s = dmaSetup();
    const identify = () => {
      s.wr(DEV, 0xa0);
      s.wr(CMD, 0xec);
      const b = new Uint8Array(512);
      for (let i = 0; i < 512; i += 2) { const v = s.rd(DATA, 2); b[i] = v & 0xff; b[i + 1] = v >> 8; }
      return (i: number) => b[2 * i]! | (b[2 * i + 1]! << 8);
    };
    const setMode = (m: number) => { s.wr(FEAT, 0x03); s.wr(COUNT, m); s.wr(CMD, 0xef); return s.rd(STATUS); };
    expect(setMode(0x42)).toBe(ST_DRDY | ST_DSC);
    let w = identify();
    expect([w(63), w(88)]).toEqual([0x0007, 0x0407]);
    expect(setMode(0x21)).toBe(ST_DRDY | ST_DSC);
    w = identify();
    expect([w(63), w(88)]).toEqual([0x0207, 0x0007]);
    expect(setMode(0x45)).toBe(ST_DRDY | ST_DSC | ST_ERR); // UDMA 5: not supported
    expect(setMode(0x0c)).toBe(ST_DRDY | ST_DSC); // PIO 4
  });

  it('save state with a transfer in flight: save, load, save gives the same bytes; it completes after the load', () => {
    const a = dmaSetup();
    const due = a.startRead(20, 2);
    a.at(due - 10);
    const state = JSON.stringify({ ata: a.ata.save(), bm: a.bm.save() });
    const b = dmaSetup();
    b.mem.ram.set(a.mem.ram);
    const st = JSON.parse(state);
    b.ata.load(st.ata);
    b.bm.load(st.bm);
    expect(JSON.stringify({ ata: b.ata.save(), bm: b.bm.save() })).toBe(state);
    expect(b.rd(BMSTA)).toBe(BS_ACTIVE);
    expect(b.at(due - 1)).toBe(due);
    b.at(due);
    expect(sectorNo(b.mem.ram, 0x10200)).toBe(21);
    expect(b.irq.rises).toBe(1);
    expect(b.rd(BMSTA)).toBe(BS_INTR);
  });
});
