/**
 * Benchmark (not a test): the hardware plan of FINN's CNV (src/nn/arch.ts `cnv`, 32x32x3,
 * CIFAR-10) at the folding FINN uses for CNV-W1A1 (foldings/cnv-w1a1.json), and at
 * --target-cycles of FINN's slowest layer: per stage PE, SIMD, cycles per frame beside
 * FINN's figure for the same layer, memory bits (weight and threshold ROMs, line
 * memories, queues and banks); network II, images/s at 100 MHz and latency. The plan
 * does not depend on the weight values, so the model has random weights. Prints the
 * figures and writes bench/out/cnv-plan.json (figures in bench/common.ts's form).
 *
 *   npx tsx bench/cnv-plan.ts
 *
 * FINN's folding: foldings/cnv-w1a1.json, the PE and SIMD of MatrixVectorActivation_0..8
 * in Xilinx/finn-examples build/bnn-pynq/folding_config/cnv-w1a1_folding_config.json
 * (foldings/README.md). FINN's published cycles per image for that build: the "Ext
 * Latency" of each layer in Xilinx/BNN-PYNQ bnn/src/network/cnvW1A1/hw/config.h (the
 * HLS build of CNV-W1A1 with the same PE and SIMD for L0..L7; its last layer is padded to
 * 64 outputs at PE 4, so its L8 figure, 8192, is not this folding's). Beside it, FINN's
 * formula for an MVAU (NF * SF * OFMDim^2, `get_exp_cycles` of MatrixVectorActivation)
 * for every layer of this folding.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { modelHash } from '../src/graph/io.js';
import { planHardware, type HwPlan } from '../src/hw/plan.js';
import { readFoldingFile } from '../src/hw/folding.js';
import { foldModel } from '../src/int/fold.js';
import { buildModel } from '../src/nn/arch.js';
import { writeBenchJson, type BenchFigure } from './common.js';

const loadBefore = os.loadavg();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLD_FILE = path.join(root, 'foldings', 'cnv-w1a1.json');
/** Xilinx/BNN-PYNQ bnn/src/network/cnvW1A1/hw/config.h: "Ext Latency" of L0..L8, cycles per image. */
const BNN_PYNQ_EXT_LATENCY = [32400, 28224, 20736, 28800, 20736, 18432, 32768, 32768, 8192];
/** FINN's network figure: its slowest layer (the dataflow pipeline runs at that rate). */
const FINN_PUBLISHED_II = Math.max(...BNN_PYNQ_EXT_LATENCY);
const CLOCK_HZ = 100e6;

const model = buildModel('cnv', { input: { height: 32, width: 32, channels: 3, pixelScale: 2 / 255, pixelOffset: -1 }, classes: 10, seed: 1 });
const folded = foldModel(model, modelHash(model));

/** published: FINN's per-layer figures when the plan is at FINN's own folding. */
function describePlan(title: string, plan: HwPlan, published: number[] | null): object {
  console.log(`\n== ${title}`);
  console.log('stage  layer     MW    MH  PE  SIMD    NF   SF  cycles/frame  FINN MVAU est.  BNN-PYNQ  weight bits  param bits  buffer bits');
  let mvtuIndex = 0;
  const rows = plan.stages.map((s) => {
    if (s.kind === 'pool') {
      console.log(`${String(s.index).padEnd(7)}${s.layer.padEnd(10)}${'-'.padStart(4)}${'-'.padStart(6)}${'-'.padStart(4)}${'-'.padStart(6)}${'-'.padStart(6)}${'-'.padStart(5)}${String(s.frameCycles).padStart(14)}${'-'.padStart(16)}${'-'.padStart(10)}${'-'.padStart(13)}${'-'.padStart(12)}${String(s.lineBits).padStart(13)}`);
      return { index: s.index, layer: s.layer, kind: 'pool', frameCycles: s.frameCycles, bufferBits: s.lineBits };
    }
    const finn = s.nf * s.sf * s.vectors;
    const pub = published ? String(published[mvtuIndex++]) : '-';
    console.log(
      `${String(s.index).padEnd(7)}${s.layer.padEnd(10)}${String(s.mw).padStart(4)}${String(s.mh).padStart(6)}${String(s.pe).padStart(4)}${String(s.simd).padStart(6)}${String(s.nf).padStart(6)}${String(s.sf).padStart(5)}` +
        `${String(s.frameCycles).padStart(14)}${String(finn).padStart(16)}${pub.padStart(10)}${String(s.weightBits).padStart(13)}${String(s.paramBits).padStart(12)}${String(s.bufferBits).padStart(13)}`,
    );
    return { index: s.index, layer: s.layer, kind: 'mvtu', pe: s.pe, simd: s.simd, nf: s.nf, sf: s.sf, frameCycles: s.frameCycles, finnExpCycles: finn, bnnPynqExtLatency: published ? Number(pub) : undefined, weightBits: s.weightBits, paramBits: s.paramBits, bufferBits: s.bufferBits, fifoDepth: s.feed.kind === 'window' ? s.feed.fifoDepth : undefined, queueColumns: s.feed.kind === 'window' ? s.feed.queueColumns : undefined, banks: s.feed.kind === 'window' ? s.feed.banks : undefined };
  });
  const slowest = Math.max(plan.input.beats, ...plan.stages.map((s) => s.frameCycles));
  const memory = plan.stages.reduce((a, s) => a + (s.kind === 'pool' ? s.lineBits : s.weightBits + s.paramBits + s.bufferBits), 0);
  const ips = CLOCK_HZ / plan.ii;
  console.log(`network II ${plan.ii} cycles (slowest stage ${slowest}), latency ${plan.latency} cycles; at 100 MHz ${ips.toFixed(0)} images/s, latency ${(plan.latency / CLOCK_HZ * 1e6).toFixed(0)} us; memory ${memory} bits`);
  return { title, ii: plan.ii, slowestStage: slowest, latency: plan.latency, imagesPerSecondAt100MHz: ips, memoryBits: memory, stages: rows };
}

