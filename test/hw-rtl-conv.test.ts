/**
 * ConvNets on the RTL (Icarus): random conv stacks (kernels 1..4, channels that SIMD
 * does not divide, odd and even maps, pools with remainders, conv after conv, one or
 * several dense layers after the flatten, a conv-only net ending in a 1x1 scores conv;
 * sliding-window units with column queues, pixel queues and three window banks)
 * and random foldings are emitted, linted with `verilator --lint-only -Wall`, and
 * simulated:
 * - every result beat and every stage tap beat (one per output pixel) equals inferInt;
 * - with s_axis_tvalid and m_axis_tready always high, every result leaves at exactly the
 *   cycle the cycle model (src/hw/timing.ts) predicts: the first after plan.latency
 *   cycles, the steady-state ones plan.ii apart;
 * - with random input gaps and output back-pressure, and with a reset in the middle of a
 *   frame, nothing is lost or duplicated and every result is still exact;
 * each case at the `--pipeline` level of its seed mod 3 (or its own: level 3 on three of
 * them, whose skid registers change the queues the planner picks), one with a bit-serial first
 * convolution, one with a binarized input (--input-bits 1).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { planHardware, unitModelsOf } from '../src/hw/plan.js';
import { randomFoldedNet, randomImages, type RandomLayerSpec } from '../src/hw/random-model.js';
import { CYCLE_MODEL_FRAMES, simulateCycles } from '../src/hw/timing.js';
import { expectedBeats, simulate, type Built } from './fixtures/rtl/bench.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hw-conv-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  input: [number, number, number];
  layers: RandomLayerSpec[];
  classes: number;
  folding: FoldingSpec;
  seed: number;
  /** The first convolution bit-serial (8 bit planes per read). */
  bitSerial?: boolean;
  /** The scores layer a convolution of this kernel (covering the last map) instead of a dense layer. */
  scoresKernel?: number;
  /** A binarized input (--input-bits 1): the beat's pixels become bits p >= T before the first sliding-window unit. */
  inputThreshold?: number;
  /** The `--pipeline` level; default: the seed mod 3. */
  pipeline?: PipelineLevel;
}

const perLayer = (layers: [number, number][]): FoldingSpec => ({ kind: 'perLayer', layers: layers.map(([pe, simd]) => ({ pe, simd })), source: 'test' });

