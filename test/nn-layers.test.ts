/**
 * Layer-by-layer checks of the training code: each backward pass against central
 * finite differences of its own forward, the straight-through estimator, batch-norm
 * statistics, Adam, clipping, the Glorot scale and the learning-rate schedule.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Conv2dSpec, DenseSpec, Tensor } from '../src/graph/types.js';
import { Adam } from '../src/nn/adam.js';
import { Arena } from '../src/nn/arena.js';
import { BatchNormLayer } from '../src/nn/layers/batchnorm.js';
import { ConvLayer } from '../src/nn/layers/conv.js';
import { DenseLayer } from '../src/nn/layers/dense.js';
import { DropoutLayer } from '../src/nn/layers/dropout.js';
import type { KernelChoice, Layer, LayerEnv } from '../src/nn/layers/layer.js';
import { MaxPoolLayer } from '../src/nn/layers/maxpool.js';
import { SignLayer } from '../src/nn/layers/sign.js';
import { squaredHinge } from '../src/nn/loss.js';
import { KernelPool } from '../src/nn/pool.js';
import { glorotLrScale, lrAt, lrDecay } from '../src/nn/schedule.js';
import { Rng } from '../src/util/rng.js';

const TRAIN = { training: true, rng: null };

function env(maxBatch: number, kernels: KernelChoice = 'binary'): LayerEnv {
  const arena = new Arena();
  return { arena, pool: KernelPool.single(arena), maxBatch, kernels };
}

function randomArray(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** L = sum_i y_i * r_i: a scalar loss whose gradient with respect to y is r. */
function probe(layer: Layer, x: Float32Array, n: number, r: Float32Array): number {
  const y = layer.forward(x, n, TRAIN);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += y[i] * r[i];
  return s;
}

/** Central difference of probe() with respect to arr[i] (arr is changed and restored). */
function centralDiff(arr: Float32Array, i: number, h: number, f: () => number, after?: () => void): number {
  const v = arr[i];
  arr[i] = v + h;
  after?.();
  const up = f();
  arr[i] = v - h;
  after?.();
  const down = f();
  arr[i] = v;
  after?.();
  return (up - down) / (2 * h);
}

