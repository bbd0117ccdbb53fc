/**
 * Checks bnnc against qonnx (Python) on a dataset's test images and prints the figures.
 *
 *   npx tsx tools/qonnx-check.ts import MODEL.onnx REF.json
 *       MODEL.onnx imported by bnnc; its integer model's classes vs the classes in REF.json
 *       (written by `make.py run` or `make.py fixtures`).
 *   npx tsx tools/qonnx-check.ts roundtrip MODEL.bnn [--dataset mnist] [--limit 10000] [--python PY]
 *       MODEL.bnn exported by bnnc, executed by qonnx (test/fixtures/qonnx/make.py run), and
 *       qonnx's classes compared with the integer model's (what `bnnc eval` reports).
 * Writes the figures as JSON to bench/out/qonnx-<command>.json. Needs the Python
 * environment of `make fixtures` (PEERS_VENV) only for roundtrip.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetSpecFromArgs, loadDataset, subset } from '../src/data/registry.js';
import { loadModel, modelHash } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { exportOnnx } from '../src/onnx/export.js';
import { importOnnx } from '../src/onnx/import.js';
import { encodeOnnx } from '../src/onnx/proto.js';
import type { Model } from '../src/graph/types.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const MAKE_PY = path.join(REPO, 'test', 'fixtures', 'qonnx', 'make.py');

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
}

interface Ref { dataset: 'mnist' | 'fashion'; images: number; classes: number[] }

function compare(model: Model, ref: Ref): Record<string, number> {
  const spec = datasetSpecFromArgs({ dataset: ref.dataset === 'fashion' ? 'fashion-mnist' : 'mnist' } as never);
  const ds = subset(loadDataset(spec, 'test'), 0, ref.images);
  const int = inferIntBatch(foldModel(model, modelHash(model)), ds.images, ds.n);
  let differ = 0;
  let intCorrect = 0;
  let qonnxCorrect = 0;
  const where: number[] = [];
  for (let i = 0; i < ds.n; i++) {
    if (int.predictions[i] !== ref.classes[i]) { differ++; where.push(i); }
    if (int.predictions[i] === ds.labels[i]) intCorrect++;
    if (ref.classes[i] === ds.labels[i]) qonnxCorrect++;
  }
  console.log(`${ds.n} images: bnnc integer ${(100 * intCorrect / ds.n).toFixed(2)} %, qonnx ${(100 * qonnxCorrect / ds.n).toFixed(2)} %, ` +
    `classes differ on ${differ} (${(100 * (1 - differ / ds.n)).toFixed(2)} % identical)${where.length ? `: images ${where.slice(0, 10).join(', ')}` : ''}`);
  return { images: ds.n, intAccuracy: intCorrect / ds.n, qonnxAccuracy: qonnxCorrect / ds.n, differ, identical: 1 - differ / ds.n };
}

function write(name: string, figures: object): void {
  fs.mkdirSync(path.join(REPO, 'bench', 'out'), { recursive: true });
  fs.writeFileSync(path.join(REPO, 'bench', 'out', `qonnx-${name}.json`), JSON.stringify(figures, null, 1) + '\n');
}

const [cmd, file, refFile] = process.argv.slice(2);
if (cmd === 'import' && file && refFile) {
  const { model } = importOnnx(fs.readFileSync(file), file, { name: path.basename(file, '.onnx'), inputScale: 1 / 255 });
  write('import', { model: file, ...compare(model, JSON.parse(fs.readFileSync(refFile, 'utf8')) as Ref) });
} else if (cmd === 'roundtrip' && file) {
  const dataset = opt('--dataset', 'mnist');
  const limit = opt('--limit', '10000');
  const python = opt('--python', path.join(process.env.PEERS_VENV ?? path.join(REPO, '.venv-peers'), 'bin', 'python'));
  const model = loadModel(file);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-qonnx-'));
  try {
    const onnx = path.join(tmp, 'model.onnx');
    fs.writeFileSync(onnx, encodeOnnx(exportOnnx(model, { inputScale: 1 / 255, version: 'check' })));
    const out = path.join(tmp, 'qonnx.json');
    execFileSync(python, [MAKE_PY, 'run', onnx, '--dataset', dataset === 'fashion-mnist' ? 'fashion' : dataset, '--limit', limit, '--out', out], { stdio: ['ignore', 'inherit', 'ignore'] });
    const ref = JSON.parse(fs.readFileSync(out, 'utf8')) as Ref;
    write('roundtrip', { model: file, sourceHash: modelHash(model), ...compare(model, ref) });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else {
  console.error('usage: tools/qonnx-check.ts import MODEL.onnx REF.json | roundtrip MODEL.bnn [--dataset D] [--limit N] [--python PY]');
  process.exit(2);
}
