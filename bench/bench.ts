/**
 * The wasmvisor benchmark (npm run bench; bench/run.mjs bundles this file with esbuild and runs
 * it, so it measures the host as it is in src/, not a stale dist/).
 *
 * 1. intloop (bench/intloop.bin as -bios): a fixed real-mode integer workload. Its console line
 *    must equal bench/intloop.expected. Reported per run: instructions retired, seconds spent in
 *    Machine.run() and guest MIPS; then the best and the median of the runs.
 * 2. the demo ROM (firmware/demo.bin): instructions, seconds, MIPS; output checked against
 *    firmware/demo.expected.
 * 3. paging (bench/paging.bin as -bios, 32 MiB): a protected-mode workload that touches
 *    thousands of pages in four address spaces and switches CR3 three times per iteration.
 *    Output checked against bench/paging.expected; instructions, seconds, MIPS per run as for
 *    intloop, then its TLB counters (misses, full and single flushes, misses per 1000
 *    instructions).
 * 3b. x87 (bench/x87.bin as -bios): a floating-point workload (bench/x87-work.inc: Mandelbrot
 *    under every precision and rounding control, Whetstone-like modules); output checked against
 *    bench/x87.expected, what the same instructions print on the host CPU (bench/x87-native.asm).
 * 3c. sse (bench/sse.bin as -bios): the MMX/SSE/SSE2 workload (bench/sse-work.inc: scalar and
 *    packed Mandelbrot sets under every MXCSR mode, integer SIMD, conversions), checked against
 *    bench/sse.expected in the same way.
 * 4. exit statistics and TLB counters of the last intloop run.
 * 5. a native JavaScript reference loop interleaved with the intloop runs, and intloop's MIPS
 *    relative to it (see nativeReference below): the figure to compare across days.
 * 6. the tiny Linux (images/bzImage + initramfs.cpio, 64 MiB, deterministic): host time from
 *    creating the PC to the shell prompt on COM1, instructions and guest MIPS during the boot,
 *    and the boot's exit table (count, share, cost per exit reason).
 *
 * Options: --runs N (intloop runs, default 3), --quick (one intloop run).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Machine } from '../src/machine.js';
import { DebugCon } from '../src/devices/debugcon.js';
import { Pc } from '../src/pc.js';

const root = new URL('../', import.meta.url);
const file = (p: string) => readFileSync(new URL(p, root));

class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------
// The native reference.
//
// The absolute MIPS depends on the host CPU, its clock at the moment and on whatever else shares
// the machine (this one has 2 cores shared with builds and tests, and a hypervisor that steals
// time). A plain JS loop running in the same process under the same conditions is slowed down
// the same way, so intloop's MIPS divided by the loop's rate stays comparable across days, loads
// and machines (as long as Node/V8 stays the same): "guest instructions the emulator retires in
// the time native JS does one unit of comparable work".
//
// To see the same conditions, the reference does not run once before or after the guest: the
// guest runs in slices of SLICE instructions and a short burst of the reference runs after each
// slice, so both are sampled across the same stretch of wall time. Each side is timed on its
// own (the guest's seconds exclude the bursts).
//
// The loop is a table-driven CRC-32 (the algorithm intloop also runs in the guest) over a
// 64 KiB buffer: a byte load, a table load, an xor and a shift per step, much like the
// load/ALU mix of an interpreter's inner loop. Its unit, "Mops", is a million bytes per second.
// ---------------------------------------------------------------------------------------------

const SLICE = 10_000_000n; // guest instructions between reference bursts
const BURST = 64; // passes over the 64 KiB buffer per burst (~4 M bytes, ~20 ms at ~200 Mops)

function crcTable(): Int32Array {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  return t;
}

function crc32(t: Int32Array, buf: Uint8Array, crc: number): number {
  crc = ~crc;
  for (let i = 0; i < buf.length; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc;
}

class NativeReference {
  private readonly table = crcTable();
  private readonly buf = new Uint8Array(1 << 16);
  private crc = 0;
  ops = 0;
  seconds = 0;

  constructor() {
    let x = 2463534242;
    for (let i = 0; i < this.buf.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      this.buf[i] = x & 0xff;
    }
    // the standard check value, and a warm-up so that the loop is optimised before it is timed
    if (crc32(this.table, new TextEncoder().encode('123456789'), 0) >>> 0 !== 0xcbf43926) throw new BenchError('native CRC-32 is wrong');
    for (let i = 0; i < 200; i++) this.crc = crc32(this.table, this.buf, this.crc);
  }

  burst(passes = BURST): void {
    const t0 = performance.now();
    let crc = this.crc;
    for (let p = 0; p < passes; p++) crc = crc32(this.table, this.buf, crc);
    this.seconds += (performance.now() - t0) / 1e3;
    this.crc = crc; // kept, so the work cannot be optimised away
    this.ops += passes * this.buf.length;
  }

  reset(): void {
    this.ops = 0;
    this.seconds = 0;
  }

  get mops(): number {
    return this.ops / this.seconds / 1e6;
  }
}

// ---------------------------------------------------------------------------------------------

interface RunResult {
  instructions: bigint;
  seconds: number;
  mips: number;
  /** MIPS per second of CPU time the process used (user + system) while in Machine.run() */
  cpuMips: number;
  /** the reference's rate measured alongside this run (NaN without one) */
  nativeMops: number;
  ratio: number;
  output: string;
  machine: Machine;
}

