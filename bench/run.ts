/**
 * Run every bench script and collect their figures (`make bench`; `BENCH=quick make bench`
 * passes BENCH=quick on to each script for smaller workloads).
 *
 *   npx tsx bench/run.ts [NAME ...]     # NAME: a script of bench/ without .ts (default: all)
 *   npx tsx bench/run.ts --page         # rewrite docs/benchmarks.md from bench/out/results.json
 *
 * The scripts run one after the other (they measure speed), in the order and with the
 * arguments of PLAN below, then any other script of bench/ with none. For each, the
 * 1-minute load average before it, its wall time and its CPU time (its processes'
 * user + system time) are recorded. Every bench/out/*.json a script writes during its run
 * is read; the figures it gives in the common form (bench/common.ts: value, peer, peer
 * value, ratio, load average) go into bench/out/results.json, each with the machine and
 * the load average, and, for a run of all scripts, into the generated page
 * docs/benchmarks.md, whose header names the run (start, end, commit, wall and CPU time).
 * A script that fails is listed as failed and the run goes on; the exit status is then 1.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomic.js';
import { childCpuSeconds, gitCommit, machine, median, OUT_DIR, QUICK, type BenchFigure } from './common.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH_DIR);
/** Modules of bench/ that are not scripts (or not for an unattended run: fit-area prints a fit for a person to read). */
const NOT_SCRIPTS = new Set(['run', 'common', 'calibrate-designs', 'fit-area']);

interface Step {
  script: string;
  args?: string[];
  /** BENCH=quick: these arguments instead, or `skip` to leave the step out. */
  quick?: string[] | 'skip';
  /** A script another branch adds: listed as absent when this checkout lacks it. */
  optional?: boolean;
}

/**
 * What `make bench` runs, in order. Budget on this 2-core machine: <= 45 min in all,
 * <= 10 min with BENCH=quick (docs/benchmarks.md's header gives the last run's times).
 */
const PLAN: Step[] = [
  // Inference images/s, lfc, batch 1 and 100: bnnc's integer engine against LCE and PyTorch.
  { script: 'int-infer' },
  // Model file -> verified RTL on 10 000 images, Verilator cycles/s, Yosys time (sfc, lfc,
  // cnv28 on Fashion-MNIST; BENCH=quick: sfc).
  { script: 'verify', args: ['--synth'] },
  // cnv28: training samples/s at 1 and 2 threads, integer model against the float model.
  { script: 'cnv28' },
  { script: 'cnv-plan' },
  { script: 'boundary' },
  { script: 'rng' },
  // Training samples/s, bnnc against PyTorch CPU and Larq (sfc, lfc; cnv28 against PyTorch).
  { script: 'train' },
  // ... and against TensorFlow.js wasm, the older baseline.
  { script: 'train', args: ['--tfjs'] },
  // Yosys xc7 LUTs of lfc at FINN's folding against FINN's published figure (~6 min idle).
  { script: 'synth-lfc', args: ['p2'], quick: 'skip' },
  // The resource model against Yosys: tfc-small measured again (~20 s idle), the rest of the
  // fixture as measured by `npx tsx bench/calibrate-area.ts` (hours for all designs).
  { script: 'calibrate-area', args: ['tfc-small'] },
  // iCE40 place and route of tfc through the board wrapper, 5 placer seeds each, the two
  // runs issue 12's clock goals name (HX8K, UP5K). lfc-85k (ECP5) is not in the plan:
  // 27 min wall, 22 min CPU on this machine (Yosys 4 min, nextpnr-ecp5 23 min);
  // `npx tsx bench/synth-board.ts lfc-85k` measures it by hand, and its record stays in
  // bench/out/synth-board.json.
  { script: 'synth-board', args: ['tfc-hx8k-p3', 'tfc-up5k'], quick: 'skip' },
  // docs/results.md from the files the steps above wrote (reads files only: seconds).
  { script: 'results' },
];

interface FigureRecord extends BenchFigure {
  machine: string;
}

interface ScriptResult {
  script: string;
  args: string[];
  ok: boolean;
  /** null: not run (absent from this checkout). */
  exitCode: number | null;
  seconds: number;
  cpuSeconds: number;
  loadAverage: number;
  outputs: string[];
  figures: FigureRecord[];
  /** Output files without figures in the common form, and other remarks. */
  notes: string[];
}

function isFigure(f: unknown): f is BenchFigure {
  const o = f as Record<string, unknown>;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && typeof o.unit === 'string' && typeof o.value === 'number' && Number.isFinite(o.value);
}

const m = machine();
const machineText = `${m.cpu}, ${m.cores} cores`;

