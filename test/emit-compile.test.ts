/**
 * bnnc compile, run in-process: from a float model (.bnn, folded on the fly) and from a
 * folded model (.bnnf), with each way of choosing a folding. What it writes must be
 * what planHardware + emitDesign give directly, and what it prints must be the plan.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ArgumentsCamelCase } from 'yargs';
import compileCommand, { foldingFromArgs, type CompileArgs } from '../src/commands/compile.js';
import { manifestMvtuStages } from '../src/emit/manifest.js';
import type { Manifest } from '../src/emit/manifest.js';
import { InputError } from '../src/errors.js';
import { modelHash, saveModel } from '../src/graph/io.js';
import { planHardware, mvtuStages } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { formatPlan, framesPerSecond } from '../src/hw/report.js';
import { foldModel } from '../src/int/fold.js';
import { loadFolded, saveFolded } from '../src/int/serialize.js';
import { buildModel } from '../src/nn/arch.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-compile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function compile(args: Partial<CompileArgs>): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  try {
    const full = { _: [], $0: 'bnnc', clockMhz: 100, pipeline: 0, ...args } as unknown as ArgumentsCamelCase<CompileArgs>;
    await compileCommand.handler(full);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const readManifest = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;

describe('bnnc compile', () => {
  const folded = randomFoldedMlp({ input: [7, 7, 1], hidden: [20, 12], classes: 4, seed: 3, name: 'small' });
  const bnnf = path.join(dir, 'small.bnnf');
  saveFolded(bnnf, folded);

  it('--pe/--simd on a folded model: writes the design and prints the plan', async () => {
    const out = path.join(dir, 'uniform');
    const text = await compile({ model: bnnf, out, pe: 4, simd: 8, clockMhz: 200 });
    const plan = planHardware(folded, { kind: 'uniform', pe: 4, simd: 8 });
    expect(text).toContain(`compiled small -> ${out} (top module small`);
    expect(text).toContain(formatPlan(plan, 200));
    const m = readManifest(out);
    expect(manifestMvtuStages(m).map((s) => [s.pe, s.simd, s.nf, s.sf, s.ii])).toEqual(mvtuStages(plan).map((s) => [s.pe, s.simd, s.nf, s.sf, s.ii]));
    expect(m.cycles).toMatchObject({ ii: plan.ii, latency: plan.latency });
    expect(loadFolded(path.join(out, 'folded.bnnf'))).toEqual(folded);
    // Hand-worked: layer 0 is 20 x 49 on PE 4, SIMD 8 -> NF 5, SF 7, II 35 = network II.
    expect(plan.ii).toBe(35);
    expect(text).toMatch(/network: II 35 cycles \(set by stage 0 \(fc1\)\)/);
    expect(text).toContain(`at 200 MHz: ${(200e6 / 35).toFixed(0)} frames/s`);
    expect(framesPerSecond(plan, 200)).toBeCloseTo(200e6 / 35, 6);
  });

  it('--board: the wrapper file beside the design, in the manifest; without it, board null and no file', async () => {
    const out = path.join(dir, 'board');
    const text = await compile({ model: bnnf, out, pe: 4, simd: 8, board: true });
    const m = readManifest(out);
    const board = `${m.top}_board`;
    expect(text).toContain(`compiled small -> ${out} (top module ${m.top}, board wrapper ${board},`);
    expect(m.board).toMatchObject({ module: board, file: `${board}.v`, pixelBits: 8, classBits: 2 });
    expect(m.files.verilog[m.files.verilog.length - 1]).toBe(`${board}.v`);
    expect(fs.readFileSync(path.join(out, `${board}.v`), 'utf8')).toContain(`module ${board} (`);
    const plain = path.join(dir, 'uniform');
    expect(readManifest(plain).board).toBeNull();
    expect(fs.readdirSync(plain).filter((f) => f.endsWith('_board.v'))).toEqual([]);
  });

  it('--fold file (with inPix) and --target-cycles', async () => {
    const foldFile = path.join(dir, 'fold.json');
    fs.writeFileSync(foldFile, JSON.stringify({ layers: [{ pe: 5, simd: 7 }, { pe: 3, simd: 20 }, { pe: 4, simd: 12 }], inPix: 7 }));
    const out = path.join(dir, 'fromfile');
    await compile({ model: bnnf, out, fold: foldFile });
    const m = readManifest(out);
    expect(manifestMvtuStages(m).map((s) => [s.pe, s.simd])).toEqual([[5, 7], [3, 20], [4, 12]]);
    expect(m.input).toMatchObject({ inPix: 7, beats: 7, imageBuffer: 'ram' });

    const out2 = path.join(dir, 'target');
    await compile({ model: bnnf, out: out2, targetCycles: 10, inPix: 7 });
    const m2 = readManifest(out2);
    for (const s of manifestMvtuStages(m2)) expect(s.ii).toBeLessThanOrEqual(10);
    expect(m2.cycles.ii).toBeLessThanOrEqual(10);
  });

  it('a float model (.bnn) is folded first; the manifest carries its hash', async () => {
    const model = buildModel('tfc', {
      input: { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 },
      classes: 10,
      seed: 1,
    });
    const bnn = path.join(dir, 'tfc.bnn');
    saveModel(bnn, model);
    const out = path.join(dir, 'tfc');
    const text = await compile({ model: bnn, out, pe: 16, simd: 49 });
    const m = readManifest(out);
    expect(m.model.hash).toBe(modelHash(model));
    expect(loadFolded(path.join(out, 'folded.bnnf'))).toEqual(foldModel(model, modelHash(model)));
    // 64x784: NF 4, SF 16; 64x64: NF 4, SF 2; 10x64 (PE clamped to 10): NF 1, SF 2.
    expect(manifestMvtuStages(m).map((s) => s.ii)).toEqual([64, 8, 8, 2]);
    expect(text).toMatch(/network: II 64 cycles/);
  });

  it('rejects conflicting or malformed options', async () => {
    const out = path.join(dir, 'bad');
    expect(() => foldingFromArgs({ pe: 2, targetCycles: 5 })).toThrow(InputError);
    expect(() => foldingFromArgs({ fold: 'x.json', simd: 2 })).toThrow(/one of --fold, --pe\/--simd, --target-cycles/);
    expect(() => foldingFromArgs({ pe: 0 })).toThrow(/--pe: expected a positive integer, got 0/);
    expect(() => foldingFromArgs({ targetCycles: 2.5 })).toThrow(/--target-cycles/);
    expect(foldingFromArgs({})).toEqual({ spec: { kind: 'uniform', pe: 1, simd: 1 } });
    expect(foldingFromArgs({ simd: 4 })).toEqual({ spec: { kind: 'uniform', pe: 1, simd: 4 } });
    await expect(compile({ model: bnnf, out, clockMhz: 0 })).rejects.toThrow(/--clock-mhz/);
    await expect(compile({ model: bnnf, out, fold: path.join(dir, 'missing.json') })).rejects.toThrow(InputError);
    await expect(compile({ model: bnnf, out, top: 'module' })).rejects.toThrow(/top module name/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
