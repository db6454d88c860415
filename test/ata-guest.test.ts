/**
 * The ATA channel from a guest: test/guests/ata-read.asm (a -bios ROM) IDENTIFYs the disk of
 * Pc.create({ disk }), reads sectors by LBA28, CHS, LBA48 and READ MULTIPLE, writes one and
 * reads it back, takes IRQ 14 through the 8259A pair, and prints what it saw on port E9h and
 * COM1. The expected lines are computed here from the image; the same ROM under QEMU (-bios ROM
 * -hda IMG) must print the same, but for the model string and the read past the end, where QEMU
 * answers ABRT and ATA/ATAPI-6 (READ SECTORS, error outputs) says IDNF. Also the PIIX3 IDE PCI
 * function, the save state of the disk, and the CLI's -hda, -drive, --write-disk and errors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pc } from '../src/pc.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { saveState, loadState } from '../src/savestate.js';
import { requireTool, have } from './helpers/tools.js';
import { ATA_ROM as ROM, ataImage as image, ataExpected as expected, qemuAtaLines } from './helpers/ata-guest.js';

const DIR = 'test/guests';
async function runRom(disk: Uint8Array) {
  const com1: number[] = [];
  const pc = await Pc.create({ bios: readFileSync(ROM), memory: 16 << 20, disk, serial: [(b) => com1.push(...b)] });
  const e9: number[] = [];
  pc.machine.attach(new DebugCon(0xe9, (b) => e9.push(...b)));
  const stop = pc.machine.run(5_000_000n);
  return { pc, stop, text: Buffer.from(e9).toString('latin1'), com1: Buffer.from(com1).toString('latin1') };
}

describe('ATA guest (test/guests/ata-read)', () => {
  const hasNasm = requireTool('nasm', 'nasm');

  it.runIf(hasNasm)('ata-read.bin matches ata-read.asm', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
    execFileSync('nasm', ['-f', 'bin', '-i', `${DIR}/`, '-o', out, join(DIR, 'ata-read.asm')]);
    expect(Buffer.compare(readFileSync(out), readFileSync(ROM))).toBe(0);
  });

  it('identifies, reads (LBA28, CHS, LBA48, multiple), writes and reads back, and sees IDNF past the end', async () => {
    const img = image();
    const { pc, stop, text, com1 } = await runRom(img);
    expect(stop.why).toBe('halted');
    expect(com1.replace(/\r\n/g, '\n')).toBe(text);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`model: ${'WASMVISOR HARDDISK'.padEnd(40)}`);
    expect(lines.slice(1, -1)).toEqual(expected(img));
    // the write is in the overlay; the caller's bytes are untouched
    const disk = pc.ata!.disk(0)!;
    expect(disk.changed()).toEqual([77]);
    expect(img[77 * 512 + 4]).toBe((77 + 12) & 0xff);
    expect(disk.bytes()[77 * 512]).toBe(0xa5);
    // CMOS: drive 0 of type 47 with the IDENTIFY geometry
    const cmos = (i: number) => pc.rtc.getCmosByte(i);
    expect([cmos(0x12), cmos(0x19), cmos(0x1b) | (cmos(0x1c) << 8), cmos(0x1d), cmos(0x23)]).toEqual([0xf0, 47, 4, 16, 63]);
  });

  it('the PIIX3 IDE function 00:01.1 (8086:7010, legacy mode, BMIBA at C000h) is there with a disk only', async () => {
    const cfg = (pc: Pc, reg: number) => {
      pc.machine.bus.write(0xcf8, 4, (0x80000900 | reg) >>> 0); // bus 0, device 1, function 1
      return pc.machine.bus.read(0xcfc, 4);
    };
    const { pc } = await runRom(image());
    expect(cfg(pc, 0x00)).toBe(0x70108086);
    expect(cfg(pc, 0x08) >>> 8).toBe(0x010180); // IDE, programming interface 80h
    expect(cfg(pc, 0x40) & 0x8000ffff).toBe(0x8000); // primary decode on, secondary off
    expect(cfg(pc, 0x20)).toBe(0xc001); // BMIBA: I/O space at C000h, as a BIOS assigns it
    expect(cfg(pc, 0x04) & 0x5).toBe(0x1); // the ROM wrote 0001h: I/O decode on, bus master off
    const bare = await Pc.create({ bios: readFileSync(ROM), memory: 16 << 20 });
    expect(cfg(bare, 0x00)).toBe(0xffffffff);
    expect(bare.ata).toBeUndefined();
    expect(bare.machine.bus.read(0x1f7, 1)).toBe(0xff); // no controller: the bus floats
  });

  it('a slave disk: CMOS types 47 for both drives, the slave geometry at 24h-2Ch', async () => {
    const pc = await Pc.create({ bios: readFileSync(ROM), memory: 16 << 20, disk: image(), slaveDisk: new Uint8Array(20160 * 512) });
    const cmos = (i: number) => pc.rtc.getCmosByte(i);
    expect([cmos(0x12), cmos(0x19), cmos(0x1a)]).toEqual([0xff, 47, 47]);
    expect([cmos(0x24) | (cmos(0x25) << 8), cmos(0x26), cmos(0x2c)]).toEqual([20, 16, 63]);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += cmos(i);
    expect((cmos(0x2e) << 8) | cmos(0x2f)).toBe(sum); // the checksum follows
  });

  it('a machine save state carries the written sectors: restoring undoes later writes', async () => {
    const { pc } = await runRom(image());
    const m = pc.machine;
    const state = saveState(m);
    const disk = pc.ata!.disk(0)!;
    disk.write(5, new Uint8Array(512).fill(0xee));
    expect(disk.changed()).toEqual([5, 77]);
    loadState(m, state);
    expect(disk.changed()).toEqual([77]);
    expect(Buffer.compare(Buffer.from(saveState(m)), Buffer.from(state))).toBe(0);
  });

  it.runIf(have('qemu-system-i386'))('QEMU prints the same (but for the model and the IDNF/ABRT line)', () => {
    const img = image();
    const lines = qemuAtaLines(ROM, img);
    expect(lines[0]).toMatch(/^model: QEMU HARDDISK/);
    const want = expected(img);
    expect(lines.slice(1, -1)).toEqual(want.map((l) => (l.startsWith('read 1388') ? 'read 1388: status 41 error 04' : l)));
  }, 20_000);

  it('the CLI: -hda, -drive file=,format=raw; writes stay in memory unless --write-disk; clear errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-cli-'));
    const path = join(dir, 'disk.img');
    const img = image();
    writeFileSync(path, img);
    const run = (...args: string[]) => spawnSync('node', ['bin/wasmvisor.js', '-bios', ROM, '-serial', 'null', ...args], { encoding: 'latin1' });
    let r = run('-hda', path);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(1, -1)).toEqual(expected(img));
    expect(Buffer.compare(readFileSync(path), Buffer.from(img))).toBe(0); // unchanged
    r = run('-drive', `file=${path},format=raw,if=ide`, '--write-disk');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/wrote 1 changed sector back to/);
    const after = readFileSync(path);
    expect(after[77 * 512]).toBe(0xa5);
    expect(Buffer.compare(after.subarray(0, 77 * 512), Buffer.from(img.subarray(0, 77 * 512)))).toBe(0);
    r = run('-hda', join(dir, 'missing.img'));
    expect([r.status, r.stderr.trim()]).toEqual([1, `wasmvisor: error: cannot read disk image '${join(dir, 'missing.img')}': no such file`]);
    writeFileSync(join(dir, 'odd.img'), new Uint8Array(1000));
    r = run('-hda', join(dir, 'odd.img'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/odd\.img: disk image of 1000 bytes: not a whole number of 512-byte sectors/);
    r = run('-drive', `file=${path},format=qcow2`);
    expect(r.stderr).toMatch(/-drive: 'format=qcow2' is not supported/);
  }, 30_000);
});
