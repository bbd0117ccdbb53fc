/**
 * Benchmark (not a test): model file -> verified RTL on all 10 000 test images: sfc and
 * lfc on MNIST, cnv28 on Fashion-MNIST. Wall clock split by phase (compile = load + fold
 * + plan + emit; vectors = integer model; build = Verilator + C++, cold, in a fresh
 * cache; simulate), and simulated cycles per second. Prints the figures and writes
 * bench/out/verify.json (figures in bench/common.ts's form).
 *
 *   npx tsx bench/verify.ts [sfc|lfc|cnv28 ...] [--folding arch=PExSIMD ...] [--model arch=FILE ...] [--limit N] [--synth]
 *
 * --synth: then `bnnc synth DIR --target xc7 --no-pnr` of the same design (src/synth:
 * Yosys synth_xilinx), its Yosys run time and LUT count.
 *
 * The model is --model's file, else models/<arch>.bnn when it exists (a trained network),
 * otherwise a random-weight network of that architecture (src/nn/arch.ts buildModel)
 * written to a temporary .bnn first; simulation speed does not depend on the weight
 * values. Goals on a 2-core machine: lfc at most 120 s end to end; cnv28 (at
 * --target-cycles 8000, as `make demo-cnv`) at most 10 minutes. BENCH=quick: the first
 * 1000 images only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { emitDesign } from '../src/emit/emit.js';
import { loadModel, modelHash, saveModel } from '../src/graph/io.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { planHardware } from '../src/hw/plan.js';
import { foldModel } from '../src/int/fold.js';
import { encodeFolded } from '../src/int/serialize.js';
import { buildModel } from '../src/nn/arch.js';
import { verifyRtl } from '../src/sim/verify.js';
import { runSynth } from '../src/synth/synth.js';
import { QUICK, writeBenchJson, type BenchFigure } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Per network: its dataset and the folding picked for this machine (see
 * docs/verification.md, Benchmark); cnv28 at `make demo-cnv`'s target.
 */
export const ARCHS: Record<string, { dataset: 'mnist' | 'fashion-mnist'; folding: FoldingSpec }> = {
  sfc: { dataset: 'mnist', folding: { kind: 'uniform', pe: 16, simd: 16 } },
  lfc: { dataset: 'mnist', folding: { kind: 'uniform', pe: 32, simd: 32 } },
  cnv28: { dataset: 'fashion-mnist', folding: { kind: 'target', targetCycles: 8000 } },
};

const describeFolding = (f: FoldingSpec): string =>
  f.kind === 'uniform' ? `PE ${f.pe}, SIMD ${f.simd}` : f.kind === 'target' ? `--target-cycles ${f.targetCycles}` : f.kind === 'fit' ? 'the fastest within the resource limits' : f.source;

export interface BenchResult {
  arch: string;
  model: string;
  trained: boolean;
  folding: string;
  dataset: string;
  images: number;
  ok: boolean;
  failures: string[];
  plannedII: number;
  plannedLatency: number;
  measuredII: number | null;
  measuredLatency: number | null;
  rtlAccuracy: number;
  intAccuracy: number;
  phases: { compile: number; vectors: number; build: number; simulate: number; other: number; total: number };
  simulatedCycles: number;
  cyclesPerSecond: number;
  imagesPerSecond: number;
  verilatorWarnings: number;
  synth: { yosysSeconds: number; luts: number; flipFlops: number; bram: number } | null;
}

function parseArgs(argv: string[]): { archs: string[]; folding: Record<string, FoldingSpec>; models: Record<string, string>; limit?: number; synth: boolean } {
  const archs: string[] = [];
  const folding: Record<string, FoldingSpec> = Object.fromEntries(Object.entries(ARCHS).map(([a, c]) => [a, c.folding]));
  const models: Record<string, string> = {};
  let limit: number | undefined = QUICK ? 1000 : undefined;
  let synth = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--folding') {
      const m = /^(\w+)=(\d+)x(\d+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--folding arch=PExSIMD');
      folding[m[1]] = { kind: 'uniform', pe: Number(m[2]), simd: Number(m[3]) };
    } else if (a === '--model') {
      const m = /^(\w+)=(.+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--model arch=FILE');
      models[m[1]] = m[2];
    } else if (a === '--limit') limit = Number(argv[++i]);
    else if (a === '--synth') synth = true;
    else if (ARCHS[a]) archs.push(a);
    else throw new Error(`unknown network ${a} (one of ${Object.keys(ARCHS).join(', ')})`);
  }
  return { archs: archs.length ? archs : QUICK ? ['sfc'] : Object.keys(ARCHS), folding, models, limit, synth };
}

