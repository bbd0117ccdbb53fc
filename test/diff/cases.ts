/**
 * Random differential-test cases for the whole flow, each a pure function of one
 * integer seed (replay: BNNC_DIFF_SEED=<seed> npx vitest run test/diff).
 *
 * A case seed s splits into a structure group g = s >>> 3 and a variant s & 7. The group
 * fixes everything the generated Verilog depends on: input shape, layer sizes, folding,
 * pixels per beat, the model's name and the hash printed in the top level's header, and
 * for directly generated folded models the score multiplier width. The variant draws the
 * values: weights, batch norms or thresholds, scores, images, traffic. So the eight
 * variants of a group share one Verilator build (the build cache is keyed by the Verilog,
 * not the .mem ROM images); a float model whose fold lands on another multiplier width
 * simply makes a second build.
 *
 * Groups from 2^28 on (seeds from 2^31) are ConvNets, drawn by ./conv-cases.ts; the
 * groups below are MLPs, drawn here.
 *
 * Two sources of networks:
 * - 'float': a random float Model (src/graph/types.ts), saved and loaded as .bnn bytes
 *   and folded by foldModel, so the fold meets gamma = 0, gamma < 0, zero latent weights
 *   (sign(0) = +1), biases, variance 0, dropout/flatten layers and batch norms whose
 *   threshold lies far outside the accumulator range (neurons constant 0 or 1);
 * - 'folded': randomFoldedMlp (src/hw/random-model.ts) pushed to the ends of the
 *   contract: thresholds at lo, lo + 1, hi, hi + 1, all-0 and all-1 weight rows, score
 *   multipliers of a chosen width and offsets up to the int32 limit, tie-prone scores.
 */
import type { Conv2dSpec, DenseSpec, LayerSpec, Model, ModelGraph, Shape3, Tensor } from '../../src/graph/types.js';
import { MODEL_FORMAT, MODEL_VERSION, MODEL_VERSION_BINARY_INPUT } from '../../src/graph/types.js';
import { decodeModel, encodeModel } from '../../src/graph/io.js';
import { layerTensors } from '../../src/graph/tensors.js';
import type { PipelineLevel } from '../../src/hw/cycles.js';
import type { FoldingSpec } from '../../src/hw/folding.js';
import { cheapestFolding } from '../../src/hw/folding.js';
import { randomFoldedMlp } from '../../src/hw/random-model.js';
import { signedBits } from '../../src/hw/widths.js';
import { foldModel } from '../../src/int/fold.js';
import { MUL_LIMIT, SCORE_LIMIT } from '../../src/int/threshold.js';
import type { FoldedMatrixLayer, FoldedModel } from '../../src/int/types.js';
import { wordsPerRow } from '../../src/int/types.js';
import { Rng } from '../../src/util/rng.js';
import { isConvGroup, makeConvCase, type ConvStructure } from './conv-cases.js';

/** Variants per structure group (seed & 7). */
export const VARIANTS = 8;

export function groupOf(seed: number): number {
  return seed >>> 3;
}

/** An independent stream for (seed, purpose): FNV-1a of the purpose mixed with the seed. */
export function rngFor(seed: number, purpose: string): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (seed >>> 16), 0x85ebca6b) >>> 0;
  return new Rng(h);
}

/**
 * A structure's `--pipeline` level: 0, 1 or 2 as drawn since levels 0..2 existed (so the
 * groups chosen for coverage keep theirs), level 2 then split evenly into 2 and 3 (by a
 * stream whose name gives make test's groups both: flow 6 and 26 level 3, 34 level 2;
 * conv 12 level 3, 45 level 2).
 */
export function drawPipeline(group: number): PipelineLevel {
  const level = rngFor(group, 'pipeline').int(3) as PipelineLevel;
  return level === 2 && rngFor(group, 'pipeline level 3').int(2) === 1 ? 3 : level;
}

export interface PixelMap {
  scale: number;
  offset: number;
}

