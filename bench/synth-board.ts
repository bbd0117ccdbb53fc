/**
 * Benchmark (not a test): Fmax, utilisation and bitstream size of networks placed and
 * routed on real parts through their board wrapper (`bnnc compile --board`,
 * `bnnc synth --board --bitstream`), one synthesis at a time, nice'd. Prints one line
 * per run and writes bench/out/synth-board.json (runs measured earlier and not named
 * again are kept).
 *
 *   npx tsx bench/synth-board.ts [run ...]      (default: all)
 *
 * Runs: tfc-hx8k, tfc-up5k (tfc 784-64-64-64-10 at PE/SIMD 1/8, 1/2, 1/2, 1/1, II 6272,
 * on an iCE40 HX8K CT256 at --pipeline 2 and 3, and a UP5K SG48 at --pipeline 3, also
 * with --rom-block-bits 512), lfc-85k (lfc 784-1024-1024-1024-10 at 8/49, 8/32, 8/32,
 * 10/8, II 4096, --pipeline 2, on an ECP5 LFE5U-85F CABGA381; nextpnr-ecp5 runs for a
 * long time on it). Random networks (randomFoldedMlp, seed 1): the figures depend on the
 * widths, not on the weights beyond the ROM contents. The critical path is nextpnr's,
 * in its log.
 *
 * Seed policy: the Fmax of a placement moves by several per cent with nextpnr's placer
 * seed, so each iCE40 run is placed with seeds 1..SEEDS (5; one synthesis, one
 * place-and-route per seed) and reports every seed's Fmax, their minimum and median, and
 * the critical path of the median seed; no seed is picked. ECP5: seed 1 only (its
 * runs are long).
 *
 * Each run's record names when and on which commit it was measured (`date`, `commit`),
 * and its wall and CPU time (Yosys, nextpnr and the packer over all seeds; CPU time is
 * the children's user + system time). The file is written after every run, so a long
 * run that is stopped keeps the runs before it. SIGINT/SIGTERM (a `timeout`) end the
 * tools' process groups and remove the work directory, as the CLI does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitDesign } from '../src/emit/emit.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import { DEFAULT_ROM_RULE } from '../src/hw/memory.js';
import { encodeFolded } from '../src/int/serialize.js';
import type { SynthReport } from '../src/synth/report.js';
import type { Resources } from '../src/synth/stat.js';
import { runSynth } from '../src/synth/synth.js';
import type { Target } from '../src/synth/targets.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { installInterruptHandlers, registerTemporary } from '../src/util/processes.js';
import { childCpuSeconds, gitCommit } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Run {
  name: string;
  net: 'tfc' | 'lfc';
  folding: [number, number][];
  target: Target;
  device: string;
  clockMhz: number;
  pipeline: PipelineLevel;
  /** `--rom-block-bits` (default: the planner's rule). */
  romBlockBits?: number;
  seeds: number;
}

const SEEDS = 5;

/** One run's record in bench/out/synth-board.json (read by bench/results.ts). */
export interface BoardRow {
  net: Run['net'];
  folding: [number, number][];
  pipeline: PipelineLevel;
  romRule: typeof DEFAULT_ROM_RULE;
  ii: number;
  latency: number;
  /** The part placed on (nextpnr's name). */
  device: string | undefined;
  clockMhz: number;
  seeds: number[];
  fmaxBySeedMHz: number[];
  fmaxMinMHz: number;
  fmaxMedianMHz: number;
  fmaxMaxMHz: number;
  medianSeed: number;
  /** The median seed's: site kind -> used / available. */
  utilisation: Record<string, { used: number; available: number }> | null;
  /** Yosys' figures (the median seed's synthesis; every seed's is the same). */
  yosys: Resources;
  ioPins: number;
  bitstreamBytes: number | null;
  criticalPath: ReturnType<typeof criticalPath>;
  /** The median seed's wall time per tool. */
  seconds: SynthReport['seconds'];
  /** The tools' versions (yosys, nextpnr-*, the packer); absent in older files. */
  tools?: Record<string, string>;
  /** When, on which commit, and in how much wall and CPU time (all seeds) the run was measured; absent in files written before these were recorded. */
  date?: string;
  commit?: string;
  wallSeconds?: number;
  cpuSeconds?: number;
}

const TFC: [number, number][] = [[1, 8], [1, 2], [1, 2], [1, 1]];
const LFC: [number, number][] = [[8, 49], [8, 32], [8, 32], [10, 8]];
export const RUNS: Run[] = [
  { name: 'tfc-hx8k', net: 'tfc', folding: TFC, target: 'ice40', device: 'hx8k', clockMhz: 100, pipeline: 2, seeds: SEEDS },
  { name: 'tfc-hx8k-p3', net: 'tfc', folding: TFC, target: 'ice40', device: 'hx8k', clockMhz: 100, pipeline: 3, seeds: SEEDS },
  { name: 'tfc-up5k', net: 'tfc', folding: TFC, target: 'ice40', device: 'up5k', clockMhz: 50, pipeline: 3, seeds: SEEDS },
  { name: 'tfc-up5k-rom512', net: 'tfc', folding: TFC, target: 'ice40', device: 'up5k', clockMhz: 50, pipeline: 3, romBlockBits: 512, seeds: SEEDS },
  { name: 'lfc-85k', net: 'lfc', folding: LFC, target: 'ecp5', device: '85k', clockMhz: 150, pipeline: 2, seeds: 1 },
];

