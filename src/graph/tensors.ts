/**
 * Which tensors a graph needs, with their shapes, in canonical order (layer order, then
 * weight, bias / gamma, beta, running_mean, running_var). The validator checks a model
 * against this list; builders can use it to allocate a model's tensors in file order.
 */
import type { LayerSpec, ModelGraph } from './types.js';

export interface TensorSpec {
  name: string;
  shape: number[];
  /** Index of the layer that owns it. */
  layer: number;
}

export function layerTensors(layer: LayerSpec): { name: string; shape: number[] }[] {
  switch (layer.kind) {
    case 'dense': {
      const t = [{ name: `${layer.name}.weight`, shape: [layer.outFeatures, layer.inFeatures] }];
      if (layer.bias) t.push({ name: `${layer.name}.bias`, shape: [layer.outFeatures] });
      return t;
    }
    case 'conv2d': {
      const t = [
        { name: `${layer.name}.weight`, shape: [layer.outChannels, layer.kernel, layer.kernel, layer.inChannels] },
      ];
      if (layer.bias) t.push({ name: `${layer.name}.bias`, shape: [layer.outChannels] });
      return t;
    }
    case 'batchnorm':
      return ['gamma', 'beta', 'running_mean', 'running_var'].map((p) => ({
        name: `${layer.name}.${p}`,
        shape: [layer.features],
      }));
    case 'sign':
    case 'maxpool':
    case 'dropout':
    case 'flatten':
      return [];
  }
}

/** Every tensor the graph's layers read, in canonical order. */
export function expectedTensors(graph: ModelGraph): TensorSpec[] {
  return graph.layers.flatMap((layer, i) => layerTensors(layer).map((t) => ({ ...t, layer: i })));
}
