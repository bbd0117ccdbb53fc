/**
 * The folded integer model against the float reference (src/nn/eval.ts) on random
 * networks: same class on every input, and every threshold layer's bits equal to the
 * float sign outputs exactly. The fast batch path must equal the reference path.
 */
import { describe, expect, it } from 'vitest';
import { evalFloat } from '../src/nn/eval.js';
import { packSigns } from '../src/int/bits.js';
import { foldModel } from '../src/int/fold.js';
import { inferInt, inferIntBatch } from '../src/int/infer.js';
import { MAX_FRAC_BITS, MUL_LIMIT, SCORE_LIMIT, accRange, roundHalfAway, scoreLine } from '../src/int/threshold.js';
import type { FoldedMatrixLayer } from '../src/int/types.js';
import { Rng } from '../src/util/rng.js';
import { bitLayerIndices, buildNet, randomImages, type BnStyle, type NetSpec } from './int-fixtures.js';

const DYADIC = { pixelScale: 1 / 128, pixelOffset: -1 };

const nets: Record<string, NetSpec> = {
  'one pixel, hidden 1': { input: [1, 1, 1], blocks: [{ kind: 'dense', out: 1 }, { kind: 'dense', out: 3 }] },
  'dense 25-33-65-7 with bias': {
    input: [5, 5, 1],
    blocks: [{ kind: 'dense', out: 33, bias: true }, { kind: 'dense', out: 65, dropout: true }, { kind: 'dense', out: 7, bias: true }],
  },
  'dense 32-31-1-2': {
    input: [4, 4, 2],
    blocks: [{ kind: 'dense', out: 31, bias: true }, { kind: 'dense', out: 1 }, { kind: 'dense', out: 2 }],
  },
  'dense 3-13-64-2': { input: [1, 3, 1], blocks: [{ kind: 'dense', out: 13 }, { kind: 'dense', out: 64 }, { kind: 'dense', out: 2 }] },
  'conv-pool-conv-dense': {
    input: [8, 8, 1],
    blocks: [{ kind: 'conv', out: 5, k: 3, pool: 2 }, { kind: 'conv', out: 7, k: 2 }, { kind: 'dense', out: 10, bias: true }],
  },
  'rgb conv-pool-conv-dense': {
    input: [9, 9, 3],
    blocks: [{ kind: 'conv', out: 4, k: 3, pool: 2, bias: true }, { kind: 'conv', out: 37, k: 3 }, { kind: 'dense', out: 5 }],
  },
  'odd pool remainder': {
    input: [7, 8, 2],
    blocks: [{ kind: 'conv', out: 3, k: 2, pool: 2 }, { kind: 'conv', out: 33, k: 1, pool: 2 }, { kind: 'dense', out: 4 }],
  },
  'wide conv windows (runs of 120 bits)': {
    input: [6, 6, 1],
    blocks: [{ kind: 'conv', out: 40, k: 3 }, { kind: 'conv', out: 33, k: 3, pool: 2 }, { kind: 'dense', out: 5 }],
  },
  'single conv scores layer': { input: [3, 3, 2], blocks: [{ kind: 'conv', out: 4, k: 3, bias: true }] },
  'single dense scores layer': { input: [2, 5, 1], blocks: [{ kind: 'dense', out: 6 }] },
  'negative pixel scale': {
    input: [3, 4, 1],
    pixelScale: -2 / 255,
    pixelOffset: 1,
    blocks: [{ kind: 'dense', out: 17 }, { kind: 'dense', out: 3 }],
  },
  'zero pixel scale': { input: [2, 2, 1], pixelScale: 0, pixelOffset: 0.5, blocks: [{ kind: 'dense', out: 5 }, { kind: 'dense', out: 3 }] },
  'mnist-shaped 784-97-10': { input: [28, 28, 1], blocks: [{ kind: 'dense', out: 97 }, { kind: 'dense', out: 10 }] },
};

