/**
 * The folded (integer) model: the golden reference the RTL must equal bit for bit.
 * See docs/integer-contract.md for the arithmetic.
 *
 * - Pixels are uint8, HWC. Bits: +1 <-> 1, -1 <-> 0.
 * - A matrix layer has `rows` neurons (output channels) and `cols` inputs per neuron
 *   (dense: all input features in (h, w, c) order; conv: kernel*kernel*inChannels in
 *   (kh, kw, c) order).
 * - A binarized input (inputThreshold set, format version 2): pixel p becomes the bit
 *   p >= inputThreshold, and the first layer takes those bits ('bits' input).
 * - acc for 'bits' input:   popcount(xnor(x, w)) over cols, in 0..cols.
 *   acc for 'pixels' input: sum over cols of (w ? +p : -p), in -255*cols..255*cols.
 * - threshold output: bit = acc >= T (rows with negative BN gamma are already inverted).
 * - scores output: score = mul * acc + add (exact integers, |score| < 2^31);
 *   class = argmax(score), ties to the lowest index.
 */
import type { Shape3 } from '../graph/types.js';

export const FOLDED_FORMAT = 'bnnc-folded';
/** The format version of a folded model with an 8-bit input. */
export const FOLDED_VERSION = 1;
/** The format version that adds the binarized input (inputThreshold). */
export const FOLDED_VERSION_BINARY_INPUT = 2;
export type FoldedVersion = typeof FOLDED_VERSION | typeof FOLDED_VERSION_BINARY_INPUT;

export interface ThresholdOutput {
  kind: 'threshold';
  /** One per row: output bit = acc >= thresholds[row]. */
  thresholds: Int32Array;
}

export interface ScoreOutput {
  kind: 'scores';
  /** One per row (class): score = mul[row] * acc + add[row]. */
  mul: Int32Array;
  add: Int32Array;
  /** Scores are the float scores times 2^fracBits, rounded (see the contract). */
  fracBits: number;
}

export interface FoldedMatrixLayer {
  kind: 'dense' | 'conv';
  name: string;
  input: 'pixels' | 'bits';
  inShape: Shape3;
  outShape: Shape3;
  /** 1 for dense. */
  kernel: number;
  rows: number;
  cols: number;
  /**
   * rows * wordsPerRow words, wordsPerRow = ceil(cols / 32). Weight (r, c) is bit (c & 31)
   * of word r * wordsPerRow + (c >>> 5); 1 = +1. Unused high bits are 0.
   */
  weights: Uint32Array;
  output: ThresholdOutput | ScoreOutput;
}

export interface FoldedPoolLayer {
  kind: 'maxpool';
  name: string;
  inShape: Shape3;
  outShape: Shape3;
  size: number;
}

export type FoldedLayer = FoldedMatrixLayer | FoldedPoolLayer;

export interface FoldedModel {
  format: typeof FOLDED_FORMAT;
  /** 2 exactly when inputThreshold is set. */
  version: FoldedVersion;
  name: string;
  /** sha256 (hex) of the float model it was folded from. */
  sourceHash: string;
  input: Shape3;
  /**
   * Set for a binarized input: pixel p is the bit (p >= inputThreshold), 1..255, and the
   * first layer's input is 'bits'. Absent: the first layer takes the 8-bit pixels.
   */
  inputThreshold?: number;
  classes: number;
  layers: FoldedLayer[];
}

export function wordsPerRow(cols: number): number {
  return (cols + 31) >>> 5;
}

/** The first layer's input kind: the 8-bit pixels, or their bits for a binarized input. */
export function firstInput(f: Pick<FoldedModel, 'inputThreshold'>): 'pixels' | 'bits' {
  return f.inputThreshold === undefined ? 'pixels' : 'bits';
}

/** Pixel p as the first layer sees it under a binarized input: the bit p >= threshold. */
export function binarizePixel(p: number, threshold: number): number {
  return p >= threshold ? 1 : 0;
}
