/**
 * Benchmark (not a test): the Yosys figures the resource model (src/hw/area.ts) is
 * calibrated against. Compiles each design of bench/calibrate-designs.ts (tfc, sfc, lfc
 * at three foldings each), runs `bnnc synth --target xc7 --no-pnr` on it (and
 * `--target ice40` where the design fits an HX8K), and writes the per-row Yosys figures
 * (LUT, FF, carries, LUT RAM, block RAM, DSP, memory bits inferred before mapping) with a
 * hash of the RTL it measured to test/fixtures/yosys-area.json, which
 * test/hw-area-model.test.ts holds the model to. Designs measured earlier and not named
 * again are kept. Prints the table of docs/synthesis.md (model vs Yosys) and writes
 * bench/out/calibrate-area.json in the common form (model LUTs against Yosys LUTs).
 *
 *   npx tsx bench/calibrate-area.ts [design ...]     (default: all; one synthesis at a time)
 *   npx tsx bench/calibrate-area.ts --table          (no synthesis: the table from the fixture)
 *
 * The script lowers its own priority (nice 10) before starting Yosys, which inherits it.
 * Yosys time: seconds (tfc-small) to many minutes (lfc at FINN's folding).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emitDesign } from '../src/emit/emit.js';
import { estimateArea } from '../src/hw/area.js';
import { runSynth } from '../src/synth/synth.js';
import type { Resources } from '../src/synth/stat.js';
import type { Target } from '../src/synth/targets.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { toolVersion } from '../src/util/tools.js';
import { buildDesign, DESIGNS, rtlHash, type CalibrationDesign } from './calibrate-designs.js';
import { ROOT, writeBenchJson, type BenchFigure } from './common.js';

export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'yosys-area.json');

/** One synthesis: the totals and a row per stage (input, stage k, top), figures as report.json has them. */
export interface MeasuredTarget {
  yosys: string;
  seconds: number;
  total: Figures;
  rows: (Figures & { row: string })[];
}
export type Figures = Omit<Resources, 'cells' | 'nand2'>;

export interface FixtureDesign {
  name: string;
  /** The design's description (bench/calibrate-designs.ts) when measured. */
  design: CalibrationDesign;
  ii: number;
  latency: number;
  rtlHash: string;
  xc7: MeasuredTarget;
  ice40: MeasuredTarget | null;
}

export interface AreaFixture {
  format: 'bnnc-area-calibration';
  version: 1;
  designs: FixtureDesign[];
}

export function readFixture(file = FIXTURE): AreaFixture {
  if (!fs.existsSync(file)) return { format: 'bnnc-area-calibration', version: 1, designs: [] };
  return JSON.parse(fs.readFileSync(file, 'utf8')) as AreaFixture;
}

function figures(r: Resources): Figures {
  return { luts: r.luts, ffs: r.ffs, carries: r.carries, lutram: r.lutram, bram: r.bram, dsp: r.dsp, memoryBits: r.memoryBits };
}

async function measure(d: CalibrationDesign, target: Target, dir: string): Promise<MeasuredTarget> {
  const out = `${dir}.synth-${target}`;
  const rep = await runSynth({ rtlDir: dir, target, clockMhz: 100, pnr: false, bitstream: false, out });
  if (rep.latches.length > 0) throw new Error(`${d.name}: latches ${rep.latches.join(', ')}`);
  return { yosys: rep.tools.yosys ?? '?', seconds: rep.seconds.yosys, total: figures(rep.total), rows: rep.stages.map((s) => ({ row: s.row, ...figures(s) })) };
}

const pct = (model: number, real: number): string => (real === 0 ? (model === 0 ? '0 %' : 'n/a') : `${(((model - real) / real) * 100).toFixed(1)} %`);
const num = (n: number): string => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

