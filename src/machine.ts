/**
 * A virtual PC: the core, its memory map, the I/O bus with its devices, and the run loop that
 * turns VM exits into device accesses and back. The path of an exit: core.run() returns a
 * basic exit reason -> handleExit() switches on it -> one handler per exit class (src/exits/)
 * -> the bus/device/policy -> the handler sets the completion (EXIT_PENDING) -> core.run().
 */
import * as L from './gen/layout.js';
import { Core, P_RAM, P_ROM } from './core.js';
import { IoBus, type Clock, type Device, type IrqLine, type Logger } from './devices/device.js';
import { CpuidPolicy } from './policy/cpuid.js';
import { ExitStats } from './stats.js';
import { ExitReason, type ExitAction, type StopWhy } from './exits/reasons.js';
import { handleIo } from './exits/io.js';
import { handleCpuid } from './exits/cpuid.js';
import { handleHlt } from './exits/hlt.js';
import { handleTripleFault } from './exits/triple-fault.js';
import { handleException, type ExceptionInfo } from './exits/exception.js';
import { handleMsr, type MsrHandler } from './exits/msr.js';
import { handleVmcall } from './exits/vmcall.js';
import { handleRdtsc } from './exits/rdtsc.js';
import { handleInterruptWindow } from './exits/interrupt-window.js';
import { handleCrAccess } from './exits/cr-access.js';

export interface MachineOptions {
  /** Guest RAM in bytes (default 128 MiB). */
  memory?: number;
  /** A ROM image mapped to end at 0xFFFFF (its last 128 KiB) and at 0xFFFFFFFF. */
  bios?: Uint8Array;
  /** Flat RAM with no holes and no ROM (CPU test harnesses). */
  flat?: boolean;
  /** Guest time from the instruction counter (default true): runs repeat bit for bit. */
  deterministic?: boolean;
  /** Use the stats build of the core, which also counts TLB hits (a little slower). */
  stats?: boolean;
  /** Use the core build whose memory is shared (SharedArrayBuffer): the browser's worker. */
  sharedMemory?: boolean;
  /** HLT with nothing to do but wait for a timer: 'skip' jumps guest time to the event (default;
   * a batch run finishes as fast as it can), 'sleep' stops the run with why 'wait' so that an
   * interactive host can wait in real time (src/run-async.ts). */
  idle?: 'skip' | 'sleep';
  /** Buffered I/O (default true): ports whose device allows it (a polling UART's THR and LSR)
   * are handled in the core without exits (assembly/cpu/io.ts). Tracing turns it off. */
  bufferedIo?: boolean;
  log?: Logger;
}

export interface StopInfo {
  why: StopWhy;
  message?: string;
  instructions: bigint;
  /** 'exit' (isa-debug-exit): the status the guest asked for; 'wait': guest ns until the next
   * timer event (Infinity: only an external event can wake the guest). */
  status?: number;
  waitNs?: number;
}

const NO_DEADLINE = 0xffffffffffffffffn;
/** guest ns from the first queued write of buffered I/O to the exit that drains it */
const BUFIO_FLUSH_NS = 200_000;
const BUFIO_PORTS = 8; // the layout's BUFIO_PORTS count

export const MAX_ROM = 0x100000;
const SLICE = 1 << 22; // instructions per core.run() when nothing else limits it
// V8 first runs wasm in its baseline tier and cannot switch a running call to optimised code,
// so the first slices are short and grow to SLICE
const FIRST_SLICE = 1 << 14;
const now = () => performance.now() * 1e6;

