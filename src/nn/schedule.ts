/**
 * Learning-rate rules of the BinaryNet reference code (Courbariaux et al. 2016,
 * Train-time/binary_net.py and mnist.py).
 */

/**
 * Per-layer learning-rate scale of binary weights, the reference's "Glorot" option:
 * 1 / sqrt(1.5 / (fanIn + fanOut)). For a convolution fanIn = k*k*inChannels and
 * fanOut = k*k*outChannels.
 */
export function glorotLrScale(fanIn: number, fanOut: number): number {
  return 1 / Math.sqrt(1.5 / (fanIn + fanOut));
}

/** Bound of the Glorot-uniform initialisation: sqrt(6 / (fanIn + fanOut)). */
export function glorotUniformLimit(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/** Per-epoch decay factor so that lrStart decays to lrFin over `epochs` epochs. */
export function lrDecay(lrStart: number, lrFin: number, epochs: number): number {
  return Math.pow(lrFin / lrStart, 1 / epochs);
}

/**
 * Learning rate of epoch `epoch` (0-based): lrStart * decay^epoch. As in the reference,
 * the rate is multiplied by the decay after each epoch, so the last epoch runs at
 * lrStart * decay^(epochs-1) and lrFin would be the rate of the epoch after it.
 */
export function lrAt(epoch: number, lrStart: number, lrFin: number, epochs: number): number {
  return lrStart * Math.pow(lrDecay(lrStart, lrFin, epochs), epoch);
}