const cases: Case[] = [
  { name: 'conv_pool_fc', input: [8, 8, 1], layers: [{ conv: 4, kernel: 3 }, { pool: 2 }, { dense: 6 }], classes: 3, folding: perLayer([[2, 3], [3, 5], [2, 4]]), seed: 1 },
  { name: 'conv_conv_odd', input: [7, 9, 3], layers: [{ conv: 5, kernel: 3 }, { conv: 7, kernel: 2 }, { pool: 3 }, { dense: 5 }], classes: 4, folding: perLayer([[5, 27], [3, 7], [1, 6], [4, 5]]), seed: 2 },
  { name: 'k1_fully_folded', input: [5, 5, 2], layers: [{ conv: 3, kernel: 1 }, { pool: 2 }, { dense: 4 }, { dense: 5 }], classes: 3, folding: { kind: 'uniform', pe: 1, simd: 1 }, seed: 3 },
  { name: 'conv_only_1x1_scores', input: [6, 6, 1], layers: [{ conv: 3, kernel: 3 }, { pool: 2 }], classes: 4, folding: { kind: 'uniform', pe: 4, simd: 100 }, seed: 4, scoresKernel: 2 },
  { name: 'target_balanced', input: [10, 10, 1], layers: [{ conv: 6, kernel: 3 }, { conv: 6, kernel: 3 }, { pool: 2 }, { dense: 8 }], classes: 5, folding: { kind: 'target', targetCycles: 400 }, seed: 5 },
  // The same network at the fewest-lanes folding within 400 cycles (the planner's pick
  // before it priced foldings): conv2 finishes its frame behind conv1, so a pixel queue
  // in front of conv2 keeps the II at the slowest stage's.
  { name: 'queue_in_front', input: [10, 10, 1], layers: [{ conv: 6, kernel: 3 }, { conv: 6, kernel: 3 }, { pool: 2 }, { dense: 8 }], classes: 5, folding: perLayer([[1, 9], [6, 5], [1, 2], [1, 1]]), seed: 5 },
  { name: 'serial_conv_conv', input: [6, 7, 3], layers: [{ conv: 4, kernel: 3 }, { conv: 3, kernel: 2 }, { dense: 4 }], classes: 3, folding: perLayer([[3, 10], [2, 5], [2, 7], [3, 2]]), seed: 7, bitSerial: true },
  // A column queue (bnnc_swu's QUEUE_W) in the second sliding-window unit, behind its
  // pixel queue (conv_pool_fc has one in the first); without it the II is above the
  // slowest stage's.
  { name: 'queue_second', input: [12, 12, 2], layers: [{ conv: 4, kernel: 3 }, { conv: 5, kernel: 3 }, { dense: 6 }], classes: 3, folding: perLayer([[4, 9], [5, 9], [6, 64], [3, 6]]), seed: 8 },
  // Three window banks: a 4x4 conv at 2 cycles a window (with two, 1 idle cycle a row).
  { name: 'banks_k4', input: [16, 10, 1], layers: [{ conv: 1, kernel: 4 }, { pool: 2 }, { conv: 8, kernel: 2 }, { conv: 2, kernel: 2 }, { dense: 6 }], classes: 2, folding: { kind: 'target', targetCycles: 225 }, seed: 510 },
  { name: 'binary_in_rgb', input: [7, 8, 3], layers: [{ conv: 5, kernel: 3 }, { pool: 2 }, { dense: 4 }], classes: 3, folding: perLayer([[1, 9], [2, 5], [2, 4]]), seed: 8, inputThreshold: 200 },
  { name: 'k4_remainder_pool', input: [9, 8, 2], layers: [{ conv: 9, kernel: 4 }, { pool: 4 }, { dense: 3 }], classes: 2, folding: perLayer([[9, 32], [2, 9], [1, 3]]), seed: 6 },
];
const levelOf = (c: Case): PipelineLevel => c.pipeline ?? ((c.seed % 3) as PipelineLevel);
cases.push(
  { ...cases[0], name: 'conv_pool_fc_p3', pipeline: 3 },
  { ...cases[6], name: 'queue_second_p3', pipeline: 3 },
  { ...cases[7], name: 'banks_k4_p3', pipeline: 3 },
);

function build(c: Case): Built {
  const f = randomFoldedNet({ input: c.input, layers: c.layers, classes: c.classes, seed: c.seed, name: c.name, scoresKernel: c.scoresKernel, inputThreshold: c.inputThreshold });
  if (c.scoresKernel !== undefined) expect(f.layers.map((l) => l.kind)).toEqual(['conv', 'maxpool', 'conv']);
  const plan = planHardware(f, c.folding, { pipeline: levelOf(c), bitSerial: c.bitSerial });
  // A fresh directory per build: compile refuses to replace a directory holding the
  // bench's own files (tb.v), which its manifest does not list.
  const dir = fs.mkdtempSync(path.join(work, `${c.name}-`));
  const m = emitDesign(f, plan, dir);
  return { f, plan, m, dir };
}

function imagesFor(b: Built, frames: number, seed: number): Uint8Array {
  return randomImages(seed, b.plan.input.npix, frames);
}

function checkResults(b: Built, images: Uint8Array, outs: { data: bigint }[], first: number): void {
  const npix = b.plan.input.npix;
  outs.forEach((o, i) => {
    const fr = first + i;
    const e = expectedBeats(b.f, images.subarray(fr * npix, (fr + 1) * npix));
    expect(o.data.toString(16), `frame ${fr} result`).toBe(e.beat.toString(16));
  });
}

