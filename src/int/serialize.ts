/**
 * The folded model on disk: a `.bnnf` file is a safetensors file (src/graph/safetensors.ts)
 *
 *   __metadata__: { "format": "bnnc-folded", "version": "1" | "2", "model": <JSON string> }
 *   layers.<i>.weights     U32 [rows, ceil(cols / 32)]   matrix layer i (see types.ts)
 *   layers.<i>.thresholds  I32 [rows]                    threshold layers
 *   layers.<i>.mul         I32 [rows]                    the scores layer
 *   layers.<i>.add         I32 [rows]
 *
 * "model" holds everything else, keys in this order: name, sourceHash, input,
 * [inputThreshold (version 2: a binarized input),] classes, layers; each layer {kind, name, input, inShape, outShape, kernel, rows, cols, output:
 * {kind} or {kind, fracBits}} for dense/conv, {kind, name, inShape, outShape, size} for
 * maxpool. Bytes are deterministic: equal models give equal files.
 * docs/integer-contract.md describes the format for other readers.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import { decodeSafetensors, describeShape, encodeSafetensors, type SafeTensor, type TensorData } from '../graph/safetensors.js';
import type { Shape3 } from '../graph/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkFolded } from './check.js';
import { FOLDED_FORMAT, FOLDED_VERSION, FOLDED_VERSION_BINARY_INPUT, type FoldedLayer, type FoldedModel, wordsPerRow } from './types.js';

/** Largest .bnnf file loadFolded reads (1 GiB). */
export const MAX_FOLDED_BYTES = 2 ** 30;

const METADATA_FIELDS = ['format', 'version', 'model'];
const MODEL_FIELDS = ['name', 'sourceHash', 'input', 'classes', 'layers'];
/** Version 2: a binarized input. */
const MODEL_FIELDS_BINARY_INPUT = ['name', 'sourceHash', 'input', 'inputThreshold', 'classes', 'layers'];
const MATRIX_FIELDS = ['kind', 'name', 'input', 'inShape', 'outShape', 'kernel', 'rows', 'cols', 'output'];
const POOL_FIELDS = ['kind', 'name', 'inShape', 'outShape', 'size'];

/** The JSON description of a layer (arrays go to tensors), keys in file order. */
function describeLayer(l: FoldedLayer): Record<string, unknown> {
  if (l.kind === 'maxpool') return { kind: l.kind, name: l.name, inShape: l.inShape, outShape: l.outShape, size: l.size };
  return {
    kind: l.kind,
    name: l.name,
    input: l.input,
    inShape: l.inShape,
    outShape: l.outShape,
    kernel: l.kernel,
    rows: l.rows,
    cols: l.cols,
    output: l.output.kind === 'scores' ? { kind: 'scores', fracBits: l.output.fracBits } : { kind: 'threshold' },
  };
}

export function encodeFolded(f: FoldedModel): Uint8Array {
  checkFolded(f, `folded model ${describeValue(f.name)} (being saved)`);
  const model = {
    name: f.name,
    sourceHash: f.sourceHash,
    input: f.input,
    ...(f.inputThreshold === undefined ? {} : { inputThreshold: f.inputThreshold }),
    classes: f.classes,
    layers: f.layers.map(describeLayer),
  };
  const tensors: [string, { shape: number[]; data: TensorData }][] = [];
  f.layers.forEach((l, i) => {
    if (l.kind === 'maxpool') return;
    tensors.push([`layers.${i}.weights`, { shape: [l.rows, wordsPerRow(l.cols)], data: l.weights }]);
    if (l.output.kind === 'threshold') {
      tensors.push([`layers.${i}.thresholds`, { shape: [l.rows], data: l.output.thresholds }]);
    } else {
      tensors.push([`layers.${i}.mul`, { shape: [l.rows], data: l.output.mul }]);
      tensors.push([`layers.${i}.add`, { shape: [l.rows], data: l.output.add }]);
    }
  });
  return encodeSafetensors(tensors, { format: FOLDED_FORMAT, version: String(f.version), model: JSON.stringify(model) });
}