/** Everything the Verilog of an MLP case depends on. */
export interface Structure {
  net: 'mlp';
  group: number;
  source: 'float' | 'folded';
  name: string;
  /** Stands in for the model hash, so the variants' Verilog is identical. */
  hash: string;
  input: Shape3;
  hidden: number[];
  classes: number;
  folding: FoldingSpec;
  inPix?: number;
  /** float: the pixel map x = scale * p + offset, biases, extra layers, names. */
  pixelMap: PixelMap;
  bias: boolean[];
  dropoutAfterSign: boolean;
  flattenFirst: boolean;
  layerNames: string[];
  /** folded: multiplier width of the scores layer ('tie': multipliers 0 and 1, no offsets). */
  mulWidth: number | 'tie';
  /** `--pipeline` level (drawn from its own stream, so the other draws stay as they were). */
  pipeline: PipelineLevel;
  /** A bit-serial first layer (own stream too; not with a target folding, which may leave it under 8 cycles). */
  bitSerial: boolean;
  /**
   * A binarized input (--input-bits 1): pixel p is +1 when p >= inputThreshold; null for
   * 8-bit pixels. Own stream; never with bitSerial (that datapath is for 8-bit pixels).
   */
  inputThreshold: number | null;
}

export interface DiffCase {
  seed: number;
  structure: Structure | ConvStructure;
  /** The float model, for 'float' cases. */
  model: Model | null;
  folded: FoldedModel;
  images: Uint8Array;
  n: number;
  /** Random idle gaps and back-pressure (0 = none). */
  gaps: number;
  backpressure: number;
  /** Chance per frame of a mid-frame or mid-result reset (harness --resets; 0 = none). */
  resets: number;
  /** One line describing the case, for test names and failure reports. */
  summary: string;
}

export const SIZES = [1, 2, 3, 5, 7, 8, 11, 13, 16, 17, 31, 32, 33, 37];
const CLASSES = [1, 2, 3, 5, 7, 10, 11, 13];
/** Pixel maps: BinaryNet's 2p/255 - 1, dyadic ones (exact float sums), a negative scale (every comparison flips), scale 0 (constant first layer). */
export const PIXEL_MAPS: PixelMap[] = [
  { scale: 2 / 255, offset: -1 },
  { scale: 2 / 255, offset: -1 },
  { scale: 1 / 128, offset: -1 },
  { scale: 1, offset: 0 },
  { scale: -1 / 64, offset: 0.5 },
  { scale: 1 / 256, offset: 0.25 },
  { scale: 0, offset: 0.5 },
];
/** Layer names: plain, and ones the Verilog sanitizer must rename (keywords, punctuation, case clashes). */
const ODD_NAMES = ['reg', 'FC-1', 'fc 2', 'Fc2', 'module', 'dense.0', '_x', 'input'];

export function pick<T>(rng: Rng, a: readonly T[]): T {
  return a[rng.int(a.length)];
}

function size(rng: Rng): number {
  return rng.next() < 0.7 ? pick(rng, SIZES) : 1 + rng.int(40);
}

/** A shape of 1..100 pixels, often 5x7-like, sometimes one pixel, sometimes several channels. */
function inputShape(rng: Rng): Shape3 {
  const u = rng.next();
  if (u < 0.08) return [1, 1, 1];
  if (u < 0.25) return [5, 7, 1];
  const c = pick(rng, [1, 1, 1, 1, 2, 3]);
  let h = 1 + rng.int(9);
  let w = 1 + rng.int(9);
  while (h * w * c > 100) {
    if (h >= w) h--;
    else w--;
  }
  return [h, w, c];
}

function layerDims(s: Pick<Structure, 'input' | 'hidden' | 'classes'>): { rows: number; cols: number }[] {
  const npix = s.input[0] * s.input[1] * s.input[2];
  const rows = [...s.hidden, s.classes];
  return rows.map((r, k) => ({ rows: r, cols: k === 0 ? npix : rows[k - 1] }));
}

