/**
 * Binary dense layer: y = x * sign(W)^T (+ bias), W the latent weights [out][in].
 *
 * The input is listed once per forward by column (input j: the examples whose x[r][j]
 * differs from the background, see sparse.ts); the forward pass scatters each weight
 * row into those examples' outputs (the weight matrix is read once per batch), and the
 * backward pass reuses the same lists for the weight gradient. The input gradient
 * dx = dy * sign(W) is a dot product per needed entry, skipping those a following
 * sign/dropout would zero.
 */
import type { DenseSpec, Shape3, Tensor } from '../../graph/types.js';
import type { F32Block, I32Block } from '../arena.js';
import { BinaryWeights, columnTotals, padRows, unpadRows } from './binary-weights.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput, type Param, type PixelAffine } from './layer.js';
import { packedRowBytes, packSignRows } from './packed.js';
import { backgroundValue, columnsCsr, maskColumns } from './sparse.js';

export interface MatrixOptions {
  /** Test mode: use the latent weights in the forward pass instead of their sign. */
  binarize?: boolean;
  /**
   * Convolutions: bytes of backward buffers per block of images in the packed kernels
   * (default 8 MiB, conv-packed.ts); tests set it small to cross block boundaries.
   */
  packedBlockBytes?: number;
}

export class DenseLayer extends Layer {
  readonly w: BinaryWeights;
  /** Column lists of the last training input (kept for the weight gradient). */
  private readonly colPtr: I32Block;
  private readonly idx: I32Block;
  private readonly val: F32Block;
  /** Column lists of the input-gradient entries a mask asks for. */
  private readonly needPtr: I32Block;
  private readonly needIdx: I32Block;
  private readonly count: Int32Array;
  private readonly yPad: F32Block;
  private readonly y: Float32Array;
  private readonly gPad: F32Block;
  private readonly dx: F32Block;
  /** The input packed to bits for the binDense kernel (null: float kernels only). */
  private readonly xBits: I32Block | null;
  /**
   * For the weight gradient of a +-1 input: idx[j*nb + b] = the sign bits of
   * x[4b..4b+3][j] (bit i set where x[4b+i][j] = -1), and the table of signed sums of
   * blocks of 4 output-gradient rows (signedSums / signSumsDW in kernels.ts).
   */
  private readonly blockIdx: { ptr: number; a: Uint8Array } | null;
  private readonly table: F32Block | null;
  /** For the input gradient through signed sums: G transposed, its table, dx transposed. */
  private readonly gT: F32Block | null;
  private readonly tableT: F32Block | null;
  private readonly dxT: F32Block | null;
  /** Examples of the last training forward that ran packed (0: it ran on floats). */
  private packedN = 0;
  private lastX: Float32Array | null = null;
  private lastC = 0;

  constructor(
    private readonly env: LayerEnv,
    readonly spec: DenseSpec,
    inShape: Shape3,
    opts: MatrixOptions = {},
  ) {
    super(spec.name, inShape, [1, 1, spec.outFeatures]);
    if (this.inSize !== spec.inFeatures) {
      throw new Error(`layer ${spec.name}: input has ${this.inSize} values, spec says ${spec.inFeatures}`);
    }
    const J = spec.inFeatures;
    const O = spec.outFeatures;
    const B = env.maxBatch;
    this.w = new BinaryWeights(env, spec.name, J, O, J, O, spec.bias, opts.binarize ?? true);
    const width = this.w.width;
    const { arena } = env;
    this.colPtr = arena.i32(J + 1);
    this.idx = arena.i32(B * J);
    this.val = arena.f32(B * J);
    this.needPtr = arena.i32(J + 1);
    this.needIdx = arena.i32(B * J);
    this.count = new Int32Array(J);
    this.yPad = arena.f32(B * width);
    this.y = width === O ? this.yPad.a : new Float32Array(B * O);
    // Whole blocks of 4 rows: the signed-sum table reads rows up to a multiple of 4.
    this.gPad = arena.f32(Math.ceil(B / 4) * 4 * width);
    this.dx = arena.f32(B * J);
    const packed = (env.kernels ?? 'binary') === 'binary' && this.w.binarize && !spec.bias;
    this.xBits = packed ? arena.i32((B * packedRowBytes(J)) >> 2) : null;
    const nb = Math.ceil(B / 4);
    if (packed) {
      this.w.withPacked(env);
      const block = arena.i32(Math.ceil((J * nb) / 4));
      this.blockIdx = { ptr: block.ptr, a: new Uint8Array(arena.memory.buffer, block.ptr, J * nb) };
      this.table = arena.f32(nb * 16 * width);
      const nPad = nb * 4;
      this.gT = arena.f32(width * nPad);
      this.tableT = arena.f32((width / 4) * 16 * nPad);
      this.dxT = arena.f32(J * nPad);
    } else {
      this.blockIdx = null;
      this.table = null;
      this.gT = null;
      this.tableT = null;
      this.dxT = null;
    }
  }

