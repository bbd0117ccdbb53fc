/**
 * The weights of a binary layer (dense or convolution) during training.
 *
 * Stored transposed, as rows of inputs: latent[j][o] for input j and neuron o, each row
 * padded to a multiple of 4 floats (pads stay exactly 0), so the SIMD kernels can add
 * whole weight rows into output rows. The model file keeps the [out][in] layout; load
 * and store transpose.
 *
 * The forward pass uses sign(latent) with sign(0) = +1; the gradient with respect to
 * that binarized weight is applied to the latent weight (BinaryConnect). In the test
 * mode `binarize: false` the forward uses the latent weights themselves, so the
 * gradient can be checked against finite differences.
 */
import type { Tensor } from '../../graph/types.js';
import { pad4, type F32Block, type I32Block } from '../arena.js';
import type { KernelPool } from '../pool.js';
import { glorotLrScale } from '../schedule.js';
import { tensorOf, type LayerEnv, type Param } from './layer.js';
import { packedRowWords } from './packed.js';

export class BinaryWeights {
  /** Row width in floats (outputs rounded up to a multiple of 4). */
  readonly width: number;
  readonly latent: F32Block;
  readonly grad: F32Block;
  /** sign(latent) as +-1 floats (or latent itself in the test mode); pads 0. */
  readonly bin: F32Block;
  /** Column sums of bin: sum over inputs j of bin[j][o]. */
  readonly colSum: Float64Array;
  readonly bias: F32Block | null;
  readonly biasGrad: F32Block | null;
  readonly lrScale: number;
  private readonly pool: KernelPool;
  /** Column sums as float32 (integers, exact) from the signs kernel. */
  private readonly sums: F32Block | null;
  /**
   * bin transposed, [outputs][rows padded to 4] (pads 0), for products with output
   * gradients on the left; allocated by withTransposed().
   */
  binT: F32Block | null = null;
  /**
   * sign(latent) packed by neuron, [outputs][packedRowWords(rows)] (src/nn/layers/packed.ts),
   * for the binDense kernel; allocated by withPacked(), binarizing layers only.
   */
  bits: I32Block | null = null;
  /**
   * nibbles[j*width/4 + k]: bit i set where latent[j][4k + i] < 0 -- the sign bits of each
   * 4 weights of a row, for the input gradient through signed sums (allocated with bits).
   */
  nibbles: { ptr: number; a: Uint8Array } | null = null;
  private fresh = false;

  constructor(
    env: LayerEnv,
    readonly layerName: string,
    /** Inputs per neuron (dense: in features; conv: kernel * kernel * in channels). */
    readonly rows: number,
    /** Neurons (dense: out features; conv: out channels). */
    readonly outputs: number,
    fanIn: number,
    fanOut: number,
    hasBias: boolean,
    readonly binarize: boolean,
  ) {
    this.width = pad4(outputs);
    const n = rows * this.width;
    this.latent = env.arena.f32(n);
    this.grad = env.arena.f32(n);
    this.bin = env.arena.f32(n);
    this.colSum = new Float64Array(outputs);
    this.bias = hasBias ? env.arena.f32(this.width) : null;
    this.biasGrad = hasBias ? env.arena.f32(this.width) : null;
    this.lrScale = glorotLrScale(fanIn, fanOut);
    this.pool = env.pool;
    this.sums = binarize ? env.arena.f32(this.width) : null;
  }

  /** Keep binT up to date from now on. */
  withTransposed(env: LayerEnv): void {
    if (!this.binT) this.binT = env.arena.f32(this.outputs * pad4(this.rows));
    this.fresh = false;
  }

  /** Keep `bits` up to date from now on (no-op in the unbinarized test mode). */
  withPacked(env: LayerEnv): void {
    if (!this.binarize) return;
    // Rows for every neuron up to the padded width: the kernel packs four at a time.
    if (!this.bits) this.bits = env.arena.i32(this.width * packedRowWords(this.rows));
    if (!this.nibbles) {
      const n = (this.rows * this.width) >> 2;
      const block = env.arena.i32(Math.ceil(n / 4));
      this.nibbles = { ptr: block.ptr, a: new Uint8Array(env.arena.memory.buffer, block.ptr, n) };
    }
    this.fresh = false;
  }

