/**
 * Boot plans applied to a real machine (src/boot.ts): a tiny kernel per format reads what its
 * protocol promises (Linux: cmd_line_ptr through ESI; PVH: hvm_start_info's magic through EBX
 * and TR; Multiboot: EAX's magic and mem_upper through EBX), reloads DS from the plan's GDT and
 * halts. Checks that the plans' GDT, selectors and registers work on the core.
 */
import { describe, expect, it } from 'vitest';
import { applyBootPlan } from '../src/boot.js';
import { loadKernel } from '../src/loaders/detect.js';
import { Machine } from '../src/machine.js';

const MiB = 1024 * 1024;
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6, EDI = 7;

// 66 BA 18 00     mov dx, 0x18
// 8E DA           mov ds, dx      (a fresh load of the flat data descriptor from the GDT)
// 8E C2           mov es, dx
// 8E D2           mov ss, dx
const RELOAD_DS = [0x66, 0xba, 0x18, 0x00, 0x8e, 0xda, 0x8e, 0xc2, 0x8e, 0xd2];
const HLT = [0xf4];

async function boot(file: Uint8Array, ramBytes: number, opts: { cmdline?: string; initrd?: Uint8Array } = {}) {
  const m = await Machine.create({ memory: ramBytes });
  const plan = loadKernel(file, { ramBytes, ...opts });
  applyBootPlan(m, plan);
  const stop = m.run(100_000n);
  return { m, plan, stop, r: (i: number) => m.core.reg32(i) };
}

function w32(b: Uint8Array, o: number, v: number) {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
}

describe('boot plans on the machine', () => {
  it('Linux: ESI points at the zero page', async () => {
    // 8B 8E 28 02 00 00   mov ecx, [esi+0x228]   (cmd_line_ptr)
    const code = Uint8Array.from([0x8b, 0x8e, 0x28, 0x02, 0x00, 0x00, ...RELOAD_DS, ...HLT]);
    const payload = new Uint8Array(4096);
    payload.set(code);
    const file = new Uint8Array(5 * 512 + payload.length);
    file.set(payload, 5 * 512);
    file[0x1f1] = 4;
    w32(file, 0x1f4, payload.length / 16);
    file[0x1fe] = 0x55;
    file[0x1ff] = 0xaa;
    file[0x200] = 0xeb;
    file[0x201] = 0x6a;
    file.set(new TextEncoder().encode('HdrS'), 0x202);
    file[0x206] = 0x0f;
    file[0x207] = 0x02;
    file[0x211] = 1;
    w32(file, 0x214, 0x100000);
    w32(file, 0x22c, 0x7fffffff);
    w32(file, 0x238, 2047);
    w32(file, 0x258, 0x100000);
    w32(file, 0x260, 0x10000);
    const { stop, r, m } = await boot(file, 16 * MiB, { cmdline: 'console=ttyS0' });
    expect(stop.why, stop.message).toBe('halted');
    expect(r(ECX)).toBe(0x20000);
    expect(r(ESI)).toBe(0x7000);
    expect(m.core.segSel(1)).toBe(0x10);
    expect(m.core.segSel(3)).toBe(0x18);
  });

  it('PVH: EBX points at hvm_start_info, TR is the busy TSS', async () => {
    // 8B 0B      mov ecx, [ebx]   (magic)
    // 0F 00 CF   str edi
    const code = Uint8Array.from([0x8b, 0x0b, 0x0f, 0x00, 0xcf, ...RELOAD_DS, ...HLT]);
    const file = new Uint8Array(0x200);
    file.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    const dv = new DataView(file.buffer);
    dv.setUint16(16, 2, true);
    dv.setUint16(18, 3, true);
    dv.setUint32(24, 0x100000, true);
    dv.setUint32(28, 52, true);
    dv.setUint16(42, 32, true);
    dv.setUint16(44, 2, true);
    // PT_NOTE at 0x100: "Xen" type 18, entry 0x100000
    const ph = (o: number, t: number, off: number, addr: number, sz: number) => {
      dv.setUint32(o, t, true);
      dv.setUint32(o + 4, off, true);
      dv.setUint32(o + 8, addr, true);
      dv.setUint32(o + 12, addr, true);
      dv.setUint32(o + 16, sz, true);
      dv.setUint32(o + 20, sz, true);
    };
    ph(52, 4, 0x100, 0, 20);
    ph(84, 1, 0x180, 0x100000, code.length);
    dv.setUint32(0x100, 4, true);
    dv.setUint32(0x104, 4, true);
    dv.setUint32(0x108, 18, true);
    file.set(new TextEncoder().encode('Xen'), 0x10c);
    dv.setUint32(0x110, 0x100000, true);
    file.set(code, 0x180);
    const { stop, r } = await boot(file, 16 * MiB, { initrd: new Uint8Array(8192) });
    expect(stop.why, stop.message).toBe('halted');
    expect(r(EBX)).toBe(0x9000);
    expect(r(ECX)).toBe(0x336ec578);
    expect(r(EDI) & 0xffff).toBe(0x20);
  });

  it('Multiboot: EAX holds the magic, EBX the info structure', async () => {
    // 8B 4B 08   mov ecx, [ebx+8]   (mem_upper)
    const body = [0x8b, 0x4b, 0x08, ...RELOAD_DS, ...HLT];
    const file = new Uint8Array(32 + body.length);
    const flags = 0x10003;
    w32(file, 0, 0x1badb002);
    w32(file, 4, flags);
    w32(file, 8, -(0x1badb002 + flags));
    w32(file, 12, 0x100000);
    w32(file, 16, 0x100000);
    w32(file, 20, 0x100000 + file.length);
    w32(file, 24, 0);
    w32(file, 28, 0x100020);
    file.set(body, 32);
    const { stop, r } = await boot(file, 32 * MiB);
    expect(stop.why, stop.message).toBe('halted');
    expect(r(EAX)).toBe(0x2badb002);
    expect(r(EBX)).toBe(0x9000);
    expect(r(ECX)).toBe(31 * 1024);
    expect(r(EDX) & 0xffff).toBe(0x18);
  });
});
