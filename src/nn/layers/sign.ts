/**
 * Sign activation, sign(0) = +1, trained with the straight-through estimator of the
 * reference (binary_tanh_unit): the backward pass is that of hard tanh, i.e. the
 * gradient passes unchanged where |x| <= 1 and is cancelled elsewhere.
 */
import type { Shape3, SignSpec } from '../../graph/types.js';
import type { Arena, F32Block } from '../arena.js';
import type { KernelPool } from '../pool.js';
import { Layer, type ForwardContext, type LayerEnv, type NeedInput } from './layer.js';

export class SignLayer extends Layer {
  private readonly y: F32Block;
  private readonly dx: Float32Array;
  private readonly dxBits: Int32Array;
  /** 1 where |x| <= 1 in the last training forward. */
  private readonly pass: { ptr: number; a: Uint8Array };
  private readonly arena: Arena;
  private readonly pool: KernelPool;
  private trained = false;

  constructor(
    env: LayerEnv,
    readonly spec: SignSpec,
    inShape: Shape3,
  ) {
    super(spec.name, inShape, inShape);
    const size = env.maxBatch * this.inSize;
    // In the arena, whole groups of 16 (the kernel's step).
    const padded = Math.ceil(size / 16) * 16;
    this.y = env.arena.f32(padded);
    // In the arena: batch norm's backward below runs kernels on it.
    this.dx = env.arena.f32(size).a;
    this.dxBits = new Int32Array(this.dx.buffer, this.dx.byteOffset, size);
    this.pass = env.arena.u8(padded);
    this.arena = env.arena;
    this.pool = env.pool;
  }

  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    const total = n * this.inSize;
    const y = this.y.a;
    const at = this.arena.lineStart(x);
    if (at !== null) {
      // The kernel: no branch to mispredict on random signs (its mask is wanted in training only, but is cheap).
      this.pool.signForward(this.y.ptr, this.pass.ptr, at, total);
    } else {
      for (let i = 0; i < total; i++) y[i] = x[i] >= 0 ? 1 : -1;
      if (ctx.training) {
        const pass = this.pass.a;
        for (let i = 0; i < total; i++) pass[i] = x[i] <= 1 && x[i] >= -1 ? 1 : 0;
      }
    }
    this.trained = ctx.training;
    return y.subarray(0, total);
  }

  backward(dy: Float32Array, n: number, need: NeedInput): Float32Array | null {
    if (need === false) return null;
    const total = n * this.inSize;
    const dx = this.dx;
    const pass = this.pass.a;
    // dx = pass ? dy : +0 on the bits, without a branch to mispredict.
    const dyBits = new Int32Array(dy.buffer, dy.byteOffset, total);
    const dxBits = this.dxBits;
    for (let i = 0; i < total; i++) dxBits[i] = dyBits[i] & -pass[i];
    return dx.subarray(0, total);
  }

  override passMask(): Uint8Array | null {
    return this.trained ? this.pass.a : null;
  }
}
