/**
 * The wasmvisor command line. Flags follow QEMU's where QEMU has one (-bios, -m); the rest
 * are long options. Bad options and unreadable files are one-line errors with status 1.
 */
import { readFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Machine, type StopInfo } from './machine.js';
import { DebugCon } from './devices/debugcon.js';
import { VERSION } from './version.js';

export class UsageError extends Error {}

const HELP = `usage: wasmvisor [options]
       wasmvisor conformance sst286 [DIR] [--filter OPS] [--max-per-file N]
       wasmvisor diff --ref qemu -bios FILE [-m SIZE] [--max-insns N]   (first divergence from QEMU)

options (QEMU's spelling where QEMU has the option):
  -bios FILE             ROM image mapped to end at 0xFFFFF and 0xFFFFFFFF; the CPU starts at its reset vector
  -m SIZE                guest RAM: a number of MiB, or with a suffix K, M, G (default 128M)
  --debugcon PORT=FILE   bytes written to I/O port PORT go to FILE ('-' is stdout); repeatable
                         (default: 0xe9=- when none is given)
  --max-insns N          stop after N instructions
  --stats                print exit statistics and TLB counters when the VM stops (runs the
                         core's stats build, which also counts TLB hits)
  -s                     gdb stub on tcp::1234 (localhost)
  -gdb tcp:[HOST]:PORT   gdb stub on that port (HOST defaults to 127.0.0.1)
  -S                     do not start the CPU until gdb says continue or step
  --version              print the version
  -h, --help             this text

With no -bios, the built-in demo ROM (firmware/demo.bin) runs.`;

