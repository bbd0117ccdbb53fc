/**
 * Batch normalization over the last axis (features of a dense layer, channels of a
 * convolution, statistics over batch and pixels).
 *
 * Training: y = gamma * (x - mu) / sqrt(var + eps) + beta with the batch mean and the
 * biased batch variance (as Lasagne's BatchNormLayer, which the reference uses), and
 * running = (1 - momentum) * running + momentum * batch for mean and variance.
 * Evaluation: the same with the running statistics. Sums are in float64.
 */
import type { BatchNormSpec, Shape3, Tensor } from '../../graph/types.js';
import { pad4, type Arena, type F32Block } from '../arena.js';
import type { KernelPool } from '../pool.js';
import { Layer, tensorOf, type ForwardContext, type LayerEnv, type NeedInput, type Param } from './layer.js';

export class BatchNormLayer extends Layer {
  readonly gamma: F32Block;
  readonly beta: F32Block;
  readonly gammaGrad: F32Block;
  readonly betaGrad: F32Block;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  private readonly xhat: F32Block;
  private readonly invStd: Float64Array;
  /** float64 mean, sums and 1/sigma for the kernels (in the arena). */
  private readonly stats: {
    ptr: number;
    mean: Float64Array;
    sum: Float64Array;
    inv: Float64Array;
    sumDy: Float64Array;
    sumDyXhat: Float64Array;
    k: Float64Array;
  };
  private readonly arena: Arena;
  private readonly pool: KernelPool;
  private readonly y: Float32Array;
  private readonly dx: Float32Array;

