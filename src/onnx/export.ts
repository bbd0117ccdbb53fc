/**
 * bnnc float model -> QONNX that qonnx (Python) executes and bnnc imports back unchanged.
 *
 * The graph: input "global_in" [N, C, H, W] holding inputScale * p (pixels / 255 by
 * default) -> Mul/Add for bnnc's pixel map (a binarized input: Add -(T - 1/2) * inputScale,
 * then BipolarQuant, which is +1 exactly for p >= T) -> per layer: BipolarQuant(latent weights, 1)
 * into Gemm (transB = 1) or Conv, BatchNormalization, BipolarQuant(x, 1) for sign, MaxPool,
 * Flatten -> "global_out" [N, classes]. The latent weights are kept, so the file holds
 * exactly what the .bnn holds; BipolarQuant maps w >= 0 to +1 as bnnc's sign does.
 * Flatten is ONNX's (c, h, w) order: the columns of the dense layer after it are permuted
 * from bnnc's (h, w, c). The batch dimension is symbolic ("N"): any batch size, once the
 * caller fixes it (qonnx's execute_onnx wants set_tensor_shape + InferShapes first).
 */
import type { Model, Shape3 } from '../graph/types.js';
import { shapesOf } from '../graph/io.js';
import { AttrType, DataType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxValueInfo } from './proto.js';
import type { OnnxTensor } from './proto.js';
import { floatTensor } from './tensor.js';

export const QONNX_DOMAIN = 'qonnx.custom_op.general';
/** onnxruntime 1.x runs op set 13 for every op used here; qonnx 1.0 executes it. */
export const EXPORT_OPSET = 13;
export const EXPORT_IR_VERSION = 8;

export interface ExportOptions {
  /** The ONNX input value of pixel p is inputScale * p (as for import). */
  inputScale: number;
  /** Recorded as producer_version. */
  version: string;
}

const base = { f: 0, i: 0, s: new Uint8Array(0), t: null, floats: [], ints: [], graphs: 0 };
const intAttr = (name: string, i: number): OnnxAttribute => ({ ...base, name, type: AttrType.INT, i });
const floatAttr = (name: string, f: number): OnnxAttribute => ({ ...base, name, type: AttrType.FLOAT, f });
const intsAttr = (name: string, ints: number[]): OnnxAttribute => ({ ...base, name, type: AttrType.INTS, ints });

