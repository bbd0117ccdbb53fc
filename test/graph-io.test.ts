import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { decodeModel, encodeModel, loadModel, modelHash, saveModel, shapesOf } from '../src/graph/io.js';
import type { Model } from '../src/graph/types.js';
import { convGraph, tinyCnn, tinyMlp } from './fixtures/graph/models.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-graph-io-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
type Header = Record<string, Entry> & { __metadata__: Record<string, string> };

/** Split a file into its parsed header and data buffer (independently of the decoder). */
function split(bytes: Uint8Array): { header: Header; data: Buffer } {
  const buf = Buffer.from(bytes);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Header, data: buf.subarray(8 + n) };
}

/** Reassemble a file from a header (object or raw text) and a data buffer. */
function join(header: unknown, data: Uint8Array): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const json = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return new Uint8Array(out);
}

/** Edit the graph JSON stored in the metadata. */
function withGraph(bytes: Uint8Array, edit: (g: Record<string, any>) => void): Uint8Array {
  const { header, data } = split(bytes);
  const g = JSON.parse(header.__metadata__.graph) as Record<string, any>;
  edit(g);
  header.__metadata__.graph = JSON.stringify(g);
  return join(header, data);
}

function rejectField(bytes: Uint8Array): string {
  try {
    decodeModel(bytes, 'bad.bnn');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).source).toBe('bad.bnn');
    expect((e as Error).message.startsWith('bad.bnn: ')).toBe(true);
    return (e as InputError).field;
  }
  throw new Error('decodeModel accepted a corrupt file');
}

function expectSameModel(a: Model, b: Model): void {
  expect(b.graph).toEqual(a.graph);
  expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
  for (const [name, t] of a.tensors) {
    const u = b.tensors.get(name)!;
    expect(u.shape).toEqual(t.shape);
    expect(u.data).toBeInstanceOf(Float32Array);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
  }
}

