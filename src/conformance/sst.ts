/**
 * Runner for SingleStepTests-style CPU conformance suites stored as MOO v1 files
 * (one `<opcode>[.<reg>].MOO.gz` file per opcode form, plus `metadata.json` and
 * `revocation_list.txt`), as published by the SingleStepTests project for the 80286
 * (see /work/shared/conformance/sst-80286/README.md and moo.ts for the format).
 *
 * The runner knows nothing about the emulator: it drives any core through SstCpu.
 *
 * Comparison rules (each test: instruction + HLT, run from the initial state):
 *  - every register: expected = final value if listed, else the initial value;
 *  - FLAGS: both sides ANDed with the opcode's `flags-mask` (default 0xFFFF) and with
 *    0x0FFF, because a 286 in real mode cannot hold IOPL/NT (bits 12-15) but a 386 can;
 *  - every byte listed in the final RAM, exactly those addresses;
 *  - for tests that raised an exception/interrupt (EXCP), the FLAGS image it pushed is
 *    masked the same way (undefined flags of DIV etc. are pushed too).
 * Initial FLAGS are loaded with bits 12-15 cleared (see SstOptions.keepInitIoplNt).
 */

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeMooBuffer, parseMoo, REG_NAMES, type MooTest, type RegName } from './moo.js';

export type { RegName } from './moo.js';

export type SstOutcome = 'hlt' | 'budget' | 'ud' | 'error';

/** What the runner needs from a CPU core. Implemented by the lead on top of the real core. */
export interface SstCpu {
  /**
   * Put the machine in real mode with 16 MiB flat RAM (no ROM), all memory zero except `ram`,
   * registers as given (upper halves of 32-bit registers zero, segment bases = selector*16,
   * limits 0xFFFF), A20 enabled.
   */
  load(regs: Record<RegName, number>, ram: [number, number][]): void;
  /**
   * Run until the guest executes HLT (HLT included), at most `budget` instructions.
   * 'ud': the core raised #UD (exception 6) at the test's instruction and delivered it.
   */
  run(budget: number): { outcome: SstOutcome; detail?: string };
  /** 16-bit register values. */
  regs(): Record<RegName, number>;
  /** One byte at a physical address. */
  readByte(addr: number): number;
  /** The exception vector the core raised at the test's own instruction in the last run, if any. */
  faultAtStart?(): number | undefined;
}

/** One entry of metadata.json `opcodes` (or of an opcode's `reg` table). */
export interface OpcodeMeta {
  status?: string;
  arch?: string;
  flags?: string;
  'flags-mask'?: number;
  reg?: Record<string, OpcodeMeta>;
}

export interface SstMetadata {
  opcodes: Record<string, OpcodeMeta>;
  [key: string]: unknown;
}

export interface SstOptions {
  /**
   * Which files to run: comma-separated opcode keys; `F6` selects F6.MOO.gz and every F6.n,
   * `F6.6` only that form. A RegExp is tested against the file name. Default: all files.
   */
  filter?: string | RegExp;
  /** Output sink; default console.log. */
  log?: (s: string) => void;
  /** Run at most this many tests of each file (the first ones). */
  maxPerFile?: number;
  /** Instruction budget per test (default DEFAULT_BUDGET). */
  budget?: number;
  /** Budget for tests whose instruction carries a REP prefix (default REP_BUDGET). */
  repBudget?: number;
  /** Failures kept (and printed) per file (default 3). */
  maxFailuresPerFile?: number;
  /**
   * Load the initial FLAGS as recorded. By default bits 12-15 are cleared first: the 286
   * that produced the tests could not hold them in real mode (every recorded final FLAGS
   * and every pushed FLAGS image has them clear), so a 386, which keeps them, would
   * otherwise push different FLAGS images for PUSHF/INT/exceptions.
   */
  keepInitIoplNt?: boolean;
  /**
   * Names the documented reason a failing test differs on this CPU (a 386-class core run
   * against 286 captures), or undefined. Explained failures still count as failed; they are
   * tallied per class so that unexplained ones stand out.
   */
  explain?: (key: string, test: MooTest, cpu: SstCpu) => string | undefined;
}

