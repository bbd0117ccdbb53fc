/**
 * bnnc verify: run a dataset split through a compiled design and compare every result
 * with the integer model, bit for bit, with the cycle figures against the plan.
 *
 *   bnnc verify RTL_DIR --dataset mnist [--split test] [--limit N] [--gaps P]
 *       [--backpressure P] [--resets P] [--boundary] [--strict] [--seed S] [--vcd FILE --images A:B]
 *       [--sim verilator|cocotb] [--json]
 *
 * Exit status 0 only when every image matches (class and every score), every frame
 * comes out exactly once and in order, and the measured II and latency equal the plan.
 * See docs/verification.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { datasetInputs, datasetOptions, datasetSpecFromArgs, loadDataset, subset, type DatasetArgs } from '../data/registry.js';
import type { Split } from '../data/types.js';
import { BnncError, InputError, MismatchError } from '../errors.js';
import { resultInputBeats } from '../hw/result-beats.js';
import { checkDatasetFits } from '../int/source.js';
import { loadFolded } from '../int/serialize.js';
import { writeVectors } from '../int/vectors.js';
import { readDesign } from '../sim/design.js';
import { copyDesign } from '../sim/design-copy.js';
import { formatVerifyReport } from '../sim/report.js';
import { verifyRtl, type VerifyProgress } from '../sim/verify.js';
import { MAX_RESET_PROBABILITY, MAX_TRAFFIC_PROBABILITY } from '../sim/verilator.js';
import { declareIo } from '../util/outputs.js';
import { Progress } from '../util/progress.js';
import { makeWorkDir } from '../util/stale.js';

interface VerifyArgs extends DatasetArgs {
  rtlDir: string;
  split: Split;
  limit?: number;
  gaps: number;
  backpressure: number;
  seed: number;
  vcd?: string;
  images?: string;
  sim: 'verilator' | 'cocotb';
  json: boolean;
  strict: boolean;
  resets: number;
  boundary: boolean;
}

const CLI = 'command line';
/** Images run through cocotb (Icarus) when --limit is not given. */
export const COCOTB_DEFAULT_LIMIT = 200;

function probability(name: string, v: number, max = MAX_TRAFFIC_PROBABILITY): number {
  if (!(typeof v === 'number' && v >= 0 && v <= max)) throw new InputError(CLI, name, `a probability in [0, ${max}]`, String(v));
  return v;
}

/** "A:B" -> [A, B), run positions. */
export function parseImageRange(text: string): { from: number; to: number } {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m || Number(m[1]) >= Number(m[2])) throw new InputError(CLI, '--images', 'A:B with A < B (run positions, B exclusive)', JSON.stringify(text));
  return { from: Number(m[1]), to: Number(m[2]) };
}

/** A Progress bar per simulation phase, with images/s. */
function progressPrinter(enabled: boolean): (p: VerifyProgress) => void {
  let bar: Progress | null = null;
  let phase = '';
  let t0 = Date.now();
  return (p) => {
    if (!enabled || p.phase === 'vectors') return;
    if (p.phase === 'build') {
      process.stderr.write('verilator: building the simulation (or reusing the cached build)...\n');
      return;
    }
    if (p.phase !== phase) {
      bar?.done();
      phase = p.phase;
      bar = new Progress(`verilator ${p.phase}`, p.total);
      t0 = Date.now();
    }
    const secs = (Date.now() - t0) / 1000;
    const rate = secs > 0 ? `${(p.done / secs).toFixed(0)} images/s` : '';
    if (p.done >= p.total) {
      bar!.done(rate);
      bar = null;
      phase = '';
    } else bar!.update(p.done, rate);
  };
}

