/**
 * Fast batch integer inference (inferIntBatch). Same arithmetic as inferInt in
 * ./infer.ts, organised for speed:
 *
 * - bits layers: acc = cols - sum_k popcount(x_k XOR w_k) over packed 32-bit words.
 *   Activations and weight rows keep their padding bits 0, so no masking is needed.
 *   The threshold test acc >= T becomes popcount(x XOR w) <= cols - T.
 * - pixel layers: S = sum_i (w_i ? p_i : -p_i) by table lookup ("four Russians"): the
 *   input is cut into chunks of 8 pixels; for each chunk a table holds the signed sum for
 *   each of the 256 weight-byte patterns, and a row's S is one lookup per chunk with the
 *   row's weight byte. Chunks whose 8 pixels are all 0 contribute 0 to every row and are
 *   skipped (MNIST digits are mostly background).
 * - convolutions gather each window (k runs of k*C contiguous HWC values) into a scratch
 *   vector and run the dense kernel on it; max-pool ORs runs of C bits.
 */
import { copyBits, orBits } from './bits.js';
import type { FoldedMatrixLayer, FoldedModel, FoldedPoolLayer } from './types.js';
import { wordsPerRow } from './types.js';

export interface IntBatchResult {
  /** n predictions (argmax of scores, ties to the lowest index). */
  predictions: Int32Array;
  /** n * classes scores, image-major. */
  scores: Int32Array;
}

type Step = (pixels: Uint8Array, pixOff: number, input: Int32Array) => Int32Array;

interface Plan {
  pixels: number;
  classes: number;
  steps: Step[];
  /** Writes the scores of the current image; returns nothing, reads the last bits. */
  scores: (pixels: Uint8Array, pixOff: number, input: Int32Array, out: Int32Array, outOff: number) => void;
}

const plans = new WeakMap<FoldedModel, Plan>();

export function inferIntBatch(f: FoldedModel, images: Uint8Array, n: number): IntBatchResult {
  let plan = plans.get(f);
  if (!plan) {
    plan = compile(f);
    plans.set(f, plan);
  }
  const { pixels, classes, steps } = plan;
  if (!(Number.isInteger(n) && n >= 0) || images.length < n * pixels) {
    throw new RangeError(`inferIntBatch: need ${n} images of ${pixels} bytes, got ${images.length} bytes`);
  }
  const predictions = new Int32Array(n);
  const scores = new Int32Array(n * classes);
  const none = new Int32Array(0);
  for (let img = 0; img < n; img++) {
    const off = img * pixels;
    let bits: Int32Array = none;
    for (const step of steps) bits = step(images, off, bits);
    const so = img * classes;
    plan.scores(images, off, bits, scores, so);
    let best = 0;
    for (let j = 1; j < classes; j++) if (scores[so + j] > scores[so + best]) best = j;
    predictions[img] = best;
  }
  return { predictions, scores };
}

function compile(f: FoldedModel): Plan {
  const [h, w, c] = f.input;
  const steps: Step[] = [];
  const last = f.layers[f.layers.length - 1];
  if (!last || last.kind === 'maxpool' || last.output.kind !== 'scores') {
    throw new Error(`folded model ${f.name}: the last layer must be a scores layer`);
  }
  for (const layer of f.layers.slice(0, -1)) {
    if (layer.kind === 'maxpool') steps.push(poolStep(layer));
    else steps.push(thresholdStep(layer));
  }
  return { pixels: h * w * c, classes: f.classes, steps, scores: scoresStep(last) };
}

