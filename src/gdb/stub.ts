/**
 * A GDB remote serial protocol server for a Machine, in the manner of QEMU's `-s` / `-gdb
 * tcp::PORT` (and `-S` with waitForAttach). Protocol facts from the GDB manual, appendix
 * "Remote Serial Protocol". Conventions:
 *
 * - The target is described as i386 (target.xml with org.gnu.gdb.i386.core): `$pc` is EIP
 *   without the segment, and every address gdb sends (memory, breakpoints, watchpoints) is a
 *   linear address (linearToPhysical below translates, through the guest's page tables when
 *   paging is on). In real mode, linear = CS*16 + IP, so symbolic debugging is meaningful only
 *   where CS base is 0 (or the user translates). Registers in `g` order: eax ecx edx ebx esp
 *   ebp esi edi eip eflags cs ss ds es fs gs, then the x87 registers st0-st7 and fctrl fstat
 *   ftag (the full tag word) fiseg fioff foseg fooff fop, then (org.gnu.gdb.i386.sse) xmm0-xmm7
 *   and mxcsr; all past the segment registers can be read but not written.
 * - Breakpoints (Z0 and Z1 alike) live in the host: guest memory is never patched. While any
 *   breakpoint or watchpoint is set, continuing single-steps and checks CS.base+EIP before each
 *   instruction (the first instruction of a resume is exempt, like EFLAGS.RF). Write watchpoints
 *   (Z2) compare the watched bytes after each instruction, so a write of the same value is not
 *   seen. Read and access watchpoints (Z3, Z4) are not supported (empty reply).
 * - One client at a time; a second connection is refused while one is attached. Detach (`D`)
 *   or a dropped connection removes the breakpoints and lets the VM run free again; `k` stops it
 *   for good (and calls onKill).
 * - Guest stops: HLT with IF=0 and shutdown report `W00` (the machine is finished), a triple
 *   fault `T0b` (SIGSEGV), a host error `T06` (SIGABRT), anything else `T05`; registers stay
 *   readable after a T stop.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as L from '../gen/layout.js';
import { stBytes, coreTagWord } from '../x87.js';
import type { Machine, StopInfo } from '../machine.js';
import {
  FrameDecoder, frame, unescape, bytesToHex, hexToBytes, le32, parseLe32,
} from './protocol.js';

export interface GdbServerOptions {
  port: number;
  /** Interface to listen on; default 127.0.0.1 (never all interfaces unless asked). */
  host?: string;
  /** `-S`: the VM stays stopped until gdb sends `c` or `s`. Otherwise it runs from the start. */
  waitForAttach?: boolean;
  /** Architecture named in target.xml (default i386; i8086 makes gdb disassemble 16-bit code). */
  architecture?: string;
  /** Called on `k`/`vKill` after the VM has been stopped. */
  onKill?: () => void;
  /** Called when the guest stops by itself (halt, triple fault, ...). */
  onGuestStop?: (info: StopInfo) => void;
  log?: (msg: string) => void;
}

export interface GdbServer {
  readonly port: number;
  readonly host: string;
  readonly machine: Machine;
  /** 'stopped' (by the debugger), 'running', 'exited' (the guest finished) or 'killed'. */
  readonly state: 'stopped' | 'running' | 'exited' | 'killed';
  /** True while a client is connected. */
  readonly attached: boolean;
  /** Lets a stopped VM run (without a debugger: as after detach). */
  resume(): void;
  /** Stops the VM and the server, drops the client. */
  close(): Promise<void>;
}

/** Wasm memory offset of a guest physical byte backed by RAM or ROM, or -1 (MMIO, unmapped). */
export function physToWasm(m: Machine, phys: number): number {
  return m.core.physToWasm(phys);
}

/**
 * Where a debugger (linear) address lives in guest physical memory, or null when it is not
 * mapped: the core's own page walk run as a supervisor read without side effects (no accessed
 * or dirty bits, no fault, no TLB fill; assembly/cpu/paging.ts probeTranslate).
 */
export function linearToPhysical(lin: number, m: Machine): number | null {
  const p = m.core.exports.debugTranslate(lin >>> 0);
  return p < 0n ? null : Number(p);
}

