/**
 * Debian tools the tests use. On a developer's machine a missing tool skips its tests with a
 * message that says what to install; under CI=true a missing tool is a failure.
 */
import { execFileSync } from 'node:child_process';

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