export function exportOnnx(model: Model, opts: ExportOptions): OnnxModel {
  const g = model.graph;
  const shapes = shapesOf(g);
  const nodes: OnnxNode[] = [];
  const inits: OnnxTensor[] = [];
  const infos: OnnxValueInfo[] = [];
  const t = (name: string): Float32Array => {
    const v = model.tensors.get(name);
    if (!v) throw new Error(`model ${g.name}: tensor ${name} missing`); // validated models have them all
    return v.data;
  };
  const info = (name: string, shape: Shape3 | [number]): OnnxValueInfo => ({
    name,
    elemType: DataType.FLOAT,
    shape: shape.length === 1 ? ['N', shape[0]] : ['N', shape[2], shape[0], shape[1]],
  });
  const node = (opType: string, name: string, input: string[], output: string, attribute: OnnxAttribute[] = [], domain = ''): void => {
    nodes.push({ name, opType, domain, input, output: [output], attribute });
  };
  inits.push(floatTensor('one', [], [1]));

  const spec = g.input;
  const { height, width, channels } = spec;
  let shape: Shape3 = [height, width, channels];
  if (spec.bits === 1) {
    // Binarized input: inputScale * (p - (T - 1/2)) >= 0 <=> p >= T. The margin is half a
    // pixel step, far above float32 rounding, so the sign is exact for every pixel.
    inits.push(floatTensor('pixel_offset', [], [-(spec.threshold - 0.5) * opts.inputScale]));
    node('Add', 'pixel_offset', ['global_in', 'pixel_offset'], 'pixel_centered');
    node('BipolarQuant', 'pixel_binarize', ['pixel_centered', 'one'], 'pixels', [], QONNX_DOMAIN);
    infos.push(info('pixel_centered', shape), info('pixels', shape));
  } else {
    // Pixel map: x = pixelScale * p + pixelOffset, from the input inputScale * p.
    inits.push(floatTensor('pixel_gain', [], [spec.pixelScale / opts.inputScale]));
    inits.push(floatTensor('pixel_offset', [], [spec.pixelOffset]));
    node('Mul', 'pixel_gain', ['global_in', 'pixel_gain'], 'pixel_scaled');
    node('Add', 'pixel_offset', ['pixel_scaled', 'pixel_offset'], 'pixels');
    infos.push(info('pixel_scaled', shape), info('pixels', shape));
  }
  let cur = 'pixels';
  /** Whether the current ONNX value is a vector [N, K] rather than an image [N, C, H, W]. */
  let vec = false;
  /** Set by a flatten: the image it flattened, for the next dense layer's column order. */
  let flattenedFrom: Shape3 | null = null;
  const declare = (name: string, s: Shape3): void => {
    infos.push(info(name, vec ? [s[0] * s[1] * s[2]] : s));
  };
  const flatten = (name: string): void => {
    if (vec) return;
    node('Flatten', name, [cur], `${name}_out`, [intAttr('axis', 1)]);
    flattenedFrom = shape;
    vec = true;
    cur = `${name}_out`;
    declare(cur, shape);
  };

  g.layers.forEach((layer, i) => {
    const out = shapes[i];
    const name = layer.name;
    const next = `${name}_out`;
    switch (layer.kind) {
      case 'dropout':
        return;
      case 'flatten':
        flatten(name);
        shape = out;
        return;
      case 'dense': {
        flatten(`${name}_flatten`);
        const w = t(`${name}.weight`);
        const src = flattenedFrom as Shape3 | null;
        // bnnc column j is an (h, w, c) index; the ONNX column is the (c, h, w) one.
        let cols = w;
        if (src && src[2] > 1 && src[0] * src[1] > 1) {
          const [H, W, C] = src;
          cols = new Float32Array(w.length);
          const n = layer.inFeatures;
          for (let r = 0; r < layer.outFeatures; r++) {
            for (let j = 0; j < n; j++) cols[r * n + (j % C) * H * W + Math.floor(j / C)] = w[r * n + j];
          }
        }
        inits.push(floatTensor(`${name}.weight`, [layer.outFeatures, layer.inFeatures], cols));
        node('BipolarQuant', `${name}_wq`, [`${name}.weight`, 'one'], `${name}.weight_q`, [], QONNX_DOMAIN);
        const ins = [cur, `${name}.weight_q`];
        if (layer.bias) {
          inits.push(floatTensor(`${name}.bias`, [layer.outFeatures], t(`${name}.bias`)));
          ins.push(`${name}.bias`);
        }
        node('Gemm', name, ins, next, [intAttr('transB', 1)]);
        flattenedFrom = null;
        break;
      }
      case 'conv2d': {
        const w = t(`${name}.weight`);
        const { outChannels: O, inChannels: C, kernel: K } = layer;
        const oihw = new Float32Array(w.length);
        for (let o = 0; o < O; o++) for (let y = 0; y < K; y++) for (let x = 0; x < K; x++) for (let c = 0; c < C; c++) {
          oihw[((o * C + c) * K + y) * K + x] = w[((o * K + y) * K + x) * C + c];
        }
        inits.push(floatTensor(`${name}.weight`, [O, C, K, K], oihw));
        node('BipolarQuant', `${name}_wq`, [`${name}.weight`, 'one'], `${name}.weight_q`, [], QONNX_DOMAIN);
        const ins = [cur, `${name}.weight_q`];
        if (layer.bias) {
          inits.push(floatTensor(`${name}.bias`, [O], t(`${name}.bias`)));
          ins.push(`${name}.bias`);
        }
        node('Conv', name, ins, next, [intsAttr('kernel_shape', [K, K]), intsAttr('strides', [1, 1]), intsAttr('pads', [0, 0, 0, 0])]);
        break;
      }
      case 'batchnorm':
        for (const p of ['gamma', 'beta', 'running_mean', 'running_var']) inits.push(floatTensor(`${name}.${p}`, [layer.features], t(`${name}.${p}`)));
        node('BatchNormalization', name, [cur, `${name}.gamma`, `${name}.beta`, `${name}.running_mean`, `${name}.running_var`], next, [floatAttr('epsilon', layer.eps)]);
        break;
      case 'sign':
        node('BipolarQuant', name, [cur, 'one'], next, [], QONNX_DOMAIN);
        break;
      case 'maxpool':
        node('MaxPool', name, [cur], next, [intsAttr('kernel_shape', [layer.size, layer.size]), intsAttr('strides', [layer.size, layer.size])]);
        break;
    }
    cur = next;
    shape = out;
    declare(next, out);
  });

  // The last node writes the graph output.
  const last = nodes[nodes.length - 1];
  last.output = ['global_out'];
  const outInfo = infos.pop() as OnnxValueInfo;
  return {
    irVersion: EXPORT_IR_VERSION,
    producerName: 'bnnc',
    producerVersion: opts.version,
    opsetImport: [
      { domain: '', version: EXPORT_OPSET },
      { domain: QONNX_DOMAIN, version: 1 },
    ],
    graph: {
      name: g.name,
      node: nodes,
      initializer: inits,
      input: [info('global_in', [height, width, channels])],
      output: [{ ...outInfo, name: 'global_out' }],
      valueInfo: infos,
    },
    metadata: [
      { key: 'bnnc.input', value: `global_in = ${opts.inputScale} * pixel, [N, C, H, W]` },
      { key: 'bnnc.classes', value: String(g.classes) },
    ],
  };
}