/** gdb register number -> core segment index (0 ES 1 CS 2 SS 3 DS 4 FS 5 GS), regnums 10..15. */
const SEG_OF_GDB = [1, 2, 3, 0, 4, 5];
const NUM_GREGS = 16;
const NUM_X87 = 32; // + st0-st7 (10 bytes) and fctrl fstat ftag fiseg fioff foseg fooff fop (4 bytes)
const NUM_REGS = 41; // + xmm0-xmm7 (16 bytes) and mxcsr (4 bytes)
const regSize = (n: number) => (n >= 16 && n < 24 ? 10 : n >= NUM_X87 && n < NUM_X87 + 8 ? 16 : 4);

const RUN_SLICE = 200_000n; // instructions per m.run() when free-running with nothing to check
const STEP_BUDGET_MS = 8; // time between event-loop yields while stepping for breakpoints
const THREAD = 'thread:01;';

function targetXml(arch: string): string {
  const r = (name: string, type: string, extra = '') => `<reg name="${name}" bitsize="32" type="${type}"${extra}/>`;
  const gp = ['eax', 'ecx', 'edx', 'ebx'].map((n) => r(n, 'int32'));
  const flags = [
    ['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
    ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
  ].map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join('');
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    `<architecture>${arch}</architecture>`,
    '<feature name="org.gnu.gdb.i386.core">',
    `<flags id="x86_eflags" size="4">${flags}<field name="IOPL" start="12" end="13"/></flags>`,
    ...gp,
    r('esp', 'data_ptr'), r('ebp', 'data_ptr'), r('esi', 'int32'), r('edi', 'int32'),
    r('eip', 'code_ptr'), r('eflags', 'x86_eflags'),
    ...['cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((n) => r(n, 'int32')),
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<reg name="st${i}" bitsize="80" type="i387_ext" group="float"/>`),
    ...['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'].map((n) => r(n, 'int', ' group="float"')),
    '</feature>',
    // the GDB manual's "i386 Features": xmm0-xmm7 of type vec128 and mxcsr
    '<feature name="org.gnu.gdb.i386.sse">',
    ...[['v4f', 'ieee_single', 4], ['v2d', 'ieee_double', 2], ['v16i8', 'int8', 16], ['v8i16', 'int16', 8],
      ['v4i32', 'int32', 4], ['v2i64', 'int64', 2]].map(([id, t, n]) => `<vector id="${id}" type="${t}" count="${n}"/>`),
    '<union id="vec128">' + [['v4_float', 'v4f'], ['v2_double', 'v2d'], ['v16_int8', 'v16i8'], ['v8_int16', 'v8i16'],
      ['v4_int32', 'v4i32'], ['v2_int64', 'v2i64'], ['uint128', 'uint128']].map(([n, t]) => `<field name="${n}" type="${t}"/>`).join('') + '</union>',
    '<flags id="i386_mxcsr" size="4">' + ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE', 'DAZ', 'IM', 'DM', 'ZM', 'OM', 'UM', 'PM']
      .map((n, b) => `<field name="${n}" start="${b}" end="${b}"/>`).join('') + '<field name="FZ" start="15" end="15"/></flags>',
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<reg name="xmm${i}" bitsize="128" type="vec128"/>`),
    r('mxcsr', 'i386_mxcsr', ' group="vector"'),
    '</feature>',
    '</target>',
  ].join('\n');
}

interface Watch { addr: number; len: number; old: Uint8Array }

type Owner = 'gdb' | 'free';

class Stub implements GdbServer {
  port = 0;
  readonly host: string;
  readonly machine: Machine;
  state: GdbServer['state'] = 'stopped';
  private server: Server;
  private client: Socket | null = null;
  private decoder = new FrameDecoder();
  private noAck = false;
  private swbreakFeature = false;
  private hwbreakFeature = false;
  private lastSent = '';
  private lastStop = 'S05';
  private queue: string[] = [];
  private runOwner: Owner | null = null;
  private interrupt = false;
  private closed = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly swBreaks = new Set<number>();
  private readonly hwBreaks = new Set<number>();
  private readonly watches = new Map<string, Watch>();
  private readonly xml: string;
  private readonly log: (msg: string) => void;

  constructor(m: Machine, private readonly opts: GdbServerOptions) {
    this.machine = m;
    this.host = opts.host ?? '127.0.0.1';
    this.xml = targetXml(opts.architecture ?? 'i386');
    this.log = opts.log ?? (() => {});
    this.server = createServer((sock) => this.onConnection(sock));
  }

