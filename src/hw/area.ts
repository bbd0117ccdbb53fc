/**
 * An area ESTIMATE (not a synthesis result; `bnnc synth` gives real figures): a resource
 * model calibrated against Yosys, so that foldings can be compared before running it.
 * Each stage kind counts its own (./stages): structural terms of the RTL (lanes by kind:
 * XNOR, 8-bit pixel, bit-serial; accumulator and score bits per PE; read multiplexers;
 * ROMs built in logic; register bits of buffers, accumulators, pipeline registers,
 * collectors) times coefficients fitted to Yosys 0.23 synth_xilinx per stage
 * (./stages/estimate.ts; bench/calibrate-area.ts, bench/fit-area.ts). LUTs are xc7 LUT6
 * cells; `ice40Luts` scales them to iCE40 LUT4s. Memories are counted in bits as Yosys
 * infers them: ROMs (weights, parameters), the input RAM, line memories and queues.
 * test/hw-area-model.test.ts holds the model within 20 % of Yosys' LUTs and exact on
 * memory bits for the calibration designs (docs/synthesis.md, "Resource model").
 */
import type { PixelInputStage } from './stages/input.js';
import { estimateInput } from './stages/input.js';
import type { StageEstimate } from './stages/estimate.js';
import { estimateMvtu, type MvtuStage } from './stages/mvtu.js';
import { estimatePool, type PoolStage } from './stages/pool.js';

export type { StageEstimate } from './stages/estimate.js';
export { estimateInput } from './stages/input.js';

/**
 * iCE40 LUT4 cells per xc7 LUT6 cell of the model, fitted to the calibration designs
 * synthesized for both (tfc-small, tfc-mid: Yosys synth_ice40 against synth_xilinx;
 * 2.09 and 1.79): a LUT4 holds less logic, and iCE40 has no DSP for the score multiply
 * on an HX8K, nor wide multiplexers (MUXF7/8).
 */
export const ICE40_LUTS_PER_XC7_LUT = 1.95;

export interface AreaEstimate extends StageEstimate {
  /** Always true: these figures are a model, not a synthesis report. */
  isEstimate: true;
  /** iCE40 LUT4 cells (Yosys synth_ice40), from the xc7 LUTs (ICE40_LUTS_PER_XC7_LUT). */
  ice40Luts: number;
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
    ice40Luts: Math.round(ICE40_LUTS_PER_XC7_LUT * sum('luts')),
    flipFlops: sum('flipFlops'),
    romBits: sum('romBits'),
    ramBits: sum('ramBits'),
    input: inEst,
    stages: stEst,
  };
}
