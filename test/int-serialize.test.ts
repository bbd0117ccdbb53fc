/**
 * .bnnf folded-model files: bitwise round trips, deterministic bytes, and rejection of
 * every kind of corruption with an InputError that names the field.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../src/graph/safetensors.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { decodeFolded, encodeFolded, loadFolded, saveFolded } from '../src/int/serialize.js';
import type { FoldedMatrixLayer, FoldedModel } from '../src/int/types.js';
import { Rng } from '../src/util/rng.js';
import { buildNet, randomImages, type NetSpec } from './int-fixtures.js';

const CONV_NET: NetSpec = {
  input: [9, 9, 3],
  blocks: [{ kind: 'conv', out: 4, k: 3, pool: 2, bias: true }, { kind: 'conv', out: 37, k: 3 }, { kind: 'dense', out: 5 }],
};
const DENSE_NET: NetSpec = { input: [5, 5, 1], blocks: [{ kind: 'dense', out: 33 }, { kind: 'dense', out: 65 }, { kind: 'dense', out: 7 }] };

function folded(spec: NetSpec, seed: number): FoldedModel {
  return foldModel(buildNet(new Rng(seed), spec), 'ab'.repeat(32));
}

/** Re-encode a file after changing its metadata model JSON and/or tensors. */
function tamper(
  bytes: Uint8Array,
  edit: (model: Record<string, unknown>, tensors: Map<string, SafeTensor>, metadata: Record<string, string>) => void,
): Uint8Array {
  const { metadata, tensors } = decodeSafetensors(bytes, 'x');
  const model = JSON.parse(metadata.model) as Record<string, unknown>;
  edit(model, tensors, metadata);
  if (metadata.model !== undefined) metadata.model = JSON.stringify(model);
  return encodeSafetensors(tensors, metadata);
}

function expectInputError(fn: () => unknown, field: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an InputError').toBeInstanceOf(InputError);
  expect((err as InputError).field).toMatch(field);
}

