/**
 * The one argmax of bnnc: the index of the largest of v[start .. start+n), ties to the
 * lowest index — the class rule of the integer contract (docs/integer-contract.md),
 * which the RTL's argmax implements, so the float model, the integer model and every
 * report pick classes the same way.
 */
export function argmax(v: ArrayLike<number>, start = 0, n = v.length - start): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[start + j] > v[start + best]) best = j;
  return best;
}
