/**
 * Tests for the MOO v1 reader (src/conformance/moo.ts) against real SingleStepTests 80286
 * files, and for the conformance runner (src/conformance/sst.ts) against a tiny fake CPU
 * on synthetic MOO files built with test/helpers/moo-encode.ts.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MooParseError, parseMoo, readMooFile, REG_NAMES, type RegName } from '../src/conformance/moo.js';
import {
  fileKey,
  hasLockPrefix,
  lookupOpcode,
  parseRevocationList,
  runSst,
  runTest,
  type SstCpu,
  type SstMetadata,
  type SstOutcome,
} from '../src/conformance/sst.js';
import { chunk, encodeMoo, type EncFile, type EncTest } from './helpers/moo-encode.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SST_DIR = path.resolve(here, '../../shared/conformance/sst-80286');

// ---------------------------------------------------------------------------------------------
// Real files
// ---------------------------------------------------------------------------------------------

describe.skipIf(!existsSync(SST_DIR))('MOO reader on the 80286 suite', () => {
  it('parses 00.MOO.gz (ADD r/m8, r8) with sane fields', () => {
    const f = readMooFile(path.join(SST_DIR, '00.MOO.gz'));
    expect(f.version).toBe(1);
    expect(f.cpu).toBe('C286');
    expect(f.tests.length).toBe(f.declaredCount);
    expect(f.tests.length).toBe(1000);

    const t0 = f.tests[0]!;
    expect(t0.name).toBe('add [bx+0Eh],bl');
    expect(Array.from(t0.bytes)).toEqual([0x00, 0x5f, 0x0e, 0xf4]);
    expect(t0.hash).toBe('626be5084b331080eb08256c12a62d24afdf2a03');
    expect(t0.exception).toBeUndefined();
    expect(Object.keys(t0.final.regs).sort()).toEqual(['flags', 'ip']);
    expect(t0.final.ram).toEqual([[0x106821, 0x01]]);

    f.tests.forEach((t, i) => {
      expect(t.index).toBe(i);
      expect(t.name.length).toBeGreaterThan(0);
      expect(t.bytes[t.bytes.length - 1]).toBe(0xf4); // the trailing HLT is part of BYTS
      expect(t.hash).toMatch(/^[0-9a-f]{40}$/);
      // INIT always lists the whole register file.
      expect(Object.keys(t.init.regs).sort()).toEqual([...REG_NAMES].sort());
      for (const [a, v] of [...t.init.ram, ...t.final.ram]) {
        expect(a).toBeLessThan(1 << 24);
        expect(v).toBeLessThan(256);
      }
      // The instruction bytes sit at CS:IP in the initial RAM.
      const ram = new Map(t.init.ram);
      const { cs, ip } = t.init.regs as Record<RegName, number>;
      t.bytes.forEach((b, k) => expect(ram.get(cs * 16 + ((ip + k) & 0xffff))).toBe(b));
    });
  });

  it('parses F6.6.MOO.gz (DIV r/m8) with EXCP entries for divide errors', () => {
    const f = readMooFile(path.join(SST_DIR, 'F6.6.MOO.gz'));
    expect(f.tests.length).toBe(f.declaredCount);
    const faults = f.tests.filter((t) => t.exception);
    expect(faults.length).toBeGreaterThan(0);
    for (const t of faults) {
      expect(t.exception!.number).toBe(0);
      const { ss, sp } = { ...t.init.regs, ...t.final.regs } as Record<RegName, number>;
      // The recorded FLAGS address is SS:SP+4 after the push, rounded down to even.
      expect(t.exception!.flagsAddress).toBe((ss * 16 + ((sp + 4) & 0xffff)) & ~1);
    }
  });

  it('parses A5.MOO.gz (MOVSW) including REP-prefixed tests', () => {
    const f = readMooFile(path.join(SST_DIR, 'A5.MOO.gz'));
    expect(f.tests.length).toBe(f.declaredCount);
    expect(f.tests.some((t) => t.bytes.includes(0xf3) && t.name.startsWith('rep'))).toBe(true);
  });

  it('maps file names to metadata entries', () => {
    const meta = JSON.parse(readFileSync(path.join(SST_DIR, 'metadata.json'), 'utf8')) as SstMetadata;
    expect(fileKey('F6.6.MOO.gz')).toBe('F6.6');
    expect(lookupOpcode(meta, 'F6.6')).toMatchObject({ status: 'normal', 'flags-mask': 63274 });
    expect(lookupOpcode(meta, '27')?.status).toBe('normal');
    expect(lookupOpcode(meta, 'D6')?.status).toBe('undocumented');
    expect(lookupOpcode(meta, 'F0')?.status).toBe('prefix');
    expect(lookupOpcode(meta, '0F01.5')?.status).toBe('undefined');
    expect(lookupOpcode(meta, 'ZZ')).toBeUndefined();
    expect(parseRevocationList(readFileSync(path.join(SST_DIR, 'revocation_list.txt'), 'utf8')).size).toBe(0);
  });

  it('reports a truncated real file clearly', () => {
    const raw = readFileSync(path.join(SST_DIR, '27.MOO.gz'));
    expect(() => parseMoo(raw)).toThrow(/gzip/);
    const dir = mkdtempSync(path.join(tmpdir(), 'moo-'));
    try {
      const p = path.join(dir, '27.MOO.gz');
      writeFileSync(p, raw.subarray(0, raw.length >> 1));
      expect(() => readMooFile(p)).toThrow(/27\.MOO\.gz: MOO: cannot gunzip/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Synthetic files: parser robustness
// ---------------------------------------------------------------------------------------------

const REGS0: Partial<Record<RegName, number>> = {
  ax: 0x1111, bx: 0, cx: 0, dx: 0, cs: 0x0100, ss: 0x2000, ds: 0, es: 0,
  sp: 0x0100, bp: 0, si: 0, di: 0, ip: 0x0010, flags: 0x0002,
};
const CODE = 0x0100 * 16 + 0x0010;

/** A test whose code (bytes) sits at CS:IP = 0100:0010. */
function mk(name: string, bytes: number[], final: EncTest['final'], more: Partial<EncTest> = {}): EncTest {
  return {
    name,
    bytes,
    init: {
      regs: { ...REGS0, ...more.init?.regs },
      ram: [...bytes.map((b, i): [number, number] => [CODE + i, b]), ...(more.init?.ram ?? [])],
    },
    final,
    hash: (name.split('').reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) >>> 0).toString(16).padStart(40, '0'),
    ...Object.fromEntries(Object.entries(more).filter(([k]) => k !== 'init')),
  };
}

