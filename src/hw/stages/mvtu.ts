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
import { accBits, addrBits, mulBits, SCORE_BITS, scoreBits } from '../widths.js';
import { DEFAULT_ROM_RULE, romStyle, twoStepRomRegisters, type RomRule, type RomStyle } from '../memory.js';
import { logicRomLuts, muxLuts, type StageEstimate } from './estimate.js';

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

/**
 * Whether the stage's weight ROMs are read in two registered steps (bnnc_rom_2step, the
 * MVTU's W_FED): at level 3, ROMs in logic of more than one word. The second step is
 * the PEs' weight register moved into the ROM, so the edges and the latency stay those
 * of level 2.
 */
export function twoStepWeights(s: Pick<MvtuStage, 'pipeline' | 'rom' | 'nf' | 'sf'>): boolean {
  return s.pipeline >= 3 && s.rom.weights === 'logic' && s.nf * s.sf > 1;
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
  const extra = pipelineCycles(pipeline, l.output.kind, l.input, planes);
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

/** What each term of the model counts (see estimate.ts): structural quantities of the RTL. */
export interface MvtuTerms {
  luts: Record<keyof typeof MVTU_LUT, number>;
  flipFlops: Record<keyof typeof MVTU_FF, number>;
}

/**
 * LUT6 per unit of each term, fitted to Yosys xc7 (estimate.ts):
 * - bitLane: an XNOR lane of a PE and its share of the popcount (bnnc_pe g_xnor);
 * - pixelLane: an 8-bit pixel lane of a PE, AND-gated by its weight bit, and its share of
 *   the PE's adder tree (g_pixels);
 * - serialLane: a bit-serial lane of a PE: the AND of its plane bit and weight bit, and
 *   its share of the popcount (g_plane);
 * - pixelSum: per lane, the MVTU's shared sum of the read's pixels (x_sum), which turns
 *   the unsigned lane sum into the signed +-1 one;
 * - serialSum: per lane, the MVTU's shared part of a bit-serial layer: the 8:1 select of
 *   the pixel's plane-b bit (g_plane_select, once for all PEs) and its share of x_sum;
 * - accBit: per PE per accumulator bit: accumulator adder, the lanes' combine, the
 *   threshold comparison;
 * - scoreBit: per PE per score bit: score adder and the argmax comparator and select;
 * - readMux: LUTs of the feed's SF:1 read multiplexer (muxLuts);
 * - logicRom: LUT6 cells of the ROMs the plan puts in logic (logicRomLuts);
 * - outBit: per output bit (MH x OUT_W) of the stage: the collector's and output's load;
 * - stage: counters, handshake and address logic of one MVTU.
 */
export const MVTU_LUT = {
  bitLane: 2.15,
  pixelLane: 18.6,
  serialLane: 4.5,
  pixelSum: 11.8,
  serialSum: 3,
  accBit: 2.4,
  scoreBit: 2.0,
  readMux: 2.38,
  logicRom: 0.26,
  outBit: 0.1,
  stage: 34,
} as const;

/**
 * Flip-flops per unit of each term (register bits of the RTL, so mostly 1):
 * bufferBit (the feed's register banks), readBit (the buffer's read register),
 * accBit (PE accumulators), pipeBit (the pipeline registers `--pipeline` adds: lanes
 * sum at level 1; lane inputs, weight bits and partial sums at level 2), romOutBit (the
 * output register of a ROM in logic; a block RAM holds its own), outBit (collector and
 * output register), scoreBit (per PE per score bit: score, product parts and the argmax's
 * running best), stage (counters and valid bits).
 */
export const MVTU_FF = {
  bufferBit: 1.0,
  readBit: 1.4,
  accBit: 1.0,
  pipeBit: 1.0,
  romOutBit: 0.49,
  outBit: 1.0,
  scoreBit: 0.49,
  stage: 42,
} as const;

/** log2 rounded up (0 for 1). */
const clog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** The structural counts of an MVTU stage that the model's terms multiply. */
export function mvtuTerms(s: MvtuStage): MvtuTerms {
  const e = elementBits(s.input);
  const lanes = s.pe * s.simd;
  const serial = s.planes === 8;
  const pixels = s.input === 'pixels';
  const scores = s.output === 'scores';
  const outW = scores ? 32 : 1;
  const romLuts =
    (s.rom.weights === 'logic' ? s.pe * logicRomLuts(s.nf * s.sf, s.simd) : 0) + (s.rom.params === 'logic' ? s.pe * logicRomLuts(s.nf, s.paramWidth) : 0);
  // Line memory and the queues in front of and inside the sliding-window unit are memories.
  const lineBits = s.feed.kind === 'window' ? s.feed.lineBits + s.feed.fifoDepth * s.feed.channels + s.feed.queueBits : 0;
  // --pipeline 2: groups of about sqrt(SIMD) lanes (bnnc_mvtu.v GROUP), their partial sums
  // registered; the lanes' inputs registered in each PE, but a bit-serial layer's plane
  // bits once, in the MVTU (1 bit per lane, the PEs take them as they are); level 3,
  // parallel pixels (XS): the smaller half of the levels, and the groups' total (each PE)
  // and the pixel sum registered too (SUM_W bits each).
  const xs = s.pipeline >= 3 && pixels && !serial;
  const levels = clog2(s.simd);
  const group = Math.min(s.simd, 2 ** (xs ? Math.floor(levels / 2) : Math.ceil(levels / 2)));
  const ng = Math.ceil(s.simd / group);
  const partW = !pixels || serial ? clog2(group + 1) : clog2(255 * group + 1) + (group === 1 ? 1 : 0);
  const sumW = xs ? clog2(255 * s.simd + 1) : 0;
  // A two-step weight read replaces each PE's weight register (SIMD bits) by the ROM's
  // first step: its group picks and the high address bits it keeps.
  const wSteps = twoStepWeights(s) ? twoStepRomRegisters(s.nf * s.sf, addrBits(s.nf * s.sf)) : null;
  const pipe2Pe = (serial ? 0 : s.simd * e) + (wSteps === null ? s.simd : wSteps.groups * s.simd + wSteps.hiBits) + ng * partW + sumW;
  const pipe2Sum = pixels ? (serial ? s.simd : s.simd * e) + ng * partW + sumW : 0;
  const pipeBits = (s.pipeline >= 1 ? s.pe * s.accWidth : 0) + (s.pipeline >= 2 ? s.pe * pipe2Pe + pipe2Sum : 0);
  const romOut = (s.rom.weights === 'logic' && s.nf * s.sf > 1 ? s.pe * s.simd : 0) + (s.rom.params === 'logic' && s.nf > 1 ? s.pe * s.paramWidth : 0);
  return {
    luts: {
      bitLane: pixels ? 0 : lanes,
      pixelLane: pixels && !serial ? lanes : 0,
      serialLane: serial ? lanes : 0,
      pixelSum: pixels && !serial ? s.simd : 0,
      serialSum: serial ? s.simd : 0,
      accBit: s.pe * s.accWidth,
      scoreBit: scores ? s.pe * s.scoreWidth : 0,
      readMux: s.feed.kind === 'image' ? 0 : muxLuts(s.sf, s.simd * e),
      logicRom: romLuts,
      outBit: s.mh * outW,
      stage: 1,
    },
    flipFlops: {
      bufferBit: s.bufferBits - lineBits,
      readBit: s.feed.kind === 'image' ? 0 : s.simd * e,
      accBit: s.pe * s.accWidth,
      pipeBit: pipeBits,
      romOutBit: romOut,
      outBit: (s.nf - 1) * s.pe * outW + s.mh * outW,
      scoreBit: scores ? s.pe * s.scoreWidth * (1 + s.pipeline) : 0,
      stage: 1,
    },
  };
}


const weigh = <K extends string>(counts: Record<K, number>, coef: Record<K, number>): number =>
  Math.round((Object.keys(coef) as K[]).reduce((a, k) => a + coef[k] * counts[k], 0));

export function estimateMvtu(s: MvtuStage): StageEstimate {
  const t = mvtuTerms(s);
  const lineBits = s.feed.kind === 'window' ? s.feed.lineBits + s.feed.fifoDepth * s.feed.channels + s.feed.queueBits : 0;
  return { luts: weigh(t.luts, MVTU_LUT), flipFlops: weigh(t.flipFlops, MVTU_FF), romBits: s.weightBits + s.paramBits, ramBits: lineBits };
}
