/**
 * The SstCpu adapter: runs SingleStepTests cases on a real Machine through the exit protocol.
 * 16 MiB of flat RAM, no ROM; IN reads 0xFF/0xFFFF (no device answers); HLT ends a test.
 * #UD is intercepted through the exception bitmap to learn whether the core rejected the
 * test's instruction, then re-injected so the run goes on to the handler's HLT as on silicon.
 */
import * as L from '../gen/layout.js';
import { Machine } from '../machine.js';
import type { SstCpu, SstOutcome, RegName } from './sst.js';

const GPR: [RegName, number][] = [['ax', 0], ['cx', 1], ['dx', 2], ['bx', 3], ['sp', 4], ['bp', 5], ['si', 6], ['di', 7]];
const SEG: [RegName, number][] = [['es', 0], ['cs', 1], ['ss', 2], ['ds', 3]];

export class MachineSstCpu implements SstCpu {
  private touched: number[] = [];
  private startIp = 0;
  private startCs = 0;
  private sawUd = false;
  private firstFault: number | undefined;

  private constructor(readonly m: Machine) {
    // every exception is intercepted (and re-injected) to learn what the test instruction raised
    m.core.set32(L.CTL_EXC_BITMAP, 0xffffffff);
    m.maxStall = 1000;
    m.onException = (ex) => {
      const atStart = m.core.eip === this.startIp && m.core.segSel(1) === this.startCs && ex.type === 3;
      if (atStart && this.firstFault === undefined) this.firstFault = ex.vector;
      if (atStart && ex.vector === 6) this.sawUd = true;
      return 'inject';
    };
  }

  static async create(): Promise<MachineSstCpu> {
    return new MachineSstCpu(await Machine.create({ memory: 16 * 1024 * 1024, flat: true }));
  }

  load(regs: Record<RegName, number>, ram: [number, number][]): void {
    const c = this.m.core;
    const u8 = c.u8;
    for (const a of this.touched) u8[L.RAM_BASE + a] = 0;
    this.touched = [];
    c.exports.reset();
    for (const [name, r] of GPR) c.setReg32(r, regs[name] & 0xffff);
    for (const [name, s] of SEG) c.setSeg(s, regs[name] & 0xffff, (regs[name] & 0xffff) << 4, 0xffff, s === 1 ? 0x9b00 : 0x9300);
    c.eip = regs.ip & 0xffff;
    c.eflags = (regs.flags & 0xffff) | 2;
    for (const [a, v] of ram) {
      u8[L.RAM_BASE + a] = v;
      this.touched.push(a);
    }
    this.startIp = c.eip;
    this.startCs = regs.cs & 0xffff;
    this.sawUd = false;
    this.firstFault = undefined;
    c.exports.stateChanged();
  }

  run(budget: number): { outcome: SstOutcome; detail?: string } {
    const stop = this.m.run(this.m.instructions + BigInt(budget));
    switch (stop.why) {
      case 'halted':
      case 'idle':
        return { outcome: this.sawUd ? 'ud' : 'hlt' };
      default:
        // after a #UD the 286 never saw, the "handler" is whatever the test's memory holds
        if (this.sawUd) return { outcome: 'ud' };
        if (stop.why === 'limit') return { outcome: 'budget' };
        return { outcome: 'error', detail: stop.message ?? stop.why };
    }
  }

  regs(): Record<RegName, number> {
    const c = this.m.core;
    const out = {} as Record<RegName, number>;
    for (const [name, r] of GPR) out[name] = c.reg32(r) & 0xffff;
    for (const [name, s] of SEG) out[name] = c.segSel(s);
    out.ip = c.eip & 0xffff;
    out.flags = c.eflags & 0xffff;
    return out;
  }

  faultAtStart(): number | undefined {
    return this.firstFault;
  }

  readByte(addr: number): number {
    // the test also records bytes the instruction wrote: clear them before the next test
    this.touched.push(addr);
    return this.m.core.u8[L.RAM_BASE + addr]!;
  }
}