export class Machine {
  readonly core: Core;
  readonly bus: IoBus;
  readonly cpuid = new CpuidPolicy();
  readonly stats = new ExitStats();
  readonly hypercalls = new Map<number, (m: Machine) => number>();
  readonly msrHandlers = new Map<number, MsrHandler>();
  readonly log: Logger;
  readonly ramBytes: number;
  /** Decides intercepted exceptions; default: re-inject. */
  onException?: (ex: ExceptionInfo) => 'inject' | 'stop';
  onInterruptWindow?: () => void;
  /** Sees writes to CR0/CR4 bits the host owns (CTL_CR0_MASK/CTL_CR4_MASK) before they happen. */
  onCrWrite?: (cr: number, value: number) => void;
  /** Consecutive exits with no instruction retired before the run is declared stuck
   * (a guest faulting in its own exception handler forever, with every fault intercepted). */
  maxStall = 1_000_000;
  /** Guest time for devices (ns): the instruction counter plus time idled, or the host clock. */
  readonly clock: Clock = { now: () => this.guestNs() };
  /** A reset requested by the guest (8042 pulse, port 0x92, 0xCF9, triple fault): with
   * `noReboot` the run stops with why 'reset'; otherwise onReset (e.g. reload the kernel). */
  noReboot = false;
  onReset?: () => void;
  private stopRequest: { why: StopWhy; message?: string; status?: number } | undefined;
  private readonly irqLines: IrqLine[] = [];
  private readonly tickers: Device[] = [];
  private deadline = Infinity;
  private timersDirty = true;
  readonly idleMode: 'skip' | 'sleep';
  /** Buffered I/O on (MachineOptions.bufferedIo); may be changed between runs. */
  bufferedIo: boolean;
  private readonly fastPorts: { dev: Device; port: number }[] = [];
  private readonly streamPorts: { dev: Device; port: number }[] = [];
  /** The read stream armed for the current entry. */
  private stream: { dev: Device; port: number } | undefined;

  private constructor(core: Core, opts: MachineOptions) {
    this.core = core;
    this.log = opts.log ?? (() => {});
    this.bus = new IoBus(this.log);
    this.idleMode = opts.idle ?? 'skip';
    this.bufferedIo = opts.bufferedIo ?? true;
    this.ramBytes = opts.memory ?? 128 * 1024 * 1024;
    if (!Number.isInteger(this.ramBytes) || this.ramBytes < 0x10000 || this.ramBytes > 0xc0000000) {
      throw new Error(`memory size ${this.ramBytes} is out of range (64 KiB to 3 GiB)`);
    }
    if (!core.exports.init(this.ramBytes)) throw new Error(`cannot allocate ${this.ramBytes} bytes of guest RAM`);
    core.refresh();
    core.set32(L.GUEST_RAM_BYTES, this.ramBytes);
    this.mapMemory(opts);
    core.set32(L.CTL_DETERMINISTIC, opts.deterministic === false ? 0 : 1);
    core.set32(L.CTL_IDLE_SKIP, this.idleMode === 'skip' ? 1 : 0);
    core.set32(L.BUFIO_FLUSH_NS, BUFIO_FLUSH_NS);
    // every port exits to the host except those of the devices in the core
    core.u8.fill(0xff, L.IO_BITMAP_BASE, L.IO_BITMAP_BASE + L.IO_BITMAP_SIZE);
    core.exports.reset();
    // a PC has its two 8259A PICs and the 8254 PIT in the core (no exits); a flat test
    // machine has neither
    if (!opts.flat) {
      core.exports.picEnable(1);
      core.exports.pitEnable(1);
      for (const p of [0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0xf0]) {
        core.u8[L.IO_BITMAP_BASE + (p >> 3)]! &= ~(1 << (p & 7));
      }
    }
  }

  static async create(opts: MachineOptions = {}): Promise<Machine> {
    return new Machine(await Core.create(opts.stats ? 'stats' : opts.sharedMemory ? 'shared' : 'release'), opts);
  }

  private mapMemory(opts: MachineOptions): void {
    const c = this.core.exports;
    const ram = this.ramBytes;
    const pageUp = (n: number) => Math.ceil(n / 4096) * 4096;
    if (opts.flat) {
      c.mapPages(0, pageUp(ram), L.RAM_BASE, P_RAM);
    } else {
      // conventional memory, the legacy hole 0xA0000-0xFFFFF, extended memory (PC AT map)
      c.mapPages(0, Math.min(ram, 0xa0000), L.RAM_BASE, P_RAM);
      if (ram > 0x100000) c.mapPages(0x100000, pageUp(ram - 0x100000), L.RAM_BASE + 0x100000, P_RAM);
    }
    if (opts.bios) this.loadRom(opts.bios);
    else if (!opts.flat) {
      // no firmware (a direct kernel boot): the option-ROM and BIOS area 0xC0000-0xFFFFF is
      // still ROM, empty (zeros), as kernels scan it for tables; read from the otherwise unused
      // RAM backing of the legacy hole, so scans cost no exits
      c.mapPages(0xc0000, 0x40000, L.RAM_BASE + 0xc0000, P_ROM);
    }
  }

  /** The ROM image's size as mapped (0: none), for shadow RAM. */
  private romSize = 0;

