/**
 * The folding planner (src/hw/planner.ts): --target-cycles weighs foldings by their
 * modelled cost and keeps the input beat within MAX_BEAT_PIXELS; --target-fps at a clock;
 * --max-luts, --max-bram and --device respected, or one InputError naming the layer,
 * whose figure is checked at its boundary (the limit one below it fails, at it passes).
 * The fewest-lanes pick the planner made before (cheapestFolding) is the reference the
 * cost is compared with. RTL with a planner-chosen folding: test/hw-rtl-cycles.test.ts
 * (planner_fit_luts) and the target cases there and in hw-rtl-conv.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { foldingFromArgs } from '../src/commands/compile.js';
import { InputError } from '../src/errors.js';
import { modelHash, saveModel } from '../src/graph/io.js';
import { cheapestFolding, type FoldingSpec } from '../src/hw/folding.js';
import { mvtuStages, planHardware, type HwPlan } from '../src/hw/plan.js';
import { DEVICE_NAMES, findDevice, MAX_BEAT_PIXELS, planFigures, romBlocks } from '../src/hw/planner.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { foldModel } from '../src/int/fold.js';
import type { FoldedModel } from '../src/int/types.js';
import { buildModel } from '../src/nn/arch.js';
import { TARGET_SPECS } from '../src/synth/targets.js';
import { ensureCli, runCli } from './diff/cli.js';

const input = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
const cache = new Map<string, FoldedModel>();
function net(arch: string): FoldedModel {
  let f = cache.get(arch);
  if (f === undefined) {
    const m = buildModel(arch, { input, classes: 10, seed: 1 });
    f = foldModel(m, modelHash(m));
    cache.set(arch, f);
  }
  return f;
}

/** The folding --target-cycles N picked before: per layer the fewest PE x SIMD lanes. */
function fewestLanes(f: FoldedModel, n: number): FoldingSpec {
  const layers = f.layers.flatMap((l) => (l.kind === 'maxpool' ? [] : [cheapestFolding(l.rows, l.cols, Math.floor(n / (l.outShape[0] * l.outShape[1])))!]));
  return { kind: 'perLayer', layers, source: 'fewest lanes' };
}

const beatBits = (p: HwPlan): number => 8 * p.input.inPix;
const slowestStage = (p: HwPlan): number => Math.max(p.input.ii, ...p.stages.map((s) => s.frameCycles));

describe('--target-cycles by modelled cost', () => {
  it('sfc at 512: no longer PE 1 x SIMD 392 (a 3136-bit beat); within 512 bits, II <= 512, and cheaper by the model', () => {
    const f = net('sfc');
    const old = planHardware(f, fewestLanes(f, 512));
    expect(mvtuStages(old)[0]).toMatchObject({ pe: 1, simd: 392 });
    expect(beatBits(old)).toBe(3136);
    const p = planHardware(f, { kind: 'target', targetCycles: 512 });
    const first = mvtuStages(p)[0];
    expect(first.simd).toBeLessThanOrEqual(MAX_BEAT_PIXELS);
    expect(beatBits(p)).toBeLessThanOrEqual(8 * MAX_BEAT_PIXELS);
    expect(p.ii).toBeLessThanOrEqual(512);
    expect(slowestStage(p)).toBeLessThanOrEqual(512);
    expect(planFigures(p).cost).toBeLessThan(planFigures(old).cost);
    expect(p.planner).toMatchObject({ targetCycles: 512, budget: 512, bound: 'cycles', from: '--target-cycles 512' });
  });

  it('the beat rule gives way where the target needs more pixels per beat: tfc at 8 cycles', () => {
    const p = planHardware(net('tfc'), { kind: 'target', targetCycles: 8 });
    // 784 pixels in at most 8 beats: at least 98 pixels a beat, and no more than needed.
    expect(p.input.inPix).toBe(98);
    expect(p.ii).toBeLessThanOrEqual(8);
  });

  const grid: [string, number[]][] = [
    ['tfc', [64, 512, 6272]],
    ['sfc', [64, 512, 4096]],
    ['lfc', [512, 4096]],
    ['cnv28', [8000, 32768]],
  ];
  for (const [arch, targets] of grid) {
    it(`${arch} at ${targets.join(', ')}: never costlier by the model than the fewest-lanes pick, every stage within the target`, () => {
      const f = net(arch);
      for (const n of targets) {
        const p = planHardware(f, { kind: 'target', targetCycles: n });
        const old = planHardware(f, fewestLanes(f, n));
        const a = planFigures(p);
        const b = planFigures(old);
        expect(a.cost, `${arch} at ${n}: ${a.cost} vs ${b.cost}`).toBeLessThanOrEqual(b.cost);
        expect(slowestStage(p)).toBeLessThanOrEqual(n);
        expect(p.ii).toBeLessThanOrEqual(n);
        expect(p.planner!.luts).toBe(a.luts);
        expect(p.planner!.bram).toBe(a.bram);
        if (p.stages[0].kind === 'mvtu' && p.stages[0].feed.kind === 'image') expect(beatBits(p)).toBeLessThanOrEqual(Math.max(8 * MAX_BEAT_PIXELS, beatBits(old)));
      }
    });
  }
});