/** Views of a Uint32Array as int32 (bitwise ops in V8 stay in small integers). */
function i32(a: Uint32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * For each row r: out[r] = popcount(x XOR row r) over wpr words (x from word xOff).
 * The central kernel of every bits layer.
 */
function xorPopcountRows(x: Int32Array, xOff: number, W: Int32Array, rows: number, wpr: number, out: Int32Array): void {
  let base = 0;
  for (let r = 0; r < rows; r++) {
    let pc = 0;
    let k = 0;
    // Two words at a time: nibble counts of two words add without overflow (<= 8), byte
    // counts of a pair are <= 16, and up to 15 pairs add in a byte (<= 240); the four
    // bytes (<= 960 together) are then folded through 16-bit halves.
    while (k + 1 < wpr) {
      let bytes = 0;
      const end = Math.min(wpr - 1, k + 30);
      for (; k < end; k += 2) {
        let a = x[xOff + k] ^ W[base + k];
        let b = x[xOff + k + 1] ^ W[base + k + 1];
        a = a - ((a >>> 1) & 0x55555555);
        b = b - ((b >>> 1) & 0x55555555);
        const t = (a & 0x33333333) + ((a >>> 2) & 0x33333333) + (b & 0x33333333) + ((b >>> 2) & 0x33333333);
        bytes += (t & 0x0f0f0f0f) + ((t >>> 4) & 0x0f0f0f0f);
      }
      const halves = (bytes & 0x00ff00ff) + ((bytes >>> 8) & 0x00ff00ff);
      pc += (halves + (halves >>> 16)) & 0xffff;
    }
    if (k < wpr) {
      let v = x[xOff + k] ^ W[base + k];
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      pc += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    out[r] = pc;
    base += wpr;
  }
}

/**
 * Signed pixel sums S_r = sum_i (w_ri ? p_i : -p_i) for every row, by 8-pixel chunk
 * tables. p is read from pix[pOff .. pOff + cols).
 */
class PixelRows {
  private readonly chunks: number;
  /** Weight byte of row r, chunk j at r * chunks + j. */
  private readonly wbytes: Uint8Array;
  private readonly table: Int32Array;
  private readonly active: Int32Array;
  private readonly chunkPix = new Int32Array(8);

  constructor(
    weights: Uint32Array,
    private readonly rows: number,
    private readonly cols: number,
  ) {
    this.chunks = (cols + 7) >>> 3;
    const wpr = wordsPerRow(cols);
    this.wbytes = new Uint8Array(rows * this.chunks);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < this.chunks; j++) this.wbytes[r * this.chunks + j] = (weights[r * wpr + (j >>> 2)] >>> ((j & 3) * 8)) & 0xff;
    this.table = new Int32Array(this.chunks * 256);
    this.active = new Int32Array(this.chunks);
  }

  run(pix: Uint8Array, pOff: number, out: Int32Array): void {
    const { chunks, cols, table, active, chunkPix, wbytes, rows } = this;
    let nActive = 0;
    for (let j = 0; j < chunks; j++) {
      const start = j * 8;
      const len = Math.min(8, cols - start);
      let any = 0;
      for (let b = 0; b < 8; b++) {
        const p = b < len ? pix[pOff + start + b] : 0;
        chunkPix[b] = p;
        any |= p;
      }
      if (any === 0) continue;
      active[nActive++] = j;
      // table[m] = sum over the chunk of (bit b of m ? +p_b : -p_b), built from the
      // entry without m's lowest set bit: flipping -p_b to +p_b adds 2 p_b.
      const t = j * 256;
      let s = 0;
      for (let b = 0; b < 8; b++) s -= chunkPix[b];
      table[t] = s;
      for (let m = 1; m < 256; m++) table[t + m] = table[t + (m & (m - 1))] + 2 * chunkPix[LOWEST_BIT[m]];
    }
    let rb = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let a = 0; a < nActive; a++) {
        const j = active[a];
        s += table[(j << 8) + wbytes[rb + j]];
      }
      out[r] = s;
      rb += chunks;
    }
  }
}

/** Index of the lowest set bit of m (1..255). */
const LOWEST_BIT = (() => {
  const t = new Uint8Array(256);
  for (let m = 1; m < 256; m++) t[m] = 31 - Math.clz32(m & -m);
  return t;
})();

