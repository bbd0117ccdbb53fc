/**
 * Fuzzing architecture JSON files (src/nn/arch.ts buildModel), and checking that sizes
 * beyond the model limits are refused before the tensors are allocated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildModel } from '../../src/nn/arch.js';
import { runLoaderFuzz } from './isolate.js';
import { archSpec } from './specs/nn.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/nn.ts', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-nn-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let fileCount = 0;
function archFile(doc: unknown): string {
  const p = path.join(tmp, `arch-${fileCount++}.json`);
  fs.writeFileSync(p, JSON.stringify(doc));
  return p;
}

const input = { height: 1, width: 1, channels: 1, pixelScale: 1, pixelOffset: 0 };
/** 9 input features: 2^31 units then need more than the 2^32 elements a typed array can hold, so today's failure is quick. */
const input9 = { height: 3, width: 3, channels: 1, pixelScale: 1, pixelOffset: 0 };

describe('fuzz: architecture JSON', () => {
  it('arch-json: buildModel builds valid models, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, archSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 4);
  });
});

describe('architecture files refuse sizes beyond the model limits before allocating', () => {
  it('a dense layer of 2^31 units is an InputError naming the size', () => {
    const f = archFile([{ type: 'fc', units: 2147483648 }, { type: 'fc', units: 3 }]);
    expect(() => buildModel(f, { input: input9, classes: 3, seed: 1 })).toThrow(InputError);
    expect(() => buildModel(f, { input: input9, classes: 3, seed: 1 })).toThrow(/2147483648/);
  });

  it('a dense layer of 2^22 units (above the 2^20 units limit of a model file) is an InputError', () => {
    // Today this builds a model that validateGraph (src/graph/validate.ts) refuses; with a
    // 4x4 input it allocates 400 MB first, and 10^9 conv channels allocate ~20 GB.
    const f = archFile([{ type: 'fc', units: 4194304 }, { type: 'fc', units: 3 }]);
    const before = process.memoryUsage().arrayBuffers;
    let threw: unknown;
    try {
      buildModel(f, { input, classes: 3, seed: 1 });
    } catch (e) {
      threw = e;
    }
    expect(threw).toBeInstanceOf(InputError);
    expect(String(threw)).toMatch(/4194304/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});
