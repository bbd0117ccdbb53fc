/**
 * verifyRtl: the reusable core of `bnnc verify` (also called by the demo and the tests).
 *
 * 1. Vectors: the chosen images with the integer model's class and scores (src/int).
 * 2. One Verilator run over all of them (cached build), with optional random idle gaps
 *    on s_axis and back-pressure on m_axis, and optionally a VCD of a range of frames.
 * 3. Every result beat is compared with the integer model: class and every score. The
 *    number of beats must equal the number of frames (none lost, none duplicated).
 * 4. Cycle figures: latency of the first frame and the steady-state interval between
 *    results, measured without gaps or back-pressure (the main run, or a short extra run
 *    when the main one has them), against the manifest's plan. Both must be exact.
 * 5. The first few mismatching images run again alone through the trace build; the
 *    stage taps in the VCD locate the first layer and neuron that depart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, MismatchError } from '../errors.js';
import { loadFolded } from '../int/serialize.js';
import { resultInputBeats } from '../hw/result-beats.js';
import type { FoldedModel } from '../int/types.js';
import { checkVectorsFit, decodeVectors, encodeVectors, type VectorFile } from '../int/vectors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Dataset } from '../data/types.js';
import { compareResults, measureCycles, type Comparison, type CycleFigures, type FrameMismatch } from './compare.js';
import { readDesign, type DesignInfo } from './design.js';
import { locateMismatch, type MismatchLocation } from './locate.js';
import { readStageTaps } from './vcd.js';
import { buildHarness, type HarnessBuild } from './verilator-build.js';
import { requireVerilatorTools } from './tools.js';
import { makeWorkDir } from '../util/stale.js';
import { MAX_RESET_PROBABILITY, MAX_TRAFFIC_PROBABILITY, runSimulation, type SimRun } from './verilator.js';
import { copyDesign } from './design-copy.js';
import { BoundaryTracker, searchBoundary, type BoundaryCoverage, type BoundarySearchOptions } from '../int/boundary.js';

export interface VerifyProgress {
  phase: 'vectors' | 'build' | 'simulate' | 'timing' | 'locate';
  done: number;
  total: number;
  /** Simulation phases: current simulated cycle. */
  cycle?: number;
}

export interface VerifyOptions {
  /** Directory written by `bnnc compile` (manifest.json, Verilog, .mem files). */
  rtlDir: string;
  /** The split to run (images and labels). */
  dataset: Dataset;
  /** Run the first `limit` images of the split (default: all). */
  limit?: number;
  /** Probability per cycle that s_axis is left idle (default 0). */
  gaps?: number;
  /** Probability per cycle that m_axis_tready is low (default 0). */
  backpressure?: number;
  /** Seed of the gap, back-pressure and reset patterns and of the random initial state (default 1). */
  seed?: number;
  /** Chance per frame of a seeded mid-frame or mid-result reset (0..0.5, default 0). */
  resets?: number;
  /** A file changed since compile (manifest.json sha256) is an error, not a note in the report. */
  strict?: boolean;
  /**
   * Add directed images that drive threshold neurons to T - 1 and T (src/int/boundary.ts)
   * after the dataset's images; true or the search's options. Default: none.
   */
  boundary?: boolean | BoundarySearchOptions;
  /** Dump a VCD of run positions [from, to). */
  vcd?: { file: string; from: number; to: number };
  /** How many mismatching images to locate to a layer and neuron (default 3). */
  locate?: number;
  /** Frames of the clean timing run made when gaps or back-pressure are on (default 64). */
  timingFrames?: number;
  /** The folded model; default: the copy named in the manifest (folded.bnnf). */
  folded?: FoldedModel;
  cacheDir?: string;
  jobs?: number;
  /** Unoptimised Verilator build (HarnessBuildOptions.quick): for short runs of many designs; default false. */
  quickBuild?: boolean;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: VerifyProgress) => void;
}

export interface CycleCheck {
  planned: { ii: number; latency: number };
  /** Null when the run had too few frames to measure. */
  measured: CycleFigures | null;
  /** 'main' (the run itself) or 'timing' (a clean run of the first frames). */
  source: 'main' | 'timing';
  frames: number;
  iiOk: boolean;
  latencyOk: boolean;
}

