/**
 * bnnc import: a QONNX (or plain ONNX) binarized network becomes a bnnc model file that
 * eval, compile and verify accept unchanged (docs/import.md).
 *
 *   bnnc import MODEL.onnx --out MODEL.bnn [--name NAME] [--input-scale 1/255] [--input-shape 28x28x1]
 *
 * importOnnx validates and folds the imported model before it is written, so a model the
 * integer contract cannot express is refused here, not later by compile.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../errors.js';
import { modelHash, saveModel } from '../graph/io.js';
import type { Shape3 } from '../graph/types.js';
import { importOnnx } from '../onnx/import.js';
import { declareModelIo, parseInputScale } from './onnx-args.js';
import { readRegularFile } from '../util/inputs.js';

interface ImportArgs {
  model: string;
  out: string;
  name?: string;
  inputScale: string;
  inputShape?: string;
}

/** Largest ONNX file read (1 GiB, as for .bnn files). */
const MAX_ONNX_BYTES = 2 ** 30;

function parseShape(s: string | undefined): Shape3 | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  const v = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
  if (!m || v.some((x) => x < 1 || x > 4096)) throw new InputError('command line', '--input-shape', 'HxWxC with sizes 1..4096 (e.g. 28x28x1)', s);
  return v as Shape3;
}

export function readOnnxFile(file: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, 'file', 'an ONNX model file', code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (!st.isFile()) throw new InputError(file, 'file', 'an ONNX model file', 'not a regular file');
  if (st.size > MAX_ONNX_BYTES) throw new InputError(file, 'file size', `at most ${MAX_ONNX_BYTES} bytes`, `${st.size} bytes`);
  // Opened non-blocking and checked again on the descriptor: no FIFO swapped in after the stat.
  return readRegularFile(file, 'an ONNX model file');
}

const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <model>',
  describe: 'import a QONNX / ONNX binarized network (Brevitas export_qonnx) as a bnnc model file',
  builder: (y: Argv<object>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file (.onnx)' })
      .option('out', { type: 'string', demandOption: true, describe: 'bnnc model file to write (.bnn)' })
      .option('name', { type: 'string', describe: 'model name (default: the file name without extension)' })
      .option('input-scale', { type: 'string', default: '1/255', describe: 'the ONNX input value of pixel p is SCALE * p (1/255: torchvision ToTensor)' })
      .option('input-shape', { type: 'string', describe: 'HxWxC of the image, for a model whose input is a flat vector' }) as unknown as Argv<ImportArgs>,
  handler: (args: ArgumentsCamelCase<ImportArgs>) => {
    const out = declareModelIo(args.model, 'ONNX model', args.out, 'model file');
    if (path.extname(args.out).toLowerCase() !== '.bnn') throw new InputError('command line', '--out', 'a .bnn file name', args.out);
    const inputScale = parseInputScale(args.inputScale);
    const name = args.name ?? path.basename(args.model).replace(/\.[^.]*$/, '');
    if (!(name.length >= 1 && name.length <= 128)) throw new InputError('command line', '--name', '1..128 characters', JSON.stringify(name));
    const { model, summary } = importOnnx(readOnnxFile(args.model), args.model, { name, inputScale, inputShape: parseShape(args.inputShape) });
    const hash = modelHash(model); // importOnnx has validated and folded it
    saveModel(out, model);
    process.stdout.write(
      [`imported ${args.model} -> ${args.out} (${model.graph.name}, sha256 ${hash.slice(0, 16)}…)`, ...summary.map((s) => `  ${s}`)].join('\n') + '\n',
    );
  },
};

export default importCommand;
