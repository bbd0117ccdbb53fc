/**
 * BinaryNet training loop, after the reference binary_net.train: shuffle the training
 * set every epoch, one Adam step per mini-batch on the squared hinge loss, learning
 * rate decayed exponentially per epoch, validation on a held-out set after every epoch
 * (never the test set), and the model of the best validation epoch kept (a later epoch
 * wins a tie, as in the reference's `<=`).
 *
 * Everything random comes from the seed: the shuffles and the dropout masks draw from
 * two generators forked from Rng(seed), so the same seed gives the same model bytes,
 * with any number of threads (see pool.ts).
 */
import { InputError } from '../errors.js';
import type { Dataset } from '../data/types.js';
import type { Model, Tensor } from '../graph/types.js';
import { Rng } from '../util/rng.js';
import { Adam } from './adam.js';
import { Arena } from './arena.js';
import { squaredHinge } from './loss.js';
import type { KernelChoice } from './layers/layer.js';
import { Network } from './network.js';
import { KernelPool } from './pool.js';
import { lrAt } from './schedule.js';

export interface TrainOptions {
  epochs: number;
  /** Mini-batch size (the reference uses 100). Leftover images of an epoch are skipped. */
  batchSize: number;
  /** Learning rate of the first epoch and the rate it decays towards (reference: 3e-3, 3e-7). */
  lrStart: number;
  lrFin: number;
  seed: number;
  /** Threads for the numeric kernels (results do not depend on it). Default 1. */
  threads?: number;
  /**
   * 'binary' (default): packed XNOR-popcount forward where a binary layer's input is all
   * +-1; 'float': float kernels only. The model is the same byte for byte (test/nn-binary-path.test.ts).
   */
  kernels?: KernelChoice;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss (training mode, dropout on). */
  loss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  lr: number;
  /** Wall-clock seconds of the epoch, validation included. */
  seconds: number;
  /** Training images per second (validation excluded). */
  samplesPerSecond: number;
}

export interface TrainHooks {
  /** After every mini-batch: batches done and per epoch, and the batch loss. */
  onBatch?(epoch: number, done: number, total: number, loss: number): void;
  /**
   * After every epoch's validation; `best` when it is the best so far. `current` copies
   * out the model as it is now (for reports that evaluate it elsewhere).
   */
  onEpoch?(record: EpochRecord, best: boolean, current: () => Model): void;
}

export interface TrainResult {
  /** The model of the best validation epoch, with training metadata in graph.meta. */
  model: Model;
  history: EpochRecord[];
  bestEpoch: number;
  bestValAccuracy: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
}

function checkData(model: Model, ds: Dataset, role: string): void {
  const { height, width, channels } = model.graph.input;
  if (ds.height !== height || ds.width !== width || ds.channels !== channels) {
    throw new InputError(ds.name, `${role} images`, `${height}x${width}x${channels} as the model's input`, `${ds.height}x${ds.width}x${ds.channels}`);
  }
  if (ds.classes > model.graph.classes) {
    throw new InputError(ds.name, `${role} classes`, `at most the model's ${model.graph.classes}`, String(ds.classes));
  }
}

function checkOptions(o: TrainOptions): void {
  const src = 'training options';
  const posInt = (field: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(src, field, 'a positive integer', String(v));
  };
  posInt('epochs', o.epochs);
  posInt('batchSize', o.batchSize);
  posInt('threads', o.threads ?? 1);
  if (!(o.lrStart > 0 && Number.isFinite(o.lrStart))) throw new InputError(src, 'lrStart', 'a positive number', String(o.lrStart));
  if (!(o.lrFin > 0 && Number.isFinite(o.lrFin))) throw new InputError(src, 'lrFin', 'a positive number', String(o.lrFin));
  if (!Number.isInteger(o.seed)) throw new InputError(src, 'seed', 'an integer', String(o.seed));
}

