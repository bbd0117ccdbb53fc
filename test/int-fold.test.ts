/**
 * The folded integer model against the float reference (src/nn/eval.ts) on random
 * networks: same class on every input, and every threshold layer's bits equal to the
 * float sign outputs exactly. The fast batch path must equal the reference path.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
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

/** Binarized inputs (--input-bits 1): thresholds 128 (FINN's), the ends 1 and 255, and 77. */
const binaryNets: [string, NetSpec][] = [
  ['dense 25-33-65-7 with bias', nets['dense 25-33-65-7 with bias']],
  ['one pixel, hidden 1', nets['one pixel, hidden 1']],
  ['conv-pool-conv-dense', nets['conv-pool-conv-dense']],
  ['rgb conv-pool-conv-dense', nets['rgb conv-pool-conv-dense']],
  ['single dense scores layer', nets['single dense scores layer']],
  ['dense 32-31-1-2', nets['dense 32-31-1-2']],
];

describe('a binarized input: folded model agrees with evalFloat', () => {
  const thresholds = [128, 1, 255, 77];
  for (const [name, spec] of binaryNets) {
    for (const style of ['random', 'near', 'beyond', 'exact'] as BnStyle[]) {
      it(`${name}, ${style} batch norms`, () => {
        thresholds.forEach((t, k) => checkAgreement({ ...spec, inputThreshold: t }, style, 6151 * (k + 1) + name.length, 60));
      });
    }
  }

  it('the first layer reads the bits p >= T: it is a bits layer, and version 2 records T', () => {
    const model = buildNet(new Rng(5), { ...nets['dense 3-13-64-2'], inputThreshold: 128 });
    const f = foldModel(model, 'test');
    expect(f.version).toBe(2);
    expect(f.inputThreshold).toBe(128);
    const l0 = f.layers[0] as FoldedMatrixLayer;
    expect(l0.input).toBe('bits');
    // Pixels 127 and 128 sit on either side of the threshold: 127 is -1 (bit 0), 128 is +1.
    const below = inferInt(f, Uint8Array.from([127, 127, 127]), true).layerBits![0];
    const above = inferInt(f, Uint8Array.from([128, 128, 128]), true).layerBits![0];
    const allMinus = inferInt(f, Uint8Array.from([0, 0, 0]), true).layerBits![0];
    const allPlus = inferInt(f, Uint8Array.from([255, 255, 255]), true).layerBits![0];
    expect(below).toEqual(allMinus);
    expect(above).toEqual(allPlus);
    expect(equalWords(allMinus, allPlus)).toBe(false);
  });
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

describe('fold rejects graphs outside the contract, naming the layer', () => {
  const base = (): ReturnType<typeof buildNet> =>
    buildNet(new Rng(77), { input: [6, 6, 1], blocks: [{ kind: 'conv', out: 3, k: 3, pool: 2 }, { kind: 'dense', out: 4 }] });
  // layers: 0 conv0, 1 bn0, 2 sign0, 3 pool0, 4 flat1, 5 fc1, 6 bn1

  function foldError(model: ReturnType<typeof buildNet>): InputError {
    try {
      foldModel(model, 'h');
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    throw new Error('fold accepted the model');
  }

  it('accepts the base model', () => {
    expect(foldModel(base(), 'h').layers.map((l) => l.kind)).toEqual(['conv', 'maxpool', 'dense']);
  });

  it('a sign without batch norm', () => {
    const m = base();
    m.graph.layers.splice(1, 1);
    expect(foldError(m).field).toBe('layers[1] (sign0)');
  });

  it('a pool before the sign', () => {
    const m = base();
    const [pool] = m.graph.layers.splice(3, 1);
    m.graph.layers.splice(1, 0, pool);
    expect(foldError(m).field).toBe('layers[1] (pool0)');
  });

  it('a last block ending in sign', () => {
    const m = base();
    m.graph.layers.push({ kind: 'sign', name: 'sign9' });
    expect(foldError(m).field).toBe('layers');
  });

  it('padding, a conv after flatten, wrong feature counts', () => {
    let m = base();
    (m.graph.layers[0] as { padding: number }).padding = 1;
    expect(foldError(m).field).toBe('layers[0] (conv0).padding');
    m = base();
    m.graph.layers.unshift({ kind: 'flatten', name: 'f' });
    expect(foldError(m).field).toBe('layers[1] (conv0)');
    m = base();
    (m.graph.layers[6] as { features: number }).features = 5;
    expect(foldError(m).field).toBe('layers[6] (bn1).features');
    m = base();
    m.graph.classes = 5;
    expect(foldError(m).field).toBe('layers[5] (fc1)');
  });

  it('a last conv with more than one output position', () => {
    const m = buildNet(new Rng(1), { input: [4, 4, 1], blocks: [{ kind: 'conv', out: 3, k: 3 }] });
    expect(foldError(m).expected).toMatch(/single output position/);
  });

  it('missing, misshapen or non-finite tensors, sigma = 0', () => {
    let m = base();
    m.tensors.delete('bn0.running_var');
    expect(foldError(m).field).toBe('tensor bn0.running_var');
    m = base();
    m.tensors.set('fc1.weight', { shape: [4, 5], data: new Float32Array(20) });
    expect(foldError(m).field).toBe('tensor fc1.weight');
    m = base();
    m.tensors.get('conv0.weight')!.data[4] = NaN;
    expect(foldError(m).field).toBe('tensor conv0.weight[4]');
    m = base();
    (m.graph.layers[1] as { eps: number }).eps = 0;
    m.tensors.get('bn0.running_var')!.data[1] = 0;
    const e = foldError(m);
    expect([e.source, e.field]).toEqual(['model rand conv0 row 1', 'running_var + eps']);
  });
});