/** A random folding of every kind the compiler takes, and sometimes IN_PIX != SIMD. */
function randomFolding(rng: Rng, s: Pick<Structure, 'input' | 'hidden' | 'classes'>): { folding: FoldingSpec; inPix?: number } {
  const dims = layerDims(s);
  const npix = dims[0].cols;
  const u = rng.next();
  let folding: FoldingSpec;
  let firstSimd: number;
  if (u < 0.35) {
    const maxRows = Math.max(...dims.map((d) => d.rows));
    const maxCols = Math.max(...dims.map((d) => d.cols));
    // Often small, sometimes past a layer's size (the planner clamps it).
    const pe = rng.next() < 0.5 ? 1 + rng.int(4) : 1 + rng.int(maxRows + 2);
    const simd = rng.next() < 0.5 ? 1 + rng.int(8) : 1 + rng.int(maxCols + 2);
    folding = { kind: 'uniform', pe, simd };
    firstSimd = Math.min(simd, npix);
  } else if (u < 0.7) {
    const layers = dims.map((d) => ({
      pe: rng.next() < 0.2 ? d.rows : 1 + rng.int(d.rows),
      simd: rng.next() < 0.2 ? d.cols : 1 + rng.int(d.cols),
    }));
    folding = { kind: 'perLayer', layers, source: 'diff case' };
    firstSimd = layers[0].simd;
  } else {
    const maxII = Math.max(...dims.map((d) => d.rows * d.cols));
    const targetCycles = Math.max(1, Math.round(Math.exp(rng.uniform(0, Math.log(maxII + 1)))));
    folding = { kind: 'target', targetCycles };
    firstSimd = cheapestFolding(dims[0].rows, npix, targetCycles)!.simd;
  }
  let inPix: number | undefined = rng.next() < 0.5 ? undefined : 1 + rng.int(npix);
  if (folding.kind === 'target') {
    // The input stage must meet the target too: at least ceil(npix / target) pixels per beat.
    const need = Math.ceil(npix / folding.targetCycles);
    if (Math.ceil(npix / (inPix ?? firstSimd)) > folding.targetCycles) inPix = Math.max(inPix ?? 1, need);
  }
  return { folding, inPix };
}

export function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The structure of MLP group g (see isConvGroup for the others). */
export function makeStructure(group: number): Structure {
  if (isConvGroup(group)) throw new Error(`group ${group} is a ConvNet group (makeConvStructure)`);
  const rng = rngFor(group, 'structure');
  const source = rng.next() < 0.6 ? 'float' : 'folded';
  const input = inputShape(rng);
  const depth = pick(rng, [0, 1, 1, 1, 2, 2, 2, 3]);
  const hidden = Array.from({ length: depth }, () => size(rng));
  // A float graph has at least 2 classes (validateGraph); a folded model may have 1.
  const classes = Math.max(source === 'float' ? 2 : 1, pick(rng, CLASSES));
  const { folding, inPix } = randomFolding(rng, { input, hidden, classes });
  const layers = depth + 1;
  const oddNames = rng.next() < 0.2;
  const layerNames = Array.from({ length: layers }, (_, k) => (oddNames && rng.next() < 0.6 ? `${pick(rng, ODD_NAMES)}${k % 2 ? '' : k}` : `fc${k}`));
  // Names must be unique in the graph (validateGraph); a clash gets the index appended.
  const seen = new Set<string>();
  for (let k = 0; k < layerNames.length; k++) {
    while (seen.has(layerNames[k])) layerNames[k] = `${layerNames[k]}_${k}`;
    seen.add(layerNames[k]);
  }
  const npix = input[0] * input[1] * input[2];
  const lastCols = depth === 0 ? npix : hidden[depth - 1];
  const accAbs = depth === 0 ? 255 * npix : lastCols;
  const mulWidth = rng.next() < 0.2 ? 'tie' : 2 + rng.int(widestMultiplier(accAbs) - 1);
  const bitSerial = folding.kind !== 'target' && rngFor(group, 'bit-serial').next() < 0.35;
  return {
    net: 'mlp',
    group,
    source,
    name: `diff_${hex(group)}`,
    hash: `${hex(group)}${'d1ff'.repeat(14)}`,
    input,
    hidden,
    classes,
    folding,
    inPix,
    pixelMap: pick(rng, PIXEL_MAPS),
    bias: Array.from({ length: layers }, () => rng.next() < 0.3),
    dropoutAfterSign: rng.next() < 0.5,
    flattenFirst: rng.next() < 0.5,
    layerNames,
    mulWidth,
    pipeline: drawPipeline(group),
    bitSerial,
    inputThreshold: bitSerial ? null : drawInputThreshold(group),
  };
}

/** The widest multiplier whose whole range keeps |mul * acc| inside int32 (and |mul| < 2^20), for |acc| <= accAbs. */
export function widestMultiplier(accAbs: number): number {
  let widest = 2;
  while (widest < signedBits(-(MUL_LIMIT - 1), MUL_LIMIT - 1) && 2 ** widest * accAbs <= SCORE_LIMIT - 1) widest++;
  return widest;
}

/** 30 %: a binarized input, threshold 128 (FINN's) or the ends 1 and 255 or any. */
function drawInputThreshold(group: number): number | null {
  const rng = rngFor(group, 'input-bits');
  if (rng.next() >= 0.3) return null;
  return pick(rng, [128, 128, 1, 255, 1 + rng.int(255)]);
}

