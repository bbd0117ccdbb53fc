/**
 * Max-pooling, window = stride = size, odd remainders dropped. In BinaryNet ConvNets it
 * follows the sign, so windows are full of ties; the backward pass gives the gradient
 * to every position equal to the maximum (as Theano's pooling gradient, which the
 * reference code used) rather than to one arbitrary position.
 */
import type { MaxPoolSpec, Shape3 } from '../../graph/types.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput } from './layer.js';

export class MaxPoolLayer extends Layer {
  private readonly y: Float32Array;
  private readonly dx: Float32Array;
  private readonly dxBits: Int32Array;
  private lastX: Float32Array | null = null;

  constructor(
    env: LayerEnv,
    readonly spec: MaxPoolSpec,
    inShape: Shape3,
  ) {
    const s = spec.size;
    const [h, w, c] = inShape;
    if (!(Number.isInteger(s) && s >= 1) || h < s || w < s) {
      throw new Error(`layer ${spec.name}: pool size ${s} does not fit input ${h}x${w}`);
    }
    super(spec.name, inShape, [Math.floor(h / s), Math.floor(w / s), c]);
    this.y = new Float32Array(env.maxBatch * this.outSize);
    this.dx = new Float32Array(env.maxBatch * this.inSize);
    this.dxBits = new Int32Array(this.dx.buffer);
  }

  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    const [, w, c] = this.inShape;
    const [oh, ow] = this.outShape;
    const s = this.spec.size;
    const y = this.y;
    for (let b = 0; b < n; b++) {
      const xb = b * this.inSize;
      const yb = b * this.outSize;
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          for (let ci = 0; ci < c; ci++) {
            let m = -Infinity;
            for (let a = 0; a < s; a++) {
              for (let bb = 0; bb < s; bb++) {
                const v = x[xb + ((r * s + a) * w + (q * s + bb)) * c + ci];
                if (v > m) m = v;
              }
            }
            y[yb + (r * ow + q) * c + ci] = m;
          }
        }
      }
    }
    if (ctx.training) this.lastX = x;
    return y.subarray(0, n * this.outSize);
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    if (need === false) return null;
    const x = this.lastX;
    if (!x) throw new Error(`layer ${this.name}: backward without a training forward`);
    const [, w, c] = this.inShape;
    const [oh, ow] = this.outShape;
    const s = this.spec.size;
    const y = this.y;
    // Values outside every window (odd remainders) get no gradient.
    this.dx.fill(0, 0, n * this.inSize);
    const dxBits = this.dxBits;
    const dyBits = new Int32Array(dy.buffer, dy.byteOffset, n * this.outSize);
    for (let b = 0; b < n; b++) {
      const xb = b * this.inSize;
      const yb = b * this.outSize;
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          for (let ci = 0; ci < c; ci++) {
            const o = yb + (r * ow + q) * c + ci;
            for (let a = 0; a < s; a++) {
              for (let bb = 0; bb < s; bb++) {
                const i = xb + ((r * s + a) * w + (q * s + bb)) * c + ci;
                // dx[i] = x[i] === y[o] ? dy[o] : +0 on the bits, without a branch
                dxBits[i] = dyBits[o] & -(x[i] === y[o]);
              }
            }
          }
        }
      }
    }
    return this.dx.subarray(0, n * this.inSize);
  }
}
