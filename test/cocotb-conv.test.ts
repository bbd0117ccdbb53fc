/**
 * The cocotb suite (sim/cocotb/test_bnn_top.py, Icarus) on a small ConvNet: conv 3x3 on
 * pixels, conv 3x3 on bits behind its queue (bnnc_fifo), OR pool, dense, scores; random
 * weights and random images. Every result equals the integer model back to back, under
 * random idle cycles and back-pressure, and after a reset in the middle of a frame; the
 * measured latency and II are the planned ones.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import type { Manifest } from '../src/emit/manifest.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedNet, randomImages } from '../src/hw/random-model.js';
import { writeVectors } from '../src/int/vectors.js';
import { COCOTB_TESTS, runCocotbVerify } from '../src/sim/cocotb.js';

const IMAGES = 40;
let tmp: string;
let dir: string;
let vectors: string;
let manifest: Manifest;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cocotb-conv-test-'));
  const f = randomFoldedNet({
    input: [10, 10, 1],
    layers: [{ conv: 6, kernel: 3 }, { conv: 6, kernel: 3 }, { pool: 2 }, { dense: 8 }],
    classes: 5,
    seed: 5,
    name: 'cococonv',
  });
  const plan = planHardware(f, { kind: 'target', targetCycles: 400 });
  dir = path.join(tmp, 'rtl');
  manifest = emitDesign(f, plan, dir);
  const images = randomImages(77, 100, IMAGES);
  const indices = Array.from({ length: IMAGES }, (_, i) => i);
  vectors = path.join(tmp, 'conv.bnnv');
  writeVectors(vectors, f, images, indices, new Array<number>(IMAGES).fill(0), { activations: false });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cocotb suite on a compiled ConvNet', () => {
  it(`passes on ${IMAGES} images: back to back, random traffic, reset mid-frame, cycle figures`, async () => {
    // The design has the queue in front of its second sliding-window unit.
    expect(manifest.files.verilog).toContain('bnnc_fifo.v');
    const log: string[] = [];
    const report = await runCocotbVerify({ rtlDir: dir, vectorsPath: vectors, limit: IMAGES, seed: 4, onOutput: (l) => log.push(l) });
    expect(report.failures, log.slice(-40).join('\n')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.tests.map((t) => t.name)).toEqual([...COCOTB_TESTS]);
    expect(report.tests.every((t) => t.status === 'passed')).toBe(true);
    expect(log.some((l) => l.includes(`test_back_to_back: ${IMAGES} results correct`))).toBe(true);
    expect(log.some((l) => l.includes(`test_random_traffic: ${IMAGES} results correct`))).toBe(true);
    expect(log.some((l) => /reset after \d+ frames \+ [1-9]\d*\/\d+ beats/.test(l))).toBe(true);
    expect(log.some((l) => /test_reset_mid_frame: \d+ results after reset correct/.test(l))).toBe(true);
    const { ii, latency } = manifest.cycles;
    expect(log.some((l) => l.includes(`latency ${latency} cycles`) && l.includes(`planned: latency ${latency}, II ${ii}`))).toBe(true);
  });
});
