/**
 * A rough area ESTIMATE (not a synthesis result; `bnnc synth` gives real figures).
 * It counts 6-input-LUT-ish logic cells and flip-flops from the datapath structure, so
 * that foldings can be compared before running Yosys:
 * - a binary lane (XNOR + its share of the popcount tree): ~1 LUT;
 * - a pixel lane (8-bit add/subtract into the accumulator): ~accWidth LUTs;
 * - per PE: accumulator adder accWidth LUTs, threshold comparator accWidth/2, or the
 *   score multiplier mulWidth*accWidth/2 and a 32-bit adder when there is no DSP;
 * - an N:1 read multiplexer of a register buffer: ~(N-1)/3 LUTs per bit (4:1 per LUT6);
 * - the argmax after the scores stage: C-1 comparators and multiplexers, ~64 LUTs each;
 * - flip-flops: register buffers, accumulators, the output collector and register.
 * Memories are counted in bits: ROMs (weights, parameters) and the input RAM.
 */
import type { MvtuStage, PixelInputStage } from './plan.js';

export interface StageEstimate {
  luts: number;
  flipFlops: number;
  romBits: number;
  ramBits: number;
}

export interface AreaEstimate extends StageEstimate {
  /** Always true: these figures are a model, not a synthesis report. */
  isEstimate: true;
  input: StageEstimate;
  stages: StageEstimate[];
}

function muxLuts(ways: number, bits: number): number {
  return ways <= 1 ? 0 : Math.ceil(((ways - 1) * bits) / 3);
}

export function estimateInput(s: PixelInputStage, firstSimd: number, firstSf: number): StageEstimate {
  const control = 20;
  if (s.ram) return { luts: control + 8 * s.inPix, flipFlops: control + 8 * firstSimd, romBits: 0, ramBits: s.bufferBits };
  return {
    luts: control + muxLuts(firstSf, 8 * firstSimd) + 8 * s.npix,
    flipFlops: control + s.bufferBits + 8 * firstSimd,
    romBits: 0,
    ramBits: 0,
  };
}

export function estimateStage(s: MvtuStage): StageEstimate {
  const lane = s.input === 'bits' ? 1 : s.accWidth;
  const outW = s.output === 'scores' ? 32 : 1;
  const finish = s.output === 'scores' ? Math.ceil((s.mulWidth * s.accWidth) / 2) + 32 : Math.ceil(s.accWidth / 2);
  const control = 30;
  const bufferMux = s.input === 'bits' ? muxLuts(s.sf, s.simd) : 0;
  const argmax = s.output === 'scores' ? (s.mh - 1) * 64 : 0;
  return {
    luts: control + bufferMux + argmax + s.pe * (s.simd * lane + s.accWidth + finish),
    flipFlops: control + s.bufferBits + (s.input === 'bits' ? s.simd : 0) + s.pe * s.accWidth + (s.nf - 1) * s.pe * outW + s.mh * outW,
    romBits: s.weightBits + s.paramBits,
    ramBits: 0,
  };
}

export function estimateArea(input: PixelInputStage, stages: MvtuStage[]): AreaEstimate {
  const inEst = estimateInput(input, stages[0].simd, stages[0].sf);
  const stEst = stages.map(estimateStage);
  const sum = (key: keyof StageEstimate): number => inEst[key] + stEst.reduce((a, e) => a + e[key], 0);
  return {
    isEstimate: true,
    luts: sum('luts'),
    flipFlops: sum('flipFlops'),
    romBits: sum('romBits'),
    ramBits: sum('ramBits'),
    input: inEst,
    stages: stEst,
  };
}