// ---- float models ----------------------------------------------------------------

/** The float graph of a structure: [flatten] (dense -> batchnorm -> sign [-> dropout])* dense -> batchnorm. */
export function floatGraph(s: Structure): ModelGraph {
  const [height, width, channels] = s.input;
  const layers: LayerSpec[] = [];
  if (s.flattenFirst) layers.push({ kind: 'flatten', name: 'flatten' });
  let inFeatures = height * width * channels;
  const sizes = [...s.hidden, s.classes];
  sizes.forEach((outFeatures, k) => {
    const name = s.layerNames[k];
    layers.push({ kind: 'dense', name, inFeatures, outFeatures, bias: s.bias[k] });
    layers.push({ kind: 'batchnorm', name: `${name}_bn`, features: outFeatures, eps: k % 2 ? 1e-5 : 1e-4, momentum: 0.1 });
    if (k < sizes.length - 1) {
      layers.push({ kind: 'sign', name: `${name}_sign` });
      if (s.dropoutAfterSign) layers.push({ kind: 'dropout', name: `${name}_drop`, p: 0.5 });
    }
    inFeatures = outFeatures;
  });
  return {
    format: MODEL_FORMAT,
    version: s.inputThreshold === null ? MODEL_VERSION : MODEL_VERSION_BINARY_INPUT,
    name: s.name,
    arch: 'custom',
    input:
      s.inputThreshold === null
        ? { height, width, channels, pixelScale: s.pixelMap.scale, pixelOffset: s.pixelMap.offset }
        : { height, width, channels, bits: 1, threshold: s.inputThreshold },
    classes: s.classes,
    layers,
  };
}

/**
 * Random values for a float graph. Batch norms sit at the scale of each layer's
 * pre-activation a (bits: 2acc - N + b in [-N, N] + b; pixels: sum of +-(s p + o)), with
 * gamma 0 (8 %), negative (30 %), tiny or large, variance sometimes 0, and about one
 * neuron in seven with its mean well outside a's range: its output is constant.
 * Score rows are sometimes copies of the previous row (equal scores: argmax ties).
 */
export function randomFloatModel(s: Structure, rng: Rng): Model {
  return randomFloatValues(floatGraph(s), s.pixelMap, rng);
}

/** Inputs per output neuron of a dense or conv2d layer (a row of its weight tensor). */
function fanIn(l: DenseSpec | Conv2dSpec): number {
  return l.kind === 'dense' ? l.inFeatures : l.kernel * l.kernel * l.inChannels;
}

/** randomFloatModel's values for any graph of dense/conv2d -> batchnorm blocks (MLP or ConvNet). */
export function randomFloatValues(graph: ModelGraph, pixelMap: PixelMap, rng: Rng): Model {
  const tensors = new Map<string, Tensor>();
  const { scale, offset } = pixelMap;
  const xMax = 'bits' in graph.input ? 1 : Math.max(Math.abs(offset), Math.abs(255 * scale + offset));
  let matrix: DenseSpec | Conv2dSpec | null = null;
  let first = true;
  for (const layer of graph.layers) {
    for (const t of layerTensors(layer)) tensors.set(t.name, { shape: t.shape, data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)) });
    if (layer.kind === 'dense' || layer.kind === 'conv2d') {
      matrix = layer;
      const w = tensors.get(`${layer.name}.weight`)!.data;
      for (let i = 0; i < w.length; i++) w[i] = rng.next() < 0.05 ? 0 : rng.uniform(-1, 1);
      if (layer.bias) {
        const b = tensors.get(`${layer.name}.bias`)!.data;
        for (let i = 0; i < b.length; i++) b[i] = rng.normal() * Math.sqrt(fanIn(layer)) * 0.3;
      }
    }
    if (layer.kind === 'batchnorm' && matrix) {
      const n = fanIn(matrix);
      const last = graph.layers[graph.layers.length - 1] === layer;
      const unit = first ? Math.max(xMax, 1e-3) : 1;
      const reach = n * unit; // |a| <= reach (+ bias)
      const spread = Math.sqrt(n) * unit;
      const gamma = tensors.get(`${layer.name}.gamma`)!.data;
      const beta = tensors.get(`${layer.name}.beta`)!.data;
      const mean = tensors.get(`${layer.name}.running_mean`)!.data;
      const variance = tensors.get(`${layer.name}.running_var`)!.data;
      for (let j = 0; j < layer.features; j++) {
        const g = rng.next();
        gamma[j] = g < 0.08 ? 0 : (g < 0.38 ? -1 : 1) * Math.exp(rng.uniform(Math.log(0.02), Math.log(5)));
        beta[j] = rng.normal() * 0.5;
        const beyond = !last && rng.next() < 0.15;
        mean[j] = beyond ? (rng.next() < 0.5 ? -1 : 1) * reach * rng.uniform(1.5, 4) : rng.normal() * spread * 0.7;
        variance[j] = rng.next() < 0.03 ? 0 : (spread * Math.exp(rng.uniform(Math.log(0.1), Math.log(2)))) ** 2;
      }
      if (last) {
        const w = tensors.get(`${matrix.name}.weight`)!.data;
        const b = matrix.bias ? tensors.get(`${matrix.name}.bias`)!.data : null;
        for (let j = 1; j < layer.features; j++) {
          if (rng.next() >= 0.15) continue;
          w.copyWithin(j * n, (j - 1) * n, j * n);
          if (b) b[j] = b[j - 1];
          for (const arr of [gamma, beta, mean, variance]) arr[j] = arr[j - 1];
        }
      }
      first = false;
    }
  }
  // Through the file format and back: the flow starts from a .bnn file.
  const model = decodeModel(encodeModel({ graph, tensors }), `diff case ${graph.name}`);
  return model;
}

