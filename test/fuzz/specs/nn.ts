/**
 * Fuzz spec for architecture JSON files: src/nn/arch.ts buildModel(<file.json>), which
 * reads the file, checks the layers against the input and allocates the initial tensors.
 * A model it builds must be one the model-file validator accepts.
 */
import path from 'node:path';
import fc from 'fast-check';
import { validateGraph, validateTensors } from '../../../src/graph/validate.js';
import type { InputSpec, Model } from '../../../src/graph/types.js';
import { buildModel } from '../../../src/nn/arch.js';
import { ensure } from '../formats.js';
import { showText, smallerText, type LoaderFuzz } from '../harness.js';
import { mutatedJson } from '../mutate-json.js';
import { mutatedText } from '../mutate-text.js';
import { scratchDir, scratchFile } from '../scratch.js';

/** A small input so that legitimate models stay small. */
export const ARCH_INPUT: InputSpec = { height: 3, width: 3, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
export const ARCH_CLASSES = 3;

const ARCH_BASES: unknown[] = [
  [{ type: 'conv', channels: 2, kernel: 2 }, { type: 'pool', size: 2 }, { type: 'fc', units: 4, bias: true }, { type: 'fc', units: 3 }],
  { layers: [{ type: 'fc', units: 8 }, { type: 'fc', units: 3, bias: false }] },
];

export const archSpec: LoaderFuzz<string> = {
  name: 'arch-json',
  file: 'src/nn/arch.ts',
  inputs: fc.oneof(
    { weight: 4, arbitrary: mutatedJson(ARCH_BASES) },
    { weight: 1, arbitrary: mutatedText(ARCH_BASES.map((a) => JSON.stringify(a)), ['{', '}', '[', ']', ',', '"', '"fc"', '"conv"', '"pool"', 'null']) },
  ),
  size: (t) => t.length,
  show: (t) => showText(t),
  bases: ARCH_BASES.map((a) => JSON.stringify(a)),
  load: (t) => buildModel(scratchFile('arch.json', t), { input: ARCH_INPUT, classes: ARCH_CLASSES, seed: 1 }),
  sources: () => [path.join(scratchDir(), 'arch.json'), `arch ${path.join(scratchDir(), 'arch.json')}`],
  // Tensors of a model within the graph limits may be large; 96 MiB is far above any
  // the base architectures grow into by single-field changes that stay within them.
  allocationBudget: () => 96 * 1024 * 1024,
  smaller: smallerText,
  accept(value) {
    const m = value as Model;
    const graph = validateGraph(m.graph, 'built model');
    validateTensors({ graph, tensors: m.tensors }, 'built model');
  },
};

export const SPECS: Record<string, LoaderFuzz<string>> = { 'arch-json': archSpec };
