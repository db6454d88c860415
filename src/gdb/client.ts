/**
 * A small GDB remote serial protocol client (the debugger side) for tests and adapters:
 * connect, send a packet, await its reply, with acks and checksums (or no-ack mode).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { FrameDecoder, frame, hexToBytes, bytesToHex, parseLe32, le32 } from './protocol.js';

export interface GdbClientOptions {
  host?: string;
  /** A Unix socket path instead of host:port (QEMU's -gdb unix:PATH,server=on,wait=off). */
  path?: string;
  /** Default time a request waits for its reply (ms). */
  timeoutMs?: number;
}

/** Decodes a reply payload: `}` escapes and `*` run-length encoding. */
export function decodeReply(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '}' && i + 1 < s.length) out += String.fromCharCode(s.charCodeAt(++i) ^ 0x20);
    else if (ch === '*' && out.length > 0 && i + 1 < s.length) out += out[out.length - 1]!.repeat(s.charCodeAt(++i) - 29);
    else out += ch;
  }
  return out;
}

export class GdbClient {
  private decoder = new FrameDecoder();
  private replies: string[] = [];
  private waiters: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  private lastSent = '';
  private noAck = false;
  private closed = false;
  private error: Error | null = null;
  readonly timeoutMs: number;
  /** Bad checksums seen from the server. */
  badPackets = 0;

  private constructor(private readonly sock: Socket, opts: GdbClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => {
      this.closed = true;
      this.fail(new Error('connection closed'));
    });
  }

  static connect(port: number, opts: GdbClientOptions = {}): Promise<GdbClient> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const sock = opts.path !== undefined ? netConnect({ path: opts.path }) : netConnect({ port, host });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect to ${opts.path ?? `${host}:${port}`} timed out`));
      }, opts.timeoutMs ?? 10_000);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new GdbClient(sock, opts));
      });
    });
  }

  get isClosed(): boolean { return this.closed; }

  private fail(e: Error): void {
    this.error ??= e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private onData(d: Buffer): void {
    for (const ev of this.decoder.push(d)) {
      if (ev.type === 'nak') {
        if (this.lastSent) this.sock.write(this.lastSent, 'latin1');
      } else if (ev.type === 'packet') {
        if (!this.noAck) this.sock.write(ev.ok ? '+' : '-');
        if (!ev.ok) {
          this.badPackets++;
          continue;
        }
        const reply = decodeReply(ev.payload);
        const w = this.waiters.shift();
        if (w) w.resolve(reply);
        else this.replies.push(reply);
      }
    }
  }

  /** Sends a packet without waiting for a reply (`k`, or `c` followed by waitReply). */
  send(payload: string): void {
    if (this.closed) throw this.error ?? new Error('connection closed');
    this.lastSent = frame(payload);
    this.sock.write(this.lastSent, 'latin1');
  }

  /** Sends raw bytes (tests of the framing layer). */
  sendRaw(data: string): void {
    this.sock.write(data, 'latin1');
  }

  /** Ctrl-C: asks a running target to stop; its stop reply comes through waitReply(). */
  interrupt(): void {
    this.sock.write('\x03');
  }

  /** The next packet from the server. */
  waitReply(timeoutMs = this.timeoutMs): Promise<string> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (s: string) => { clearTimeout(timer); resolve(s); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /**
   * A monitor command through `qRcmd` (QEMU: an HMP command); resolves with its output (the
   * `O` packets before the final `OK`).
   */
  async monitor(cmd: string, timeoutMs = this.timeoutMs): Promise<string> {
    this.send('qRcmd,' + bytesToHex(new TextEncoder().encode(cmd)));
    let out = '';
    for (;;) {
      const r = await this.waitReply(timeoutMs);
      if (r.length > 1 && r[0] === 'O' && r !== 'OK') out += new TextDecoder().decode(hexToBytes(r.slice(1)));
      else if (r === 'OK' || r === '') return out;
      else throw new Error(`monitor '${cmd}' failed: ${r}`);
    }
  }

  /** Sends a packet and awaits its reply. */
  async request(payload: string, timeoutMs = this.timeoutMs): Promise<string> {
    this.send(payload);
    return this.waitReply(timeoutMs);
  }

  /** Negotiates QStartNoAckMode; true if the server agreed. */
  async startNoAck(): Promise<boolean> {
    const r = await this.request('QStartNoAckMode');
    if (r === 'OK') this.noAck = true;
    return r === 'OK';
  }

  // ---- conveniences (i386 register layout) ----

  /** The 16 general registers: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs. */
  async readRegisters(): Promise<number[]> {
    const g = await this.request('g');
    if (g.startsWith('E')) throw new Error(`g failed: ${g}`);
    const regs: number[] = [];
    for (let i = 0; i < 16; i++) regs.push(parseLe32(g.slice(i * 8, i * 8 + 8)));
    return regs;
  }

  async readRegister(n: number): Promise<number> {
    const r = await this.request(`p${n.toString(16)}`);
    if (r.startsWith('E') || r.length !== 8) throw new Error(`p${n} failed: ${r}`);
    return parseLe32(r);
  }

  async writeRegister(n: number, v: number): Promise<void> {
    const r = await this.request(`P${n.toString(16)}=${le32(v)}`);
    if (r !== 'OK') throw new Error(`P${n} failed: ${r}`);
  }

  async readMemory(addr: number, len: number): Promise<Uint8Array> {
    const r = await this.request(`m${addr.toString(16)},${len.toString(16)}`);
    if (/^E[0-9a-fA-F]{2}$/.test(r)) throw new Error(`m failed: ${r}`);
    return hexToBytes(r);
  }

  async writeMemory(addr: number, data: Uint8Array): Promise<void> {
    const r = await this.request(`M${addr.toString(16)},${data.length.toString(16)}:${bytesToHex(data)}`);
    if (r !== 'OK') throw new Error(`M failed: ${r}`);
  }

  /** Single step; resolves with the stop reply. */
  step(timeoutMs?: number): Promise<string> {
    return this.request('s', timeoutMs);
  }

  /** Continue; resolves with the stop reply (when the target stops). */
  cont(timeoutMs?: number): Promise<string> {
    return this.request('c', timeoutMs);
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}
