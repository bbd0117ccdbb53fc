/**
 * Training with the packed binary kernels gives the same model file, byte for byte, as
 * training with the float kernels only (the forward products of +-1 inputs are integers,
 * exact either way), and on two threads the same as on one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { subset } from '../src/data/registry.js';
import { encodeModel } from '../src/graph/io.js';
import { buildModel } from '../src/nn/arch.js';
import type { KernelChoice } from '../src/nn/layers/layer.js';
import { KernelPool } from '../src/nn/pool.js';
import { train } from '../src/nn/train.js';
import { MNIST_INPUT, mnist } from './nn-helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('binary kernels in training', () => {
  it('an MLP without dropout trains to the same model bytes with binary and float kernels, on 1 and 2 threads', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 600);
    const valSet = subset(train0, 59000, 200);
    const spy = vi.spyOn(KernelPool.prototype, 'binDense');
    const run = async (kernels: KernelChoice, threads: number): Promise<Buffer> => {
      const model = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 5, dropoutIn: 0, dropoutHidden: 0 });
      const r = await train(model, trainSet, valSet, { epochs: 2, batchSize: 50, lrStart: 3e-3, lrFin: 3e-4, seed: 5, threads, kernels });
      return Buffer.from(encodeModel(r.model));
    };
    const float1 = await run('float', 1);
    expect(spy).not.toHaveBeenCalled();
    const binary1 = await run('binary', 1);
    // Three hidden layers get +-1 inputs: 24 training steps and 2 validations, each 3 calls.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(3 * 24);
    const binary2 = await run('binary', 2);
    expect(binary1.equals(float1)).toBe(true);
    expect(binary2.equals(binary1)).toBe(true);
  });

  it('a ConvNet (binary dense layer after conv, pool and sign) trains to the same bytes with binary and float kernels', async () => {
    const train0 = mnist('train');
    const trainSet = subset(train0, 0, 120);
    const valSet = subset(train0, 59000, 40);
    const spy = vi.spyOn(KernelPool.prototype, 'binDense');
    const run = async (kernels: KernelChoice): Promise<Buffer> => {
      const model = buildModel('conv:8x3,pool,8x3,pool,fc32,fc10', { input: MNIST_INPUT, classes: 10, seed: 3 });
      const r = await train(model, trainSet, valSet, { epochs: 1, batchSize: 40, lrStart: 3e-3, lrFin: 3e-4, seed: 3, kernels });
      return Buffer.from(encodeModel(r.model));
    };
    const float = await run('float');
    const binary = await run('binary');
    expect(spy).toHaveBeenCalled();
    expect(binary.equals(float)).toBe(true);
  });
});
