/**
 * Whole-design verification through Verilator: tfc and sfc shaped networks (random
 * weights, random batch norms) at three foldings each, including foldings whose PE and
 * SIMD do not divide the layer sizes, on 1000 real MNIST test images: every class and
 * score equals the integer model, the measured II and latency equal the plan, and with
 * random idle gaps, back-pressure and seeded mid-frame / mid-result resets every frame
 * still comes out once, in order, bit-exact, with docs/hardware.md's reset promises kept
 * (nothing stale after a reset, the first beat after it accepted at once).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FoldingSpec } from '../src/hw/folding.js';
import { inferIntBatch } from '../src/int/infer.js';
import { verifyRtl } from '../src/sim/verify.js';
import { compileDesign, mnistTest, randomFolded, type CompiledDesign } from './fixtures/sim/designs.js';

const IMAGES = 1000;

const CASES: Array<{ arch: string; folding: FoldingSpec; inPix?: number; label: string }> = [
  { arch: 'tfc', folding: { kind: 'uniform', pe: 4, simd: 8 }, label: 'PE 4 SIMD 8' },
  { arch: 'tfc', folding: { kind: 'uniform', pe: 10, simd: 7 }, label: 'PE 10 SIMD 7 (padded neurons and synapses)' },
  { arch: 'tfc', folding: { kind: 'uniform', pe: 16, simd: 32 }, inPix: 4, label: 'PE 16 SIMD 32, 4 pixels per beat (input-bound)' },
  { arch: 'sfc', folding: { kind: 'uniform', pe: 16, simd: 16 }, label: 'PE 16 SIMD 16' },
  { arch: 'sfc', folding: { kind: 'uniform', pe: 12, simd: 20 }, label: 'PE 12 SIMD 20 (padded neurons and synapses)' },
  { arch: 'sfc', folding: { kind: 'target', targetCycles: 200 }, label: 'per-layer folding for a 200-cycle target' },
];

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-verify-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.each(CASES)('$arch, $label', ({ arch, folding, inPix }) => {
  let d: CompiledDesign;
  beforeAll(() => {
    const name = `${arch}-${folding.kind === 'uniform' ? `${folding.pe}x${folding.simd}` : 'target'}`;
    d = compileDesign(randomFolded(arch, 11), folding, path.join(work, name), inPix);
  });

  it(`is bit-exact on ${IMAGES} MNIST test images with the planned II and latency`, async () => {
    const ds = mnistTest();
    const r = await verifyRtl({ rtlDir: d.dir, dataset: ds, limit: IMAGES });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.frames).toBe(IMAGES);
    expect(r.comparison.mismatchCount).toBe(0);
    expect(r.comparison.beats).toBe(IMAGES);
    // The reference accuracy, computed here independently of the verifier.
    const ref = inferIntBatch(d.folded, ds.images.subarray(0, IMAGES * 784), IMAGES);
    let correct = 0;
    for (let i = 0; i < IMAGES; i++) if (ref.predictions[i] === ds.labels[i]) correct++;
    expect(r.comparison.intCorrect).toBe(correct);
    expect(r.comparison.rtlCorrect).toBe(correct);
    // Cycles: exactly the plan (src/hw), measured on every steady-state interval.
    expect(r.cycles.source).toBe('main');
    expect(r.cycles.measured!.latency).toBe(d.plan.latency);
    expect(r.cycles.measured!.iiMin).toBe(d.plan.ii);
    expect(r.cycles.measured!.iiMax).toBe(d.plan.ii);
    expect(r.cycles.measured!.intervals).toBe(IMAGES / 2);
    if (inPix !== undefined) expect(d.plan.bottleneck).toBe(-1); // the input stage sets the pace
  });

  it('stays bit-exact with random idle gaps and back-pressure, losing and duplicating nothing', async () => {
    for (const [gaps, backpressure, seed, resets] of [
      [0.3, 0.5, 2, 0],
      [0.05, 0.9, 3, 0],
      [0.1, 0.3, 4, 0.2],
    ]) {
      const r = await verifyRtl({ rtlDir: d.dir, dataset: mnistTest(), limit: IMAGES, gaps, backpressure, seed, resets, timingFrames: 16 });
      expect(r.failures).toEqual([]);
      expect(r.comparison.mismatchCount).toBe(0);
      expect(r.comparison.lost).toBe(0);
      expect(r.comparison.extra).toBe(0);
      expect(r.timedOut).toBe(false);
      expect(r.traffic).toEqual({ gaps, backpressure, seed, resets });
      if (resets > 0) {
        // About one frame in five reset while in flight (each frame's first beat draws).
        expect(r.resets.made).toBeGreaterThan(IMAGES * resets * 0.5);
        expect(r.resets.staleResults).toBe(0);
        expect(r.resets.lateAccept).toBe(0);
      }
      // The clean timing run still meets the plan.
      expect(r.cycles.source).toBe('timing');
      expect(r.cycles.measured!.latency).toBe(d.plan.latency);
      expect(r.cycles.measured!.ii).toBe(d.plan.ii);
    }
  });
});