export interface FileStats {
  passed: number;
  failed: number;
  skipped: number;
  lockUd: number;
  /** The first failures (default 3), each naming the test, its bytes and the differing fields. */
  failures: string[];
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  lockUd: number;
  perFile: Map<string, FileStats>;
  /** Failures per documented class (SstOptions.explain); failures with no class: 'unexplained'. */
  classes: Map<string, number>;
}

/** Outcome of one test. */
export type TestVerdict =
  | { kind: 'pass' }
  | { kind: 'lockUd' }
  | { kind: 'fail'; diffs: string[] };

export const DEFAULT_BUDGET = 1000;
export const REP_BUDGET = 200_000;
/** Opcode statuses whose tests are not run (counted as skipped). */
export const SKIP_STATUSES: ReadonlySet<string> = new Set(['prefix', 'undefined', 'undocumented', 'fpu']);
/** FLAGS bits compared besides the opcode's flags-mask: bits 12-15 (IOPL, NT, 15) are not. */
export const FLAGS_COMPARE_MASK = 0x0fff;

/** Prefix bytes of the 8086..80286 (segment overrides, LOCK and its F1 alias, REPNE, REP). */
const PREFIXES: ReadonlySet<number> = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf1, 0xf2, 0xf3]);
const LOCK = 0xf0;
const MAX_RAM_DIFFS = 8;
const MOO_FILE_RE = /\.moo(\.gz)?$/i;

/** `F6.6.MOO.gz` -> `F6.6`, `27.MOO.gz` -> `27` (upper-cased). */
export function fileKey(fileName: string): string {
  return fileName.replace(MOO_FILE_RE, '').toUpperCase();
}

/** Metadata entry for a file key (`F6.6` -> opcodes.F6.reg["6"], `27` -> opcodes["27"]). */
export function lookupOpcode(meta: SstMetadata | undefined, key: string): OpcodeMeta | undefined {
  if (!meta?.opcodes) return undefined;
  const [op, reg] = key.toUpperCase().split('.', 2) as [string, string | undefined];
  const entry = meta.opcodes[op!];
  if (!entry) return undefined;
  if (reg !== undefined && entry.reg) return entry.reg[reg];
  return entry;
}

/** The leading prefix bytes of an instruction. */
export function instructionPrefixes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) {
    if (!PREFIXES.has(b)) break;
    out.push(b);
  }
  return out;
}

export function hasLockPrefix(bytes: Uint8Array): boolean {
  return instructionPrefixes(bytes).includes(LOCK);
}

export function hasRepPrefix(bytes: Uint8Array): boolean {
  return instructionPrefixes(bytes).some((b) => b === 0xf2 || b === 0xf3);
}

/** Parses revocation_list.txt: one hex hash per line, '#' comments and blank lines ignored. */
export function parseRevocationList(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim().toLowerCase();
    if (line) out.add(line);
  }
  return out;
}

function matchesFilter(fileName: string, filter: string | RegExp | undefined): boolean {
  if (filter === undefined) return true;
  if (filter instanceof RegExp) return filter.test(fileName);
  const key = fileKey(fileName);
  return filter
    .split(',')
    .map((f) => fileKey(f.trim()))
    .filter(Boolean)
    .some((f) => key === f || key.startsWith(`${f}.`));
}

const h2 = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;
const h4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** The full initial register file (unlisted registers are 0). */
function initialRegs(test: MooTest, keepInitIoplNt: boolean): Record<RegName, number> {
  const regs = {} as Record<RegName, number>;
  for (const r of REG_NAMES) regs[r] = (test.init.regs[r] ?? 0) & 0xffff;
  if (!keepInitIoplNt) regs.flags &= FLAGS_COMPARE_MASK;
  return regs;
}

/**
 * Physical addresses of the low and high byte of the FLAGS image pushed by the test's
 * exception/interrupt, or undefined. The image sits at SS:SP+4 after the push (IP, CS,
 * FLAGS), i.e. at the final SS:SP+4 since the handler is just the HLT. The generator's
 * recorded address is rounded down to even; the recomputed one is used when they agree
 * up to that rounding, the recorded one otherwise.
 */
