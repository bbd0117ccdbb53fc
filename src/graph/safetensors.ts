/**
 * safetensors encoding and decoding (https://github.com/huggingface/safetensors):
 *
 *   8 bytes   N, little-endian u64: length of the header
 *   N bytes   UTF-8 JSON: { "__metadata__": {string: string}, "<name>": { "dtype": "F32",
 *             "shape": [..], "data_offsets": [begin, end] }, ... }, padded with spaces so
 *             that the data starts on an 8-byte boundary
 *   rest      the byte buffer: tensors little-endian, row-major, back to back; offsets
 *             are relative to the start of this buffer and must cover it exactly.
 *
 * The encoder is deterministic: entries in the given order, offsets assigned in that
 * order, JSON without whitespace. The decoder trusts nothing: every size is checked
 * against the bytes present before it is used.
 */
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from './json.js';

export type DType = 'F32' | 'I32' | 'U32' | 'U8';
export type TensorData = Float32Array | Int32Array | Uint32Array | Uint8Array;

export interface SafeTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface SafeTensorsContent {
  /** The string-to-string `__metadata__` map ({} when absent), in file order. */
  metadata: Record<string, string>;
  /** Tensors in file (offset) order. */
  tensors: Map<string, SafeTensor>;
}

/** The safetensors reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const ENTRY_FIELDS = ['dtype', 'shape', 'data_offsets'];

const DTYPE_SIZE: Record<DType, number> = { F32: 4, I32: 4, U32: 4, U8: 1 };
const DTYPES = Object.keys(DTYPE_SIZE) as DType[];

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  return 'U8';
}

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes of a typed array in little-endian order (a fresh copy). */
function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  const size = data.BYTES_PER_ELEMENT;
  if (!LITTLE_ENDIAN_HOST && size > 1) {
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  return bytes;
}

/** A typed array of `dtype` holding a copy of little-endian `bytes`. */
function fromLittleEndian(dtype: DType, bytes: Uint8Array): TensorData {
  // A fresh, aligned copy (Buffer#slice would return a view, not a copy).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const size = DTYPE_SIZE[dtype];
  if (!LITTLE_ENDIAN_HOST && size > 1) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  const n = copy.length / size;
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, n);
    case 'I32':
      return new Int32Array(copy.buffer, 0, n);
    case 'U32':
      return new Uint32Array(copy.buffer, 0, n);
    case 'U8':
      return copy;
  }
}

/**
 * Encode tensors (in iteration order) and string metadata. Throws RangeError on a
 * programming error (shape not matching the data, reserved name): nothing a user can
 * provoke through a file.
 */
export function encodeSafetensors(
  tensors: Iterable<[string, { shape: readonly number[]; data: TensorData }]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new RangeError(`safetensors metadata ${k}: values must be strings`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new RangeError(`safetensors: ${METADATA_KEY} is not a tensor name`);
    if (seen.has(name)) throw new RangeError(`safetensors: duplicate tensor ${name}`);
    seen.add(name);
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`safetensors ${name}: bad dimension ${d}`);
    }
    if (elementCount(t.shape) !== t.data.length) {
      throw new RangeError(`safetensors ${name}: shape [${t.shape.join(',')}] but ${t.data.length} values`);
    }
    const bytes = littleEndianBytes(t.data);
    const entry = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
  order: number;
}

/** Dimensions shown in an error message before the rest is elided. */
const SHAPE_SHOWN = 16;

/** A shape as error messages write it, "[2, 3, 4]", with at most SHAPE_SHOWN dimensions. */
export function describeShape(shape: readonly number[]): string {
  const more = shape.length > SHAPE_SHOWN ? `, ... (${shape.length} dimensions)` : '';
  return `[${shape.slice(0, SHAPE_SHOWN).join(', ')}${more}]`;
}

