/**
 * The cycle model of the generated RTL: exact figures, not estimates. docs/hardware.md
 * states the same model for users and for the verifier, which asserts it against
 * simulation; test/hw-rtl-cycles.test.ts measures it on Icarus.
 *
 * Where the numbers come from (templates/rtl):
 * - bnnc_pixel_input accepts one beat per cycle while a bank is free; an image is
 *   ceil(NPIX / IN_PIX) beats.
 * - bnnc_mvtu issues NF*SF reads per vector with no gap between vectors, so its II is
 *   NF*SF. A vector written into a stage's buffer at clock edge e is read in the NF*SF
 *   cycles after e (issue), accumulated one cycle later (stage 1), thresholded one cycle
 *   after that (stage 2, which loads the output register), and the output register is
 *   valid in the next cycle, when the next stage's buffer takes it: the next stage's
 *   buffer write happens at edge e + NF*SF + MVTU_OVERHEAD.
 * - `--pipeline L` (bnnc_pe.v, bnnc_mvtu.v) puts registers between the memories and the
 *   accumulator (L = 1: the lanes' sum; L = 2: also the memory outputs and the adder
 *   tree's partial sums, 3 in all), and in a scores stage two more at L = 1 (the
 *   product mul*acc and the score) or three at L = 2 (the product's two halves, their
 *   sum, the score): each is one more cycle between the last issue and the collector,
 *   and nothing else changes (pipelineCycles). L = 3 is L = 2 with a second output
 *   register (a skid buffer) in every MVTU but the last, so that a stage's stall is decided from its
 *   own registers, which costs no latency or II (a frame entering an empty pipeline never
 *   waits for an output register, and more room never slows the bottleneck); under
 *   back-pressure a stage runs one vector further ahead (./timing.ts counts it); and a
 *   parallel pixel stage's sum takes one registered step more at L = 3 (the groups'
 *   total and the shared pixel sum registered before the PEs subtract), one more cycle of latency.
 */

/** Cycles a vector spends in an unpipelined MVTU stage beyond its NF*SF issue cycles. */
export const MVTU_OVERHEAD = 3;

/** Pipeline levels of `--pipeline`. */
export const PIPELINE_LEVELS = [0, 1, 2, 3] as const;
export type PipelineLevel = (typeof PIPELINE_LEVELS)[number];

/**
 * Cycles the pipeline registers of level `level` add to an MVTU stage's latency. At
 * level 3 a parallel 8-bit pixel stage (`input` pixels, one plane) sums its lanes in three
 * registered steps, one more than level 2 (bnnc_mvtu.v XS).
 */
export function pipelineCycles(level: PipelineLevel, output: 'threshold' | 'scores', input: 'pixels' | 'bits' = 'bits', planes = 1): number {
  const pixelSteps = level >= 3 && input === 'pixels' && planes === 1 ? 1 : 0;
  return (level >= 2 ? 3 : level) + pixelSteps + (output === 'scores' ? [0, 2, 3, 3][level] : 0);
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Neuron folds and synapse folds of an MH x MW matrix on PE x SIMD. */
export function folds(mh: number, mw: number, pe: number, simd: number): { nf: number; sf: number } {
  return { nf: ceilDiv(mh, pe), sf: ceilDiv(mw, simd) };
}

/**
 * Initiation interval of an MVTU stage: cycles per input vector (FINN's NF*SF), times 8
 * for a bit-serial first layer (planes = 8: every read is taken once per bit plane).
 */
export function mvtuII(nf: number, sf: number, planes = 1): number {
  return nf * sf * planes;
}

/** Cycles an MVTU stage adds to the latency of a frame: from its input to the next stage's. */
export function mvtuLatency(nf: number, sf: number, pipeline = 0, planes = 1): number {
  return mvtuII(nf, sf, planes) + MVTU_OVERHEAD + pipeline;
}

/** Beats (= cycles) the input stage needs per image. */
export function inputBeats(npix: number, inPix: number): number {
  return ceilDiv(npix, inPix);
}

export interface NetworkCycles {
  /** Cycles between results in steady state (input always valid, output always ready). */
  ii: number;
  /**
   * Cycles from the clock edge accepting a frame's first beat to the edge accepting its
   * result beat, for a frame entering an empty pipeline with back-to-back beats.
   */
  latency: number;
  /** Index of the slowest stage: -1 for the input stage, else the MVTU stage index. */
  bottleneck: number;
}

/**
 * Network figures from the input stage's beats per image and each MVTU stage's folds.
 * II: the slowest stage sets the pace; the ping-pong buffers let every other stage keep
 * up. Latency: the last beat is accepted beats-1 edges after the first; then each stage
 * takes NF*SF + MVTU_OVERHEAD (+ its pipeline cycles) edges, the last one ending with the
 * result beat accepted.
 */
export function networkCycles(
  beats: number,
  stages: ReadonlyArray<{ nf: number; sf: number; pipelineCycles?: number; planes?: number }>,
): NetworkCycles {
  let ii = beats;
  let bottleneck = -1;
  let latency = beats - 1;
  stages.forEach((s, k) => {
    const stageII = mvtuII(s.nf, s.sf, s.planes ?? 1);
    if (stageII > ii) {
      ii = stageII;
      bottleneck = k;
    }
    latency += mvtuLatency(s.nf, s.sf, s.pipelineCycles ?? 0, s.planes ?? 1);
  });
  return { ii, latency, bottleneck };
}
