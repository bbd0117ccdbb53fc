/**
 * A max-pool stage on activation bits (bnnc_pool): OR over S x S windows, stride S,
 * remainders dropped; one input pixel per cycle at most, one output-row line memory.
 */
import type { FoldedPoolLayer } from '../../int/types.js';
import type { StageEstimate } from './estimate.js';

export interface PoolStage {
  kind: 'pool';
  /** Stage index = index of the folded layer. */
  index: number;
  layer: string;
  /** Input and output maps [H, W, C]. */
  inShape: [number, number, number];
  outShape: [number, number, number];
  size: number;
  /** Cycles of work per frame: one per input pixel. */
  frameCycles: number;
  /**
   * Cycles this stage adds to a frame's latency: done minus the previous stage's done
   * (docs/hardware.md). A pool that drops remainder rows can finish before the stage
   * in front of it, so in a ConvNet this can be negative.
   */
  latency: number;
  /**
   * Cycles from a frame's first input beat (entering an empty pipeline) to the edge at
   * which this stage hands on its last beat of that frame.
   */
  done: number;
  /** Bits of the line memory: OW words of C bits (0 for size 1). */
  lineBits: number;
}

export function planPool(index: number, l: FoldedPoolLayer): PoolStage {
  const [h, w, c] = l.inShape;
  const ow = l.outShape[1];
  return {
    kind: 'pool',
    index,
    layer: l.name,
    inShape: [h, w, c],
    outShape: [l.outShape[0], l.outShape[1], l.outShape[2]],
    size: l.size,
    frameCycles: h * w,
    latency: 0,
    done: 0,
    lineBits: l.size > 1 ? ow * c : 0,
  };
}

export function estimatePool(s: PoolStage): StageEstimate {
  const c = s.inShape[2];
  const control = 40;
  // Row OR register, output register, the OR gates and the line memory's read register.
  return { luts: control + 2 * c, flipFlops: control + 3 * c, romBits: 0, ramBits: s.lineBits };
}
