/** Architectures: built-in networks, spec strings, JSON files, initialisation, errors. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { encodeModel, shapesOf } from '../src/graph/io.js';
import type { DenseSpec, InputSpec, LayerSpec, Model } from '../src/graph/types.js';
import { buildGraph, buildModel, BUILTIN_ARCHS } from '../src/nn/arch.js';
import { glorotUniformLimit } from '../src/nn/schedule.js';
import { MNIST_INPUT } from './nn-helpers.js';

const CIFAR_INPUT: InputSpec = { height: 32, width: 32, channels: 3, pixelScale: 2 / 255, pixelOffset: -1 };

function summary(layers: LayerSpec[]): string[] {
  return layers.map((l) => {
    switch (l.kind) {
      case 'dense':
        return `${l.name}:dense ${l.inFeatures}->${l.outFeatures}`;
      case 'conv2d':
        return `${l.name}:conv ${l.inChannels}->${l.outChannels} k${l.kernel}`;
      case 'batchnorm':
        return `${l.name}:bn ${l.features}`;
      case 'maxpool':
        return `${l.name}:pool ${l.size}`;
      case 'dropout':
        return `${l.name}:dropout ${l.p}`;
      default:
        return `${l.name}:${l.kind}`;
    }
  });
}

function weightCount(model: Model): number {
  let n = 0;
  for (const [name, t] of model.tensors) if (name.endsWith('.weight')) n += t.data.length;
  return n;
}

describe('built-in architectures', () => {
  it('sfc is the BinaryNet MLP 784-256-256-256-10 with dropout 0.2 / 0.5 and no sign after the last layer', () => {
    const m = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 1 });
    expect(summary(m.graph.layers)).toEqual([
      'drop_in:dropout 0.2',
      'flatten:flatten',
      'fc0:dense 784->256', 'bn0:bn 256', 'sign0:sign', 'drop0:dropout 0.5',
      'fc1:dense 256->256', 'bn1:bn 256', 'sign1:sign', 'drop1:dropout 0.5',
      'fc2:dense 256->256', 'bn2:bn 256', 'sign2:sign', 'drop2:dropout 0.5',
      'fc3:dense 256->10', 'bn3:bn 10',
    ]);
    expect(m.graph.arch).toBe('sfc');
    expect(weightCount(m)).toBe(784 * 256 + 2 * 256 * 256 + 256 * 10);
  });

  it('tfc, lfc and paper-mlp have 64, 1024 and 4096 hidden units', () => {
    for (const [arch, h] of [['tfc', 64], ['lfc', 1024], ['paper-mlp', 4096]] as const) {
      const dense = buildGraph(arch, { input: MNIST_INPUT, classes: 10 }).layers.filter((l): l is DenseSpec => l.kind === 'dense');
      expect(dense.map((d) => [d.inFeatures, d.outFeatures])).toEqual([[784, h], [h, h], [h, h], [h, 10]]);
    }
  });

  it('cnv is FINN CNV on 32x32x3: 3x3 valid convolutions, pool after the sign, down to 1x1x256', () => {
    const m = buildModel('cnv', { input: CIFAR_INPUT, classes: 10, seed: 1 });
    expect(summary(m.graph.layers)).toEqual([
      'conv0:conv 3->64 k3', 'bn0:bn 64', 'sign0:sign',
      'conv1:conv 64->64 k3', 'bn1:bn 64', 'sign1:sign', 'pool0:pool 2',
      'conv2:conv 64->128 k3', 'bn2:bn 128', 'sign2:sign',
      'conv3:conv 128->128 k3', 'bn3:bn 128', 'sign3:sign', 'pool1:pool 2',
      'conv4:conv 128->256 k3', 'bn4:bn 256', 'sign4:sign',
      'conv5:conv 256->256 k3', 'bn5:bn 256', 'sign5:sign',
      // Already 1x1x256: no flatten needed.
      'fc6:dense 256->512', 'bn6:bn 512', 'sign6:sign',
      'fc7:dense 512->512', 'bn7:bn 512', 'sign7:sign',
      'fc8:dense 512->10', 'bn8:bn 10',
    ]);
    const shapes = shapesOf(m.graph);
    expect(shapes[2]).toEqual([30, 30, 64]);
    expect(shapes[6]).toEqual([14, 14, 64]);
    expect(shapes[13]).toEqual([5, 5, 128]);
    expect(shapes[18]).toEqual([1, 1, 256]);
  });

  it('cnv28 fits 28x28x1 and ends in 4x4x64 before its dense layers', () => {
    const m = buildModel('cnv28', { input: MNIST_INPUT, classes: 10, seed: 1 });
    const shapes = shapesOf(m.graph);
    const flat = m.graph.layers.findIndex((l) => l.kind === 'flatten');
    expect(shapes[flat - 1]).toEqual([4, 4, 64]);
    expect(m.graph.layers.filter((l) => l.kind === 'dense').map((l) => (l as DenseSpec).inFeatures)).toEqual([1024, 256]);
    expect(m.graph.layers.some((l) => l.kind === 'dropout')).toBe(false);
  });

  it('every built-in model is a valid model file', () => {
    for (const arch of BUILTIN_ARCHS) {
      if (arch === 'paper-mlp') continue; // 26 M weights: valid, but slow to encode here
      const input = arch === 'cnv' ? CIFAR_INPUT : MNIST_INPUT;
      expect(encodeModel(buildModel(arch, { input, classes: 10, seed: 2 })).length).toBeGreaterThan(0);
    }
  });
});

describe('initialisation', () => {
  it('Glorot-uniform latent weights within the bound, batch norm at identity, reproducible by seed', () => {
    const a = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 5 });
    const w = a.tensors.get('fc0.weight')!;
    expect(w.shape).toEqual([256, 784]);
    const limit = glorotUniformLimit(784, 256);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of w.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    expect(min).toBeGreaterThanOrEqual(-limit);
    expect(max).toBeLessThan(limit);
    expect(max - min).toBeGreaterThan(1.9 * limit); // spread over the whole range
    expect(Math.abs(sum / w.data.length)).toBeLessThan(0.01 * limit);
    expect(Array.from(a.tensors.get('bn0.gamma')!.data).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.tensors.get('bn0.beta')!.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(a.tensors.get('bn0.running_mean')!.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(a.tensors.get('bn0.running_var')!.data).every((v) => v === 1)).toBe(true);
    const b = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 5 });
    expect(Buffer.from(encodeModel(b)).equals(Buffer.from(encodeModel(a)))).toBe(true);
    const c = buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 6 });
    expect(Buffer.from(c.tensors.get('fc0.weight')!.data.buffer).equals(Buffer.from(w.data.buffer))).toBe(false);
  });

  it('clips the Glorot bound to 1 for tiny layers', () => {
    const m = buildModel('mlp:1-1-2', { input: { ...MNIST_INPUT, height: 1, width: 1 }, classes: 2, seed: 1 });
    for (const [name, t] of m.tensors) if (name.endsWith('.weight')) for (const v of t.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
});

describe('custom architectures', () => {
  it('mlp:<sizes> with the dropout options', () => {
    const m = buildModel('mlp:784-100-10', { input: MNIST_INPUT, classes: 10, seed: 1, dropoutIn: 0, dropoutHidden: 0.3 });
    expect(summary(m.graph.layers)).toEqual(['flatten:flatten', 'fc0:dense 784->100', 'bn0:bn 100', 'sign0:sign', 'drop0:dropout 0.3', 'fc1:dense 100->10', 'bn1:bn 10']);
    expect(m.graph.arch).toBe('custom');
    expect(m.graph.meta).toEqual({ archSpec: 'mlp:784-100-10' });
  });

  it('conv:<items> spec strings', () => {
    const m = buildModel('conv:32x3,pool,64x3,pool,fc256,fc10', { input: MNIST_INPUT, classes: 10, seed: 1 });
    expect(summary(m.graph.layers)).toEqual([
      'conv0:conv 1->32 k3', 'bn0:bn 32', 'sign0:sign', 'pool0:pool 2',
      'conv1:conv 32->64 k3', 'bn1:bn 64', 'sign1:sign', 'pool1:pool 2',
      'flatten:flatten', 'fc2:dense 1600->256', 'bn2:bn 256', 'sign2:sign', 'fc3:dense 256->10', 'bn3:bn 10',
    ]);
  });

  it('JSON files, with biases', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-arch-'));
    try {
      const file = path.join(dir, 'net.json');
      fs.writeFileSync(file, JSON.stringify([{ type: 'conv', channels: 4, kernel: 5, bias: true }, { type: 'pool', size: 3 }, { type: 'fc', units: 10 }]));
      const m = buildModel(file, { input: MNIST_INPUT, classes: 10, seed: 1 });
      expect(summary(m.graph.layers)).toEqual(['conv0:conv 1->4 k5', 'bn0:bn 4', 'sign0:sign', 'pool0:pool 3', 'flatten:flatten', 'fc1:dense 256->10', 'bn1:bn 10']);
      expect(m.tensors.get('conv0.bias')!.shape).toEqual([4]);
      expect(m.tensors.has('fc1.bias')).toBe(false);
      expect(encodeModel(m).length).toBeGreaterThan(0);

      fs.writeFileSync(file, '{"layers": [{"type": "fc", "units": 10}');
      expect(() => buildModel(file, { input: MNIST_INPUT, classes: 10, seed: 1 })).toThrow(InputError);
      fs.writeFileSync(file, JSON.stringify({ layers: [{ type: 'lstm', units: 10 }] }));
      expect(() => buildModel(file, { input: MNIST_INPUT, classes: 10, seed: 1 })).toThrow(/layers\[0\]\.type: expected "conv", "pool" or "fc"/);
      fs.writeFileSync(file, JSON.stringify([{ type: 'fc', units: 0 }]));
      expect(() => buildModel(file, { input: MNIST_INPUT, classes: 10, seed: 1 })).toThrow(/layers\[0\]\.units: expected a positive integer/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects what cannot be built, naming the problem', () => {
    const build = (arch: string): Model => buildModel(arch, { input: MNIST_INPUT, classes: 10, seed: 1 });
    expect(() => build('vgg16')).toThrow(/arch: name: expected one of tfc, sfc, lfc/);
    expect(() => build('mlp:700-10')).toThrow(/input size: expected 784/);
    expect(() => build('mlp:784-100-9')).toThrow(/last layer: expected 10 units/);
    expect(() => build('conv:32x3,fc256')).toThrow(/last layer: expected 10 units/);
    expect(() => build('conv:32x30,fc10')).toThrow(/kernel no larger than its 28x28 input/);
    expect(() => build('conv:pool,32x3,fc10')).toThrow(/pooling right after a convolution/);
    expect(() => build('conv:fc20,32x3,fc10')).toThrow(/convolutions before the first dense layer/);
    expect(() => build('conv:32x3,relu,fc10')).toThrow(InputError);
    expect(() => buildModel('sfc', { input: MNIST_INPUT, classes: 10, seed: 1, dropoutHidden: 1 })).toThrow(/dropoutHidden: expected a probability/);
  });
});
