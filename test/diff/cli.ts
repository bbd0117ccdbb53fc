/**
 * Running the real CLI (node dist/cli.js) from the hardening tests: building it once
 * (npx tsc -p ., serialized between test files by a lock, skipped when dist was built
 * from the same sources), running a command to completion, and running one until a kill
 * point (./killpoint.mjs) and then killing it and everything it started with SIGKILL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processAlive } from '../../src/util/stale.js';
import { descendants } from './procs.js';

export const ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
export const CLI = path.join(ROOT, 'dist', 'cli.js');
const KILLPOINT = pathToFileURL(path.join(ROOT, 'test', 'diff', 'killpoint.mjs')).href;
const STAMP = path.join(ROOT, 'dist', '.hardening-sources');
const LOCK = path.join(ROOT, 'dist', '.hardening-build.lock');

/** sha256 of everything tsc reads to build dist: src/**.ts (not tests), tsconfig.json, package.json. */
function sourcesHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) h.update(`${path.relative(ROOT, p)}\0`).update(fs.readFileSync(p));
    }
  };
  walk(path.join(ROOT, 'src'));
  for (const f of ['tsconfig.json', 'package.json']) h.update(`${f}\0`).update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Build dist/ with `npx tsc -p .` unless it was built from exactly these sources. */
export async function ensureCli(): Promise<void> {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  // One test file at a time: two tsc runs writing dist/ together would tear files.
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'));
      } catch {
        // being created or removed
      }
      if (Number.isInteger(holder) && !processAlive(holder)) fs.rmSync(LOCK, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    const hash = sourcesHash();
    if (fs.existsSync(CLI) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === hash) return;
    const r = spawnSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npx tsc -p . failed (${r.status}):\n${r.stdout}${r.stderr}`);
    fs.writeFileSync(STAMP, hash);
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function start(args: string[], o: CliOptions, extraEnv: NodeJS.ProcessEnv = {}) {
  // detached: the CLI leads its own process group, so a kill reaches what it started (verilator, make, g++).
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: o.cwd ?? ROOT,
    env: { ...(o.env ?? process.env), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
  return { child, done };
}

/** Run `bnnc <args>` to completion. */
export function runCli(args: string[], o: CliOptions = {}): Promise<CliRun> {
  return start(args, o).done;
}

export interface KillPoint {
  op: 'renameSync' | 'writeFileSync' | 'openSync' | 'mkdirSync' | 'mkdtempSync' | 'rmSync' | 'spawn';
  /** Regular expression (source) matched against the call's subject (see killpoint.mjs). */
  match: string;
  nth?: number;
  when: 'before' | 'after';
}

export interface KilledRun extends CliRun {
  /** The CLI's process id (now dead). */
  pid: number;
  /** The kill point was reached and the process group was killed there. */
  killed: boolean;
  /** The subject of the call the process stopped at. */
  at: string;
}

/** Linux: the process is stopped (state T in /proc/<pid>/stat). */
function isStopped(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

/**
 * Run `bnnc <args>` until it reaches the kill point, then SIGKILL its process group.
 * If it finishes without reaching the point, `killed` is false.
 */
export async function runToKillPoint(args: string[], point: KillPoint, markFile: string, o: CliOptions = {}): Promise<KilledRun> {
  fs.rmSync(markFile, { force: true });
  const { child, done } = start(args, o, {
    NODE_OPTIONS: `${o.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} --import ${KILLPOINT}`.trim(),
    BNNC_KILLPOINT: JSON.stringify({ nth: 1, ...point }),
    BNNC_KILLPOINT_MARK: markFile,
  });
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  // Wait for the state, not for a time: the mark file, then the stopped process.
  while (!finished && !(fs.existsSync(markFile) && isStopped(child.pid!))) await sleep(5);
  if (finished) return { ...(await done), pid: child.pid!, killed: false, at: '' };
  // bnnc runs its children in their own process groups (src/util/processes.ts): a
  // SIGKILL, which bnnc cannot catch, must reach each of those groups too.
  const groups = new Set(descendants(child.pid!).map((p) => p.pgid));
  process.kill(-child.pid!, 'SIGKILL');
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const r = await done;
  return { ...r, pid: child.pid!, killed: true, at: fs.readFileSync(markFile, 'utf8').trim() };
}
