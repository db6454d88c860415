/**
 * The memory-mapped I/O bus: guest-physical ranges that are neither RAM nor ROM reach the host
 * through the core's synchronous mmioRead/mmioWrite imports (counted as exit 48, EPT
 * violation). Devices register ranges; the bus routes an access to the range that holds it
 * (an access is never split: the core issues naturally sized accesses). Unclaimed addresses
 * read as all ones and ignore writes, logged once per page, as on a PC bus with nothing there.
 */
import type { Logger } from './device.js';

export interface MmioRegion {
  readonly name: string;
  /** Guest-physical base, or undefined while the region does not decode (a disabled BAR). */
  readonly base: number | undefined;
  readonly size: number;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export class MmioBus {
  private readonly regions: MmioRegion[] = [];
  private readonly warned = new Set<number>();

  constructor(private readonly log: Logger = () => {}) {}

  add(r: MmioRegion): void {
    this.regions.push(r);
  }

  private find(addr: number): MmioRegion | undefined {
    for (const r of this.regions) {
      const b = r.base;
      if (b !== undefined && addr >= b && addr < b + r.size) return r;
    }
    return undefined;
  }

  read(addr: number, size: number): number {
    const r = this.find(addr);
    if (r) return r.read(addr - r.base!, size) >>> 0;
    this.unclaimed(addr, 'read');
    return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
  }

  write(addr: number, size: number, value: number): void {
    const r = this.find(addr);
    if (r) r.write(addr - r.base!, size, value);
    else this.unclaimed(addr, 'write');
  }

  private unclaimed(addr: number, what: string): void {
    const page = addr >>> 12;
    if (this.warned.has(page)) return;
    this.warned.add(page);
    this.log(`mmio: ${what} of unclaimed address 0x${addr.toString(16)}`);
  }
}
