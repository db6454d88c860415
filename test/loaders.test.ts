/**
 * Kernel loaders (src/loaders/): synthetic bzImage, PVH ELF and Multiboot images built here,
 * every field of the resulting boot plans checked at its documented offset, the error messages
 * for bad inputs, and the real images in images/ and test/guests/ when they are present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBzImage, parseSetupHeader } from '../src/loaders/bzimage.js';
import { detectKernelFormat, loadKernel } from '../src/loaders/detect.js';
import { loadMultiboot } from '../src/loaders/multiboot.js';
import { loadPvh } from '../src/loaders/pvh.js';
import { decodeDescriptor, LoaderError, type BootPlan } from '../src/loaders/plan.js';

const MiB = 1024 * 1024;

// ------------------------------------------------------------------ helpers

class W {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u8(o: number, v: number) {
    this.b[o] = v;
  }
  u16(o: number, v: number) {
    this.dv.setUint16(o, v, true);
  }
  u32(o: number, v: number) {
    this.dv.setUint32(o, v >>> 0, true);
  }
  str(o: number, s: string) {
    this.b.set(new TextEncoder().encode(s), o);
  }
}

function rd(b: Uint8Array) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    u8: (o: number) => dv.getUint8(o),
    u16: (o: number) => dv.getUint16(o, true),
    u32: (o: number) => dv.getUint32(o, true),
    u64: (o: number) => dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 2 ** 32,
  };
}

/** The plan's memory as the guest would see it: bytes at [addr, addr+len) from one write. */
function mem(plan: BootPlan, addr: number, len: number): Uint8Array {
  for (const w of plan.writes) {
    if (addr >= w.addr && addr + len <= w.addr + w.bytes.length) return w.bytes.subarray(addr - w.addr, addr - w.addr + len);
  }
  throw new Error(`no write covers 0x${addr.toString(16)}+${len}`);
}

function cstr(plan: BootPlan, addr: number): string {
  const w = plan.writes.find((x) => addr >= x.addr && addr < x.addr + x.bytes.length)!;
  const b = w.bytes.subarray(addr - w.addr);
  const end = b.indexOf(0);
  expect(end, 'NUL-terminated').toBeGreaterThanOrEqual(0);
  return new TextDecoder().decode(b.subarray(0, end));
}

function writeNamed(plan: BootPlan, what: string) {
  const w = plan.writes.find((x) => x.what === what);
  if (!w) throw new Error(`no write "${what}" in ${plan.writes.map((x) => x.what).join(', ')}`);
  return w;
}

/** Byte-array equality without the generic deep-equality walk (slow on large typed arrays). */
function expectBytes(got: Uint8Array, want: Uint8Array) {
  expect(got.length).toBe(want.length);
  expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), Buffer.from(want.buffer, want.byteOffset, want.length))).toBe(0);
}

function expectLoaderError(f: () => unknown, re: RegExp) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'throws').toBeInstanceOf(LoaderError);
  const msg = (err as Error).message;
  expect(msg).toMatch(re);
  expect(msg).not.toContain('\n');
}

