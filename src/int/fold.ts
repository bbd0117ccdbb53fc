/**
 * foldModel: float model (src/graph/types.ts) -> folded integer model (src/int/types.ts).
 *
 * The graph must be a sequence of blocks
 *     matrix (dense | conv2d) -> batchnorm -> sign [-> maxpool]     (threshold blocks)
 *     matrix (dense | conv2d) -> batchnorm                          (the last block: scores)
 * with dropout (identity at inference) and flatten allowed anywhere between layers.
 * Flatten changes nothing in memory: activations are HWC, so a dense layer after a conv
 * or pool reads its input flattened in (h, w, c) order, which is the order of the bit
 * vector. The arithmetic of a block lives in ./threshold.ts.
 */
import { InputError } from '../errors.js';
import type { Conv2dSpec, DenseSpec, LayerSpec, Model, Shape3, Tensor } from '../graph/types.js';
import { lastWordMask } from './bits.js';
import { foldScores, foldThreshold, type InputMap, type NeuronParams } from './threshold.js';
import {
  FOLDED_FORMAT,
  FOLDED_VERSION,
  FOLDED_VERSION_BINARY_INPUT,
  type FoldedLayer,
  type FoldedMatrixLayer,
  type FoldedModel,
  wordsPerRow,
} from './types.js';

type MatrixSpec = DenseSpec | Conv2dSpec;

export function foldModel(model: Model, sourceHash: string): FoldedModel {
  const g = model.graph;
  const src = `model ${g.name}`;
  const { height, width, channels } = g.input;
  for (const [k, v] of Object.entries({ height, width, channels })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(src, `input.${k}`, 'a positive integer', String(v));
  }
  if (!(Number.isInteger(g.classes) && g.classes >= 1)) {
    throw new InputError(src, 'classes', 'a positive integer', String(g.classes));
  }
  const layers = g.layers;
  const out: FoldedLayer[] = [];
  let shape: Shape3 = [height, width, channels];
  // A binarized input makes the first layer an XNOR-popcount layer on the pixel bits:
  // its +-1 dot product is 2acc - N exactly as for a hidden layer.
  const binary = g.input.bits === 1 ? g.input.threshold : undefined;
  let input: 'pixels' | 'bits' = binary === undefined ? 'pixels' : 'bits';
  // Flatten only ever feeds a dense layer here: the shapes of conv and pool depend on it.
  let flattened = false;

  /** Index of the next layer that is not dropout/flatten, noting a flatten on the way. */
  const skip = (j: number): number => {
    while (j < layers.length && (layers[j].kind === 'dropout' || layers[j].kind === 'flatten')) {
      if (layers[j].kind === 'flatten') flattened = true;
      j++;
    }
    return j;
  };
  const where = (j: number): string => `layers[${j}] (${layers[j].name})`;
  const expect = (j: number, what: string): never => {
    if (j >= layers.length) throw new InputError(src, 'layers', `${what} after ${where(j - 1)}`, 'end of graph');
    throw new InputError(src, where(j), what, layers[j].kind);
  };

  let i = skip(0);
  if (i >= layers.length) throw new InputError(src, 'layers', 'at least one dense or conv2d layer', 'none');
  for (;;) {
    const mi = i;
    const m = layers[mi];
    if (m.kind !== 'dense' && m.kind !== 'conv2d') expect(mi, 'dense or conv2d');
    const matrix = m as MatrixSpec;
    if (matrix.kind === 'conv2d' && flattened) throw new InputError(src, where(mi), 'no flatten before a conv2d', 'flatten');
    flattened = false;
    const geo = matrixGeometry(src, where(mi), matrix, shape);

    const bi = skip(mi + 1);
    if (bi >= layers.length || layers[bi].kind !== 'batchnorm') expect(bi, 'batchnorm');
    const bn = layers[bi] as Extract<LayerSpec, { kind: 'batchnorm' }>;
    if (bn.features !== geo.rows) {
      throw new InputError(src, `${where(bi)}.features`, `${geo.rows} (outputs of ${matrix.name})`, String(bn.features));
    }

    const si = skip(bi + 1);
    if (si >= layers.length) {
      // The last block: scores.
      if (geo.rows !== g.classes) {
        throw new InputError(src, where(mi), `${g.classes} outputs (classes) in the last layer`, String(geo.rows));
      }
      if (geo.outShape[0] !== 1 || geo.outShape[1] !== 1) {
        throw new InputError(src, where(mi), 'a single output position in the last layer (one score per class)', `${geo.outShape[0]}x${geo.outShape[1]}`);
      }
      out.push(foldMatrix(model, src, matrix, bn, geo, shape, input, 'scores'));
      break;
    }
    if (layers[si].kind !== 'sign') expect(si, 'sign (or the end of the graph after the last batchnorm)');
    out.push(foldMatrix(model, src, matrix, bn, geo, shape, input, 'threshold'));
    shape = geo.outShape;
    input = 'bits';

    i = skip(si + 1);
    if (i < layers.length && layers[i].kind === 'maxpool') {
      const p = layers[i] as Extract<LayerSpec, { kind: 'maxpool' }>;
      if (flattened) throw new InputError(src, where(i), 'no flatten before a maxpool', 'flatten');
      if (!(Number.isInteger(p.size) && p.size >= 1)) {
        throw new InputError(src, `${where(i)}.size`, 'a positive integer', String(p.size));
      }
      const outShape: Shape3 = [Math.floor(shape[0] / p.size), Math.floor(shape[1] / p.size), shape[2]];
      if (outShape[0] < 1 || outShape[1] < 1) {
        throw new InputError(src, where(i), `a pool size <= the input height and width ${shape[0]}x${shape[1]}`, String(p.size));
      }
      out.push({ kind: 'maxpool', name: p.name, inShape: shape, outShape, size: p.size });
      shape = outShape;
      i = skip(i + 1);
    }
    if (i >= layers.length) throw new InputError(src, 'layers', 'a last dense/conv2d -> batchnorm block (class scores)', 'end of graph after sign');
  }

  return {
    format: FOLDED_FORMAT,
    version: binary === undefined ? FOLDED_VERSION : FOLDED_VERSION_BINARY_INPUT,
    name: g.name,
    sourceHash,
    input: [height, width, channels],
    ...(binary === undefined ? {} : { inputThreshold: binary }),
    classes: g.classes,
    layers: out,
  };
}

