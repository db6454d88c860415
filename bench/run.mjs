// npm run bench: bundles bench/bench.ts (with the host sources in src/) into build/bench.mjs
// with esbuild and runs it in this process. Arguments are passed on (--runs N, --quick).
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const outfile = fileURLToPath(new URL('../build/bench.mjs', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['bench/bench.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  logLevel: 'warning',
  external: ['capstone-wasm'],
});

// src/core.ts finds the core as ../build/core.wasm relative to the bundle: build/ is right
await import(pathToFileURL(outfile).href);