/** Flat GDT and segment selectors, common to every plan. */
function checkCpuState(plan: BootPlan) {
  const gdt = mem(plan, plan.gdt.base, plan.gdt.limit + 1);
  expect(plan.gdt.base).toBe(0x8000);
  expect(plan.cs).toBe(0x10);
  expect(plan.ds).toBe(0x18);
  const code = decodeDescriptor(gdt, plan.cs);
  expect(code).toMatchObject({ base: 0, limit: 0xffffffff, s: 1, dpl: 0, present: true, db: 1, g: 1 });
  expect(code.type & 0xe).toBe(0xa); // code, exec/read
  const data = decodeDescriptor(gdt, plan.ds);
  expect(data).toMatchObject({ base: 0, limit: 0xffffffff, s: 1, dpl: 0, present: true, db: 1, g: 1 });
  expect(data.type & 0xe).toBe(0x2); // data, read/write, expand-up
  expect(Array.from(gdt.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  if (plan.tr !== undefined) {
    const tss = decodeDescriptor(gdt, plan.tr);
    expect(tss).toMatchObject({ base: 0, limit: 0x67, type: 0xb, s: 0, present: true, g: 0 });
  }
  for (const w of plan.writes) expect(w.addr, w.what).toBeGreaterThanOrEqual(0x500);
  expect(plan.regs.esp).toBe(0x6000);
}

function checkE820(plan: BootPlan, ram: number) {
  expect(plan.e820).toEqual([
    { addr: 0, size: 0x9fc00, type: 1 },
    { addr: 0x9fc00, size: 0x400, type: 2 },
    { addr: 0xf0000, size: 0x10000, type: 2 },
    { addr: 0x100000, size: ram - 0x100000, type: 1 },
  ]);
}

// ------------------------------------------------------------------ bzImage

interface BzOpts {
  version?: number;
  setupSects?: number;
  payload?: number;
  loadflags?: number;
  cmdlineSize?: number;
  initrdAddrMax?: number;
  prefAddress?: number;
  initSize?: number;
  relocatable?: number;
  kernelAlignment?: number;
}

function fakeBzImage(o: BzOpts = {}): { file: Uint8Array; payload: Uint8Array; setupBytes: number } {
  const sects = o.setupSects ?? 4;
  const setupBytes = ((sects === 0 ? 4 : sects) + 1) * 512;
  const payload = new Uint8Array(o.payload ?? 0x10000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
  const file = new Uint8Array(setupBytes + payload.length);
  file.set(payload, setupBytes);
  const w = new W(file);
  w.u8(0x1ef, 0xff); // the boot sector's sentinel byte (must not reach the zero page)
  w.u8(0x1f1, sects);
  w.u16(0x1f2, 1); // root_flags
  w.u32(0x1f4, payload.length / 16);
  w.u16(0x1fa, 0xffff); // vid_mode
  w.u16(0x1fe, 0xaa55);
  w.u8(0x200, 0xeb);
  w.u8(0x201, 0x6a); // jump over the header: header ends at 0x26C
  w.str(0x202, 'HdrS');
  w.u16(0x206, o.version ?? 0x020f);
  w.u16(0x20e, 0x200); // kernel_version -> 0x400
  w.str(0x400, '6.1.0-fake (test@wasmvisor) #1');
  w.u8(0x211, o.loadflags ?? 0x01);
  w.u32(0x214, 0x100000);
  w.u32(0x22c, o.initrdAddrMax ?? 0x7fffffff);
  w.u32(0x230, o.kernelAlignment ?? 0x200000);
  w.u8(0x234, o.relocatable ?? 0);
  w.u8(0x235, 21);
  w.u16(0x236, 0);
  w.u32(0x238, o.cmdlineSize ?? 2047);
  w.u32(0x258, o.prefAddress ?? 0x1000000);
  w.u32(0x260, o.initSize ?? 0x800000);
  return { file, payload, setupBytes };
}

describe('bzImage loader (Linux boot protocol, 32-bit entry)', () => {
  const ram = 64 * MiB;

  it('parses the setup header', () => {
    const { file } = fakeBzImage();
    const h = parseSetupHeader(file);
    expect(h).toMatchObject({
      version: 0x020f,
      setupSects: 4,
      syssize: 0x1000,
      loadflags: 1,
      code32Start: 0x100000,
      initrdAddrMax: 0x7fffffff,
      kernelAlignment: 0x200000,
      relocatable: false,
      cmdlineSize: 2047,
      prefAddress: 0x1000000,
      initSize: 0x800000,
      headerEnd: 0x26c,
      kernelVersion: '6.1.0-fake (test@wasmvisor) #1',
    });
    // setup_sects 0 means 4
    expect(parseSetupHeader(fakeBzImage({ setupSects: 0 }).file).setupSects).toBe(4);
    // before 2.06 the command line is limited to 255 bytes; before 2.03 initrd_addr_max is 0x37FFFFFF
    const old = parseSetupHeader(fakeBzImage({ version: 0x0202 }).file);
    expect(old.cmdlineSize).toBe(255);
    expect(old.initrdAddrMax).toBe(0x37ffffff);
    expect(old.prefAddress).toBe(0x100000);
    expect(old.initSize).toBe(0);
  });

  it('builds the zero page, command line, kernel image and CPU state', () => {
    const { file, payload } = fakeBzImage();
    const plan = loadBzImage(file, { ramBytes: ram, cmdline: 'console=ttyS0 quiet' });
    expect(plan.kind).toBe('linux');
    expect(plan.entry).toBe(0x100000);
    expect(plan.regs).toEqual({ esi: 0x7000, ebp: 0, edi: 0, ebx: 0, esp: 0x6000 });
    expect(plan.tr).toBeUndefined();
    checkCpuState(plan);
    checkE820(plan, ram);

    const k = writeNamed(plan, 'protected-mode kernel');
    expect(k.addr).toBe(0x100000);
    expectBytes(k.bytes, payload);

    const zpw = writeNamed(plan, 'zero page (boot_params)');
    expect(zpw.addr).toBe(0x7000);
    expect(zpw.bytes.length).toBe(4096);
    const zp = zpw.bytes;
    const z = rd(zp);
    // setup header copied from 0x1F1 to the header's end, then the loader's fields
    const differing: string[] = [];
    for (let o = 0x1f1; o < 0x26c; o++) {
      if (o === 0x210 || o === 0x211 || (o >= 0x218 && o < 0x220) || (o >= 0x224 && o < 0x22c)) continue;
      if (zp[o] !== file[o]) differing.push(`0x${o.toString(16)}`);
    }
    expect(differing, 'setup header bytes not copied').toEqual([]);
    expect(z.u32(0x202)).toBe(0x53726448);
    expect(z.u8(0x210)).toBe(0xff); // type_of_loader
    expect(z.u8(0x211)).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP, KEEP_SEGMENTS off
    expect(z.u16(0x224)).toBe(0xfe00); // heap_end_ptr
    expect(z.u32(0x228)).toBe(0x20000); // cmd_line_ptr
    expect(z.u32(0x218)).toBe(0); // no initrd
    expect(z.u32(0x21c)).toBe(0);
    expect(z.u32(0x214)).toBe(0x100000);
    // nothing else of the boot sector: sentinel 0, screen_info zero (no VGA text mode) but ext_mem_k
    expect(z.u8(0x1ef)).toBe(0);
    expect(z.u8(0x06)).toBe(0); // orig_video_mode
    expect(z.u8(0x07)).toBe(0); // orig_video_cols
    expect(z.u8(0x0e)).toBe(0); // orig_video_lines
    expect(z.u8(0x0f)).toBe(0); // orig_video_isVGA
    expect(z.u16(0x02)).toBe(0xfc00); // ext_mem_k: 63 MiB in KiB
    expect(z.u32(0x1e0)).toBe(63 * 1024); // alt_mem_k
    // e820
    expect(z.u8(0x1e8)).toBe(4);
    const e820 = [0, 1, 2, 3].map((i) => ({ addr: z.u64(0x2d0 + i * 20), size: z.u64(0x2d0 + i * 20 + 8), type: z.u32(0x2d0 + i * 20 + 16) }));
    expect(e820).toEqual(plan.e820);
    expect(z.u64(0x2d0 + 4 * 20)).toBe(0);
    // beyond the header and the table: zero
    expect(zp.subarray(0x26c, 0x2d0).every((b) => b === 0)).toBe(true);
    expect(zp.subarray(0x2d0 + 4 * 20).every((b) => b === 0)).toBe(true);

    expect(cstr(plan, 0x20000)).toBe('console=ttyS0 quiet');
    expect(writeNamed(plan, 'command line').bytes.length).toBe('console=ttyS0 quiet'.length + 1);
    expect(plan.notes.join('\n')).toMatch(/Linux boot protocol 2\.15, kernel 6\.1\.0-fake/);
  });

  it('gives an empty command line as a lone NUL and truncates to cmdline_size', () => {
    const { file } = fakeBzImage({ cmdlineSize: 10 });
    const empty = loadBzImage(file, { ramBytes: ram });
    expect(Array.from(writeNamed(empty, 'command line').bytes)).toEqual([0]);
    const long = loadBzImage(file, { ramBytes: ram, cmdline: 'console=ttyS0 earlyprintk' });
    const b = writeNamed(long, 'command line').bytes;
    expect(b.length).toBe(11);
    expect(b[10]).toBe(0);
    expect(cstr(long, 0x20000)).toBe('console=tt');
    expect(long.notes.join('\n')).toMatch(/truncated to cmdline_size = 10/);
    // protocol 2.05: 255 bytes at most
    const old = loadBzImage(fakeBzImage({ version: 0x0205 }).file, { ramBytes: ram, cmdline: 'x'.repeat(400) });
    expect(cstr(old, 0x20000)).toBe('x'.repeat(255));
  });

  it('places the initrd page aligned, as high as possible, below initrd_addr_max and above the kernel', () => {
    const { file } = fakeBzImage();
    const initrd = new Uint8Array(100_000).fill(0x5a);
    const plan = loadBzImage(file, { ramBytes: ram, initrd });
    const w = writeNamed(plan, 'initrd');
    expect(w.bytes).toBe(initrd);
    expect(w.addr % 4096).toBe(0);
    expect(w.addr + initrd.length).toBeLessThanOrEqual(ram);
    expect(ram - (w.addr + initrd.length)).toBeLessThan(4096);
    expect(w.addr).toBe((ram - initrd.length) & ~0xfff);
    const z = rd(writeNamed(plan, 'zero page (boot_params)').bytes);
    expect(z.u32(0x218)).toBe(w.addr);
    expect(z.u32(0x21c)).toBe(initrd.length);

    // initrd_addr_max below the RAM top
    const capped = loadBzImage(fakeBzImage({ initrdAddrMax: 0x1ffffff }).file, { ramBytes: ram, initrd });
    const c = writeNamed(capped, 'initrd');
    expect(c.addr + initrd.length - 1).toBeLessThanOrEqual(0x1ffffff);
    expect(c.addr).toBe((0x2000000 - initrd.length) & ~0xfff);

    // a 32-bit kernel's initrd stays below 768 MiB (lowmem), a 64-bit kernel's goes to the top
    const lowmem = loadBzImage(file, { ramBytes: 1024 * MiB, initrd });
    expect(writeNamed(lowmem, 'initrd').addr).toBe((0x30000000 - initrd.length) & ~0xfff);
    const k64 = fakeBzImage();
    new W(k64.file).u16(0x236, 0x3); // XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
    const high = loadBzImage(k64.file, { ramBytes: 1024 * MiB, initrd });
    expect(writeNamed(high, 'initrd').addr).toBe((1024 * MiB - initrd.length) & ~0xfff);
    expect(high.notes.join('\n')).toMatch(/XLF_KERNEL_64/);

    // the largest initrd that fits ends up right above the kernel's init_size area (16 MiB + 8 MiB)
    const big = new Uint8Array(ram - 24 * MiB);
    const tight = loadBzImage(file, { ramBytes: ram, initrd: big });
    expect(writeNamed(tight, 'initrd').addr).toBe(24 * MiB);
    expectLoaderError(() => loadBzImage(file, { ramBytes: ram, initrd: new Uint8Array(ram - 24 * MiB + 1) }), /not enough RAM for the kernel and a .* initrd: needs at least 65 MiB/);
    expectLoaderError(
      () => loadBzImage(fakeBzImage({ initrdAddrMax: 0x1ffffff }).file, { ramBytes: ram, initrd: new Uint8Array(9 * MiB) }),
      /does not fit between the kernel .* and its highest address 0x1FFFFFF \(initrd_addr_max 0x1FFFFFF\)/,
    );
    expectLoaderError(() => loadBzImage(file, { ramBytes: ram, initrd: new Uint8Array(0) }), /initrd is empty/);
  });

  it('keeps a relocatable kernel\'s run area (load address rounded up to kernel_alignment) clear', () => {
    // pref_address below 1 MiB aligned up: runs at alignUp(1 MiB, 32 MiB) = 32 MiB
    const { file } = fakeBzImage({ relocatable: 1, kernelAlignment: 32 * MiB, prefAddress: 0x1000000, initSize: 4 * MiB });
    const plan = loadBzImage(file, { ramBytes: 40 * MiB, initrd: new Uint8Array(4 * MiB) });
    expect(writeNamed(plan, 'initrd').addr).toBe(36 * MiB);
    expectLoaderError(() => loadBzImage(file, { ramBytes: 35 * MiB }), /kernel needs at least 36 MiB of RAM/);
  });

  it('rejects bad and unsupported images with one-line messages', () => {
    const { file, setupBytes } = fakeBzImage();
    expectLoaderError(() => loadBzImage(file.subarray(0, 2000), { ramBytes: ram }), /^truncated bzImage: setup says 4 sectors \(2560 bytes with the boot sector\), file has 2000 bytes$/);
    expectLoaderError(() => loadBzImage(file.subarray(0, file.length - 100), { ramBytes: ram }), /^truncated bzImage: syssize says 65536 bytes of protected-mode code, file has 65436/);
    expectLoaderError(() => loadBzImage(file.subarray(0, setupBytes), { ramBytes: ram }), /truncated bzImage/);
    const noSig = file.slice();
    noSig[0x202] = 0;
    expectLoaderError(() => loadBzImage(noSig, { ramBytes: ram }), /^not a Linux kernel: no HdrS signature/);
    const noFlag = file.slice();
    noFlag[0x1fe] = 0;
    expectLoaderError(() => loadBzImage(noFlag, { ramBytes: ram }), /^not a Linux kernel: boot_flag/);
    expectLoaderError(() => loadBzImage(fakeBzImage({ version: 0x0201 }).file, { ramBytes: ram }), /boot protocol 2\.01 is too old/);
    expectLoaderError(() => loadBzImage(fakeBzImage({ loadflags: 0 }).file, { ramBytes: ram }), /zImage/);
    expectLoaderError(() => loadBzImage(new Uint8Array(100), { ramBytes: ram }), /^not a Linux kernel/);
    expectLoaderError(() => loadBzImage(new Uint8Array(0), { ramBytes: ram }), /empty/);
    expectLoaderError(() => loadBzImage(buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: new Uint8Array(16) }] }), { ramBytes: ram }), /ELF vmlinux, not a bzImage: boot it through PVH/);
    // pref_address 16 MiB + init_size 8 MiB
    expectLoaderError(() => loadBzImage(file, { ramBytes: 16 * MiB }), /^kernel needs at least 24 MiB of RAM/);
    expect(() => loadBzImage(file, { ramBytes: 24 * MiB })).not.toThrow();
    expectLoaderError(() => loadBzImage(file, { ramBytes: 4 * 1024 * MiB }), /RAM size .* out of range/);
    expectLoaderError(() => loadBzImage(file, { ramBytes: ram, cmdline: 'a\0b' }), /NUL/);
  });
});

