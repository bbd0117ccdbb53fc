/**
 * Fuzz spec for the ONNX importer (src/onnx: protobuf decoding, graph checks, import) as
 * `bnnc import` runs it: import, then fold. Inputs are valid QONNX files made by bnnc's
 * exporter from the hand-built test models, damaged at the byte level (truncations, bit
 * flips, lying varints) or at the graph level (ops, attributes, edges, dims, op sets,
 * tensor data changed, then re-encoded). Every input must be imported or refused with an
 * InputError; an accepted model must be a valid .bnn that round-trips.
 */
import fc from 'fast-check';
import { decodeModel, encodeModel } from '../../../src/graph/io.js';
import type { Model } from '../../../src/graph/types.js';
import { exportOnnx } from '../../../src/onnx/export.js';
import { importOnnx } from '../../../src/onnx/import.js';
import { AttrType, decodeOnnx, encodeOnnx, type OnnxModel } from '../../../src/onnx/proto.js';
import { tinyCnn, tinyMlp } from '../../fixtures/graph/models.js';
import { bytesEqual, ensure } from '../formats.js';
import { hex, smallerBytes, type LoaderFuzz } from '../harness.js';
import { mutatedBytes } from '../mutate-bytes.js';

export const ONNX_BASES: Uint8Array[] = [tinyMlp(), tinyCnn()].map((m) => encodeOnnx(exportOnnx(m, { inputScale: 1 / 255, version: 'fuzz' })));

const OPS = ['Gemm', 'MatMul', 'Conv', 'BatchNormalization', 'BipolarQuant', 'Quant', 'MaxPool', 'Flatten', 'Reshape', 'Mul', 'Add', 'Sub', 'Div', 'Identity', 'Dropout', 'Sign', 'Trunc', 'Relu', 'Transpose', 'Constant', 'Shape', 'Loop', ''];
const DOMAINS = ['', 'ai.onnx', 'qonnx.custom_op.general', 'onnx.brevitas', 'com.example'];
const SPECIAL = [0, -1, 1, 2, 3, 7, 255, 256, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, Number.MAX_SAFE_INTEGER];
const FLOATS = [0, -0, 1, -1, 0.5, -0.5, 1e-30, 1e30, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38];

type Edit =
  | { kind: 'op'; node: number; op: number }
  | { kind: 'domain'; node: number; domain: number }
  | { kind: 'input'; node: number; slot: number; from: number }
  | { kind: 'drop'; node: number }
  | { kind: 'duplicate'; node: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'attr'; node: number; which: number; value: number }
  | { kind: 'dims'; tensor: number; dim: number; value: number }
  | { kind: 'data'; tensor: number; at: number; value: number }
  | { kind: 'truncateData'; tensor: number; keep: number }
  | { kind: 'opset'; value: number }
  | { kind: 'inputShape'; dim: number; value: number }
  | { kind: 'output'; from: number };

const idx = fc.nat({ max: 0xffff });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('op' as const), node: idx, op: fc.nat({ max: OPS.length - 1 }) }),
  fc.record({ kind: fc.constant('domain' as const), node: idx, domain: fc.nat({ max: DOMAINS.length - 1 }) }),
  fc.record({ kind: fc.constant('input' as const), node: idx, slot: fc.nat({ max: 5 }), from: idx }),
  fc.record({ kind: fc.constant('drop' as const), node: idx }),
  fc.record({ kind: fc.constant('duplicate' as const), node: idx }),
  fc.record({ kind: fc.constant('swap' as const), a: idx, b: idx }),
  fc.record({ kind: fc.constant('attr' as const), node: idx, which: idx, value: fc.nat({ max: SPECIAL.length - 1 }) }),
  fc.record({ kind: fc.constant('dims' as const), tensor: idx, dim: fc.nat({ max: 4 }), value: fc.nat({ max: SPECIAL.length - 1 }) }),
  fc.record({ kind: fc.constant('data' as const), tensor: idx, at: idx, value: fc.nat({ max: FLOATS.length - 1 }) }),
  fc.record({ kind: fc.constant('truncateData' as const), tensor: idx, keep: fc.nat({ max: 64 }) }),
  fc.record({ kind: fc.constant('opset' as const), value: fc.integer({ min: -1, max: 30 }) }),
  fc.record({ kind: fc.constant('inputShape' as const), dim: fc.nat({ max: 4 }), value: fc.nat({ max: SPECIAL.length - 1 }) }),
  fc.record({ kind: fc.constant('output' as const), from: idx }),
);

