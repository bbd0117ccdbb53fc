/**
 * IDX files (the MNIST / Fashion-MNIST container), plain or gzip-compressed.
 *
 * Layout: 2 zero bytes, a type code byte (0x08 = unsigned byte, the only one we read),
 * a dimension-count byte, one big-endian u32 per dimension, then the values row-major.
 * Images files have 3 dimensions (count, rows, columns), or 4 with a trailing channel
 * dimension (HWC); labels files have 1 (count).
 *
 * Every size is checked against the bytes actually present (or, for gzip, against a
 * limit and then against the inflated length) before anything large is allocated, so a
 * corrupt or hostile header fails with an InputError instead of exhausting memory.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { InputError } from '../errors.js';
import type { Dataset } from './types.js';
import { openRegularFile } from '../util/inputs.js';

/** Largest payload (values after the header) we accept: 2^31 bytes. */
export const MAX_IDX_BYTES = 2 ** 31;
/** Largest image side and channel count we accept. */
export const MAX_IDX_SIDE = 65535;
export const MAX_IDX_CHANNELS = 4096;

const IDX_TYPE_U8 = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

export interface IdxImages {
  /** The file it came from. */
  source: string;
  count: number;
  height: number;
  width: number;
  /** 1 for a 3-dimensional file. */
  channels: number;
  /** count * height * width * channels bytes, each image HWC. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  source: string;
  count: number;
  labels: Uint8Array;
}

type IdxKind = 'images' | 'labels';

interface IdxHeader {
  dims: number[];
  /** Bytes before the values: 4 + 4 * dims.length. */
  headerBytes: number;
  /** Product of the dimensions = number of value bytes. */
  payloadBytes: number;
}