  /**
   * Shadow RAM of the legacy BIOS area 0xC0000-0xFFFFF (the i440FX's PAM registers): a 16 KiB-
   * aligned region reads and writes DRAM ('ram'), reads DRAM with writes dropped ('ram-ro'), or
   * reads the ROM behind it ('rom': the firmware image where it covers the region, else the empty
   * ROM of a direct kernel boot or, above a smaller image, unmapped). DRAM here is the RAM backing
   * of the legacy hole. Deviation: "writes to DRAM, reads from ROM" is 'rom' (the write is dropped);
   * SeaBIOS copies itself from the high alias at 0xFFFE0000 instead.
   */
  setShadow(base: number, size: number, mode: 'ram' | 'ram-ro' | 'rom'): void {
    const c = this.core.exports;
    if (base < 0xc0000 || base + size > 0x100000 || (base | size) & 0x3fff) throw new Error(`bad shadow region 0x${base.toString(16)}+0x${size.toString(16)}`);
    if (mode !== 'rom') {
      c.mapPages(base, size, L.RAM_BASE + base, mode === 'ram' ? P_RAM : P_ROM);
      return;
    }
    for (let a = base; a < base + size; a += 0x1000) {
      const below = 0x100000 - a; // bytes from this page to the top of the window
      if (this.romSize && below <= Math.min(this.romSize, 0x20000)) c.mapPages(a, 0x1000, L.ROM_BASE + this.romSize - below, P_ROM);
      else if (this.romSize) c.mapPages(a, 0x1000, 0, 0);
      else c.mapPages(a, 0x1000, L.RAM_BASE + a, P_ROM);
    }
  }

  private loadRom(rom: Uint8Array): void {
    if (rom.length === 0) throw new Error('the ROM image is empty');
    if (rom.length > MAX_ROM) throw new Error(`the ROM image is ${rom.length} bytes; at most ${MAX_ROM} are supported`);
    const size = Math.ceil(rom.length / 4096) * 4096;
    const base = L.ROM_BASE;
    this.core.u8.fill(0xff, base, base + size);
    this.core.u8.set(rom, base + size - rom.length); // the image ends at the top of the window
    const c = this.core.exports;
    c.mapPages(0x100000000 - size, size, base, P_ROM);
    const low = Math.min(size, 0x20000);
    c.mapPages(0x100000 - low, low, base + size - low, P_ROM);
    this.romSize = size;
    this.core.set32(L.GUEST_ROM_BYTES, rom.length);
  }

  attach(dev: Device): void {
    this.bus.attach(dev);
    if (dev.tick) this.tickers.push(dev);
    if (dev.fastPortMode) for (const port of dev.fastPorts ?? []) this.fastPorts.push({ dev, port });
    if (dev.readStream && dev.consumeStream) for (const port of dev.fastPorts ?? []) this.streamPorts.push({ dev, port });
    this.timersDirty = true;
  }

  /** Buffered I/O, before an entry: the fast ports and what the core may do with each now. */
  private armFastPorts(): void {
    const c = this.core;
    let n = 0;
    if (this.bufferedIo) {
      for (const { dev, port } of this.fastPorts) {
        const mode = dev.fastPortMode!(port);
        if (!mode) continue;
        c.set32(L.BUFIO_PORTS + 4 * n, (mode | port) >>> 0);
        if (++n === BUFIO_PORTS) break;
      }
    }
    if (n < BUFIO_PORTS) c.set32(L.BUFIO_PORTS + 4 * n, 0);
    this.armStream();
  }

  /** Buffered I/O: the first port with a read stream now gets it in the core. */
  private armStream(): void {
    const c = this.core;
    this.stream = undefined;
    c.set32(L.BUFIO_STREAM_PORT, 0);
    if (!this.bufferedIo) return;
    for (const sp of this.streamPorts) {
      const bytes = sp.dev.readStream!(sp.port);
      if (!bytes || bytes.length === 0) continue;
      const n = Math.min(bytes.length, L.BUFIO_STREAM_SIZE);
      c.u8.set(bytes.subarray(0, n), L.BUFIO_STREAM_BASE);
      c.set32(L.BUFIO_STREAM_LEN, n);
      c.set32(L.BUFIO_STREAM_POS, 0);
      c.set32(L.BUFIO_STREAM_PORT, (sp.port | 0x10000) >>> 0);
      this.stream = sp;
      return;
    }
  }

