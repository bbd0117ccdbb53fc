/**
 * Architectures: named BinaryNet/FINN networks, custom spec strings and JSON files,
 * turned into an initialised float model.
 *
 * Every binary layer but the last is followed by batch norm and sign (ConvNets pool
 * after the sign, so OR-pooling of bits is exact downstream); the last is a binary
 * dense layer with batch norm and no sign. MLPs get dropout on the input and after each
 * hidden sign (the paper's 0.2 and 0.5 unless told otherwise); ConvNets none by
 * default.
 *
 *   tfc / sfc / lfc / paper-mlp   dense 64 / 256 / 1024 / 4096 x 3 hidden layers
 *   cnv      FINN CNV (32x32x3): conv64, conv64, pool, conv128, conv128, pool,
 *            conv256, conv256, fc512, fc512, fc(classes); 3x3 valid convolutions
 *   cnv28    for 28x28x1: conv32, conv32, pool, conv64, conv64, pool, fc256, fc(classes)
 *   mlp:784-100-10                       sizes, the first one being the input size
 *   conv:32x3,pool,64x3,pool,fc256,fc10  <channels>x<kernel>, pool[<size>], fc<units>
 *   path/to/arch.json                    [{"type":"conv","channels":32,"kernel":3},
 *                                         {"type":"pool","size":2},{"type":"fc","units":10}]
 *                                        (or {"layers": [...]}; "bias": true optional)
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import {
  MODEL_FORMAT,
  versionForInput,
  type InputSpec,
  type LayerSpec,
  type Model,
  type ModelGraph,
  type Shape3,
  type Tensor,
} from '../graph/types.js';
import { validateGraph } from '../graph/validate.js';
import { readRegularFile } from '../util/inputs.js';
import { Rng } from '../util/rng.js';
import { glorotUniformLimit } from './schedule.js';

export interface BuildOptions {
  input: InputSpec;
  classes: number;
  seed: number;
  /** Dropout on the input (default: 0.2 for MLPs, 0 for ConvNets). */
  dropoutIn?: number;
  /** Dropout after each hidden dense layer's sign (default: 0.5 for MLPs, 0 for ConvNets). */
  dropoutHidden?: number;
}

export type ArchItem =
  | { type: 'conv'; channels: number; kernel: number; bias?: boolean }
  | { type: 'pool'; size: number }
  | { type: 'fc'; units: number; bias?: boolean };

export const BN_EPSILON = 1e-4;
export const BN_MOMENTUM = 0.1;

const fc = (units: number): ArchItem => ({ type: 'fc', units });
const conv = (channels: number): ArchItem => ({ type: 'conv', channels, kernel: 3 });
const pool: ArchItem = { type: 'pool', size: 2 };

/** Built-in architectures; the last layer's size is the number of classes. */
const BUILTIN: Record<string, (classes: number) => ArchItem[]> = {
  tfc: (k) => [fc(64), fc(64), fc(64), fc(k)],
  sfc: (k) => [fc(256), fc(256), fc(256), fc(k)],
  lfc: (k) => [fc(1024), fc(1024), fc(1024), fc(k)],
  'paper-mlp': (k) => [fc(4096), fc(4096), fc(4096), fc(k)],
  cnv: (k) => [conv(64), conv(64), pool, conv(128), conv(128), pool, conv(256), conv(256), fc(512), fc(512), fc(k)],
  cnv28: (k) => [conv(32), conv(32), pool, conv(64), conv(64), pool, fc(256), fc(k)],
};

export const BUILTIN_ARCHS = Object.keys(BUILTIN);

function positiveInt(source: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InputError(source, field, 'a positive integer', describeValue(v));
  }
  return v;
}

function parseMlp(spec: string, input: InputSpec): ArchItem[] {
  const source = `arch ${spec}`;
  const sizes = spec.slice('mlp:'.length).split('-');
  if (sizes.length < 2) throw new InputError(source, 'sizes', 'at least an input and an output size, e.g. mlp:784-100-10');
  const nums = sizes.map((s, i) => positiveInt(source, `size ${i + 1}`, /^\d+$/.test(s) ? Number(s) : s));
  const inSize = input.height * input.width * input.channels;
  if (nums[0] !== inSize) throw new InputError(source, 'input size', `${inSize} (the dataset's image size)`, String(nums[0]));
  return nums.slice(1).map(fc);
}

function parseConv(spec: string): ArchItem[] {
  const source = `arch ${spec}`;
  return spec
    .slice('conv:'.length)
    .split(',')
    .map((tok, i): ArchItem => {
      const t = tok.trim();
      let m: RegExpMatchArray | null;
      if ((m = /^(\d+)x(\d+)$/.exec(t))) {
        return { type: 'conv', channels: positiveInt(source, `item ${i + 1}`, Number(m[1])), kernel: positiveInt(source, `item ${i + 1}`, Number(m[2])) };
      }
      if ((m = /^pool(\d*)$/.exec(t))) return { type: 'pool', size: m[1] ? positiveInt(source, `item ${i + 1}`, Number(m[1])) : 2 };
      if ((m = /^fc(\d+)$/.exec(t))) return fc(positiveInt(source, `item ${i + 1}`, Number(m[1])));
      throw new InputError(source, `item ${i + 1}`, '<channels>x<kernel>, pool[<size>] or fc<units>', describeValue(t));
    });
}

