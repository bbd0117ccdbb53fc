/**
 * Fuzz specs for the model-file loaders: src/graph/safetensors.ts decodeSafetensors and
 * src/graph/io.ts decodeModel, from valid files made by their own writers.
 */
import fc from 'fast-check';
import { decodeModel, encodeModel } from '../../../src/graph/io.js';
import { decodeSafetensors, encodeSafetensors, type DType, type TensorData } from '../../../src/graph/safetensors.js';
import type { Model } from '../../../src/graph/types.js';
import { tinyCnn, tinyMlp } from '../../fixtures/graph/models.js';
import { bytesEqual, capBytes, ensure, joinSafetensors, safetensorsBoundaries, splitSafetensors } from '../formats.js';
import { hex, smallerBytes, type LoaderFuzz } from '../harness.js';
import { mutatedBytes } from '../mutate-bytes.js';
import { mutatedJson } from '../mutate-json.js';

// ---- safetensors ----

export const SAFE_BASES: Uint8Array[] = [
  encodeSafetensors(
    [
      ['w', { shape: [2, 3], data: new Float32Array([0.5, -1, 2, 3.25, -0, 1e-3]) }],
      ['b', { shape: [3], data: new Int32Array([-1, 0, 2147483647]) }],
      ['u', { shape: [2], data: new Uint32Array([0, 4294967295]) }],
      ['c', { shape: [5], data: new Uint8Array([1, 2, 3, 4, 255]) }],
    ],
    { note: 'fuzz base', format: 'x' },
  ),
  encodeSafetensors([]),
  encodeSafetensors([
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { shape: [], data: new Float32Array([7]) }],
    ['m', { shape: [2, 2, 2], data: new Uint8Array(8).fill(9) }],
  ]),
];

const safetensorsHeaders = SAFE_BASES.map((b) => splitSafetensors(b));

/** Header-level damage: the JSON mutated, the data kept, the length prefix true or lying. */
const safetensorsHeaderMutations = fc
  .tuple(fc.nat({ max: SAFE_BASES.length - 1 }), fc.integer({ min: -9, max: 9 }), fc.boolean())
  .chain(([bi, delta, lie]) =>
    mutatedJson([JSON.parse(safetensorsHeaders[bi].header)]).map((h) => capBytes(joinSafetensors(h, safetensorsHeaders[bi].data, lie ? delta : 0))),
  );

function sameTensor(a: { dtype: DType; shape: number[]; data: TensorData }, b: { dtype: DType; shape: number[]; data: TensorData }): boolean {
  const bytes = (d: TensorData): Uint8Array => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  return a.dtype === b.dtype && JSON.stringify(a.shape) === JSON.stringify(b.shape) && bytesEqual(bytes(a.data), bytes(b.data));
}

export const safetensorsSpec: LoaderFuzz<Uint8Array> = {
  name: 'safetensors',
  file: 'src/graph/safetensors.ts',
  inputs: fc.oneof(
    { weight: 3, arbitrary: mutatedBytes({ bases: SAFE_BASES, boundaries: safetensorsBoundaries, fields: () => [{ at: 0, size: 8, little: true }], magicLength: 8 }) },
    { weight: 4, arbitrary: safetensorsHeaderMutations },
  ),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: SAFE_BASES,
  load: (b) => decodeSafetensors(b, 'fuzz.safetensors'),
  sources: () => ['fuzz.safetensors'],
  smaller: smallerBytes,
  accept(value) {
    const v = value as ReturnType<typeof decodeSafetensors>;
    const again = decodeSafetensors(
      encodeSafetensors([...v.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data }]), v.metadata),
      're-encoded',
    );
    ensure(JSON.stringify(again.metadata) === JSON.stringify(v.metadata), 'metadata differs after re-encoding');
    ensure(JSON.stringify([...again.tensors.keys()]) === JSON.stringify([...v.tensors.keys()]), 'tensor order differs after re-encoding');
    for (const [name, t] of v.tensors) ensure(sameTensor(t, again.tensors.get(name)!), `tensor ${name} differs after re-encoding`);
  },
};

// ---- .bnn model files ----

const MODELS: Model[] = [tinyMlp(), tinyCnn()];
export const MODEL_BASES = MODELS.map(encodeModel);
const GRAPHS = MODELS.map((m) => JSON.parse(JSON.stringify(m.graph)) as unknown);

