/**
 * The hardware plan: the IR between the folded model and the Verilog. The input stage,
 * then one stage per folded layer (stage k = folded layer k, the RTL's stage<k> taps),
 * each a kind with its own module in ./stages: an MVTU stage (dense or conv layer, with
 * the feed that hands it vectors: image buffer, vector buffer, flatten buffer or
 * sliding-window unit) or a pool stage. Each kind owns its figures (cycles, memory bits,
 * area estimate); the plan adds the network's II and latency.
 *
 * MLPs (dense layers only) get the closed formulas of ./cycles.ts; networks with
 * convolutions get the exact simulation of the RTL's control in ./timing.ts, since a
 * sliding-window unit's windows come at a pace that changes from row to row.
 */
import { BnncError, InputError } from '../errors.js';
import { describeValue } from '../graph/json.js';
import type { FoldedLayer, FoldedMatrixLayer, FoldedModel } from '../int/types.js';
import { firstInput, wordsPerRow } from '../int/types.js';
import { estimateArea, estimateInput, type AreaEstimate } from './area.js';
import { networkCycles, PIPELINE_LEVELS, type PipelineLevel } from './cycles.js';
import { type FoldingSpec, type LayerFolding } from './folding.js';
import { Planner, type PlannerChoice } from './planner.js';
import { planImageInput, planStreamInput, type PixelInputStage } from './stages/input.js';
import { planMvtu, windowFeed, withBanks, withColumnQueue, withFifo, type MvtuFeed, type MvtuStage } from './stages/mvtu.js';
import { planPool, type PoolStage } from './stages/pool.js';
import { streamCycles, type UnitModel } from './timing.js';
import { accBits, MAX_DATAPATH_BITS } from './widths.js';
import { DEFAULT_ROM_RULE, type RomRule } from './memory.js';

export type { PixelInputStage } from './stages/input.js';
export type { MvtuFeed, MvtuStage } from './stages/mvtu.js';
export type { PoolStage } from './stages/pool.js';

export const HWPLAN_FORMAT = 'bnnc-hwplan';

/** A stage of the plan: one per folded layer. */
export type Stage = MvtuStage | PoolStage;

export interface HwPlan {
  format: typeof HWPLAN_FORMAT;
  /** Model name, as in the folded model. */
  name: string;
  sourceHash: string;
  classes: number;
  input: PixelInputStage;
  stages: Stage[];
  /** Network II: cycles between results in steady state. */
  ii: number;
  /** Cycles from a frame's first beat to its result (docs/hardware.md). */
  latency: number;
  /** Pipeline level of the MVTU stages (`--pipeline`). */
  pipeline: PipelineLevel;
  /** The stage with the most work per frame: -1 = input stage, else a stage index. */
  bottleneck: number;
  /** The rule that put each ROM in block RAM or logic (stage.rom). */
  romRule: RomRule;
  estimate: AreaEstimate;
  /** How a planned folding (--target-cycles, --target-fps, resource limits) was chosen; absent for a given one. */
  planner?: PlannerChoice;
}

export interface PlanOptions {
  /** Pixels per s_axis beat; default: the first layer's SIMD (MLP) or its channels (ConvNet). */
  inPix?: number;
  /** Pipeline level of every MVTU stage (`--pipeline`, src/hw/cycles.ts); default 0. */
  pipeline?: PipelineLevel;
  /**
   * The first layer (8-bit pixels) bit-serial: each read taken 8 times, one bit plane at
   * a time, with 1-bit lanes (`--bit-serial`); its II is 8*NF*SF. Default: parallel.
   */
  bitSerial?: boolean;
  /** Which ROMs become block RAM (./memory.ts); default DEFAULT_ROM_RULE. */
  romRule?: RomRule;
}

/** Cycles of work per frame of a stage. */
export function frameCycles(s: Stage): number {
  return s.frameCycles;
}

