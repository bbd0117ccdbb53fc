/**
 * cnv28 through the whole flow on Fashion-MNIST: train (one step, so the weights and
 * batch norms are not random but the run is short), compile at --target-cycles 8000,
 * and verify the first 200 test images on Verilator: bit-exact (class and every score),
 * II and latency as planned, nothing lost. Then `bnnc demo --arch cnv28 --model` on the
 * same model (the same Verilog, so the Verilator build is reused) on a few images. The
 * whole 10 000 images are `make demo-cnv`.
 */
import fs from 'node:fs';
import { readRun } from '../src/report/run.js';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { loadFolded } from '../src/int/serialize.js';
import { inferIntBatch } from '../src/int/infer.js';
import { readDesign } from '../src/sim/design.js';
import { verifyRtl } from '../src/sim/verify.js';
import { ensureCli, runCli } from './diff/cli.js';

const IMAGES = 200;
const TARGET = 8000;

let work: string;
let model = '';
beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-cnv28-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('cnv28 on Fashion-MNIST, model file to verified RTL', () => {
  it(`trains one step, compiles at --target-cycles ${TARGET}, and is bit-exact on ${IMAGES} test images with II and latency as planned`, async () => {
    model = path.join(work, 'cnv28.bnn');
    const train = await runCli([
      'train', '--arch', 'cnv28', '--dataset', 'fashion-mnist', '--epochs', '1', '--limit', '100', '--holdout', '100',
      '--batch', '100', '--seed', '3', '--threads', '1', '--no-progress', '--out', model,
    ]);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const rtl = path.join(work, 'rtl');
    const compile = await runCli(['compile', model, '--out', rtl, '--target-cycles', String(TARGET)]);
    expect(compile.stderr).toBe('');
    expect(compile.code).toBe(0);

    const d = readDesign(rtl);
    expect(d.stages.map((s) => s.kind)).toEqual(['mvtu', 'mvtu', 'pool', 'mvtu', 'mvtu', 'pool', 'mvtu', 'mvtu']);
    const manifest = JSON.parse(fs.readFileSync(path.join(rtl, 'manifest.json'), 'utf8'));
    // Every stage's work per frame within the target.
    for (const s of manifest.stages) if (s.frameCycles !== undefined) expect(s.frameCycles).toBeLessThanOrEqual(TARGET);

    const test = loadDataset(datasetSpecFromArgs({ dataset: 'fashion-mnist' }), 'test');
    // The model is not trivial: its predictions on these images spread over several classes.
    const f = loadFolded(d.foldedPath!);
    const preds = inferIntBatch(f, test.images.subarray(0, IMAGES * 784), IMAGES).predictions;
    expect(new Set(preds).size).toBeGreaterThanOrEqual(3);

    const r = await verifyRtl({ rtlDir: rtl, dataset: test, limit: IMAGES });
    expect(r.failures).toEqual([]);
    expect(r.frames).toBe(IMAGES);
    expect(r.comparison.mismatchCount).toBe(0);
    expect(r.comparison.lost + r.comparison.extra).toBe(0);
    expect(r.cycles.source).toBe('main');
    expect(r.cycles.measured).toMatchObject({ ii: d.ii, iiMin: d.ii, iiMax: d.ii, latency: d.latency });
    expect(d.ii).toBe(manifest.cycles.ii);
    // The network II is the slowest stage's work per frame (the queues in front of the
    // sliding-window units let the stages overlap fully).
    expect(d.ii).toBe(Math.max(...manifest.stages.map((s: { frameCycles: number }) => s.frameCycles)));
  });

  it('bnnc demo --arch cnv28 --model M: Fashion-MNIST, no training, RTL equal to the integer model', async () => {
    expect(model).not.toBe('');
    const out = path.join(work, 'demo');
    const r = await runCli(['demo', '--arch', 'cnv28', '--model', model, '--limit', '30', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/bnnc train/);
    expect(r.stdout).toMatch(/bnnc compile .* --target-cycles 8000/);
    expect(r.stdout).toMatch(/30 fashion-mnist test images/);
    const run = readRun(out);
    expect(run.results).toMatchObject({ dataset: 'fashion-mnist', pass: true });
    expect(run.results.int.images).toBe(30);
    expect(run.invocation).toEqual(expect.arrayContaining(['--model', model]));
    const v = JSON.parse(fs.readFileSync(path.join(out, run.files.verify), 'utf8'));
    expect(v.frames).toBe(30);
    expect(v.comparison.mismatchCount).toBe(0);
    expect(v.cycles.measured.ii).toBe(v.cycles.planned.ii);
    expect(v.cycles.measured.latency).toBe(v.cycles.planned.latency);
    // The given model is copied into the run directory, byte for byte.
    expect(fs.readFileSync(path.join(out, run.files.model)).equals(fs.readFileSync(model))).toBe(true);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
  });
});
