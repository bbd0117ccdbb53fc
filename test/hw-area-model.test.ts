/**
 * The calibrated resource model (src/hw/area.ts) against Yosys:
 * - against the calibration fixture (test/fixtures/yosys-area.json, written by
 *   bench/calibrate-area.ts; no Yosys run): for every design of bench/calibrate-designs.ts
 *   (tfc, sfc, lfc at three foldings, every first-layer kind and pipeline level) the
 *   model's xc7 LUTs are within 20 % of Yosys', its flip-flops within 20 %, its memory
 *   bits (ROMs, image buffer RAM) equal Yosys' inferred memory bits, in total and per
 *   stage, and its iCE40 LUT4s within 20 % where the design was synthesized for iCE40;
 * - the fixture is not stale: each design's RTL hash is that of what `bnnc compile`
 *   writes today for it (else: rerun the bench script for that design);
 * - live: tfc at its small folding synthesized by Yosys now (xc7), against the model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFixture, type FixtureDesign } from '../bench/calibrate-area.js';
import { buildDesign, DESIGNS, rtlHash } from '../bench/calibrate-designs.js';
import { emitDesign } from '../src/emit/emit.js';
import { estimateArea } from '../src/hw/area.js';
import { runSynth } from '../src/synth/synth.js';

const TOLERANCE = 0.2;
const fx = readFixture();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-area-model-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Relative error of the model against Yosys. */
const rel = (model: number, yosys: number): number => (model - yosys) / yosys;

function modelOf(f: FixtureDesign) {
  const { plan } = buildDesign(f.design);
  return { plan, e: estimateArea(plan.input, plan.stages) };
}

describe('resource model against the Yosys calibration fixture', () => {
  it('the fixture holds every calibration design, as described today', () => {
    expect(fx.format).toBe('bnnc-area-calibration');
    expect(fx.designs.map((d) => d.name)).toEqual(DESIGNS.map((d) => d.name));
    for (const f of fx.designs) expect(f.design).toEqual(DESIGNS.find((d) => d.name === f.name));
  });

  for (const f of fx.designs) {
    it(`${f.name}: RTL unchanged since measured, LUTs and FFs within 20 %, memory bits exact`, () => {
      const hash = rtlHash(f.design);
      if (hash !== f.rtlHash) {
        throw new Error(`the RTL of ${f.name} changed since test/fixtures/yosys-area.json was measured: rerun \`npx tsx bench/calibrate-area.ts ${f.name}\` (and refit with bench/fit-area.ts if the model drifts)`);
      }
      const { plan, e } = modelOf(f);
      expect(plan.ii).toBe(f.ii);
      const y = f.xc7.total;
      expect(Math.abs(rel(e.luts, y.luts)), `LUTs: model ${e.luts}, Yosys ${y.luts}`).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(rel(e.flipFlops, y.ffs)), `FFs: model ${e.flipFlops}, Yosys ${y.ffs}`).toBeLessThanOrEqual(TOLERANCE);
      expect(e.romBits + e.ramBits).toBe(y.memoryBits);
      const per = [e.input, ...e.stages];
      const names = ['input', ...plan.stages.map((_, k) => `stage ${k}`)];
      for (const [i, n] of names.entries()) {
        const row = f.xc7.rows.find((r) => r.row === n);
        expect([n, per[i].romBits + per[i].ramBits]).toEqual([n, row?.memoryBits ?? 0]);
      }
      if (f.ice40 !== null) {
        expect(Math.abs(rel(e.ice40Luts, f.ice40.total.luts)), `iCE40 LUT4: model ${e.ice40Luts}, Yosys ${f.ice40.total.luts}`).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  }
});

describe('resource model against Yosys, live', () => {
  it('tfc at its small folding: Yosys xc7 now, LUTs within 20 % of the model, memory bits exact', async () => {
    const d = DESIGNS.find((x) => x.name === 'tfc-small')!;
    const { folded, plan } = buildDesign(d);
    const dir = path.join(work, d.name);
    emitDesign(folded, plan, dir);
    const r = await runSynth({ rtlDir: dir, target: 'xc7', clockMhz: 100, pnr: false, bitstream: false, out: `${dir}.synth` });
    const e = plan.estimate;
    expect(Math.abs(rel(e.luts, r.total.luts)), `LUTs: model ${e.luts}, Yosys ${r.total.luts}`).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(rel(e.flipFlops, r.total.ffs)), `FFs: model ${e.flipFlops}, Yosys ${r.total.ffs}`).toBeLessThanOrEqual(TOLERANCE);
    expect(e.romBits + e.ramBits).toBe(r.total.memoryBits);
    expect(r.latches).toEqual([]);
  }, 300_000);
});