/** The MVTU stages of a plan (dense and conv layers), in order. */
export function mvtuStages(plan: HwPlan): MvtuStage[] {
  return plan.stages.filter((s): s is MvtuStage => s.kind === 'mvtu');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === 3 && b.length === 3 && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/** The model's layers, checked to be a network the RTL implements. */
function checkLayers(f: FoldedModel): FoldedLayer[] {
  const src = `model ${f.name}`;
  if (f.layers.length === 0) throw new InputError(src, 'layers', 'at least one layer', 'none');
  let shape: readonly number[] = f.input;
  let seenDense = false;
  f.layers.forEach((l, k) => {
    const last = k === f.layers.length - 1;
    const field = `layers[${k}] (${l.name})`;
    if (!sameShape(l.inShape, shape)) throw new InputError(src, `${field}.inShape`, JSON.stringify(shape), JSON.stringify(l.inShape));
    const [h, w, c] = l.inShape;
    if (l.kind === 'maxpool') {
      const prev = f.layers[k - 1];
      if (k === 0 || prev.kind !== 'conv' || prev.output.kind !== 'threshold') {
        throw new BnncError(`${src}: ${field}: a pool must follow a convolution's sign (threshold); OR-pooling is exact only after it`);
      }
      if (last) throw new InputError(src, field, 'a matrix layer (the last layer gives the scores)', 'a pool');
      if (!(Number.isSafeInteger(l.size) && l.size >= 1 && l.size <= h && l.size <= w)) {
        throw new InputError(src, `${field}.size`, `an integer in 1..${Math.min(h, w)}`, String(l.size));
      }
      const want = [Math.floor(h / l.size), Math.floor(w / l.size), c];
      if (!sameShape(l.outShape, want)) throw new InputError(src, `${field}.outShape`, JSON.stringify(want), JSON.stringify(l.outShape));
      shape = l.outShape;
      return;
    }
    const wantInput = k === 0 ? firstInput(f) : 'bits';
    if (l.input !== wantInput) throw new InputError(src, `${field}.input`, wantInput, l.input);
    if (!(Number.isSafeInteger(l.rows) && l.rows >= 1)) throw new InputError(src, `${field}.rows`, 'a positive integer', String(l.rows));
    if (l.kind === 'conv') {
      if (seenDense) throw new BnncError(`${src}: ${field}: a convolution after a dense layer is not supported (the map is flattened once)`);
      const kk = l.kernel;
      if (!(Number.isSafeInteger(kk) && kk >= 1 && kk <= h && kk <= w)) {
        throw new InputError(src, `${field}.kernel`, `an integer in 1..${Math.min(h, w)} (the input map ${h}x${w})`, String(kk));
      }
      if (l.cols !== kk * kk * c) throw new InputError(src, `${field}.cols`, String(kk * kk * c), String(l.cols));
      // Stride 1, no padding: the only convolution the folded model and the RTL define.
      const want = [h - kk + 1, w - kk + 1, l.rows];
      if (!sameShape(l.outShape, want)) {
        throw new InputError(src, `${field}.outShape`, `${JSON.stringify(want)} (stride 1, no padding)`, JSON.stringify(l.outShape));
      }
    } else {
      seenDense = true;
      if (l.cols !== h * w * c) throw new InputError(src, `${field}.cols`, String(h * w * c), String(l.cols));
      if (!sameShape(l.outShape, [1, 1, l.rows])) throw new InputError(src, `${field}.outShape`, JSON.stringify([1, 1, l.rows]), JSON.stringify(l.outShape));
    }
    if (l.weights.length !== l.rows * wordsPerRow(l.cols)) {
      throw new InputError(src, `${field}.weights`, `${l.rows * wordsPerRow(l.cols)} words`, String(l.weights.length));
    }
    if (last) {
      if (l.output.kind !== 'scores') throw new InputError(src, `${field}.output`, 'scores (last layer)', l.output.kind);
      if (l.rows !== f.classes) throw new InputError(src, `${field}.rows`, `${f.classes} (classes)`, String(l.rows));
      if (l.outShape[0] * l.outShape[1] !== 1) throw new InputError(src, `${field}.outShape`, 'a single output position (last layer)', JSON.stringify(l.outShape));
      if (l.output.mul.length !== l.rows || l.output.add.length !== l.rows) {
        throw new InputError(src, `${field}.output`, `${l.rows} mul and add values`, `${l.output.mul.length} and ${l.output.add.length}`);
      }
    } else {
      if (l.output.kind !== 'threshold') throw new InputError(src, `${field}.output`, 'threshold (hidden layer)', l.output.kind);
      if (l.output.thresholds.length !== l.rows) {
        throw new InputError(src, `${field}.output.thresholds`, `${l.rows} values`, String(l.output.thresholds.length));
      }
    }
    const acc = accBits(l.input, l.cols);
    if (acc > MAX_DATAPATH_BITS) {
      throw new InputError(src, `${field}.cols`, `an accumulator of at most ${MAX_DATAPATH_BITS} bits`, `${acc} bits for ${l.cols} inputs`);
    }
    shape = l.outShape;
  });
  // The result beat's class field is 16 bits (docs/hardware.md).
  if (f.classes < 1 || f.classes > 32768) throw new InputError(src, 'classes', '1..32768', String(f.classes));
  return f.layers;
}

/** The per-layer foldings a spec asks for, checked against the matrix layers. */
function resolveFoldings(all: FoldedLayer[], layers: FoldedMatrixLayer[], spec: FoldingSpec, bitSerial: boolean): LayerFolding[] {
  switch (spec.kind) {
    case 'uniform': {
      if (!(Number.isSafeInteger(spec.pe) && spec.pe >= 1)) throw new InputError('folding', 'pe', 'a positive integer', String(spec.pe));
      if (!(Number.isSafeInteger(spec.simd) && spec.simd >= 1)) throw new InputError('folding', 'simd', 'a positive integer', String(spec.simd));
      return layers.map((l) => ({ pe: Math.min(spec.pe, l.rows), simd: Math.min(spec.simd, l.cols) }));
    }
    case 'perLayer': {
      const src = spec.source;
      const what = layers.some((l) => l.kind === 'conv') ? 'one per dense or conv layer' : 'one per dense layer';
      if (spec.layers.length !== layers.length) {
        throw new InputError(src, 'layers', `${layers.length} entries (${what})`, String(spec.layers.length));
      }
      return spec.layers.map((fl, k) => {
        const l = layers[k];
        const name = spec.names?.[k];
        if (name !== undefined && name !== l.name) throw new InputError(src, `layers[${k}].name`, JSON.stringify(l.name), describeValue(name));
        if (!(Number.isSafeInteger(fl.pe) && fl.pe >= 1 && fl.pe <= l.rows)) {
          throw new InputError(src, `layers[${k}].pe`, `an integer in 1..${l.rows} (MH of ${l.name})`, String(fl.pe));
        }
        if (!(Number.isSafeInteger(fl.simd) && fl.simd >= 1 && fl.simd <= l.cols)) {
          throw new InputError(src, `layers[${k}].simd`, `an integer in 1..${l.cols} (MW of ${l.name})`, String(fl.simd));
        }
        return { pe: fl.pe, simd: fl.simd };
      });
    }
    case 'target':
    case 'fit':
      throw new Error('resolveFoldings: a planned folding is chosen by choosePlanned');
  }
}

/** Throw the error naming the first layer a budget of N cycles per frame cannot hold. */
function checkReachable(all: FoldedLayer[], layers: FoldedMatrixLayer[], n: number, bitSerial: boolean): void {
  layers.forEach((l, k) => {
    // A convolution runs its matrix once per output pixel: NF*SF <= target / pixels;
    // a bit-serial first layer takes 8 cycles per read.
    const vectors = l.outShape[0] * l.outShape[1] * (k === 0 && bitSerial ? 8 : 1);
    if (!Number.isSafeInteger(n) || Math.floor(n / vectors) < 1) {
      const why = k === 0 && bitSerial ? `bit-serial, at least 8 cycles per vector${vectors > 8 ? ` for each of ${vectors / 8} output pixels` : ''}` : vectors > 1 ? `${vectors} output pixels of at least 1 cycle each` : 'its II is at least 1 cycle per vector';
      throw new BnncError(`target of ${n} cycles is unreachable for layers[${all.indexOf(l)}] (${l.name}): ${why}`);
    }
  });
}

/** The feed of matrix layer k: what hands its MVTU input vectors. */
function feedOf(layers: FoldedLayer[], k: number): MvtuFeed {
  const l = layers[k] as FoldedMatrixLayer;
  if (l.kind === 'conv') return windowFeed(l);
  if (k === 0) return { kind: 'image' };
  const [h, w, c] = l.inShape;
  return h * w === 1 ? { kind: 'vector' } : { kind: 'flatten', beats: h * w, beatBits: c };
}

/** The control model of each stage, for the cycle simulation (./timing.ts). */
function unitModels(input: PixelInputStage, stages: Stage[]): UnitModel[] {
  return stages.map((s, k) => {
    if (s.kind === 'pool') {
      return { kind: 'pool', width: s.inShape[1], height: s.inShape[0], size: s.size, beatsPerFrame: s.outShape[0] * s.outShape[1] };
    }
    const f = s.feed;
    const beats = f.kind === 'image' ? input.beats : f.kind === 'vector' ? 1 : f.kind === 'flatten' ? f.beats : 0;
    const feed = f.kind === 'window' ? { kind: 'window' as const, width: f.width, height: f.height, kernel: f.kernel, fifo: f.fifoDepth, queue: f.queueColumns, banks: f.banks } : { kind: 'beats' as const, beats };
    return { kind: 'mvtu', feed, reads: s.ii, depth: 2 + s.pipelineCycles, beatsPerFrame: k === stages.length - 1 ? 1 : s.vectors, skid: s.pipeline >= 3 && k < stages.length - 1 };
  });
}

/** Powers of two from 2 up to the first at least n, after 0: the queue depths tried. */
function depths(n: number): number[] {
  const out = [0];
  for (let d = 2; ; d *= 2) {
    out.push(d);
    if (d >= n) return out;
  }
}

/**
 * The smallest of `cands` (ascending) at which `ok` holds, by bisection after trying the
 * first; `ok` must hold
 * for the last one (it is not tried). Every depth returned is one `ok` was true for (or
 * the last), so a run of choices made this way keeps the property.
 */
function smallest(cands: number[], ok: (d: number) => boolean): number {
  // None at all is the common answer (an MVTU slow enough per window): try it first.
  if (cands.length > 1 && ok(cands[0])) return cands[0];
  let lo = 1;
  let hi = cands.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(cands[mid])) hi = mid;
    else lo = mid + 1;
  }
  return cands[hi];
}

