/**
 * Inverted dropout: in training each value is kept with probability 1 - p and scaled
 * by 1 / (1 - p), so evaluation is the identity. Masks come from the step's seeded
 * generator, drawn example by example in layout order (reproducible); p is rounded to
 * a multiple of 1/65536.
 */
import type { DropoutSpec, Shape3 } from '../../graph/types.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput } from './layer.js';

export class DropoutLayer extends Layer {
  private readonly y: Float32Array;
  private readonly dx: Float32Array;
  private readonly keep: Uint8Array;
  private active = false;

  constructor(
    env: LayerEnv,
    readonly spec: DropoutSpec,
    inShape: Shape3,
  ) {
    super(spec.name, inShape, inShape);
    if (!(spec.p >= 0 && spec.p < 1)) throw new Error(`layer ${spec.name}: dropout p must be in [0, 1), got ${spec.p}`);
    const size = env.maxBatch * this.inSize;
    this.y = new Float32Array(size);
    this.dx = new Float32Array(size);
    this.keep = new Uint8Array(size);
  }

  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    this.active = ctx.training && this.spec.p > 0;
    if (!this.active) return x;
    if (!ctx.rng) throw new Error(`layer ${this.name}: dropout in training needs a random generator`);
    const total = n * this.inSize;
    const scale = 1 / (1 - this.spec.p);
    const rng = ctx.rng;
    const keep = this.keep;
    const y = this.y;
    // Two masks per 32-bit draw (16 bits each): drawing is the cost here, and p is then
    // exact to 1/65536.
    const threshold = Math.round(this.spec.p * 65536);
    for (let i = 0; i < total; i += 2) {
      const u = rng.nextU32();
      keep[i] = (u & 0xffff) >= threshold ? 1 : 0;
      if (i + 1 < total) keep[i + 1] = u >>> 16 >= threshold ? 1 : 0;
    }
    for (let i = 0; i < total; i++) y[i] = keep[i] ? x[i] * scale : 0;
    return y.subarray(0, total);
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    if (need === false) return null;
    if (!this.active) return dy;
    const total = n * this.inSize;
    const scale = 1 / (1 - this.spec.p);
    const dx = this.dx;
    const keep = this.keep;
    for (let i = 0; i < total; i++) dx[i] = keep[i] ? dy[i] * scale : 0;
    return dx.subarray(0, total);
  }

  override passMask(): Uint8Array | null {
    return this.active ? this.keep : null;
  }
}