  /** Buffered I/O, after an exit: the queued writes go to their devices in order, before the
   * exit is handled. The first of them lowered HOST_DEADLINE: it is recomputed. */
  private drainBuffered(): void {
    const c = this.core;
    if (this.stream) {
      const used = c.get32(L.BUFIO_STREAM_POS);
      c.set32(L.BUFIO_STREAM_POS, 0);
      if (used) {
        this.stream.dev.consumeStream!(this.stream.port, used);
        this.timersDirty = true;
      }
    }
    const n = c.get32(L.BUFIO_COUNT);
    if (n === 0) return;
    c.set32(L.BUFIO_COUNT, 0);
    for (let i = 0; i < n; i++) {
      const e = c.get32(L.BUFIO_RING + 4 * i);
      this.bus.write(e >>> 16, 1, e & 0xff);
    }
    this.timersDirty = true;
  }

  /** Accesses buffered I/O served without an exit: queued writes and shadow reads. */
  bufferedIoCounts(): { writes: bigint; reads: bigint } {
    return { writes: this.core.get64(L.BUFIO_WRITES), reads: this.core.get64(L.BUFIO_READS) };
  }

  /** Guest time in ns, as the core sees it (assembly/cpu/exec.ts guestNs). */
  guestNs(): number {
    const c = this.core;
    if (c.get32(L.CTL_DETERMINISTIC)) return Number(c.get64(L.ICOUNT) + c.get64(L.IDLE_NS));
    return Number(c.get64(L.HOST_TSC));
  }

  /** ISA IRQ line 0-15 of the in-core PICs, as an object a device holds. */
  irq(n: number): IrqLine {
    if (n < 0 || n > 15) throw new Error(`IRQ ${n} does not exist`);
    return (this.irqLines[n] ??= { set: (level: boolean) => this.core.exports.setIrq(n, level ? 1 : 0) });
  }

  /** Device timers may have changed (a device register written, input queued). */
  timersChanged(): void {
    this.timersDirty = true;
  }

  /** Runs the timed events of host devices that are due and tells the core the next deadline. */
  serviceDevices(): void {
    const now = this.guestNs();
    if (!this.timersDirty && now < this.deadline) return;
    let next = Infinity;
    for (const d of this.tickers) {
      const t = d.tick!(now);
      if (t !== undefined && t < next) next = t;
    }
    this.deadline = next;
    this.timersDirty = false;
    this.core.set64(L.HOST_DEADLINE, next === Infinity ? NO_DEADLINE : BigInt(Math.max(Math.ceil(next), now + 1)));
  }

  /** Guest time idles forward by ns (a halted CPU waiting for a timer). */
  idle(ns: number): void {
    if (ns > 0) this.core.set64(L.IDLE_NS, this.core.get64(L.IDLE_NS) + BigInt(Math.ceil(ns)));
  }

  /** Ends the current run at the next instruction boundary (devices call this: isa-debug-exit,
   * pvpanic, a reset with -no-reboot). */
  requestStop(why: StopWhy, message?: string, status?: number): void {
    this.stopRequest = { why, ...(message !== undefined ? { message } : {}), ...(status !== undefined ? { status } : {}) };
  }

  /** The guest asked for a system reset. */
  requestReset(source: string): void {
    if (this.noReboot || !this.onReset) this.requestStop('reset', `guest reset (${source})`);
    else this.resetPending = true;
  }
  private resetPending = false;

  /** A system reset: the CPU, the in-core and host devices; onReset reloads what the firmware
   * or loader put in memory. */
  reset(): void {
    const c = this.core;
    c.exports.reset();
    c.set64(L.IDLE_NS, c.get64(L.IDLE_NS)); // guest time runs on across a reset
    if (c.get32(L.PIC_ENABLED)) c.exports.picEnable(1);
    if (c.get32(L.PIT_ENABLED)) c.exports.pitEnable(1);
    this.bus.reset();
    this.setA20(true);
    this.timersDirty = true;
    this.onReset?.();
  }

  /** Copies bytes into guest physical RAM (loaders). */
  writePhys(addr: number, bytes: Uint8Array): void {
    if (addr < 0 || addr + bytes.length > this.ramBytes) throw new Error(`load at 0x${addr.toString(16)} overruns guest RAM`);
    this.core.u8.set(bytes, L.RAM_BASE + addr);
  }

