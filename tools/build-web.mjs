// Bundles the browser build with esbuild into build/web/ (not committed): the page (main.js),
// the embedding API (wasmvisor.js), the VM's worker (worker.js), index.html and xterm.js's CSS;
// and builds build/core-shared.wasm, the release core with its memory shared (the page reads
// video memory from it while the worker runs), again whenever build/core.wasm is newer
// (npm run build:core keeps that one current).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';

const shared = 'build/core-shared.wasm';
if (!existsSync('build/core.wasm')) throw new Error('build/core.wasm is missing: run npm run build:core first');
if (!existsSync(shared) || statSync(shared).mtimeMs < statSync('build/core.wasm').mtimeMs) {
  execFileSync(process.execPath, ['node_modules/assemblyscript/bin/asc.js', 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'release',
    '--outFile', shared, '--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads'], { stdio: 'inherit' });
}

const out = 'build/web';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { main: 'src/web/main.ts', wasmvisor: 'src/web/wasmvisor.ts', worker: 'src/web/worker.ts' },
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  outdir: out,
  sourcemap: true,
  logLevel: 'warning',
  // core.ts reads the wasm file with node:fs only when it runs under Node
  external: ['node:*'],
});
copyFileSync('src/web/index.html', `${out}/index.html`);
copyFileSync('node_modules/@xterm/xterm/css/xterm.css', `${out}/xterm.css`);
