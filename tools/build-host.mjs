// Bundles the TypeScript host for Node (dist/cli.js) with esbuild.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/cli.js',
  sourcemap: true,
  logLevel: 'warning',
  external: ['capstone-wasm'],
});
