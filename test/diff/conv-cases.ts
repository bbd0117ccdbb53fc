/**
 * Random ConvNet cases of the differential tests, each a pure function of its seed like
 * the MLP cases of ./cases.ts, whose seed layout they share (structure group g = s >>> 3,
 * variant s & 7; the eight variants of a group emit the same Verilog and share one
 * Verilator build).
 *
 * Groups from CONV_GROUP (2^28, seeds from 2^31) on are ConvNets: below CONV_GROUP +
 * CONV_FULL the draw is bounded for make test (maps 5..12, up to 12 channels, small
 * cycle and lane budgets), from CONV_GROUP + CONV_FULL on it takes the full ranges of
 * make fuzz (maps 5..32, up to 70 channels), and two adjacent groups (2k, 2k + 1) share
 * one structure: 16 variants per build. A structure is a conv stack on 8-bit
 * pixels (1, 2 or 3 channels; kernels 1..5, odd and even maps, pools of 2 and 3 that
 * drop remainders, conv directly after conv), then either one or several dense layers
 * after the flatten, or a scores convolution whose kernel covers the last map (a 1x1
 * scores map, no dense layer at all). Its folding is uniform, per layer or a
 * --target-cycles, drawn within a budget of cycles per frame and of PE x SIMD lanes
 * (so that the Verilator build and the simulation stay short); the first convolution is
 * sometimes bit-serial; every --pipeline level.
 *
 * Two sources as for MLPs: a float model (conv2d -> batchnorm -> sign [-> dropout]
 * [-> maxpool] blocks, then [flatten] dense blocks) folded by foldModel, or
 * randomFoldedNet (src/hw/random-model.ts) pushed to the ends of the contract.
 *
 * This module reads ./cases.ts's helpers only inside functions (the two modules import
 * each other).
 */
import type { LayerSpec, ModelGraph, Shape3 } from '../../src/graph/types.js';
import { MODEL_FORMAT, MODEL_VERSION } from '../../src/graph/types.js';
import { folds, type PipelineLevel } from '../../src/hw/cycles.js';
import type { FoldingSpec, LayerFolding } from '../../src/hw/folding.js';
import { cheapestFolding } from '../../src/hw/folding.js';
import { randomFoldedNet, type RandomLayerSpec } from '../../src/hw/random-model.js';
import { foldModel } from '../../src/int/fold.js';
import type { FoldedModel } from '../../src/int/types.js';
import type { Model } from '../../src/graph/types.js';
import type { Rng } from '../../src/util/rng.js';
import {
  describeFolding,
  extremeLayer,
  groupOf,
  hex,
  pick,
  PIXEL_MAPS,
  randomCaseImages,
  randomFloatValues,
  rngFor,
  drawPipeline,
  widestMultiplier,
  type DiffCase,
  type PixelMap,
} from './cases.js';

/** The first ConvNet group (seed 2^31). */
export const CONV_GROUP = 2 ** 28;
/** Offset of the full-range ConvNet groups from CONV_GROUP. */
export const CONV_FULL = 2 ** 27;

export function isConvGroup(group: number): boolean {
  return group >= CONV_GROUP;
}

/**
 * The first group of the i-th ConvNet structure of the bounded (make test) or the full
 * (make fuzz) draw. A full-range structure spans two groups, 16 variants on one
 * Verilator build (builds of the larger designs cost more than their cases).
 */
export function convGroup(i: number, range: ConvRangeName): number {
  return range === 'full' ? CONV_GROUP + CONV_FULL + 2 * i : CONV_GROUP + i;
}

/** The groups of the i-th structure (convGroup). */
export function convGroups(i: number, range: ConvRangeName): number[] {
  const g = convGroup(i, range);
  return range === 'full' ? [g, g + 1] : [g];
}

/** The group that draws group g's structure: the first of its pair in the full range. */
function structureGroup(group: number): number {
  const j = group - CONV_GROUP;
  return j >= CONV_FULL ? group - ((j - CONV_FULL) & 1) : group;
}

export type ConvRangeName = 'small' | 'full';

