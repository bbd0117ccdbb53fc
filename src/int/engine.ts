/**
 * Fast batch integer inference (inferIntBatch). Same arithmetic as inferInt in
 * ./infer.ts, organised for speed:
 *
 * - bits layers: acc = cols - sum_k popcount(x_k XOR w_k) over 64-bit words, by the
 *   WebAssembly kernel in ./wasm.ts. Weight rows, activations and conv windows live in
 *   its memory, each row padded to 16 bytes; padding bits are 0 on both sides, so they
 *   XOR to 0 and no masking is needed.
 * - pixel layers: S = sum_i (w_i ? p_i : -p_i) with 4-pixel tables looked up 16 rows
 *   at a time by WebAssembly SIMD (./wasm.ts, pixtab and pixrows): per image, each chunk
 *   of 4 pixels gets the table of its 16 signed sums; each row's 4 weight bits of that
 *   chunk index the table.
 * - a binarized input (inputThreshold) is packed into bits (p >= T) per image first, and
 *   the first layer is then a bits layer like the others.
 * - convolutions gather each window (k runs of k*C contiguous HWC values) into a scratch
 *   vector and run the dense kernel on it; max-pool ORs runs of C bits.
 */
import { copyBits, orBits } from './bits.js';
import type { FoldedMatrixLayer, FoldedModel, FoldedPoolLayer } from './types.js';
import { binarizePixel, wordsPerRow } from './types.js';
import { createIntKernels, type IntKernels } from './wasm.js';
import { argmax } from '../util/argmax.js';

export interface IntBatchResult {
  /** n predictions (argmax of scores, ties to the lowest index). */
  predictions: Int32Array;
  /** n * classes scores, image-major. */
  scores: Int32Array;
  /**
   * With keepLayers: for every folded layer but the last, the output bits of all n
   * images, image-major, each image ceil(bits / 32) words (as inferInt's layerBits).
   */
  layerBits?: Uint32Array[];
}

/**
 * A bit vector in the kernel memory: `word` is its first 32-bit word (16-byte aligned),
 * `words` its length, `stride` its padded length (a multiple of 4 words).
 */
interface Region {
  word: number;
  words: number;
  stride: number;
}

/** Byte layout of the kernel memory, decided before the memory exists. */
class Layout {
  bytes = 0;
  /** A zero-initialised region of n 32-bit words, padded to 16 bytes. */
  words(n: number): Region {
    const stride = ((n + 3) >>> 2) << 2;
    const word = this.bytes >>> 2;
    this.bytes += stride * 4;
    return { word, words: n, stride };
  }
}

/** Everything a step needs at run time. */
interface Machine {
  kernels: IntKernels;
  mem: Int32Array;
  mem8: Uint8Array;
}

/**
 * One folded layer (not the last): reads the previous output, writes its own. A
 * threshold step given `accs` also leaves there the integer v of every output, in
 * (position, row) order (IntProbe, for threshold-boundary coverage).
 */
type Step = (m: Machine, images: Uint8Array, pixOff: number, accs?: Int32Array) => void;

interface Plan {
  pixels: number;
  classes: number;
  machine: Machine;
  steps: Step[];
  /** The output bits of each step. */
  outputs: Region[];
  /** Before the steps of each image (a binarized input: packs its pixel bits). */
  prepare: Step | null;
  /** The last layer: writes the scores of the current image at out[outOff..]. */
  scores: (m: Machine, images: Uint8Array, pixOff: number, out: Int32Array, outOff: number) => void;
}

/** Compiled plans, one per folded model object (folded models are never mutated). */
const plans = new WeakMap<FoldedModel, Plan>();

