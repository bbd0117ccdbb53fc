/**
 * The packed binary kernels (binDense, signs, packSigns in src/nn/wasm/kernels.ts)
 * against the float kernels and a plain JavaScript reference, on random inputs: the
 * products of +-1 vectors are integers, so all of them must agree exactly.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2dSpec, DenseSpec } from '../src/graph/types.js';
import { Arena } from '../src/nn/arena.js';
import { BinaryWeights } from '../src/nn/layers/binary-weights.js';
import { ConvLayer } from '../src/nn/layers/conv.js';
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

const f = Math.fround;

/**
 * X^T G the way the signed-sum kernels compute it, in float32 step by step: blocks of 4
 * rows r, ((s0 g0 + s1 g1) + s2 g2) + s3 g3, added in block order to 0. x: n x J (+-1),
 * g: n x O; returns J x O.
 */
function signedSumProduct(x: Float32Array, g: Float32Array, n: number, J: number, O: number): Float32Array {
  const out = new Float32Array(J * O);
  for (let j = 0; j < J; j++) {
    for (let o = 0; o < O; o++) {
      let acc = 0;
      for (let b = 0; b * 4 < n; b++) {
        let v = 0;
        for (let i = 0; i < 4; i++) {
          const r = 4 * b + i;
          const term = r < n ? x[r * J + j] * g[r * O + o] : 0;
          v = i === 0 ? term : f(v + term);
        }
        acc = f(acc + v);
      }
      out[j * O + o] = acc;
    }
  }
  return out;
}

/** max |a - b| <= tol * max |b| */
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return a.length === b.length && diff <= tol * scale;
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

  it('a dense layer: binary and float kernels give the same outputs, and gradients equal to float32 rounding (signed sums, exactly as the reference orders them)', async () => {
    const rng = new Rng(13);
    for (const [n, J, O] of SHAPES) {
      const x = signs(rng, n * J);
      const lat = latent(rng, J * O);
      const dy = new Float32Array(n * O).map(() => rng.uniform(-1, 1));
      // A dropout-like input (0 and +-1/(1-p)): the packed forward does not apply.
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
            const dw = new Float32Array(J * O);
            for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) dw[j * O + o] = layer.w.grad.a[j * layer.w.width + o];
            got.push(dw);
          }
          // The packed kernel ran for the +-1 input only, and only when asked for.
          expect(packedCalls).toBe(kernels === 'binary' ? 1 : 0);
          results.push(got);
        } finally {
          await pool.close();
        }
      }
      const [bin, flt] = results;
      const [yB, dxB, dwB, yDropB, dxDropB, dwDropB] = bin;
      const [yF, dxF, dwF, yDropF, dxDropF, dwDropF] = flt;
      // Forward: integers, exact both ways; on the dropout input both run the float kernels.
      expect(sameValues(yB, yF)).toBe(true);
      expect(sameValues(yDropB, yDropF)).toBe(true);
      for (const v of yB) expect(Math.abs(v) <= J && (v + J) % 2 === 0).toBe(true);
      // Weight gradient of the +-1 input: exactly the signed-sum order, and the float
      // kernels' value up to float32 summation order.
      const wSign = new Float32Array(O * J).map((_, i) => (lat[i] >= 0 ? 1 : -1));
      expect(sameValues(dwB, signedSumProduct(x, dy, n, J, O))).toBe(true);
      expect(close(dwB, dwF, 1e-5)).toBe(true);
      expect(sameValues(dwDropB, dwDropF)).toBe(true);
      // Input gradient: dx^T = sign(W)^T-blocks times dy^T, the same signed sums with the
      // roles of examples and weights swapped.
      const dyT = new Float32Array(O * n);
      for (let r = 0; r < n; r++) for (let o = 0; o < O; o++) dyT[o * n + r] = dy[r * O + o];
      const dxRef = signedSumProduct(wSign, dyT, O, J, n); // J x n
      const dxRefT = new Float32Array(n * J);
      for (let j = 0; j < J; j++) for (let r = 0; r < n; r++) dxRefT[r * J + j] = dxRef[j * n + r];
      expect(sameValues(dxB, dxRefT)).toBe(true);
      expect(sameValues(dxDropB, dxRefT)).toBe(true);
      expect(close(dxB, dxF, 1e-5)).toBe(true);
      expect(close(dxDropB, dxDropF, 1e-5)).toBe(true);
    }
  });
});

/** [images, height, width, channels, kernel, out channels] */
const CONV_SHAPES: [number, number, number, number, number, number][] = [
  [3, 4, 4, 1, 2, 1], // one channel: bit-by-bit windows
  [5, 5, 6, 3, 3, 5], // R = 12, outputs off 4
  [7, 5, 5, 32, 3, 10], // one word per pixel, R = 9 (blocks of 4 images)
  [9, 4, 4, 32, 3, 32], // weight gradient one tile wide: threads split its rows
  [6, 6, 6, 64, 3, 64], // two words per pixel, two tiles
  [4, 7, 5, 40, 3, 33], // 40 channels: windows not word-aligned, R = 15
  [8, 10, 10, 32, 3, 32], // large enough for every kernel to split over 2 threads
];

interface ConvRun {
  y: Float32Array;
  dx: Float32Array;
  /** J x O */
  dw: Float32Array;
  packedCalls: number;
}