/**
 * The integer v of every row at one output position, for either input kind:
 * bits -> acc, pixels -> S. Gathers the conv window when needed.
 */
interface MatrixKernel {
  positions: number;
  /** v of every row at position pos into vOut (length rows). */
  run(pixels: Uint8Array, pixOff: number, bits: Int32Array, pos: number, vOut: Int32Array): void;
}

function matrixKernel(layer: FoldedMatrixLayer): MatrixKernel {
  const { rows, cols, kernel: k } = layer;
  const [, iw, ic] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const positions = oh * ow;
  const wpr = wordsPerRow(cols);
  const isConv = layer.kind === 'conv';
  const run = k * ic; // one window row: k pixels of ic channels, contiguous in HWC

  if (layer.input === 'pixels') {
    const pr = new PixelRows(layer.weights, rows, cols);
    const window = new Uint8Array(cols);
    return {
      positions,
      run(pixels, pixOff, _bits, pos, vOut) {
        if (!isConv) {
          pr.run(pixels, pixOff, vOut);
          return;
        }
        const r = (pos / ow) | 0;
        const q = pos - r * ow;
        for (let kh = 0; kh < k; kh++) {
          const from = pixOff + ((r + kh) * iw + q) * ic;
          window.set(pixels.subarray(from, from + run), kh * run);
        }
        pr.run(window, 0, vOut);
      },
    };
  }

  const W = i32(layer.weights);
  const window = new Int32Array(wpr);
  return {
    positions,
    run(_pixels, _pixOff, bits, pos, vOut) {
      let x = bits;
      if (isConv) {
        const r = (pos / ow) | 0;
        const q = pos - r * ow;
        for (let kh = 0; kh < k; kh++) copyBits(bits, ((r + kh) * iw + q) * ic, window, kh * run, run);
        x = window;
      }
      xorPopcountRows(x, 0, W, rows, wpr, vOut);
      for (let o = 0; o < rows; o++) vOut[o] = cols - vOut[o];
    },
  };
}

function thresholdStep(layer: FoldedMatrixLayer): Step {
  if (layer.output.kind !== 'threshold') throw new Error('thresholdStep: not a threshold layer');
  const t = layer.output.thresholds;
  const { rows } = layer;
  const kernel = matrixKernel(layer);
  const v = new Int32Array(rows);
  const out = new Int32Array(wordsPerRow(kernel.positions * rows));
  return (pixels, pixOff, input) => {
    out.fill(0);
    let bit = 0;
    for (let pos = 0; pos < kernel.positions; pos++) {
      kernel.run(pixels, pixOff, input, pos, v);
      for (let o = 0; o < rows; o++, bit++) if (v[o] >= t[o]) out[bit >>> 5] |= 1 << (bit & 31);
    }
    return out;
  };
}

function scoresStep(layer: FoldedMatrixLayer): Plan['scores'] {
  if (layer.output.kind !== 'scores') throw new Error('scoresStep: not a scores layer');
  const { mul, add } = layer.output;
  const kernel = matrixKernel(layer);
  const v = new Int32Array(layer.rows);
  return (pixels, pixOff, input, out, outOff) => {
    kernel.run(pixels, pixOff, input, 0, v);
    // |mul * v + add| < 2^31 by construction (fold), so the float64 product is exact.
    for (let j = 0; j < layer.rows; j++) out[outOff + j] = mul[j] * v[j] + add[j];
  };
}

function poolStep(layer: FoldedPoolLayer): Step {
  const [, iw, c] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const s = layer.size;
  const out = new Int32Array(wordsPerRow(oh * ow * c));
  return (_pixels, _pixOff, input) => {
    out.fill(0);
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++)
        for (let a = 0; a < s; a++)
          for (let b = 0; b < s; b++) orBits(input, ((r * s + a) * iw + (q * s + b)) * c, out, (r * ow + q) * c, c);
    return out;
  };
}
