/**
 * The hardware results page, docs/results.md, and its only writer: for each network and
 * design point the II, latency, Yosys xc7 LUT / FF / BRAM / DSP, and the Fmax and
 * utilisation placed and routed on iCE40 / ECP5, each beside FINN's published figure for
 * the same network with its source. It reads only files the bench scripts wrote (it runs
 * no tool; seconds):
 *
 *   bench/out/synth-lfc.json       bench/synth-lfc.ts       lfc at FINN's LFC-W1A1 folding, Yosys xc7
 *   bench/out/synth-board.json     bench/synth-board.ts     tfc on iCE40, lfc on ECP5, placed and routed
 *   bench/out/verify.json          bench/verify.ts --synth  verified designs: simulated II and latency, Yosys xc7
 *   bench/out/cnv-plan.json        bench/cnv-plan.ts        cnv at FINN's CNV-W1A1 folding: planned II, latency
 *   test/fixtures/yosys-area.json  bench/calibrate-area.ts  tfc, sfc, lfc at three foldings, Yosys xc7 (and iCE40)
 *   bench/out/results.json         bench/run.ts             the run (commit) of a file that names none itself
 *
 * Any of them may be absent: a design point no file holds is listed as "not measured",
 * with the command that measures it. Nothing measured is typed in here; FINN's figures
 * are, all in FINN below, each with its source (the repository and file, or the paper).
 *
 *   npx tsx bench/results.ts        (the last step of `make bench`)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/atomic.js';
import { FIXTURE, readFixture, type AreaFixture, type FixtureDesign } from './calibrate-area.js';
import { DESIGNS, type CalibrationDesign, type Net } from './calibrate-designs.js';
import { gitCommit, OUT_DIR, ROOT } from './common.js';
import { RUNS, type BoardRow, type Run } from './synth-board.js';
import { VARIANTS, type SynthFigures } from './synth-lfc.js';
import { ARCHS, type BenchResult as VerifyResult } from './verify.js';

// ---------------------------------------------------------------------------------------
// FINN's published figures: the only figures typed in by hand, each with its source.

type FinnNetwork = 'lfc' | 'tfc' | 'sfc' | 'cnv';
type FinnMetric = 'luts' | 'ffs' | 'bram' | 'dsp' | 'ii' | 'clockMHz' | 'imagesPerSecond' | 'latencyUs';

export interface FinnFigure {
  network: FinnNetwork;
  /** FINN's build: lfcW1A1 / cnvW1A1 (BNN-PYNQ, PYNQ-Z1), tfc-w1a1 (FINN's notebook, Pynq-Z1), SFC-max / CNV-max (the paper, ZC706). */
  build: 'lfcW1A1' | 'tfc-w1a1' | 'SFC-max' | 'cnvW1A1' | 'CNV-max';
  metric: FinnMetric;
  /** bram: 36 Kb block RAM tiles (a RAMB18 counts 0.5). */
  value: number;
  source: string;
}

const BNN_PYNQ = 'Xilinx/BNN-PYNQ (commit d39c1c7)';
const LFC_UTIL = `${BNN_PYNQ} bnn/src/network/lfcW1A1/README.md: Vivado 2018.2 utilization report, PYNQ-Z1 (xc7z020), the whole placed and routed Zynq design (accelerator, DMA, AXI interconnect); Block RAM Tile 110 = 6 RAMB36 + 208 RAMB18; timing met, WNS 0.265 ns`;
const CNV_UTIL = `${BNN_PYNQ} bnn/src/network/cnvW1A1/README.md: Vivado 2018.2 utilization report, PYNQ-Z1 (xc7z020), the whole placed and routed Zynq design; Block RAM Tile 124 = 76 RAMB36 + 96 RAMB18; timing met, WNS 0.285 ns`;
const BNN_PYNQ_CLOCK = `${BNN_PYNQ} bnn/src/library/script/pynqZ1-Z2/make-vivado-proj.tcl: the accelerator's ap_clk is the Zynq's FCLK_CLK0 at 100 MHz`;
const LFC_CONFIG = `${BNN_PYNQ} bnn/src/network/lfcW1A1/hw/config.h: "Ext Latency" of L0..L3 416, 512, 512, 512 cycles (the slowest layer sets the II)`;
const CNV_CONFIG = `${BNN_PYNQ} bnn/src/network/cnvW1A1/hw/config.h: the slowest layer's "Ext Latency", 32 768 cycles (L6, L7)`;
const TFC_NOTEBOOK =
  'Xilinx/finn notebooks/end2end_example/bnn-pynq/tfc_end2end_example.ipynb at commit 5c70655 (its outputs were cleared by e839d3a): tfc-w1a1 at PE/SIMD 16/49, 8/8, 8/8, 10/8 on a Pynq-Z1, throughput_test of 10 000 images, fclk 100 MHz, "II = 64", "approximately 61% of the ideal performance"';
