/**
 * The structure of an ONNX graph as bnnc imports it: checked op sets, every tensor defined
 * once, nodes in topological order (a cycle is refused), constants evaluated, and the
 * remaining nodes — those that depend on the graph input — as one chain from the input to
 * the output. The semantics of each op on that chain is ./import.ts's business.
 *
 * Constant evaluation follows qonnx's executor (qonnx.custom_op.general): BipolarQuant is
 * where(x >= 0, 1, -1) * scale; Quant is x / scale + zeropt, clamped to the integer range
 * of its bit width (signed, narrow), rounded (ROUND = half to even, as numpy), then
 * (y - zeropt) * scale, with a 1-bit signed Quant giving where(y >= 0, 1, -1). Arithmetic is
 * float32 as in qonnx and onnxruntime.
 */
import { InputError } from '../errors.js';
import type { OnnxAttribute, OnnxModel, OnnxNode } from './proto.js';
import { AttrType } from './proto.js';
import { type ConstTensor, tensorSize, tensorValues } from './tensor.js';

/** Op-set domains: the ONNX standard and the QONNX custom ops (three names in use). */
export const STANDARD_DOMAINS = ['', 'ai.onnx'];
export const QONNX_DOMAINS = ['qonnx.custom_op.general', 'onnx.brevitas', 'finn.custom_op.general'];
/** Standard op-set versions bnnc reads (BatchNormalization, Flatten and MaxPool as since 9). */
export const MIN_OPSET = 9;
export const MAX_OPSET = 25;

export interface ChainNode {
  node: OnnxNode;
  /** Which input is the chain's tensor. */
  dynamicInput: number;
  /** The node's inputs as constants (null for the dynamic one and for absent optional inputs). */
  consts: (ConstTensor | null)[];
}

export interface ParsedGraph {
  input: { name: string; shape: (number | string | null)[] | null; elemType: number };
  output: string;
  chain: ChainNode[];
}

export const nodeLabel = (n: OnnxNode, index: number): string => `node ${n.name ? JSON.stringify(n.name) : `#${index}`} (${n.opType})`;

export function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute.find((a) => a.name === name);
}
export function attrInt(n: OnnxNode, name: string, dflt: number): number {
  const a = attr(n, name);
  return a === undefined ? dflt : a.i;
}
export function attrFloat(n: OnnxNode, name: string, dflt: number): number {
  const a = attr(n, name);
  return a === undefined ? dflt : a.f;
}
export function attrInts(n: OnnxNode, name: string): number[] | undefined {
  const a = attr(n, name);
  return a === undefined ? undefined : a.ints;
}
export function attrString(n: OnnxNode, name: string, dflt: string): string {
  const a = attr(n, name);
  return a === undefined ? dflt : new TextDecoder().decode(a.s);
}

const f32 = Math.fround;

