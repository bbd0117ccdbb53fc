/**
 * .bnnv test-vector files: the layout of docs/vector-format.md checked byte by byte on a
 * small file, records equal to the reference integer model (inferInt), bitwise round
 * trips, and corrupt files rejected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { foldModel } from '../src/int/fold.js';
import { inferInt } from '../src/int/infer.js';
import { activationBits, checkVectorsFit, decodeVectors, encodeVectors, readVectors, writeVectors } from '../src/int/vectors.js';
import { Rng } from '../src/util/rng.js';
import { buildNet, randomImages, type NetSpec } from './int-fixtures.js';

// 5x5x3 = 75 pixels (not a multiple of 4); activations of 3x3x4 = 36 bits, 1x1x4 after
// the pool... see the layer list below.
const NET: NetSpec = {
  input: [5, 5, 3],
  blocks: [{ kind: 'conv', out: 4, k: 3, pool: 3 }, { kind: 'dense', out: 33 }, { kind: 'dense', out: 6 }],
};

function setup(n: number, seed = 1) {
  const rng = new Rng(seed);
  const f = foldModel(buildNet(rng, NET), 'hash');
  const pixels = 75;
  const images = randomImages(rng, n, pixels);
  const indices = Uint32Array.from({ length: n }, (_, i) => 1000 + 3 * i);
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -1 : i % 6));
  return { f, images, indices, labels, pixels };
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

describe('.bnnv layout', () => {
  it('activation layers: every folded layer but the last, with their output bits', () => {
    const { f } = setup(1);
    // conv 5x5x3 -> 3x3x4 (36 bits), pool 3 -> 1x1x4 (4 bits), dense 33 (33 bits), dense 6 (scores)
    expect(activationBits(f)).toEqual([36, 4, 33]);
  });

  it('header and records at the documented offsets, equal to inferInt', () => {
    const n = 9;
    const { f, images, indices, labels, pixels } = setup(n);
    const bytes = encodeVectors(f, images, indices, labels, { activations: true });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('ascii')).toBe('BNNV');
    const header = [4, 8, 12, 16, 20, 24, 28, 32, 36].map((o) => dv.getUint32(o, true));
    expect(header).toEqual([1, n, 75, 6, 1, 3, 36, 4, 33]);
    // Record size = 12 + 4*classes + 4*ceil(pixels/4) + 4*sum(ceil(bits/32)).
    const rec = 12 + 4 * 6 + 4 * 19 + 4 * (2 + 1 + 2);
    expect(bytes.length).toBe(40 + n * rec);
    for (let i = 0; i < n; i++) {
      const at = 40 + i * rec;
      const img = images.subarray(i * pixels, (i + 1) * pixels);
      const ref = inferInt(f, img, true);
      expect(dv.getUint32(at, true)).toBe(indices[i]);
      expect(dv.getInt32(at + 4, true)).toBe(labels[i]);
      expect(dv.getUint32(at + 8, true)).toBe(ref.prediction);
      for (let j = 0; j < 6; j++) expect(dv.getInt32(at + 12 + 4 * j, true)).toBe(ref.scores[j]);
      expect(Array.from(bytes.subarray(at + 36, at + 36 + 75))).toEqual(Array.from(img));
      expect(Array.from(bytes.subarray(at + 36 + 75, at + 36 + 76))).toEqual([0]); // padding
      let w = at + 36 + 76;
      for (const bits of ref.layerBits!) {
        for (const word of bits) {
          expect(dv.getUint32(w, true)).toBe(word);
          w += 4;
        }
      }
      expect(w).toBe(at + rec);
    }
  });

  it('without activations: flags 0, L 0, shorter records', () => {
    const { f, images, indices, labels } = setup(4);
    const bytes = encodeVectors(f, images, indices, labels, { activations: false });
    const dv = new DataView(bytes.buffer);
    expect([dv.getUint32(20, true), dv.getUint32(24, true)]).toEqual([0, 0]);
    expect(bytes.length).toBe(28 + 4 * (12 + 24 + 76));
    const v = decodeVectors(bytes, 'mem');
    expect(v.activations).toBeNull();
    expect(v.layerBits).toEqual([]);
  });
});

describe('.bnnv round trip', () => {
  it('decode(encode) returns the same arrays; write/read through a file', () => {
    const n = 30;
    const { f, images, indices, labels } = setup(n, 2);
    const bytes = encodeVectors(f, images, indices, labels, { activations: true });
    const v = decodeVectors(bytes, 'mem');
    expect(v.count).toBe(n);
    expect(v.indices).toEqual(indices);
    expect(v.labels).toEqual(labels);
    expect(v.images).toEqual(images);
    for (let i = 0; i < n; i++) {
      const ref = inferInt(f, images.subarray(i * 75, (i + 1) * 75), true);
      expect(v.expected[i]).toBe(ref.prediction);
      expect(v.scores.subarray(i * 6, (i + 1) * 6)).toEqual(ref.scores);
      ref.layerBits!.forEach((bits, l) => {
        const words = bits.length;
        expect(v.activations![l].subarray(i * words, (i + 1) * words)).toEqual(bits);
      });
    }
    checkVectorsFit(v, f, 'mem');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-int-'));
    try {
      const p = path.join(dir, 'v.bnnv');
      writeVectors(p, f, images, indices, labels, { activations: true });
      expect(Buffer.from(fs.readFileSync(p))).toEqual(Buffer.from(bytes));
      expect(readVectors(p)).toEqual(v);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkVectorsFit rejects vectors of another model shape', () => {
    const { f, images, indices, labels } = setup(3);
    const v = decodeVectors(encodeVectors(f, images, indices, labels, { activations: true }), 'mem');
    const other = foldModel(buildNet(new Rng(9), { ...NET, blocks: [NET.blocks[0], { kind: 'dense', out: 34 }, { kind: 'dense', out: 6 }] }), 'h');
    expectInputError(() => checkVectorsFit(v, other, 'mem'), /layer bits/);
  });
});

describe('.bnnv corruption is rejected', () => {
  const { f, images, indices, labels } = setup(5, 3);
  const good = encodeVectors(f, images, indices, labels, { activations: true });
  const rec = (good.length - 40) / 5;
  const withU32 = (offset: number, value: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(offset, value >>> 0, true);
    return b;
  };

  it('header fields', () => {
    const b = good.slice();
    b[0] = 0x58;
    expectInputError(() => decodeVectors(b, 't'), /magic/);
    expectInputError(() => decodeVectors(withU32(4, 2), 't'), /version/);
    expectInputError(() => decodeVectors(withU32(20, 3), 't'), /flags/);
    expectInputError(() => decodeVectors(withU32(20, 0), 't'), /^L$/);
    expectInputError(() => decodeVectors(withU32(8, 6), 't'), /file size/);
    expectInputError(() => decodeVectors(withU32(16, 7), 't'), /file size/);
    expectInputError(() => decodeVectors(good.subarray(0, good.length - 4), 't'), /file size/);
    expectInputError(() => decodeVectors(good.subarray(0, 20), 't'), /header/);
    expectInputError(() => decodeVectors(withU32(32, 0), 't'), /bits\[1\]/);
  });

  it('record fields', () => {
    const r1 = 40 + rec; // record 1
    expectInputError(() => decodeVectors(withU32(r1 + 4, 6), 't'), /record 1 label/);
    expectInputError(() => decodeVectors(withU32(r1 + 4, -2), 't'), /record 1 label/);
    const dv = new DataView(good.buffer, good.byteOffset);
    const expected = dv.getUint32(r1 + 8, true);
    expectInputError(() => decodeVectors(withU32(r1 + 8, (expected + 1) % 6), 't'), /record 1 expected class/);
    // image padding: pixels 75 -> one zero byte at offset 36 + 75 of the record
    const b = good.slice();
    b[r1 + 36 + 75] = 1;
    expectInputError(() => decodeVectors(b, 't'), /record 1 image padding/);
    // layer 1 has 4 bits: its single word at r1 + 36 + 76 + 8; bit 4 must be 0
    const w = r1 + 36 + 76 + 8;
    expectInputError(() => decodeVectors(withU32(w, dv.getUint32(w, true) | 0x10), 't'), /record 1 layer 1 bits/);
  });
});