interface ConvRange {
  sides: [number, number];
  maxChannels: number;
  maxConvs: number;
  /** Largest dense layer. */
  maxDense: number;
  /** Work per frame of any stage (cycles) the folding may leave. */
  maxCycles: number;
  /** PE x SIMD lanes of all stages together. */
  maxLanes: number;
  /** Lane-cycles per frame of all matrix layers (vectors x MH x MW, x 8 bit-serial); channels are halved until below. */
  maxWork: number;
}

const RANGES: Record<ConvRangeName, ConvRange> = {
  small: { sides: [5, 12], maxChannels: 12, maxConvs: 3, maxDense: 24, maxCycles: 1500, maxLanes: 160, maxWork: 200_000 },
  full: { sides: [5, 32], maxChannels: 70, maxConvs: 4, maxDense: 70, maxCycles: 2000, maxLanes: 320, maxWork: 600_000 },
};

/** Everything the Verilog of a ConvNet case depends on. */
export interface ConvStructure {
  net: 'conv';
  group: number;
  range: ConvRangeName;
  source: 'float' | 'folded';
  name: string;
  /** Stands in for the model hash, so the variants' Verilog is identical. */
  hash: string;
  input: Shape3;
  /** The conv stack: convolutions and the pools after them (src/hw/random-model.ts's specs). */
  convs: RandomLayerSpec[];
  /** Hidden dense layers after the flatten (before the scores layer). */
  dense: number[];
  classes: number;
  /** The scores layer a convolution with this kernel (the whole last map), else dense. */
  scoresKernel?: number;
  folding: FoldingSpec;
  /** Always undefined: a ConvNet takes one pixel (its channels) per beat. */
  inPix?: undefined;
  pipeline: PipelineLevel;
  bitSerial: boolean;
  /** float: the pixel map, a bias per matrix layer, dropout after the signs, flatten before the first dense layer. */
  pixelMap: PixelMap;
  bias: boolean[];
  dropoutAfterSign: boolean;
  flattenFirst: boolean;
  /** folded: multiplier width of the scores layer ('tie': multipliers 0 and 1, no offsets). */
  mulWidth: number | 'tie';
}

/** One matrix layer's geometry: MH x MW, and the vectors (output pixels) it runs per frame. */
interface MatrixDims {
  rows: number;
  cols: number;
  vectors: number;
}

/** The matrix layers of a structure, and the pools' input pixels per frame. */
function geometry(s: Pick<ConvStructure, 'input' | 'convs' | 'dense' | 'classes' | 'scoresKernel'>): { dims: MatrixDims[]; poolPixels: number[]; last: Shape3 } {
  const dims: MatrixDims[] = [];
  const poolPixels: number[] = [];
  let [h, w, c] = s.input;
  for (const it of s.convs) {
    if ('conv' in it) {
      dims.push({ rows: it.conv, cols: it.kernel * it.kernel * c, vectors: (h - it.kernel + 1) * (w - it.kernel + 1) });
      h -= it.kernel - 1;
      w -= it.kernel - 1;
      c = it.conv;
    } else if ('pool' in it) {
      poolPixels.push(h * w);
      h = Math.floor(h / it.pool);
      w = Math.floor(w / it.pool);
    }
  }
  const last: Shape3 = [h, w, c];
  if (s.scoresKernel !== undefined) {
    dims.push({ rows: s.classes, cols: s.scoresKernel * s.scoresKernel * c, vectors: 1 });
  } else {
    let cols = h * w * c;
    for (const rows of [...s.dense, s.classes]) {
      dims.push({ rows, cols, vectors: 1 });
      cols = rows;
    }
  }
  return { dims, poolPixels, last };
}

function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(Math.exp(rng.uniform(Math.log(lo), Math.log(hi + 1))))));
}

/**
 * A folding within the range's budgets: uniform, per layer or a target. Per layer, each
 * layer gets a random cycle budget, a random PE that meets it, and the fewest SIMD lanes
 * that meet it then (plus a few more sometimes): SIMD rarely divides the channels.
 */