interface Geometry {
  kernel: number;
  rows: number;
  cols: number;
  outShape: Shape3;
}

function matrixGeometry(src: string, where: string, m: MatrixSpec, shape: Shape3): Geometry {
  const [h, w, c] = shape;
  if (m.kind === 'dense') {
    if (m.inFeatures !== h * w * c) {
      throw new InputError(src, `${where}.inFeatures`, `${h * w * c} (input ${h}x${w}x${c})`, String(m.inFeatures));
    }
    if (!(Number.isInteger(m.outFeatures) && m.outFeatures >= 1)) {
      throw new InputError(src, `${where}.outFeatures`, 'a positive integer', String(m.outFeatures));
    }
    return { kernel: 1, rows: m.outFeatures, cols: m.inFeatures, outShape: [1, 1, m.outFeatures] };
  }
  if (m.inChannels !== c) throw new InputError(src, `${where}.inChannels`, String(c), String(m.inChannels));
  if (m.padding !== 0) throw new InputError(src, `${where}.padding`, "0 ('valid' convolution)", String(m.padding));
  if (!(Number.isInteger(m.kernel) && m.kernel >= 1 && m.kernel <= h && m.kernel <= w)) {
    throw new InputError(src, `${where}.kernel`, `an integer in 1..${Math.min(h, w)}`, String(m.kernel));
  }
  if (!(Number.isInteger(m.outChannels) && m.outChannels >= 1)) {
    throw new InputError(src, `${where}.outChannels`, 'a positive integer', String(m.outChannels));
  }
  const k = m.kernel;
  return { kernel: k, rows: m.outChannels, cols: k * k * c, outShape: [h - k + 1, w - k + 1, m.outChannels] };
}

