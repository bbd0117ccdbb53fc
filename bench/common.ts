/**
 * What every bench script shares: the common form of a figure, alternating measurement
 * against a peer (A, B, A, B, ...: both see the same machine load), and the JSON file
 * each script writes to bench/out/<name>.json, which bench/run.ts collects into
 * bench/out/results.json and docs/benchmarks.md.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomic.js';

export const OUT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');

/** BENCH=quick: smaller workloads, for a run of the whole suite in minutes. */
export const QUICK = process.env.BENCH === 'quick';

export interface BenchFigure {
  /** What was measured, e.g. "dropout mask draws, sfc input". */
  name: string;
  unit: string;
  /** bnnc's figure: the median of its runs. */
  value: number;
  /** The peer measured beside it in the same run (null: none). */
  peer: string | null;
  peerValue: number | null;
  /** value / peerValue for rates (higher is better), as the script states in `better`. */
  ratio: number | null;
  better: 'higher' | 'lower';
  /** Measurements behind each median. */
  runs: number;
  /** The 1-minute load average at each round of the measurement (the machine may be shared). */
  loadAverage?: number[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run a and b alternately `reps` times each (A, B, A, B, ...) and return both medians. */
export async function alternate(a: () => number | Promise<number>, b: () => number | Promise<number>, reps: number): Promise<{ a: number; b: number; as: number[]; bs: number[] }> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < reps; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return { a: median(as), b: median(bs), as, bs };
}

export function machine(): { cpu: string; cores: number; platform: string; node: string } {
  return { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(), platform: `${os.platform()} ${os.arch()}`, node: process.version };
}

/** The pages bench scripts generate (bench/run.ts, bench/results.ts). */
export const GENERATED_PAGES = ['docs/benchmarks.md', 'docs/results.md'];

/**
 * The checkout's commit as "<short hash> <commit date>", with " (with uncommitted changes)"
 * when tracked files other than GENERATED_PAGES differ from it; "unknown" outside a git checkout. Every output file
 * names it, so a figure can be traced to the code that measured it.
 */
export function gitCommit(): string {
  try {
    let commit = execFileSync('git', ['log', '-1', '--format=%h %cI'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The pages the bench writes are its output, not its code: a regenerated page left
    // uncommitted does not change what was measured.
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ...GENERATED_PAGES.map((p) => `:!${p}`)], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (changed) commit += ' (with uncommitted changes)';
    return commit;
  } catch {
    return 'unknown';
  }
}

/** CPU seconds (user + system) of this process's waited-for children and their descendants, from /proc. */
export function childCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 (cutime, cstime) of proc(5), counted from 1 with pid and comm first.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

/** Write bench/out/<name>.json with the figures in the common form, beside the script's own fields. */
export function writeBenchJson(name: string, figures: BenchFigure[], extra: Record<string, unknown> = {}, loadBefore = os.loadavg()): string {
  const file = path.join(OUT_DIR, `${name}.json`);
  writeFileAtomic(
    file,
    JSON.stringify({ bench: name, date: new Date().toISOString(), commit: gitCommit(), quick: QUICK, machine: machine(), loadAverage: { before: loadBefore, after: os.loadavg() }, figures, ...extra }, null, 2) + '\n',
  );
  return file;
}

/** The peers' Python: PyTorch in PEERS_VENV (`make peers`), Larq and LCE in LARQ_VENV (`make larq-peers`). */
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const PEERS_PY = path.join(path.resolve(ROOT, process.env.PEERS_VENV ?? '.venv-peers'), 'bin', 'python');
export const LARQ_PY = path.join(path.resolve(ROOT, process.env.LARQ_VENV ?? '.venv-larq'), 'bin', 'python');

/**
 * A peer process that stays up between measurements (its start-up, e.g. importing
 * TensorFlow and converting a model, is not timed): it prints one JSON line when ready,
 * then answers each line written to it with one JSON line. The protocol of
 * bench/peers/lce_infer.py and `binarynet_torch.py infer`.
 */
export class PeerProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private exited: string | null = null;

  constructor(python: string, args: string[], env: Record<string, string> = {}) {
    if (!fs.existsSync(python)) throw new Error(`no peer Python at ${python}: run \`make peers larq-peers\` first`);
    this.child = spawn(python, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let buf = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.child.on('exit', (code) => {
      this.exited = `${path.basename(args[0] ?? python)} exited with ${code}`;
      this.waiting?.('');
    });
  }

  private push(line: string): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(line);
    } else this.lines.push(line);
  }

  /** The next JSON line from the peer. */
  async next<T>(): Promise<T> {
    const line = this.lines.shift() ?? (this.exited ? '' : await new Promise<string>((resolve) => (this.waiting = resolve)));
    if (!line) throw new Error(this.exited ?? 'peer closed its output');
    return JSON.parse(line) as T;
  }

  async ask<T>(request: string): Promise<T> {
    this.child.stdin.write(request + '\n');
    return this.next<T>();
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** The 1-minute load average now, for the figures' records. */
export function load1(): number {
  return +os.loadavg()[0].toFixed(2);
}