/** Integer inference of n images (n * H * W * C bytes, HWC, back to back). */
export function inferIntBatch(f: FoldedModel, images: Uint8Array, n: number, keepLayers = false): IntBatchResult {
  let plan = plans.get(f);
  if (!plan) {
    plan = compile(f);
    plans.set(f, plan);
  }
  const { pixels, classes, steps, machine } = plan;
  if (!(Number.isInteger(n) && n >= 0) || images.length < n * pixels) {
    throw new RangeError(`inferIntBatch: need ${n} images of ${pixels} bytes, got ${images.length} bytes`);
  }
  const predictions = new Int32Array(n);
  const scores = new Int32Array(n * classes);
  const layerBits = keepLayers ? plan.outputs.map((o) => new Uint32Array(n * o.words)) : undefined;
  for (let img = 0; img < n; img++) {
    const off = img * pixels;
    if (plan.prepare) plan.prepare(machine, images, off);
    for (let s = 0; s < steps.length; s++) {
      steps[s](machine, images, off);
      if (layerBits) {
        const o = plan.outputs[s];
        layerBits[s].set(machine.mem.subarray(o.word, o.word + o.words), img * o.words);
      }
    }
    const so = img * classes;
    plan.scores(machine, images, off, scores, so);
    predictions[img] = argmax(scores, so, classes);
  }
  return { predictions, scores, layerBits };
}

/** Builds a step once the memory exists. */
type Builder<T> = (mem: Int32Array) => T;

function compile(f: FoldedModel): Plan {
  const [h, w, c] = f.input;
  const last = f.layers[f.layers.length - 1];
  if (!last || last.kind === 'maxpool' || last.output.kind !== 'scores') {
    throw new Error(`folded model ${f.name}: the last layer must be a scores layer`);
  }
  const layout = new Layout();
  const builders: Builder<Step>[] = [];
  const outputs: Region[] = [];
  let input: Region | null = null; // the previous layer's output bits (null: pixels)
  let prepare: Builder<Step> | null = null;
  if (f.inputThreshold !== undefined) {
    const region = layout.words(wordsPerRow(h * w * c));
    prepare = binarizeStep(h * w * c, f.inputThreshold, region);
    input = region;
  }
  for (const layer of f.layers.slice(0, -1)) {
    if (layer.kind === 'maxpool') {
      const out = layout.words(wordsPerRow(layer.outShape[0] * layer.outShape[1] * layer.outShape[2]));
      builders.push(poolStep(layer, input!, out));
      outputs.push(out);
      input = out;
    } else {
      const kernel = matrixKernel(layer, input, layout);
      const out = layout.words(wordsPerRow(kernel.positions * layer.rows));
      builders.push(thresholdStep(layer, kernel, out));
      outputs.push(out);
      input = out;
    }
  }
  const scoresBuilder = scoresStep(last, matrixKernel(last, input, layout));

  const kernels = createIntKernels(layout.bytes);
  const mem = new Int32Array(kernels.memory.buffer);
  return {
    pixels: h * w * c,
    classes: f.classes,
    machine: { kernels, mem, mem8: new Uint8Array(kernels.memory.buffer) },
    steps: builders.map((b) => b(mem)),
    prepare: prepare ? prepare(mem) : null,
    outputs,
    scores: scoresBuilder(mem),
  };
}

/**
 * The integer v of every row at one output position (bits -> acc, pixels -> S),
 * gathering the conv window when needed.
 */
interface MatrixKernel {
  positions: number;
  /**
   * What run leaves at mem[raw + r] for row r: 'popcount' = popcount(x XOR w) = cols - acc
   * (bits input), 'sum' = S (pixels input).
   */
  raw: 'popcount' | 'sum';
  /** Binds the kernel to the memory; run(pos) computes every row at position pos and returns raw. */
  bind(mem: Int32Array): (m: Machine, images: Uint8Array, pixOff: number, pos: number) => number;
}

