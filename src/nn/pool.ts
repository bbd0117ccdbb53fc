/**
 * Runs the SIMD kernels on one or more threads over the arena's shared memory.
 *
 * Each kernel call is split into contiguous ranges of output rows (or elements); the
 * main thread runs the first range and each worker one of the others, and the call
 * returns when all are done. Every output element is computed by exactly one thread
 * with the same float operations it would get single-threaded, so results are
 * byte-identical for any thread count and any timing -- there is no cross-thread
 * reduction at all.
 *
 * Workers are plain JavaScript passed as a string (`eval: true`): they need nothing
 * but the compiled wasm module and the shared memory, so the same code runs from
 * dist/ and from the TypeScript sources under vitest.
 */
import { Worker } from 'node:worker_threads';
import type { Arena } from './arena.js';
import {
  instantiateKernels,
  KERNEL_NAMES,
  KERNEL_SIGNATURES,
  kernelModule,
  TILE_FLOATS,
  type KernelExports,
  type KernelName,
} from './wasm/kernels.js';

// Control block layout (Int32 slots).
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ERR = 3;
const ARGS = 4;
/** Jobs run by the worker so far (statistics, and the check that none runs twice). */
const JOBS = ARGS + 16;
const CONTROL_INTS = JOBS + 1;
const SHUTDOWN = -1;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names, sigs } = workerData;
const ex = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const ci = new Int32Array(control);
const cf = new Float32Array(control);
const fns = names.map((n) => ex[n]);
let seq = 0;
for (;;) {
  Atomics.wait(ci, ${SEQ}, seq);
  const next = Atomics.load(ci, ${SEQ});
  // A wake-up without a new job is a late notify: the caller stored job k, was preempted
  // before notifying, and this thread ran job k meanwhile. Running it again would add
  // its contribution twice.
  if (next === seq) continue;
  seq = next;
  if (seq === ${SHUTDOWN}) break;
  try {
    const sig = sigs[ci[${FN}]];
    const args = new Array(sig.length);
    for (let k = 0; k < sig.length; k++) args[k] = sig[k] === 'f32' ? cf[${ARGS} + k] : ci[${ARGS} + k];
    fns[ci[${FN}]](...args);
  } catch (e) {
    ci[${ERR}] = 1;
  }
  ci[${JOBS}]++;
  Atomics.store(ci, ${DONE}, seq);
  Atomics.notify(ci, ${DONE});
}
`;

/**
 * A worker that has not finished its part after this long is taken as lost (killed by
 * the system, say): the call fails instead of blocking forever. No kernel call of any
 * network bnnc builds comes near it.
 */
const WATCHDOG_MS = 10 * 60 * 1000;

/** Below this many multiply-adds a call is not worth waking a worker for. */
const MIN_PARALLEL_WORK = 1 << 16;

interface WorkerSlot {
  worker: Worker;
  ci: Int32Array;
  cf: Float32Array;
}

export class KernelPool {
  private readonly k: KernelExports;
  private seq = 0;

  private constructor(
    readonly arena: Arena,
    private readonly workers: WorkerSlot[],
  ) {
    this.k = instantiateKernels(arena.memory);
  }

  /** A pool that runs everything on the calling thread. */
  static single(arena: Arena): KernelPool {
    return new KernelPool(arena, []);
  }

  /** A pool of `threads` threads in all (the caller's plus threads - 1 workers). */
  static async create(arena: Arena, threads: number): Promise<KernelPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const slots: WorkerSlot[] = [];
    const names = KERNEL_NAMES;
    const sigs = names.map((n) => KERNEL_SIGNATURES[n]);
    for (let t = 1; t < threads; t++) {
      const control = new SharedArrayBuffer(4 * CONTROL_INTS);
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: kernelModule(), memory: arena.memory, control, names, sigs },
      });
      await new Promise<void>((resolve, reject) => {
        worker.once('online', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`kernel worker exited during startup (code ${code})`)));
      });
      // A pool someone forgot to close must not keep the process alive.
      worker.unref();
      slots.push({ worker, ci: new Int32Array(control), cf: new Float32Array(control) });
    }
    return new KernelPool(arena, slots);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Kernel calls each worker has run. */
  workerJobs(): number[] {
    return this.workers.map((w) => Atomics.load(w.ci, JOBS));
  }

  async close(): Promise<void> {
    for (const w of this.workers) {
      Atomics.store(w.ci, SEQ, SHUTDOWN);
      Atomics.notify(w.ci, SEQ);
    }
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }

  private i32(): Int32Array {
    return new Int32Array(this.arena.memory.buffer);
  }

  /**
   * Split [0, n) into one range per thread so that each gets about the same `cost`
   * (cost(k) = cumulative cost of the first k items, nondecreasing).
   */
  private ranges(n: number, cost: (k: number) => number): number[] {
    const t = this.threads;
    const bounds = [0];
    const total = cost(n);
    for (let p = 1; p < t; p++) {
      const target = (total * p) / t;
      let lo = bounds[p - 1];
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cost(mid) < target) lo = mid + 1;
        else hi = mid;
      }
      bounds.push(lo);
    }
    bounds.push(n);
    return bounds;
  }

  /** Run `name` once per range: workers get parts 1.., the caller runs part 0. */
  private dispatch(name: KernelName, parts: number[][]): void {
    const fn = KERNEL_NAMES.indexOf(name);
    const sig = KERNEL_SIGNATURES[name];
    this.seq++;
    const started: WorkerSlot[] = [];
    for (let p = 1; p < parts.length; p++) {
      const w = this.workers[p - 1];
      const args = parts[p];
      w.ci[FN] = fn;
      for (let a = 0; a < args.length; a++) {
        if (sig[a] === 'f32') w.cf[ARGS + a] = args[a];
        else w.ci[ARGS + a] = args[a];
      }
      Atomics.store(w.ci, SEQ, this.seq);
      Atomics.notify(w.ci, SEQ);
      started.push(w);
    }
    const own = parts[0] as Parameters<KernelExports[typeof name]>;
    (this.k[name] as (...a: number[]) => void)(...own);
    for (const w of started) {
      const t0 = Date.now();
      while (Atomics.load(w.ci, DONE) !== this.seq) {
        Atomics.wait(w.ci, DONE, Atomics.load(w.ci, DONE), 1000);
        if (Date.now() - t0 > WATCHDOG_MS) throw new Error(`kernel ${name}: worker thread gave no answer for ${WATCHDOG_MS / 1000} s`);
      }
      if (w.ci[ERR] !== 0) throw new Error(`kernel ${name} failed in a worker thread`);
    }
  }

  /** out[k,:] += sum_j val[j] * M[idx[j],:] for rows k < nRows (see kernels.ts). */
  gather(out: number, rowPtr: number, idx: number, val: number, nRows: number, M: number, width: number): void {
    const rp = this.i32();
    const base = rowPtr >> 2;
    const nnz = rp[base + nRows] - rp[base];
    if (this.threads === 1 || nnz * width < MIN_PARALLEL_WORK) {
      this.k.gather(out, rowPtr, idx, val, nRows, M, width);
      return;
    }
    const b = this.ranges(nRows, (k) => rp[base + k] - rp[base] + k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      parts.push([out + b[p] * width * 4, rowPtr + b[p] * 4, idx, val, b[p + 1] - b[p], M, width]);
    }
    this.dispatch('gather', parts);
  }

  /**
   * out[idx[e], o0:o1] += val[e] * M[j, o0:o1] for j < nCols (see kernels.ts); threads
   * split the output columns on register-tile boundaries.
   */
  scatter(out: number, colPtr: number, idx: number, val: number, nCols: number, M: number, width: number): void {
    const rp = this.i32();
    const base = colPtr >> 2;
    const nnz = rp[base + nCols] - rp[base];
    const tiles = Math.ceil(width / TILE_FLOATS);
    if (this.threads === 1 || nnz * width < MIN_PARALLEL_WORK || tiles < 2) {
      this.k.scatter(out, colPtr, idx, val, nCols, M, width, 0, width);
      return;
    }
    const b = this.ranges(tiles, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      parts.push([out, colPtr, idx, val, nCols, M, width, b[p] * TILE_FLOATS, Math.min(width, b[p + 1] * TILE_FLOATS)]);
    }
    this.dispatch('scatter', parts);
  }

  /** out[idx[e]*outStride + j] = dot(A[idx[e],:], B[j,:]) for columns j < nCols. */
  dotsCols(out: number, colPtr: number, idx: number, nCols: number, A: number, B: number, width: number, outStride: number): void {
    const rp = this.i32();
    const base = colPtr >> 2;
    const nnz = rp[base + nCols] - rp[base];
    if (this.threads === 1 || nnz * width < MIN_PARALLEL_WORK) {
      this.k.dotsCols(out, colPtr, idx, nCols, A, B, width, outStride);
      return;
    }
    const b = this.ranges(nCols, (k) => rp[base + k] - rp[base] + k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      parts.push([out + b[p] * 4, colPtr + b[p] * 4, idx, b[p + 1] - b[p], A, B + b[p] * width * 4, width, outStride]);
    }
    this.dispatch('dotsCols', parts);
  }

  /**
   * out[a*outStride + b] = dot(A[a,:], B[b,:]) for a < nA, b < nB. `bOuter` streams B
   * once (B large, A cache-resident); otherwise A is streamed once.
   */
  dots(out: number, A: number, nA: number, B: number, nB: number, width: number, outStride: number, bOuter: boolean): void {
    const outer = bOuter ? nB : nA;
    if (this.threads === 1 || nA * nB * width < MIN_PARALLEL_WORK || outer < this.threads) {
      if (bOuter) this.k.dotsByB(out, A, nA, B, nB, width, outStride);
      else this.k.dotsRows(out, A, nA, B, nB, width, outStride);
      return;
    }
    const b = this.ranges(outer, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      const n = b[p + 1] - b[p];
      if (bOuter) parts.push([out + b[p] * 4, A, nA, B + b[p] * width * 4, n, width, outStride]);
      else parts.push([out + b[p] * outStride * 4, A + b[p] * width * 4, n, B, nB, width, outStride]);
    }
    this.dispatch(bOuter ? 'dotsByB' : 'dotsRows', parts);
  }

  /**
   * out[r*outStride + o] = bits - 2 popcount(X[r] xor W[o]) for r < n, o < nW (packed
   * +-1 rows of rowBytes bytes; see kernels.ts); threads split the weight rows o.
   */
  binDense(out: number, X: number, n: number, W: number, nW: number, rowBytes: number, outStride: number, bits: number): void {
    if (this.threads === 1 || n * nW * rowBytes < MIN_PARALLEL_WORK * 4 || nW < this.threads) {
      this.k.binDense(out, X, n, W, nW, rowBytes, outStride, bits);
      return;
    }
    const b = this.ranges(nW, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      parts.push([out + b[p] * 4, X, n, W + b[p] * rowBytes, b[p + 1] - b[p], rowBytes, outStride, bits]);
    }
    this.dispatch('binDense', parts);
  }

  /** The table of signed sums of blocks of 4 rows of G (see kernels.ts). One thread (it is small). */
  signedSums(T: number, G: number, nb: number, width: number): void {
    this.k.signedSums(T, G, nb, width);
  }

  /**
   * out[j,:] = sum_b T[b*16 + idx[j*nb + b], :] for j < rows (added to out's values with
   * `accumulate`); threads split the columns on tiles, or the rows j when the columns are
   * one tile. The blocks go in chunks whose rows of the table (16 per block, one register
   * tile wide) fit in ~128 KiB: the table is read at random rows.
   */
  signSumsDW(out: number, T: number, idx: number, nb: number, rows: number, width: number, accumulate = false): void {
    const tiles = Math.ceil(width / TILE_FLOATS);
    const chunk = Math.max(1, Math.floor((128 * 1024) / (16 * TILE_FLOATS * 4)));
    for (let b0 = 0; b0 < nb; b0 += chunk) {
      const b1 = Math.min(nb, b0 + chunk);
      const acc = accumulate || b0 > 0 ? 1 : 0;
      if (this.threads === 1 || (b1 - b0) * rows * width < MIN_PARALLEL_WORK || (tiles < 2 && rows < this.threads)) {
        this.k.signSumsDW(out, T, idx, nb, b0, b1, rows, width, 0, width, acc);
        continue;
      }
      const parts: number[][] = [];
      if (tiles >= 2) {
        const b = this.ranges(tiles, (k) => k);
        for (let p = 0; p + 1 < b.length; p++) {
          parts.push([out, T, idx, nb, b0, b1, rows, width, b[p] * TILE_FLOATS, Math.min(width, b[p + 1] * TILE_FLOATS), acc]);
        }
      } else {
        const b = this.ranges(rows, (k) => k);
        for (let p = 0; p + 1 < b.length; p++) {
          parts.push([out + b[p] * width * 4, T, idx + b[p] * nb, nb, b0, b1, b[p + 1] - b[p], width, 0, width, acc]);
        }
      }
      this.dispatch('signSumsDW', parts);
    }
  }

  /** idx[j*nb + b] = sign bits of column j of rows 4b..4b+3 of X, j < bits (see kernels.ts); threads split j by words. */
  blockNibbles(idx: number, X: number, nb: number, rowBytes: number, bits: number): void {
    const words = Math.ceil(bits / 32);
    if (this.threads === 1 || nb * bits * 4 < MIN_PARALLEL_WORK || words < this.threads) {
      this.k.blockNibbles(idx, X, nb, rowBytes, 0, bits);
      return;
    }
    const b = this.ranges(words, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) parts.push([idx, X, nb, rowBytes, b[p] * 32, Math.min(bits, b[p + 1] * 32)]);
    this.dispatch('blockNibbles', parts);
  }

  /**
   * col2im (see kernels.ts): jList holds the window columns grouped by input channel,
   * `perChannel` consecutive entries per channel; threads split the channels, so each dx
   * value is written by one thread and gets its terms in list order.
   */
  addWindows(
    dx: number, P: number, nPad: number, nImg: number, oh: number, ow: number, inSize: number, rowStride: number, C: number,
    jList: number, offs: number, perChannel: number,
  ): void {
    const nj = C * perChannel;
    if (this.threads === 1 || nImg * oh * ow * nj < MIN_PARALLEL_WORK || C < this.threads) {
      this.k.addWindows(dx, P, nPad, nImg, oh, ow, inSize, rowStride, C, jList, offs, nj);
      return;
    }
    const b = this.ranges(C, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      parts.push([dx, P, nPad, nImg, oh, ow, inSize, rowStride, C, jList + b[p] * perChannel * 4, offs, (b[p + 1] - b[p]) * perChannel]);
    }
    this.dispatch('addWindows', parts);
  }

  /** The sign activation and its mask for n values (see kernels.ts); threads split groups of 16. */
  signForward(y: number, pass: number, x: number, n: number): void {
    const groups = Math.ceil(n / 16);
    if (this.threads === 1 || n < MIN_PARALLEL_WORK * 4) {
      this.k.signForward(y, pass, x, n);
      return;
    }
    const b = this.ranges(groups, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) parts.push([y + b[p] * 64, pass + b[p] * 16, x + b[p] * 64, (b[p + 1] - b[p]) * 16]);
    this.dispatch('signForward', parts);
  }

  /**
   * Batch-norm sums over rows (see kernels.ts): acc[f] += x or (x - mean)^2 per feature f,
   * F a multiple of 4; threads split the features.
   */
  bnSums(squares: boolean, acc: number, x: number, rows: number, F: number, mean: number): void {
    const name = squares ? 'bnSumSquares' : 'bnSum';
    const groups = F >> 2;
    if (this.threads === 1 || rows * F < MIN_PARALLEL_WORK * 4 || groups < this.threads) {
      this.k[name](acc, x, rows, F, 0, F, mean);
      return;
    }
    // Whole 16-feature groups per thread where possible (the kernel's wide step).
    const b = this.ranges(groups, (k) => k).map((g, i, all) => (i === 0 || i === all.length - 1 ? g * 4 : Math.min(F, Math.round(g / 4) * 16)));
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) if (b[p + 1] > b[p]) parts.push([acc, x, rows, F, b[p], b[p + 1], mean]);
    this.dispatch(name, parts);
  }

  /** Batch norm's normalisation in training (see kernels.ts); threads split the rows. */
  bnApply(y: number, xhat: number, x: number, rows: number, F: number, mean: number, inv: number, g: number, b: number): void {
    if (this.threads === 1 || rows * F < MIN_PARALLEL_WORK * 4 || rows < this.threads) {
      this.k.bnApply(y, xhat, x, rows, F, mean, inv, g, b);
      return;
    }
    const r = this.ranges(rows, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < r.length; p++) {
      const at = r[p] * F * 4;
      parts.push([y + at, xhat + at, x + at, r[p + 1] - r[p], F, mean, inv, g, b]);
    }
    this.dispatch('bnApply', parts);
  }

  /** Batch norm's backward sums (see kernels.ts); threads split the features (groups of 8). */
  bnBackSums(acc: number, dy: number, xhat: number, rows: number, F: number): void {
    const groups = F >> 2;
    if (this.threads === 1 || rows * F < MIN_PARALLEL_WORK * 4 || groups < this.threads) {
      this.k.bnBackSums(acc, dy, xhat, rows, F, 0, F);
      return;
    }
    const b = this.ranges(groups, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) parts.push([acc, dy, xhat, rows, F, b[p] * 4, b[p + 1] * 4]);
    this.dispatch('bnBackSums', parts);
  }

  /** Batch norm's input gradient (see kernels.ts); threads split the rows. */
  bnBackApply(dx: number, dy: number, xhat: number, rows: number, F: number, m1: number, m2: number, k: number): void {
    if (this.threads === 1 || rows * F < MIN_PARALLEL_WORK * 4 || rows < this.threads) {
      this.k.bnBackApply(dx, dy, xhat, rows, F, m1, m2, k);
      return;
    }
    const r = this.ranges(rows, (q) => q);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < r.length; p++) {
      const at = r[p] * F * 4;
      parts.push([dx + at, dy + at, xhat + at, r[p + 1] - r[p], F, m1, m2, k]);
    }
    this.dispatch('bnBackApply', parts);
  }

  /** out[k] = sign bits of latent[4k..4k+3] (see kernels.ts). One thread. */
  signNibbles(out: number, latent: number, nVec: number): void {
    this.k.signNibbles(out, latent, nVec);
  }

  /** bin = sign(latent) (+-1), colSum += its rows; see kernels.ts. One thread (it is cheap). */
  signs(bin: number, latent: number, rows: number, width: number, colSum: number): void {
    this.k.signs(bin, latent, rows, width, colSum);
  }

  /** Pack sign(latent) by neuron (width neurons, a multiple of 4); threads split the neurons. */
  packSigns(bits: number, latent: number, rows: number, width: number, words: number): void {
    const groups = width >> 2;
    if (this.threads === 1 || rows * width < MIN_PARALLEL_WORK || groups < this.threads) {
      this.k.packSigns(bits, latent, rows, width, width, words);
      return;
    }
    const b = this.ranges(groups, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      // Each part is a narrower matrix of the same row stride: latent offset, fewer columns.
      parts.push([bits + b[p] * 4 * words * 4, latent + b[p] * 16, rows, width, (b[p + 1] - b[p]) * 4, words]);
    }
    this.dispatch('packSigns', parts);
  }

  /** One Adam step with clipping on n floats (n a multiple of 4); see kernels.ts. */
  adam(
    w: number, g: number, m: number, v: number, n: number,
    step: number, b1: number, c1: number, b2: number, c2: number, eps: number, lo: number, hi: number,
  ): void {
    if (this.threads === 1 || n * 8 < MIN_PARALLEL_WORK) {
      this.k.adam(w, g, m, v, n, step, b1, c1, b2, c2, eps, lo, hi);
      return;
    }
    const quads = n >> 2;
    const b = this.ranges(quads, (k) => k);
    const parts: number[][] = [];
    for (let p = 0; p + 1 < b.length; p++) {
      const off = b[p] * 16;
      parts.push([w + off, g + off, m + off, v + off, (b[p + 1] - b[p]) * 4, step, b1, c1, b2, c2, eps, lo, hi]);
    }
    this.dispatch('adam', parts);
  }
}
