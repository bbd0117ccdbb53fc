/**
 * Fuzzing the folding JSON reader (src/hw/folding.ts), and its handling of the JSON
 * hazards the model-file reader already refuses (duplicate keys, huge numbers).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseFoldingJson } from '../../src/hw/folding.js';
import { runLoaderFuzz } from './isolate.js';
import { foldingSpec } from './specs/hw.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/hw.ts', import.meta.url));

describe('fuzz: folding JSON', () => {
  it('folding-json: parseFoldingJson accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, foldingSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('refuses numbers that are not safe integers, naming the field', () => {
    for (const v of ['9007199254740992', '1e400', '2.5', '-1', '0']) {
      expect(() => parseFoldingJson(`{"layers":[{"pe":${v},"simd":1}]}`, 'f.json')).toThrow(/f\.json: layers\[0\]\.pe: expected a positive integer/);
    }
  });

  it('refuses a key given twice, as the model-file reader does (src/graph/json.ts)', () => {
    // JSON.parse keeps the last of two equal keys, so the file would say two things.
    const text = '{"layers":[{"pe":2,"simd":4,"pe":8}]}';
    expect(() => parseFoldingJson(text, 'f.json')).toThrow(InputError);
    expect(() => parseFoldingJson(text, 'f.json')).toThrow(/pe/);
  });
});
