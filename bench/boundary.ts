/**
 * Threshold-boundary coverage of trained models (not a test): per threshold layer, the
 * neurons whose accumulator hit T-1 and T and those observed there (the flipped bit
 * changes the scores), on the first 200 MNIST test images, on those 200 with the
 * directed images of `bnnc verify --boundary`, and on all 10 000. The same figures
 * `bnnc verify` prints (src/int/boundary.ts, from the integer model). Prints them and
 * writes bench/out/boundary.json; its figures in the common form of bench/common.ts are,
 * per model, the mean share of threshold neurons observed at T-1 and at T on 200 images with
 * the directed ones, beside the 200 images alone (the baseline, in the same run). No
 * trained model in models/: no figures.
 *
 *   npx tsx bench/boundary.ts [model.bnn ...]     (default: models/{tfc,sfc,lfc}.bnn that exist)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { loadModel, modelHash } from '../src/graph/io.js';
import { BoundaryTracker, searchBoundary, type BoundaryCoverage } from '../src/int/boundary.js';
import { foldModel } from '../src/int/fold.js';
import { writeBenchJson, type BenchFigure } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLE = 200;

interface Row {
  model: string;
  run: string;
  images: number;
  directed: number;
  seconds: number;
  coverage: BoundaryCoverage;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  for (const a of ['tfc', 'sfc', 'lfc']) {
    const f = path.join(root, 'models', `${a}.bnn`);
    if (fs.existsSync(f)) files.push(f);
  }
}
const ds = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'test');
const rows: Row[] = [];
const pct = (k: number, n: number): string => `${((100 * k) / n).toFixed(1)}%`;
for (const file of files) {
  const model = loadModel(file);
  const f = foldModel(model, modelHash(model));
  for (const run of ['200', '200 --boundary', 'all'] as const) {
    const n = run === 'all' ? ds.n : SAMPLE;
    const t0 = Date.now();
    const tr = new BoundaryTracker(f);
    tr.addAll(ds.images, n);
    if (run === '200 --boundary') searchBoundary(tr, ds.images, n, { seed: 1 });
    const seconds = (Date.now() - t0) / 1000;
    const coverage = tr.figures();
    rows.push({ model: file, run, images: n, directed: coverage.directed, seconds, coverage });
    console.log(`${path.basename(file)} ${run}: ${n} images + ${coverage.directed} directed, ${seconds.toFixed(1)} s`);
    for (const l of coverage.layers) {
      console.log(
        `  ${l.name.padEnd(5)} ${l.neurons} neurons  hit T-1 ${pct(l.hitBelow, l.neurons)} T ${pct(l.hitAt, l.neurons)}  ` +
          `observed T-1 ${pct(l.observedBelow, l.neurons)} T ${pct(l.observedAt, l.neurons)}  unreachable ${l.unreachableBelow}/${l.unreachableAt}`,
      );
    }
  }
}
/** Mean of the shares of threshold neurons observed at T-1 and at T, over all layers. */
function observedShare(c: BoundaryCoverage): number {
  const n = c.layers.reduce((a, l) => a + l.neurons, 0);
  return c.layers.reduce((a, l) => a + l.observedBelow + l.observedAt, 0) / (2 * n);
}
const figures: BenchFigure[] = [];
for (const file of files) {
  const of = (run: string): Row => rows.find((r) => r.model === file && r.run === run)!;
  const [base, directed] = [of('200'), of('200 --boundary')];
  const value = observedShare(directed.coverage);
  const peerValue = observedShare(base.coverage);
  figures.push({
    name: `${path.basename(file)}: threshold neurons observed at T-1 and at T (mean share), 200 images + ${directed.directed} directed`,
    unit: 'share',
    value,
    peer: '200 test images alone',
    peerValue,
    ratio: peerValue > 0 ? value / peerValue : null,
    better: 'higher',
    runs: 1,
  });
}
if (files.length === 0) console.log('no trained model in models/ (tfc.bnn, sfc.bnn, lfc.bnn): nothing to measure');
writeBenchJson('boundary', figures, { rows });