  get attached(): boolean { return this.client !== null; }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.host, () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  resume(): void {
    if (this.state !== 'stopped' || this.closed) return;
    this.startLoop('free', false);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.interrupt = true;
    this.client?.destroy();
    this.client = null;
    await this.loopDone;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- connection and framing ----

  private onConnection(sock: Socket): void {
    if (this.client || this.closed) {
      this.log('gdb: refusing a second connection');
      sock.destroy();
      return;
    }
    this.client = sock;
    this.decoder = new FrameDecoder();
    this.noAck = false;
    this.swbreakFeature = this.hwbreakFeature = false;
    this.queue = [];
    sock.setNoDelay(true);
    this.log(`gdb: client ${sock.remoteAddress}:${sock.remotePort} attached`);
    // an attaching debugger stops a running VM (QEMU: stop on connect)
    if (this.runOwner === 'free') {
      this.interrupt = true;
      this.lastStop = `T05${THREAD}`;
    }
    sock.on('data', (d) => this.onData(sock, d));
    sock.on('error', (e) => this.log(`gdb: socket error ${e.message}`));
    sock.on('close', () => {
      if (this.client !== sock) return;
      this.client = null;
      this.log('gdb: client gone');
      this.detach();
    });
  }

  private onData(sock: Socket, d: Buffer): void {
    if (sock !== this.client) return;
    for (const ev of this.decoder.push(d)) {
      switch (ev.type) {
        case 'ack': break;
        case 'nak': if (this.lastSent) sock.write(this.lastSent, 'latin1'); break;
        case 'interrupt':
          if (this.runOwner === 'gdb') this.interrupt = true;
          break;
        case 'packet':
          if (!this.noAck) sock.write(ev.ok ? '+' : '-');
          if (!ev.ok) break;
          this.queue.push(ev.payload);
          this.drain(); // now, so that a Ctrl-C right behind a `c` in the same chunk finds it running
          break;
      }
    }
  }

  private send(payload: string): void {
    if (!this.client) return;
    this.lastSent = frame(payload);
    this.client.write(this.lastSent, 'latin1');
  }

  /** Handles queued packets; packets that arrive while the VM runs wait for it to stop. */
  private drain(): void {
    while (this.queue.length > 0 && this.runOwner === null && this.client) {
      const p = this.queue.shift()!;
      let reply: string | null;
      try {
        reply = this.handle(p);
      } catch (e) {
        this.log(`gdb: packet '${p.slice(0, 40)}' failed: ${(e as Error).message}`);
        reply = 'E01';
      }
      if (reply !== null) this.send(reply);
    }
  }

  // ---- packets ----

  /** Returns the reply, or null when there is none now (resumes reply when the VM stops). */
  private handle(p: string): string | null {
    const m = this.machine;
    const cmd = p[0];
    switch (cmd) {
      case '?':
        return this.statusReply();
      case 'g': {
        let s = '';
        for (let i = 0; i < NUM_REGS; i++) s += this.readReg(i);
        return s;
      }
      case 'G': {
        const data = p.slice(1);
        let off = 0;
        for (let i = 0; i < NUM_GREGS && off + 8 <= data.length; i++, off += 8) {
          const h = data.slice(off, off + 8);
          if (h.includes('x')) continue;
          this.writeReg(i, parseLe32(h), true);
        }
        m.core.exports.stateChanged();
        return 'OK';
      }
      case 'p': {
        const n = parseInt(p.slice(1), 16);
        if (!(n >= 0 && n < NUM_REGS)) return 'E00';
        return this.readReg(n);
      }
      case 'P': {
        const eq = p.indexOf('=');
        const n = parseInt(p.slice(1, eq), 16);
        if (!(n >= 0 && n < NUM_REGS) || eq < 0) return 'E00';
        if (n >= NUM_GREGS) return 'E01'; // the x87 registers are read-only here
        const ok = this.writeReg(n, parseLe32(p.slice(eq + 1)), false);
        m.core.exports.stateChanged();
        return ok ? 'OK' : 'E01';
      }
      case 'm': {
        const [a, l] = p.slice(1).split(',');
        const addr = parseInt(a!, 16) >>> 0;
        const len = Math.min(parseInt(l!, 16), 0x2000);
        if (Number.isNaN(addr) || Number.isNaN(len)) return 'E00';
        const bytes = this.readLinear(addr, len);
        return bytes.length === 0 && len > 0 ? 'E14' : bytesToHex(bytes);
      }
      case 'M':
      case 'X': {
        const colon = p.indexOf(':');
        if (colon < 0) return 'E00';
        const [a, l] = p.slice(1, colon).split(',');
        const addr = parseInt(a!, 16) >>> 0;
        const len = parseInt(l!, 16);
        const raw = p.slice(colon + 1);
        let data: Uint8Array;
        if (cmd === 'M') {
          data = hexToBytes(raw);
        } else {
          data = Uint8Array.from(unescape(raw), (c) => c.charCodeAt(0));
        }
        if (data.length !== len) return 'E00';
        if (!this.writeLinear(addr, data)) return 'E14';
        m.core.exports.stateChanged(); // the code under EIP may have changed
        this.refreshWatches();
        return 'OK';
      }
      case 'c':
      case 'C':
      case 's':
      case 'S': {
        // c [addr] ; C sig[;addr] (the signal is dropped: there is nothing to deliver it to)
        let arg = p.slice(1);
        if (cmd === 'C' || cmd === 'S') arg = arg.includes(';') ? arg.slice(arg.indexOf(';') + 1) : '';
        if (arg) {
          m.core.eip = (parseInt(arg, 16) - m.core.segBase(1)) >>> 0;
          m.core.exports.stateChanged();
        }
        return cmd === 'c' || cmd === 'C' ? this.cont() : this.step();
      }
      case 'Z':
      case 'z':
        return this.breakpoint(cmd === 'Z', p.slice(1));
      case 'k':
        this.kill();
        return null;
      case 'D':
        this.send('OK');
        this.detach();
        this.client?.end();
        return null;
      case 'H':
        return 'OK';
      case 'T':
        return 'OK'; // the only thread is alive
      case 'q':
      case 'Q':
        return this.query(p);
      case 'v':
        if (p.startsWith('vKill')) {
          this.kill(false);
          return 'OK';
        }
        return ''; // vCont?, vMustReplyEmpty, vFile ...: unsupported, gdb falls back to c/s
      default:
        return '';
    }
  }

  private query(p: string): string | null {
    if (p.startsWith('qSupported')) {
      const feats = p.includes(':') ? p.slice(p.indexOf(':') + 1).split(';') : [];
      this.swbreakFeature = feats.includes('swbreak+');
      this.hwbreakFeature = feats.includes('hwbreak+');
      let r = 'PacketSize=4000;qXfer:features:read+;QStartNoAckMode+';
      if (this.swbreakFeature) r += ';swbreak+';
      if (this.hwbreakFeature) r += ';hwbreak+';
      return r;
    }
    if (p === 'QStartNoAckMode') {
      // acknowledged and answered in ack mode; from the next packet on, no acks either way
      this.send('OK');
      this.noAck = true;
      return null;
    }
    if (p.startsWith('qXfer:features:read:')) {
      const [annex, range] = p.slice('qXfer:features:read:'.length).split(':');
      if (annex !== 'target.xml' || !range) return 'E00';
      const [o, l] = range.split(',');
      const off = parseInt(o!, 16);
      const len = parseInt(l!, 16);
      if (off >= this.xml.length) return 'l';
      const chunk = this.xml.slice(off, off + len);
      return (off + len >= this.xml.length ? 'l' : 'm') + chunk;
    }
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p === 'qC') return 'QC01';
    if (p === 'qfThreadInfo') return 'm01';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qSymbol')) return 'OK';
    return '';
  }

