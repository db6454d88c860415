/**
 * Exit statistics in the spirit of xentrace/xenalyze: per basic exit reason the count, the
 * share of all exits, the average host cost of handling one (nanoseconds from the exit to the
 * next entry) and that cost's share of the run's wall time.
 */
import { exitName } from './exits/reasons.js';

export class ExitStats {
  readonly count = new Float64Array(64);
  readonly ns = new Float64Array(64);
  guestNs = 0;
  startNs = 0;
  endNs = 0;

  record(reason: number, ns: number): void {
    this.count[reason]! += 1;
    this.ns[reason]! += ns;
  }

  /** Exits so far per basic reason (those with any), in-core exits added by the caller. */
  counts(extraCounts: Map<number, number> = new Map()): Map<number, number> {
    const out = new Map<number, number>();
    for (let r = 0; r < 64; r++) {
      const n = this.count[r]! + (extraCounts.get(r) ?? 0);
      if (n > 0) out.set(r, n);
    }
    return out;
  }

  /** The table, with in-core exits (counted by the core itself) added by the caller. */
  table(extraCounts: Map<number, number> = new Map(), insns?: bigint): string {
    const rows: [number, number, number][] = [];
    let total = 0;
    for (const [r, n] of this.counts(extraCounts)) {
      rows.push([r, n, this.ns[r]!]);
      total += n;
    }
    rows.sort((a, b) => b[2] - a[2] || b[1] - a[1]);
    const wall = Math.max(1, this.endNs - this.startNs);
    const lines = [
      'exit reason            count   share   avg ns  time share',
      ...rows.map(([r, n, ns]) => {
        const name = `${exitName(r)} (${r})`.padEnd(20);
        const avg = ns / n;
        return `${name} ${String(n).padStart(8)} ${((100 * n) / total).toFixed(1).padStart(6)}% ${avg.toFixed(0).padStart(8)} ${((100 * ns) / wall).toFixed(2).padStart(9)}%`;
      }),
    ];
    const guestShare = (100 * this.guestNs) / wall;
    lines.push(`total exits ${total}; guest execution ${guestShare.toFixed(1)}% of ${(wall / 1e6).toFixed(1)} ms wall time`);
    if (insns !== undefined) {
      const mips = Number(insns) / (wall / 1e3);
      lines.push(`instructions ${insns}, ${mips.toFixed(1)} MIPS`);
    }
    return lines.join('\n');
  }
}
