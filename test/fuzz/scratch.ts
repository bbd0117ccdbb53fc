/**
 * A scratch directory for loaders that read paths: created on first use (once per
 * thread, so the fuzz worker and the test file never share files) and removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let dir: string | undefined;

export function scratchDir(): string {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-'));
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
