/**
 * Benchmark (not a test): Yosys xc7 resources of lfc (784-1024-1024-1024-10) at FINN's
 * LFC-W1A1 folding (PE/SIMD 32/49, 64/32, 32/64, 10/8: II 512 cycles), for the datapath
 * variants bnnc offers, beside FINN's published figure. Prints a table and writes
 * bench/out/synth-lfc.json (variants measured earlier and not named again are kept; the
 * figures in the common form of bench/common.ts are those of this run's variants: LUTs
 * beside FINN's published figure, and Yosys run time).
 *
 *   npx tsx bench/synth-lfc.ts [variant ...]     (default: all; one synthesis at a time)
 *
 * Variants: p0 (unpipelined, parallel 8-bit first layer), p1 / p2 (`--pipeline 1|2`),
 * serial (bit-serial first layer: 8 bit planes per read, so its SIMD is 8 x FINN's 49 to
 * keep II 512), bin0 / bin1 / bin2 (`--input-bits 1`: the input binarized at p >= 128 as
 * FINN's is, so the first layer is an XNOR-popcount layer on 1-bit lanes; unpipelined,
 * `--pipeline 1`, `--pipeline 2`). The network is random (randomFoldedMlp: random weights, thresholds and
 * score parameters; resources do not depend on the values beyond the ROM contents).
 * Synthesis: `yosys -p 'read_verilog ...; synth_xilinx -flatten -top TOP; stat'` (Debian
 * Yosys; minutes per variant), run nice'd.
 *
 * FINN's figure (Xilinx/BNN-PYNQ bnn/src/network/lfcW1A1/README.md): 28 360 LUT,
 * 33 470 FF, 110 BRAM tiles (36 Kb), 4 DSP, the whole placed Zynq design on a PYNQ-Z1,
 * Vivado 2018.2, 100 MHz, with a binarized (1-bit) input. Vivado maps and optimizes
 * differently from Yosys, so the comparison is of orders of magnitude and trends, not
 * of exact LUTs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitDesign } from '../src/emit/emit.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { writeBenchJson, type BenchFigure } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Variant {
  name: string;
  describe: string;
  pipeline: PipelineLevel;
  bitSerial: boolean;
  /** --input-bits 1 (threshold 128, as FINN's BNN-PYNQ input). */
  binaryInput?: boolean;
}

const FINN_FOLDING = [
  { pe: 32, simd: 49 },
  { pe: 64, simd: 32 },
  { pe: 32, simd: 64 },
  { pe: 10, simd: 8 },
];

export const VARIANTS: Variant[] = [
  { name: 'p0', describe: 'parallel 8-bit first layer, no pipeline registers', pipeline: 0, bitSerial: false },
  { name: 'p1', describe: '--pipeline 1', pipeline: 1, bitSerial: false },
  { name: 'p2', describe: '--pipeline 2', pipeline: 2, bitSerial: false },
  { name: 'serial', describe: 'bit-serial first layer (SIMD 392 = 8 x 49, 8 planes)', pipeline: 0, bitSerial: true },
  { name: 'bin0', describe: '--input-bits 1 (binarized input, as FINN), no pipeline registers', pipeline: 0, bitSerial: false, binaryInput: true },
  { name: 'bin1', describe: '--input-bits 1, --pipeline 1', pipeline: 1, bitSerial: false, binaryInput: true },
  { name: 'bin2', describe: '--input-bits 1, --pipeline 2', pipeline: 2, bitSerial: false, binaryInput: true },
];

export interface SynthFigures {
  variant: string;
  describe: string;
  ii: number;
  latency: number;
  luts: number;
  flipFlops: number;
  carry4: number;
  ramb18: number;
  ramb36: number;
  dsp: number;
  seconds: number;
}

/** Yosys stat (synth_xilinx): cell counts of the flattened top. */
export function parseXilinxStat(log: string): Omit<SynthFigures, 'variant' | 'describe' | 'ii' | 'latency' | 'seconds'> {
  const part = log.slice(log.lastIndexOf('Number of cells:'));
  const count = (re: RegExp): number => {
    let n = 0;
    for (const m of part.matchAll(re)) n += Number(m[1]);
    return n;
  };
  return {
    luts: count(/^\s+LUT[1-6]\s+(\d+)$/gm),
    flipFlops: count(/^\s+FD[A-Z]*\s+(\d+)$/gm),
    carry4: count(/^\s+CARRY4\s+(\d+)$/gm),
    ramb18: count(/^\s+RAMB18E1\s+(\d+)$/gm),
    ramb36: count(/^\s+RAMB36E1\s+(\d+)$/gm),
    dsp: count(/^\s+DSP48E1\s+(\d+)$/gm),
  };
}