const SAMPLE: EncFile = {
  extra: [{ id: 'META', body: Uint8Array.of(1, 2, 3) }],
  tests: [
    mk('nop', [0x90, 0xf4], { regs: { ip: 0x12 }, ram: [] }, { extra: [{ id: 'GMET', body: new Uint8Array(10) }] }),
    mk('div', [0xf6, 0xf3, 0xf4], { regs: { ip: 0x13, sp: 0xfa }, ram: [[0x200fe, 0x02]] }, {
      exception: { number: 0, flagsAddress: 0x200fe },
    }),
  ],
};

describe('MOO reader robustness', () => {
  it('round-trips the encoder and skips unknown chunks', () => {
    const f = parseMoo(encodeMoo(SAMPLE));
    expect(f).toMatchObject({ version: 1, cpu: 'C286', declaredCount: 2 });
    expect(f.tests.map((t) => t.name)).toEqual(['nop', 'div']);
    expect(f.tests[0]!.exception).toBeUndefined();
    expect(f.tests[1]!.exception).toEqual({ number: 0, flagsAddress: 0x200fe });
    expect(f.tests[1]!.final).toEqual({ regs: { sp: 0xfa, ip: 0x13 }, ram: [[0x200fe, 2]] });
    expect(f.tests[0]!.init.regs).toEqual(REGS0);
  });

  it('throws a clear MooParseError for every truncation', () => {
    const full = encodeMoo(SAMPLE);
    for (let n = 0; n < full.length; n++) {
      let err: unknown;
      try {
        parseMoo(full.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${n}`).toBeInstanceOf(MooParseError);
      expect((err as Error).message).toMatch(/^MOO: (truncated|file too short|header declares|header chunk)/);
    }
  });

  it('rejects corrupt input with a clear message', () => {
    expect(() => parseMoo(new TextEncoder().encode('RIFF\x04\0\0\0abcd'))).toThrow(/not a MOO file: first chunk is 'RIFF'/);
    expect(() => parseMoo(encodeMoo({ ...SAMPLE, version: 2 }))).toThrow(/unsupported format version 2/);
    expect(() => parseMoo(encodeMoo({ ...SAMPLE, declaredCount: 5 }))).toThrow(/declares 5 tests but the file holds 2/);
    // A REGS mask naming a 15th register.
    const bad = encodeMoo(SAMPLE);
    const at = Buffer.from(bad).indexOf('REGS') + 8;
    bad[at + 1] = 0x80; // mask bit 15
    expect(() => parseMoo(bad)).toThrow(/corrupt REGS chunk/);
    // A chunk length pointing past the end.
    const long = encodeMoo(SAMPLE);
    long[Buffer.from(long).indexOf('TEST') + 7] = 0x7f;
    expect(() => parseMoo(long)).toThrow(/chunk 'TEST' at offset \d+ declares \d+ byte\(s\) but only \d+ remain/);
    // A TEST without FINA.
    const noFina = encodeMoo({ tests: [] });
    const test = chunk('TEST', Uint8Array.of(0, 0, 0, 0));
    const buf = new Uint8Array([...noFina, ...test]);
    buf[12] = 1; // declared count = 1
    expect(() => parseMoo(buf)).toThrow(/lacks NAME, BYTS, INIT, FINA/);
  });
});

// ---------------------------------------------------------------------------------------------
// Runner against a fake CPU
// ---------------------------------------------------------------------------------------------

/** Implements NOP (90), HLT (F4), INC AX (40, flags untouched) and #UD on F0/F1. */
class FakeCpu implements SstCpu {
  mem = new Map<number, number>();
  r = {} as Record<RegName, number>;
  loads: Record<RegName, number>[] = [];
  constructor(private readonly quirks: { incBy?: number; throwOnRun?: boolean } = {}) {}

  load(regs: Record<RegName, number>, ram: [number, number][]): void {
    this.loads.push({ ...regs });
    this.r = { ...regs };
    this.mem = new Map(ram);
  }

  run(budget: number): { outcome: SstOutcome; detail?: string } {
    if (this.quirks.throwOnRun) throw new Error('boom');
    for (let i = 0; i < budget; i++) {
      const op = this.mem.get(this.r.cs * 16 + this.r.ip) ?? 0;
      this.r.ip = (this.r.ip + 1) & 0xffff;
      if (op === 0x90) continue;
      if (op === 0x40) {
        this.r.ax = (this.r.ax + (this.quirks.incBy ?? 1)) & 0xffff;
        continue;
      }
      if (op === 0xf4) return { outcome: 'hlt' };
      if (op === 0xf0 || op === 0xf1) return { outcome: 'ud' }; // a 386 rejecting LOCK (and F1)
      return { outcome: 'error', detail: `opcode ${op.toString(16)}` };
    }
    return { outcome: 'budget' };
  }

  regs(): Record<RegName, number> {
    return { ...this.r };
  }

  readByte(addr: number): number {
    return this.mem.get(addr) ?? 0;
  }
}

const gz = (f: EncFile): Uint8Array => gzipSync(encodeMoo(f));

describe('SST runner', () => {
  let dir: string;
  const revokedTest = mk('revoked nop', [0x90, 0xf4], { regs: { ip: 0x12 } });

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sst-'));
    writeFileSync(
      path.join(dir, 'metadata.json'),
      JSON.stringify({
        opcodes: {
          '40': { status: 'normal', 'flags-mask': 0xffef },
          '90': { status: 'normal' },
          D6: { status: 'undocumented' },
          F6: { reg: { '6': { status: 'normal', 'flags-mask': 63274 } } },
        },
      }),
    );
    writeFileSync(path.join(dir, 'revocation_list.txt'), `# bad tests\n${revokedTest.hash}\n`);
    writeFileSync(
      path.join(dir, '90.MOO.gz'),
      gz({
        tests: [
          mk('nop', [0x90, 0xf4], { regs: { ip: 0x12 } }),
          // Initial FLAGS with IOPL/NT set: loaded with bits 12-15 clear, compared without them.
          mk('nop iopl', [0x90, 0xf4], { regs: { ip: 0x12 } }, { init: { regs: { flags: 0xf002 } } }),
          mk('nop wrong ax', [0x90, 0xf4], { regs: { ip: 0x12, ax: 0x2222 } }),
          mk('nop wrong ram', [0x90, 0xf4], { regs: { ip: 0x12 }, ram: [[0x500, 0x12]] }),
          mk('lock nop', [0xf0, 0x90, 0xf4], { regs: { ip: 0x13 } }),
          revokedTest,
        ],
      }),
    );
    writeFileSync(
      path.join(dir, '40.MOO.gz'),
      gz({
        tests: [
          // AF (bit 4) differs but is outside the flags-mask.
          mk('inc ax', [0x40, 0xf4], { regs: { ip: 0x12, ax: 0x1112, flags: 0x0012 } }),
          mk('ud', [0xf1, 0x40, 0xf4], { regs: { ip: 0x13, ax: 0x1112 } }),
        ],
      }),
    );
    writeFileSync(path.join(dir, 'D6.MOO.gz'), gz({ tests: [mk('salc', [0xd6, 0xf4], { regs: { ip: 0x12 } })] }));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a test file');
  });

  afterAll(() => rmSync(dir, { recursive: true }));

  it('counts passes, failures, skips and LOCK #UDs', async () => {
    const cpu = new FakeCpu();
    const lines: string[] = [];
    const s = await runSst(cpu, dir, { log: (l) => lines.push(l) });

    expect(s).toMatchObject({ passed: 3, failed: 3, skipped: 2, lockUd: 1 });
    expect([...s.perFile.keys()]).toEqual(['40.MOO.gz', '90.MOO.gz', 'D6.MOO.gz']);
    expect(s.perFile.get('90.MOO.gz')).toMatchObject({ passed: 2, failed: 2, skipped: 1, lockUd: 1 });
    expect(s.perFile.get('D6.MOO.gz')).toMatchObject({ passed: 0, failed: 0, skipped: 1 });

    const f90 = s.perFile.get('90.MOO.gz')!.failures;
    expect(f90).toEqual([
      "90 #2 'nop wrong ax' [90 f4]: ax expected 0x2222 got 0x1111",
      "90 #3 'nop wrong ram' [90 f4]: ram[0x000500] expected 0x12 got 0x00",
    ]);
    // F1 is a prefix but not LOCK: a #UD there is a failure.
    expect(s.perFile.get('40.MOO.gz')!.failures).toEqual(["40 #1 'ud' [f1 40 f4]: unexpected #UD"]);

    // IOPL/NT were cleared before loading.
    expect(cpu.loads.every((r) => (r.flags & 0xf000) === 0)).toBe(true);

    expect(lines.at(-1)).toBe('3 passed, 3 failed');
    expect(lines).toContain('skipped: 2 (1 by opcode status, 1 revoked)');
    expect(lines.some((l) => l.startsWith('lockUd: 1'))).toBe(true);
    expect(lines).toContain("  90 #2 'nop wrong ax' [90 f4]: ax expected 0x2222 got 0x1111");
  });

  it('detects a wrong result and honours filter and maxPerFile', async () => {
    const lines: string[] = [];
    const s = await runSst(new FakeCpu({ incBy: 2 }), dir, { filter: '40,D6', maxPerFile: 1, log: (l) => lines.push(l) });
    expect([...s.perFile.keys()]).toEqual(['40.MOO.gz', 'D6.MOO.gz']);
    expect(s).toMatchObject({ passed: 0, failed: 1, skipped: 1, lockUd: 0 });
    expect(s.perFile.get('40.MOO.gz')!.failures[0]).toBe("40 #0 'inc ax' [40 f4]: ax expected 0x1112 got 0x1113");
    expect(lines.at(-1)).toBe('0 passed, 1 failed');
  });

  it('selects group forms by opcode prefix', async () => {
    writeFileSync(path.join(dir, 'F6.6.MOO.gz'), gz({ tests: [mk('nop in F6.6', [0x90, 0xf4], { regs: { ip: 0x12 } })] }));
    const s = await runSst(new FakeCpu(), dir, { filter: 'F6', log: () => {} });
    expect([...s.perFile.keys()]).toEqual(['F6.6.MOO.gz']);
    expect(s.passed).toBe(1);
    rmSync(path.join(dir, 'F6.6.MOO.gz'));
  });

  it('reports an unreadable file as a failure and keeps going', async () => {
    const d2 = mkdtempSync(path.join(tmpdir(), 'sst-'));
    try {
      const good = gz({ tests: [mk('nop', [0x90, 0xf4], { regs: { ip: 0x12 } })] });
      writeFileSync(path.join(d2, '90.MOO.gz'), good);
      writeFileSync(path.join(d2, '91.MOO.gz'), encodeMoo(SAMPLE).subarray(0, 40)); // no metadata, not gzipped
      const lines: string[] = [];
      const s = await runSst(new FakeCpu(), d2, { log: (l) => lines.push(l) });
      expect(s).toMatchObject({ passed: 1, failed: 1 });
      expect(s.perFile.get('91.MOO.gz')!.failures[0]).toMatch(/^91: unreadable: MOO: truncated/);
      expect(lines.at(-1)).toBe('1 passed, 1 failed');
    } finally {
      rmSync(d2, { recursive: true });
    }
  });

  it('reports budget exhaustion, core errors and exceptions thrown by the core', () => {
    const t = parseMoo(encodeMoo({ tests: [mk('nops', [0x90, 0x90, 0x90, 0xf4], { regs: { ip: 0x14 } })] })).tests[0]!;
    expect(runTest(new FakeCpu(), t, 0xffff)).toEqual({ kind: 'pass' });
    expect(runTest(new FakeCpu(), t, 0xffff, { budget: 2 })).toEqual({
      kind: 'fail',
      diffs: ['no HLT within 2 instructions'],
    });
    const bad = parseMoo(encodeMoo({ tests: [mk('bad', [0x0f, 0xf4], { regs: { ip: 0x12 } })] })).tests[0]!;
    expect(runTest(new FakeCpu(), bad, 0xffff)).toEqual({ kind: 'fail', diffs: ['core error: opcode f'] });
    expect(runTest(new FakeCpu({ throwOnRun: true }), t, 0xffff)).toEqual({ kind: 'fail', diffs: ['core threw: boom'] });
  });

  it('masks undefined flags in the FLAGS image pushed by an exception', () => {
    // After the push SS:SP = 2000:00F9 (odd), so the FLAGS image is at 0x200FD/0x200FE;
    // the generator records 0x200FC (rounded down to even).
    const image = (flags: number): [number, number][] => [[0x200fd, flags & 0xff], [0x200fe, flags >> 8]];
    const t = parseMoo(
      encodeMoo({
        tests: [
          mk('int', [0x90, 0xf4], { regs: { ip: 0x12, sp: 0xf9 }, ram: image(0x0ed7) }, {
            exception: { number: 0, flagsAddress: 0x200fc },
          }),
        ],
      }),
    ).tests[0]!;
    const cpu = new FakeCpu();
    const pushing: SstCpu = {
      load: (r, ram) => cpu.load(r, ram),
      run: (b) => {
        const res = cpu.run(b);
        cpu.r.sp = 0xf9;
        // O, S, Z, A, P, C differ (undefined after DIV), as do bits 12-15.
        for (const [a, v] of image(0xf602)) cpu.mem.set(a, v);
        return res;
      },
      regs: () => cpu.regs(),
      readByte: (a) => cpu.readByte(a),
    };
    expect(runTest(pushing, t, 63274)).toEqual({ kind: 'pass' });
    expect(runTest(pushing, t, 0xffff)).toMatchObject({ kind: 'fail' });
  });

  it('recognises LOCK after other prefixes only', () => {
    expect(hasLockPrefix(Uint8Array.of(0x2e, 0xf0, 0x90))).toBe(true);
    expect(hasLockPrefix(Uint8Array.of(0x80, 0xf0, 0x90))).toBe(false);
  });
});