  /** Recompute bin, binT, bits and colSum after the latent weights changed. */
  refresh(): void {
    if (this.fresh) return;
    const { rows, outputs, width } = this;
    const w = this.latent.a;
    const b = this.bin.a;
    const s = this.colSum;
    if (this.binarize) {
      // The SIMD kernels; latent pads are 0, so bin pads come out +1: reset them to 0.
      const sums = this.sums!;
      sums.a.fill(0);
      this.pool.signs(this.bin.ptr, this.latent.ptr, rows, width, sums.ptr);
      for (let o = 0; o < outputs; o++) s[o] = sums.a[o];
      if (width !== outputs) for (let j = 0; j < rows; j++) b.fill(0, j * width + outputs, (j + 1) * width);
      if (this.bits) this.pool.packSigns(this.bits.ptr, this.latent.ptr, rows, width, packedRowWords(rows));
      if (this.nibbles) this.pool.signNibbles(this.nibbles.ptr, this.latent.ptr, (rows * width) >> 2);
    } else {
      s.fill(0);
      for (let j = 0; j < rows; j++) {
        const base = j * width;
        for (let o = 0; o < outputs; o++) {
          const v = w[base + o];
          b[base + o] = v;
          s[o] += v;
        }
      }
    }
    if (this.binT) {
      const t = this.binT.a;
      const tw = pad4(rows);
      for (let o = 0; o < outputs; o++) for (let j = 0; j < rows; j++) t[o * tw + j] = b[j * width + o];
    }
    this.fresh = true;
  }

  invalidate(): void {
    this.fresh = false;
  }

  params(): Param[] {
    const ps: Param[] = [
      {
        name: `${this.layerName}.weight`,
        value: this.latent,
        grad: this.grad,
        kind: 'binary',
        lrScale: this.lrScale,
        clip: 1,
      },
    ];
    if (this.bias && this.biasGrad) {
      ps.push({ name: `${this.layerName}.bias`, value: this.bias, grad: this.biasGrad, kind: 'real', lrScale: 1, clip: Infinity });
    }
    return ps;
  }

  load(tensors: Map<string, Tensor>): void {
    const { rows, outputs, width } = this;
    const src = tensorOf(tensors, `${this.layerName}.weight`, rows * outputs);
    const w = this.latent.a;
    for (let o = 0; o < outputs; o++) for (let j = 0; j < rows; j++) w[j * width + o] = src[o * rows + j];
    if (this.bias) this.bias.a.set(tensorOf(tensors, `${this.layerName}.bias`, outputs));
    this.fresh = false;
  }

  store(tensors: Map<string, Tensor>, weightShape: number[]): void {
    const { rows, outputs, width } = this;
    const data = new Float32Array(rows * outputs);
    const w = this.latent.a;
    for (let o = 0; o < outputs; o++) for (let j = 0; j < rows; j++) data[o * rows + j] = w[j * width + o];
    tensors.set(`${this.layerName}.weight`, { shape: weightShape, data });
    if (this.bias) tensors.set(`${this.layerName}.bias`, { shape: [outputs], data: this.bias.a.slice(0, outputs) });
  }

  /**
   * Initial value of output rows before the sparse product: c * colSum[o] (+ bias).
   * rowsOut rows starting at float offset `at` of `out` (row stride = width).
   */
  initRows(out: Float32Array, at: number, nRows: number, c: number, withBias: boolean): void {
    const { outputs, width } = this;
    const s = this.colSum;
    const bias = withBias && this.bias ? this.bias.a : null;
    for (let r = 0; r < nRows; r++) {
      const base = at + r * width;
      for (let o = 0; o < outputs; o++) out[base + o] = c * s[o] + (bias ? bias[o] : 0);
    }
  }
}

/** Copy n rows of `outputs` values into rows padded to `width` (pads untouched). */
export function padRows(src: Float32Array, dst: Float32Array, nRows: number, outputs: number, width: number): void {
  if (outputs === width) {
    dst.set(src.subarray(0, nRows * outputs));
    return;
  }
  for (let r = 0; r < nRows; r++) dst.set(src.subarray(r * outputs, (r + 1) * outputs), r * width);
}

/** The inverse of padRows. */
export function unpadRows(src: Float32Array, dst: Float32Array, nRows: number, outputs: number, width: number): void {
  for (let r = 0; r < nRows; r++) dst.set(src.subarray(r * width, r * width + outputs), r * outputs);
}

/** Sum over rows of padded rows: out[o] = sum_r g[r][o]. */
export function columnTotals(g: Float32Array, nRows: number, outputs: number, width: number): Float64Array {
  const s = new Float64Array(outputs);
  for (let r = 0; r < nRows; r++) {
    const base = r * width;
    for (let o = 0; o < outputs; o++) s[o] += g[base + o];
  }
  return s;
}