function runStep(step: Step): ScriptResult {
  const name = step.script;
  const args = (QUICK && Array.isArray(step.quick) ? step.quick : step.args) ?? [];
  const file = path.join(BENCH_DIR, `${name}.ts`);
  const loadAverage = os.loadavg()[0];
  const label = [`bench/${name}.ts`, ...args].join(' ');
  if (!fs.existsSync(file)) {
    return { script: `bench/${name}.ts`, args, ok: true, exitCode: null, seconds: 0, cpuSeconds: 0, loadAverage, outputs: [], figures: [], notes: ['not in this checkout'] };
  }
  const t0 = Date.now();
  const c0 = childCpuSeconds();
  process.stdout.write(`\n== ${label} (load average ${loadAverage.toFixed(2)}, ${new Date(t0).toISOString()})\n`);
  const r = spawnSync('nice', ['-n', '10', process.execPath, '--import', 'tsx', file, ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, BENCH: QUICK ? 'quick' : (process.env.BENCH ?? 'full') },
  });
  const seconds = (Date.now() - t0) / 1000;
  const cpuSeconds = childCpuSeconds() - c0;
  process.stdout.write(`== ${label}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status})`}, ${seconds.toFixed(0)} s wall, ${cpuSeconds.toFixed(0)} s CPU\n`);
  const outputs: string[] = [];
  const figures: FigureRecord[] = [];
  const notes: string[] = [];
  for (const f of fs.existsSync(OUT_DIR) ? fs.readdirSync(OUT_DIR) : []) {
    const p = path.join(OUT_DIR, f);
    if (!f.endsWith('.json') || f === 'results.json' || fs.statSync(p).mtimeMs < t0) continue;
    outputs.push(path.relative(ROOT, p));
    try {
      const j = JSON.parse(fs.readFileSync(p, 'utf8')) as { figures?: unknown };
      const list = Array.isArray(j.figures) ? j.figures.filter(isFigure) : [];
      if (list.length === 0) notes.push(`${path.relative(ROOT, p)}: no figures in the common form (bench/common.ts)`);
      figures.push(...list.map((x) => ({ ...x, loadAverage: x.loadAverage ?? [+loadAverage.toFixed(2)], machine: machineText })));
    } catch (e) {
      notes.push(`${path.relative(ROOT, p)}: not JSON (${(e as Error).message})`);
    }
  }
  return { script: `bench/${name}.ts`, args, ok: r.status === 0, exitCode: r.status, seconds, cpuSeconds, loadAverage, outputs, figures, notes };
}

const fmt = (v: number | null): string => {
  if (v === null) return '—';
  const a = Math.abs(v);
  return a >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : a >= 1e4 ? `${(v / 1e3).toFixed(1)} k` : Number(v.toPrecision(4)).toString();
};
const minutes = (s: number): string => `${(s / 60).toFixed(1)} min`;

interface RunInfo {
  started: string;
  /** null while the run is under way (the files are rewritten after every script). */
  finished: string | null;
  /** Steps of the plan done and planned. */
  steps: { done: number; planned: number };
  commit: string;
  wallSeconds: number;
  cpuSeconds: number;
  loadStart: number[];
  loadEnd: number[];
}

function markdown(results: ScriptResult[], run: RunInfo, quick: boolean, m: ReturnType<typeof machine>): string {
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    '# Benchmarks',
    '',
    `<!-- Generated by \`make bench\` (bench/run.ts) from bench/out/results.json; do not edit by hand. -->`,
    '',
    `Generated by \`${quick ? 'BENCH=quick ' : ''}make bench\` (bench/run.ts) from bench/out/results.json of the run below; do not edit by hand.`,
    '',
    run.finished === null
      ? `- Run: started ${run.started}, **incomplete**: ${run.steps.done} of ${run.steps.planned} scripts ran (the page was written after each), commit ${run.commit}${quick ? ', BENCH=quick (smaller workloads)' : ''}.`
      : `- Run: started ${run.started}, finished ${run.finished}, commit ${run.commit}${quick ? ', BENCH=quick (smaller workloads)' : ''}.`,
    `- Wall time ${minutes(run.wallSeconds)}${run.finished === null ? ' so far' : ''}; CPU time of the scripts and their peers ${minutes(run.cpuSeconds)}.`,
    `- Load average (1 / 5 / 15 min) at the start ${load(run.loadStart)}, ${run.finished === null ? "at the last script's end" : "at the end"} ${load(run.loadEnd)}; the machine may be shared.`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}, Node ${m.node}.`,
    '',
    'Each figure is the median of its runs; where it has a peer, the two (or three) ran alternately',
    'in the same run (A, B, A, B, A, B), and the ratio is bnnc / peer. The load average column is',
    'the median of the 1-minute load average at the start of each round (or when its script started).',
    '',
    '| figure | bnnc | peer | peer figure | ratio | runs | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    for (const f of r.figures) {
      const ratio = f.ratio === null ? '—' : `${f.ratio.toFixed(2)}× (${f.better} is better)`;
      const fl = median(f.loadAverage ?? [r.loadAverage]).toFixed(2);
      lines.push(`| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.peer ?? '—'} | ${f.peerValue === null ? '—' : `${fmt(f.peerValue)} ${f.unit}`} | ${ratio} | ${f.runs} | ${fl} |`);
    }
  }
  lines.push('', '## Scripts', '', '| script | status | wall | CPU | load avg at start | output |', '| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const status = r.exitCode === null ? 'not run' : r.ok ? 'ok' : `FAILED (exit ${r.exitCode})`;
    const label = [r.script, ...r.args].join(' ');
    lines.push(`| ${label} | ${status} | ${r.seconds.toFixed(0)} s | ${r.cpuSeconds.toFixed(0)} s | ${r.loadAverage.toFixed(2)} | ${[...r.outputs, ...r.notes].join('; ') || '—'} |`);
  }
  lines.push(
    '',
    '## Peers',
    '',
    '- PyTorch CPU 2.15 (bench/peers/binarynet_torch.py) and Larq 0.13.3 on TensorFlow-CPU 2.16.2 / tf-keras (bench/peers/binarynet_larq.py):',
    '  the same BinaryNet step (STE with hard-tanh cancellation, clipped latent weights, BN eps 1e-4 / momentum 0.1, Adam with the',
    '  Glorot scale, squared hinge, batch 100, dropout off); each run is its own process, timed after 3 warm-up batches.',
    '- Larq Compute Engine 0.16.0 (bench/peers/lce_infer.py): lfc converted by its converter (the dense layers as 1x1 binary',
    '  convolutions: LCE has no binary dense operator), run by its interpreter on one thread. LCE is optimized for ARM v8; its',
    '  interpreter documents that on x86 it falls back on kernels not optimized for speed, so this is its x86 figure.',
    '- PyTorch float inference: the same lfc in eval mode with its +-1 weights precomputed, one thread.',
    '- TensorFlow.js 4.22 wasm: the same MLP, with the MLP defaults (dropout on) on both sides.',
  );
  lines.push('', 'Raw results: bench/out/results.json and the per-script files it lists. `make bench` installs the peers first (`make peers larq-peers`: PyTorch; Larq and Larq Compute Engine); the scripts say what each figure measures in their header comments.', '');
  return lines.join('\n');
}

if (process.argv[2] === '--page') {
  // The page again from the last run's file (the page's text changed, not the figures).
  const j = JSON.parse(fs.readFileSync(path.join(OUT_DIR, 'results.json'), 'utf8')) as { run: RunInfo; quick: boolean; machine: ReturnType<typeof machine>; scripts: ScriptResult[] };
  writeFileAtomic(path.join(ROOT, 'docs', 'benchmarks.md'), markdown(j.scripts, j.run, j.quick, j.machine));
  process.exit(0);
}

const all = fs
  .readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.ts') && !NOT_SCRIPTS.has(f.slice(0, -3)))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!all.includes(w)) {
    process.stderr.write(`bench/run.ts: no script bench/${w}.ts (scripts: ${all.join(', ')})\n`);
    process.exit(2);
  }
}
// The plan's steps, then any script it does not name (a new script is never skipped).
const planned = new Set(PLAN.map((s) => s.script));
const steps = [...PLAN, ...all.filter((n) => !planned.has(n)).map((script): Step => ({ script }))].filter(
  (s) => (wanted.length === 0 || wanted.includes(s.script)) && !(QUICK && s.quick === 'skip'),
);
const started = new Date();
const loadStart = os.loadavg();
const c0 = childCpuSeconds();
const commit = gitCommit();
const results: ScriptResult[] = [];
/** results.json and the page after every script: an interrupted run leaves what it measured. */
function save(done: boolean): string {
  const now = new Date();
  const run: RunInfo = {
    started: started.toISOString(),
    finished: done ? now.toISOString() : null,
    steps: { done: results.length, planned: steps.length },
    commit,
    wallSeconds: (now.getTime() - started.getTime()) / 1000,
    cpuSeconds: childCpuSeconds() - c0,
    loadStart: loadStart.map((x) => +x.toFixed(2)),
    loadEnd: os.loadavg().map((x) => +x.toFixed(2)),
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  writeFileAtomic(path.join(OUT_DIR, 'results.json'), JSON.stringify({ run, quick: QUICK, machine: m, scripts: results }, null, 2) + '\n');
  const table = markdown(results, run, QUICK, m);
  // docs/benchmarks.md holds a run of every script only; a partial run prints its table.
  if (wanted.length === 0) writeFileAtomic(path.join(ROOT, 'docs', 'benchmarks.md'), table);
  return table;
}
for (const step of steps) {
  results.push(runStep(step));
  if (results.length < steps.length) save(false);
}
process.stdout.write(`\n${save(true)}`);
const failed = results.filter((r) => !r.ok);
if (failed.length > 0) {
  process.stderr.write(`bench/run.ts: ${failed.map((r) => r.script).join(', ')} failed\n`);
  process.exit(1);
}
