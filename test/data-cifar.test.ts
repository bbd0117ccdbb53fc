import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { loadCifar10, loadCifarFiles } from '../src/data/cifar.js';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-data-cifar-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The value of pixel (y, x) of channel c of image `img`: distinct per position. */
const pixel = (img: number, c: number, y: number, x: number): number => (img * 29 + c * 101 + y * 7 + x * 3) & 255;

/**
 * A batch file written as the CIFAR-10 documentation describes it: per record one label
 * byte, then the red plane, the green plane and the blue plane, each 32 rows of 32.
 */
function batch(firstImage: number, labels: number[]): Buffer {
  const rec = 1 + 3 * 32 * 32;
  const out = Buffer.alloc(labels.length * rec);
  labels.forEach((label, r) => {
    out[r * rec] = label;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) out[r * rec + 1 + c * 1024 + y * 32 + x] = pixel(firstImage + r, c, y, x);
  });
  return out;
}

function rejection(fn: () => unknown, file: string): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).source).toBe(file);
    expect((e as Error).message).toContain(file);
    return e as InputError;
  }
  throw new Error(`${file} was accepted`);
}

// Training batches of 2, 1, 1, 3, 1 records (8 images), a test batch of 2.
const trainLabels = [[0, 9], [5], [1], [2, 3, 4], [8]];
const dir = path.join(tmp, 'cifar-10-batches-bin');
fs.mkdirSync(dir);
let first = 0;
trainLabels.forEach((labels, b) => {
  fs.writeFileSync(path.join(dir, `data_batch_${b + 1}.bin`), batch(first, labels));
  first += labels.length;
});
fs.writeFileSync(path.join(dir, 'test_batch.bin'), batch(100, [7, 6]));

describe('CIFAR-10 binary batches', () => {
  it('loads the training batches in order, transposing every pixel from CHW to HWC', () => {
    const ds = loadCifar10(dir, 'train');
    expect(ds).toMatchObject({ name: 'cifar10/train', n: 8, height: 32, width: 32, channels: 3, classes: 10 });
    expect(Array.from(ds.labels)).toEqual([0, 9, 5, 1, 2, 3, 4, 8]);
    let checked = 0;
    for (let i = 0; i < 8; i++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++) {
            expect(ds.images[i * 3072 + (y * 32 + x) * 3 + c]).toBe(pixel(i, c, y, x));
            checked++;
          }
    expect(checked).toBe(ds.images.length);
  });

  it('loads the test batch, also through the registry', () => {
    const test = loadCifar10(dir, 'test');
    expect(Array.from(test.labels)).toEqual([7, 6]);
    expect(test.images[(5 * 32 + 9) * 3 + 2]).toBe(pixel(100, 2, 5, 9));
    const viaRegistry = loadDataset(datasetSpecFromArgs({ dataset: 'cifar10', 'data-dir': dir }), 'test');
    expect(viaRegistry.images).toEqual(test.images);
    expect(viaRegistry.labels).toEqual(test.labels);
  });

  it('rejects sizes that are not whole records, labels >= 10, missing files', () => {
    const ragged = path.join(tmp, 'ragged.bin');
    fs.writeFileSync(ragged, batch(0, [1, 2]).subarray(0, 3073 + 100));
    const err = rejection(() => loadCifarFiles([ragged], 'x'), ragged);
    expect(err.field).toBe('file size');
    expect(err.message).toContain('3073');
    const empty = path.join(tmp, 'empty.bin');
    fs.writeFileSync(empty, new Uint8Array(0));
    expect(rejection(() => loadCifarFiles([empty], 'x'), empty).field).toBe('file size');
    const badLabel = path.join(tmp, 'label.bin');
    fs.writeFileSync(badLabel, batch(0, [3, 10, 1]));
    expect(rejection(() => loadCifarFiles([badLabel], 'x'), badLabel).field).toBe('records[1].label');
    const missing = path.join(tmp, 'nowhere', 'data_batch_1.bin');
    const miss = rejection(() => loadCifar10(path.join(tmp, 'nowhere'), 'train'), missing);
    expect(miss.message).toContain('--data-dir');
  });
});