async function runConv(
  kernels: KernelChoice,
  threads: number,
  shape: (typeof CONV_SHAPES)[number],
  lat: Float32Array,
  inputs: Float32Array[],
  dy: Float32Array,
  blockBytes?: number,
): Promise<ConvRun[]> {
  const [n, H, W, C, K, O] = shape;
  const J = K * K * C;
  const arena = new Arena();
  const pool = await KernelPool.create(arena, threads);
  try {
    const env: LayerEnv = { arena, pool, maxBatch: n, kernels };
    const spec: Conv2dSpec = { kind: 'conv2d', name: 'conv', inChannels: C, outChannels: O, kernel: K, padding: 0, bias: false };
    const layer = new ConvLayer(env, spec, [H, W, C], { packedBlockBytes: blockBytes });
    for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) layer.w.latent.a[j * layer.w.width + o] = lat[o * J + j];
    layer.invalidate();
    let packedCalls = 0;
    const binDense = pool.binDense.bind(pool);
    pool.binDense = (...a: Parameters<KernelPool['binDense']>): void => {
      packedCalls++;
      binDense(...a);
    };
    const out: ConvRun[] = [];
    for (const x of inputs) {
      packedCalls = 0;
      const y = layer.forward(x, n, { training: true, rng: null }).slice();
      const dx = layer.backward(dy, n, true)!.slice();
      const dw = new Float32Array(J * O);
      for (let j = 0; j < J; j++) for (let o = 0; o < O; o++) dw[j * O + o] = layer.w.grad.a[j * layer.w.width + o];
      out.push({ y, dx, dw, packedCalls });
    }
    return out;
  } finally {
    await pool.close();
  }
}

describe('packed convolution', () => {
  it('binary and float kernels: the same outputs on +-1 inputs, gradients equal to float32 rounding and exactly the signed-sum order, for any block size and thread count', async () => {
    const rng = new Rng(14);
    for (const shape of CONV_SHAPES) {
      const [n, H, W, C, K, O] = shape;
      const oh = H - K + 1;
      const ow = W - K + 1;
      const R = oh * ow;
      const J = K * K * C;
      const inSize = H * W * C;
      const x = signs(rng, n * inSize);
      const lat = latent(rng, O * J);
      const dy = new Float32Array(n * R * O).map(() => rng.uniform(-1, 1));
      // Not all +-1 (a 0 here and there): the float kernels apply.
      const xOther = x.map((v) => (rng.uniform(0, 1) < 0.1 ? 0 : v));

      // References: the windows as rows (im2col), W's signs, and the signed-sum orders.
      const xWin = new Float32Array(n * R * J);
      for (let b = 0, m = 0; b < n; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++, m++) {
            for (let kh = 0, j = 0; kh < K; kh++) {
              for (let kw = 0; kw < K; kw++) for (let c = 0; c < C; c++, j++) xWin[m * J + j] = x[b * inSize + ((oy + kh) * W + ox + kw) * C + c];
            }
          }
        }
      }
      const wSign = lat.map((v) => (v >= 0 ? 1 : -1));
      const yRef = new Float32Array(n * R * O);
      for (let m = 0; m < n * R; m++) {
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let j = 0; j < J; j++) s += xWin[m * J + j] * wSign[o * J + j];
          yRef[m * O + o] = s;
        }
      }
      const dwRef = signedSumProduct(xWin, dy, n * R, J, O);
      const dyT = new Float32Array(O * n * R);
      for (let m = 0; m < n * R; m++) for (let o = 0; o < O; o++) dyT[o * n * R + m] = dy[m * O + o];
      const pRef = signedSumProduct(wSign, dyT, O, J, n * R); // J x windows
      // col2im: each input value gets its windows' terms in (kh, kw) order.
      const dxRef = new Float32Array(n * inSize);
      for (let kh = 0, j = 0; kh < K; kh++) {
        for (let kw = 0; kw < K; kw++) {
          for (let c = 0; c < C; c++, j++) {
            for (let b = 0, m = 0; b < n; b++) {
              for (let oy = 0; oy < oh; oy++) {
                for (let ox = 0; ox < ow; ox++) dxRef[b * inSize + ((oy + kh) * W + ox + kw) * C + c] += pRef[j * n * R + b * R + oy * ow + ox];
              }
            }
          }
        }
      }

      const [flt, fltOther] = await runConv('float', 1, shape, lat, [x, xOther], dy);
      expect(flt.packedCalls).toBe(0);
      expect(sameValues(flt.y, yRef)).toBe(true);
      for (const [threads, blockBytes] of [[1, undefined], [2, undefined], [1, 1], [2, 1]] as const) {
        const [bin, binOther] = await runConv('binary', threads, shape, lat, [x, xOther], dy, blockBytes);
        const what = `shape ${shape.join('x')}, ${threads} thread(s), block bytes ${blockBytes ?? 'default'}`;
        expect(bin.packedCalls, what).toBeGreaterThan(0);
        expect(sameValues(bin.y, yRef), what).toBe(true);
        expect(sameValues(bin.dw, dwRef), what).toBe(true);
        expect(sameValues(bin.dx, dxRef), what).toBe(true);
        expect(close(bin.dw, flt.dw, 1e-5), what).toBe(true);
        expect(close(bin.dx, flt.dx, 1e-5), what).toBe(true);
        // Other inputs run the float kernels: the float layer's bytes.
        expect(binOther.packedCalls, what).toBe(0);
        for (const k of ['y', 'dx', 'dw'] as const) expect(sameValues(binOther[k], fltOther[k]), `${what}: ${k}`).toBe(true);
      }
    }
  });
});
