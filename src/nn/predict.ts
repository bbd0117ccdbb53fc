/**
 * Fast batch inference of a float model in evaluation mode, for the CLI (bnnc eval,
 * folding checks). Computes what src/nn/eval.ts evalFloat defines, on the SIMD kernels
 * a batch at a time; test/nn-predict.test.ts checks that they agree.
 */
import type { Model } from '../graph/types.js';
import { Network } from './network.js';
import { argmax } from '../util/argmax.js';

export interface FloatPredictions {
  /** argmax of each image's scores, ties to the lowest index. */
  predictions: Int32Array;
  /** n x classes final-layer outputs. */
  scores: Float32Array;
}

const DEFAULT_BATCH = 256;

/** Classify n images given as consecutive 8-bit HWC pixels. */
export function predictFloat(model: Model, images: Uint8Array, n: number, batch = DEFAULT_BATCH): FloatPredictions {
  const { height, width, channels } = model.graph.input;
  const size = height * width * channels;
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`predictFloat: n must be a non-negative integer, got ${n}`);
  if (images.length < n * size) throw new RangeError(`predictFloat: ${n} images need ${n * size} bytes, got ${images.length}`);
  const classes = model.graph.classes;
  const predictions = new Int32Array(n);
  const scores = new Float32Array(n * classes);
  if (n === 0) return { predictions, scores };
  const net = Network.create(model, { maxBatch: Math.min(batch, n) });
  for (let start = 0; start < n; start += net.maxBatch) {
    const m = Math.min(net.maxBatch, n - start);
    const s = net.forward(images.subarray(start * size, (start + m) * size), m, { training: false, rng: null });
    scores.set(s.subarray(0, m * classes), start * classes);
    for (let i = 0; i < m; i++) {
      predictions[start + i] = argmax(s, i * classes, classes);
    }
  }
  return { predictions, scores };
}
