/**
 * What every bench script shares: the common form of a figure, alternating measurement
 * against a peer (A, B, A, B, ...: both see the same machine load), and the JSON file
 * each script writes to bench/out/<name>.json, which bench/run.ts collects into
 * bench/out/results.json and docs/benchmarks.md.
 */
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

/** Write bench/out/<name>.json with the figures in the common form, beside the script's own fields. */
export function writeBenchJson(name: string, figures: BenchFigure[], extra: Record<string, unknown> = {}, loadBefore = os.loadavg()): string {
  const file = path.join(OUT_DIR, `${name}.json`);
  writeFileAtomic(
    file,
    JSON.stringify({ bench: name, date: new Date().toISOString(), quick: QUICK, machine: machine(), loadAverage: { before: loadBefore, after: os.loadavg() }, figures, ...extra }, null, 2) + '\n',
  );
  return file;
}
