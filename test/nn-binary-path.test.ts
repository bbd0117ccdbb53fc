/**
 * Training with the packed binary kernels against the float kernels only. The forward
 * products of +-1 inputs are integers (exact either way); the gradients through signed
 * sums add the same terms in another order, so the two models agree to float32 rounding
 * of the gradients, not byte for byte: the test bounds the difference. On two threads the
 * binary path gives the same bytes as on one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { subset } from '../src/data/registry.js';
import { encodeModel } from '../src/graph/io.js';
import type { Model } from '../src/graph/types.js';
import { buildModel } from '../src/nn/arch.js';
import type { KernelChoice } from '../src/nn/layers/layer.js';
import { KernelPool } from '../src/nn/pool.js';
import { train } from '../src/nn/train.js';
import { MNIST_INPUT, mnist } from './nn-helpers.js';

/**
 * Largest |a - b| relative to the tensor's largest |value| (over all tensors), and the
 * fraction of latent weights whose sign (the trained binary weight) differs.
 */
function compare(a: Model, b: Model): { relDiff: number; signFlips: number } {
  let relDiff = 0;
  let flips = 0;
  let weights = 0;
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!.data;
    let scale = 0;
    let diff = 0;
    t.data.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - u[i]));
      if (name.endsWith('.weight')) {
        weights++;
        if (v >= 0 !== u[i] >= 0) flips++;
      }
    });
    if (scale > 0) relDiff = Math.max(relDiff, diff / scale);
  }
  return { relDiff, signFlips: flips / weights };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('binary kernels in training', () => {
  it('an MLP without dropout trains to the same model with binary and float kernels (to rounding), and to the same bytes on 1 and 2 threads', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 600);
    const valSet = subset(train0, 59000, 200);
    const spy = vi.spyOn(KernelPool.prototype, 'binDense');
    const run = async (kernels: KernelChoice, threads: number): Promise<Model> => {
      const model = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 5, dropoutIn: 0, dropoutHidden: 0 });
      return (await train(model, trainSet, valSet, { epochs: 2, batchSize: 50, lrStart: 3e-3, lrFin: 3e-4, seed: 5, threads, kernels })).model;
    };
    const float1 = await run('float', 1);
    expect(spy).not.toHaveBeenCalled();
    const binary1 = await run('binary', 1);
    // Three hidden layers get +-1 inputs: 24 training steps and 2 validations, each 3 calls.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(3 * 24);
    const binary2 = await run('binary', 2);
    expect(Buffer.from(encodeModel(binary2)).equals(Buffer.from(encodeModel(binary1)))).toBe(true);
    const d = compare(binary1, float1);
    // Adam divides by sqrt(v): where a gradient is near 0, its rounding moves the step
    // by up to the full rate, so latent weights drift apart a little; the binary weights
    // (signs) and the rest stay put.
    console.log(`binary vs float kernels, 24 steps: largest relative difference ${d.relDiff}, weight signs differing ${d.signFlips}`);
    expect(d.relDiff).toBeGreaterThan(0);
    expect(d.relDiff).toBeLessThan(1e-2);
    expect(d.signFlips).toBeLessThan(1e-3);
  });

  it('a ConvNet (its hidden conv and dense layers on +-1 inputs: packed kernels) trains to the same model with binary and float kernels (to rounding)', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 120);
    const valSet = subset(train0, 59000, 40);
    const spy = vi.spyOn(KernelPool.prototype, 'binDense');
    const run = async (kernels: KernelChoice): Promise<Model> => {
      const model = buildModel('conv:8x3,pool,8x3,pool,fc32,fc10', { input: MNIST_INPUT, classes: 10, seed: 3 });
      return (await train(model, trainSet, valSet, { epochs: 1, batchSize: 40, lrStart: 3e-3, lrFin: 3e-4, seed: 3, kernels })).model;
    };
    const float = await run('float');
    expect(spy).not.toHaveBeenCalled();
    const binary = await run('binary');
    // The second convolution (after pool and sign) and the hidden dense layer run packed:
    // 3 training steps and one validation pass, each at least 2 calls.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2 * 4);
    const d = compare(binary, float);
    console.log(`ConvNet, binary vs float kernels: largest relative difference ${d.relDiff}, weight signs differing ${d.signFlips}`);
    expect(d.relDiff).toBeLessThan(1e-2);
    expect(d.signFlips).toBeLessThan(1e-3);
  });
});
