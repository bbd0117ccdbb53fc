/**
 * Fuzz spec for architecture JSON files: src/nn/arch.ts buildModel(<file.json>), which
 * reads the file, checks the layers against the input (buildGraph) and allocates the
 * initial tensors (initTensors). A graph it accepts must be one the model-file validator
 * accepts too; the tensors are then built when they fit in MAX_BUILD_BYTES (a valid
 * graph may legitimately need a gigabyte, which a fuzz run cannot afford per input).
 */
import path from 'node:path';
import fc from 'fast-check';
import { validateGraph, validateTensors } from '../../../src/graph/validate.js';
import type { InputSpec, Model } from '../../../src/graph/types.js';
import { expectedTensors } from '../../../src/graph/tensors.js';
import { buildGraph, buildModel } from '../../../src/nn/arch.js';
import { ensure } from '../formats.js';
import { showText, smallerText, type LoaderFuzz } from '../harness.js';
import { mutatedJson } from '../mutate-json.js';
import { mutatedText } from '../mutate-text.js';
import { scratchDir, scratchFile } from '../scratch.js';

/** A small input so that legitimate models stay small. */
export const ARCH_INPUT: InputSpec = { height: 3, width: 3, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
export const ARCH_CLASSES = 3;
/** Largest tensor total built per input. */
export const MAX_BUILD_BYTES = 64 * 1024 * 1024;

/**
 * buildGraph, then the graph checked with the model-file validator before any tensor
 * exists (an invalid graph is reported without allocating what it asks for), then
 * buildModel when the tensors are small enough to build.
 */
function loadArch(t: string): unknown {
  const file = scratchFile('arch.json', t);
  const opts = { input: ARCH_INPUT, classes: ARCH_CLASSES, seed: 1 };
  const graph = buildGraph(file, opts);
  try {
    validateGraph(graph, 'built graph');
  } catch (e) {
    throw new Error(`buildGraph accepted a graph the model-file validator refuses: ${(e as Error).message}`);
  }
  const bytes = 4 * expectedTensors(graph).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  return bytes <= MAX_BUILD_BYTES ? buildModel(file, opts) : { graph, tensors: null };
}

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
  load: loadArch,
  sources: () => [path.join(scratchDir(), 'arch.json'), `arch ${path.join(scratchDir(), 'arch.json')}`],
  // The tensors built (at most MAX_BUILD_BYTES) plus slack.
  allocationBudget: () => MAX_BUILD_BYTES + 32 * 1024 * 1024,
  smaller: smallerText,
  accept(value) {
    const m = value as Model | { graph: Model['graph']; tensors: null };
    if (m.tensors === null) return; // a valid graph too large to build here
    const graph = validateGraph(m.graph, 'built model');
    validateTensors({ graph, tensors: m.tensors }, 'built model');
  },
};

export const SPECS: Record<string, LoaderFuzz<string>> = { 'arch-json': archSpec };
