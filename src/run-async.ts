/**
 * Runs a machine under Node's or the browser's event loop: in slices of host time, so that
 * input (a terminal, a pipe, a page) is delivered between them, and, when the guest idles in
 * 'sleep' mode, by waiting in real time for the next timer event or for input (as QEMU's
 * icount with sleep=on: idle guest time follows the wall clock, busy time the instruction count).
 */
import type { Machine, StopInfo } from './machine.js';

export interface AsyncRunOptions {
  /** Stop after this many instructions in all. */
  limit?: bigint;
  /** Host milliseconds per slice before yielding to the event loop (default 20). */
  sliceMs?: number;
  /** Called before every slice (deliver queued input). */
  beforeSlice?: () => void;
  /** Called after every slice, before any wait (publish output, the display). */
  afterSlice?: () => void;
  /** Whether anything (input) can still wake a guest that waits with no timer (default: yes). */
  canWake?: () => boolean;
}

/** Something that wakes an idle guest's wait: input arrived. */
export class Waker {
  private fire: (() => void) | undefined;
  wake(): void {
    const f = this.fire;
    this.fire = undefined;
    f?.();
  }
  /** Waits ms (Infinity: until woken); resolves with the ms actually waited. */
  wait(ms: number): Promise<number> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.fire = undefined;
        resolve(performance.now() - t0);
      };
      this.fire = done;
      if (ms !== Infinity) timer = setTimeout(done, Math.max(0, ms));
    });
  }
}

// a turn of the event loop: setImmediate in Node; in a browser a MessageChannel message, as
// nested setTimeout(0) calls are clamped to 4 ms
let channel: MessageChannel | undefined;
const queued: (() => void)[] = [];
const tick = () => new Promise<void>((r) => {
  if (typeof setImmediate === 'function') return void setImmediate(r);
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => queued.shift()?.();
  }
  queued.push(r);
  channel.port2.postMessage(0);
});

/** Runs until the guest stops for good (anything but 'yield' and 'wait'), or `stopped()` says so. */
export async function runAsync(m: Machine, waker: Waker, opts: AsyncRunOptions = {}, stopped: () => boolean = () => false): Promise<StopInfo> {
  const slice = opts.sliceMs ?? 20;
  for (;;) {
    opts.beforeSlice?.();
    const s = m.run(opts.limit, slice);
    opts.afterSlice?.();
    if (stopped()) return s;
    if (s.why === 'yield') {
      await tick();
      continue;
    }
    if (s.why === 'wait') {
      const ns = s.waitNs ?? Infinity;
      if (ns === Infinity && opts.canWake && !opts.canWake()) return { ...s, why: 'idle', message: 'guest halted with interrupts enabled, no timer armed and no more input' };
      const waited = await waker.wait(ns === Infinity ? Infinity : ns / 1e6);
      if (stopped()) return s;
      // guest time moves with the wall clock while idle, up to the event it waits for
      m.idle(Math.min(ns, waited * 1e6));
      continue;
    }
    return s;
  }
}