/**
 * The queues and banks of the sliding-window units (docs/hardware.md): a unit takes a pixel of
 * its next frame's first K - 1 rows only after this frame's last windows are banked,
 * while its MVTU has two windows of work left, so without slack the MVTU idles once per
 * frame, and the stages upstream stall in step with it and cannot run ahead.
 * - a column queue inside every unit (bnnc_swu's QUEUE_W) lets its intake run ahead
 *   into the next frame while the MVTU works through queued columns;
 * - a pixel queue in front of every unit but the first (bnnc_fifo) lets the stages
 *   upstream produce the next frame's rows while the unit still takes this one's;
 * - window banks beyond two (bnnc_swu's BANKS) keep the MVTU busy at each row's end,
 *   where the window half takes K + 1 cycles from a row's last window to the next
 *   row's first: needed below (K + 1) / 2 cycles a window.
 * The best II is the cycle model's with every queue deep enough to hold a whole map and
 * ceil((K + 1) / II) banks; the planner keeps it and minimises memory by running the
 * cycle model: first each unit's banks (K*K*C elements each, registers), then each
 * unit's column queue (K*C an entry), in order, the fewest (a power of two for a queue,
 * or none) at which the II is still the best with the later units' deep; then one
 * depth for all pixel queues, likewise. Every depth chosen was simulated at
 * the best II with the others as they end up or deeper, and the last choice with all
 * of them final, so the plan's II is the best.
 */
