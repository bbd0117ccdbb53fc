/**
 * Binary 2-D convolution, 'valid', stride 1: out[y][x][o] = sum over (kh, kw, c) of
 * in[y+kh][x+kw][c] * sign(W[o][kh][kw][c]) (+ bias[o]).
 *
 * A convolution is a dense layer over sliding windows (rows = output pixels, columns =
 * (kh, kw, c) in the weight tensor's order), so it reuses the dense machinery: windows
 * go straight into the sparse row/column lists (no im2col copy), a block of images at a
 * time to bound memory. The input gradient is computed per window and scattered back
 * (col2im). A convolution whose input is all +-1 (after a sign or max-pool) takes the
 * packed binary kernels instead (conv-packed.ts).
 */
import type { Conv2dSpec, Shape3, Tensor } from '../../graph/types.js';
import { pad4, type F32Block, type I32Block } from '../arena.js';
import { BinaryWeights, columnTotals, padRows, unpadRows } from './binary-weights.js';
import { PackedConv } from './conv-packed.js';
import type { MatrixOptions } from './dense.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput, type Param, type PixelAffine } from './layer.js';
import { backgroundValue } from './sparse.js';

/** At most this many window entries are listed at once (idx + val = 8 bytes each). */
const BLOCK_ENTRIES = 1 << 21;

export class ConvLayer extends Layer {
  readonly w: BinaryWeights;
  /** Output pixels per image, and values per window. */
  private readonly R: number;
  private readonly J: number;
  /** Images per block. */
  private readonly block: number;
  private readonly rowPtr: I32Block;
  private readonly colPtr: I32Block;
  private readonly idx: I32Block;
  private readonly val: F32Block;
  /** Offset of each window column (kh, kw, c) from the window's top-left input value. */
  private readonly colOffset: Int32Array;
  private readonly yPad: F32Block;
  private readonly y: Float32Array;
  private readonly gPad: F32Block;
  private readonly dPatch: F32Block;
  private readonly dx: F32Block;
  /** The packed binary kernels (null: float kernels only, as with a bias or kernels 'float'). */
  private readonly packed: PackedConv | null;
  /** Images of the last training forward that ran packed (0: it ran on floats). */
  private packedN = 0;
  private lastX: Float32Array | null = null;
  private lastC = 0;

  constructor(
    private readonly env: LayerEnv,
    readonly spec: Conv2dSpec,
    inShape: Shape3,
    opts: MatrixOptions = {},
  ) {
    const [h, wd, c] = inShape;
    const k = spec.kernel;
    if (spec.padding !== 0) throw new Error(`layer ${spec.name}: only padding 0 ('valid') is supported`);
    if (c !== spec.inChannels) throw new Error(`layer ${spec.name}: input has ${c} channels, spec says ${spec.inChannels}`);
    if (h < k || wd < k) throw new Error(`layer ${spec.name}: input ${h}x${wd} is smaller than the ${k}x${k} kernel`);
    super(spec.name, inShape, [h - k + 1, wd - k + 1, spec.outChannels]);
    this.R = this.outShape[0] * this.outShape[1];
    this.J = k * k * c;
    const O = spec.outChannels;
    const B = env.maxBatch;
    this.w = new BinaryWeights(env, spec.name, this.J, O, k * k * c, k * k * O, spec.bias, opts.binarize ?? true);
    const width = this.w.width;
    this.block = Math.max(1, Math.min(B, Math.floor(BLOCK_ENTRIES / (this.R * this.J))));
    const { arena } = env;
    // Entry lists hold a block's windows (J per row) or its output gradients (O per row).
    const perRow = Math.max(this.J, O);
    this.rowPtr = arena.i32(this.block * this.R + 1);
    this.colPtr = arena.i32(this.J + 1);
    this.idx = arena.i32(this.block * this.R * perRow);
    this.val = arena.f32(this.block * this.R * perRow);
    this.colOffset = new Int32Array(this.J);
    for (let kh = 0, j = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) for (let ci = 0; ci < c; ci++) this.colOffset[j++] = (kh * wd + kw) * c + ci;
    this.yPad = arena.f32(B * this.R * width);
    this.y = width === O ? this.yPad.a : new Float32Array(B * this.R * O);
    // Whole blocks of 4 rows: the signed-sum tables read rows up to a multiple of 4.
    this.gPad = arena.f32(pad4(B * this.R) * width);
    this.dPatch = arena.f32(this.block * this.R * pad4(this.J));
    this.w.withTransposed(env);
    this.dx = arena.f32(B * this.inSize);
    const packed = (env.kernels ?? 'binary') === 'binary' && this.w.binarize && !spec.bias;
    this.packed = packed ? new PackedConv(env, inShape, this.outShape, k, this.w, opts.packedBlockBytes) : null;
  }

