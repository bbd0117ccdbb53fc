/**
 * Atomic outputs: every command that writes files writes to a temporary sibling and
 * renames it into place, so a failure or a kill leaves either the old output or the
 * new one, never half of one. The temporaries a killed run leaves (their names carry
 * its pid) are removed by the next write of the same target (./stale.ts); an
 * interrupted run removes its own (./processes.ts). A file-system error (read-only,
 * full, a directory in the way) is one OutputError line naming the target
 * (./outputs.ts asOutputError), never a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asOutputError, makeDirs } from './outputs.js';
import { registerTemporary, releaseTemporary } from './processes.js';
import { cleanStaleSiblings, tempSiblingName } from './stale.js';

/** A fresh temporary sibling of an absolute target, after clearing what dead runs left there. */
function tmpSibling(target: string): string {
  cleanStaleSiblings(target);
  const tmp = tempSiblingName(target);
  registerTemporary(tmp);
  return tmp;
}

/** Write a file atomically (temp file in the same directory, fsync, rename). */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  let tmp: string | null = null;
  try {
    makeDirs(path.dirname(path.resolve(target)));
    tmp = tmpSibling(path.resolve(target));
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    releaseTemporary(tmp);
  } catch (e) {
    if (tmp !== null) {
      fs.rmSync(tmp, { force: true });
      releaseTemporary(tmp);
    }
    throw asOutputError(target, e);
  }
}

/**
 * Build a directory atomically: `fill` writes into a fresh temporary directory beside
 * `target`; on success the old target (if any) is replaced by it, on failure the
 * temporary directory is removed and the old target is left untouched.
 */
export function writeDirAtomic(target: string, fill: (tmpDir: string) => void): void {
  const abs = path.resolve(target);
  let tmp: string | null = null;
  try {
    makeDirs(path.dirname(abs));
    tmp = tmpSibling(abs);
    fs.mkdirSync(tmp);
    fill(tmp);
    replaceDir(tmp, abs);
    releaseTemporary(tmp);
  } catch (e) {
    if (tmp !== null) {
      fs.rmSync(tmp, { recursive: true, force: true });
      releaseTemporary(tmp);
    }
    throw asOutputError(target, e);
  }
}

/** Async variant of writeDirAtomic. */
export async function writeDirAtomicAsync(
  target: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const abs = path.resolve(target);
  let tmp: string | null = null;
  try {
    makeDirs(path.dirname(abs));
    tmp = tmpSibling(abs);
    fs.mkdirSync(tmp);
    await fill(tmp);
    replaceDir(tmp, abs);
    releaseTemporary(tmp);
  } catch (e) {
    if (tmp !== null) {
      fs.rmSync(tmp, { recursive: true, force: true });
      releaseTemporary(tmp);
    }
    throw asOutputError(target, e);
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