  private statusReply(): string {
    if (this.state === 'killed') return 'X09';
    if (this.state === 'exited') return 'W00';
    return this.lastStop;
  }

  // ---- registers ----

  private readReg(n: number): string {
    const c = this.machine.core;
    if (n < 8) return le32(c.reg32(n));
    if (n === 8) return le32(c.eip);
    if (n === 9) return le32(c.eflags);
    if (n < NUM_GREGS) return le32(c.segSel(SEG_OF_GDB[n - 10]!));
    if (n < NUM_GREGS + 8) return bytesToHex(stBytes(c, n - NUM_GREGS));
    if (n < NUM_X87) {
      const x87 = [L.FPU_CW, L.FPU_SW, -1, L.FPU_FCS, L.FPU_FIP, L.FPU_FDS, L.FPU_FDP, L.FPU_FOP][n - NUM_GREGS - 8]!;
      return le32(x87 < 0 ? coreTagWord(c) : c.get32(x87));
    }
    if (n < NUM_X87 + 8) return bytesToHex(c.u8.subarray(L.XMM + 16 * (n - NUM_X87), L.XMM + 16 * (n - NUM_X87) + 16));
    return le32(c.get32(L.MXCSR));
  }

  /** False if the register cannot take the value (segment loads outside real mode). */
  private writeReg(n: number, v: number, quiet: boolean): boolean {
    const c = this.machine.core;
    if (n < 8) c.setReg32(n, v);
    else if (n === 8) c.eip = v;
    else if (n === 9) c.eflags = v;
    else {
      const s = SEG_OF_GDB[n - 10]!;
      v &= 0xffff;
      if (c.segSel(s) === v) return true; // keeps the descriptor cache (unreal mode) intact
      // REAL MODE ONLY: a protected-mode load would need the GDT/LDT descriptor and its checks
      if (c.get32(L.CR) & 1) {
        if (!quiet) this.log('gdb: segment register writes are only supported in real mode');
        return false;
      }
      c.setSeg(s, v, v << 4, c.get32(L.SEG_LIMIT + 4 * s), c.get32(L.SEG_ATTR + 4 * s));
    }
    return true;
  }

