/**
 * CIFAR-10, "binary version" (cifar-10-batches-bin): data_batch_1.bin .. data_batch_5.bin
 * for training, test_batch.bin for testing. Each record is 1 label byte followed by
 * 3072 pixel bytes in CHW order (1024 red, then 1024 green, then 1024 blue, each 32x32
 * row-major). bnnc keeps images HWC, so records are transposed on load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { Dataset, Split } from './types.js';

export const CIFAR_SIDE = 32;
export const CIFAR_CHANNELS = 3;
export const CIFAR_CLASSES = 10;
const PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_IMAGE_BYTES = PLANE * CIFAR_CHANNELS;
export const CIFAR_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES;
/** Largest total of image bytes we accept across the files of one split. */
export const MAX_CIFAR_BYTES = 2 ** 31;

export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILES = ['test_batch.bin'];

const CIFAR_HINT =
  'the CIFAR-10 binary version (cifar-10-batches-bin, not shipped with bnnc); point --data-dir at its directory';

/** The batch file paths of a split inside a cifar-10-batches-bin directory. */
export function cifarFiles(dir: string, split: Split): string[] {
  return (split === 'train' ? CIFAR_TRAIN_FILES : CIFAR_TEST_FILES).map((f) => path.join(dir, f));
}

function statRecords(file: string): number {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new InputError(file, 'file', `a CIFAR-10 batch file (${CIFAR_HINT})`, st.isDirectory() ? 'a directory' : 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, 'file', `a CIFAR-10 batch file (${CIFAR_HINT})`, code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (size === 0 || size % CIFAR_RECORD_BYTES !== 0) {
    throw new InputError(
      file,
      'file size',
      `a positive multiple of ${CIFAR_RECORD_BYTES} bytes (1 label + ${CIFAR_IMAGE_BYTES} pixels per record)`,
      `${size} bytes`,
    );
  }
  return size / CIFAR_RECORD_BYTES;
}

/**
 * Load CIFAR-10 batch files as one dataset, in file order. All sizes are checked before
 * the output buffers are allocated.
 */
export function loadCifarFiles(files: string[], name: string): Dataset {
  if (files.length === 0) throw new InputError(name, 'files', 'at least one CIFAR-10 batch file', 'none');
  const counts = files.map(statRecords);
  const n = counts.reduce((a, b) => a + b, 0);
  if (n * CIFAR_IMAGE_BYTES > MAX_CIFAR_BYTES) {
    throw new InputError(name, 'size', `at most ${MAX_CIFAR_BYTES} image bytes`, `${n} images`);
  }
  const images = new Uint8Array(n * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let index = 0;
  files.forEach((file, f) => {
    const bytes = fs.readFileSync(file);
    if (bytes.length !== counts[f] * CIFAR_RECORD_BYTES) {
      throw new InputError(file, 'file size', `${counts[f] * CIFAR_RECORD_BYTES} bytes`, `${bytes.length} bytes (file changed while reading)`);
    }
    for (let r = 0; r < counts[f]; r++, index++) {
      const rec = r * CIFAR_RECORD_BYTES;
      const label = bytes[rec];
      if (label >= CIFAR_CLASSES) {
        throw new InputError(file, `records[${r}].label`, `a class index below ${CIFAR_CLASSES}`, String(label));
      }
      labels[index] = label;
      chwToHwc(bytes, rec + 1, images, index * CIFAR_IMAGE_BYTES);
    }
  });
  return {
    name,
    n,
    height: CIFAR_SIDE,
    width: CIFAR_SIDE,
    channels: CIFAR_CHANNELS,
    classes: CIFAR_CLASSES,
    images,
    labels,
  };
}

/** Transpose one 3x32x32 CHW image starting at src[from] to HWC at dst[to]. */
function chwToHwc(src: Uint8Array, from: number, dst: Uint8Array, to: number): void {
  for (let p = 0; p < PLANE; p++) {
    const o = to + p * CIFAR_CHANNELS;
    dst[o] = src[from + p];
    dst[o + 1] = src[from + PLANE + p];
    dst[o + 2] = src[from + 2 * PLANE + p];
  }
}

/** Load a split from a cifar-10-batches-bin directory. */
export function loadCifar10(dir: string, split: Split): Dataset {
  return loadCifarFiles(cifarFiles(dir, split), `cifar10/${split}`);
}