function randomConvFolding(rng: Rng, dims: MatrixDims[], minCycles: number, bitSerial: boolean, r: ConvRange): FoldingSpec {
  const planes = (k: number): number => (k === 0 && bitSerial ? 8 : 1);
  const cycles = (k: number, f: LayerFolding): number => {
    const { nf, sf } = folds(dims[k].rows, dims[k].cols, f.pe, f.simd);
    return dims[k].vectors * planes(k) * nf * sf;
  };
  const fits = (fs: LayerFolding[]): boolean =>
    fs.every((f, k) => cycles(k, f) <= r.maxCycles) && fs.reduce((a, f) => a + f.pe * f.simd, 0) <= r.maxLanes;
  const u = rng.next();
  if (u < 0.25) {
    for (let tries = 0; tries < 20; tries++) {
      const pe = 1 + rng.int(rng.next() < 0.5 ? 4 : 16);
      const simd = 1 + rng.int(rng.next() < 0.5 ? 8 : 40);
      if (fits(dims.map((d) => ({ pe: Math.min(pe, d.rows), simd: Math.min(simd, d.cols) })))) return { kind: 'uniform', pe, simd };
    }
  }
  if (u < 0.7) {
    for (let tries = 0; tries < 20; tries++) {
      const layers = dims.map((d, k) => {
        const per = d.vectors * planes(k);
        const budget = Math.max(1, Math.floor(logUniform(rng, per, Math.max(per, r.maxCycles)) / per));
        const pe = Math.max(1 + rng.int(d.rows), Math.ceil(d.rows / budget));
        const nf = Math.ceil(d.rows / pe);
        const sfMax = Math.max(1, Math.floor(budget / nf));
        const simd = Math.min(d.cols, Math.ceil(d.cols / sfMax) + (rng.next() < 0.3 ? rng.int(4) : 0));
        return { pe, simd };
      });
      if (fits(layers)) return { kind: 'perLayer', layers, source: 'diff case' };
    }
  }
  // A target: the least the planner can reach (each layer fully parallel, the input stage
  // and the pools at one pixel per cycle) up to the budget, raised until the lanes fit.
  let target = logUniform(rng, minCycles, Math.max(minCycles, r.maxCycles));
  for (;;) {
    const layers = dims.map((d, k) => cheapestFolding(d.rows, d.cols, Math.floor(target / (d.vectors * planes(k)))));
    if (layers.every((l) => l !== null) && layers.reduce((a, l) => a + l!.pe * l!.simd, 0) <= r.maxLanes) return { kind: 'target', targetCycles: target };
    target = Math.ceil(target * 1.25);
  }
}

