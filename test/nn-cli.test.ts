/** `bnnc train` through yargs: outputs, metadata, curves and errors. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import trainCommand from '../src/commands/train.js';
import { InputError } from '../src/errors.js';
import { loadModel, modelHash } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { predictFloat } from '../src/nn/predict.js';
import { mnist } from './nn-helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-train-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<void> {
  await yargs(args).command(trainCommand).strict().fail(false).parseAsync();
}

describe('bnnc train', () => {
  it('trains, saves the best model with its metadata, and writes curves beside it', async () => {
    const out = path.join(dir, 'tiny-tfc.bnn');
    await run(['train', '--arch', 'tfc', '--dataset', 'mnist', '--epochs', '2', '--batch', '50', '--seed', '4',
      '--limit', '1000', '--holdout', '500', '--threads', '1', '--lr-fin', '3e-4', '--out', out, '--no-progress']);
    const model = loadModel(out);
    expect(model.graph.name).toBe('tiny-tfc');
    expect(model.graph.arch).toBe('tfc');
    const meta = model.graph.meta as Record<string, unknown>;
    expect(meta).toMatchObject({ arch: 'tfc', seed: 4, epochs: 2, batchSize: 50, trainImages: 1000, valImages: 500, dataset: 'mnist', holdout: 500 });
    expect([1, 2]).toContain(meta.bestEpoch);

    const curves = JSON.parse(fs.readFileSync(`${out}.curves.json`, 'utf8'));
    expect(curves.epochs).toHaveLength(2);
    expect(curves.bestEpoch).toBe(meta.bestEpoch);
    const best = curves.epochs[(meta.bestEpoch as number) - 1];
    expect(meta.valAccuracy).toBe(best.valAccuracy);
    expect(curves.epochs[0].lr).toBe(3e-3);
    expect(curves.epochs[1].lr).toBeCloseTo(3e-3 * Math.sqrt(0.1), 12);

    const svg = fs.readFileSync(`${out}.curves.svg`, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>validation<');
    expect(svg).toContain('>accuracy (%)<');
    expect(svg).toContain('>epoch<');
    // The report's curves chart (Vega-Lite): a line per series, train/val accuracy and train/val loss.
    expect(svg.match(/class="mark-line role-mark /g)).toHaveLength(4);
    // One point per epoch and series, at the recorded validation accuracy (Vega's label rounds to 3 digits).
    const val1 = Number((curves.epochs[0].valAccuracy * 100).toPrecision(3));
    expect(svg).toContain(`aria-label="epoch: 1; accuracy (%): ${val1}; series: validation"`);

    // It learned something: well above chance on test images.
    const test = mnist('test');
    const { predictions } = predictFloat(model, test.images, 500);
    let ok = 0;
    for (let i = 0; i < 500; i++) if (predictions[i] === test.labels[i]) ok++;
    expect(ok / 500).toBeGreaterThan(0.5);
    // No temporary files left behind.
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('--init continues from a saved model: its weights, not fresh ones, and the same split', async () => {
    const first = path.join(dir, 'tiny-tfc.bnn'); // the first test's model: seed 4, holdout 500
    const initial = loadModel(first);
    const common = ['--dataset', 'mnist', '--batch', '50', '--seed', '4', '--limit', '1000', '--holdout', '500', '--threads', '1', '--no-progress'];
    // A learning rate of ~0: the weights are the first model's (batch norm's running statistics move on).
    const still = path.join(dir, 'still.bnn');
    await run(['train', '--init', first, ...common, '--epochs', '1', '--lr-start', '1e-12', '--lr-fin', '1e-12', '--out', still]);
    const stillModel = loadModel(still);
    expect(stillModel.graph.layers).toEqual(initial.graph.layers);
    let weights = 0;
    for (const [name, t] of initial.tensors) {
      if (!name.endsWith('.weight')) continue;
      const u = stillModel.tensors.get(name)!;
      weights++;
      let maxDiff = 0;
      for (let i = 0; i < t.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(t.data[i] - u.data[i]));
      expect(maxDiff, name).toBeLessThan(1e-6);
    }
    expect(weights).toBeGreaterThan(0);
    expect(stillModel.graph.meta).toMatchObject({ continuedFrom: modelHash(initial), priorEpochs: 2, epochs: 1, seed: 4, holdout: 500 });

    // At a real learning rate the first epoch starts where the first run ended: its
    // training accuracy is above the fresh run's first epoch.
    const more = path.join(dir, 'more.bnn');
    await run(['train', '--init', first, ...common, '--epochs', '1', '--lr-start', '3e-4', '--out', more]);
    const fresh = JSON.parse(fs.readFileSync(`${first}.curves.json`, 'utf8'));
    const cont = JSON.parse(fs.readFileSync(`${more}.curves.json`, 'utf8'));
    expect(cont.epochs[0].trainAccuracy).toBeGreaterThan(fresh.epochs[0].trainAccuracy + 0.05);
    expect(cont.arch).toBe('tfc');

    // Another seed or holdout would train on the first run's validation images.
    const bad = path.join(dir, 'bad-init.bnn');
    await expect(run(['train', '--init', first, ...common.map((a) => (a === '4' ? '5' : a)), '--out', bad])).rejects.toThrow(
      /tiny-tfc\.bnn: training seed: expected --seed 5 to be the one it was trained with, got 4/,
    );
    await expect(run(['train', '--init', first, ...common.map((a) => (a === '500' ? '600' : a)), '--out', bad])).rejects.toThrow(/training holdout/);
    await expect(run(['train', '--init', first, '--arch', 'tfc', ...common, '--out', bad])).rejects.toThrow(/--arch \/ --init: expected exactly one of them.*got both/);
    await expect(run(['train', ...common, '--out', bad])).rejects.toThrow(/got neither/);
    await expect(run(['train', '--init', first, ...common, '--input-bits', '1', '--out', bad])).rejects.toThrow(/--input-bits: expected not with --init/);
    await expect(run(['train', '--init', path.join(dir, 'missing.bnn'), ...common, '--out', bad])).rejects.toThrow(InputError);
    expect(fs.existsSync(bad)).toBe(false);
    // Never over the file it continues from.
    const before = fs.readFileSync(first);
    await expect(run(['train', '--init', first, ...common, '--out', first])).rejects.toThrow(/refusing to write the model file over the model file to continue from/);
    expect(fs.readFileSync(first).equals(before)).toBe(true);
  });

  it('rejects bad options with a one-line InputError', async () => {
    const out = path.join(dir, 'bad.bnn');
    await expect(run(['train', '--arch', 'tfc', '--epochs', '0', '--out', out])).rejects.toThrow(/--epochs: expected a positive integer/);
    await expect(run(['train', '--arch', 'tfc', '--lr-start', '-1', '--out', out])).rejects.toThrow(InputError);
    await expect(run(['train', '--arch', 'nope', '--limit', '100', '--out', out])).rejects.toThrow(/arch: name: expected one of/);
    await expect(run(['train', '--arch', 'tfc', '--input-bits', '2', '--out', out])).rejects.toThrow(/--input-bits: expected 1 or 8, got 2/);
    await expect(run(['train', '--arch', 'tfc', '--input-bits', '1', '--input-threshold', '0', '--out', out])).rejects.toThrow(/--input-threshold: expected an integer in 1\.\.255/);
    await expect(run(['train', '--arch', 'tfc', '--input-threshold', '100', '--out', out])).rejects.toThrow(/--input-threshold: expected only with --input-bits 1/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--input-bits 1 trains on the binarized input (p >= 128) and the folded model equals the float one', async () => {
    const out = path.join(dir, 'bin-tfc.bnn');
    await run(['train', '--arch', 'tfc', '--dataset', 'mnist', '--epochs', '1', '--batch', '50', '--seed', '4',
      '--limit', '1000', '--holdout', '500', '--threads', '1', '--input-bits', '1', '--out', out, '--no-progress']);
    const model = loadModel(out);
    expect(model.graph.version).toBe(2);
    expect(model.graph.input).toEqual({ height: 28, width: 28, channels: 1, bits: 1, threshold: 128 });
    const test = mnist('test');
    const n = 500;
    const { predictions } = predictFloat(model, test.images, n);
    let ok = 0;
    for (let i = 0; i < n; i++) if (predictions[i] === test.labels[i]) ok++;
    // One epoch of 1000 images: well above chance (0.1); 0.47 with this seed.
    expect(ok / n).toBeGreaterThan(0.3);
    const f = foldModel(model, 'x');
    expect(f.inputThreshold).toBe(128);
    expect(Array.from(inferIntBatch(f, test.images, n).predictions)).toEqual(Array.from(predictions));
  });
});
