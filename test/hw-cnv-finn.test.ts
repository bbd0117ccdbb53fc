/**
 * FINN's CNV topology (`--arch cnv`: conv64, conv64, pool, conv128, conv128, pool,
 * conv256, conv256, fc512, fc512, fc10 on 32x32x3) through the whole CLI flow on
 * CIFAR-10-format files: synthetic batch files (test/fixtures/cifar.ts; CIFAR-10 is not on
 * this machine), `bnnc train --arch cnv` for one short epoch, `bnnc compile` at FINN's
 * CNV-W1A1 folding (foldings/cnv-w1a1.json) and at --target-cycles 32768 (FINN's II with
 * the folding of least modelled cost per layer, src/hw/planner.ts), and `bnnc verify` of each design on the test batch:
 * bit-exact against the integer model, II and latency as planned.
 *
 * The reference for the FINN build's per-layer cycles is FINN's own: the "Ext Latency"
 * per layer of Xilinx/BNN-PYNQ bnn/src/network/cnvW1A1/hw/config.h (NF·SF·OFMDim²), which
 * has the same PE and SIMD for the first eight layers (foldings/README.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCli, ROOT, runCli } from './diff/cli.js';
import { writeSyntheticCifar } from './fixtures/cifar.js';

const TEST_IMAGES = 16;
const FOLD_FILE = path.join(ROOT, 'foldings', 'cnv-w1a1.json');
/** BNN-PYNQ cnvW1A1 config.h, "Ext Latency" of L0..L7 (cycles per image). */
const FINN_LAYER_CYCLES = [32400, 28224, 20736, 28800, 20736, 18432, 32768, 32768];
const TARGET = 32768;

interface Stage {
  kind: 'mvtu' | 'pool';
  name: string;
  pe?: number;
  simd?: number;
  frameCycles: number;
}
interface Manifest {
  stages: Stage[];
  cycles: { ii: number; latency: number };
}

let work: string;
let data: string;
let model: string;
const data10 = (): string[] => ['--dataset', 'cifar10', '--data-dir', data];

beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-cnv-finn-'));
  data = writeSyntheticCifar(work, { perTrainFile: 20, testImages: TEST_IMAGES, seed: 11 });
  model = path.join(work, 'cnv.bnn');
  const train = await runCli([
    'train', '--arch', 'cnv', ...data10(), '--epochs', '1', '--holdout', '20', '--batch', '40',
    '--seed', '2', '--threads', '1', '--no-progress', '--out', model,
  ]);
  expect(train.stderr).toBe('');
  expect(train.code).toBe(0);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Compile with the given folding options, verify on the test batch, return the manifest. */
async function compileAndVerify(dir: string, folding: string[]): Promise<Manifest> {
  const rtl = path.join(work, dir);
  const compile = await runCli(['compile', model, '--out', rtl, ...folding]);
  expect(compile.stderr).toBe('');
  expect(compile.code).toBe(0);
  const m = JSON.parse(fs.readFileSync(path.join(rtl, 'manifest.json'), 'utf8')) as Manifest;
  const verify = await runCli(['verify', rtl, ...data10(), '--json']);
  expect(verify.code, verify.stderr).toBe(0);
  const r = JSON.parse(verify.stdout);
  expect(r.failures).toEqual([]);
  expect(r.frames).toBe(TEST_IMAGES);
  expect(r.comparison).toMatchObject({ frames: TEST_IMAGES, lost: 0, extra: 0, mismatchCount: 0 });
  expect(r.cycles.measured).toMatchObject({ ii: m.cycles.ii, latency: m.cycles.latency, iiMin: m.cycles.ii, iiMax: m.cycles.ii });
  return m;
}

describe("FINN's cnv on CIFAR-10-format files, model to verified RTL", () => {
  it("at FINN's CNV-W1A1 folding: FINN's cycles per layer, II 32768, bit-exact", async () => {
    const m = await compileAndVerify('rtl-finn', ['--fold', FOLD_FILE]);
    const fold = JSON.parse(fs.readFileSync(FOLD_FILE, 'utf8')) as { layers: { name: string; pe: number; simd: number }[] };
    const mvtus = m.stages.filter((s) => s.kind === 'mvtu');
    expect(mvtus.map((s) => ({ name: s.name, pe: s.pe, simd: s.simd }))).toEqual(fold.layers);
    expect(mvtus.slice(0, FINN_LAYER_CYCLES.length).map((s) => s.frameCycles)).toEqual(FINN_LAYER_CYCLES);
    // fc8 at PE 5 over 10 classes: NF 2, SF 512 (BNN-PYNQ padded it to 64 outputs at PE 4).
    expect(mvtus[8].frameCycles).toBe(2 * 512);
    expect(m.stages.filter((s) => s.kind === 'pool').map((s) => s.frameCycles)).toEqual([28 * 28, 10 * 10]);
    // The network runs at the slowest layer's rate, as FINN's estimate says.
    expect(m.cycles.ii).toBe(Math.max(...FINN_LAYER_CYCLES));
  });

  it(`at --target-cycles ${TARGET}: every layer within the target, bit-exact`, async () => {
    const m = await compileAndVerify('rtl-target', ['--target-cycles', String(TARGET)]);
    for (const s of m.stages) expect(s.frameCycles, s.name).toBeLessThanOrEqual(TARGET);
    // The network runs at its slowest stage's rate, within the target.
    expect(m.cycles.ii).toBe(Math.max(...m.stages.map((s) => s.frameCycles)));
    expect(m.cycles.ii).toBeLessThanOrEqual(TARGET);
  });
});
