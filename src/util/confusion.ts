/**
 * Confusion matrices: rows are true labels, columns predicted classes. One definition
 * for the float, integer and RTL predictions (the demo, `bnnc verify`'s comparison and
 * the report all count the same way).
 */

/**
 * counts[label][prediction] over the first n items. Items with an unknown label (< 0)
 * are skipped, and so are predictions outside 0..classes-1 (a broken design can emit
 * any class index; such a frame is already a mismatch), so the total can be below n.
 */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number, n = labels.length): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    const p = predictions[i];
    if (l < 0 || l >= classes || !(p >= 0 && p < classes)) continue;
    m[l][p]++;
  }
  return m;
}

/** Correct predictions (the diagonal) and all counted items. */
export function confusionTotals(m: number[][]): { correct: number; total: number } {
  let correct = 0;
  let total = 0;
  m.forEach((row, i) => row.forEach((v, j) => ((total += v), i === j && (correct += v))));
  return { correct, total };
}
