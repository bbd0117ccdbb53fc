/**
 * Sparse views of a binary layer's input for the gather kernel.
 *
 * The inputs of binary layers take few distinct values: +-1 after a sign, 0 or +-1/(1-p)
 * after dropout, and for MNIST the first layer's input is mostly the value of a black
 * pixel. Writing x = c + d with c the most frequent value (the "background"), a
 * product with the weights becomes c * (column sums) + (sparse d) * W, which skips
 * every entry equal to c: half the work after a sign, most of it on MNIST pixels.
 */

/** How many leading values backgroundValue looks at. */
const SAMPLE = 512;

/**
 * The most frequent value among the first values of x (ties: the one seen first).
 * Any choice gives the same product up to float rounding; this one only saves time.
 */
export function backgroundValue(x: Float32Array, count: number): number {
  const n = Math.min(count, SAMPLE);
  const seen = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const k = (seen.get(v) ?? 0) + 1;
    seen.set(v, k);
    if (k > bestCount) {
      bestCount = k;
      best = v;
    }
  }
  return best;
}

/**
 * CSR of (x - c) over nRows contiguous rows of width cols: row r's entries are
 * idx/val[rowPtr[r] .. rowPtr[r+1]). Returns the number of entries.
 */
export function rowsCsr(
  x: Float32Array,
  nRows: number,
  cols: number,
  c: number,
  rowPtr: Int32Array,
  idx: Int32Array,
  val: Float32Array,
): number {
  let nnz = 0;
  rowPtr[0] = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = x[base + j] - c;
      if (v !== 0) {
        idx[nnz] = j;
        val[nnz] = v;
        nnz++;
      }
    }
    rowPtr[r + 1] = nnz;
  }
  return nnz;
}

/**
 * The same entries grouped by column (CSC): column j lists (row, x - c) in increasing
 * row order, so the weight gradient sums over examples in a fixed order.
 * `count` is scratch of length >= cols.
 */
export function columnsCsr(
  x: Float32Array,
  nRows: number,
  cols: number,
  c: number,
  colPtr: Int32Array,
  idx: Int32Array,
  val: Float32Array,
  count: Int32Array,
): number {
  count.fill(0, 0, cols);
  for (let r = 0; r < nRows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) if (x[base + j] !== c) count[j]++;
  }
  colPtr[0] = 0;
  for (let j = 0; j < cols; j++) {
    colPtr[j + 1] = colPtr[j] + count[j];
    count[j] = colPtr[j];
  }
  for (let r = 0; r < nRows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = x[base + j] - c;
      if (v !== 0) {
        const at = count[j]++;
        idx[at] = r;
        val[at] = v;
      }
    }
  }
  return colPtr[cols];
}

/** Row lists of the nonzero bytes of a mask of nRows x cols (for dotsList). */
export function maskLists(mask: Uint8Array, nRows: number, cols: number, rowPtr: Int32Array, idx: Int32Array): number {
  let nnz = 0;
  rowPtr[0] = 0;
  for (let r = 0; r < nRows; r++) {
    const base = r * cols;
    for (let j = 0; j < cols; j++) if (mask[base + j] !== 0) idx[nnz++] = j;
    rowPtr[r + 1] = nnz;
  }
  return nnz;
}