function hex(bytes: ArrayLike<number>): string {
  let s = '0x';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

const DIM_NAMES: Record<IdxKind, string[]> = {
  images: ['count', 'rows', 'columns', 'channels'],
  labels: ['count'],
};

/**
 * Parse and check the header. `head` holds at least the first 4 bytes of the (inflated)
 * file and as many more as are available, up to 4 + 4 * 4.
 */
function parseHeader(head: Uint8Array, source: string, kind: IdxKind): IdxHeader {
  const expectedMagic = kind === 'images' ? '0x00000803' : '0x00000801';
  if (head.length < 4) {
    throw new InputError(source, 'magic', `a 4-byte IDX magic number ${expectedMagic}`, `a ${head.length}-byte file`);
  }
  if (head[0] !== 0 || head[1] !== 0) {
    throw new InputError(source, 'magic', `IDX magic ${expectedMagic} (${kind})`, hex(head.subarray(0, 4)));
  }
  const typeCode = head[2];
  if (typeCode !== IDX_TYPE_U8) {
    const what = TYPE_NAMES[typeCode] ?? 'unknown';
    throw new InputError(
      source,
      'type code',
      `0x08 (unsigned byte; magic ${expectedMagic})`,
      `0x${typeCode.toString(16).padStart(2, '0')} (${what})`,
    );
  }
  const ndims = head[3];
  const allowed = kind === 'images' ? [3, 4] : [1];
  if (!allowed.includes(ndims)) {
    const expected =
      kind === 'images'
        ? '3 (count, rows, columns; magic 0x00000803) or 4 (with channels) for an images file'
        : '1 (count; magic 0x00000801) for a labels file';
    throw new InputError(source, 'dimension count', expected, `${ndims} (magic ${hex(head.subarray(0, 4))})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (head.length < headerBytes) {
    throw new InputError(source, 'header', `${headerBytes} header bytes (${ndims} dimensions)`, `${head.length} bytes`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  let payloadBytes = 1;
  for (let d = 0; d < ndims; d++) {
    const v = view.getUint32(4 + 4 * d, false);
    const field = DIM_NAMES[kind][d];
    if (v === 0) throw new InputError(source, field, 'a positive size', '0');
    if (d > 0 && d < 3 && v > MAX_IDX_SIDE) {
      throw new InputError(source, field, `at most ${MAX_IDX_SIDE}`, String(v));
    }
    if (d === 3 && v > MAX_IDX_CHANNELS) {
      throw new InputError(source, field, `at most ${MAX_IDX_CHANNELS}`, String(v));
    }
    dims.push(v);
    payloadBytes *= v;
  }
  if (payloadBytes > MAX_IDX_BYTES) {
    throw new InputError(
      source,
      'size',
      `at most ${MAX_IDX_BYTES} value bytes`,
      `${dims.join(' x ')} = ${payloadBytes} bytes`,
    );
  }
  return { dims, headerBytes, payloadBytes };
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function readHead(fd: number, n: number): Uint8Array {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = fs.readSync(fd, buf, got, n - got, got);
    if (r === 0) break;
    got += r;
  }
  return buf.subarray(0, got);
}

/** Opened non-blocking and checked to be a regular file: a FIFO or a directory is one InputError, never a hang. */
function openOrThrow(path: string): number {
  return openRegularFile(path, 'a readable IDX file');
}

/** Output limit while looking for the header: far more than a header, far less than a bomb. */
const HEAD_INFLATE_LIMIT = 1 << 20;

/** Inflate a prefix of a gzip stream; null if it would exceed HEAD_INFLATE_LIMIT. */
function inflatePrefix(prefix: Uint8Array, source: string): Buffer | null {
  try {
    // Z_SYNC_FLUSH: a prefix yields the output it decodes to, instead of an error.
    return zlib.gunzipSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: HEAD_INFLATE_LIMIT });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return null;
    throw new InputError(source, 'gzip stream', 'a valid gzip stream', err.message);
  }
}

/**
 * Inflate just the start of a gzip stream: enough to read the IDX header. Prefixes grow
 * 4x until one yields the header; one that yields more than HEAD_INFLATE_LIMIT (a long
 * gzip file name followed by a bomb, say) is bisected down, so at most about 1 MiB is
 * ever inflated here.
 */
function gunzipHead(compressed: Uint8Array, want: number, source: string): Uint8Array {
  const n = compressed.length;
  let short = 0; // a prefix length known to yield fewer than `want` bytes
  let tooLong = Infinity; // a prefix length known to yield more than the limit
  let take = Math.min(64, n);
  for (;;) {
    const out = inflatePrefix(compressed.subarray(0, take), source);
    if (out === null) tooLong = take;
    else if (out.length >= want || take === n) return out.subarray(0, want);
    else short = take;
    take = tooLong === Infinity ? Math.min(n, take * 4) : Math.floor((short + tooLong) / 2);
    if (take <= short) {
      // One more compressed byte cannot inflate to a megabyte; only a broken stream gets here.
      throw new InputError(source, 'gzip stream', 'a gzip stream whose start inflates to an IDX header', 'none found');
    }
  }
}

/** "N bytes (header H + a x b x c values)": the size a header promises. */
function promised(h: IdxHeader, inflated: boolean): string {
  const total = h.headerBytes + h.payloadBytes;
  return `${total} bytes${inflated ? ' after decompression' : ''} (header ${h.headerBytes} + ${h.dims.join(' x ')} values)`;
}

/**
 * Inflate the whole stream, stopping one byte past the size the header promises: the
 * output can never grow beyond that, and "longer than promised" is still detected.
 */
function gunzipExact(compressed: Uint8Array, h: IdxHeader, source: string): Uint8Array {
  const total = h.headerBytes + h.payloadBytes;
  let out: Buffer;
  try {
    out = zlib.gunzipSync(compressed, { maxOutputLength: total + 1 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new InputError(source, 'file size', promised(h, true), 'more (trailing garbage)');
    }
    throw new InputError(source, 'gzip stream', 'a complete gzip stream', `truncated or corrupt (${err.message})`);
  }
  if (out.length > total) throw new InputError(source, 'file size', promised(h, true), 'more (trailing garbage)');
  if (out.length < total) throw new InputError(source, 'file size', promised(h, true), `${out.length} bytes (truncated)`);
  return out;
}

/**
 * Read an IDX file of the given kind. Returns the header and the value bytes (a view
 * on the file's buffer; no copy).
 */
function readIdx(path: string, kind: IdxKind): { dims: number[]; values: Uint8Array } {
  const fd = openOrThrow(path);
  let fileSize: number;
  let head: Uint8Array;
  try {
    fileSize = fs.fstatSync(fd).size;
    head = readHead(fd, 4 + 4 * 4);
  } finally {
    fs.closeSync(fd);
  }

  let h: IdxHeader;
  let all: Uint8Array;
  if (isGzip(head)) {
    // The compressed size says little about the output, so the declared size is
    // checked against MAX_IDX_BYTES (parseHeader) and then enforced while inflating.
    if (fileSize > MAX_IDX_BYTES) {
      throw new InputError(path, 'file size', `at most ${MAX_IDX_BYTES} bytes`, `${fileSize} bytes`);
    }
    const compressed = fs.readFileSync(path);
    h = parseHeader(gunzipHead(compressed, 4 + 4 * 4, path), path, kind);
    all = gunzipExact(compressed, h, path);
  } else {
    h = parseHeader(head, path, kind);
    const total = h.headerBytes + h.payloadBytes;
    if (fileSize < total) throw new InputError(path, 'file size', promised(h, false), `${fileSize} bytes (truncated)`);
    if (fileSize > total) {
      throw new InputError(path, 'file size', promised(h, false), `${fileSize} bytes (${fileSize - total} bytes of trailing garbage)`);
    }
    all = fs.readFileSync(path);
    if (all.length !== total) {
      throw new InputError(path, 'file size', promised(h, false), `${all.length} bytes (the file changed while reading)`);
    }
  }
  return { dims: h.dims, values: new Uint8Array(all.buffer, all.byteOffset + h.headerBytes, h.payloadBytes) };
}

/** Read an IDX images file (magic 0x00000803, or 0x00000804 with channels). */
export function readIdxImages(path: string): IdxImages {
  const { dims, values } = readIdx(path, 'images');
  return {
    source: path,
    count: dims[0],
    height: dims[1],
    width: dims[2],
    channels: dims.length === 4 ? dims[3] : 1,
    pixels: values,
  };
}

/** Read an IDX labels file (magic 0x00000801). Label values are checked by loadIdxPair. */
export function readIdxLabels(path: string): IdxLabels {
  const { dims, values } = readIdx(path, 'labels');
  return { source: path, count: dims[0], labels: values };
}

/** Throw if any label is >= classes, naming the first offending index. */
export function checkLabels(labels: Uint8Array, classes: number, source: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new InputError(source, `labels[${i}]`, `a class index below ${classes}`, String(labels[i]));
    }
  }
}

/** Load an images file and its labels file as one Dataset. */
export function loadIdxPair(imagesPath: string, labelsPath: string, name: string, classes = 10): Dataset {
  if (!Number.isInteger(classes) || classes < 2 || classes > 256) {
    throw new InputError(name, 'classes', 'an integer in 2..256 (labels are bytes)', String(classes));
  }
  // Labels first: the small file fails fast, and a count mismatch is then reported
  // before the large images file is read.
  const labels = readIdxLabels(labelsPath);
  checkLabels(labels.labels, classes, labelsPath);
  const images = readIdxImages(imagesPath);
  if (images.count !== labels.count) {
    throw new InputError(
      labelsPath,
      'count',
      `${images.count} labels, one per image in ${imagesPath}`,
      String(labels.count),
    );
  }
  return {
    name,
    n: images.count,
    height: images.height,
    width: images.width,
    channels: images.channels,
    classes,
    images: images.pixels,
    labels: labels.labels,
  };
}

/** Encode an IDX file (plain); used by tests and by tools that export data subsets. */
export function encodeIdx(dims: number[], values: Uint8Array): Uint8Array {
  const headerBytes = 4 + 4 * dims.length;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new RangeError(`encodeIdx: ${values.length} values for dims ${dims.join('x')}`);
  }
  const out = new Uint8Array(headerBytes + values.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_TYPE_U8;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, headerBytes);
  return out;
}
