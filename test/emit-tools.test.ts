/**
 * The generated RTL against the real tools, for tfc (784-64-64-64-10), sfc
 * (784-256-256-256-10) and lfc (784-1024-1024-1024-10) shaped random networks at three
 * foldings each (fully folded, middle, wide):
 * - `verilator --lint-only -Wall` reports nothing (no waivers in the RTL);
 * - Icarus Verilog (-g2005) compiles the design;
 * - Yosys elaborates it with no latches, passes `check -assert`, and infers every weight
 *   ROM (and the input RAM) as a memory with its output register merged into the read
 *   port (a synchronous read: what block RAM needs). The script stops at
 *   `memory -nomap`, before any mapping, so even lfc's million-bit ROMs stay memories
 *   and the check takes seconds.
 * Plus: illegal parameters stop elaboration in all three tools.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import { manifestMvtuStages } from '../src/emit/manifest.js';
import type { Manifest } from '../src/emit/manifest.js';
import { RTL_DIR } from '../src/emit/templates.js';
import type { FoldingSpec } from '../src/hw/folding.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp, randomFoldedNet } from '../src/hw/random-model.js';
import { twoStepWeights } from '../src/hw/stages/mvtu.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-emit-tools-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: string[], cwd: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** The Yosys check script for a design (see the file comment). */
function yosysScript(m: Manifest, ramInput: boolean): string {
  const lines = [
    `read_verilog ${m.files.verilog.join(' ')}`,
    `hierarchy -check -top ${m.top}`,
    'proc',
    'opt_dff',
    'opt_clean',
    'memory -nomap',
    'opt_dff',
    'opt_clean',
    'check -assert',
    'select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$sr',
  ];
  const ffs = 't:$dff t:$dffe t:$sdff t:$sdffe t:$adff t:$adffe %u %u %u %u %u';
  for (const s of manifestMvtuStages(m)) {
    // A one-word ROM is a constant, not a memory.
    if (s.nf * s.sf < 2) continue;
    const cells = `${m.top}_${s.verilogName}_rom/u_w*`;
    lines.push(`select -assert-count ${s.pe} ${cells}`);
    lines.push(`select -assert-none ${cells} t:$mem_v2 %m %C %d`);
    // A ROM read in two steps (level 3, logic) is a memory whose first step's picks and
    // second step are registers of its own: it is logic by design, not block RAM.
    if (!twoStepWeights(s)) lines.push(`select -assert-none ${cells} %M ${ffs} %i`);
  }
  if (ramInput) {
    lines.push(`select -assert-none ${m.top}/u_input t:$mem_v2 %m %C %d`);
  }
  return lines.join('\n') + '\n';
}

const shapes = {
  tfc: [64, 64, 64],
  sfc: [256, 256, 256],
  lfc: [1024, 1024, 1024],
} as const;

const foldings = {
  folded: { pe: 1, simd: 1 },
  middle: { pe: 16, simd: 32 },
  wide: { pe: 64, simd: 56 },
} as const;

describe('generated RTL and the tools', () => {
  for (const [arch, hidden] of Object.entries(shapes)) {
    for (const [fname, fold] of Object.entries(foldings)) {
      // tfc also at --pipeline 3 (two-step buffer reads and logic weight ROM reads, skid registers, thresholds from -T, split argmax compares)
      for (const pipeline of arch === 'tfc' ? ([0, 3] as const) : ([0] as const)) {
        it(`${arch} ${fname} (PE ${fold.pe}, SIMD ${fold.simd})${pipeline ? ` --pipeline ${pipeline}` : ''}: verilator -Wall, iverilog, yosys`, () => {
          const f = randomFoldedMlp({ input: [28, 28, 1], hidden: [...hidden], classes: 10, seed: 7, name: arch });
          const plan = planHardware(f, { kind: 'uniform', ...fold }, { pipeline });
          const dir = path.join(work, `${arch}_${fname}_p${pipeline}`);
          const m = emitDesign(f, plan, dir);

          const lint = run('verilator', ['--lint-only', '-Wall', '--top-module', m.top, ...m.files.verilog], dir);
          expect(lint.out, 'verilator output').toBe('');
          expect(lint.ok).toBe(true);

          const ivl = run('iverilog', ['-g2005', '-Wall', '-s', m.top, '-o', path.join(dir, 'a.vvp'), ...m.files.verilog], dir);
          expect(ivl.ok, ivl.out).toBe(true);

          fs.writeFileSync(path.join(dir, 'check.ys'), yosysScript(m, plan.input.ram));
          const ys = run('yosys', ['-q', '-s', 'check.ys'], dir);
          expect(ys.ok, ys.out.slice(0, 4000)).toBe(true);
          fs.rmSync(dir, { recursive: true, force: true });
        });
      }
    }
  }
});

/**
 * ConvNets: after flattening, every sliding-window unit's line memory (K >= 2) and every
 * pool's row memory (S >= 2) is a memory cell, and no flip-flop drives its read
 * register (the register went into the memory's read port: a synchronous read); every
 * queue (pixels in front of a unit, columns inside one) is a memory cell too.
 */
