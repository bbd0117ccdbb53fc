/**
 * Fuzz specs for the dataset loaders: src/data/idx.ts (plain and gzip IDX) and
 * src/data/cifar.ts (CIFAR-10 batch files). Both read paths, so every input is written
 * to a scratch file first.
 */
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { CIFAR_IMAGE_BYTES, CIFAR_RECORD_BYTES, loadCifarFiles } from '../../../src/data/cifar.js';
import { encodeIdx, readIdxImages, readIdxLabels, type IdxImages, type IdxLabels } from '../../../src/data/idx.js';
import type { Dataset } from '../../../src/data/types.js';
import { Rng } from '../../../src/util/rng.js';
import { bytesEqual, concatBytes, ensure } from '../formats.js';
import { hex, smallerBytes, type LoaderFuzz } from '../harness.js';
import { mutatedBytes, type IntField } from '../mutate-bytes.js';
import { scratchDir, scratchFile as write } from '../scratch.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.nextU32() & 255);
}

// ---- IDX ----

const IDX_IMAGES_3 = encodeIdx([3, 4, 5], randomBytes(60, 1));
const IDX_IMAGES_4 = encodeIdx([2, 3, 2, 3], randomBytes(36, 2));
const IDX_LABELS = encodeIdx([12], Uint8Array.from({ length: 12 }, (_, i) => i % 10));
const IDX_BASES = [IDX_IMAGES_3, IDX_IMAGES_4, IDX_LABELS];

function idxFields(b: Uint8Array): IntField[] {
  const fields: IntField[] = [0, 1, 2, 3].map((at) => ({ at, size: 1, little: false }));
  for (let d = 0; d < b[3]; d++) fields.push({ at: 4 + 4 * d, size: 4, little: false });
  return fields;
}

function idxBoundaries(b: Uint8Array): number[] {
  const header = 4 + 4 * b[3];
  const out = [0, 1, 2, 3, 4, header, b.length];
  for (let d = 0; d < b[3]; d++) out.push(4 + 4 * d, 8 + 4 * d);
  const record = (b.length - header) / new DataView(b.buffer, b.byteOffset).getUint32(4, false);
  for (let at = header; at < b.length; at += record) out.push(at);
  return out;
}

const idxFormat = { bases: IDX_BASES, fields: idxFields, boundaries: idxBoundaries, magicLength: 4 };

/** The dims an accepted images file had, for re-encoding (3 or 4 as the file said). */
function imageDims(im: IdxImages, ndims: number): number[] {
  return ndims === 4 ? [im.count, im.height, im.width, im.channels] : [im.count, im.height, im.width];
}

function acceptImages(value: unknown, plain: Uint8Array): void {
  const im = value as IdxImages;
  ensure(im.pixels.length === im.count * im.height * im.width * im.channels, 'pixel count differs from the dims');
  ensure(bytesEqual(encodeIdx(imageDims(im, plain[3]), im.pixels), plain), 'images differ after re-encoding');
}

function acceptLabels(value: unknown, plain: Uint8Array): void {
  const lab = value as IdxLabels;
  ensure(lab.labels.length === lab.count, 'label count differs from the header');
  ensure(bytesEqual(encodeIdx([lab.count], lab.labels), plain), 'labels differ after re-encoding');
}

export const idxImagesSpec: LoaderFuzz<Uint8Array> = {
  name: 'idx-images',
  file: 'src/data/idx.ts',
  inputs: mutatedBytes(idxFormat),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: [IDX_IMAGES_3, IDX_IMAGES_4],
  load: (b) => readIdxImages(write('images.idx', b)),
  sources: () => [path.join(scratchDir(), 'images.idx')],
  smaller: smallerBytes,
  accept: acceptImages,
};

export const idxLabelsSpec: LoaderFuzz<Uint8Array> = {
  name: 'idx-labels',
  file: 'src/data/idx.ts',
  inputs: mutatedBytes(idxFormat),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: [IDX_LABELS],
  load: (b) => readIdxLabels(write('labels.idx', b)),
  sources: () => [path.join(scratchDir(), 'labels.idx')],
  smaller: smallerBytes,
  accept: acceptLabels,
};

// gzip: the same IDX files compressed several ways.
export function withFileName(gz: Uint8Array, name: string): Uint8Array {
  const out = concatBytes([gz.subarray(0, 10), new TextEncoder().encode(name + '\0'), gz.subarray(10)]);
  out[3] |= 0x08; // FNAME
  return out;
}

const GZIP_BASES: Uint8Array[] = IDX_BASES.flatMap((b) => [
  zlib.gzipSync(b, { level: 9 }),
  zlib.gzipSync(b, { level: 0 }), // stored blocks: byte damage lands on the IDX header itself
  withFileName(zlib.gzipSync(b), 'train-images-idx3-ubyte'),
  concatBytes([zlib.gzipSync(b.subarray(0, 7)), zlib.gzipSync(b.subarray(7))]), // two members
]);
const GZIP_KINDS = IDX_BASES.flatMap((b) => Array<'images' | 'labels'>(4).fill(b[3] === 1 ? 'labels' : 'images'));

function gzipFields(b: Uint8Array): IntField[] {
  return [
    { at: 3, size: 1, little: true }, // flags
    { at: 4, size: 4, little: true }, // mtime
    { at: 8, size: 1, little: true }, // xfl
    { at: b.length - 8, size: 4, little: true }, // crc32
    { at: b.length - 4, size: 4, little: true }, // isize
  ];
}

interface GzipInput {
  kind: 'images' | 'labels';
  bytes: Uint8Array;
}

