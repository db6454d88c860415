/**
 * Reader for MOO ("Machine Opcode Operation") v1 CPU test files, the format of the
 * SingleStepTests 8088/8086/V20/V30/80186/80286 suites.
 *
 * Format source: the MOO v1 specification published with the SingleStepTests project
 * (github.com/singlesteptests, "MOO File Format Specification, Version 1") and the
 * README.md of /work/shared/conformance/sst-80286. Written from that description; no
 * code was taken from other projects.
 *
 * Layout (all little-endian): a file is a sequence of chunks `id:ascii[4] len:u32 body[len]`.
 *   `MOO `  u8 version, u8[3] reserved, u32 test count, ascii[4] cpu id  (>= 12 bytes)
 *   `TEST`  u32 index, then sub-chunks:
 *     `NAME`  u32 n, n bytes of text
 *     `BYTS`  u32 n, n instruction bytes
 *     `INIT` / `FINA`  sub-chunks `REGS` (u16 mask, one u16 per set bit in REG_NAMES order)
 *                      and `RAM ` (u32 count, count x (u32 address, u8 value))
 *     `EXCP`  u8 exception number, u32 physical address of the FLAGS image it pushed
 *     `HASH`  SHA-1 of the test (20 bytes), used to identify tests (revocation lists)
 * Any other chunk id (`META`, `GMET`, `CYCL`, `QUEU`, ...) is skipped by its length.
 *
 * Every read is bounds-checked: truncated or corrupt input raises a MooParseError that
 * says what was being read and at which byte offset.
 */

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The 16-bit register file of a MOO v1 `REGS` chunk, in bit order (bit 0 = ax). */
export const REG_NAMES = [
  'ax', 'bx', 'cx', 'dx', 'cs', 'ss', 'ds', 'es', 'sp', 'bp', 'si', 'di', 'ip', 'flags',
] as const;
export type RegName = (typeof REG_NAMES)[number];

/** A CPU state snapshot: registers present in the chunk and (physical address, byte) pairs. */
export interface MooState {
  regs: Partial<Record<RegName, number>>;
  ram: [number, number][];
}

export interface MooException {
  /** Exception or interrupt vector number. */
  number: number;
  /**
   * Physical address of the FLAGS image the exception pushed, as recorded by the generator.
   * In the 80286 suite it is rounded down to an even address: when SP is odd it is one
   * below the real image (see sst.ts, which recomputes it from the final SS:SP).
   */
  flagsAddress: number;
}

export interface MooTest {
  /** Index from the TEST chunk (0-based position in the published file). */
  index: number;
  name: string;
  /** Instruction bytes, including prefixes; in the 80286 suite always followed by the HLT (F4). */
  bytes: Uint8Array;
  init: MooState;
  /** Only the registers and bytes that changed. */
  final: MooState;
  exception?: MooException;
  /** Lower-case hex of the HASH chunk, '' if the test has none. */
  hash: string;
}

export interface MooFile {
  version: number;
  /** CPU id from the header, trailing spaces removed (e.g. 'C286'). */
  cpu: string;
  /** Test count declared in the header (always equal to tests.length after a successful parse). */
  declaredCount: number;
  tests: MooTest[];
}

export class MooParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MooParseError';
  }
}

const SUPPORTED_VERSION = 1;
const MOO_HEADER_MIN = 12;

/** Bounds-checked little-endian reader over one region of the buffer. */
class Reader {
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    /** Absolute offset of the region start (for messages). */
    public pos: number,
    /** Absolute offset one past the region end. */
    public readonly end: number,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get left(): number {
    return this.end - this.pos;
  }

