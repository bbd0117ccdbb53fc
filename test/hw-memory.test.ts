/**
 * The plan's rule for ROMs in block RAM or logic (src/hw/memory.ts), and that the plan,
 * the printed plan, the manifest, the README and the RTL all say the same thing. That
 * Yosys then maps them so is test/synth.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import type { Manifest } from '../src/emit/manifest.js';
import { InputError } from '../src/errors.js';
import { DEFAULT_ROM_RULE, romRuleFrom, romStyle } from '../src/hw/memory.js';
import { mvtuStages, planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { formatPlan } from '../src/hw/report.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hw-memory-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the ROM rule', () => {
  it('block RAM from minDepth words and minBits bits, both', () => {
    const rule = { minDepth: 64, minBits: 2048 };
    expect(romStyle(64, 32, rule)).toBe('block');
    expect(romStyle(63, 1000, rule)).toBe('logic');
    expect(romStyle(128, 15, rule)).toBe('logic');
    expect(romStyle(128, 16, rule)).toBe('block');
    expect(DEFAULT_ROM_RULE).toEqual(rule);
  });

  it('command-line numbers: defaults, and one line for a bad one', () => {
    expect(romRuleFrom(undefined, undefined)).toEqual(DEFAULT_ROM_RULE);
    expect(romRuleFrom(1, 1)).toEqual({ minDepth: 1, minBits: 1 });
    expect(() => romRuleFrom(0, undefined)).toThrow(new InputError('command line', '--rom-block-depth', 'a positive integer', '0'));
    expect(() => romRuleFrom(undefined, 2.5)).toThrow(new InputError('command line', '--rom-block-bits', 'a positive integer', '2.5'));
  });

  it('tfc at 1/8 1/2 1/2 1/1: deep weight ROMs in block RAM, threshold ROMs in logic, everywhere it is said', () => {
    const f = randomFoldedMlp({ input: [28, 28, 1], hidden: [64, 64, 64], classes: 10, seed: 2, name: 'tfc' });
    const plan = planHardware(f, { kind: 'perLayer', layers: [{ pe: 1, simd: 8 }, { pe: 1, simd: 2 }, { pe: 1, simd: 2 }, { pe: 1, simd: 1 }], source: 'test' });
    // Weights: 6272 x 8, 2048 x 2, 2048 x 2, 640 x 1 bits; params: 64/64/64/10 words.
    expect(mvtuStages(plan).map((s) => [s.nf * s.sf, s.simd, s.rom.weights, s.nf, s.rom.params])).toEqual([
      [6272, 8, 'block', 64, 'logic'],
      [2048, 2, 'block', 64, 'logic'],
      [2048, 2, 'block', 64, 'logic'],
      [640, 1, 'logic', 10, 'logic'],
    ]);
    expect(formatPlan(plan, 100)).toContain(
      'ROMs (block RAM when >= 64 words and >= 2048 bits, else logic): stage 0 weights block, thresholds logic; 1 weights block, thresholds logic; 2 weights block, thresholds logic; 3 weights logic, scores logic',
    );
    const dir = path.join(work, 'tfc');
    const m: Manifest = emitDesign(f, plan, dir);
    expect(m.romRule).toEqual(DEFAULT_ROM_RULE);
    expect(m.stages.map((s) => (s.kind === 'mvtu' ? s.rom : null))).toEqual(mvtuStages(plan).map((s) => s.rom));
    const rom0 = fs.readFileSync(path.join(dir, 'tfc_fc1_rom.v'), 'utf8');
    expect(rom0).toMatch(/\.FILE\("tfc_fc1_w0\.mem"\), \.STYLE\("block"\)\)/);
    expect(rom0).toMatch(/\.FILE\("tfc_fc1_p0\.mem"\), \.STYLE\("logic"\)\)/);
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('| `tfc_fc1_rom.v` | ROMs of stage 0 (fc1): 1 weight ROMs (6272 x 8 bits, block) and 1 threshold ROMs (64 x');
    expect(readme).not.toContain('map to SB_RAM40_4K');
    // A rule that puts everything in logic reaches the RTL too.
    const all = planHardware(f, { kind: 'uniform', pe: 4, simd: 8 }, { romRule: { minDepth: 1 << 20, minBits: 1 } });
    expect(mvtuStages(all).every((s) => s.rom.weights === 'logic' && s.rom.params === 'logic')).toBe(true);
  });
});
