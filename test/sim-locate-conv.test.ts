/**
 * `bnnc verify` (Verilator) on a ConvNet with an injected fault: the verifier must fail
 * and locate the departure to the faulty layer, the output pixel (y, x) and the channel.
 *
 * The design: conv 3x3 on pixels -> OR pool 2 -> conv 2x2 on bits -> dense -> scores,
 * random weights (src/hw/random-model.ts), random images. Three faults:
 * - a weight bit flipped in the second convolution's ROM image (.mem edited as text);
 * - a threshold raised by 64 in the first convolution's parameter ROM image;
 * - the pool's OR along a window row turned into AND in the design's copy of
 *   bnnc_pool.v (the pool has no ROM to edit).
 * The expected location is computed here, without the locator: the same fault applied
 * to the integer model (or, for the pool, a reference of the faulty pool), and the first
 * (h, w, c) where the faulty layer's output departs from inferInt's on the located image.
 * Each edited ROM image is checked against the compiler's image of the mutated model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/types.js';
import { paramImage, weightImage } from '../src/emit/mem.js';
import type { MvtuStage } from '../src/hw/plan.js';
import { randomFoldedNet, randomImages } from '../src/hw/random-model.js';
import { getBit } from '../src/int/bits.js';
import { inferInt, inferIntBatch } from '../src/int/infer.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';
import { wordsPerRow } from '../src/int/types.js';
import type { MismatchLocation } from '../src/sim/locate.js';
import { verifyRtl, type VerifyReport } from '../src/sim/verify.js';
import { Rng } from '../src/util/rng.js';
import { cloneFolded, compileDesign, type CompiledDesign } from './fixtures/sim/designs.js';

const IMAGES = 40;
const INPUT: [number, number, number] = [10, 10, 1];
const NPIX = INPUT[0] * INPUT[1] * INPUT[2];

let work: string;
let base: CompiledDesign;
let dataset: Dataset;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-locate-conv-'));
  const f = randomFoldedNet({
    input: INPUT,
    layers: [{ conv: 6, kernel: 3 }, { pool: 2 }, { conv: 5, kernel: 2 }, { dense: 8 }],
    classes: 4,
    seed: 7,
    name: 'locconv',
  });
  dataset = { name: 'random-images', n: IMAGES, height: INPUT[0], width: INPUT[1], channels: INPUT[2], classes: 4, images: randomImages(11, NPIX, IMAGES), labels: new Uint8Array(IMAGES) };
  raiseFirstThresholds(f, dataset.images);
  // SIMD that divides neither 9 nor 24 and PE that divides neither 6 nor 5.
  const folding = { kind: 'perLayer' as const, layers: [{ pe: 4, simd: 5 }, { pe: 2, simd: 7 }, { pe: 3, simd: 9 }, { pe: 2, simd: 8 }], source: 'test' };
  base = compileDesign(f, folding, path.join(work, 'base'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Random weights on random pixels give sums far from the random thresholds, so the first
 * layer's channels would be nearly constant and the pool after it all +1, hiding every
 * fault behind it. Each first-layer threshold is set to the 80th percentile of its sums
 * over the images instead: each channel is +1 on a fifth of the pixels, and the 2x2
 * pool's output on about 60 %.
 */
function raiseFirstThresholds(f: FoldedModel, images: Uint8Array): void {
  const l = f.layers[0] as FoldedMatrixLayer;
  if (l.output.kind !== 'threshold' || l.inShape[2] !== 1) throw new Error('layer 0: a one-channel threshold conv');
  const [h, w] = l.inShape;
  const K = l.kernel;
  const wpr = wordsPerRow(l.cols);
  for (let r = 0; r < l.rows; r++) {
    const sums: number[] = [];
    for (let i = 0; i < IMAGES; i++) {
      for (let y = 0; y + K <= h; y++) {
        for (let x = 0; x + K <= w; x++) {
          let acc = 0;
          for (let j = 0; j < K * K; j++) {
            const p = images[i * NPIX + (y + Math.floor(j / K)) * w + x + (j % K)];
            acc += (l.weights[r * wpr + (j >>> 5)] >>> (j & 31)) & 1 ? p : -p;
          }
          sums.push(acc);
        }
      }
    }
    sums.sort((a, b) => a - b);
    l.output.thresholds[r] = sums[Math.floor(0.8 * sums.length)];
  }
}

