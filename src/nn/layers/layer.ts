/**
 * The training-side layer interface. A layer runs on a batch of n examples laid out
 * [n][h][w][c] (channel innermost, as in src/graph/types.ts) and owns its output and
 * input-gradient buffers, allocated once in the arena for the network's largest batch.
 * The array a layer returns stays valid until that layer runs again.
 */
import { InputError } from '../../errors.js';
import type { Shape3, Tensor } from '../../graph/types.js';
import type { Rng } from '../../util/rng.js';
import type { Arena, F32Block } from '../arena.js';
import type { KernelPool } from '../pool.js';

export interface LayerEnv {
  arena: Arena;
  pool: KernelPool;
  /** The largest batch the layer's buffers must hold. */
  maxBatch: number;
  /**
   * 'binary' (the default): binary layers whose input is all +-1 run their forward on
   * packed bits (XNOR-popcount); 'float': always the float kernels. Both give the same
   * values (integers, exact in float32); 'float' is kept to compare and test them.
   */
  kernels?: KernelChoice;
}

export type KernelChoice = 'binary' | 'float';

export interface ForwardContext {
  /** Training mode: batch statistics in batch norm, dropout active, state kept for backward. */
  training: boolean;
  /** Dropout masks are drawn from it, in layer order, example by example (training only). */
  rng: Rng | null;
}

/**
 * Which entries of a layer's input gradient the caller will use: none (false), all
 * (true), or those whose byte in the mask (length n * inSize) is nonzero. Layers that
 * cannot exploit a mask compute everything; entries outside the mask may hold any value.
 */
export type NeedInput = boolean | Uint8Array;

/** The affine map from 8-bit pixels to the first layer's input (InputSpec). */
export interface PixelAffine {
  scale: number;
  offset: number;
}

/** A trainable tensor in the layer's internal layout, with its gradient. */
export interface Param {
  /** The model tensor it is stored as (`fc0.weight`...). */
  name: string;
  value: F32Block;
  grad: F32Block;
  /** Binary weights get the Glorot learning-rate scale and clipping to [-1, 1]. */
  kind: 'binary' | 'real';
  lrScale: number;
  /** Clipping bound after each update (Infinity: none). */
  clip: number;
}

export abstract class Layer {
  readonly inSize: number;
  readonly outSize: number;

  constructor(
    readonly name: string,
    readonly inShape: Shape3,
    readonly outShape: Shape3,
  ) {
    this.inSize = inShape[0] * inShape[1] * inShape[2];
    this.outSize = outShape[0] * outShape[1] * outShape[2];
  }

  /** y = layer(x) for n examples (x holds n * inSize values). */
  abstract forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array;

  /**
   * Given dL/dy of the last forward (training mode), accumulate nothing but set the
   * parameter gradients to dL/dparam, and return dL/dx (or null when need is false).
   */
  abstract backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null;

  params(): Param[] {
    return [];
  }

  /** Read parameters and state from model tensors (model layout). */
  load(_tensors: Map<string, Tensor>): void {}

  /** Write parameters and state as model tensors, in a fixed order. */
  store(_tensors: Map<string, Tensor>): void {}

  /** Called after parameters change (optimizer step, load): drop derived caches. */
  invalidate(): void {}

  /**
   * For layers whose backward multiplies the gradient element by element: 1 where the
   * factor of the last training forward is nonzero (length n * outSize), else null.
   * Lets a binary layer skip input gradients that would be multiplied by zero anyway.
   */
  passMask(): Uint8Array | null {
    return null;
  }

  /** True for layers whose backward is the identity on the data (flatten). */
  get isReshape(): boolean {
    return false;
  }
}

export function tensorOf(tensors: Map<string, Tensor>, name: string, length: number): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new InputError('model', `tensor ${name}`, 'present', 'missing');
  if (t.data.length !== length) throw new InputError('model', `tensor ${name}`, `${length} values`, String(t.data.length));
  return t.data;
}
