/**
 * A matrix-vector-threshold stage: one folded dense or conv layer on PE x SIMD lanes
 * (bnnc_mvtu), and the feed that hands it input vectors SIMD elements per read:
 * - image:   the first dense layer reads the input stage's image buffer;
 * - vector:  a dense layer after a layer with one output vector per frame (bnnc_vec_buffer);
 * - flatten: a dense layer after a convolution or pool, whose map arrives one pixel per
 *            beat and is flattened in (h, w, c) order (bnnc_flat_buffer);
 * - window:  a convolution: a sliding-window unit with K - 1 line memory turns the pixel
 *            stream into K*K*C windows (bnnc_swu), one input vector per output pixel.
 */
import type { FoldedMatrixLayer } from '../../int/types.js';
import { folds, mvtuII, mvtuLatency, pipelineCycles, type PipelineLevel } from '../cycles.js';
import type { LayerFolding } from '../folding.js';
import { accBits, mulBits, SCORE_BITS, scoreBits } from '../widths.js';
import { DEFAULT_ROM_RULE, romStyle, type RomRule, type RomStyle } from '../memory.js';
import { muxLuts, type StageEstimate } from './estimate.js';

export type MvtuFeed =
  | { kind: 'image' }
  | { kind: 'vector' }
  | { kind: 'flatten'; beats: number; beatBits: number }
  | {
      kind: 'window';
      /** Input feature map width, height and channels; kernel size. */
      width: number;
      height: number;
      channels: number;
      kernel: number;
      /** Bits of the line memory: W words of (K-1)*C elements. */
      lineBits: number;
      /** Bits of the window registers: K-1 columns of the shift register and the window banks. */
      registerBits: number;
      /**
       * Window banks (bnnc_swu's BANKS): 2, or more where the planner finds that the
       * MVTU would idle at each row's end (fewer than (K + 1) / 2 cycles a window; plan.ts).
       */
      banks: number;
      /**
       * Pixels of the queue (bnnc_fifo) in front of the sliding-window unit: 0 for none
       * (the first convolution, fed by s_axis), else a power of two the planner picks so
       * that the network II is the slowest stage's work per frame (plan.ts).
       */
      fifoDepth: number;
      /**
       * Columns (K pixels each) of the queue inside the sliding-window unit, between its
       * line memory and its window banks (bnnc_swu's QUEUE_W): 0 for none, else a power
       * of two the planner picks so that the unit's fill of the next frame overlaps the
       * windows of this one (plan.ts).
       */
      queueColumns: number;
      /** Bits of that queue: queueColumns * K * C elements (a memory). */
      queueBits: number;
    };

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
  /** Bit planes per read: 1 (parallel), or 8 for a bit-serial pixel layer (`bitSerial`). */
  planes: 1 | 8;
  /** Cycles per input vector, NF*SF*planes. */
  ii: number;
  /** Pipeline level (`--pipeline`, bnnc_mvtu.v's PIPE). */
  pipeline: PipelineLevel;
  /** Cycles its pipeline registers add between the last read of a vector and its result. */
  pipelineCycles: number;
  /**
   * Cycles this stage adds to a frame's latency: done minus the previous stage's done
   * (docs/hardware.md). A pool that drops remainder rows can finish before the stage
   * in front of it, so in a ConvNet this can be negative.
   */
  latency: number;
  /**
   * Cycles from a frame's first input beat (entering an empty pipeline) to the edge at
   * which this stage hands on its last beat of that frame.
   */
  done: number;
  /** Input vectors per frame: output pixels of a convolution, 1 for a dense layer. */
  vectors: number;
  /** Cycles of work per frame: vectors * II. */
  frameCycles: number;
  /** Accumulator bits (unsigned for bits input, signed for pixels). */
  accWidth: number;
  /** Signed multiplier bits of the scores stage, 0 for a threshold stage. */
  mulWidth: number;
  /** Bits the scores stage computes and compares its scores in (../widths.ts scoreBits), 0 for a threshold stage. */
  scoreWidth: number;
  /** Bits of the per-neuron parameter word: a threshold, or {mul, add}. */
  paramWidth: number;
  /** Weight ROM bits including padding: PE ROMs of NF*SF words of SIMD bits. */
  weightBits: number;
  /** Parameter ROM bits: PE ROMs of NF words. */
  paramBits: number;
  /** Bits of the stage's input buffer (banks, line memory); 0 for an image feed (the input stage holds it). */
  bufferBits: number;
  feed: MvtuFeed;
  /** Where each PE's ROMs go (../memory.ts): block RAM or logic, by the plan's rule. */
  rom: { weights: RomStyle; params: RomStyle };
}

/** Element bits of a layer's input: 8-bit pixels or activation bits. */
export function elementBits(input: 'pixels' | 'bits'): number {
  return input === 'pixels' ? 8 : 1;
}

/** The feed of a conv layer's MVTU: its sliding-window unit and what it stores. */
export function windowFeed(l: FoldedMatrixLayer): MvtuFeed & { kind: 'window' } {
  const [height, width, channels] = l.inShape;
  const k = l.kernel;
  const e = elementBits(l.input);
  return {
    kind: 'window',
    width,
    height,
    channels,
    kernel: k,
    lineBits: width * (k - 1) * channels * e,
    registerBits: ((k - 1) * k * channels + 2 * l.cols) * e,
    banks: 2,
    fifoDepth: 0,
    queueColumns: 0,
    queueBits: 0,
  };
}

