/**
 * QEMU's pvpanic-pci device (hw/misc/pvpanic-pci.c, docs/specs/pvpanic.rst): a PCI function
 * 1b36:0011 (Red Hat, rev 01), class 0x0880 (system peripheral, other), subsystem 1af4:1100 as
 * QEMU gives its devices, no interrupt, and one 16-byte memory BAR0 whose first byte is the
 * pvpanic register: reading it returns the events the host supports (bit 0 PANICKED, bit 1
 * CRASH_LOADED); writing an event reports it: bit 0 -> onPanic, else bit 1 -> onCrashLoaded (as
 * QEMU, PANICKED wins when both are set); other bits are logged. The other 15 bytes read 0 and
 * ignore writes (QEMU's register region is smaller than the BAR; the PCI minimum for a memory
 * BAR is 16 bytes).
 *
 * The machine maps `mmio` (offsets relative to the BAR) at `mmio.base` whenever it is defined,
 * and remaps on onBarChange: the BAR decodes only with the command register's memory enable
 * set, as PciFunctionBase decides. assignBar(0, address) pre-assigns it the way firmware would.
 */
import type { Logger } from './device.js';
import { PciFunctionBase } from './pci.js';

export const PVPANIC_PANICKED = 0x1;
export const PVPANIC_CRASH_LOADED = 0x2;
const SUPPORTED = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;

export interface PvPanicOptions {
  /** Function number (default 0). */
  fn?: number;
  onPanic?: () => void;
  onCrashLoaded?: () => void;
  log?: Logger;
}

export interface MmioRange {
  readonly name: string;
  /** Guest-physical base while decoded, else undefined. */
  readonly base: number | undefined;
  readonly size: number;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export class PvPanic extends PciFunctionBase {
  readonly mmio: MmioRange;

  constructor(dev: number, private readonly opts: PvPanicOptions = {}) {
    super('pvpanic', 0, dev, opts.fn ?? 0, opts.log);
    const self = this;
    this.mmio = {
      name: 'pvpanic',
      get base() {
        return self.barMapping(0);
      },
      size: 16,
      read: (offset, size) => this.mmioRead(offset, size),
      write: (offset, size, value) => this.mmioWrite(offset, size, value),
    };
    this.reset();
  }

  protected setup(): void {
    this.ids(0x1b36, 0x0011, 0x01, 0x088000);
    this.set16(0x2c, 0x1af4); // subsystem vendor
    this.set16(0x2e, 0x1100); // subsystem
    this.defineBar(0, { type: 'mem', size: 16 });
  }

  private mmioRead(offset: number, _size: number): number {
    // byte 0 of the BAR is the register (an access starting there sees it in its low byte)
    return offset === 0 ? SUPPORTED : 0;
  }

  private mmioWrite(offset: number, _size: number, value: number): void {
    if (offset !== 0) return;
    const ev = value & 0xff;
    if (ev & ~SUPPORTED) this.warnOnce(`ev:${ev}`, `pvpanic: unknown event 0x${ev.toString(16)}`);
    if (ev & PVPANIC_PANICKED) this.opts.onPanic?.();
    else if (ev & PVPANIC_CRASH_LOADED) this.opts.onCrashLoaded?.();
  }
}
