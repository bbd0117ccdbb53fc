/** The shape of a stage's area estimate (src/hw/area.ts explains the counting). */
export interface StageEstimate {
  luts: number;
  flipFlops: number;
  romBits: number;
  ramBits: number;
}

/** LUTs of an N:1 read multiplexer of `bits` bits: ~(N-1)/3 per bit (4:1 per LUT6). */
export function muxLuts(ways: number, bits: number): number {
  return ways <= 1 ? 0 : Math.ceil(((ways - 1) * bits) / 3);
}
