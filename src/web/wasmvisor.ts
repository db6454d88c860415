/**
 * The embedding API: a wasmvisor PC in a web page.
 *
 *   import { Wasmvisor } from './wasmvisor.js';
 *   const vm = new Wasmvisor({ container: document.getElementById('vm')!, kernel: 'images/bzImage',
 *                              initrd: 'images/initramfs.cpio', cmdline: 'console=ttyS0' });
 *   await vm.ready;           // rejects with a readable message (bad URL, not a kernel, ...)
 *   vm.type('uname -a\n');
 *
 * It puts a terminal (xterm.js, the serial console COM1) and a canvas (the VGA) in the container
 * and runs the VM in a Web Worker (worker.ts). The page must be cross-origin isolated (COOP
 * same-origin, COEP require-corp) for the display's SharedArrayBuffer; the worker bundle
 * (worker.js) and build/core.wasm are fetched relative to this module unless `workerUrl` says
 * otherwise. Images are bytes, Blobs (a file input's File) or URLs.
 */
import { Terminal } from '@xterm/xterm';
import { CanvasDisplay } from './display.js';
import * as P from './protocol.js';

export type ImageSource = Uint8Array | ArrayBuffer | Blob | string | URL;

export interface WasmvisorOptions {
  container: HTMLElement;
  kernel?: ImageSource;
  initrd?: ImageSource;
  /** A firmware ROM (booted at the reset vector) instead of, or under, a kernel. */
  bios?: ImageSource;
  /** The VGA's option ROM for a firmware BIOS (SeaBIOS finds it in the VGA's PCI expansion ROM),
   * e.g. SeaBIOS's vgabios-stdvga.bin. */
  vgaBios?: ImageSource;
  /** A raw hard disk image (whole 512-byte sectors) on the primary IDE master; the guest's
   * writes stay in the VM's memory. */
  disk?: ImageSource;
  cmdline?: string;
  /** Guest RAM in MiB (default 128). */
  memoryMiB?: number;
  /** Where the worker bundle is (default: worker.js next to this module). */
  workerUrl?: string | URL;
  onStats?: (stats: P.VmStats) => void;
  /** The guest stopped (powered off, halted, panicked) or the VM failed. */
  onStop?: (why: string, message: string) => void;
  onError?: (message: string) => void;
}

