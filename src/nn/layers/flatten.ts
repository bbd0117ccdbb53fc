/** Flatten [h][w][c] to [1][1][h*w*c]: the data is already in that order, so a no-op. */
import type { FlattenSpec, Shape3 } from '../../graph/types.js';
import { Layer, type ForwardContext, type NeedInput } from './layer.js';

export class FlattenLayer extends Layer {
  constructor(
    readonly spec: FlattenSpec,
    inShape: Shape3,
  ) {
    super(spec.name, inShape, [1, 1, inShape[0] * inShape[1] * inShape[2]]);
  }

  forward(x: Float32Array, _n: number, _ctx: ForwardContext): Float32Array {
    return x;
  }

  backward(dy: Float32Array, _n: number, need: NeedInput): Float32Array | null {
    return need === false ? null : dy;
  }

  override get isReshape(): boolean {
    return true;
  }
}