// ------------------------------------------------------------------ ELF / PVH

interface Seg {
  paddr: number;
  vaddr?: number;
  data: Uint8Array;
  memsz?: number;
}
interface Note {
  name: string;
  type: number;
  desc: Uint8Array;
}

function u32le(v: number) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

/** A minimal ELF32 i386 ET_EXEC: header, program headers (PT_NOTE first if notes), notes, data. */
function buildElf(o: { entry: number; segments: Seg[]; notes?: Note[]; cls?: number; machine?: number }): Uint8Array {
  const notes = o.notes ?? [];
  const noteBytes: number[] = [];
  const pad = (a: number[]) => {
    while (a.length % 4) a.push(0);
  };
  for (const n of notes) {
    const name = [...new TextEncoder().encode(n.name), 0];
    const hdr = new W(new Uint8Array(12));
    hdr.u32(0, name.length);
    hdr.u32(4, n.desc.length);
    hdr.u32(8, n.type);
    noteBytes.push(...hdr.b, ...name);
    pad(noteBytes);
    noteBytes.push(...n.desc);
    pad(noteBytes);
  }
  const phnum = o.segments.length + (notes.length ? 1 : 0);
  let off = 52 + phnum * 32;
  const noteOff = off;
  off += noteBytes.length;
  const segOffs = o.segments.map((s) => {
    off = Math.ceil(off / 16) * 16;
    const at = off;
    off += s.data.length;
    return at;
  });
  const file = new Uint8Array(off);
  const w = new W(file);
  file.set([0x7f, 0x45, 0x4c, 0x46, o.cls ?? 1, 1, 1], 0);
  w.u16(16, 2); // ET_EXEC
  w.u16(18, o.machine ?? 3); // EM_386
  w.u32(20, 1);
  w.u32(24, o.entry);
  w.u32(28, 52); // e_phoff
  w.u16(40, 52); // e_ehsize
  w.u16(42, 32); // e_phentsize
  w.u16(44, phnum);
  let ph = 52;
  if (notes.length) {
    w.u32(ph, 4);
    w.u32(ph + 4, noteOff);
    w.u32(ph + 16, noteBytes.length);
    w.u32(ph + 20, noteBytes.length);
    w.u32(ph + 28, 4);
    ph += 32;
    file.set(noteBytes, noteOff);
  }
  o.segments.forEach((s, i) => {
    w.u32(ph, 1); // PT_LOAD
    w.u32(ph + 4, segOffs[i]!);
    w.u32(ph + 8, s.vaddr ?? s.paddr);
    w.u32(ph + 12, s.paddr);
    w.u32(ph + 16, s.data.length);
    w.u32(ph + 20, s.memsz ?? s.data.length);
    w.u32(ph + 24, 7);
    w.u32(ph + 28, 0x1000);
    file.set(s.data, segOffs[i]!);
    ph += 32;
  });
  return file;
}

