/**
 * A real PC BIOS on wasmvisor: Debian's SeaBIOS (/usr/share/seabios/bios.bin, package seabios,
 * the firmware QEMU boots) runs its POST on the PC (CMOS memory size, i440FX shadow RAM through
 * the PAM registers, PCI enumeration and BAR assignment, the 8259A/8254, PS/2, the ATA channel),
 * runs the VGA's option ROM (SeaVGABIOS, vgabios-stdvga.bin, found in the VGA's PCI expansion ROM)
 * and boots a disk image: test/guests/mbr-hello.asm, a boot sector that prints through INT 10h
 * and port 0xE9, reads sector 1 through INT 13h AH=42h and prints what it holds. The screen (VGA
 * text memory) and port 0xE9 must show both lines; SeaBIOS's own log (port 0x402) must show the
 * drive it found and the boot. Then the whole chain a user of QEMU expects: SeaBIOS boots a disk
 * made with Debian's syslinux, mtools and dosfstools (SYSLINUX's MBR, a FAT16 partition with
 * ldlinux, the tiny Linux's bzImage and initramfs), SYSLINUX loads them through INT 13h and Linux
 * runs to its shell on COM1 and answers a command.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pc } from '../src/pc.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { DiskImage } from '../src/devices/disk-image.js';
import { screenText } from '../src/display/render.js';
import { requireTool } from './helpers/tools.js';
import { Console } from './helpers/console.js';
import { SEABIOS, VGABIOS, haveSeabios, haveSyslinuxTools, syslinuxDisk } from './helpers/syslinux-disk.js';

const MBR = 'test/guests/mbr-hello.bin';
const SECTOR1 = 'hello from the disk, read through INT 13h';

describe('SeaBIOS boots a disk image', () => {
  const hasNasm = requireTool('nasm', 'nasm');
  const hasSeabios = haveSeabios();

  it.runIf(hasNasm)('test/guests/mbr-hello.bin is what mbr-hello.asm assembles to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-'));
    try {
      execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'x.bin'), 'test/guests/mbr-hello.asm']);
      expect(Buffer.compare(readFileSync(join(dir, 'x.bin')), readFileSync(MBR))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(hasSeabios)('POST, the VGA option ROM, the ATA disk, INT 13h and INT 10h', async () => {
    const img = new Uint8Array(1 << 20);
    img.set(readFileSync(MBR));
    img.set(Buffer.from(`${SECTOR1}\0`, 'latin1'), 512);
    let e9 = '';
    let log = '';
    const pc = await Pc.create({
      memory: 64 << 20, bios: readFileSync(SEABIOS), vgaBios: readFileSync(VGABIOS), disk: new DiskImage(img), rtcEpoch: 1_700_000_000,
    });
    const m = pc.machine;
    m.attach(new DebugCon(0xe9, (b) => { e9 += Buffer.from(b).toString('latin1'); }));
    // SeaBIOS's debug port; it reads back 0xE9 from QEMU's debugcon before it writes there
    m.attach(new DebugCon(0x402, (b) => { log += Buffer.from(b).toString('latin1'); }));
    const stop = m.run(400_000_000n);
    expect(stop.why, log.slice(-2000)).toBe('halted');
    expect(e9).toBe(`wasmvisor boot sector: sector 1 says: ${SECTOR1}\r\n`);
    expect(log).toContain('ata0-0: WASMVISOR HARDDISK ATA-6 Hard-Disk (1 MiBytes)');
    expect(log).toContain('Running option rom at c000:0003');
    expect(log).toContain('Booting from Hard Disk...');
    const screen = screenText(pc.vga.regs, pc.vga.memory())!;
    expect(screen, 'the VGA is in a text mode').toBeDefined();
    const text = screen.map((r) => r.trimEnd()).join('\n');
    // the whole screen: SeaBIOS's lines through SeaVGABIOS, the boot sector's, nothing else (the
    // font SeaVGABIOS loads into plane 2 at its mode set must not show in the text)
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^SeaBIOS \(version [\w.-]+\)$/);
    expect(lines.slice(1)).toEqual(['Press ESC for boot menu.', 'Booting from Hard Disk...', `wasmvisor boot sector: sector 1 says: ${SECTOR1}`]);
    console.log(`SeaBIOS to the boot sector's halt: ${m.instructions} instructions\n${text.replace(/\n+$/, '')}`);
  }, 120_000);

  const hasSyslinux = haveSyslinuxTools();
  async function bootDisk(disk: Uint8Array, bufferedIo: boolean) {
    let con!: Console;
    const pc = await Pc.create({
      memory: 64 << 20, bios: readFileSync(SEABIOS), vgaBios: readFileSync(VGABIOS), disk: new DiskImage(disk),
      rtcEpoch: 1_700_000_000, serial: [(b) => con.sink(b)], noReboot: true, bufferedIo,
    });
    con = new Console(pc);
    const up = con.until(/~ # /, 1_500_000_000n);
    expect(up.stop, con.text.slice(-2000)).toBeUndefined();
    return { pc, con, booted: pc.machine.instructions, text: con.text, eip: pc.machine.core.eip, ioExits: pc.machine.stats.count[30]! };
  }

  it.runIf(hasSeabios && hasSyslinux)('boots the tiny Linux from a SYSLINUX disk to its shell', async () => {
    const disk = syslinuxDisk();
    const { con, booted, text, eip, ioExits } = await bootDisk(disk, true);
    const from = con.type('uname -sr; cat /proc/cmdline\n');
    // SYSLINUX passed the APPEND line, with BOOT_IMAGE and initrd= of its own
    const r = con.until(/BOOT_IMAGE=bzImage console=ttyS0 initrd=initrd\s*\r?\n/, 200_000_000n, from);
    expect(r.match, con.text.slice(from)).not.toBeNull();
    expect(con.text.slice(from)).toMatch(/Linux 6\.1\.\d+/);
    expect(con.text).toMatch(/Run \/init as init process/);
    // Buffered I/O: the REP INSW of each sector (SeaBIOS's, then SYSLINUX's through INT 13h) takes
    // the ATA block from the core's read stream instead of one exit per word. The guest sees the
    // same: the same instructions, text and EIP at the prompt without it, with 98 % more exits.
    const plain = await bootDisk(disk, false);
    expect({ booted, text, eip }).toEqual({ booted: plain.booted, text: plain.text, eip: plain.eip });
    expect(ioExits).toBeLessThan(plain.ioExits / 20);
    console.log(`SeaBIOS -> SYSLINUX -> Linux: shell prompt after ${booted} instructions, ${ioExits} I/O exits (${plain.ioExits} without buffered I/O)`);
  }, 240_000);
});
