/**
 * Fuzz specs for the integer-model files: src/int/serialize.ts decodeFolded (.bnnf) and
 * src/int/vectors.ts decodeVectors (.bnnv), from valid files made by their own writers.
 */
import fc from 'fast-check';
import { foldModel } from '../../../src/int/fold.js';
import { decodeFolded, encodeFolded } from '../../../src/int/serialize.js';
import type { FoldedModel } from '../../../src/int/types.js';
import { decodeVectors, encodeVectors, VECTOR_MAGIC, type VectorFile } from '../../../src/int/vectors.js';
import { Rng } from '../../../src/util/rng.js';
import { tinyCnn, tinyMlp } from '../../fixtures/graph/models.js';
import { bytesEqual, capBytes, ensure, joinSafetensors, safetensorsBoundaries, splitSafetensors } from '../formats.js';
import { hex, smallerBytes, type LoaderFuzz } from '../harness.js';
import { mutatedBytes, type IntField } from '../mutate-bytes.js';
import { mutatedJson } from '../mutate-json.js';

export const FOLDED: FoldedModel[] = [foldModel(tinyMlp(), 'a'.repeat(64)), foldModel(tinyCnn(), 'b'.repeat(64))];
export const FOLDED_BASES = FOLDED.map(encodeFolded);

// ---- .bnnf ----

/** The "model" JSON inside the metadata, mutated, with the real tensors. */
const foldedModelJsonMutations = fc.nat({ max: FOLDED.length - 1 }).chain((i) => {
  const { header, data } = splitSafetensors(FOLDED_BASES[i]);
  const h = JSON.parse(header) as { __metadata__: Record<string, string> } & Record<string, unknown>;
  return mutatedJson([JSON.parse(h.__metadata__.model)]).map((model) =>
    capBytes(joinSafetensors(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, model } }), data)),
  );
});

/** The safetensors header (metadata, tensor entries) mutated; data kept. */
const foldedHeaderMutations = fc.tuple(fc.nat({ max: FOLDED.length - 1 }), fc.integer({ min: -9, max: 9 }), fc.boolean()).chain(([i, delta, lie]) => {
  const { header, data } = splitSafetensors(FOLDED_BASES[i]);
  return mutatedJson([JSON.parse(header)]).map((h) => capBytes(joinSafetensors(h, data, lie ? delta : 0)));
});

export const foldedSpec: LoaderFuzz<Uint8Array> = {
  name: 'folded',
  file: 'src/int/serialize.ts',
  inputs: fc.oneof(
    { weight: 3, arbitrary: mutatedBytes({ bases: FOLDED_BASES, boundaries: safetensorsBoundaries, fields: () => [{ at: 0, size: 8, little: true }], magicLength: 8 }) },
    { weight: 4, arbitrary: foldedModelJsonMutations },
    { weight: 3, arbitrary: foldedHeaderMutations },
  ),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: FOLDED_BASES,
  load: (b) => decodeFolded(b, 'fuzz.bnnf'),
  sources: () => ['fuzz.bnnf'],
  smaller: smallerBytes,
  accept(value) {
    const bytes = encodeFolded(value as FoldedModel);
    ensure(bytesEqual(encodeFolded(decodeFolded(bytes, 're-encoded')), bytes), 'encoding is not a fixed point');
  },
};

// ---- .bnnv ----

function vectorsFor(f: FoldedModel, count: number, activations: boolean, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const pixels = f.input[0] * f.input[1] * f.input[2];
  const images = Uint8Array.from({ length: count * pixels }, () => rng.nextU32() & 255);
  const indices = Array.from({ length: count }, (_, i) => 1000 + i);
  const labels = Array.from({ length: count }, (_, i) => (i === 0 ? -1 : i % f.classes));
  return encodeVectors(f, images, indices, labels, { activations });
}

export const VECTOR_BASES = [vectorsFor(FOLDED[0], 3, true, 1), vectorsFor(FOLDED[0], 2, false, 2), vectorsFor(FOLDED[1], 2, true, 3)];

const u32 = (at: number): IntField => ({ at, size: 4, little: true });

function vectorLayout(b: Uint8Array): { header: number; record: number; count: number; classes: number; pixels: number; layers: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(8, true);
  const layers = dv.getUint32(24, true);
  const header = 28 + 4 * layers;
  return { header, record: (b.length - header) / count, count, classes: dv.getUint32(16, true), pixels: dv.getUint32(12, true), layers };
}

function vectorFields(b: Uint8Array): IntField[] {
  const L = vectorLayout(b);
  const fields = [4, 8, 12, 16, 20, 24].map(u32);
  for (let l = 0; l < L.layers; l++) fields.push(u32(28 + 4 * l));
  for (let r = 0; r < L.count; r++) {
    const at = L.header + r * L.record;
    fields.push(u32(at), u32(at + 4), u32(at + 8), u32(at + 12));
  }
  return fields;
}

function vectorBoundaries(b: Uint8Array): number[] {
  const L = vectorLayout(b);
  const out = [0, 4, 8, 12, 16, 20, 24, 28, L.header, b.length];
  for (let r = 0; r <= L.count; r++) {
    const at = L.header + r * L.record;
    out.push(at, at + 12, at + 12 + 4 * L.classes, at + 12 + 4 * L.classes + 4 * Math.ceil(L.pixels / 4));
  }
  return out;
}

/** A .bnnv file written straight from docs/vector-format.md, for the round trip. */
export function writeVectorFile(v: VectorFile): Uint8Array {
  const padded = 4 * Math.ceil(v.pixels / 4);
  const words = v.layerBits.map((b) => (b + 31) >>> 5);
  const record = 12 + 4 * v.classes + padded + 4 * words.reduce((a, b) => a + b, 0);
  const header = 28 + 4 * v.layerBits.length;
  const out = new Uint8Array(header + v.count * record);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(VECTOR_MAGIC), 0);
  [1, v.count, v.pixels, v.classes, v.activations ? 1 : 0, v.layerBits.length].forEach((x, i) => dv.setUint32(4 + 4 * i, x, true));
  v.layerBits.forEach((b, l) => dv.setUint32(28 + 4 * l, b, true));
  let at = header;
  for (let i = 0; i < v.count; i++) {
    dv.setUint32(at, v.indices[i], true);
    dv.setInt32(at + 4, v.labels[i], true);
    dv.setUint32(at + 8, v.expected[i], true);
    at += 12;
    for (let j = 0; j < v.classes; j++, at += 4) dv.setInt32(at, v.scores[i * v.classes + j], true);
    out.set(v.images.subarray(i * v.pixels, (i + 1) * v.pixels), at);
    at += padded;
    words.forEach((w, l) => {
      for (let k = 0; k < w; k++, at += 4) dv.setUint32(at, v.activations![l][i * w + k], true);
    });
  }
  return out;
}

export const vectorsSpec: LoaderFuzz<Uint8Array> = {
  name: 'vectors',
  file: 'src/int/vectors.ts',
  inputs: mutatedBytes({ bases: VECTOR_BASES, fields: vectorFields, boundaries: vectorBoundaries, magicLength: 4 }),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: VECTOR_BASES,
  load: (b) => decodeVectors(b, 'fuzz.bnnv'),
  sources: () => ['fuzz.bnnv'],
  smaller: smallerBytes,
  accept(value, input) {
    ensure(bytesEqual(writeVectorFile(value as VectorFile), input), 'vectors differ after re-writing');
  },
};

export const SPECS: Record<string, LoaderFuzz<Uint8Array>> = { folded: foldedSpec, vectors: vectorsSpec };