function feedBits(feed: MvtuFeed, mw: number): number {
  switch (feed.kind) {
    case 'image':
      return 0;
    case 'vector':
    case 'flatten':
      return 2 * mw;
    case 'window':
      return feed.lineBits + feed.registerBits + feed.fifoDepth * feed.channels + feed.queueBits;
  }
}

/** Give a window feed its queue of `depth` pixels (0: none), and the stage its memory. */
export function withFifo(s: MvtuStage, depth: number): void {
  if (s.feed.kind !== 'window') return;
  s.feed = { ...s.feed, fifoDepth: depth };
  s.bufferBits = feedBits(s.feed, s.mw);
}

/** Give a window feed `banks` window banks, and the stage its memory. */
export function withBanks(s: MvtuStage, banks: number): void {
  if (s.feed.kind !== 'window') return;
  const f = s.feed;
  const e = elementBits(s.input);
  s.feed = { ...f, banks, registerBits: ((f.kernel - 1) * f.kernel * f.channels + banks * s.mw) * e };
  s.bufferBits = feedBits(s.feed, s.mw);
}

/** Give a window feed its column queue of `columns` columns (0: none), and the stage its memory. */
export function withColumnQueue(s: MvtuStage, columns: number): void {
  if (s.feed.kind !== 'window') return;
  const f = s.feed;
  s.feed = { ...f, queueColumns: columns, queueBits: columns * f.kernel * f.channels * elementBits(s.input) };
  s.bufferBits = feedBits(s.feed, s.mw);
}

/** Plan one MVTU stage. Widths are checked by the caller (planHardware). */
export function planMvtu(
  index: number,
  l: FoldedMatrixLayer,
  f: LayerFolding,
  feed: MvtuFeed,
  romRule: RomRule = DEFAULT_ROM_RULE,
  pipeline: PipelineLevel = 0,
  planes: 1 | 8 = 1,
): MvtuStage {
  const { pe, simd } = f;
  const { nf, sf } = folds(l.rows, l.cols, pe, simd);
  const accWidth = accBits(l.input, l.cols);
  const mulWidth = l.output.kind === 'scores' ? mulBits(l.output.mul) : 0;
  const scoreWidth = l.output.kind === 'scores' ? scoreBits(l.output.mul, l.output.add, l.input, l.cols) : 0;
  const paramWidth = l.output.kind === 'scores' ? mulWidth + SCORE_BITS : accWidth;
  const vectors = l.outShape[0] * l.outShape[1];
  const extra = pipelineCycles(pipeline, l.output.kind);
  return {
    kind: 'mvtu',
    index,
    layer: l.name,
    input: l.input,
    output: l.output.kind,
    mw: l.cols,
    mh: l.rows,
    pe,
    simd,
    nf,
    sf,
    planes,
    ii: mvtuII(nf, sf, planes),
    pipeline,
    pipelineCycles: extra,
    latency: mvtuLatency(nf, sf, extra, planes),
    done: 0,
    vectors,
    frameCycles: vectors * mvtuII(nf, sf, planes),
    accWidth,
    mulWidth,
    scoreWidth,
    paramWidth,
    weightBits: pe * nf * sf * simd,
    paramBits: pe * nf * paramWidth,
    bufferBits: feedBits(feed, l.cols),
    feed,
    rom: { weights: romStyle(nf * sf, simd, romRule), params: romStyle(nf, paramWidth, romRule) },
  };
}

export function estimateMvtu(s: MvtuStage): StageEstimate {
  // a bit-serial pixel lane is a 1-bit AND into a popcount, plus a shifter per PE
  const lane = s.input === 'bits' || s.planes === 8 ? 1 : s.accWidth;
  const outW = s.output === 'scores' ? 32 : 1;
  const finish = s.output === 'scores' ? Math.ceil((s.mulWidth * s.accWidth) / 2) + 32 : Math.ceil(s.accWidth / 2);
  const control = 30;
  const e = elementBits(s.input);
  // The feed's read multiplexer (the image feed's is counted by the input stage).
  const readMux = s.feed.kind === 'image' ? 0 : muxLuts(s.sf, s.simd * e);
  // the fold-serial argmax: a comparator and multiplexer per PE (bnnc_argmax.v)
  const argmax = s.output === 'scores' ? s.pe * 64 : 0;
  // pipeline registers: the lanes' sum and its partial sums per PE; product, add and score
  const pipeRegs = s.pe * (Math.min(s.pipeline, 2) * s.accWidth + (s.output === 'scores' && s.pipeline > 0 ? 96 : 0));
  // Line memory and the queues in front of and inside the sliding-window unit are memories.
  const lineBits = s.feed.kind === 'window' ? s.feed.lineBits + s.feed.fifoDepth * s.feed.channels + s.feed.queueBits : 0;
  return {
    luts: control + readMux + argmax + s.pe * (s.simd * lane + s.accWidth + finish),
    flipFlops:
      control + (s.bufferBits - lineBits) + (s.input === 'bits' ? s.simd : 0) + s.pe * s.accWidth + (s.nf - 1) * s.pe * outW + s.mh * outW +
      pipeRegs + (s.output === 'scores' ? 48 : 0),
    romBits: s.weightBits + s.paramBits,
    ramBits: lineBits,
  };
}
