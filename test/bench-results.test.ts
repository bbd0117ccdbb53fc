/**
 * bench/results.ts, the writer of docs/results.md: fed fixture bench outputs, its rows
 * carry the figures and their ratios to FINN's published ones, an absent input gives
 * "not measured" with the command that measures it, and a file that names no commit is
 * traced to the bench/run.ts run that lists it. No tool runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FINN, loadInputs, num, ratio, renderResults, type Inputs } from '../bench/results.js';
import { criticalPath, type BoardRow } from '../bench/synth-board.js';
import type { SynthFigures } from '../bench/synth-lfc.js';

const stamp = (file: string) => ({ file, date: '2026-12-08T01:00:00.000Z', commit: 'abc1234 2026-12-08T00:00:00+00:00' });

const bin2: SynthFigures = { variant: 'bin2', describe: '--input-bits 1, --pipeline 2', ii: 512, latency: 1706, luts: 18456, flipFlops: 25840, carry4: 1726, ramb18: 64, ramb36: 64, dsp: 30, seconds: 300 };

const lfc85k: BoardRow = {
  net: 'lfc',
  folding: [[8, 49], [8, 32], [8, 32], [10, 8]],
  pipeline: 2,
  romRule: { minDepth: 64, minBits: 2048 },
  ii: 4096,
  latency: 10410,
  device: 'LFE5U-85F-6BG381C',
  clockMhz: 150,
  seeds: [1],
  fmaxBySeedMHz: [120],
  fmaxMinMHz: 120,
  fmaxMedianMHz: 120,
  fmaxMaxMHz: 120,
  medianSeed: 1,
  utilisation: { TRELLIS_COMB: { used: 20910, available: 83640 }, DP16KD: { used: 0, available: 208 } },
  yosys: { luts: 18000, ffs: 21000, carries: 600, lutram: 0, bram: 100, dsp: 30, memoryBits: 2965186, cells: {}, nand2: 0 },
  ioPins: 18,
  bitstreamBytes: 2000000,
  criticalPath: { from: 'a.q', to: 'b.d', ns: 8.33 },
  seconds: { yosys: 365, pnr: 2000, bitstream: 30 },
  date: '2026-12-08T02:40:00.000Z',
  commit: 'def5678 2026-12-08T02:00:00+00:00',
  wallSeconds: 2400,
  cpuSeconds: 1500,
};

function inputs(over: Partial<Inputs> = {}): Inputs {
  return { synthLfc: null, synthBoard: null, verify: null, cnvPlan: null, calibration: null, ...over };
}

/** The table row of the page that starts with `| label |`. */
function row(page: string, label: string): string {
  const line = page.split('\n').find((l) => l.startsWith(`| ${label} |`));
  if (!line) throw new Error(`no row ${label}`);
  return line;
}

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('bench/results.ts', () => {
  it('formats figures and ratios to FINN', () => {
    expect(num(18456)).toBe('18 456');
    expect(num(83.5)).toBe('83.5');
    expect(num(0.31)).toBe('0.31');
    expect(ratio(18456, 28360)).toBe('0.65×');
  });

  it("sets lfc at FINN's folding beside FINN's lfcW1A1 figures, with their source", () => {
    const page = renderResults(inputs({ synthLfc: { ...stamp('bench/out/synth-lfc.json'), data: { results: [bin2] } } }), 'g');
    const r = row(page, 'lfc bin2');
    // 18 456 / 28 360 LUT, 25 840 / 33 470 FF, (64 + 64 / 2) / 110 BRAM tiles, 30 / 4 DSP.
    expect(r).toContain('| 512 | 1 706 | 18 456 (0.65×) | 25 840 (0.77×) | 96 (0.87×) | 30 (7.50×) | bench/out/synth-lfc.json |');
    const finnRow = row(page, 'FINN lfcW1A1 (BNN-PYNQ), PYNQ-Z1, Vivado 2018.2, whole Zynq design placed and routed at 100 [3] MHz');
    expect(finnRow).toContain('| 28 360 [1] | 33 470 [1] | 110 [1] | 4 [1] |');
    expect(page).toContain('\n1. Xilinx/BNN-PYNQ (commit d39c1c7) bnn/src/network/lfcW1A1/README.md');
    // The variants not in the file are not measured, each with its command.
    expect(row(page, 'lfc p0')).toContain('not measured: `npx tsx bench/synth-lfc.ts p0`');
    expect(page).toContain('| bench/out/synth-lfc.json | 2026-12-08T01:00:00.000Z | abc1234 2026-12-08T00:00:00+00:00 |');
  });

  it('says "not measured" for every absent input, with the command that measures it', () => {
    const page = renderResults(inputs(), 'g');
    expect(page).toContain('| bench/out/synth-board.json | absent |');
    expect(page).toContain('| test/fixtures/yosys-area.json | absent |');
    expect(row(page, 'lfc-85k')).toContain('not measured: `npx tsx bench/synth-board.ts lfc-85k`');
    expect(row(page, 'tfc-finn')).toContain('not measured: `npx tsx bench/calibrate-area.ts tfc-finn`');
    expect(row(page, 'bnnc cnv at FINN\'s folding')).toContain('not measured: `npx tsx bench/cnv-plan.ts`');
    // No bnnc figure without an input: every row that is not FINN's or a plan row says so.
    for (const l of page.split('\n').filter((x) => x.startsWith('| ') && !x.startsWith('| FINN') && !x.startsWith('| ---') && !x.includes('absent'))) {
      if (/^\| (design point|run|file) /.test(l)) continue;
      expect(l).toContain('not measured');
    }
  });

  it('reports ECP5 Fmax against the goal and FINN\'s clock, with utilisation and times', () => {
    const page = renderResults(inputs({ synthBoard: { ...stamp('bench/out/synth-board.json'), data: { runs: { 'lfc-85k': lfc85k } } } }), 'g');
    const r = row(page, 'lfc-85k');
    expect(r).toContain('| 120.0 / **120.0** / 120.0 (seed 1) | ≥ 150: not met | 1.20× |');
    // 120 MHz / II 4096 = 29 297 images/s; 20 910 of 83 640 TRELLIS_COMB is 25 %.
    expect(r).toContain('| 29 297 |');
    expect(r).toContain('TRELLIS_COMB 20 910 / 83 640 (25 %)');
    expect(r).not.toContain('DP16KD');
    expect(r).toContain('a.q → b.d (8.33 ns)');
    expect(r).toContain('Yosys 365 s; nextpnr 2000 s; all seeds 2400 s wall, 1500 s CPU');
    expect(r).toContain('def5678 2026-12-08T02:00:00+00:00');
    expect(row(page, 'tfc-hx8k')).toContain('not measured: `npx tsx bench/synth-board.ts tfc-hx8k`');
  });

  it('traces a file without its own commit to the bench/run.ts run that lists it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-results-test-'));
    tmp.push(dir);
    const rel = path.relative(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), path.join(dir, 'synth-lfc.json'));
    fs.writeFileSync(path.join(dir, 'synth-lfc.json'), JSON.stringify({ date: '2026-12-07T18:46:00.000Z', results: [bin2] }));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ run: { started: '2026-12-07T18:00:00.000Z', commit: '1234567 2026-12-07T17:00:00+00:00' }, scripts: [{ outputs: [rel] }] }));
    const inp = loadInputs(dir, path.join(dir, 'no-fixture.json'));
    expect(inp.synthLfc?.commit).toBe('1234567 2026-12-07T17:00:00+00:00 (the bench/run.ts run of 2026-12-07T18:00:00.000Z)');
    expect(inp.synthLfc?.data.results[0].luts).toBe(18456);
    expect(inp.synthBoard).toBeNull();
    expect(inp.calibration).toBeNull();
  });

  it("reads the clock's critical path from nextpnr-ice40 0.4 and nextpnr-ecp5 0.11 logs", () => {
    const ice40 = [
      "Info: Critical path report for clock 'clk$SB_IO_IN_$glb_clk' (posedge -> posedge):",
      'Info: curr total',
      'Info:  0.54  0.54 Source u_a.q_SB_DFFE_Q_DFFLC.O',
      'Info:  1.20  8.71 Setup u_b.d_SB_DFF_Q_DFFLC.I0',
      "Info: Critical path report for cross-domain path '<async>' -> '<async>':",
      'Info:  0.00  0.00 Source rst$sb_io.D_IN_0',
      'Info:  9.00  9.00 Setup x.I0',
    ].join('\n');
    expect(criticalPath(ice40)).toEqual({ from: 'u_a.q_SB_DFFE_Q_DFFLC.O', to: 'u_b.d_SB_DFF_Q_DFFLC.I0', ns: 8.71 });
    const ecp5 = [
      "Info: Critical path report for clock '$glbnet$clk$TRELLIS_IO_IN' (posedge -> posedge):",
      'Info:       type curr  total name',
      'Info:   clk-to-q  0.52  0.52 Source u_core.acc_reg_TRELLIS_FF_Q.Q',
      'Info:    routing  0.84  1.36 Net n (100,71) -> (99,71)',
      'Info:                          Sink u_core.en_LUT4_D.A',
      'Info:      logic  0.24  40.46 Source u_core.en_LUT4_D.F',
      'Info:      setup  0.00  41.30 Setup u_core.run_val_reg_TRELLIS_FF_Q_23.CE',
      "Info: Critical path report for cross-domain path '<async>' -> '<async>':",
      'Info:     source  0.00  0.00 Source rst$tr_io.O',
      'Info:      setup  0.00  10.08 Setup class_valid$tr_io.I',
    ].join('\n');
    expect(criticalPath(ecp5)).toEqual({ from: 'u_core.acc_reg_TRELLIS_FF_Q.Q', to: 'u_core.run_val_reg_TRELLIS_FF_Q_23.CE', ns: 41.3 });
  });

  it('cites a source for every FINN figure', () => {
    for (const f of FINN) expect(f.source).toMatch(/^(Xilinx\/(BNN-PYNQ|finn|finn-examples) .*\.(md|h|tcl|ipynb)|Umuroglu et al\.)/);
  });
});
