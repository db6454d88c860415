/** The disk image and the expected output of test/guests/ata-read.asm (test/ata-guest.test.ts,
 * test/web-e2e.test.ts). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a disk ROM under QEMU (-bios ROM, the image as the primary master, snapshot=on) for 5
 * seconds (QEMU does not exit on hlt) and returns what it printed on port E9h, line by line. */
export function qemuAtaLines(rom: string, img: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'wv-ata-'));
  writeFileSync(join(dir, 'disk.img'), img);
  const out = join(dir, 'e9.txt');
  spawnSync('timeout', ['5', 'qemu-system-i386', '-bios', join(process.cwd(), rom), '-m', '32', '-nographic', '-display', 'none', '-monitor', 'none',
    '-serial', 'none', '-device', 'isa-debugcon,iobase=0xe9,chardev=dbg', '-chardev', `file,id=dbg,path=${out}`, '-no-reboot',
    '-drive', `file=${join(dir, 'disk.img')},format=raw,if=ide,index=0,snapshot=on`]);
  return readFileSync(out, 'latin1').split('\n');
}

export const ATA_ROM = join('test', 'guests', 'ata-read.bin');
export const ATA_SECTORS = 4096;

/** Sector s: byte i is (s + 3i) & FFh, then its number in the first dword. */
export function ataImage(): Uint8Array {
  const b = new Uint8Array(ATA_SECTORS * 512);
  const dv = new DataView(b.buffer);
  for (let s = 0; s < ATA_SECTORS; s++) {
    for (let i = 0; i < 512; i++) b[s * 512 + i] = (s + 3 * i) & 0xff;
    dv.setUint32(s * 512, s, true);
  }
  return b;
}

const hex = (v: number, n: number) => v.toString(16).toUpperCase().padStart(n, '0');
function wordSum(b: Uint8Array, from: number, sectors: number): number {
  let sum = 0;
  for (let i = from * 512; i < (from + sectors) * 512; i += 2) sum += b[i]! | (b[i + 1]! << 8);
  return sum & 0xffff;
}

/** What the ROM prints on port E9h for the image: the lines after the model line. */
export function ataExpected(img: Uint8Array): string[] {
  const read = (s: number) => `${hex(s, 8)} sum ${hex(wordSum(img, s, 1), 4)}`;
  const pattern = new Uint8Array(512);
  for (let i = 0; i < 256; i++) { pattern[2 * i] = (i ^ 0xa5a5) & 0xff; pattern[2 * i + 1] = ((i ^ 0xa5a5) >> 8) & 0xff; }
  return [
    'identify: chs 0004/10/3F lba28 00001000 lba48 01 multiple 10',
    `read 0000: ${read(0)}`,
    `read 04D2: ${read(1234)}`,
    `chs 1/2/3: ${read((1 * 16 + 2) * 63 + 2)}`,
    `ext 0BB8: ${read(3000)}`,
    `multiple 8 from 0064: sum ${hex(wordSum(img, 100, 8), 4)}`,
    `write 004D: status 50 readback sum ${hex(wordSum(pattern, 0, 1), 4)} same`,
    'read 1388: status 51 error 10',
    `irq14: interrupts 0003 status 58/58/50 sum ${hex(wordSum(img, 200, 2), 4)}`,
    'done',
  ];
}

