/**
 * bnnc demo: the whole flow on a built-in dataset, as a newcomer's first run.
 *
 *   train (sfc on MNIST, a few epochs; or --model, an already trained model) -> eval
 *   (float vs integer) -> compile -> verify (all test images through Verilator) ->
 *   report (bnnc report: an HTML page and a markdown summary)
 *
 * `--arch cnv28` runs the ConvNet on Fashion-MNIST (the default dataset of a ConvNet)
 * at --target-cycles 8000 (the default for a ConvNet: the input alone takes 784).
 *
 * Each step runs the same code as its own command and prints the command line that does
 * it alone, so the demo doubles as a tutorial. Everything goes into one run directory
 * (default runs/demo-<arch>/): demo-<arch>.bnn with its curves, rtl/, verify.json, run.json
 * (the commands, their times and results) and report.html / report.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadDataset, datasetSpecFromArgs } from '../data/registry.js';
import { InputError, MismatchError } from '../errors.js';
import { loadModel, modelHash } from '../graph/io.js';
import { foldModel } from '../int/fold.js';
import { inferIntBatch } from '../int/infer.js';
import { predictFloat } from '../nn/predict.js';
import { bnncVersion } from '../emit/templates.js';
import { machineInfo, writeRun, RUN_VERSION, RUN_FORMAT, type RunRecord, type RunStep } from '../report/run.js';
import { writeReport } from '../report/write.js';
import { formatVerifyReport } from '../sim/report.js';
import { verifyRtl } from '../sim/verify.js';
import { writeFileAtomic } from '../util/atomic.js';
import { confusionMatrix } from '../util/confusion.js';
import { Progress } from '../util/progress.js';
import { declareIo, makeDirs } from '../util/outputs.js';
import { checkOutputDir } from '../emit/emit.js';
import trainCommand from './train.js';
import compileCommand from './compile.js';

interface DemoArgs {
  arch: string;
  dataset?: string;
  model?: string;
  epochs: number;
  seed: number;
  'target-cycles'?: number;
  limit?: number;
  'train-limit'?: number;
  out?: string;
}

/** Run one of our commands in-process with an argv, exactly as the CLI would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function runCommand(cmd: CommandModule<any, any>, argv: string[]): Promise<void> {
  process.stdout.write(`\n$ bnnc ${argv.join(' ')}\n`);
  await yargs(argv)
    .command(cmd)
    .strict()
    .fail((msg, err) => {
      throw err ?? new InputError('demo', argv[0], 'valid arguments', msg);
    })
    .parseAsync();
}

const pct = (v: number): string => `${(v * 100).toFixed(2)} %`;

const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'train (or load), fold, compile and verify a model (sfc on MNIST; cnv28 on Fashion-MNIST), and report float/integer/RTL accuracy',
  builder: (y: Argv<object>) =>
    y
      .option('arch', { type: 'string', default: 'sfc', describe: 'architecture to train (built-in or spec, e.g. sfc, cnv28)' })
      .option('dataset', { type: 'string', choices: ['mnist', 'fashion-mnist'], describe: 'dataset (default: fashion-mnist for a ConvNet, mnist otherwise)' })
      .option('model', { type: 'string', describe: 'a trained model file (with its .curves.json beside it) to use instead of training one; it is copied into the run directory' })
      .option('epochs', { type: 'number', default: 10, describe: 'training epochs' })
      .option('seed', { type: 'number', default: 1, describe: 'training seed' })
      .option('target-cycles', { type: 'number', describe: 'folding target: every stage\'s cycles per frame at most this many (default 1024 for an MLP, 8000 for a ConvNet)' })
      .option('limit', { type: 'number', describe: 'verify only the first N test images (default: all 10 000)' })
      .option('train-limit', { type: 'number', describe: 'train on at most N images (quick runs)' })
      .option('out', { type: 'string', describe: 'run directory: model, RTL, verify.json, run.json, report (default runs/demo-<arch>)' }) as unknown as Argv<DemoArgs>,
  handler: async (args: ArgumentsCamelCase<DemoArgs>) => {
    const name = `demo-${args.arch.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const runDir = args.out ?? path.join('runs', name);
    // The model is named after its file, and the Verilog top after the model.
    const modelFile = `${name}.bnn`;
    const modelPath = path.join(runDir, modelFile);
    const rtlDir = path.join(runDir, 'rtl');
    const verifyPath = path.join(runDir, 'verify.json');
    const isConv = args.arch === 'cnv' || args.arch === 'cnv28' || args.arch.startsWith('conv:');
    const dataset = args.dataset ?? (isConv ? 'fashion-mnist' : 'mnist');
    const targetCycles = args['target-cycles'] ?? (isConv ? 8000 : 1024);
    const curvesPath = `${modelPath}.curves.json`;
    // Every output is checked before the training starts (src/util/outputs.ts); the
    // steps check theirs again when they run.
    const given = args.model === undefined ? [] : [{ path: args.model, what: 'model file' }, { path: `${args.model}.curves.json`, what: 'training curves' }];
    declareIo({
      inputs: given,
      outputs: [
        { path: modelPath, what: 'model file', kind: 'file' },
        { path: curvesPath, what: 'training curves', kind: 'file' },
        { path: rtlDir, what: 'output directory', kind: 'dir' },
        { path: verifyPath, what: 'verify results', kind: 'file' },
        { path: path.join(runDir, 'run.json'), what: 'run record', kind: 'file' },
        { path: path.join(runDir, 'report.html'), what: 'report', kind: 'file' },
        { path: path.join(runDir, 'report.md'), what: 'report', kind: 'file' },
      ],
    });
    checkOutputDir(rtlDir);
    if (args.model !== undefined && !fs.existsSync(`${args.model}.curves.json`)) {
      throw new InputError(args.model, 'curves', `${args.model}.curves.json beside it (bnnc train writes it; the report draws it)`, 'no such file');
    }
    const started = new Date().toISOString();
    const machine = machineInfo();
    const steps: RunStep[] = [];
    /** Time one step and record the command line that does it alone. */
    const step = async <T>(stepName: string, command: string[], work: () => Promise<T>, stdout?: string): Promise<T> => {
      const t0 = Date.now();
      const entry: RunStep = { name: stepName, command: ['bnnc', ...command], ...(stdout ? { stdout } : {}), started: new Date(t0).toISOString(), seconds: 0, ok: false };
      steps.push(entry);
      const result = await work();
      entry.seconds = (Date.now() - t0) / 1000;
      entry.ok = true;
      return result;
    };

    // 1. Train, or copy the given model (and its curves) into the run directory.
    // Short runs: no dropout and a gentler decay reach ~97.5 % for sfc in 10 epochs
    // (the paper's dropout 0.2/0.5 and lr_fin 3e-7 suit runs of hundreds of epochs;
    // docs/training.md).
    const trainArgv = [
      'train', '--arch', args.arch, '--dataset', dataset, '--epochs', String(args.epochs), '--batch', '100',
      '--seed', String(args.seed), '--dropout-in', '0', '--dropout-hidden', '0', '--lr-fin', '3e-5', '--out', modelPath,
    ];
    if (args['train-limit'] !== undefined) trainArgv.push('--limit', String(args['train-limit']));
    if (args.model === undefined) {
      await step('train', trainArgv, () => runCommand(trainCommand, trainArgv));
    } else {
      makeDirs(runDir);
      fs.copyFileSync(args.model, modelPath);
      fs.copyFileSync(`${args.model}.curves.json`, curvesPath);
    }

    // 2. Float and integer accuracy on the test set (what `bnnc eval` prints).
    // With --limit, the float and integer figures cover the same images as the RTL run
    // (a ConvNet's float forward pass over 10 000 images takes minutes).
    const test = loadDataset(datasetSpecFromArgs({ dataset }), 'test');
    const n = Math.min(test.n, args.limit ?? test.n);
    const evalArgv = ['eval', modelPath, '--dataset', dataset, ...(args.limit !== undefined ? ['--limit', String(n)] : [])];
    process.stdout.write(`\n$ bnnc ${evalArgv.join(' ')}\n`);
    const px = test.height * test.width * test.channels;
    const ev = await step('eval', evalArgv, async () => {
      const model = loadModel(modelPath);
      const folded = foldModel(model, modelHash(model));
      const fl = predictFloat(model, test.images.subarray(0, n * px), n);
      const int = inferIntBatch(folded, test.images.subarray(0, n * px), n);
      let differ = 0;
      for (let i = 0; i < n; i++) if (fl.predictions[i] !== int.predictions[i]) differ++;
      const counted = (predictions: Int32Array) => {
        const confusion = confusionMatrix(test.labels, predictions, folded.classes, n);
        let correct = 0;
        for (let i = 0; i < n; i++) if (predictions[i] === test.labels[i]) correct++;
        return { images: n, correct, confusion };
      };
      return { float: counted(fl.predictions), int: counted(int.predictions), differ };
    });
    process.stdout.write(
      `float accuracy ${pct(ev.float.correct / n)}, integer accuracy ${pct(ev.int.correct / n)}, ` +
        `predictions differ on ${ev.differ} of ${n} images\n`,
    );

    // 3. Compile.
    const compileArgv = ['compile', modelPath, '--out', rtlDir, '--target-cycles', String(targetCycles)];
    await step('compile', compileArgv, () => runCommand(compileCommand, compileArgv));

    // 4. Verify every test image (or --limit) through Verilator.
    const verifyArgv = ['verify', rtlDir, '--dataset', dataset, ...(args.limit ? ['--limit', String(args.limit)] : []), '--json'];
    process.stdout.write(`\n$ bnnc ${verifyArgv.join(' ')} > ${verifyPath}\n`);
    const bars = new Map<string, Progress>();
    const report = await step(
      'verify',
      verifyArgv,
      () =>
        verifyRtl({
          rtlDir,
          dataset: test,
          limit: args.limit,
          onProgress: (p) => {
            if (p.phase !== 'simulate') return;
            let bar = bars.get(p.phase);
            if (!bar) bars.set(p.phase, (bar = new Progress('verilator simulate', p.total)));
            bar.update(p.done);
          },
        }),
      verifyPath,
    );
    writeFileAtomic(verifyPath, JSON.stringify(report) + '\n');
    process.stdout.write(formatVerifyReport(report));

    // 5. The run record, then the report made from the files alone.
    const reportArgv = ['report', runDir];
    const run: RunRecord = {
      format: RUN_FORMAT,
      version: RUN_VERSION,
      name,
      bnncVersion: bnncVersion(),
      started,
      finished: new Date().toISOString(),
      machine,
      // Every option spelled out, defaults included: the same run whatever the defaults become.
      invocation: [
        'bnnc', 'demo', '--arch', args.arch, '--dataset', dataset,
        ...(args.model !== undefined ? ['--model', args.model] : ['--epochs', String(args.epochs), '--seed', String(args.seed)]),
        '--target-cycles', String(targetCycles),
        ...(args.limit !== undefined ? ['--limit', String(args.limit)] : []),
        ...(args['train-limit'] !== undefined ? ['--train-limit', String(args['train-limit'])] : []),
        '--out', runDir,
      ],
      steps,
      files: { model: modelFile, curves: `${modelFile}.curves.json`, rtl: 'rtl', verify: 'verify.json' },
      results: { dataset, split: 'test', float: ev.float, int: ev.int, floatIntDiffer: ev.differ, pass: report.ok },
    };
    writeRun(runDir, run);
    process.stdout.write(`\n$ bnnc ${reportArgv.join(' ')}\n`);
    const written = await writeReport(runDir);
    const w = 22;
    process.stdout.write(
      [
        '',
        `${'bnnc demo'.padEnd(w)}${report.frames} ${dataset} test images through the RTL`,
        `${'  verify wall clock'.padEnd(w)}build ${report.phases.build.toFixed(1)} s, simulate ${report.phases.simulate.toFixed(1)} s, ${(report.speed.cyclesPerSecond / 1e6).toFixed(3)} Mcycles/s`,
        `${'  float model'.padEnd(w)}${pct(ev.float.correct / n)} (${n} images)`,
        `${'  integer model'.padEnd(w)}${pct(ev.int.correct / n)} (${n} images)`,
        `${'  RTL (Verilator)'.padEnd(w)}${pct(report.rtlAccuracy)}   ${report.comparison.mismatchCount} mismatches with the integer model`,
        `${'  II / latency'.padEnd(w)}${report.cycles.measured?.ii ?? 'not measured'} / ${report.cycles.measured?.latency ?? 'not measured'} cycles (planned ${report.cycles.planned.ii} / ${report.cycles.planned.latency})`,
        `${'  report'.padEnd(w)}${written.html}`,
        `${''.padEnd(w)}${written.markdown}`,
        report.ok ? 'PASS' : 'FAIL',
        '',
      ].join('\n'),
    );
    if (!report.ok) throw new MismatchError(`demo: verification failed: ${report.failures.join('; ')}`);
  },
};

export default demoCommand;
