/**
 * A scratch directory for loaders that read paths: created on first use (once per
 * thread, so the fuzz worker and the test file never share files) and removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string | undefined;

/**
 * Memory-backed /dev/shm when there is one: tens of thousands of small writes there do
 * not queue behind other jobs' disk traffic on a shared machine.
 */
function scratchRoot(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export function scratchDir(): string {
  dir ??= fs.mkdtempSync(path.join(scratchRoot(), 'bnnc-fuzz-'));
  return dir;
}

/** Write `bytes` to `name` in the scratch directory and return the path. */
export function scratchFile(name: string, bytes: Uint8Array | string): string {
  const p = path.join(scratchDir(), name);
  fs.writeFileSync(p, bytes);
  return p;
}

export function removeScratch(): void {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}
