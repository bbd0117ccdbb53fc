import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { expectedTensors } from '../src/graph/tensors.js';
import type { Model, ModelGraph } from '../src/graph/types.js';
import { inferShapes, validateGraph, validateTensors } from '../src/graph/validate.js';
import { convGraph, mlpGraph, tinyCnn, tinyMlp } from './fixtures/graph/models.js';

type Json = Record<string, unknown>;

/** A deep copy of a graph as plain JSON, edited by `edit`. */
function edited(graph: ModelGraph, edit: (g: Json & { layers: Json[]; input: Json }) => void): unknown {
  const g = JSON.parse(JSON.stringify(graph)) as Json & { layers: Json[]; input: Json };
  edit(g);
  return g;
}

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).source).toBe('m.bnn');
    expect((e as Error).message).toContain('m.bnn');
    return (e as InputError).field;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

const rejects = (graph: ModelGraph, edit: (g: Json & { layers: Json[]; input: Json }) => void): string =>
  fieldOf(() => validateGraph(edited(graph, edit), 'm.bnn'));

describe('validateGraph', () => {
  it('accepts the test models and returns them unchanged in content', () => {
    expect(validateGraph(mlpGraph(), 'm.bnn')).toEqual(mlpGraph());
    expect(validateGraph(convGraph(), 'm.bnn')).toEqual(convGraph());
  });

  it('normalizes key order so equal graphs serialize identically', () => {
    const g = mlpGraph();
    const shuffled = {
      layers: g.layers.map((l) => Object.fromEntries(Object.entries(l).reverse())),
      classes: g.classes,
      input: Object.fromEntries(Object.entries(g.input).reverse()),
      meta: g.meta,
      arch: g.arch,
      name: g.name,
      version: g.version,
      format: g.format,
    };
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(g));
    expect(JSON.stringify(validateGraph(shuffled, 'm.bnn'))).toBe(JSON.stringify(validateGraph(g, 'm.bnn')));
  });

  it('allows any characters in the model name, 1..128 of them', () => {
    const name = 'my net: "v2" / ünïcode <3';
    expect(validateGraph(edited(mlpGraph(), (g) => (g.name = name)), 'm.bnn').name).toBe(name);
    expect(rejects(mlpGraph(), (g) => (g.name = ''))).toBe('name');
    expect(rejects(mlpGraph(), (g) => (g.name = 'x'.repeat(129)))).toBe('name');
    expect(rejects(mlpGraph(), (g) => (g.name = 5))).toBe('name');
  });

  it('checks the top-level fields', () => {
    expect(fieldOf(() => validateGraph(null, 'm.bnn'))).toBe('graph');
    expect(rejects(mlpGraph(), (g) => (g.format = 'onnx'))).toBe('format');
    expect(rejects(mlpGraph(), (g) => (g.version = 3))).toBe('version');
    expect(rejects(mlpGraph(), (g) => (g.version = '1'))).toBe('version');
    expect(rejects(mlpGraph(), (g) => delete g.arch)).toBe('arch');
    expect(rejects(mlpGraph(), (g) => (g.extra = 1))).toBe('extra');
    expect(rejects(mlpGraph(), (g) => (g.classes = 1))).toBe('classes');
    expect(rejects(mlpGraph(), (g) => (g.classes = 65536))).toBe('classes');
    expect(rejects(mlpGraph(), (g) => (g.classes = 2.5))).toBe('classes');
    expect(rejects(mlpGraph(), (g) => (g.layers = []))).toBe('layers');
    expect(rejects(mlpGraph(), (g) => (g.meta = [1, 2]))).toBe('meta');
  });

  it('checks the input spec', () => {
    expect(rejects(mlpGraph(), (g) => (g.input.height = 0))).toBe('input.height');
    expect(rejects(mlpGraph(), (g) => (g.input.width = 3.5))).toBe('input.width');
    expect(rejects(mlpGraph(), (g) => (g.input.channels = 5000))).toBe('input.channels');
    expect(rejects(mlpGraph(), (g) => (g.input.pixelScale = 'big'))).toBe('input.pixelScale');
    expect(rejects(mlpGraph(), (g) => (g.input.pixelOffset = null))).toBe('input.pixelOffset');
    expect(rejects(mlpGraph(), (g) => delete g.input.channels)).toBe('input.channels');
    expect(rejects(mlpGraph(), (g) => (g.input.depth = 1))).toBe('input.depth');
  });

  it('checks each layer kind and its fields', () => {
    // mlp: 0 flatten, 1 fc1, 2 bn1, 3 sign, 4 dropout, 5 fc2, 6 bn2
    expect(rejects(mlpGraph(), (g) => (g.layers[3].kind = 'relu'))).toBe('layers[3].kind');
    expect(rejects(mlpGraph(), (g) => ((g.layers as unknown[])[3] = 'sign'))).toBe('layers[3]');
    expect(rejects(mlpGraph(), (g) => (g.layers[5].name = 'fc1'))).toBe('layers[5].name');
    expect(rejects(mlpGraph(), (g) => (g.layers[1].outFeatures = 0))).toBe('layers[1].outFeatures');
    expect(rejects(mlpGraph(), (g) => (g.layers[1].bias = 1))).toBe('layers[1].bias');
    expect(rejects(mlpGraph(), (g) => (g.layers[1].stride = 1))).toBe('layers[1].stride');
    expect(rejects(mlpGraph(), (g) => delete g.layers[1].bias)).toBe('layers[1].bias');
    expect(rejects(mlpGraph(), (g) => (g.layers[2].eps = 0))).toBe('layers[2].eps');
    expect(rejects(mlpGraph(), (g) => (g.layers[2].momentum = 0))).toBe('layers[2].momentum');
    expect(rejects(mlpGraph(), (g) => (g.layers[2].momentum = 1.5))).toBe('layers[2].momentum');
    expect(rejects(mlpGraph(), (g) => (g.layers[4].p = 1))).toBe('layers[4].p');
    expect(rejects(mlpGraph(), (g) => (g.layers[4].p = -0.1))).toBe('layers[4].p');
    // cnn: 0 conv1, 1 bn1, 2 sign, 3 pool, 4 flatten, 5 fc, 6 bn2
    expect(rejects(convGraph(), (g) => (g.layers[0].padding = 1))).toBe('layers[0].padding');
    expect(rejects(convGraph(), (g) => (g.layers[0].kernel = 0))).toBe('layers[0].kernel');
    expect(rejects(convGraph(), (g) => (g.layers[3].size = 0))).toBe('layers[3].size');
  });

  it('checks shapes through the graph', () => {
    expect(rejects(mlpGraph(), (g) => (g.layers[1].inFeatures = 11))).toBe('layers[1].inFeatures');
    expect(rejects(mlpGraph(), (g) => (g.layers[2].features = 6))).toBe('layers[2].features');
    expect(rejects(mlpGraph(), (g) => (g.classes = 4))).toBe('classes');
    expect(rejects(convGraph(), (g) => (g.layers[0].inChannels = 3))).toBe('layers[0].inChannels');
    expect(rejects(convGraph(), (g) => (g.layers[0].kernel = 7))).toBe('layers[0].kernel');
    expect(rejects(convGraph(), (g) => (g.layers[1].features = 16))).toBe('layers[1].features');
    expect(rejects(convGraph(), (g) => (g.layers[3].size = 5))).toBe('layers[3].size');
    expect(rejects(convGraph(), (g) => (g.layers[5].inFeatures = 36))).toBe('layers[5].inFeatures');
  });

  it('names what was expected and what was found', () => {
    try {
      validateGraph(edited(mlpGraph(), (g) => (g.layers[1].inFeatures = 11)), 'm.bnn');
    } catch (e) {
      expect((e as Error).message).toBe(
        'm.bnn: layers[1].inFeatures: expected 12, the flattened size arriving (input to layers[1] is 1x1x12), got 11',
      );
      return;
    }
    throw new Error('not rejected');
  });

  it('computes the activation shape after every layer', () => {
    expect(inferShapes(convGraph(), 'm.bnn')).toEqual([
      [4, 4, 4],
      [4, 4, 4],
      [4, 4, 4],
      [2, 2, 4],
      [1, 1, 16],
      [1, 1, 3],
      [1, 1, 3],
    ]);
    // Odd sizes: a 5x5 map pooled by 2 keeps floor(5/2) = 2.
    const g = edited(convGraph(), (x) => {
      x.input.height = 7;
      x.input.width = 7;
    }) as ModelGraph;
    expect(inferShapes(validateGraph(g, 'm.bnn'), 'm.bnn')[3]).toEqual([2, 2, 4]);
  });
});