const FINN_PAPER =
  'Umuroglu et al., "FINN: A Framework for Fast, Scalable Binarized Neural Network Inference", FPGA 2017 (arXiv:1612.07119), abstract: its fastest MNIST and CIFAR-10 builds on a ZC706';

export const FINN: FinnFigure[] = [
  { network: 'lfc', build: 'lfcW1A1', metric: 'luts', value: 28360, source: LFC_UTIL },
  { network: 'lfc', build: 'lfcW1A1', metric: 'ffs', value: 33470, source: LFC_UTIL },
  { network: 'lfc', build: 'lfcW1A1', metric: 'bram', value: 110, source: LFC_UTIL },
  { network: 'lfc', build: 'lfcW1A1', metric: 'dsp', value: 4, source: LFC_UTIL },
  { network: 'lfc', build: 'lfcW1A1', metric: 'ii', value: 512, source: LFC_CONFIG },
  { network: 'lfc', build: 'lfcW1A1', metric: 'clockMHz', value: 100, source: BNN_PYNQ_CLOCK },
  { network: 'tfc', build: 'tfc-w1a1', metric: 'ii', value: 64, source: TFC_NOTEBOOK },
  { network: 'tfc', build: 'tfc-w1a1', metric: 'imagesPerSecond', value: 958413, source: TFC_NOTEBOOK },
  { network: 'tfc', build: 'tfc-w1a1', metric: 'clockMHz', value: 100, source: TFC_NOTEBOOK },
  { network: 'sfc', build: 'SFC-max', metric: 'imagesPerSecond', value: 12.3e6, source: FINN_PAPER },
  { network: 'sfc', build: 'SFC-max', metric: 'latencyUs', value: 0.31, source: FINN_PAPER },
  { network: 'cnv', build: 'cnvW1A1', metric: 'luts', value: 26072, source: CNV_UTIL },
  { network: 'cnv', build: 'cnvW1A1', metric: 'ffs', value: 41312, source: CNV_UTIL },
  { network: 'cnv', build: 'cnvW1A1', metric: 'bram', value: 124, source: CNV_UTIL },
  { network: 'cnv', build: 'cnvW1A1', metric: 'dsp', value: 24, source: CNV_UTIL },
  { network: 'cnv', build: 'cnvW1A1', metric: 'ii', value: 32768, source: CNV_CONFIG },
  { network: 'cnv', build: 'cnvW1A1', metric: 'clockMHz', value: 100, source: BNN_PYNQ_CLOCK },
  { network: 'cnv', build: 'CNV-max', metric: 'imagesPerSecond', value: 21906, source: FINN_PAPER },
  { network: 'cnv', build: 'CNV-max', metric: 'latencyUs', value: 283, source: FINN_PAPER },
];

/** Where FINN's foldings come from (PE/SIMD, not figures). */
const LFC_FOLDING_SOURCE = 'Xilinx/finn tests/end2end/test_end2end_bnn_pynq.py `fold_lfc`';
const TFC_FOLDING_SOURCE = 'Xilinx/finn-examples build/bnn-pynq/folding_config/tfc-w1a1_folding_config.json';

/** Issue 12's clock goals per device of bench/synth-board.ts (MHz). */
const FMAX_GOALS: Record<string, number> = { hx8k: 100, up5k: 50, '85k': 150 };

// ---------------------------------------------------------------------------------------
// Inputs

/** Which run wrote a file: its date and commit. */
export interface Stamp {
  file: string;
  date: string;
  commit: string;
}

export interface Loaded<T> extends Stamp {
  data: T;
}

export interface SynthLfcFile {
  tool?: string;
  results: SynthFigures[];
}
export interface SynthBoardFile {
  runs: Record<string, BoardRow>;
}
export interface VerifyFile {
  results: VerifyResult[];
}
export interface CnvPlanFile {
  foldingFile: string;
  plans: { title: string; ii: number; latency: number; imagesPerSecondAt100MHz: number; memoryBits: number }[];
}

