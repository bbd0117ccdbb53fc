/**
 * Fuzzing the dataset loaders (src/data/idx.ts, src/data/cifar.ts) and checking that
 * declared sizes beyond the limits are refused before any allocation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { concatBytes } from './formats.js';
import { runLoaderFuzz } from './isolate.js';
import { cifarSpec, idxGzipSpec, idxImagesSpec, idxLabelsSpec, withFileName } from './specs/data.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/data.ts', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}

describe('fuzz: dataset loaders', () => {
  it('idx-images: readIdxImages accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, idxImagesSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('idx-labels: readIdxLabels accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, idxLabelsSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('idx-gzip: gzip IDX files are accepted and round-trip, or throw InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, idxGzipSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('cifar: loadCifarFiles accepts and round-trips, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, cifarSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 4);
  });
});

describe('dataset loaders refuse huge declared sizes before allocating', () => {
  const header = (dims: number[]): Uint8Array => {
    const b = new Uint8Array(4 + 4 * dims.length);
    b[2] = 8;
    b[3] = dims.length;
    dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d, false));
    return b;
  };

  it('an IDX header whose product exceeds MAX_IDX_BYTES is refused, naming the product', () => {
    const p = write('huge.idx', header([0xffffffff, 65535, 65535]));
    expect(() => readIdxImages(p)).toThrow(InputError);
    expect(() => readIdxImages(p)).toThrow(/size: expected at most 2147483648 value bytes, got 4294967295 x 65535 x 65535 = \d+ bytes/);
  });

  it('an IDX header promising more than the file holds is refused, naming the promised size', () => {
    const p = write('short.idx', concatBytes([header([2 ** 31]), new Uint8Array(12)]));
    expect(() => readIdxLabels(p)).toThrow(/2147483656 bytes \(header 8 \+ 2147483648 values\), got 20 bytes \(truncated\)/);
  });

  it('a gzip IDX promising 1 GiB but holding little is refused without inflating much', () => {
    const p = write('short.idx.gz', zlib.gzipSync(concatBytes([header([2 ** 30]), new Uint8Array(100)])));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdxLabels(p)).toThrow(/1073741832 bytes after decompression.*got 108 bytes \(truncated\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a gzip bomb behind a small IDX header stops one byte past the promised size', () => {
    const bomb = zlib.gzipSync(concatBytes([header([10]), new Uint8Array(10), new Uint8Array(64 * 1024 * 1024)]), { level: 9 });
    const p = write('bomb.idx.gz', bomb);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdxLabels(p)).toThrow(/file size: expected 18 bytes after decompression.*got more \(trailing garbage\)/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a gzip file name of 2 MiB in front of a bomb does not get inflated past 1 MiB', () => {
    const bomb = withFileName(zlib.gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 }), 'n'.repeat(2 * 1024 * 1024));
    const p = write('named-bomb.idx.gz', bomb);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => readIdxImages(p)).toThrow(InputError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 * bomb.length + 16 * 1024 * 1024);
  });
});
