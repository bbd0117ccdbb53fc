/**
 * The fast batch inference (predictFloat, and the trainer's evaluation-mode forward)
 * against the float reference src/nn/eval.ts evalFloat, on real MNIST images.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalFloat } from '../src/nn/eval.js';
import { Network } from '../src/nn/network.js';
import { predictFloat } from '../src/nn/predict.js';
import { evaluate } from '../src/nn/train.js';
import { mnist, randomModel } from './nn-helpers.js';

function compareWithReference(arch: string, seed: number, count: number, extra = {}): void {
  const test = mnist('test');
  const model = randomModel(arch, seed, extra);
  const { predictions, scores } = predictFloat(model, test.images, count, 64);
  const classes = model.graph.classes;
  let worst = 0;
  for (let i = 0; i < count; i++) {
    const ref = evalFloat(model, test.images.subarray(i * 784, (i + 1) * 784));
    expect(predictions[i]).toBe(ref.prediction);
    for (let c = 0; c < classes; c++) {
      const rel = Math.abs(scores[i * classes + c] - ref.scores[c]) / Math.max(1e-6, Math.abs(ref.scores[c]));
      worst = Math.max(worst, rel);
    }
  }
  expect(worst).toBeLessThanOrEqual(1e-3);
}

describe('predictFloat agrees with evalFloat', () => {
  it('random tfc (with dropout layers, identity in evaluation) on 300 MNIST test images', () => {
    compareWithReference('tfc', 1, 300);
  });

  it('random MLP with biases (JSON architecture) on 200 images', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-nn-'));
    try {
      const file = path.join(dir, 'arch.json');
      const layers = [{ type: 'fc', units: 48, bias: true }, { type: 'fc', units: 24 }, { type: 'fc', units: 10, bias: true }];
      fs.writeFileSync(file, JSON.stringify({ layers }));
      compareWithReference(file, 2, 200);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('random ConvNet (conv, pool after sign, flatten, dense) on 200 images', () => {
    compareWithReference('conv:8x3,8x3,pool,12x3,pool,fc20,fc10', 3, 200);
  });

  it('the trainer evaluation (running statistics) counts the same correct images as evalFloat', () => {
    const test = mnist('test');
    const model = randomModel('sfc', 4);
    const n = 250;
    let correct = 0;
    for (let i = 0; i < n; i++) if (evalFloat(model, test.images.subarray(i * 784, (i + 1) * 784)).prediction === test.labels[i]) correct++;
    const net = Network.create(model, { maxBatch: 100 });
    const r = evaluate(net, { ...test, n, images: test.images.subarray(0, n * 784), labels: test.labels.subarray(0, n) });
    expect(r.accuracy).toBe(correct / n);
  });

  it('handles n = 0 and rejects too few bytes', () => {
    const model = randomModel('tfc', 5);
    expect(predictFloat(model, new Uint8Array(0), 0).predictions.length).toBe(0);
    expect(() => predictFloat(model, new Uint8Array(100), 1)).toThrow(RangeError);
  });
});
