/**
 * The designs the resource model (src/hw/area.ts) is calibrated against: tfc, sfc and lfc
 * at three foldings each (FINN's, a middle one, a small one), covering the first-layer
 * kinds (8-bit parallel, binarized input, bit-serial) and the three pipeline levels.
 * Shared by bench/calibrate-area.ts (which synthesizes them with Yosys and writes
 * test/fixtures/yosys-area.json) and test/hw-area-model.test.ts (which recomputes the
 * model for each and checks the fixture's RTL hash against today's RTL).
 *
 * The bit-serial designs are small (tfc-serial, sfc-mid); their plane select is one 8:1
 * multiplexer per lane in the MVTU (bnnc_mvtu g_plane_select), shared by the PEs.
 *
 * The networks are random (randomFoldedMlp, fixed seeds): no model file to train or
 * commit. Area depends on the weights only through the ROM contents where a ROM is
 * logic (LUTs); tfc-small-seed2 is tfc-small with other random weights, to measure that.
 */
import { createHash } from 'node:crypto';
import { renderDesign } from '../src/emit/emit.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import { planHardware, type HwPlan } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import type { FoldedModel } from '../src/int/types.js';

export type Net = 'tfc' | 'sfc' | 'lfc';
export type FirstLayer = '8-bit' | 'binarized' | 'bit-serial';

export interface CalibrationDesign {
  name: string;
  net: Net;
  /** PE/SIMD per layer (the bit-serial first layer's SIMD counts pixels, 8 planes each). */
  folding: [number, number][];
  firstLayer: FirstLayer;
  pipeline: PipelineLevel;
  seed: number;
  /** Also synthesized for iCE40 (designs that fit an HX8K). */
  ice40: boolean;
  /** FINN's folding for this network (docs/synthesis.md cites them). */
  finn?: boolean;
}

const HIDDEN: Record<Net, number[]> = { tfc: [64, 64, 64], sfc: [256, 256, 256], lfc: [1024, 1024, 1024] };

export const DESIGNS: CalibrationDesign[] = [
  { name: 'tfc-finn', net: 'tfc', folding: [[16, 49], [8, 8], [8, 8], [10, 8]], firstLayer: '8-bit', pipeline: 0, seed: 1, ice40: false, finn: true },
  { name: 'tfc-mid', net: 'tfc', folding: [[4, 49], [2, 8], [2, 8], [1, 8]], firstLayer: 'binarized', pipeline: 1, seed: 1, ice40: true },
  { name: 'tfc-small', net: 'tfc', folding: [[1, 8], [1, 2], [1, 2], [1, 1]], firstLayer: '8-bit', pipeline: 2, seed: 1, ice40: true },
  { name: 'tfc-serial', net: 'tfc', folding: [[2, 56], [1, 8], [1, 8], [1, 8]], firstLayer: 'bit-serial', pipeline: 0, seed: 1, ice40: false },
  { name: 'tfc-small-seed2', net: 'tfc', folding: [[1, 8], [1, 2], [1, 2], [1, 1]], firstLayer: '8-bit', pipeline: 2, seed: 2, ice40: false },
  { name: 'sfc-finn', net: 'sfc', folding: [[8, 49], [4, 32], [4, 32], [1, 8]], firstLayer: 'binarized', pipeline: 2, seed: 1, ice40: false, finn: true },
  { name: 'sfc-mid', net: 'sfc', folding: [[2, 112], [2, 32], [2, 32], [1, 8]], firstLayer: 'bit-serial', pipeline: 1, seed: 1, ice40: false },
  { name: 'sfc-small', net: 'sfc', folding: [[1, 16], [1, 8], [1, 8], [1, 2]], firstLayer: '8-bit', pipeline: 0, seed: 1, ice40: false },
  { name: 'lfc-finn', net: 'lfc', folding: [[32, 49], [64, 32], [32, 64], [10, 8]], firstLayer: 'binarized', pipeline: 0, seed: 1, ice40: false, finn: true },
  { name: 'lfc-mid', net: 'lfc', folding: [[8, 49], [8, 32], [8, 32], [10, 8]], firstLayer: '8-bit', pipeline: 2, seed: 1, ice40: false },
  { name: 'lfc-small', net: 'lfc', folding: [[2, 49], [2, 64], [2, 64], [1, 16]], firstLayer: '8-bit', pipeline: 0, seed: 1, ice40: false },
];

/** The folded model and the plan of a calibration design. */
export function buildDesign(d: CalibrationDesign): { folded: FoldedModel; plan: HwPlan } {
  const folded = randomFoldedMlp({
    input: [28, 28, 1],
    hidden: HIDDEN[d.net],
    classes: 10,
    seed: d.seed,
    name: d.net,
    inputThreshold: d.firstLayer === 'binarized' ? 128 : undefined,
  });
  const plan = planHardware(
    folded,
    { kind: 'perLayer', layers: d.folding.map(([pe, simd]) => ({ pe, simd })), source: 'calibration' },
    { pipeline: d.pipeline, bitSerial: d.firstLayer === 'bit-serial' },
  );
  return { folded, plan };
}

/**
 * SHA-256 of what Yosys reads: the Verilog files and ROM images `bnnc compile` writes
 * for the design (not its README or manifest, which carry the estimate and prose), by
 * name in order. A change of the RTL or of a ROM image changes it.
 */
export function rtlHash(d: CalibrationDesign): string {
  const { folded, plan } = buildDesign(d);
  const { files } = renderDesign(folded, plan);
  const h = createHash('sha256');
  for (const name of [...files.keys()].sort()) {
    if (/\.(md|json|bnn)$/.test(name)) continue;
    h.update(name + '\0');
    h.update(files.get(name)!);
    h.update('\0');
  }
  return h.digest('hex');
}
