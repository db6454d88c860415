/**
 * Runs a -bios ROM, or a kernel from its entry point (QemuKernelBoot), under qemu-system-i386
 * with one instruction per translation block and turns its execution log into trace records
 * (format.ts). See docs/trace-format.md for the options, the alignment ("cpu" dumps show the
 * state BEFORE each TB) and what is masked.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, openSync, constants } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TraceWriter, lineReader, softIntEvent, type CpuState, type TraceEvent, type TraceInsn,
} from './format.js';
import { GdbClient } from '../gdb/client.js';
import { parseQemuRegisters, type X86State } from './machine-state.js';

export const QEMU = 'qemu-system-i386';

/** QEMU's version as [major, minor], or undefined if it is not installed. */
export function qemuVersion(bin = QEMU): [number, number] | undefined {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    const m = /version (\d+)\.(\d+)/.exec(out);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  } catch {
    return undefined;
  }
}

/** The command line: one instruction per TB, no chaining (so every TB execution is logged),
 * the register dump before each TB, the guest code at translation (for the bytes), exceptions
 * (check_exception lines), hardware interrupts (Servicing hardware INT) and device accesses
 * (memory_region_ops_* trace events). The CPU is KERNEL_CPU, without a local APIC as
 * wasmvisor: with QEMU's default CPU the 8259A's INTR never reaches a ROM's CPU (the LAPIC's
 * LINT0 stays masked; firmware would program it to ExtINT). */
export function qemuArgs(bios: string, memoryMiB: number, logPath: string, consolePath: string, version: [number, number]): string[] {
  const oneInsn = version[0] > 8 || (version[0] === 8 && version[1] >= 1)
    ? ['-accel', 'tcg,one-insn-per-tb=on']
    : ['-singlestep'];
  return [
    '-bios', bios, '-m', String(memoryMiB), '-cpu', KERNEL_CPU,
    '-nographic', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-parallel', 'none',
    '-net', 'none', '-no-reboot',
    '-device', 'isa-debugcon,iobase=0xe9,chardev=dbg', '-chardev', `file,id=dbg,path=${consolePath}`,
    ...oneInsn,
    '-d', 'in_asm,cpu,exec,nochain,int,trace:memory_region_ops_read,trace:memory_region_ops_write',
    '-D', logPath,
  ];
}

export interface QemuRunOptions {
  /** A -bios ROM: the trace starts at the reset vector. */
  bios?: string;
  /** Or a kernel QEMU boots directly (-kernel): the trace starts at its entry point. */
  kernel?: QemuKernelBoot;
  maxInsns: number;
  memory?: number; // bytes (default 16 MiB)
  /** Kill QEMU after this long (default 120 s). */
  timeoutMs?: number;
  writer?: TraceWriter;
  keep?: boolean;
  onInsn?: (r: TraceInsn) => void;
  bin?: string;
}

/**
 * A direct kernel boot under QEMU. QEMU boots it through SeaBIOS and an option ROM (linuxboot
 * for a bzImage, pvh for a PVH ELF, multiboot): that part is not traced. QEMU starts stopped
 * (-S) with its gdbstub on a Unix socket; a breakpoint at `entry` (the kernel's 32-bit entry:
 * code32_start for a bzImage, the PVH note's address, the Multiboot entry) stops it there;
 * `info registers` and `pmemsave` (HMP through the gdbstub's qRcmd) give the machine state and
 * all of guest RAM, which `onEntry` hands to the other side; then the log is switched on
 * (HMP `logfile` + `log`, `singlestep on`) and the guest continues: the trace starts with the
 * instruction at the entry.
 */
export interface QemuKernelBoot {
  path: string;
  initrd?: string;
  append?: string;
  entry: number;
  /** Where the trace starts (a linear address, default the entry): QEMU runs there untraced
   * (the first time it gets there) and the state is taken there; e.g. a kernel function run
   * once, to compare a late part of a boot. */
  startAt?: number;
  /** The state and RAM where the trace starts, and QEMU's `info pic` there. */
  onEntry: (state: X86State, ram: Uint8Array, pic: string) => void | Promise<void>;
  /** QEMU's -cpu (default KERNEL_CPU). */
  cpu?: string;
}

/**
 * The CPU QEMU is given for a kernel: a Pentium II trimmed to what wasmvisor's CPUID policy
 * (src/policy/cpuid.ts) advertises -- family 6 model 3 stepping 3; FPU PSE TSC MSR PAE CX8 SEP
 * MTRR PGE CMOV PAT FXSR, NX -- so that a kernel takes the same feature paths on both sides
 * (no local APIC, no MMX/SSE). What still differs (leaf 2, the brand string, QEMU's TCG
 * hypervisor leaves) is aligned by the comparator: see alignPlatform in src/diff/compare.ts.
 */