/** The structure of ConvNet group g. */
export function makeConvStructure(ofGroup: number): ConvStructure {
  if (!isConvGroup(ofGroup)) throw new Error(`group ${ofGroup} is an MLP group (makeStructure)`);
  const group = structureGroup(ofGroup);
  const range: ConvRangeName = group - CONV_GROUP >= CONV_FULL ? 'full' : 'small';
  const r = RANGES[range];
  const rng = rngFor(group, 'conv structure');
  const source = rng.next() < 0.5 ? 'float' : 'folded';
  const wantConvScores = rng.next() < 0.25;
  const inC = pick(rng, [1, 1, 1, 3, 3, 3, 2]);
  const height = between(rng, r.sides[0], r.sides[1]);
  // A square map stays square, so a scores convolution can cover it.
  const width = wantConvScores ? height : between(rng, r.sides[0], r.sides[1]);
  const nConv = 1 + rng.int(r.maxConvs);
  const convs: RandomLayerSpec[] = [];
  let [h, w] = [height, width];
  for (let i = 0; i < nConv; i++) {
    const kernel = 1 + rng.int(Math.min(5, h, w));
    convs.push({ conv: 1 + rng.int(r.maxChannels), kernel });
    h -= kernel - 1;
    w -= kernel - 1;
    // Pools often enough to shrink the maps, seldom enough that conv follows conv.
    const size = pick(rng, [2, 3]);
    if (rng.next() < 0.45 && size <= Math.min(h, w)) {
      convs.push({ pool: size });
      h = Math.floor(h / size);
      w = Math.floor(w / size);
    }
  }
  const scoresKernel = wantConvScores && h === w && h <= 5 ? h : undefined;
  const dense = scoresKernel === undefined ? Array.from({ length: pick(rng, [0, 0, 1, 1, 2]) }, () => 1 + rng.int(r.maxDense)) : [];
  const classes = Math.max(source === 'float' ? 2 : 1, pick(rng, [1, 2, 3, 5, 7, 10, 11, 13]));
  // Bit-serial only where the first convolution's 8 cycles per output pixel fit the budget.
  const firstVectors = (height - (convs[0] as { kernel: number }).kernel + 1) * (width - (convs[0] as { kernel: number }).kernel + 1);
  const bitSerial = rngFor(group, 'bit-serial').next() < 0.3 && 8 * firstVectors <= r.maxCycles;
  // Halve the widest convolution until the network's work (lane-cycles per frame, a
  // bit-serial first layer's 8 bit planes included) fits the range.
  const work = (): number =>
    geometry({ input: [height, width, inC], convs, dense, classes, scoresKernel }).dims.reduce((a, d, k) => a + d.vectors * d.rows * d.cols * (k === 0 && bitSerial ? 8 : 1), 0);
  while (work() > r.maxWork) {
    let widest = -1;
    convs.forEach((it, k) => {
      if ('conv' in it && (widest < 0 || it.conv > (convs[widest] as { conv: number }).conv)) widest = k;
    });
    const it = convs[widest] as { conv: number; kernel: number };
    if (it.conv === 1) break;
    convs[widest] = { conv: Math.ceil(it.conv / 2), kernel: it.kernel };
  }
  const input: Shape3 = [height, width, inC];
  const { dims, poolPixels } = geometry({ input, convs, dense, classes, scoresKernel });
  const pipeline = drawPipeline(group);
  const minCycles = Math.max(height * width, ...poolPixels, ...dims.map((d, k) => d.vectors * (k === 0 && bitSerial ? 8 : 1)));
  const folding = randomConvFolding(rngFor(group, 'folding'), dims, minCycles, bitSerial, r);
  const lastCols = dims[dims.length - 1].cols;
  const matrices = dims.length;
  return {
    net: 'conv',
    group,
    range,
    source,
    name: `diffconv_${hex(group)}`,
    hash: `${hex(group)}${'c0de'.repeat(14)}`,
    input,
    convs,
    dense,
    classes,
    scoresKernel,
    folding,
    pipeline,
    bitSerial,
    pixelMap: pick(rng, PIXEL_MAPS),
    bias: Array.from({ length: matrices }, () => rng.next() < 0.3),
    dropoutAfterSign: rng.next() < 0.3,
    flattenFirst: rng.next() < 0.6,
    mulWidth: rng.next() < 0.2 ? 'tie' : 2 + rng.int(widestMultiplier(lastCols) - 1),
  };
}

/** The float graph of a ConvNet structure (see the header). */
export function convFloatGraph(s: ConvStructure): ModelGraph {
  const [height, width, channels] = s.input;
  const layers: LayerSpec[] = [];
  let c = channels;
  let m = 0;
  const block = (name: string, spec: LayerSpec, features: number, scores: boolean): void => {
    layers.push(spec);
    layers.push({ kind: 'batchnorm', name: `${name}_bn`, features, eps: m % 2 ? 1e-5 : 1e-4, momentum: 0.1 });
    if (!scores) {
      layers.push({ kind: 'sign', name: `${name}_sign` });
      if (s.dropoutAfterSign) layers.push({ kind: 'dropout', name: `${name}_drop`, p: 0.5 });
    }
    m++;
  };
  let [h, w] = [height, width];
  s.convs.forEach((it, k) => {
    if ('conv' in it) {
      const name = `conv${k + 1}`;
      block(name, { kind: 'conv2d', name, inChannels: c, outChannels: it.conv, kernel: it.kernel, padding: 0, bias: s.bias[m] }, it.conv, false);
      c = it.conv;
      h -= it.kernel - 1;
      w -= it.kernel - 1;
    } else if ('pool' in it) {
      layers.push({ kind: 'maxpool', name: `pool${k + 1}`, size: it.pool });
      h = Math.floor(h / it.pool);
      w = Math.floor(w / it.pool);
    }
  });
  if (s.scoresKernel !== undefined) {
    const name = 'scores';
    block(name, { kind: 'conv2d', name, inChannels: c, outChannels: s.classes, kernel: s.scoresKernel, padding: 0, bias: s.bias[m] }, s.classes, true);
  } else {
    if (s.flattenFirst) layers.push({ kind: 'flatten', name: 'flatten' });
    let inFeatures = h * w * c;
    const sizes = [...s.dense, s.classes];
    sizes.forEach((outFeatures, k) => {
      const name = `fc${k + 1}`;
      block(name, { kind: 'dense', name, inFeatures, outFeatures, bias: s.bias[m] }, outFeatures, k === sizes.length - 1);
      inFeatures = outFeatures;
    });
  }
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    name: s.name,
    arch: 'custom',
    input: { height, width, channels, pixelScale: s.pixelMap.scale, pixelOffset: s.pixelMap.offset },
    classes: s.classes,
    layers,
  };
}

