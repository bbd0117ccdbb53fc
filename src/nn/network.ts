/**
 * A model (src/graph/types.ts) instantiated for training or fast batch evaluation:
 * one layer object per graph layer, buffers for a maximum batch, forward from 8-bit
 * pixels to class scores, backward from dL/dscores to every parameter gradient.
 */
import { InputError } from '../errors.js';
import { inputValue, type LayerSpec, type Model, type ModelGraph, type Shape3, type Tensor } from '../graph/types.js';
import { Arena } from './arena.js';
import { BatchNormLayer } from './layers/batchnorm.js';
import { ConvLayer } from './layers/conv.js';
import { DenseLayer } from './layers/dense.js';
import { DropoutLayer } from './layers/dropout.js';
import { FlattenLayer } from './layers/flatten.js';
import type { ForwardContext, KernelChoice, Layer, LayerEnv, NeedInput, Param } from './layers/layer.js';
import { MaxPoolLayer } from './layers/maxpool.js';
import { SignLayer } from './layers/sign.js';
import { KernelPool } from './pool.js';

export interface NetworkOptions {
  /** Largest batch passed to forward. */
  maxBatch: number;
  /** Shared memory and threads; a fresh arena and a one-thread pool by default. */
  arena?: Arena;
  pool?: KernelPool;
  /** Test mode: binary layers use their latent weights unbinarized. */
  binarize?: boolean;
  /** Packed binary kernels where they apply (default) or float kernels only (LayerEnv). */
  kernels?: KernelChoice;
}

function buildLayer(env: LayerEnv, spec: LayerSpec, shape: Shape3, binarize: boolean): Layer {
  switch (spec.kind) {
    case 'dense':
      return new DenseLayer(env, spec, shape, { binarize });
    case 'conv2d':
      return new ConvLayer(env, spec, shape, { binarize });
    case 'batchnorm':
      return new BatchNormLayer(env, spec, shape);
    case 'sign':
      return new SignLayer(env, spec, shape);
    case 'maxpool':
      return new MaxPoolLayer(env, spec, shape);
    case 'dropout':
      return new DropoutLayer(env, spec, shape);
    case 'flatten':
      return new FlattenLayer(spec, shape);
  }
}

/** Layers whose backward multiplies the gradient element by element (they may expose a mask). */
function isElementwise(layer: Layer): boolean {
  return layer instanceof SignLayer || layer instanceof DropoutLayer;
}

export class Network {
  readonly layers: Layer[];
  readonly arena: Arena;
  readonly pool: KernelPool;
  readonly maxBatch: number;
  readonly inputSize: number;
  readonly classes: number;
  private readonly input: Float32Array;
  /** Index of the first layer with parameters: no gradient is needed below it. */
  private readonly firstParam: number;
  /**
   * In evaluation, index of the first binary layer if only identity layers (flatten,
   * dropout) precede it: it then receives raw pixels and folds the input map itself.
   */
  private readonly pixelLayer: number;
  private needScratch: Uint8Array | null = null;

  private constructor(
    readonly graph: ModelGraph,
    opts: NetworkOptions,
  ) {
    if (!(Number.isInteger(opts.maxBatch) && opts.maxBatch >= 1)) throw new RangeError(`maxBatch must be >= 1, got ${opts.maxBatch}`);
    this.maxBatch = opts.maxBatch;
    if (opts.pool && opts.arena && opts.pool.arena !== opts.arena) throw new Error('Network: pool and arena do not match');
    this.arena = opts.pool?.arena ?? opts.arena ?? new Arena();
    this.pool = opts.pool ?? KernelPool.single(this.arena);
    const env: LayerEnv = { arena: this.arena, pool: this.pool, maxBatch: opts.maxBatch, kernels: opts.kernels ?? 'binary' };
    const { height, width, channels } = graph.input;
    let shape: Shape3 = [height, width, channels];
    this.inputSize = height * width * channels;
    this.layers = [];
    for (const spec of graph.layers) {
      let layer: Layer;
      try {
        layer = buildLayer(env, spec, shape, opts.binarize ?? true);
      } catch (e) {
        if (e instanceof RangeError) throw e;
        throw new InputError(`model ${graph.name}`, `layer ${spec.name}`, 'a layer that fits its input', (e as Error).message);
      }
      this.layers.push(layer);
      shape = layer.outShape;
    }
    const outSize = shape[0] * shape[1] * shape[2];
    if (outSize !== graph.classes) {
      throw new InputError(`model ${graph.name}`, 'last layer', `${graph.classes} outputs (one per class)`, String(outSize));
    }
    this.classes = graph.classes;
    this.input = new Float32Array(opts.maxBatch * this.inputSize);
    this.firstParam = this.layers.findIndex((l) => l.params().length > 0);
    let k = 0;
    while (k < this.layers.length && (this.layers[k].isReshape || this.layers[k] instanceof DropoutLayer)) k++;
    const first = this.layers[k];
    this.pixelLayer = first instanceof DenseLayer || first instanceof ConvLayer ? k : -1;
  }