/** True when the mutated model's scores differ from the original's on some image. */
function shows(original: FoldedModel, mutated: FoldedModel): boolean {
  const a = inferIntBatch(original, dataset.images, IMAGES);
  const b = inferIntBatch(mutated, dataset.images, IMAGES);
  for (let i = 0; i < a.scores.length; i++) if (a.scores[i] !== b.scores[i]) return true;
  return false;
}

function copyDesign(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(base.dir, dir, { recursive: true });
  return dir;
}

function stageOf(k: number): MvtuStage {
  const s = base.plan.stages[k];
  if (s.kind !== 'mvtu') throw new Error(`stage ${k} is not an MVTU`);
  return s;
}

function memPath(dir: string, k: number, kind: 'w' | 'p', p: number): string {
  return path.join(dir, `${base.manifest.top}_${base.manifest.stages[k].verilogName}_${kind}${p}.mem`);
}

function flipMemBit(text: string, line: number, bit: number): string {
  const lines = text.split('\n');
  const w = lines[line];
  const d = w.length - 1 - (bit >> 2);
  lines[line] = w.slice(0, d) + (parseInt(w[d], 16) ^ (1 << (bit & 3))).toString(16) + w.slice(d + 1);
  return lines.join('\n');
}

function addMemWord(text: string, line: number, delta: number, bits: number): string {
  const lines = text.split('\n');
  lines[line] = BigInt.asUintN(bits, BigInt(`0x${lines[line]}`) + BigInt(delta)).toString(16).padStart(lines[line].length, '0');
  return lines.join('\n');
}

/** The first (h, w, c) where two bit vectors of layer k's output shape differ. */
function firstDeparture(k: number, want: Uint32Array, got: Uint32Array): { y: number; x: number; c: number; want: number; got: number } {
  const [h, w, c] = base.folded.layers[k].outShape;
  for (let i = 0; i < h * w * c; i++) {
    if (getBit(want, i) !== getBit(got, i)) {
      const ch = i % c;
      const pix = (i - ch) / c;
      return { y: Math.floor(pix / w), x: pix % w, c: ch, want: getBit(want, i), got: getBit(got, i) };
    }
  }
  throw new Error(`layer ${k}: no departure`);
}

function imageAt(position: number): Uint8Array {
  return dataset.images.subarray(position * NPIX, (position + 1) * NPIX);
}

/** Every location names layer k and the (y, x, c) that `faulty` gives for its image. */
function expectLocated(r: VerifyReport, k: number, faulty: (pixels: Uint8Array) => Uint32Array): void {
  expect(r.ok).toBe(false);
  expect(r.failures[0]).toMatch(/images differ from the integer model/);
  expect(r.locations.length).toBe(Math.min(3, r.comparison.mismatchCount));
  const name = base.folded.layers[k].name;
  for (const loc of r.locations as MismatchLocation[]) {
    const pixels = imageAt(loc.position);
    const ref = inferInt(base.folded, pixels, true);
    // The layers before k agree: k is where the faulty design departs first.
    const d = firstDeparture(k, ref.layerBits![k], faulty(pixels));
    expect({ kind: loc.kind, layer: loc.layer, layerName: loc.layerName, neuron: loc.neuron, at: loc.position2d, expected: loc.expected, rtl: loc.rtl }).toEqual({
      kind: 'bit',
      layer: k,
      layerName: name,
      neuron: d.c,
      at: [d.y, d.x],
      expected: d.want,
      rtl: d.got,
    });
    expect(loc.message).toContain(`layer ${k} (${name}) departs first, neuron ${d.c} at (h, w) = (${d.y}, ${d.x})`);
  }
}

const verify = (dir: string): Promise<VerifyReport> => verifyRtl({ rtlDir: dir, dataset, quickBuild: true });

