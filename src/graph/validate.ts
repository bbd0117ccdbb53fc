/**
 * Validation of a model graph (the JSON inside a .bnn file, or one built in memory) and
 * of a model's tensors against it. Everything downstream (training, folding, hardware
 * planning) relies on these checks instead of repeating them, so they are complete:
 * every field's type and range, unknown fields, and the shapes flowing through the
 * layers. Each failure is an InputError naming the field by its path, e.g.
 * "layers[3].inFeatures".
 */
import { InputError } from '../errors.js';
import { checkJsonValue, describeValue, isPlainObject, MAX_JSON_DEPTH } from './json.js';
import { describeShape } from './safetensors.js';
import { expectedTensors } from './tensors.js';
import {
  MODEL_FORMAT,
  MODEL_VERSION,
  MODEL_VERSION_BINARY_INPUT,
  type InputSpec,
  type LayerKind,
  type LayerSpec,
  type Model,
  type ModelGraph,
  type Shape3,
  versionForInput,
} from './types.js';

/** Limits that keep a hostile or corrupt file from asking for absurd allocations. */
export const GRAPH_LIMITS = {
  nameLength: 128,
  inputSide: 4096,
  inputChannels: 4096,
  /** Neurons / channels / features of one layer. */
  units: 1 << 20,
  layers: 1024,
  /** Elements of one activation (h * w * c). */
  activation: 1 << 26,
  /** Elements of one weight tensor. */
  weights: 1 << 28,
} as const;

const LAYER_FIELDS: Record<LayerKind, string[]> = {
  dense: ['inFeatures', 'outFeatures', 'bias'],
  conv2d: ['inChannels', 'outChannels', 'kernel', 'padding', 'bias'],
  batchnorm: ['features', 'eps', 'momentum'],
  sign: [],
  maxpool: ['size'],
  dropout: ['p'],
  flatten: [],
};
const LAYER_KINDS = Object.keys(LAYER_FIELDS) as LayerKind[];
const GRAPH_FIELDS = ['format', 'version', 'name', 'arch', 'input', 'classes', 'layers'];
const INPUT_FIELDS = ['height', 'width', 'channels', 'pixelScale', 'pixelOffset'];
/** A binarized input (format version 2): bits 1 and a threshold instead of the pixel map. */
const BINARY_INPUT_FIELDS = ['height', 'width', 'channels', 'bits', 'threshold'];

function show(v: unknown): string {
  return v === undefined ? 'missing' : describeValue(v, 60);
}

/** Field checks bound to one source, each returning the checked value. */
class Fields {
  constructor(private readonly source: string) {}

  /** Fail showing the offending value (as JSON). */
  fail(path: string, expected: string, got: unknown): never {
    throw new InputError(this.source, path, expected, show(got));
  }

  /** Fail with a description of what was found instead of a value. */
  failText(path: string, expected: string, got: string): never {
    throw new InputError(this.source, path, expected, got);
  }

  object(v: unknown, path: string, allowed: string[], required: string[]): Record<string, unknown> {
    if (!isPlainObject(v)) {
      const at = path === '' ? 'graph' : path;
      if (Array.isArray(v)) this.failText(at, 'an object', 'an array');
      this.fail(at, 'an object', v);
    }
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) this.failText(path === '' ? k : `${path}.${k}`, `no such field (known: ${allowed.join(', ')})`, 'an unknown field');
    }
    for (const k of required) {
      if (!(k in v)) this.failText(path === '' ? k : `${path}.${k}`, 'present', 'missing');
    }
    return v;
  }

  int(v: unknown, path: string, min: number, max: number, expected = `an integer in ${min}..${max}`): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, expected, v);
    }
    return v;
  }

  finite(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'a finite number', v);
    return v;
  }

  string(v: unknown, path: string, maxLength: number): string {
    if (typeof v !== 'string' || v.length < 1 || v.length > maxLength) {
      this.fail(path, `a string of 1..${maxLength} characters`, v);
    }
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v;
  }
}

