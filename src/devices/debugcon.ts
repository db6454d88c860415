/**
 * A debug console port (QEMU's isa-debugcon, Bochs's port 0xE9 hack): every byte the guest
 * writes goes to a sink; a read returns 0xE9 as in QEMU, so guests can detect it.
 */
import type { Device } from './device.js';

export type ByteSink = (bytes: Uint8Array) => void;

export class DebugCon implements Device {
  readonly name: string;
  readonly ports;
  private buf: number[] = [];

  constructor(readonly port: number, private readonly sink: ByteSink) {
    this.name = `debugcon@0x${port.toString(16)}`;
    this.ports = [{ start: port, count: 1 }];
  }

  ioRead(): number {
    return 0xe9;
  }

  ioWrite(_port: number, _size: number, value: number): void {
    this.buf.push(value & 0xff);
    if (value === 10 || this.buf.length >= 4096) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    this.sink(Uint8Array.from(this.buf));
    this.buf = [];
  }
}
