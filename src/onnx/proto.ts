/**
 * ONNX model bytes <-> plain objects, through protobufjs and the schema in ./schema.ts.
 * Decoding trusts nothing: a protobuf error (truncated message, wrong wire type...) is one
 * InputError naming the file; int64 fields come back as numbers (an int64 beyond 2^53 is
 * refused, no ONNX dimension or attribute bnnc reads is that large).
 */
import protobuf from 'protobufjs';
import { InputError } from '../errors.js';
import { ONNX_PROTO } from './schema.js';

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  uint64Data: number[];
  rawData: Uint8Array;
  /** DataLocation EXTERNAL = 1 (data in another file: refused by the importer). */
  dataLocation: number;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t: OnnxTensor | null;
  floats: number[];
  ints: number[];
  /** Graph-valued attributes (If/Loop bodies): only counted, bnnc never enters them. */
  graphs: number;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType of a tensor-typed value, 0 if absent. */
  elemType: number;
  /** Dimensions: a number, a symbolic name, or null when unknown; null when there is no shape. */
  shape: (number | string | null)[] | null;
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  graph: OnnxGraph;
  metadata: { key: string; value: string }[];
}

/** TensorProto.DataType values bnnc reads or writes. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values bnnc reads or writes. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | null = null;
function modelType(): protobuf.Type {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return root.lookupType('onnx.ModelProto');
}

type Raw = Record<string, unknown>;

function num(v: unknown, source: string, field: string): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    const n = (v as { toNumber(): number }).toNumber();
    if (!Number.isSafeInteger(n)) throw new InputError(source, field, 'an integer below 2^53', String(v));
    return n;
  }
  if (v === undefined || v === null) return 0;
  throw new InputError(source, field, 'a number', typeof v);
}
const nums = (v: unknown, source: string, field: string): number[] =>
  Array.isArray(v) ? v.map((x, k) => num(x, source, `${field}[${k}]`)) : [];
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const list = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);

function tensorFrom(t: Raw, source: string, where: string): OnnxTensor {
  return {
    name: str(t.name),
    dims: nums(t.dims, source, `${where}.dims`),
    dataType: num(t.data_type, source, `${where}.data_type`),
    floatData: Array.isArray(t.float_data) ? (t.float_data as number[]) : [],
    int32Data: Array.isArray(t.int32_data) ? (t.int32_data as number[]) : [],
    int64Data: nums(t.int64_data, source, `${where}.int64_data`),
    doubleData: Array.isArray(t.double_data) ? (t.double_data as number[]) : [],
    uint64Data: nums(t.uint64_data, source, `${where}.uint64_data`),
    rawData: bytes(t.raw_data),
    dataLocation: num(t.data_location, source, `${where}.data_location`),
  };
}

function valueInfoFrom(v: Raw, source: string, where: string): OnnxValueInfo {
  const type = (v.type ?? {}) as Raw;
  const tt = (type.tensor_type ?? null) as Raw | null;
  let shape: (number | string | null)[] | null = null;
  if (tt && tt.shape) {
    shape = list((tt.shape as Raw).dim).map((d, k) => {
      if (d.dim_value !== undefined && d.dim_value !== null) return num(d.dim_value, source, `${where}.shape[${k}]`);
      if (typeof d.dim_param === 'string') return d.dim_param;
      return null;
    });
  }
  return { name: str(v.name), elemType: tt ? num(tt.elem_type, source, `${where}.elem_type`) : 0, shape };
}

/** Decode ONNX ModelProto bytes; `source` names them in errors. */
export function decodeOnnx(data: Uint8Array, source: string): OnnxModel {
  let m: Raw;
  try {
    m = modelType().decode(data) as unknown as Raw;
  } catch (e) {
    throw new InputError(source, 'file', 'an ONNX model (protobuf ModelProto)', `undecodable bytes (${(e as Error).message.split('\n')[0]})`);
  }
  if (!m.graph) throw new InputError(source, 'graph', 'an ONNX model with a graph', 'no graph (not an ONNX model?)');
  const g = m.graph as Raw;
  const graph: OnnxGraph = {
    name: str(g.name),
    node: list(g.node).map((n, k) => ({
      name: str(n.name),
      opType: str(n.op_type),
      domain: str(n.domain),
      input: Array.isArray(n.input) ? (n.input as string[]) : [],
      output: Array.isArray(n.output) ? (n.output as string[]) : [],
      attribute: list(n.attribute).map((a, j) => {
        const where = `graph.node[${k}].attribute[${j}]`;
        return {
          name: str(a.name),
          type: num(a.type, source, `${where}.type`),
          f: typeof a.f === 'number' ? a.f : 0,
          i: num(a.i, source, `${where}.i`),
          s: bytes(a.s),
          t: a.t ? tensorFrom(a.t as Raw, source, `${where}.t`) : null,
          floats: Array.isArray(a.floats) ? (a.floats as number[]) : [],
          ints: nums(a.ints, source, `${where}.ints`),
          graphs: (a.g ? 1 : 0) + list(a.graphs).length,
        };
      }),
    })),
    initializer: list(g.initializer).map((t, k) => tensorFrom(t, source, `graph.initializer[${k}]`)),
    input: list(g.input).map((v, k) => valueInfoFrom(v, source, `graph.input[${k}]`)),
    output: list(g.output).map((v, k) => valueInfoFrom(v, source, `graph.output[${k}]`)),
    valueInfo: list(g.value_info).map((v, k) => valueInfoFrom(v, source, `graph.value_info[${k}]`)),
  };
  return {
    irVersion: num(m.ir_version, source, 'ir_version'),
    producerName: str(m.producer_name),
    producerVersion: str(m.producer_version),
    opsetImport: list(m.opset_import).map((o, k) => ({ domain: str(o.domain), version: num(o.version, source, `opset_import[${k}].version`) })),
    graph,
    metadata: list(m.metadata_props).map((p) => ({ key: str(p.key), value: str(p.value) })),
  };
}