  /** Input offset of the top-left value of window r (output pixel r) of image b. */
  private windowBase(b: number, r: number): number {
    const ow = this.outShape[1];
    const [, wd, c] = this.inShape;
    const oy = (r / ow) | 0;
    const ox = r - oy * ow;
    return b * this.inSize + (oy * wd + ox) * c;
  }

  /** See DenseLayer.forward for `affine`. */
  forward(x: Float32Array, n: number, ctx: ForwardContext, affine?: PixelAffine): Float32Array {
    const { w, R } = this;
    const O = this.spec.outChannels;
    const width = w.width;
    w.refresh();
    const c = backgroundValue(x, n * this.inSize);
    const packed = !affine && this.packed !== null && this.packed.pack(x, n);
    this.packedN = packed && ctx.training ? n : 0;
    if (packed) this.packed!.forward(this.yPad.ptr, n);
    else this.floatForward(x, n, c, !affine);
    if (affine) {
      const acc = this.yPad.a;
      const s = w.colSum;
      const bias = w.bias?.a;
      for (let r = 0; r < n * R; r++) {
        for (let o = 0; o < O; o++) {
          this.y[r * O + o] = affine.scale * acc[r * width + o] + affine.offset * s[o] + (bias ? bias[o] : 0);
        }
      }
    } else if (width !== O) {
      unpadRows(this.yPad.a, this.y, n * R, O, width);
    }
    this.lastX = ctx.training ? x : null;
    this.lastC = c;
    return this.y.subarray(0, n * this.outSize);
  }

