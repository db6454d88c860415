// Bundles the browser build with esbuild into build/web/ (not committed): the page (main.js),
// the embedding API (wasmvisor.js), the VM's worker (worker.js), index.html and xterm.js's CSS.
// The core is served from build/core.wasm (npm run build:core).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

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
