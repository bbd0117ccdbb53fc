/**
 * The cycle model and the arithmetic, proved on the RTL: random networks and foldings
 * (PE and SIMD that do not divide, IN_PIX != SIMD, single layers, input-bound and
 * MVTU-bound pipelines) are emitted, simulated with Icarus Verilog, and
 * - with s_axis_tvalid always high and m_axis_tready always high, results leave exactly
 *   every plan.ii cycles and the first one after exactly plan.latency cycles;
 * - every result beat (class and scores) equals inferInt (src/int/infer.ts), and every
 *   stage tap carries inferInt's layer bits;
 * - with random input gaps and output back-pressure, and with a reset in the middle of
 *   a frame, no frame is lost or duplicated and every result is still exact;
 * - `verilator --lint-only -Wall` has nothing to say about any of them;
 * and all of it at every `--pipeline` level (each case at the level of its seed mod 3,
 * the tie-prone one at all three), whose registers add exactly the plan's cycles, and
 * with a bit-serial first layer (II 8*NF*SF).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { planHardware, type MvtuStage } from '../src/hw/plan.js';
import { randomFoldedMlp, randomImages } from '../src/hw/random-model.js';
import { getBit } from '../src/int/bits.js';
import { inferInt } from '../src/int/infer.js';
import { wordsPerRow, type FoldedMatrixLayer, type FoldedModel } from '../src/int/types.js';
import { Rng } from '../src/util/rng.js';
import { expectedBeats, simulate, type Built } from './fixtures/rtl/bench.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hw-rtl-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  input: [number, number, number];
  hidden: number[];
  classes: number;
  folding: FoldingSpec;
  inPix?: number;
  tieProne?: boolean;
  seed: number;
  pipeline?: PipelineLevel;
  bitSerial?: boolean;
  /** Thresholds moved to the accumulators of frame 0's image (acc = T, or T - 1): every neuron at the boundary. */
  atBoundary?: boolean;
}

const perLayer = (layers: [number, number][]): FoldingSpec => ({
  kind: 'perLayer',
  layers: layers.map(([pe, simd]) => ({ pe, simd })),
  source: 'test',
});

const cases: Case[] = [
  { name: 'divides', input: [4, 4, 1], hidden: [8], classes: 4, folding: { kind: 'uniform', pe: 4, simd: 4 }, seed: 1 },
  { name: 'nondividing', input: [5, 5, 1], hidden: [13, 11], classes: 5, folding: perLayer([[3, 7], [5, 4], [2, 3]]), seed: 2 },
  { name: 'fully_folded', input: [3, 4, 1], hidden: [6, 5], classes: 3, folding: { kind: 'uniform', pe: 1, simd: 1 }, seed: 3 },
  { name: 'wide_ii1', input: [4, 5, 1], hidden: [12, 10], classes: 3, folding: { kind: 'uniform', pe: 100, simd: 100 }, seed: 4 },
  { name: 'input_bound', input: [6, 6, 1], hidden: [9], classes: 4, folding: perLayer([[9, 36], [4, 9]]), inPix: 5, seed: 5 },
  { name: 'inpix_ne_simd', input: [4, 4, 2], hidden: [10, 7], classes: 6, folding: perLayer([[4, 6], [3, 4], [6, 2]]), inPix: 3, seed: 6 },
  { name: 'bits_bottleneck', input: [3, 3, 1], hidden: [30, 9], classes: 4, folding: perLayer([[10, 9], [1, 2], [4, 9]]), seed: 7 },
  { name: 'single_layer', input: [4, 5, 1], hidden: [], classes: 3, folding: { kind: 'uniform', pe: 2, simd: 7 }, seed: 8 },
  { name: 'target_ties', input: [5, 6, 1], hidden: [16, 12], classes: 10, folding: { kind: 'target', targetCycles: 24 }, tieProne: true, seed: 9 },
];

// A few more drawn at random: sizes, PE and SIMD anywhere in range.
{
  const rng = new Rng(2024);
  for (let i = 0; i < 3; i++) {
    const input: [number, number, number] = [2 + rng.int(5), 2 + rng.int(5), 1 + rng.int(2)];
    const hidden = Array.from({ length: rng.int(3) + 1 }, () => 2 + rng.int(20));
    const classes = 2 + rng.int(9);
    const sizes = [input[0] * input[1] * input[2], ...hidden, classes];
    const layers: [number, number][] = sizes.slice(1).map((mh, k) => [1 + rng.int(mh), 1 + rng.int(sizes[k])]);
    cases.push({ name: `random_${i}`, input, hidden, classes, folding: perLayer(layers), seed: 100 + i });
  }
}

const levelOf = (c: Case): PipelineLevel => c.pipeline ?? ((c.seed % 3) as PipelineLevel);

