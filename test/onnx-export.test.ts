/**
 * bnnc export -> bnnc import gives back a model with the same integer model, bit for bit;
 * the exporter is deterministic; and the importer refuses, in one line naming the node,
 * every model it cannot represent exactly.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { modelHash } from '../src/graph/io.js';
import type { Model } from '../src/graph/types.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import type { FoldedModel } from '../src/int/types.js';
import { exportOnnx, QONNX_DOMAIN } from '../src/onnx/export.js';
import { importOnnx, importOnnxModel } from '../src/onnx/import.js';
import { AttrType, decodeOnnx, encodeOnnx, type OnnxModel, type OnnxNode } from '../src/onnx/proto.js';
import { floatTensor } from '../src/onnx/tensor.js';
import { Rng } from '../src/util/rng.js';
import { tinyCnn, tinyMlp } from './fixtures/graph/models.js';

const OPTS = { inputScale: 1 / 255, version: 'test' };
const IMPORT = { name: 'back', inputScale: 1 / 255 };

function folded(m: Model): FoldedModel {
  return foldModel(m, modelHash(m));
}

function sameIntegerModel(a: FoldedModel, b: FoldedModel): void {
  expect(b.input).toEqual(a.input);
  expect(b.layers.length).toBe(a.layers.length);
  a.layers.forEach((la, i) => {
    const lb = b.layers[i];
    expect(lb.kind).toBe(la.kind);
    if (la.kind === 'maxpool' || lb.kind === 'maxpool') return;
    expect([lb.rows, lb.cols, lb.kernel]).toEqual([la.rows, la.cols, la.kernel]);
    expect(Array.from(lb.weights)).toEqual(Array.from(la.weights));
    expect(lb.output).toEqual(la.output);
  });
}

function randomImages(m: Model, n: number, seed: number): Uint8Array {
  const { height, width, channels } = m.graph.input;
  const rng = new Rng(seed);
  const px = new Uint8Array(n * height * width * channels);
  for (let i = 0; i < px.length; i++) px[i] = rng.int(256);
  return px;
}

const roundTrip = (m: Model): Model => importOnnx(encodeOnnx(exportOnnx(m, OPTS)), 'exported.onnx', IMPORT).model;

describe('bnnc export -> import', () => {
  for (const [name, make] of [['mlp', tinyMlp], ['cnn', tinyCnn]] as const) {
    it(`${name}: the same integer model (weights, thresholds, scores) and the same predictions`, () => {
      const m = make();
      const back = roundTrip(m);
      const a = folded(m);
      const b = folded(back);
      sameIntegerModel(a, b);
      const px = randomImages(m, 64, 5);
      const ra = inferIntBatch(a, px, 64);
      const rb = inferIntBatch(b, px, 64);
      expect(Array.from(rb.predictions)).toEqual(Array.from(ra.predictions));
      expect(Array.from(rb.scores)).toEqual(Array.from(ra.scores));
    });
  }

  for (const [name, make] of [['mlp', tinyMlp], ['cnn', tinyCnn]] as const) {
    it(`${name} with a binarized input (thresholds 128, 1, 255): Add + BipolarQuant on the input, imported back as the same threshold`, () => {
      for (const threshold of [128, 1, 255]) {
        const m = make();
        const { height, width, channels } = m.graph.input;
        m.graph.input = { height, width, channels, bits: 1, threshold };
        m.graph.version = 2;
        const onnx = exportOnnx(m, OPTS);
        expect(onnx.graph.node.slice(0, 2).map((n) => n.opType)).toEqual(['Add', 'BipolarQuant']);
        const back = roundTrip(m);
        expect(back.graph.input).toEqual(m.graph.input);
        const a = folded(m);
        const b = folded(back);
        expect(b.inputThreshold).toBe(threshold);
        sameIntegerModel(a, b);
        // Pixels on both sides of the threshold: 0, T - 1, T, 255 among random ones.
        const px = randomImages(m, 64, 6);
        for (let i = 0; i < px.length; i += 7) px[i] = [0, threshold - 1, threshold, 255][(i / 7) % 4];
        expect(Array.from(inferIntBatch(b, px, 64).scores)).toEqual(Array.from(inferIntBatch(a, px, 64).scores));
      }
    });
  }

  it('is deterministic and a second round trip changes nothing', () => {
    const m = tinyCnn();
    const once = encodeOnnx(exportOnnx(m, OPTS));
    expect(Buffer.from(encodeOnnx(exportOnnx(m, OPTS))).equals(Buffer.from(once))).toBe(true);
    const back = importOnnx(once, 'a.onnx', IMPORT).model;
    const twice = roundTrip(back);
    expect(modelHash({ ...twice, graph: { ...twice.graph, meta: {} } })).toBe(modelHash({ ...back, graph: { ...back.graph, meta: {} } }));
  });
});

/** A decoded copy of the tiny CNN's export, to break in one place. */
function cnnOnnx(): OnnxModel {
  return decodeOnnx(encodeOnnx(exportOnnx(tinyCnn(), OPTS)), 'cnn.onnx');
}
function mlpOnnx(): OnnxModel {
  return decodeOnnx(encodeOnnx(exportOnnx(tinyMlp(), OPTS)), 'mlp.onnx');
}
const find = (m: OnnxModel, op: string, k = 0): OnnxNode => m.graph.node.filter((n) => n.opType === op)[k];
const ints = (name: string, v: number[]) => ({ name, type: AttrType.INTS, f: 0, i: 0, s: new Uint8Array(0), t: null, floats: [], ints: v, graphs: 0 });