function parseJson(path: string): ArchItem[] {
  let text: string;
  text = readRegularFile(path, 'a readable JSON architecture', 'utf8');
  // Strict: a key given twice ({"units":8,"units":4096}) would otherwise read as the last one.
  const doc = parseJsonStrict(text, path, 'file');
  const list = Array.isArray(doc) ? doc : isPlainObject(doc) ? doc.layers : undefined;
  if (!Array.isArray(list)) throw new InputError(path, 'layers', 'an array of layers (or {"layers": [...]})');
  return list.map((raw: unknown, i): ArchItem => {
    const field = `layers[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new InputError(path, field, 'an object');
    const o = raw as Record<string, unknown>;
    const bias = o.bias === undefined ? undefined : o.bias === true ? true : o.bias === false ? false : undefined;
    if (o.bias !== undefined && bias === undefined) throw new InputError(path, `${field}.bias`, 'true or false', describeValue(o.bias));
    switch (o.type) {
      case 'conv':
        return { type: 'conv', channels: positiveInt(path, `${field}.channels`, o.channels), kernel: positiveInt(path, `${field}.kernel`, o.kernel ?? 3), bias };
      case 'pool':
        return { type: 'pool', size: positiveInt(path, `${field}.size`, o.size ?? 2) };
      case 'fc':
        return { type: 'fc', units: positiveInt(path, `${field}.units`, o.units), bias };
      default:
        throw new InputError(path, `${field}.type`, '"conv", "pool" or "fc"', describeValue(o.type));
    }
  });
}

/** The layer items of an architecture name, spec string or JSON file. */
export function archItems(arch: string, input: InputSpec, classes: number): { items: ArchItem[]; builtin: boolean } {
  const b = BUILTIN[arch];
  if (b) return { items: b(classes), builtin: true };
  if (arch.startsWith('mlp:')) return { items: parseMlp(arch, input), builtin: false };
  if (arch.startsWith('conv:')) return { items: parseConv(arch), builtin: false };
  if (arch.endsWith('.json') || fs.existsSync(arch)) return { items: parseJson(arch), builtin: false };
  throw new InputError(
    'arch',
    'name',
    `one of ${BUILTIN_ARCHS.join(', ')}, mlp:<sizes>, conv:<items> or a JSON file`,
    describeValue(arch),
  );
}

/** Graph layers for the items (validated against the input shape and class count). */
export function graphLayers(
  source: string,
  items: ArchItem[],
  input: InputSpec,
  classes: number,
  dropoutIn: number,
  dropoutHidden: number,
): LayerSpec[] {
  for (const [field, p] of [['dropoutIn', dropoutIn], ['dropoutHidden', dropoutHidden]] as const) {
    if (!(p >= 0 && p < 1)) throw new InputError(source, field, 'a probability in [0, 1)', String(p));
  }
  if (items.length === 0) throw new InputError(source, 'layers', 'at least one layer');
  const last = items[items.length - 1];
  if (last.type !== 'fc') throw new InputError(source, 'last layer', 'a dense (fc) layer', last.type);
  if (last.units !== classes) throw new InputError(source, 'last layer', `${classes} units (one per class)`, String(last.units));
  const layers: LayerSpec[] = [];
  let shape: Shape3 = [input.height, input.width, input.channels];
  if (dropoutIn > 0) layers.push({ kind: 'dropout', name: 'drop_in', p: dropoutIn });
  let k = 0;
  let pools = 0;
  let afterSign = false;
  let seenFc = false;
  items.forEach((item, i) => {
    const where = `layer ${i + 1} (${item.type})`;
    const isLast = i === items.length - 1;
    switch (item.type) {
      case 'conv': {
        if (seenFc) throw new InputError(source, where, 'convolutions before the first dense layer');
        const [h, w, c] = shape;
        if (h < item.kernel || w < item.kernel) {
          throw new InputError(source, where, `a kernel no larger than its ${h}x${w} input`, String(item.kernel));
        }
        layers.push({ kind: 'conv2d', name: `conv${k}`, inChannels: c, outChannels: item.channels, kernel: item.kernel, padding: 0, bias: item.bias ?? false });
        layers.push({ kind: 'batchnorm', name: `bn${k}`, features: item.channels, eps: BN_EPSILON, momentum: BN_MOMENTUM });
        layers.push({ kind: 'sign', name: `sign${k}` });
        shape = [h - item.kernel + 1, w - item.kernel + 1, item.channels];
        k++;
        afterSign = true;
        break;
      }
      case 'pool': {
        if (!afterSign || seenFc) throw new InputError(source, where, 'pooling right after a convolution (or another pool)');
        const [h, w, c] = shape;
        if (h < item.size || w < item.size) throw new InputError(source, where, `a window no larger than its ${h}x${w} input`, String(item.size));
        layers.push({ kind: 'maxpool', name: `pool${pools++}`, size: item.size });
        shape = [Math.floor(h / item.size), Math.floor(w / item.size), c];
        break;
      }
      case 'fc': {
        const inFeatures = shape[0] * shape[1] * shape[2];
        if (!seenFc && (shape[0] !== 1 || shape[1] !== 1)) layers.push({ kind: 'flatten', name: 'flatten' });
        seenFc = true;
        layers.push({ kind: 'dense', name: `fc${k}`, inFeatures, outFeatures: item.units, bias: item.bias ?? false });
        layers.push({ kind: 'batchnorm', name: `bn${k}`, features: item.units, eps: BN_EPSILON, momentum: BN_MOMENTUM });
        if (!isLast) {
          layers.push({ kind: 'sign', name: `sign${k}` });
          if (dropoutHidden > 0) layers.push({ kind: 'dropout', name: `drop${k}`, p: dropoutHidden });
        }
        shape = [1, 1, item.units];
        k++;
        afterSign = false;
        break;
      }
    }
  });
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) throw new InputError(source, 'layers', 'unique layer names', l.name);
    names.add(l.name);
  }
  return layers;
}

/** Glorot-uniform latent weights (clipped to [-1, 1]), batch norm at identity, zero biases. */
export function initTensors(layers: LayerSpec[], seed: number): Map<string, Tensor> {
  const rng = new Rng(seed);
  const tensors = new Map<string, Tensor>();
  const weights = (name: string, shape: number[], fanIn: number, fanOut: number): void => {
    const limit = Math.min(1, glorotUniformLimit(fanIn, fanOut));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.uniform(-limit, limit);
    tensors.set(`${name}.weight`, { shape, data });
  };
  for (const l of layers) {
    switch (l.kind) {
      case 'dense':
        weights(l.name, [l.outFeatures, l.inFeatures], l.inFeatures, l.outFeatures);
        if (l.bias) tensors.set(`${l.name}.bias`, { shape: [l.outFeatures], data: new Float32Array(l.outFeatures) });
        break;
      case 'conv2d': {
        const kk = l.kernel * l.kernel;
        weights(l.name, [l.outChannels, l.kernel, l.kernel, l.inChannels], kk * l.inChannels, kk * l.outChannels);
        if (l.bias) tensors.set(`${l.name}.bias`, { shape: [l.outChannels], data: new Float32Array(l.outChannels) });
        break;
      }
      case 'batchnorm':
        tensors.set(`${l.name}.gamma`, { shape: [l.features], data: new Float32Array(l.features).fill(1) });
        tensors.set(`${l.name}.beta`, { shape: [l.features], data: new Float32Array(l.features) });
        tensors.set(`${l.name}.running_mean`, { shape: [l.features], data: new Float32Array(l.features) });
        tensors.set(`${l.name}.running_var`, { shape: [l.features], data: new Float32Array(l.features).fill(1) });
        break;
      default:
        break;
    }
  }
  return tensors;
}

/** The graph of an architecture for a dataset's input and classes (no tensors). */
export function buildGraph(arch: string, opts: Omit<BuildOptions, 'seed'>): ModelGraph {
  const { input, classes } = opts;
  positiveInt('buildModel', 'classes', classes);
  const { items, builtin } = archItems(arch, input, classes);
  const hasConv = items.some((i) => i.type === 'conv');
  const dropoutIn = opts.dropoutIn ?? (hasConv ? 0 : 0.2);
  const dropoutHidden = opts.dropoutHidden ?? (hasConv ? 0 : 0.5);
  const layers = graphLayers(`arch ${arch}`, items, input, classes, dropoutIn, dropoutHidden);
  const graph: ModelGraph = {
    format: MODEL_FORMAT,
    version: versionForInput(input),
    name: builtin ? arch : 'custom',
    arch: builtin ? arch : 'custom',
    input: { ...input },
    classes,
    layers,
    meta: builtin ? {} : { archSpec: arch },
  };
  // The model limits (units, weights, activations per layer, layer count) are checked
  // here, before buildModel allocates tensors for sizes that came from a file.
  validateGraph(graph, `arch ${arch}`);
  return graph;
}

/** Build an initialised model for an architecture and a dataset's input and classes. */
export function buildModel(arch: string, opts: BuildOptions): Model {
  const graph = buildGraph(arch, opts);
  return { graph, tensors: initTensors(graph.layers, opts.seed) };
}
