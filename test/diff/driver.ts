/**
 * The vitest side of the differential tests: one test per case seed, named after the
 * case, failing with the seed and its replay command; a summary at the end (cases,
 * Verilator builds, seconds per case), optionally written to a JSON file.
 *
 * BNNC_DIFF_SEED=<seed> replaces the suite's seeds by that one case.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { groupOf, makeCase, replayCommand, VARIANTS } from './cases.js';
import { isConvGroup } from './conv-cases.js';
import { runCase, type CaseOutcome } from './run.js';

/** The one seed BNNC_DIFF_SEED asks for, or undefined. */
export function replaySeed(): number | undefined {
  const v = process.env.BNNC_DIFF_SEED;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!(Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff)) throw new Error(`BNNC_DIFF_SEED must be an integer in 0..2^32-1, got ${JSON.stringify(v)}`);
  return n;
}

/** Every variant of the given structure groups. */
export function seedsOfGroups(groups: number[]): number[] {
  return groups.flatMap((g) => Array.from({ length: VARIANTS }, (_, v) => g * VARIANTS + v));
}

export interface DiffSuite {
  title: string;
  /** MLP or ConvNet seeds (./cases.ts, ./conv-cases.ts): a replayed seed runs in the suite of its kind only. */
  net: 'mlp' | 'conv';
  seeds: number[];
  /** Where to write the summary (JSON), if anywhere. */
  reportFile?: string;
  /** A private Verilator cache (removed afterwards) instead of the shared .cache/verilator. */
  privateCache?: boolean;
  /** Fewest cases the suite must run (checked at the end, unless replaying one seed). */
  minCases?: number;
}

export interface DiffSummary {
  title: string;
  cases: number;
  passed: number;
  failedSeeds: number[];
  frames: number;
  builds: number;
  cachedBuilds: number;
  buildSeconds: number;
  seconds: number;
  secondsPerCase: number;
  replay: string;
}

export function summarize(title: string, outcomes: CaseOutcome[], seconds: number): DiffSummary {
  const failed = outcomes.filter((o) => o.failures.length > 0).map((o) => o.seed);
  return {
    title,
    cases: outcomes.length,
    passed: outcomes.length - failed.length,
    failedSeeds: failed,
    frames: outcomes.reduce((a, o) => a + o.frames, 0),
    builds: outcomes.filter((o) => !o.cached).length,
    cachedBuilds: outcomes.filter((o) => o.cached).length,
    buildSeconds: Number(outcomes.reduce((a, o) => a + o.buildSeconds, 0).toFixed(1)),
    seconds: Number(seconds.toFixed(1)),
    secondsPerCase: outcomes.length ? Number((seconds / outcomes.length).toFixed(2)) : 0,
    replay: replayCommand(0).replace('=0', '=<seed>'),
  };
}

export function defineDiffSuite(suite: DiffSuite): void {
  const replay = replaySeed();
  const mine = (seed: number): boolean => isConvGroup(groupOf(seed)) === (suite.net === 'conv');
  const seeds = replay === undefined ? suite.seeds : mine(replay) ? [replay] : [];
  for (const seed of suite.seeds) if (!mine(seed)) throw new Error(`${suite.title}: seed ${seed} is not a ${suite.net} seed`);
  // A replayed seed of the other kind: nothing of this suite runs (vitest fails an empty describe).
  if (seeds.length === 0) return;
  const outcomes: CaseOutcome[] = [];
  let work = '';
  let cacheDir: string | undefined;
  let t0 = 0;

  describe(suite.title, () => {
    // Inside the describe: a suite whose cases are all filtered out (vitest -t) neither runs
    // its hooks nor writes its report.
    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-diff-'));
      if (suite.privateCache) cacheDir = path.join(work, 'verilator-cache');
      t0 = Date.now();
    });

    afterAll(() => {
      const s = summarize(suite.title, outcomes, (Date.now() - t0) / 1000);
      process.stdout.write(
        `${s.title}: ${s.passed} of ${s.cases} cases passed (${s.frames} frames), ` +
          `${s.builds} Verilator builds (${s.buildSeconds} s) and ${s.cachedBuilds} from the cache, ` +
          `${s.seconds} s in all, ${s.secondsPerCase} s per case` +
          (s.failedSeeds.length ? `; failed seeds: ${s.failedSeeds.join(' ')} (${s.replay})` : '') +
          '\n',
      );
      if (suite.reportFile && replay === undefined) writeFileAtomic(suite.reportFile, JSON.stringify(s, null, 2) + '\n');
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    for (const seed of seeds) {
      const c = makeCase(seed);
      it(`seed ${seed}: ${c.summary}`, async () => {
        let o: CaseOutcome;
        try {
          o = await runCase(seed, { work, cacheDir });
        } catch (e) {
          outcomes.push({ seed, summary: c.summary, failures: [String(e)], frames: 0, cached: false, buildSeconds: 0, seconds: 0 });
          throw new Error(`diff case seed ${seed} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nreplay: ${replayCommand(seed)}`);
        }
        outcomes.push(o);
        expect(o.failures, `diff case seed ${seed} (${c.summary}); replay: ${replayCommand(seed)}`).toEqual([]);
      });
    }

    if (replay === undefined && suite.minCases !== undefined) {
      it(`ran at least ${suite.minCases} cases`, () => {
        expect(outcomes.length).toBe(seeds.length);
        expect(outcomes.length).toBeGreaterThanOrEqual(suite.minCases!);
      });
    }
  });
}