function pushedFlagsAddresses(test: MooTest): [number, number] | undefined {
  if (!test.exception) return undefined;
  const ss = test.final.regs.ss ?? test.init.regs.ss ?? 0;
  const sp = test.final.regs.sp ?? test.init.regs.sp ?? 0;
  const lo = (ss * 16 + ((sp + 4) & 0xffff)) & 0xffffff;
  const hi = (ss * 16 + ((sp + 5) & 0xffff)) & 0xffffff;
  if ((lo & ~1) === test.exception.flagsAddress) return [lo, hi];
  const fa = test.exception.flagsAddress;
  return [fa, (fa + 1) & 0xffffff];
}

/** Compares the core's state with the test's expected final state; returns the differences. */
export function compareFinal(cpu: SstCpu, test: MooTest, flagsMask: number): string[] {
  const diffs: string[] = [];
  const actual = cpu.regs();
  const fmask = flagsMask & FLAGS_COMPARE_MASK;
  for (const r of REG_NAMES) {
    let exp = (test.final.regs[r] ?? test.init.regs[r] ?? 0) & 0xffff;
    let got = (actual[r] ?? 0) & 0xffff;
    if (r === 'flags') {
      exp &= fmask;
      got &= fmask;
    }
    if (exp !== got) diffs.push(`${r} expected ${h4(exp)} got ${h4(got)}${r === 'flags' ? ` (mask ${h4(fmask)})` : ''}`);
  }
  const pushed = pushedFlagsAddresses(test);
  const ramDiffs: string[] = [];
  for (const [addr, value] of test.final.ram) {
    let mask = 0xff;
    if (pushed && addr === pushed[0]) mask = fmask & 0xff;
    else if (pushed && addr === pushed[1]) mask = fmask >>> 8;
    const exp = value & mask;
    const got = cpu.readByte(addr) & mask;
    if (exp !== got) ramDiffs.push(`ram[0x${addr.toString(16).padStart(6, '0')}] expected ${h2(exp)} got ${h2(got)}`);
  }
  diffs.push(...ramDiffs.slice(0, MAX_RAM_DIFFS));
  if (ramDiffs.length > MAX_RAM_DIFFS) diffs.push(`... ${ramDiffs.length - MAX_RAM_DIFFS} more RAM difference(s)`);
  return diffs;
}

/** Loads, runs and checks one test. Exceptions thrown by the core are reported as failures. */
export function runTest(
  cpu: SstCpu,
  test: MooTest,
  flagsMask: number,
  opts: Pick<SstOptions, 'budget' | 'repBudget' | 'keepInitIoplNt'> = {},
): TestVerdict {
  const budget = hasRepPrefix(test.bytes) ? (opts.repBudget ?? REP_BUDGET) : (opts.budget ?? DEFAULT_BUDGET);
  try {
    cpu.load(initialRegs(test, opts.keepInitIoplNt ?? false), test.init.ram);
    const { outcome, detail } = cpu.run(budget);
    const why = detail ? `: ${detail}` : '';
    switch (outcome) {
      case 'hlt':
        break;
      case 'ud':
        // The 286 itself raised #UD here: the state after delivering it must match.
        if (test.exception?.number === 6) break;
        // A 386 rejects LOCK on instructions a 286 accepted it on.
        if (hasLockPrefix(test.bytes)) return { kind: 'lockUd' };
        return { kind: 'fail', diffs: [`unexpected #UD${why}`] };
      case 'budget':
        return { kind: 'fail', diffs: [`no HLT within ${budget} instructions${why}`] };
      default:
        return { kind: 'fail', diffs: [`core error${why}`] };
    }
    const diffs = compareFinal(cpu, test, flagsMask);
    return diffs.length ? { kind: 'fail', diffs } : { kind: 'pass' };
  } catch (e) {
    return { kind: 'fail', diffs: [`core threw: ${e instanceof Error ? e.message : String(e)}`] };
  }
}

/** One line describing a failed test. */
export function describeFailure(fileName: string, test: MooTest, diffs: string[]): string {
  return `${fileKey(fileName)} #${test.index} '${test.name}' [${hexBytes(test.bytes)}]: ${diffs.join('; ')}`;
}

