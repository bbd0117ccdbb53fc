/**
 * Hand-built float models for the integer-model tests: random +-1 weights, batch norms
 * with every sign of gamma, thresholds placed exactly on integers or beyond the
 * accumulator range, biases, conv + pool stacks. All randomness from src/util/rng.ts.
 */
import { MODEL_FORMAT, MODEL_VERSION, MODEL_VERSION_BINARY_INPUT } from '../src/graph/types.js';
import type { LayerSpec, Model, Tensor } from '../src/graph/types.js';
import type { Rng } from '../src/util/rng.js';

export type BlockSpec =
  | { kind: 'dense'; out: number; bias?: boolean; dropout?: boolean }
  | { kind: 'conv'; out: number; k: number; bias?: boolean; pool?: number };

/** How the batch norms are drawn. */
export type BnStyle =
  /** gamma of either sign (some exactly 0), mean near the typical pre-activation. */
  | 'random'
  /** dyadic parameters with eps = 0 so that tau is exactly an integer in range. */
  | 'exact'
  /** float32-rounded parameters with tau within float32 rounding of an integer. */
  | 'near'
  /** mean far outside the accumulator range (constant outputs). */
  | 'beyond';

export interface NetSpec {
  name?: string;
  input: [number, number, number];
  pixelScale?: number;
  pixelOffset?: number;
  /** A binarized input (model format 2): pixel p is +1 when p >= inputThreshold. */
  inputThreshold?: number;
  blocks: BlockSpec[];
  bn?: BnStyle;
}

function tensor(shape: number[], data: ArrayLike<number>): Tensor {
  return { shape, data: Float32Array.from(data) };
}

/**
 * Build a model. The last block is the scores block (no sign); the class count is its
 * output count. Batch-norm statistics are drawn after the weights so that 'exact'
 * thresholds can account for each row's weight sum.
 */
