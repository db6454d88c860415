// Serves the browser build on localhost (npm run web): build/web/ at /, the core at
// /build/core.wasm and the guest images at /images/, with the cross-origin isolation headers
// (COOP/COEP) that SharedArrayBuffer needs. Usage: node tools/serve-web.mjs [--port N] (0: any
// free port); it prints the URL it listens on.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.wasm': 'application/wasm',
};
const root = resolve(new URL('..', import.meta.url).pathname);
/** URL prefix -> folder; the first match wins. */
const MOUNTS = [['/build/', 'build'], ['/images/', 'images'], ['/', 'build/web']];

function fileFor(pathname) {
  if (pathname === '/') pathname = '/index.html';
  for (const [prefix, dir] of MOUNTS) {
    if (!pathname.startsWith(prefix)) continue;
    const base = join(root, dir);
    const file = normalize(join(base, decodeURIComponent(pathname.slice(prefix.length))));
    return file.startsWith(base + '/') ? file : undefined; // no ../ out of the folder
  }
  return undefined;
}

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : Number(process.env.PORT ?? 8080);
const server = createServer(async (req, res) => {
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-cache' };
  const url = new URL(req.url ?? '/', 'http://localhost');
  const file = fileFor(url.pathname);
  try {
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
    const body = await readFile(file);
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    const missing = e.code === 'ENOENT' || e.code === 'EISDIR';
    res.writeHead(missing ? 404 : 500, { ...headers, 'Content-Type': 'text/plain' });
    res.end(missing ? `${url.pathname}: not found\n` : `${url.pathname}: ${e.message}\n`);
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`wasmvisor: http://localhost:${server.address().port}/`);
});