/** randomFoldedNet pushed to the ends of the contract, every variant with the structure's multiplier width. */
function randomExtremeConvNet(s: ConvStructure, rng: Rng): FoldedModel {
  const f = randomFoldedNet({
    input: s.input,
    layers: [...s.convs, ...s.dense.map((n) => ({ dense: n }))],
    classes: s.classes,
    seed: rng.nextU32(),
    name: s.name,
    tieProne: s.mulWidth === 'tie',
    scoresKernel: s.scoresKernel,
  });
  f.sourceHash = s.hash;
  for (const l of f.layers) if (l.kind !== 'maxpool') extremeLayer(l, s.mulWidth, rng);
  return f;
}

function describeConvNet(s: ConvStructure): string {
  const parts = s.convs.map((it) => ('conv' in it ? `c${it.conv}k${it.kernel}` : 'pool' in it ? `p${it.pool}` : `fc${it.dense}`));
  for (const n of s.dense) parts.push(`fc${n}`);
  parts.push(s.scoresKernel === undefined ? `fc${s.classes}` : `c${s.classes}k${s.scoresKernel}`);
  return `${s.input.join('x')} ${parts.join('-')}`;
}

/** The ConvNet case of a seed (its group must be a ConvNet group). */
export function makeConvCase(seed: number): DiffCase {
  const structure = makeConvStructure(groupOf(seed));
  const rng = rngFor(seed, 'values');
  let model: Model | null = null;
  let folded: FoldedModel;
  if (structure.source === 'float') {
    model = randomFloatValues(convFloatGraph(structure), structure.pixelMap, rng);
    folded = foldModel(model, structure.hash);
  } else {
    folded = randomExtremeConvNet(structure, rng);
  }
  const npix = structure.input[0] * structure.input[1] * structure.input[2];
  // Enough frames for the verifier to see the steady state (it measures the II over the second half).
  const n = 8 + rng.int(3);
  const images = randomCaseImages(rng.fork(), npix, n);
  const traffic = rng.next() < 0.35;
  const gaps = traffic ? rng.uniform(0, 0.5) : 0;
  const backpressure = traffic ? rng.uniform(0, 0.7) : 0;
  const resets = rng.next() < 0.25 ? rng.uniform(0.1, 0.4) : 0;
  const summary =
    `conv ${structure.range} ${structure.source} ${describeConvNet(structure)}, ${describeFolding(structure)}` +
    (structure.source === 'float' ? `, pixels ${structure.pixelMap.scale.toPrecision(3)}p${structure.pixelMap.offset >= 0 ? '+' : ''}${structure.pixelMap.offset}` : `, mul ${structure.mulWidth}`) +
    (traffic ? `, gaps ${gaps.toFixed(2)} bp ${backpressure.toFixed(2)}` : '') +
    (resets > 0 ? `, resets ${resets.toFixed(2)}` : '');
  return { seed, structure, model, folded, images, n, gaps, backpressure, resets, summary };
}
