/**
 * +-1 vectors packed one bit per value for the binDense kernel (src/nn/wasm/kernels.ts):
 * bit j of a row (word j >> 5, bit j & 31) is 1 where value j is negative. Rows are
 * padded with zero bits to a multiple of 128 (one v128), so pads never differ.
 */

/** Bytes of one packed row of `bits` values. */
export function packedRowBytes(bits: number): number {
  return Math.ceil(bits / 128) * 16;
}

/** Int32 words of one packed row of `bits` values. */
export function packedRowWords(bits: number): number {
  return packedRowBytes(bits) >> 2;
}

/**
 * Pack n rows of `cols` values that are all exactly +1 or -1 into `out` (rows of
 * packedRowWords(cols) words). Returns false, leaving `out` partly written, as soon as a
 * value is neither (an input after dropout, say): the caller then uses the float kernels.
 */
export function packSignRows(x: Float32Array, n: number, cols: number, out: Int32Array): boolean {
  return packSignWords(x, n, cols, out, packedRowWords(cols));
}

/**
 * packSignRows with rows of `words` int32 words (at least ceil(cols / 32); bits past
 * `cols` are 0), e.g. the channels of each pixel of an image in ceil(C / 32) words.
 */
export function packSignWords(x: Float32Array, n: number, cols: number, out: Int32Array, words: number): boolean {
  for (let r = 0; r < n; r++) {
    const src = r * cols;
    const dst = r * words;
    for (let k = 0; k < words; k++) {
      let word = 0;
      const j0 = k << 5;
      const j1 = Math.min(cols, j0 + 32);
      for (let j = j0; j < j1; j++) {
        const v = x[src + j];
        if (v === -1) word |= 1 << (j - j0);
        else if (v !== 1) return false;
      }
      out[dst + k] = word;
    }
  }
  return true;
}
