/** A PC's COM1 as a test sees it: the text so far, input, and running until the text matches. */
import type { Pc } from '../../src/pc.js';
import type { StopInfo } from '../../src/machine.js';

export class Console {
  text = '';
  constructor(readonly pc: Pc) {}
  sink = (b: Uint8Array) => { this.text += Buffer.from(b).toString('latin1'); };
  /** Runs until the output after `from` matches, the VM stops, or `budget` instructions pass. */
  until(re: RegExp, budget: bigint, from = 0): { match: RegExpExecArray | null; stop?: StopInfo } {
    const m = this.pc.machine;
    const end = m.instructions + budget;
    for (;;) {
      const match = re.exec(this.text.slice(from));
      if (match) return { match };
      if (m.instructions >= end) return { match: null };
      const stop = m.run(m.instructions + 2_000_000n < end ? m.instructions + 2_000_000n : end);
      if (stop.why !== 'limit') return { match: re.exec(this.text.slice(from)), stop };
    }
  }
  /** Sends text to COM1; returns where the output after it starts. */
  type(s: string): number {
    const at = this.text.length;
    this.pc.sendSerial(new TextEncoder().encode(s));
    return at;
  }
}
