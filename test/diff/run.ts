/**
 * Running one differential case through the whole flow and listing every way it
 * departs from the references:
 *
 * 1. float model -> integer model (float cases): every hidden layer's bits (each sign's
 *    and each pool's map) equal the float model's (src/nn/eval.ts) on every image, and
 *    every integer score is the float score times 2^fracBits within the rounding of mul
 *    and add;
 * 2. the folded model passes the contract's checks; the fast engine (inferIntBatch)
 *    equals the readable reference (inferInt);
 * 3. the plan's cycle figures equal the cycle model re-derived here from docs/hardware.md
 *    (II = max(beats, NF*SF), latency = beats - 1 + sum(NF*SF + 3 + pipeline cycles),
 *    the pipeline cycles being 0, 1, 3, 3 at --pipeline 0, 1, 2, 3, plus 0, 2, 3, 3 in the scores
 *    stage;
 *    NF*SF*8 for a bit-serial first layer),
 *    and the folding is what was asked for. A ConvNet's figures come from the cycle
 *    simulation of src/hw/timing.ts, with no closed form to re-derive: there the plan's
 *    II must be at least the slowest stage's work per frame, and step 4 holds the RTL to
 *    the plan exactly;
 * 4. emitDesign -> verifyRtl (Verilator): no failure, every class and score equal to the
 *    integer model, every frame out exactly once, and the measured II and latency equal
 *    the figures of step 3. The images are labelled with inferInt's classes, so the RTL's
 *    accuracy against them must be 100 %: the RTL classes equal the reference directly,
 *    not only through the verifier's own expectations.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Dataset } from '../../src/data/types.js';
import { emitDesign } from '../../src/emit/emit.js';
import { planHardware, type HwPlan, mvtuStages } from '../../src/hw/plan.js';
import { checkFolded } from '../../src/int/check.js';
import { inferInt, inferIntBatch } from '../../src/int/infer.js';
import { getBit } from '../../src/int/bits.js';
import type { FoldedMatrixLayer } from '../../src/int/types.js';
import { encodeFolded } from '../../src/int/serialize.js';
import { evalFloat } from '../../src/nn/eval.js';
import { verifyRtl } from '../../src/sim/verify.js';
import { makeCase, type DiffCase } from './cases.js';

export interface CaseOutcome {
  seed: number;
  summary: string;
  /** One line per departure; empty when the case passed. */
  failures: string[];
  frames: number;
  /** The Verilator build came from the cache (another variant of the group built it). */
  cached: boolean;
  buildSeconds: number;
  seconds: number;
}

export interface RunOptions {
  /** Scratch directory; the case's design is written below it and removed afterwards. */
  work: string;
  /** Verilator build cache (default: .cache/verilator, shared with the other suites). */
  cacheDir?: string;
  /** Mismatching images to locate to a layer and neuron (default 1; each costs a trace build). */
  locate?: number;
  /** Change the emitted design before it is verified (for testing that this harness fails). */
  tamper?: (rtlDir: string) => void;
}

/** The cycle model, re-derived from docs/hardware.md rather than taken from src/hw. */
function expectedCycles(plan: HwPlan, bitSerial: boolean): { ii: number; latency: number } {
  const beats = Math.ceil(plan.input.npix / plan.input.inPix);
  let ii = beats;
  let latency = beats - 1;
  for (const s of mvtuStages(plan)) {
    // a bit-serial first layer reads each word once per bit plane
    const planes = s.index === 0 && bitSerial ? 8 : 1;
    const stageII = Math.ceil(s.mh / s.pe) * Math.ceil(s.mw / s.simd) * planes;
    ii = Math.max(ii, stageII);
    const level = plan.pipeline;
    // level 3 = level 2's registers (its skid registers and start-from-threshold add no cycle)
    latency += stageII + 3 + (level >= 2 ? 3 : level) + (s.output === 'scores' ? [0, 2, 3, 3][level] : 0);
  }
  return { ii, latency };
}