export function decodeFolded(bytes: Uint8Array, source: string): FoldedModel {
  const { metadata, tensors } = decodeSafetensors(bytes, source);
  exactKeys(metadata, METADATA_FIELDS, source, '__metadata__');
  if (metadata.format !== FOLDED_FORMAT) {
    throw new InputError(source, '__metadata__.format', `"${FOLDED_FORMAT}" (a bnnc folded model file)`, describeValue(metadata.format));
  }
  const binary = metadata.version === String(FOLDED_VERSION_BINARY_INPUT);
  if (metadata.version !== String(FOLDED_VERSION) && !binary) {
    throw new InputError(source, '__metadata__.version', `"${FOLDED_VERSION}" or "${FOLDED_VERSION_BINARY_INPUT}"`, describeValue(metadata.version));
  }
  const m = parseJsonStrict(metadata.model, source, '__metadata__.model');
  if (!isPlainObject(m)) throw new InputError(source, 'model', 'a JSON object', typeof m);
  exactKeys(m, binary ? MODEL_FIELDS_BINARY_INPUT : MODEL_FIELDS, source, 'model');
  if (!Array.isArray(m.layers)) throw new InputError(source, 'model.layers', 'an array', typeof m.layers);

  const used = new Set<string>();
  const take = (name: string, dtype: 'U32' | 'I32', shape: number[]): TensorData => {
    const t: SafeTensor | undefined = tensors.get(name);
    if (!t) throw new InputError(source, `tensors[${describeValue(name)}]`, `a ${dtype} tensor [${shape.join(', ')}]`, 'missing');
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
      throw new InputError(source, `tensors[${describeValue(name)}]`, `${dtype} ${describeShape(shape)}`, `${t.dtype} ${describeShape(t.shape)}`);
    }
    used.add(name);
    return t.data;
  };

  const layers: FoldedLayer[] = (m.layers as unknown[]).map((raw, i): FoldedLayer => {
    const at = `model.layers[${i}]`;
    if (!isPlainObject(raw)) throw new InputError(source, at, 'an object', typeof raw);
    if (raw.kind === 'maxpool') {
      exactKeys(raw, POOL_FIELDS, source, at);
      return { kind: 'maxpool', name: raw.name as string, inShape: raw.inShape as Shape3, outShape: raw.outShape as Shape3, size: raw.size as number };
    }
    if (raw.kind !== 'dense' && raw.kind !== 'conv') throw new InputError(source, `${at}.kind`, '"dense", "conv" or "maxpool"', describeValue(raw.kind));
    exactKeys(raw, MATRIX_FIELDS, source, at);
    const rows = raw.rows;
    const cols = raw.cols;
    if (!(Number.isSafeInteger(rows) && (rows as number) >= 1)) throw new InputError(source, `${at}.rows`, 'a positive integer', describeValue(rows));
    if (!(Number.isSafeInteger(cols) && (cols as number) >= 1)) throw new InputError(source, `${at}.cols`, 'a positive integer', describeValue(cols));
    const r = rows as number;
    const out = raw.output;
    if (!isPlainObject(out)) throw new InputError(source, `${at}.output`, 'an object', typeof out);
    const weights = take(`layers.${i}.weights`, 'U32', [r, wordsPerRow(cols as number)]) as Uint32Array;
    const base = {
      kind: raw.kind as 'dense' | 'conv',
      name: raw.name as string,
      input: raw.input as 'pixels' | 'bits',
      inShape: raw.inShape as Shape3,
      outShape: raw.outShape as Shape3,
      kernel: raw.kernel as number,
      rows: r,
      cols: cols as number,
      weights,
    };
    if (out.kind === 'threshold') {
      exactKeys(out, ['kind'], source, `${at}.output`);
      return { ...base, output: { kind: 'threshold', thresholds: take(`layers.${i}.thresholds`, 'I32', [r]) as Int32Array } };
    }
    if (out.kind === 'scores') {
      exactKeys(out, ['kind', 'fracBits'], source, `${at}.output`);
      return {
        ...base,
        output: {
          kind: 'scores',
          mul: take(`layers.${i}.mul`, 'I32', [r]) as Int32Array,
          add: take(`layers.${i}.add`, 'I32', [r]) as Int32Array,
          fracBits: out.fracBits as number,
        },
      };
    }
    throw new InputError(source, `${at}.output.kind`, '"threshold" or "scores"', describeValue(out.kind));
  });
  for (const name of tensors.keys()) {
    if (!used.has(name)) throw new InputError(source, `tensors[${describeValue(name)}]`, 'only the tensors the layers name', 'an unused tensor');
  }

  const f: FoldedModel = {
    format: FOLDED_FORMAT,
    version: binary ? FOLDED_VERSION_BINARY_INPUT : FOLDED_VERSION,
    name: m.name as string,
    sourceHash: m.sourceHash as string,
    input: m.input as Shape3,
    ...(binary ? { inputThreshold: m.inputThreshold as number } : {}),
    classes: m.classes as number,
    layers,
  };
  checkFolded(f, source);
  return f;
}

function exactKeys(o: Record<string, unknown>, fields: string[], source: string, where: string): void {
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw new InputError(source, `${where}.${k}`, `only ${fields.join(', ')}`, 'an unknown field');
  }
  for (const k of fields) if (!(k in o)) throw new InputError(source, `${where}.${k}`, 'present', 'missing');
}

/** Write a folded model atomically (deterministic bytes). */
export function saveFolded(path: string, f: FoldedModel): void {
  writeFileAtomic(path, encodeFolded(f));
}

/** Read and fully validate a .bnnf file. */
export function loadFolded(path: string): FoldedModel {
  let size: number;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) throw new InputError(path, 'file', 'a .bnnf folded model file', 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, 'file', 'a .bnnf folded model file', code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (size > MAX_FOLDED_BYTES) throw new InputError(path, 'file size', `at most ${MAX_FOLDED_BYTES} bytes`, `${size} bytes`);
  return decodeFolded(fs.readFileSync(path), path);
}
