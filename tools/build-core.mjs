// Builds build/core.wasm from assembly/ (after regenerating assembly/gen from tools/), unless
// the wasm is already newer than every source. `--force` always builds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// release: build/core.wasm; stats: build/core-stats.wasm, with the counters of assembly/stats.ts
const TARGETS = [['release', 'build/core.wasm'], ['stats', 'build/core-stats.wasm']];
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

execFileSync('node', ['tools/gen.mjs'], { stdio: 'inherit' });
const src = Math.max(newest('assembly'), newest('tools'), statSync('asconfig.json').mtimeMs, statSync('package-lock.json').mtimeMs);
for (const [target, out] of TARGETS) {
  if (!process.argv.includes('--force') && existsSync(out) && statSync(out).mtimeMs > src) continue;
  execFileSync(process.execPath, ['node_modules/assemblyscript/bin/asc.js', 'assembly/index.ts', '--config', 'asconfig.json', '--target', target], { stdio: 'inherit' });
}