describe('validateTensors', () => {
  const tensorField = (model: Model): string => fieldOf(() => validateTensors(model, 'm.bnn'));

  it('accepts complete models', () => {
    expect(() => validateTensors(tinyMlp(), 'm.bnn')).not.toThrow();
    expect(() => validateTensors(tinyCnn(), 'm.bnn')).not.toThrow();
    expect(expectedTensors(mlpGraph()).map((t) => `${t.name}:${t.shape.join('x')}`)).toEqual([
      'fc1.weight:5x12',
      'bn1.gamma:5',
      'bn1.beta:5',
      'bn1.running_mean:5',
      'bn1.running_var:5',
      'fc2.weight:3x5',
      'fc2.bias:3',
      'bn2.gamma:3',
      'bn2.beta:3',
      'bn2.running_mean:3',
      'bn2.running_var:3',
    ]);
    expect(expectedTensors(convGraph())[0]).toEqual({ name: 'conv1.weight', shape: [4, 3, 3, 2], layer: 0 });
  });

  it('rejects a missing, extra, misshapen or non-finite tensor and a negative variance', () => {
    let m = tinyMlp();
    m.tensors.delete('fc2.bias');
    expect(tensorField(m)).toBe('tensors["fc2.bias"]');

    m = tinyMlp();
    m.tensors.set('fc3.weight', { shape: [1], data: new Float32Array(1) });
    expect(tensorField(m)).toBe('tensors["fc3.weight"]');

    m = tinyMlp();
    m.tensors.set('fc1.weight', { shape: [12, 5], data: m.tensors.get('fc1.weight')!.data });
    expect(tensorField(m)).toBe('tensors["fc1.weight"].shape');

    m = tinyMlp();
    m.tensors.set('fc1.weight', { shape: [5, 12], data: new Float32Array(59) });
    expect(tensorField(m)).toBe('tensors["fc1.weight"].data');

    m = tinyMlp();
    m.tensors.get('bn1.beta')!.data[3] = NaN;
    expect(tensorField(m)).toBe('tensors["bn1.beta"][3]');

    m = tinyMlp();
    m.tensors.get('fc1.weight')!.data[40] = -Infinity;
    expect(tensorField(m)).toBe('tensors["fc1.weight"][40]');

    m = tinyMlp();
    m.tensors.get('bn2.running_var')!.data[1] = -0.5;
    expect(tensorField(m)).toBe('tensors["bn2.running_var"][1]');
  });
});