function chooseQueues(input: PixelInputStage, stages: Stage[]): void {
  const units = stages.filter((s): s is MvtuStage => s.kind === 'mvtu' && s.feed.kind === 'window');
  if (units.length === 0) return;
  const fed = units.filter((s) => s.index > 0);
  const ii = (): number => streamCycles(input.beats, unitModels(input, stages)).ii;
  const mapPixels = (s: MvtuStage): number => (s.feed.kind === 'window' ? s.feed.width * s.feed.height : 0);
  const columnTop = (s: MvtuStage): number => (s.feed.kind === 'window' ? s.feed.width * (s.feed.height - s.feed.kernel + 1) : 0);
  const fifoCands = depths(Math.max(2, ...fed.map(mapPixels)));
  const setFifo = (d: number): void => fed.forEach((s) => withFifo(s, d));
  const colCands = units.map((s) => depths(columnTop(s)));
  // Window banks: 2 banked windows cover 2 * II cycles of the K + 1 a row's end takes
  // (the row's last window, the next row's K - 1 first columns, its first window).
  const bankCands = units.map((s) => {
    const k = s.feed.kind === 'window' ? s.feed.kernel : 1;
    const top = Math.max(2, Math.ceil((k + 1) / s.ii));
    return Array.from({ length: top - 1 }, (_, i) => 2 + i);
  });
  units.forEach((s, i) => {
    withColumnQueue(s, colCands[i][colCands[i].length - 1]);
    withBanks(s, bankCands[i][bankCands[i].length - 1]);
  });
  setFifo(fifoCands[fifoCands.length - 1]);
  const best = ii();
  units.forEach((s, i) => {
    if (bankCands[i].length === 1) return;
    withBanks(
      s,
      smallest(bankCands[i], (n) => {
        withBanks(s, n);
        return ii() === best;
      }),
    );
  });
  // Column queues: none at all is the common case (an MVTU slow enough per window).
  units.forEach((s) => withColumnQueue(s, 0));
  if (ii() > best) {
    units.forEach((s, i) => withColumnQueue(s, colCands[i][colCands[i].length - 1]));
    units.forEach((s, i) => {
      withColumnQueue(
        s,
        smallest(colCands[i], (d) => {
          withColumnQueue(s, d);
          return ii() === best;
        }),
      );
    });
  }
  if (fed.length > 0) {
    setFifo(
      smallest(fifoCands, (d) => {
        setFifo(d);
        return ii() === best;
      }),
    );
  }
}

