/**
 * The hardware plan: the IR between the folded model and the Verilog. One node per
 * stage (the pixel input stage, then one matrix-vector-threshold unit per folded layer)
 * with its folding, cycle figures and memory sizes, plus the network's II and latency.
 *
 * Only multilayer perceptrons (dense layers) are planned for now. A ConvNet adds stage
 * kinds (sliding window, pool) between MVTU stages; the stream between stages already
 * carries whole activation vectors, which for a ConvNet are one pixel's channels.
 */
import { BnncError, InputError } from '../errors.js';
import { describeValue } from '../graph/json.js';
import type { FoldedMatrixLayer, FoldedModel } from '../int/types.js';
import { wordsPerRow } from '../int/types.js';
import { estimateArea, type AreaEstimate } from './area.js';
import { folds, inputBeats, mvtuII, mvtuLatency, networkCycles } from './cycles.js';
import { cheapestFolding, type FoldingSpec, type LayerFolding } from './folding.js';
import { accBits, addrBits, MAX_DATAPATH_BITS, mulBits, SCORE_BITS } from './widths.js';

export const HWPLAN_FORMAT = 'bnnc-hwplan';

export interface PixelInputStage {
  kind: 'pixelInput';
  /** Pixels (bytes) per image, H*W*C. */
  npix: number;
  /** Pixels per s_axis beat. */
  inPix: number;
  /** Beats per image = the stage's II. */
  beats: number;
  ii: number;
  /** The image buffer is a RAM (one beat = one read word) rather than registers. */
  ram: boolean;
  /** Bits of the two image banks. */
  bufferBits: number;
}

export interface MvtuStage {
  kind: 'mvtu';
  /** Stage index = index of the folded layer (the RTL's stage<k> taps). */
  index: number;
  /** The folded layer's name, as in the model (not sanitized). */
  layer: string;
  input: 'pixels' | 'bits';
  output: 'threshold' | 'scores';
  /** Synapses per neuron (matrix width) and neurons (matrix height). */
  mw: number;
  mh: number;
  pe: number;
  simd: number;
  nf: number;
  sf: number;
  /** Cycles per input vector, NF*SF. */
  ii: number;
  /** Cycles from this stage's input to the next stage's (docs/hardware.md). */
  latency: number;
  /** Accumulator bits (unsigned for bits input, signed for pixels). */
  accWidth: number;
  /** Signed multiplier bits of the scores stage, 0 for a threshold stage. */
  mulWidth: number;
  /** Bits of the per-neuron parameter word: a threshold, or {mul, add}. */
  paramWidth: number;
  /** Weight ROM bits including padding: PE ROMs of NF*SF words of SIMD bits. */
  weightBits: number;
  /** Parameter ROM bits: PE ROMs of NF words. */
  paramBits: number;
  /** Bits of the stage's input buffer (two banks); 0 for the first stage (the input stage holds it). */
  bufferBits: number;
}

export interface HwPlan {
  format: typeof HWPLAN_FORMAT;
  /** Model name, as in the folded model. */
  name: string;
  sourceHash: string;
  classes: number;
  input: PixelInputStage;
  stages: MvtuStage[];
  /** Network II: cycles between results in steady state. */
  ii: number;
  /** Cycles from a frame's first beat to its result (docs/hardware.md). */
  latency: number;
  /** The slowest stage: -1 = input stage, else an MVTU stage index. */
  bottleneck: number;
  estimate: AreaEstimate;
}

export interface PlanOptions {
  /** Pixels per s_axis beat; default: the first layer's SIMD. */
  inPix?: number;
}