describe('verify locates a fault in a ConvNet to the layer, the output pixel and the channel', () => {
  it('the fault-free design passes, bit-exact, II and latency as planned', async () => {
    const r = await verify(base.dir);
    expect(r.failures).toEqual([]);
    expect(r.comparison.mismatchCount).toBe(0);
    expect(r.cycles.measured).toMatchObject({ ii: base.plan.ii, latency: base.plan.latency });
  });

  it('a flipped weight bit in the second convolution (layer 2)', async () => {
    const k = 2;
    const s = stageOf(k);
    const layer = base.folded.layers[k] as FoldedMatrixLayer;
    const rng = new Rng(202);
    let found: { row: number; col: number; mutated: FoldedModel } | null = null;
    for (let tries = 0; tries < 500 && !found; tries++) {
      const row = rng.int(layer.rows);
      const col = rng.int(layer.cols);
      const mutated = cloneFolded(base.folded);
      (mutated.layers[k] as FoldedMatrixLayer).weights[row * wordsPerRow(layer.cols) + (col >>> 5)] ^= 1 << (col & 31);
      if (shows(base.folded, mutated)) found = { row, col, mutated };
    }
    expect(found).not.toBeNull();
    const { row, col, mutated } = found!;
    const dir = copyDesign('weight');
    const file = memPath(dir, k, 'w', row % s.pe);
    const edited = flipMemBit(fs.readFileSync(file, 'utf8'), Math.floor(row / s.pe) * s.sf + Math.floor(col / s.simd), col % s.simd);
    expect(edited).toBe(weightImage(mutated.layers[k] as FoldedMatrixLayer, s, row % s.pe));
    fs.writeFileSync(file, edited);
    const r = await verify(dir);
    expectLocated(r, k, (px) => inferInt(mutated, px, true).layerBits![k]);
    for (const loc of r.locations) expect(loc.neuron).toBe(row);
  });

  it('a threshold raised by 64 in the first convolution (layer 0, on pixels)', async () => {
    const k = 0;
    // Sums of 9 signed pixels rarely hit one exact value: a larger step shows on 40 images.
    const DELTA = 64;
    const s = stageOf(k);
    const layer = base.folded.layers[k] as FoldedMatrixLayer;
    let found: { row: number; mutated: FoldedModel } | null = null;
    for (let row = 0; row < layer.rows && !found; row++) {
      const mutated = cloneFolded(base.folded);
      const out = (mutated.layers[k] as FoldedMatrixLayer).output;
      if (out.kind !== 'threshold') throw new Error('layer 0 must be a threshold layer');
      out.thresholds[row] += DELTA;
      if (shows(base.folded, mutated)) found = { row, mutated };
    }
    expect(found).not.toBeNull();
    const { row, mutated } = found!;
    const dir = copyDesign('threshold');
    const file = memPath(dir, k, 'p', row % s.pe);
    const edited = addMemWord(fs.readFileSync(file, 'utf8'), Math.floor(row / s.pe), DELTA, s.paramWidth);
    expect(edited).toBe(paramImage(mutated.layers[k] as FoldedMatrixLayer, s, row % s.pe));
    fs.writeFileSync(file, edited);
    const r = await verify(dir);
    expectLocated(r, k, (px) => inferInt(mutated, px, true).layerBits![k]);
    for (const loc of r.locations) {
      expect(loc.neuron).toBe(row);
      expect([loc.expected, loc.rtl]).toEqual([1, 0]);
    }
  });

  it('AND instead of OR along a pool window row (layer 1)', async () => {
    const k = 1;
    const pool = base.folded.layers[k];
    if (pool.kind !== 'maxpool') throw new Error('layer 1 must be the pool');
    const dir = copyDesign('pool');
    const file = path.join(dir, 'bnnc_pool.v');
    const text = fs.readFileSync(file, 'utf8');
    const from = 'wire [C-1:0] run = cs_first ? s_tdata : (run_reg | s_tdata);';
    expect(text).toContain(from);
    fs.writeFileSync(file, text.replace(from, from.replace('|', '&')));
    // The faulty pool: OR over the window's rows of the AND along each row.
    const faultyPool = (px: Uint8Array): Uint32Array => {
      const conv = inferInt(base.folded, px, true).layerBits![0];
      const [ih, iw, c] = pool.inShape;
      const [oh, ow] = pool.outShape;
      const S = pool.size;
      const out = new Uint32Array(Math.ceil((oh * ow * c) / 32));
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          for (let ch = 0; ch < c; ch++) {
            let any = 0;
            for (let r = 0; r < S; r++) {
              let all = 1;
              for (let q = 0; q < S; q++) all &= getBit(conv, ((y * S + r) * iw + x * S + q) * c + ch);
              any |= all;
            }
            const i = (y * ow + x) * c + ch;
            if (any) out[i >>> 5] |= 1 << (i & 31);
          }
        }
      }
      expect(ih).toBeGreaterThanOrEqual(oh * S);
      return out;
    };
    const r = await verify(dir);
    expect(r.integrity.changed.join(' ')).toContain('bnnc_pool.v');
    expectLocated(r, k, faultyPool);
  });
});
