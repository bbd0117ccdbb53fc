/**
 * Fuzzing the integer-model files (src/int/serialize.ts .bnnf, src/int/vectors.ts
 * .bnnv) and checking that declared sizes beyond the limits are refused before any
 * allocation.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { decodeFolded } from '../../src/int/serialize.js';
import { decodeVectors } from '../../src/int/vectors.js';
import { joinSafetensors, splitSafetensors } from './formats.js';
import { runLoaderFuzz } from './isolate.js';
import { FOLDED_BASES, foldedSpec, VECTOR_BASES, vectorsSpec } from './specs/int.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/int.ts', import.meta.url));

describe('fuzz: integer-model files', () => {
  it('folded: decodeFolded accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, foldedSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('vectors: decodeVectors accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, vectorsSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });
});

describe('integer-model files refuse huge declared sizes before allocating', () => {
  const withHeader = (fields: Record<number, number>): Uint8Array => {
    const b = VECTOR_BASES[1].slice();
    const dv = new DataView(b.buffer);
    for (const [at, v] of Object.entries(fields)) dv.setUint32(Number(at), v, true);
    return b;
  };

  it('a vector header promising 2^32 - 1 records of 2^32 - 1 pixels is refused, naming the count', () => {
    const b = withHeader({ 8: 0xffffffff, 12: 0xffffffff, 16: 65535 });
    expect(() => decodeVectors(b, 'v.bnnv')).toThrow(InputError);
    expect(() => decodeVectors(b, 'v.bnnv')).toThrow(/4294967295 records/);
  });

  it('a vector header with 2^31 activation layers is refused, naming the count', () => {
    const b = withHeader({ 20: 1, 24: 2 ** 31 });
    expect(() => decodeVectors(b, 'v.bnnv')).toThrow(/L: expected at most 4096, got 2147483648/);
  });

  it('a folded layer of 2^31 rows is refused, naming the shape', () => {
    const { header, data } = splitSafetensors(FOLDED_BASES[0]);
    const h = JSON.parse(header) as { __metadata__: { model: string } };
    const model = JSON.parse(h.__metadata__.model) as { layers: { rows?: number }[] };
    model.layers[0].rows = 2 ** 31;
    const b = joinSafetensors(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, model: JSON.stringify(model) } }), data);
    expect(() => decodeFolded(b, 'f.bnnf')).toThrow(InputError);
    expect(() => decodeFolded(b, 'f.bnnf')).toThrow(/2147483648/);
  });

  it('a folded input of 65536^3 pixels is refused, naming the shape', () => {
    const { header, data } = splitSafetensors(FOLDED_BASES[1]);
    const h = JSON.parse(header) as { __metadata__: { model: string } };
    const model = JSON.parse(h.__metadata__.model) as { input: number[] };
    model.input = [65536, 65536, 65536];
    const b = joinSafetensors(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, model: JSON.stringify(model) } }), data);
    expect(() => decodeFolded(b, 'f.bnnf')).toThrow(/input: expected .*got \[65536,65536,65536\]/);
  });
});
