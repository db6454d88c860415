/**
 * The VM in a Web Worker: builds the PC from the images the page sends, runs it in slices of
 * host time (run-async.ts) so that messages (serial input, keys, pause, reset, save, restore)
 * are handled between slices, and sends back serial output (one message per slice, not per
 * byte) and statistics (twice a second). The display needs no messages: the page reads video
 * memory in the core's shared memory, and after a slice the VGA's registers are copied into the
 * page's display buffer (protocol.ts), at most once per display frame.
 */
/// <reference lib="webworker" />
import { Pc } from '../pc.js';
import { DiskImage } from '../devices/disk-image.js';
import { loadCoreModule } from '../core.js';
import type { Machine } from '../machine.js';
import { runAsync, Waker } from '../run-async.js';
import { saveState, loadState } from '../savestate.js';
import { exitName } from '../exits/reasons.js';
import * as P from './protocol.js';

const post = (msg: P.FromWorker, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(msg, transfer);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const FRAME_MS = 15;
const STATS_MS = 500;

class Session {
  private readonly waker = new Waker();
  private paused = false;
  private running = false;
  private pending: Uint8Array[] = [];
  private out: number[] = [];
  private lastFrame = 0;
  private frameTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly display: Uint8Array;
  private readonly header: Int32Array;
  private last = { t: performance.now(), insns: 0, counts: new Map<number, number>() };

  constructor(private readonly pc: Pc, display: SharedArrayBuffer) {
    if (display.byteLength < P.DISPLAY_BYTES) throw new Error('the display buffer is too small');
    this.display = new Uint8Array(display);
    this.header = new Int32Array(display, 0, P.D_HEADER_BYTES / 4);
    setInterval(() => this.postStats(), STATS_MS);
  }

  get machine(): Machine {
    return this.pc.machine;
  }

  /** COM1 output, gathered and sent once per slice. */
  serialOut(bytes: Uint8Array): void {
    for (const b of bytes) this.out.push(b);
  }

  private flushSerial(): void {
    if (!this.out.length) return;
    const bytes = Uint8Array.from(this.out);
    this.out = [];
    post({ type: 'serial', bytes }, [bytes.buffer]);
  }

  /** Where the page finds video memory: in the core's shared memory. */
  videoMemory(): P.VideoMemory {
    const vram = this.pc.vga.memory();
    if (!(vram.buffer instanceof SharedArrayBuffer)) throw new Error('the core\'s memory is not shared (build/core-shared.wasm expected)');
    return { buffer: vram.buffer, offset: vram.byteOffset, size: vram.length };
  }

  /** Copies the VGA's registers into the shared display buffer (at most once per frame). */
  private publishDisplay(force = false): void {
    const now = performance.now();
    if (!force && now - this.lastFrame < FRAME_MS) {
      this.frameTimer ??= setTimeout(() => {
        this.frameTimer = undefined;
        this.publishDisplay(true);
      }, FRAME_MS);
      return;
    }
    this.lastFrame = now;
    this.display.set(this.pc.vga.regs, P.D_REGS);
    Atomics.add(this.header, P.D_FRAME, 1);
  }

  /** Serial input waits until the guest listens (receive interrupts on), as in the CLI. */
  private feed(): void {
    const uart = this.pc.uarts[0]!;
    if (!this.pending.length || !uart.listening) return;
    for (const b of this.pending) this.pc.sendSerial(b);
    this.pending = [];
  }

  typed(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.feed();
    this.waker.wake();
  }

  key(code: string, down: boolean): void {
    if (down) this.pc.kbc.keyDown(code);
    else this.pc.kbc.keyUp(code);
    this.machine.timersChanged();
    this.waker.wake();
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.paused = false;
    try {
      const stop = await runAsync(this.machine, this.waker, {
        beforeSlice: () => this.feed(),
        afterSlice: () => {
          this.flushSerial();
          this.publishDisplay();
        },
        canWake: () => true,
      }, () => this.paused);
      this.flushSerial();
      this.publishDisplay(true);
      if (!this.paused) post({ type: 'stopped', why: stop.why, message: stop.message ?? `the guest stopped (${stop.why}) after ${stop.instructions} instructions` });
    } catch (e) {
      post({ type: 'error', message: `the VM failed: ${errorText(e)}` });
    } finally {
      this.running = false;
      this.postStats();
    }
  }

  pause(): void {
    this.paused = true;
    this.waker.wake();
  }

  resume(): void {
    void this.run();
  }

  reset(): void {
    this.machine.reset();
    this.afterChange();
  }

  /** After a reset or restore: show it, and run again unless paused (the guest may have stopped). */
  private afterChange(): void {
    this.machine.timersChanged();
    this.waker.wake();
    this.publishDisplay(true);
    if (!this.paused) void this.run();
  }

  save(): Uint8Array {
    return saveState(this.machine);
  }

  restore(state: Uint8Array): void {
    loadState(this.machine, state);
    this.afterChange();
  }

  private postStats(): void {
    const m = this.machine;
    const now = performance.now();
    const insns = Number(m.instructions);
    const counts = m.stats.counts(m.coreOnlyExits());
    const dt = Math.max(1, now - this.last.t) / 1000;
    const exits: P.ExitRate[] = [...counts].map(([reason, total]) => ({
      reason,
      name: exitName(reason),
      total,
      perSecond: (total - (this.last.counts.get(reason) ?? 0)) / dt,
      avgNs: m.stats.ns[reason]! / total,
    }));
    exits.sort((a, b) => b.perSecond - a.perSecond || b.total - a.total);
    const mips = (insns - this.last.insns) / dt / 1e6;
    this.last = { t: now, insns, counts };
    post({ type: 'stats', stats: { instructions: insns, mips, exits, running: this.running && !this.paused } });
  }
}

let session: Session | undefined;

async function start(images: P.BootImages, display: SharedArrayBuffer): Promise<void> {
  if (session) throw new Error('the VM is already running');
  if (!images.kernel && !images.bios) throw new Error('nothing to boot: give a kernel or a BIOS image');
  const memory = (images.memoryMiB ?? 128) * 1024 * 1024;
  await loadCoreModule(); // its own errors (not built, not served) before the images' ones
  let s: Session | undefined;
  let disk: DiskImage | undefined;
  if (images.disk) {
    try {
      disk = new DiskImage(images.disk);
    } catch (e) {
      throw new Error(`${images.diskName ?? 'disk image'}: ${errorText(e)}`);
    }
  }
  const pc = await Pc.create({
    memory,
    ...(images.bios ? { bios: images.bios } : {}),
    ...(images.vgaBios ? { vgaBios: images.vgaBios } : {}),
    ...(images.kernel ? { kernel: images.kernel, kernelName: images.kernelName ?? 'kernel' } : {}),
    ...(images.initrd ? { initrd: images.initrd } : {}),
    ...(images.cmdline !== undefined ? { cmdline: images.cmdline } : {}),
    ...(disk ? { disk } : {}),
    serial: [(b) => s?.serialOut(b)],
    rtcEpoch: Math.floor(Date.now() / 1000),
    idle: 'sleep',
    vgaMemory: P.VRAM_BYTES,
    sharedMemory: true,
  }).catch((e: unknown) => {
    throw new Error(`${images.kernel ? images.kernelName ?? 'kernel' : 'BIOS image'}: ${errorText(e)}`);
  });
  s = new Session(pc, display);
  session = s;
  post({ type: 'ready', vram: s.videoMemory() });
  void s.run();
}

self.onmessage = (e: MessageEvent<P.ToWorker>) => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case 'start':
        start(msg.images, msg.display).catch((err: unknown) => post({ type: 'error', message: errorText(err) }));
        return;
      case 'serial': session?.typed(msg.bytes); return;
      case 'key': session?.key(msg.code, msg.down); return;
      case 'pause': session?.pause(); return;
      case 'resume': session?.resume(); return;
      case 'reset': session?.reset(); return;
      case 'save': {
        if (!session) throw new Error('no VM to save');
        const state = session.save();
        post({ type: 'saved', id: msg.id, state }, [state.buffer]);
        return;
      }
      case 'restore':
        try {
          if (!session) throw new Error('no VM to restore into');
          session.restore(msg.state);
          post({ type: 'restored', id: msg.id });
        } catch (err) {
          post({ type: 'restored', id: msg.id, error: errorText(err) });
        }
        return;
    }
  } catch (err) {
    post({ type: 'error', message: errorText(err) });
  }
};
