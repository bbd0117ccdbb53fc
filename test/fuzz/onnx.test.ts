/**
 * Fuzzing `bnnc import` (src/onnx): damaged QONNX files are imported or refused with one
 * InputError line, never a crash, a hang or an allocation out of proportion.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runLoaderFuzz } from './isolate.js';
import { onnxSpec } from './specs/onnx.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/onnx.ts', import.meta.url));

describe('fuzz: ONNX importer', () => {
  it('importOnnx + fold accepts or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, onnxSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });
});
