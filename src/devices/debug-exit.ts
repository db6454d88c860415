/**
 * QEMU's isa-debug-exit device (hw/misc/debugexit.c): a write of value v to any of its ports
 * asks the VM to exit with status (v << 1) | 1, so a guest can never report success (0) by
 * accident. Defaults as QEMU: iobase 0xF4, iosize 4. Accesses of 1, 2 or 4 bytes reach the device
 * whole (the value is the full access). The status is passed as a number without truncation
 * (v up to 32 bits gives up to 33 bits); a process exit code takes its low 8 bits, as QEMU's
 * exit() does. Reads return all ones (QEMU's region has no read handler).
 */
import type { Device } from './device.js';

export interface DebugExitOptions {
  iobase?: number;
  iosize?: number;
  onExit: (status: number) => void;
}

export class DebugExit implements Device {
  readonly name: string;
  readonly ports;
  readonly widths = [1, 2, 4];
  private readonly onExit: (status: number) => void;

  constructor(opts: DebugExitOptions) {
    const base = opts.iobase ?? 0xf4;
    const size = opts.iosize ?? 4;
    this.name = `isa-debug-exit@0x${base.toString(16)}`;
    this.ports = [{ start: base, count: size }];
    this.onExit = opts.onExit;
  }

  ioRead(_port: number, size: number): number {
    return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
  }

  ioWrite(_port: number, _size: number, value: number): void {
    this.onExit((value >>> 0) * 2 + 1);
  }
}
