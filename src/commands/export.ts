/**
 * bnnc export: a bnnc model file as QONNX, for qonnx (Python), FINN or any tool that reads
 * QONNX (docs/import.md).
 *
 *   bnnc export MODEL.bnn --out MODEL.onnx [--input-scale 1/255]
 *
 * The ONNX input is [N, C, H, W] holding SCALE * pixel (pixels / 255 by default, the
 * torchvision ToTensor convention); `bnnc import` of the result gives back the same model.
 */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../errors.js';
import { loadModel, modelHash } from '../graph/io.js';
import { foldModel } from '../int/fold.js';
import { exportOnnx } from '../onnx/export.js';
import { encodeOnnx } from '../onnx/proto.js';
import { writeFileAtomic } from '../util/atomic.js';
import { declareModelIo, parseInputScale } from './onnx-args.js';

interface ExportArgs {
  model: string;
  out: string;
  inputScale: string;
}

const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <model>',
  describe: 'export a bnnc model file as QONNX (runs in qonnx, imports back unchanged)',
  builder: (y: Argv<object>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'float model file (.bnn)' })
      .option('out', { type: 'string', demandOption: true, describe: 'ONNX file to write (.onnx)' })
      .option('input-scale', { type: 'string', default: '1/255', describe: 'the ONNX input value of pixel p is SCALE * p' }) as unknown as Argv<ExportArgs>,
  handler: (args: ArgumentsCamelCase<ExportArgs>) => {
    const out = declareModelIo(args.model, 'model', args.out, 'ONNX file');
    if (path.extname(args.out).toLowerCase() !== '.onnx') throw new InputError('command line', '--out', 'an .onnx file name', args.out);
    const inputScale = parseInputScale(args.inputScale);
    const model = loadModel(args.model);
    foldModel(model, modelHash(model)); // only models bnnc can run are exported
    const bytes = encodeOnnx(exportOnnx(model, { inputScale, version: BNNC_VERSION }));
    writeFileAtomic(out, bytes);
    process.stdout.write(`exported ${args.model} -> ${args.out} (${model.graph.layers.length} layers, ${bytes.length} bytes, QONNX op set ${13})\n`);
  },
};

/** Recorded in the ONNX file as producer_version. */
const BNNC_VERSION = '0.1.0';

export default exportCommand;
