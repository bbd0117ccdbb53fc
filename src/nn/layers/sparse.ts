/**
 * Sparse views of a binary layer's input for the sparse-product kernels (scatter, gather).
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
 * The entries x[r][j] != c of nRows x cols values, grouped by column (CSC): column j
 * lists (row r, x[r][j] - c) for increasing r, at idx/val[colPtr[j] .. colPtr[j+1]).
 * Returns the number of entries. `count` is scratch of length >= cols.
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

/** Column lists (rows in increasing order) of the nonzero bytes of an nRows x cols mask. */
export function maskColumns(mask: Uint8Array, nRows: number, cols: number, colPtr: Int32Array, idx: Int32Array): number {
  let nnz = 0;
  colPtr[0] = 0;
  for (let j = 0; j < cols; j++) {
    for (let r = 0, at = j; r < nRows; r++, at += cols) if (mask[at] !== 0) idx[nnz++] = r;
    colPtr[j + 1] = nnz;
  }
  return nnz;
}