function pattern(n: number, seed: number) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

const xenNote = (entry: number, size = 4): Note => {
  const desc = new Uint8Array(size);
  new DataView(desc.buffer).setUint32(0, entry, true);
  return { name: 'Xen', type: 18, desc };
};

function fakeVmlinux(noteSize = 4) {
  const text = pattern(0x3000, 1);
  const data = pattern(0x800, 2);
  const file = buildElf({
    entry: 0xc1000000,
    segments: [
      { paddr: 0x1000000, vaddr: 0xc1000000, data: text },
      { paddr: 0x1004000, vaddr: 0xc1004000, data, memsz: 0x3000 },
    ],
    notes: [
      { name: 'GNU', type: 3, desc: pattern(20, 9) },
      { name: 'Xen', type: 6, desc: new TextEncoder().encode('linux\0') },
      xenNote(0x1000010, noteSize),
    ],
  });
  return { file, text, data };
}

describe('PVH loader (Xen x86/HVM direct boot ABI)', () => {
  const ram = 64 * MiB;

  it('loads PT_LOAD segments at p_paddr, enters at the PHYS32_ENTRY note with EBX = hvm_start_info', () => {
    const { file, text, data } = fakeVmlinux();
    const initrd = pattern(50_000, 3);
    const plan = loadPvh(file, { ramBytes: ram, cmdline: 'console=ttyS0', initrd });
    expect(plan.kind).toBe('pvh');
    expect(plan.entry).toBe(0x1000010);
    expect(plan.regs).toEqual({ ebx: 0x9000, esp: 0x6000 });
    expect(plan.tr).toBe(0x20);
    checkCpuState(plan);
    checkE820(plan, ram);
    expectBytes(mem(plan, 0x1000000, text.length), text);
    expectBytes(mem(plan, 0x1004000, data.length), data);
    const bss = mem(plan, 0x1004000 + data.length, 0x3000 - data.length);
    expect(bss.length).toBe(0x2800);
    expect(writeNamed(plan, 'kernel segment 2 bss').addr).toBe(0x1004800);
    expect(bss.every((b) => b === 0)).toBe(true);

    const si = rd(mem(plan, 0x9000, 56));
    expect(si.u32(0)).toBe(0x336ec578);
    expect(si.u32(4)).toBe(1);
    expect(si.u32(8)).toBe(0); // flags
    expect(si.u32(12)).toBe(1); // nr_modules
    expect(si.u64(16)).toBe(0x9040); // modlist_paddr
    expect(si.u64(24)).toBe(0x20000); // cmdline_paddr
    expect(si.u64(32)).toBe(0); // rsdp_paddr
    expect(si.u64(40)).toBe(0x9100); // memmap_paddr
    expect(si.u32(48)).toBe(4); // memmap_entries
    expect(si.u32(52)).toBe(0);
    expect(cstr(plan, 0x20000)).toBe('console=ttyS0');

    const mm = rd(mem(plan, 0x9100, 4 * 24));
    const entries = [0, 1, 2, 3].map((i) => ({ addr: mm.u64(i * 24), size: mm.u64(i * 24 + 8), type: mm.u32(i * 24 + 16) }));
    expect(entries).toEqual(plan.e820);
    for (let i = 0; i < 4; i++) expect(mm.u32(i * 24 + 20)).toBe(0);

    const mod = rd(mem(plan, 0x9040, 32));
    const iw = writeNamed(plan, 'initrd');
    expect(iw.bytes).toBe(initrd);
    expect(mod.u64(0)).toBe(iw.addr);
    expect(mod.u64(8)).toBe(initrd.length);
    expect(mod.u64(16)).toBe(0);
    expect(mod.u64(24)).toBe(0);
    expect(iw.addr % 4096).toBe(0);
    expect(iw.addr).toBe((ram - initrd.length) & ~0xfff);
    expect(iw.addr).toBeGreaterThanOrEqual(0x1007000);
  });

  it('keeps the initrd below 768 MiB (a 32-bit kernel\'s lowmem)', () => {
    const initrd = pattern(50_000, 3);
    const plan = loadPvh(fakeVmlinux().file, { ramBytes: 1024 * MiB, initrd });
    expect(writeNamed(plan, 'initrd').addr).toBe((0x30000000 - initrd.length) & ~0xfff);
  });

  it('accepts an 8-byte entry note and works without an initrd', () => {
    const plan = loadPvh(fakeVmlinux(8).file, { ramBytes: ram });
    expect(plan.entry).toBe(0x1000010);
    const si = rd(mem(plan, 0x9000, 56));
    expect(si.u32(12)).toBe(0);
    expect(si.u64(16)).toBe(0);
    expect(Array.from(writeNamed(plan, 'command line').bytes)).toEqual([0]);
  });

  it('rejects ELF kernels it cannot boot', () => {
    const noNote = buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: pattern(64, 1) }] });
    expectLoaderError(() => loadPvh(noNote, { ramBytes: ram }), /no PVH entry note \(XEN_ELFNOTE_PHYS32_ENTRY\)/);
    expectLoaderError(() => loadKernel(noNote, { ramBytes: ram }), /^ELF kernel without a PVH entry note/);
    const elf64 = buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: pattern(64, 1) }], cls: 2 });
    expectLoaderError(() => loadKernel(elf64, { ramBytes: ram }), /64-bit ELF/);
    expectLoaderError(() => loadPvh(elf64, { ramBytes: ram }), /64-bit ELF \(ELFCLASS64\)/);
    const arm = buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: pattern(64, 1) }], notes: [xenNote(0x100000)], machine: 40 });
    expectLoaderError(() => loadPvh(arm, { ramBytes: ram }), /not i386/);
    const { file } = fakeVmlinux();
    expectLoaderError(() => loadPvh(file.subarray(0, file.length - 10), { ramBytes: ram }), /^truncated ELF kernel/);
    expectLoaderError(() => loadPvh(file, { ramBytes: 16 * MiB }), /kernel needs at least 17 MiB of RAM/);
    expectLoaderError(() => loadPvh(file, { ramBytes: 20 * MiB, initrd: new Uint8Array(4 * MiB) }), /not enough RAM for the kernel and a 4 MiB initrd: needs at least 21 MiB/);
    const lowSeg = buildElf({ entry: 0x8010, segments: [{ paddr: 0x8000, data: pattern(64, 1) }], notes: [xenNote(0x8010)] });
    expectLoaderError(() => loadPvh(lowSeg, { ramBytes: ram }), /overlaps kernel segment|overlaps GDT/);
    const badEntry = buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: pattern(64, 1) }], notes: [xenNote(0x200000)] });
    expectLoaderError(() => loadPvh(badEntry, { ramBytes: ram }), /not inside any loaded segment/);
  });
});

