/**
 * Port 0x80, the POST code (manufacturing diagnostic) port of the PC: firmware writes progress
 * codes there, and OSes write to it for a short I/O delay (Linux's outb_p / io_delay=0x80). The
 * last value written is kept and read back (a POST card latches it; QEMU's ioport80 reads 0xFF,
 * kept here readable on purpose); with `verbose`, each code is logged.
 *
 * DelayPorts: other ports used only as I/O delays (Linux's io_delay=0xed uses 0xED); writes are
 * swallowed and reads return 0xFF, so they neither reach the unclaimed-port log nor anything else.
 */
import type { Device, Logger } from './device.js';

export interface PostCodeOptions {
  verbose?: boolean;
  log?: Logger;
  /** Called with every code written. */
  onCode?: (code: number) => void;
}

export class PostCodePort implements Device {
  readonly name = 'post';
  readonly ports = [{ start: 0x80, count: 1 }];
  private last = 0;

  constructor(private readonly opts: PostCodeOptions = {}) {}

  /** The last code written. */
  get code(): number {
    return this.last;
  }

  reset(): void {
    this.last = 0;
  }

  ioRead(): number {
    return this.last;
  }

  ioWrite(_port: number, _size: number, value: number): void {
    this.last = value & 0xff;
    if (this.opts.verbose) this.opts.log?.(`post: 0x${this.last.toString(16).padStart(2, '0')}`);
    this.opts.onCode?.(this.last);
  }

  save(): Record<string, unknown> {
    return { last: this.last };
  }

  load(s: Record<string, unknown>): void {
    if (typeof s.last !== 'number') throw new Error('post: save state field last missing');
    this.last = s.last;
  }
}

export class DelayPorts implements Device {
  readonly name = 'io-delay';
  readonly ports;
  readonly widths = [1, 2, 4];

  constructor(ports: readonly number[] = [0xed]) {
    this.ports = ports.map((p) => ({ start: p, count: 1 }));
  }

  ioRead(_port: number, size: number): number {
    return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
  }

  ioWrite(): void {}
}