export interface CliOptions {
  bios?: string;
  memory: number;
  debugcon: { port: number; file: string }[];
  maxInsns?: bigint;
  stats: boolean;
  gdb?: { host: string; port: number };
  waitGdb: boolean;
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid memory size '${s}'`);
  const unit = { '': 1 << 20, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * unit);
}

function parsePort(s: string): number {
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? parseInt(s, 10) : NaN;
  if (!(n >= 0 && n <= 0xffff)) throw new UsageError(`invalid I/O port '${s}'`);
  return n;
}

export function parseArgs(argv: string[]): CliOptions | 'help' | 'version' {
  const o: CliOptions = { memory: 128 << 20, debugcon: [], stats: false, waitGdb: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = a.startsWith('--') ? a.slice(1) : a; // QEMU accepts -x and --x alike
    const eq = /^(-[\w-]+)=(.*)$/s.exec(opt); // --name=value
    const name = eq ? eq[1]! : opt;
    const inline = eq ? eq[2] : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`option ${a} needs a value`);
      return v;
    };
    switch (name) {
      case '-h': case '-help': return 'help';
      case '-version': return 'version';
      case '-bios': o.bios = value(); break;
      case '-m': o.memory = parseSize(value()); break;
      case '-debugcon': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq < 0) throw new UsageError(`--debugcon wants PORT=FILE, got '${v}'`);
        o.debugcon.push({ port: parsePort(v.slice(0, eq)), file: v.slice(eq + 1) });
        break;
      }
      case '-max-insns': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`invalid instruction count '${v}'`);
        o.maxInsns = BigInt(v);
        break;
      }
      case '-stats': o.stats = true; break;
      case '-s': o.gdb = { host: '127.0.0.1', port: 1234 }; break;
      case '-S': o.waitGdb = true; break;
      case '-gdb': {
        const v = value();
        const g = /^tcp:([^:]*):(\d+)$/.exec(v);
        if (!g || Number(g[2]) > 65535) throw new UsageError(`-gdb wants tcp:[HOST]:PORT, got '${v}'`);
        o.gdb = { host: g[1] || '127.0.0.1', port: Number(g[2]) };
        break;
      }
      default:
        throw new UsageError(a.startsWith('-') ? `unknown option '${a}'` : `unexpected argument '${a}'`);
    }
  }
  return o;
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} '${path}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export const DEFAULT_BIOS = fileURLToPath(new URL('../firmware/demo.bin', import.meta.url));

export async function runVm(o: CliOptions, err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  const bios = readInput(o.bios ?? DEFAULT_BIOS, 'ROM image');
  const m = await Machine.create({ memory: o.memory, bios, log: () => {}, stats: o.stats });
  const files: number[] = [];
  const cons = o.debugcon.length ? o.debugcon : [{ port: 0xe9, file: '-' }];
  for (const d of cons) {
    let fd = 1;
    if (d.file !== '-') {
      try {
        fd = openSync(d.file, 'w');
      } catch (e) {
        throw new UsageError(`cannot open '${d.file}': ${(e as Error).message}`);
      }
      files.push(fd);
    }
    m.attach(new DebugCon(d.port, (b) => writeSync(fd, b)));
  }
  try {
    const stop = o.gdb ? await runUnderGdb(m, o.gdb, o.waitGdb, err) : m.run(o.maxInsns);
    if (o.stats) {
      err(m.stats.table(m.coreOnlyExits(), stop.instructions));
      const t = m.tlbStats();
      const per1k = stop.instructions ? (Number(t.misses) * 1000) / Number(stop.instructions) : 0;
      const lookups = Number(t.hits + t.misses);
      const rate = lookups ? ((100 * Number(t.hits)) / lookups).toFixed(3) : '-';
      err(`tlb: hits ${t.hits}, misses ${t.misses} (hit rate ${rate}%, ${per1k.toFixed(3)} misses per 1000 instructions), full flushes ${t.flushFull}, single flushes ${t.flushOne}, page faults ${t.pageFaults}`);
    }
    switch (stop.why) {
      case 'halted':
        err(`wasmvisor: guest halted after ${stop.instructions} instructions`);
        return 0;
      case 'limit':
        err(`wasmvisor: stopped after ${stop.instructions} instructions (--max-insns)`);
        return 0;
      case 'idle':
      case 'shutdown':
        err(`wasmvisor: ${stop.message} after ${stop.instructions} instructions`);
        return 0;
      default:
        err(`wasmvisor: error: ${stop.message ?? stop.why} after ${stop.instructions} instructions`);
        return 1;
    }
  } finally {
    for (const fd of files) closeSync(fd);
  }
}

/** Runs the VM under the gdb stub until the guest stops or gdb kills it. */
async function runUnderGdb(m: Machine, at: { host: string; port: number }, wait: boolean, err: (s: string) => void): Promise<StopInfo> {
  const { startGdbServer } = await import('./gdb/stub.js');
  let done!: (s: StopInfo) => void;
  const finished = new Promise<StopInfo>((resolve) => { done = resolve; });
  const server = await startGdbServer(m, {
    ...at,
    waitForAttach: wait,
    onGuestStop: (info) => done(info),
    onKill: () => done({ why: 'shutdown', message: 'killed by gdb', instructions: m.instructions }),
  });
  err(`wasmvisor: gdb stub listening on ${server.host}:${server.port}${wait ? ' (waiting for gdb)' : ''}`);
  try {
    return await finished;
  } finally {
    await server.close();
  }
}

async function conformance(argv: string[]): Promise<number> {
  const [suite, ...rest] = argv;
  if (suite !== 'sst286') throw new UsageError(`unknown conformance suite '${suite ?? ''}' (known: sst286)`);
  let dir = fileURLToPath(new URL('../../shared/conformance/sst-80286', import.meta.url));
  let filter: string | undefined;
  let maxPerFile: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--filter') filter = rest[++i];
    else if (a === '--max-per-file') maxPerFile = Number(rest[++i]);
    else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else dir = a;
  }
  const { runSst } = await import('./conformance/sst.js');
  const { MachineSstCpu } = await import('./conformance/sst-core.js');
  const { explain386 } = await import('./conformance/sst-386.js');
  const cpu = await MachineSstCpu.create();
  const opts: Parameters<typeof runSst>[2] = { explain: explain386 };
  if (filter !== undefined) opts.filter = filter;
  if (maxPerFile !== undefined) opts.maxPerFile = maxPerFile;
  const summary = await runSst(cpu, dir, opts);
  return summary.failed === 0 ? 0 : 1;
}

/** `diff --ref qemu [VM flags]`: runs the guest in lockstep with QEMU; status 0 when they agree. */
async function diff(argv: string[]): Promise<number> {
  let ref = 'qemu';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ref') ref = argv[++i] ?? '';
    else if (argv[i]!.startsWith('--ref=')) ref = argv[i]!.slice(6);
    else rest.push(argv[i]!);
  }
  if (ref !== 'qemu') throw new UsageError(`unknown reference '${ref}' (known: qemu)`);
  const o = parseArgs(rest);
  if (o === 'help' || o === 'version') return main([o === 'help' ? '--help' : '--version']);
  const bios = o.bios ?? DEFAULT_BIOS;
  readInput(bios, 'ROM image');
  const { diffAgainstQemu } = await import('./diff/compare.js');
  const r = await diffAgainstQemu({ bios, memory: o.memory, maxInsns: Number(o.maxInsns ?? 1_000_000n) });
  if (r.divergence) {
    console.log(r.divergence.report);
    return 1;
  }
  console.log(`wasmvisor diff: ${r.compared} instructions agree with ${r.referenceVersion ?? ref} (${r.why})`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'conformance') return await conformance(argv.slice(1));
    if (argv[0] === 'diff') return await diff(argv.slice(1));
    const o = parseArgs(argv);
    if (o === 'help') { console.log(HELP); return 0; }
    if (o === 'version') { console.log(`wasmvisor ${VERSION}`); return 0; }
    return await runVm(o);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`wasmvisor: error: ${msg}\n`);
    return 1;
  }
}
