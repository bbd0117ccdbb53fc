/**
 * The float model: a versioned graph description plus named float tensors.
 * This is the in-memory form of a `.bnn` model file (see docs/model-format.md).
 *
 * Conventions shared by every module (training, folding, hardware):
 * - Activations are laid out HWC (channel innermost); flattening is in (h, w, c) order.
 * - The input is 8-bit pixels p (0..255); the first layer sees x = pixelScale * p + pixelOffset,
 *   or, for a binarized input (bits 1, format version 2), x = p >= threshold ? +1 : -1.
 * - dense weight tensor:  [outFeatures, inFeatures]           (row = one neuron)
 * - conv2d weight tensor: [outChannels, kernel, kernel, inChannels]  (row order kh, kw, c,
 *   the same order as the sliding window, so a convolution is a matrix product)
 * - Stored weights are the real-valued latent weights in [-1, 1]; the forward pass uses
 *   their sign with sign(0) = +1.
 * - Tensor names: `${layer}.weight`, `${layer}.bias` (dense/conv2d when bias is true),
 *   `${layer}.gamma`, `${layer}.beta`, `${layer}.running_mean`, `${layer}.running_var`
 *   (batchnorm). batchnorm in evaluation: y = gamma * (x - mean) / sqrt(var + eps) + beta.
 */

export const MODEL_FORMAT = 'bnnc-model';
/** The format version of a model with an 8-bit input (the first version). */
export const MODEL_VERSION = 1;
/** The format version that adds the binarized input (InputSpec bits 1). */
export const MODEL_VERSION_BINARY_INPUT = 2;
export type ModelVersion = typeof MODEL_VERSION | typeof MODEL_VERSION_BINARY_INPUT;

/** An 8-bit input: the first layer sees x = pixelScale * p + pixelOffset. */
export interface PixelInputSpec {
  height: number;
  width: number;
  channels: number;
  bits?: undefined;
  /** x = pixelScale * p + pixelOffset for 8-bit pixel p. BinaryNet: 2/255 and -1. */
  pixelScale: number;
  pixelOffset: number;
}

/**
 * A binarized input (FINN/Brevitas BNN-PYNQ's IN_BIT_WIDTH 1): the first layer sees
 * x = +1 when the 8-bit pixel p >= threshold, else -1, so it is an XNOR-popcount layer
 * like the hidden ones. Brevitas' sign(2p/255 - 1) with sign(0) = +1 is threshold 128.
 */
export interface BinaryInputSpec {
  height: number;
  width: number;
  channels: number;
  bits: 1;
  /** 1..255: p >= threshold is +1. */
  threshold: number;
}

export type InputSpec = PixelInputSpec | BinaryInputSpec;

/** The lowest format version that can express a model with this input. */
export function versionForInput(input: InputSpec): ModelVersion {
  return input.bits === 1 ? MODEL_VERSION_BINARY_INPUT : MODEL_VERSION;
}

/** The float model's first-layer input value of pixel p. */
export function inputValue(input: InputSpec, p: number): number {
  return input.bits === 1 ? (p >= input.threshold ? 1 : -1) : input.pixelScale * p + input.pixelOffset;
}

export interface DenseSpec {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

export interface Conv2dSpec {
  kind: 'conv2d';
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  /** Always 0 ('valid') for now; stride is always 1. */
  padding: number;
  bias: boolean;
}

export interface BatchNormSpec {
  kind: 'batchnorm';
  name: string;
  features: number;
  eps: number;
  momentum: number;
}

export interface SignSpec {
  kind: 'sign';
  name: string;
}

export interface MaxPoolSpec {
  kind: 'maxpool';
  name: string;
  /** Window and stride; odd remainders are dropped (floor). */
  size: number;
}

export interface DropoutSpec {
  kind: 'dropout';
  name: string;
  p: number;
}

export interface FlattenSpec {
  kind: 'flatten';
  name: string;
}

export type LayerSpec =
  | DenseSpec
  | Conv2dSpec
  | BatchNormSpec
  | SignSpec
  | MaxPoolSpec
  | DropoutSpec
  | FlattenSpec;

export type LayerKind = LayerSpec['kind'];

export interface ModelGraph {
  format: typeof MODEL_FORMAT;
  /** 1, or 2 when the input is binarized (the lowest version that expresses the model). */
  version: ModelVersion;
  /** A short name (used for output directories and Verilog module names, after sanitizing). */
  name: string;
  /** Architecture name it was built from ('sfc', 'cnv28', 'custom', ...). */
  arch: string;
  input: InputSpec;
  classes: number;
  layers: LayerSpec[];
  /** Free-form training metadata (seed, epochs, accuracy...). Not used for inference. */
  meta?: Record<string, unknown>;
}

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface Model {
  graph: ModelGraph;
  /** Insertion order is the file order; keep it deterministic. */
  tensors: Map<string, Tensor>;
}

/** Shape [h, w, c] of an activation. A dense layer's output is [1, 1, features]. */
export type Shape3 = [number, number, number];
