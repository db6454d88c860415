/**
 * assembly/simd/softfloat.ts (the IEEE single/double arithmetic of SSE/SSE2 under MXCSR) against
 * scalar SSE instructions run natively: test/fixtures/native-sse-softfloat.json.gz, made by
 * test/fixtures/gen-sse-softfloat.mjs (see there for the record layout and the op numbers). The
 * module is compiled on its own, with a small entry that maps each op to its function; every
 * case must match in the result bits (unless the instruction trapped, when the CPU writes no
 * result) and in the six MXCSR exception flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import asc from 'assemblyscript/asc';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
const FIXTURE = process.env.SSE_SOFTFLOAT_FIXTURE ?? join(__dirname, 'fixtures/native-sse-softfloat.json.gz');

const ENTRY = `
import * as S from "./assembly/simd/softfloat";
export function run(op: u32, mxcsr: u32, a: u64, b: u64, pred: u32): u64 {
  S.sfSetMode(mxcsr);
  S.sfFlags = 0;
  switch (op) {
    case 0: return S.add32(<u32>a, <u32>b);
    case 1: return S.sub32(<u32>a, <u32>b);
    case 2: return S.mul32(<u32>a, <u32>b);
    case 3: return S.div32(<u32>a, <u32>b);
    case 4: return S.min32(<u32>a, <u32>b);
    case 5: return S.max32(<u32>a, <u32>b);
    case 6: return S.sqrt32(<u32>b);
    case 7: return S.add64(a, b);
    case 8: return S.sub64(a, b);
    case 9: return S.mul64(a, b);
    case 10: return S.div64(a, b);
    case 11: return S.min64(a, b);
    case 12: return S.max64(a, b);
    case 13: return S.sqrt64(b);
    case 14: return S.cmp32(<u32>a, <u32>b, pred) ? 0xffffffff : 0;
    case 15: return S.cmp64(a, b, pred) ? 0xffffffffffffffff : 0;
    case 16: return S.comi32(<u32>a, <u32>b, true);
    case 17: return S.comi32(<u32>a, <u32>b, false);
    case 18: return S.comi64(a, b, true);
    case 19: return S.comi64(a, b, false);
    case 20: return S.cvt32to64(<u32>b);
    case 21: return S.cvt64to32(b);
    case 22: return S.i32to32(<i32>a);
    case 23: return S.i32to64(<i32>a);
    case 24: return <u32>S.f32toi32(<u32>a, false);
    case 25: return <u32>S.f32toi32(<u32>a, true);
    case 26: return <u32>S.f64toi32(a, false);
    case 27: return <u32>S.f64toi32(a, true);
    case 28: return S.rcp32(<u32>b);
    case 29: return S.rsqrt32(<u32>b);
  }
  return 0;
}
export function flags(): u32 { return S.sfFlags; }
`;

const NAMES = ['add32', 'sub32', 'mul32', 'div32', 'min32', 'max32', 'sqrt32', 'add64', 'sub64', 'mul64', 'div64', 'min64',
  'max64', 'sqrt64', 'cmp32', 'cmp64', 'comi32', 'ucomi32', 'comi64', 'ucomi64', 'cvt32to64', 'cvt64to32', 'i32to32', 'i32to64',
  'f32toi32', 'cvtt f32toi32', 'f64toi32', 'cvtt f64toi32', 'rcp32', 'rsqrt32'];
const W64 = new Set([7, 8, 9, 10, 11, 12, 13, 15, 20, 23]);

async function compile(): Promise<{ run: (op: number, csr: number, a: bigint, b: bigint, pred: number) => bigint; flags: () => number }> {
  let binary: Uint8Array | null = null;
  const { error, stderr } = await asc.main(['sse-softfloat-entry.ts', '--baseDir', ROOT, '--outFile', 'sse-softfloat.wasm', '-O3', '--runtime', 'stub'], {
    readFile(name: string, baseDir: string) {
      if (name === 'sse-softfloat-entry.ts') return ENTRY;
      const p = resolve(baseDir, name);
      return existsSync(p) ? readFileSync(p, 'utf8') : null;
    },
    writeFile(name: string, contents: Uint8Array | string) {
      if (name.endsWith('.wasm')) binary = contents as Uint8Array;
    },
    listFiles: () => [],
  });
  if (error) throw new Error(`${error.message}\n${stderr.toString()}`);
  if (!binary) throw new Error('no wasm emitted');
  const { instance } = await WebAssembly.instantiate(binary, { env: { abort: () => { throw new Error('abort'); } } });
  return instance.exports as never;
}

describe('SSE/SSE2 softfloat against the host CPU', () => {
  it('matches every recorded case bit for bit, flags included', async () => {
    const { run, flags } = await compile();
    const fx = JSON.parse(gunzipSync(readFileSync(FIXTURE)).toString()) as { cases: [number, number, string, string, number, number, string, number][] };
    const bad: string[] = [];
    for (const [op, csr, a, b, pred, trapped, res, fl] of fx.cases) {
      let r = BigInt.asUintN(64, run(op, csr, BigInt('0x' + a), BigInt('0x' + b), pred));
      if (!W64.has(op)) r &= 0xffffffffn;
      const f = flags();
      if (f !== fl || (!trapped && r !== BigInt('0x' + res)))
        bad.push(`${NAMES[op]} mxcsr=${csr.toString(16)} a=${a} b=${b} pred=${pred}: cpu ${trapped ? 'trap' : res} flags ${fl.toString(16)}, got ${r.toString(16)} flags ${f.toString(16)}`);
    }
    expect(bad.slice(0, 20)).toEqual([]);
    expect(fx.cases.length).toBeGreaterThan(1000);
  });
});
