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
 * --pipeline 2, on an iCE40 HX8K CT256 and a UP5K SG48), lfc-85k (lfc
 * 784-1024-1024-1024-10 at 8/49, 8/32, 8/32, 10/8, II 4096, --pipeline 2, on an ECP5
 * LFE5U-85F CABGA381; nextpnr-ecp5 runs for a long time on it). Random networks
 * (randomFoldedMlp, seed 1): the figures depend on the widths, not on the weights
 * beyond the ROM contents. The critical path is nextpnr's, in its log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitDesign } from '../src/emit/emit.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { encodeFolded } from '../src/int/serialize.js';
import { runSynth } from '../src/synth/synth.js';
import type { Target } from '../src/synth/targets.js';
import { writeFileAtomic } from '../src/util/atomic.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  name: string;
  net: 'tfc' | 'lfc';
  folding: [number, number][];
  target: Target;
  device: string;
  clockMhz: number;
}

const TFC: [number, number][] = [[1, 8], [1, 2], [1, 2], [1, 1]];
const LFC: [number, number][] = [[8, 49], [8, 32], [8, 32], [10, 8]];
const RUNS: Run[] = [
  { name: 'tfc-hx8k', net: 'tfc', folding: TFC, target: 'ice40', device: 'hx8k', clockMhz: 100 },
  { name: 'tfc-up5k', net: 'tfc', folding: TFC, target: 'ice40', device: 'up5k', clockMhz: 50 },
  { name: 'lfc-85k', net: 'lfc', folding: LFC, target: 'ecp5', device: '85k', clockMhz: 150 },
];

/** The critical path nextpnr reports for the clock: its first source and its endpoint. */
export function criticalPath(log: string): { from: string; to: string; ns: number } | null {
  const i = log.lastIndexOf('Critical path report for clock');
  if (i < 0) return null;
  const end = log.indexOf('Critical path report for cross', i);
  const block = log.slice(i, end < 0 ? undefined : end);
  const steps = [...block.matchAll(/^Info:\s+[\d.]+\s+([\d.]+)\s+(Source|Setup)\s+(\S+)/gm)];
  if (steps.length < 2) return null;
  const last = steps[steps.length - 1];
  return { from: steps[0][3], to: last[3], ns: Number(last[1]) };
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const runs = names.length ? RUNS.filter((r) => names.includes(r.name)) : RUNS;
  if (runs.length !== (names.length || RUNS.length)) throw new Error(`runs: ${RUNS.map((r) => r.name).join(', ')}`);
  const outFile = path.join(root, 'bench', 'out', 'synth-board.json');
  const results: Record<string, unknown> = fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { runs: Record<string, unknown> }).runs : {};
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-synth-board-'));
  try {
    for (const r of runs) {
      const hidden = r.net === 'lfc' ? [1024, 1024, 1024] : [64, 64, 64];
      const f = randomFoldedMlp({ input: [28, 28, 1], hidden, classes: 10, seed: 1, name: r.net });
      const plan = planHardware(f, { kind: 'perLayer', layers: r.folding.map(([pe, simd]) => ({ pe, simd })), source: 'bench' }, { pipeline: 2 });
      const dir = path.join(work, r.name);
      emitDesign(f, plan, dir, { encodeFolded, board: true });
      const out = path.join(work, `${r.name}.synth`);
      const rep = await runSynth({ rtlDir: dir, target: r.target, device: r.device, clockMhz: r.clockMhz, pnr: true, bitstream: true, board: true, out });
      const bit = rep.files.bitstream === null ? null : fs.statSync(path.join(out, rep.files.bitstream)).size;
      const cp = rep.files.pnrLog === null ? null : criticalPath(fs.readFileSync(path.join(out, rep.files.pnrLog), 'utf8'));
      const row = {
        net: r.net,
        folding: r.folding,
        ii: plan.ii,
        latency: plan.latency,
        device: rep.device?.part,
        clockMhz: r.clockMhz,
        fmaxMHz: rep.pnr?.fmaxMHz ?? null,
        utilisation: rep.pnr?.utilisation ?? null,
        yosys: rep.total,
        ioPins: rep.ioPins,
        bitstreamBytes: bit,
        criticalPath: cp,
        seconds: rep.seconds,
      };
      results[r.name] = row;
      process.stdout.write(`${r.name}: ${rep.device?.part} Fmax ${row.fmaxMHz?.toFixed(1)} MHz, ${JSON.stringify(row.utilisation)}, bitstream ${bit} bytes, critical ${cp?.from} -> ${cp?.to} (${cp?.ns} ns)\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileAtomic(outFile, JSON.stringify({ format: 'bnnc-bench-synth-board', runs: results }, null, 2) + '\n');
}

await main();