// ---- folded models -----------------------------------------------------------------

/**
 * randomFoldedMlp pushed to the ends of the contract (see the header); the multiplier
 * width is the structure's, so every variant of a group emits the same Verilog.
 */
export function randomExtremeFolded(s: Structure, rng: Rng): FoldedModel {
  const f = randomFoldedMlp({
    input: s.input,
    hidden: s.hidden,
    classes: s.classes,
    seed: rng.nextU32(),
    name: s.name,
    tieProne: s.mulWidth === 'tie',
    inputThreshold: s.inputThreshold ?? undefined,
  });
  f.sourceHash = s.hash;
  f.layers.forEach((l, k) => {
    if (l.kind !== 'dense') throw new Error('randomFoldedMlp made a non-dense layer');
    l.name = s.layerNames[k];
    extremeLayer(l, s.mulWidth, rng);
  });
  return f;
}

/**
 * A matrix layer pushed to the ends of the contract: some all-0 and all-1 weight rows,
 * thresholds at lo, lo + 1, hi, hi + 1, scores of multiplier width `mulWidth`.
 */
export function extremeLayer(l: FoldedMatrixLayer, mulWidth: number | 'tie', rng: Rng): void {
  extremeRows(l, rng);
  if (l.output.kind === 'threshold') {
    const lo = l.input === 'bits' ? 0 : -255 * l.cols;
    const hi = l.input === 'bits' ? l.cols : 255 * l.cols;
    const t = l.output.thresholds;
    for (let r = 0; r < l.rows; r++) {
      if (rng.next() < 0.2) t[r] = pick(rng, [lo, lo + 1, hi, hi + 1, Math.min(hi + 1, lo + 2)]);
    }
  } else if (mulWidth !== 'tie') {
    setScores(l, mulWidth, rng);
  }
}

/** Some weight rows all 0 (every input -1) or all 1. */
function extremeRows(l: FoldedMatrixLayer, rng: Rng): void {
  const wpr = wordsPerRow(l.cols);
  for (let r = 0; r < l.rows; r++) {
    const u = rng.next();
    if (u >= 0.1) continue;
    for (let k = 0; k < wpr; k++) {
      const valid = Math.min(32, l.cols - 32 * k);
      l.weights[r * wpr + k] = u < 0.05 ? 0 : (valid === 32 ? 0xffffffff : (1 << valid) - 1) >>> 0;
    }
  }
}

/**
 * Multipliers of exactly `width` signed bits (one row pinned to the end of the range)
 * and offsets up to what keeps every score inside int32: scores near +-2^31 reach the
 * RTL's 32-bit arithmetic.
 */
