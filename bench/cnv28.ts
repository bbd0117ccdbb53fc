/**
 * Benchmark (not a test): cnv28 (src/nn/arch.ts: conv32, conv32, pool, conv64, conv64,
 * pool, fc256, fc10 on 28x28x1) on Fashion-MNIST, in software:
 *
 * - training samples/s at 2 threads beside 1 thread, alternated in the same run (A, B, A,
 *   B, ...; each measurement trains two epochs of `batches` batches of 100 on the same
 *   images and times the second, the first warming up the JIT and the buffers);
 * - integer-model images/s (inferIntBatch, what `bnnc verify` computes the expected
 *   results with) beside the float model's batch inference (predictFloat) on the same
 *   Fashion-MNIST test images, alternated, one thread.
 *
 * The verification of the RTL on all 10 000 test images is bench/verify.ts cnv28; the
 * comparison with PyTorch on MNIST is bench/train.ts --archs cnv28 (needs `make peers`).
 *
 *   npx tsx bench/cnv28.ts [--model FILE] [--batches N] [--reps N] [--images N]
 *
 * Without --model the network has random weights (speed does not depend on the values).
 * Prints the figures and writes bench/out/cnv28.json (figures in bench/common.ts's form).
 */
import os from 'node:os';
import { datasetSpecFromArgs, loadDataset, subset } from '../src/data/registry.js';
import { loadModel, modelHash } from '../src/graph/io.js';
import type { InputSpec, Model } from '../src/graph/types.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { buildModel } from '../src/nn/arch.js';
import { predictFloat } from '../src/nn/predict.js';
import { train } from '../src/nn/train.js';
import { alternate, QUICK, writeBenchJson, type BenchFigure } from './common.js';

const INPUT: InputSpec = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
const BATCH = 100;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const loadBefore = os.loadavg();
const modelFile = arg('model');
const batches = Number(arg('batches') ?? (QUICK ? 2 : 4));
const reps = Number(arg('reps') ?? (QUICK ? 1 : 2));
const inferImages = Number(arg('images') ?? (QUICK ? 200 : 1000));

const trainSet = loadDataset(datasetSpecFromArgs({ dataset: 'fashion-mnist' }), 'train');
const testSet = loadDataset(datasetSpecFromArgs({ dataset: 'fashion-mnist' }), 'test');
const fresh = (): Model => buildModel('cnv28', { input: INPUT, classes: 10, seed: 1 });

/** Training samples/s of the second of two epochs at `threads` threads. */
async function trainRate(threads: number): Promise<number> {
  const r = await train(fresh(), subset(trainSet, 0, batches * BATCH), subset(trainSet, 59000, BATCH), {
    epochs: 2,
    batchSize: BATCH,
    lrStart: 3e-3,
    lrFin: 3e-3,
    seed: 1,
    threads,
  });
  const rate = r.history[1].samplesPerSecond;
  console.log(`  train, ${threads} thread${threads > 1 ? 's' : ''}: ${rate.toFixed(1)} samples/s`);
  return rate;
}

console.log(`cnv28 training on Fashion-MNIST: ${batches} batches of ${BATCH} per epoch, ${reps} runs per thread count, alternated`);
const t = await alternate(() => trainRate(2), () => trainRate(1), reps);

const model = modelFile ? loadModel(modelFile) : fresh();
const folded = foldModel(model, modelFile ? modelHash(model) : 'random');
const n = Math.min(inferImages, testSet.n);
const images = testSet.images.subarray(0, n * 28 * 28);
inferIntBatch(folded, images, Math.min(n, 50)); // warm-up
predictFloat(model, images, Math.min(n, 50));
const timed = (fn: () => void, what: string): number => {
  const t0 = performance.now();
  fn();
  const rate = n / ((performance.now() - t0) / 1000);
  console.log(`  ${what}: ${rate.toFixed(1)} images/s`);
  return rate;
};
console.log(`cnv28 inference on ${n} Fashion-MNIST test images (${modelFile ?? 'random weights'}), one thread, alternated`);
const inf = await alternate(
  () => timed(() => inferIntBatch(folded, images, n), 'integer model (inferIntBatch)'),
  () => timed(() => predictFloat(model, images, n), 'float model (predictFloat)'),
  Math.max(reps, 2) + 1,
);

const figures: BenchFigure[] = [
  { name: 'cnv28 training on Fashion-MNIST, 2 threads', unit: 'samples/s', value: t.a, peer: 'bnnc, 1 thread', peerValue: t.b, ratio: t.a / t.b, better: 'higher', runs: reps },
  { name: 'cnv28 training on Fashion-MNIST, 1 thread', unit: 'samples/s', value: t.b, peer: null, peerValue: null, ratio: null, better: 'higher', runs: reps },
  {
    name: 'cnv28 integer model (inferIntBatch), Fashion-MNIST test images',
    unit: 'images/s',
    value: inf.a,
    peer: 'float model (predictFloat)',
    peerValue: inf.b,
    ratio: inf.a / inf.b,
    better: 'higher',
    runs: inf.as.length,
  },
];
for (const f of figures) {
  console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit}${f.peer ? `; ${f.peer}: ${f.peerValue?.toFixed(1)} (${f.ratio?.toFixed(2)}x)` : ''}`);
}
writeBenchJson('cnv28', figures, { model: modelFile ?? 'random-weight cnv28 (buildModel seed 1)', batches, batchSize: BATCH, reps, inferImages: n, train: t, infer: inf }, loadBefore);