/** Creates a fresh machine for `bios` (not timed) and runs it to the end. Only Machine.run()
 * is timed; with `native`, a reference burst runs after every SLICE instructions. */
async function runRom(bios: Uint8Array, native?: NativeReference, memory = 16 << 20): Promise<RunResult> {
  const m = await Machine.create({ memory, bios });
  const chunks: Uint8Array[] = [];
  m.attach(new DebugCon(0xe9, (b) => chunks.push(b.slice())));
  native?.reset();
  let seconds = 0;
  let cpuUs = 0;
  let pausedNs = 0;
  for (;;) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const stop = m.run(native ? m.instructions + SLICE : undefined);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    seconds += (t1 - t0) / 1e3;
    cpuUs += c.user + c.system;
    if (stop.why === 'halted') break;
    if (stop.why !== 'limit') {
      throw new BenchError(`guest stopped (${stop.why}${stop.message ? ': ' + stop.message : ''}) after ${stop.instructions} instructions`);
    }
    native!.burst();
    pausedNs += (performance.now() - t1) * 1e6;
  }
  // the machine's exit statistics count wall time from its first entry to its last exit: take
  // out the time it sat paused for the reference, which is not the machine's
  m.stats.startNs += pausedNs;
  const instructions = m.instructions;
  const mips = Number(instructions) / seconds / 1e6;
  const nativeMops = native && native.ops > 0 ? native.mops : NaN;
  const output = Buffer.concat(chunks).toString('latin1');
  const cpuMips = Number(instructions) / cpuUs;
  return { instructions, seconds, mips, cpuMips, nativeMops, ratio: mips / nativeMops, output, machine: m };
}

