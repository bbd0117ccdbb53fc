/**
 * Threshold-boundary coverage (src/int/boundary.ts) against a reference written here from
 * the integer contract alone: inferInt's arithmetic spelled out per layer, with the
 * accumulators kept and a neuron's output bit flippable. The tracker's hit and observed
 * counts must equal the reference's on random MLPs and a ConvNet (positions, pooling);
 * the directed images must stay within ±eps of the real image each came from and
 * observe what the tracker says they do.
 */
import { describe, expect, it } from 'vitest';
import { BoundaryTracker, searchBoundary } from '../src/int/boundary.js';
import { getBit } from '../src/int/bits.js';
import { randomFoldedNet, randomImages } from '../src/hw/random-model.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';
import { wordsPerRow } from '../src/int/types.js';

/** Per layer: accs (threshold layers) and output bits as 0/1 arrays; the scores. */
function reference(f: FoldedModel, px: Uint8Array, flip?: { layer: number; index: number }): { accs: (Int32Array | null)[]; scores: Int32Array } {
  let bits: Uint8Array | null = null;
  const accs: (Int32Array | null)[] = [];
  let scores = new Int32Array(0);
  f.layers.forEach((l, k) => {
    if (l.kind === 'maxpool') {
      const [, iw, c] = l.inShape;
      const [oh, ow] = l.outShape;
      const out = new Uint8Array(oh * ow * c);
      for (let r = 0; r < oh; r++)
        for (let q = 0; q < ow; q++)
          for (let ci = 0; ci < c; ci++)
            for (let a = 0; a < l.size; a++)
              for (let b = 0; b < l.size; b++) out[(r * ow + q) * c + ci] |= bits![((r * l.size + a) * iw + (q * l.size + b)) * c + ci];
      bits = out;
      accs.push(null);
    } else {
      const m = l as FoldedMatrixLayer;
      const [, iw, ic] = m.inShape;
      const [oh, ow] = m.outShape;
      const wpr = wordsPerRow(m.cols);
      const v = new Int32Array(oh * ow * m.rows);
      for (let r = 0; r < oh; r++)
        for (let q = 0; q < ow; q++)
          for (let o = 0; o < m.rows; o++) {
            let s = 0;
            for (let col = 0; col < m.cols; col++) {
              const ci = col % ic;
              const kk = (col - ci) / ic;
              const idx = m.kind === 'dense' ? col : ((r + Math.floor(kk / m.kernel)) * iw + (q + (kk % m.kernel))) * ic + ci;
              const w = getBit(m.weights, o * wpr * 32 + col);
              s += m.input === 'pixels' ? (w ? px[idx] : -px[idx]) : bits![idx] === w ? 1 : 0;
            }
            v[(r * ow + q) * m.rows + o] = s;
          }
      if (m.output.kind === 'scores') {
        const { mul, add } = m.output;
        scores = Int32Array.from(v, (a, j) => mul[j] * a + add[j]);
        accs.push(null);
      } else {
        const t = m.output.thresholds;
        bits = Uint8Array.from(v, (a, i) => (a >= t[i % m.rows] ? 1 : 0));
        accs.push(v);
      }
    }
    if (flip && flip.layer === k) bits![flip.index] ^= 1;
  });
  return { accs, scores };
}

/** Hit and observed counts per threshold layer, by the reference. */
function referenceFigures(f: FoldedModel, images: Uint8Array, n: number) {
  const px = f.input[0] * f.input[1] * f.input[2];
  const flags = f.layers.map((l) => new Uint8Array(l.kind === 'maxpool' ? 0 : l.rows));
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * px, (i + 1) * px);
    const base = reference(f, img);
    base.accs.forEach((v, k) => {
      if (!v) return;
      const m = f.layers[k] as FoldedMatrixLayer;
      const t = (m.output as { thresholds: Int32Array }).thresholds;
      for (let idx = 0; idx < v.length; idx++) {
        const r = idx % m.rows;
        const d = v[idx] - t[r];
        if (d !== 0 && d !== -1) continue;
        flags[k][r] |= d === 0 ? 2 : 1;
        const flipped = reference(f, img, { layer: k, index: idx }).scores;
        if (flipped.some((s, j) => s !== base.scores[j])) flags[k][r] |= d === 0 ? 8 : 4;
      }
    });
  }
  const count = (k: number, bit: number) => flags[k].reduce((a, x) => a + ((x & bit) === bit ? 1 : 0), 0);
  return f.layers
    .map((l, k) => ({ l, k }))
    .filter(({ l }) => l.kind !== 'maxpool' && l.output.kind === 'threshold')
    .map(({ k }) => [count(k, 1), count(k, 2), count(k, 3), count(k, 4), count(k, 8)]);
}

const NETS: Array<{ name: string; f: FoldedModel }> = [
  { name: 'MLP 8x8-24-16-5', f: randomFoldedNet({ input: [8, 8, 1], layers: [{ dense: 24 }, { dense: 16 }], classes: 5, seed: 3 }) },
  { name: 'MLP 6x6x2-40-5', f: randomFoldedNet({ input: [6, 6, 2], layers: [{ dense: 40 }], classes: 5, seed: 4 }) },
  {
    name: 'ConvNet 9x9 conv6k3-pool2-conv5k2-dense12',
    f: randomFoldedNet({ input: [9, 9, 1], layers: [{ conv: 6, kernel: 3 }, { pool: 2 }, { conv: 5, kernel: 2 }, { dense: 12 }], classes: 4, seed: 5 }),
  },
];

describe('threshold-boundary coverage equals the reference', () => {
  for (const { name, f } of NETS) {
    it(`${name}: hit and observed T-1 / T per layer, on real and directed images`, () => {
      const px = f.input[0] * f.input[1] * f.input[2];
      const n = 40;
      const images = randomImages(9, px, n);
      const tr = new BoundaryTracker(f);
      tr.addAll(images, n);
      const figs = () => tr.figures().layers.map((l) => [l.hitBelow, l.hitAt, l.hitBoth, l.observedBelow, l.observedAt]);
      expect(figs()).toEqual(referenceFigures(f, images, n));

      const before = tr.figures();
      const eps = 24;
      const d = searchBoundary(tr, images, n, { seed: 2, eps });
      const k = d.from.length;
      expect(d.images.length).toBe(k * px);
      expect(tr.figures().directed).toBe(k);
      // Each directed image is a small perturbation of the real image it names.
      for (let i = 0; i < k; i++) {
        const src = images.subarray(d.from[i] * px, (d.from[i] + 1) * px);
        for (let j = 0; j < px; j++) expect(Math.abs(d.images[i * px + j] - src[j])).toBeLessThanOrEqual(eps);
      }
      // The figures with the directed images are the reference's on all the images.
      const all = new Uint8Array(images.length + d.images.length);
      all.set(images);
      all.set(d.images, images.length);
      expect(figs()).toEqual(referenceFigures(f, all, n + k));
      // The search only adds, and it adds: the first layer's values are set exactly.
      const after = tr.figures();
      after.layers.forEach((l, j) => {
        expect(l.observedBelow).toBeGreaterThanOrEqual(before.layers[j].observedBelow);
        expect(l.observedAt).toBeGreaterThanOrEqual(before.layers[j].observedAt);
      });
      expect(after.layers[0].observedAt + after.layers[0].observedBelow).toBeGreaterThan(before.layers[0].observedAt + before.layers[0].observedBelow);
    });
  }
});
