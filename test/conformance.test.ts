/**
 * Hardware as the reference: every test of the SingleStepTests 80286 real-mode captures in
 * ../shared/conformance/sst-80286 runs through the exit protocol. A 386-class core must differ
 * from a 286 in a few documented ways (docs/conformance.md, src/conformance/sst-386.ts); every
 * other failure is a bug.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSst } from '../src/conformance/sst.js';
import { MachineSstCpu } from '../src/conformance/sst-core.js';
import { explain386 } from '../src/conformance/sst-386.js';

const DIR = resolve(__dirname, '../../shared/conformance/sst-80286');

describe.runIf(existsSync(DIR) || process.env.CI === 'true')('SingleStepTests 80286 (real mode)', () => {
  it('passes every test except the documented 286/386 differences', async () => {
    const cpu = await MachineSstCpu.create();
    const lines: string[] = [];
    const s = await runSst(cpu, DIR, { explain: explain386, log: (l) => lines.push(l) });
    console.log(lines.filter((l) => !l.startsWith('  [')).join('\n'));
    expect(lines.at(-1)).toBe(`${s.passed} passed, ${s.failed} failed`);
    expect(s.classes.get('unexplained') ?? 0).toBe(0);
    expect(s.passed + s.failed + s.lockUd).toBeGreaterThan(300_000);
    expect(s.passed / (s.passed + s.failed)).toBeGreaterThan(0.997);
  });
});