function expectClose(got: number, want: number, tol: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

function denseSpec(inF: number, outF: number, bias: boolean): DenseSpec {
  return { kind: 'dense', name: 'fc', inFeatures: inF, outFeatures: outF, bias };
}

function denseTensors(rng: Rng, inF: number, outF: number, bias: boolean): Map<string, Tensor> {
  const t = new Map<string, Tensor>();
  t.set('fc.weight', { shape: [outF, inF], data: randomArray(rng, inF * outF) });
  if (bias) t.set('fc.bias', { shape: [outF], data: randomArray(rng, outF) });
  return t;
}

describe('binary dense layer', () => {
  const n = 3;
  const inF = 7;
  const outF = 5; // not a multiple of 4: exercises the padded rows

  it('backward matches finite differences w.r.t. input, weights and bias (real-valued weights)', () => {
    const rng = new Rng(11);
    const layer = new DenseLayer(env(n), denseSpec(inF, outF, true), [1, 1, inF], { binarize: false });
    const tensors = denseTensors(rng, inF, outF, true);
    layer.load(tensors);
    const x = randomArray(rng, n * inF);
    const r = randomArray(rng, n * outF);
    probe(layer, x, n, r);
    const dx = layer.backward(r, n, true)!.slice();
    const [wParam, bParam] = layer.params();
    const dW = wParam.grad.a.slice();
    const db = bParam.grad.a.slice();
    const f = (): number => probe(layer, x, n, r);
    const h = 1e-2;
    for (let i = 0; i < x.length; i++) expectClose(dx[i], centralDiff(x, i, h, f), 1e-3);
    // Weights live transposed and padded inside the layer: latent[j * width + o].
    const width = layer.w.width;
    for (let o = 0; o < outF; o++) {
      for (let j = 0; j < inF; j++) {
        const fd = centralDiff(wParam.value.a, j * width + o, h, f, () => layer.invalidate());
        expectClose(dW[j * width + o], fd, 1e-3);
      }
      expectClose(db[o], centralDiff(bParam.value.a, o, h, f), 1e-3);
    }
  });

  it('forward uses sign(W) with sign(0) = +1; the weight gradient is the one of the binary weight', () => {
    const rng = new Rng(12);
    const layer = new DenseLayer(env(n), denseSpec(inF, outF, false), [1, 1, inF]);
    const tensors = denseTensors(rng, inF, outF, false);
    const w = tensors.get('fc.weight')!.data;
    w[0] = 0;
    w[3] = -0;
    layer.load(tensors);
    const x = randomArray(rng, n * inF);
    const y = layer.forward(x, n, TRAIN).slice();
    for (let b = 0; b < n; b++) {
      for (let o = 0; o < outF; o++) {
        let s = 0;
        for (let j = 0; j < inF; j++) s += (w[o * inF + j] >= 0 ? 1 : -1) * x[b * inF + j];
        expectClose(y[b * outF + o], s, 1e-6);
      }
    }
    // dL/dW[o][j] = sum_b r[b][o] x[b][j], whatever the latent value.
    const r = randomArray(rng, n * outF);
    const dx = layer.backward(r, n, true)!;
    const dW = layer.params()[0].grad.a;
    for (let o = 0; o < outF; o++) {
      for (let j = 0; j < inF; j++) {
        let s = 0;
        for (let b = 0; b < n; b++) s += r[b * outF + o] * x[b * inF + j];
        expectClose(dW[j * layer.w.width + o], s, 1e-6);
      }
    }
    // dL/dx[b][j] = sum_o r[b][o] sign(W[o][j]).
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < inF; j++) {
        let s = 0;
        for (let o = 0; o < outF; o++) s += r[b * outF + o] * (w[o * inF + j] >= 0 ? 1 : -1);
        expectClose(dx[b * inF + j], s, 1e-6);
      }
    }
  });

  it('computes input gradients where a mask asks for them (float kernels: only there; binary kernels: all)', () => {
    for (const kernels of ['float', 'binary'] as KernelChoice[]) {
      const rng = new Rng(13);
      const layer = new DenseLayer(env(n, kernels), denseSpec(inF, outF, false), [1, 1, inF]);
      layer.load(denseTensors(rng, inF, outF, false));
      const x = randomArray(rng, n * inF);
      const r = randomArray(rng, n * outF);
      layer.forward(x, n, TRAIN);
      const full = layer.backward(r, n, true)!.slice();
      const mask = new Uint8Array(n * inF);
      for (let i = 0; i < mask.length; i++) mask[i] = i % 3 === 0 ? 1 : 0;
      const part = layer.backward(r, n, mask)!;
      // Entries outside the mask may hold anything (NeedInput); the float kernels skip them.
      for (let i = 0; i < mask.length; i++) expect(part[i]).toBe(mask[i] || kernels === 'binary' ? full[i] : 0);
      expect(layer.backward(r, n, false)).toBeNull();
    }
  });
});

describe('binary convolution', () => {
  const n = 2;
  const [h, w, c] = [5, 6, 2];
  const spec: Conv2dSpec = { kind: 'conv2d', name: 'conv', inChannels: c, outChannels: 3, kernel: 3, padding: 0, bias: true };

  function conv(binarize: boolean, rng: Rng): { layer: ConvLayer; weights: Float32Array } {
    const layer = new ConvLayer(env(n), spec, [h, w, c], { binarize });
    const weights = randomArray(rng, 3 * 3 * 3 * c);
    const t = new Map<string, Tensor>([
      ['conv.weight', { shape: [3, 3, 3, c], data: weights }],
      ['conv.bias', { shape: [3], data: randomArray(rng, 3) }],
    ]);
    layer.load(t);
    return { layer, weights };
  }

  it('forward equals the direct definition with sign(W)', () => {
    const rng = new Rng(21);
    const { layer, weights } = conv(true, rng);
    const x = randomArray(rng, n * h * w * c);
    const y = layer.forward(x, n, TRAIN);
    const bias = layer.params()[1].value.a;
    expect(layer.outShape).toEqual([3, 4, 3]);
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < 3; oy++) {
        for (let ox = 0; ox < 4; ox++) {
          for (let o = 0; o < 3; o++) {
            let s = bias[o];
            for (let kh = 0; kh < 3; kh++) {
              for (let kw = 0; kw < 3; kw++) {
                for (let ci = 0; ci < c; ci++) {
                  const wv = weights[((o * 3 + kh) * 3 + kw) * c + ci];
                  s += (wv >= 0 ? 1 : -1) * x[b * h * w * c + ((oy + kh) * w + (ox + kw)) * c + ci];
                }
              }
            }
            expectClose(y[((b * 3 + oy) * 4 + ox) * 3 + o], s, 1e-5);
          }
        }
      }
    }
  });

  it('backward matches finite differences w.r.t. input, weights and bias (real-valued weights)', () => {
    const rng = new Rng(22);
    const { layer } = conv(false, rng);
    const x = randomArray(rng, n * h * w * c);
    const r = randomArray(rng, n * layer.outSize);
    probe(layer, x, n, r);
    const dx = layer.backward(r, n, true)!.slice();
    const [wParam, bParam] = layer.params();
    const dW = wParam.grad.a.slice();
    const db = bParam.grad.a.slice();
    const f = (): number => probe(layer, x, n, r);
    const step = 1e-2;
    for (let i = 0; i < x.length; i++) expectClose(dx[i], centralDiff(x, i, step, f), 1e-3);
    for (let i = 0; i < dW.length; i++) {
      if (i % layer.w.width >= 3) continue; // padding columns
      expectClose(dW[i], centralDiff(wParam.value.a, i, step, f, () => layer.invalidate()), 1e-3);
    }
    for (let o = 0; o < 3; o++) expectClose(db[o], centralDiff(bParam.value.a, o, step, f), 1e-3);
  });
});

