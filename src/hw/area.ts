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
 * Memories are counted in bits: ROMs (weights, parameters), the input RAM and line
 * memories. Each stage kind counts its own (./stages).
 */
import type { PixelInputStage } from './stages/input.js';
import { estimateInput } from './stages/input.js';
import type { StageEstimate } from './stages/estimate.js';
import { estimateMvtu, type MvtuStage } from './stages/mvtu.js';
import { estimatePool, type PoolStage } from './stages/pool.js';

export type { StageEstimate } from './stages/estimate.js';
export { estimateInput } from './stages/input.js';

export interface AreaEstimate extends StageEstimate {
  /** Always true: these figures are a model, not a synthesis report. */
  isEstimate: true;
  input: StageEstimate;
  stages: StageEstimate[];
}

export function estimateStage(s: MvtuStage | PoolStage): StageEstimate {
  return s.kind === 'pool' ? estimatePool(s) : estimateMvtu(s);
}

export function estimateArea(input: PixelInputStage, stages: (MvtuStage | PoolStage)[]): AreaEstimate {
  const first = stages[0] as MvtuStage;
  const inEst = estimateInput(input, first.simd, first.sf);
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
