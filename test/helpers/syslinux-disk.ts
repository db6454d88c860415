/**
 * A bootable hard disk image made the way a user would, with Debian's syslinux, mtools and
 * dosfstools: SYSLINUX's MBR and one active FAT16 partition (at LBA 2048) holding ldlinux, the
 * tiny Linux's bzImage and initramfs, and a syslinux.cfg that boots them with console=ttyS0.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';

export const SEABIOS = '/usr/share/seabios/bios.bin';
export const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';

/** Debian's SeaBIOS and SeaVGABIOS are there (package seabios); under CI=true they must be. */
export function haveSeabios(): boolean {
  if (existsSync(SEABIOS) && existsSync(VGABIOS)) return true;
  const msg = `${SEABIOS} and ${VGABIOS} are missing: these tests need them (apt-get install seabios)`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`SKIPPED: ${msg}`);
  return false;
}

export function haveSyslinuxTools(): boolean {
  return requireTool('syslinux', 'syslinux syslinux-common') && requireTool('mcopy', 'mtools') && requireTool('mkfs.fat', 'dosfstools');
}

export function syslinuxDisk(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'wv-syslinux-'));
  try {
    const part = join(dir, 'part.img');
    execFileSync('truncate', ['-s', '16M', part]);
    execFileSync('mkfs.fat', ['-F', '16', '-n', 'WASMVISOR', part], { stdio: 'ignore' });
    execFileSync('syslinux', ['--install', part]);
    const cfg = join(dir, 'syslinux.cfg');
    writeFileSync(cfg, 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL bzImage\n  INITRD initrd\n  APPEND console=ttyS0\n');
    for (const [from, to] of [['images/bzImage', 'bzImage'], ['images/initramfs.cpio', 'initrd'], [cfg, 'syslinux.cfg']]) {
      execFileSync('mcopy', ['-o', '-i', part, from!, `::${to}`]);
    }
    const fat = readFileSync(part);
    const disk = new Uint8Array(2048 * 512 + fat.length);
    disk.set(readFileSync('/usr/lib/syslinux/mbr/mbr.bin').subarray(0, 440));
    const e = new DataView(disk.buffer, 446, 16);
    e.setUint8(0, 0x80); // active
    e.setUint8(4, 0x06); // FAT16
    e.setUint32(8, 2048, true);
    e.setUint32(12, fat.length / 512, true);
    disk[510] = 0x55;
    disk[511] = 0xaa;
    disk.set(fat, 2048 * 512);
    return disk;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