async function runCocotb(args: ArgumentsCamelCase<VerifyArgs>): Promise<void> {
  // Imported on demand: the cocotb bridge is optional (Python, cocotb, Icarus).
  let mod: typeof import('../sim/cocotb.js');
  try {
    mod = await import('../sim/cocotb.js');
  } catch (e) {
    throw new BnncError(`--sim cocotb: the cocotb bridge (src/sim/cocotb.ts) is not available: ${(e as Error).message}`);
  }
  readDesign(args.rtlDir);
  let ds = loadDataset(datasetSpecFromArgs(args), args.split);
  // Icarus runs a few hundred images a minute: without --limit, a sample, not the split.
  const limit = args.limit ?? COCOTB_DEFAULT_LIMIT;
  if (limit < ds.n) ds = subset(ds, 0, limit);
  const work = makeWorkDir('bnnc-verify-cocotb-');
  try {
    // As for Verilator: a private copy of the design, checked against compile's hashes.
    const copy = copyDesign(args.rtlDir, path.join(work, 'design'));
    const design = copy.design;
    if (!design.foldedPath) throw new InputError(design.manifestPath, 'files.folded', 'a folded model copy (folded.bnnf)', 'null');
    const f = loadFolded(design.foldedPath);
    checkDatasetFits(ds, f);
    if (!args.json) for (const l of copy.changed) process.stderr.write(`bnnc: note: ${args.rtlDir}: ${l}; verifying the design as it is now\n`);
    const vectorsPath = path.join(work, 'vectors.bnnv');
    writeVectors(vectorsPath, f, ds.images, Uint32Array.from({ length: ds.n }, (_, i) => i), ds.labels, { activations: false });
    // As for Verilator: a ConvNet whose pool drops the last rows may give a frame's
    // result before its last beats.
    const resultBeats = resultInputBeats(f, Math.ceil(design.pixels / design.inPix));
    const report = await mod.runCocotbVerify({ rtlDir: design.rtlDir, vectorsPath, seed: args.seed, resultBeats });
    if (args.json) process.stdout.write(JSON.stringify(report) + '\n');
    else {
      process.stdout.write(
        `cocotb (${report.simulator}) on ${ds.name}, ${ds.n} images: ` +
          report.tests.map((t) => `${t.name} ${t.status}`).join(', ') +
          '\n' +
          mod.describeCocotbFailures(report).map((l) => `  ${l}\n`).join('') +
          (report.ok ? 'PASS\n' : 'FAIL\n'),
      );
    }
    if (!report.ok) throw new MismatchError(`cocotb: ${mod.describeCocotbFailures(report).join('; ')}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <rtl-dir>',
  describe: 'simulate a compiled design on a dataset split and compare it bit for bit with the integer model',
  builder: (y: Argv<object>) =>
    y
      .positional('rtl-dir', { type: 'string', demandOption: true, describe: 'directory written by bnnc compile' })
      .options(datasetOptions)
      .option('split', { type: 'string', choices: ['train', 'test'], default: 'test', describe: 'dataset split' })
      .option('limit', { type: 'number', describe: `the first N images of the split only (default: all; ${COCOTB_DEFAULT_LIMIT} with --sim cocotb)` })
      .option('gaps', { type: 'number', default: 0, describe: `probability per cycle of an idle cycle on s_axis (at most ${MAX_TRAFFIC_PROBABILITY})` })
      .option('backpressure', { type: 'number', default: 0, describe: `probability per cycle of m_axis_tready low (at most ${MAX_TRAFFIC_PROBABILITY})` })
      .option('resets', { type: 'number', default: 0, describe: `chance per frame of a seeded mid-frame or mid-result reset (at most ${MAX_RESET_PROBABILITY})` })
      .option('boundary', {
        type: 'boolean',
        default: false,
        describe: 'add directed images (small perturbations of the images run) that drive threshold neurons to T-1 and T',
      })
      .option('strict', { type: 'boolean', default: false, describe: 'a design file changed since compile (manifest sha256) is an error, not a note' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the gaps, back-pressure, resets and initial state' })
      .option('vcd', { type: 'string', describe: 'write a VCD waveform of the frames given by --images' })
      .option('images', { type: 'string', describe: 'A:B, run positions dumped to --vcd (B exclusive)' })
      .option('sim', { type: 'string', choices: ['verilator', 'cocotb'], default: 'verilator', describe: 'simulator' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of text' }) as unknown as Argv<VerifyArgs>,
  handler: async (args: ArgumentsCamelCase<VerifyArgs>) => {
    if (args.limit !== undefined && !(Number.isInteger(args.limit) && args.limit >= 1)) {
      throw new InputError(CLI, '--limit', 'a positive integer', String(args.limit));
    }
    if (!(Number.isInteger(args.seed) && args.seed >= 0)) throw new InputError(CLI, '--seed', 'a non-negative integer', String(args.seed));
    probability('--gaps', args.gaps);
    probability('--backpressure', args.backpressure);
    probability('--resets', args.resets, MAX_RESET_PROBABILITY);
    const spec = datasetSpecFromArgs(args);
    // Before the simulation: the waveform is writable and lands outside the design and the data.
    const [vcdPath] = declareIo({
      inputs: [{ path: args.rtlDir, what: 'design directory', kind: 'dir' }, ...datasetInputs(spec, [args.split])],
      outputs: args.vcd === undefined ? [] : [{ path: args.vcd, what: 'waveform', kind: 'file' }],
    });
    if ((args.vcd === undefined) !== (args.images === undefined)) {
      throw new InputError(CLI, '--vcd / --images', 'both or neither (the VCD covers the frames A:B)');
    }
    if (args.sim === 'cocotb') {
      if (args.vcd !== undefined || args.gaps > 0 || args.backpressure > 0 || args.resets > 0 || args.strict || args.boundary) {
        throw new InputError(CLI, '--sim cocotb', 'no --vcd, --gaps, --backpressure, --resets, --strict or --boundary (its testbenches choose their own traffic)');
      }
      await runCocotb(args);
      return;
    }
    const range = args.images === undefined ? undefined : parseImageRange(args.images);
    const design = readDesign(args.rtlDir);
    if (!design.foldedPath) throw new InputError(design.manifestPath, 'files.folded', 'a folded model copy (folded.bnnf)', 'null');
    const folded = loadFolded(design.foldedPath);
    const ds = loadDataset(spec, args.split);
    checkDatasetFits(ds, folded);

    // No `folded` here: verifyRtl reads the folded model from its private copy of the
    // design, so a compile into the directory meanwhile cannot pair one design's RTL
    // with another's model (the one loaded above only checks the dataset early).
    const report = await verifyRtl({
      rtlDir: args.rtlDir,
      dataset: ds,
      limit: args.limit,
      gaps: args.gaps,
      backpressure: args.backpressure,
      seed: args.seed,
      resets: args.resets,
      strict: args.strict,
      boundary: args.boundary,
      vcd: range && vcdPath ? { file: vcdPath, ...range } : undefined,
      onProgress: progressPrinter(!args.json),
    });
    process.stdout.write(args.json ? JSON.stringify(report) + '\n' : formatVerifyReport(report));
    if (!report.ok) throw new MismatchError(`verification failed: ${report.failures.join('; ')}`);
  },
};

export default verifyCommand;
