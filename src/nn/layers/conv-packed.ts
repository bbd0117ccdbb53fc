/**
 * The binary kernels of a convolution whose input is all +-1 (a hidden convolution after
 * sign or max-pool), the convolutional form of DenseLayer's packed path:
 *
 * - forward: the input's channels packed to bits per pixel, then every window's
 *   J = K*K*C bits gathered into one packed row (im2col of bits, columns in the weight
 *   tensor's (kh, kw, c) order), and y = J - 2 popcount(window xor w) by binDense;
 *   integers, so exactly what the float kernels give;
 * - weight gradient: the windows are the "examples" of dW = X^T G: tables of signed sums
 *   of 4 output-gradient rows (signedSums), indexed by the sign bits of 4 windows per
 *   column (blockNibbles), added by signSumsDW, a block of images at a time;
 * - input gradient: window gradients P = G sign(W)^T through the weights' sign nibbles
 *   (windows in SIMD lanes, as DenseLayer's input gradient), added back onto the input
 *   (addWindows, col2im).
 *
 * The gradients add the same terms as the float kernels in another order: equal up to
 * float32 rounding (test/nn-binary-kernels.test.ts compares both, and this order
 * against a reference that adds in it, exactly).
 */
import type { Shape3 } from '../../graph/types.js';
import { pad4, type F32Block, type I32Block } from '../arena.js';
import type { BinaryWeights } from './binary-weights.js';
import type { LayerEnv } from './layer.js';
import { packedRowBytes, packSignWords } from './packed.js';