function checkFolding(c: DiffCase, plan: HwPlan, fail: (m: string) => void): void {
  const f = c.structure.folding;
  mvtuStages(plan).forEach((s, k) => {
    const at = `stage ${k} (${s.mh}x${s.mw})`;
    if (f.kind === 'uniform' && (s.pe !== Math.min(f.pe, s.mh) || s.simd !== Math.min(f.simd, s.mw))) {
      fail(`${at}: PE ${s.pe} SIMD ${s.simd}, asked uniform ${f.pe}x${f.simd} (clamped)`);
    }
    if (f.kind === 'perLayer' && (s.pe !== f.layers[k].pe || s.simd !== f.layers[k].simd)) {
      fail(`${at}: PE ${s.pe} SIMD ${s.simd}, asked ${f.layers[k].pe}x${f.layers[k].simd}`);
    }
    // A convolution's work per frame is its II per output pixel times the pixels.
    if (f.kind === 'target' && s.frameCycles > f.targetCycles) fail(`${at}: ${s.frameCycles} cycles per frame, over the target ${f.targetCycles}`);
  });
  const inPix = c.structure.net === 'conv' ? c.folded.input[2] : (c.structure.inPix ?? mvtuStages(plan)[0].simd);
  if (plan.input.inPix !== inPix) fail(`input stage: ${plan.input.inPix} pixels per beat, expected ${inPix}`);
}

/** Level 1: the fold against the float model (see the header). */
function checkFloatAgainstInt(c: DiffCase, fail: (m: string) => void): void {
  const model = c.model!;
  const f = c.folded;
  const npix = f.input[0] * f.input[1] * f.input[2];
  const last = f.layers[f.layers.length - 1] as FoldedMatrixLayer;
  if (last.output.kind !== 'scores') return fail('the last folded layer is not a scores layer');
  const { mul, add, fracBits } = last.output;
  const accAbs = last.input === 'bits' ? last.cols : 255 * last.cols;
  const scale = 2 ** fracBits;
  let reported = 0;
  for (let i = 0; i < c.n && reported < 3; i++) {
    const img = c.images.subarray(i * npix, (i + 1) * npix);
    const fl = evalFloat(model, img, true);
    const int = inferInt(f, img, true);
    // The float model's signs and pools, in order, are the folded model's hidden layers
    // (threshold layers and pools), each map in (h, w, c) order.
    const hidden = model.graph.layers.map((l, k) => (l.kind === 'sign' || l.kind === 'maxpool' ? fl.activations![k] : null)).filter((a): a is Float64Array => a !== null);
    hidden.forEach((s, k) => {
      const bits = int.layerBits![k];
      for (let j = 0; j < s.length; j++) {
        if ((s[j] > 0 ? 1 : 0) !== getBit(bits, j)) {
          fail(`image ${i}: hidden layer ${k} (${f.layers[k].name}) element ${j}: float ${s[j]}, integer bit ${getBit(bits, j)}`);
          reported++;
          return;
        }
      }
    });
    for (let j = 0; j < f.classes; j++) {
      const want = fl.scores[j] * scale;
      // mul and add are rounded to integers: at most 0.5 * |v| + 0.5 apart, plus float64 noise.
      const tol = 0.5 * (accAbs + 1) + 1e-9 * (Math.abs(want) + Math.abs(mul[j]) * accAbs + Math.abs(add[j]) + 1);
      if (!(Math.abs(int.scores[j] - want) <= tol)) {
        fail(`image ${i}: score ${j}: integer ${int.scores[j]}, float ${fl.scores[j]} x 2^${fracBits} = ${want} (tolerance ${tol})`);
        reported++;
        break;
      }
    }
  }
}