function checkInput(f: Fields, v: unknown, version: number): InputSpec {
  if (isPlainObject(v) && 'bits' in v) {
    if (version < MODEL_VERSION_BINARY_INPUT) {
      f.fail('version', `${MODEL_VERSION_BINARY_INPUT} for a binarized input (input.bits)`, version);
    }
    const o = f.object(v, 'input', BINARY_INPUT_FIELDS, BINARY_INPUT_FIELDS);
    if (o.bits !== 1) f.fail('input.bits', '1 (a binarized input; an 8-bit input has no bits field)', o.bits);
    return {
      height: f.int(o.height, 'input.height', 1, GRAPH_LIMITS.inputSide),
      width: f.int(o.width, 'input.width', 1, GRAPH_LIMITS.inputSide),
      channels: f.int(o.channels, 'input.channels', 1, GRAPH_LIMITS.inputChannels),
      bits: 1,
      threshold: f.int(o.threshold, 'input.threshold', 1, 255),
    };
  }
  const o = f.object(v, 'input', INPUT_FIELDS, INPUT_FIELDS);
  return {
    height: f.int(o.height, 'input.height', 1, GRAPH_LIMITS.inputSide),
    width: f.int(o.width, 'input.width', 1, GRAPH_LIMITS.inputSide),
    channels: f.int(o.channels, 'input.channels', 1, GRAPH_LIMITS.inputChannels),
    pixelScale: f.finite(o.pixelScale, 'input.pixelScale'),
    pixelOffset: f.finite(o.pixelOffset, 'input.pixelOffset'),
  };
}

function checkLayer(f: Fields, v: unknown, i: number): LayerSpec {
  const at = `layers[${i}]`;
  if (!isPlainObject(v)) f.fail(at, 'an object', v);
  const kind = v.kind;
  if (typeof kind !== 'string' || !(LAYER_KINDS as string[]).includes(kind)) {
    f.fail(`${at}.kind`, `one of ${LAYER_KINDS.join(', ')}`, kind);
  }
  const k = kind as LayerKind;
  if (k === 'conv2d' && (v.stride !== undefined || v.dilation !== undefined)) {
    // Named here, before the unknown-field check, so that the message says which layer.
    const key = v.stride !== undefined ? 'stride' : 'dilation';
    f.fail(`${at}.${key}`, `no ${key} in conv2d layer ${describeValue(v.name)}: bnnc's convolutions have stride 1 and no dilation`, v[key]);
  }
  const all = ['kind', 'name', ...LAYER_FIELDS[k]];
  const o = f.object(v, at, all, all);
  const name = f.string(o.name, `${at}.name`, GRAPH_LIMITS.nameLength);
  const units = (key: string): number => f.int(o[key], `${at}.${key}`, 1, GRAPH_LIMITS.units);
  switch (k) {
    case 'dense':
      return { kind: k, name, inFeatures: units('inFeatures'), outFeatures: units('outFeatures'), bias: f.bool(o.bias, `${at}.bias`) };
    case 'conv2d': {
      const spec = {
        kind: k,
        name,
        inChannels: units('inChannels'),
        outChannels: units('outChannels'),
        kernel: f.int(o.kernel, `${at}.kernel`, 1, GRAPH_LIMITS.inputSide),
        padding: f.int(o.padding, `${at}.padding`, 0, 0, `0 in conv2d layer ${describeValue(name)}: bnnc's convolutions are 'valid' (no padding)`),
        bias: f.bool(o.bias, `${at}.bias`),
      };
      return spec;
    }
    case 'batchnorm': {
      const features = units('features');
      const eps = f.finite(o.eps, `${at}.eps`);
      if (!(eps > 0)) f.fail(`${at}.eps`, 'a number > 0', eps);
      const momentum = f.finite(o.momentum, `${at}.momentum`);
      if (!(momentum > 0 && momentum <= 1)) f.fail(`${at}.momentum`, 'a number in (0, 1]', momentum);
      return { kind: k, name, features, eps, momentum };
    }
    case 'maxpool':
      return { kind: k, name, size: f.int(o.size, `${at}.size`, 1, GRAPH_LIMITS.inputSide) };
    case 'dropout': {
      const p = f.finite(o.p, `${at}.p`);
      if (!(p >= 0 && p < 1)) f.fail(`${at}.p`, 'a probability in [0, 1)', p);
      return { kind: k, name, p };
    }
    case 'sign':
    case 'flatten':
      return { kind: k, name };
  }
}