  /** yPad = the windows of x (listed around the background value c) times bin (+ bias). */
  private floatForward(x: Float32Array, n: number, c: number, withBias: boolean): void {
    const { w, R, J } = this;
    const width = w.width;
    const rowPtr = this.rowPtr.a;
    const idx = this.idx.a;
    const val = this.val.a;
    const off = this.colOffset;
    for (let b0 = 0; b0 < n; b0 += this.block) {
      const b1 = Math.min(n, b0 + this.block);
      let nnz = 0;
      let row = 0;
      rowPtr[0] = 0;
      for (let b = b0; b < b1; b++) {
        for (let r = 0; r < R; r++) {
          const base = this.windowBase(b, r);
          for (let j = 0; j < J; j++) {
            const v = x[base + off[j]] - c;
            if (v !== 0) {
              idx[nnz] = j;
              val[nnz] = v;
              nnz++;
            }
          }
          rowPtr[++row] = nnz;
        }
      }
      w.initRows(this.yPad.a, b0 * R * width, row, c, withBias);
      this.env.pool.gather(this.yPad.ptr + b0 * R * width * 4, this.rowPtr.ptr, this.idx.ptr, this.val.ptr, row, w.bin.ptr, width);
    }
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    const x = this.lastX;
    if (!x) throw new Error(`layer ${this.name}: backward without a training forward`);
    const { w, R, J } = this;
    const O = this.spec.outChannels;
    const width = w.width;
    const c = this.lastC;
    const { pool } = this.env;
    const rows = n * R;
    padRows(dy, this.gPad.a, rows, O, width);
    if (this.packedN === n) {
      // +-1 input, no bias (conv-packed.ts).
      this.gPad.a.fill(0, rows * width, pad4(rows) * width);
      this.packed!.weightGrad(this.gPad.ptr, n);
      if (need === false) return null;
      this.packed!.inputGrad(this.gPad.a, n, this.dx.a, this.dx.ptr);
      return this.dx.a.subarray(0, n * this.inSize);
    }
    const gSum = columnTotals(this.gPad.a, rows, O, width);

    const dw = w.grad.a;
    for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) dw[j * width + o] = c * gSum[o];
    const colPtr = this.colPtr.a;
    const idx = this.idx.a;
    const val = this.val.a;
    const off = this.colOffset;
    const [oh, ow] = this.outShape;
    const ci = this.inShape[2];
    const rowStride = this.inShape[1] * ci;
    for (let b0 = 0; b0 < n; b0 += this.block) {
      const b1 = Math.min(n, b0 + this.block);
      // Column lists of the block's windows, rows numbered globally (b * R + r) so the
      // kernel reads the matching gradient rows; rows in increasing order per column.
      // Column j = (kh, kw, c) of every window is a shifted view of the input, so one
      // pass, column by column, writes the lists in order.
      let nnz = 0;
      colPtr[0] = 0;
      for (let j = 0; j < J; j++) {
        const oj = off[j];
        for (let b = b0; b < b1; b++) {
          let g = b * R;
          for (let oy = 0; oy < oh; oy++) {
            let xi = b * this.inSize + oy * rowStride + oj;
            for (let ox = 0; ox < ow; ox++, g++, xi += ci) {
              const v = x[xi] - c;
              if (v !== 0) {
                idx[nnz] = g;
                val[nnz] = v;
                nnz++;
              }
            }
          }
        }
        colPtr[j + 1] = nnz;
      }
      pool.gather(w.grad.ptr, this.colPtr.ptr, this.idx.ptr, this.val.ptr, J, this.gPad.ptr, width);
    }
    if (w.biasGrad) for (let o = 0; o < O; o++) w.biasGrad.a[o] = gSum[o];

    if (need === false) return null;
    // Masks are not used here: every window overlaps others, so a full product is needed.
    const dx = this.dx.a;
    dx.fill(0, 0, n * this.inSize);
    // Window gradients dP = G * sign(W), as sparse rows of G times the transposed
    // weights (register-tiled), then scattered back onto the input (col2im).
    const dp = this.dPatch.a;
    const jw = pad4(J);
    const g = this.gPad.a;
    const binT = w.binT!;
    const rowPtr = this.rowPtr.a;
    for (let b0 = 0; b0 < n; b0 += this.block) {
      const b1 = Math.min(n, b0 + this.block);
      const blockRows = (b1 - b0) * R;
      let nnz = 0;
      rowPtr[0] = 0;
      for (let row = 0; row < blockRows; row++) {
        const base = (b0 * R + row) * width;
        for (let o = 0; o < O; o++) {
          const v = g[base + o];
          if (v !== 0) {
            idx[nnz] = o;
            val[nnz] = v;
            nnz++;
          }
        }
        rowPtr[row + 1] = nnz;
      }
      dp.fill(0, 0, blockRows * jw);
      pool.gather(this.dPatch.ptr, this.rowPtr.ptr, this.idx.ptr, this.val.ptr, blockRows, binT.ptr, jw);
      for (let b = b0, row = 0; b < b1; b++) {
        for (let r = 0; r < R; r++, row++) {
          const base = this.windowBase(b, r);
          const pr = row * jw;
          for (let j = 0; j < J; j++) dx[base + off[j]] += dp[pr + j];
        }
      }
    }
    return dx.subarray(0, n * this.inSize);
  }

  override params(): Param[] {
    return this.w.params();
  }

  override load(tensors: Map<string, Tensor>): void {
    this.w.load(tensors);
  }

  override store(tensors: Map<string, Tensor>): void {
    const { outChannels, kernel, inChannels } = this.spec;
    this.w.store(tensors, [outChannels, kernel, kernel, inChannels]);
  }

  override invalidate(): void {
    this.w.invalidate();
  }
}