describe('block RAM count', () => {
  it('counts the best block shape, tiled, in the device unit', () => {
    // xc7 RAMB18 (half a RAMB36): 2048 x 9 holds 2000 x 8; 512 x 36 twice for 600 x 36
    expect(romBlocks('xc7', 2000, 8)).toBe(0.5);
    expect(romBlocks('xc7', 600, 36)).toBe(1);
    // iCE40 4 kbit: 256 x 16, 512 x 8, 1024 x 4, 2048 x 2; 49 bits x 256 words: 4 blocks of 16
    expect(romBlocks('ice40', 256, 49)).toBe(4);
    expect(romBlocks('ice40', 4096, 1)).toBe(2);
    expect(romBlocks('ecp5', 1024, 18)).toBe(1);
  });

  it('--device names every device of src/synth/targets.ts and only those', () => {
    const all = Object.values(TARGET_SPECS).flatMap((t) => Object.keys(t.devices));
    expect(DEVICE_NAMES).toEqual(all);
    for (const name of all) expect(findDevice(name.toUpperCase()).device.name).toBe(name);
    expect(() => findDevice('xc9z999')).toThrow(/--device: expected one of xc7z020, .*85k, got "xc9z999"/);
  });
});

describe('--target-fps at --clock-mhz', () => {
  it('gives every stage and the network II at most clock / fps cycles', () => {
    for (const [fps, clock, arch] of [[200000, 100, 'sfc'], [3000, 25, 'cnv28'], [1e6, 50, 'tfc']] as const) {
      const { spec } = foldingFromArgs({ targetFps: fps, clockMhz: clock });
      const budget = Math.floor((clock * 1e6) / fps);
      expect(spec).toMatchObject({ kind: 'target', targetCycles: budget });
      const p = planHardware(net(arch), spec);
      expect(p.ii, `${arch} at ${fps} fps, ${clock} MHz`).toBeLessThanOrEqual(budget);
      expect((clock * 1e6) / p.ii).toBeGreaterThanOrEqual(fps);
      expect(p.planner!.from).toBe(`--target-fps ${fps} at --clock-mhz ${clock}: ${budget} cycles a frame`);
    }
  });

  it('refuses a rate past one frame per cycle, and malformed or conflicting options', () => {
    expect(() => foldingFromArgs({ targetFps: 2e8, clockMhz: 100 })).toThrow(/--target-fps: expected at most 100000000 frames per second/);
    expect(() => foldingFromArgs({ targetFps: 0 })).toThrow(/--target-fps: expected a positive number/);
    expect(() => foldingFromArgs({ targetFps: 10, targetCycles: 5 })).toThrow(/one of --fold, --pe\/--simd, --target-cycles, --target-fps/);
    expect(() => foldingFromArgs({ targetFps: 10, pe: 2 })).toThrow(InputError);
    expect(() => foldingFromArgs({ maxLuts: 100, pe: 2 })).toThrow(/--max-luts, --max-bram and --device without --fold or --pe\/--simd/);
    expect(() => foldingFromArgs({ device: 'hx8k', fold: 'x.json' })).toThrow(/without --fold/);
    expect(() => foldingFromArgs({ maxLuts: 0 })).toThrow(/--max-luts: expected a positive integer/);
    expect(() => foldingFromArgs({ maxBram: -1 })).toThrow(/--max-bram: expected a whole number/);
    expect(() => foldingFromArgs({ device: 'nope' })).toThrow(/--device: expected one of/);
    expect(foldingFromArgs({ maxBram: 0 })).toEqual({ spec: { kind: 'fit', limits: { maxBram: 0 } } });
    expect(foldingFromArgs({ targetCycles: 9, maxLuts: 5, device: 'up5k' })).toEqual({ spec: { kind: 'target', targetCycles: 9, limits: { maxLuts: 5, device: 'up5k' } } });
  });
});