function checkEntry(name: string, raw: unknown, source: string, order: number, bufferBytes: number): Entry {
  const field = `tensors[${describeValue(name)}]`;
  if (!isPlainObject(raw)) throw new InputError(source, field, 'an object {dtype, shape, data_offsets}', typeof raw);
  for (const k of Object.keys(raw)) {
    if (!ENTRY_FIELDS.includes(k)) throw new InputError(source, `${field}.${k}`, 'only dtype, shape, data_offsets', 'an unknown field');
  }
  for (const k of ENTRY_FIELDS) {
    if (!(k in raw)) throw new InputError(source, `${field}.${k}`, 'present', 'missing');
  }
  const dtype = raw.dtype;
  if (typeof dtype !== 'string' || !(DTYPES as string[]).includes(dtype)) {
    throw new InputError(source, `${field}.dtype`, `one of ${DTYPES.join(', ')}`, describeValue(dtype));
  }
  const shape = raw.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    throw new InputError(source, `${field}.shape`, 'an array of non-negative integers', describeValue(shape));
  }
  const offsets = raw.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((d) => !Number.isSafeInteger(d) || (d as number) < 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw new InputError(source, `${field}.data_offsets`, '[begin, end] with 0 <= begin <= end', describeValue(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (end > bufferBytes) {
    throw new InputError(source, `${field}.data_offsets`, `an end within the ${bufferBytes}-byte buffer`, describeValue(offsets));
  }
  // Multiply step by step against the buffer size so a huge shape cannot overflow.
  let bytes = (shape as number[]).includes(0) ? 0 : DTYPE_SIZE[dtype as DType];
  for (const d of shape as number[]) {
    if (bytes === 0) break;
    bytes *= d;
    if (bytes > bufferBytes) {
      bytes = Infinity;
      break;
    }
  }
  if (bytes !== end - begin) {
    throw new InputError(
      source,
      `${field}.shape`,
      `${describeShape(shape as number[])} x ${DTYPE_SIZE[dtype as DType]}-byte ${dtype} to fill data_offsets [${begin}, ${end}] (${end - begin} bytes)`,
      Number.isFinite(bytes) ? `${bytes} bytes` : 'more bytes than the file holds',
    );
  }
  return { name, dtype: dtype as DType, shape: shape as number[], begin, end, order };
}

/** Decode and fully check a safetensors byte string. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafeTensorsContent {
  if (bytes.length < 8) {
    throw new InputError(source, 'header length', 'an 8-byte little-endian u64', `a ${bytes.length}-byte file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || n > BigInt(bytes.length - 8)) {
    throw new InputError(
      source,
      'header length',
      `at most ${Math.min(MAX_HEADER_BYTES, bytes.length - 8)} bytes (the file holds ${bytes.length})`,
      n.toString(),
    );
  }
  const headerLen = Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    throw new InputError(source, 'header', 'UTF-8 text', 'invalid UTF-8');
  }
  if (!text.startsWith('{')) throw new InputError(source, 'header', "a JSON object starting with '{'", JSON.stringify(text.slice(0, 16)));
  const header = parseJsonStrict(text, source, 'header');
  if (!isPlainObject(header)) throw new InputError(source, 'header', 'a JSON object', Array.isArray(header) ? 'an array' : typeof header);

  const bufferBytes = bytes.length - 8 - headerLen;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  let order = 0;
  for (const [key, raw] of Object.entries(header)) {
    if (key === METADATA_KEY) {
      if (!isPlainObject(raw)) throw new InputError(source, METADATA_KEY, 'an object of strings', describeValue(raw));
      for (const [mk, mv] of Object.entries(raw)) {
        if (typeof mv !== 'string') throw new InputError(source, `${METADATA_KEY}.${mk}`, 'a string', typeof mv);
      }
      // fromEntries defines own properties, so a key like "__proto__" stays plain data.
      metadata = Object.fromEntries(Object.entries(raw)) as Record<string, string>;
      continue;
    }
    entries.push(checkEntry(key, raw, source, order++, bufferBytes));
  }

  // Contiguity: sorted by begin offset (stable, so empty tensors keep header order),
  // each tensor starts where the previous one ended and the last ends at the buffer end.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end || a.order - b.order);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) {
      throw new InputError(
        source,
        `tensors[${describeValue(e.name)}].data_offsets`,
        `to begin at byte ${at} (tensors contiguous, no overlap or gap)`,
        `[${e.begin}, ${e.end}]`,
      );
    }
    at = e.end;
  }
  if (at !== bufferBytes) {
    throw new InputError(source, 'data_offsets', `tensors covering the whole ${bufferBytes}-byte buffer`, `${at} bytes covered`);
  }

  const base = 8 + headerLen;
  const tensors = new Map<string, SafeTensor>();
  for (const e of sorted) {
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: fromLittleEndian(e.dtype, bytes.subarray(base + e.begin, base + e.end)),
    });
  }
  return { metadata, tensors };
}
