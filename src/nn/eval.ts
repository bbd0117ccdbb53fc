/**
 * Reference float inference (evaluation mode) of a model, in float64.
 *
 * This is the float model's definition for everything downstream of training: folding
 * is checked against it, `bnnc eval` reports its accuracy. It is written for clarity,
 * not speed; the trainer has its own fast forward pass and a test that the two agree.
 * Dropout is the identity; batch norm uses the running statistics.
 */
import { inputValue, type Model, type Shape3, type Tensor } from '../graph/types.js';
import { argmax } from '../util/argmax.js';

export interface FloatEvalResult {
  /** Final layer outputs (class scores), length = classes. */
  scores: Float64Array;
  /** argmax(scores), ties to the lowest index. */
  prediction: number;
  /** Output of every layer, in graph order, when requested. */
  activations?: Float64Array[];
}

function tensor(model: Model, name: string): Tensor {
  const t = model.tensors.get(name);
  if (!t) throw new Error(`model ${model.graph.name}: missing tensor ${name}`);
  return t;
}

/** sign with sign(0) = +1, as in the integer contract. */
export function signPM1(x: number): number {
  return x >= 0 ? 1 : -1;
}


/** Binarized weights of a layer as float64 +-1, cached per model object. */
const binCache = new WeakMap<Model, Map<string, Float64Array>>();
function binarized(model: Model, name: string): Float64Array {
  let m = binCache.get(model);
  if (!m) {
    m = new Map();
    binCache.set(model, m);
  }
  let b = m.get(name);
  if (!b) {
    const w = tensor(model, name).data;
    b = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) b[i] = signPM1(w[i]);
    m.set(name, b);
  }
  return b;
}

/** Evaluate one image (uint8 pixels, HWC). */
export function evalFloat(model: Model, pixels: Uint8Array, keepActivations = false): FloatEvalResult {
  const g = model.graph;
  const { height, width, channels } = g.input;
  let shape: Shape3 = [height, width, channels];
  let x = new Float64Array(height * width * channels);
  for (let i = 0; i < x.length; i++) x[i] = inputValue(g.input, pixels[i]);
  const acts: Float64Array[] = [];

  for (const layer of g.layers) {
    switch (layer.kind) {
      case 'dense': {
        const w = binarized(model, `${layer.name}.weight`);
        const b = layer.bias ? tensor(model, `${layer.name}.bias`).data : null;
        const n = layer.inFeatures;
        const y = new Float64Array(layer.outFeatures);
        for (let o = 0; o < layer.outFeatures; o++) {
          let s = 0;
          const base = o * n;
          for (let i = 0; i < n; i++) s += w[base + i] * x[i];
          y[o] = b ? s + b[o] : s;
        }
        x = y;
        shape = [1, 1, layer.outFeatures];
        break;
      }
      case 'conv2d': {
        const w = binarized(model, `${layer.name}.weight`);
        const b = layer.bias ? tensor(model, `${layer.name}.bias`).data : null;
        const [h, wd, c] = shape;
        const k = layer.kernel;
        const oh = h - k + 1;
        const ow = wd - k + 1;
        const oc = layer.outChannels;
        const y = new Float64Array(oh * ow * oc);
        for (let r = 0; r < oh; r++) {
          for (let q = 0; q < ow; q++) {
            for (let o = 0; o < oc; o++) {
              let s = 0;
              let wi = o * k * k * c;
              for (let kh = 0; kh < k; kh++) {
                for (let kw = 0; kw < k; kw++) {
                  const xi = ((r + kh) * wd + (q + kw)) * c;
                  for (let ci = 0; ci < c; ci++) s += w[wi++] * x[xi + ci];
                }
              }
              y[(r * ow + q) * oc + o] = b ? s + b[o] : s;
            }
          }
        }
        x = y;
        shape = [oh, ow, oc];
        break;
      }
      case 'batchnorm': {
        const gamma = tensor(model, `${layer.name}.gamma`).data;
        const beta = tensor(model, `${layer.name}.beta`).data;
        const mean = tensor(model, `${layer.name}.running_mean`).data;
        const variance = tensor(model, `${layer.name}.running_var`).data;
        const c = layer.features;
        const y = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const ch = i % c;
          y[i] = (gamma[ch] * (x[i] - mean[ch])) / Math.sqrt(variance[ch] + layer.eps) + beta[ch];
        }
        x = y;
        break;
      }
      case 'sign': {
        const y = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) y[i] = signPM1(x[i]);
        x = y;
        break;
      }
      case 'maxpool': {
        const [h, wd, c] = shape;
        const s = layer.size;
        const oh = Math.floor(h / s);
        const ow = Math.floor(wd / s);
        const y = new Float64Array(oh * ow * c);
        for (let r = 0; r < oh; r++)
          for (let q = 0; q < ow; q++)
            for (let ci = 0; ci < c; ci++) {
              let m = -Infinity;
              for (let a = 0; a < s; a++)
                for (let bb = 0; bb < s; bb++) {
                  const v = x[((r * s + a) * wd + (q * s + bb)) * c + ci];
                  if (v > m) m = v;
                }
              y[(r * ow + q) * c + ci] = m;
            }
        x = y;
        shape = [oh, ow, c];
        break;
      }
      case 'flatten':
        shape = [1, 1, x.length];
        break;
      case 'dropout':
        break;
    }
    if (keepActivations) acts.push(x);
  }
  const scores = x;
  return { scores, prediction: argmax(scores), activations: keepActivations ? acts : undefined };
}