/** Backward buffers of a block of images (tables, window gradients) stay near this size. */
const BLOCK_BYTES = 8 << 20;
/** binDense runs on chunks of windows about this large, so they stay in cache while all weights pass. */
const FORWARD_CHUNK_BYTES = 64 << 10;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export class PackedConv {
  private readonly H: number;
  private readonly W: number;
  private readonly C: number;
  private readonly oh: number;
  private readonly ow: number;
  /** Windows per image, bits per window, input values per image. */
  private readonly R: number;
  private readonly J: number;
  private readonly inSize: number;
  /** int32 words per input pixel (its channels' sign bits). */
  private readonly words: number;
  /** Bytes per packed window (a multiple of 16, zero bits past J). */
  private readonly rowBytes: number;
  private readonly pixBits: I32Block;
  /** The windows of the last forward, pad4(n * R) rows (rows past n * R are 0). */
  private readonly winBits: I32Block;
  /** Images per backward block (a block's windows are a multiple of 4, but for the last). */
  readonly block: number;
  /** Signed-sum table (weight gradient, then input gradient, of one block). */
  private readonly table: F32Block;
  /** A block's output gradients transposed, [width][pad4(rows)]. */
  private readonly gT: F32Block;
  /** A block's window gradients, [J][pad4(rows)]. */
  private readonly dP: F32Block;
  private readonly blockIdx: { ptr: number; a: Uint8Array };
  /** Window columns grouped by input channel (c, then kh, kw), and each column's input offset. */
  private readonly jList: I32Block;
  private readonly offs: I32Block;

  constructor(
    private readonly env: LayerEnv,
    inShape: Shape3,
    outShape: Shape3,
    private readonly K: number,
    private readonly w: BinaryWeights,
    blockBytes = BLOCK_BYTES,
  ) {
    const [H, W, C] = inShape;
    this.H = H;
    this.W = W;
    this.C = C;
    this.oh = outShape[0];
    this.ow = outShape[1];
    this.R = this.oh * this.ow;
    this.J = K * K * C;
    this.inSize = H * W * C;
    this.words = Math.ceil(C / 32);
    this.rowBytes = packedRowBytes(this.J);
    const { arena, maxBatch: B } = env;
    w.withPacked(env);
    this.pixBits = arena.i32(B * H * W * this.words);
    this.winBits = arena.i32((pad4(B * this.R) * this.rowBytes) >> 2);
    const width = w.width;
    // Per window: table 16 * width bytes, gT 4 * width, dP 4 * J, blockIdx J / 4.
    const perImage = this.R * (20 * width + 4.25 * this.J);
    const q = 4 / gcd(this.R, 4);
    const fit = Math.floor(blockBytes / perImage);
    this.block = Math.min(B, Math.max(q, fit - (fit % q)));
    const rows = pad4(this.block * this.R);
    this.table = arena.f32(4 * width * rows);
    this.gT = arena.f32(width * rows);
    this.dP = arena.f32(this.J * rows);
    const idx = arena.i32(Math.ceil((this.J * (rows >> 2)) / 4));
    this.blockIdx = { ptr: idx.ptr, a: new Uint8Array(arena.memory.buffer, idx.ptr, this.J * (rows >> 2)) };
    this.jList = arena.i32(this.J);
    this.offs = arena.i32(this.J);
    for (let kh = 0, j = 0; kh < K; kh++) {
      for (let kw = 0; kw < K; kw++) {
        for (let c = 0; c < C; c++, j++) {
          this.offs.a[j] = (kh * W + kw) * C + c;
          this.jList.a[c * K * K + kh * K + kw] = j;
        }
      }
    }
  }

  /**
   * Pack the windows of n images of x; false (nothing usable written) as soon as a value
   * is not +-1, and the caller takes the float kernels.
   */
  pack(x: Float32Array, n: number): boolean {
    const { H, W, C, K, oh, ow, words } = this;
    if (!packSignWords(x, n * H * W, C, this.pixBits.a, words)) return false;
    const pix = this.pixBits.a;
    const win = this.winBits.a;
    const rowWords = this.rowBytes >> 2;
    let row = 0;
    if (C % 32 === 0) {
      // A window's K pixels of one kernel row are K * words consecutive words of pix,
      // and consecutive in the window too: plain word copies.
      const run = K * words;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++, row++) {
            let dst = row * rowWords;
            for (let kh = 0; kh < K; kh++) {
              const src = ((b * H + oy + kh) * W + ox) * words;
              for (let t = 0; t < run; t++) win[dst++] = pix[src + t];
            }
          }
        }
      }
    } else {
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++, row++) {
            const base = row * rowWords;
            win.fill(0, base, base + rowWords);
            for (let kh = 0, j = 0; kh < K; kh++) {
              for (let kw = 0; kw < K; kw++) {
                const p = ((b * H + oy + kh) * W + ox + kw) * words;
                for (let c = 0; c < C; c++, j++) {
                  if ((pix[p + (c >> 5)] >>> (c & 31)) & 1) win[base + (j >> 5)] |= 1 << (j & 31);
                }
              }
            }
          }
        }
      }
    }
    // Whole blocks of 4 windows for blockNibbles: the rows past the last are +1 (0 bits).
    win.fill(0, row * rowWords, pad4(row) * rowWords);
    return true;
  }

  /** yPad (rows of `width` floats) = the packed windows of n images times sign(W). */
  forward(yPad: number, n: number): void {
    const { rowBytes, w } = this;
    const rows = n * this.R;
    const chunk = Math.max(4, Math.floor(FORWARD_CHUNK_BYTES / rowBytes));
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(rows, r0 + chunk);
      this.env.pool.binDense(yPad + r0 * w.width * 4, this.winBits.ptr + r0 * rowBytes, r1 - r0, w.bits!.ptr, w.outputs, rowBytes, w.width, this.J);
    }
  }

  /**
   * w.grad = X^T G for the windows X of the last pack and the output gradients G
   * (gPad: n * R rows of width floats, then zero rows up to a multiple of 4).
   */
  weightGrad(gPad: number, n: number): void {
    const { R, J, rowBytes, w } = this;
    const { pool } = this.env;
    for (let b0 = 0; b0 < n; b0 += this.block) {
      const b1 = Math.min(n, b0 + this.block);
      const nb = ((b1 - b0) * R + 3) >> 2;
      pool.signedSums(this.table.ptr, gPad + b0 * R * w.width * 4, nb, w.width);
      pool.blockNibbles(this.blockIdx.ptr, this.winBits.ptr + b0 * R * rowBytes, nb, rowBytes, J);
      pool.signSumsDW(w.grad.ptr, this.table.ptr, this.blockIdx.ptr, nb, J, w.width, b0 > 0);
    }
  }

  /** dx (n * inSize floats at byte offset dx, overwritten) = col2im(G sign(W)^T). */
  inputGrad(g: Float32Array, n: number, dx: Float32Array, dxPtr: number): void {
    const { R, J, w, oh, ow, C, K } = this;
    const { pool } = this.env;
    const width = w.width;
    const O = w.outputs;
    const gT = this.gT.a;
    dx.fill(0, 0, n * this.inSize);
    for (let b0 = 0; b0 < n; b0 += this.block) {
      const b1 = Math.min(n, b0 + this.block);
      const rows = (b1 - b0) * R;
      const nPad = pad4(rows);
      gT.fill(0, 0, width * nPad);
      for (let m = 0, at = b0 * R * width; m < rows; m++, at += width) {
        for (let o = 0; o < O; o++) gT[o * nPad + m] = g[at + o];
      }
      pool.signedSums(this.table.ptr, this.gT.ptr, width >> 2, nPad);
      pool.signSumsDW(this.dP.ptr, this.table.ptr, w.nibbles!.ptr, width >> 2, J, nPad);
      pool.addWindows(dxPtr + b0 * this.inSize * 4, this.dP.ptr, nPad, b1 - b0, oh, ow, this.inSize, this.W * C, C, this.jList.ptr, this.offs.ptr, K * K);
    }
  }
}
