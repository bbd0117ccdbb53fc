/**
 * Fuzzing the model-file loaders (src/graph/safetensors.ts, src/graph/io.ts) and
 * checking that declared sizes beyond the limits are refused before any allocation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { decodeModel, loadModel, MAX_MODEL_BYTES } from '../../src/graph/io.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/graph/safetensors.js';
import { convGraph, modelFor, tinyCnn } from '../fixtures/graph/models.js';
import { joinSafetensors } from './formats.js';
import { runLoaderFuzz } from './isolate.js';
import { MODEL_BASES, modelSpec, SAFE_BASES, safetensorsSpec, sameModel } from './specs/graph.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/graph.ts', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fuzz: model file loaders', () => {
  it('safetensors: decodeSafetensors accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, safetensorsSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('model: decodeModel accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, modelSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });
});

describe('model file loaders refuse huge declared sizes before allocating', () => {
  it('a header length of 2^63 is named in the error', () => {
    const b = SAFE_BASES[0].slice();
    new DataView(b.buffer).setBigUint64(0, 1n << 63n, true);
    expect(() => decodeSafetensors(b, 'big.safetensors')).toThrow(InputError);
    expect(() => decodeSafetensors(b, 'big.safetensors')).toThrow(/9223372036854775808/);
  });

  it('a shape whose product overflows is refused, naming the shape', () => {
    const header = JSON.stringify({ t: { dtype: 'F32', shape: [2147483648, 2147483648, 2147483648], data_offsets: [0, 4] } });
    const b = joinSafetensors(header, new Uint8Array(4));
    expect(() => decodeSafetensors(b, 'big.safetensors')).toThrow(/\[2147483648, 2147483648, 2147483648\]/);
    const h2 = JSON.stringify({ t: { dtype: 'U8', shape: [9007199254740992], data_offsets: [0, 9007199254740992] } });
    expect(() => decodeSafetensors(joinSafetensors(h2, new Uint8Array(0)), 'big.safetensors')).toThrow(InputError);
  });

  it('graph sizes above the limits are refused, naming the size', () => {
    const g = JSON.parse(JSON.stringify(convGraph())) as { input: { height: number } };
    g.input.height = 2147483648;
    const b = encodeSafetensors(tinyCnn().tensors, { format: 'bnnc-model', version: '1', graph: JSON.stringify(g) });
    expect(() => decodeModel(b, 'big.bnn')).toThrow(/input\.height.*2147483648/);
    const wide = {
      format: 'bnnc-model', version: 1, name: 'wide', arch: 'custom',
      input: { height: 1024, width: 1024, channels: 1, pixelScale: 1, pixelOffset: 0 },
      classes: 1048576,
      layers: [{ kind: 'flatten', name: 'f' }, { kind: 'dense', name: 'd', inFeatures: 1048576, outFeatures: 1048576, bias: false }],
    };
    const w = encodeSafetensors([], { format: 'bnnc-model', version: '1', graph: JSON.stringify(wide) });
    // classes is limited to 65535 first; with classes in range the weight limit speaks.
    expect(() => decodeModel(w, 'wide.bnn')).toThrow(InputError);
    wide.classes = 65535;
    const w2 = encodeSafetensors([], { format: 'bnnc-model', version: '1', graph: JSON.stringify(wide) });
    expect(() => decodeModel(w2, 'wide.bnn')).toThrow(/at most 268435456/);
  });

  it('loadModel refuses a file above MAX_MODEL_BYTES from its size alone (a sparse file)', () => {
    const f = path.join(tmp, 'huge.bnn');
    fs.writeFileSync(f, MODEL_BASES[0]);
    fs.truncateSync(f, MAX_MODEL_BYTES + 1);
    expect(() => loadModel(f)).toThrow(new InputError(f, 'file size', `at most ${MAX_MODEL_BYTES} bytes`, `${MAX_MODEL_BYTES + 1} bytes`));
  });

  it('loadModel names a missing file, a directory and an empty file', () => {
    expect(() => loadModel(path.join(tmp, 'nope.bnn'))).toThrow(/nope\.bnn: file: expected a \.bnn model file, got no such file/);
    expect(() => loadModel(tmp)).toThrow(/not a regular file/);
    const empty = path.join(tmp, 'empty.bnn');
    fs.writeFileSync(empty, '');
    expect(() => loadModel(empty)).toThrow(InputError);
    const ok = path.join(tmp, 'ok.bnn');
    fs.writeFileSync(ok, MODEL_BASES[1]);
    expect(sameModel(loadModel(ok), modelFor(convGraph(), 2))).toBe(true);
  });
});