function matrixKernel(layer: FoldedMatrixLayer, input: Region | null, layout: Layout): MatrixKernel {
  const { rows, cols, kernel: k } = layer;
  const [, iw, ic] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const positions = oh * ow;
  const wpr = wordsPerRow(cols);
  const isConv = layer.kind === 'conv';
  const run = k * ic; // one window row: k pixels of ic channels, contiguous in HWC

  if (layer.input === 'pixels') {
    // Chunks of 4 pixels, groups of 16 rows; padding pixels and padding rows are 0.
    const chunks = (cols + 3) >>> 2;
    const groups = (rows + 15) >>> 4;
    const pix = layout.words(chunks);
    const tab = layout.words(chunks * 8);
    const nibbles = layout.words(groups * chunks * 4);
    const sums = layout.words(groups * 16);
    return {
      positions,
      raw: 'sum',
      bind(mem) {
        const mem8 = new Uint8Array(mem.buffer);
        for (let r = 0; r < rows; r++) {
          const g = r >>> 4;
          for (let j = 0; j < chunks; j++) {
            const nibble = (layer.weights[r * wpr + (j >>> 3)] >>> ((j & 7) * 4)) & 15;
            mem8[nibbles.word * 4 + (g * chunks + j) * 16 + (r & 15)] = nibble;
          }
        }
        const pixByte = pix.word * 4;
        return (m, images, pixOff, pos) => {
          if (!isConv) {
            m.mem8.set(images.subarray(pixOff, pixOff + cols), pixByte);
          } else {
            const r = (pos / ow) | 0;
            const q = pos - r * ow;
            for (let kh = 0; kh < k; kh++) {
              const from = pixOff + ((r + kh) * iw + q) * ic;
              m.mem8.set(images.subarray(from, from + run), pixByte + kh * run);
            }
          }
          m.kernels.pixtab(pixByte, chunks, tab.word * 4);
          m.kernels.pixrows(tab.word * 4, nibbles.word * 4, groups, chunks, sums.word * 4);
          return sums.word;
        };
      },
    };
  }

  if (!input) throw new Error(`layer ${layer.name}: bits input without a previous layer`);
  const weights = layout.words(rows * (((wpr + 3) >>> 2) << 2));
  const stride = ((wpr + 3) >>> 2) << 2;
  const window = isConv ? layout.words(wpr) : input;
  const counts = layout.words(rows);
  return {
    positions,
    raw: 'popcount',
    bind(mem) {
      for (let r = 0; r < rows; r++) mem.set(layer.weights.subarray(r * wpr, (r + 1) * wpr), weights.word + r * stride);
      const xByte = window.word * 4;
      const wByte = weights.word * 4;
      const cByte = counts.word * 4;
      const words64 = stride >>> 1;
      return (m, _images, _pixOff, pos) => {
        if (isConv) {
          const r = (pos / ow) | 0;
          const q = pos - r * ow;
          const src = input.word * 32;
          const dst = window.word * 32;
          for (let kh = 0; kh < k; kh++) copyBits(m.mem, src + ((r + kh) * iw + q) * ic, m.mem, dst + kh * run, run);
        }
        m.kernels.xorpop(xByte, wByte, rows, words64, cByte);
        return counts.word;
      };
    },
  };
}

/** Pack an image's pixels into the bits p >= threshold (LSB first, padding bits 0). */
function binarizeStep(npix: number, threshold: number, out: Region): Builder<Step> {
  return () => (m, images, pixOff) => {
    const mm = m.mem;
    for (let k = 0; k < out.words; k++) {
      let word = 0;
      const base = pixOff + k * 32;
      const end = Math.min(32, npix - k * 32);
      for (let b = 0; b < end; b++) if (binarizePixel(images[base + b], threshold)) word |= 1 << b;
      mm[out.word + k] = word;
    }
  };
}

function thresholdStep(layer: FoldedMatrixLayer, kernel: MatrixKernel, out: Region): Builder<Step> {
  if (layer.output.kind !== 'threshold') throw new Error('thresholdStep: not a threshold layer');
  const { rows, cols } = layer;
  // bit = v >= T. For bits input the kernel leaves p = popcount(x XOR w) = cols - acc, and
  // acc >= T <=> p <= cols - T, i.e. -p >= T - cols: one comparison form for both kinds.
  const sign = kernel.raw === 'popcount' ? -1 : 1;
  const limit = Int32Array.from(layer.output.thresholds, (t) => (kernel.raw === 'popcount' ? t - cols : t));
  return (mem) => {
    const runKernel = kernel.bind(mem);
    return (m, images, pixOff, accs) => {
      const mm = m.mem;
      // Output bits are packed a word at a time; bit index = pos * rows + row.
      let wi = out.word;
      let word = 0;
      let nb = 0;
      for (let pos = 0; pos < kernel.positions; pos++) {
        const raw = runKernel(m, images, pixOff, pos);
        if (accs) {
          const base = pos * rows;
          for (let o = 0; o < rows; o++) accs[base + o] = sign < 0 ? cols - mm[raw + o] : mm[raw + o];
        }
        for (let o = 0; o < rows; o++) {
          if (sign * mm[raw + o] >= limit[o]) word |= 1 << nb;
          if (++nb === 32) {
            mm[wi++] = word;
            word = 0;
            nb = 0;
          }
        }
      }
      if (nb !== 0) mm[wi] = word;
    };
  };
}