/** The control models of a plan's stages (the cycle model's input; tests replay it). */
export function unitModelsOf(plan: Pick<HwPlan, 'input' | 'stages'>): UnitModel[] {
  return unitModels(plan.input, plan.stages);
}

/** Plan the hardware of a folded model under a folding specification. */
export function planHardware(f: FoldedModel, folding: FoldingSpec, opts: PlanOptions = {}): HwPlan {
  const layers = checkLayers(f);
  const matrix = layers.filter((l): l is FoldedMatrixLayer => l.kind !== 'maxpool');
  if (opts.bitSerial && f.inputThreshold !== undefined) {
    throw new InputError('options', 'bitSerial', 'a model with an 8-bit input (the bit-serial datapath is for 8-bit pixels)', `a binarized input (threshold ${f.inputThreshold})`);
  }
  const romRule = opts.romRule ?? DEFAULT_ROM_RULE;
  const pipeline = opts.pipeline ?? 0;
  if (!PIPELINE_LEVELS.includes(pipeline)) throw new InputError('options', 'pipeline', PIPELINE_LEVELS.join(', '), String(pipeline));
  const bitSerial = opts.bitSerial === true;
  const stageOf = (k: number, f1: LayerFolding): MvtuStage =>
    planMvtu(k, layers[k] as FoldedMatrixLayer, f1, feedOf(layers, k), romRule, pipeline, k === 0 && bitSerial ? 8 : 1);
  if (folding.kind !== 'target' && folding.kind !== 'fit') {
    return buildPlan(f, layers, folding, resolveFoldings(layers, matrix, folding, bitSerial), stageOf, opts, romRule, pipeline);
  }
  return choosePlanned(f, layers, matrix, folding, stageOf, opts, romRule, pipeline);
}