  /** Instantiate a model: its graph, with its tensors loaded. */
  static create(model: Model, opts: NetworkOptions): Network {
    const net = new Network(model.graph, opts);
    net.loadTensors(model.tensors);
    return net;
  }

  loadTensors(tensors: Map<string, Tensor>): void {
    for (const l of this.layers) l.load(tensors);
    this.invalidate();
  }

  /** The parameters and batch-norm statistics as model tensors, in graph order. */
  exportTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const l of this.layers) l.store(out);
    return out;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => l.params());
  }

  /** Call after changing parameters in place (the optimizer does). */
  invalidate(): void {
    for (const l of this.layers) l.invalidate();
  }

  /**
   * Class scores (n x classes, valid until the next forward) for n images given as
   * consecutive 8-bit HWC pixels.
   */
  forward(pixels: Uint8Array, n: number, ctx: ForwardContext): Float32Array {
    this.checkBatch(n);
    const size = n * this.inputSize;
    if (pixels.length < size) throw new RangeError(`forward: ${n} images need ${size} bytes, got ${pixels.length}`);
    const x = this.input;
    const spec = this.graph.input;
    // The integer-pixel path of the first layer is for the 8-bit pixel map; a binarized
    // input is +-1 values that the layer's own (binary) kernels take as they are.
    const usePixels = !ctx.training && this.pixelLayer >= 0 && spec.bits !== 1;
    if (usePixels) {
      for (let i = 0; i < size; i++) x[i] = pixels[i];
    } else if (spec.bits === 1) {
      for (let i = 0; i < size; i++) x[i] = inputValue(spec, pixels[i]);
    } else {
      const { pixelScale, pixelOffset } = spec;
      for (let i = 0; i < size; i++) x[i] = pixelScale * pixels[i] + pixelOffset;
    }
    return this.run(x.subarray(0, size), n, ctx, usePixels);
  }

  /** Forward from float inputs (the first layer's input space), for tests. */
  forwardFloat(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    this.checkBatch(n);
    return this.run(x, n, ctx, false);
  }

  private run(x: Float32Array, n: number, ctx: ForwardContext, pixels: boolean): Float32Array {
    const spec = this.graph.input;
    let a = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      if (pixels && i === this.pixelLayer && spec.bits !== 1) {
        a = (layer as DenseLayer | ConvLayer).forward(a, n, ctx, { scale: spec.pixelScale, offset: spec.pixelOffset });
      } else {
        a = layer.forward(a, n, ctx);
      }
    }
    return a;
  }

  /** Backpropagate dL/dscores of the last training forward into every parameter gradient. */
  backward(dScores: Float32Array, n: number): void {
    let g: Float32Array | null = dScores;
    for (let l = this.layers.length - 1; l >= 0 && g; l--) {
      const need: NeedInput = l <= this.firstParam ? false : this.needFor(l, n);
      g = this.layers[l].backward(g, n, need);
    }
  }

  /**
   * Which input-gradient entries of layer l matter: the product of the masks of the
   * sign/dropout layers right below it (through reshapes), or all when there are none.
   */
  private needFor(l: number, n: number): NeedInput {
    const masks: Uint8Array[] = [];
    for (let k = l - 1; k >= 0; k--) {
      const layer = this.layers[k];
      if (layer.isReshape) continue;
      if (!isElementwise(layer)) break;
      const m = layer.passMask();
      if (m) masks.push(m);
    }
    if (masks.length === 0) return true;
    if (masks.length === 1) return masks[0];
    const size = n * this.layers[l].inSize;
    if (!this.needScratch || this.needScratch.length < size) this.needScratch = new Uint8Array(this.maxBatch * this.layers[l].inSize);
    const out = this.needScratch;
    out.set(masks[0].subarray(0, size));
    for (let k = 1; k < masks.length; k++) {
      const m = masks[k];
      for (let i = 0; i < size; i++) out[i] &= m[i];
    }
    return out.subarray(0, size);
  }

  private checkBatch(n: number): void {
    if (!(Number.isInteger(n) && n >= 1 && n <= this.maxBatch)) {
      throw new RangeError(`batch of ${n} examples; this network holds 1..${this.maxBatch}`);
    }
  }
}