export async function runCase(seed: number, opts: RunOptions): Promise<CaseOutcome> {
  const t0 = Date.now();
  const failures: string[] = [];
  const fail = (m: string): void => {
    failures.push(m);
  };
  const c = makeCase(seed);
  const outcome = (cached: boolean, buildSeconds: number): CaseOutcome => ({
    seed,
    summary: c.summary,
    failures,
    frames: c.n,
    cached,
    buildSeconds,
    seconds: (Date.now() - t0) / 1000,
  });
  const f = c.folded;
  const npix = f.input[0] * f.input[1] * f.input[2];

  checkFolded(f, `diff case ${seed}`);
  if (c.model) checkFloatAgainstInt(c, fail);

  // The reference classes (readable inferInt) and the fast engine, image by image.
  const labels = new Uint8Array(c.n);
  const batch = inferIntBatch(f, c.images, c.n);
  for (let i = 0; i < c.n; i++) {
    const ref = inferInt(f, c.images.subarray(i * npix, (i + 1) * npix));
    labels[i] = ref.prediction;
    const same = batch.predictions[i] === ref.prediction && ref.scores.every((v, j) => batch.scores[i * f.classes + j] === v);
    if (!same) fail(`image ${i}: inferIntBatch differs from inferInt`);
  }

  const plan = planHardware(f, c.structure.folding, { inPix: c.structure.inPix, pipeline: c.structure.pipeline, bitSerial: c.structure.bitSerial });
  if (plan.pipeline !== c.structure.pipeline) fail(`plan: pipeline ${plan.pipeline}, asked ${c.structure.pipeline}`);
  checkFolding(c, plan, fail);
  let cycles: { ii: number; latency: number };
  if (c.structure.net === 'mlp') {
    cycles = expectedCycles(plan, c.structure.bitSerial);
    if (plan.ii !== cycles.ii || plan.latency !== cycles.latency) {
      fail(`plan: II ${plan.ii} latency ${plan.latency}, the cycle model says II ${cycles.ii} latency ${cycles.latency}`);
    }
  } else {
    // A ConvNet's figures come from the cycle simulation of src/hw/timing.ts, which has
    // no closed form to re-derive here; the RTL must meet them exactly (below), and they
    // cannot beat the slowest stage's work per frame nor the sum of the stages' delays.
    cycles = { ii: plan.ii, latency: plan.latency };
    const most = Math.max(plan.input.beats, ...plan.stages.map((s) => s.frameCycles));
    if (plan.ii < most) fail(`plan: II ${plan.ii} below the slowest stage's ${most} cycles per frame`);
    if (plan.stages[plan.stages.length - 1].done !== plan.latency) fail(`plan: last stage done at ${plan.stages[plan.stages.length - 1].done}, latency ${plan.latency}`);
  }

  const dir = path.join(opts.work, `case-${seed}`);
  try {
    const manifest = emitDesign(f, plan, dir, { encodeFolded });
    if (manifest.cycles.ii !== cycles.ii || manifest.cycles.latency !== cycles.latency) {
      fail(`manifest: II ${manifest.cycles.ii} latency ${manifest.cycles.latency}, expected ${cycles.ii} and ${cycles.latency}`);
    }
    opts.tamper?.(dir);
    const [height, width, channels] = f.input;
    const dataset: Dataset = { name: `diff case ${seed}`, n: c.n, height, width, channels, classes: f.classes, images: c.images, labels };
    const r = await verifyRtl({
      rtlDir: dir,
      dataset,
      gaps: c.gaps,
      backpressure: c.backpressure,
      resets: c.resets,
      seed: seed % 1000003,
      cacheDir: opts.cacheDir,
      // Unoptimised Verilator and C++: a few dozen frames per design do not repay -O3.
      quickBuild: true,
      locate: opts.locate ?? 1,
      // A ConvNet's steady state comes within a few frames (src/hw/timing.ts simulates 6).
      timingFrames: c.structure.net === 'conv' ? 8 : undefined,
    });
    for (const line of r.failures) fail(`verify: ${line}`);
    // docs/hardware.md's reset promises, counted by the harness (also among the failures).
    if (r.resets.staleResults !== 0 || r.resets.lateAccept !== 0) {
      fail(`resets: ${r.resets.made} made, ${r.resets.staleResults} stale results, ${r.resets.lateAccept} late first beats`);
    }
    for (const m of r.comparison.mismatches.slice(0, 3)) {
      fail(`image ${m.position}: RTL class ${m.rtlClass} scores [${m.rtlScores.join(', ')}], integer model ${m.expectedClass} [${m.expectedScores.join(', ')}]`);
    }
    for (const loc of r.locations) fail(`first departure: ${JSON.stringify(loc)}`);
    if (r.comparison.beats !== c.n) fail(`${r.comparison.beats} result beats for ${c.n} frames`);
    if (r.comparison.rtlCorrect !== c.n) fail(`RTL classes equal inferInt's on ${r.comparison.rtlCorrect} of ${c.n} images`);
    const m = r.cycles.measured;
    if (!m) fail('no cycle figures measured');
    else {
      if (m.latency !== cycles.latency) fail(`measured latency ${m.latency}, cycle model ${cycles.latency}`);
      if (m.iiMin !== cycles.ii || m.iiMax !== cycles.ii) fail(`measured II ${m.iiMin}..${m.iiMax}, cycle model ${cycles.ii}`);
      if (m.intervals < 1) fail('no result interval measured');
    }
    return outcome(r.build.cached, r.build.seconds);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