describe('ConvNet RTL: results, taps and the exact cycle model (Icarus)', () => {
  for (const c of cases) {
    it(`${c.name} (pipeline ${levelOf(c)}): lint-clean; every result at the modelled cycle; results and taps exact`, () => {
      const b = build(c);
      const lint = execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', b.m.top, ...b.m.files.verilog], {
        cwd: b.dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(lint).toBe('');
      const frames = CYCLE_MODEL_FRAMES;
      const images = imagesFor(b, frames, c.seed);
      const maxCycles = 50 + b.plan.latency + (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: false, resetAt: -10, restartFrame: 0, maxCycles });
      expect(r.outs).toHaveLength(frames);
      // The model's schedule, result by result.
      const model = simulateCycles(b.plan.input.beats, unitModelsOf(b.plan), frames);
      const t0 = r.ins[0].cycle;
      expect(r.ins.map((x) => x.cycle - t0), 'frame starts').toEqual(model.inEdge);
      expect(r.outs.map((o) => o.cycle - t0), 'result cycles').toEqual(model.outEdge);
      expect(r.outs[0].cycle - t0, 'latency').toBe(b.plan.latency);
      expect(r.outs[frames - 1].cycle - r.outs[frames - 2].cycle, 'steady-state II').toBe(b.plan.ii);
      // The network II is the most work per frame of any stage. In conv_pool_fc only
      // because of the column queue in the first sliding-window unit: its fill (2 rows
      // and 3 pixels from s_axis) outlasts the 2 x 6 cycles of its two banked windows
      // (without the queue the II is 224; docs/hardware.md).
      const most = Math.max(b.plan.input.beats, ...b.plan.stages.map((s) => s.frameCycles));
      expect(b.plan.ii, 'II = the slowest stage').toBe(most);
      const queue = (k: number): number => {
        const s = b.plan.stages[k];
        return s.kind === 'mvtu' && s.feed.kind === 'window' ? s.feed.queueColumns : -1;
      };
      if (c.name === 'conv_pool_fc') expect(queue(0)).toBe(2);
      if (c.name === 'queue_second') expect(queue(1)).toBeGreaterThan(0);
      if (c.name === 'banks_k4') expect(b.plan.stages[0].kind === 'mvtu' && b.plan.stages[0].feed.kind === 'window' && b.plan.stages[0].feed.banks).toBe(3);
      if (c.name === 'target_balanced') expect(b.plan.ii).toBeLessThanOrEqual(400);
      if (c.name === 'queue_in_front') {
        // Without the queue in front of conv2 the II would be above the slowest stage's.
        expect(b.plan.stages[1].kind === 'mvtu' && b.plan.stages[1].feed.kind === 'window' && b.plan.stages[1].feed.fifoDepth).toBeGreaterThan(0);
      }
      // Each stage's last beat of frame 0 at the cycle the plan says (its `done`).
      b.plan.stages.slice(0, -1).forEach((s, k) => {
        const perFrame = s.kind === 'pool' ? s.outShape[0] * s.outShape[1] : s.vectors;
        expect(r.tapCycles[k][perFrame - 1] - t0, `stage ${k} done`).toBe(s.done);
      });
      expect(b.plan.stages[b.plan.stages.length - 1].done).toBe(b.plan.latency);
      checkResults(b, images, r.outs, 0);
      for (let fr = 0; fr < frames; fr++) {
        const e = expectedBeats(b.f, images.subarray(fr * b.plan.input.npix, (fr + 1) * b.plan.input.npix));
        e.layers.forEach((beats, k) => {
          const got = r.taps[k].slice(fr * beats.length, (fr + 1) * beats.length).map((v) => v.toString(16));
          expect(got, `frame ${fr} stage ${k} tap`).toEqual(beats.map((v) => v.toString(16)));
        });
      }
    });
  }

  for (const c of [cases[1], cases[2], cases[4], cases[6], cases[7], cases[10], cases[11]]) {
    it(`${c.name}: random input gaps and output back-pressure lose and duplicate nothing`, () => {
      const b = build(c);
      const frames = 5;
      const images = imagesFor(b, frames, c.seed + 1000);
      const maxCycles = 500 + 3 * b.plan.latency + 8 * (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: true, resetAt: -10, restartFrame: 0, maxCycles });
      expect(r.outs).toHaveLength(frames);
      checkResults(b, images, r.outs, 0);
    });
  }

  for (const c of [cases[0], cases[1], cases[6]]) {
    it(`${c.name}: reset in the middle of a frame drops the frames in flight, then works`, () => {
      const b = build(c);
      const frames = 6;
      const restartFrame = 3;
      const images = imagesFor(b, frames, c.seed + 2000);
      const resetAt = 3 + b.plan.latency + Math.floor(b.plan.input.beats / 2);
      const maxCycles = resetAt + 100 + b.plan.latency + (frames + 1) * b.plan.ii;
      const r = simulate(b, images, { frames, stall: false, resetAt, restartFrame, maxCycles });
      expect(r.outsBeforeReset).toBeGreaterThanOrEqual(0);
      checkResults(b, images, r.outs.slice(0, r.outsBeforeReset), 0);
      expect(r.outs.length - r.outsBeforeReset).toBe(frames - restartFrame);
      checkResults(b, images, r.outs.slice(r.outsBeforeReset), restartFrame);
    });
  }
});
