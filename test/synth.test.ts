/**
 * bnnc synth on a small design (4x4 pixels -> 16 -> 2 classes, PE 2, SIMD 4, one pixel
 * per beat so that its 96 ports fit an HX8K's CT256 package) for every
 * target, against what the design and its plan say:
 * - the rows are input, stage 0, stage 1 (holding the argmax) (and top glue) and add up to the total
 *   Yosys reports for the whole design (its own `design` section of stat -json);
 * - no latches; the ROMs Yosys infers before mapping are the design's weight and
 *   parameter ROMs deeper than one word (the image buffer is registers at one pixel per beat);
 * - memories land as the plan's rule says: stage 0's weight ROMs (32 words x 4 bits,
 *   block under the rule below) take exactly one block RAM each, in the target's unit;
 *   stage 1's (4 words, logic) take none;
 * - iCE40: placed and routed on an HX8K with an Fmax in (1, 500) MHz, the logic cells
 *   nextpnr packs at least the LUT4 count Yosys gave, and a bitstream of the HX8K's size;
 * - generic: NAND2 count and flip-flops, and the gate-equivalent total from them.
 * Plus the one-line errors: no design, a missing tool, an unknown device; and the fit
 * check's numbers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { encodeFolded } from '../src/int/serialize.js';
import { describeOver, fitCheck, FF_NAND2, type SynthReport } from '../src/synth/report.js';
import { emptyResources, parseStatJson } from '../src/synth/stat.js';
import { runSynth } from '../src/synth/synth.js';
import { resolveDevice, TARGET_SPECS, type Target } from '../src/synth/targets.js';
import { ensureCli, runCli } from './diff/cli.js';

let work: string;
let design: string;
let boardDesign: string;
/** Memory bits per row as the plan's model counts them (input, stage k). */
let planMemoryBits: Map<string, number>;
const RULE = { minDepth: 32, minBits: 128 };

beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-synth-'));
  const f = randomFoldedMlp({ input: [4, 4, 1], hidden: [16], classes: 2, seed: 5, name: 'syn' });
  const plan = planHardware(f, { kind: 'uniform', pe: 2, simd: 4 }, { romRule: RULE, inPix: 1 });
  // The plan's decision, which the synthesis must then show.
  expect(plan.stages.map((s) => (s.kind === 'mvtu' ? [s.nf * s.sf, s.rom.weights, s.nf, s.rom.params] : null))).toEqual([
    [32, 'block', 8, 'logic'],
    [4, 'logic', 1, 'logic'],
  ]);
  design = path.join(work, 'syn');
  emitDesign(f, plan, design, { encodeFolded });
  planMemoryBits = new Map([['input', plan.estimate.input.romBits + plan.estimate.input.ramBits], ...plan.estimate.stages.map((e, k): [string, number] => [`stage ${k}`, e.romBits + e.ramBits])]);
  // The same network, four pixels per beat, with its board wrapper (a byte packer).
  boardDesign = path.join(work, 'syn-board');
  emitDesign(f, planHardware(f, { kind: 'uniform', pe: 2, simd: 4 }, { romRule: RULE, inPix: 4 }), boardDesign, { encodeFolded, board: true });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The design total as Yosys' own `design` section of stat -json counts it. */
