/**
 * Mutation tests of the verifier: a flipped bit in a weight ROM image and a threshold
 * off by one in a parameter ROM image (.mem files edited as text, the RTL untouched)
 * must make verification fail and locate the departure to the mutated layer and neuron.
 *
 * The mutation is chosen with the integer model so that it shows on the images run: the
 * same change is applied to a copy of the folded model, and the first candidate whose
 * predictions or scores differ on some image is used. The edited file is checked against
 * the compiler's own ROM image of the mutated model, so file edit and model edit agree.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestMvtuStages } from '../src/emit/manifest.js';
import { paramImage, weightImage } from '../src/emit/mem.js';
import { mvtuStages } from '../src/hw/plan.js';
import { inferIntBatch } from '../src/int/infer.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';
import { wordsPerRow } from '../src/int/types.js';
import { verifyRtl, type VerifyReport } from '../src/sim/verify.js';
import { Rng } from '../src/util/rng.js';
import { cloneFolded, compileDesign, mnistTest, randomFolded, type CompiledDesign } from './fixtures/sim/designs.js';

const IMAGES = 300;

let work: string;
let base: CompiledDesign;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-mutation-'));
  base = compileDesign(randomFolded('tfc', 5), { kind: 'uniform', pe: 8, simd: 16 }, path.join(work, 'base'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** True when the mutated model differs from the original on some of the first images. */
function shows(original: FoldedModel, mutated: FoldedModel): boolean {
  const px = mnistTest().images.subarray(0, IMAGES * 784);
  const a = inferIntBatch(original, px, IMAGES);
  const b = inferIntBatch(mutated, px, IMAGES);
  for (let i = 0; i < a.scores.length; i++) if (a.scores[i] !== b.scores[i]) return true;
  return false;
}

/** A copy of the base design directory to mutate. */
function copyDesign(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(base.dir, dir, { recursive: true });
  return dir;
}

function memPath(dir: string, k: number, kind: 'w' | 'p', p: number): string {
  const s = manifestMvtuStages(base.manifest)[k];
  return path.join(dir, `${base.manifest.top}_${s.verilogName}_${kind}${p}.mem`);
}

/** Flip bit `bit` of the hex word on line `line` of a $readmemh image. */
function flipMemBit(text: string, line: number, bit: number): string {
  const lines = text.split('\n');
  const w = lines[line];
  const d = w.length - 1 - (bit >> 2);
  const v = parseInt(w[d], 16) ^ (1 << (bit & 3));
  lines[line] = w.slice(0, d) + v.toString(16) + w.slice(d + 1);
  return lines.join('\n');
}

/** Add `delta` to the word on line `line`, two's complement in `bits` bits. */
function addMemWord(text: string, line: number, delta: number, bits: number): string {
  const lines = text.split('\n');
  const v = BigInt.asUintN(bits, BigInt(`0x${lines[line]}`) + BigInt(delta));
  lines[line] = v.toString(16).padStart(lines[line].length, '0');
  return lines.join('\n');
}

function expectLocated(r: VerifyReport, layer: number, neuron: number, kind: 'bit' | 'score'): void {
  expect(r.ok).toBe(false);
  expect(r.comparison.mismatchCount).toBeGreaterThan(0);
  expect(r.failures[0]).toMatch(/images differ from the integer model/);
  expect(r.locations.length).toBe(Math.min(3, r.comparison.mismatchCount));
  for (const loc of r.locations) {
    expect(loc.kind).toBe(kind);
    expect(loc.layer).toBe(layer);
    expect(loc.layerName).toBe(base.folded.layers[layer].name);
    expect(loc.neuron).toBe(neuron);
    expect(loc.message).toContain(`layer ${layer} (${base.folded.layers[layer].name})`);
  }
}

describe('mutated ROM images are caught and located', () => {
  it('the unmutated design passes (the baseline for the mutations below)', async () => {
    const r = await verifyRtl({ rtlDir: base.dir, dataset: mnistTest(), limit: IMAGES });
    expect(r.failures).toEqual([]);
  });

  for (const k of [1, 3]) {
    it(`a flipped weight bit in layer ${k}'s ROM points at layer ${k} and the neuron`, async () => {
      const s = mvtuStages(base.plan)[k];
      const layer = base.folded.layers[k] as FoldedMatrixLayer;
      const rng = new Rng(100 + k);
      // Find a weight whose flip shows on the images.
      let found: { row: number; col: number; mutated: FoldedModel } | null = null;
      for (let tries = 0; tries < 500 && !found; tries++) {
        const row = rng.int(layer.rows);
        const col = rng.int(layer.cols);
        const mutated = cloneFolded(base.folded);
        const ml = mutated.layers[k] as FoldedMatrixLayer;
        ml.weights[row * wordsPerRow(layer.cols) + (col >>> 5)] ^= 1 << (col & 31);
        if (shows(base.folded, mutated)) found = { row, col, mutated };
      }
      expect(found).not.toBeNull();
      const { row, col, mutated } = found!;

      const dir = copyDesign(`weight-${k}`);
      const p = row % s.pe;
      const line = Math.floor(row / s.pe) * s.sf + Math.floor(col / s.simd);
      const file = memPath(dir, k, 'w', p);
      const edited = flipMemBit(fs.readFileSync(file, 'utf8'), line, col % s.simd);
      expect(edited).toBe(weightImage(mutated.layers[k] as FoldedMatrixLayer, s, p));
      fs.writeFileSync(file, edited);

      const r = await verifyRtl({ rtlDir: dir, dataset: mnistTest(), limit: IMAGES });
      expectLocated(r, k, row, k === 3 ? 'score' : 'bit');
      if (k === 3) {
        // The score layer names the class and both scores.
        const loc = r.locations[0];
        const mm = r.comparison.mismatches.find((m) => m.position === loc.position)!;
        expect(loc.expected).toBe(mm.expectedScores[row]);
        expect(loc.rtl).toBe(mm.rtlScores[row]);
        expect(loc.message).toMatch(new RegExp(`class ${row}: RTL score -?\\d+, integer model score -?\\d+`));
      }
    });
  }

  it('a threshold off by one in layer 2 points at layer 2 and the neuron', async () => {
    const k = 2;
    const s = mvtuStages(base.plan)[k];
    const layer = base.folded.layers[k] as FoldedMatrixLayer;
    let found: { row: number; mutated: FoldedModel } | null = null;
    for (let row = 0; row < layer.rows && !found; row++) {
      const mutated = cloneFolded(base.folded);
      const out = (mutated.layers[k] as FoldedMatrixLayer).output;
      if (out.kind !== 'threshold') throw new Error('layer 2 must be a threshold layer');
      out.thresholds[row] += 1;
      if (shows(base.folded, mutated)) found = { row, mutated };
    }
    expect(found).not.toBeNull();
    const { row, mutated } = found!;

    const dir = copyDesign('threshold-2');
    const p = row % s.pe;
    const file = memPath(dir, k, 'p', p);
    const edited = addMemWord(fs.readFileSync(file, 'utf8'), Math.floor(row / s.pe), 1, s.paramWidth);
    expect(edited).toBe(paramImage(mutated.layers[k] as FoldedMatrixLayer, s, p));
    fs.writeFileSync(file, edited);

    const r = await verifyRtl({ rtlDir: dir, dataset: mnistTest(), limit: IMAGES });
    expectLocated(r, k, row, 'bit');
    // The mutated threshold is one higher: the RTL says -1 where the model says +1.
    for (const loc of r.locations) {
      expect(loc.expected).toBe(1);
      expect(loc.rtl).toBe(0);
    }
  });
});