/** The critical path nextpnr reports for the clock: its first source and its endpoint. */
export function criticalPath(log: string): { from: string; to: string; ns: number } | null {
  const i = log.lastIndexOf('Critical path report for clock');
  if (i < 0) return null;
  const end = log.indexOf('Critical path report for cross', i);
  const block = log.slice(i, end < 0 ? undefined : end);
  // nextpnr-ice40 0.4: "Info:  0.54  1.07  Source x"; nextpnr 0.11 (ECP5) puts the step's
  // kind first: "Info:      logic  0.24  40.46 Source x".
  const steps = [...block.matchAll(/^Info:\s+(?:[a-z-]+\s+)?[\d.]+\s+([\d.]+)\s+(Source|Setup)\s+(\S+)/gm)];
  if (steps.length < 2) return null;
  const last = steps[steps.length - 1];
  return { from: steps[0][3], to: last[3], ns: Number(last[1]) };
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  // in the order named
  const runs = names.length ? names.map((n) => RUNS.find((r) => r.name === n)) : RUNS;
  if (runs.some((r) => r === undefined)) throw new Error(`runs: ${RUNS.map((r) => r.name).join(', ')}`);
  const outFile = path.join(root, 'bench', 'out', 'synth-board.json');
  const results: Record<string, unknown> = fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { runs: Record<string, unknown> }).runs : {};
  const commit = gitCommit();
  installInterruptHandlers();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-synth-board-'));
  registerTemporary(work);
  try {
    for (const r of runs as Run[]) {
      const t0 = Date.now();
      const c0 = childCpuSeconds();
      const hidden = r.net === 'lfc' ? [1024, 1024, 1024] : [64, 64, 64];
      const f = randomFoldedMlp({ input: [28, 28, 1], hidden, classes: 10, seed: 1, name: r.net });
      const romRule = r.romBlockBits === undefined ? DEFAULT_ROM_RULE : { ...DEFAULT_ROM_RULE, minBits: r.romBlockBits };
      const plan = planHardware(f, { kind: 'perLayer', layers: r.folding.map(([pe, simd]) => ({ pe, simd })), source: 'bench' }, { pipeline: r.pipeline, romRule });
      const dir = path.join(work, r.name);
      emitDesign(f, plan, dir, { encodeFolded, board: true });
      const placed: { seed: number; fmaxMHz: number; criticalPath: ReturnType<typeof criticalPath>; rep: SynthReport; bitstreamBytes: number | null }[] = [];
      for (let seed = 1; seed <= r.seeds; seed++) {
        const out = path.join(work, `${r.name}-${seed}.synth`);
        const rep = await runSynth({ rtlDir: dir, target: r.target, device: r.device, clockMhz: r.clockMhz, pnr: true, bitstream: true, board: true, out, seed, onProgress: (line) => process.stderr.write(`  ${r.name} seed ${seed}: ${line} (${new Date().toISOString()})\n`) });
        const bit = rep.files.bitstream === null ? null : fs.statSync(path.join(out, rep.files.bitstream)).size;
        const cp = rep.files.pnrLog === null ? null : criticalPath(fs.readFileSync(path.join(out, rep.files.pnrLog), 'utf8'));
        placed.push({ seed, fmaxMHz: rep.pnr?.fmaxMHz ?? 0, criticalPath: cp, rep, bitstreamBytes: bit });
        process.stdout.write(`${r.name} seed ${seed}: Fmax ${rep.pnr?.fmaxMHz.toFixed(1)} MHz, critical ${cp?.from} -> ${cp?.to} (${cp?.ns} ns)\n`);
      }
      const fmaxes = placed.map((x) => x.fmaxMHz);
      const sorted = [...placed].sort((a, b) => a.fmaxMHz - b.fmaxMHz);
      // the median seed (the lower middle one of an even count)
      const mid = sorted[Math.floor((sorted.length - 1) / 2)];
      const rep = mid.rep;
      const row: Required<BoardRow> = {
        net: r.net,
        folding: r.folding,
        pipeline: r.pipeline,
        romRule,
        ii: plan.ii,
        latency: plan.latency,
        device: rep.device?.part,
        clockMhz: r.clockMhz,
        seeds: placed.map((x) => x.seed),
        fmaxBySeedMHz: fmaxes,
        fmaxMinMHz: Math.min(...fmaxes),
        fmaxMedianMHz: mid.fmaxMHz,
        fmaxMaxMHz: Math.max(...fmaxes),
        medianSeed: mid.seed,
        utilisation: rep.pnr?.utilisation ?? null,
        yosys: rep.total,
        ioPins: rep.ioPins,
        bitstreamBytes: mid.bitstreamBytes,
        criticalPath: mid.criticalPath,
        seconds: rep.seconds,
        tools: rep.tools,
        date: new Date().toISOString(),
        commit,
        wallSeconds: (Date.now() - t0) / 1000,
        cpuSeconds: childCpuSeconds() - c0,
      };
      results[r.name] = row;
      fs.mkdirSync(path.dirname(outFile), { recursive: true });
      writeFileAtomic(outFile, JSON.stringify({ format: 'bnnc-bench-synth-board', runs: results }, null, 2) + '\n');
      process.stdout.write(`${r.name}: ${rep.device?.part} --pipeline ${r.pipeline}, Fmax over ${r.seeds} seeds min ${row.fmaxMinMHz.toFixed(1)} median ${row.fmaxMedianMHz.toFixed(1)} max ${row.fmaxMaxMHz.toFixed(1)} MHz, ${JSON.stringify(row.utilisation)}, bitstream ${row.bitstreamBytes} bytes, median seed's critical ${row.criticalPath?.from} -> ${row.criticalPath?.to} (${row.criticalPath?.ns} ns), ${row.wallSeconds.toFixed(0)} s wall, ${row.cpuSeconds.toFixed(0)} s CPU\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Run as a script (bench/results.ts imports RUNS without running it).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
