/**
 * Brevitas-trained networks (test/fixtures/qonnx/*.onnx, made by make.py with Brevitas and
 * exported with export_qonnx) imported by bnnc, against the classes qonnx's own executor
 * computed for them (the *.qonnx.json beside each file): no Python at test time.
 *
 * - bnnc's integer model gives qonnx's class on >= 99.9 % of the fixture images;
 * - `bnnc import` -> `bnnc compile` -> `bnnc verify` (Verilator): the RTL equals the integer
 *   model bit for bit on 1 000 test images, for the MLPs and for the ConvNet.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetSpecFromArgs, loadDataset, subset } from '../src/data/registry.js';
import { modelHash } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { importOnnx } from '../src/onnx/import.js';
import { ensureCli, runCli } from './diff/cli.js';

const DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'qonnx');

interface Ref {
  model: string;
  dataset: 'mnist' | 'fashion';
  images: number;
  classes: number[];
  qonnxAccuracy: number;
}

const FIXTURES = ['tfc', 'sfc', 'cnv'] as const;
/** Folding for the RTL runs: II of 1 000 to 6 300 cycles keeps 1 000 frames at a few seconds of simulation. */
const TARGET_CYCLES: Record<(typeof FIXTURES)[number], string> = { tfc: '1000', sfc: '2000', cnv: '5000' };

const ref = (name: string): Ref => JSON.parse(fs.readFileSync(path.join(DIR, `${name}.qonnx.json`), 'utf8')) as Ref;
const bnncDataset = (r: Ref): string => (r.dataset === 'fashion' ? 'fashion-mnist' : 'mnist');

describe('Brevitas QONNX fixtures: bnnc integer model vs qonnx', () => {
  for (const name of FIXTURES) {
    it(`${name}: the integer model's classes equal qonnx's on >= 99.9 % of the fixture images`, () => {
      const r = ref(name);
      expect(r.images).toBeGreaterThanOrEqual(1000);
      expect(r.classes).toHaveLength(r.images);
      const { model } = importOnnx(fs.readFileSync(path.join(DIR, `${name}.onnx`)), `${name}.onnx`, { name, inputScale: 1 / 255 });
      const ds = subset(loadDataset(datasetSpecFromArgs({ dataset: bnncDataset(r) } as never), 'test'), 0, r.images);
      const int = inferIntBatch(foldModel(model, modelHash(model)), ds.images, ds.n);
      const differ: number[] = [];
      let correct = 0;
      for (let i = 0; i < ds.n; i++) {
        if (int.predictions[i] !== r.classes[i]) differ.push(i);
        if (int.predictions[i] === ds.labels[i]) correct++;
      }
      expect(differ.length, `images where bnnc and qonnx differ: ${differ.join(', ')}`).toBeLessThanOrEqual(Math.floor(ds.n * 0.001));
      // the networks learned something (so agreement is not agreement on a constant class)
      expect(correct / ds.n).toBeGreaterThan(0.6);
      expect(Math.abs(correct / ds.n - r.qonnxAccuracy)).toBeLessThanOrEqual(0.001 + 1e-9);
    });
  }
});

describe('Brevitas QONNX fixtures: bnnc import -> compile -> verify (Verilator), 1 000 images', () => {
  let work: string;
  beforeAll(async () => {
    await ensureCli();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-qonnx-rtl-'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const name of FIXTURES) {
    it(`${name}: the RTL equals the integer model bit for bit`, async () => {
      const r = ref(name);
      const bnn = path.join(work, `${name}.bnn`);
      const rtl = path.join(work, `${name}-rtl`);
      const imp = await runCli(['import', path.join(DIR, `${name}.onnx`), '--out', bnn]);
      expect(imp.stderr).toBe('');
      expect(imp.code).toBe(0);
      const comp = await runCli(['compile', bnn, '--out', rtl, '--target-cycles', TARGET_CYCLES[name]]);
      expect(comp.stderr).toBe('');
      expect(comp.code).toBe(0);
      const ver = await runCli(['verify', rtl, '--dataset', bnncDataset(r), '--limit', '1000', '--json']);
      const report = JSON.parse(ver.stdout) as { ok: boolean; frames: number; failures: string[]; comparison: { mismatchCount: number; lost: number; extra: number } };
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.frames).toBe(1000);
      expect(report.comparison).toMatchObject({ mismatchCount: 0, lost: 0, extra: 0 });
      expect(ver.code).toBe(0);
    }, 600_000);
  }
});
