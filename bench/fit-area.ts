/**
 * The least-squares fit behind the resource model's coefficients (src/hw/stages/mvtu.ts
 * MVTU_LUT / MVTU_FF, src/hw/stages/input.ts INPUT_LUT / INPUT_FF): for every stage row of
 * the calibration fixture (test/fixtures/yosys-area.json, bench/calibrate-area.ts), the
 * model's structural counts (mvtuTerms, inputTerms) against Yosys xc7's LUTs and FFs,
 * solved for non-negative coefficients that minimise the squared relative error per row.
 * Prints the coefficients beside those in the source, which were rounded from them.
 *
 *   npx tsx bench/fit-area.ts
 */
import { INPUT_FF, INPUT_LUT, inputTerms } from '../src/hw/stages/input.js';
import { MVTU_FF, MVTU_LUT, mvtuTerms, type MvtuStage } from '../src/hw/stages/mvtu.js';
import { readFixture } from './calibrate-area.js';
import { buildDesign } from './calibrate-designs.js';

/** Non-negative weighted least squares by coordinate descent (a handful of unknowns). */
export function nnls(xs: number[][], ys: number[], ws: number[], iters = 20000): number[] {
  const n = xs[0].length;
  const c = new Array<number>(n).fill(0);
  const pred = ys.map(() => 0);
  for (let it = 0; it < iters; it++) {
    for (let j = 0; j < n; j++) {
      let num = 0;
      let den = 0;
      for (let i = 0; i < ys.length; i++) {
        num += ws[i] * (ys[i] - pred[i]) * xs[i][j];
        den += ws[i] * xs[i][j] * xs[i][j];
      }
      if (den === 0) continue;
      const next = Math.max(0, c[j] + num / den);
      const d = next - c[j];
      if (d !== 0) for (let i = 0; i < ys.length; i++) pred[i] += d * xs[i][j];
      c[j] = next;
    }
  }
  return c;
}

/**
 * Register bits the RTL has one flip-flop each for, whatever the fit says: held at 1, the
 * other coefficients fitted around them (left free, the fit trades them against each other
 * on this small set of designs).
 */
const FIXED: string[] = ['ff:bufferBit', 'ff:accBit', 'ff:pipeBit', 'ff:outBit'];

function fit<K extends string>(label: string, keys: K[], rows: { x: Record<K, number>; y: number; name: string }[], current: Record<K, number>): void {
  const prefix = label.endsWith('FF') ? 'ff:' : 'lut:';
  const fixed = keys.filter((k) => FIXED.includes(prefix + k));
  const used = keys.filter((k) => !fixed.includes(k) && rows.some((r) => r.x[k] !== 0));
  const xs = rows.map((r) => used.map((k) => r.x[k]));
  const ys = rows.map((r) => r.y - fixed.reduce((a, k) => a + current[k] * r.x[k], 0));
  const ws = rows.map((r) => 1 / Math.max(r.y, 50) ** 2);
  if (used.length === 0) return;
  const c = nnls(xs, ys, ws);
  process.stdout.write(`${label} (${rows.length} rows; held: ${fixed.join(', ') || 'none'}):\n`);
  used.forEach((k, j) => process.stdout.write(`  ${k.padEnd(12)} fitted ${c[j].toFixed(3).padStart(9)}   in source ${current[k]}\n`));
  for (const r of rows) {
    const model = keys.reduce((a, k) => a + current[k] * r.x[k], 0);
    const fitted = used.reduce((a, k, j) => a + c[j] * r.x[k], 0) + fixed.reduce((a, k) => a + current[k] * r.x[k], 0);
    process.stdout.write(`    ${r.name.padEnd(22)} yosys ${String(r.y).padStart(6)}  source ${model.toFixed(0).padStart(6)} (${((model / r.y - 1) * 100).toFixed(0).padStart(4)} %)  fitted ${fitted.toFixed(0).padStart(6)} (${((fitted / r.y - 1) * 100).toFixed(0).padStart(4)} %)\n`);
  }
}

const fx = readFixture();
const mv: { x: ReturnType<typeof mvtuTerms>; yl: number; yf: number; name: string }[] = [];
const inp: { x: ReturnType<typeof inputTerms>; yl: number; yf: number; name: string }[] = [];
for (const d of fx.designs) {
  const { plan } = buildDesign(d.design);
  const first = plan.stages[0] as MvtuStage;
  const row = (n: string) => d.xc7.rows.find((r) => r.row === n);
  const ir = row('input');
  if (ir) inp.push({ x: inputTerms(plan.input, first.simd, first.sf), yl: ir.luts, yf: ir.ffs, name: `${d.name} input` });
  plan.stages.forEach((s, k) => {
    const r = row(`stage ${k}`);
    if (s.kind === 'mvtu' && r) mv.push({ x: mvtuTerms(s), yl: r.luts, yf: r.ffs, name: `${d.name} stage ${k}` });
  });
}
fit('MVTU LUT', Object.keys(MVTU_LUT) as (keyof typeof MVTU_LUT)[], mv.map((r) => ({ x: r.x.luts, y: r.yl, name: r.name })), MVTU_LUT);
fit('MVTU FF', Object.keys(MVTU_FF) as (keyof typeof MVTU_FF)[], mv.map((r) => ({ x: r.x.flipFlops, y: r.yf, name: r.name })), MVTU_FF);
fit('input LUT', Object.keys(INPUT_LUT) as (keyof typeof INPUT_LUT)[], inp.map((r) => ({ x: r.x.luts, y: r.yl, name: r.name })), INPUT_LUT);
fit('input FF', Object.keys(INPUT_FF) as (keyof typeof INPUT_FF)[], inp.map((r) => ({ x: r.x.flipFlops, y: r.yf, name: r.name })), INPUT_FF);
