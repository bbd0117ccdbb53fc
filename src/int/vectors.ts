/**
 * Test-vector files (`.bnnv`), exactly as docs/vector-format.md specifies: a header,
 * then one record per image with the integer model's expected class and scores and,
 * optionally, every activation layer's output bits. Little-endian; records 4-aligned.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lastWordMask } from './bits.js';
import { inferIntBatch } from './engine.js';
import { argmax } from '../util/argmax.js';
import { type FoldedModel, wordsPerRow } from './types.js';

export const VECTOR_MAGIC = 'BNNV';
export const VECTOR_VERSION = 1;
const FLAG_ACTIVATIONS = 1;
const HEADER_FIXED = 28;
/** Generous bounds that keep a corrupt header from asking for absurd allocations. */
const MAX_LAYERS = 4096;
const MAX_FILE_BYTES = 2 ** 32;

/** A decoded vector file; arrays are record-major. */
export interface VectorFile {
  count: number;
  /** Bytes of one image (H * W * C). */
  pixels: number;
  classes: number;
  /** Output bits of each activation layer; empty when the file has no activations. */
  layerBits: number[];
  /** Index of each image in its dataset split. */
  indices: Uint32Array;
  /** True labels, -1 if unknown. */
  labels: Int32Array;
  /** The integer model's class. */
  expected: Uint32Array;
  /** count * classes integer scores. */
  scores: Int32Array;
  /** count * pixels bytes. */
  images: Uint8Array;
  /** Per activation layer: count * ceil(bits / 32) words; null without activations. */
  activations: Uint32Array[] | null;
}

/** Output bit counts of the activation layers: every folded layer except the last. */
export function activationBits(f: FoldedModel): number[] {
  return f.layers.slice(0, -1).map((l) => l.outShape[0] * l.outShape[1] * l.outShape[2]);
}

function recordBytes(pixels: number, classes: number, layerBits: number[]): number {
  return 12 + 4 * classes + 4 * Math.ceil(pixels / 4) + 4 * layerBits.reduce((a, b) => a + wordsPerRow(b), 0);
}

/**
 * Encode vectors for `images` (count * pixels bytes) with their split indices and labels
 * (-1 if unknown); the expected results come from the integer model.
 */
export function encodeVectors(
  f: FoldedModel,
  images: Uint8Array,
  indices: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { activations: boolean },
): Uint8Array {
  const count = indices.length;
  const pixels = f.input[0] * f.input[1] * f.input[2];
  const classes = f.classes;
  if (images.length !== count * pixels) throw new RangeError(`encodeVectors: ${count} images need ${count * pixels} bytes, got ${images.length}`);
  if (labels.length !== count) throw new RangeError(`encodeVectors: ${count} indices but ${labels.length} labels`);
  const layerBits = opts.activations ? activationBits(f) : [];
  const result = inferIntBatch(f, images, count, opts.activations);

  const headerBytes = HEADER_FIXED + 4 * layerBits.length;
  const rec = recordBytes(pixels, classes, layerBits);
  const out = new Uint8Array(headerBytes + count * rec);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(VECTOR_MAGIC, 'ascii'), 0);
  dv.setUint32(4, VECTOR_VERSION, true);
  dv.setUint32(8, count, true);
  dv.setUint32(12, pixels, true);
  dv.setUint32(16, classes, true);
  dv.setUint32(20, opts.activations ? FLAG_ACTIVATIONS : 0, true);
  dv.setUint32(24, layerBits.length, true);
  layerBits.forEach((b, l) => dv.setUint32(HEADER_FIXED + 4 * l, b, true));

  let at = headerBytes;
  for (let i = 0; i < count; i++) {
    const index = indices[i];
    const label = labels[i];
    if (!(Number.isInteger(index) && index >= 0 && index <= 0xffffffff)) throw new RangeError(`encodeVectors: index ${index} is not a u32`);
    if (!(Number.isInteger(label) && label >= -1 && label < classes)) throw new RangeError(`encodeVectors: label ${label} outside -1..${classes - 1}`);
    dv.setUint32(at, index, true);
    dv.setInt32(at + 4, label, true);
    dv.setUint32(at + 8, result.predictions[i], true);
    at += 12;
    for (let j = 0; j < classes; j++, at += 4) dv.setInt32(at, result.scores[i * classes + j], true);
    out.set(images.subarray(i * pixels, (i + 1) * pixels), at);
    at += 4 * Math.ceil(pixels / 4);
    layerBits.forEach((bits, l) => {
      const words = wordsPerRow(bits);
      const src = result.layerBits![l];
      for (let k = 0; k < words; k++, at += 4) dv.setUint32(at, src[i * words + k], true);
    });
  }
  return out;
}

/** Write a vector file atomically. */
export function writeVectors(
  path: string,
  f: FoldedModel,
  images: Uint8Array,
  indices: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { activations: boolean },
): void {
  writeFileAtomic(path, encodeVectors(f, images, indices, labels, opts));
}