export function buildNet(rng: Rng, spec: NetSpec): Model {
  const pixelScale = spec.pixelScale ?? 2 / 255;
  const pixelOffset = spec.pixelOffset ?? -1;
  const style = spec.bn ?? 'random';
  const layers: LayerSpec[] = [];
  const tensors = new Map<string, Tensor>();
  let [h, w, c] = spec.input;
  let first = true;
  spec.blocks.forEach((b, bi) => {
    const last = bi === spec.blocks.length - 1;
    const name = `${b.kind === 'dense' ? 'fc' : 'conv'}${bi}`;
    let rows: number;
    let cols: number;
    if (b.kind === 'dense') {
      if (h * w > 1 && bi > 0) layers.push({ kind: 'flatten', name: `flat${bi}` });
      cols = h * w * c;
      rows = b.out;
      layers.push({ kind: 'dense', name, inFeatures: cols, outFeatures: rows, bias: Boolean(b.bias) });
      h = 1;
      w = 1;
      c = rows;
    } else {
      cols = b.k * b.k * c;
      rows = b.out;
      layers.push({ kind: 'conv2d', name, inChannels: c, outChannels: rows, kernel: b.k, padding: 0, bias: Boolean(b.bias) });
      h = h - b.k + 1;
      w = w - b.k + 1;
      c = rows;
    }
    const weight = new Float32Array(rows * cols);
    // Latent weights in [-1, 1], a few exactly 0 (binarize to +1).
    for (let i = 0; i < weight.length; i++) weight[i] = rng.next() < 0.03 ? 0 : rng.uniform(-1, 1);
    tensors.set(`${name}.weight`, tensor(b.kind === 'dense' ? [rows, cols] : [rows, b.k, b.k, cols / (b.k * b.k)], weight));
    // Dyadic biases (quarters) in the 'exact' style keep the exact thresholds exact.
    const drawBias = (): number => (style === 'exact' ? rng.int(17) / 4 - 2 : rng.normal() * 2);
    const bias = b.bias ? Float32Array.from({ length: rows }, drawBias) : null;
    if (bias) tensors.set(`${name}.bias`, tensor([rows], bias));

    const bnName = `bn${bi}`;
    const eps = style === 'exact' ? 0 : 1e-4;
    layers.push({ kind: 'batchnorm', name: bnName, features: rows, eps, momentum: 0.1 });
    const gamma = new Float32Array(rows);
    const beta = new Float32Array(rows);
    const mean = new Float32Array(rows);
    const variance = new Float32Array(rows);
    // The first layer takes pixels through the pixel map, unless the input is binarized.
    const pix = first && spec.inputThreshold === undefined;
    for (let r = 0; r < rows; r++) {
      let sumW = 0;
      for (let i = 0; i < cols; i++) sumW += weight[r * cols + i] >= 0 ? 1 : -1;
      // The pre-activation is a(v) = alpha v + c0 (see src/int/threshold.ts).
      const alpha = pix ? pixelScale : 2;
      const c0 = (pix ? pixelOffset * sumW : -cols) + (bias ? bias[r] : 0);
      const spread = Math.sqrt(cols) + 1;
      const u = rng.next();
      if (style === 'random' || last) {
        gamma[r] = u < 0.08 ? 0 : rng.normal() * 1.5;
        beta[r] = rng.normal();
        mean[r] = rng.normal() * spread;
        variance[r] = spread * spread * rng.uniform(0.1, 2);
      } else if (style === 'beyond') {
        gamma[r] = u < 0.5 ? 1 : -1;
        beta[r] = rng.normal();
        const far = pix ? 300 * cols * Math.abs(pixelScale) + Math.abs(pixelOffset) * cols : 3 * cols;
        mean[r] = (rng.next() < 0.5 ? -1 : 1) * (far + 10);
        variance[r] = 1;
      } else {
        // Pick the integer t where the decision flips (v range: bits 0..N, pixels +-255N,
        // drawn near the middle so that random inputs reach it), then solve for mean.
        const vRange = pix ? 255 * cols : cols;
        const t = pix ? Math.round(rng.normal() * Math.sqrt(cols) * 60) : Math.round(cols / 2 + rng.normal() * Math.sqrt(cols) / 2);
        const tClamped = Math.max(-vRange, Math.min(vRange, t));
        if (style === 'exact') {
          // Dyadic: gamma = +-2^k, sigma = 2^j (var = 4^j, eps = 0), beta = m/4, so
          // beta sigma / gamma and mean are exact and y(t) is exactly 0.
          gamma[r] = (u < 0.5 ? -1 : 1) * 2 ** (rng.int(5) - 2);
          variance[r] = 4 ** (rng.int(4) - 1);
          beta[r] = (rng.int(9) - 4) / 4;
          const sigma = Math.sqrt(variance[r]);
          mean[r] = alpha * tClamped + c0 + (beta[r] * sigma) / gamma[r];
          if (mean[r] !== alpha * tClamped + c0 + (beta[r] * sigma) / gamma[r]) {
            throw new Error('fixture: exact mean not representable in float32');
          }
        } else {
          gamma[r] = (u < 0.5 ? -1 : 1) * rng.uniform(0.2, 3);
          variance[r] = rng.uniform(0.1, 4) * spread;
          beta[r] = rng.normal() * 0.7;
          const sigma = Math.sqrt(variance[r] + eps);
          mean[r] = alpha * tClamped + c0 + (beta[r] * sigma) / gamma[r]; // rounded to float32
        }
      }
    }
    tensors.set(`${bnName}.gamma`, tensor([rows], gamma));
    tensors.set(`${bnName}.beta`, tensor([rows], beta));
    tensors.set(`${bnName}.running_mean`, tensor([rows], mean));
    tensors.set(`${bnName}.running_var`, tensor([rows], variance));
    if (!last) {
      layers.push({ kind: 'sign', name: `sign${bi}` });
      if (b.kind === 'conv' && b.pool) {
        layers.push({ kind: 'maxpool', name: `pool${bi}`, size: b.pool });
        h = Math.floor(h / b.pool);
        w = Math.floor(w / b.pool);
      }
      if (b.kind === 'dense' && b.dropout) layers.push({ kind: 'dropout', name: `drop${bi}`, p: 0.2 });
    }
    first = false;
  });
  const classes = c;
  return {
    graph: {
      format: MODEL_FORMAT,
      version: spec.inputThreshold === undefined ? MODEL_VERSION : MODEL_VERSION_BINARY_INPUT,
      name: spec.name ?? 'rand',
      arch: 'custom',
      input:
        spec.inputThreshold === undefined
          ? { height: spec.input[0], width: spec.input[1], channels: spec.input[2], pixelScale, pixelOffset }
          : { height: spec.input[0], width: spec.input[1], channels: spec.input[2], bits: 1, threshold: spec.inputThreshold },
      classes,
      layers,
    },
    tensors,
  };
}

/** n random images: uniform bytes, with some all-0 and all-255 images and sparse ones. */
export function randomImages(rng: Rng, n: number, pixels: number): Uint8Array {
  const out = new Uint8Array(n * pixels);
  for (let i = 0; i < n; i++) {
    const kind = i % 7;
    for (let p = 0; p < pixels; p++) {
      let v: number;
      if (kind === 0) v = 0;
      else if (kind === 1) v = 255;
      else if (kind === 2) v = rng.next() < 0.8 ? 0 : rng.int(256); // MNIST-like sparse
      else if (kind === 3) v = rng.next() < 0.5 ? 0 : 255;
      else v = rng.int(256);
      out[i * pixels + p] = v;
    }
  }
  return out;
}

/**
 * Graph indices of the layers whose float outputs correspond to the folded layers before
 * the last one: each sign, and each maxpool (which follows a sign).
 */
export function bitLayerIndices(model: Model): number[] {
  const idx: number[] = [];
  model.graph.layers.forEach((l, i) => {
    if (l.kind === 'sign' || l.kind === 'maxpool') idx.push(i);
  });
  return idx;
}
