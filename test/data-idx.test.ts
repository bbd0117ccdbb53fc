import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { encodeIdx, loadIdxPair, readIdxImages, readIdxLabels } from '../src/data/idx.js';
import { mnistDataDir } from '../src/data/registry.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-data-idx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An IDX file built by hand: magic bytes, big-endian dims, then the values. */
function idxBytes(typeCode: number, dims: number[], values: Uint8Array | number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = typeCode;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function rejection(fn: () => unknown, file: string): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    expect(err.source).toBe(file);
    expect(err.message).toContain(file);
    return err;
  }
  throw new Error(`${file} was accepted`);
}

// 4 images of 5 rows x 3 columns with distinct pixels, labels 0..3.
const N = 4;
const H = 5;
const W = 3;
const pixels = Uint8Array.from({ length: N * H * W }, (_, i) => (i * 37 + 11) & 255);
const labels = Uint8Array.from([3, 0, 2, 1]);

describe('IDX reading', () => {
  it('round-trips plain files', () => {
    const img = write('imgs', idxBytes(8, [N, H, W], pixels));
    const lab = write('labs', idxBytes(8, [N], labels));
    const im = readIdxImages(img);
    expect([im.count, im.height, im.width, im.channels]).toEqual([N, H, W, 1]);
    expect(Array.from(im.pixels)).toEqual(Array.from(pixels));
    expect(Array.from(readIdxLabels(lab).labels)).toEqual([3, 0, 2, 1]);
    const ds = loadIdxPair(img, lab, 'tiny', 4);
    expect(ds).toMatchObject({ name: 'tiny', n: N, height: H, width: W, channels: 1, classes: 4 });
    expect(Array.from(ds.images)).toEqual(Array.from(pixels));
    expect(Array.from(ds.labels)).toEqual([3, 0, 2, 1]);
  });

  it('round-trips gzip files, recognised by their magic and not by their name', () => {
    const img = write('imgs-compressed.bin', zlib.gzipSync(idxBytes(8, [N, H, W], pixels)));
    const lab = write('labs.gz', zlib.gzipSync(idxBytes(8, [N], labels), { level: 1 }));
    const plainNamedGz = write('plain.gz', idxBytes(8, [N], labels));
    const ds = loadIdxPair(img, lab, 'tiny-gz');
    expect(Array.from(ds.images)).toEqual(Array.from(pixels));
    expect(Array.from(ds.labels)).toEqual([3, 0, 2, 1]);
    expect(Array.from(readIdxLabels(plainNamedGz).labels)).toEqual([3, 0, 2, 1]);
  });

  it('reads 4-dimensional images as HWC with channels', () => {
    const rgb = Uint8Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i);
    const im = readIdxImages(write('rgb', idxBytes(8, [2, 2, 2, 3], rgb)));
    expect([im.count, im.height, im.width, im.channels]).toEqual([2, 2, 2, 3]);
    expect(Array.from(im.pixels)).toEqual(Array.from(rgb));
  });

  it('encodeIdx writes what a hand-built file holds', () => {
    expect(Buffer.from(encodeIdx([N, H, W], pixels)).equals(idxBytes(8, [N, H, W], pixels))).toBe(true);
  });

  it('reads the real MNIST test set (checked against raw byte reads)', () => {
    const dir = mnistDataDir();
    expect(dir).toBeDefined();
    const imgPath = path.join(dir!, 't10k-images-idx3-ubyte');
    const labPath = path.join(dir!, 't10k-labels-idx1-ubyte');
    const rawImg = fs.readFileSync(imgPath);
    const rawLab = fs.readFileSync(labPath);
    // Reference figures from the raw bytes: 16-byte image header, 8-byte label header.
    expect(rawImg.readUInt32BE(0)).toBe(0x803);
    expect(rawImg.readUInt32BE(4)).toBe(10000);
    let firstSum = 0;
    for (let i = 16; i < 16 + 784; i++) firstSum += rawImg[i];
    let lastSum = 0;
    for (let i = rawImg.length - 784; i < rawImg.length; i++) lastSum += rawImg[i];
    let total = 0;
    for (let i = 16; i < rawImg.length; i++) total += rawImg[i];

    const ds = loadIdxPair(imgPath, labPath, 'mnist/test');
    expect([ds.n, ds.height, ds.width, ds.channels, ds.classes]).toEqual([10000, 28, 28, 1, 10]);
    expect(ds.labels[0]).toBe(rawLab[8]);
    expect(ds.labels[0]).toBe(7);
    expect(ds.labels[9999]).toBe(rawLab[8 + 9999]);
    let sum = 0;
    for (let i = 0; i < 784; i++) sum += ds.images[i];
    expect(sum).toBe(firstSum);
    let lsum = 0;
    for (let i = 9999 * 784; i < 10000 * 784; i++) lsum += ds.images[i];
    expect(lsum).toBe(lastSum);
    let all = 0;
    for (let i = 0; i < ds.images.length; i++) all += ds.images[i];
    expect(all).toBe(total);
  });
});

