/**
 * The cocotb suite (sim/cocotb/test_bnn_top.py, Icarus) on a ConvNet whose pool drops
 * remainder rows and columns: 6x6 image, conv k2 -> 5x5, pool 3 -> 1x1, so the result
 * depends on the first 22 of the frame's 36 beats (src/hw/result-beats.ts) and may leave
 * before the frame's last beats are accepted. The scoreboard must take such a result
 * as the frame's, not as an unexpected beat, back to back, under back-pressure and around
 * a reset in the middle of a frame.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../src/data/idx.js';
import { InputError } from '../src/errors.js';
import { emitDesign } from '../src/emit/emit.js';
import type { Manifest } from '../src/emit/manifest.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedNet, randomImages } from '../src/hw/random-model.js';
import { resultInputBeats } from '../src/hw/result-beats.js';
import type { FoldedModel } from '../src/int/types.js';
import { encodeFolded } from '../src/int/serialize.js';
import { writeVectors } from '../src/int/vectors.js';
import { COCOTB_TESTS, runCocotbVerify } from '../src/sim/cocotb.js';
import { ensureCli, runCli } from './diff/cli.js';

const IMAGES = 30;
let tmp: string;
let dir: string;
let vectors: string;
let manifest: Manifest;
let f: FoldedModel;
let images: Uint8Array;

beforeAll(async () => {
  await ensureCli();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cocotb-conv-early-test-'));
  f = randomFoldedNet({
    input: [6, 6, 3],
    layers: [{ conv: 8, kernel: 2 }, { pool: 3 }],
    classes: 10,
    seed: 34,
    name: 'cocoearly',
  });
  const plan = planHardware(f, { kind: 'target', targetCycles: 60 });
  dir = path.join(tmp, 'rtl');
  manifest = emitDesign(f, plan, dir, { encodeFolded });
  images = randomImages(78, 6 * 6 * 3, IMAGES);
  const indices = Array.from({ length: IMAGES }, (_, i) => i);
  vectors = path.join(tmp, 'early.bnnv');
  writeVectors(vectors, f, images, indices, new Array<number>(IMAGES).fill(0), { activations: false });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cocotb suite on a ConvNet whose result needs only the leading beats', () => {
  it(`passes on ${IMAGES} images: back to back, random traffic, reset mid-frame, cycle figures`, async () => {
    const beats = manifest.input.beats;
    expect(beats).toBe(36);
    expect(resultInputBeats(f, beats)).toBe(22);
    const log: string[] = [];
    const report = await runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, limit: IMAGES, seed: 4, resultBeats: resultInputBeats(f, beats), onOutput: (l) => log.push(l) });
    expect(report.failures, log.slice(-40).join('\n')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.tests.map((t) => t.name)).toEqual([...COCOTB_TESTS]);
    expect(log.some((l) => l.includes(`test_back_to_back: ${IMAGES} results correct`))).toBe(true);
    expect(log.some((l) => l.includes(`test_random_traffic: ${IMAGES} results correct`))).toBe(true);
    // Seed 4 cuts the frame after 23 of its 36 beats: past the 22 its result depends on,
    // so the reset drops a frame the scoreboard already expects a result of.
    expect(log.some((l) => /reset after \d+ frames \+ 23\/36 beats: \d+ results came out before it, [1-9]\d* in flight dropped/.test(l))).toBe(true);
    expect(log.some((l) => /test_reset_mid_frame: \d+ results after reset correct/.test(l))).toBe(true);
    const { ii, latency } = manifest.cycles;
    expect(log.some((l) => l.includes(`latency ${latency} cycles`) && l.includes(`planned: latency ${latency}, II ${ii}`))).toBe(true);
  });

  it('without the figure (a result needs all 36 beats), fails with an unexpected result beat', async () => {
    const log: string[] = [];
    const report = await runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, limit: IMAGES, seed: 4, tests: ['test_random_traffic'], onOutput: (l) => log.push(l) });
    expect(report.ok).toBe(false);
    expect(report.failures.map((t) => t.name)).toEqual(['test_random_traffic']);
    expect(report.failures[0].message).toMatch(/^unexpected result beat at cycle \d+/);
  });

  it('rejects a result-beats figure beyond the frame before building', async () => {
    const run = runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, resultBeats: 37, onOutput: () => {} });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/--result-beats: value: expected 1 to 36/);
    await expect(runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, resultBeats: 0 })).rejects.toThrow(/resultBeats: expected a positive integer/);
  });

  it('bnnc verify --sim cocotb passes on it (the command gives the result-beats figure)', async () => {
    const n = IMAGES;
    fs.writeFileSync(path.join(tmp, 'images.idx'), encodeIdx([n, 6, 6, 3], images.subarray(0, n * 6 * 6 * 3)));
    fs.writeFileSync(path.join(tmp, 'labels.idx'), encodeIdx([n], new Uint8Array(n)));
    const data = ['--dataset', 'idx', '--test-images', path.join(tmp, 'images.idx'), '--test-labels', path.join(tmp, 'labels.idx')];
    const r = await runCli(['verify', dir, ...data, '--sim', 'cocotb', '--seed', '4']);
    expect(r.stdout + r.stderr).toMatch(/test_random_traffic passed, test_reset_mid_frame passed/);
    expect(r.stdout).toMatch(/^PASS$/m);
    expect(r.code).toBe(0);
  });
});
