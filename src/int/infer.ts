/**
 * Integer inference of a folded model: the golden reference the RTL must equal.
 *
 * inferInt is written to be read: one image, the contract's arithmetic spelled out
 * neuron by neuron (src/int/types.ts, docs/integer-contract.md). inferIntBatch
 * (./engine.ts) is the fast path; the tests hold the two equal.
 */
import { getBit, setBit } from './bits.js';
import type { FoldedMatrixLayer, FoldedModel, FoldedPoolLayer } from './types.js';
import { binarizePixel, wordsPerRow } from './types.js';
import { argmax } from '../util/argmax.js';

export { inferIntBatch } from './engine.js';

export interface IntInferResult {
  /** One integer score per class. */
  scores: Int32Array;
  /** argmax(scores), ties to the lowest index. */
  prediction: number;
  /**
   * Output bits of every folded layer except the last (threshold and pool layers), in
   * folded layer order; bit i is output i in (h, w, c) order, packed LSB first.
   */
  layerBits?: Uint32Array[];
}


export function inferInt(f: FoldedModel, pixels: Uint8Array, keepLayers = false): IntInferResult {
  const [h, w, c] = f.input;
  if (pixels.length !== h * w * c) throw new RangeError(`inferInt: expected ${h * w * c} pixels, got ${pixels.length}`);
  // A binarized input: the first layer reads the pixel bits p >= inputThreshold.
  let bits: Uint32Array | null = f.inputThreshold === undefined ? null : binarizeImage(pixels, f.inputThreshold);
  const layerBits: Uint32Array[] = [];
  let scores: Int32Array | null = null;

  for (const layer of f.layers) {
    if (layer.kind === 'maxpool') {
      bits = maxPool(layer, bits!);
    } else {
      const accs = matrixAccs(layer, pixels, bits);
      if (layer.output.kind === 'scores') {
        // The scores layer has a single output position (fold checks it): one v per class.
        const { mul, add } = layer.output;
        scores = new Int32Array(layer.rows);
        for (let r = 0; r < layer.rows; r++) scores[r] = mul[r] * accs[r] + add[r];
      } else {
        const t = layer.output.thresholds;
        const next = new Uint32Array(wordsPerRow(accs.length));
        for (let i = 0; i < accs.length; i++) if (accs[i] >= t[i % layer.rows]) setBit(next, i);
        bits = next;
      }
    }
    if (keepLayers && layer !== f.layers[f.layers.length - 1]) layerBits.push(bits!);
  }
  if (!scores) throw new Error(`folded model ${f.name}: no scores layer`);
  return { scores, prediction: argmax(scores), layerBits: keepLayers ? layerBits : undefined };
}

/** The packed bits (p >= threshold) of an image's pixels. */
export function binarizeImage(pixels: Uint8Array, threshold: number): Uint32Array {
  const out = new Uint32Array(wordsPerRow(pixels.length));
  for (let i = 0; i < pixels.length; i++) if (binarizePixel(pixels[i], threshold)) setBit(out, i);
  return out;
}

/**
 * The integer v of every output neuron at every output position, in (h, w, c) order:
 * bits input: acc = number of window inputs equal to the weight bit;
 * pixels input: S = sum of (+p if the weight bit is 1 else -p).
 */
function matrixAccs(layer: FoldedMatrixLayer, pixels: Uint8Array, bits: Uint32Array | null): Int32Array {
  const [, iw, ic] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const k = layer.kernel;
  const wpr = wordsPerRow(layer.cols);
  const accs = new Int32Array(oh * ow * layer.rows);
  // The input index of column col at output position (r, q): col = (kh * k + kw) * ic + ci.
  // A dense layer is the 1x1-output case with k spanning the whole input, which here
  // means col = input index (kernel 1 but cols = h * w * c).
  const inputIndex = (r: number, q: number, col: number): number => {
    if (layer.kind === 'dense') return col;
    const ci = col % ic;
    const kk = (col - ci) / ic;
    const kw = kk % k;
    const kh = (kk - kw) / k;
    return ((r + kh) * iw + (q + kw)) * ic + ci;
  };
  for (let r = 0; r < oh; r++) {
    for (let q = 0; q < ow; q++) {
      for (let o = 0; o < layer.rows; o++) {
        let v = 0;
        for (let col = 0; col < layer.cols; col++) {
          const wbit = getBit(layer.weights, o * wpr * 32 + col);
          const idx = inputIndex(r, q, col);
          if (layer.input === 'pixels') v += wbit ? pixels[idx] : -pixels[idx];
          else v += getBit(bits!, idx) === wbit ? 1 : 0;
        }
        accs[(r * ow + q) * layer.rows + o] = v;
      }
    }
  }
  return accs;
}

/** Max-pool on +-1 values is OR on bits, over size x size windows (stride = size). */
function maxPool(layer: FoldedPoolLayer, bits: Uint32Array): Uint32Array {
  const [, iw, c] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const s = layer.size;
  const out = new Uint32Array(wordsPerRow(oh * ow * c));
  for (let r = 0; r < oh; r++)
    for (let q = 0; q < ow; q++)
      for (let ci = 0; ci < c; ci++) {
        let any = 0;
        for (let a = 0; a < s; a++)
          for (let b = 0; b < s; b++) any |= getBit(bits, ((r * s + a) * iw + (q * s + b)) * c + ci);
        if (any) setBit(out, (r * ow + q) * c + ci);
      }
  return out;
}
