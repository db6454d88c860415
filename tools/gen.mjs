#!/usr/bin/env node
// Generates the files that are derived from the project's declarative sources:
//   tools/layout.mjs       -> assembly/gen/layout.ts, src/gen/layout.ts
//   tools/opcodes/*.mjs    -> assembly/gen/dispatch.ts, assembly/gen/lengths.ts, src/gen/opcodes.ts
//   tools/opcodes/x87.mjs  -> assembly/gen/x87.ts, src/gen/x87.ts
//   tools/opcodes/simd-*.mjs -> assembly/gen/simd.ts, src/gen/simd.ts
// `node tools/gen.mjs --check` writes nothing and exits 1 if a generated file is stale.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genLayout } from './gen-layout.mjs';
import { genOpcodes } from './gen-opcodes.mjs';
import { genX87 } from './gen-x87.mjs';
import { genSimd } from './gen-simd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = { ...(await genLayout()), ...(await genOpcodes()), ...(await genX87()), ...(await genSimd()) };
const check = process.argv.includes('--check');
let stale = [];
for (const [rel, text] of Object.entries(outputs)) {
  const path = join(root, rel);
  const old = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (old === text) continue;
  if (check) { stale.push(rel); continue; }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
if (check && stale.length) {
  console.error(`stale generated files (run npm run gen): ${stale.join(', ')}`);
  process.exit(1);
}
