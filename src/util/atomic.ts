/**
 * Atomic outputs: every command that writes files writes to a temporary sibling and
 * renames it into place, so a failure or a kill leaves either the old output or the
 * new one, never half of one. The temporaries a killed run leaves (their names carry
 * its pid) are removed by the next write of the same target (./stale.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { cleanStaleSiblings, tempSiblingName } from './stale.js';

/** A fresh temporary sibling of an absolute target, after clearing what dead runs left there. */
function tmpSibling(target: string): string {
  cleanStaleSiblings(target);
  return tempSiblingName(target);
}

/** Write a file atomically (temp file in the same directory, fsync, rename). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tmpSibling(path.resolve(target));
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Build a directory atomically: `fill` writes into a fresh temporary directory beside
 * `target`; on success the old target (if any) is replaced by it, on failure the
 * temporary directory is removed and the old target is left untouched.
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void): void {
  const abs = path.resolve(target);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = tmpSibling(abs);
  fs.mkdirSync(tmp);
  try {
    fill(tmp);
    replaceDir(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Async variant of writeDirAtomic. */
export async function writeDirAtomicAsync(
  target: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const abs = path.resolve(target);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = tmpSibling(abs);
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
    replaceDir(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function replaceDir(tmp: string, abs: string): void {
  if (fs.existsSync(abs)) {
    const old = tempSiblingName(abs) + '.old';
    fs.renameSync(abs, old);
    fs.renameSync(tmp, abs);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, abs);
  }
}