function fmt(s: Shape3): string {
  return `${s[0]}x${s[1]}x${s[2]}`;
}

/**
 * The activation shape after every layer, checking that each layer fits what arrives:
 * dense.inFeatures = flattened size, conv2d.inChannels = channels and the kernel fits,
 * batchnorm.features = channels, the pool window fits, and the last output has
 * `classes` elements. The graph's fields must already be well-typed.
 */
export function inferShapes(graph: ModelGraph, source: string): Shape3[] {
  const f: Fields = new Fields(source);
  let shape: Shape3 = [graph.input.height, graph.input.width, graph.input.channels];
  if (shape[0] * shape[1] * shape[2] > GRAPH_LIMITS.activation) {
    f.failText('input', `at most ${GRAPH_LIMITS.activation} pixels x channels`, fmt(shape));
  }
  const shapes: Shape3[] = [];
  graph.layers.forEach((layer, i) => {
    const at = `layers[${i}]`;
    const [h, w, c] = shape;
    const arriving = `(input to ${at} is ${fmt(shape)})`;
    switch (layer.kind) {
      case 'dense': {
        const flat = h * w * c;
        if (layer.inFeatures !== flat) f.fail(`${at}.inFeatures`, `${flat}, the flattened size arriving ${arriving}`, layer.inFeatures);
        if (layer.inFeatures * layer.outFeatures > GRAPH_LIMITS.weights) {
          f.fail(`${at}.outFeatures`, `inFeatures x outFeatures at most ${GRAPH_LIMITS.weights}`, layer.outFeatures);
        }
        shape = [1, 1, layer.outFeatures];
        break;
      }
      case 'conv2d': {
        if (layer.inChannels !== c) f.fail(`${at}.inChannels`, `${c}, the channels arriving ${arriving}`, layer.inChannels);
        if (layer.kernel > h || layer.kernel > w) f.fail(`${at}.kernel`, `at most ${Math.min(h, w)} to fit ${arriving}`, layer.kernel);
        if (layer.outChannels * layer.kernel * layer.kernel * layer.inChannels > GRAPH_LIMITS.weights) {
          f.fail(`${at}.outChannels`, `outChannels x kernel^2 x inChannels at most ${GRAPH_LIMITS.weights}`, layer.outChannels);
        }
        shape = [h - layer.kernel + 1, w - layer.kernel + 1, layer.outChannels];
        break;
      }
      case 'batchnorm':
        if (layer.features !== c) f.fail(`${at}.features`, `${c}, the channels arriving ${arriving}`, layer.features);
        break;
      case 'maxpool':
        if (layer.size > h || layer.size > w) f.fail(`${at}.size`, `at most ${Math.min(h, w)} to fit ${arriving}`, layer.size);
        shape = [Math.floor(h / layer.size), Math.floor(w / layer.size), c];
        break;
      case 'flatten':
        shape = [1, 1, h * w * c];
        break;
      case 'sign':
      case 'dropout':
        break;
    }
    if (shape[0] * shape[1] * shape[2] > GRAPH_LIMITS.activation) {
      f.failText(at, `an output of at most ${GRAPH_LIMITS.activation} elements`, fmt(shape));
    }
    shapes.push(shape);
  });
  const last = shape[0] * shape[1] * shape[2];
  if (last !== graph.classes) {
    f.fail('classes', `${last}, the size of the last layer's output (${fmt(shape)})`, graph.classes);
  }
  return shapes;
}

/**
 * Check an untrusted graph object completely and return it normalized: known fields
 * only, in canonical key order (so equal graphs serialize to equal bytes), with `meta`
 * carried over as given.
 */