export interface Inputs {
  synthLfc: Loaded<SynthLfcFile> | null;
  synthBoard: Loaded<SynthBoardFile> | null;
  verify: Loaded<VerifyFile> | null;
  cnvPlan: Loaded<CnvPlanFile> | null;
  /** The calibration fixture; its stamp is the commit that last changed it. */
  calibration: Loaded<AreaFixture> | null;
}

interface RunIndex {
  run: { started: string; commit: string };
  scripts: { outputs: string[] }[];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** A bench/out file with the date and commit it names, else those of the bench/run.ts run that lists it. */
function loadOut<T>(outDir: string, name: string, index: RunIndex | null): Loaded<T> | null {
  const file = path.join(outDir, name);
  if (!fs.existsSync(file)) return null;
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as T & { date?: string; commit?: string };
  const rel = path.relative(ROOT, file);
  const listed = index?.scripts.some((s) => s.outputs.includes(rel)) ? index.run : null;
  return {
    file: rel,
    date: data.date ?? `${fs.statSync(file).mtime.toISOString()} (file time)`,
    commit: data.commit ?? (listed ? `${listed.commit} (the bench/run.ts run of ${listed.started})` : 'not recorded in the file'),
    data,
  };
}

/** Every input that exists (bench/out's files and the calibration fixture); null for each absent one. */
export function loadInputs(outDir = OUT_DIR, fixtureFile = FIXTURE): Inputs {
  const indexFile = path.join(outDir, 'results.json');
  const index = fs.existsSync(indexFile) ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as RunIndex) : null;
  let calibration: Loaded<AreaFixture> | null = null;
  if (fs.existsSync(fixtureFile)) {
    const rel = path.relative(ROOT, fixtureFile);
    const [hash, date] = (git(['log', '-1', '--format=%h %cI', '--', rel]) || 'uncommitted -').split(' ');
    const dirty = git(['status', '--porcelain', '--', rel]) !== '';
    calibration = { file: rel, date, commit: `${hash} ${date}${dirty ? ' (with uncommitted changes)' : ''} (the commit that last changed it)`, data: readFixture(fixtureFile) };
  }
  return {
    synthLfc: loadOut<SynthLfcFile>(outDir, 'synth-lfc.json', index),
    synthBoard: loadOut<SynthBoardFile>(outDir, 'synth-board.json', index),
    verify: loadOut<VerifyFile>(outDir, 'verify.json', index),
    cnvPlan: loadOut<CnvPlanFile>(outDir, 'cnv-plan.json', index),
    calibration,
  };
}

// ---------------------------------------------------------------------------------------
// Rendering

/** 18456 -> "18 456"; fractions keep up to two decimals (12.5 block RAMs, 0.31 µs). */
export function num(n: number): string {
  const [int, frac] = (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2)))).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** bnnc's figure over FINN's, "0.65×". */
export function ratio(value: number, finn: number): string {
  return `${(value / finn).toFixed(2)}×`;
}

const notMeasured = (command: string): string => `not measured: \`${command}\``;

class Page {
  readonly lines: string[] = [];
  private readonly sources: string[] = [];

  /** "[n]", the number of a FINN source in the page's list. */
  ref(source: string): string {
    let i = this.sources.indexOf(source);
    if (i < 0) i = this.sources.push(source) - 1;
    return `[${i + 1}]`;
  }

  finn(network: FinnNetwork, build: FinnFigure['build'], metric: FinnMetric): { value: number; cell: string } {
    const f = FINN.find((x) => x.network === network && x.build === build && x.metric === metric);
    if (!f) throw new Error(`no FINN figure ${network} ${build} ${metric}`);
    return { value: f.value, cell: `${num(f.value)} ${this.ref(f.source)}` };
  }

  push(...l: string[]): void {
    this.lines.push(...l);
  }

  sourceList(): string[] {
    return this.sources.map((s, i) => `${i + 1}. ${s}`);
  }
}

const folding = (f: [number, number][] | { pe: number; simd: number }[]): string =>
  f.map((l) => (Array.isArray(l) ? `${l[0]}/${l[1]}` : `${l.pe}/${l.simd}`)).join(', ');

/** A resource cell: the figure and its ratio to FINN's. */
const vsFinn = (value: number, finn: number | null): string => (finn === null ? num(value) : `${num(value)} (${ratio(value, finn)})`);