function setScores(l: FoldedMatrixLayer, width: number, rng: Rng): void {
  if (l.output.kind !== 'scores') return;
  const { mul, add } = l.output;
  const accAbs = l.input === 'bits' ? l.cols : 255 * l.cols;
  const top = Math.min(2 ** (width - 1) - 1, MUL_LIMIT - 1);
  const bottom = -Math.min(2 ** (width - 1), MUL_LIMIT - 1);
  for (let r = 0; r < l.rows; r++) mul[r] = bottom + rng.int(top - bottom + 1);
  const pinned = rng.int(l.rows);
  mul[pinned] = width < 21 && rng.next() < 0.5 ? bottom : top;
  for (let r = 0; r < l.rows; r++) {
    const room = SCORE_LIMIT - 1 - Math.abs(mul[r]) * accAbs;
    const u = rng.next();
    add[r] = u < 0.15 ? room : u < 0.3 ? -room : Math.round(rng.uniform(-room, room) * (rng.next() < 0.5 ? 1e-3 : 1));
  }
}

// ---- images and the case -----------------------------------------------------------

/** n images: all 0, all 255, a 0/255 checkerboard, only 0 and 255, narrow ranges, uniform; in random order. */
export function randomCaseImages(rng: Rng, npix: number, n: number): Uint8Array {
  const out = new Uint8Array(n * npix);
  const kinds = [0, 1, 2];
  while (kinds.length < n) kinds.push(3 + rng.int(3));
  rng.shuffle(kinds);
  kinds.forEach((kind, i) => {
    const img = out.subarray(i * npix, (i + 1) * npix);
    const lo = rng.int(256);
    for (let p = 0; p < npix; p++) {
      switch (kind) {
        case 0: img[p] = 0; break;
        case 1: img[p] = 255; break;
        case 2: img[p] = (p + Math.floor(p / 7)) % 2 ? 255 : 0; break;
        case 3: img[p] = rng.next() < 0.5 ? 0 : 255; break;
        case 4: img[p] = Math.min(255, lo + rng.int(8)); break;
        default: img[p] = rng.int(256);
      }
    }
  });
  return out;
}

export function describeFolding(s: Pick<Structure, 'folding' | 'inPix' | 'pipeline' | 'bitSerial'> & { inputThreshold?: number | null }): string {
  const f = s.folding;
  const fold =
    f.kind === 'uniform' ? `pe ${f.pe} simd ${f.simd}` : f.kind === 'target' ? `target ${f.targetCycles}` : f.kind === 'fit' ? 'fit' : `per-layer ${f.layers.map((l) => `${l.pe}x${l.simd}`).join(',')}`;
  const withPix = s.inPix === undefined ? fold : `${fold}, inPix ${s.inPix}`;
  return `${withPix}, pipeline ${s.pipeline}${s.bitSerial ? ', bit-serial' : ''}${s.inputThreshold != null ? `, input-bits 1 (p >= ${s.inputThreshold})` : ''}`;
}

export function makeCase(seed: number): DiffCase {
  if (isConvGroup(groupOf(seed))) return makeConvCase(seed);
  const structure = makeStructure(groupOf(seed));
  const rng = rngFor(seed, 'values');
  let model: Model | null = null;
  let folded: FoldedModel;
  if (structure.source === 'float') {
    model = randomFloatModel(structure, rng);
    folded = foldModel(model, structure.hash);
  } else {
    folded = randomExtremeFolded(structure, rng);
  }
  const npix = structure.input[0] * structure.input[1] * structure.input[2];
  const n = 32 + rng.int(9);
  const images = randomCaseImages(rng.fork(), npix, n);
  const traffic = rng.next() < 0.25;
  const gaps = traffic ? rng.uniform(0, 0.5) : 0;
  const backpressure = traffic ? rng.uniform(0, 0.7) : 0;
  // Drawn last, so that the cases' other values stay what they were before resets came.
  const resets = rng.next() < 0.3 ? rng.uniform(0.1, 0.4) : 0;
  const layers = [npix, ...structure.hidden, structure.classes].join('-');
  const summary =
    `${structure.source} ${structure.input.join('x')} ${layers}, ${describeFolding(structure)}` +
    (structure.source === 'float' && structure.inputThreshold === null ? `, pixels ${structure.pixelMap.scale.toPrecision(3)}p${structure.pixelMap.offset >= 0 ? '+' : ''}${structure.pixelMap.offset}` : structure.source === 'float' ? '' : `, mul ${structure.mulWidth}`) +
    (traffic ? `, gaps ${gaps.toFixed(2)} bp ${backpressure.toFixed(2)}` : '') +
    (resets > 0 ? `, resets ${resets.toFixed(2)}` : '');
  return { seed, structure, model, folded, images, n, gaps, backpressure, resets, summary };
}

/** The one-line replay command of a case. */
export function replayCommand(seed: number): string {
  return `BNNC_DIFF_SEED=${seed} npx vitest run test/diff`;
}