describe('batch norm', () => {
  it('training forward and backward in kernels (inputs in the arena) give the bits of the JavaScript loops, on 1 and 2 threads', async () => {
    const rng = new Rng(44);
    for (const [n, pixels, F] of [[3, 5, 4], [7, 9, 12], [20, 30, 32], [9, 11, 40], [50, 100, 64]]) {
      const values = randomArray(rng, n * pixels * F, -20, 20);
      const gamma = randomArray(rng, F, -2, 2);
      const beta = randomArray(rng, F);
      const dy = randomArray(rng, n * pixels * F);
      const runs: Float32Array[][] = [];
      for (const threads of [0, 1, 2]) {
        const arena = new Arena();
        const pool = threads === 0 ? KernelPool.single(arena) : await KernelPool.create(arena, threads);
        try {
          const spy = vi.spyOn(pool, 'bnApply');
          const spyBack = vi.spyOn(pool, 'bnBackApply');
          const layer = new BatchNormLayer({ arena, pool, maxBatch: n }, { kind: 'batchnorm', name: 'bn', features: F, eps: 1e-4, momentum: 0.1 }, [1, pixels, F]);
          layer.gamma.a.set(gamma);
          layer.beta.a.set(beta);
          // threads 0: a plain array, so the JavaScript loops; else an arena block
          let x: Float32Array = values.slice();
          let g: Float32Array = dy;
          if (threads > 0) {
            x = arena.f32(values.length).a;
            x.set(values);
            g = arena.f32(dy.length).a;
            g.set(dy);
          }
          const y = layer.forward(x, n, TRAIN).slice();
          expect(spy).toHaveBeenCalledTimes(threads === 0 ? 0 : 1);
          const dx = layer.backward(g, n, true)!.slice();
          expect(spyBack).toHaveBeenCalledTimes(threads === 0 ? 0 : 1);
          runs.push([y, layer.runningMean.slice(), layer.runningVar.slice(), dx, layer.gammaGrad.a.slice(), layer.betaGrad.a.slice()]);
        } finally {
          await pool.close();
        }
      }
      for (const run of runs.slice(1)) {
        for (let k = 0; k < run.length; k++) expect(Buffer.from(run[k].buffer).equals(Buffer.from(runs[0][k].buffer)), `F ${F}, output ${k}`).toBe(true);
      }
    }
  });
  it('training-mode backward matches finite differences w.r.t. input, gamma and beta', () => {
    const rng = new Rng(31);
    const n = 4;
    const shape: [number, number, number] = [2, 1, 3]; // statistics over batch and pixels
    const layer = new BatchNormLayer(env(n), { kind: 'batchnorm', name: 'bn', features: 3, eps: 1e-4, momentum: 0.1 }, shape);
    const [gamma, beta] = layer.params();
    gamma.value.a.set(randomArray(rng, 3, 0.5, 2));
    beta.value.a.set(randomArray(rng, 3));
    const x = randomArray(rng, n * 6, -2, 2);
    const r = randomArray(rng, n * 6);
    probe(layer, x, n, r);
    const dx = layer.backward(r, n, true)!.slice();
    const dGamma = gamma.grad.a.slice();
    const dBeta = beta.grad.a.slice();
    const f = (): number => probe(layer, x, n, r);
    for (let i = 0; i < x.length; i++) expectClose(dx[i], centralDiff(x, i, 1e-2, f), 2e-3);
    for (let k = 0; k < 3; k++) {
      expectClose(dGamma[k], centralDiff(gamma.value.a, k, 1e-2, f), 2e-3);
      expectClose(dBeta[k], centralDiff(beta.value.a, k, 1e-2, f), 2e-3);
    }
  });

  it('uses batch statistics in training, running averages (momentum 0.1) in evaluation', () => {
    const layer = new BatchNormLayer(env(4), { kind: 'batchnorm', name: 'bn', features: 1, eps: 1e-4, momentum: 0.1 }, [1, 1, 1]);
    const [gamma, beta] = layer.params();
    gamma.value.a[0] = 2;
    beta.value.a[0] = 0.5;
    // Batch 1: mean 2.5, biased variance 1.25.
    const y1 = layer.forward(new Float32Array([1, 2, 3, 4]), 4, TRAIN);
    expectClose(y1[0], (2 * (1 - 2.5)) / Math.sqrt(1.25 + 1e-4) + 0.5, 1e-6);
    expectClose(y1[3], (2 * (4 - 2.5)) / Math.sqrt(1.25 + 1e-4) + 0.5, 1e-6);
    expectClose(layer.runningMean[0], 0.9 * 0 + 0.1 * 2.5, 1e-7);
    expectClose(layer.runningVar[0], 0.9 * 1 + 0.1 * 1.25, 1e-7);
    // Batch 2: mean 1, variance 1.
    layer.forward(new Float32Array([0, 0, 2, 2]), 4, TRAIN);
    const mean = 0.9 * 0.25 + 0.1 * 1;
    const variance = 0.9 * 1.025 + 0.1 * 1;
    expectClose(layer.runningMean[0], mean, 1e-7);
    expectClose(layer.runningVar[0], variance, 1e-7);
    const y = layer.forward(new Float32Array([3, -1]), 2, { training: false, rng: null });
    expectClose(y[0], (2 * (3 - mean)) / Math.sqrt(variance + 1e-4) + 0.5, 1e-6);
    expectClose(y[1], (2 * (-1 - mean)) / Math.sqrt(variance + 1e-4) + 0.5, 1e-6);
    // Evaluation leaves the running statistics alone.
    expectClose(layer.runningMean[0], mean, 1e-7);
  });
});