/** The Markdown table model vs Yosys xc7 for the fixture's designs (docs/synthesis.md). */
export function table(fx: AreaFixture): string {
  const lines = [
    '| design | first layer | PE/SIMD | pipeline | Yosys LUT | model LUT | error | Yosys FF | model FF | error | memory bits (Yosys = model) | worst stage LUT error |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const f of fx.designs) {
    const { plan } = buildDesign(f.design);
    const e = estimateArea(plan.input, plan.stages);
    const mem = e.romBits + e.ramBits;
    const memCell = mem === f.xc7.total.memoryBits ? num(mem) : `${num(f.xc7.total.memoryBits)} ≠ ${num(mem)}`;
    const per = [e.input, ...e.stages];
    const rowNames = ['input', ...plan.stages.map((_, k) => `stage ${k}`)];
    let worst = 0;
    let worstRow = '';
    rowNames.forEach((rn, i) => {
      const y = f.xc7.rows.find((r) => r.row === rn);
      if (!y || y.luts < 100) return;
      const err = (per[i].luts - y.luts) / y.luts;
      if (Math.abs(err) > Math.abs(worst)) {
        worst = err;
        worstRow = rn;
      }
    });
    lines.push(
      `| ${f.name} | ${f.design.firstLayer} | ${f.design.folding.map(([p, s]) => `${p}/${s}`).join(', ')} | ${f.design.pipeline} | ${num(f.xc7.total.luts)} | ${num(e.luts)} | ${pct(e.luts, f.xc7.total.luts)} | ${num(f.xc7.total.ffs)} | ${num(e.flipFlops)} | ${pct(e.flipFlops, f.xc7.total.ffs)} | ${memCell} | ${worstRow ? `${worstRow}: ${pct(worst + 1, 1)}` : '-'} |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--table')) {
    process.stdout.write(table(readFixture()));
    return;
  }
  const chosen = args.length ? args.map((n) => DESIGNS.find((d) => d.name === n) ?? fail(`unknown design ${n}; designs: ${DESIGNS.map((d) => d.name).join(' ')}`)) : DESIGNS;
  os.setPriority(0, 10);
  const loadBefore = os.loadavg();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-calibrate-'));
  const fx = readFixture();
  try {
    for (const d of chosen) {
      const { folded, plan } = buildDesign(d);
      const dir = path.join(work, d.name);
      emitDesign(folded, plan, dir);
      process.stdout.write(`${d.name}: yosys xc7 ...\n`);
      const xc7 = await measure(d, 'xc7', dir);
      process.stdout.write(`${d.name}: xc7 ${xc7.total.luts} LUT, ${xc7.total.ffs} FF, ${xc7.total.memoryBits} memory bits (${xc7.seconds.toFixed(0)} s)\n`);
      let ice40: MeasuredTarget | null = null;
      if (d.ice40) {
        ice40 = await measure(d, 'ice40', dir);
        process.stdout.write(`${d.name}: ice40 ${ice40.total.luts} LUT4, ${ice40.total.ffs} FF (${ice40.seconds.toFixed(0)} s)\n`);
      }
      const entry: FixtureDesign = { name: d.name, design: d, ii: plan.ii, latency: plan.latency, rtlHash: rtlHash(d), xc7, ice40 };
      const i = fx.designs.findIndex((x) => x.name === d.name);
      // The same figures as stored (Yosys is deterministic): keep the entry, so that a run
      // that only confirms them leaves the fixture's bytes alone (its Yosys times differ).
      const figuresOf = (x: FixtureDesign): string => JSON.stringify([x.design, x.ii, x.latency, x.rtlHash, [x.xc7, x.ice40].map((t) => t && { ...t, seconds: 0 })]);
      if (i >= 0 && figuresOf(fx.designs[i]) === figuresOf(entry)) process.stdout.write(`${d.name}: as in the fixture\n`);
      else if (i >= 0) fx.designs[i] = entry;
      else fx.designs.push(entry);
      fx.designs.sort((a, b) => DESIGNS.findIndex((x) => x.name === a.name) - DESIGNS.findIndex((x) => x.name === b.name));
      // Written after every design, so a long run that is stopped keeps what it measured.
      writeFileAtomic(FIXTURE, JSON.stringify(fx, null, 1) + '\n');
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`Yosys: ${toolVersion('yosys')}\n`);
  process.stdout.write(table(fx));
  const figures: BenchFigure[] = fx.designs.map((f) => {
    const { plan } = buildDesign(f.design);
    return { name: `${f.name}: resource model LUTs against Yosys xc7 LUTs`, unit: 'LUT', value: plan.estimate.luts, peer: 'Yosys synth_xilinx', peerValue: f.xc7.total.luts, ratio: plan.estimate.luts / f.xc7.total.luts, better: 'lower', runs: 1 };
  });
  writeBenchJson('calibrate-area', figures, { fixture: path.relative(ROOT, FIXTURE) }, loadBefore);
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main();