function yosysDesignCells(out: string): Record<string, number> {
  const text = fs.readFileSync(path.join(out, 'stat.json'), 'utf8');
  const kept = text.split('\n').filter((l) => /^\s*$/.test(l) || /^\s*[{}[\]"]/.test(l));
  return (JSON.parse(kept.join('\n')) as { design: { num_cells_by_type: Record<string, number> } }).design.num_cells_by_type;
}

/** One block RAM per block ROM, in the report's unit (xc7: a RAMB18 is half a RAMB36). */
const BLOCK_PER_ROM: Record<Exclude<Target, 'generic'>, number> = { xc7: 0.5, ice40: 1, ecp5: 1 };

function checkCommon(r: SynthReport, out: string): void {
  expect(r.stages.map((x) => x.row)).toEqual(expect.arrayContaining(['input', 'stage 0', 'stage 1']));
  expect(r.stages.find((x) => x.row === 'stage 0')!.layer).toBe('fc1');
  expect(r.stages.map((x) => x.name)).toEqual(expect.arrayContaining(['input', 'fc1', 'fc2']));
  // Rows add up to the total, and the total is Yosys' own.
  const sum = emptyResources();
  for (const x of r.stages) for (const [t, n] of Object.entries(x.cells)) sum.cells[t] = (sum.cells[t] ?? 0) + n;
  expect(sum.cells).toEqual(r.total.cells);
  expect(r.total.cells).toEqual(yosysDesignCells(out));
  expect(r.latches).toEqual([]);
  // 2 PEs x (weights + params) in stage 0 (32 and 8 words); stage 1: weights of 4 words
  // (its params are one word: a constant, no memory).
  expect(r.memories.length).toBe(4 + 2);
  // Their bits (every array Yosys reads, before mapping: the one-word ROMs too), per row
  // and in total, are what the plan's model says: 2 PEs x (32 x 4 weight bits + 8 x 13
  // threshold bits) in stage 0, 2 x (4 x 4 weight bits + 45 parameter bits) in stage 1.
  for (const x of r.stages) expect([x.row, x.memoryBits]).toEqual([x.row, planMemoryBits.get(x.row) ?? 0]);
  expect(r.total.memoryBits).toBe(2 * (32 * 4 + 8 * 13) + 2 * (4 * 4 + 45));
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as SynthReport;
  expect(report).toEqual(JSON.parse(JSON.stringify(r)));
}

describe('bnnc synth on a small design', () => {
  for (const target of ['xc7', 'ecp5'] as const) {
    it(`${target}: rows per stage, no latches, ROMs where the plan puts them`, async () => {
      const out = path.join(work, `out-${target}`);
      const r = await runSynth({ rtlDir: design, target, clockMhz: 100, pnr: false, bitstream: false, out });
      checkCommon(r, out);
      const row = (n: string) => r.stages.find((x) => x.row === n)!;
      expect(row('stage 0').bram).toBe(2 * BLOCK_PER_ROM[target]);
      expect(row('stage 1').bram).toBe(0);
      expect(row('stage 0').luts).toBeGreaterThan(20);
      expect(row('stage 0').ffs).toBeGreaterThan(10);
      expect(r.total.luts).toBeLessThan(20000);
      expect(r.fit!.fits).toBe(true);
      expect(r.pnr).toBeNull();
      expect(r.pnrSkipped).toBe('--no-pnr');
    });
  }

  it('ice40: placed and routed on an HX8K, with a bitstream', async () => {
    const out = path.join(work, 'out-ice40');
    const r = await runSynth({ rtlDir: design, target: 'ice40', clockMhz: 100, pnr: true, bitstream: true, out });
    checkCommon(r, out);
    const row = (n: string) => r.stages.find((x) => x.row === n)!;
    expect(row('stage 0').bram).toBe(2);
    expect(row('stage 1').bram).toBe(0);
    expect(r.pnr).not.toBeNull();
    const p = r.pnr!;
    expect(p.fmaxMHz).toBeGreaterThan(1);
    expect(p.fmaxMHz).toBeLessThan(500);
    // Every LUT4 needs a logic cell; carries and flip-flops may share them.
    expect(p.utilisation.ICESTORM_LC.used).toBeGreaterThanOrEqual(r.total.luts);
    expect(p.utilisation.ICESTORM_LC.available).toBe(7680);
    expect(p.seed).toBe(1);
    expect(p.utilisation.ICESTORM_RAM.used).toBe(r.total.bram);
    expect(p.utilisation.SB_IO.used).toBe(r.ioPins);
    // An HX8K bitstream (icepack, uncompressed) is 135 100 bytes.
    expect(fs.statSync(path.join(out, 'design.bin')).size).toBe(135100);
  });

  it('ice40 --board: the wrapper placed on a UP5K (SG48) with its 15 pins, with a bitstream', async () => {
    const out = path.join(work, 'out-board');
    const r = await runSynth({ rtlDir: boardDesign, target: 'ice40', device: 'up5k', clockMhz: 50, pnr: true, bitstream: true, board: true, out, seed: 2 });
    expect(r.design.top).toBe('syn');
    expect(r.design.board).toBe('syn_board');
    // The design's rows (its top-level glue when there is any), then the wrapper's.
    expect(r.stages.map((x) => x.row).filter((x) => x !== 'top')).toEqual(['input', 'stage 0', 'stage 1', 'board']);
    expect(r.stages[r.stages.length - 1].row).toBe('board');
    const sum = emptyResources();
    for (const x of r.stages) for (const [t, n] of Object.entries(x.cells)) sum.cells[t] = (sum.cells[t] ?? 0) + n;
    expect(sum.cells).toEqual(r.total.cells);
    expect(r.total.cells).toEqual(yosysDesignCells(out));
    // The packer: two 32-bit beat registers, slot and pixel counters, full flags.
    const board = r.stages.find((x) => x.row === 'board')!;
    expect(board.ffs).toBeGreaterThanOrEqual(64);
    expect(board.bram).toBe(0);
    expect(r.latches).toEqual([]);
    // clk, rst, 8 data + valid + ready in, 1 class bit + valid out, ready in.
    expect(r.ioPins).toBe(15);
    expect(r.fit!.fits).toBe(true);
    const p = r.pnr!;
    expect(p.fmaxMHz).toBeGreaterThan(1);
    expect(p.fmaxMHz).toBeLessThan(500);
    expect(p.utilisation.SB_IO.used).toBe(15);
    expect(p.seed).toBe(2);
    expect(p.utilisation.ICESTORM_LC.available).toBe(5280);
    expect(p.utilisation.ICESTORM_RAM.used).toBe(r.total.bram);
    // A UP5K bitstream (icepack, uncompressed) is 104 090 bytes.
    expect(fs.statSync(path.join(out, 'design.bin')).size).toBe(104090);
  });

  it('generic: NAND2 gates and flip-flops, and their gate equivalents', async () => {
    const out = path.join(work, 'out-generic');
    const r = await runSynth({ rtlDir: design, target: 'generic', clockMhz: 100, pnr: true, bitstream: false, out });
    checkCommon(r, out);
    // Only NAND, NOT and flip-flops remain after `abc -g NAND`.
    for (const t of Object.keys(r.total.cells)) expect(t).toMatch(/^\$_(NAND|NOT|S?DFFS?R?C?E?_[PN01]+)_$/);
    expect(r.total.nand2).toBe((r.total.cells.$_NAND_ ?? 0) + (r.total.cells.$_NOT_ ?? 0));
    expect(r.total.nand2).toBeGreaterThan(100);
    expect(r.nand2Equivalents).toBe(r.total.nand2 + FF_NAND2 * r.total.ffs);
    expect(r.device).toBeNull();
    expect(r.fit).toBeNull();
    expect(r.pnrSkipped).toBe('no open place and route for generic');
  });
});

describe('fit against a device', () => {
  it('names what is over, with the numbers', () => {
    const t = { ...emptyResources(), luts: 27373, ffs: 3095, bram: 3, dsp: 0 };
    const fit = fitCheck('ice40', resolveDevice('ice40', 'hx8k')!, t, 216, true)!;
    expect(fit.fits).toBe(false);
    expect(describeOver('ice40', fit.over)).toBe('27 373 LUT4 > 7 680; 216 I/O pins > 206');
    const ecp = fitCheck('ecp5', resolveDevice('ecp5', '25k')!, { ...t, luts: 20000, carries: 3000 }, 216, false)!;
    // ECP5: a CCU2C carry holds two LUT4s.
    expect(ecp.over).toEqual([{ resource: 'luts', used: 26000, available: 24288 }]);
  });

  it('every device of every target has the capacities the fit needs', () => {
    for (const spec of Object.values(TARGET_SPECS)) {
      for (const d of Object.values(spec.devices)) {
        expect(d.luts).toBeGreaterThan(1000);
        expect(d.io).toBeGreaterThan(30);
        expect(d.pnrArgs === null).toBe(spec.pnrTool === null);
      }
    }
  });

  it('parses Yosys 0.23 stat -json with the hierarchy text it prints inside', () => {
    const text = '{\n "modules": {\n  "\\\\top": {\n   "num_cells_by_type": {\n    "\\\\sub": 2,\n    "SB_LUT4": 1\n   }\n  }\n },\n     top      1\n       sub    2\n "design": {}\n}\n';
    expect([...parseStatJson(text, 'x').entries()]).toEqual([['top', { sub: 2, SB_LUT4: 1 }]]);
  });
});

describe('bnnc synth errors', () => {
  it('a placer seed out of range: one line naming --seed', async () => {
    await expect(runSynth({ rtlDir: design, target: 'ice40', clockMhz: 100, pnr: true, bitstream: false, out: path.join(work, 'seed-out'), seed: 0 })).rejects.toThrow(/--seed/);
    expect(fs.existsSync(path.join(work, 'seed-out'))).toBe(false);
  });

  it('no design: one line, exit 1, nothing written', async () => {
    const out = path.join(work, 'none-out');
    const r = await runCli(['synth', path.join(work, 'nowhere'), '--target', 'ice40', '--out', out]);
    expect(r.stderr).toBe(`bnnc: ${path.join(work, 'nowhere')}: manifest.json: expected an RTL directory written by \`bnnc compile\`, got no manifest.json\n`);
    expect(r.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an unknown device: one line listing the devices', async () => {
    const r = await runCli(['synth', design, '--target', 'ice40', '--device', 'hx9k']);
    expect(r.stderr).toBe('bnnc: command line: --device: expected one of hx1k, hx8k, up5k for --target ice40, got "hx9k"\n');
    expect(r.code).toBe(1);
  });

  it('yosys missing from PATH: the install line, before any work', async () => {
    const out = path.join(work, 'noyosys-out');
    const r = await runCli(['synth', design, '--target', 'xc7', '--out', out], { env: { ...process.env, PATH: path.join(work, 'empty-bin') } });
    expect(r.stderr).toBe('bnnc: yosys not found; install it with: apt-get install yosys (or make setup)\n');
    expect(r.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--board on a design compiled without it', async () => {
    const r = await runCli(['synth', design, '--target', 'ice40', '--board', '--out', path.join(work, 'out-noboard')]);
    expect(r.stderr).toBe(`bnnc: ${path.join(design, 'manifest.json')}: board: expected a design compiled with --board (bnnc synth --board places its wrapper), got null\n`);
    expect(r.code).toBe(1);
    expect(fs.existsSync(path.join(work, 'out-noboard'))).toBe(false);
  });

  it('--bitstream on a target without place and route', async () => {
    const r = await runCli(['synth', design, '--target', 'xc7', '--bitstream']);
    expect(r.stderr).toBe('bnnc: command line: --bitstream: expected a target with open place and route (ice40, ecp5), got --target xc7\n');
    expect(r.code).toBe(1);
  });
});