  /** Bus-master DMA reads guest physical memory: a copy of [addr, addr + len) through the core's
   * page map, or undefined when any page is MMIO or unassigned (or the range passes 4 GiB). */
  dmaRead(addr: number, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    return this.dmaPages(addr, len, (wasm, off, n) => out.set(this.core.u8.subarray(wasm, wasm + n), off)) ? out : undefined;
  }

  /** Bus-master DMA writes guest physical RAM; false (nothing written) when any page is not RAM. */
  dmaWrite(addr: number, bytes: Uint8Array): boolean {
    if (!this.dmaPages(addr, bytes.length, () => {}, P_RAM)) return false;
    return this.dmaPages(addr, bytes.length, (wasm, off, n) => this.core.u8.set(bytes.subarray(off, off + n), wasm), P_RAM);
  }

  /** Calls fn for each page piece of a physical range; false if a page has none of `types`. */
  private dmaPages(addr: number, len: number, fn: (wasm: number, off: number, n: number) => void, types = P_RAM | P_ROM): boolean {
    if (addr < 0 || addr + len > 0x100000000) return false;
    const c = this.core;
    const a20 = c.get32(L.A20_MASK);
    for (let off = 0; off < len;) {
      const phys = ((addr + off) & a20) >>> 0;
      const e = c.get32(L.PMAP_BASE + (phys >>> 12) * 4);
      if (!(e & types)) return false;
      const n = Math.min(len - off, 4096 - (phys & 0xfff));
      fn(((e & ~0xfff) >>> 0) + (phys & 0xfff), off, n);
      off += n;
    }
    return true;
  }

  get instructions(): bigint {
    return this.core.icount;
  }

  /** Queues an event for delivery at the next entry (VM-entry injection). */
  inject(ex: ExceptionInfo): void {
    const info = (ex.vector & 0xff) | ((ex.type & 7) << 8) | (ex.error !== undefined ? 1 << 11 : 0) | 0x80000000;
    this.core.set32(L.ENTRY_INTR_INFO, info);
    this.core.set32(L.ENTRY_INTR_ERROR, ex.error ?? 0);
  }

  /** Gives an MSR to the host: RDMSR/WRMSR of it exit (reasons 31/32) to this handler. */
  claimMsr(msr: number, h: MsrHandler): void {
    // MSRs outside the bitmap's ranges always exit; the handler alone claims them
    const bit = msr <= 0x1fff ? msr : msr >= 0xc0000000 && msr <= 0xc0001fff ? 0x2000 + (msr - 0xc0000000) : -1;
    if (bit >= 0) for (const [dir, on] of [[0, h.read], [0x4000, h.write]] as const) {
      const b = bit + dir;
      const at = L.MSR_BITMAP_BASE + (b >> 3);
      if (on) this.core.u8[at]! |= 1 << (b & 7);
    }
    this.msrHandlers.set(msr, h);
  }

  /** Drives IRQ line 0-15 of the in-core PICs (a PC machine; not a flat one). */
  setIrq(irq: number, level: boolean): void {
    this.core.exports.setIrq(irq, level ? 1 : 0);
  }

  /** Drives the INTR pin with the vector the interrupt-acknowledge cycle will return (machines
   * without the in-core PICs). */
  raiseIntr(vector: number): void {
    this.core.set32(L.INTR_VECTOR, vector & 0xff);
    this.core.set32(L.INTR_LINE, 1);
  }

  lowerIntr(): void {
    this.core.set32(L.INTR_LINE, 0);
  }

  /** An edge on the NMI pin. */
  nmi(): void {
    this.core.set32(L.NMI_PENDING, 1);
  }

  /** The A20 gate (8042 output port bit 1, port 0x92 bit 1): closed, physical bit 20 is forced to 0. */
  setA20(enabled: boolean): void {
    this.core.set32(L.A20_MASK, enabled ? 0xffffffff : 0xffefffff);
    this.core.exports.stateChanged();
  }

  /** Advances virtual time to the next device event; false if there is none. */
  waitForEvent(): boolean {
    return false;
  }

  /** The host's clock in TSC ticks (1 GHz) for non-deterministic runs. */
  tscNow(): bigint {
    return BigInt(Math.floor(now()));
  }

  private slice = FIRST_SLICE;

