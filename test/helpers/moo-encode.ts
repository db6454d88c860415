/**
 * Minimal MOO v1 encoder for tests (format: see src/conformance/moo.ts, after the
 * SingleStepTests "MOO File Format Specification, Version 1").
 */

import { REG_NAMES, type RegName } from '../../src/conformance/moo.js';

export interface EncState {
  regs: Partial<Record<RegName, number>>;
  ram?: [number, number][];
}

export interface EncChunk {
  id: string;
  body: Uint8Array;
}

export interface EncTest {
  index?: number;
  name: string;
  bytes: number[] | Uint8Array;
  init: EncState;
  final: EncState;
  exception?: { number: number; flagsAddress: number };
  /** 40 hex digits; omitted -> no HASH chunk. */
  hash?: string;
  /** Unknown sub-chunks to insert before NAME (the parser must skip them). */
  extra?: EncChunk[];
}

export interface EncFile {
  cpu?: string;
  version?: number;
  /** Header test count; defaults to tests.length. */
  declaredCount?: number;
  /** Unknown top-level chunks to insert after the header. */
  extra?: EncChunk[];
  tests: EncTest[];
}

class Bytes {
  private out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.u8(b[i]!);
    return this;
  }
  ascii(s: string): this {
    for (const c of s) this.u8(c.charCodeAt(0));
    return this;
  }
  get(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export function chunk(id: string, body: Uint8Array): Uint8Array {
  if (id.length !== 4) throw new Error(`chunk id must be 4 characters: '${id}'`);
  return new Bytes().ascii(id).u32(body.length).raw(body).get();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function encodeState(id: 'INIT' | 'FINA', s: EncState): Uint8Array {
  let mask = 0;
  const regs = new Bytes();
  REG_NAMES.forEach((r, bit) => {
    const v = s.regs[r];
    if (v !== undefined) {
      mask |= 1 << bit;
      regs.u16(v);
    }
  });
  const ram = new Bytes().u32(s.ram?.length ?? 0);
  for (const [a, v] of s.ram ?? []) ram.u32(a).u8(v);
  return chunk(id, concat([chunk('REGS', concat([new Bytes().u16(mask).get(), regs.get()])), chunk('RAM ', ram.get())]));
}

export function encodeTest(t: EncTest, index: number): Uint8Array {
  const name = new TextEncoder().encode(t.name);
  const parts: Uint8Array[] = [new Bytes().u32(t.index ?? index).get()];
  for (const e of t.extra ?? []) parts.push(chunk(e.id, e.body));
  parts.push(chunk('NAME', new Bytes().u32(name.length).raw(name).get()));
  parts.push(chunk('BYTS', new Bytes().u32(t.bytes.length).raw(t.bytes).get()));
  parts.push(encodeState('INIT', t.init));
  parts.push(encodeState('FINA', t.final));
  if (t.exception) parts.push(chunk('EXCP', new Bytes().u8(t.exception.number).u32(t.exception.flagsAddress).get()));
  if (t.hash !== undefined) {
    const h = t.hash.match(/../g)?.map((x) => parseInt(x, 16)) ?? [];
    parts.push(chunk('HASH', Uint8Array.from(h)));
  }
  return chunk('TEST', concat(parts));
}

/** Encodes an uncompressed MOO v1 file. */
export function encodeMoo(f: EncFile): Uint8Array {
  const header = new Bytes()
    .u8(f.version ?? 1)
    .raw([0, 0, 0])
    .u32(f.declaredCount ?? f.tests.length)
    .ascii((f.cpu ?? 'C286').padEnd(4, ' ').slice(0, 4))
    .get();
  return concat([
    chunk('MOO ', header),
    ...(f.extra ?? []).map((e) => chunk(e.id, e.body)),
    ...f.tests.map((t, i) => encodeTest(t, i)),
  ]);
}
