/**
 * The wasmvisor command line. Flags follow QEMU's where QEMU has one (-bios, -m); the rest
 * are long options. Bad options and unreadable files are one-line errors with status 1.
 */
import { readFileSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { DiskImage } from './devices/disk-image.js';
import { fileURLToPath } from 'node:url';
import type { Machine, StopInfo } from './machine.js';
import { DebugCon } from './devices/debugcon.js';
import { Pc } from './pc.js';
import { runAsync, Waker } from './run-async.js';
import { Terminal } from './terminal.js';
import { LoaderError } from './loaders/plan.js';
import { VERSION } from './version.js';

export class UsageError extends Error {}

const HELP = `usage: wasmvisor [options]
       wasmvisor conformance sst286 [DIR] [--filter OPS] [--max-per-file N]
       wasmvisor diff --ref qemu|bochs -bios FILE [-m SIZE] [--max-insns N]   (first divergence)
       wasmvisor diff --ref qemu -kernel FILE [-initrd FILE] [-append CMDLINE] [-m SIZE] [--max-insns N] [--start-at ADDR]

options (QEMU's spelling where QEMU has the option):
  -kernel FILE           boot a kernel directly: a Linux bzImage, a PVH ELF vmlinux or a Multiboot image
  -initrd FILE[,FILE..]  the initrd (Linux, PVH), or Multiboot modules ('FILE args' each)
  -append CMDLINE        the kernel command line
  -bios FILE             ROM image mapped to end at 0xFFFFF and 0xFFFFFFFF; the CPU starts at its reset vector
                         (SeaBIOS works: -bios /usr/share/seabios/bios.bin, from Debian's seabios package)
  -vga-bios FILE         the VGA's PCI option ROM (default with -bios: /usr/share/seabios/vgabios-stdvga.bin
                         when it exists)
  -m SIZE                guest RAM: a number of MiB, or with a suffix K, M, G (default 128M)
  -hda FILE              a raw hard disk image (whole 512-byte sectors) on the primary IDE master
                         (ATA, ports 1F0h/3F6h, IRQ 14); the guest's writes stay in memory
                         (as under QEMU's -snapshot) unless --write-disk is given
  -hdb FILE              the same on the primary IDE slave
  -drive file=FILE[,format=raw][,if=ide][,index=0|1][,media=disk]
                         the same as -hda FILE (index=1: -hdb)
  --write-disk           when the VM stops, write the sectors the guest changed back to the files
  --dma-rate MBS         bus-master IDE DMA's modelled rate in MB/s of guest time (default 33;
                         0: each transfer completes at the next device service)
  -snapshot              accepted: writes stay in memory (the default)
  -serial DEV            the next COM port (COM1 first): stdio, file:PATH, null or none
                         (default: COM1 on stdio; a terminal goes into raw mode, Ctrl-A x quits)
  -nographic             no display (wasmvisor has none in Node): the serial console is on stdio
  -no-reboot             exit instead of rebooting when the guest resets
  -device isa-debug-exit[,iobase=N][,iosize=N]
                         QEMU's debug exit port (default 0xf4, 4 bytes): a write of V ends the
                         VM with status (V << 1) | 1
  -rtc base=utc|DATE     the RTC's time at start (default utc: the host's time; DATE is
                         YYYY-MM-DD[THH:MM:SS], UTC)
  -v, --verbose          log device and loader events on stderr
  -icount                idle guest time jumps ahead instead of following the wall clock
                         (guest time always counts 1 ns per instruction while busy)
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

With no -kernel and no -bios, the tiny Linux in images/ boots (if built), else the demo ROM
(firmware/demo.bin). Status: 0 when the guest powers off, halts or resets under -no-reboot;
1 for errors, a triple fault or a guest kernel panic; isa-debug-exit's status.`;

export interface CliOptions {
  bios?: string;
  vgaBios?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  hda?: string;
  hdb?: string;
  writeDisk: boolean;
  /** --dma-rate in bytes per second */
  dmaRate?: number;
  serial: string[];
  noReboot: boolean;
  debugExit?: { iobase: number; iosize: number };
  rtcEpoch?: number;
  icount: boolean;
  verbose: boolean;
  /** -m was given (the default kernel's default RAM is 64 MiB). */
  memorySet: boolean;
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

function parseDevice(v: string): { iobase: number; iosize: number } {
  const [name, ...props] = v.split(',');
  if (name !== 'isa-debug-exit') throw new UsageError(`unknown device '${name}' (known: isa-debug-exit)`);
  const d = { iobase: 0xf4, iosize: 4 };
  for (const p of props) {
    const [k, val] = p.split('=');
    if ((k !== 'iobase' && k !== 'iosize') || val === undefined) throw new UsageError(`isa-debug-exit: unknown property '${p}'`);
    d[k] = parsePort(val);
  }
  if (d.iosize < 1 || d.iosize > 4) throw new UsageError(`isa-debug-exit: iosize ${d.iosize} is not 1 to 4`);
  return d;
}

/** -drive file=FILE,format=raw,if=ide,index=0|1,media=disk: the parts wasmvisor has. */
function parseDrive(v: string): { file: string; index: number } {
  let file: string | undefined;
  let index = 0;
  for (const p of v.split(',')) {
    const eq = p.indexOf('=');
    const [k, val] = eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
    if (k === 'file') file = val;
    else if (k === 'format' && val === 'raw') continue;
    else if (k === 'if' && val === 'ide') continue;
    else if (k === 'index' && (val === '0' || val === '1')) index = Number(val);
    else if (k === 'media' && val === 'disk') continue;
    else throw new UsageError(`-drive: '${p}' is not supported (a raw disk image: file=FILE[,format=raw][,if=ide][,index=0|1][,media=disk])`);
  }
  if (!file) throw new UsageError('-drive needs file=FILE');
  return { file, index };
}

function parseRtc(v: string): number | undefined {
  const m = /^base=(.+)$/.exec(v.split(',')[0]!);
  if (!m) throw new UsageError(`-rtc wants base=utc or base=YYYY-MM-DD[THH:MM:SS], got '${v}'`);
  if (m[1] === 'utc' || m[1] === 'localtime') return undefined;
  const t = Date.parse(/T/.test(m[1]!) ? `${m[1]}Z` : `${m[1]}T00:00:00Z`);
  if (!/^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d)?$/.test(m[1]!) || Number.isNaN(t)) throw new UsageError(`-rtc: invalid date '${m[1]}'`);
  return t / 1000;
}

export function parseArgs(argv: string[]): CliOptions | 'help' | 'version' {
  const o: CliOptions = { memory: 128 << 20, debugcon: [], stats: false, waitGdb: false, serial: [], writeDisk: false, noReboot: false, icount: false, verbose: false, memorySet: false };
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
      case '-vga-bios': o.vgaBios = value(); break;
      case '-kernel': o.kernel = value(); break;
      case '-initrd': o.initrd = value(); break;
      case '-append': o.append = value(); break;
      case '-hda': o.hda = value(); break;
      case '-hdb': o.hdb = value(); break;
      case '-drive': {
        const d = parseDrive(value());
        if (d.index === 0) o.hda = d.file;
        else o.hdb = d.file;
        break;
      }
      case '-write-disk': o.writeDisk = true; break;
      case '-dma-rate': {
        const v = value();
        const mbs = Number(v);
        if (v.trim() === '' || !Number.isFinite(mbs) || mbs < 0) throw new UsageError(`--dma-rate: '${v}' is not a rate in MB/s (a number, 0 or more)`);
        o.dmaRate = mbs * 1e6;
        break;
      }
      case '-snapshot': break;
      case '-nographic': break;
      case '-no-reboot': o.noReboot = true; break;
      case '-icount': o.icount = true; break;
      case '-serial': {
        const v = value();
        if (!/^(stdio|null|none|file:.+)$/.test(v)) throw new UsageError(`-serial wants stdio, file:PATH, null or none, got '${v}'`);
        if (o.serial.length >= 4) throw new UsageError('at most 4 -serial ports (COM1-COM4)');
        o.serial.push(v);
        break;
      }
      case '-device': o.debugExit = parseDevice(value()); break;
      case '-rtc': o.rtcEpoch = parseRtc(value()); break;
      case '-m': o.memory = parseSize(value()); o.memorySet = true; break;
      case '-verbose': case '-v': o.verbose = true; break;
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
/** Debian's VGA BIOS for QEMU's std VGA (package seabios), the option ROM of our VGA with a -bios firmware. */
export const DEBIAN_VGA_BIOS = '/usr/share/seabios/vgabios-stdvga.bin';
/** The tiny Linux of images/ (images/build.sh), booted when no -kernel or -bios is given. */
export const DEFAULT_KERNEL = fileURLToPath(new URL('../images/bzImage', import.meta.url));
export const DEFAULT_INITRD = fileURLToPath(new URL('../images/initramfs.cpio', import.meta.url));
export const DEFAULT_APPEND = 'console=ttyS0';

type Sink = (b: Uint8Array) => void;

export async function runVm(o: CliOptions, err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let kernelPath = o.kernel;
  let initrdPath = o.initrd;
  let append = o.append;
  let memory = o.memory;
  if (!kernelPath && !o.bios && existsSync(DEFAULT_KERNEL)) {
    kernelPath = DEFAULT_KERNEL;
    initrdPath ??= DEFAULT_INITRD;
    append ??= DEFAULT_APPEND;
    memory = o.memorySet ? memory : 64 << 20;
  }
  if (!kernelPath && initrdPath) throw new UsageError('-initrd needs -kernel');
  if (!kernelPath && append !== undefined) throw new UsageError('-append needs -kernel');
  const kernel = kernelPath ? readInput(kernelPath, 'kernel') : undefined;
  const bios = o.bios ? readInput(o.bios, 'ROM image') : kernel ? undefined : readInput(DEFAULT_BIOS, 'ROM image');
  // the VGA's option ROM: given, or with a -bios firmware (SeaBIOS) Debian's stdvga BIOS if present,
  // as QEMU takes vgabios-stdvga.bin from its data directory
  const vgaBiosPath = o.vgaBios ?? (o.bios && existsSync(DEBIAN_VGA_BIOS) ? DEBIAN_VGA_BIOS : undefined);
  const vgaBios = vgaBiosPath ? readInput(vgaBiosPath, 'VGA BIOS') : undefined;
  // -initrd: one file, or a comma-separated list of Multiboot modules 'FILE args'
  const parts = initrdPath?.split(',') ?? [];
  const modules = parts.map((p) => ({ bytes: readInput(p.split(' ')[0]!, 'initrd'), cmdline: p }));
  if (o.writeDisk && !o.hda && !o.hdb) throw new UsageError('--write-disk needs -hda or -hdb');
  const openDisk = (path: string | undefined): DiskImage | undefined => {
    if (path === undefined) return undefined;
    const bytes = readInput(path, 'disk image');
    try {
      return new DiskImage(bytes);
    } catch (e) {
      throw new UsageError(`${path}: ${(e as Error).message}`);
    }
  };
  const disk = openDisk(o.hda);
  const slaveDisk = openDisk(o.hdb);

  const files: number[] = [];
  const openOut = (path: string): Sink => {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new UsageError(`cannot open '${path}': ${(e as Error).message}`);
    }
    files.push(fd);
    return (b) => writeSync(fd, b);
  };
  const stdout: Sink = (b) => writeSync(1, b);
  const serialDevs = o.serial.length ? o.serial : ['stdio'];
  const serial = serialDevs.map((d): Sink | undefined => (d === 'stdio' ? stdout : d.startsWith('file:') ? openOut(d.slice(5)) : undefined));
  const consoleOnStdio = serialDevs[0] === 'stdio';
  const interactive = consoleOnStdio && !!process.stdin.isTTY && !o.gdb;

  const pc = await Pc.create({
    memory,
    ...(bios ? { bios } : {}),
    ...(vgaBios ? { vgaBios } : {}),
    ...(kernel ? { kernel, kernelName: kernelPath } : {}),
    ...(modules.length === 1 ? { initrd: modules[0]!.bytes } : modules.length > 1 ? { modules } : {}),
    ...(append !== undefined ? { cmdline: append } : {}),
    ...(disk ? { disk } : {}),
    ...(slaveDisk ? { slaveDisk } : {}),
    ...(o.dmaRate !== undefined ? { dmaRate: o.dmaRate } : {}),
    serial,
    ...(o.debugExit ? { debugExit: o.debugExit } : {}),
    rtcEpoch: o.rtcEpoch ?? Math.floor(Date.now() / 1000),
    noReboot: o.noReboot,
    idle: interactive && !o.icount ? 'sleep' : 'skip',
    stats: o.stats,
    log: o.verbose ? (s) => err(`wasmvisor: ${s}`) : () => {},
  }).catch((e) => {
    if (e instanceof LoaderError) throw new UsageError(`${kernelPath}: ${e.message}`);
    throw e;
  });
  const m = pc.machine;
  const cons = o.debugcon.length ? o.debugcon : [{ port: 0xe9, file: '-' }]; // Bochs's port E9h hack, on by default
  for (const d of cons) m.attach(new DebugCon(d.port, d.file === '-' ? stdout : openOut(d.file)));

  // the serial console's input: held back until the guest listens (receive interrupts on),
  // as a byte sent to a port nobody has opened yet is lost
  const waker = new Waker();
  let quit = false;
  let pending: Uint8Array[] = [];
  const uart = pc.uarts[0]!;
  const feed = () => {
    if (!pending.length || !uart.listening) return;
    for (const b of pending) pc.sendSerial(b);
    pending = [];
  };
  const term = consoleOnStdio && !o.gdb
    ? new Terminal({
        input: process.stdin,
        output: stdout,
        onData: (b) => { pending.push(b); feed(); waker.wake(); },
        onQuit: () => { quit = true; waker.wake(); },
        onEnd: () => waker.wake(),
      })
    : undefined;
  try {
    let stop: StopInfo;
    if (o.gdb) stop = await runUnderGdb(m, o.gdb, o.waitGdb, err);
    else {
      const limit = o.maxInsns;
      stop = await runAsync(m, waker, { ...(limit !== undefined ? { limit } : {}), beforeSlice: feed, canWake: () => !!term && !term.ended }, () => quit);
    }
    if (o.stats) printStats(m, stop, err);
    if (quit) {
      err(`\nwasmvisor: quit (Ctrl-A x) after ${stop.instructions} instructions`);
      return 0;
    }
    return report(stop, err);
  } finally {
    term?.close();
    for (const fd of files) closeSync(fd);
    if (disk && o.writeDisk) writeBack(disk, o.hda!, err);
    if (slaveDisk && o.writeDisk) writeBack(slaveDisk, o.hdb!, err);
  }
}

/** --write-disk: the sectors the guest changed go back into the image file, in place. */
function writeBack(disk: DiskImage, path: string, err: (s: string) => void): void {
  const changed = disk.changed();
  if (!changed.length) return;
  const fd = openSync(path, 'r+');
  try {
    const sector = new Uint8Array(512);
    for (const lba of changed) {
      disk.read(lba, sector);
      writeSync(fd, sector, 0, 512, lba * 512);
    }
  } finally {
    closeSync(fd);
  }
  err(`wasmvisor: wrote ${changed.length} changed sector${changed.length === 1 ? '' : 's'} back to ${path}`);
}

function printStats(m: Machine, stop: StopInfo, err: (s: string) => void): void {
  err(m.stats.table(m.coreOnlyExits(), stop.instructions));
  const t = m.tlbStats();
  const per1k = stop.instructions ? (Number(t.misses) * 1000) / Number(stop.instructions) : 0;
  const lookups = Number(t.hits + t.misses);
  const rate = lookups ? ((100 * Number(t.hits)) / lookups).toFixed(3) : '-';
  err(`tlb: hits ${t.hits}, misses ${t.misses} (hit rate ${rate}%, ${per1k.toFixed(3)} misses per 1000 instructions), full flushes ${t.flushFull}, single flushes ${t.flushOne}, page faults ${t.pageFaults}`);
}

/** The exit status for how the VM stopped, with a one-line account on stderr. */
function report(stop: StopInfo, err: (s: string) => void): number {
  const n = stop.instructions;
  switch (stop.why) {
    case 'halted':
      err(`wasmvisor: guest halted after ${n} instructions`);
      return 0;
    case 'limit':
      err(`wasmvisor: stopped after ${n} instructions (--max-insns)`);
      return 0;
    case 'reset':
      err(`wasmvisor: ${stop.message} after ${n} instructions; not rebooting (-no-reboot)`);
      return 0;
    case 'exit':
      return stop.status ?? 1;
    case 'panic':
      err(`wasmvisor: ${stop.message} after ${n} instructions`);
      return 1;
    case 'idle':
    case 'wait':
    case 'shutdown':
      err(`wasmvisor: ${stop.message ?? 'guest idle with nothing to wake it'} after ${n} instructions`);
      return 0;
    default:
      err(`wasmvisor: error: ${stop.message ?? stop.why} after ${n} instructions`);
      return 1;
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

/**
 * `diff --ref qemu|bochs [VM flags]`: runs the guest in lockstep with a reference emulator;
 * status 0 when they agree. A -bios ROM starts at the reset vector on both sides; a -kernel
 * (QEMU only) is booted by QEMU's firmware to its entry, where wasmvisor takes over QEMU's
 * state and RAM (docs/trace-format.md).
 */
async function diff(argv: string[]): Promise<number> {
  let ref = 'qemu';
  let startAt: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ref') ref = argv[++i] ?? '';
    else if (argv[i]!.startsWith('--ref=')) ref = argv[i]!.slice(6);
    else if (argv[i] === '--start-at') {
      const v = argv[++i] ?? '';
      if (!/^(0x)?[0-9a-f]{1,8}$/i.test(v)) throw new UsageError(`--start-at wants a hexadecimal address, got '${v}'`);
      startAt = parseInt(v.replace(/^0x/i, ''), 16) >>> 0;
    } else rest.push(argv[i]!);
  }
  if (ref !== 'qemu' && ref !== 'bochs') throw new UsageError(`unknown reference '${ref}' (known: qemu, bochs)`);
  const o = parseArgs(rest);
  if (o === 'help' || o === 'version') return main([o === 'help' ? '--help' : '--version']);
  if (o.kernel && o.bios) throw new UsageError('diff: give -kernel or -bios, not both');
  if (!o.kernel && o.initrd) throw new UsageError('-initrd needs -kernel');
  if (!o.kernel && o.append !== undefined) throw new UsageError('-append needs -kernel');
  if (o.kernel && ref !== 'qemu') throw new UsageError(`diff: -kernel needs --ref qemu (${ref} only runs a -bios ROM)`);
  if (startAt !== undefined && !o.kernel) throw new UsageError('diff: --start-at needs -kernel');
  const { diffAgainst } = await import('./diff/compare.js');
  const maxInsns = Number(o.maxInsns ?? 1_000_000n);
  const timeoutMs = 60_000 + maxInsns / 10; // the lockstep runs at 30,000-80,000 instructions a second
  let r;
  if (o.kernel) {
    readInput(o.kernel, 'kernel');
    if (o.initrd) readInput(o.initrd, 'initrd');
    r = await diffAgainst({
      ref, kernel: o.kernel, ...(o.initrd ? { initrd: o.initrd } : {}), ...(o.append !== undefined ? { append: o.append } : {}),
      memory: o.memorySet ? o.memory : 64 << 20, maxInsns, timeoutMs, ...(startAt !== undefined ? { startAt } : {}),
    });
  } else {
    const bios = o.bios ?? DEFAULT_BIOS;
    readInput(bios, 'ROM image');
    r = await diffAgainst({ ref, bios, memory: o.memory, maxInsns, timeoutMs });
  }
  const secs = (r.ms / 1000).toFixed(1);
  const masked = Object.entries(r.masked).map(([k, v]) => `${v} ${k}`).join('; ');
  for (const n of r.notes ?? []) console.log(`note: ${n}`);
  if (r.divergence) {
    console.log(r.divergence.report);
    console.log(`(${r.compared} instructions compared against ${r.referenceVersion} in ${secs} s${masked ? `; masked: ${masked}` : ''})`);
    return 1;
  }
  console.log(`wasmvisor diff: ${r.compared} instructions agree with ${r.referenceVersion ?? ref} (${r.why}) in ${secs} s` +
    (r.interrupts ? `; ${r.interrupts} external interrupts taken by the reference injected at the same boundaries` : ''));
  if (masked) console.log(`masked or aligned: ${masked}`);
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
