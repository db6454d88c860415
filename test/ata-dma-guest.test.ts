/**
 * Bus-master DMA from a guest: test/guests/ata-dma.asm (a -bios ROM) programs BMIBA, builds PRD
 * tables, issues READ DMA, WRITE DMA and READ DMA EXT on the disk of Pc.create({ disk }), counts
 * its loop while a transfer is in flight (the asynchronous completion of src/devices/bmide.ts),
 * reads the same data by PIO, and prints what it saw. The expected lines are computed here from
 * the image; QEMU (-bios ROM -hda IMG) must print the same but for the overlap count, which
 * depends on timing. The marks the ROM writes to port EAh give the figures of
 * docs/benchmarks.md ("IDE DMA"): guest instructions while a transfer is in flight, and host
 * throughput of 16 x 64 KiB by DMA and by PIO.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Pc } from '../src/pc.js';
import { DebugCon } from '../src/devices/debugcon.js';
import type { Device } from '../src/devices/device.js';
import { saveState, loadState } from '../src/savestate.js';
import { requireTool, have } from './helpers/tools.js';
import { ataImage as image, qemuAtaLines } from './helpers/ata-guest.js';

const ROM = join('test', 'guests', 'ata-dma.bin');
const hex = (v: number, n: number) => v.toString(16).toUpperCase().padStart(n, '0');
function wordSum(b: Uint8Array, from: number, sectors: number): string {
  let sum = 0;
  for (let i = from * 512; i < (from + sectors) * 512; i += 2) sum += b[i]! | (b[i + 1]! << 8);
  return hex(sum & 0xffff, 4);
}

/** The lines the ROM prints, the overlap line's count as a pattern. */
function expected(img: Uint8Array): (string | RegExp)[] {
  const pattern = new Uint8Array(1024);
  for (let i = 0; i < 512; i++) { pattern[2 * i] = (i ^ 0x5a3c) & 0xff; pattern[2 * i + 1] = ((i ^ 0x5a3c) >> 8) & 0xff; }
  return [
    'bmiba D001 command 0005 dtp 00000600',
    'identify: dma 01',
    'set udma2: status 50 selected mdma 00 udma 04',
    `read dma 0064 x80: status 50 bmsta 04 irqs 0001 sum ${wordSum(img, 100, 128)}`,
    /^overlap: [0-9A-F]{8}$/,
    `write dma 01F4 x2: status 50 bmsta 04 readback sum ${wordSum(pattern, 0, 2)} same`,
    `read dma ext 0BB8: status 50 bmsta 04 sum ${wordSum(img, 3000, 1)}`,
    `pio 0064 x80: sum ${wordSum(img, 100, 128)}`,
    `repeat 16 dma, 16 pio: sum ${wordSum(img, 100, 128)}`,
    'done',
  ];
}

function check(lines: string[], want: (string | RegExp)[]): void {
  expect(lines).toHaveLength(want.length);
  want.forEach((w, i) => (typeof w === 'string' ? expect(lines[i]).toBe(w) : expect(lines[i]).toMatch(w)));
}

async function runRom(disk: Uint8Array, dmaRate?: number, limit = 200_000_000n) {
  const com1: number[] = [];
  const pc = await Pc.create({ bios: readFileSync(ROM), memory: 16 << 20, disk, serial: [(b) => com1.push(...b)], ...(dmaRate !== undefined ? { dmaRate } : {}) });
  const e9: number[] = [];
  pc.machine.attach(new DebugCon(0xe9, (b) => e9.push(...b)));
  const marks: { icount: bigint; guestNs: number; hostMs: number }[] = [];
  const marker: Device = {
    name: 'mark',
    ports: [{ start: 0xea, count: 1 }],
    ioWrite: () => { marks.push({ icount: pc.machine.instructions, guestNs: pc.machine.guestNs(), hostMs: performance.now() }); },
  };
  pc.machine.attach(marker);
  const stop = pc.machine.run(limit);
  const text = Buffer.from(e9).toString('latin1');
  const e9text = () => Buffer.from(e9).toString('latin1');
  const overlap = parseInt(/overlap: ([0-9A-F]+)/.exec(text)?.[1] ?? 'x', 16);
  return { pc, stop, text, com1: Buffer.from(com1).toString('latin1'), marks, overlap, e9: e9text };
}