  // ---- memory ----

  /** Reads up to len bytes; stops at the first inaccessible one. */
  readLinear(lin: number, len: number): Uint8Array {
    const c = this.machine.core;
    c.refresh();
    const out: number[] = [];
    for (let i = 0; i < len; i++) {
      const phys = linearToPhysical((lin + i) >>> 0, this.machine);
      const w = phys === null ? -1 : physToWasm(this.machine, phys);
      if (w < 0) break;
      out.push(c.u8[w]!);
    }
    return Uint8Array.from(out);
  }

  /** Writes all bytes or none (ROM is writable to the debugger, as in QEMU). */
  writeLinear(lin: number, data: Uint8Array): boolean {
    const c = this.machine.core;
    c.refresh();
    const where: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const phys = linearToPhysical((lin + i) >>> 0, this.machine);
      const w = phys === null ? -1 : physToWasm(this.machine, phys);
      if (w < 0) return false;
      where.push(w);
    }
    for (let i = 0; i < data.length; i++) c.u8[where[i]!] = data[i]!;
    return true;
  }

  // ---- breakpoints and watchpoints ----

  private breakpoint(insert: boolean, args: string): string {
    const [t, a, k] = args.split(/[,;]/);
    const type = Number(t);
    const addr = parseInt(a!, 16) >>> 0;
    const kind = parseInt(k ?? '1', 16);
    if (Number.isNaN(addr)) return 'E00';
    if (type === 0 || type === 1) {
      const set = type === 0 ? this.swBreaks : this.hwBreaks;
      if (insert) set.add(addr);
      else set.delete(addr);
      return 'OK';
    }
    if (type === 2) {
      const key = `${addr}:${kind}`;
      if (!insert) {
        this.watches.delete(key);
        return 'OK';
      }
      if (!(kind >= 1 && kind <= 4096)) return 'E00';
      const old = this.readLinear(addr, kind);
      if (old.length !== kind) return 'E14';
      this.watches.set(key, { addr, len: kind, old });
      return 'OK';
    }
    return ''; // read/access watchpoints: unsupported
  }

  private refreshWatches(): void {
    for (const w of this.watches.values()) w.old = this.readLinear(w.addr, w.len);
  }

  /** The stop reply for a changed write watchpoint, updating its snapshot; or null. */
  private checkWatches(): string | null {
    let hit: string | null = null;
    for (const w of this.watches.values()) {
      const now = this.readLinear(w.addr, w.len);
      let changed = now.length !== w.old.length;
      for (let i = 0; !changed && i < now.length; i++) changed = now[i] !== w.old[i];
      if (changed) {
        w.old = now;
        hit ??= `T05watch:${(w.addr >>> 0).toString(16)};${THREAD}`;
      }
    }
    return hit;
  }

  private pcLinear(): number {
    const c = this.machine.core;
    return (c.segBase(1) + c.eip) >>> 0;
  }

  // ---- execution ----

  /** Maps a guest stop to a stop reply; null for 'limit' (keep going). */
  private guestStop(info: StopInfo): string | null {
    if (info.why === 'limit') return null;
    this.log(`gdb: guest stopped (${info.why}${info.message ? `: ${info.message}` : ''})`);
    this.opts.onGuestStop?.(info);
    switch (info.why) {
      case 'halted':
      case 'shutdown':
        this.state = 'exited';
        return 'W00';
      case 'triple-fault': return `T0b${THREAD}`;
      case 'error': return `T06${THREAD}`;
      default: return `T05${THREAD}`;
    }
  }

  private runGuarded(limit: bigint): StopInfo {
    try {
      return this.machine.run(limit);
    } catch (e) {
      return { why: 'error', message: (e as Error).message, instructions: this.machine.instructions };
    }
  }

  private step(): string {
    if (this.state === 'exited' || this.state === 'killed') return this.statusReply();
    const m = this.machine;
    this.state = 'stopped';
    const r = this.guestStop(this.runGuarded(m.instructions + 1n)) ?? this.checkWatches() ?? `T05${THREAD}`;
    this.lastStop = r.startsWith('W') ? this.lastStop : r;
    return r;
  }

  private cont(): string | null {
    if (this.state === 'exited' || this.state === 'killed') return this.statusReply();
    this.startLoop('gdb', true);
    return null;
  }

  private startLoop(owner: Owner, skipFirst: boolean): void {
    this.runOwner = owner;
    this.state = 'running';
    this.interrupt = false;
    this.loopDone = this.loop(skipFirst);
  }

  /** The run loop; its owner can change from gdb to free while it runs (the client left). */
  private async loop(skipFirst: boolean): Promise<void> {
    let first = skipFirst;
    let reply: string | null = null;
    for (;;) {
      if (this.closed) break;
      if (this.interrupt) {
        reply = this.runOwner === 'gdb' ? `T02${THREAD}` : `T05${THREAD}`;
        break;
      }
      reply = this.slice(this.runOwner ?? 'free', first);
      first = false;
      if (reply) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    const owner = this.runOwner;
    this.runOwner = null;
    this.interrupt = false;
    if (this.state === 'running') this.state = 'stopped';
    if (reply) {
      if (!reply.startsWith('W')) this.lastStop = reply;
      if (owner === 'gdb' && !this.closed) this.send(reply);
    }
    this.drain();
  }

  /** Runs a bounded amount of guest code; a stop reply when the VM must stop. */
  private slice(owner: Owner, skipFirst: boolean): string | null {
    const m = this.machine;
    const checking = owner === 'gdb' && (this.swBreaks.size > 0 || this.hwBreaks.size > 0 || this.watches.size > 0);
    if (!checking) return this.guestStop(this.runGuarded(m.instructions + RUN_SLICE));
    const t0 = performance.now();
    for (let i = 0; ; i++) {
      if (!(skipFirst && i === 0)) {
        const pc = this.pcLinear();
        if (this.swBreaks.has(pc)) return `T05${this.swbreakFeature ? 'swbreak:;' : ''}${THREAD}`;
        if (this.hwBreaks.has(pc)) return `T05${this.hwbreakFeature ? 'hwbreak:;' : ''}${THREAD}`;
      }
      const stop = this.guestStop(this.runGuarded(m.instructions + 1n));
      if (stop) return stop;
      if (this.watches.size > 0) {
        const w = this.checkWatches();
        if (w) return w;
      }
      if ((i & 255) === 255 && performance.now() - t0 > STEP_BUDGET_MS) return null;
    }
  }

  private kill(dropClient = true): void {
    this.state = 'killed';
    this.interrupt = true;
    this.swBreaks.clear();
    this.hwBreaks.clear();
    this.watches.clear();
    this.log('gdb: VM killed');
    this.opts.onKill?.();
    if (dropClient) this.client?.end();
  }

  /** The debugger leaves: breakpoints go, the VM runs free (unless finished or killed). */
  private detach(): void {
    this.swBreaks.clear();
    this.hwBreaks.clear();
    this.watches.clear();
    this.queue = [];
    if (this.runOwner === 'gdb') {
      // the loop notices the cleared breakpoints; it keeps running and now belongs to nobody
      this.runOwner = 'free';
      return;
    }
    if (this.runOwner === null && this.state === 'stopped' && !this.closed) this.startLoop('free', true);
  }
}

export async function startGdbServer(m: Machine, opts: GdbServerOptions): Promise<GdbServer> {
  const stub = new Stub(m, opts);
  await stub.listen();
  if (!opts.waitForAttach) stub.resume();
  return stub;
}