async function readOptional(path: string): Promise<string | undefined> {
  return existsSync(path) ? readFile(path, 'utf8') : undefined;
}

/** Runs every MOO file of `dir` (sorted by name) against `cpu`. */
export async function runSst(cpu: SstCpu, dir: string, opts: SstOptions = {}): Promise<Summary> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const maxFailures = opts.maxFailuresPerFile ?? 3;

  const metaText = await readOptional(join(dir, 'metadata.json'));
  let meta: SstMetadata | undefined;
  if (metaText !== undefined) {
    try {
      meta = JSON.parse(metaText) as SstMetadata;
    } catch (e) {
      throw new Error(`${join(dir, 'metadata.json')}: invalid JSON: ${(e as Error).message}`);
    }
  }
  const revoked = parseRevocationList((await readOptional(join(dir, 'revocation_list.txt'))) ?? '');

  const files = (await readdir(dir))
    .filter((f) => MOO_FILE_RE.test(f) && matchesFilter(f, opts.filter))
    .sort();

  const summary: Summary = { passed: 0, failed: 0, skipped: 0, lockUd: 0, perFile: new Map(), classes: new Map() };
  let skippedRevoked = 0;
  let skippedStatus = 0;

  for (const file of files) {
    const stats: FileStats = { passed: 0, failed: 0, skipped: 0, lockUd: 0, failures: [] };
    summary.perFile.set(file, stats);
    const key = fileKey(file);

    let tests: MooTest[];
    try {
      tests = parseMoo(decodeMooBuffer(await readFile(join(dir, file)), file)).tests;
    } catch (e) {
      const msg = `${key}: unreadable: ${(e as Error).message}`;
      stats.failed = 1;
      stats.failures.push(msg);
      summary.failed += 1;
      log(`${file}: 0 passed, 1 failed`);
      log(`  ${msg}`);
      continue;
    }
    if (opts.maxPerFile !== undefined) tests = tests.slice(0, opts.maxPerFile);

    const info = lookupOpcode(meta, key);
    if (meta && !info) log(`${file}: no metadata entry for ${key}; running with flags-mask 0xffff`);
    const status = info?.status ?? 'normal';
    const flagsMask = info?.['flags-mask'] ?? 0xffff;

    for (const test of tests) {
      if (SKIP_STATUSES.has(status)) {
        stats.skipped++;
        skippedStatus++;
        continue;
      }
      if (test.hash && revoked.has(test.hash)) {
        stats.skipped++;
        skippedRevoked++;
        continue;
      }
      const verdict = runTest(cpu, test, flagsMask, opts);
      if (verdict.kind === 'pass') stats.passed++;
      else if (verdict.kind === 'lockUd') stats.lockUd++;
      else {
        stats.failed++;
        const cls = opts.explain ? (opts.explain(key, test, cpu) ?? 'unexplained') : undefined;
        if (cls) summary.classes.set(cls, (summary.classes.get(cls) ?? 0) + 1);
        const line = describeFailure(file, test, verdict.diffs);
        if (stats.failures.length < maxFailures) stats.failures.push(cls ? `[${cls}] ${line}` : line);
      }
    }

    summary.passed += stats.passed;
    summary.failed += stats.failed;
    summary.skipped += stats.skipped;
    summary.lockUd += stats.lockUd;
    if (stats.failed) {
      log(`${file}: ${stats.passed} passed, ${stats.failed} failed`);
      for (const f of stats.failures) log(`  ${f}`);
    }
  }

  log(`${files.length} file(s) from ${dir}`);
  log(`skipped: ${summary.skipped} (${skippedStatus} by opcode status, ${skippedRevoked} revoked)`);
  log(`lockUd: ${summary.lockUd} (LOCK-prefixed tests the core rejected with #UD)`);
  if (opts.explain && summary.failed) {
    log('failure classes:');
    for (const [cls, n] of [...summary.classes].sort((a, b) => b[1] - a[1])) log(`  ${String(n).padStart(6)} ${cls}`);
  }
  log(`${summary.passed} passed, ${summary.failed} failed`);
  return summary;
}
