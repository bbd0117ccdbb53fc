/**
 * Random folded networks (MLPs and ConvNets) for testing the hardware path without training: random weight
 * bits, thresholds spread around the middle of each neuron's acc distribution (so
 * activations are neither all +1 nor all -1), a few at the ends of the legal range,
 * and integer score parameters. The models pass the folded-model checks
 * (src/int/check.ts). Deterministic for a seed (src/util/rng.ts).
 */
import type { Shape3 } from '../graph/types.js';
import type { FoldedMatrixLayer, FoldedModel } from '../int/types.js';
import { FOLDED_FORMAT, FOLDED_VERSION, FOLDED_VERSION_BINARY_INPUT, wordsPerRow } from '../int/types.js';
import { Rng } from '../util/rng.js';

export interface RandomMlpSpec {
  input: Shape3;
  /** Neurons of each hidden layer. */
  hidden: number[];
  classes: number;
  seed: number;
  name?: string;
  /** Score multipliers 0 or 1 and no offsets, so that equal scores, and argmax ties, are common. */
  tieProne?: boolean;
  /** A binarized input: pixel p is the bit p >= inputThreshold. */
  inputThreshold?: number;
}

function randomWeights(rng: Rng, rows: number, cols: number): Uint32Array {
  const wpr = wordsPerRow(cols);
  const w = new Uint32Array(rows * wpr);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < wpr; k++) {
      const valid = Math.min(32, cols - 32 * k);
      const mask = valid === 32 ? 0xffffffff : (1 << valid) - 1;
      w[r * wpr + k] = (rng.nextU32() & mask) >>> 0;
    }
  }
  return w;
}

/**
 * A threshold near the mean of acc, sometimes at either end of the legal range
 * [lo, hi + 1] (a neuron that is always +1 or always -1), as the folder produces.
 */
function randomThreshold(rng: Rng, input: 'pixels' | 'bits', cols: number): number {
  const lo = input === 'bits' ? 0 : -255 * cols;
  const hi = input === 'bits' ? cols : 255 * cols;
  const u = rng.next();
  if (u < 0.05) return lo;
  if (u < 0.1) return hi + 1;
  const t = input === 'bits' ? cols / 2 + rng.normal() * Math.sqrt(cols) * 0.5 : rng.normal() * 40 * Math.sqrt(cols);
  return Math.min(hi + 1, Math.max(lo, Math.round(t)));
}

/** A layer of a random network: a convolution, a pool after it, or a dense layer. */
export type RandomLayerSpec = { conv: number; kernel: number } | { pool: number } | { dense: number };

export interface RandomNetSpec {
  input: Shape3;
  /** Hidden layers in order; the scores layer (dense, `classes` rows) is added last. */
  layers: RandomLayerSpec[];
  classes: number;
  seed: number;
  name?: string;
  tieProne?: boolean;
  /**
   * The scores layer a convolution of this kernel instead of a dense layer; the kernel
   * must cover the whole map in front of it (one output position: a 1x1 scores map).
   */
  scoresKernel?: number;
  /** A binarized input (the folded model's inputThreshold): the first layer takes bits. */
  inputThreshold?: number;
}

/** One random matrix layer: weights, then thresholds or score parameters (in this order). */
function randomMatrixLayer(
  rng: Rng,
  kind: 'dense' | 'conv',
  name: string,
  input: 'pixels' | 'bits',
  inShape: Shape3,
  outShape: Shape3,
  kernel: number,
  rows: number,
  cols: number,
  last: boolean,
  tieProne: boolean,
): FoldedMatrixLayer {
  const weights = randomWeights(rng, rows, cols);
  let output: FoldedMatrixLayer['output'];
  if (last) {
    // |mul * acc + add| < 2^31 for every acc in range.
    const accMax = input === 'bits' ? cols : 255 * cols;
    const mulMax = Math.max(1, Math.min(1 << 12, Math.floor(2 ** 29 / (accMax + 1))));
    const mul = new Int32Array(rows);
    const add = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      // Tie-prone: score = acc or 0, so equal top scores are common.
      mul[r] = tieProne ? rng.int(2) : rng.int(2 * mulMax + 1) - mulMax;
      add[r] = tieProne ? 0 : rng.int(1 << 24) - (1 << 23);
    }
    output = { kind: 'scores', mul, add, fracBits: 0 };
  } else {
    const thresholds = new Int32Array(rows);
    for (let r = 0; r < rows; r++) thresholds[r] = randomThreshold(rng, input, cols);
    output = { kind: 'threshold', thresholds };
  }
  return { kind, name, input, inShape, outShape, kernel, rows, cols, weights, output };
}

/**
 * A random folded network: convolutions (stride 1, no padding), pools after them, dense
 * layers, and a dense scores layer (or a scores convolution, spec.scoresKernel). Layer names: conv<k>, pool<k>, fc<k> (k from 1).
 */
export function randomFoldedNet(spec: RandomNetSpec): FoldedModel {
  const rng = new Rng(spec.seed);
  const scores: RandomLayerSpec = spec.scoresKernel === undefined ? { dense: spec.classes } : { conv: spec.classes, kernel: spec.scoresKernel };
  const items: RandomLayerSpec[] = [...spec.layers, scores];
  const layers: FoldedModel['layers'] = [];
  let shape: Shape3 = spec.input;
  items.forEach((it, k) => {
    const last = k === items.length - 1;
    const input = k === 0 && spec.inputThreshold === undefined ? 'pixels' : 'bits';
    const [h, w, c] = shape;
    if ('pool' in it) {
      const outShape: Shape3 = [Math.floor(h / it.pool), Math.floor(w / it.pool), c];
      layers.push({ kind: 'maxpool', name: `pool${k + 1}`, inShape: shape, outShape, size: it.pool });
      shape = outShape;
    } else if ('conv' in it) {
      const outShape: Shape3 = [h - it.kernel + 1, w - it.kernel + 1, it.conv];
      layers.push(randomMatrixLayer(rng, 'conv', `conv${k + 1}`, input, shape, outShape, it.kernel, it.conv, it.kernel * it.kernel * c, last, !!spec.tieProne));
      shape = outShape;
    } else {
      const outShape: Shape3 = [1, 1, it.dense];
      layers.push(randomMatrixLayer(rng, 'dense', `fc${k + 1}`, input, shape, outShape, 1, it.dense, h * w * c, last, !!spec.tieProne));
      shape = outShape;
    }
  });
  return {
    format: FOLDED_FORMAT,
    version: spec.inputThreshold === undefined ? FOLDED_VERSION : FOLDED_VERSION_BINARY_INPUT,
    name: spec.name ?? `random_net_${spec.seed}`,
    sourceHash: (spec.seed >>> 0).toString(16).padStart(8, '0').repeat(8),
    input: spec.input,
    ...(spec.inputThreshold === undefined ? {} : { inputThreshold: spec.inputThreshold }),
    classes: spec.classes,
    layers,
  };
}

/** A random folded MLP: randomFoldedNet with dense hidden layers only. */
export function randomFoldedMlp(spec: RandomMlpSpec): FoldedModel {
  return randomFoldedNet({
    input: spec.input,
    layers: spec.hidden.map((n) => ({ dense: n })),
    classes: spec.classes,
    seed: spec.seed,
    name: spec.name ?? `random_mlp_${spec.seed}`,
    tieProne: spec.tieProne,
    inputThreshold: spec.inputThreshold,
  });
}

/** Random images (uint8, HWC), n of them back to back. */
export function randomImages(seed: number, npix: number, n: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(npix * n);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}