describe('corrupt IDX files are rejected before allocating', () => {
  it('wrong magic, unsupported type code, wrong number of dims', () => {
    const magic = write('magic', Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(64)]));
    expect(rejection(() => readIdxImages(magic), magic).field).toBe('magic');
    const floats = write('floats', idxBytes(0x0d, [1, 2, 2], new Uint8Array(16)));
    const err = rejection(() => readIdxImages(floats), floats);
    expect(err.field).toBe('type code');
    expect(err.message).toContain('float');
    const twoDims = write('twodims', idxBytes(8, [4, 15], pixels));
    expect(rejection(() => readIdxImages(twoDims), twoDims).field).toBe('dimension count');
    // A labels file given where images are expected says what it looks like.
    const lab = write('labs-as-images', idxBytes(8, [N], labels));
    expect(rejection(() => readIdxImages(lab), lab).message).toContain('0x00000801');
    const img = write('images-as-labels', idxBytes(8, [N, H, W], pixels));
    expect(rejection(() => readIdxLabels(img), img).field).toBe('dimension count');
    const empty = write('empty', new Uint8Array(0));
    expect(rejection(() => readIdxLabels(empty), empty).field).toBe('magic');
    const shortHeader = write('shorthead', idxBytes(8, [N, H, W], []).subarray(0, 9));
    expect(rejection(() => readIdxImages(shortHeader), shortHeader).field).toBe('header');
  });

  it('truncated files and trailing garbage, plain and gzip', () => {
    const full = idxBytes(8, [N, H, W], pixels);
    const cut = write('cut', full.subarray(0, full.length - 1));
    expect(rejection(() => readIdxImages(cut), cut).message).toContain('truncated');
    const long = write('long', Buffer.concat([full, Buffer.from([1, 2])]));
    expect(rejection(() => readIdxImages(long), long).message).toContain('trailing');
    const cutGz = write('cut.gz', zlib.gzipSync(full.subarray(0, full.length - 1)));
    expect(rejection(() => readIdxImages(cutGz), cutGz).field).toBe('file size');
    const longGz = write('long.gz', zlib.gzipSync(Buffer.concat([full, Buffer.from([1])])));
    expect(rejection(() => readIdxImages(longGz), longGz).message).toContain('trailing');
    // A gzip stream cut off in the middle.
    const gz = zlib.gzipSync(idxBytes(8, [200, 28, 28], Uint8Array.from({ length: 200 * 784 }, (_, i) => (i * i) & 255)));
    const brokenGz = write('broken.gz', gz.subarray(0, gz.length >> 1));
    expect(rejection(() => readIdxImages(brokenGz), brokenGz).field).toBe('gzip stream');
    const garbageGz = write('garbage.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]));
    expect(rejection(() => readIdxImages(garbageGz), garbageGz).field).toBe('gzip stream');
  });

  it('absurd sizes: beyond the bytes present, beyond 2^31, zero', () => {
    const claimsMore = write('claims', idxBytes(8, [60000, 28, 28], pixels));
    const err = rejection(() => readIdxImages(claimsMore), claimsMore);
    expect(err.field).toBe('file size');
    expect(err.message).toContain('47040016');
    const huge = write('huge', idxBytes(8, [0xffffffff, 28, 28], pixels));
    expect(rejection(() => readIdxImages(huge), huge).field).toBe('size');
    const hugeLabels = write('huge-labels.gz', zlib.gzipSync(idxBytes(8, [0xffffffff], labels)));
    expect(rejection(() => readIdxLabels(hugeLabels), hugeLabels).field).toBe('size');
    const wide = write('wide', idxBytes(8, [1, 70000, 1], pixels));
    expect(rejection(() => readIdxImages(wide), wide).field).toBe('rows');
    const zero = write('zero', idxBytes(8, [N, 0, W], []));
    expect(rejection(() => readIdxImages(zero), zero).field).toBe('rows');
  });

  it('a gzip bomb declaring a small size is stopped at that size', () => {
    // 16 MiB of zeros after a header that declares 10 images of 28x28.
    const bomb = zlib.gzipSync(Buffer.concat([idxBytes(8, [10, 28, 28], []), Buffer.alloc(16 << 20)]), { level: 9 });
    const p = write('bomb.gz', bomb);
    expect(bomb.length).toBeLessThan(1 << 20);
    expect(rejection(() => readIdxImages(p), p).message).toContain('trailing');
  });

  it('a gzip bomb behind a long gzip file name is not inflated while looking for the header', () => {
    // gzip member with FNAME (flag 0x08) of 1 MiB, so the IDX header only comes out of a
    // long prefix, followed by deflate blocks that inflate to ~3 GiB of zeros. Every
    // block ends with a full flush, so the raw deflate pieces can be concatenated.
    const flush = { finishFlush: zlib.constants.Z_FULL_FLUSH };
    const head = zlib.deflateRawSync(idxBytes(8, [10, 28, 28], []), flush);
    const zeros = zlib.deflateRawSync(Buffer.alloc(16 << 20), { ...flush, level: 9 });
    const gz = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]),
      Buffer.alloc(1 << 20, 0x61),
      Buffer.from([0]),
      head,
      ...Array.from({ length: 200 }, () => zeros),
      zlib.deflateRawSync(Buffer.alloc(0)),
    ]);
    expect(gz.length).toBeLessThan(8 << 20);
    // It is a real bomb: inflating it runs past 64 MiB (stopped there).
    expect(() => zlib.gunzipSync(gz, { maxOutputLength: 64 << 20 })).toThrow(RangeError);
    // And its start inflates to the header we planted.
    const start = zlib.gunzipSync(gz.subarray(0, (1 << 20) + 11 + head.length), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(start.readUInt32BE(0)).toBe(0x803);
    const p = write('long-name-bomb.gz', gz);
    const err = rejection(() => readIdxImages(p), p);
    expect(err.field).toBe('file size');
    expect(err.message).toContain('trailing');
  });

  it('count mismatch between images and labels, labels >= classes', () => {
    const img = write('pair-img', idxBytes(8, [N, H, W], pixels));
    const lab3 = write('pair-lab3', idxBytes(8, [3], [0, 1, 2]));
    const err = rejection(() => loadIdxPair(img, lab3, 'pair'), lab3);
    expect(err.field).toBe('count');
    expect(err.message).toContain(img);
    const lab = write('pair-lab', idxBytes(8, [N], [0, 1, 10, 2]));
    const bad = rejection(() => loadIdxPair(img, lab, 'pair'), lab);
    expect(bad.field).toBe('labels[2]');
    expect(() => loadIdxPair(img, lab, 'pair', 11)).not.toThrow();
  });

  it('a missing file', () => {
    const p = path.join(tmp, 'does-not-exist');
    expect(rejection(() => readIdxImages(p), p).field).toBe('file');
  });
});