export const KERNEL_CPU = 'pentium2,family=6,model=3,stepping=3,-vme,-de,-mce,-apic,-mca,-pse36,-mmx,+nx,xlevel=0x80000004';

/** The -d items: one record per TB execution, the state before it, the code, exceptions, I/O. */
export const LOG_ITEMS = 'in_asm,cpu,exec,nochain,int,trace:memory_region_ops_read,trace:memory_region_ops_write';

/** The command line for a direct kernel boot, stopped before the first instruction. */
export function qemuKernelArgs(k: QemuKernelBoot, memoryMiB: number, gdbSocket: string, serialPath: string): string[] {
  return [
    '-kernel', k.path, ...(k.initrd ? ['-initrd', k.initrd] : []), ...(k.append !== undefined ? ['-append', k.append] : []),
    '-m', String(memoryMiB), '-cpu', k.cpu ?? KERNEL_CPU,
    '-display', 'none', '-monitor', 'none', '-serial', `file:${serialPath}`, '-parallel', 'none',
    '-net', 'none', '-no-reboot',
    '-S', '-gdb', `unix:${gdbSocket},server=on,wait=off`,
  ];
}

export interface QemuRecording {
  reset: CpuState;
  insns: TraceInsn[];
  count: number;
  /** Why the run ended: the limit, HLT with IF=0, QEMU exiting, or the timeout. */
  why: 'limit' | 'halted' | 'exit' | 'timeout';
  console: string;
  ms: number;
  version: string;
}

const SEG_SLOT: Record<string, number> = { CS: 0, SS: 1, DS: 2, ES: 3, FS: 4, GS: 5 };

/** The incremental log parser; exported for tests. Feed lines; it calls emit per record. */
export class QemuLogParser {
  reset?: CpuState;
  /** linear address -> bytes of the instruction last translated there */
  private readonly code = new Map<number, string>();
  private inAsm = false;
  private lastAsm = -1;
  // the state being parsed (a dump in progress)
  private cur: CpuState | undefined;
  private curPc = 0;
  private curCsBase = 0;
  private segsSeen = 0;
  // the TB whose dump is complete and whose after-state is the next dump
  private pending: { cs: number; ip: number; linear: number; bytes: string; before: CpuState; events: TraceEvent[] } | undefined;
  /** The last finished record, emitted when the next TB starts (an interrupt delivered before
   * that TB ran still belongs to it: see "Servicing"). */
  private held: TraceInsn | undefined;
  /** The held record took an interrupt: its state after is the next dump (the handler's). */
  private heldIrq = false;
  n = 0;
  halted = false;
  /** Hardware interrupts seen (Servicing hardware INT). */
  interrupts = 0;
  /** Records emitted (n counts finished ones; the last may still be held). */
  emitted = 0;
  /** TB executions that stopped before their first instruction (dropped). */
  stoppedTbs = 0;

  constructor(private readonly emit: (r: TraceInsn) => void) {}