/** Reads an image into bytes, with a message that names it when that fails. */
export async function loadImage(src: ImageSource, what: string): Promise<{ bytes: Uint8Array; name: string }> {
  let bytes: Uint8Array;
  let name: string;
  if (src instanceof Uint8Array) [bytes, name] = [src, what];
  else if (src instanceof ArrayBuffer) [bytes, name] = [new Uint8Array(src), what];
  else if (src instanceof Blob) {
    name = src instanceof File ? src.name : what;
    bytes = new Uint8Array(await src.arrayBuffer());
  } else {
    const url = new URL(src, location.href);
    name = url.pathname.split('/').pop() || url.href;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(`${what} ${url.href}: cannot fetch (${(e as Error).message})`);
    }
    if (!res.ok) throw new Error(`${what} ${url.href}: HTTP ${res.status} ${res.statusText}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  if (bytes.length === 0) throw new Error(`${what} ${name}: the file is empty`);
  return { bytes, name };
}

export class Wasmvisor {
  readonly terminal: Terminal;
  readonly canvas: HTMLCanvasElement;
  readonly display: CanvasDisplay;
  /** Resolves when the VM runs; rejects with a message when it cannot start. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: Uint8Array | undefined) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly element: HTMLElement;
  private readyCallbacks!: { resolve: () => void; reject: (e: Error) => void };

  constructor(private readonly opts: WasmvisorOptions) {
    if (typeof SharedArrayBuffer === 'undefined' || !crossOriginIsolated) {
      throw new Error('wasmvisor needs a cross-origin isolated page (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
    }
    this.element = document.createElement('div');
    this.element.className = 'wasmvisor';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'wasmvisor-screen';
    const term = document.createElement('div');
    term.className = 'wasmvisor-terminal';
    this.element.append(this.canvas, term);
    opts.container.append(this.element);

    this.terminal = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14 });
    this.terminal.open(term);
    const buffer = new SharedArrayBuffer(P.DISPLAY_BYTES);
    this.display = new CanvasDisplay(this.canvas, buffer, (code, down) => this.send({ type: 'key', code, down }));
    const enc = new TextEncoder();
    this.terminal.onData((s) => this.send({ type: 'serial', bytes: enc.encode(s) }));
    this.terminal.onBinary((s) => this.send({ type: 'serial', bytes: Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff) }));

    this.worker = new Worker(opts.workerUrl ?? new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<P.FromWorker>) => this.message(e.data);
    this.worker.onerror = (e) => this.fail(`the VM worker failed: ${e.message || 'it could not be loaded'}`);
    this.ready = new Promise<void>((resolve, reject) => (this.readyCallbacks = { resolve, reject }));
    this.ready.catch(() => {}); // the caller may not wait; fail() reports through onError too
    void this.boot(buffer);
  }

  private async boot(buffer: SharedArrayBuffer): Promise<void> {
    try {
      const o = this.opts;
      const images: P.BootImages = { ...(o.cmdline !== undefined ? { cmdline: o.cmdline } : {}), ...(o.memoryMiB ? { memoryMiB: o.memoryMiB } : {}) };
      if (o.kernel) {
        const k = await loadImage(o.kernel, 'kernel');
        images.kernel = k.bytes;
        images.kernelName = k.name;
      }
      if (o.initrd) images.initrd = (await loadImage(o.initrd, 'initrd')).bytes;
      if (o.bios) images.bios = (await loadImage(o.bios, 'BIOS image')).bytes;
      if (o.vgaBios) images.vgaBios = (await loadImage(o.vgaBios, 'VGA BIOS')).bytes;
      if (o.disk) {
        const d = await loadImage(o.disk, 'disk image');
        images.disk = d.bytes;
        images.diskName = d.name;
      }
      this.send({ type: 'start', images, display: buffer });
    } catch (e) {
      this.fail((e as Error).message);
    }
  }

  private fail(message: string): void {
    this.terminal.write(`\r\n\x1b[31mwasmvisor: ${message}\x1b[0m\r\n`);
    this.readyCallbacks.reject(new Error(message));
    this.opts.onError?.(message);
  }

  private send(msg: P.ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  private message(msg: P.FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.display.setVideoMemory(new Uint8Array(msg.vram.buffer, msg.vram.offset, msg.vram.size));
        this.readyCallbacks.resolve();
        return;
      case 'serial': this.terminal.write(msg.bytes); return;
      case 'stats': this.opts.onStats?.(msg.stats); return;
      case 'stopped':
        this.terminal.write(`\r\n\x1b[33mwasmvisor: ${msg.message}\x1b[0m\r\n`);
        this.opts.onStop?.(msg.why, msg.message);
        return;
      case 'error': this.fail(msg.message); return;
      case 'saved': this.settle(msg.id, msg.state); return;
      case 'restored': this.settle(msg.id, undefined, msg.error); return;
    }
  }

  private settle(id: number, value: Uint8Array | undefined, error?: string): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (error !== undefined) p?.reject(new Error(error));
    else p?.resolve(value);
  }

  private request(make: (id: number) => P.ToWorker, transfer: Transferable[] = []): Promise<Uint8Array | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(make(id), transfer);
    });
  }

  /** Text typed on the serial console (COM1), as if at the terminal. */
  type(text: string): void {
    this.send({ type: 'serial', bytes: new TextEncoder().encode(text) });
  }

  /** A key on the PS/2 keyboard, by KeyboardEvent.code ('KeyA', 'Enter', ...). */
  key(code: string, down: boolean): void {
    this.send({ type: 'key', code, down });
  }

  pause(): void { this.send({ type: 'pause' }); }
  resume(): void { this.send({ type: 'resume' }); }
  /** A system reset (the kernel is loaded again, as firmware would). */
  reset(): void { this.send({ type: 'reset' }); }

  /** The machine's state (src/savestate.ts format). */
  async save(): Promise<Uint8Array> {
    return (await this.request((id) => ({ type: 'save', id })))!;
  }

  /** Loads a state from save(); rejects with the reason when it does not fit this VM. */
  async restore(state: Uint8Array): Promise<void> {
    const copy = state.slice();
    await this.request((id) => ({ type: 'restore', id, state: copy }), [copy.buffer]);
  }

  /** The terminal's text, one line per row (scrollback included). */
  terminalText(): string {
    const b = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  destroy(): void {
    this.worker.terminate();
    this.display.destroy();
    this.terminal.dispose();
    this.element.remove();
  }
}