  /** Runs until the guest stops or `limit` instructions have retired in total; with
   * `yieldMs`, also returns ('yield') after about that much host time, so that an event loop
   * can deliver input (src/run-async.ts). */
  run(limit?: bigint, yieldMs?: number): StopInfo {
    const core = this.core;
    const run = core.exports.run;
    const stats = this.stats;
    if (stats.startNs === 0) stats.startNs = now();
    let stall = 0;
    let lastIcount = core.icount;
    this.serviceDevices();
    const yieldAt = yieldMs === undefined ? Infinity : now() + yieldMs * 1e6;
    try {
      for (;;) {
        let budget = this.slice;
        if (this.slice < SLICE) this.slice *= 2;
        if (limit !== undefined) {
          const left = limit - core.icount;
          if (left <= 0n) return this.stop('limit');
          if (left < BigInt(budget)) budget = Number(left);
        }
        if (!core.get32(L.CTL_DETERMINISTIC)) core.set64(L.HOST_TSC, this.tscNow());
        this.armFastPorts();
        const t0 = now();
        const reason = run(budget);
        const t1 = now();
        stats.guestNs += t1 - t0;
        this.drainBuffered();
        const action = this.handleExit(reason);
        this.serviceDevices();
        stats.record(reason, now() - t1);
        if (this.stopRequest) {
          const r = this.stopRequest;
          this.stopRequest = undefined;
          return { ...this.stop(r.why, r.message), ...(r.status !== undefined ? { status: r.status } : {}) };
        }
        if (this.resetPending) {
          this.resetPending = false;
          this.reset();
          continue;
        }
        if (action.stop) return { ...this.stop(action.why, action.message), ...(action.waitNs !== undefined ? { waitNs: action.waitNs } : {}) };
        if (t1 > yieldAt) return this.stop('yield');
        const ic = core.icount;
        if (ic !== lastIcount) {
          lastIcount = ic;
          stall = 0;
        } else if (++stall >= this.maxStall) {
          return this.stop('error', `no progress after ${stall} exits (last: ${reason}) at ${core.segSel(1).toString(16)}:${core.eip.toString(16)}`);
        }
      }
    } finally {
      this.drainBuffered();
      core.set32(L.BUFIO_PORTS, 0); // no fast path for whoever enters the core next (a tracer)
      core.set32(L.BUFIO_STREAM_PORT, 0);
      this.stream = undefined;
      stats.endNs = now();
      for (const d of this.bus.devices) (d as { flush?: () => void }).flush?.();
    }
  }

  private stop(why: StopWhy, message?: string): StopInfo {
    const s: StopInfo = { why, instructions: this.core.icount };
    if (message !== undefined) s.message = message;
    return s;
  }

  handleExit(reason: number): ExitAction {
    switch (reason) {
      case ExitReason.IO_INSTRUCTION: return handleIo(this);
      case ExitReason.PREEMPTION_TIMER: return { stop: false };
      case ExitReason.HLT: return handleHlt(this);
      case ExitReason.CPUID: return handleCpuid(this);
      case ExitReason.EXCEPTION_OR_NMI: return handleException(this);
      case ExitReason.TRIPLE_FAULT: return handleTripleFault(this);
      case ExitReason.RDMSR: return handleMsr(this, false);
      case ExitReason.WRMSR: return handleMsr(this, true);
      case ExitReason.VMCALL: return handleVmcall(this);
      case ExitReason.RDTSC: return handleRdtsc(this);
      case ExitReason.INTERRUPT_WINDOW: return handleInterruptWindow(this);
      case ExitReason.CR_ACCESS: return handleCrAccess(this);
      default:
        return { stop: true, why: 'error', message: `unexpected exit reason ${reason}` };
    }
  }

  /** In-core exit counts (MMIO accesses are handled synchronously and only counted). */
  coreOnlyExits(): Map<number, number> {
    this.stats.ns[ExitReason.EPT_VIOLATION] = this.core.mmioMs * 1e6; // their host cost, timed by Core
    return new Map([[ExitReason.EPT_VIOLATION, Number(this.core.exitCount(ExitReason.EPT_VIOLATION))]]);
  }

  /** Soft-TLB counters. Hits are counted only by the stats build of the core (else 0). */
  tlbStats(): { hits: bigint; misses: bigint; flushFull: bigint; flushOne: bigint; pageFaults: bigint } {
    const c = this.core;
    return {
      hits: c.get64(L.TLB_HITS),
      misses: c.get64(L.TLB_MISSES),
      flushFull: c.get64(L.TLB_FLUSH_FULL),
      flushOne: c.get64(L.TLB_FLUSH_ONE),
      pageFaults: c.get64(L.PAGE_FAULTS),
    };
  }
}