// ------------------------------------------------------------------ Multiboot

function mbHeader(flags: number, fields: number[] = []): Uint8Array {
  const h = new W(new Uint8Array(12 + fields.length * 4));
  h.u32(0, 0x1badb002);
  h.u32(4, flags);
  h.u32(8, -(0x1badb002 + flags));
  fields.forEach((f, i) => h.u32(12 + i * 4, f));
  return h.b;
}

/** An a.out-kludge image: `pre` bytes of padding, the header, then code; loaded at 0x100000. */
function fakeAout(o: { pre?: number; bss?: number; flags?: number; extra?: number[] } = {}) {
  const pre = o.pre ?? 0;
  const code = pattern(0x1234, 5);
  const base = 0x100000;
  const hdrLen = 32 + (o.extra?.length ?? 0) * 4;
  const len = pre + hdrLen + code.length;
  const loadEnd = base + len;
  const bssEnd = o.bss ? loadEnd + o.bss : 0;
  const flags = o.flags ?? 0x00010003;
  const hdr = mbHeader(flags, [base + pre, base, loadEnd, bssEnd, base + pre + hdrLen, ...(o.extra ?? [])]);
  const file = new Uint8Array(len);
  file.fill(0x90, 0, pre);
  file.set(hdr, pre);
  file.set(code, pre + hdrLen);
  return { file, entry: base + pre + hdrLen, loadEnd, bssEnd };
}

