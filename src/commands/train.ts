/**
 * bnnc train: train a BinaryNet on a dataset's training split, validating every epoch
 * on a held-out part of it, and save the best epoch's model with its training curves.
 *
 *   bnnc train --arch sfc --dataset mnist --epochs 10 --batch 100 --seed 1 --out models/sfc.bnn
 *   bnnc train --init models/sfc.bnn --dataset mnist --epochs 5 --lr-start 3e-4 --out models/sfc-more.bnn
 *
 * --init continues from a saved model (its architecture, latent weights and batch-norm
 * statistics) instead of a fresh one: a long run in parts, or a lower learning rate after
 * a plateau. Adam's moments start at zero, as after a restart of the reference code.
 *
 * Writes <out> (the model), <out>.curves.json and <out>.curves.svg, each atomically.
 */
import os from 'node:os';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { datasetInputs, datasetOptions, datasetSpecFromArgs, loadDataset, splitHoldout, subset, type DatasetArgs } from '../data/registry.js';
import { InputError } from '../errors.js';
import { loadModel, modelHash, saveModel } from '../graph/io.js';
import type { InputSpec, Model } from '../graph/types.js';
import { BUILTIN_ARCHS, buildModel } from '../nn/arch.js';
import { curvesJson } from '../nn/curves.js';
import { curvesSpec } from '../report/charts.js';
import { renderSvg } from '../report/render.js';
import { train, type EpochRecord } from '../nn/train.js';
import { writeFileAtomic } from '../util/atomic.js';
import { declareIo } from '../util/outputs.js';
import { Progress } from '../util/progress.js';

/** BinaryNet's input map: x = 2p/255 - 1 in [-1, 1]. */
const PIXEL_SCALE = 2 / 255;
const PIXEL_OFFSET = -1;
/**
 * --input-bits 1: pixel p is +1 when p >= 128, else -1. This is FINN's BNN-PYNQ input
 * (Brevitas bnn_pynq: x = 2 * (p / 255) - 1, then a 1-bit QuantIdentity whose
 * binary_sign maps x >= 0 to +1), i.e. p >= 127.5.
 */
const DEFAULT_INPUT_THRESHOLD = 128;

interface TrainArgs extends DatasetArgs {
  arch?: string;
  init?: string;
  epochs: number;
  batch: number;
  seed: number;
  out: string;
  'lr-start': number;
  'lr-fin': number;
  holdout: number;
  threads: number;
  limit?: number;
  'dropout-in'?: number;
  'dropout-hidden'?: number;
  'input-bits'?: number;
  'input-threshold'?: number;
  progress: boolean;
}

const CLI = 'command line';

function positiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new InputError(CLI, flag, 'a positive integer', String(v));
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a BinaryNet and save the best-validation-epoch model',
  builder: (y: Argv<object>) =>
    y
      .options(datasetOptions)
      .option('arch', {
        type: 'string',
        describe: `architecture: ${BUILTIN_ARCHS.join(', ')}, mlp:784-100-10, conv:32x3,pool,64x3,pool,fc256,fc10, or a JSON file (or --init)`,
      })
      .option('init', {
        type: 'string',
        describe:
          'continue from this model file (.bnn) instead of a new --arch: its architecture, latent weights and batch-norm statistics ' +
          '(Adam starts afresh); --dataset, --seed and --holdout must be those it was trained with, so no validation image is trained on',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'model file to write (.bnn); curves go to <out>.curves.json/.svg' })
      .option('epochs', { type: 'number', default: 10, describe: 'training epochs' })
      .option('batch', { type: 'number', default: 100, describe: 'mini-batch size' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of initialisation, holdout split, shuffling and dropout' })
      .option('lr-start', { type: 'number', default: 3e-3, describe: 'learning rate of the first epoch' })
      .option('lr-fin', { type: 'number', default: 3e-7, describe: 'rate the learning rate decays towards (exponentially, per epoch)' })
      .option('holdout', { type: 'number', default: 5000, describe: 'training images held out for validation (never the test set)' })
      .option('limit', { type: 'number', describe: 'train on at most this many images (after the holdout)' })
      .option('threads', {
        type: 'number',
        default: Math.min(2, os.availableParallelism()),
        describe: 'threads for the numeric kernels (the model does not depend on it)',
      })
      .option('dropout-in', { type: 'number', describe: 'input dropout (default 0.2 for MLPs, 0 for ConvNets)' })
      .option('dropout-hidden', { type: 'number', describe: 'dropout after hidden dense layers (default 0.5 for MLPs, 0 for ConvNets)' })
      .option('input-bits', {
        type: 'number',
        defaultDescription: '8',
        describe: 'first-layer input: 8 (x = 2p/255 - 1) or 1 (binarized: p >= --input-threshold is +1, else -1, as FINN\'s BNN-PYNQ networks)',
      })
      .option('input-threshold', { type: 'number', defaultDescription: String(DEFAULT_INPUT_THRESHOLD), describe: 'with --input-bits 1: the pixel value (1..255) from which a pixel is +1' })
      .option('progress', { type: 'boolean', default: true, describe: 'print progress to stderr' }) as unknown as Argv<TrainArgs>,
  handler: async (args: ArgumentsCamelCase<TrainArgs>) => {
    positiveInt('--epochs', args.epochs);
    positiveInt('--batch', args.batch);
    positiveInt('--holdout', args.holdout);
    positiveInt('--threads', args.threads);
    positiveInt('--limit', args.limit);
    if ((args.arch === undefined) === (args.init === undefined)) {
      throw new InputError(CLI, '--arch / --init', 'exactly one of them (a new network, or the model file to continue from)', args.arch === undefined ? 'neither' : 'both');
    }
    if (args.init !== undefined) {
      for (const flag of ['input-bits', 'input-threshold', 'dropout-in', 'dropout-hidden'] as const) {
        if (args[flag] !== undefined) throw new InputError(CLI, `--${flag}`, `not with --init (the model file ${args.init} fixes it)`, String(args[flag]));
      }
    }
    const inputBits = args['input-bits'] ?? 8;
    if (inputBits !== 1 && inputBits !== 8) throw new InputError(CLI, '--input-bits', '1 or 8', String(inputBits));
    const thr = args['input-threshold'] ?? DEFAULT_INPUT_THRESHOLD;
    if (!(Number.isInteger(thr) && thr >= 1 && thr <= 255)) throw new InputError(CLI, '--input-threshold', 'an integer in 1..255', String(thr));
    if (inputBits !== 1 && args['input-threshold'] !== undefined) {
      throw new InputError(CLI, '--input-threshold', 'only with --input-bits 1', String(thr));
    }
    if (!Number.isInteger(args.seed) || args.seed < 0) throw new InputError(CLI, '--seed', 'a non-negative integer', String(args.seed));
    for (const [flag, v] of [['--lr-start', args['lr-start']], ['--lr-fin', args['lr-fin']]] as const) {
      if (!(v > 0 && Number.isFinite(v))) throw new InputError(CLI, flag, 'a positive number', String(v));
    }

    const spec = datasetSpecFromArgs(args);
    // Before hours of training: the three outputs are writable and destroy no input.
    const arch = args.arch;
    const archFile =
      arch === undefined || BUILTIN_ARCHS.includes(arch) || /^(mlp|conv):/.test(arch) ? [] : [{ path: arch, what: 'architecture file' }];
    const initFile = args.init === undefined ? [] : [{ path: args.init, what: 'model file to continue from' }];
    const [outModel, outCurvesJson, outCurvesSvg] = declareIo({
      inputs: [...datasetInputs(spec, ['train']), ...archFile, ...initFile],
      outputs: [
        { path: args.out, what: 'model file', kind: 'file' },
        { path: `${args.out}.curves.json`, what: 'training curves', kind: 'file' },
        { path: `${args.out}.curves.svg`, what: 'training curves', kind: 'file' },
      ],
    });
    // The model to continue from is read and checked before the dataset is loaded.
    const initial = args.init === undefined ? null : loadInitModel(args.init, spec.dataset, args.seed, args.holdout);
    const full = loadDataset(spec, 'train');
    const split = splitHoldout(full, args.holdout, args.seed);
    const trainSet = args.limit !== undefined && args.limit < split.train.n ? subset(split.train, 0, args.limit) : split.train;
    const valSet = split.holdout;

    const { height, width, channels } = full;
    const input: InputSpec =
      inputBits === 1
        ? { height, width, channels, bits: 1, threshold: thr }
        : { height, width, channels, pixelScale: PIXEL_SCALE, pixelOffset: PIXEL_OFFSET };
    const model =
      initial ??
      buildModel(arch!, {
        input,
        classes: spec.classes,
        seed: args.seed,
        dropoutIn: args['dropout-in'],
        dropoutHidden: args['dropout-hidden'],
      });
    const base = path.basename(args.out, path.extname(args.out));
    if (base.length > 0 && base.length <= 128) model.graph.name = base;

    const log = (line: string): void => {
      if (args.progress) process.stderr.write(line + '\n');
    };
    const archName = initial ? `${model.graph.arch ?? 'model'} from ${args.init}` : arch!;
    log(
      `bnnc train: ${archName} on ${spec.dataset} (${trainSet.n} training, ${valSet.n} validation images), ` +
        `${args.epochs} epochs, batch ${args.batch}, lr ${args['lr-start']} -> ${args['lr-fin']}, seed ${args.seed}, ${args.threads} thread(s)`,
    );
    let bar: Progress | null = null;
    const result = await train(
      model,
      trainSet,
      valSet,
      {
        epochs: args.epochs,
        batchSize: args.batch,
        lrStart: args['lr-start'],
        lrFin: args['lr-fin'],
        seed: args.seed,
        threads: args.threads,
      },
      {
        onBatch: (epoch, done, total, loss) => {
          if (!bar) bar = new Progress(`epoch ${epoch}/${args.epochs}`, total, process.stderr, args.progress);
          // A live bar on a terminal; in logs only the epoch's summary line.
          if (process.stderr.isTTY) bar.update(done, `loss ${loss.toFixed(4)}`);
        },
        onEpoch: (r: EpochRecord, best: boolean) => {
          bar?.done(
            `${r.samplesPerSecond.toFixed(0)} samples/s  loss ${r.loss.toFixed(4)}  train ${pct(r.trainAccuracy)}  ` +
              `val ${pct(r.valAccuracy)}  lr ${r.lr.toExponential(2)}${best ? '  (best)' : ''}`,
          );
          bar = null;
        },
      },
    );

    const trained = result.model;
    trained.graph.meta = { ...trained.graph.meta, dataset: spec.dataset, holdout: args.holdout };
    saveModel(outModel, trained);
    const info = {
      title: `${model.graph.arch ?? arch} on ${spec.dataset}: best epoch ${result.bestEpoch}, validation ${pct(result.bestValAccuracy)}`,
      bestEpoch: result.bestEpoch,
    };
    writeFileAtomic(outCurvesJson, curvesJson(result.history, { ...info, arch: model.graph.arch ?? arch!, dataset: spec.dataset, seed: args.seed }));
    // Drawn by the report's chart: one drawing of the curves (src/report/charts.ts).
    writeFileAtomic(outCurvesSvg, await renderSvg(curvesSpec(result.history, result.bestEpoch, info.title)));
    process.stdout.write(
      `${args.out}: best epoch ${result.bestEpoch} of ${args.epochs}, validation accuracy ${pct(result.bestValAccuracy)}\n`,
    );
  },
};

/**
 * The model --init continues from. Its training metadata, where present, must name the
 * same dataset, seed and holdout: the holdout split is drawn from the seed, so another
 * seed or size would train on images that validated the first part.
 */
function loadInitModel(file: string, dataset: string, seed: number, holdout: number): Model {
  const model = loadModel(file);
  const meta = model.graph.meta ?? {};
  const expect: Array<[string, unknown, string]> = [
    ['dataset', dataset, '--dataset'],
    ['seed', seed, '--seed'],
    ['holdout', holdout, '--holdout'],
  ];
  for (const [key, value, flag] of expect) {
    if (meta[key] !== undefined && meta[key] !== value) {
      throw new InputError(file, `training ${key}`, `${flag} ${String(value)} to be the one it was trained with`, String(meta[key]));
    }
  }
  const priorEpochs = typeof meta.epochs === 'number' ? meta.epochs + (typeof meta.priorEpochs === 'number' ? meta.priorEpochs : 0) : undefined;
  model.graph.meta = { ...meta, continuedFrom: modelHash(model), ...(priorEpochs !== undefined ? { priorEpochs } : {}) };
  return model;
}

export default trainCommand;
