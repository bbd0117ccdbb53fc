/**
 * The shape of a stage's area estimate, and the calibrated resource model behind it
 * (src/hw/area.ts explains the counting; docs/synthesis.md, "Resource model", has the
 * table of model against Yosys).
 *
 * Each stage's figure is a sum of terms, each term a structural count taken from the RTL
 * (lanes, accumulator bits, multiplexer inputs, ROM bits in logic, register bits) times a
 * coefficient. The coefficients were fitted against Yosys 0.23 `synth_xilinx` (xc7)
 * figures per stage of the calibration designs (bench/calibrate-designs.ts, measured by
 * bench/calibrate-area.ts into test/fixtures/yosys-area.json; test/hw-area-model.test.ts
 * holds the model to them). Where a coefficient is near a structural value (1 LUT per
 * XNOR-popcount lane, 1 flip-flop per register bit) the fit agreed with it.
 */
export interface StageEstimate {
  /** xc7 LUT6 cells (Yosys synth_xilinx). */
  luts: number;
  flipFlops: number;
  /** Bits of the ROMs (weights, parameters): the arrays Yosys reads as memories before mapping. */
  romBits: number;
  /** Bits of the RAMs Yosys infers as memories (image buffer RAM, line memories, queues). */
  ramBits: number;
}

/** LUTs of an N:1 read multiplexer of `bits` bits: ~(N-1)/3 per bit (4:1 per LUT6). */
export function muxLuts(ways: number, bits: number): number {
  return ways <= 1 ? 0 : Math.ceil(((ways - 1) * bits) / 3);
}

/** LUT6 cells of a ROM of `depth` words of `width` bits built in logic: a 64-word slice per LUT, a 4:1 mux level per LUT above. */
export function logicRomLuts(depth: number, width: number): number {
  if (depth <= 1) return 0;
  const slices = Math.ceil(depth / 64);
  return width * (slices + muxLuts(slices, 1));
}