describe('sign with the straight-through estimator', () => {
  it('outputs sign(x) with sign(0) = +1 and passes the gradient exactly where |x| <= 1', () => {
    const x = new Float32Array([-2, -1.0001, -1, -0.5, 0, -0, 0.25, 1, 1.5, 3]);
    const layer = new SignLayer(env(1), { kind: 'sign', name: 's' }, [1, 1, x.length]);
    const y = layer.forward(x, 1, TRAIN);
    expect(Array.from(y)).toEqual([-1, -1, -1, -1, 1, 1, 1, 1, 1, 1]);
    const dy = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const dx = layer.backward(dy, 1, true)!;
    expect(Array.from(dx)).toEqual([0, 0, 3, 4, 5, 6, 7, 8, 0, 0]);
    expect(Array.from(layer.passMask()!.subarray(0, x.length))).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('the kernel (input in the arena) gives the JavaScript loop outputs and mask, on 1 and 2 threads', async () => {
    const rng = new Rng(43);
    const n = 37;
    const size = 1000; // n * size: not a multiple of 16, and enough for 2 threads
    const special = [0, -0, 1, -1, 1.0000001, -1.0000001, NaN, Infinity, -Infinity];
    const values = new Float32Array(n * size).map(() => (rng.uniform(0, 1) < 0.2 ? special[Math.floor(rng.uniform(0, special.length))] : rng.uniform(-3, 3)));
    const expected = (e: LayerEnv, x: Float32Array): [Float32Array, Uint8Array] => {
      const layer = new SignLayer(e, { kind: 'sign', name: 's' }, [1, 1, size]);
      return [layer.forward(x, n, TRAIN).slice(), layer.passMask()!.slice(0, n * size)];
    };
    const [yJs, passJs] = expected(env(n), values.slice());
    for (const threads of [1, 2]) {
      const arena = new Arena();
      const pool = await KernelPool.create(arena, threads);
      try {
        const e: LayerEnv = { arena, pool, maxBatch: n };
        const x = arena.f32(n * size);
        x.a.set(values);
        expect(arena.lineStart(x.a)).toBe(x.ptr);
        const spy = vi.spyOn(pool, 'signForward');
        const [y, pass] = expected(e, x.a);
        expect(spy).toHaveBeenCalledTimes(1);
        expect(Buffer.from(y.buffer).equals(Buffer.from(yJs.buffer))).toBe(true);
        expect(Buffer.from(pass).equals(Buffer.from(passJs))).toBe(true);
      } finally {
        await pool.close();
      }
    }
  });
});

describe('max-pool', () => {
  it('backward matches finite differences (distinct values)', () => {
    const rng = new Rng(41);
    const n = 2;
    const layer = new MaxPoolLayer(env(n), { kind: 'maxpool', name: 'p', size: 2 }, [5, 4, 3]);
    expect(layer.outShape).toEqual([2, 2, 3]);
    // A shuffled ramp: all values distinct and at least 0.05 apart.
    const x = new Float32Array(n * 60);
    for (let i = 0; i < x.length; i++) x[i] = i * 0.05;
    rng.shuffle(x);
    const r = randomArray(rng, n * layer.outSize);
    probe(layer, x, n, r);
    const dx = layer.backward(r, n, true)!.slice();
    for (let i = 0; i < x.length; i++) expectClose(dx[i], centralDiff(x, i, 1e-3, () => probe(layer, x, n, r)), 1e-3);
  });

  it('sends the gradient to every position equal to the maximum', () => {
    const layer = new MaxPoolLayer(env(1), { kind: 'maxpool', name: 'p', size: 2 }, [2, 2, 1]);
    layer.forward(new Float32Array([1, -1, 1, -1]), 1, TRAIN);
    expect(Array.from(layer.backward(new Float32Array([0.5]), 1, true)!)).toEqual([0.5, 0, 0.5, 0]);
  });
});

describe('dropout', () => {
  it('keeps about 1-p of the values, scaled by 1/(1-p), the same mask in backward, identity in evaluation', () => {
    const n = 4000;
    const layer = new DropoutLayer(env(1), { kind: 'dropout', name: 'd', p: 0.25 }, [1, 1, n]);
    const x = new Float32Array(n).fill(3);
    const y = layer.forward(x, 1, { training: true, rng: new Rng(5) });
    let kept = 0;
    for (let i = 0; i < n; i++) {
      expect(y[i] === 0 || y[i] === 4).toBe(true);
      if (y[i] !== 0) kept++;
    }
    expect(Math.abs(kept / n - 0.75)).toBeLessThan(0.03);
    const dx = layer.backward(new Float32Array(n).fill(1), 1, true)!;
    for (let i = 0; i < n; i++) expect(dx[i]).toBe(y[i] === 0 ? 0 : Math.fround(4 / 3));
    // Same seed, same mask.
    const again = new DropoutLayer(env(1), { kind: 'dropout', name: 'd', p: 0.25 }, [1, 1, n]);
    expect(Array.from(again.forward(x, 1, { training: true, rng: new Rng(5) }))).toEqual(Array.from(y));
    expect(layer.forward(x, 1, { training: false, rng: null })).toBe(x);
  });
});

describe('squared hinge loss', () => {
  it('is mean(max(0, 1 - t*y)^2) and its gradient matches finite differences', () => {
    const scores = new Float32Array([2.5, -0.2, 0.3, -1.7, 0.9, -0.4]);
    const labels = [0, 2];
    const grad = new Float32Array(6);
    const r = squaredHinge(scores, labels, 2, 3, grad);
    const t = [1, -1, -1, -1, -1, 1];
    let want = 0;
    for (let i = 0; i < 6; i++) want += Math.max(0, 1 - t[i] * scores[i]) ** 2;
    expectClose(r.loss, want / 6, 1e-7);
    expect(r.correct).toBe(1); // example 0: argmax 0 = label; example 1: argmax 1 != 2
    for (let i = 0; i < 6; i++) {
      const fd = centralDiff(scores, i, 1e-3, () => squaredHinge(scores, labels, 2, 3).loss);
      expectClose(grad[i], fd, 1e-4);
    }
    // t*y > 1 (2.5 and 1.7): no loss, no gradient.
    expect(grad[0]).toBe(0);
    expect(grad[3]).toBe(0);
  });
});

describe('Adam, clipping, Glorot scale, schedule', () => {
  it('one Adam step equals the hand-derived Lasagne update, scaled and clipped for binary weights', () => {
    const arena = new Arena();
    const pool = KernelPool.single(arena);
    const mk = (kind: 'binary' | 'real', lrScale: number, clip: number, w: number[], g: number[]) => {
      const value = arena.f32(4);
      const grad = arena.f32(4);
      value.a.set(w);
      grad.a.set(g);
      return { name: kind, value, grad, kind, lrScale, clip };
    };
    const bin = mk('binary', 3, 1, [0.5, 0.995, -0.2, 0], [0.2, -0.2, 0.001, 0]);
    const real = mk('real', 1, Infinity, [0.5, 1.5, 0, 0], [0.2, -4, 0, 0]);
    const adam = new Adam(arena, pool, [bin, real]);
    const lr = 0.01;
    adam.step(lr);
    // t = 1: m = 0.1 g, v = 0.001 g^2, a_t = lr * sqrt(0.001) / 0.1,
    // step = a_t * m / (sqrt(v) + 1e-8) = lr * sign(g) * (|g| sqrt(0.001)) / (|g| sqrt(0.001) + 1e-8).
    const step1 = (g: number): number => {
      const m = 0.1 * g;
      const v = 0.001 * g * g;
      return ((lr * Math.sqrt(0.001)) / 0.1) * (m / (Math.sqrt(v) + 1e-8));
    };
    expectClose(bin.value.a[0], 0.5 - 3 * step1(0.2), 1e-6);
    expect(bin.value.a[1]).toBe(1); // 0.995 + 0.03 clipped to 1
    expectClose(bin.value.a[2], -0.2 - 3 * step1(0.001), 1e-6);
    expect(bin.value.a[3]).toBe(0); // no gradient, no move
    expectClose(real.value.a[0], 0.5 - step1(0.2), 1e-6);
    expectClose(real.value.a[1], 1.5 + 0.01, 1e-6); // not clipped
    // t = 2 with the same gradient: m = 0.19 g, v = 0.001999 g^2, a_t = lr sqrt(1-0.999^2)/(1-0.9^2).
    adam.step(lr);
    const at2 = (lr * Math.sqrt(1 - 0.999 ** 2)) / (1 - 0.9 ** 2);
    const step2 = (g: number): number => (at2 * 0.19 * g) / (Math.sqrt(0.001999 * g * g) + 1e-8);
    expectClose(real.value.a[0], 0.5 - step1(0.2) - step2(0.2), 1e-6);
    expectClose(bin.value.a[0], 0.5 - 3 * step1(0.2) - 3 * step2(0.2), 1e-6);
  });

  it('Glorot learning-rate scale of known layers', () => {
    expectClose(glorotLrScale(784, 256), Math.sqrt(1040 / 1.5), 1e-12);
    expectClose(glorotLrScale(784, 256), 26.3312, 1e-5);
    // 3x3 convolution 32 -> 64 channels: fanIn 288, fanOut 576: sqrt(864 / 1.5) = 24.
    expectClose(glorotLrScale(288, 576), 24, 1e-12);
    const layer = new ConvLayer(env(1), { kind: 'conv2d', name: 'c', inChannels: 32, outChannels: 64, kernel: 3, padding: 0, bias: false }, [5, 5, 32]);
    expectClose(layer.params()[0].lrScale, 24, 1e-12);
    const dense = new DenseLayer(env(1), denseSpec(784, 256, false), [28, 28, 1]);
    expectClose(dense.params()[0].lrScale, 26.3312, 1e-5);
  });

  it('exponential learning-rate schedule from LR_start towards LR_fin', () => {
    const epochs = 4;
    const d = lrDecay(3e-3, 3e-7, epochs);
    expectClose(d, 0.1, 1e-12); // (1e-4)^(1/4)
    expect(lrAt(0, 3e-3, 3e-7, epochs)).toBe(3e-3);
    expectClose(lrAt(1, 3e-3, 3e-7, epochs) / 3e-4, 1, 1e-12);
    expectClose(lrAt(3, 3e-3, 3e-7, epochs) / 3e-6, 1, 1e-12);
    expectClose(lrAt(4, 3e-3, 3e-7, epochs) / 3e-7, 1, 1e-12);
  });
});