export function validateGraph(obj: unknown, source: string): ModelGraph {
  const f: Fields = new Fields(source);
  const o = f.object(obj, '', [...GRAPH_FIELDS, 'meta'], GRAPH_FIELDS);
  if (o.format !== MODEL_FORMAT) f.fail('format', JSON.stringify(MODEL_FORMAT), o.format);
  if (o.version !== MODEL_VERSION && o.version !== MODEL_VERSION_BINARY_INPUT) {
    f.fail('version', `${MODEL_VERSION} or ${MODEL_VERSION_BINARY_INPUT} (the model format versions this bnnc reads)`, o.version);
  }
  const name = f.string(o.name, 'name', GRAPH_LIMITS.nameLength);
  const arch = f.string(o.arch, 'arch', GRAPH_LIMITS.nameLength);
  const input = checkInput(f, o.input, o.version);
  const classes = f.int(o.classes, 'classes', 2, 65535);
  if (!Array.isArray(o.layers) || o.layers.length < 1 || o.layers.length > GRAPH_LIMITS.layers) {
    const expected = `an array of 1..${GRAPH_LIMITS.layers} layers`;
    if (Array.isArray(o.layers)) f.failText('layers', expected, `${o.layers.length} layers`);
    f.fail('layers', expected, o.layers);
  }
  const layers = (o.layers as unknown[]).map((l, i) => checkLayer(f, l, i));
  const seen = new Map<string, number>();
  layers.forEach((l, i) => {
    const prev = seen.get(l.name);
    if (prev !== undefined) f.fail(`layers[${i}].name`, `a name not used before (layers[${prev}] is ${JSON.stringify(l.name)})`, l.name);
    seen.set(l.name, i);
  });
  // Normalized to the lowest version that expresses the model, so an 8-bit model stays
  // a version-1 file (byte for byte what earlier bnnc wrote and reads).
  const graph: ModelGraph = { format: MODEL_FORMAT, version: versionForInput(input), name, arch, input, classes, layers };
  if (o.meta !== undefined) {
    if (!isPlainObject(o.meta)) f.fail('meta', 'an object', o.meta);
    // meta sits one level inside the graph object, whose JSON text parseJsonStrict limits to MAX_JSON_DEPTH.
    checkJsonValue(o.meta, source, 'meta', MAX_JSON_DEPTH - 1);
    graph.meta = o.meta;
  }
  inferShapes(graph, source);
  return graph;
}

/**
 * Check a model's tensors against its (valid) graph: every tensor a layer reads is
 * present with the right shape and F32 data, nothing else is there, every value is
 * finite, and batch-norm variances are not negative.
 */
export function validateTensors(model: Model, source: string): void {
  const f: Fields = new Fields(source);
  const expected = expectedTensors(model.graph);
  const names = new Set(expected.map((t) => t.name));
  for (const name of model.tensors.keys()) {
    if (!names.has(name)) f.failText(`tensors[${describeValue(name)}]`, 'only tensors that a layer reads', 'an extra tensor');
  }
  for (const spec of expected) {
    const field = `tensors[${JSON.stringify(spec.name)}]`;
    const t = model.tensors.get(spec.name);
    if (t === undefined) f.failText(field, `present (read by layers[${spec.layer}])`, 'missing');
    if (!(t.data instanceof Float32Array)) f.failText(`${field}.data`, 'a Float32Array', (t.data as object)?.constructor?.name ?? typeof t.data);
    const sameShape = t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
    if (!sameShape) f.failText(`${field}.shape`, describeShape(spec.shape), describeShape(t.shape));
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) f.failText(`${field}.data`, `${count} values`, `${t.data.length} values`);
    const data = t.data;
    const isVar = spec.name.endsWith('.running_var') && model.graph.layers[spec.layer].kind === 'batchnorm';
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!Number.isFinite(x)) f.failText(`${field}[${i}]`, 'a finite number', String(x));
      if (isVar && x < 0) f.failText(`${field}[${i}]`, 'a variance >= 0', String(x));
    }
  }
}
