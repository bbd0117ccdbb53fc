/**
 * Threshold-boundary coverage catches what a sampled verify misses: `>` for `>=` in the
 * generated threshold comparison, and a threshold off by one (T+1 and T-1 in a ROM
 * image) in every threshold layer, on 200 MNIST images with --boundary.
 *
 * The design is the random tfc of test/sim-mutation.test.ts (same RTL, so the cached
 * Verilator build is shared). For each layer and each direction the mutated neuron is
 * one that the directed images observe at the value the mutant changes (T for T+1, T-1
 * for T-1) while the 200 real images do not, when such a neuron exists: so each case
 * is one that the same 200 images without --boundary let pass (checked on the integer
 * model, which the RTL equals). Measured here: the 200 real images observe T of 1 of the
 * 64 neurons of layer 0 and none at T-1, so every first-layer case is of that kind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestMvtuStages } from '../src/emit/manifest.js';
import { paramImage } from '../src/emit/mem.js';
import { mvtuStages } from '../src/hw/plan.js';
import { BoundaryTracker, searchBoundary } from '../src/int/boundary.js';
import { inferIntBatch } from '../src/int/infer.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';
import { verifyRtl } from '../src/sim/verify.js';
import { formatVerifyReport } from '../src/sim/report.js';
import { compileDesign, mnistTest, randomFolded, type CompiledDesign } from './fixtures/sim/designs.js';

const IMAGES = 200;
const PX = 784;

let work: string;
let base: CompiledDesign;
/** Coverage of the 200 real images, and with the directed images verify adds (same seed, same search). */
let plain: BoundaryTracker;
let boosted: BoundaryTracker;
let directed: Uint8Array;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-boundary-'));
  base = compileDesign(randomFolded('tfc', 5), { kind: 'uniform', pe: 8, simd: 16 }, path.join(work, 'base'));
  const real = mnistTest().images.subarray(0, IMAGES * PX);
  plain = new BoundaryTracker(base.folded);
  plain.addAll(real, IMAGES);
  boosted = new BoundaryTracker(base.folded);
  boosted.addAll(real, IMAGES);
  directed = searchBoundary(boosted, real, IMAGES, { seed: 1 }).images;
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function withThresholds(f: FoldedModel, change: (layer: number, t: Int32Array) => void): FoldedModel {
  return {
    ...f,
    layers: f.layers.map((l, k) => {
      if (l.kind === 'maxpool' || l.output.kind !== 'threshold') return l;
      const thresholds = l.output.thresholds.slice();
      change(k, thresholds);
      return { ...l, output: { kind: 'threshold', thresholds } };
    }),
  };
}

/** Some image of `images` gets other scores from the mutated model. */
function shows(mutated: FoldedModel, images: Uint8Array): boolean {
  const n = images.length / PX;
  const a = inferIntBatch(base.folded, images, n);
  const b = inferIntBatch(mutated, images, n);
  return a.scores.some((v, i) => v !== b.scores[i]);
}

function copyDesign(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(base.dir, dir, { recursive: true });
  return dir;
}

