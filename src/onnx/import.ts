/**
 * QONNX (or plain ONNX) binarized network -> bnnc float model (src/graph/types.ts).
 *
 * The chain of ops from ./graph.ts is read with a small state machine:
 *   pixels  (before the first matrix layer): scalar Mul/Add/Sub/Div and an optional input
 *           Quant make the pixel map; it must be exactly affine in the 8-bit pixel p.
 *   linear  (after a Gemm/MatMul/Conv): every op is a per-channel affine map of the integer
 *           +-1 dot product z (weight scale, Gemm alpha/beta, bias, BatchNormalization, Mul,
 *           Add...), composed in float64 into u = A z + B.
 *   bits    (after a 1-bit activation quantizer with scale s > 0): the values are +-s.
 * Each matrix layer becomes bnnc's `matrix -> batchnorm(gamma = A, beta = B, mean 0,
 * var 0.75, eps 0.25) [-> sign [-> maxpool]]`; var + eps = 1 exactly, so bnnc computes
 * A z + B. The threshold the hardware applies is then derived by src/int as for any model.
 *
 * Semantics pinned to qonnx's executor and Brevitas (docs/import.md):
 * - BipolarQuant and 1-bit signed Quant give +1 for x >= 0 (Brevitas binary_sign(0) = +1),
 *   bnnc's sign(0) = +1: the same. ONNX Sign(0) = 0 has no bnnc equivalent and is refused.
 * - The ONNX input of pixel p is inputScale * p (default 1/255, torchvision's ToTensor).
 * - NCHW: conv weights [O, C, k, k] become [O, k, k, C]; a dense layer after a flattened
 *   C x H x W tensor gets its columns permuted from (c, h, w) to bnnc's (h, w, c) order.
 * - MaxPool between batch norm and the activation is exact only when the map is
 *   non-decreasing in every channel (A >= 0): then it moves after the sign.
 * Anything else — activations wider than 1 bit, padding, strides, grouped convolutions,
 * non-binary weights, a non-affine input quantization — is refused with one line naming
 * the node and the reason.
 */
import { InputError } from '../errors.js';
import { modelHash } from '../graph/io.js';
import { foldModel } from '../int/fold.js';
import type { Conv2dSpec, DenseSpec, LayerSpec, Model, Shape3, Tensor } from '../graph/types.js';
import { MODEL_FORMAT, versionForInput, type InputSpec } from '../graph/types.js';
import { type ChainNode, type QuantParams, attr, attrFloat, attrInt, attrInts, nodeLabel, parseGraph, quantInt, quantParams, quantRange, roundHalfEven } from './graph.js';
import { decodeOnnx, type OnnxModel } from './proto.js';
import type { ConstTensor } from './tensor.js';

export interface ImportOptions {
  /** The model's name in bnnc (module names, output folders). */
  name: string;
  /** The ONNX input value of 8-bit pixel p is inputScale * p. */
  inputScale: number;
  /** [h, w, c] of the image when the ONNX input is a flat vector [N, h*w*c]. */
  inputShape?: Shape3;
}

export interface ImportResult {
  model: Model;
  /** One line per imported layer, for the command's summary. */
  summary: string[];
}

/** bnnc's batch norm with var + eps = 1: y = gamma * x + beta exactly. */
export const AFFINE_BN_VAR = 0.75;
export const AFFINE_BN_EPS = 0.25;

const f32 = Math.fround;

interface Act {
  /** Current ONNX tensor: channels, height, width; flat = it is a vector [N, c*h*w]. */
  c: number;
  h: number;
  w: number;
  flat: boolean;
  /** For a flattened image: its C x H x W (ONNX flattens in (c, h, w) order). */
  chw?: { c: number; h: number; w: number };
}

type State =
  | { kind: 'pixels'; a: number; b: number; lut: Float64Array }
  | { kind: 'bits'; scale: number }
  | {
      kind: 'linear';
      A: Float64Array;
      B: Float64Array;
      pool: { size: number; label: string } | null;
      label: string;
      /** The matrix layer (its tensors are written when the layer is finished). */
      matrix: { spec: DenseSpec | Conv2dSpec; weight: Tensor };
      /**
       * Non-null while the ops after the matrix are just a bias and one BatchNormalization
       * on an input of gain 1 (bnnc's own export, Brevitas with unit scales): then they
       * are kept as they are instead of composed into A, B.
       */
      plain: { bias: Float64Array | null; bn: { gamma: Float64Array; beta: Float64Array; mean: Float64Array; variance: Float64Array; eps: number } | null } | null;
    };