/**
 * A planned folding (--target-cycles, --target-fps, resource limits; ./planner.ts). With a
 * target the network II must be within it too: for a ConvNet, where the plan's II comes
 * from the cycle simulation, a plan over the target is planned again with every stage's
 * budget cut by the excess (up to four rounds, then refused).
 */
function choosePlanned(
  f: FoldedModel,
  layers: FoldedLayer[],
  matrix: FoldedMatrixLayer[],
  folding: FoldingSpec & { kind: 'target' | 'fit' },
  stageOf: (k: number, f1: LayerFolding) => MvtuStage,
  opts: PlanOptions,
  romRule: RomRule,
  pipeline: PipelineLevel,
): HwPlan {
  const bitSerial = opts.bitSerial === true;
  const streaming = layers[0].kind === 'conv';
  const npix = f.input[0] * f.input[1] * f.input[2];
  const pools = layers.flatMap((l, k) => (l.kind === 'maxpool' ? [planPool(k, l)] : []));
  const planner = new Planner(
    {
      all: layers,
      matrix,
      stage: (m, f1) => stageOf(layers.indexOf(matrix[m]), f1),
      pools,
      image: streaming ? null : { npix, inPix: opts.inPix, threshold: f.inputThreshold ?? null },
      fixedInput: streaming ? estimateInput(planStreamInput(npix, f.input[2], f.inputThreshold ?? null), 1, 1) : null,
    },
    folding.limits ?? {},
  );
  const caps = planner.caps();
  const limited = Number.isFinite(caps.luts) || Number.isFinite(caps.bram) || Number.isFinite(caps.ffs);
  let target: number | null;
  let budget: number;
  let bound: boolean;
  let got: ReturnType<Planner['choose']>;
  if (folding.kind === 'target') {
    target = folding.targetCycles;
    budget = target;
    checkReachable(layers, matrix, budget, bitSerial);
    got = planner.choose(budget);
    if (got === null) throw planner.impossible(target, budget);
    bound = got.bound;
  } else {
    if (!limited) throw new InputError('options', 'limits', 'at least one of --max-luts, --max-bram, --device', 'none');
    target = null;
    // The fastest design that fits: the least budget at which a pick fits, by bisection
    // between the least any stage can take and the fully folded design.
    const least = Math.max(
      1,
      ...matrix.map((l, k) => l.outShape[0] * l.outShape[1] * (k === 0 && bitSerial ? 8 : 1)),
      ...pools.map((p) => p.frameCycles),
      streaming ? npix / f.input[2] : opts.inPix !== undefined ? Math.ceil(npix / opts.inPix) : 1,
    );
    let hi = Math.max(least, ...matrix.map((l, k) => l.outShape[0] * l.outShape[1] * (k === 0 && bitSerial ? 8 : 1) * l.rows * l.cols));
    let lo = least;
    if (planner.choose(hi) === null) throw planner.impossible(null, hi);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (planner.choose(mid) !== null) hi = mid;
      else lo = mid + 1;
    }
    budget = hi;
    got = planner.choose(budget) as NonNullable<ReturnType<Planner['choose']>>;
    bound = true;
  }
  const spec: FoldingSpec & { kind: 'target' } = { kind: 'target', targetCycles: budget };
  let plan = buildPlan(f, layers, spec, got.foldings, stageOf, opts, romRule, pipeline);
  for (let round = 0; target !== null && plan.ii > target && round < 4; round++) {
    budget -= plan.ii - target;
    checkReachable(layers, matrix, budget, bitSerial);
    const again = planner.choose(budget);
    if (again === null) throw planner.impossible(target, budget);
    got = again;
    bound = bound || again.bound;
    plan = buildPlan(f, layers, { kind: 'target', targetCycles: budget }, got.foldings, stageOf, opts, romRule, pipeline);
  }
  if (target !== null && plan.ii > target) {
    throw new BnncError(`target of ${target} cycles: the planned network II is ${plan.ii} (the queues cannot keep up); give a folding with --fold`);
  }
  plan.planner = planner.describe(plan, { target, budget, from: folding.kind === 'target' ? (folding.from ?? `--target-cycles ${target}`) : 'the resource limits', bound });
  return plan;
}