function scoresStep(layer: FoldedMatrixLayer, kernel: MatrixKernel): Builder<Plan['scores']> {
  if (layer.output.kind !== 'scores') throw new Error('scoresStep: not a scores layer');
  const { mul, add } = layer.output;
  const { rows, cols } = layer;
  const popcount = kernel.raw === 'popcount';
  return (mem) => {
    const runKernel = kernel.bind(mem);
    return (m, images, pixOff, out, outOff) => {
      const raw = runKernel(m, images, pixOff, 0);
      for (let j = 0; j < rows; j++) {
        const v = popcount ? cols - m.mem[raw + j] : m.mem[raw + j];
        // |mul * v + add| < 2^31 by construction (fold), so the float64 product is exact.
        out[outOff + j] = mul[j] * v + add[j];
      }
    };
  };
}

function poolStep(layer: FoldedPoolLayer, input: Region, out: Region): Builder<Step> {
  const [, iw, c] = layer.inShape;
  const [oh, ow] = layer.outShape;
  const s = layer.size;
  return () => (m) => {
    const mem = m.mem;
    mem.fill(0, out.word, out.word + out.words);
    const src = input.word * 32;
    const dst = out.word * 32;
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++)
        for (let a = 0; a < s; a++)
          for (let b = 0; b < s; b++) orBits(mem, src + ((r * s + a) * iw + (q * s + b)) * c, mem, dst + (r * ow + q) * c, c);
  };
}

/**
 * One image at a time through the same compiled plan as inferIntBatch, with the
 * accumulators of every threshold layer kept and a layer's output bit flippable: what
 * threshold-boundary coverage (./boundary.ts) needs. `run` computes layers 0..last;
 * after a full run, `rerunFlipped(l, bit)` flips output bit `bit` of layer l and
 * recomputes the layers after it (the layers up to l keep their state, so calls for
 * deeper layers must come first if several layers are probed on one image).
 */
export class IntProbe {
  private readonly plan: Plan;
  /** Per folded layer but the last: v of every output (threshold layers), else empty. */
  readonly accs: Int32Array[];
  /** The scores of the last full run or rerun. */
  readonly scores: Int32Array;
  private images: Uint8Array = new Uint8Array(0);
  private pixOff = 0;

  constructor(readonly f: FoldedModel) {
    let plan = plans.get(f);
    if (!plan) {
      plan = compile(f);
      plans.set(f, plan);
    }
    this.plan = plan;
    this.accs = f.layers.slice(0, -1).map((l) =>
      l.kind === 'maxpool' || l.output.kind !== 'threshold' ? new Int32Array(0) : new Int32Array(l.outShape[0] * l.outShape[1] * l.rows),
    );
    this.scores = new Int32Array(f.classes);
  }

  /** Run layers 0..last (default: all, scores included) on the image at images[pixOff..]. */
  run(images: Uint8Array, pixOff = 0, last = this.f.layers.length - 1): void {
    this.images = images;
    this.pixOff = pixOff;
    const steps = this.plan.steps;
    const upTo = Math.min(last, steps.length - 1);
    for (let s = 0; s <= upTo; s++) steps[s](this.plan.machine, images, pixOff, this.accs[s].length > 0 ? this.accs[s] : undefined);
    if (last >= steps.length) this.plan.scores(this.plan.machine, images, pixOff, this.scores, 0);
  }

  /**
   * After a full run: the scores with output bit `bit` of layer `layer` flipped (left in
   * `scores`); true when they differ from `reference`. The flip is undone afterwards.
   */
  flipChangesScores(layer: number, bit: number, reference: Int32Array): boolean {
    const { machine, steps, outputs } = this.plan;
    const mem = machine.mem;
    const w = outputs[layer].word + (bit >>> 5);
    mem[w] ^= 1 << (bit & 31);
    for (let s = layer + 1; s < steps.length; s++) steps[s](machine, this.images, this.pixOff);
    this.plan.scores(machine, this.images, this.pixOff, this.scores, 0);
    mem[w] ^= 1 << (bit & 31);
    for (let j = 0; j < reference.length; j++) if (this.scores[j] !== reference[j]) return true;
    return false;
  }
}