/** Decode and fully validate vector bytes; `source` names them in errors. */
export function decodeVectors(bytes: Uint8Array, source: string): VectorFile {
  if (bytes.length < HEADER_FIXED) throw new InputError(source, 'header', `at least ${HEADER_FIXED} bytes`, `${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  if (magic !== VECTOR_MAGIC) throw new InputError(source, 'magic', `"${VECTOR_MAGIC}" (a bnnc vector file)`, JSON.stringify(magic));
  const version = dv.getUint32(4, true);
  if (version !== VECTOR_VERSION) throw new InputError(source, 'version', String(VECTOR_VERSION), String(version));
  const count = dv.getUint32(8, true);
  const pixels = dv.getUint32(12, true);
  const classes = dv.getUint32(16, true);
  const flags = dv.getUint32(20, true);
  const nLayers = dv.getUint32(24, true);
  if (pixels < 1) throw new InputError(source, 'pixels', 'at least 1', String(pixels));
  if (classes < 1 || classes > 0xffff) throw new InputError(source, 'classes', 'an integer in 1..65535', String(classes));
  if ((flags & ~FLAG_ACTIVATIONS) !== 0) throw new InputError(source, 'flags', 'only bit 0 (activations) defined', `0x${flags.toString(16)}`);
  const hasActs = (flags & FLAG_ACTIVATIONS) !== 0;
  if (!hasActs && nLayers !== 0) throw new InputError(source, 'L', '0 when flag bit 0 is clear', String(nLayers));
  if (nLayers > MAX_LAYERS) throw new InputError(source, 'L', `at most ${MAX_LAYERS}`, String(nLayers));
  const headerBytes = HEADER_FIXED + 4 * nLayers;
  if (bytes.length < headerBytes) throw new InputError(source, 'header', `${headerBytes} bytes for ${nLayers} layers`, `${bytes.length} bytes`);
  const layerBits: number[] = [];
  for (let l = 0; l < nLayers; l++) {
    const b = dv.getUint32(HEADER_FIXED + 4 * l, true);
    if (b < 1) throw new InputError(source, `bits[${l}]`, 'at least 1', String(b));
    layerBits.push(b);
  }
  const rec = recordBytes(pixels, classes, layerBits);
  const body = bytes.length - headerBytes;
  if (body % rec !== 0 || body / rec !== count) {
    throw new InputError(source, 'file size', `${headerBytes} + ${count} records x ${rec} bytes = ${headerBytes + count * rec} bytes`, `${bytes.length} bytes`);
  }

  const v: VectorFile = {
    count,
    pixels,
    classes,
    layerBits,
    indices: new Uint32Array(count),
    labels: new Int32Array(count),
    expected: new Uint32Array(count),
    scores: new Int32Array(count * classes),
    images: new Uint8Array(count * pixels),
    activations: hasActs ? layerBits.map((b) => new Uint32Array(count * wordsPerRow(b))) : null,
  };
  const padded = 4 * Math.ceil(pixels / 4);
  let at = headerBytes;
  for (let i = 0; i < count; i++) {
    const where = `record ${i}`;
    v.indices[i] = dv.getUint32(at, true);
    const label = dv.getInt32(at + 4, true);
    if (label < -1 || label >= classes) throw new InputError(source, `${where} label`, `-1..${classes - 1}`, String(label));
    v.labels[i] = label;
    const expected = dv.getUint32(at + 8, true);
    at += 12;
    for (let j = 0; j < classes; j++, at += 4) v.scores[i * classes + j] = dv.getInt32(at, true);
    const best = argmax(v.scores, i * classes, classes);
    if (expected !== best) {
      throw new InputError(source, `${where} expected class`, `${best} (the argmax of its scores, ties to the lowest index)`, String(expected));
    }
    v.expected[i] = expected;
    v.images.set(bytes.subarray(at, at + pixels), i * pixels);
    for (let p = pixels; p < padded; p++) {
      if (bytes[at + p] !== 0) throw new InputError(source, `${where} image padding`, 'zero bytes', `byte ${p} = ${bytes[at + p]}`);
    }
    at += padded;
    layerBits.forEach((bits, l) => {
      const words = wordsPerRow(bits);
      const dst = v.activations![l];
      for (let k = 0; k < words; k++, at += 4) dst[i * words + k] = dv.getUint32(at, true);
      const last = dst[i * words + words - 1];
      if ((bits & 31) !== 0 && (last & ~lastWordMask(bits)) !== 0) {
        throw new InputError(source, `${where} layer ${l} bits`, `unused bits ${bits & 31}..31 of the last word 0`, `0x${(last >>> 0).toString(16)}`);
      }
    });
  }
  return v;
}

/** Read and validate a vector file. */
export function readVectors(path: string): VectorFile {
  let size: number;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) throw new InputError(path, 'file', 'a .bnnv vector file', 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, 'file', 'a .bnnv vector file', code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (size > MAX_FILE_BYTES) throw new InputError(path, 'file size', `at most ${MAX_FILE_BYTES} bytes`, `${size} bytes`);
  return decodeVectors(fs.readFileSync(path), path);
}

/** Throws an InputError unless the vectors were made for a model of f's shape. */
export function checkVectorsFit(v: VectorFile, f: FoldedModel, source: string): void {
  const pixels = f.input[0] * f.input[1] * f.input[2];
  if (v.pixels !== pixels) throw new InputError(source, 'pixels', `${pixels} (model ${f.name})`, String(v.pixels));
  if (v.classes !== f.classes) throw new InputError(source, 'classes', `${f.classes} (model ${f.name})`, String(v.classes));
  if (v.activations) {
    const bits = activationBits(f);
    if (bits.length !== v.layerBits.length || bits.some((b, i) => b !== v.layerBits[i])) {
      throw new InputError(source, 'layer bits', `[${bits.join(', ')}] (model ${f.name})`, `[${v.layerBits.join(', ')}]`);
    }
  }
}