  constructor(
    env: LayerEnv,
    readonly spec: BatchNormSpec,
    inShape: Shape3,
  ) {
    super(spec.name, inShape, inShape);
    if (inShape[2] !== spec.features) {
      throw new Error(`layer ${spec.name}: input has ${inShape[2]} channels, spec says ${spec.features}`);
    }
    const F = spec.features;
    this.gamma = env.arena.f32(pad4(F));
    this.beta = env.arena.f32(pad4(F));
    this.gammaGrad = env.arena.f32(pad4(F));
    this.betaGrad = env.arena.f32(pad4(F));
    this.gamma.a.fill(1, 0, F);
    this.runningMean = new Float32Array(F);
    this.runningVar = new Float32Array(F).fill(1);
    const size = env.maxBatch * this.inSize;
    this.xhat = env.arena.f32(size);
    this.invStd = new Float64Array(F);
    const block = env.arena.f32(12 * F);
    const f64 = (k: number): Float64Array => new Float64Array(block.a.buffer, block.ptr + 8 * F * k, F);
    this.stats = { ptr: block.ptr, mean: f64(0), sum: f64(1), inv: f64(2), sumDy: f64(3), sumDyXhat: f64(4), k: f64(5) };
    this.arena = env.arena;
    this.pool = env.pool;
    // In the arena: the sign layer after it runs a kernel on it.
    this.y = env.arena.f32(size).a;
    this.dx = env.arena.f32(size).a;
  }

  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    const F = this.spec.features;
    const total = n * this.inSize;
    const count = total / F;
    const g = this.gamma.a;
    const b = this.beta.a;
    const y = this.y;
    if (!ctx.training) {
      // The same expression, in the same order, as the float reference (src/nn/eval.ts).
      for (let f = 0; f < F; f++) {
        const sd = Math.sqrt(this.runningVar[f] + this.spec.eps);
        const mean = this.runningMean[f];
        for (let i = f; i < total; i += F) y[i] = (g[f] * (x[i] - mean)) / sd + b[f];
      }
      return y.subarray(0, total);
    }
    const at = F % 4 === 0 ? this.arena.lineStart(x) : null;
    if (at !== null) return this.forwardKernels(at, n);
    const mean = new Float64Array(F);
    for (let i = 0; i < total; i += F) for (let f = 0; f < F; f++) mean[f] += x[i + f];
    for (let f = 0; f < F; f++) mean[f] /= count;
    const variance = new Float64Array(F);
    for (let i = 0; i < total; i += F) {
      for (let f = 0; f < F; f++) {
        const d = x[i + f] - mean[f];
        variance[f] += d * d;
      }
    }
    this.update(mean, variance, count);
    const invStd = this.invStd;
    const xhat = this.xhat.a;
    for (let i = 0; i < total; i += F) {
      for (let f = 0; f < F; f++) {
        const h = (x[i + f] - mean[f]) * invStd[f];
        xhat[i + f] = h;
        y[i + f] = g[f] * h + b[f];
      }
    }
    return y.subarray(0, total);
  }

  /**
   * The training forward in kernels (x an arena block, F a multiple of 4): the same
   * float64 operations in the same order as the loops above, so the same bits.
   */
  private forwardKernels(at: number, n: number): Float32Array {
    const F = this.spec.features;
    const total = n * this.inSize;
    const rows = total / F;
    const { ptr, mean, sum, inv } = this.stats;
    const meanPtr = ptr;
    const sumPtr = ptr + 8 * F;
    sum.fill(0);
    this.pool.bnSums(false, sumPtr, at, rows, F, 0);
    for (let f = 0; f < F; f++) mean[f] = sum[f] / rows;
    sum.fill(0);
    this.pool.bnSums(true, sumPtr, at, rows, F, meanPtr);
    const variance = Float64Array.from(sum);
    this.update(mean, variance, rows);
    inv.set(this.invStd);
    const yPtr = this.y.byteOffset;
    this.pool.bnApply(yPtr, this.xhat.ptr, at, rows, F, meanPtr, ptr + 16 * F, this.gamma.ptr, this.beta.ptr);
    return this.y.subarray(0, total);
  }

  /** backward in kernels (dy an arena block, F a multiple of 4): the loops' operations and order, so the same bits. */
  private backwardKernels(dy: number, n: number, need: NeedInput): Float32Array | null {
    const F = this.spec.features;
    const total = n * this.inSize;
    const rows = total / F;
    const { ptr, sumDy, sumDyXhat, k } = this.stats;
    sumDy.fill(0);
    sumDyXhat.fill(0);
    this.pool.bnBackSums(ptr + 24 * F, dy, this.xhat.ptr, rows, F);
    for (let f = 0; f < F; f++) {
      this.betaGrad.a[f] = sumDy[f];
      this.gammaGrad.a[f] = sumDyXhat[f];
    }
    if (need === false) return null;
    const g = this.gamma.a;
    for (let f = 0; f < F; f++) {
      k[f] = g[f] * this.invStd[f];
      sumDy[f] /= rows;
      sumDyXhat[f] /= rows;
    }
    this.pool.bnBackApply(this.dx.byteOffset, dy, this.xhat.ptr, rows, F, ptr + 24 * F, ptr + 32 * F, ptr + 40 * F);
    return this.dx.subarray(0, total);
  }

  /** variance /= count; 1/sigma; the running statistics. */
  private update(mean: Float64Array, variance: Float64Array, count: number): void {
    const m = this.spec.momentum;
    for (let f = 0; f < this.spec.features; f++) {
      variance[f] /= count;
      this.invStd[f] = 1 / Math.sqrt(variance[f] + this.spec.eps);
      this.runningMean[f] = (1 - m) * this.runningMean[f] + m * mean[f];
      this.runningVar[f] = (1 - m) * this.runningVar[f] + m * variance[f];
    }
  }

  /** dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)), over the batch. */
  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    const F = this.spec.features;
    const total = n * this.inSize;
    const count = total / F;
    const xhat = this.xhat.a;
    const at = F % 4 === 0 ? this.arena.lineStart(dy) : null;
    if (at !== null) return this.backwardKernels(at, n, need);
    const sumDy = new Float64Array(F);
    const sumDyXhat = new Float64Array(F);
    for (let i = 0; i < total; i += F) {
      for (let f = 0; f < F; f++) {
        sumDy[f] += dy[i + f];
        sumDyXhat[f] += dy[i + f] * xhat[i + f];
      }
    }
    for (let f = 0; f < F; f++) {
      this.betaGrad.a[f] = sumDy[f];
      this.gammaGrad.a[f] = sumDyXhat[f];
    }
    if (need === false) return null;
    const g = this.gamma.a;
    const dx = this.dx;
    const k = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      k[f] = g[f] * this.invStd[f];
      sumDy[f] /= count;
      sumDyXhat[f] /= count;
    }
    for (let i = 0; i < total; i += F) {
      for (let f = 0; f < F; f++) dx[i + f] = k[f] * (dy[i + f] - sumDy[f] - xhat[i + f] * sumDyXhat[f]);
    }
    return dx.subarray(0, total);
  }

  override params(): Param[] {
    return [
      { name: `${this.name}.gamma`, value: this.gamma, grad: this.gammaGrad, kind: 'real', lrScale: 1, clip: Infinity },
      { name: `${this.name}.beta`, value: this.beta, grad: this.betaGrad, kind: 'real', lrScale: 1, clip: Infinity },
    ];
  }

  override load(tensors: Map<string, Tensor>): void {
    const F = this.spec.features;
    this.gamma.a.set(tensorOf(tensors, `${this.name}.gamma`, F));
    this.beta.a.set(tensorOf(tensors, `${this.name}.beta`, F));
    this.runningMean.set(tensorOf(tensors, `${this.name}.running_mean`, F));
    this.runningVar.set(tensorOf(tensors, `${this.name}.running_var`, F));
  }

  override store(tensors: Map<string, Tensor>): void {
    const F = this.spec.features;
    tensors.set(`${this.name}.gamma`, { shape: [F], data: this.gamma.a.slice(0, F) });
    tensors.set(`${this.name}.beta`, { shape: [F], data: this.beta.a.slice(0, F) });
    tensors.set(`${this.name}.running_mean`, { shape: [F], data: this.runningMean.slice() });
    tensors.set(`${this.name}.running_var`, { shape: [F], data: this.runningVar.slice() });
  }
}