describe('bus-master DMA guest (test/guests/ata-dma)', () => {
  const hasNasm = requireTool('nasm', 'nasm');

  it.runIf(hasNasm)('ata-dma.bin matches ata-dma.asm', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'wv-')), 'x.bin');
    execFileSync('nasm', ['-f', 'bin', '-i', 'test/guests/', '-o', out, join('test', 'guests', 'ata-dma.asm')]);
    expect(Buffer.compare(readFileSync(out), readFileSync(ROM))).toBe(0);
  });

  it('READ DMA, WRITE DMA, READ DMA EXT: the data, Status and BMISTA; the guest runs while a transfer is in flight; deterministic', async () => {
    const img = image();
    const a = await runRom(img);
    expect(a.stop.why).toBe('halted');
    expect(a.com1.replace(/\r\n/g, '\n')).toBe(a.text);
    const lines = a.text.split('\n').slice(0, -1);
    check(lines, expected(img));
    // 64 KiB at 33 MB/s plus 10 us is about 1.996 ms of guest time (1 ns per instruction): the
    // 3-instruction loop runs some 665 thousand times while the data is in flight
    expect(a.overlap).toBeGreaterThan(600_000);
    expect(a.overlap).toBeLessThan(700_000);
    expect(a.pc.ata!.disk(0)!.changed()).toEqual([500, 501]);
    // the guest moved BMIBA from C000h to D000h; PCICMD's I/O bit switches it off
    const bus = a.pc.machine.bus;
    expect([bus.read(0xc004, 4), bus.read(0xd004, 4)]).toEqual([0xffffffff, 0x600]);
    bus.write(0xcf8, 4, 0x80000904);
    bus.write(0xcfc, 2, 0x0004);
    expect(bus.read(0xd004, 4)).toBe(0xffffffff);
    const b = await runRom(image());
    expect(b.overlap).toBe(a.overlap);
    expect(b.stop.instructions).toBe(a.stop.instructions);
    // rate 0: completion at the next device service, a handful of instructions later
    const c = await runRom(image(), 0);
    check(c.text.split('\n').slice(0, -1), expected(img));
    expect(c.overlap).toBeLessThan(10);
    // the figures of docs/benchmarks.md
    const [m1, m2, m3, m4] = a.marks;
    const mb = 16 * 65536 / 1e6;
    const fig = {
      overlapIterations: a.overlap,
      overlapInstructions: a.overlap * 3,
      overlapRate0: c.overlap,
      dmaHostMBs: +(mb / ((m2!.hostMs - m1!.hostMs) / 1000)).toFixed(1),
      dmaGuestMBs: +(mb / ((m2!.guestNs - m1!.guestNs) / 1e9)).toFixed(1),
      dmaInstructions: Number(m2!.icount - m1!.icount),
      pioHostMBs: +(mb / ((m4!.hostMs - m3!.hostMs) / 1000)).toFixed(1),
      pioGuestMBs: +(mb / ((m4!.guestNs - m3!.guestNs) / 1e9)).toFixed(1),
      pioInstructions: Number(m4!.icount - m3!.icount),
    };
    console.log(`ata-dma figures: ${JSON.stringify(fig)}`);
    expect(fig.dmaInstructions).toBeLessThan(fig.pioInstructions);
  }, 120_000);

  it('a machine save state taken with a transfer in flight: save, load, save gives the same bytes, and the run ends the same', async () => {
    const a = await runRom(image(), undefined, 0n);
    const m = a.pc.machine;
    while (a.pc.bmide!.pendingDeadline === undefined) m.run(m.instructions + 50_000n);
    m.run(m.instructions + 500_000n); // the guest is in its counting loop, the data not yet moved
    expect(a.pc.bmide!.pendingDeadline).toBeGreaterThan(m.guestNs());
    const state = saveState(m);
    const b = await runRom(image(), undefined, 0n);
    loadState(b.pc.machine, state);
    expect(Buffer.compare(Buffer.from(saveState(b.pc.machine)), Buffer.from(state))).toBe(0);
    const ra = m.run(200_000_000n);
    const rb = b.pc.machine.run(ra.instructions + 1000n);
    expect(rb.instructions).toBe(ra.instructions);
    // b printed only what came after the state: the rest of the READ DMA's line on, as a did
    expect(b.e9()).toMatch(/^ status 50 bmsta 04 irqs 0001 sum /);
    expect(a.e9().endsWith(b.e9())).toBe(true);
  }, 60_000);

  it('Machine.dmaRead/dmaWrite: RAM through the page map; ROM is read-only, MMIO and past the end of RAM refused', async () => {
    const pc = await Pc.create({ bios: readFileSync(ROM), memory: 16 << 20, disk: image() });
    const m = pc.machine;
    expect(m.dmaWrite(0xffe, Uint8Array.of(1, 2, 3, 4))).toBe(true); // across a page boundary
    expect(Array.from(m.dmaRead(0xffe, 4)!)).toEqual([1, 2, 3, 4]);
    expect(m.dmaRead(0xffff0, 5)![0]).toBe(0xea); // the ROM's reset vector (jmp far)
    expect(m.dmaWrite(0xffff0, Uint8Array.of(0))).toBe(false);
    expect(m.dmaWrite(0xfff000, new Uint8Array(0x2000))).toBe(false); // past the end of RAM: nothing written
    expect(m.dmaRead(0xfff000, 0x2000)).toBeUndefined();
    expect(m.dmaRead(0xfebf0000, 4)).toBeUndefined(); // pvpanic's MMIO
    expect(m.dmaRead(0xfffffffc, 8)).toBeUndefined(); // past 4 GiB
  });

  it('the CLI: --dma-rate sets the modelled rate (0: at the next service); a bad rate is a usage error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-dma-cli-'));
    writeFileSync(join(dir, 'disk.img'), image());
    const run = (...args: string[]) => spawnSync('node', ['bin/wasmvisor.js', '-bios', ROM, '-serial', 'null', '-hda', join(dir, 'disk.img'), ...args], { encoding: 'latin1' });
    let r = run('--dma-rate', '0');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^overlap: 00000001$/m);
    r = run('--dma-rate=330');
    expect(r.stdout).toMatch(/^overlap: 0001[0-9A-F]{4}$/m); // ten times faster: about 66,000
    r = run('--dma-rate', '-1');
    expect([r.status, r.stderr.trim()]).toEqual([1, "wasmvisor: error: --dma-rate: '-1' is not a rate in MB/s (a number, 0 or more)"]);
  }, 30_000);

  it.runIf(have('qemu-system-i386'))('QEMU prints the same (but for the overlap count)', () => {
    const img = image();
    const lines = qemuAtaLines(ROM, img).slice(0, -1);
    check(lines, expected(img));
  }, 30_000);
});
