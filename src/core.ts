/**
 * The wasm core as the host sees it: instantiation, typed views of its state (offsets from
 * tools/layout.mjs via src/gen/layout.ts) and the few exported functions.
 */
import * as L from './gen/layout.js';

export interface CoreExports {
  memory: WebAssembly.Memory;
  init(ramBytes: number): number;
  mapPages(phys: number, size: number, wasm: number, type: number): void;
  reset(): void;
  run(budget: number): number;
  stateChanged(): void;
  insnLength(p: number, is32: number): number;
  flushTlb(): void;
  getEflags(): number;
  setEflags(v: number): void;
  debugTranslate(lin: number): bigint;
  writeCr(n: number, v: number): number;
  picEnable(on: number): void;
  pitEnable(on: number): void;
  setIrq(irq: number, level: number): void;
  nextEvent(): bigint;
}

export interface MmioHandler {
  read(addr: number, size: number): number;
  write(addr: number, size: number, value: number): void;
}

/** Page-map entry types (assembly/cpu/memory.ts P_*). */
export const P_RAM = 1;
export const P_ROM = 2;

const cachedModules = new Map<string, WebAssembly.Module>();

/** Which build of the core: release, stats (with the counters of assembly/stats.ts), or shared
 * (release with its memory a SharedArrayBuffer, so that a page can read video memory while a
 * worker runs the VM; built by tools/build-web.mjs). */
export type CoreVariant = 'release' | 'stats' | 'shared';
const CORE_FILES: Record<CoreVariant, string> = {
  release: '../build/core.wasm',
  stats: '../build/core-stats.wasm',
  shared: '../build/core-shared.wasm',
};

/** Loads the compiled core (build/core.wasm, core-stats.wasm or core-shared.wasm), once per process. */
export async function loadCoreModule(variant: CoreVariant = 'release'): Promise<WebAssembly.Module> {
  const cached = cachedModules.get(variant);
  if (cached) return cached;
  const url = new URL(CORE_FILES[variant], import.meta.url);
  let bytes: Uint8Array;
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    try {
      bytes = await readFile(url);
    } catch {
      throw new Error(`the core is not built (${url.pathname} missing): run npm run build`);
    }
  } else {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot load the core from ${url.href}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  cachedModules.set(variant, module);
  return module;
}

export class Core {
  readonly exports: CoreExports;
  /** Host milliseconds spent in MMIO handlers. */
  mmioMs = 0;
  mmio: MmioHandler = { read: (_a, size) => (size === 4 ? 0xffffffff : (1 << (size * 8)) - 1), write: () => {} };
  private buf!: ArrayBuffer;
  u8!: Uint8Array;
  u32!: Uint32Array;
  dv!: DataView;

  constructor(module: WebAssembly.Module) {
    const instance = new WebAssembly.Instance(module, {
      env: {
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`core abort at ${line}:${col}`);
        },
        // MMIO is handled synchronously (exit 48, counted by the core); its host cost is timed here
        mmioRead: (addr: number, size: number) => {
          const t = performance.now();
          const v = this.mmio.read(addr >>> 0, size) >>> 0;
          this.mmioMs += performance.now() - t;
          return v;
        },
        mmioWrite: (addr: number, size: number, value: number) => {
          const t = performance.now();
          this.mmio.write(addr >>> 0, size, value >>> 0);
          this.mmioMs += performance.now() - t;
        },
      },
    });
    this.exports = instance.exports as unknown as CoreExports;
    this.refresh();
  }

  static async create(variant: CoreVariant = 'release'): Promise<Core> {
    return new Core(await loadCoreModule(variant));
  }

  /** Views must be renewed after the memory grows. */
  refresh(): void {
    const b = this.exports.memory.buffer;
    if (b === this.buf) return;
    this.buf = b;
    this.u8 = new Uint8Array(b);
    this.u32 = new Uint32Array(b);
    this.dv = new DataView(b);
  }

  get32(off: number): number { return this.u32[off >>> 2]!; }
  set32(off: number, v: number): void { this.u32[off >>> 2] = v >>> 0; }
  get64(off: number): bigint { return this.dv.getBigUint64(off, true); }
  set64(off: number, v: bigint): void { this.dv.setBigUint64(off, v, true); }

  reg32(r: number): number { return this.u32[(L.REGS >>> 2) + r]!; }
  setReg32(r: number, v: number): void { this.u32[(L.REGS >>> 2) + r] = v >>> 0; }
  get eip(): number { return this.get32(L.EIP); }
  set eip(v: number) { this.set32(L.EIP, v); }
  segSel(s: number): number { return this.get32(L.SEG_SEL + 4 * s); }
  segBase(s: number): number { return this.get32(L.SEG_BASE + 4 * s); }
  setSeg(s: number, sel: number, base: number, limit: number, attr: number): void {
    this.set32(L.SEG_SEL + 4 * s, sel);
    this.set32(L.SEG_BASE + 4 * s, base);
    this.set32(L.SEG_LIMIT + 4 * s, limit);
    this.set32(L.SEG_ATTR + 4 * s, attr);
  }
  /** EFLAGS with the lazily computed arithmetic flags folded in (the core evaluates them). */
  get eflags(): number { return this.exports.getEflags() >>> 0; }
  set eflags(v: number) { this.exports.setEflags(v); }

  get exitReason(): number { return this.get32(L.EXIT_REASON); }
  get icount(): bigint { return this.get64(L.ICOUNT); }
  exitCount(reason: number): bigint { return this.get64(L.EXIT_COUNT + 8 * reason); }

  /** The wasm-memory offset of a guest physical byte backed by RAM or ROM, or -1 (MMIO or
   * unassigned: never touched, reads there have side effects). Reads the core's page map, the
   * one source of truth for the memory map; the A20 gate applies. */
  physToWasm(phys: number): number {
    phys = (phys & this.get32(L.A20_MASK)) >>> 0;
    const e = this.get32(L.PMAP_BASE + (phys >>> 12) * 4);
    if (!(e & 3)) return -1; // P_RAM | P_ROM
    return (e & ~0xfff) + (phys & 0xfff);
  }

  /** Guest RAM as a view (valid until the memory grows). */
  ram(): Uint8Array {
    const bytes = this.get32(L.GUEST_RAM_BYTES);
    return new Uint8Array(this.buf, L.RAM_BASE, bytes);
  }
}