export interface VerifyReport {
  /** True when every check passed: bit-exact, nothing lost or extra, cycles as planned. */
  ok: boolean;
  /** One line per failed check (empty when ok). */
  failures: string[];
  design: { rtlDir: string; top: string; model: string };
  dataset: string;
  /** Frames run: the dataset's images, then the directed ones (boundary.directed). */
  frames: number;
  /** Threshold-boundary coverage of the frames run, from the integer model (src/int/boundary.ts). */
  boundary: BoundaryCoverage;
  traffic: { gaps: number; backpressure: number; seed: number; resets: number };
  /** Fractions over the labelled frames (NaN if none). */
  rtlAccuracy: number;
  intAccuracy: number;
  comparison: Comparison;
  locations: MismatchLocation[];
  cycles: CycleCheck;
  timedOut: boolean;
  /** The design's files against the sha256 compile recorded: one line per changed file. */
  integrity: { checked: number; changed: string[] };
  /** Resets made in the stream, and the reset promises broken (docs/hardware.md). */
  resets: { probability: number; made: number; staleResults: number; lateAccept: number };
  /** Cycle budget of the main run; exceeded = the harness stopped there. */
  budget: { cycles: number; exceeded: boolean };
  speed: {
    imagesPerSecond: number;
    cyclesPerSecond: number;
    simulatedCycles: number;
    simSeconds: number;
  };
  build: { cached: boolean; seconds: number; key: string; warnings: number; verilator: string };
  /** Wall-clock seconds per phase. */
  phases: { vectors: number; build: number; simulate: number; timing: number; locate: number };
  vcd?: string;
}

function seconds(t0: number): number {
  return (Date.now() - t0) / 1000;
}

/** Cycles without a handshake after which the harness gives up, generous for any traffic. */
function stallLimit(d: DesignInfo, gaps: number, bp: number): number {
  const base = d.latency + 4 * d.ii + 1000;
  return Math.ceil((8 * base) / ((1 - gaps) * (1 - bp)));
}

/** Cycles run after the last result, long enough for a phantom frame to come out. */
function drainCycles(d: DesignInfo, bp: number): number {
  return Math.ceil((d.latency + 2 * d.ii + 16) / (1 - bp));
}

function checkProbability(name: string, p: number, max = MAX_TRAFFIC_PROBABILITY): void {
  if (!(p >= 0 && p <= max)) throw new InputError('verify', name, `a probability in [0, ${max}]`, String(p));
}

/**
 * The most cycles a run of n frames may take: per frame the II, the input beats slowed
 * by the gaps and the result's wait under back-pressure, added up (a serial bound on
 * what the pipeline overlaps), twice over, plus the latency, a stall and the drain; with
 * resets, every frame may be sent again (x2). Bounded because the probabilities are.
 */
export function cycleBudget(d: DesignInfo, n: number, gaps: number, bp: number, resets: number): number {
  const perFrame = d.ii + d.pixels / d.inPix / (1 - gaps) + 1 / (1 - bp) + d.latency * resets;
  const runs = resets > 0 ? 2 : 1;
  return Math.ceil(runs * 2 * (d.latency / ((1 - gaps) * (1 - bp)) + n * perFrame) + stallLimit(d, gaps, bp) + drainCycles(d, bp) + 10_000);
}

/** Simulated cycles per second assumed for the wall-clock limit: far below any measured run. */
const MIN_CYCLES_PER_SECOND = 20_000;

/** The wall-clock limit of a run with this cycle budget (the harness itself stops at the budget). */
export function wallClockLimit(budgetCycles: number): number {
  return 300 + budgetCycles / MIN_CYCLES_PER_SECOND;
}

function expectedOf(v: VectorFile): {
  classes: number;
  indices: Int32Array;
  labels: Int32Array;
  predictions: Int32Array;
  scores: Int32Array;
} {
  return {
    classes: v.classes,
    indices: Int32Array.from(v.indices),
    labels: v.labels,
    predictions: Int32Array.from(v.expected),
    scores: v.scores,
  };
}

function checkCycles(d: DesignInfo, run: SimRun, source: 'main' | 'timing'): CycleCheck {
  const n = Math.min(run.frames, run.beats);
  const measured = n >= 1 ? measureCycles(run) : null;
  const iiMeasurable = measured !== null && measured.intervals > 0;
  return {
    planned: { ii: d.ii, latency: d.latency },
    measured,
    source,
    frames: run.frames,
    iiOk: !iiMeasurable || (measured.iiMin === d.ii && measured.iiMax === d.ii),
    latencyOk: measured === null || measured.latency === d.latency,
  };
}