/** numpy-style broadcasting of two shapes, or null if they do not broadcast. */
function broadcastShape(a: number[], b: number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index into a broadcast operand for flat output index k. */
function broadcastIndex(outDims: number[], dims: number[], k: number): number {
  let idx = 0;
  let stride = 1;
  let rest = k;
  const off = outDims.length - dims.length;
  const coords: number[] = new Array(outDims.length);
  for (let i = outDims.length - 1; i >= 0; i--) {
    coords[i] = rest % outDims[i];
    rest = Math.floor(rest / outDims[i]);
  }
  for (let i = dims.length - 1; i >= 0; i--) {
    idx += (dims[i] === 1 ? 0 : coords[i + off]) * stride;
    stride *= dims[i];
  }
  return idx;
}

function elementwise(a: ConstTensor, b: ConstTensor, fn: (x: number, y: number) => number, where: () => string): ConstTensor {
  const dims = broadcastShape(a.dims, b.dims);
  if (!dims) throw new InputError(where(), 'inputs', 'shapes that broadcast', `[${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
  const n = dims.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = fn(a.data[broadcastIndex(dims, a.dims, k)], b.data[broadcastIndex(dims, b.dims, k)]);
  return { dims, data: out };
}

/** numpy.round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Integer range of a Quant (qonnx min_int / max_int). */
export function quantRange(bits: number, signed: boolean, narrow: boolean): [number, number] {
  const lo = signed ? -(2 ** (bits - 1)) + (narrow ? 1 : 0) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1 - (narrow ? 1 : 0);
  return [lo, hi];
}

export interface QuantParams {
  scale: ConstTensor;
  zeropt: ConstTensor;
  bits: number;
  signed: boolean;
  narrow: boolean;
  rounding: string;
}

/** The integer a Quant maps x to (before rescaling), as qonnx computes it in float32. */
export function quantInt(x: number, scale: number, zeropt: number, q: QuantParams): number {
  let y = f32(f32(x / scale) + zeropt);
  if (q.bits === 1 && q.signed) return y >= 0 ? 1 : -1;
  const [lo, hi] = quantRange(q.bits, q.signed, q.narrow);
  y = Math.min(hi, Math.max(lo, y));
  switch (q.rounding) {
    case 'ROUND': case 'HALF_EVEN': return roundHalfEven(y);
    case 'CEIL': return Math.ceil(y);
    case 'FLOOR': return Math.floor(y);
    default: return Math.trunc(y); // 'ROUND_TO_ZERO'
  }
}

const ROUNDING = ['ROUND', 'HALF_EVEN', 'CEIL', 'FLOOR', 'ROUND_TO_ZERO'];

/** Read a Quant node's constant parameters (inputs 1..3 and attributes). */
export function quantParams(n: OnnxNode, consts: (ConstTensor | null)[], where: string): QuantParams {
  const [scale, zeropt, bw] = [consts[1], consts[2], consts[3]];
  if (!scale || !zeropt || !bw) throw new InputError(where, 'inputs', 'constant scale, zero point and bit width', 'a computed or missing one');
  if (bw.data.length !== 1) throw new InputError(where, 'bit width', 'a scalar', `${bw.data.length} values`);
  const bits = bw.data[0];
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 32)) throw new InputError(where, 'bit width', 'an integer 1..32', String(bits));
  const rounding = attrString(n, 'rounding_mode', 'ROUND').toUpperCase();
  if (!ROUNDING.includes(rounding)) throw new InputError(where, 'rounding_mode', ROUNDING.join(', '), rounding);
  for (const v of scale.data) if (!(Number.isFinite(v) && v > 0)) throw new InputError(where, 'scale', 'positive finite values', String(v));
  for (const v of zeropt.data) if (!Number.isFinite(v)) throw new InputError(where, 'zero point', 'finite values', String(v));
  return { scale, zeropt, bits, signed: attrInt(n, 'signed', 1) !== 0, narrow: attrInt(n, 'narrow', 0) !== 0, rounding };
}

function constNode(n: OnnxNode, where: string): ConstTensor {
  const a = n.attribute[0];
  if (n.attribute.length !== 1 || !a) throw new InputError(where, 'attributes', 'exactly one value attribute', `${n.attribute.length}`);
  if (a.name === 'value' && a.type === AttrType.TENSOR && a.t) return tensorValues(a.t, where, 'value');
  if (a.name === 'value_float') return { dims: [], data: Float64Array.of(f32(a.f)) };
  if (a.name === 'value_int') return { dims: [], data: Float64Array.of(a.i) };
  if (a.name === 'value_floats') return { dims: [a.floats.length], data: Float64Array.from(a.floats, f32) };
  if (a.name === 'value_ints') return { dims: [a.ints.length], data: Float64Array.from(a.ints) };
  throw new InputError(where, `attribute ${a.name}`, 'value, value_float(s) or value_int(s)', 'another kind');
}

function transpose(t: ConstTensor, perm: number[] | undefined, where: string): ConstTensor {
  const r = t.dims.length;
  const p = perm ?? t.dims.map((_, i) => r - 1 - i);
  if (p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new InputError(where, 'perm', `a permutation of 0..${r - 1}`, `[${p.join(', ')}]`);
  }
  const dims = p.map((i) => t.dims[i]);
  const inStrides = new Array<number>(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) { inStrides[i] = s; s *= t.dims[i]; }
  const out = new Float64Array(t.data.length);
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += coord[i] * inStrides[p[i]];
    out[k] = t.data[src];
    for (let i = r - 1; i >= 0; i--) {
      if (++coord[i] < dims[i]) break;
      coord[i] = 0;
    }
  }
  return { dims, data: out };
}

/** Evaluate a node whose inputs are all constant. */
function evalConst(n: OnnxNode, ins: (ConstTensor | null)[], where: string): ConstTensor {
  const need = (i: number): ConstTensor => {
    const t = ins[i];
    if (!t) throw new InputError(where, `input ${i}`, 'a tensor', 'none');
    return t;
  };
  const w = (): string => where;
  switch (n.opType) {
    case 'Constant': return constNode(n, where);
    case 'Identity': return need(0);
    case 'Transpose': return transpose(need(0), attrInts(n, 'perm'), where);
    case 'Neg': return { dims: need(0).dims, data: need(0).data.map((v) => -v) };
    case 'Mul': return elementwise(need(0), need(1), (x, y) => f32(x * y), w);
    case 'Add': return elementwise(need(0), need(1), (x, y) => f32(x + y), w);
    case 'Sub': return elementwise(need(0), need(1), (x, y) => f32(x - y), w);
    case 'Div': return elementwise(need(0), need(1), (x, y) => f32(x / y), w);
    case 'Reshape': {
      const x = need(0);
      const shape = Array.from(need(1).data);
      let known = 1;
      let free = -1;
      const dims = shape.map((d, i) => {
        if (d === 0) return x.dims[i] ?? 0;
        if (d === -1) { free = i; return -1; }
        return d;
      });
      dims.forEach((d) => { if (d !== -1) known *= d; });
      if (free >= 0 && known > 0) dims[free] = x.data.length / known;
      if (dims.some((d) => !Number.isInteger(d) || d < 0) || dims.reduce((p, d) => p * d, 1) !== x.data.length) {
        throw new InputError(where, 'shape', `a shape of ${x.data.length} values`, `[${shape.join(', ')}]`);
      }
      return { dims, data: x.data };
    }
    case 'BipolarQuant': {
      const x = need(0);
      const scale = need(1);
      return elementwise(x, scale, (v, s) => f32((v >= 0 ? 1 : -1) * s), w);
    }
    case 'Quant':
    case 'IntQuant': {
      const x = need(0);
      const q = quantParams(n, ins, where);
      const scaled = elementwise(x, q.scale, (v, s) => v * 0 + s, w); // broadcast scale to x
      const zp = elementwise(x, q.zeropt, (v, z) => v * 0 + z, w);
      const out = new Float64Array(scaled.data.length);
      for (let k = 0; k < out.length; k++) {
        const s = scaled.data[k];
        const z = zp.data[k];
        out[k] = f32(f32(quantInt(x.data[broadcastIndex(scaled.dims, x.dims, k)], s, z, q) - z) * s);
      }
      return { dims: scaled.dims, data: out };
    }
    default:
      throw new InputError(where, 'op', 'an op bnnc can evaluate on constants (Constant, Identity, Transpose, Reshape, Mul, Add, Sub, Div, Neg, BipolarQuant, Quant)', n.opType);
  }
}

/** Check op sets, order the nodes, evaluate constants and return the chain. */
export function parseGraph(model: OnnxModel, source: string): ParsedGraph {
  const g = model.graph;
  const imported = new Map<string, number>();
  for (const o of model.opsetImport) imported.set(o.domain, o.version);
  const std = imported.get('') ?? imported.get('ai.onnx');
  if (std === undefined) throw new InputError(source, 'opset_import', 'the standard ONNX op set (domain "")', 'none');
  if (std < MIN_OPSET || std > MAX_OPSET) throw new InputError(source, 'opset_import', `ONNX op set ${MIN_OPSET}..${MAX_OPSET}`, `op set ${std}`);

  // Every tensor is defined once: by an initializer, the graph input or one node output.
  const consts = new Map<string, ConstTensor>();
  const defined = new Set<string>();
  g.initializer.forEach((t, k) => {
    const field = `initializer ${JSON.stringify(t.name || `#${k}`)}`;
    if (defined.has(t.name)) throw new InputError(source, field, 'one definition per tensor', 'a second initializer of the same name');
    defined.add(t.name);
    consts.set(t.name, tensorValues(t, source, field));
  });
  // Older exporters also list initializers as graph inputs; those are not inputs.
  const inputs = g.input.filter((v) => !consts.has(v.name));
  if (inputs.length !== 1) {
    throw new InputError(source, 'graph.input', 'exactly one input (the image)', inputs.length === 0 ? 'none' : `${inputs.length}: ${inputs.map((v) => v.name).join(', ')}`);
  }
  if (g.output.length !== 1) throw new InputError(source, 'graph.output', 'exactly one output (the class scores)', `${g.output.length}`);
  const input = inputs[0];
  defined.add(input.name);
  const producer = new Map<string, number>();
  g.node.forEach((n, k) => {
    const domainOk = STANDARD_DOMAINS.includes(n.domain) || QONNX_DOMAINS.includes(n.domain);
    if (!domainOk) throw new InputError(source, nodeLabel(n, k), 'an op of the ONNX or QONNX op sets', `domain ${JSON.stringify(n.domain)}`);
    if (!imported.has(n.domain) && !(n.domain === 'ai.onnx' && imported.has('')) && !(n.domain === '' && imported.has('ai.onnx'))) {
      throw new InputError(source, nodeLabel(n, k), `an op set the model imports`, `domain ${JSON.stringify(n.domain)}, not in opset_import`);
    }
    if (n.attribute.some((a) => a.graphs > 0)) throw new InputError(source, nodeLabel(n, k), 'no subgraphs', 'a graph attribute (control flow)');
    for (const o of n.output) {
      if (o === '') continue;
      if (defined.has(o)) throw new InputError(source, nodeLabel(n, k), `one definition of tensor ${JSON.stringify(o)}`, 'a second one');
      defined.add(o);
      producer.set(o, k);
    }
  });
  for (const [k, n] of g.node.entries()) {
    for (const i of n.input) {
      if (i !== '' && !defined.has(i)) throw new InputError(source, nodeLabel(n, k), `tensor ${JSON.stringify(i)} defined somewhere`, 'nothing defines it');
    }
  }

  // Kahn's algorithm; what is left over lies on a cycle.
  const indegree = g.node.map((n) => n.input.filter((i) => producer.has(i)).length);
  const consumers = new Map<number, number[]>();
  g.node.forEach((n, k) => {
    for (const i of n.input) {
      const p = producer.get(i);
      if (p !== undefined) consumers.set(p, [...(consumers.get(p) ?? []), k]);
    }
  });
  const ready = g.node.map((_, k) => k).filter((k) => indegree[k] === 0);
  const order: number[] = [];
  while (ready.length) {
    const k = ready.shift() as number;
    order.push(k);
    for (const c of consumers.get(k) ?? []) if (--indegree[c] === 0) ready.push(c);
  }
  if (order.length !== g.node.length) {
    const k = indegree.findIndex((d) => d > 0);
    throw new InputError(source, nodeLabel(g.node[k], k), 'an acyclic graph', 'a cycle through this node');
  }

  // Evaluate constants; the rest must form one chain from the input to the output.
  const dynamic = new Set<string>([input.name]);
  const chain: ChainNode[] = [];
  const used = new Map<string, string>();
  for (const k of order) {
    const n = g.node[k];
    const where = `${source}: ${nodeLabel(n, k)}`;
    if (n.opType === 'Shape' && n.input.length >= 1 && dynamic.has(n.input[0])) {
      throw new InputError(source, nodeLabel(n, k), 'static shapes (flatten with Flatten or a constant Reshape)', 'a Shape of the image tensor');
    }
    const dyn = n.input.map((i, j) => (dynamic.has(i) ? j : -1)).filter((j) => j >= 0);
    const ins = n.input.map((i) => (i === '' ? null : consts.get(i) ?? null));
    if (dyn.length === 0) {
      const out = evalConst(n, ins, where);
      if (n.output.length !== 1) throw new InputError(source, nodeLabel(n, k), 'one output', `${n.output.length}`);
      consts.set(n.output[0], out);
      continue;
    }
    if (dyn.length > 1) throw new InputError(source, nodeLabel(n, k), 'one input computed from the image', `${dyn.length} (a branching graph)`);
    const t = n.input[dyn[0]];
    const prev = used.get(t);
    if (prev !== undefined) throw new InputError(source, nodeLabel(n, k), `tensor ${JSON.stringify(t)} read by one node`, `also read by ${prev} (a branching graph)`);
    used.set(t, nodeLabel(n, k));
    const outs = n.output.filter((o) => o !== '');
    // Dropout and BatchNormalization may declare extra outputs (mask, running stats).
    if (outs.length < 1) throw new InputError(source, nodeLabel(n, k), 'an output', 'none');
    for (const o of outs.slice(1)) if (g.node.some((m) => m.input.includes(o)) || g.output[0].name === o) {
      throw new InputError(source, nodeLabel(n, k), 'only its first output used', `output ${JSON.stringify(o)} is read`);
    }
    dynamic.add(outs[0]);
    chain.push({ node: n, dynamicInput: dyn[0], consts: ins });
  }
  const outName = g.output[0].name;
  if (!dynamic.has(outName)) throw new InputError(source, 'graph.output', 'a tensor computed from the image', consts.has(outName) ? 'a constant' : 'an undefined tensor');
  // Drop the nodes after the output (none in a sane model) and check the chain reaches it.
  const last = chain.findIndex((c) => c.node.output[0] === outName);
  if (last < 0 && outName !== input.name) throw new InputError(source, 'graph.output', 'the end of the chain of layers', outName);
  if (last !== chain.length - 1) {
    const extra = chain[last + 1];
    throw new InputError(source, nodeLabel(extra.node, g.node.indexOf(extra.node)), 'a node on the way to the output', 'a node whose result is never used');
  }
  tensorSize(input.shape?.map((d) => (typeof d === 'number' ? d : 1)) ?? [], source, 'graph.input shape');
  return { input: { name: input.name, shape: input.shape, elemType: input.elemType }, output: outName, chain };
}
