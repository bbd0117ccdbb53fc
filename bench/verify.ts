/**
 * Benchmark (not a test): model file -> verified RTL on all 10 000 MNIST test images,
 * for sfc and lfc. Wall clock split by phase (compile = load + fold + plan + emit;
 * vectors = integer model; build = Verilator + C++, cold, in a fresh cache; simulate),
 * and simulated cycles per second. Prints the figures and writes bench/out/verify.json.
 *
 *   npx tsx bench/verify.ts [sfc|lfc ...] [--folding arch=PExSIMD ...] [--limit N]
 *
 * The model is models/<arch>.bnn when it exists (a trained network), otherwise a
 * random-weight network of that architecture (src/nn/arch.ts buildModel) written to a
 * temporary .bnn first; simulation speed does not depend on the weight values. The goal
 * for lfc is at most 120 s end to end on a 2-core machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { emitDesign } from '../src/emit/emit.js';
import { loadModel, modelHash, saveModel } from '../src/graph/io.js';
import { planHardware } from '../src/hw/plan.js';
import { foldModel } from '../src/int/fold.js';
import { encodeFolded } from '../src/int/serialize.js';
import { buildModel } from '../src/nn/arch.js';
import { verifyRtl } from '../src/sim/verify.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Foldings picked for this machine (see docs/verification.md, Benchmark). */
const DEFAULT_FOLDING: Record<string, { pe: number; simd: number }> = {
  sfc: { pe: 16, simd: 16 },
  lfc: { pe: 32, simd: 32 },
};

interface BenchResult {
  arch: string;
  model: string;
  trained: boolean;
  folding: { pe: number; simd: number };
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
}

function parseArgs(argv: string[]): { archs: string[]; folding: Record<string, { pe: number; simd: number }>; limit?: number } {
  const archs: string[] = [];
  const folding = { ...DEFAULT_FOLDING };
  let limit: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--folding') {
      const m = /^(\w+)=(\d+)x(\d+)$/.exec(argv[++i] ?? '');
      if (!m) throw new Error('--folding arch=PExSIMD');
      folding[m[1]] = { pe: Number(m[2]), simd: Number(m[3]) };
    } else if (a === '--limit') limit = Number(argv[++i]);
    else archs.push(a);
  }
  return { archs: archs.length ? archs : ['sfc', 'lfc'], folding, limit };
}

async function benchArch(arch: string, fold: { pe: number; simd: number }, limit: number | undefined, work: string): Promise<BenchResult> {
  const trainedPath = path.join(root, 'models', `${arch}.bnn`);
  const trained = fs.existsSync(trainedPath);
  let modelPath = trainedPath;
  if (!trained) {
    modelPath = path.join(work, `${arch}-random.bnn`);
    const input = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
    saveModel(modelPath, buildModel(arch, { input, classes: 10, seed: 1 }));
  }
  const ds = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'test');

  const t0 = Date.now();
  const model = loadModel(modelPath);
  const f = foldModel(model, modelHash(model));
  const plan = planHardware(f, { kind: 'uniform', ...fold });
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
  const p = r.phases;
  const accounted = p.vectors + p.build + p.simulate;
  return {
    arch,
    model: trained ? path.relative(root, modelPath) : `random-weight ${arch} (buildModel seed 1)`,
    trained,
    folding: fold,
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
  };
}

async function main(): Promise<void> {
  const { archs, folding, limit } = parseArgs(process.argv.slice(2));
  const results: BenchResult[] = [];
  for (const arch of archs) {
    const fold = folding[arch];
    if (!fold) throw new Error(`no folding for ${arch}; give --folding ${arch}=PExSIMD`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `bnnc-bench-verify-${arch}-`));
    try {
      process.stderr.write(`${arch}: PE ${fold.pe} SIMD ${fold.simd}\n`);
      const b = await benchArch(arch, fold, limit, work);
      results.push(b);
      const ph = b.phases;
      process.stdout.write(
        `${arch} (PE ${b.folding.pe}, SIMD ${b.folding.simd}; ${b.model}): ${b.images} images, ${b.ok ? 'PASS' : `FAIL ${b.failures.join('; ')}`}\n` +
          `  II ${b.measuredII} (planned ${b.plannedII}), latency ${b.measuredLatency} (planned ${b.plannedLatency}), accuracy RTL ${(b.rtlAccuracy * 100).toFixed(2)} % = int ${(b.intAccuracy * 100).toFixed(2)} %\n` +
          `  wall ${ph.total.toFixed(1)} s: compile ${ph.compile.toFixed(1)}, vectors ${ph.vectors.toFixed(1)}, build ${ph.build.toFixed(1)}, simulate ${ph.simulate.toFixed(1)}, other ${ph.other.toFixed(1)}\n` +
          `  ${(b.cyclesPerSecond / 1e6).toFixed(2)} M simulated cycles/s (${b.simulatedCycles} cycles), ${b.imagesPerSecond.toFixed(0)} images/s\n`,
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const out = path.join(root, 'bench', 'out', 'verify.json');
  writeFileAtomic(
    out,
    JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, loadavg: os.loadavg(), results }, null, 2) + '\n',
  );
  process.stdout.write(`wrote ${path.relative(root, out)}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