function tensorTo(t: OnnxTensor): Raw {
  const out: Raw = { name: t.name, dims: t.dims, data_type: t.dataType };
  if (t.rawData.length) out.raw_data = t.rawData;
  if (t.floatData.length) out.float_data = t.floatData;
  if (t.int64Data.length) out.int64_data = t.int64Data;
  return out;
}

function valueInfoTo(v: OnnxValueInfo): Raw {
  const tensor: Raw = { elem_type: v.elemType };
  if (v.shape) tensor.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) };
  return { name: v.name, type: { tensor_type: tensor } };
}

/** Encode a model; the same object always gives the same bytes. */
export function encodeOnnx(model: OnnxModel): Uint8Array {
  const g = model.graph;
  const raw: Raw = {
    ir_version: model.irVersion,
    producer_name: model.producerName,
    producer_version: model.producerVersion,
    opset_import: model.opsetImport.map((o) => ({ domain: o.domain, version: o.version })),
    graph: {
      name: g.name,
      node: g.node.map((n) => ({
        name: n.name,
        op_type: n.opType,
        domain: n.domain,
        input: n.input,
        output: n.output,
        attribute: n.attribute.map((a) => {
          const r: Raw = { name: a.name, type: a.type };
          if (a.type === AttrType.FLOAT) r.f = a.f;
          if (a.type === AttrType.INT) r.i = a.i;
          if (a.type === AttrType.STRING) r.s = a.s;
          if (a.type === AttrType.TENSOR && a.t) r.t = tensorTo(a.t);
          if (a.type === AttrType.FLOATS) r.floats = a.floats;
          if (a.type === AttrType.INTS) r.ints = a.ints;
          return r;
        }),
      })),
      initializer: g.initializer.map(tensorTo),
      input: g.input.map(valueInfoTo),
      output: g.output.map(valueInfoTo),
      value_info: g.valueInfo.map(valueInfoTo),
    },
    metadata_props: model.metadata.map((p) => ({ key: p.key, value: p.value })),
  };
  const type = modelType();
  // finish() may return a view into protobufjs's shared buffer pool: copy it out.
  return new Uint8Array(type.encode(type.fromObject(raw)).finish());
}