function refusal(m: OnnxModel | Uint8Array): string {
  try {
    if (m instanceof Uint8Array) importOnnx(m, 'bad.onnx', IMPORT);
    else importOnnxModel(decodeOnnx(encodeOnnx(m), 'bad.onnx'), 'bad.onnx', IMPORT);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('the model was accepted');
}

describe('bnnc import refuses what it cannot represent exactly, in one line naming the node', () => {
  it('padding, strides, groups', () => {
    let m = cnnOnnx();
    find(m, 'Conv').attribute = find(m, 'Conv').attribute.map((a) => (a.name === 'pads' ? ints('pads', [1, 1, 1, 1]) : a));
    expect(refusal(m)).toMatch(/node "conv1" \(Conv\).*no padding.*pads \[1, 1, 1, 1\]/);
    m = cnnOnnx();
    find(m, 'Conv').attribute = find(m, 'Conv').attribute.map((a) => (a.name === 'strides' ? ints('strides', [2, 2]) : a));
    expect(refusal(m)).toMatch(/node "conv1" \(Conv\).*stride 1/);
    m = cnnOnnx();
    find(m, 'MaxPool').attribute = [ints('kernel_shape', [2, 2]), ints('strides', [1, 1])];
    expect(refusal(m)).toMatch(/node "pool1" \(MaxPool\).*strides equal to the window/);
  });

  it('activations wider than 1 bit, ONNX Sign, unknown ops, Trunc', () => {
    let m = mlpOnnx();
    const act = find(m, 'BipolarQuant', 1); // 0 is fc1's weight quantizer
    Object.assign(act, { opType: 'Quant', input: [act.input[0], 'one', 'zero', 'two'], attribute: [] });
    m.graph.initializer.push(floatTensor('zero', [], [0]), floatTensor('two', [], [2]));
    expect(refusal(m)).toMatch(/node "act1" \(Quant\).*1-bit signed activations.*2 bits/);
    m = mlpOnnx();
    Object.assign(find(m, 'BipolarQuant', 1), { opType: 'Sign', domain: '', input: [find(m, 'BipolarQuant', 1).input[0]] });
    expect(refusal(m)).toMatch(/node "act1" \(Sign\).*maps 0 to 0/);
    m = mlpOnnx();
    Object.assign(find(m, 'BipolarQuant', 1), { opType: 'Relu', domain: '', input: [find(m, 'BipolarQuant', 1).input[0]] });
    expect(refusal(m)).toMatch(/node "act1" \(Relu\).*a supported op/);
    m = mlpOnnx();
    Object.assign(find(m, 'BipolarQuant', 1), { opType: 'Trunc' });
    expect(refusal(m)).toMatch(/node "act1" \(Trunc\)/);
  });

  it('non-binary weights, a decreasing input binarization, a non-affine input quantization', () => {
    let m = mlpOnnx();
    const gemm = find(m, 'Gemm');
    gemm.input[1] = 'fc1.weight'; // the latent weights, not their BipolarQuant
    m.graph.node = m.graph.node.filter((n) => n.name !== 'fc1_wq');
    expect(refusal(m)).toMatch(/node "fc1" \(Gemm\).*binary weights/);
    m = mlpOnnx();
    const first = m.graph.node[1]; // Add pixel_offset -> 'pixels'
    m.graph.node.splice(2, 0, { name: 'in_bin', opType: 'BipolarQuant', domain: QONNX_DOMAIN, input: ['pixels', 'one'], output: ['pixels_bin'], attribute: [] });
    for (const n of m.graph.node.slice(3)) n.input = n.input.map((i) => (i === 'pixels' ? 'pixels_bin' : i));
    expect(first.output[0]).toBe('pixels');
    // FINN's BNN-PYNQ input, sign(2p/255 - 1): a binarized input, p >= 128.
    expect(importOnnxModel(decodeOnnx(encodeOnnx(m), 'b.onnx'), 'b.onnx', IMPORT).model.graph.input).toEqual({ height: 3, width: 4, channels: 1, bits: 1, threshold: 128 });
    // The same after a negated map (1 - 2p/255): +1 for p <= 127, which no p >= T expresses.
    const neg = find(m, 'Mul');
    const gain = m.graph.initializer.find((t) => t.name === neg.input[1])!;
    m.graph.initializer = m.graph.initializer.map((t) => (t === gain ? floatTensor(t.name, [], [-2]) : t));
    const off = m.graph.initializer.find((t) => t.name === 'pixel_offset')!;
    m.graph.initializer = m.graph.initializer.map((t) => (t === off ? floatTensor(t.name, [], [1]) : t));
    expect(refusal(m)).toMatch(/node "in_bin" \(BipolarQuant\).*p >= T/);
    // FINN's bnn_pynq input: 2x - 1, then an 8-bit narrow signed Quant of scale 1/127.
    m = mlpOnnx();
    m.graph.node.splice(2, 0, { name: 'in_q', opType: 'Quant', domain: QONNX_DOMAIN, input: ['pixels', 'q_scale', 'zero', 'eight'], output: ['pixels_q'], attribute: [{ ...ints('narrow', []), type: AttrType.INT, i: 1, name: 'narrow' }] });
    m.graph.initializer.push(floatTensor('q_scale', [], [1 / 127]), floatTensor('zero', [], [0]), floatTensor('eight', [], [8]));
    for (const n of m.graph.node.slice(3)) n.input = n.input.map((i) => (i === 'pixels' ? 'pixels_q' : i));
    expect(refusal(m)).toMatch(/node "in_q" \(Quant\).*affine in the pixel value.*pixel 128/);
  });

  it('max-pool before a decreasing batch norm', () => {
    const m = tinyCnn();
    m.tensors.get('bn1.gamma')!.data[1] = -0.5;
    const onnx = decodeOnnx(encodeOnnx(exportOnnx(m, OPTS)), 'cnn.onnx');
    // move the pool before the activation: conv -> bn -> pool -> sign
    const names = onnx.graph.node.map((n) => n.name);
    const bn = onnx.graph.node[names.indexOf('bn1')];
    const sign = onnx.graph.node[names.indexOf('act1')];
    const pool = onnx.graph.node[names.indexOf('pool1')];
    const after = pool.output[0];
    [pool.input, sign.input, sign.output, pool.output] = [[bn.output[0]], [pool.output[0] + '_x', 'one'], [after], [pool.output[0] + '_x']];
    onnx.graph.node.splice(names.indexOf('pool1'), 1);
    onnx.graph.node.splice(names.indexOf('act1'), 0, pool);
    expect(refusal(onnx)).toMatch(/node "pool1" \(MaxPool\).*channel 1 decreases/);
  });

  it('malformed files: truncated, wrong op set, cycles, wrong tensor sizes, missing tensors', () => {
    const bytes = encodeOnnx(exportOnnx(tinyMlp(), OPTS));
    expect(refusal(bytes.subarray(0, Math.floor(bytes.length / 2)))).toMatch(/bad\.onnx: file: expected an ONNX model/);
    expect(refusal(new TextEncoder().encode('hello, not a model'))).toMatch(/bad\.onnx/);
    let m = mlpOnnx();
    m.opsetImport[0].version = 3;
    expect(refusal(m)).toMatch(/opset_import: expected ONNX op set 9\.\.25, got op set 3/);
    m = mlpOnnx();
    m.graph.node[0].input[0] = find(m, 'Gemm').output[0]; // pixel_gain reads fc1's output
    expect(refusal(m)).toMatch(/cycle/);
    m = mlpOnnx();
    const w = m.graph.initializer.find((t) => t.name === 'fc1.weight')!;
    w.rawData = w.rawData.subarray(0, w.rawData.length - 4);
    expect(refusal(m)).toMatch(/initializer "fc1.weight"\.raw_data: expected 240 bytes/);
    m = mlpOnnx();
    m.graph.node[2].input[1] = 'nowhere';
    expect(refusal(m)).toMatch(/tensor "nowhere" defined somewhere/);
    m = mlpOnnx();
    m.graph.node[0].domain = 'com.example';
    expect(refusal(m)).toMatch(/domain "com\.example"/);
  });
});