// The tie-prone network at the other two levels too: the argmax sees ties at each.
for (const pipeline of [1, 2] as PipelineLevel[]) cases.push({ ...cases[8], name: `target_ties_p${pipeline}`, pipeline });
// One PE in the scores layer with registered scores: the argmax compares a cycle early
// (bnnc_argmax PRE); with SF = 1 its folds come back to back, so each is compared
// against the one being taken in the same cycle. Tie-prone, at both levels.
// A scores layer on 40 bits (acc 7 bits as a signed number): at level 2 its product is
// made of three parts of acc (bnnc_pe g_prod_split3), one PE and SF = 1.
cases.push({ name: 'wide_scores_p2', input: [4, 4, 1], hidden: [40], classes: 4, folding: perLayer([[8, 16], [1, 40]]), seed: 21, pipeline: 2 });
for (const pipeline of [1, 2] as PipelineLevel[]) {
  cases.push({ ...cases[2], name: `fully_folded_p${pipeline}`, pipeline });
  cases.push({
    name: `pe1_back_to_back_ties_p${pipeline}`,
    input: [5, 6, 1],
    hidden: [16, 12],
    classes: 10,
    folding: perLayer([[4, 10], [4, 16], [1, 12]]),
    tieProne: true,
    seed: 19,
    pipeline,
  });
}
// Level 3 (a skid register behind each MVTU's output register): a bottleneck in the
// middle (the stages before it run ahead under its back-pressure, one vector more), II 1
// stages back to back, an input-bound net, several folds into a one-PE scores layer.
cases.push(
  { ...cases[6], name: 'bits_bottleneck_p3', pipeline: 3 },
  { ...cases[3], name: 'wide_ii1_p3', pipeline: 3 },
  { ...cases[4], name: 'input_bound_p3', pipeline: 3 },
  { ...cases[5], name: 'inpix_ne_simd_p3', pipeline: 3 },
  { ...cases[8], name: 'target_ties_p3', pipeline: 3 },
);
// Every threshold at its boundary on frame 0 (acc = T and acc = T - 1): pixels and
// bits, parallel and bit-serial, at level 2 (acc >= T compared) and 3 (the sign of
// acc - T accumulated from -T).
for (const pipeline of [2, 3] as PipelineLevel[]) {
  cases.push(
    { ...cases[1], name: `boundary_p${pipeline}`, atBoundary: true, pipeline },
    { ...cases[5], name: `boundary_serial_p${pipeline}`, atBoundary: true, bitSerial: true, pipeline },
  );
}
// A bit-serial first layer (8 bit planes per read) at each level: sizes that do not
// divide, one wide read, a single (scores) layer, a target folding.
cases.push(
  { ...cases[1], name: 'serial_nondividing', bitSerial: true, pipeline: 0 },
  { ...cases[3], name: 'serial_wide', bitSerial: true, pipeline: 1 },
  { ...cases[7], name: 'serial_single_layer', bitSerial: true, pipeline: 2 },
  { ...cases[8], name: 'serial_target', bitSerial: true, folding: { kind: 'target', targetCycles: 48 }, pipeline: 1 },
);
// The planner's fastest folding within 600 modelled LUTs and no block RAM (src/hw/planner.ts):
// PE 2 x SIMD 5, 1 x 5, 1 x 2, 35 cycles per frame (test/hw-planner.test.ts checks the choice).
cases.push({ ...cases[1], name: 'planner_fit_luts', folding: { kind: 'fit', limits: { maxLuts: 600, maxBram: 0 } }, pipeline: 0 });

/**
 * Move every threshold to the accumulator the image gives its neuron (T = acc: bit 1),
 * or one above it (T = acc + 1: bit 0), alternately, layer by layer: a comparison off by
 * one anywhere changes an output bit of that image.
 */
function thresholdsAtBoundary(f: FoldedModel, pixels: Uint8Array): void {
  f.layers.forEach((l, k) => {
    const m = l as FoldedMatrixLayer;
    if (m.output.kind !== 'threshold') return;
    const bits = k === 0 ? null : inferInt(f, pixels, true).layerBits![k - 1];
    const wpr = wordsPerRow(m.cols);
    for (let r = 0; r < m.rows; r++) {
      let acc = 0;
      for (let j = 0; j < m.cols; j++) {
        const w = getBit(m.weights, r * wpr * 32 + j);
        acc += bits === null ? (w ? pixels[j] : -pixels[j]) : getBit(bits, j) === w ? 1 : 0;
      }
      m.output.thresholds[r] = acc + (r % 2);
    }
  });
}

function build(c: Case): Built {
  const f = randomFoldedMlp({ input: c.input, hidden: c.hidden, classes: c.classes, seed: c.seed, name: c.name, tieProne: c.tieProne });
  if (c.atBoundary) thresholdsAtBoundary(f, randomImages(c.seed, c.input[0] * c.input[1] * c.input[2], 1));
  const plan = planHardware(f, c.folding, { inPix: c.inPix, pipeline: levelOf(c), bitSerial: c.bitSerial });
  expect(plan.pipeline).toBe(levelOf(c));
  expect((plan.stages[0] as MvtuStage).planes).toBe(c.bitSerial ? 8 : 1);
  // A fresh directory per build: compile refuses to replace a directory holding the
  // bench's own files (tb.v), which its manifest does not list.
  const dir = fs.mkdtempSync(path.join(work, `${c.name}-`));
  const m = emitDesign(f, plan, dir);
  return { f, plan, m, dir };
}