  line(s: string): void {
    const c = s.charCodeAt(0);
    if (this.inAsm) {
      // "0x000f0000:  fa                       cli"
      if (s.startsWith('0x')) {
        // capstone's printer puts at most 8 bytes on a line: a long instruction continues on
        // the next line (its own address, bytes only, no mnemonic)
        const m = /^0x([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S*)/.exec(s + ' ');
        if (!m) return;
        const hex = m[2]!.replace(/ /g, '');
        if (m[3] === '' && this.lastAsm >= 0) {
          this.code.set(this.lastAsm, (this.code.get(this.lastAsm) ?? '') + hex);
        } else {
          this.lastAsm = parseInt(m[1]!, 16) >>> 0;
          this.code.set(this.lastAsm, hex);
        }
        return;
      }
      if (s.trim() === '') { this.inAsm = false; return; }
      if (s.startsWith('OBJD') || s.startsWith('----')) return;
      this.inAsm = false;
    }
    switch (c) {
      case 0x49: // I
        if (s.startsWith('IN:')) { this.inAsm = true; this.lastAsm = -1; }
        return;
      case 0x54: { // T: "Trace 0: 0x7f.. [000f0000/000f0001/00000040/ff000201] "
        const m = /\[([0-9a-f]+)\/([0-9a-f]+)\//.exec(s);
        if (!m) return;
        if (!this.heldIrq) this.release();
        this.curCsBase = parseInt(m[1]!, 16) >>> 0;
        this.curPc = parseInt(m[2]!, 16) >>> 0;
        this.cur = { regs: [0, 0, 0, 0, 0, 0, 0, 0], eip: 0, eflags: 0, sel: [0, 0, 0, 0, 0, 0] };
        this.segsSeen = 0;
        return;
      }
      case 0x53: { // S: "Servicing hardware INT=0x08", "Stopped execution of TB chain before 0x7f.. [00100048] "
        if (s.startsWith('Servicing hardware INT=')) {
          // an external interrupt taken at a TB boundary, after the last instruction that ran:
          // the pending TB if it ran (the interrupt was seen before the next lookup), else the
          // held one (the next TB was entered and stopped at its start: dropped below)
          const vector = parseInt(s.slice(23), 16);
          this.interrupts++;
          if (this.pending) this.pending.events.push({ kind: 'irq', vector });
          else if (this.held) {
            this.held.events.push({ kind: 'irq', vector });
            this.heldIrq = true;
          }
          return;
        }
        if (!s.startsWith('Stopped')) break; // "SS =..."
        // the TB logged last did not run: it exited at its start on an exit request (a device
        // timer kicked the vCPU: e.g. the PIT SeaBIOS programmed, with IF=0 nothing is taken).
        // QEMU runs it again and logs it again: this attempt is not an instruction.
        const m = /^Stopped execution of TB chain before \S+ \[([0-9a-f]+)\]/.exec(s);
        if (m && this.pending && this.pending.linear === parseInt(m[1]!, 16) >>> 0 && !this.pending.events.length) {
          this.pending = undefined;
          this.stoppedTbs++;
        }
        return;
      }
      case 0x63: { // c: "check_exception old: 0xffffffff new 0x0"
        const m = /^check_exception old: 0x[0-9a-f]+ new 0x([0-9a-f]+)/.exec(s);
        if (m && this.pending) this.pending.events.push({ kind: 'exc', vector: parseInt(m[1]!, 16) });
        return;
      }
      case 0x6d: { // m: "memory_region_ops_write cpu 0 mr 0x.. addr 0xe9 value 0x77 size 1 name 'isa-debugcon'"
        const m = /^memory_region_ops_(read|write) cpu (-?\d+) mr 0x[0-9a-f]+ addr 0x([0-9a-f]+) value 0x([0-9a-f]+) size (\d+)/.exec(s);
        if (!m || m[2] === '-1' || !this.pending) return;
        const addr = parseInt(m[3]!, 16);
        if (addr > 0xffff) return; // MMIO, not a port (the PC has no MMIO below 64 KiB)
        this.pending.events.push({
          kind: 'io', dir: m[1] === 'read' ? 'in' : 'out', port: addr, size: Number(m[5]), value: parseInt(m[4]!, 16) >>> 0,
        });
        return;
      }
    }
    const st = this.cur;
    if (!st) return;
    if (s.startsWith('EAX=')) {
      st.regs[0] = parseInt(s.substr(4, 8), 16); st.regs[3] = parseInt(s.substr(17, 8), 16);
      st.regs[1] = parseInt(s.substr(30, 8), 16); st.regs[2] = parseInt(s.substr(43, 8), 16);
    } else if (s.startsWith('ESI=')) {
      st.regs[6] = parseInt(s.substr(4, 8), 16); st.regs[7] = parseInt(s.substr(17, 8), 16);
      st.regs[5] = parseInt(s.substr(30, 8), 16); st.regs[4] = parseInt(s.substr(43, 8), 16);
    } else if (s.startsWith('EIP=')) {
      st.eip = parseInt(s.substr(4, 8), 16); st.eflags = parseInt(s.substr(17, 8), 16);
    } else if (s.length > 8 && s[2] === ' ' && s[3] === '=') {
      const slot = SEG_SLOT[s.substr(0, 2)];
      if (slot === undefined) return;
      st.sel[slot] = parseInt(s.substr(4, 4), 16);
      if (++this.segsSeen === 6) this.dumpDone();
    }
  }

  /** A complete "before TB" state: it is the after-state of the pending instruction. */
  private dumpDone(): void {
    const st = this.cur!;
    this.cur = undefined;
    if (!this.reset) this.reset = { regs: [...st.regs], eip: st.eip, eflags: st.eflags, sel: [...st.sel] };
    if (this.heldIrq) {
      this.held!.after = st;
      this.heldIrq = false;
    }
    if (this.pending) this.finish(st);
    if (this.halted) return;
    const linear = this.curPc;
    this.pending = {
      cs: st.sel[0]!, ip: st.eip >>> 0, linear, bytes: this.code.get(linear) ?? '', before: st, events: [],
    };
    void this.curCsBase;
    // HLT with IF=0 (and no NMI source): nothing follows, so finish it now (EIP past the HLT)
    if (this.pending.bytes === 'f4' && (st.eflags & 0x200) === 0) {
      const after = { ...st, regs: [...st.regs], sel: [...st.sel], eip: (st.eip + 1) >>> 0 };
      this.finish(after);
      this.release();
      this.halted = true;
    }
  }

  /** Emits the held record. */
  private release(): void {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    this.heldIrq = false;
    this.emitted++;
    this.emit(h);
  }

  /** The end of the log: the held record is complete unless it still waits for an interrupt's
   * state. */
  end(): void {
    if (!this.heldIrq) this.release();
  }

  private finish(after: CpuState): void {
    const p = this.pending!;
    this.pending = undefined;
    const si = softIntEvent(p.bytes, p.ip, after, p.cs);
    if (si) p.events.splice(p.events.findIndex((e) => e.kind === 'irq') >>> 0, 0, si);
    this.release();
    this.held = { n: this.n++, cs: p.cs, ip: p.ip, linear: p.linear, bytes: p.bytes, after, events: p.events };
  }
}

export interface QemuSession {
  version: string;
  /** Resolves when QEMU has been stopped (or exited) and the log is drained. */
  done: Promise<{ why: QemuRecording['why']; console: string }>;
  /** Stops QEMU now (the consumer saw enough). */
  stop(): void;
  parser: QemuLogParser;
}

async function waitForFile(path: string, ms: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (!alive()) throw new Error('QEMU exited before opening its gdbstub');
    if (Date.now() > until) throw new Error(`QEMU did not open ${path} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts QEMU (a -bios ROM, or a kernel run to its entry first: QemuKernelBoot); every record
 * goes to onInsn as the log streams in (through a FIFO: hundreds of MB for a long run are
 * parsed, never stored). onInsn returns false to stop. QEMU is killed at maxInsns, at HLT with
 * IF=0, when onInsn says so, or at the timeout.
 */
export function startQemu(o: QemuRunOptions, onReset: (s: CpuState) => void, onInsn: (r: TraceInsn) => boolean): QemuSession {
  const bin = o.bin ?? QEMU;
  const ver = qemuVersion(bin);
  if (!ver) throw new Error(`${bin} is not installed (apt-get install qemu-system-x86)`);
  if (!o.bios === !o.kernel) throw new Error('startQemu: give either bios or kernel');
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-qemu-'));
  const conPath = join(dir, 'console.txt');
  const mib = Math.max(1, Math.round((o.memory ?? 16 << 20) / (1 << 20)));
  // QEMU cannot open /dev/stdout when it is the socket Node gives a child: use a FIFO
  const fifo = join(dir, 'log.fifo');
  execFileSync('mkfifo', [fifo]);
  const gdbSock = join(dir, 'gdb.sock');
  const args = o.kernel ? qemuKernelArgs(o.kernel, mib, gdbSock, conPath) : qemuArgs(o.bios!, mib, fifo, conPath, ver);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  let why: QemuRecording['why'] = 'exit';
  let stopped = false;
  let gdb: GdbClient | undefined;
  let setupError: Error | undefined;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (alive()) child.kill('SIGKILL');
    gdb?.close();
  };
  const stop = (w: QemuRecording['why']) => {
    if (stopped) return;
    stopped = true;
    why = w;
    kill();
  };
  const parser = new QemuLogParser((r) => {
    if (stopped) return;
    if (!onInsn(r)) stop('limit');
  });
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs ?? 120_000);
  let resetSent = false;
  const read = lineReader((line) => {
    parser.line(line);
    if (!resetSent && parser.reset) {
      resetSent = true;
      onReset(parser.reset);
    }
    if (parser.emitted >= o.maxInsns) stop('limit');
    else if (parser.halted) stop('halted');
    return !stopped;
  });
  const onData = (chunk: Buffer | string) => {
    if (!stopped) read(chunk);
  };
  // The log FIFO is read through a non-blocking pipe handle on a read-write descriptor: the
  // open never blocks and a read never blocks for ever (a blocking open or read on a FIFO
  // cannot be cancelled: a dead QEMU would leave them pending and Node could not exit). Being
  // a writer too, we never see end-of-file: the log ends with QEMU's exit; what is still in the
  // FIFO then is read until it has been quiet for a moment.
  let log: Socket | undefined;
  let quiet: NodeJS.Timeout | undefined;
  let childGone = false;
  const drainThenClose = () => {
    if (quiet) clearTimeout(quiet);
    quiet = setTimeout(() => log?.destroy(), 100);
  };
  let logClosed: () => void = () => {};
  const logDone = new Promise<void>((resolve) => { logClosed = resolve; });
  const openLog = () => {
    const l = new Socket({ fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    log = l;
    l.on('data', (d: Buffer) => {
      onData(d);
      if (childGone) drainThenClose();
    });
    l.on('close', () => logClosed());
    l.on('error', () => { /* the FIFO went away with QEMU */ });
  };
  if (o.bios) openLog();
  else {
    const k = o.kernel!;
    void (async () => {
      await waitForFile(gdbSock, 10_000, alive);
      gdb = await GdbClient.connect(0, { path: gdbSock, timeoutMs: o.timeoutMs ?? 120_000 });
      const entry = (k.startAt ?? k.entry) >>> 0;
      const bp = await gdb.request(`Z1,${entry.toString(16)},1`);
      if (bp !== 'OK') throw new Error(`QEMU's gdbstub refused a breakpoint at ${entry.toString(16)}: ${bp}`);
      const st = await gdb.cont(o.timeoutMs ?? 120_000);
      if (!/^T05/.test(st)) throw new Error(`QEMU did not stop at 0x${entry.toString(16)} (stop reply '${st}')`);
      const state = parseQemuRegisters(await gdb.monitor('info registers'));
      if (((state.segs[1]!.base + state.eip) >>> 0) !== entry) throw new Error(`QEMU stopped at ${state.eip.toString(16)}, not at the entry ${entry.toString(16)}`);
      const ramPath = join(dir, 'ram.bin');
      const out = await gdb.monitor(`pmemsave 0 ${mib << 20} "${ramPath}"`);
      if (!existsSync(ramPath)) throw new Error(`pmemsave failed: ${out}`);
      const ram = readFileSync(ramPath);
      rmSync(ramPath);
      await k.onEntry(state, ram, await gdb.monitor('info pic'));
      if (stopped) return;
      openLog();
      const mon = async (cmd: string) => {
        const r = (await gdb!.monitor(cmd)).trim();
        if (r) throw new Error(`QEMU monitor '${cmd}': ${r}`);
      };
      await mon(`logfile "${fifo}"`);
      await mon(`log ${LOG_ITEMS}`);
      const newer = ver[0] > 8 || (ver[0] === 8 && ver[1] >= 1);
      await mon(newer ? 'one-insn-per-tb on' : 'singlestep on');
      await gdb.request(`z1,${entry.toString(16)},1`);
      gdb.send('c');
    })().catch((e: Error) => {
      if (stopped) return;
      setupError = e;
      stop('exit');
      logClosed();
    });
  }
  const done = new Promise<{ why: QemuRecording['why']; console: string }>((resolve, reject) => {
    let closed = 0;
    const fin = () => {
      if (++closed < 2) return;
      clearTimeout(timer);
      parser.end();
      let consoleText = '';
      try {
        consoleText = readFileSync(conPath, 'latin1');
      } catch { /* no output */ }
      rmSync(dir, { recursive: true, force: true });
      if (setupError) reject(new Error(`QEMU (${bin} ${args.join(' ')}): ${setupError.message}${stderr.trim() ? `; stderr: ${stderr.trim()}` : ''}`));
      else if (!parser.reset) reject(new Error(`QEMU produced no trace (${bin} ${args.join(' ')}): ${stderr.trim()}`));
      else resolve({ why, console: consoleText });
    };
    child.on('close', () => {
      gdb?.close();
      childGone = true;
      if (!log) logClosed();
      else if (stopped) log.destroy();
      else drainThenClose();
      fin();
    });
    void logDone.then(fin);
  });
  return { version: ver.join('.'), done, stop: () => stop('limit'), parser };
}

/** Runs QEMU on the ROM and collects its trace. */
export async function recordQemu(o: QemuRunOptions): Promise<QemuRecording> {
  const t0 = performance.now();
  const keep = o.keep !== false;
  const insns: TraceInsn[] = [];
  let reset: CpuState | undefined;
  let count = 0;
  const s = startQemu(o, (r) => {
    reset = r;
    o.writer?.reset(r);
  }, (r) => {
    if (count >= o.maxInsns) return false;
    count++;
    if (keep) insns.push(r);
    o.writer?.insn(r);
    o.onInsn?.(r);
    return true;
  });
  const { why, console } = await s.done;
  return { reset: reset!, insns, count, why, console, ms: performance.now() - t0, version: s.version };
}