/** Compare the integer model with the float model on n images; returns the number compared. */
function checkAgreement(spec: NetSpec, style: BnStyle, seed: number, n: number): void {
  const rng = new Rng(seed);
  const model = buildNet(rng, { ...spec, bn: style });
  const f = foldModel(model, 'test');
  const [h, w, c] = f.input;
  const pixels = h * w * c;
  const images = randomImages(rng, n, pixels);
  const signIdx = bitLayerIndices(model);
  const batch = inferIntBatch(f, images, n, true);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * pixels, (i + 1) * pixels);
    const fl = evalFloat(model, img, true);
    const int = inferInt(f, img, true);
    expect(int.layerBits!.length).toBe(signIdx.length);
    signIdx.forEach((gi, li) => {
      const expected = packSigns(fl.activations![gi]);
      if (!equalWords(int.layerBits![li], expected)) {
        throw new Error(`image ${i}: folded layer ${li} (${f.layers[li].name}) bits differ from float ${model.graph.layers[gi].name}`);
      }
    });
    expect(int.prediction, `image ${i}`).toBe(fl.prediction);
    expect(batch.predictions[i]).toBe(int.prediction);
    int.layerBits!.forEach((bits, li) => {
      const words = bits.length;
      if (!equalWords(batch.layerBits![li].subarray(i * words, (i + 1) * words), bits)) {
        throw new Error(`image ${i}: batch engine layer ${li} bits differ from inferInt`);
      }
    });
    expect(Array.from(batch.scores.subarray(i * f.classes, (i + 1) * f.classes))).toEqual(Array.from(int.scores));
  }
}

function equalWords(a: Uint32Array, b: Uint32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('folded model agrees with evalFloat', () => {
  const styles: BnStyle[] = ['random', 'near', 'beyond'];
  for (const [name, spec] of Object.entries(nets)) {
    for (const style of styles) {
      it(`${name}, ${style} batch norms`, () => {
        for (let seed = 1; seed <= 4; seed++) checkAgreement(spec, style, seed * 7919 + name.length, 60);
      });
    }
    if (spec.pixelScale === undefined) {
      it(`${name}, thresholds exactly on integers (dyadic pixel map)`, () => {
        for (let seed = 1; seed <= 4; seed++) checkAgreement({ ...spec, ...DYADIC }, 'exact', seed * 104729, 60);
      });
    }
  }
});

describe('fold structure', () => {
  it('inverts exactly the rows with negative gamma * alpha and keeps padding bits 0', () => {
    const rng = new Rng(5);
    const model = buildNet(rng, { input: [1, 1, 33], blocks: [{ kind: 'dense', out: 65 }, { kind: 'dense', out: 3 }], bn: 'near' });
    const f = foldModel(model, 'h');
    const l0 = f.layers[0] as FoldedMatrixLayer;
    const w = model.tensors.get('fc0.weight')!.data;
    const gamma = model.tensors.get('bn0.gamma')!.data;
    for (let r = 0; r < l0.rows; r++) {
      for (let c = 0; c < 33; c++) {
        const bit = (l0.weights[r * 2 + (c >>> 5)] >>> (c & 31)) & 1;
        const plus = w[r * 33 + c] >= 0 ? 1 : 0;
        // pixelScale 2/255 > 0, so the direction is the sign of gamma.
        expect(bit).toBe(gamma[r] < 0 ? 1 - plus : plus);
      }
      expect(l0.weights[r * 2 + 1] >>> 1).toBe(0); // cols 33: bits 1..31 of word 1 unused
    }
  });

  it('chooses the largest fracBits that keeps |mul| < 2^20 and scores inside int32', () => {
    for (let seed = 0; seed < 20; seed++) {
      const rng = new Rng(seed);
      const model = buildNet(rng, { input: [3, 3, 1], blocks: [{ kind: 'dense', out: 9 + seed }, { kind: 'dense', out: 4, bias: true }] });
      const f = foldModel(model, 'h');
      const last = f.layers[f.layers.length - 1] as FoldedMatrixLayer;
      if (last.output.kind !== 'scores') throw new Error('last layer is not scores');
      const { mul, add, fracBits } = last.output;
      const { lo, hi } = accRange({ kind: 'bits', cols: last.cols });
      const fits = (F: number): boolean => {
        for (let j = 0; j < last.rows; j++) {
          const p = {
            bias: model.tensors.get('fc1.bias')!.data[j],
            gamma: model.tensors.get('bn1.gamma')!.data[j],
            beta: model.tensors.get('bn1.beta')!.data[j],
            mean: model.tensors.get('bn1.running_mean')!.data[j],
            variance: model.tensors.get('bn1.running_var')!.data[j],
            eps: 1e-4,
          };
          const { A, B } = scoreLine({ kind: 'bits', cols: last.cols }, p);
          const m = roundHalfAway(A * 2 ** F);
          const a = roundHalfAway(B * 2 ** F);
          if (F === fracBits) {
            expect(mul[j]).toBe(m);
            expect(add[j]).toBe(a);
          }
          if (Math.abs(m) >= MUL_LIMIT) return false;
          if (Math.max(Math.abs(m * lo + a), Math.abs(m * hi + a)) >= SCORE_LIMIT) return false;
        }
        return true;
      };
      expect(fits(fracBits)).toBe(true);
      if (fracBits < MAX_FRAC_BITS) expect(fits(fracBits + 1)).toBe(false);
    }
  });
});
