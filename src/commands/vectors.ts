/**
 * bnnc vectors: test vectors (docs/vector-format.md) for the RTL simulators: images of a
 * dataset split with the integer model's expected class and scores and, with
 * --activations, every layer's output bits.
 *
 *   bnnc vectors models/sfc.bnn --dataset mnist --split test [--limit N] [--activations] --out sfc.bnnv
 *
 * MODEL is a float model (.bnn, folded here) or a folded model (.bnnf).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { datasetInputs, datasetOptions, datasetSpecFromArgs, loadDataset, subset, type DatasetArgs } from '../data/registry.js';
import type { Split } from '../data/types.js';
import { InputError } from '../errors.js';
import { checkDatasetFits, loadAsFolded } from '../int/source.js';
import { activationBits, writeVectors } from '../int/vectors.js';
import { declareIo } from '../util/outputs.js';

interface VectorsArgs extends DatasetArgs {
  model: string;
  split: Split;
  limit?: number;
  activations: boolean;
  out: string;
}

const vectorsCommand: CommandModule<object, VectorsArgs> = {
  command: 'vectors <model>',
  describe: 'write test vectors (images, expected classes and scores, optional layer bits) for RTL simulation',
  builder: (y: Argv<object>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'float model (.bnn) or folded model (.bnnf)' })
      .options(datasetOptions)
      .option('split', { type: 'string', choices: ['train', 'test'], default: 'test', describe: 'dataset split' })
      .option('limit', { type: 'number', describe: 'the first N images of the split only' })
      .option('activations', { type: 'boolean', default: false, describe: 'include every layer\'s output bits (to locate mismatches)' })
      .option('out', { type: 'string', demandOption: true, describe: 'vector file to write (.bnnv)' }) as unknown as Argv<VectorsArgs>,
  handler: (args: ArgumentsCamelCase<VectorsArgs>) => {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new InputError('command line', '--limit', 'a positive integer', String(args.limit));
    }
    const spec = datasetSpecFromArgs(args);
    const [out] = declareIo({
      inputs: [{ path: args.model, what: 'model' }, ...datasetInputs(spec, [args.split])],
      outputs: [{ path: args.out, what: 'vector file', kind: 'file' }],
    });
    const { folded } = loadAsFolded(args.model);
    let ds = loadDataset(spec, args.split);
    checkDatasetFits(ds, folded);
    if (args.limit !== undefined && args.limit < ds.n) ds = subset(ds, 0, args.limit);

    // The records carry each image's index in the split: the subset starts at 0.
    const indices = Uint32Array.from({ length: ds.n }, (_, i) => i);
    writeVectors(out, folded, ds.images, indices, ds.labels, { activations: args.activations });
    const layers = args.activations ? `, ${activationBits(folded).length} activation layers` : '';
    process.stdout.write(`wrote ${args.out}: ${ds.n} vectors from ${ds.name} (${ds.height}x${ds.width}x${ds.channels} pixels, ${folded.classes} classes${layers})\n`);
  },
};

export default vectorsCommand;