/** The shortest decimal that rounds to the float32 x (ONNX float attributes are float32). */
export function shortestF32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

/** quantInt in exact (float64) arithmetic: what the quantizer means, not how qonnx rounds it. */
function quantIntExact(x: number, scale: number, zeropt: number, q: QuantParams): number {
  const y = x / scale + zeropt;
  if (q.bits === 1 && q.signed) return y >= 0 ? 1 : -1;
  const [lo, hi] = quantRange(q.bits, q.signed, q.narrow);
  const c = Math.min(hi, Math.max(lo, y));
  switch (q.rounding) {
    case 'ROUND': case 'HALF_EVEN': return roundHalfEven(c);
    case 'CEIL': return Math.ceil(c);
    case 'FLOOR': return Math.floor(c);
    default: return Math.trunc(c);
  }
}

export function importOnnx(bytes: Uint8Array, source: string, opts: ImportOptions): ImportResult {
  return importOnnxModel(decodeOnnx(bytes, source), source, opts);
}

export function importOnnxModel(onnx: OnnxModel, source: string, opts: ImportOptions): ImportResult {
  const parsed = parseGraph(onnx, source);
  const nodes = onnx.graph.node;
  const label = (c: ChainNode): string => nodeLabel(c.node, nodes.indexOf(c.node));
  const refuse = (c: ChainNode, expected: string, got: string): never => {
    throw new InputError(source, label(c), expected, got);
  };

  // ---- the input
  if (parsed.input.elemType !== 0 && parsed.input.elemType !== 1) {
    throw new InputError(source, `graph input ${JSON.stringify(parsed.input.name)}`, 'a float tensor', `element type ${parsed.input.elemType}`);
  }
  const dims = parsed.input.shape;
  let image: Shape3;
  let act: Act;
  const concrete = (d: number | string | null): number => (typeof d === 'number' ? d : -1);
  if (dims && dims.length === 4) {
    const [, c, h, w] = dims.map(concrete);
    if (!(c >= 1 && h >= 1 && w >= 1)) throw new InputError(source, `graph input ${JSON.stringify(parsed.input.name)}`, 'known sizes [N, C, H, W]', `[${dims.join(', ')}]`);
    image = [h, w, c];
    act = { c, h, w, flat: false };
  } else if (dims && dims.length === 2 && concrete(dims[1]) >= 1) {
    const k = concrete(dims[1]);
    if (opts.inputShape) {
      image = opts.inputShape;
    } else {
      const side = Math.round(Math.sqrt(k));
      if (side * side !== k) throw new InputError(source, `graph input ${JSON.stringify(parsed.input.name)}`, 'an image shape: give --input-shape HxWxC for a flat input', `[N, ${k}]`);
      image = [side, side, 1];
    }
    if (image[0] * image[1] * image[2] !== k) throw new InputError('command line', '--input-shape', `${k} values (the model's input)`, image.join('x'));
    if (image[2] !== 1) throw new InputError(source, `graph input ${JSON.stringify(parsed.input.name)}`, 'a [N, C, H, W] input for a multi-channel image (a flat one has no channel order)', `[N, ${k}]`);
    act = { c: k, h: 1, w: 1, flat: true };
  } else {
    throw new InputError(source, `graph input ${JSON.stringify(parsed.input.name)}`, 'shape [N, C, H, W] or [N, K]', dims ? `[${dims.join(', ')}]` : 'no shape');
  }
  if (opts.inputShape && dims && dims.length === 4 && opts.inputShape.join('x') !== image.join('x')) {
    throw new InputError('command line', '--input-shape', `${image.join('x')} (the model's input)`, opts.inputShape.join('x'));
  }

  const lut = new Float64Array(256);
  for (let p = 0; p < 256; p++) lut[p] = f32(p * opts.inputScale);
  let state = { kind: 'pixels', a: opts.inputScale, b: 0, lut } as State;
  let pixelMap: { scale: number; offset: number } | null = null;
  /** Set by a BipolarQuant on the input pixels: the binarized input's threshold. */
  let binaryThreshold: number | null = null;

  const layers: LayerSpec[] = [];
  const tensors = new Map<string, Tensor>();
  const summary: string[] = [];
  let nMatrix = 0;
  let nPool = 0;
  /** bnnc's activation shape (HWC) for the next bnnc layer. */
  let bshape: Shape3 = image;

  /** A constant operand as per-channel values for the current activation, or null. */
  const perChannel = (t: ConstTensor, c: ChainNode): Float64Array => {
    const n = t.data.length;
    if (n === 1) return new Float64Array(act.c).fill(t.data[0]);
    const channels = act.flat ? act.c * act.h * act.w : act.c;
    const nonUnit = t.dims.filter((d) => d !== 1);
    if (n === channels && nonUnit.length <= 1) {
      // [C], [1, C] for a vector; [C, 1, 1] or [1, C, 1, 1] for an image
      const ok = act.flat ? t.dims[t.dims.length - 1] === n : t.dims.length >= 3 && t.dims[t.dims.length - 3] === n;
      if (ok) return Float64Array.from(t.data);
    }
    return refuse(c, 'a scalar or per-channel constant', `shape [${t.dims.join(', ')}] for an activation of ${act.flat ? `${channels} features` : `${act.c} channels`}`);
  };

  const finishLinear = (sign: boolean): void => {
    if (state.kind !== 'linear') throw new Error('finishLinear outside a linear state');
    const k = nMatrix;
    const n = state.A.length;
    const { spec, weight } = state.matrix;
    tensors.set(`${spec.name}.weight`, weight);
    const plain = state.plain;
    if (plain && plain.bn) {
      if (plain.bias) {
        spec.bias = true;
        tensors.set(`${spec.name}.bias`, { shape: [n], data: Float32Array.from(plain.bias) });
      }
      const bn = plain.bn;
      layers.push({ kind: 'batchnorm', name: `bn${k}`, features: n, eps: bn.eps, momentum: 0.1 });
      tensors.set(`bn${k}.gamma`, { shape: [n], data: Float32Array.from(bn.gamma) });
      tensors.set(`bn${k}.beta`, { shape: [n], data: Float32Array.from(bn.beta) });
      tensors.set(`bn${k}.running_mean`, { shape: [n], data: Float32Array.from(bn.mean) });
      tensors.set(`bn${k}.running_var`, { shape: [n], data: Float32Array.from(bn.variance) });
      if (sign) layers.push({ kind: 'sign', name: `sign${k}` });
      finishPool();
      return;
    }
    const gamma = new Float32Array(n);
    const beta = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      gamma[j] = state.A[j];
      beta[j] = state.B[j];
      if (!Number.isFinite(gamma[j]) || !Number.isFinite(beta[j])) {
        throw new InputError(source, state.label, 'finite batch-norm parameters', `channel ${j}: scale ${state.A[j]}, shift ${state.B[j]}`);
      }
    }
    layers.push({ kind: 'batchnorm', name: `bn${k}`, features: n, eps: AFFINE_BN_EPS, momentum: 0.1 });
    tensors.set(`bn${k}.gamma`, { shape: [n], data: gamma });
    tensors.set(`bn${k}.beta`, { shape: [n], data: beta });
    tensors.set(`bn${k}.running_mean`, { shape: [n], data: new Float32Array(n) });
    tensors.set(`bn${k}.running_var`, { shape: [n], data: new Float32Array(n).fill(AFFINE_BN_VAR) });
    if (sign) layers.push({ kind: 'sign', name: `sign${k}` });
    finishPool();
  };
  const finishPool = (): void => {
    if (state.kind !== 'linear') return;
    if (state.pool) {
      nPool++;
      layers.push({ kind: 'maxpool', name: `pool${nPool}`, size: state.pool.size });
      bshape = [Math.floor(bshape[0] / state.pool.size), Math.floor(bshape[1] / state.pool.size), bshape[2]];
      summary.push(`maxpool ${state.pool.size}x${state.pool.size} (${state.pool.label}, moved after the activation)`);
    }
  };

  /** Per output row: the signs and the one magnitude alpha of a binary weight matrix. */
  const binaryRows = (c: ChainNode, w: Float64Array, rows: number, cols: number, at: (r: number, j: number) => number): { signs: Float32Array; alpha: Float64Array } => {
    const signs = new Float32Array(rows * cols);
    const alpha = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const m = Math.abs(w[at(r, 0)]);
      if (!(m > 0 && Number.isFinite(m))) refuse(c, 'binary weights +-alpha with alpha > 0', `output ${r} has weight ${w[at(r, 0)]}`);
      for (let j = 0; j < cols; j++) {
        const v = w[at(r, j)];
        if (Math.abs(v) !== m) refuse(c, 'binary weights (one magnitude per output: BipolarQuant or a 1-bit Quant)', `output ${r} holds ${m} and ${Math.abs(v)}`);
        signs[r * cols + j] = v >= 0 ? 1 : -1;
      }
      alpha[r] = m;
    }
    return { signs, alpha };
  };

  /** Start a matrix layer: the state becomes linear with u = inScale * alpha_j * z. */
  const startMatrix = (c: ChainNode, rows: number, alpha: Float64Array, gain: number, matrix: { spec: DenseSpec | Conv2dSpec; weight: Tensor }): void => {
    let inScale: number;
    if (state.kind === 'pixels') {
      if (!(Number.isFinite(state.a) && Number.isFinite(state.b) && state.a !== 0)) {
        refuse(c, 'a finite, non-zero pixel map before the first layer', `x = ${state.a} p + ${state.b}`);
      }
      pixelMap = { scale: state.a, offset: state.b };
      inScale = 1;
    } else if (state.kind === 'bits') {
      inScale = state.scale;
    } else {
      return refuse(c, 'an activation (BipolarQuant) before this matrix layer', 'two matrix layers in a row');
    }
    const A = new Float64Array(rows);
    for (let j = 0; j < rows; j++) A[j] = inScale * alpha[j] * gain;
    const plain = A.every((a) => a === 1) ? { bias: null, bn: null } : null;
    state = { kind: 'linear', A, B: new Float64Array(rows), pool: null, label: label(c), matrix, plain };
  };

  for (const c of parsed.chain) {
    const n = c.node;
    const op = n.opType;
    const k1 = c.consts[1 - c.dynamicInput] ?? null;
    switch (op) {
      case 'Identity':
        break;
      case 'Dropout': {
        const training = c.consts[2];
        if (training && training.data[0] !== 0) refuse(c, 'inference mode', 'training_mode = true');
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        if (state.kind === 'linear') refuse(c, 'a flatten after the activation', 'a flatten between a matrix layer and its activation');
        if (op === 'Flatten' && attrInt(n, 'axis', 1) !== 1) refuse(c, 'axis 1', `axis ${attrInt(n, 'axis', 1)}`);
        if (op === 'Reshape') {
          const shape = c.consts[1];
          if (!shape || c.dynamicInput !== 0) return refuse(c, 'a constant target shape', 'a computed one');
          const total = act.c * act.h * act.w;
          const s = Array.from(shape.data);
          const okBatch = s.length === 2 && (s[0] === 1 || s[0] === -1 || s[0] === 0);
          const okFeat = s.length === 2 && (s[1] === total || (s[1] === -1 && s[0] !== -1));
          if (!okBatch || !okFeat) refuse(c, `a flatten to [N, ${total}]`, `a reshape to [${s.join(', ')}]`);
        }
        if (!act.flat) act = { c: act.c * act.h * act.w, h: 1, w: 1, flat: true, chw: { c: act.c, h: act.h, w: act.w } };
        break;
      }
      case 'Mul':
      case 'Div':
      case 'Add':
      case 'Sub': {
        if (!k1) return refuse(c, 'a constant operand', 'none');
        const constFirst = c.dynamicInput === 1;
        if (state.kind === 'pixels') {
          if (k1.data.length !== 1) refuse(c, 'a scalar (one pixel map for every channel)', `shape [${k1.dims.join(', ')}]`);
          const v = k1.data[0];
          const s = state;
          if (op === 'Mul') { s.a *= v; s.b *= v; }
          else if (op === 'Div') {
            if (constFirst || v === 0) refuse(c, 'a division of the pixels by a non-zero constant', constFirst ? 'a constant divided by the pixels' : 'division by 0');
            s.a /= v; s.b /= v;
          } else if (op === 'Add') s.b += v;
          else if (constFirst) { s.a = -s.a; s.b = v - s.b; }
          else s.b -= v;
          for (let p = 0; p < 256; p++) {
            const x = s.lut[p];
            s.lut[p] = op === 'Mul' ? f32(x * v) : op === 'Div' ? f32(x / v) : op === 'Add' ? f32(x + v) : constFirst ? f32(v - x) : f32(x - v);
          }
        } else if (state.kind === 'linear') {
          const v = perChannel(k1, c);
          const { A, B } = state;
          state.plain = null;
          if (v.length !== A.length) refuse(c, `${A.length} channels`, `${v.length}`);
          for (let j = 0; j < A.length; j++) {
            if (op === 'Mul') { A[j] *= v[j]; B[j] *= v[j]; }
            else if (op === 'Div') {
              if (constFirst || v[j] === 0) refuse(c, 'a division by a non-zero constant', constFirst ? 'a constant divided by the activation' : 'division by 0');
              A[j] /= v[j]; B[j] /= v[j];
            } else if (op === 'Add') B[j] += v[j];
            else if (constFirst) { A[j] = -A[j]; B[j] = v[j] - B[j]; }
            else B[j] -= v[j];
          }
        } else {
          if (op !== 'Mul' || k1.data.length !== 1 || !(k1.data[0] > 0)) {
            refuse(c, 'nothing but a positive scalar Mul between an activation and the next layer', `${op} by ${k1.data.length === 1 ? k1.data[0] : `shape [${k1.dims.join(', ')}]`}`);
          }
          state.scale *= k1.data[0];
        }
        break;
      }
      case 'BipolarQuant':
      case 'Quant':
      case 'IntQuant': {
        if (c.dynamicInput !== 0) refuse(c, 'the activation as input 0', `input ${c.dynamicInput}`);
        const where = `${source}: ${label(c)}`;
        let scale: ConstTensor;
        let bits = 1;
        let q: ReturnType<typeof quantParams> | null = null;
        if (op === 'BipolarQuant') {
          const s = c.consts[1];
          if (!s) return refuse(c, 'a constant scale', 'a computed one');
          scale = s;
        } else {
          q = quantParams(n, c.consts, where);
          scale = q.scale;
          bits = q.bits;
        }
        if (scale.data.some((v) => v !== scale.data[0])) refuse(c, 'one scale for the whole tensor', `${scale.data.length} different scales`);
        const s = scale.data[0];
        if (!(s > 0 && Number.isFinite(s))) refuse(c, 'a positive scale', String(s));
        if (state.kind === 'pixels' && !q) {
          // A binarized input: +1 where the pixel's float value is >= 0, which must be
          // exactly the pixels p >= T for one T in 1..255 (bnnc's input threshold).
          let t = -1;
          for (let p = 0; p < 256; p++) {
            const on = state.lut[p] >= 0;
            if (on !== state.a * p + state.b >= 0) refuse(c, 'an input binarization that does not depend on float rounding', `pixel ${p}`);
            if (on && t < 0) t = p;
            if (!on && t >= 0) refuse(c, 'an input binarization p >= T (increasing in the pixel value)', `pixel ${t} is +1 but pixel ${p} is -1`);
          }
          if (t < 1) refuse(c, 'an input binarization that keeps the pixels apart (p >= T, T in 1..255)', t === 0 ? 'every pixel +1' : 'every pixel -1');
          binaryThreshold = t;
          state = { kind: 'bits', scale: s };
          break;
        }
        if (state.kind === 'pixels') {
          if (!q || (q.bits === 1 && q.signed)) {
            refuse(c, 'an 8-bit (or float) first-layer input', 'the input pixels binarized by a 1-bit Quant (bnnc reads a binarized input as BipolarQuant)');
          }
          const qq = q as NonNullable<typeof q>;
          if (qq.zeropt.data.length !== 1) refuse(c, 'one zero point', `${qq.zeropt.data.length}`);
          const zp = qq.zeropt.data[0];
          const ks = new Float64Array(256);
          for (let p = 0; p < 256; p++) {
            ks[p] = quantInt(state.lut[p], f32(s), zp, qq);
            // The real-arithmetic value must round the same way, or float precision decides.
            const real = quantIntExact(state.a * p + state.b, s, zp, qq);
            if (real !== ks[p]) refuse(c, 'an input quantization that does not depend on float rounding', `pixel ${p} rounds to ${ks[p]} in float32 but ${real} exactly`);
          }
          const step = ks[1] - ks[0];
          for (let p = 0; p < 256; p++) {
            if (ks[p] !== ks[0] + step * p) {
              refuse(c, 'an input quantization that is affine in the pixel value', `pixel ${p} gives level ${ks[p]}, not ${ks[0] + step * p} (clamped or unevenly rounded)`);
            }
          }
          if (step === 0) refuse(c, 'an input quantization that keeps the pixels apart', 'every pixel value gives the same level');
          const sf = f32(s);
          const a = sf * step;
          const b = sf * (ks[0] - zp);
          for (let p = 0; p < 256; p++) state.lut[p] = f32(f32(ks[p] - zp) * sf);
          state.a = a;
          state.b = b;
          summary.push(`input quantization ${bits} bits (${label(c)}): x = ${a} p + ${b}`);
          break;
        }
        if (bits !== 1 || (q && !q.signed)) refuse(c, '1-bit signed activations (BipolarQuant or a 1-bit signed Quant)', `${bits} bits${q && !q.signed ? ', unsigned' : ''}`);
        if (q && q.zeropt.data.some((v) => v !== 0)) refuse(c, 'zero point 0', String(q.zeropt.data.find((v) => v !== 0)));
        if (state.kind === 'bits') {
          state.scale = s; // a second binarization of +-s values: the signs stay
          break;
        }
        finishLinear(true);
        state = { kind: 'bits', scale: s };
        summary.push(`activation +-${s} (${label(c)})`);
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        if (c.dynamicInput !== 0) refuse(c, 'the activation as input A', `input ${c.dynamicInput}`);
        const wt = c.consts[1];
        if (!wt) return refuse(c, 'constant weights', 'computed ones');
        if (!act.flat && act.h * act.w !== 1) refuse(c, 'a flattened input', `an image of ${act.c}x${act.h}x${act.w} (add a Flatten)`);
        if (op === 'Gemm' && attrInt(n, 'transA', 0) !== 0) refuse(c, 'transA = 0', 'transA = 1');
        const transB = op === 'Gemm' && attrInt(n, 'transB', 0) !== 0;
        if (wt.dims.length !== 2) refuse(c, '2-D weights', `shape [${wt.dims.join(', ')}]`);
        const [r0, c0] = wt.dims;
        const rows = transB ? r0 : c0;
        const cols = transB ? c0 : r0;
        const inFeatures = act.c * act.h * act.w;
        if (cols !== inFeatures) refuse(c, `weights for ${inFeatures} inputs`, `shape [${wt.dims.join(', ')}]`);
        // Column j of bnnc (h, w, c order) is ONNX column onnxCol(j) ((c, h, w) order).
        const chw = act.chw;
        const onnxCol = (j: number): number => {
          if (!chw || chw.c === 1 || chw.h * chw.w === 1) return j;
          const ch = j % chw.c;
          const hw = Math.floor(j / chw.c);
          return ch * chw.h * chw.w + hw;
        };
        const at = transB ? (r: number, j: number) => r * cols + onnxCol(j) : (r: number, j: number) => onnxCol(j) * rows + r;
        const { signs, alpha } = binaryRows(c, wt.data, rows, cols, at);
        const gain = op === 'Gemm' ? attrFloat(n, 'alpha', 1) : 1;
        if (!(gain > 0)) refuse(c, 'alpha > 0', String(gain));
        if (bshape[0] !== 1 || bshape[1] !== 1) layers.push({ kind: 'flatten', name: 'flatten' }); // at most one: everything after it is a vector
        nMatrix++;
        const spec: DenseSpec = { kind: 'dense', name: `fc${nMatrix}`, inFeatures: cols, outFeatures: rows, bias: false };
        layers.push(spec);
        startMatrix(c, rows, alpha, gain, { spec, weight: { shape: [rows, cols], data: signs } });
        bshape = [1, 1, rows];
        if (op === 'Gemm' && c.consts[2]) {
          const bias = c.consts[2];
          const beta = attrFloat(n, 'beta', 1);
          const vals = bias.data.length === 1 ? new Float64Array(rows).fill(bias.data[0]) : bias.data;
          if (vals.length !== rows || (bias.dims.length === 2 && bias.dims[0] !== 1)) refuse(c, `a bias of ${rows} values`, `shape [${bias.dims.join(', ')}]`);
          const st = state as Extract<State, { kind: 'linear' }>;
          for (let j = 0; j < rows; j++) st.B[j] += beta * vals[j];
          if (st.plain && beta === 1) st.plain.bias = Float64Array.from(vals);
          else st.plain = null;
        }
        summary.push(`dense ${cols} -> ${rows} (${label(c)})`);
        act = { c: rows, h: 1, w: 1, flat: true };
        break;
      }
      case 'Conv': {
        if (c.dynamicInput !== 0) refuse(c, 'the activation as input X', `input ${c.dynamicInput}`);
        const wt = c.consts[1];
        if (!wt) return refuse(c, 'constant weights', 'computed ones');
        if (act.flat) refuse(c, 'an image input', 'a flattened vector');
        if (wt.dims.length !== 4) refuse(c, '2-D convolution weights [O, C, k, k]', `shape [${wt.dims.join(', ')}]`);
        const [o, ci, kh, kw] = wt.dims;
        if (attrInt(n, 'group', 1) !== 1) refuse(c, 'group = 1', `group = ${attrInt(n, 'group', 1)} (grouped convolution)`);
        if (ci !== act.c) refuse(c, `${act.c} input channels`, `${ci}`);
        if (kh !== kw) refuse(c, 'a square kernel', `${kh}x${kw}`);
        const pads = attrInts(n, 'pads') ?? [];
        if (pads.some((p) => p !== 0)) refuse(c, 'no padding (bnnc convolutions are valid)', `pads [${pads.join(', ')}]`);
        const autoPad = attr(n, 'auto_pad') ? new TextDecoder().decode(attr(n, 'auto_pad')?.s) : 'NOTSET';
        if (autoPad !== 'NOTSET' && autoPad !== 'VALID') refuse(c, 'no padding (bnnc convolutions are valid)', `auto_pad ${autoPad}`);
        const strides = attrInts(n, 'strides') ?? [];
        if (strides.some((s) => s !== 1)) refuse(c, 'stride 1', `strides [${strides.join(', ')}]`);
        const dil = attrInts(n, 'dilations') ?? [];
        if (dil.some((d) => d !== 1)) refuse(c, 'dilation 1', `dilations [${dil.join(', ')}]`);
        const ks = attrInts(n, 'kernel_shape');
        if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) refuse(c, `kernel_shape [${kh}, ${kw}]`, `[${ks.join(', ')}]`);
        if (kh > act.h || kh > act.w) refuse(c, `a kernel of at most ${Math.min(act.h, act.w)}`, `${kh}`);
        const cols = kh * kw * ci;
        // bnnc row order (kh, kw, c); ONNX [o, c, kh, kw].
        const at = (r: number, j: number): number => {
          const ch = j % ci;
          const x = Math.floor(j / ci) % kw;
          const y = Math.floor(j / (ci * kw));
          return ((r * ci + ch) * kh + y) * kw + x;
        };
        const { signs, alpha } = binaryRows(c, wt.data, o, cols, at);
        nMatrix++;
        const spec: Conv2dSpec = { kind: 'conv2d', name: `conv${nMatrix}`, inChannels: ci, outChannels: o, kernel: kh, padding: 0, bias: false };
        layers.push(spec);
        startMatrix(c, o, alpha, 1, { spec, weight: { shape: [o, kh, kw, ci], data: signs } });
        const bias = c.consts[2];
        if (bias) {
          if (bias.data.length !== o) refuse(c, `a bias of ${o} values`, `${bias.data.length}`);
          const st = state as Extract<State, { kind: 'linear' }>;
          for (let j = 0; j < o; j++) st.B[j] += bias.data[j];
          if (st.plain) st.plain.bias = Float64Array.from(bias.data);
        }
        summary.push(`conv ${kh}x${kw} ${ci} -> ${o} (${label(c)})`);
        act = { c: o, h: act.h - kh + 1, w: act.w - kw + 1, flat: false };
        bshape = [act.h, act.w, o];
        break;
      }
      case 'BatchNormalization': {
        if (state.kind !== 'linear') refuse(c, 'a batch norm right after a matrix layer (Gemm, MatMul, Conv)', state.kind === 'pixels' ? 'one on the input' : 'one after an activation');
        if (attrInt(n, 'training_mode', 0) !== 0) refuse(c, 'inference mode', 'training_mode = 1');
        const [, g, b, m, v] = c.consts;
        if (!g || !b || !m || !v) return refuse(c, 'constant scale, bias, mean and variance', 'a computed or missing one');
        const st = state as Extract<State, { kind: 'linear' }>;
        const C = st.A.length;
        if ([g, b, m, v].some((t) => t.data.length !== C)) refuse(c, `${C} values per parameter`, `${g.data.length}, ${b.data.length}, ${m.data.length}, ${v.data.length}`);
        const eps = shortestF32(Math.fround(attrFloat(n, 'epsilon', 1e-5)));
        if (st.plain && !st.plain.bn && eps > 0 && v.data.every((x) => x >= 0)) st.plain.bn = { gamma: g.data, beta: b.data, mean: m.data, variance: v.data, eps };
        else st.plain = null;
        for (let j = 0; j < C; j++) {
          const sigma = Math.sqrt(v.data[j] + eps);
          if (!(sigma > 0 && Number.isFinite(sigma))) refuse(c, 'variance + epsilon > 0', `channel ${j}: ${v.data[j]} + ${eps}`);
          const r = g.data[j] / sigma;
          st.A[j] = r * st.A[j];
          st.B[j] = r * (st.B[j] - m.data[j]) + b.data[j];
        }
        break;
      }
      case 'MaxPool': {
        const ks = attrInts(n, 'kernel_shape') ?? [];
        if (ks.length !== 2 || ks[0] !== ks[1]) refuse(c, 'a square 2-D window', `kernel_shape [${ks.join(', ')}]`);
        const size = ks[0];
        const strides = attrInts(n, 'strides') ?? [1, 1];
        if (strides.length !== 2 || strides.some((s) => s !== size)) refuse(c, `strides equal to the window (${size})`, `strides [${strides.join(', ')}]`);
        const pads = attrInts(n, 'pads') ?? [];
        if (pads.some((p) => p !== 0)) refuse(c, 'no padding', `pads [${pads.join(', ')}]`);
        if (attrInt(n, 'ceil_mode', 0) !== 0) refuse(c, 'ceil_mode 0 (odd remainders dropped)', 'ceil_mode 1');
        const dil = attrInts(n, 'dilations') ?? [];
        if (dil.some((d) => d !== 1)) refuse(c, 'dilation 1', `dilations [${dil.join(', ')}]`);
        if (n.output.filter((x) => x !== '').length > 1) refuse(c, 'one output', 'an Indices output too');
        if (act.flat) refuse(c, 'an image input', 'a flattened vector');
        if (size > act.h || size > act.w) refuse(c, `a window of at most ${Math.min(act.h, act.w)}`, `${size}`);
        if (state.kind === 'pixels') refuse(c, 'a max-pool after an activation', 'one on the input pixels');
        if (state.kind === 'linear') {
          if (state.pool) refuse(c, 'one max-pool per layer', 'a second one');
          const neg = state.A.findIndex((a) => a < 0);
          if (neg >= 0) refuse(c, 'a max-pool after the activation, or before it only where batch norm increases', `channel ${neg} decreases (scale ${state.A[neg]}): pooling before the sign differs from pooling after it`);
          state.pool = { size, label: label(c) };
        } else {
          nPool++;
          layers.push({ kind: 'maxpool', name: `pool${nPool}`, size });
          bshape = [Math.floor(bshape[0] / size), Math.floor(bshape[1] / size), bshape[2]];
          summary.push(`maxpool ${size}x${size} (${label(c)})`);
        }
        act = { ...act, h: Math.floor(act.h / size), w: Math.floor(act.w / size) };
        break;
      }
      case 'Sign':
        refuse(c, 'BipolarQuant for a binary activation', 'ONNX Sign, which maps 0 to 0 (BinaryNet and bnnc map it to +1)');
        break;
      case 'Trunc':
        refuse(c, 'a BinaryNet op', 'Trunc (fixed-point truncation, from average pooling): bnnc has no such layer');
        break;
      default:
        refuse(c, 'a supported op (Gemm, MatMul, Conv, BatchNormalization, BipolarQuant, 1-bit Quant, MaxPool, Flatten, Reshape, Mul, Add, Sub, Div, Identity, Dropout)', op);
    }
  }

  if (state.kind !== 'linear') {
    throw new InputError(source, 'graph.output', 'class scores from a last matrix layer (no activation after it)', state.kind === 'bits' ? 'binary values (the graph ends with an activation)' : 'no matrix layer at all');
  }
  if (state.pool) throw new InputError(source, state.pool.label, 'no max-pool after the last layer', 'a max-pool on the class scores');
  finishLinear(false);
  const classes = state.A.length;
  const pm = pixelMap as { scale: number; offset: number } | null;
  const bt = binaryThreshold as number | null;
  if (!pm && bt === null) throw new InputError(source, 'graph', 'a matrix layer', 'none');
  const [height, width, channels] = image;
  const input: InputSpec = bt !== null ? { height, width, channels, bits: 1, threshold: bt } : { height, width, channels, pixelScale: pm!.scale, pixelOffset: pm!.offset };
  const meta: Record<string, unknown> = { importedFrom: 'onnx', inputScale: opts.inputScale };
  if (onnx.producerName) meta.producer = `${onnx.producerName} ${onnx.producerVersion}`.trim();
  const model: Model = {
    graph: {
      format: MODEL_FORMAT,
      version: versionForInput(input),
      name: opts.name,
      arch: 'imported',
      input,
      classes,
      layers,
      meta,
    },
    tensors,
  };
  // The model must be a valid .bnn that folds (what eval, compile and verify need); a
  // failure is reported against the ONNX file, naming the bnnc field.
  try {
    foldModel(model, modelHash(model));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(source, `imported model: ${e.field}`, e.expected, e.got);
  }
  summary.unshift(bt !== null ? `input ${image.join('x')}, binarized: p >= ${bt} is +1` : `input ${image.join('x')}, x = ${pm!.scale} p + ${pm!.offset}`);
  summary.push(`${classes} classes`);
  return { model, summary };
}