const finnSpec = readFoldingFile(FOLD_FILE).spec;
const atFinn = planHardware(folded, finnSpec);
const finnSlowest = Math.max(...atFinn.stages.map((s) => (s.kind === 'mvtu' ? s.nf * s.sf * s.vectors : 0)));
const atTarget = planHardware(folded, { kind: 'target', targetCycles: finnSlowest });
const plans = [describePlan(`FINN CNV-W1A1 folding (${path.relative(root, FOLD_FILE)})`, atFinn, BNN_PYNQ_EXT_LATENCY), describePlan(`--target-cycles ${finnSlowest} (FINN's slowest layer)`, atTarget, null)];
console.log(`\nFINN's own estimate for this folding: the slowest MVAU, ${finnSlowest} cycles per image, ${(CLOCK_HZ / finnSlowest).toFixed(0)} images/s at 100 MHz`);
console.log(`FINN's published figure (BNN-PYNQ cnvW1A1 config.h, slowest layer): ${FINN_PUBLISHED_II} cycles per image; bnnc's plan at FINN's folding: ${atFinn.ii} (${(atFinn.ii / FINN_PUBLISHED_II).toFixed(2)}x)`);

const figure = (name: string, unit: string, value: number, peerValue: number | null, better: 'higher' | 'lower'): BenchFigure => ({
  name,
  unit,
  value,
  peer: peerValue === null ? null : "FINN CNV-W1A1 (BNN-PYNQ config.h, slowest layer's Ext Latency)",
  peerValue,
  ratio: peerValue === null ? null : value / peerValue,
  better,
  runs: 1,
});
const figures: BenchFigure[] = [
  figure("cnv at FINN's CNV-W1A1 folding: cycles per image (planned II)", 'cycles', atFinn.ii, FINN_PUBLISHED_II, 'lower'),
  figure("cnv at FINN's CNV-W1A1 folding: images/s at 100 MHz", 'images/s', CLOCK_HZ / atFinn.ii, CLOCK_HZ / FINN_PUBLISHED_II, 'higher'),
  figure("cnv at FINN's CNV-W1A1 folding: latency (planned)", 'cycles', atFinn.latency, null, 'lower'),
  figure(`cnv at --target-cycles ${finnSlowest}: cycles per image (planned II)`, 'cycles', atTarget.ii, FINN_PUBLISHED_II, 'lower'),
];
fs.mkdirSync(path.join(root, 'bench', 'out'), { recursive: true });
writeBenchJson('cnv-plan', figures, {
  clockHz: CLOCK_HZ,
  foldingFile: path.relative(root, FOLD_FILE),
  finnFolding: finnSpec.layers,
  bnnPynqExtLatency: BNN_PYNQ_EXT_LATENCY,
  finnPublishedII: FINN_PUBLISHED_II,
  finnSlowestLayerCycles: finnSlowest,
  plans,
}, loadBefore);
