/**
 * Bit widths of the hardware's counters, accumulators and parameter words. One place,
 * so the planner, the ROM images and the Verilog parameters can never disagree.
 */

/** Bits of an unsigned number holding 0..n (at least 1). */
export function unsignedBits(n: number): number {
  let bits = 1;
  while (2 ** bits <= n) bits++;
  return bits;
}

/** Bits of an address into `depth` words (at least 1, as Verilog vectors cannot be empty). */
export function addrBits(depth: number): number {
  return unsignedBits(Math.max(0, depth - 1));
}

/** Bits of a two's complement number holding every value in lo..hi (at least 2). */
export function signedBits(lo: number, hi: number): number {
  let bits = 2;
  while (lo < -(2 ** (bits - 1)) || hi > 2 ** (bits - 1) - 1) bits++;
  return bits;
}

/** The range of acc for a layer: popcount 0..MW, or the pixel sum -255*MW..255*MW. */
export function accRange(input: 'pixels' | 'bits', mw: number): { lo: number; hi: number } {
  return input === 'bits' ? { lo: 0, hi: mw } : { lo: -255 * mw, hi: 255 * mw };
}

/**
 * Accumulator width. It also holds every threshold after clampThreshold, which may be
 * one past the top of acc's range (a neuron that is never +1).
 */
export function accBits(input: 'pixels' | 'bits', mw: number): number {
  const { lo, hi } = accRange(input, mw);
  return input === 'bits' ? unsignedBits(hi + 1) : signedBits(lo, hi + 1);
}

/**
 * A threshold moved into acc's range plus one without changing any decision acc >= T:
 * T below the range is always true (same as T = lo), above it always false (T = hi + 1).
 */
export function clampThreshold(t: number, input: 'pixels' | 'bits', mw: number): number {
  const { lo, hi } = accRange(input, mw);
  return Math.min(Math.max(t, lo), hi + 1);
}

/** Width of the signed score multiplier from the layer's mul values. */
export function mulBits(mul: ArrayLike<number>): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < mul.length; i++) {
    lo = Math.min(lo, mul[i]);
    hi = Math.max(hi, mul[i]);
  }
  return signedBits(lo, hi);
}

/**
 * Bits of a two's complement number holding every score mul*acc + add of a scores layer,
 * over acc's whole range (at least 2, at most 32: the integer model keeps |score| < 2^31).
 * The hardware computes and compares scores in this width (exact: the low bits of a sum
 * and a product depend only on the low bits of the operands), and sign-extends them to
 * the 32 bits of a result beat.
 */
export function scoreBits(mul: ArrayLike<number>, add: ArrayLike<number>, input: 'pixels' | 'bits', mw: number): number {
  const { lo, hi } = accRange(input, mw);
  let min = 0;
  let max = 0;
  for (let r = 0; r < mul.length; r++) {
    for (const acc of [lo, hi]) {
      const v = mul[r] * acc + add[r];
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  return Math.min(SCORE_BITS, signedBits(min, max));
}

/** Bits of the class index field of a result beat (docs/hardware.md). */
export const CLASS_FIELD_BITS = 16;
/** Bits of each score in a result beat. */
export const SCORE_BITS = 32;
/** The RTL computes scores and keeps accumulators in 32-bit arithmetic; see bnnc_mvtu.v. */
export const MAX_DATAPATH_BITS = 31;