  private need(n: number, field: string): void {
    if (n > this.left) {
      throw new MooParseError(
        `MOO: truncated ${this.what}: need ${n} byte(s) for ${field} at offset ${this.pos}, ` +
          `only ${this.left} left`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  ascii(n: number, field: string): string {
    return String.fromCharCode(...this.bytes(n, field));
  }

  /** Reads a chunk header and returns a reader confined to its body; advances past the body. */
  chunk(): { id: string; offset: number; body: Reader } {
    const offset = this.pos;
    this.need(8, 'chunk header');
    const id = this.ascii(4, 'chunk id');
    const len = this.u32(`length of chunk '${printable(id)}'`);
    if (len > this.left) {
      throw new MooParseError(
        `MOO: truncated ${this.what}: chunk '${printable(id)}' at offset ${offset} declares ` +
          `${len} byte(s) but only ${this.left} remain`,
      );
    }
    const body = new Reader(this.buf, this.pos, this.pos + len, `'${printable(id)}' chunk at offset ${offset}`);
    this.pos += len;
    return { id, offset, body };
  }
}

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function parseRegs(r: Reader): Partial<Record<RegName, number>> {
  const mask = r.u16('register mask');
  if (mask >>> REG_NAMES.length !== 0) {
    throw new MooParseError(
      `MOO: corrupt REGS chunk before offset ${r.pos}: mask 0x${mask.toString(16)} names registers beyond 'flags'`,
    );
  }
  const regs: Partial<Record<RegName, number>> = {};
  REG_NAMES.forEach((name, bit) => {
    if (mask & (1 << bit)) regs[name] = r.u16(`register ${name}`);
  });
  return regs;
}

function parseRam(r: Reader): [number, number][] {
  const count = r.u32('RAM entry count');
  if (count * 5 > r.left) {
    throw new MooParseError(
      `MOO: truncated RAM chunk: ${count} entries need ${count * 5} bytes at offset ${r.pos}, only ${r.left} left`,
    );
  }
  const ram: [number, number][] = new Array(count);
  for (let i = 0; i < count; i++) ram[i] = [r.u32('RAM address'), r.u8('RAM value')];
  return ram;
}

function parseState(r: Reader, which: string): MooState {
  let regs: Partial<Record<RegName, number>> | undefined;
  let ram: [number, number][] = [];
  while (r.left > 0) {
    const { id, body } = r.chunk();
    if (id === 'REGS') regs = parseRegs(body);
    else if (id === 'RAM ') ram = parseRam(body);
    // QUEU and anything newer: skipped by length.
  }
  if (!regs) throw new MooParseError(`MOO: ${which} chunk has no REGS sub-chunk`);
  return { regs, ram };
}

function parseTest(r: Reader, offset: number): MooTest {
  const index = r.u32('test index');
  let name: string | undefined;
  let bytes: Uint8Array | undefined;
  let init: MooState | undefined;
  let final: MooState | undefined;
  let exception: MooException | undefined;
  let hash = '';
  while (r.left > 0) {
    const { id, body } = r.chunk();
    switch (id) {
      case 'NAME': {
        const n = body.u32('name length');
        name = new TextDecoder().decode(body.bytes(n, 'name text'));
        break;
      }
      case 'BYTS': {
        const n = body.u32('instruction byte count');
        bytes = body.bytes(n, 'instruction bytes');
        break;
      }
      case 'INIT':
        init = parseState(body, 'INIT');
        break;
      case 'FINA':
        final = parseState(body, 'FINA');
        break;
      case 'EXCP':
        exception = { number: body.u8('exception number'), flagsAddress: body.u32('exception flags address') };
        break;
      case 'HASH':
        hash = hex(body.bytes(body.left, 'hash'));
        break;
      default:
        break; // GMET, CYCL, ...: skipped by length
    }
  }
  const missing = [
    name === undefined && 'NAME',
    bytes === undefined && 'BYTS',
    init === undefined && 'INIT',
    final === undefined && 'FINA',
  ].filter(Boolean);
  if (missing.length) {
    throw new MooParseError(`MOO: TEST chunk at offset ${offset} (index ${index}) lacks ${missing.join(', ')}`);
  }
  const test: MooTest = { index, name: name!, bytes: bytes!, init: init!, final: final!, hash };
  if (exception) test.exception = exception;
  return test;
}

/** Parses an uncompressed MOO file. Throws MooParseError on malformed input. */
export function parseMoo(buf: Uint8Array): MooFile {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    throw new MooParseError('MOO: input is gzip-compressed; gunzip it first (readMooFile does)');
  }
  const top = new Reader(buf, 0, buf.length, 'MOO file');
  if (buf.length < 8) throw new MooParseError(`MOO: file too short (${buf.length} bytes) for a header chunk`);
  const head = top.chunk();
  if (head.id !== 'MOO ') {
    throw new MooParseError(`MOO: not a MOO file: first chunk is '${printable(head.id)}', expected 'MOO '`);
  }
  if (head.body.left < MOO_HEADER_MIN) {
    throw new MooParseError(`MOO: header chunk is ${head.body.left} bytes, expected at least ${MOO_HEADER_MIN}`);
  }
  const version = head.body.u8('version');
  if (version !== SUPPORTED_VERSION) {
    throw new MooParseError(`MOO: unsupported format version ${version} (this reader handles ${SUPPORTED_VERSION})`);
  }
  head.body.bytes(3, 'reserved bytes');
  const declaredCount = head.body.u32('test count');
  const cpu = head.body.ascii(4, 'cpu id').replace(/[ \0]+$/, '');

  const tests: MooTest[] = [];
  while (top.left > 0) {
    const { id, offset, body } = top.chunk();
    if (id === 'TEST') tests.push(parseTest(body, offset));
    // META and unknown top-level chunks: skipped by length.
  }
  if (tests.length !== declaredCount) {
    throw new MooParseError(
      `MOO: header declares ${declaredCount} tests but the file holds ${tests.length} (truncated or corrupt file)`,
    );
  }
  return { version, cpu, declaredCount, tests };
}

/** Reads a MOO file from disk, gunzipping it when it carries the gzip magic. */
export function readMooFile(path: string): MooFile {
  try {
    return parseMoo(decodeMooBuffer(readFileSync(path), 'file'));
  } catch (e) {
    if (e instanceof MooParseError) throw new MooParseError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Gunzips `raw` if it is gzip data; wraps zlib failures in a MooParseError naming `source`. */
export function decodeMooBuffer(raw: Uint8Array, source = 'input'): Uint8Array {
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw new MooParseError(`MOO: cannot gunzip ${source}: ${(e as Error).message}`);
    }
  }
  return raw;
}