function getTensor(model: Model, src: string, name: string, shape: number[]): Float32Array {
  const t: Tensor | undefined = model.tensors.get(name);
  if (!t) throw new InputError(src, `tensor ${name}`, `a tensor of shape [${shape.join(', ')}]`, 'missing');
  const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!same || t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new InputError(src, `tensor ${name}`, `shape [${shape.join(', ')}]`, `[${t.shape.join(', ')}] with ${t.data.length} values`);
  }
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i])) throw new InputError(src, `tensor ${name}[${i}]`, 'a finite number', String(t.data[i]));
  }
  return t.data;
}

function foldMatrix(
  model: Model,
  src: string,
  m: MatrixSpec,
  bn: Extract<LayerSpec, { kind: 'batchnorm' }>,
  geo: Geometry,
  inShape: Shape3,
  input: 'pixels' | 'bits',
  output: 'threshold' | 'scores',
): FoldedMatrixLayer {
  const { rows, cols } = geo;
  const wShape = m.kind === 'dense' ? [rows, cols] : [rows, m.kernel, m.kernel, m.inChannels];
  // conv2d weights [out, k, k, in] are already rows in (kh, kw, c) order.
  const w = getTensor(model, src, `${m.name}.weight`, wShape);
  const bias = m.bias ? getTensor(model, src, `${m.name}.bias`, [rows]) : null;
  const gamma = getTensor(model, src, `${bn.name}.gamma`, [rows]);
  const beta = getTensor(model, src, `${bn.name}.beta`, [rows]);
  const mean = getTensor(model, src, `${bn.name}.running_mean`, [rows]);
  const variance = getTensor(model, src, `${bn.name}.running_var`, [rows]);
  if (!Number.isFinite(bn.eps)) throw new InputError(src, `${bn.name}.eps`, 'a finite number', String(bn.eps));

  const wpr = wordsPerRow(cols);
  const weights = new Uint32Array(rows * wpr);
  const inputs: InputMap[] = [];
  const params: NeuronParams[] = [];
  const spec = model.graph.input;
  for (let r = 0; r < rows; r++) {
    let ones = 0;
    for (let c = 0; c < cols; c++) {
      // sign(0) = +1, exactly as eval.ts binarizes.
      if (w[r * cols + c] >= 0) {
        weights[r * wpr + (c >>> 5)] |= 1 << (c & 31);
        ones++;
      }
    }
    if (input === 'bits') inputs.push({ kind: 'bits', cols });
    else if (spec.bits === 1) throw new Error(`${src}: pixels input under a binarized input`); // fold never makes one
    else inputs.push({ kind: 'pixels', cols, scale: spec.pixelScale, offset: spec.pixelOffset, sumW: 2 * ones - cols });
    params.push({
      bias: bias ? bias[r] : 0,
      gamma: gamma[r],
      beta: beta[r],
      mean: mean[r],
      variance: variance[r],
      eps: bn.eps,
    });
  }

  const base = {
    kind: m.kind === 'dense' ? ('dense' as const) : ('conv' as const),
    name: m.name,
    input,
    inShape,
    outShape: geo.outShape,
    kernel: geo.kernel,
    rows,
    cols,
    weights,
  };
  if (output === 'scores') {
    const s = foldScores(inputs, params, `${src} ${m.name}`);
    return { ...base, output: { kind: 'scores', mul: s.mul, add: s.add, fracBits: s.fracBits } };
  }
  const thresholds = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const t = foldThreshold(inputs[r], params[r], `${src} ${m.name} row ${r}`);
    thresholds[r] = t.threshold;
    if (t.invert) invertRow(weights, r * wpr, cols);
  }
  return { ...base, output: { kind: 'threshold', thresholds } };
}

/** Invert the first `cols` bits of a row, keeping the padding bits 0. */
function invertRow(weights: Uint32Array, start: number, cols: number): void {
  const full = cols >>> 5;
  for (let k = 0; k < full; k++) weights[start + k] = ~weights[start + k] >>> 0;
  if ((cols & 31) !== 0) weights[start + full] = (~weights[start + full] & lastWordMask(cols)) >>> 0;
}
