/**
 * The .bnn model file: a safetensors file whose `__metadata__` holds
 * { format: "bnnc-model", version: "1" (or "2" with a binarized input), graph: <ModelGraph as JSON> } and whose tensors
 * are the model's F32 tensors (see docs/model-format.md).
 *
 * Writing is deterministic, so the sha256 of the bytes (modelHash) identifies a model:
 * the graph is normalized by validateGraph (fixed key order), tensors are written in
 * Model.tensors insertion order, and the JSON has no optional whitespace.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { describeValue, isPlainObject, parseJsonStrict } from './json.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { inferShapes, validateGraph, validateTensors } from './validate.js';
import { MODEL_FORMAT, MODEL_VERSION, MODEL_VERSION_BINARY_INPUT, type Model, type ModelGraph, type Shape3, type Tensor } from './types.js';

/** Largest model file loadModel reads (1 GiB); far above any BinaryNet we build. */
export const MAX_MODEL_BYTES = 2 ** 30;

const METADATA_FIELDS = ['format', 'version', 'graph'];

/** Encode a model as .bnn bytes. Refuses an invalid model (it could not be loaded back). */
export function encodeModel(model: Model): Uint8Array {
  const source = `model ${describeValue(model.graph?.name)} (being saved)`;
  const graph = validateGraph(model.graph, source);
  const normalized: Model = { graph, tensors: model.tensors };
  validateTensors(normalized, source);
  const metadata = { format: MODEL_FORMAT, version: String(graph.version), graph: JSON.stringify(graph) };
  return encodeSafetensors(model.tensors, metadata);
}

/** Decode and validate .bnn bytes; `source` names them in errors (usually the path). */
export function decodeModel(bytes: Uint8Array, source: string): Model {
  const { metadata, tensors } = decodeSafetensors(bytes, source);
  for (const key of Object.keys(metadata)) {
    if (!METADATA_FIELDS.includes(key)) {
      throw new InputError(source, `__metadata__.${key}`, `only ${METADATA_FIELDS.join(', ')}`, 'an unknown field');
    }
  }
  if (metadata.format !== MODEL_FORMAT) {
    throw new InputError(source, '__metadata__.format', `"${MODEL_FORMAT}" (a bnnc model file)`, metadata.format === undefined ? 'missing' : describeValue(metadata.format));
  }
  const known = [String(MODEL_VERSION), String(MODEL_VERSION_BINARY_INPUT)];
  if (!known.includes(metadata.version)) {
    throw new InputError(
      source,
      '__metadata__.version',
      `"${MODEL_VERSION}" or "${MODEL_VERSION_BINARY_INPUT}" (the model format versions this bnnc reads)`,
      metadata.version === undefined ? 'missing' : describeValue(metadata.version),
    );
  }
  if (metadata.graph === undefined) throw new InputError(source, '__metadata__.graph', 'the model graph as a JSON string', 'missing');
  const rawGraph = parseJsonStrict(metadata.graph, source, '__metadata__.graph');
  if (isPlainObject(rawGraph) && rawGraph.version !== undefined && String(rawGraph.version) !== metadata.version) {
    throw new InputError(source, '__metadata__.version', `the graph's version ${describeValue(rawGraph.version)}`, describeValue(metadata.version));
  }
  const graph = validateGraph(rawGraph, source);

  const modelTensors = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    if (t.dtype !== 'F32') throw new InputError(source, `tensors[${describeValue(name)}].dtype`, 'F32', t.dtype);
    modelTensors.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  const model: Model = { graph, tensors: modelTensors };
  validateTensors(model, source);
  return model;
}

/** Write a model file atomically. */
export function saveModel(path: string, model: Model): void {
  writeFileAtomic(path, encodeModel(model));
}

/** Read and validate a model file. */
export function loadModel(path: string): Model {
  let size: number;
  try {
    const st = fs.statSync(path);
    if (!st.isFile()) throw new InputError(path, 'file', 'a .bnn model file', 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, 'file', 'a .bnn model file', code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (size > MAX_MODEL_BYTES) throw new InputError(path, 'file size', `at most ${MAX_MODEL_BYTES} bytes`, `${size} bytes`);
  return decodeModel(fs.readFileSync(path), path);
}

/** sha256 (hex) of the model's .bnn bytes: equal models have equal hashes. */
export function modelHash(model: Model): string {
  return createHash('sha256').update(encodeModel(model)).digest('hex');
}

/** The activation shape [h, w, c] after every layer of a valid graph. */
export function shapesOf(graph: ModelGraph): Shape3[] {
  return inferShapes(graph, `model ${JSON.stringify(graph.name)}`);
}
