/**
 * ROM images read back by the encoding docs/hardware.md ("ROM images") documents, with
 * nothing but the manifest's figures: weight words, thresholds (unsigned ACC_W bits for
 * binary-input layers, ACC_W-bit two's complement for the pixel layer) and {mul, add}.
 * What comes back must be the folded model: every weight bit, every score parameter,
 * and thresholds that decide every accumulator value of the range as the model's do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import { manifestMvtuStages, type Manifest } from '../src/emit/manifest.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { getBit } from '../src/int/bits.js';
import type { FoldedMatrixLayer } from '../src/int/types.js';
import { wordsPerRow } from '../src/int/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-rom-encoding-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The words of a $readmemh image: exactly `depth` lines of ceil(width/4) hex digits. */
function readMem(file: string, depth: number, width: number): bigint[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  expect(lines.length).toBe(depth);
  return lines.map((l) => {
    expect(l).toMatch(new RegExp(`^[0-9a-f]{${Math.ceil(width / 4)}}$`));
    const v = BigInt(`0x${l}`);
    expect(v < 1n << BigInt(width)).toBe(true);
    return v;
  });
}

const signed = (v: bigint, bits: number): number => Number(BigInt.asIntN(bits, v));
const unsigned = (v: bigint): number => Number(v);

describe('ROM images decode to the folded model by the documented encoding', () => {
  // Sizes that do not divide PE and SIMD (padding rows and columns), and thresholds at
  // the ends of the range: for the binary-input layers T = MW + 1 and T = MW lie in the
  // upper half of ACC_W bits, where reading them as two's complement would go wrong.
  const f = randomFoldedMlp({ input: [5, 5, 1], hidden: [22, 30], classes: 5, seed: 11, name: 'romenc' });
  const [l0, l1] = f.layers as FoldedMatrixLayer[];
  if (l0.output.kind !== 'threshold' || l1.output.kind !== 'threshold') throw new Error('threshold layers expected');
  const lo0 = -255 * l0.cols;
  l0.output.thresholds.set([lo0, 255 * l0.cols + 1, -1, 0, 1]);
  l1.output.thresholds.set([l1.cols + 1, l1.cols, 0, 1, l1.cols - 1]);
  const plan = planHardware(f, { kind: 'uniform', pe: 4, simd: 8 });
  const out = path.join(dir, 'romenc');
  emitDesign(f, plan, out);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;

  it('an unsigned reading is needed for the binary-input thresholds', () => {
    const s = manifestMvtuStages(m)[1];
    expect(s.input).toBe('bits');
    expect(s.accWidth).toBe(Math.ceil(Math.log2(s.mw + 2)));
    expect(l1.output.kind === 'threshold' && l1.output.thresholds[0]).toBeGreaterThanOrEqual(2 ** (s.accWidth - 1));
  });

  manifestMvtuStages(m).forEach((s, k) => {
    const layer = f.layers[k] as FoldedMatrixLayer;
    it(`stage ${k} (${s.input} input, ${layer.output.kind}): weights and parameters`, () => {
      expect([s.mh, s.mw]).toEqual([layer.rows, layer.cols]);
      const wpr = wordsPerRow(layer.cols);
      for (let p = 0; p < s.pe; p++) {
        const w = readMem(path.join(out, `${m.top}_${s.verilogName}_w${p}.mem`), s.nf * s.sf, s.simd);
        const par = readMem(path.join(out, `${m.top}_${s.verilogName}_p${p}.mem`), s.nf, s.paramWidth);
        expect(m.files.mem).toContain(`${m.top}_${s.verilogName}_w${p}.mem`);
        for (let nf = 0; nf < s.nf; nf++) {
          const row = nf * s.pe + p;
          // Weights: word nf·SF + sf, bit j = (row, sf·SIMD + j); padding 0.
          for (let sf = 0; sf < s.sf; sf++) {
            for (let j = 0; j < s.simd; j++) {
              const col = sf * s.simd + j;
              const bit = Number((w[nf * s.sf + sf] >> BigInt(j)) & 1n);
              expect(bit).toBe(row < s.mh && col < s.mw ? getBit(layer.weights, row * wpr * 32 + col) : 0);
            }
          }
          if (row >= s.mh) {
            expect(par[nf]).toBe(0n);
            continue;
          }
          if (layer.output.kind === 'threshold') {
            expect(s.paramWidth).toBe(s.accWidth);
            const t = s.input === 'bits' ? unsigned(par[nf]) : signed(par[nf], s.accWidth);
            const want = layer.output.thresholds[row];
            const [lo, hi] = s.input === 'bits' ? [0, s.mw] : [-255 * s.mw, 255 * s.mw];
            expect(t).toBeGreaterThanOrEqual(lo);
            expect(t).toBeLessThanOrEqual(hi + 1);
            // Decides every accumulator value the same (checked at the ends and around T).
            for (const acc of [lo, lo + 1, hi - 1, hi, want - 1, want, want + 1]) {
              if (acc < lo || acc > hi) continue;
              expect(acc >= t).toBe(acc >= want);
            }
            if (want >= lo && want <= hi + 1) expect(t).toBe(want);
          } else {
            expect(s.paramWidth).toBe(s.mulWidth + 32);
            const mul = signed(par[nf] >> 32n, s.mulWidth);
            const add = signed(par[nf] & 0xffffffffn, 32);
            expect([mul, add]).toEqual([layer.output.mul[row], layer.output.add[row]]);
          }
        }
      }
    });
  });
});