function buildPlan(
  f: FoldedModel,
  layers: FoldedLayer[],
  folding: FoldingSpec,
  foldings: LayerFolding[],
  stageOf: (k: number, f1: LayerFolding) => MvtuStage,
  opts: PlanOptions,
  romRule: RomRule,
  pipeline: PipelineLevel,
): HwPlan {
  const streaming = layers[0].kind === 'conv';
  let m = 0;
  const stages: Stage[] = layers.map((l, k) => (l.kind === 'maxpool' ? planPool(k, l) : stageOf(k, foldings[m++])));
  for (const s of stages) {
    if (s.kind === 'mvtu' && s.mulWidth > MAX_DATAPATH_BITS) {
      throw new InputError(`model ${f.name}`, `layers[${s.index}] (${s.layer}).output.mul`, `values of at most ${MAX_DATAPATH_BITS} bits`, `${s.mulWidth} bits`);
    }
  }

  const npix = f.input[0] * f.input[1] * f.input[2];
  const first = stages[0] as MvtuStage;
  let input: PixelInputStage;
  if (streaming) {
    const ch = f.input[2];
    if (opts.inPix !== undefined && opts.inPix !== ch) {
      throw new InputError('folding', 'inPix', `${ch} (a ConvNet takes one pixel, its ${ch} channel(s), per beat)`, String(opts.inPix));
    }
    input = planStreamInput(npix, ch, f.inputThreshold ?? null);
  } else {
    const inPix = opts.inPix ?? first.simd;
    if (!(Number.isSafeInteger(inPix) && inPix >= 1 && inPix <= npix)) {
      throw new InputError('folding', 'inPix', `an integer in 1..${npix} (pixels per image)`, String(inPix));
    }
    input = planImageInput(npix, inPix, first.simd, first.sf, f.inputThreshold ?? null);
  }
  if (folding.kind === 'target' && input.beats > folding.targetCycles) {
    throw new BnncError(
      `target of ${folding.targetCycles} cycles is unreachable for the input stage: ${input.beats} beats of ${input.inPix} pixels per image`,
    );
  }
  if (folding.kind === 'target') {
    for (const s of stages) {
      if (s.kind === 'pool' && s.frameCycles > folding.targetCycles) {
        throw new BnncError(`target of ${folding.targetCycles} cycles is unreachable for layers[${s.index}] (${s.layer}), a pool: ${s.frameCycles} input pixels per frame, one per cycle`);
      }
    }
  }

  let ii: number;
  let latency: number;
  let bottleneck: number;
  if (!streaming && stages.every((s) => s.kind === 'mvtu' && s.feed.kind !== 'flatten')) {
    ({ ii, latency, bottleneck } = networkCycles(input.beats, stages as MvtuStage[]));
    let done = input.beats - 1;
    for (const s of stages) s.done = done += s.latency;
  } else {
    chooseQueues(input, stages);
    const c = streamCycles(input.beats, unitModels(input, stages));
    ii = c.ii;
    latency = c.latency;
    stages.forEach((s, k) => {
      s.done = c.done[k];
      s.latency = c.done[k] - (k === 0 ? input.beats - 1 : c.done[k - 1]);
    });
    bottleneck = -1;
    let most = input.ii;
    stages.forEach((s, k) => {
      if (s.frameCycles > most) {
        most = s.frameCycles;
        bottleneck = k;
      }
    });
  }

  return {
    format: HWPLAN_FORMAT,
    name: f.name,
    sourceHash: f.sourceHash,
    classes: f.classes,
    input,
    stages,
    ii,
    latency,
    pipeline,
    bottleneck,
    romRule,
    estimate: estimateArea(input, stages),
  };
}