describe('threshold-boundary coverage', () => {
  it('the coverage verify reports is the integer model\'s, and the directed images raise it', async () => {
    const r = await verifyRtl({ rtlDir: base.dir, dataset: mnistTest(), limit: IMAGES, boundary: true });
    expect(r.failures).toEqual([]);
    expect(r.frames).toBe(IMAGES + directed.length / PX);
    expect(r.boundary).toEqual(boosted.figures());
    expect(r.boundary.directed).toBe(directed.length / PX);
    const p = plain.figures();
    expect(p.layers.map((l) => [l.observedBelow, l.observedAt])).toEqual([
      [0, 1],
      [47, 44],
      [51, 52],
    ]);
    for (const [k, l] of r.boundary.layers.entries()) {
      expect(l.observedBelow).toBeGreaterThan(p.layers[k].observedBelow);
      expect(l.observedAt).toBeGreaterThan(p.layers[k].observedAt);
    }
    // Every first-layer neuron is driven to both values (its v is a sum of pixels).
    expect(r.boundary.layers[0].observedBelow).toBe(64);
    expect(r.boundary.layers[0].observedAt).toBe(64);
    const text = formatVerifyReport(r);
    expect(text).toContain(`layer 0 (fc0) hit 64/64 (100.0 %) / 64/64 (100.0 %)`);
    expect(text).toMatch(/boundary coverage .*\(\d+ directed images added\)/);
  });

  it('`>` for `>=` in the generated threshold comparison fails verify --boundary on 200 images', async () => {
    // `acc > T` is `acc >= T + 1`: the integer model of the mutant.
    const mutant = withThresholds(base.folded, (_, t) => t.forEach((v, i) => (t[i] = v + 1)));
    const real = mnistTest().images.subarray(0, IMAGES * PX);
    // Stated: this random tfc's 200 real images already show this mutant (layers 1 and 2
    // put many neurons at T); the directed images alone show it too.
    expect(shows(mutant, real)).toBe(true);
    expect(shows(mutant, directed)).toBe(true);
    const dir = copyDesign('gt');
    const pe = path.join(dir, 'bnnc_pe.v');
    const src = fs.readFileSync(pe, 'utf8');
    const edited = src.replace('assign result = acc_reg >= param;', 'assign result = acc_reg > param;').replace('$signed(acc_reg) >= $signed(param)', '$signed(acc_reg) > $signed(param)');
    expect(edited.match(/acc_reg\) > \$signed|acc_reg > param/g)?.length).toBe(2);
    fs.writeFileSync(pe, edited);
    // Its own build (the RTL changed): unoptimised, and no trace build for locating.
    const r = await verifyRtl({ rtlDir: dir, dataset: mnistTest(), limit: IMAGES, boundary: true, locate: 0, quickBuild: true });
    expect(r.ok).toBe(false);
    expect(r.integrity.changed.join('\n')).toContain('bnnc_pe.v');
    expect(r.comparison.mismatchCount).toBeGreaterThan(0);
    // The directed images (run positions from 200 on) catch it as well.
    expect(r.comparison.mismatches.some((m) => m.position >= IMAGES) || r.comparison.mismatchCount > 10).toBe(true);
  }, 240_000);

  for (const layer of [0, 1, 2]) {
    for (const delta of [+1, -1]) {
      it(`a threshold ${delta > 0 ? 'T+1' : 'T-1'} in layer ${layer}'s ROM image fails verify --boundary on 200 images`, async () => {
        // T+1 changes the bit where acc = T; T-1 where acc = T-1.
        const which = delta > 0 ? 'at' : 'below';
        const tb = boosted.layers.find((t) => t.index === layer)!;
        const tp = plain.layers.find((t) => t.index === layer)!;
        const rows = (base.folded.layers[layer] as FoldedMatrixLayer).rows;
        const candidates = Array.from({ length: rows }, (_, r) => r).filter((r) => boosted.observed(tb, r, which));
        const missed = candidates.filter((r) => !plain.observed(tp, r, which));
        const row = (missed.length > 0 ? missed : candidates)[0];
        expect(row).toBeDefined();
        const mutant = withThresholds(base.folded, (k, t) => {
          if (k === layer) t[row] += delta;
        });
        const real = mnistTest().images.subarray(0, IMAGES * PX);
        if (missed.length > 0) expect(shows(mutant, real)).toBe(false);
        if (layer === 0) expect(missed.length).toBeGreaterThan(0);
        expect(shows(mutant, directed)).toBe(true);

        const dir = copyDesign(`t${layer}${delta > 0 ? 'p' : 'm'}`);
        const s = mvtuStages(base.plan)[layer];
        const st = manifestMvtuStages(base.manifest)[layer];
        const file = path.join(dir, `${base.manifest.top}_${st.verilogName}_p${row % s.pe}.mem`);
        const before = fs.readFileSync(file, 'utf8');
        const after = paramImage(mutant.layers[layer] as FoldedMatrixLayer, s, row % s.pe);
        expect(after).not.toBe(before);
        fs.writeFileSync(file, after);
        const r = await verifyRtl({ rtlDir: dir, dataset: mnistTest(), limit: IMAGES, boundary: true, locate: 1 });
        expect(r.ok).toBe(false);
        expect(r.comparison.mismatchCount).toBeGreaterThan(0);
        if (missed.length > 0) expect(r.comparison.mismatches.every((m) => m.position >= IMAGES)).toBe(true);
        expect(r.locations[0].layer).toBe(layer);
        expect(r.locations[0].neuron).toBe(row);
      }, 120_000);
    }
  }
});