/** Loss and accuracy in evaluation mode (running batch-norm statistics, no dropout). */
export function evaluate(net: Network, ds: Dataset): EvalResult {
  const size = net.inputSize;
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < ds.n; start += net.maxBatch) {
    const n = Math.min(net.maxBatch, ds.n - start);
    const scores = net.forward(ds.images.subarray(start * size, (start + n) * size), n, { training: false, rng: null });
    const r = squaredHinge(scores, ds.labels.subarray(start, start + n), n, net.classes);
    loss += r.loss * n;
    correct += r.correct;
  }
  return { loss: ds.n > 0 ? loss / ds.n : 0, accuracy: ds.n > 0 ? correct / ds.n : 0 };
}

export async function train(
  model: Model,
  trainSet: Dataset,
  valSet: Dataset,
  opts: TrainOptions,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  checkOptions(opts);
  checkData(model, trainSet, 'training');
  checkData(model, valSet, 'validation');
  const B = opts.batchSize;
  const batches = Math.floor(trainSet.n / B);
  if (batches < 1) throw new InputError(trainSet.name, 'images', `at least one batch of ${B}`, String(trainSet.n));
  if (valSet.n < 1) throw new InputError(valSet.name, 'validation images', 'at least 1', '0');

  const arena = new Arena();
  const pool = await KernelPool.create(arena, opts.threads ?? 1);
  try {
    const net = Network.create(model, { maxBatch: B, pool, kernels: opts.kernels ?? 'binary' });
    const adam = new Adam(arena, pool, net.params());
    const root = new Rng(opts.seed);
    const shuffleRng = root.fork();
    const dropoutRng = root.fork();
    const size = net.inputSize;
    const classes = net.classes;
    const order = new Uint32Array(trainSet.n);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const pixels = new Uint8Array(B * size);
    const labels = new Uint8Array(B);
    const grad = new Float32Array(B * classes);

    const history: EpochRecord[] = [];
    let best: { epoch: number; acc: number; tensors: Map<string, Tensor> } | null = null;
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const t0 = performance.now();
      const lr = lrAt(epoch, opts.lrStart, opts.lrFin, opts.epochs);
      shuffleRng.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < B; i++) {
          const j = order[b * B + i];
          pixels.set(trainSet.images.subarray(j * size, (j + 1) * size), i * size);
          labels[i] = trainSet.labels[j];
        }
        const scores = net.forward(pixels, B, { training: true, rng: dropoutRng });
        const r = squaredHinge(scores, labels, B, classes, grad);
        net.backward(grad, B);
        adam.step(lr);
        net.invalidate();
        lossSum += r.loss;
        correct += r.correct;
        hooks.onBatch?.(epoch + 1, b + 1, batches, r.loss);
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = evaluate(net, valSet);
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: lossSum / batches,
        trainAccuracy: correct / (batches * B),
        valLoss: val.loss,
        valAccuracy: val.accuracy,
        lr,
        seconds: (performance.now() - t0) / 1000,
        samplesPerSecond: (batches * B) / trainSeconds,
      };
      history.push(record);
      const isBest = best === null || val.accuracy >= best.acc;
      if (isBest) best = { epoch: epoch + 1, acc: val.accuracy, tensors: net.exportTensors() };
      hooks.onEpoch?.(record, isBest, () => ({ graph: model.graph, tensors: net.exportTensors() }));
    }
    if (!best) throw new Error('train: no epoch ran');
    const meta = {
      ...(model.graph.meta ?? {}),
      arch: model.graph.arch,
      seed: opts.seed,
      epochs: opts.epochs,
      batchSize: B,
      lrStart: opts.lrStart,
      lrFin: opts.lrFin,
      trainImages: trainSet.n,
      valImages: valSet.n,
      bestEpoch: best.epoch,
      valAccuracy: best.acc,
    };
    return {
      model: { graph: { ...model.graph, meta }, tensors: best.tensors },
      history,
      bestEpoch: best.epoch,
      bestValAccuracy: best.acc,
    };
  } finally {
    await pool.close();
  }
}