export async function verifyRtl(o: VerifyOptions): Promise<VerifyReport> {
  const gaps = o.gaps ?? 0;
  const bp = o.backpressure ?? 0;
  const seed = o.seed ?? 1;
  checkProbability('gaps', gaps);
  checkProbability('backpressure', bp);
  const resets = o.resets ?? 0;
  checkProbability('resets', resets, MAX_RESET_PROBABILITY);
  // The user's directory is read here and once more when copied; everything else reads the copy.
  checkDesignFits(readDesign(o.rtlDir), o.folded ?? loadFoldedOf(readDesign(o.rtlDir)), o.dataset);
  const n = o.limit === undefined ? o.dataset.n : Math.min(o.limit, o.dataset.n);
  if (!(Number.isInteger(n) && n >= 1)) throw new InputError('verify', 'limit', 'a positive number of images', String(o.limit));
  if (o.vcd && !(Number.isInteger(o.vcd.from) && Number.isInteger(o.vcd.to) && 0 <= o.vcd.from && o.vcd.from < o.vcd.to && o.vcd.to <= n)) {
    throw new InputError('verify', 'images', `a range A:B with 0 <= A < B <= ${n}`, `${o.vcd.from}:${o.vcd.to}`);
  }
  const progress = o.onProgress ?? (() => {});
  const phases = { vectors: 0, build: 0, simulate: 0, timing: 0, locate: 0 };
  // A missing tool is one line (ToolMissingError) before anything else is printed or made.
  requireVerilatorTools(o.env ?? process.env);
  // Named with the pid, so that the next run removes what a killed one left (util/stale.ts).
  const work = makeWorkDir('bnnc-verify-');
  try {
    // 0. A private copy of the design, checked against the hashes compile recorded.
    const copy = copyDesign(o.rtlDir, path.join(work, 'design'));
    if (o.strict && copy.changed.length > 0) {
      throw new MismatchError(`${o.rtlDir}: ${copy.changed.length} file(s) differ from what compile wrote (--strict): ${copy.changed.join('; ')}`);
    }
    const design = copy.design;
    const f = o.folded ?? loadFoldedOf(design);
    checkDesignFits(design, f, o.dataset);
    // 1. Vectors: the dataset's first n images, their boundary coverage, and with
    // o.boundary the directed images after them (label -1, index of their source image).
    let t0 = Date.now();
    progress({ phase: 'vectors', done: 0, total: n });
    const pixels = design.pixels;
    const real = o.dataset.images.subarray(0, n * pixels);
    const tracker = new BoundaryTracker(f);
    tracker.addAll(real, n);
    let images = real;
    const indices = Array.from({ length: n }, (_, i) => i);
    const labels = Array.from(o.dataset.labels.subarray(0, n));
    if (o.boundary) {
      const directed = searchBoundary(tracker, real, n, { seed, ...(o.boundary === true ? {} : o.boundary) });
      images = new Uint8Array(real.length + directed.images.length);
      images.set(real);
      images.set(directed.images, real.length);
      indices.push(...directed.from);
      for (let i = 0; i < directed.from.length; i++) labels.push(-1);
    }
    const total = indices.length;
    const bytes = encodeVectors(f, images, indices, labels, { activations: false });
    const vectorsPath = path.join(work, 'vectors.bnnv');
    writeFileAtomic(vectorsPath, bytes);
    const vectors = decodeVectors(bytes, vectorsPath);
    checkVectorsFit(vectors, f, vectorsPath);
    const expected = expectedOf(vectors);
    phases.vectors = seconds(t0);

    // 2. Build and run.
    t0 = Date.now();
    progress({ phase: 'build', done: 0, total: 1 });
    const buildOpts = { rtlDir: design.rtlDir, top: design.top, sources: design.sources, cacheDir: o.cacheDir, jobs: o.jobs, quick: o.quickBuild, env: o.env };
    const fast = await buildHarness({ ...buildOpts, trace: false });
    const traced = o.vcd ? await buildHarness({ ...buildOpts, trace: true }) : null;
    phases.build = seconds(t0);
    const buildInfo = (b: HarnessBuild): VerifyReport['build'] => ({
      cached: b.cached,
      seconds: b.seconds,
      key: b.key,
      warnings: b.warnings,
      verilator: b.verilatorVersion,
    });

    t0 = Date.now();
    const budget = cycleBudget(design, total, gaps, bp, resets);
    const run = await runSimulation({
      binary: (traced ?? fast).binary,
      rtlDir: design.rtlDir,
      vectors: vectorsPath,
      inPix: design.inPix,
      gaps,
      backpressure: bp,
      resets,
      resultBeats: resultInputBeats(f, Math.ceil(design.pixels / design.inPix)),
      maxCycles: budget,
      timeoutSeconds: wallClockLimit(budget),
      seed,
      stallLimit: stallLimit(design, gaps, bp),
      drain: drainCycles(design, bp),
      vcd: o.vcd ? { file: o.vcd.file, from: o.vcd.from, to: o.vcd.to } : undefined,
      env: o.env,
      onProgress: (done, cycle) => progress({ phase: 'simulate', done, total, cycle }),
    });
    phases.simulate = seconds(t0);

    // 3. Compare.
    const comparison = compareResults(expected, run, Math.max(10, o.locate ?? 3));

    // 4. Cycle figures, from a clean run.
    t0 = Date.now();
    let cycles: CycleCheck;
    if (gaps === 0 && bp === 0 && run.resets === 0) {
      cycles = checkCycles(design, run, 'main');
    } else {
      const k = Math.min(n, o.timingFrames ?? 64);
      const timingPath = path.join(work, 'timing.bnnv');
      writeFileAtomic(timingPath, encodeVectors(f, images.subarray(0, k * pixels), indices.slice(0, k), labels.slice(0, k), { activations: false }));
      const timing = await runSimulation({
        binary: fast.binary,
        rtlDir: design.rtlDir,
        vectors: timingPath,
        inPix: design.inPix,
        seed,
        stallLimit: stallLimit(design, 0, 0),
        drain: drainCycles(design, 0),
        maxCycles: cycleBudget(design, k, 0, 0, 0),
        timeoutSeconds: wallClockLimit(cycleBudget(design, k, 0, 0, 0)),
        env: o.env,
        onProgress: (done, cycle) => progress({ phase: 'timing', done, total: k, cycle }),
      });
      cycles = checkCycles(design, timing, 'timing');
    }
    phases.timing = seconds(t0);

    // 5. Locate the first mismatches.
    t0 = Date.now();
    const want = Math.min(o.locate ?? 3, comparison.mismatches.length);
    const locations =
      want > 0
        ? await locateMismatches(design, f, comparison.mismatches.slice(0, want), images, work, buildOpts, seed, o.env, progress)
        : [];
    phases.locate = seconds(t0);

    // Verdict.
    const failures: string[] = [];
    if (comparison.mismatchCount > 0) {
      const inDirected = comparison.mismatches.some((m) => m.position >= n) ? ' (directed boundary images among them)' : '';
      failures.push(`${comparison.mismatchCount} of ${total} images differ from the integer model${inDirected}`);
    }
    if (run.budgetExceeded) failures.push(`the simulation ran out of its cycle budget (${budget} cycles for ${total} frames) with results outstanding`);
    if (run.staleResults > 0) failures.push(`${run.staleResults} stale result(s) after a reset: a result came out for a frame not sent again whole since the reset`);
    if (run.lateAccept > 0) failures.push(`${run.lateAccept} time(s) the first beat after a reset was not accepted at once (docs/hardware.md)`);
    if (run.timedOut) failures.push(`the simulation stalled: no handshake for ${stallLimit(design, gaps, bp)} cycles with results outstanding`);
    if (comparison.lost > 0) failures.push(`${comparison.lost} frame(s) lost: ${run.beats} result beats for ${total} frames`);
    if (run.resetReady > 0) {
      failures.push(`s_axis_tready or m_axis_tvalid high in ${run.resetReady} cycle(s) while rst was high (docs/hardware.md: no handshake during reset)`);
    }
    if (comparison.extra > 0) failures.push(`${comparison.extra} extra result beat(s): ${run.beats} result beats for ${total} frames`);
    if (!cycles.latencyOk) failures.push(`latency ${cycles.measured!.latency} cycles, planned ${design.latency}`);
    if (!cycles.iiOk) {
      const m = cycles.measured!;
      failures.push(`II ${m.iiMin === m.iiMax ? m.ii : `${m.iiMin}..${m.iiMax}`} cycles between results, planned ${design.ii}`);
    }
    const paired = Math.min(total, run.beats);
    return {
      ok: failures.length === 0,
      failures,
      design: { rtlDir: copy.sourceDir, top: design.top, model: design.modelName },
      dataset: o.dataset.name,
      frames: total,
      boundary: tracker.figures(),
      traffic: { gaps, backpressure: bp, seed, resets },
      rtlAccuracy: comparison.labelled > 0 ? comparison.rtlCorrect / comparison.labelled : NaN,
      intAccuracy: comparison.labelled > 0 ? comparison.intCorrect / comparison.labelled : NaN,
      comparison,
      locations,
      cycles,
      timedOut: run.timedOut,
      integrity: { checked: copy.checked, changed: copy.changed },
      resets: { probability: resets, made: run.resets, staleResults: run.staleResults, lateAccept: run.lateAccept },
      budget: { cycles: budget, exceeded: run.budgetExceeded },
      speed: {
        imagesPerSecond: run.simSeconds > 0 ? paired / run.simSeconds : NaN,
        cyclesPerSecond: run.simSeconds > 0 ? run.cycles / run.simSeconds : NaN,
        simulatedCycles: run.cycles,
        simSeconds: run.simSeconds,
      },
      build: buildInfo(fast),
      phases,
      vcd: o.vcd ? path.resolve(o.vcd.file) : undefined,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function loadFoldedOf(d: DesignInfo): FoldedModel {
  if (!d.foldedPath) {
    throw new InputError(d.manifestPath, 'files.folded', 'a folded model copy (folded.bnnf) beside the RTL, or pass the folded model', 'null');
  }
  return loadFolded(d.foldedPath);
}

/** The manifest, the folded model and the dataset must describe the same network. */
function checkDesignFits(d: DesignInfo, f: FoldedModel, ds: Dataset): void {
  const src = d.manifestPath;
  if (f.sourceHash !== d.modelHash) throw new InputError(src, 'model.hash', `${f.sourceHash} (the folded model's source hash)`, d.modelHash);
  if (f.classes !== d.classes) throw new InputError(src, 'output.classes', `${f.classes} (the folded model)`, String(d.classes));
  const npix = f.input[0] * f.input[1] * f.input[2];
  if (npix !== d.pixels) throw new InputError(src, 'input.pixels', `${npix} (the folded model)`, String(d.pixels));
  if (f.layers.length !== d.stages.length) throw new InputError(src, 'stages', `${f.layers.length} (one per folded layer)`, String(d.stages.length));
  if (ds.height * ds.width * ds.channels !== npix) {
    throw new InputError(ds.name, 'image size', `${f.input.join('x')} (model ${f.name})`, `${ds.height}x${ds.width}x${ds.channels}`);
  }
  if (ds.classes > f.classes) throw new InputError(ds.name, 'classes', `at most ${f.classes} (model ${f.name})`, String(ds.classes));
}

/**
 * Run the mismatching images alone through the trace build, dumping only the top level
 * (ports and stage taps), and locate each departure from the taps.
 */
async function locateMismatches(
  d: DesignInfo,
  f: FoldedModel,
  mismatches: FrameMismatch[],
  images: Uint8Array,
  work: string,
  buildOpts: { rtlDir: string; top: string; sources: string[]; cacheDir?: string; jobs?: number; quick?: boolean; env?: NodeJS.ProcessEnv },
  seed: number,
  env: NodeJS.ProcessEnv | undefined,
  progress: (p: VerifyProgress) => void,
): Promise<MismatchLocation[]> {
  const m = mismatches.length;
  progress({ phase: 'locate', done: 0, total: m });
  const px = d.pixels;
  const chosen = new Uint8Array(m * px);
  mismatches.forEach((mm, j) => chosen.set(images.subarray(mm.position * px, (mm.position + 1) * px), j * px));
  const vectorsPath = path.join(work, 'locate.bnnv');
  writeFileAtomic(
    vectorsPath,
    encodeVectors(f, chosen, mismatches.map((mm) => mm.index), mismatches.map((mm) => mm.label), { activations: false }),
  );
  const traced = await buildHarness({ ...buildOpts, trace: true });
  const vcd = path.join(work, 'locate.vcd');
  const run = await runSimulation({
    binary: traced.binary,
    rtlDir: d.rtlDir,
    vectors: vectorsPath,
    inPix: d.inPix,
    seed,
    stallLimit: stallLimit(d, 0, 0),
    drain: drainCycles(d, 0),
    // Depth 2: TOP's ports and the top module's own signals, where the taps are.
    vcd: { file: vcd, from: 0, to: m, depth: 2 },
    env,
  });
  const taps = await readStageTaps(vcd);
  const C = d.classes;
  return mismatches.map((mm, j) => {
    const rtlResult = j < run.beats ? { cls: run.classOut[j], scores: run.scores.subarray(j * C, (j + 1) * C) } : undefined;
    const loc = locateMismatch(f, taps, j, chosen.subarray(j * px, (j + 1) * px), mm.position, mm.index, rtlResult);
    progress({ phase: 'locate', done: j + 1, total: m });
    return loc;
  });
}
