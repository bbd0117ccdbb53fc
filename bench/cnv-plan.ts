/**
 * Benchmark (not a test): the hardware plan of FINN's CNV (src/nn/arch.ts `cnv`, 32x32x3,
 * CIFAR-10) at the folding FINN uses for CNV-W1A1, and at --target-cycles of FINN's
 * slowest layer: per stage PE, SIMD, cycles per frame beside FINN's MVAU estimate
 * (NF * SF * OFMDim^2, `get_exp_cycles`), memory bits (weight and threshold ROMs, line
 * memories, queues and banks); network II, images/s at 100 MHz and latency. The plan
 * does not depend on the weight values, so the model has random weights. Prints the
 * figures and writes bench/out/cnv-plan.json.
 *
 *   npx tsx bench/cnv-plan.ts
 *
 * FINN's folding, (PE, SIMD) per MVAU in order conv0..conv5, fc0..fc2: the folding cell
 * of Xilinx/finn notebooks/end2end_example/bnn-pynq/cnv_end2end_example.ipynb
 * ("each tuple is (PE, SIMD, in_fifo_depth) for a layer"); its sliding-window units take
 * the SIMD of the MVAU they feed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelHash } from '../src/graph/io.js';
import { planHardware, type HwPlan } from '../src/hw/plan.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { foldModel } from '../src/int/fold.js';
import { buildModel } from '../src/nn/arch.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FINN_CNV_W1A1: [number, number][] = [
  [16, 3], [32, 32], [16, 32], [16, 32], [4, 32], [1, 32], [1, 4], [1, 8], [5, 1],
];
const CLOCK_HZ = 100e6;

const model = buildModel('cnv', { input: { height: 32, width: 32, channels: 3, pixelScale: 2 / 255, pixelOffset: -1 }, classes: 10, seed: 1 });
const folded = foldModel(model, modelHash(model));

function describePlan(title: string, plan: HwPlan): object {
  console.log(`\n== ${title}`);
  console.log('stage  layer     MW    MH  PE  SIMD    NF   SF  cycles/frame  FINN MVAU est.  weight bits  param bits  buffer bits');
  const rows = plan.stages.map((s) => {
    if (s.kind === 'pool') {
      console.log(`${String(s.index).padEnd(7)}${s.layer.padEnd(10)}${'-'.padStart(4)}${'-'.padStart(6)}${'-'.padStart(4)}${'-'.padStart(6)}${'-'.padStart(6)}${'-'.padStart(5)}${String(s.frameCycles).padStart(14)}${'-'.padStart(16)}${'-'.padStart(13)}${'-'.padStart(12)}${String(s.lineBits).padStart(13)}`);
      return { index: s.index, layer: s.layer, kind: 'pool', frameCycles: s.frameCycles, bufferBits: s.lineBits };
    }
    const finn = s.nf * s.sf * s.vectors;
    console.log(
      `${String(s.index).padEnd(7)}${s.layer.padEnd(10)}${String(s.mw).padStart(4)}${String(s.mh).padStart(6)}${String(s.pe).padStart(4)}${String(s.simd).padStart(6)}${String(s.nf).padStart(6)}${String(s.sf).padStart(5)}` +
        `${String(s.frameCycles).padStart(14)}${String(finn).padStart(16)}${String(s.weightBits).padStart(13)}${String(s.paramBits).padStart(12)}${String(s.bufferBits).padStart(13)}`,
    );
    return { index: s.index, layer: s.layer, kind: 'mvtu', pe: s.pe, simd: s.simd, nf: s.nf, sf: s.sf, frameCycles: s.frameCycles, finnExpCycles: finn, weightBits: s.weightBits, paramBits: s.paramBits, bufferBits: s.bufferBits, fifoDepth: s.feed.kind === 'window' ? s.feed.fifoDepth : undefined, queueColumns: s.feed.kind === 'window' ? s.feed.queueColumns : undefined, banks: s.feed.kind === 'window' ? s.feed.banks : undefined };
  });
  const slowest = Math.max(plan.input.beats, ...plan.stages.map((s) => s.frameCycles));
  const memory = plan.stages.reduce((a, s) => a + (s.kind === 'pool' ? s.lineBits : s.weightBits + s.paramBits + s.bufferBits), 0);
  const ips = CLOCK_HZ / plan.ii;
  console.log(`network II ${plan.ii} cycles (slowest stage ${slowest}), latency ${plan.latency} cycles; at 100 MHz ${ips.toFixed(0)} images/s, latency ${(plan.latency / CLOCK_HZ * 1e6).toFixed(0)} us; memory ${memory} bits`);
  return { title, ii: plan.ii, slowestStage: slowest, latency: plan.latency, imagesPerSecondAt100MHz: ips, memoryBits: memory, stages: rows };
}

const finnSpec: FoldingSpec = { kind: 'perLayer', layers: FINN_CNV_W1A1.map(([pe, simd]) => ({ pe, simd })), source: 'FINN CNV-W1A1 folding' };
const atFinn = planHardware(folded, finnSpec);
const finnSlowest = Math.max(...atFinn.stages.map((s) => (s.kind === 'mvtu' ? s.nf * s.sf * s.vectors : 0)));
const out = {
  clockHz: CLOCK_HZ,
  finnFolding: FINN_CNV_W1A1,
  finnSlowestLayerCycles: finnSlowest,
  plans: [describePlan('FINN CNV-W1A1 folding', atFinn), describePlan(`--target-cycles ${finnSlowest} (FINN's slowest layer)`, planHardware(folded, { kind: 'target', targetCycles: finnSlowest }))],
};
console.log(`\nFINN's own estimate for this folding: the slowest MVAU, ${finnSlowest} cycles per image, ${(CLOCK_HZ / finnSlowest).toFixed(0)} images/s at 100 MHz`);
fs.mkdirSync(path.join(root, 'bench', 'out'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'out', 'cnv-plan.json'), JSON.stringify(out, null, 2) + '\n');