describe('Multiboot loader (Multiboot 0.6.96)', () => {
  const ram = 32 * MiB;

  it('loads an a.out kludge image and builds multiboot_info, mmap, modules and strings', () => {
    const { file, entry, loadEnd } = fakeAout({ pre: 0x40, bss: 0x2000 });
    const m0 = pattern(5000, 7);
    const m1 = pattern(9000, 8);
    const plan = loadMultiboot(file, {
      ramBytes: ram,
      cmdline: 'loglevel=3',
      modules: [
        { bytes: m0, cmdline: 'initrd.img root=/dev/ram' },
        { bytes: m1, cmdline: 'second' },
      ],
    });
    expect(plan.kind).toBe('multiboot');
    expect(plan.entry).toBe(entry);
    expect(plan.regs).toEqual({ eax: 0x2badb002, ebx: 0x9000, esp: 0x6000 });
    expect(plan.tr).toBeUndefined();
    checkCpuState(plan);
    checkE820(plan, ram);
    expectBytes(mem(plan, 0x100000, file.length), file);
    expect(mem(plan, loadEnd, 0x2000).every((b) => b === 0)).toBe(true);

    const mbi = rd(mem(plan, 0x9000, 88));
    expect(mbi.u32(0)).toBe(0x1 | 0x4 | 0x8 | 0x40 | 0x200);
    expect(mbi.u32(4)).toBe(639); // mem_lower
    expect(mbi.u32(8)).toBe(31 * 1024); // mem_upper
    expect(mbi.u32(12)).toBe(0); // boot_device (flag 1 off)
    expect(cstr(plan, mbi.u32(16))).toBe('loglevel=3');
    expect(mbi.u32(16)).toBe(0x20000);
    expect(mbi.u32(20)).toBe(2);
    expect(mbi.u32(24)).toBe(0x9200);
    for (let o = 28; o < 44; o += 4) expect(mbi.u32(o)).toBe(0); // syms
    expect(mbi.u32(44)).toBe(4 * 24); // mmap_length
    expect(mbi.u32(48)).toBe(0x9100); // mmap_addr
    expect(cstr(plan, mbi.u32(64))).toBe('wasmvisor');

    // mmap: size field (20) before each 20-byte entry; walk it the way the spec says
    const mm = rd(mem(plan, 0x9100, 96));
    const entries = [];
    for (let o = 0; o < 96; o += mm.u32(o) + 4) {
      expect(mm.u32(o)).toBe(20);
      entries.push({ addr: mm.u64(o + 4), size: mm.u64(o + 12), type: mm.u32(o + 20) });
    }
    expect(entries).toEqual(plan.e820);

    // modules after the kernel's bss, page aligned, mod_end exclusive
    const mods = rd(mem(plan, 0x9200, 32));
    const s0 = mods.u32(0);
    const s1 = mods.u32(16);
    expect(s0 % 4096).toBe(0);
    expect(s0).toBe(Math.ceil((loadEnd + 0x2000) / 4096) * 4096);
    expect(mods.u32(4)).toBe(s0 + m0.length);
    expect(cstr(plan, mods.u32(8))).toBe('initrd.img root=/dev/ram');
    expect(mods.u32(12)).toBe(0);
    expect(s1 % 4096).toBe(0);
    expect(s1).toBe(Math.ceil((s0 + m0.length) / 4096) * 4096);
    expect(mods.u32(20)).toBe(s1 + m1.length);
    expect(cstr(plan, mods.u32(24))).toBe('second');
    expectBytes(mem(plan, s0, m0.length), m0);
    expectBytes(mem(plan, s1, m1.length), m1);
  });

  it('passes the image name first when asked (as QEMU does) and notes but ignores a video mode request', () => {
    const { file } = fakeAout({ flags: 0x00010007, extra: [0, 1024, 768, 32] });
    const plan = loadKernel(file, { ramBytes: ram, cmdline: 'a b', kernelName: 'kernel.bin', initrd: pattern(10, 1) });
    expect(plan.kind).toBe('multiboot');
    expect(cstr(plan, 0x20000)).toBe('kernel.bin a b');
    expect(plan.notes.join('\n')).toMatch(/video mode type 0 1024x768x32: ignored/);
    const mbi = rd(mem(plan, 0x9000, 88));
    expect(mbi.u32(20)).toBe(1); // the initrd became the only module
    expect(mbi.u32(0) & (1 << 11)).toBe(0); // no VBE info
  });

  it('loads an ELF Multiboot kernel at p_paddr and translates a virtual entry point', () => {
    const text = new Uint8Array(0x400);
    text.set(mbHeader(0x3), 0x10);
    const plan = loadMultiboot(
      buildElf({ entry: 0xc0100020, segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: text, memsz: 0x2000 }] }),
      { ramBytes: ram },
    );
    expect(plan.entry).toBe(0x100020);
    expectBytes(mem(plan, 0x100000, 0x400), text);
    expect(mem(plan, 0x100400, 0x1c00).every((b) => b === 0)).toBe(true);
    expect(rd(mem(plan, 0x9000, 88)).u32(20)).toBe(0);
    // identity-mapped entry stays as is
    const id = loadMultiboot(buildElf({ entry: 0x100030, segments: [{ paddr: 0x100000, data: text }] }), { ramBytes: ram });
    expect(id.entry).toBe(0x100030);
  });

  it('rejects bad Multiboot images', () => {
    const { file } = fakeAout();
    const bad = file.slice();
    bad[8] = bad[8]! ^ 1;
    expectLoaderError(() => loadMultiboot(bad, { ramBytes: ram }), /bad checksum/);
    expect(detectKernelFormat(bad)).toBeUndefined();
    expectLoaderError(() => loadMultiboot(fakeAout({ flags: 0x00010008 }).file, { ramBytes: ram }), /mandatory flag bits 0x8/);
    // optional bits 17-31 are fine
    expect(() => loadMultiboot(fakeAout({ flags: 0x00030003 }).file, { ramBytes: ram })).not.toThrow();
    expectLoaderError(() => loadMultiboot(file.subarray(0, file.length - 1), { ramBytes: ram }), /^truncated Multiboot kernel/);
    const noAout = new Uint8Array(256);
    noAout.set(mbHeader(0x3), 8);
    expectLoaderError(() => loadMultiboot(noAout, { ramBytes: ram }), /neither ELF nor has the a\.out kludge/);
    expectLoaderError(() => loadMultiboot(new Uint8Array(9000), { ramBytes: ram }), /no header .* in the first 8192 bytes/);
    // a header past 8192 bytes is not found
    const far = new Uint8Array(9000);
    far.set(mbHeader(0x10003, [0, 0, 0, 0, 0]), 8192);
    expect(detectKernelFormat(far)).toBeUndefined();
    expectLoaderError(() => loadMultiboot(file, { ramBytes: ram, modules: [{ bytes: new Uint8Array(31 * MiB) }] }), /not enough RAM for the kernel and its modules/);
    const low = new Uint8Array(64);
    low.set(mbHeader(0x10000, [0x8000, 0x8000, 0x8040, 0, 0x8020]));
    expectLoaderError(() => loadMultiboot(low, { ramBytes: ram }), /overlaps kernel image|overlaps GDT/);
  });
});