function convYosysScript(m: Manifest): string {
  const lines = yosysScript(m, false).trim().split('\n');
  const windows = m.stages.filter((s) => s.kind === 'mvtu' && s.feed.kind === 'window' && s.feed.kernel >= 2).length;
  const pools = m.stages.filter((s) => s.kind === 'pool' && s.size >= 2).length;
  const queues = m.stages.filter((s) => s.kind === 'mvtu' && s.feed.kind === 'window' && s.feed.fifoDepth > 0).length;
  const columnQueues = m.stages.filter((s) => s.kind === 'mvtu' && s.feed.kind === 'window' && s.feed.queueColumns > 0).length;
  lines.push(
    'flatten',
    'opt_clean',
    `select -assert-count ${windows + pools} t:$mem_v2 n:*_swu.g_lines.lines n:*_pool.g_line.line %u %i`,
    `select -assert-count ${queues + columnQueues} t:$mem_v2 n:*_fifo.mem n:*_swu.g_queue.u_queue.mem %u %i`,
    'select -assert-none w:*.lines_q w:*.line_q %u %ci1 t:$dff t:$dffe t:$sdff t:$sdffe %u %u %u %i',
  );
  return lines.join('\n') + '\n';
}

describe('generated ConvNet RTL and the tools', () => {
  const nets = {
    cnv28: { input: [28, 28, 1] as [number, number, number], layers: [{ conv: 32, kernel: 3 }, { conv: 32, kernel: 3 }, { pool: 2 }, { conv: 64, kernel: 3 }, { conv: 64, kernel: 3 }, { pool: 2 }, { dense: 256 }] },
    odd: { input: [13, 11, 3] as [number, number, number], layers: [{ conv: 7, kernel: 5 }, { conv: 5, kernel: 1 }, { pool: 3 }, { dense: 9 }, { dense: 6 }] },
    // conv2 gets a pixel queue and a column queue (test/hw-rtl-conv.test.ts queue_second).
    queues: {
      input: [12, 12, 2] as [number, number, number],
      layers: [{ conv: 4, kernel: 3 }, { conv: 5, kernel: 3 }, { dense: 6 }],
      folding: { kind: 'perLayer', layers: [{ pe: 4, simd: 9 }, { pe: 5, simd: 9 }, { pe: 6, simd: 64 }, { pe: 3, simd: 6 }], source: 'test' } as FoldingSpec,
    },
  };
  for (const [arch, net] of Object.entries(nets)) {
    it(`${arch}: verilator -Wall, iverilog, yosys (no latches; ROMs and line memories are memories)`, () => {
      const f = randomFoldedNet({ input: net.input, layers: net.layers, classes: arch === 'queues' ? 3 : 10, seed: 7, name: arch });
      const plan = planHardware(f, 'folding' in net ? net.folding : { kind: 'uniform', pe: 8, simd: 32 });
      const dir = path.join(work, `conv_${arch}`);
      const m = emitDesign(f, plan, dir);
      // The queue in front of a sliding-window unit is part of what the tools see.
      if (arch === 'cnv28' || arch === 'queues') expect(m.files.verilog).toContain('bnnc_fifo.v');
      if (arch === 'queues') expect(m.stages[1].kind === 'mvtu' && m.stages[1].feed.kind === 'window' && m.stages[1].feed.queueColumns).toBeGreaterThan(0);
      const lint = run('verilator', ['--lint-only', '-Wall', '--top-module', m.top, ...m.files.verilog], dir);
      expect(lint.out, 'verilator output').toBe('');
      expect(lint.ok).toBe(true);
      const ivl = run('iverilog', ['-g2005', '-Wall', '-s', m.top, '-o', path.join(dir, 'a.vvp'), ...m.files.verilog], dir);
      expect(ivl.ok, ivl.out).toBe(true);
      fs.writeFileSync(path.join(dir, 'check.ys'), convYosysScript(m));
      const ys = run('yosys', ['-q', '-s', 'check.ys'], dir);
      expect(ys.ok, ys.out.slice(0, 4000)).toBe(true);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});

describe('illegal parameters stop elaboration in every tool', () => {
  // [module, illegal parameters, the marker module the check instantiates, legal parameters]
  const cases: [string, string, string, string][] = [
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(3), .SF(4)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4)'],
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .IN_W(4)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .IN_W(8), .ACC_W(13), .P_W(13), .X_ADDR_W(2), .W_ADDR_W(4), .P_ADDR_W(2)'],
    ['bnnc_pe', '.SIMD(4), .IN_W(8), .ACC_W(9), .P_W(9)', 'bnnc_pe_illegal_parameters', '.SIMD(4), .IN_W(8), .ACC_W(10), .P_W(10)'],
    ['bnnc_vec_buffer', '.MW(16), .SIMD(4), .SF(5), .ADDR_W(3)', 'bnnc_vec_buffer_illegal_parameters', '.MW(16), .SIMD(3), .SF(6), .ADDR_W(3)'],
    ['bnnc_pixel_input', '.NPIX(16), .IN_PIX(4), .BEATS(3), .BEAT_W(2), .SIMD(4), .SF(4), .ADDR_W(2)', 'bnnc_pixel_input_illegal_parameters', '.NPIX(15), .IN_PIX(4), .BEATS(4), .BEAT_W(2), .SIMD(4), .SF(4), .ADDR_W(2)'],
    ['bnnc_swu', '.W(5), .H(5), .C(2), .K(6), .SIMD(4), .SF(5)', 'bnnc_swu_illegal_parameters', '.W(5), .H(5), .C(2), .K(3), .SIMD(4), .SF(5)'],
    ['bnnc_fifo', '.W(4), .ADDR_W(0)', 'bnnc_fifo_illegal_parameters', '.W(4), .ADDR_W(2)'],
    ['bnnc_pool', '.W(4), .H(4), .C(2), .S(5)', 'bnnc_pool_illegal_parameters', '.W(4), .H(4), .C(2), .S(2)'],
    ['bnnc_flat_buffer', '.BEAT_W(4), .BEATS(4), .BEAT_C(2), .SIMD(4), .SF(3)', 'bnnc_flat_buffer_illegal_parameters', '.BEAT_W(4), .BEAT_C(2), .BEATS(4), .SIMD(4), .SF(4), .ADDR_W(2)'],
    ['bnnc_rom', '.WIDTH(4), .DEPTH(9), .ADDR_W(3)', 'bnnc_rom_illegal_parameters', '.WIDTH(4), .DEPTH(9), .ADDR_W(4)'],
    ['bnnc_rom_2step', '.WIDTH(4), .DEPTH(9), .ADDR_W(3)', 'bnnc_rom_2step_illegal_parameters', '.WIDTH(4), .DEPTH(9), .ADDR_W(4)'],
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(2), .W_FED(1)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(3), .W_FED(1)'],
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(4)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(3)'],
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(2), .SKID(1)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(3), .SKID(1)'],
    ['bnnc_mvtu', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(1), .X_FED(1)', 'bnnc_mvtu_illegal_parameters', '.MW(16), .MH(8), .PE(2), .SIMD(4), .NF(4), .SF(4), .PIPE(2), .X_FED(1)'],
    ['bnnc_vec_buffer', '.MW(16), .SIMD(4), .SF(4), .ADDR_W(2), .RD_REG(2)', 'bnnc_vec_buffer_illegal_parameters', '.MW(16), .SIMD(4), .SF(4), .ADDR_W(2), .RD_REG(1)'],
    ['bnnc_pe', '.SIMD(4), .PIPE(2), .GROUP(5)', 'bnnc_pe_illegal_parameters', '.SIMD(4), .PIPE(2), .GROUP(2)'],
    ['bnnc_argmax', '.N(5), .PE(2), .NF(3), .W(8), .IDX_W(2)', 'bnnc_argmax_illegal_parameters', '.N(5), .PE(2), .NF(3), .W(8), .IDX_W(3)'],
    ['bnnc_argmax', '.N(5), .PE(2), .NF(2), .W(8), .IDX_W(3)', 'bnnc_argmax_illegal_parameters', '.N(5), .PE(2), .NF(3), .W(8), .IDX_W(3)'],
    ['bnnc_argmax', '.N(5), .PE(2), .NF(3), .W(8), .IDX_W(3), .PRE(1)', 'bnnc_argmax_illegal_parameters', '.N(5), .PE(1), .NF(5), .W(8), .IDX_W(3), .PRE(1)'],
  ];
  for (const [mod, params, marker, legal] of cases) {
    it(`${mod} #(${params})`, () => {
      const dir = fs.mkdtempSync(path.join(work, 'illegal-'));
      for (const b of fs.readdirSync(RTL_DIR)) fs.copyFileSync(path.join(RTL_DIR, b), path.join(dir, b));
      const files = ['wrap.v', ...fs.readdirSync(RTL_DIR).sort()];
      const tools = (p: string) => {
        // No ports connected: only elaboration matters here.
        fs.writeFileSync(path.join(dir, 'wrap.v'), `module wrap;\n  ${mod} #(${p}) u_dut ();\nendmodule\n`);
        return [
          run('verilator', ['--lint-only', '-Wno-PINMISSING', '-Wno-DECLFILENAME', '-Wno-UNUSED', '-Wno-UNDRIVEN', '--top-module', 'wrap', ...files], dir),
          run('iverilog', ['-g2005', '-s', 'wrap', '-o', '/dev/null', ...files], dir),
          run('yosys', ['-q', '-p', `read_verilog ${files.join(' ')}; hierarchy -check -top wrap`], dir),
        ];
      };
      for (const r of tools(params)) {
        expect(r.ok).toBe(false);
        expect(r.out).toContain(marker);
      }
      // The same wrapper with legal parameters elaborates, so the failure above is the check.
      for (const r of tools(legal)) expect(r.ok, r.out).toBe(true);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
