/**
 * The packed binary kernels (binDense, signs, packSigns in src/nn/wasm/kernels.ts)
 * against the float kernels and a plain JavaScript reference, on random inputs: the
 * products of +-1 vectors are integers, so all of them must agree exactly.
 */
import { describe, expect, it } from 'vitest';
import type { DenseSpec } from '../src/graph/types.js';
import { Arena } from '../src/nn/arena.js';
import { BinaryWeights } from '../src/nn/layers/binary-weights.js';
import { DenseLayer } from '../src/nn/layers/dense.js';
import type { KernelChoice, LayerEnv } from '../src/nn/layers/layer.js';
import { packedRowBytes, packedRowWords, packSignRows } from '../src/nn/layers/packed.js';
import { KernelPool } from '../src/nn/pool.js';
import { Rng } from '../src/util/rng.js';

function signs(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform(0, 1) < 0.5 ? -1 : 1;
  return x;
}

/** Latent weights in [-1, 1] with some exact zeros and negative zeros (sign(+-0) = +1). */
function latent(rng: Rng, n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform(0, 1);
    w[i] = u < 0.05 ? 0 : u < 0.1 ? -0 : rng.uniform(-1, 1);
  }
  return w;
}

/** Numeric equality, element by element (+0 and -0 count as equal). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const SHAPES: [number, number, number][] = [
  // [examples, inputs, outputs]: inputs off and on 32- and 128-bit boundaries, outputs off 4
  [1, 1, 1],
  [3, 31, 5],
  [7, 100, 10],
  [5, 128, 12],
  [9, 257, 33],
  [20, 1024, 64],
  [40, 1024, 128],
];

describe('packed binary kernels', () => {
  it('packSignRows packs -1 as 1 and +1 as 0, zero past the last value, and refuses other values', () => {
    const x = new Float32Array([1, -1, -1, 1, -1, ...new Array<number>(30).fill(1), -1]);
    const out = new Int32Array(packedRowWords(36)).fill(-1);
    expect(packSignRows(x, 1, 36, out)).toBe(true);
    expect(Array.from(out)).toEqual([0b10110, 0b1000, 0, 0]);
    expect(packSignRows(new Float32Array([1, 0, -1]), 1, 3, out)).toBe(false);
    expect(packSignRows(new Float32Array([1, 2, -1]), 1, 3, out)).toBe(false);
  });

  it('signs and packSigns equal the JavaScript reference (bin, column sums, bits by neuron), on 1 and 2 threads', async () => {
    const rng = new Rng(11);
    for (const [, rows, outputs] of SHAPES) {
      const lat = latent(rng, rows * outputs);
      for (const threads of [1, 2]) {
        const arena = new Arena();
        const pool = await KernelPool.create(arena, threads);
        try {
          const env: LayerEnv = { arena, pool, maxBatch: 1 };
          const w = new BinaryWeights(env, 'fc', rows, outputs, rows, outputs, false, true);
          w.withPacked(env);
          for (let j = 0; j < rows; j++) for (let o = 0; o < outputs; o++) w.latent.a[j * w.width + o] = lat[j * outputs + o];
          w.refresh();
          const words = packedRowWords(rows);
          const bit = (o: number, j: number): number => (w.bits!.a[o * words + (j >> 5)] >>> (j & 31)) & 1;
          let wrong = 0;
          for (let o = 0; o < outputs; o++) {
            let sum = 0;
            for (let j = 0; j < rows; j++) {
              const s = lat[j * outputs + o] >= 0 ? 1 : -1;
              sum += s;
              if (w.bin.a[j * w.width + o] !== s || bit(o, j) !== (s < 0 ? 1 : 0)) wrong++;
            }
            if (w.colSum[o] !== sum) wrong++;
            for (let j = rows; j < words * 32; j++) if (bit(o, j) !== 0) wrong++;
          }
          for (let j = 0; j < rows; j++) for (let o = outputs; o < w.width; o++) if (w.bin.a[j * w.width + o] !== 0) wrong++;
          expect(wrong).toBe(0);
        } finally {
          await pool.close();
        }
      }
    }
  });

  it('binDense equals the integer reference and the 2-thread split equals one thread', async () => {
    const rng = new Rng(12);
    for (const [n, J, O] of SHAPES) {
      const x = signs(rng, n * J);
      const wv = signs(rng, O * J);
      const ref = new Float32Array(n * O);
      for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) {
        let s = 0;
        for (let j = 0; j < J; j++) s += x[r * J + j] * wv[o * J + j];
        ref[r * O + o] = s;
      }
      for (const threads of [1, 2]) {
        const arena = new Arena();
        const pool = await KernelPool.create(arena, threads);
        try {
          const rowBytes = packedRowBytes(J);
          const X = arena.i32((n * rowBytes) >> 2);
          const W = arena.i32((O * rowBytes) >> 2);
          expect(packSignRows(x, n, J, X.a)).toBe(true);
          expect(packSignRows(wv, O, J, W.a)).toBe(true);
          const out = arena.f32(n * O);
          pool.binDense(out.ptr, X.ptr, n, W.ptr, O, rowBytes, O, J);
          expect(sameValues(out.a, ref)).toBe(true);
        } finally {
          await pool.close();
        }
      }
    }
  });

  it('a dense layer gives the same outputs and gradients with binary and float kernels, on +-1 and other inputs', async () => {
    const rng = new Rng(13);
    for (const [n, J, O] of SHAPES) {
      const x = signs(rng, n * J);
      const lat = latent(rng, J * O);
      const dy = new Float32Array(n * O).map(() => rng.uniform(-1, 1));
      // A dropout-like input (0 and +-1/(1-p)): binary kernels do not apply, floats run.
      const xDrop = x.map((v) => (rng.uniform(0, 1) < 0.3 ? 0 : v / 0.7));
      const results: Float32Array[][] = [];
      for (const kernels of ['binary', 'float'] as KernelChoice[]) {
        const arena = new Arena();
        const pool = await KernelPool.create(arena, 2);
        try {
          const env: LayerEnv = { arena, pool, maxBatch: n, kernels };
          const spec: DenseSpec = { kind: 'dense', name: 'fc', inFeatures: J, outFeatures: O, bias: false };
          const layer = new DenseLayer(env, spec, [1, 1, J]);
          let packedCalls = 0;
          const binDense = pool.binDense.bind(pool);
          pool.binDense = (...a: Parameters<KernelPool['binDense']>): void => {
            packedCalls++;
            binDense(...a);
          };
          for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) layer.w.latent.a[j * layer.w.width + o] = lat[o * J + j];
          layer.invalidate();
          const got: Float32Array[] = [];
          for (const input of [x, xDrop]) {
            got.push(layer.forward(input, n, { training: true, rng: null }).slice());
            got.push(layer.backward(dy, n, true)!.slice());
            got.push(layer.w.grad.a.slice());
          }
          // The packed kernel ran for the +-1 input only, and only when asked for.
          expect(packedCalls).toBe(kernels === 'binary' ? 1 : 0);
          results.push(got);
        } finally {
          await pool.close();
        }
      }
      const [bin, flt] = results;
      bin.forEach((a, k) => expect(sameValues(a, flt[k])).toBe(true));
      // The +-1 forward is a sum of J terms +-1: an integer of J's parity in [-J, J].
      for (const v of bin[0]) expect(Math.abs(v) <= J && (v + J) % 2 === 0).toBe(true);
    }
  });
});
