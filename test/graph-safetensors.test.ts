import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from '../src/graph/safetensors.js';

/** A safetensors file assembled by hand from a header text and a data buffer. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const json = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(declaredLength ?? BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return new Uint8Array(out);
}

function f32Bytes(values: number[]): Uint8Array {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return new Uint8Array(b);
}

function expectInputError(fn: () => unknown, field: string | RegExp, source = 'x.bnn'): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  const err = caught as InputError;
  expect(err.source).toBe(source);
  if (typeof field === 'string') expect(err.field).toBe(field);
  else expect(err.field).toMatch(field);
  expect(err.message).toContain(source);
  return err;
}

describe('safetensors encoding', () => {
  it('matches the reference implementation byte for byte (header padded with spaces to 8 bytes)', () => {
    // The safetensors crate's own alignment test: one F32 tensor "attn0" of shape
    // [1, 1, 2, 3] holding 0..5 gives a 65-byte JSON header padded to 72 with spaces.
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(65);
    const expected = rawFile(header + ' '.repeat(7), f32Bytes([0, 1, 2, 3, 4, 5]));
    const got = encodeSafetensors([['attn0', { shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]]);
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
    expect(got.length).toBe(8 + 72 + 24);
  });

  it('encodes an empty file as {} padded to 8 bytes, and metadata first', () => {
    expect(Array.from(encodeSafetensors([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = encodeSafetensors([], { framework: 'pt' });
    const text = Buffer.from(withMeta.subarray(8)).toString('utf8');
    expect(text).toBe('{"__metadata__":{"framework":"pt"}}     ');
    expect(Number(Buffer.from(withMeta).readBigUInt64LE(0))).toBe(40);
  });

  it('round-trips F32, I32, U32 and U8 tensors, keeping order, metadata and exact bits', () => {
    const f = new Float32Array([1.5, -0, Number.MIN_VALUE, 3.4028234663852886e38, -7.25]);
    const i = new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]);
    const u = new Uint32Array([0, 1, 0xffffffff]);
    const b = new Uint8Array([0, 255, 7]);
    const bytes = encodeSafetensors(
      [
        ['z.first', { shape: [5], data: f }],
        ['a.second', { shape: [2, 2], data: i }],
        ['u', { shape: [3], data: u }],
        ['bytes', { shape: [1, 3], data: b }],
        ['empty', { shape: [0, 4], data: new Float32Array(0) }],
      ],
      { format: 'test', note: 'é ünïcode' },
    );
    expect(Number(Buffer.from(bytes).readBigUInt64LE(0)) % 8).toBe(0);
    const back = decodeSafetensors(bytes, 'x.bnn');
    expect(back.metadata).toEqual({ format: 'test', note: 'é ünïcode' });
    expect([...back.tensors.keys()]).toEqual(['z.first', 'a.second', 'u', 'bytes', 'empty']);
    const zf = back.tensors.get('z.first')!;
    expect(zf.dtype).toBe('F32');
    expect(Buffer.from(zf.data.buffer, zf.data.byteOffset, zf.data.byteLength).equals(Buffer.from(f.buffer))).toBe(true);
    expect(Object.is(zf.data[1], -0)).toBe(true);
    expect(back.tensors.get('a.second')).toEqual({ dtype: 'I32', shape: [2, 2], data: i });
    expect(back.tensors.get('u')).toEqual({ dtype: 'U32', shape: [3], data: u });
    expect(back.tensors.get('bytes')).toEqual({ dtype: 'U8', shape: [1, 3], data: b });
    expect(back.tensors.get('empty')).toEqual({ dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
    // Node Buffers (what fs.readFileSync returns) decode to the same, independent copies.
    const fromBuffer = decodeSafetensors(Buffer.from(bytes), 'x.bnn');
    expect(fromBuffer.tensors).toEqual(back.tensors);
    expect(fromBuffer.tensors.get('a.second')!.data.byteOffset).toBe(0);
  });

  it('reads tensors listed in any header order, returning them in data order', () => {
    const header =
      '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const pad = ' '.repeat((8 - (header.length % 8)) % 8);
    const back = decodeSafetensors(rawFile(header + pad, f32Bytes([1, 2])), 'x.bnn');
    expect([...back.tensors.keys()]).toEqual(['a', 'b']);
    expect(back.tensors.get('b')!.data[0]).toBe(2);
  });

  it('refuses programming errors on encode', () => {
    expect(() => encodeSafetensors([['t', { shape: [2, 2], data: new Float32Array(3) }]])).toThrow(RangeError);
    expect(() => encodeSafetensors([['__metadata__', { shape: [1], data: new Float32Array(1) }]])).toThrow(RangeError);
  });
});

describe('safetensors decoding rejects corrupt files', () => {
  const one = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const data = f32Bytes([1, 2]);

  it('a file shorter than the length prefix', () => {
    expectInputError(() => decodeSafetensors(new Uint8Array(5), 'x.bnn'), 'header length');
  });

  it('a header length beyond the file or the 100 MB limit', () => {
    expectInputError(() => decodeSafetensors(rawFile(one, data, 1000n), 'x.bnn'), 'header length');
    const huge = rawFile(one, data, BigInt(MAX_HEADER_BYTES) + 1n);
    expectInputError(() => decodeSafetensors(huge, 'x.bnn'), 'header length');
    expectInputError(() => decodeSafetensors(rawFile(one, data, 2n ** 64n - 1n), 'x.bnn'), 'header length');
  });

  it('invalid UTF-8, non-JSON, non-object and duplicate keys', () => {
    const bad = rawFile('{"t":1}', new Uint8Array(0));
    bad[10] = 0xff;
    expectInputError(() => decodeSafetensors(bad, 'x.bnn'), 'header');
    expectInputError(() => decodeSafetensors(rawFile('{"t":', data), 'x.bnn'), 'header');
    expectInputError(() => decodeSafetensors(rawFile('[1,2]   ', data), 'x.bnn'), 'header');
    const dup = '{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const err = expectInputError(() => decodeSafetensors(rawFile(dup, data), 'x.bnn'), 'header');
    expect(err.message).toContain('duplicate');
  });

  it('an unknown dtype, an unknown or missing entry field', () => {
    const f16 = '{"t":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}';
    expectInputError(() => decodeSafetensors(rawFile(f16, data), 'x.bnn'), 'tensors["t"].dtype');
    const extra = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}}';
    expectInputError(() => decodeSafetensors(rawFile(extra, data), 'x.bnn'), 'tensors["t"].stride');
    const missing = '{"t":{"dtype":"F32","shape":[2]}}';
    expectInputError(() => decodeSafetensors(rawFile(missing, data), 'x.bnn'), 'tensors["t"].data_offsets');
    const negative = '{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}';
    expectInputError(() => decodeSafetensors(rawFile(negative, data), 'x.bnn'), 'tensors["t"].shape');
  });

  it('overlapping, gapped, reversed and out-of-buffer offsets', () => {
    const overlap =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectInputError(() => decodeSafetensors(rawFile(overlap, data), 'x.bnn'), 'tensors["b"].data_offsets');
    const gap =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    expectInputError(() => decodeSafetensors(rawFile(gap, f32Bytes([1, 2, 3])), 'x.bnn'), 'tensors["b"].data_offsets');
    const reversed = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}';
    expectInputError(() => decodeSafetensors(rawFile(reversed, data), 'x.bnn'), 'tensors["t"].data_offsets');
    const beyond = '{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}';
    expectInputError(() => decodeSafetensors(rawFile(beyond, data), 'x.bnn'), 'tensors["t"].data_offsets');
  });

  it('a shape that does not match the byte count, and bytes no tensor covers', () => {
    const wrong = '{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}';
    expectInputError(() => decodeSafetensors(rawFile(wrong, data), 'x.bnn'), 'tensors["t"].shape');
    const overflow = '{"t":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}';
    expectInputError(() => decodeSafetensors(rawFile(overflow, data), 'x.bnn'), 'tensors["t"].shape');
    expectInputError(() => decodeSafetensors(rawFile(one, f32Bytes([1, 2, 3])), 'x.bnn'), 'data_offsets');
  });

  it('metadata that is not a map of strings', () => {
    const meta = '{"__metadata__":{"version":1}}';
    expectInputError(() => decodeSafetensors(rawFile(meta), 'x.bnn'), '__metadata__.version');
  });
});