function measure(v: Variant, work: string): SynthFigures {
  const f = randomFoldedMlp({
    input: [28, 28, 1],
    hidden: [1024, 1024, 1024],
    classes: 10,
    seed: 12,
    name: 'lfc',
    inputThreshold: v.binaryInput ? 128 : undefined,
  });
  const layers = FINN_FOLDING.map((l, k) => (k === 0 && v.bitSerial ? { pe: l.pe, simd: 8 * l.simd } : l));
  const plan = planHardware(f, { kind: 'perLayer', layers, source: 'bench' }, { pipeline: v.pipeline, bitSerial: v.bitSerial });
  const dir = path.join(work, v.name);
  const m = emitDesign(f, plan, dir);
  const t0 = Date.now();
  const script = `read_verilog ${m.files.verilog.join(' ')}; synth_xilinx -flatten -top ${m.top}; stat`;
  const log = execFileSync('nice', ['-n', '10', 'yosys', '-q', '-p', script, '-l', 'yosys.log'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  void log;
  const stat = parseXilinxStat(fs.readFileSync(path.join(dir, 'yosys.log'), 'utf8'));
  return { variant: v.name, describe: v.describe, ii: plan.ii, latency: plan.latency, ...stat, seconds: (Date.now() - t0) / 1000 };
}

function main(): void {
  const loadBefore = os.loadavg();
  const names = process.argv.slice(2);
  const chosen = names.length === 0 ? VARIANTS : names.map((n) => VARIANTS.find((v) => v.name === n) ?? fail(`unknown variant ${n}`));
  const outFile = path.join(root, 'bench', 'out', 'synth-lfc.json');
  const prior: SynthFigures[] = fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, 'utf8')).results ?? [] : [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-synth-lfc-'));
  const results = new Map(prior.map((r) => [r.variant, r]));
  try {
    for (const v of chosen) {
      process.stdout.write(`synthesizing lfc ${v.name} (${v.describe}) ...\n`);
      results.set(v.name, measure(v, work));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const rows = VARIANTS.map((v) => results.get(v.name)).filter((r): r is SynthFigures => r !== undefined);
  const base = results.get('p0');
  process.stdout.write('variant  II   latency  LUT     FF      CARRY4  RAMB18  RAMB36  DSP   LUT vs p0  LUT vs FINN 28360\n');
  for (const r of rows) {
    const vsBase = base ? (r.luts / base.luts).toFixed(2) : '-';
    process.stdout.write(
      `${r.variant.padEnd(8)} ${String(r.ii).padEnd(4)} ${String(r.latency).padEnd(8)} ${String(r.luts).padEnd(7)} ${String(r.flipFlops).padEnd(7)} ${String(r.carry4).padEnd(7)} ${String(r.ramb18).padEnd(7)} ${String(r.ramb36).padEnd(7)} ${String(r.dsp).padEnd(5)} ${vsBase.padEnd(10)} ${(r.luts / 28360).toFixed(2)}\n`,
    );
  }
  const figures: BenchFigure[] = [];
  for (const v of chosen) {
    const r = results.get(v.name)!;
    const name = `lfc at FINN's LFC-W1A1 folding, ${v.name} (${v.describe}), Yosys synth_xilinx`;
    figures.push({ name: `${name}: LUT`, unit: 'LUT', value: r.luts, peer: "FINN LFC-W1A1, published (Vivado 2018.2, whole design)", peerValue: 28360, ratio: r.luts / 28360, better: 'lower', runs: 1 });
    figures.push({ name: `${name}: run time`, unit: 's', value: r.seconds, peer: null, peerValue: null, ratio: null, better: 'lower', runs: 1 });
  }
  writeBenchJson(
    'synth-lfc',
    figures,
    {
        network: 'lfc 784-1024-1024-1024-10, random weights (randomFoldedMlp seed 12)',
        folding: FINN_FOLDING,
        tool: 'Yosys synth_xilinx -flatten (xc7)',
        finn: { luts: 28360, flipFlops: 33470, bramTiles: 110, dsp: 4, source: 'Xilinx/BNN-PYNQ bnn/src/network/lfcW1A1/README.md (Vivado 2018.2, whole Zynq design, binarized input)' },
        results: rows,
    },
    loadBefore,
  );
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

// Run as a script (bench/results.ts imports VARIANTS without running it).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