async function benchArch(arch: string, fold: FoldingSpec, modelFile: string | undefined, limit: number | undefined, synth: boolean, work: string): Promise<BenchResult> {
  const trainedPath = modelFile ? path.resolve(modelFile) : path.join(root, 'models', `${arch}.bnn`);
  const trained = fs.existsSync(trainedPath);
  let modelPath = trainedPath;
  if (!trained) {
    modelPath = path.join(work, `${arch}-random.bnn`);
    const input = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
    saveModel(modelPath, buildModel(arch, { input, classes: 10, seed: 1 }));
  }
  const dataset = ARCHS[arch].dataset;
  const ds = loadDataset(datasetSpecFromArgs({ dataset }), 'test');

  const t0 = Date.now();
  const model = loadModel(modelPath);
  const f = foldModel(model, modelHash(model));
  const plan = planHardware(f, fold);
  const rtlDir = path.join(work, `${arch}-rtl`);
  emitDesign(f, plan, rtlDir, { encodeFolded });
  const compile = (Date.now() - t0) / 1000;

  const t1 = Date.now();
  let lastPrint = 0;
  const r = await verifyRtl({
    rtlDir,
    dataset: ds,
    folded: f,
    limit,
    // A fresh cache: the build is measured cold.
    cacheDir: path.join(work, 'cache'),
    onProgress: (p) => {
      const now = Date.now();
      if (p.phase === 'simulate' && (now - lastPrint > 5000 || p.done === p.total)) {
        lastPrint = now;
        process.stderr.write(`  ${arch}: ${p.done}/${p.total} images, cycle ${p.cycle}\n`);
      }
    },
  });
  const verifyWall = (Date.now() - t1) / 1000;
  let synthFigures: BenchResult['synth'] = null;
  if (synth) {
    process.stderr.write(`  ${arch}: bnnc synth --target xc7 --no-pnr\n`);
    const rep = await runSynth({ rtlDir, target: 'xc7', clockMhz: 100, pnr: false, bitstream: false, out: path.join(work, `${arch}-synth`) });
    synthFigures = { yosysSeconds: rep.seconds.yosys, luts: rep.total.luts, flipFlops: rep.total.ffs, bram: rep.total.bram };
  }
  const p = r.phases;
  const accounted = p.vectors + p.build + p.simulate;
  return {
    arch,
    model: trained ? path.relative(root, modelPath) : `random-weight ${arch} (buildModel seed 1)`,
    trained,
    folding: describeFolding(fold),
    dataset,
    images: r.frames,
    ok: r.ok,
    failures: r.failures,
    plannedII: r.cycles.planned.ii,
    plannedLatency: r.cycles.planned.latency,
    measuredII: r.cycles.measured?.ii ?? null,
    measuredLatency: r.cycles.measured?.latency ?? null,
    rtlAccuracy: r.rtlAccuracy,
    intAccuracy: r.intAccuracy,
    phases: {
      compile,
      vectors: p.vectors,
      build: p.build,
      simulate: p.simulate,
      other: verifyWall - accounted,
      total: compile + verifyWall,
    },
    simulatedCycles: r.speed.simulatedCycles,
    cyclesPerSecond: r.speed.cyclesPerSecond,
    imagesPerSecond: r.speed.imagesPerSecond,
    verilatorWarnings: r.build.warnings,
    synth: synthFigures,
  };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const { archs, folding, models, limit, synth } = parseArgs(process.argv.slice(2));
  const results: BenchResult[] = [];
  const figures: BenchFigure[] = [];
  for (const arch of archs) {
    const fold = folding[arch];
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `bnnc-bench-verify-${arch}-`));
    try {
      process.stderr.write(`${arch}: ${describeFolding(fold)}\n`);
      const b = await benchArch(arch, fold, models[arch], limit, synth, work);
      results.push(b);
      const ph = b.phases;
      process.stdout.write(
        `${arch} (${b.folding}; ${b.model}): ${b.images} ${b.dataset} test images, ${b.ok ? 'PASS' : `FAIL ${b.failures.join('; ')}`}\n` +
          `  II ${b.measuredII} (planned ${b.plannedII}), latency ${b.measuredLatency} (planned ${b.plannedLatency}), accuracy RTL ${(b.rtlAccuracy * 100).toFixed(2)} % = int ${(b.intAccuracy * 100).toFixed(2)} %\n` +
          `  wall ${ph.total.toFixed(1)} s: compile ${ph.compile.toFixed(1)}, vectors ${ph.vectors.toFixed(1)}, build ${ph.build.toFixed(1)}, simulate ${ph.simulate.toFixed(1)}, other ${ph.other.toFixed(1)}\n` +
          `  ${(b.cyclesPerSecond / 1e6).toFixed(2)} M simulated cycles/s (${b.simulatedCycles} cycles), ${b.imagesPerSecond.toFixed(0)} images/s\n` +
          (b.synth ? `  Yosys synth_xilinx ${b.synth.yosysSeconds.toFixed(1)} s: ${b.synth.luts} LUT, ${b.synth.flipFlops} FF, ${b.synth.bram} BRAM\n` : ''),
      );
      const fig = (what: string, unit: string, value: number, better: 'higher' | 'lower'): BenchFigure => ({
        name: `${arch} model -> verified RTL, ${b.images} ${b.dataset} images: ${what}`,
        unit,
        value,
        peer: null,
        peerValue: null,
        ratio: null,
        better,
        runs: 1,
      });
      figures.push(
        fig('wall clock', 's', ph.total, 'lower'),
        fig('Verilator build (cold)', 's', ph.build, 'lower'),
        fig('simulate', 's', ph.simulate, 'lower'),
        fig('integer-model vectors', 's', ph.vectors, 'lower'),
        fig('simulated cycles/s', 'cycles/s', b.cyclesPerSecond, 'higher'),
      );
      if (b.synth) figures.push(fig(`Yosys run time, synth_xilinx (${b.synth.luts} LUT, ${b.synth.flipFlops} FF)`, 's', b.synth.yosysSeconds, 'lower'));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const out = writeBenchJson('verify', figures, { cpus: os.cpus().length, results }, loadBefore);
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

// Run as a script (bench/results.ts imports ARCHS without running it).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