describe('resource limits', () => {
  it('--max-luts with a target: the named layer and total are the boundary (one below fails, at it fits)', () => {
    const f = net('sfc');
    let err: unknown;
    try {
      planHardware(f, { kind: 'target', targetCycles: 512, limits: { maxLuts: 1000 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = String((err as Error).message);
    expect(msg).toMatch(/^command line: --max-luts: expected room for layer fc0 \(layers\[0\]\), which needs at least \d+ LUTs at II <= 512 \(the whole design at least \d+\), got 1000 LUTs$/);
    const total = Number(/the whole design at least (\d+)/.exec(msg)![1]);
    expect(() => planHardware(f, { kind: 'target', targetCycles: 512, limits: { maxLuts: total - 1 } })).toThrow(/--max-luts/);
    const p = planHardware(f, { kind: 'target', targetCycles: 512, limits: { maxLuts: total } });
    expect(p.planner!.luts).toBeLessThanOrEqual(total);
    expect(planFigures(p).luts).toBe(p.planner!.luts);
    expect(p.planner!.bound).toBe('luts');
    expect(p.ii).toBeLessThanOrEqual(512);
  });

  it('--max-bram: within it (0: every ROM in logic), the limit said to bind', () => {
    const f = net('sfc');
    const free = planHardware(f, { kind: 'target', targetCycles: 512 });
    expect(free.planner!.bram).toBeGreaterThan(0);
    for (const b of [0, 2]) {
      const p = planHardware(f, { kind: 'target', targetCycles: 512, limits: { maxBram: b } });
      expect(planFigures(p).bram).toBeLessThanOrEqual(b);
      expect(p.planner!.bound).toBe('bram');
      expect(p.planner!.reason).toMatch(new RegExp(`breaks --max-bram ${b}`));
      expect(slowestStage(p)).toBeLessThanOrEqual(512);
    }
  });

  it('limits alone: the fastest design that fits (one cycle less per stage does not)', () => {
    const f = net('tfc');
    const p = planHardware(f, { kind: 'fit', limits: { maxLuts: 5000 } });
    const c = p.planner!;
    expect(c.targetCycles).toBeNull();
    expect(c.luts).toBeLessThanOrEqual(5000);
    expect(slowestStage(p)).toBeLessThanOrEqual(c.budget);
    expect(() => planHardware(f, { kind: 'target', targetCycles: c.budget - 1, limits: { maxLuts: 5000 } })).toThrow(/--max-luts/);
    expect(c.reason).toMatch(new RegExp(`^the fastest design within --max-luts 5000: every stage within ${c.budget} cycles per frame \\(${c.budget - 1} would break --max-luts 5000\\)`));
  });

  it('the small net hw-rtl-cycles verifies on Icarus (planner_fit_luts): 600 LUTs, no block RAM', () => {
    const f = randomFoldedMlp({ input: [5, 5, 1], hidden: [13, 11], classes: 5, seed: 2, name: 'nondividing' });
    const p = planHardware(f, { kind: 'fit', limits: { maxLuts: 600, maxBram: 0 } });
    expect(mvtuStages(p).map((s) => [s.pe, s.simd])).toEqual([[2, 5], [1, 5], [1, 2]]);
    expect(p.ii).toBe(35);
    expect(p.planner!.luts).toBeLessThanOrEqual(600);
    expect(p.planner!.bram).toBe(0);
    expect(() => planHardware(f, { kind: 'target', targetCycles: 34, limits: { maxLuts: 600, maxBram: 0 } })).toThrow(InputError);
  });

  it('--device: its LUTs, flip-flops and block RAMs respected (hx8k, in its SB_RAM40_4K), or the layer named', () => {
    const hx8k = findDevice('hx8k').device;
    const p = planHardware(net('tfc'), { kind: 'fit', limits: { device: 'hx8k' } });
    const fig = planFigures(p, 'hx8k');
    expect(fig.luts).toBeLessThanOrEqual(hx8k.luts);
    expect(fig.flipFlops).toBeLessThanOrEqual(hx8k.ffs);
    expect(fig.bram).toBeLessThanOrEqual(hx8k.bram);
    expect(p.planner).toMatchObject({ bramUnit: 'SB_RAM40_4K', bramWeight: Math.round(hx8k.luts / hx8k.bram), limits: { device: 'hx8k', maxLuts: hx8k.luts, maxBram: hx8k.bram } });
    // sfc's 331 kbit of weights fit neither the 128 kbit of block RAM nor, as logic, the LUTs
    expect(() => planHardware(net('sfc'), { kind: 'fit', limits: { device: 'hx8k' } })).toThrow(
      /^command line: --device hx8k: expected room for layer fc0 \(layers\[0\]\) .* even fully folded \(II 200704\).*got 7680 LUTs and 32 SB_RAM40_4K$/,
    );
    // a tighter flag than the device is the one named
    expect(() => planHardware(net('tfc'), { kind: 'target', targetCycles: 64, limits: { device: 'xc7z020', maxLuts: 2000 } })).toThrow(/^command line: --max-luts: /);
  });
});

describe('bnnc compile with the planner (CLI)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-planner-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tfc = path.join(dir, 'tfc.bnn');
  saveModel(tfc, buildModel('tfc', { input, classes: 10, seed: 1 }));

  it('--target-fps with --clock (an alias of --clock-mhz): prints and records the choice', async () => {
    await ensureCli();
    const out = path.join(dir, 'fps');
    const r = await runCli(['compile', tfc, '--out', out, '--target-fps', '100000', '--clock', '50', '--max-bram', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^planner \(bound by the (cycle target|block RAM limit)\): every stage within 500 cycles per frame \(--target-fps 100000 at --clock-mhz 50: 500 cycles a frame\)/m);
    expect(r.stdout).toMatch(/at 50 MHz: /);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.planner).toMatchObject({ targetCycles: 500, budget: 500, limits: { maxBram: 1 } });
    expect(m.planner.bram).toBeLessThanOrEqual(1);
    expect(m.cycles.ii).toBeLessThanOrEqual(500);
  });

  it('--device alone: the fastest design that fits the part, recorded with the limit that bound it', async () => {
    await ensureCli();
    const out = path.join(dir, 'hx8k');
    const r = await runCli(['compile', tfc, '--out', out, '--device', 'hx8k']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^planner \(bound by the LUT limit\): the fastest design within --device hx8k \(7680 LUTs, 7680 flip-flops, 32 SB_RAM40_4K\)/m);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.planner).toMatchObject({ targetCycles: null, bound: 'luts', bramUnit: 'SB_RAM40_4K', limits: { device: 'hx8k', maxLuts: 7680, maxBram: 32, maxFlipFlops: 7680 } });
    expect(m.planner.luts).toBeLessThanOrEqual(7680);
    expect(m.planner.bram).toBeLessThanOrEqual(32);
    expect(m.planner.flipFlops).toBeLessThanOrEqual(7680);
  });

  const bad: [string, string[], RegExp][] = [
    ['an impossible --max-luts', ['--target-cycles', '64', '--max-luts', '500'], /^bnnc: command line: --max-luts: expected room for layer fc0 \(layers\[0\]\), which needs at least \d+ LUTs at II <= 64/],
    ['--max-luts with --pe', ['--pe', '2', '--max-luts', '5000'], /--max-luts, --max-bram and --device without --fold or --pe\/--simd/],
    ['--target-fps with --target-cycles', ['--target-fps', '1000', '--target-cycles', '64'], /one of --fold, --pe\/--simd, --target-cycles, --target-fps/],
    ['an unknown --device', ['--device', 'xc9'], /--device: expected one of xc7z020/],
    ['a device too small', ['--device', 'hx1k'], /^bnnc: command line: --device hx1k: /],
  ];
  for (const [what, args, re] of bad) {
    it(`${what}: one line, exit non-zero, no output`, async () => {
      await ensureCli();
      const out = path.join(dir, `bad-${args.join('')}`);
      const r = await runCli(['compile', tfc, '--out', out, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});