function check(name: string, got: string, want: string): void {
  if (got === want) return;
  throw new BenchError(`${name}: wrong guest output\n--- expected\n${want}--- got\n${got}${got.endsWith('\n') ? '' : '\n'}---`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length & 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

const fmt = (x: number, d: number) => x.toFixed(d);

/** Plain-text table: the first column left-aligned, the others right-aligned. */
function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  let runs = 3;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') runs = Number(argv[++i]);
    else if (a === '--quick') runs = 1;
    else throw new BenchError(`unknown option '${a}' (known: --runs N, --quick)`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new BenchError('--runs wants a positive integer');

  const cpus = os.cpus();
  console.log('wasmvisor benchmark');
  console.log(`date      ${new Date().toISOString()}`);
  console.log(`node      ${process.version} (V8 ${process.versions.v8})`);
  console.log(`cpu       ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}`);
  console.log(`platform  ${os.platform()} ${os.release()} ${os.arch()}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('');

  const native = new NativeReference();

  // Warm-up, untimed. V8 runs a wasm function first in baseline (Liftoff) code and tiers it up
  // to TurboFan in the background; wasm has no on-stack replacement, so a core.run() call that
  // began in Liftoff code stays there until it returns. Short slices let the core tier up
  // before the measured runs (the first 1-2 M instructions of a process run at a few MIPS).
  {
    const w = await Machine.create({ memory: 16 << 20, bios: file('bench/intloop.bin') });
    for (let i = 0; i < 8; i++) w.run(w.instructions + 500_000n);
  }

  // 1. intloop
  const intloop = file('bench/intloop.bin');
  const intloopWant = file('bench/intloop.expected').toString('latin1');
  const nIter = intloop.length >= 0xffe2 ? intloop[0xffe0]! | (intloop[0xffe1]! << 8) : NaN;
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runRom(intloop, native);
    check('intloop', r.output, intloopWant);
    if (results.length && r.instructions !== results[0]!.instructions) {
      throw new BenchError(`intloop retired ${r.instructions} instructions, run 1 retired ${results[0]!.instructions}`);
    }
    results.push(r);
  }

  // 3. paging (as many runs as intloop; 32 MiB: its page pool is physical 16-32 MiB)
  const paging = file('bench/paging.bin');
  const pagingWant = file('bench/paging.expected').toString('latin1');
  const pagingN = paging.length >= 0xffe4 ? paging.readUInt32LE(0xffe0) : NaN;
  const pagingResults: RunResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runRom(paging, native, 32 << 20);
    check('paging', r.output, pagingWant);
    if (pagingResults.length && r.instructions !== pagingResults[0]!.instructions) {
      throw new BenchError(`paging retired ${r.instructions} instructions, run 1 retired ${pagingResults[0]!.instructions}`);
    }
    pagingResults.push(r);
  }

  // 3b, 3c. x87 and sse (bench/NAME.bin): floating point and SIMD, output checked against the host CPU's
  const fpWorkloads = ['x87', 'sse'].map((name) => {
    const rom = file(`bench/${name}.bin`);
    return { name, rom, want: file(`bench/${name}.expected`).toString('latin1'), n: rom.readUInt32LE(0xffe0), results: [] as RunResult[] };
  });
  for (const w of fpWorkloads) {
    for (let i = 0; i < runs; i++) {
      const r = await runRom(w.rom, native);
      check(w.name, r.output, w.want);
      w.results.push(r);
    }
  }

  // 2. the demo ROM (short: an untimed warm-up run first)
  const demo = file('firmware/demo.bin');
  const demoWant = file('firmware/demo.expected').toString('latin1');
  check('demo', (await runRom(demo)).output, demoWant);
  const d = await runRom(demo);
  check('demo', d.output, demoWant);

  const best = results.reduce((a, b) => (b.mips > a.mips ? b : a));
  const med = (f: (r: RunResult) => number) => median(results.map(f));
  const pmed = (f: (r: RunResult) => number) => median(pagingResults.map(f));
  const opt = (x: number, d: number) => (Number.isNaN(x) ? '' : fmt(x, d));
  const row = (name: string, insns: bigint, sec: number, mips: number, cpu: number, nat: number, ratio: number) =>
    [name, String(insns), fmt(sec, 3), fmt(mips, 2), fmt(cpu, 2), opt(nat, 1), opt(ratio, 4)];
  console.log('guest workloads: seconds = wall time inside Machine.run(), MIPS = instructions / seconds,');
  console.log('cpu MIPS = instructions / CPU time used, native = the CRC-32 reference in Mops (RAM: 16 MiB, paging 32 MiB)');
  console.log(table(
    ['workload', 'instructions', 'seconds', 'MIPS', 'cpu MIPS', 'native', 'MIPS/Mops'],
    [
      ...results.map((r, i) => row(`intloop N=${nIter} run ${i + 1}`, r.instructions, r.seconds, r.mips, r.cpuMips, r.nativeMops, r.ratio)),
      row('intloop best (by MIPS)', best.instructions, best.seconds, best.mips, best.cpuMips, best.nativeMops, best.ratio),
      row('intloop median', best.instructions, med((r) => r.seconds), med((r) => r.mips), med((r) => r.cpuMips), med((r) => r.nativeMops), med((r) => r.ratio)),
      row('demo.bin', d.instructions, d.seconds, d.mips, d.cpuMips, NaN, NaN),
      ...pagingResults.map((r, i) => row(`paging N=${pagingN} run ${i + 1}`, r.instructions, r.seconds, r.mips, r.cpuMips, r.nativeMops, r.ratio)),
      ...(pagingResults.length > 1
        ? [row('paging median', pagingResults[0]!.instructions, pmed((r) => r.seconds), pmed((r) => r.mips), pmed((r) => r.cpuMips), pmed((r) => r.nativeMops), pmed((r) => r.ratio))]
        : []),
      ...fpWorkloads.flatMap((w) => w.results.map((r, i) => row(`${w.name} N=${w.n} run ${i + 1}`, r.instructions, r.seconds, r.mips, r.cpuMips, r.nativeMops, r.ratio))),
    ],
  ));
  console.log(`output checked: intloop "${intloopWant.trimEnd()}", demo.bin ${demoWant.split('\n').length - 1} lines, paging "${pagingWant.trimEnd()}", ${fpWorkloads.map((w) => `${w.name} ${w.want.split('\n').length - 1} lines`).join(', ')} (the host CPU's)`);
  console.log('');

  // TLB of the paging workload. The release core counts misses (page walks) and flushes but
  // not lookups; the hit rate comes from one untimed run of the stats build (assembly/stats.ts).
  {
    const pr = pagingResults[pagingResults.length - 1]!;
    const t = pr.machine.tlbStats();
    const perK = (Number(t.misses) * 1000) / Number(pr.instructions);
    console.log(`paging tlb (last run): misses ${t.misses} (${fmt(perK, 2)} per 1000 instructions), full flushes ${t.flushFull}, single flushes ${t.flushOne}`);
    for (const [name, rom, mem] of [['paging', 'bench/paging.bin', 32 << 20], ['intloop', 'bench/intloop.bin', 16 << 20]] as const) {
      const sm = await Machine.create({ memory: mem, bios: file(rom), stats: true });
      sm.attach(new DebugCon(0xe9, () => {}));
      sm.run();
      const st = sm.tlbStats();
      const rate = (100 * Number(st.hits)) / Number(st.hits + st.misses);
      console.log(`${name} tlb hit rate (stats build): ${fmt(rate, 3)}% of ${st.hits + st.misses} data lookups`);
    }
    console.log('');
  }

  // 3. exits and TLB of the last intloop run
  const m = results[results.length - 1]!.machine;
  console.log(`intloop exit statistics (last run; the slices of ${SLICE} instructions add PREEMPTION_TIMER exits)`);
  console.log(m.stats.table(m.coreOnlyExits(), m.instructions));
  const tlb = m.tlbStats();
  console.log(`tlb: misses ${tlb.misses}, full flushes ${tlb.flushFull}, single flushes ${tlb.flushOne}`);
  console.log('');

  // 6. the tiny Linux to its shell prompt
  // (the same boot without buffered I/O first, and the two compared: Xen's lesson, measure the
  // difference a fast path makes)
  const unbuffered = await linuxBoot(false);
  const boot = await linuxBoot();
  if (boot.instructions !== unbuffered.instructions) throw new BenchError(`buffered I/O changed the boot: ${boot.instructions} against ${unbuffered.instructions} instructions`);
  console.log(`tiny Linux boot (bzImage + initramfs.cpio, 64 MiB): shell prompt after ${boot.instructions} instructions,`);
  console.log(`${fmt(boot.seconds, 3)} s from creating the PC (${fmt(boot.runSeconds, 3)} s inside Machine.run()), ${fmt(boot.mips, 2)} MIPS during the boot`);
  console.log(`buffered I/O: ${boot.buffered}`);
  console.log(boot.table);
  console.log(`without buffered I/O: ${fmt(unbuffered.runSeconds, 3)} s inside Machine.run(), ${fmt(unbuffered.mips, 2)} MIPS; ` +
    `buffered/unbuffered time ${fmt(boot.runSeconds / unbuffered.runSeconds, 3)}`);
  console.log(unbuffered.table);
  console.log('');

  // 4. the summary
  console.log(table(
    ['summary', 'value', 'unit'],
    [
      ['intloop best', fmt(best.mips, 2), 'MIPS'],
      ['intloop median', fmt(med((r) => r.mips), 2), 'MIPS'],
      ['ratio median', fmt(med((r) => r.ratio), 4), 'intloop MIPS per native-JS Mops (compare this across days)'],
      ['paging median', fmt(pmed((r) => r.mips), 2), 'MIPS'],
      ['paging ratio median', fmt(pmed((r) => r.ratio), 4), 'paging MIPS per native-JS Mops'],
      ['linux boot', fmt(boot.seconds, 2), `s to the shell prompt (${boot.instructions} instructions, ${fmt(boot.mips, 1)} MIPS)`],
      ...fpWorkloads.map((w) => [`${w.name} median`, fmt(median(w.results.map((r) => r.mips)), 2), `MIPS (${w.name === 'x87' ? 'floating point' : 'MMX/SSE/SSE2'})`]),
      ['goal', '100', `MIPS: ${best.mips >= 100 ? 'reached' : `not reached (best run: ${fmt(best.mips, 0)}% of it)`}`],
    ],
  ));
}

/** Boots the tiny Linux to its first shell prompt (deterministic, so the count repeats). */
async function linuxBoot(bufferedIo = true): Promise<{ instructions: bigint; seconds: number; runSeconds: number; mips: number; table: string; buffered: string }> {
  const t0 = performance.now();
  let out = '';
  const pc = await Pc.create({
    memory: 64 << 20, kernel: file('images/bzImage'), initrd: file('images/initramfs.cpio'), cmdline: 'console=ttyS0',
    rtcEpoch: 1_700_000_000, serial: [(b) => { out += Buffer.from(b).toString('latin1'); }], bufferedIo,
  });
  const m = pc.machine;
  let runSeconds = 0;
  while (!out.includes('~ # ')) {
    if (m.instructions > 2_000_000_000n) throw new BenchError(`no shell prompt after ${m.instructions} instructions:\n${out.slice(-1000)}`);
    const r0 = performance.now();
    const stop = m.run(m.instructions + 200_000n);
    runSeconds += (performance.now() - r0) / 1e3;
    if (stop.why !== 'limit') throw new BenchError(`the Linux guest stopped (${stop.why}: ${stop.message ?? ''}):\n${out.slice(-1000)}`);
  }
  const seconds = (performance.now() - t0) / 1e3;
  const b = m.bufferedIoCounts();
  return {
    instructions: m.instructions, seconds, runSeconds, mips: Number(m.instructions) / runSeconds / 1e6,
    table: m.stats.table(m.coreOnlyExits(), m.instructions), buffered: `${b.writes} writes queued, ${b.reads} reads from shadows`,
  };
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench: FAILED: ${e instanceof BenchError ? e.message : e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