  /**
   * With `affine`, x holds raw pixel values p and the layer computes the product for
   * scale * p + offset as scale * (p * W) + offset * colSum: the sums over integer
   * pixels are exact in float32, so evaluation agrees with the float64 reference.
   */
  forward(x: Float32Array, n: number, ctx: ForwardContext, affine?: PixelAffine): Float32Array {
    const J = this.spec.inFeatures;
    const O = this.spec.outFeatures;
    const { w } = this;
    const width = w.width;
    w.refresh();
    const c = backgroundValue(x, n * J);
    // +-1 inputs (after a sign, no dropout): XNOR-popcount on packed bits. The column
    // lists are still made in training, for the weight gradient.
    const packed = !affine && this.xBits !== null && w.bits !== null && packSignRows(x, n, J, this.xBits.a);
    this.packedN = packed && ctx.training ? n : 0;
    if (packed) {
      if (ctx.training) this.blockSigns(x, n);
      this.env.pool.binDense(this.yPad.ptr, this.xBits!.ptr, n, w.bits!.ptr, O, packedRowBytes(J), width, J);
    } else {
      columnsCsr(x, n, J, c, this.colPtr.a, this.idx.a, this.val.a, this.count);
      w.initRows(this.yPad.a, 0, n, c, !affine);
      this.env.pool.scatter(this.yPad.ptr, this.colPtr.ptr, this.idx.ptr, this.val.ptr, J, w.bin.ptr, width);
    }
    if (affine) {
      const acc = this.yPad.a;
      const s = w.colSum;
      const bias = w.bias?.a;
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < O; o++) {
          this.y[r * O + o] = affine.scale * acc[r * width + o] + affine.offset * s[o] + (bias ? bias[o] : 0);
        }
      }
    } else if (width !== O) {
      unpadRows(this.yPad.a, this.y, n, O, width);
    }
    // The column lists now describe this input; backward needs a training forward's.
    this.lastX = ctx.training ? x : null;
    this.lastC = c;
    return this.y.subarray(0, n * O);
  }

  /** blockIdx from a +-1 input (see the field). */
  private blockSigns(x: Float32Array, n: number): void {
    const J = this.spec.inFeatures;
    const nb = (n + 3) >> 2;
    const idx = this.blockIdx!.a;
    idx.fill(0, 0, J * nb);
    for (let r = 0; r < n; r++) {
      const b = r >> 2;
      const bit = 1 << (r & 3);
      const base = r * J;
      for (let j = 0, at = b; j < J; j++, at += nb) if (x[base + j] < 0) idx[at] |= bit;
    }
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    if (!this.lastX) throw new Error(`layer ${this.name}: backward without a training forward`);
    const J = this.spec.inFeatures;
    const O = this.spec.outFeatures;
    const { w } = this;
    const width = w.width;
    const c = this.lastC;
    const { pool } = this.env;
    padRows(dy, this.gPad.a, n, O, width);
    const gSum = columnTotals(this.gPad.a, n, O, width);

    if (this.packedN === n) {
      // +-1 input: dW = X^T G through the table of signed sums of 4 rows of G (rows past
      // n are zero, so a last block of fewer than 4 examples is exact too).
      const nb = (n + 3) >> 2;
      this.gPad.a.fill(0, n * width, nb * 4 * width);
      pool.signedSums(this.table!.ptr, this.gPad.ptr, nb, width);
      pool.signSumsDW(w.grad.ptr, this.table!.ptr, this.blockIdx!.ptr, nb, J, width);
      if (w.biasGrad) for (let o = 0; o < O; o++) w.biasGrad.a[o] = gSum[o];
    } else {
      // dW[j][o] = sum_r x[r][j] g[r][o] = c * gSum[o] + sum_r (x[r][j] - c) g[r][o]
      const dw = w.grad.a;
      for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) dw[j * width + o] = c * gSum[o];
      pool.gather(w.grad.ptr, this.colPtr.ptr, this.idx.ptr, this.val.ptr, J, this.gPad.ptr, width);
      if (w.biasGrad) for (let o = 0; o < O; o++) w.biasGrad.a[o] = gSum[o];
    }

    if (need === false) return null;
    if (w.nibbles) {
      // dx[r][j] = sum_o g[r][o] bin[j][o], all entries, with the examples in SIMD lanes:
      // signed sums of each 4 gradients of an example, picked by the sign bits of each 4
      // weights of row j (one add per 4 weights).
      const nPad = ((n + 3) >> 2) * 4;
      const gT = this.gT!.a;
      const g = this.gPad.a;
      gT.fill(0, 0, width * nPad);
      for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) gT[o * nPad + r] = g[r * width + o];
      pool.signedSums(this.tableT!.ptr, this.gT!.ptr, width >> 2, nPad);
      pool.signSumsDW(this.dxT!.ptr, this.tableT!.ptr, w.nibbles.ptr, width >> 2, J, nPad);
      const dxT = this.dxT!.a;
      const dx = this.dx.a;
      for (let j = 0; j < J; j++) for (let r = 0; r < n; r++) dx[r * J + j] = dxT[j * nPad + r];
      return dx.subarray(0, n * J);
    }
    // Weight rows outside, so the (large) weight matrix is read once.
    if (need === true) {
      pool.dots(this.dx.ptr, this.gPad.ptr, n, w.bin.ptr, J, width, J, true);
    } else {
      this.dx.a.fill(0, 0, n * J);
      maskColumns(need, n, J, this.needPtr.a, this.needIdx.a);
      pool.dotsCols(this.dx.ptr, this.needPtr.ptr, this.needIdx.ptr, J, this.gPad.ptr, w.bin.ptr, width, J);
    }
    return this.dx.a.subarray(0, n * J);
  }

  override params(): Param[] {
    return this.w.params();
  }

  override load(tensors: Map<string, Tensor>): void {
    this.w.load(tensors);
  }

  override store(tensors: Map<string, Tensor>): void {
    this.w.store(tensors, [this.spec.outFeatures, this.spec.inFeatures]);
  }

  override invalidate(): void {
    this.w.invalidate();
  }
}
