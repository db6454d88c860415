/** Test doubles for host devices: a virtual clock, IRQ lines that record levels, and a tiny
 * event loop that plays the machine's part (tick at each deadline, run an "interrupt handler"
 * on each rising edge, ask for the new deadline after the handler's I/O). */
import type { Clock, IrqLine } from '../../src/devices/device.js';

export class VirtualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

export class FakeIrq implements IrqLine {
  level = false;
  rises = 0;
  readonly history: boolean[] = [];
  set(level: boolean): void {
    if (level && !this.level) this.rises++;
    this.level = level;
    this.history.push(level);
  }
}

/** Advances `clock` to `until`, ticking `dev` at its deadlines; `onRise` runs (at the deadline's
 * time) whenever `irq` rose. Returns the number of rising edges seen. */
export function runUntil(
  clock: VirtualClock,
  dev: { tick(now: number): number | undefined },
  irq: FakeIrq,
  until: number,
  onRise: () => void = () => {},
): number {
  let edges = 0;
  let next = dev.tick(clock.t);
  let guard = 0;
  while (next !== undefined && next <= until) {
    if (++guard > 10_000_000) throw new Error('runUntil: no progress');
    clock.t = Math.max(clock.t, next);
    const before = irq.rises;
    next = dev.tick(clock.t);
    if (irq.rises > before) {
      edges += irq.rises - before;
      onRise();
      next = dev.tick(clock.t);
    }
  }
  clock.t = until;
  dev.tick(until);
  return edges;
}