// ------------------------------------------------------------------ detection

describe('format detection (QEMU order: Linux header, Multiboot, PVH)', () => {
  const ram = 64 * MiB;

  it('tells the formats apart', () => {
    expect(detectKernelFormat(fakeBzImage().file)).toBe('linux');
    expect(detectKernelFormat(fakeVmlinux().file)).toBe('pvh');
    expect(detectKernelFormat(fakeAout().file)).toBe('multiboot');
    // an ELF with both a Multiboot header and a PVH note boots as Multiboot, as in QEMU
    const text = new Uint8Array(0x100);
    text.set(mbHeader(0x3), 0);
    const both = buildElf({ entry: 0x100010, segments: [{ paddr: 0x100000, data: text }], notes: [xenNote(0x100020)] });
    expect(detectKernelFormat(both)).toBe('multiboot');
    expect(loadKernel(both, { ramBytes: ram }).kind).toBe('multiboot');
    expect(detectKernelFormat(new Uint8Array(4096))).toBeUndefined();
  });

  it('hands the initrd to each format and reports bad input in one line', () => {
    const initrd = pattern(1000, 4);
    expect(writeNamed(loadKernel(fakeBzImage().file, { ramBytes: ram, initrd }), 'initrd').bytes).toBe(initrd);
    expect(writeNamed(loadKernel(fakeVmlinux().file, { ramBytes: ram, modules: [{ bytes: initrd }] }), 'initrd').bytes).toBe(initrd);
    expectLoaderError(() => loadKernel(fakeBzImage().file, { ramBytes: ram, modules: [{ bytes: initrd }, { bytes: initrd }] }), /takes one initrd/);
    expectLoaderError(() => loadKernel(new Uint8Array(0), { ramBytes: ram }), /^kernel image is empty$/);
    expectLoaderError(() => loadKernel(new Uint8Array(100), { ramBytes: ram }), /^not a kernel image: 100 bytes/);
    expectLoaderError(() => loadKernel(pattern(100_000, 3), { ramBytes: ram }), /^not a kernel image: no Linux setup header, PVH note or Multiboot header$/);
    // a truncated bzImage is still recognised by its header and reported as truncated
    expectLoaderError(() => loadKernel(fakeBzImage().file.subarray(0, 1024), { ramBytes: ram }), /^truncated bzImage/);
  });
});

