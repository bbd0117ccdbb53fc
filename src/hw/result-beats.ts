/**
 * The input beats of a frame its result depends on. All of them, except in a ConvNet
 * whose pools drop remainder rows or columns: the pixels of the last rows and columns
 * then feed only dropped pixels, and the result may leave before they are accepted (the
 * Verilator harness must not count such a result as stale after a reset).
 */
import type { FoldedModel } from '../int/types.js';

export function resultInputBeats(f: FoldedModel, beatsPerFrame: number): number {
  if (f.layers[0].kind !== 'conv') return beatsPerFrame;
  // The first dense layer (or the scores convolution, whose kernel covers its map) reads
  // its whole input map; walk back from there to the rows and columns of the image used.
  let d = f.layers.findIndex((l) => l.kind === 'dense');
  if (d < 0) d = f.layers.length - 1;
  let rows = f.layers[d].inShape[0];
  let cols = f.layers[d].inShape[1];
  for (let k = d - 1; k >= 0; k--) {
    const l = f.layers[k];
    if (l.kind === 'maxpool') {
      rows *= l.size;
      cols *= l.size;
    } else {
      rows += l.kernel - 1;
      cols += l.kernel - 1;
    }
  }
  // One pixel per beat, row by row: the last pixel used is (rows - 1, cols - 1).
  return Math.min(beatsPerFrame, (rows - 1) * f.input[1] + cols);
}
