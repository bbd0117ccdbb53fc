/**
 * Squared hinge loss of the reference: mean over examples and classes of
 * max(0, 1 - t * y)^2, with targets t = +1 for the label's class and -1 elsewhere.
 */
import { argmax } from '../util/argmax.js';

export interface LossResult {
  /** The mean loss over the n examples. */
  loss: number;
  /** Number of examples whose argmax (ties to the lowest index) equals the label. */
  correct: number;
}

/**
 * Loss of n rows of `classes` scores against labels[offset + i]; writes dL/dscores into
 * grad (same layout) when given.
 */
export function squaredHinge(
  scores: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  classes: number,
  grad?: Float32Array,
): LossResult {
  let sum = 0;
  let correct = 0;
  const norm = 1 / (n * classes);
  for (let i = 0; i < n; i++) {
    const base = i * classes;
    const label = labels[i];
    for (let c = 0; c < classes; c++) {
      const y = scores[base + c];
      const t = c === label ? 1 : -1;
      const margin = Math.max(0, 1 - t * y);
      sum += margin * margin;
      if (grad) grad[base + c] = margin > 0 ? -2 * t * margin * norm : 0;
    }
    if (argmax(scores, base, classes) === label) correct++;
  }
  return { loss: sum * norm, correct };
}