function lfcSection(p: Page, inp: Inputs): void {
  const luts = p.finn('lfc', 'lfcW1A1', 'luts');
  const ffs = p.finn('lfc', 'lfcW1A1', 'ffs');
  const bram = p.finn('lfc', 'lfcW1A1', 'bram');
  const dsp = p.finn('lfc', 'lfcW1A1', 'dsp');
  const ii = p.finn('lfc', 'lfcW1A1', 'ii');
  const clock = p.finn('lfc', 'lfcW1A1', 'clockMHz');
  p.push(
    '## lfc (784-1024-1024-1024-10)',
    '',
    `### At FINN's LFC-W1A1 folding (PE/SIMD 32/49, 64/32, 32/64, 10/8: ${LFC_FOLDING_SOURCE}), Yosys xc7`,
    '',
    "Each resource is given with its ratio to FINN's figure (bnnc / FINN; lower is fewer). BRAM counts 36 Kb tiles",
    "(a RAMB18 is half of one), as Vivado's \"Block RAM Tile\" does. BNN-PYNQ's HLS build runs the same II with",
    'layer 0 at 32/64 over 832 padded inputs and layer 3 at 16/8 over 64 padded outputs (its config.h).',
    '',
    '| design point | first layer | pipeline | II | latency | LUT | FF | BRAM (36 Kb) | DSP | measured by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| FINN lfcW1A1 (BNN-PYNQ), PYNQ-Z1, Vivado 2018.2, whole Zynq design placed and routed at ${clock.cell} MHz | 1-bit (binarized) | – | ${ii.cell} | not published | ${luts.cell} | ${ffs.cell} | ${bram.cell} | ${dsp.cell} | FINN |`,
  );
  const byName = new Map((inp.synthLfc?.data.results ?? []).map((r) => [r.variant, r]));
  for (const v of VARIANTS) {
    const r = byName.get(v.name);
    const first = v.binaryInput ? '1-bit (binarized, `--input-bits 1`)' : v.bitSerial ? '8-bit, bit-serial (`--bit-serial`)' : '8-bit parallel';
    if (!r) {
      p.push(`| lfc ${v.name} | ${first} | ${v.pipeline} | – | – | ${notMeasured(`npx tsx bench/synth-lfc.ts ${v.name}`)} | | | | |`);
      continue;
    }
    const b = r.ramb36 + r.ramb18 / 2;
    p.push(
      `| lfc ${v.name} | ${first} | ${v.pipeline} | ${r.ii} | ${num(r.latency)} | ${vsFinn(r.luts, luts.value)} | ${vsFinn(r.flipFlops, ffs.value)} | ${vsFinn(b, bram.value)} | ${vsFinn(r.dsp, dsp.value)} | ${inp.synthLfc!.file} |`,
    );
  }
  for (const d of DESIGNS.filter((x) => x.net === 'lfc' && x.finn)) calibrationRow(p, inp, d, { luts: luts.value, ffs: ffs.value, bram: bram.value, dsp: dsp.value });
  p.push(
    '',
    "The tools differ: bnnc's figures are Yosys `synth_xilinx` cell counts of the accelerator alone (random weights,",
    "not placed, no DMA or AXI); FINN's are Vivado's placed-and-routed counts of the whole Zynq design (its DMA and AXI",
    'interconnect included). Vivado maps and optimizes differently, so a ratio is an indication, not a like-for-like count.',
    '',
  );
  otherXc7Section(p, inp, 'lfc');
}

/** A calibration design's row (test/fixtures/yosys-area.json), with ratios when FINN's figures are given. */
function calibrationRow(p: Page, inp: Inputs, d: CalibrationDesign, finn: { luts: number; ffs: number; bram: number; dsp: number } | null): void {
  const f: FixtureDesign | undefined = inp.calibration?.data.designs.find((x) => x.name === d.name);
  const first = d.firstLayer === 'binarized' ? '1-bit (binarized)' : d.firstLayer === 'bit-serial' ? '8-bit, bit-serial' : '8-bit parallel';
  const label = `${d.name} (${folding(d.folding)})`;
  if (!f) {
    p.push(`| ${label} | ${first} | ${d.pipeline} | – | – | ${notMeasured(`npx tsx bench/calibrate-area.ts ${d.name}`)} | | | | |`);
    return;
  }
  const t = f.xc7.total;
  p.push(
    `| ${label} | ${first} | ${d.pipeline} | ${num(f.ii)} | ${num(f.latency)} | ${vsFinn(t.luts, finn?.luts ?? null)} | ${vsFinn(t.ffs, finn?.ffs ?? null)} | ${vsFinn(t.bram, finn?.bram ?? null)} | ${vsFinn(t.dsp, finn?.dsp ?? null)} | ${inp.calibration!.file} |`,
  );
}

