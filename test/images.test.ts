/**
 * The tiny Linux guest committed in images/ (rebuilt by images/build.sh, which this test does not
 * run): the files match images/SHA256SUMS, the bzImage has a sane boot-protocol header, the
 * initramfs is an uncompressed newc archive with /init and busybox, the PVH vmlinux carries the
 * Xen PHYS32_ENTRY note, and the final .config kept every line of the committed fragment.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = 'images';
const path = (name: string) => join(DIR, name);
const read = (name: string) => readFileSync(path(name));

function sums(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(path('SHA256SUMS'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`bad SHA256SUMS line: ${line}`);
    map.set(m[2]!, m[1]!);
  }
  return map;
}

describe('images/SHA256SUMS', () => {
  const listed = sums();

  it('lists the kernel, the initramfs and the final config', () => {
    for (const name of ['bzImage', 'initramfs.cpio', 'linux-6.1-tiny.config.full']) {
      expect(listed.has(name), name).toBe(true);
    }
    expect(listed.has('vmlinux.pvh')).toBe(existsSync(path('vmlinux.pvh')));
  });

  for (const [name, want] of listed) {
    it(`${name} matches its checksum`, () => {
      expect(createHash('sha256').update(read(name)).digest('hex')).toBe(want);
    });
  }
});

describe('images/bzImage', () => {
  const img = read('bzImage');

  it('has a Linux boot-protocol header (2.12 or later)', () => {
    expect(img.readUInt16LE(0x1fe)).toBe(0xaa55); // boot_flag
    expect(img.toString('latin1', 0x202, 0x206)).toBe('HdrS'); // header magic
    expect(img.readUInt16LE(0x206)).toBeGreaterThanOrEqual(0x020c); // protocol version
    const setupSects = img[0x1f1]! || 4;
    expect((setupSects + 1) * 512).toBeLessThan(img.length);
    expect(img[0x211]! & 0x01).toBe(1); // loadflags.LOADED_HIGH: protected-mode code at 1 MiB
  });

  it('is a non-relocatable i386 kernel for 16 MiB that fits a 32 MiB guest', () => {
    const pref = img.readUInt32LE(0x258) + img.readUInt32LE(0x25c) * 2 ** 32; // pref_address
    const initSize = img.readUInt32LE(0x260); // memory the kernel needs from pref_address
    expect(pref).toBe(0x100_0000);
    expect(img[0x234]).toBe(0); // relocatable_kernel
    expect(img.readUInt16LE(0x236) & 0x1).toBe(0); // xloadflags.XLF_KERNEL_64: not a 64-bit kernel
    expect(pref + initSize).toBeLessThan(24 << 20);
  });

  it('carries an LZ4-compressed payload', () => {
    const off = img.readUInt32LE(0x248); // payload_offset, from the protected-mode code
    const len = img.readUInt32LE(0x24c);
    const setupSize = ((img[0x1f1]! || 4) + 1) * 512;
    expect(setupSize + off + len).toBeLessThanOrEqual(img.length);
    expect(img.readUInt32LE(setupSize + off)).toBe(0x184c2102); // LZ4 legacy frame magic
  });
});

interface CpioEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  rdevmajor: number;
  rdevminor: number;
  data: Buffer;
}

function parseNewc(buf: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [];
  let off = 0;
  const align4 = (n: number) => (n + 3) & ~3;
  for (;;) {
    const magic = buf.toString('latin1', off, off + 6);
    if (magic !== '070701') throw new Error(`no newc header at ${off}: ${JSON.stringify(magic)}`);
    const field = (i: number) => parseInt(buf.toString('latin1', off + 6 + 8 * i, off + 14 + 8 * i), 16);
    const namesize = field(11);
    const filesize = field(6);
    const name = buf.toString('latin1', off + 110, off + 110 + namesize - 1);
    const dataOff = align4(off + 110 + namesize);
    if (name === 'TRAILER!!!') break;
    entries.push({
      name,
      mode: field(1),
      uid: field(2),
      gid: field(3),
      mtime: field(5),
      rdevmajor: field(9),
      rdevminor: field(10),
      data: buf.subarray(dataOff, dataOff + filesize),
    });
    off = align4(dataOff + filesize);
    if (off >= buf.length) throw new Error('newc archive without a trailer');
  }
  return entries;
}

describe('images/initramfs.cpio', () => {
  const entries = parseNewc(read('initramfs.cpio'));
  const byName = new Map(entries.map((e) => [e.name, e]));
  const S_IFMT = 0o170000;

  it('is an uncompressed newc archive, sorted, owned by root, with one mtime', () => {
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    for (const e of entries) {
      expect([e.name, e.uid, e.gid]).toEqual([e.name, 0, 0]);
      expect(e.mtime).toBe(entries[0]!.mtime);
    }
  });

  it('has an executable /init shell script', () => {
    const init = byName.get('init');
    expect(init).toBeDefined();
    expect(init!.mode & S_IFMT).toBe(0o100000);
    expect(init!.mode & 0o777).toBe(0o755);
    const text = init!.data.toString('utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain('wasmvisor tiny linux');
  });

  it('has a static i386 busybox with its applets linked to it', () => {
    const bb = byName.get('bin/busybox');
    expect(bb).toBeDefined();
    expect(bb!.mode & S_IFMT).toBe(0o100000);
    expect(bb!.data.toString('latin1', 0, 4)).toBe('\x7fELF');
    expect(bb!.data[4]).toBe(1); // ELFCLASS32
    expect(bb!.data.readUInt16LE(18)).toBe(3); // EM_386
    for (const applet of ['bin/sh', 'bin/mount', 'bin/cttyhack', 'sbin/poweroff', 'usr/bin/setsid']) {
      const e = byName.get(applet);
      expect(e, applet).toBeDefined();
      expect(e!.mode & S_IFMT).toBe(0o120000);
      expect(e!.data.toString()).toBe('/bin/busybox');
    }
  });

  it('has /dev/console for the kernel to open before /init runs', () => {
    const con = byName.get('dev/console');
    expect(con).toBeDefined();
    expect(con!.mode & S_IFMT).toBe(0o020000);
    expect([con!.rdevmajor, con!.rdevminor]).toEqual([5, 1]);
  });
});

describe.runIf(existsSync(path('vmlinux.pvh')))('images/vmlinux.pvh', () => {
  it('is an i386 ELF32 with the Xen PHYS32_ENTRY note pointing into a loaded segment', () => {
    const elf = read('vmlinux.pvh');
    expect(elf.toString('latin1', 0, 4)).toBe('\x7fELF');
    expect(elf[4]).toBe(1); // ELFCLASS32
    expect(elf[5]).toBe(1); // little-endian
    expect(elf.readUInt16LE(18)).toBe(3); // EM_386
    const phoff = elf.readUInt32LE(28);
    const phentsize = elf.readUInt16LE(42);
    const phnum = elf.readUInt16LE(44);
    const loads: Array<[number, number]> = [];
    let entry: number | undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = phoff + i * phentsize;
      const type = elf.readUInt32LE(ph);
      const offset = elf.readUInt32LE(ph + 4);
      const paddr = elf.readUInt32LE(ph + 12);
      const filesz = elf.readUInt32LE(ph + 16);
      const memsz = elf.readUInt32LE(ph + 20);
      if (type === 1) loads.push([paddr, paddr + memsz]); // PT_LOAD
      if (type !== 4) continue; // PT_NOTE
      for (let n = offset; n + 12 <= offset + filesz; ) {
        const namesz = elf.readUInt32LE(n);
        const descsz = elf.readUInt32LE(n + 4);
        const ntype = elf.readUInt32LE(n + 8);
        const name = elf.toString('latin1', n + 12, n + 12 + namesz).replace(/\0+$/, '');
        const desc = n + 12 + ((namesz + 3) & ~3);
        if (name === 'Xen' && ntype === 18) entry = elf.readUInt32LE(desc); // XEN_ELFNOTE_PHYS32_ENTRY
        n = desc + ((descsz + 3) & ~3);
      }
    }
    expect(entry).toBeDefined();
    expect(loads.some(([lo, hi]) => entry! >= lo && entry! < hi)).toBe(true);
  });
});

describe('images/linux-6.1-tiny.config', () => {
  it('survived whole into the final .config', () => {
    const full = new Set(read('linux-6.1-tiny.config.full').toString('utf8').split('\n'));
    const fullText = [...full].join('\n');
    for (const line of read('linux-6.1-tiny.config').toString('utf8').split('\n')) {
      if (/^CONFIG_\w+=/.test(line)) expect(full.has(line), line).toBe(true);
      const off = /^# (CONFIG_\w+) is not set$/.exec(line);
      if (off) expect(fullText).not.toMatch(new RegExp(`^${off[1]}=`, 'm'));
    }
  });
});
