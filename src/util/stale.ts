/**
 * Stale temporaries: what a killed run leaves behind, and how the next run removes it.
 *
 * Every temporary bnnc makes carries the pid of the process that made it:
 * - atomic outputs (./atomic.ts): `.<target>.tmp-<pid>-<ms>-<n>` beside the target,
 *   `.<target>.tmp-<pid>-<ms>-<n>.old` (the previous directory, during a replacement), and
 *   whatever a tool makes from a temporary's name (the Verilator harness writes its VCD to
 *   `<name>.tmp` and renames it to `<name>`);
 * - work directories (makeWorkDir below): `<prefix><pid>-XXXXXX` in the OS temp directory.
 * A temporary whose process no longer exists can never be finished, so whoever next
 * writes the same target (or makes a work directory with the same prefix) removes it.
 * Temporaries of live processes are never touched: they may be another run in progress.
 *
 * One state needs more than removal. A directory is replaced with two renames (target
 * -> .old, then temporary -> target); a kill between them leaves no target and the
 * complete previous version in the .old sibling. That .old is renamed back, so the
 * target is again the complete previous version.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerTemporary } from './processes.js';

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!(Number.isSafeInteger(pid) && pid > 0)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let counter = 0;

/** The temporary sibling name atomic.ts uses for `target` (same directory, hidden, owned by this pid). */
export function tempSiblingName(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.tmp-${process.pid}-${Date.now()}-${counter++}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A temporary sibling of `base` (or a name derived from one), parsed; null for any other name. */
export function parseTempSibling(base: string, name: string): { pid: number; stamp: number; old: boolean } | null {
  const m = new RegExp(`^\\.${escapeRegExp(base)}\\.tmp-(\\d+)-(\\d+)-(\\d+)(\\..+)?$`).exec(name);
  if (!m) return null;
  return { pid: Number(m[1]), stamp: Number(m[2]), old: m[4] === '.old' };
}

export interface StaleCleanup {
  /** Temporaries of dead processes that were removed (full paths). */
  removed: string[];
  /** The .old directory renamed back to the target, when the target was missing. */
  restored: string | null;
}

/**
 * Remove the temporaries of dead processes beside `target` (see the header). When the
 * target is missing and a dead process left its previous version in a .old sibling,
 * that version is put back first (the newest one, if there are several).
 */
export function cleanStaleSiblings(target: string): StaleCleanup {
  const abs = path.resolve(target);
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  const result: StaleCleanup = { removed: [], restored: null };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return result; // no directory yet: nothing stale in it
  }
  const stale = names
    .map((name) => ({ name, t: parseTempSibling(base, name) }))
    .filter((e): e is { name: string; t: NonNullable<ReturnType<typeof parseTempSibling>> } => e.t !== null && !processAlive(e.t.pid));
  if (!fs.existsSync(abs)) {
    const olds = stale.filter((e) => e.t.old).sort((a, b) => b.t.stamp - a.t.stamp || (a.name < b.name ? 1 : -1));
    if (olds.length > 0) {
      const from = path.join(dir, olds[0].name);
      try {
        fs.renameSync(from, abs);
        result.restored = from;
      } catch {
        // Someone else restored or wrote the target meanwhile; the .old is then just stale.
      }
    }
  }
  for (const e of stale) {
    const p = path.join(dir, e.name);
    if (p === result.restored) continue;
    fs.rmSync(p, { recursive: true, force: true });
    result.removed.push(p);
  }
  return result;
}

/**
 * Remove `<prefix><pid>-*` entries of dead processes from `parent` (work directories of
 * killed runs). Returns the removed paths.
 */
export function cleanStaleWorkDirs(parent: string, prefix: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return removed;
  }
  const re = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-`);
  for (const name of names) {
    const m = re.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = path.join(parent, name);
    fs.rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/**
 * A fresh private work directory `<parent>/<prefix><pid>-XXXXXX` (parent: the OS temp
 * directory), after removing the ones dead processes left with the same prefix. The
 * caller removes it when done; a kill leaves it for the next call to remove.
 */
export function makeWorkDir(prefix: string, parent: string = os.tmpdir()): string {
  cleanStaleWorkDirs(parent, prefix);
  const dir = fs.mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
  registerTemporary(dir);
  return dir;
}
