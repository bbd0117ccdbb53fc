/**
 * The cocotb suite on compiled tfc networks (784-64-64-64-10, random weights) at two
 * foldings, on the first 40 MNIST test images (100 with BNNC_FUZZ=full): every result equals the integer model,
 * under random idle cycles, random back-pressure and a reset in the middle of a frame,
 * with the planned latency and II. Then the same design made to ignore m_axis_tready
 * must fail, and the bridge must say which test and which image.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { emitDesign } from '../src/emit/emit.js';
import type { Manifest } from '../src/emit/manifest.js';
import { modelHash } from '../src/graph/io.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { planHardware } from '../src/hw/plan.js';
import { foldModel } from '../src/int/fold.js';
import type { FoldedModel } from '../src/int/types.js';
import { writeVectors } from '../src/int/vectors.js';
import { buildModel } from '../src/nn/arch.js';
import { COCOTB_TESTS, runCocotbVerify } from '../src/sim/cocotb.js';
import { ignoreReadyCopy } from './cocotb-helpers.js';
import { FUZZ_FULL } from './fuzz/level.js';

/** 40 images in make test (each one under every traffic pattern), 100 in make fuzz. */
const IMAGES = FUZZ_FULL ? 100 : 40;
let tmp: string;
let vectors: string;
let folded: FoldedModel;
const labels: number[] = [];

/** Two foldings that exercise different hardware: see each `why`. */
const FOLDINGS: { name: string; spec: FoldingSpec; inPix?: number; why: string }[] = [
  {
    name: 'uniform-4x16',
    spec: { kind: 'uniform', pe: 4, simd: 16 },
    why: 'IN_PIX = SIMD = 16 (the image buffer is one RAM), PE 4 pads the 10-class layer',
  },
  {
    name: 'per-layer-inpix12',
    spec: {
      kind: 'perLayer',
      source: 'test',
      layers: [
        { pe: 8, simd: 28 },
        { pe: 4, simd: 16 },
        { pe: 2, simd: 32 },
        { pe: 5, simd: 8 },
      ],
    },
    inPix: 12,
    why: 'IN_PIX 12 != SIMD (register buffer, 4 padding bytes in the last of 66 beats), a different folding per layer',
  },
];

const compiled = new Map<string, { dir: string; manifest: Manifest }>();

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cocotb-tfc-test-'));
  const model = buildModel('tfc', {
    input: { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 },
    classes: 10,
    seed: 20240,
  });
  folded = foldModel(model, modelHash(model));
  const ds = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'test');
  const npix = 28 * 28;
  const indices = Array.from({ length: IMAGES }, (_, i) => i);
  labels.push(...ds.labels.subarray(0, IMAGES));
  vectors = path.join(tmp, 'tfc.bnnv');
  writeVectors(vectors, folded, ds.images.subarray(0, IMAGES * npix), indices, labels, { activations: false });
  for (const f of FOLDINGS) {
    const plan = planHardware(folded, f.spec, { inPix: f.inPix });
    const dir = path.join(tmp, f.name);
    const manifest = emitDesign(folded, plan, dir);
    compiled.set(f.name, { dir, manifest });
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cocotb suite on compiled tfc designs', () => {
  for (const f of FOLDINGS) {
    it(`passes at folding ${f.name} (${f.why}) on ${IMAGES} MNIST test images`, async () => {
      const { dir, manifest } = compiled.get(f.name)!;
      const before = fs.readdirSync(dir).sort();
      const log: string[] = [];
      const report = await runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, limit: IMAGES, seed: 9, onOutput: (l) => log.push(l) });
      expect(report.failures, log.slice(-40).join('\n')).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.tests.map((t) => t.name)).toEqual([...COCOTB_TESTS]);
      expect(report.tests.every((t) => t.status === 'passed')).toBe(true);
      // every image checked under back-to-back and random traffic, and after the resets
      expect(log.some((l) => l.includes(`test_back_to_back: ${IMAGES} results correct`))).toBe(true);
      expect(log.some((l) => l.includes(`test_random_traffic: ${IMAGES} results correct`))).toBe(true);
      expect(log.some((l) => /reset after \d+ frames \+ [1-9]\d*\/\d+ beats/.test(l))).toBe(true);
      expect(log.some((l) => l.includes('test_reset_mid_frame: 24 results after reset correct'))).toBe(true);
      // the measured figures are the planned ones (the test asserts it; the log shows it)
      const { ii, latency } = manifest.cycles;
      expect(log.some((l) => l.includes(`latency ${latency} cycles`) && l.includes(`planned: latency ${latency}, II ${ii}`))).toBe(true);
      expect(fs.readdirSync(dir).sort()).toEqual(before);
    });
  }

  it('fails when the top level ignores m_axis_tready, naming the tests and the image', async () => {
    const bad = path.join(tmp, 'ignore-ready');
    ignoreReadyCopy(compiled.get(FOLDINGS[0].name)!.dir, bad);
    const report = await runCocotbVerify({
      rtlDir: bad,
      vectorsPath: vectors,
      limit: 10,
      seed: 9,
      tests: ['test_random_traffic', 'test_reset_mid_frame'],
      onOutput: () => {},
    });
    expect(report.ok).toBe(false);
    expect(report.failures.map((t) => [t.name, t.status])).toEqual([
      ['test_random_traffic', 'failed'],
      ['test_reset_mid_frame', 'failed'],
    ]);
    for (const t of report.failures) {
      expect(t.message).toMatch(/^image \d+ \(record \d+\): m_axis_tvalid dropped at cycle \d+ before m_axis_tready took the beat/);
      // the vector file holds MNIST test images 0..99 in order, so image = record
      expect(t.imageIndex).toBe(t.recordIndex);
      expect(t.imageIndex).toBeLessThan(10);
    }
  });
});