/** The network's other calibration designs and verified designs (no FINN figure at those foldings). */
function otherXc7Section(p: Page, inp: Inputs, net: Net): void {
  p.push(
    `### ${net}: other design points, Yosys xc7 (FINN publishes no figure at these foldings)`,
    '',
    '| design point (PE/SIMD) | first layer | pipeline | II | latency | LUT | FF | BRAM (36 Kb) | DSP | measured by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const d of DESIGNS.filter((x) => x.net === net && !x.finn)) calibrationRow(p, inp, d, null);
  verifyRows(p, inp, [net]);
  const ice = DESIGNS.filter((x) => x.net === net && x.ice40);
  if (ice.length > 0) {
    p.push('', `iCE40 (Yosys \`synth_ice40\`, not placed) of the same designs:`, '', '| design point | LUT4 | FF | carries | RAM (SB_RAM40_4K) | DSP | measured by |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const d of ice) {
      const f = inp.calibration?.data.designs.find((x) => x.name === d.name)?.ice40;
      if (!f) p.push(`| ${d.name} | ${notMeasured(`npx tsx bench/calibrate-area.ts ${d.name}`)} | | | | | |`);
      else p.push(`| ${d.name} | ${num(f.total.luts)} | ${num(f.total.ffs)} | ${num(f.total.carries)} | ${num(f.total.bram)} | ${num(f.total.dsp)} | ${inp.calibration!.file} |`);
    }
  }
  p.push('');
}

/** bench/verify.ts's designs of these networks: II and latency measured in simulation, Yosys xc7 with --synth. */
function verifyRows(p: Page, inp: Inputs, nets: string[]): void {
  for (const arch of Object.keys(ARCHS).filter((a) => nets.includes(a))) {
    const r = inp.verify?.data.results.find((x) => x.arch === arch);
    if (!r) {
      p.push(`| ${arch}, verified on ${ARCHS[arch].dataset} (bench/verify.ts) | – | – | – | – | ${notMeasured(`npx tsx bench/verify.ts ${arch} --synth`)} | | | | |`);
      continue;
    }
    const label = `${arch} (${r.folding}), verified on ${num(r.images)} ${r.dataset} images${r.ok ? '' : ' (FAILED)'}`;
    const cycles = `${num(r.measuredII ?? r.plannedII)} | ${num(r.measuredLatency ?? r.plannedLatency)}`;
    // verify.ts plans at pipeline 0, parallel first layer; the model's input kind is not recorded.
    const first = '–';
    if (!r.synth) p.push(`| ${label} | ${first} | 0 | ${cycles} | ${notMeasured(`npx tsx bench/verify.ts ${arch} --synth`)} | | | | ${inp.verify!.file} |`);
    else p.push(`| ${label} | ${first} | 0 | ${cycles} | ${num(r.synth.luts)} | ${num(r.synth.flipFlops)} | ${num(r.synth.bram)} | – | ${inp.verify!.file} |`);
  }
}

function tfcSection(p: Page, inp: Inputs): void {
  const ii = p.finn('tfc', 'tfc-w1a1', 'ii');
  const ips = p.finn('tfc', 'tfc-w1a1', 'imagesPerSecond');
  const clock = p.finn('tfc', 'tfc-w1a1', 'clockMHz');
  p.push(
    '## tfc (784-64-64-64-10)',
    '',
    `### At FINN's tfc-w1a1 folding (PE/SIMD 16/49, 8/8, 8/8, 10/8: ${TFC_FOLDING_SOURCE}), Yosys xc7`,
    '',
    "FINN publishes no resource figures for tfc-w1a1; its published figure is the throughput measured on the board. bnnc's",
    `images/s is its II at FINN's ${clock.value} MHz clock (the cycle model, which verification holds exact in simulation),`,
    'not a board measurement; the ratio is bnnc / FINN (higher is faster).',
    '',
    '| design point | first layer | pipeline | II | latency | images/s at 100 MHz | LUT | FF | BRAM (36 Kb) | DSP | measured by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| FINN tfc-w1a1, Pynq-Z1, ${clock.cell} MHz | 8-bit in, binarized by its input thresholding layer | – | ${ii.cell} | not published | ${ips.cell} (measured) | not published | not published | not published | not published | FINN |`,
  );
  for (const d of DESIGNS.filter((x) => x.net === 'tfc' && x.finn)) {
    const f = inp.calibration?.data.designs.find((x) => x.name === d.name);
    const first = d.firstLayer === 'binarized' ? '1-bit (binarized)' : d.firstLayer === 'bit-serial' ? '8-bit, bit-serial' : '8-bit parallel';
    if (!f) {
      p.push(`| ${d.name} | ${first} | ${d.pipeline} | – | – | – | ${notMeasured(`npx tsx bench/calibrate-area.ts ${d.name}`)} | | | | |`);
      continue;
    }
    const rate = (clock.value * 1e6) / f.ii;
    const t = f.xc7.total;
    p.push(`| ${d.name} | ${first} | ${d.pipeline} | ${num(f.ii)} | ${num(f.latency)} | ${num(Math.round(rate))} (${ratio(rate, ips.value)}) | ${num(t.luts)} | ${num(t.ffs)} | ${num(t.bram)} | ${num(t.dsp)} | ${inp.calibration!.file} |`);
  }
  p.push('');
  otherXc7Section(p, inp, 'tfc');
}

function sfcSection(p: Page, inp: Inputs): void {
  const ips = p.finn('sfc', 'SFC-max', 'imagesPerSecond');
  const lat = p.finn('sfc', 'SFC-max', 'latencyUs');
  p.push(
    '## sfc (784-256-256-256-10)',
    '',
    `FINN's published sfc figure is its fastest build, SFC-max on a ZC706: ${ips.cell} images/s, ${lat.cell} µs latency; it publishes`,
    "no resource figures or folding for an sfc build that bnnc could be set beside. The calibration design sfc-finn is sfc at",
    "PE/SIMD 8/49, 4/32, 4/32, 1/8 (II 512, as FINN's LFC-W1A1), not a published FINN build.",
    '',
    '| design point (PE/SIMD) | first layer | pipeline | II | latency | LUT | FF | BRAM (36 Kb) | DSP | measured by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const d of DESIGNS.filter((x) => x.net === 'sfc')) calibrationRow(p, inp, d, null);
  verifyRows(p, inp, ['sfc']);
  p.push('');
}

function cnvSection(p: Page, inp: Inputs): void {
  const luts = p.finn('cnv', 'cnvW1A1', 'luts');
  const ffs = p.finn('cnv', 'cnvW1A1', 'ffs');
  const bram = p.finn('cnv', 'cnvW1A1', 'bram');
  const dsp = p.finn('cnv', 'cnvW1A1', 'dsp');
  const ii = p.finn('cnv', 'cnvW1A1', 'ii');
  const clock = p.finn('cnv', 'cnvW1A1', 'clockMHz');
  const maxIps = p.finn('cnv', 'CNV-max', 'imagesPerSecond');
  const maxLat = p.finn('cnv', 'CNV-max', 'latencyUs');
  // The design of a plan row, compiled and synthesized (a cnv model first: `bnnc train --arch cnv --dataset cifar10`).
  const synthCmd = (title: string): string => {
    const target = /--target-cycles (\d+)/.exec(title);
    const fold = target ? `--target-cycles ${target[1]}` : `--fold ${inp.cnvPlan?.data.foldingFile ?? 'foldings/cnv-w1a1.json'}`;
    return `bnnc compile models/cnv.bnn --out rtl-out/cnv ${fold} && bnnc synth rtl-out/cnv --target xc7 --no-pnr`;
  };
  p.push(
    "## cnv (FINN's CNV, 32×32×3)",
    '',
    `At FINN's CNV-W1A1 folding (foldings/cnv-w1a1.json). bnnc's II and latency are the plan's (bench/cnv-plan.ts; the`,
    'cycle model is held exact against simulation by test/hw-cnv-finn.test.ts); its resources have not been synthesized by',
    `any bench script. FINN's fastest CNV build (CNV-max, ZC706): ${maxIps.cell} images/s, ${maxLat.cell} µs latency.`,
    '',
    '| design point | II | latency | images/s at 100 MHz | LUT | FF | BRAM (36 Kb) | DSP | measured by |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| FINN cnvW1A1 (BNN-PYNQ), PYNQ-Z1, Vivado 2018.2, whole Zynq design at ${clock.cell} MHz | ${ii.cell} | not published | ${num(Math.round((clock.value * 1e6) / ii.value))} (from its II) | ${luts.cell} | ${ffs.cell} | ${bram.cell} | ${dsp.cell} | FINN |`,
  );
  const plans = inp.cnvPlan?.data.plans ?? [];
  if (plans.length === 0) p.push(`| bnnc cnv at FINN's folding | ${notMeasured('npx tsx bench/cnv-plan.ts')} | | | | | | | |`);
  for (const pl of plans) {
    const rate = (clock.value * 1e6) / pl.ii;
    p.push(`| bnnc cnv, ${pl.title} (planned) | ${num(pl.ii)} (${ratio(pl.ii, ii.value)}) | ${num(pl.latency)} | ${num(Math.round(rate))} | ${notMeasured(synthCmd(pl.title))} | | | | ${inp.cnvPlan!.file} |`);
  }
  p.push('', 'cnv28 (bnnc\'s ConvNet for 28×28 inputs; FINN has no counterpart), verified by bench/verify.ts:', '', '| design point | first layer | pipeline | II | latency | LUT | FF | BRAM (36 Kb) | DSP | measured by |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  verifyRows(p, inp, ['cnv28']);
  p.push('');
}

/** Placed and routed through the board wrapper (bench/synth-board.ts). */
function boardSection(p: Page, inp: Inputs): void {
  const lfcClock = p.finn('lfc', 'lfcW1A1', 'clockMHz');
  const tfcClock = p.finn('tfc', 'tfc-w1a1', 'clockMHz');
  const tfcIps = p.finn('tfc', 'tfc-w1a1', 'imagesPerSecond');
  p.push(
    '## Placed and routed: iCE40 and ECP5 (bench/synth-board.ts)',
    '',
    "Through the board wrapper (8-bit pixels in, the class index out, placed with its I/O), `bnnc synth --board --bitstream`;",
    "nextpnr-ice40 and nextpnr-ecp5 (the versions are in the last column). Fmax over the placer seeds run (min / median / max); the goal",
    "is issue 12's, met when the median seed meets it. FINN has no iCE40 or ECP5 flow: beside each Fmax is FINN's clock on",
    `the PYNQ-Z1's xc7z020 for the same network (lfc ${lfcClock.cell}, tfc ${tfcClock.cell} MHz: Vivado, another family), and beside`,
    `tfc's images/s (Fmax / II) FINN's measured tfc-w1a1 ${tfcIps.cell} images/s at its own folding (II 64).`,
    '',
    '| run | network (PE/SIMD) | part | pipeline | II | latency | Fmax MHz: min / median / max (seeds) | goal | × FINN clock | images/s at median Fmax | utilisation (median seed) | I/O | bitstream bytes | critical path (median seed) | time | measured |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | --- | --- | --- |',
  );
  for (const run of RUNS) boardRow(p, inp, run, run.net === 'lfc' ? lfcClock.value : tfcClock.value, run.net === 'tfc' ? tfcIps.value : null);
  p.push('');
}

function boardRow(p: Page, inp: Inputs, run: Run, finnClock: number, finnIps: number | null): void {
  const goal = FMAX_GOALS[run.device];
  const r = inp.synthBoard?.data.runs[run.name];
  const net = `${run.net} (${folding(run.folding)})${run.romBlockBits !== undefined ? `, --rom-block-bits ${run.romBlockBits}` : ''}`;
  if (!r) {
    p.push(`| ${run.name} | ${net} | ${run.target} ${run.device} | ${run.pipeline} | – | – | ${notMeasured(`npx tsx bench/synth-board.ts ${run.name}`)} | ≥ ${goal} | | | | | | | | |`);
    return;
  }
  const fmax = `${r.fmaxMinMHz.toFixed(1)} / **${r.fmaxMedianMHz.toFixed(1)}** / ${r.fmaxMaxMHz.toFixed(1)} (${r.seeds.length === 1 ? `seed ${r.seeds[0]}` : `seeds ${r.seeds[0]}–${r.seeds[r.seeds.length - 1]}`})`;
  const met = goal === undefined ? '–' : `≥ ${goal}: ${r.fmaxMedianMHz >= goal ? 'met' : 'not met'}`;
  const rate = (r.fmaxMedianMHz * 1e6) / r.ii;
  const util = Object.entries(r.utilisation ?? {})
    .filter(([, u]) => u.used > 0)
    .map(([k, u]) => `${k} ${num(u.used)} / ${num(u.available)} (${Math.round((100 * u.used) / u.available)} %)`)
    .join('; ');
  const cp = r.criticalPath ? `${r.criticalPath.from} → ${r.criticalPath.to} (${r.criticalPath.ns} ns)` : '–';
  const s = r.seconds;
  const time = [`Yosys ${Math.round(s.yosys)} s`, s.pnr === null ? null : `nextpnr ${Math.round(s.pnr)} s`, r.wallSeconds === undefined ? null : `all seeds ${Math.round(r.wallSeconds)} s wall, ${r.cpuSeconds === undefined ? '?' : Math.round(r.cpuSeconds)} s CPU`].filter((x) => x !== null).join('; ');
  const tools = r.tools ? `; ${Object.values(r.tools).join(', ')}` : '';
  const when = `${inp.synthBoard!.file}, ${r.date ?? inp.synthBoard!.date}, ${r.commit ?? inp.synthBoard!.commit}${tools}`;
  p.push(
    `| ${run.name} | ${net} | ${r.device ?? run.device} | ${r.pipeline} | ${num(r.ii)} | ${num(r.latency)} | ${fmax} | ${met} | ${ratio(r.fmaxMedianMHz, finnClock)} | ${num(Math.round(rate))}${finnIps === null ? '' : ` (${ratio(rate, finnIps)})`} | ${util || '–'} | ${r.ioPins} | ${r.bitstreamBytes === null ? '–' : num(r.bitstreamBytes)} | ${cp} | ${time} | ${when} |`,
  );
}

/** docs/results.md from the inputs (`generator`: the commit of this script's checkout). */
export function renderResults(inp: Inputs, generator: string): string {
  // The sections first (they number FINN's sources as they cite them), then the header.
  const p = new Page();
  lfcSection(p, inp);
  tfcSection(p, inp);
  sfcSection(p, inp);
  cnvSection(p, inp);
  boardSection(p, inp);
  const stamps = [inp.synthLfc, inp.synthBoard, inp.verify, inp.cnvPlan, inp.calibration];
  const names = ['bench/out/synth-lfc.json', 'bench/out/synth-board.json', 'bench/out/verify.json', 'bench/out/cnv-plan.json', 'test/fixtures/yosys-area.json'];
  const writers = ['npx tsx bench/synth-lfc.ts', 'npx tsx bench/synth-board.ts', 'npx tsx bench/verify.ts --synth', 'npx tsx bench/cnv-plan.ts', 'npx tsx bench/calibrate-area.ts'];
  const header = [
    '# Hardware results',
    '',
    '<!-- Generated by bench/results.ts from the files listed below; do not edit by hand. -->',
    '',
    `Generated by \`npx tsx bench/results.ts\` (the last step of \`make bench\`) at commit ${generator}, from the files below;`,
    'do not edit by hand. Every bnnc figure is read from one of them; a design point none holds is "not measured", with the',
    "command that measures it. FINN's figures are published ones, numbered [n] and listed with their sources at the end.",
    'The networks have random weights (area depends on weights only through ROMs in logic: docs/synthesis.md).',
    '',
    '| file | written | commit | written by |',
    '| --- | --- | --- | --- |',
    ...stamps.map((s, i) => (s ? `| ${s.file} | ${s.date} | ${s.commit} | \`${writers[i]}\` |` : `| ${names[i]} | absent | – | \`${writers[i]}\` |`)),
    '',
    "bench/out/synth-board.json records each run's own date, commit and tool versions (the last column of its table).",
    ...(inp.calibration ? [`${inp.calibration.file} was measured with ${[...new Set(inp.calibration.data.designs.flatMap((d) => [d.xc7.yosys, d.ice40?.yosys ?? d.xc7.yosys]))].join(', ')}.`] : []),
    '',
  ];
  return [...header, ...p.lines, "## FINN's figures: sources", '', ...p.sourceList(), ''].join('\n');
}

function main(): void {
  const page = renderResults(loadInputs(), gitCommit());
  const out = path.join(ROOT, 'docs', 'results.md');
  writeFileAtomic(out, page);
  process.stdout.write(`wrote ${path.relative(ROOT, out)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