/** The model's matrix layers, checked to be an MLP the RTL implements. */
function mlpLayers(f: FoldedModel): FoldedMatrixLayer[] {
  const src = `model ${f.name}`;
  if (f.layers.length === 0) throw new InputError(src, 'layers', 'at least one layer', 'none');
  const npix = f.input[0] * f.input[1] * f.input[2];
  const layers: FoldedMatrixLayer[] = [];
  f.layers.forEach((l, k) => {
    if (l.kind !== 'dense') {
      throw new BnncError(
        `${src}: layers[${k}] (${l.name}) is ${l.kind}: bnnc compile supports dense layers (MLPs) only so far`,
      );
    }
    const last = k === f.layers.length - 1;
    const field = `layers[${k}] (${l.name})`;
    const wantInput = k === 0 ? 'pixels' : 'bits';
    if (l.input !== wantInput) throw new InputError(src, `${field}.input`, wantInput, l.input);
    const wantCols = k === 0 ? npix : (f.layers[k - 1] as FoldedMatrixLayer).rows;
    if (l.cols !== wantCols) throw new InputError(src, `${field}.cols`, String(wantCols), String(l.cols));
    if (!(Number.isSafeInteger(l.rows) && l.rows >= 1)) throw new InputError(src, `${field}.rows`, 'a positive integer', String(l.rows));
    if (l.weights.length !== l.rows * wordsPerRow(l.cols)) {
      throw new InputError(src, `${field}.weights`, `${l.rows * wordsPerRow(l.cols)} words`, String(l.weights.length));
    }
    if (last) {
      if (l.output.kind !== 'scores') throw new InputError(src, `${field}.output`, 'scores (last layer)', l.output.kind);
      if (l.rows !== f.classes) throw new InputError(src, `${field}.rows`, `${f.classes} (classes)`, String(l.rows));
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
    layers.push(l);
  });
  // The result beat's class field is 16 bits (docs/hardware.md).
  if (f.classes < 1 || f.classes > 32768) throw new InputError(src, 'classes', '1..32768', String(f.classes));
  return layers;
}

/** The per-layer foldings a spec asks for, checked against the layers. */
function resolveFoldings(layers: FoldedMatrixLayer[], spec: FoldingSpec): LayerFolding[] {
  switch (spec.kind) {
    case 'uniform': {
      if (!(Number.isSafeInteger(spec.pe) && spec.pe >= 1)) throw new InputError('folding', 'pe', 'a positive integer', String(spec.pe));
      if (!(Number.isSafeInteger(spec.simd) && spec.simd >= 1)) throw new InputError('folding', 'simd', 'a positive integer', String(spec.simd));
      return layers.map((l) => ({ pe: Math.min(spec.pe, l.rows), simd: Math.min(spec.simd, l.cols) }));
    }
    case 'perLayer': {
      const src = spec.source;
      if (spec.layers.length !== layers.length) {
        throw new InputError(src, 'layers', `${layers.length} entries (one per dense layer)`, String(spec.layers.length));
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
    case 'target': {
      const n = spec.targetCycles;
      return layers.map((l, k) => {
        const best = Number.isSafeInteger(n) ? cheapestFolding(l.rows, l.cols, n) : null;
        if (!best) {
          throw new BnncError(`target of ${n} cycles is unreachable for layers[${k}] (${l.name}): its II is at least 1 cycle per vector`);
        }
        return best;
      });
    }
  }
}

/** Plan the hardware of a folded MLP under a folding specification. */
export function planHardware(f: FoldedModel, folding: FoldingSpec, opts: PlanOptions = {}): HwPlan {
  const layers = mlpLayers(f);
  const foldings = resolveFoldings(layers, folding);

  const stages: MvtuStage[] = layers.map((l, k) => {
    const { pe, simd } = foldings[k];
    const { nf, sf } = folds(l.rows, l.cols, pe, simd);
    const accWidth = accBits(l.input, l.cols);
    const mulWidth = l.output.kind === 'scores' ? mulBits(l.output.mul) : 0;
    if (mulWidth > MAX_DATAPATH_BITS) {
      throw new InputError(`model ${f.name}`, `layers[${k}] (${l.name}).output.mul`, `values of at most ${MAX_DATAPATH_BITS} bits`, `${mulWidth} bits`);
    }
    const paramWidth = l.output.kind === 'scores' ? mulWidth + SCORE_BITS : accWidth;
    return {
      kind: 'mvtu',
      index: k,
      layer: l.name,
      input: l.input,
      output: l.output.kind,
      mw: l.cols,
      mh: l.rows,
      pe,
      simd,
      nf,
      sf,
      ii: mvtuII(nf, sf),
      latency: mvtuLatency(nf, sf),
      accWidth,
      mulWidth,
      paramWidth,
      weightBits: pe * nf * sf * simd,
      paramBits: pe * nf * paramWidth,
      bufferBits: k === 0 ? 0 : 2 * l.cols,
    };
  });

  const npix = f.input[0] * f.input[1] * f.input[2];
  const inPix = opts.inPix ?? stages[0].simd;
  if (!(Number.isSafeInteger(inPix) && inPix >= 1 && inPix <= npix)) {
    throw new InputError('folding', 'inPix', `an integer in 1..${npix} (pixels per image)`, String(inPix));
  }
  const beats = inputBeats(npix, inPix);
  const ram = inPix === stages[0].simd;
  const input: PixelInputStage = {
    kind: 'pixelInput',
    npix,
    inPix,
    beats,
    ii: beats,
    ram,
    // RAM: two banks of 2^addrBits(SF) words of SIMD pixels; registers: two banks of whole beats.
    bufferBits: ram ? 2 * 2 ** addrBits(stages[0].sf) * 8 * inPix : 2 * 8 * beats * inPix,
  };
  if (folding.kind === 'target' && beats > folding.targetCycles) {
    throw new BnncError(
      `target of ${folding.targetCycles} cycles is unreachable for the input stage: ${beats} beats of ${inPix} pixels per image`,
    );
  }

  const cycles = networkCycles(beats, stages);
  return {
    format: HWPLAN_FORMAT,
    name: f.name,
    sourceHash: f.sourceHash,
    classes: f.classes,
    input,
    stages,
    ii: cycles.ii,
    latency: cycles.latency,
    bottleneck: cycles.bottleneck,
    estimate: estimateArea(input, stages),
  };
}