// ------------------------------------------------------------------ real images

describe('real images', () => {
  it('images/bzImage (the tiny Linux 6.1 build) parses with sane values', () => {
    const path = 'images/bzImage';
    if (!existsSync(path)) {
      console.log(`${path} is absent (built by images/build.sh): only the synthetic bzImage was checked`);
      return;
    }
    const file = new Uint8Array(readFileSync(path));
    const h = parseSetupHeader(file);
    expect(h.version).toBeGreaterThanOrEqual(0x020c);
    expect(h.code32Start).toBe(0x100000);
    expect(h.loadflags & 1).toBe(1);
    expect(h.prefAddress).toBeGreaterThanOrEqual(0x100000);
    expect(h.initSize).toBeGreaterThan(0);
    expect(h.cmdlineSize).toBeGreaterThanOrEqual(255);
    expect(h.kernelVersion).toMatch(/^6\.1/);
    const plan = loadKernel(file, { ramBytes: 64 * MiB, cmdline: 'console=ttyS0', initrd: new Uint8Array(4096) });
    expect(plan.kind).toBe('linux');
    expect(plan.entry).toBe(0x100000);
    console.log(plan.notes.join('\n'));
  });

  it('images/vmlinux.pvh (the same kernel as an ELF with the PVH note) loads', () => {
    const path = 'images/vmlinux.pvh';
    if (!existsSync(path)) {
      console.log(`${path} is absent (built by images/build.sh): only the synthetic PVH kernel was checked`);
      return;
    }
    const file = new Uint8Array(readFileSync(path));
    expect(detectKernelFormat(file)).toBe('pvh');
    const plan = loadKernel(file, { ramBytes: 64 * MiB, cmdline: 'console=ttyS0', initrd: new Uint8Array(4096) });
    expect(plan.kind).toBe('pvh');
    expect(plan.entry).toBeGreaterThanOrEqual(0x100000);
    expect(plan.entry).toBeLessThan(0x40000000);
    console.log(plan.notes.join('\n'));
  });

  it('test/guests/mb-platform.bin (a.out kludge Multiboot kernel) loads at 1 MiB', () => {
    const file = new Uint8Array(readFileSync('test/guests/mb-platform.bin'));
    expect(detectKernelFormat(file)).toBe('multiboot');
    const plan = loadKernel(file, { ramBytes: 32 * MiB });
    expect(plan.entry).toBe(0x100020);
    expect(writeNamed(plan, 'kernel image').addr).toBe(0x100000);
    expect(rd(mem(plan, 0x9000, 88)).u32(8)).toBe(31 * 1024);
  });
});