const gzipInputs: fc.Arbitrary<GzipInput> = fc.oneof(
  // The compressed stream damaged.
  {
    weight: 1,
    arbitrary: fc.nat({ max: GZIP_BASES.length - 1 }).chain((i) =>
      mutatedBytes({ bases: [GZIP_BASES[i]], fields: gzipFields, boundaries: (b) => [0, 2, 3, 4, 10, b.length - 8, b.length - 4, b.length], magicLength: 2 }).map(
        (bytes) => ({ kind: GZIP_KINDS[i], bytes }),
      ),
    ),
  },
  // A damaged IDX file compressed cleanly: the header checks behind the inflater.
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom<'images' | 'labels'>('images', 'labels'), mutatedBytes(idxFormat), fc.constantFrom(0, 1, 9)).map(([kind, b, level]) => ({
      kind,
      bytes: new Uint8Array(zlib.gzipSync(b, { level })),
    })),
  },
);

export const idxGzipSpec: LoaderFuzz<GzipInput> = {
  name: 'idx-gzip',
  file: 'src/data/idx.ts',
  inputs: gzipInputs,
  size: (g) => g.bytes.length,
  show: (g) => `${g.kind} ${hex(g.bytes)}`,
  bases: GZIP_BASES.map((bytes, i) => ({ kind: GZIP_KINDS[i], bytes })),
  contents: (g) => g.bytes,
  load: (g) => {
    const p = write('data.idx.gz', g.bytes);
    return g.kind === 'images' ? readIdxImages(p) : readIdxLabels(p);
  },
  sources: () => [path.join(scratchDir(), 'data.idx.gz')],
  // Deflate expands at most ~1032:1.
  allocationBudget: (n) => 4 * 1024 * 1024 + 2200 * n,
  smaller: function* (g) {
    for (const bytes of smallerBytes(g.bytes)) yield { kind: g.kind, bytes };
  },
  accept(value, g) {
    const plain = new Uint8Array(zlib.gunzipSync(g.bytes));
    if (g.kind === 'images') acceptImages(value, plain);
    else acceptLabels(value, plain);
  },
};

// ---- CIFAR-10 ----

function cifarBatch(labels: number[], seed: number): Uint8Array {
  const out = randomBytes(labels.length * CIFAR_RECORD_BYTES, seed);
  labels.forEach((l, r) => (out[r * CIFAR_RECORD_BYTES] = l));
  return out;
}

const CIFAR_BASES = [cifarBatch([3, 9], 5), cifarBatch([0], 6)];

function cifarBoundaries(b: Uint8Array): number[] {
  const out = [0, 1, b.length];
  for (let at = 0; at <= b.length; at += CIFAR_RECORD_BYTES) out.push(at, at + 1, at + 1 + 1024, at + 1 + 2048);
  return out;
}

function cifarFields(b: Uint8Array): IntField[] {
  const out: IntField[] = [];
  for (let at = 0; at < b.length; at += CIFAR_RECORD_BYTES) out.push({ at, size: 1, little: true });
  return out;
}

/** Records back in CHW order, as the batch files hold them. */
function cifarRecords(ds: Dataset): Uint8Array {
  const out = new Uint8Array(ds.n * CIFAR_RECORD_BYTES);
  for (let i = 0; i < ds.n; i++) {
    const rec = i * CIFAR_RECORD_BYTES;
    out[rec] = ds.labels[i];
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[rec + 1 + c * 1024 + p] = ds.images[i * CIFAR_IMAGE_BYTES + p * 3 + c];
    }
  }
  return out;
}

const cifarInputs: fc.Arbitrary<Uint8Array[]> = fc.oneof(
  { weight: 3, arbitrary: mutatedBytes({ bases: CIFAR_BASES, boundaries: cifarBoundaries, fields: cifarFields, magicLength: 1 }).map((b) => [b]) },
  // A good file first, then a bad one: the second file's errors must name it.
  {
    weight: 1,
    arbitrary: mutatedBytes({ bases: CIFAR_BASES, boundaries: cifarBoundaries, fields: cifarFields, magicLength: 1 }).map((b) => [CIFAR_BASES[0], b]),
  },
);

const CIFAR_NAMES = ['data_batch_1.bin', 'data_batch_2.bin'];
export const cifarSpec: LoaderFuzz<Uint8Array[]> = {
  name: 'cifar',
  file: 'src/data/cifar.ts',
  inputs: cifarInputs,
  size: (fs) => fs.reduce((a, b) => a + b.length, 0),
  show: (files) => files.map((b) => hex(b, 64)).join(' | '),
  bases: CIFAR_BASES.map((b) => [b]),
  contents: (files) => files[files.length - 1],
  load: (files) => loadCifarFiles(files.map((b, i) => write(CIFAR_NAMES[i], b)), 'cifar-fuzz'),
  sources: () => [...CIFAR_NAMES.map((n) => path.join(scratchDir(), n)), 'cifar-fuzz'],
  smaller: function* (files) {
    for (const b of smallerBytes(files[files.length - 1])) yield [...files.slice(0, -1), b];
  },
  accept(value, files) {
    const ds = value as Dataset;
    ensure(ds.images.length === ds.n * CIFAR_IMAGE_BYTES && ds.labels.length === ds.n, 'sizes differ from n');
    ensure(bytesEqual(cifarRecords(ds), concatBytes(files)), 'records differ after re-encoding');
  },
};

export const SPECS: Record<string, LoaderFuzz<any>> = {
  'idx-images': idxImagesSpec,
  'idx-labels': idxLabelsSpec,
  'idx-gzip': idxGzipSpec,
  cifar: cifarSpec,
};
