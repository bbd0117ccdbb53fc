/**
 * bnnc eval: accuracy of a float model and of its folded integer model on a dataset
 * split, and the number of images on which their predictions differ (the first level
 * of verification: the two must agree on >= 99.9 % of the test images).
 *
 *   bnnc eval models/sfc.bnn --dataset mnist [--split test] [--limit N] [--json]
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { datasetOptions, datasetSpecFromArgs, loadDataset, subset, type DatasetArgs } from '../data/registry.js';
import type { Split } from '../data/types.js';
import { InputError } from '../errors.js';
import { loadModel, modelHash } from '../graph/io.js';
import { foldModel } from '../int/fold.js';
import { inferIntBatch } from '../int/infer.js';
import { checkDatasetFits } from '../int/source.js';
import { predictFloat } from '../nn/predict.js';

interface EvalArgs extends DatasetArgs {
  model: string;
  split: Split;
  limit?: number;
  json: boolean;
}

export interface EvalReport {
  model: string;
  sourceHash: string;
  dataset: string;
  split: Split;
  images: number;
  floatCorrect: number;
  intCorrect: number;
  /** Fractions in [0, 1]. */
  floatAccuracy: number;
  intAccuracy: number;
  /** Images on which the float and integer predictions differ. */
  differ: number;
  /** 1 - differ / images. */
  agreement: number;
  /** |floatAccuracy - intAccuracy| in percentage points. */
  accuracyDifferencePoints: number;
  /** The integer model's score scale: scores are float scores * 2^fracBits. */
  fracBits: number;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval <model>',
  describe: 'accuracy of a model (float) and of its folded integer model, and where they differ',
  builder: (y: Argv<object>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'float model file (.bnn)' })
      .options(datasetOptions)
      .option('split', { type: 'string', choices: ['train', 'test'], default: 'test', describe: 'dataset split' })
      .option('limit', { type: 'number', describe: 'evaluate the first N images of the split only' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of text' }) as unknown as Argv<EvalArgs>,
  handler: (args: ArgumentsCamelCase<EvalArgs>) => {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new InputError('command line', '--limit', 'a positive integer', String(args.limit));
    }
    const model = loadModel(args.model);
    const f = foldModel(model, modelHash(model));
    const spec = datasetSpecFromArgs(args);
    let ds = loadDataset(spec, args.split);
    checkDatasetFits(ds, f);
    if (args.limit !== undefined && args.limit < ds.n) ds = subset(ds, 0, args.limit);

    const n = ds.n;
    const fl = predictFloat(model, ds.images, n);
    const int = inferIntBatch(f, ds.images, n);
    let floatCorrect = 0;
    let intCorrect = 0;
    let differ = 0;
    for (let i = 0; i < n; i++) {
      if (fl.predictions[i] === ds.labels[i]) floatCorrect++;
      if (int.predictions[i] === ds.labels[i]) intCorrect++;
      if (fl.predictions[i] !== int.predictions[i]) differ++;
    }
    const last = f.layers[f.layers.length - 1];
    const report: EvalReport = {
      model: args.model,
      sourceHash: f.sourceHash,
      dataset: spec.dataset,
      split: args.split,
      images: n,
      floatCorrect,
      intCorrect,
      floatAccuracy: n ? floatCorrect / n : 0,
      intAccuracy: n ? intCorrect / n : 0,
      differ,
      agreement: n ? 1 - differ / n : 1,
      accuracyDifferencePoints: n ? (Math.abs(floatCorrect - intCorrect) / n) * 100 : 0,
      fracBits: last.kind !== 'maxpool' && last.output.kind === 'scores' ? last.output.fracBits : 0,
    };

    if (args.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
      return;
    }
    process.stdout.write(
      [
        `model      ${args.model} (${model.graph.name}, sha256 ${f.sourceHash.slice(0, 16)}…)`,
        `data       ${ds.name}: ${n} images`,
        `float      accuracy ${pct(report.floatAccuracy)} (${floatCorrect}/${n})`,
        `integer    accuracy ${pct(report.intAccuracy)} (${intCorrect}/${n}), scores in units of 2^-${report.fracBits}`,
        `agreement  ${pct(report.agreement)}: predictions differ on ${differ} image${differ === 1 ? '' : 's'}; ` +
          `accuracy difference ${report.accuracyDifferencePoints.toFixed(2)} points`,
      ].join('\n') + '\n',
    );
  },
};

export default evalCommand;
