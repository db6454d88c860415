/**
 * Debian tools the tests use. On a developer's machine a missing tool skips its tests with a
 * message that says what to install; under CI=true a missing tool is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function have(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True if the tool is there; otherwise logs why the tests skip (or throws under CI). */
export function requireTool(tool: string, pkg: string): boolean {
  if (have(tool)) return true;
  const msg = `${tool} is not installed: these tests need it (apt-get install ${pkg})`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`SKIPPED: ${msg}`);
  return false;
}

/** `nasm -f bin` of a source snippet (the unit tests' instruction sequences). */
export function assembleSnippet(src: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'wv-nasm-'));
  try {
    writeFileSync(join(dir, 'a.asm'), src);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')]);
    return readFileSync(join(dir, 'a.bin'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