describe('model file round trip', () => {
  it('load(save(m)) equals m for an MLP and a ConvNet', () => {
    for (const m of [tinyMlp(), tinyCnn()]) {
      const file = path.join(tmp, `${m.graph.name}.bnn`);
      saveModel(file, m);
      expectSameModel(m, loadModel(file));
    }
  });

  it('keeps bit patterns exactly, including -0 and denormals', () => {
    const m = tinyMlp();
    const w = m.tensors.get('fc1.weight')!.data;
    w[0] = -0;
    w[1] = 1.401298464324817e-45;
    w[2] = 0.1;
    const back = decodeModel(encodeModel(m), 'm.bnn').tensors.get('fc1.weight')!.data;
    expect(Object.is(back[0], -0)).toBe(true);
    expect(back[1]).toBe(w[1]);
    expect(back[2]).toBe(Math.fround(0.1));
  });

  it('writes the documented layout: safetensors metadata, tensors in insertion order, aligned data', () => {
    const m = tinyMlp();
    const bytes = encodeModel(m);
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const { header, data } = split(bytes);
    expect(Object.keys(header.__metadata__)).toEqual(['format', 'version', 'graph']);
    expect(header.__metadata__.format).toBe('bnnc-model');
    expect(header.__metadata__.version).toBe('1');
    expect(JSON.parse(header.__metadata__.graph)).toEqual(m.graph);
    expect(Object.keys(header).slice(1)).toEqual([...m.tensors.keys()]);
    let at = 0;
    for (const [name, t] of m.tensors) {
      expect(header[name]).toEqual({ dtype: 'F32', shape: t.shape, data_offsets: [at, at + 4 * t.data.length] });
      // Read the first value straight from the buffer as little-endian f32.
      expect(data.readFloatLE(at)).toBe(t.data[0]);
      at += 4 * t.data.length;
    }
    expect(data.length).toBe(at);
  });

  it('is deterministic: the same model gives the same bytes and hash', () => {
    const a = path.join(tmp, 'a.bnn');
    const b = path.join(tmp, 'b.bnn');
    saveModel(a, tinyCnn(5));
    saveModel(b, tinyCnn(5));
    const bytes = fs.readFileSync(a);
    expect(bytes.equals(fs.readFileSync(b))).toBe(true);
    expect(modelHash(tinyCnn(5))).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(modelHash(tinyCnn(5))).toMatch(/^[0-9a-f]{64}$/);
    expect(modelHash(tinyCnn(6))).not.toBe(modelHash(tinyCnn(5)));
    // A model read back hashes like the one written.
    expect(modelHash(loadModel(a))).toBe(modelHash(tinyCnn(5)));
  });

  it('refuses to save an invalid model and leaves the old file in place', () => {
    const file = path.join(tmp, 'keep.bnn');
    saveModel(file, tinyMlp());
    const before = fs.readFileSync(file);
    const bad = tinyMlp();
    bad.tensors.get('fc2.weight')!.data[0] = NaN;
    expect(() => saveModel(file, bad)).toThrow(InputError);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('reports the activation shapes of every layer', () => {
    expect(shapesOf(convGraph())).toEqual([
      [4, 4, 4],
      [4, 4, 4],
      [4, 4, 4],
      [2, 2, 4],
      [1, 1, 16],
      [1, 1, 3],
      [1, 1, 3],
    ]);
  });
});

describe('a binarized input (format version 2)', () => {
  const binary = (): Model => {
    const m = tinyMlp();
    const { height, width, channels } = m.graph.input;
    m.graph.input = { height, width, channels, bits: 1, threshold: 128 };
    m.graph.version = 2;
    return m;
  };

  it('round trips as version "2"; an 8-bit model stays version "1"', () => {
    const m = binary();
    const bytes = encodeModel(m);
    expect(split(bytes).header.__metadata__.version).toBe('2');
    expect(JSON.parse(split(bytes).header.__metadata__.graph).input).toEqual({ ...m.graph.input });
    expect(Object.keys(m.graph.input)).toEqual(["height", "width", "channels", "bits", "threshold"]);
    expectSameModel(m, decodeModel(bytes, 'b.bnn'));
    expect(split(encodeModel(tinyMlp())).header.__metadata__.version).toBe('1');
  });

  it('rejects bits in a version 1 file, a bad threshold or bits, and a pixel map beside bits', () => {
    const good = encodeModel(binary());
    const v1 = split(good);
    v1.header.__metadata__.version = '1';
    const g = JSON.parse(v1.header.__metadata__.graph);
    g.version = 1;
    v1.header.__metadata__.graph = JSON.stringify(g);
    expect(rejectField(join(v1.header, v1.data))).toBe('version');
    expect(rejectField(withGraph(good, (x) => (x.input.threshold = 0)))).toBe('input.threshold');
    expect(rejectField(withGraph(good, (x) => (x.input.threshold = 256)))).toBe('input.threshold');
    expect(rejectField(withGraph(good, (x) => (x.input.bits = 8)))).toBe('input.bits');
    expect(rejectField(withGraph(good, (x) => (x.input.pixelScale = 1)))).toBe('input.pixelScale');
    expect(rejectField(withGraph(good, (x) => delete x.input.threshold))).toBe('input.threshold');
  });
});

describe('corrupt model files are rejected naming the field', () => {
  const good = encodeModel(tinyMlp());

  it('truncated file and oversized header length', () => {
    expect(rejectField(good.subarray(0, good.length - 3))).toMatch(/data_offsets/);
    expect(rejectField(good.subarray(0, 6))).toBe('header length');
    expect(rejectField(good.subarray(0, 40))).toBe('header length');
    const big = Buffer.from(good);
    big.writeBigUInt64LE(BigInt(good.length), 0);
    expect(rejectField(new Uint8Array(big))).toBe('header length');
  });

  it('bad JSON in the header or in the graph', () => {
    const { data } = split(good);
    expect(rejectField(join('{"__metadata__":{"format":"bnnc-model",', data))).toBe('header');
    const { header } = split(good);
    header.__metadata__.graph = header.__metadata__.graph.slice(0, -1);
    expect(rejectField(join(header, data))).toBe('__metadata__.graph');
    const dupGraph = split(good).header;
    dupGraph.__metadata__.graph = dupGraph.__metadata__.graph.replace('{"format"', '{"classes":3,"format"');
    expect(rejectField(join(dupGraph, data))).toBe('__metadata__.graph');
  });

  it('wrong metadata', () => {
    const edit = (f: (m: Record<string, string>) => void): Uint8Array => {
      const { header, data } = split(good);
      f(header.__metadata__);
      return join(header, data);
    };
    expect(rejectField(edit((m) => (m.format = 'pt')))).toBe('__metadata__.format');
    expect(rejectField(edit((m) => (m.version = '2')))).toBe('__metadata__.version'); // the graph says 1
    expect(rejectField(edit((m) => (m.version = '3')))).toBe('__metadata__.version');
    expect(rejectField(edit((m) => delete m.graph))).toBe('__metadata__.graph');
    expect(rejectField(edit((m) => (m.author = 'me')))).toBe('__metadata__.author');
  });

  it('wrong dtype', () => {
    const { header, data } = split(good);
    header['fc1.weight'].dtype = 'I32';
    expect(rejectField(join(header, data))).toBe('tensors["fc1.weight"].dtype');
    header['fc1.weight'].dtype = 'F64';
    expect(rejectField(join(header, data))).toBe('tensors["fc1.weight"].dtype');
  });

  it('overlapping offsets', () => {
    const { header, data } = split(good);
    const [b, e] = header['fc2.weight'].data_offsets;
    header['fc2.weight'].data_offsets = [b - 4, e - 4];
    expect(rejectField(join(header, data))).toBe('tensors["fc2.weight"].data_offsets');
  });

  it('shape mismatch, with the byte count right or wrong', () => {
    const { header, data } = split(good);
    header['fc1.weight'].shape = [12, 5];
    expect(rejectField(join(header, data))).toBe('tensors["fc1.weight"].shape');
    header['fc1.weight'].shape = [5, 13];
    expect(rejectField(join(header, data))).toBe('tensors["fc1.weight"].shape');
  });

  it('NaN and infinity in a tensor, negative variance', () => {
    const { header, data } = split(good);
    const nan = Buffer.from(data);
    nan.writeFloatLE(NaN, header['bn1.beta'].data_offsets[0] + 8);
    expect(rejectField(join(header, nan))).toBe('tensors["bn1.beta"][2]');
    const inf = Buffer.from(data);
    inf.writeFloatLE(Infinity, header['fc2.bias'].data_offsets[0]);
    expect(rejectField(join(header, inf))).toBe('tensors["fc2.bias"][0]');
    const neg = Buffer.from(data);
    neg.writeFloatLE(-1, header['bn1.running_var'].data_offsets[0] + 4);
    expect(rejectField(join(header, neg))).toBe('tensors["bn1.running_var"][1]');
  });

  it('unknown layer kind and inconsistent shapes', () => {
    expect(rejectField(withGraph(good, (g) => (g.layers[3].kind = 'relu')))).toBe('layers[3].kind');
    expect(rejectField(withGraph(good, (g) => (g.layers[5].inFeatures = 6)))).toBe('layers[5].inFeatures');
    expect(rejectField(withGraph(good, (g) => (g.classes = 10)))).toBe('classes');
  });

  it('missing and extra tensors', () => {
    const { header, data } = split(good);
    const last = 'bn2.running_var';
    const cut = header[last].data_offsets[0];
    delete (header as Record<string, unknown>)[last];
    expect(rejectField(join(header, data.subarray(0, cut)))).toBe('tensors["bn2.running_var"]');

    const extra = split(good);
    const end = extra.data.length;
    (extra.header as Record<string, unknown>)['fc9.weight'] = { dtype: 'F32', shape: [1], data_offsets: [end, end + 4] };
    expect(rejectField(join(extra.header, Buffer.concat([extra.data, Buffer.alloc(4)])))).toBe('tensors["fc9.weight"]');
  });

  it('missing files and directories', () => {
    for (const p of [path.join(tmp, 'nope.bnn'), tmp]) {
      try {
        loadModel(p);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).source).toBe(p);
        expect((e as InputError).field).toBe('file');
      }
    }
  });
});
