/**
 * The device model: one device per file behind one small interface, and the I/O bus that
 * routes port accesses to them. The bus owns access-width splitting: a device declares the
 * widths it accepts and the bus breaks wider accesses into byte accesses at consecutive ports
 * (as the ISA bus does).
 */
export interface PortRange {
  start: number;
  count: number;
}

export interface Device {
  readonly name: string;
  /** Ports this device decodes. */
  readonly ports?: PortRange[];
  /** Access widths (bytes) the device handles itself; others are split into bytes. Default [1]. */
  readonly widths?: number[];
  reset?(): void;
  ioRead?(port: number, size: number): number;
  ioWrite?(port: number, size: number, value: number): void;
  /** Advances the device to virtual time `now` (ns); returns the next deadline or undefined. */
  tick?(now: number): number | undefined;
  save?(): Record<string, unknown>;
  load?(state: Record<string, unknown>): void;
  /** Buffered I/O (assembly/cpu/io.ts, after Xen's buffered ioreq page): ports the core may
   * handle without an exit while fastPortMode allows it. */
  readonly fastPorts?: readonly number[];
  /** Asked before every entry, per fast port: FAST_WRITE (byte writes may be queued until the next
   * exit: they change nothing a read could see before then), FAST_READ | value << 24 (a byte
   * read returns value and has no side effect), or 0 (every access exits). */
  fastPortMode?(port: number): number;
  /** A read stream of buffered I/O: the bytes the next reads of `port` will return while nothing
   * else reaches the device (undefined: none now). The core serves reads from them. */
  readStream?(port: number): Uint8Array | undefined;
  /** The guest read n bytes of that stream: apply the reads (state, interrupts) as if they had
   * come one by one. */
  consumeStream?(port: number, n: number): void;
}

/** fastPortMode results (the core's BUFIO_PORTS entry bits) */
export const FAST_WRITE = 0x10000;
export const FAST_READ = 0x20000;

export type Logger = (msg: string) => void;

/** A logger that says each thing once (unimplemented modes are logged, not repeated). */
export class OnceLog {
  private readonly seen = new Set<string>();
  constructor(private readonly log: Logger) {}
  warn(key: string, msg: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log(msg);
  }
}

/** Typed reads of a device's save-state fields; a missing or mistyped field is an error that
 * names the device and the field. */
export class StateReader {
  constructor(private readonly owner: string, private readonly s: Record<string, unknown>) {}
  num(k: string): number {
    const v = this.s[k];
    if (typeof v !== 'number') throw new Error(`${this.owner}: save state field ${k} missing`);
    return v;
  }
  arr(k: string): number[] {
    const v = this.s[k];
    if (!Array.isArray(v)) throw new Error(`${this.owner}: save state field ${k} missing`);
    return v.map((x) => Number(x));
  }
}

/** An interrupt request line (an ISA IRQ pin of the PICs). Devices hold one and drive its level;
 * edge-triggered inputs see a rising edge when the level goes from low to high. */
export interface IrqLine {
  set(level: boolean): void;
}

/** An IRQ line that goes nowhere (a device with no interrupt wired, tests). */
export const NO_IRQ: IrqLine = { set() {} };

/** The machine's virtual clock in nanoseconds: guest time (from the instruction counter in
 * deterministic mode, host time otherwise). Devices read it instead of the host's clock. */
export interface Clock {
  now(): number;
}

export class IoBus {
  private readonly map = new Map<number, Device>();
  private readonly warned = new Set<number>();
  readonly devices: Device[] = [];

  constructor(private readonly log: Logger = () => {}) {}

  attach(dev: Device): void {
    for (const r of dev.ports ?? []) {
      for (let p = r.start; p < r.start + r.count; p++) {
        const other = this.map.get(p);
        if (other) throw new Error(`port 0x${p.toString(16)} claimed by both ${other.name} and ${dev.name}`);
        this.map.set(p, dev);
      }
    }
    this.devices.push(dev);
  }

  /** Moves a device's ports (a PCI I/O BAR reprogrammed): its old ports are released, the new
   * ones claimed; a port another device holds stays with it (logged). */
  remap(dev: Device, ranges: PortRange[]): void {
    for (const [p, d] of this.map) if (d === dev) this.map.delete(p);
    for (const r of ranges) {
      for (let p = r.start; p < r.start + r.count && p <= 0xffff; p++) {
        const other = this.map.get(p);
        if (other) this.log(`io: ${dev.name} at port 0x${p.toString(16)} overlaps ${other.name}: left to ${other.name}`);
        else this.map.set(p, dev);
      }
    }
  }

  claims(port: number): boolean {
    return this.map.has(port);
  }

  read(port: number, size: number): number {
    const dev = this.map.get(port);
    if (dev?.ioRead && (dev.widths ?? [1]).includes(size)) return dev.ioRead(port, size) >>> 0;
    if (size > 1) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.read((port + i) & 0xffff, 1) << (8 * i);
      return v >>> 0;
    }
    return this.unclaimed(port, 'read', dev);
  }

  write(port: number, size: number, value: number): void {
    const dev = this.map.get(port);
    if (dev?.ioWrite && (dev.widths ?? [1]).includes(size)) {
      dev.ioWrite(port, size, value);
      return;
    }
    if (size > 1) {
      for (let i = 0; i < size; i++) this.write((port + i) & 0xffff, 1, (value >>> (8 * i)) & 0xff);
      return;
    }
    this.unclaimed(port, 'write', dev);
  }

  /** Nothing decodes the port: reads float high, writes vanish; logged once per port. */
  private unclaimed(port: number, what: string, dev?: Device): number {
    if (!this.warned.has(port)) {
      this.warned.add(port);
      this.log(`io: ${what} of unclaimed port 0x${port.toString(16)}${dev ? ` (${dev.name} does not ${what})` : ''}`);
    }
    return 0xff;
  }

  reset(): void {
    for (const d of this.devices) d.reset?.();
  }
}