describe('.bnnf round trip', () => {
  for (const [name, spec] of [['conv', CONV_NET], ['dense', DENSE_NET]] as const) {
    it(`${name}: decode(encode(f)) equals f and re-encodes to the same bytes`, () => {
      const f = folded(spec, 3);
      const bytes = encodeFolded(f);
      const g = decodeFolded(bytes, 'mem');
      expect(g).toEqual(f);
      g.layers.forEach((l, i) => {
        if (l.kind === 'maxpool') return;
        const orig = f.layers[i] as FoldedMatrixLayer;
        expect(l.weights).toBeInstanceOf(Uint32Array);
        expect(Array.from(l.weights)).toEqual(Array.from(orig.weights));
      });
      expect(Buffer.from(encodeFolded(g))).toEqual(Buffer.from(bytes));
      // Same results from the loaded model.
      const images = randomImages(new Rng(1), 20, f.input[0] * f.input[1] * f.input[2]);
      expect(inferIntBatch(g, images, 20).scores).toEqual(inferIntBatch(f, images, 20).scores);
    });
  }

  for (const [name, spec] of [['conv', CONV_NET], ['dense', DENSE_NET]] as const) {
    it(`${name} with a binarized input: version 2 with inputThreshold round trips`, () => {
      const f = folded({ ...spec, inputThreshold: 77 }, 6);
      expect(f.version).toBe(2);
      const bytes = encodeFolded(f);
      expect(decodeSafetensors(bytes, 'x').metadata.version).toBe('2');
      const g = decodeFolded(bytes, 'mem');
      expect(g).toEqual(f);
      expect(Buffer.from(encodeFolded(g))).toEqual(Buffer.from(bytes));
      const images = randomImages(new Rng(2), 20, f.input[0] * f.input[1] * f.input[2]);
      expect(inferIntBatch(g, images, 20).scores).toEqual(inferIntBatch(f, images, 20).scores);
      // inputThreshold outside 1..255, missing in version 2, or present in version 1
      expectInputError(() => decodeFolded(tamper(bytes, (m) => (m.inputThreshold = 0)), 't'), /^inputThreshold$/);
      expectInputError(() => decodeFolded(tamper(bytes, (m) => delete m.inputThreshold), 't'), /model\.inputThreshold/);
      expectInputError(() => decodeFolded(tamper(bytes, (_m, _t, md) => (md.version = '1')), 't'), /model\.inputThreshold/);
    });
  }

  it('saveFolded / loadFolded through a file', () => {
    const f = folded(CONV_NET, 4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-int-'));
    try {
      const p = path.join(dir, 'm.bnnf');
      saveFolded(p, f);
      expect(loadFolded(p)).toEqual(f);
      expect(fs.readdirSync(dir)).toEqual(['m.bnnf']); // no temp files left behind
      expectInputError(() => loadFolded(path.join(dir, 'missing.bnnf')), /^file$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('.bnnf corruption is rejected', () => {
  const f = folded(CONV_NET, 5);
  const good = encodeFolded(f);
  // layers: 0 conv (pixels), 1 maxpool, 2 conv (bits), 3 dense (scores)

  it('truncated or garbled bytes', () => {
    expectInputError(() => decodeFolded(good.subarray(0, good.length - 3), 't'), /./);
    expectInputError(() => decodeFolded(good.subarray(0, 5), 't'), /header length/);
    const garbled = good.slice();
    garbled[10] = 0x7b; // inside the JSON header
    expect(() => decodeFolded(garbled, 't')).toThrow(InputError);
  });

  it('wrong format, version, unknown or missing fields', () => {
    expectInputError(() => decodeFolded(tamper(good, (_m, _t, md) => (md.format = 'bnnc-model')), 't'), /__metadata__\.format/);
    expectInputError(() => decodeFolded(tamper(good, (_m, _t, md) => (md.version = '3')), 't'), /__metadata__\.version/);
    expectInputError(() => decodeFolded(tamper(good, (_m, _t, md) => (md.version = '2')), 't'), /model\.inputThreshold/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (m.extra = 1)), 't'), /model\.extra/);
    expectInputError(() => decodeFolded(tamper(good, (m) => delete m.classes), 't'), /model\.classes/);
    expectInputError(
      () => decodeFolded(tamper(good, (m) => ((m.layers as Record<string, unknown>[])[2].stride = 1)), 't'),
      /model\.layers\[2\]\.stride/,
    );
  });

  it('inconsistent shapes and sizes', () => {
    const layer = (i: number) => (m: Record<string, unknown>) => (m.layers as Record<string, unknown>[])[i];
    expectInputError(() => decodeFolded(tamper(good, (m) => (layer(1)(m).size = 3)), 't'), /layers\[1\]\.outShape/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (layer(2)(m).inShape = [3, 3, 5])), 't'), /layers\[2\]\.inShape/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (layer(2)(m).input = 'pixels')), 't'), /layers\[2\]\.input/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (layer(3)(m).kernel = 2)), 't'), /layers\[3\]\.kernel/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (m.classes = 6)), 't'), /layers\[3\]\.rows/);
    expectInputError(() => decodeFolded(tamper(good, (m) => (m.input = [9, 9, 0])), 't'), /^input$/);
  });

  it('tensors: missing, extra, wrong dtype or shape', () => {
    expectInputError(() => decodeFolded(tamper(good, (_m, t) => t.delete('layers.2.thresholds')), 't'), /layers\.2\.thresholds/);
    expectInputError(
      () => decodeFolded(tamper(good, (_m, t) => t.set('layers.9.weights', { dtype: 'U32', shape: [1], data: new Uint32Array(1) })), 't'),
      /layers\.9\.weights/,
    );
    expectInputError(
      () =>
        decodeFolded(
          tamper(good, (_m, t) => {
            const x = t.get('layers.0.thresholds')!;
            t.set('layers.0.thresholds', { dtype: 'U32', shape: x.shape, data: new Uint32Array(x.data.length) });
          }),
          't',
        ),
      /layers\.0\.thresholds/,
    );
    expectInputError(
      () =>
        decodeFolded(
          tamper(good, (_m, t) => {
            const x = t.get('layers.2.weights')!;
            t.set('layers.2.weights', { dtype: 'U32', shape: [x.shape[0] - 1, x.shape[1]], data: x.data.subarray(x.shape[1]) });
          }),
          't',
        ),
      /layers\.2\.weights/,
    );
  });

  it('nonzero padding bits, thresholds and scores out of range', () => {
    // layer 2: conv 3x3 over 4 channels, cols = 36: bits 4..31 of each row's second word unused.
    const withWord = (name: string, index: number, value: number) =>
      tamper(good, (_m, t) => {
        const x = t.get(name)!;
        const d = x.data.slice();
        d[index] = value;
        t.set(name, { ...x, data: d });
      });
    expectInputError(() => decodeFolded(withWord('layers.2.weights', 1, 0x10), 't'), /layers\[2\]\.weights row 0/);
    expectInputError(() => decodeFolded(withWord('layers.2.thresholds', 0, 38), 't'), /layers\[2\]\.output\.thresholds\[0\]/);
    expectInputError(() => decodeFolded(withWord('layers.2.thresholds', 0, -1), 't'), /thresholds\[0\]/);
    // layer 0 takes pixels, cols = 27: thresholds in [-255*27, 255*27 + 1]
    expect(() => decodeFolded(withWord('layers.0.thresholds', 0, -255 * 27), 't')).not.toThrow();
    expectInputError(() => decodeFolded(withWord('layers.0.thresholds', 0, -255 * 27 - 1), 't'), /layers\[0\]\.output\.thresholds\[0\]/);
    expectInputError(() => decodeFolded(withWord('layers.3.mul', 0, 2 ** 20), 't'), /layers\[3\]\.output\.mul\[0\]/);
    expectInputError(() => decodeFolded(withWord('layers.3.add', 0, 2 ** 31 - 1), 't'), /layers\[3\]\.output row 0/);
    expectInputError(
      () => decodeFolded(tamper(good, (m) => (((m.layers as Record<string, unknown>[])[3].output as Record<string, unknown>).fracBits = 31)), 't'),
      /fracBits/,
    );
  });
});