function frameImages(b: Built, frames: number, seed: number): Uint8Array {
  return randomImages(seed, b.plan.input.npix, frames);
}

describe('RTL cycle model and results (Icarus)', () => {
  let tiesSeen = 0;

  for (const c of cases) {
    it(`${c.name} (pipeline ${levelOf(c)}): lint-clean; II, latency, results and stage taps`, () => {
      const b = build(c);
      // These small designs reach generate branches the tfc/sfc/lfc checks do not
      // (IN_PIX != SIMD, one fold, one layer...): lint them too.
      const lint = execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', b.m.top, ...b.m.files.verilog], {
        cwd: b.dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(lint).toBe('');
      const frames = 6;
      const images = frameImages(b, frames, c.seed);
      const maxCycles = 20 + b.plan.latency + (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: false, resetAt: -10, restartFrame: 0, maxCycles });

      expect(r.ins.map((x) => x.frame)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(r.outs).toHaveLength(frames);
      // Latency: the first frame enters an empty pipeline with back-to-back beats.
      expect(r.outs[0].cycle - r.ins[0].cycle, 'latency').toBe(b.plan.latency);
      // II: results leave exactly every plan.ii cycles.
      const intervals = r.outs.slice(1).map((o, i) => o.cycle - r.outs[i].cycle);
      expect(intervals, 'intervals between results').toEqual(new Array(frames - 1).fill(b.plan.ii));

      for (let fr = 0; fr < frames; fr++) {
        const e = expectedBeats(b.f, images.subarray(fr * b.plan.input.npix, (fr + 1) * b.plan.input.npix));
        expect(r.outs[fr].data.toString(16), `frame ${fr} result`).toBe(e.beat.toString(16));
        e.layers.forEach((beats, k) => expect(r.taps[k][fr]?.toString(16), `frame ${fr} stage ${k} tap`).toBe(beats[0].toString(16)));
        if (e.tie) tiesSeen++;
      }
      for (const t of r.taps) expect(t).toHaveLength(frames);
    });
  }

  it('the tie-prone network produced argmax ties (so tie-breaking was exercised)', () => {
    expect(tiesSeen).toBeGreaterThan(0);
  });

  const p3 = (name: string): Case => cases.find((c) => c.name === name)!;
  for (const c of [cases[1], cases[5], cases[6], cases[8], p3('bits_bottleneck_p3'), p3('target_ties_p3')]) {
    it(`${c.name} (pipeline ${levelOf(c)}): random input gaps and output back-pressure lose and duplicate nothing`, () => {
      const b = build(c);
      const frames = 10;
      const images = frameImages(b, frames, c.seed + 1000);
      const maxCycles = 200 + 2 * b.plan.latency + 8 * (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: true, resetAt: -10, restartFrame: 0, maxCycles });
      expect(r.outs).toHaveLength(frames);
      r.outs.forEach((o, fr) => {
        const e = expectedBeats(b.f, images.subarray(fr * b.plan.input.npix, (fr + 1) * b.plan.input.npix));
        expect(o.data.toString(16), `frame ${fr}`).toBe(e.beat.toString(16));
      });
    });
  }

  for (const c of [cases[1], cases[4], cases[5], p3('inpix_ne_simd_p3')]) {
    it(`${c.name} (pipeline ${levelOf(c)}): reset in the middle of a frame drops the frames in flight, then works`, () => {
      const b = build(c);
      const frames = 8;
      const restartFrame = 4;
      const images = frameImages(b, frames, c.seed + 2000);
      // Steady streaming: frame 2 starts near cycle 3 + 2*II; hit the middle of it.
      const resetAt = 3 + 2 * b.plan.ii + Math.floor(b.plan.input.beats / 2);
      const maxCycles = resetAt + 50 + b.plan.latency + (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: false, resetAt, restartFrame, maxCycles });
      expect(r.outsBeforeReset).toBeGreaterThanOrEqual(0);
      const expected = (fr: number) =>
        expectedBeats(b.f, images.subarray(fr * b.plan.input.npix, (fr + 1) * b.plan.input.npix)).beat.toString(16);
      // Before the reset: a prefix of the frames, in order.
      for (let i = 0; i < r.outsBeforeReset; i++) expect(r.outs[i].data.toString(16)).toBe(expected(i));
      // After it: exactly the frames sent after it.
      const after = r.outs.slice(r.outsBeforeReset).map((o) => o.data.toString(16));
      expect(after).toEqual(Array.from({ length: frames - restartFrame }, (_, i) => expected(restartFrame + i)));
    });
  }
});
