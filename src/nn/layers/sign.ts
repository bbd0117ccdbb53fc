/**
 * Sign activation, sign(0) = +1, trained with the straight-through estimator of the
 * reference (binary_tanh_unit): the backward pass is that of hard tanh, i.e. the
 * gradient passes unchanged where |x| <= 1 and is cancelled elsewhere.
 */
import type { Shape3, SignSpec } from '../../graph/types.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput } from './layer.js';

export class SignLayer extends Layer {
  private readonly y: Float32Array;
  private readonly dx: Float32Array;
  /** 1 where |x| <= 1 in the last training forward. */
  private readonly pass: Uint8Array;
  private trained = false;

  constructor(
    env: LayerEnv,
    readonly spec: SignSpec,
    inShape: Shape3,
  ) {
    super(spec.name, inShape, inShape);
    const size = env.maxBatch * this.inSize;
    this.y = new Float32Array(size);
    this.dx = new Float32Array(size);
    this.pass = new Uint8Array(size);
  }

  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    const total = n * this.inSize;
    const y = this.y;
    for (let i = 0; i < total; i++) y[i] = x[i] >= 0 ? 1 : -1;
    if (ctx.training) {
      const pass = this.pass;
      for (let i = 0; i < total; i++) pass[i] = x[i] <= 1 && x[i] >= -1 ? 1 : 0;
    }
    this.trained = ctx.training;
    return y.subarray(0, total);
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    if (need === false) return null;
    const total = n * this.inSize;
    const dx = this.dx;
    const pass = this.pass;
    for (let i = 0; i < total; i++) dx[i] = pass[i] ? dy[i] : 0;
    return dx.subarray(0, total);
  }

  override passMask(): Uint8Array | null {
    return this.trained ? this.pass : null;
  }
}
