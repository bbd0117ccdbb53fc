/**
 * Adam as in Lasagne (which the BinaryNet reference uses):
 *   t += 1;  a_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   param -= a_t * m / (sqrt(v) + eps)
 * with the reference's twist for binary weights: the step is multiplied by the layer's
 * Glorot scale and the weight is then clipped to [-1, 1] (binary_net.clipping_scaling).
 * Other parameters (batch norm, biases) use the plain learning rate and no clipping.
 */
import type { Arena, F32Block } from './arena.js';
import type { Param } from './layers/layer.js';
import type { KernelPool } from './pool.js';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

interface Slot {
  param: Param;
  m: F32Block;
  v: F32Block;
}

export class Adam {
  private t = 0;
  private readonly slots: Slot[];

  constructor(
    arena: Arena,
    private readonly pool: KernelPool,
    params: Param[],
    private readonly opts: AdamOptions = ADAM_DEFAULTS,
  ) {
    this.slots = params.map((param) => {
      if (param.value.a.length % 4 !== 0) throw new Error(`param ${param.name}: length must be a multiple of 4`);
      return { param, m: arena.f32(param.value.a.length), v: arena.f32(param.value.a.length) };
    });
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** One update of every parameter from its current gradient. */
  step(lr: number): void {
    this.t++;
    const { beta1, beta2, epsilon } = this.opts;
    const at = (lr * Math.sqrt(1 - Math.pow(beta2, this.t))) / (1 - Math.pow(beta1, this.t));
    for (const { param, m, v } of this.slots) {
      const step = at * (param.kind === 'binary' ? param.lrScale : 1);
      const clip = param.clip;
      this.pool.adam(
        param.value.ptr, param.grad.ptr, m.ptr, v.ptr, param.value.a.length,
        step, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, -clip, clip,
      );
    }
  }
}