function apply(m: OnnxModel, e: Edit): void {
  const g = m.graph;
  const nodes = g.node;
  const pick = <T>(a: T[], i: number): T | undefined => (a.length ? a[i % a.length] : undefined);
  const names = [...g.initializer.map((t) => t.name), ...nodes.flatMap((n) => n.output), 'global_in', 'nowhere', ''];
  switch (e.kind) {
    case 'op': { const n = pick(nodes, e.node); if (n) n.opType = OPS[e.op]; break; }
    case 'domain': { const n = pick(nodes, e.node); if (n) n.domain = DOMAINS[e.domain]; break; }
    case 'input': { const n = pick(nodes, e.node); if (n) n.input[e.slot % (n.input.length + 1)] = names[e.from % names.length]; break; }
    case 'drop': if (nodes.length) nodes.splice(e.node % nodes.length, 1); break;
    case 'duplicate': { const n = pick(nodes, e.node); if (n) nodes.push({ ...n, input: [...n.input], output: [...n.output], name: `${n.name}_dup` }); break; }
    case 'swap': if (nodes.length) { const a = e.a % nodes.length; const b = e.b % nodes.length; [nodes[a], nodes[b]] = [nodes[b], nodes[a]]; } break;
    case 'attr': {
      const n = pick(nodes, e.node);
      const a = n && pick(n.attribute, e.which);
      if (a) {
        const v = SPECIAL[e.value];
        if (a.type === AttrType.INTS) a.ints = a.ints.map((_, i) => (i === e.which % a.ints.length ? v : a.ints[i]));
        else if (a.type === AttrType.INT) a.i = v;
        else if (a.type === AttrType.FLOAT) a.f = FLOATS[e.value % FLOATS.length];
      } else if (n) {
        n.attribute.push({ name: ['pads', 'strides', 'group', 'axis', 'transB', 'kernel_shape', 'training_mode'][e.which % 7], type: e.which % 2 ? AttrType.INT : AttrType.INTS, f: 0, i: SPECIAL[e.value], s: new Uint8Array(0), t: null, floats: [], ints: [SPECIAL[e.value], 1], graphs: 0 });
      }
      break;
    }
    case 'dims': { const t = pick(g.initializer, e.tensor); if (t) t.dims[e.dim % (t.dims.length + 1)] = SPECIAL[e.value]; break; }
    case 'data': {
      const t = pick(g.initializer, e.tensor);
      if (t && t.rawData.length >= 4) {
        const copy = t.rawData.slice();
        new DataView(copy.buffer).setFloat32(4 * (e.at % (copy.length >> 2)), FLOATS[e.value], true);
        t.rawData = copy;
      }
      break;
    }
    case 'truncateData': { const t = pick(g.initializer, e.tensor); if (t) t.rawData = t.rawData.subarray(0, Math.min(t.rawData.length, e.keep)); break; }
    case 'opset': m.opsetImport[0].version = e.value; break;
    case 'inputShape': { const s = g.input[0]?.shape; if (s) s[e.dim % (s.length + 1)] = SPECIAL[e.value]; break; }
    case 'output': g.output[0].name = names[e.from % names.length]; break;
  }
}

const graphMutations: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.nat({ max: ONNX_BASES.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }))
  .map(([bi, edits]) => {
    const m = decodeOnnx(ONNX_BASES[bi], 'base');
    for (const e of edits) apply(m, e);
    try {
      return encodeOnnx(m);
    } catch {
      return ONNX_BASES[bi].subarray(0, ONNX_BASES[bi].length - 1); // an edit protobufjs cannot encode (a NaN int)
    }
  });

/** What `bnnc import` does with the bytes (importOnnx validates and folds). */
function load(b: Uint8Array): Model {
  return importOnnx(b, 'fuzz.onnx', { name: 'fuzz', inputScale: 1 / 255 }).model;
}

export const onnxSpec: LoaderFuzz<Uint8Array> = {
  name: 'onnx-import',
  file: 'src/onnx/import.ts',
  inputs: fc.oneof({ weight: 2, arbitrary: mutatedBytes({ bases: ONNX_BASES }) }, { weight: 3, arbitrary: graphMutations }),
  size: (b) => b.length,
  show: (b) => hex(b),
  bases: ONNX_BASES,
  load,
  sources: () => ['fuzz.onnx'],
  smaller: smallerBytes,
  accept(value) {
    const m = value as Model;
    const bytes = encodeModel(m);
    const again = decodeModel(bytes, 're-encoded');
    ensure(bytesEqual(encodeModel(again), bytes), 'the imported model does not round-trip through .bnn');
  },
};

export const SPECS: Record<string, LoaderFuzz<Uint8Array>> = { 'onnx-import': onnxSpec };
