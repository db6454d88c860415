/**
 * System Control Port A at 0x92 (IBM PS/2 Hardware Interface Technical Reference; as in the
 * PIIX3 and QEMU's port92): bit 1 drives the A20 gate (onA20 when it changes), bit 0 is the
 * "fast reset" line: a 0 -> 1 transition resets the CPU (onReset). Reads return the value last
 * written; the other bits are kept as written (bit 3, the CMOS/password lock, has no effect).
 *
 * reset() is the machine's reset and returns the port to its power-on value 0 (A20 bit clear);
 * QEMU instead keeps the A20 bit across a reset. reset() calls no callback: the machine sets the
 * gate after a reset (read `a20`).
 */
import type { Device, Logger } from './device.js';

export interface Port92Options {
  onA20?: (enabled: boolean) => void;
  onReset?: () => void;
  log?: Logger;
}

export class Port92 implements Device {
  readonly name = 'port92';
  readonly ports = [{ start: 0x92, count: 1 }];
  private value = 0;

  constructor(private readonly opts: Port92Options = {}) {}

  /** Bit 1: the A20 gate as this port drives it. */
  get a20(): boolean {
    return (this.value & 0x02) !== 0;
  }

  reset(): void {
    this.value = 0;
  }

  ioRead(): number {
    return this.value;
  }

  ioWrite(_port: number, _size: number, v: number): void {
    v &= 0xff;
    const old = this.value;
    this.value = v;
    if ((old ^ v) & 0x02) this.opts.onA20?.((v & 0x02) !== 0);
    if (v & 0x01 && !(old & 0x01)) this.opts.onReset?.();
  }

  save(): Record<string, unknown> {
    return { value: this.value };
  }

  load(s: Record<string, unknown>): void {
    if (typeof s.value !== 'number') throw new Error('port92: save state field value missing');
    this.value = s.value;
  }
}
