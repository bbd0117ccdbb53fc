/**
 * Comparing a simulation's result beats with the integer model, frame by frame, and
 * measuring the cycle figures (II, latency) from the harness's cycle stamps.
 */
import { confusionMatrix } from '../util/confusion.js';
import type { SimResults } from './results.js';

/** What the integer model says about the frames sent, in sending order. */
export interface ExpectedResults {
  classes: number;
  /** Per frame: the image's index in its dataset split. */
  indices: Int32Array;
  /** Per frame: the true label (-1 if unknown). */
  labels: Int32Array;
  /** Per frame: argmax of the scores. */
  predictions: Int32Array;
  /** frames * classes scores, frame-major. */
  scores: Int32Array;
}

export interface FrameMismatch {
  /** Position of the frame in the run (0-based). */
  position: number;
  /** Index of the image in its dataset split. */
  index: number;
  label: number;
  expectedClass: number;
  rtlClass: number;
  expectedScores: number[];
  rtlScores: number[];
}

export interface Comparison {
  frames: number;
  /** Result beats that came out. */
  beats: number;
  /** Frames without a result beat (the run stalled or the RTL dropped them). */
  lost: number;
  /** Result beats beyond the number of frames (duplicated or invented frames). */
  extra: number;
  /** Frames whose class or scores differ from the integer model. */
  mismatchCount: number;
  /** The first mismatching frames (at most `keep`). */
  mismatches: FrameMismatch[];
  /** RTL class = true label, over the frames with a result and a known label. */
  rtlCorrect: number;
  /** Integer-model class = true label, over the frames with a known label. */
  intCorrect: number;
  /** Frames with a known label (-1 labels are not counted). */
  labelled: number;
  /** RTL confusion matrix [label][RTL class] over the labelled frames with a result (src/util/confusion.ts). */
  rtlConfusion: number[][];
}

export function compareResults(expected: ExpectedResults, sim: SimResults, keep = 10): Comparison {
  const n = expected.predictions.length;
  const C = expected.classes;
  if (sim.classes !== C) throw new Error(`compareResults: the simulation ran ${sim.classes} classes, expected ${C}`);
  if (sim.frames !== n) throw new Error(`compareResults: the simulation ran ${sim.frames} frames, expected ${n}`);
  const paired = Math.min(n, sim.beats);
  const mismatches: FrameMismatch[] = [];
  let mismatchCount = 0;
  let rtlCorrect = 0;
  let intCorrect = 0;
  let labelled = 0;
  for (let k = 0; k < n; k++) {
    const label = expected.labels[k];
    if (label >= 0) {
      labelled++;
      if (expected.predictions[k] === label) intCorrect++;
    }
    if (k >= paired) continue;
    if (label >= 0 && sim.classOut[k] === label) rtlCorrect++;
    let same = sim.classOut[k] === expected.predictions[k];
    for (let j = 0; j < C && same; j++) same = sim.scores[k * C + j] === expected.scores[k * C + j];
    if (same) continue;
    mismatchCount++;
    if (mismatches.length < keep) {
      mismatches.push({
        position: k,
        index: expected.indices[k],
        label,
        expectedClass: expected.predictions[k],
        rtlClass: sim.classOut[k],
        expectedScores: Array.from(expected.scores.subarray(k * C, (k + 1) * C)),
        rtlScores: Array.from(sim.scores.subarray(k * C, (k + 1) * C)),
      });
    }
  }
  return {
    frames: n,
    beats: sim.beats,
    lost: Math.max(0, n - sim.beats),
    extra: Math.max(0, sim.beats - n),
    mismatchCount,
    mismatches,
    rtlCorrect,
    intCorrect,
    labelled,
    rtlConfusion: confusionMatrix(expected.labels, sim.classOut, C, paired),
  };
}

export interface CycleFigures {
  /** Cycles from the first frame's first input beat to its result (docs/hardware.md). */
  latency: number;
  /** The steady-state interval between consecutive results (the most common one). */
  ii: number;
  /** Smallest and largest steady-state interval: both equal `ii` when the pace is exact. */
  iiMin: number;
  iiMax: number;
  /** Intervals measured (the second half of the run). */
  intervals: number;
}

/**
 * Cycle figures of a run without gaps or back-pressure. Steady state is taken as the
 * second half of the frames, far past the pipeline's filling; with fewer than 3 results
 * there is no interval in it and the II figures are NaN.
 */
export function measureCycles(sim: SimResults): CycleFigures {
  const n = Math.min(sim.frames, sim.beats);
  const latency = n > 0 ? sim.outCycle[0] - sim.firstIn[0] : NaN;
  const start = Math.max(1, Math.floor(n / 2));
  const counts = new Map<number, number>();
  let iiMin = Infinity;
  let iiMax = -Infinity;
  for (let k = start; k < n; k++) {
    const d = sim.outCycle[k] - sim.outCycle[k - 1];
    counts.set(d, (counts.get(d) ?? 0) + 1);
    iiMin = Math.min(iiMin, d);
    iiMax = Math.max(iiMax, d);
  }
  let ii = NaN;
  let best = 0;
  for (const [d, c] of counts) {
    if (c > best || (c === best && d < ii)) {
      ii = d;
      best = c;
    }
  }
  const intervals = Math.max(0, n - start);
  return intervals > 0 ? { latency, ii, iiMin, iiMax, intervals } : { latency, ii: NaN, iiMin: NaN, iiMax: NaN, intervals };
}