/** The graph JSON mutated and stored back with the model's real tensors. */
const graphMutations = fc.tuple(fc.nat({ max: MODELS.length - 1 })).chain(([mi]) =>
  mutatedJson([GRAPHS[mi]]).map((graph) =>
    capBytes(encodeSafetensors(MODELS[mi].tensors, { format: 'bnnc-model', version: '1', graph })),
  ),
);

/** The safetensors header (metadata and tensor entries) mutated; data kept. */
const modelHeaderMutations = fc.tuple(fc.nat({ max: MODELS.length - 1 }), fc.integer({ min: -9, max: 9 }), fc.boolean()).chain(([mi, delta, lie]) => {
  const { header, data } = splitSafetensors(MODEL_BASES[mi]);
  return mutatedJson([JSON.parse(header)]).map((h) => capBytes(joinSafetensors(h, data, lie ? delta : 0)));
});

const BAD_FLOATS = [NaN, Infinity, -Infinity, -1, -1e-30, 3.4e38, -3.4e38, 0, -0, 1e-45];

/** Tensor contents and shapes damaged while the file stays valid safetensors. */
const tensorMutations = fc
  .record({
    mi: fc.nat({ max: MODELS.length - 1 }),
    tensor: fc.nat(),
    index: fc.nat(),
    value: fc.nat({ max: BAD_FLOATS.length - 1 }),
    reshape: fc.nat({ max: 5 }),
    dtype: fc.constantFrom<'F32' | 'I32' | 'U32' | 'U8'>('F32', 'F32', 'F32', 'I32', 'U32', 'U8'),
  })
  .map(({ mi, tensor, index, value, reshape, dtype }) => {
    const entries = [...MODELS[mi].tensors].map(([n, t]) => [n, { shape: [...t.shape], data: t.data.slice() as TensorData }] as [string, { shape: number[]; data: TensorData }]);
    const [, t] = entries[tensor % entries.length];
    t.data[index % t.data.length] = BAD_FLOATS[value];
    const n = t.data.length;
    // Same element count, other shapes: transposed, flattened, a unit axis added.
    const shapes = [t.shape, [...t.shape].reverse(), [n], [1, ...t.shape], [...t.shape, 1], n % 2 === 0 ? [2, n / 2] : [n, 1]];
    t.shape = shapes[reshape];
    if (dtype !== 'F32') {
      const raw = new Uint8Array(t.data.buffer.slice(0));
      t.data = dtype === 'I32' ? new Int32Array(raw.buffer) : dtype === 'U32' ? new Uint32Array(raw.buffer) : raw;
      if (dtype === 'U8') t.shape = [raw.length];
    }
    const metadata = { format: 'bnnc-model', version: '1', graph: JSON.stringify(MODELS[mi].graph) };
    return encodeSafetensors(entries, metadata);
  });

export function sameModel(a: Model, b: Model): boolean {
  if (JSON.stringify(a.graph) !== JSON.stringify(b.graph)) return false;
  if (JSON.stringify([...a.tensors.keys()]) !== JSON.stringify([...b.tensors.keys()])) return false;
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    if (JSON.stringify(t.shape) !== JSON.stringify(u.shape)) return false;
    if (!bytesEqual(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength))) return false;
  }
  return true;
}

export const modelSpec: LoaderFuzz<Uint8Array> = {
  name: 'model',
  file: 'src/graph/io.ts',
  inputs: fc.oneof(
    { weight: 3, arbitrary: mutatedBytes({ bases: MODEL_BASES, boundaries: safetensorsBoundaries, fields: () => [{ at: 0, size: 8, little: true }], magicLength: 8 }) },
    { weight: 4, arbitrary: graphMutations },
    { weight: 3, arbitrary: modelHeaderMutations },
    { weight: 2, arbitrary: tensorMutations },
  ),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: MODEL_BASES,
  load: (b) => decodeModel(b, 'fuzz.bnn'),
  sources: () => ['fuzz.bnn'],
  smaller: smallerBytes,
  accept(value) {
    const m = value as Model;
    const bytes = encodeModel(m);
    const again = decodeModel(bytes, 're-encoded');
    ensure(sameModel(m, again), 'model differs after re-encoding');
    ensure(bytesEqual(encodeModel(again), bytes), 'encoding is not a fixed point');
  },
};

export const SPECS: Record<string, LoaderFuzz<Uint8Array>> = { safetensors: safetensorsSpec, model: modelSpec };
