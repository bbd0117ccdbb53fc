/**
 * Random differential testing of the whole flow (make test's share): 56 cases, seven
 * structures of eight value sets each (test/diff/cases.ts; 104 cases of thirteen in make
 * fuzz), every one through fold, plan, emit and Verilator against the integer model, bit for bit, with the cycle model
 * checked against the measured II and latency (test/diff/run.ts). make fuzz runs 512
 * more (test/fuzz/diff.test.ts).
 *
 * Replay one case: BNNC_DIFF_SEED=<seed> npx vitest run test/diff
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupOf, makeCase, makeStructure } from './cases.js';
import { defineDiffSuite, replaySeed, seedsOfGroups } from './driver.js';
import { runCase } from './run.js';
import { FUZZ_FULL } from '../fuzz/level.js';

/**
 * Structure groups of make test: seven of the first 64, the fewest that cover every point
 * the test below holds them to (7, 20 and 26: a binarized input, float and folded, at
 * three pipeline levels), among those of at most ~230 PE x SIMD lanes, whose Verilator
 * builds take seconds rather than tens of seconds. make fuzz (BNNC_FUZZ=full) adds six
 * more of those small ones here, and takes every structure as it comes in
 * test/fuzz/diff.test.ts.
 */
const QUICK_GROUPS = [1, 6, 7, 20, 26, 34, 38];
const FUZZ_GROUPS = [0, 11, 16, 17, 21, 28];
export const TEST_GROUPS = FUZZ_FULL ? [...QUICK_GROUPS, ...FUZZ_GROUPS].sort((a, b) => a - b) : QUICK_GROUPS;
const SEEDS = seedsOfGroups(TEST_GROUPS);

defineDiffSuite({ title: 'differential: random networks, fold -> compile -> Verilator', net: 'mlp', seeds: SEEDS, minCases: 50 });

describe.skipIf(replaySeed() !== undefined)('differential cases', () => {
  it('cover both network sources, every folding kind, IN_PIX != SIMD, one-layer and deep networks, one pixel, traffic, every pipeline level', () => {
    const cases = SEEDS.map(makeCase);
    const structures = TEST_GROUPS.map(makeStructure);
    const kinds = new Set(structures.map((s) => s.folding.kind));
    expect([...kinds].sort()).toEqual(['perLayer', 'target', 'uniform']);
    expect(new Set(structures.map((s) => s.source))).toEqual(new Set(['float', 'folded']));
    expect(structures.some((s) => s.inPix !== undefined)).toBe(true);
    expect(structures.some((s) => s.hidden.length === 0)).toBe(true);
    expect(structures.some((s) => s.hidden.length === 3)).toBe(true);
    expect(structures.some((s) => s.source === 'float' && s.pixelMap.scale < 0)).toBe(true);
    expect(structures.some((s) => s.source === 'float' && s.pixelMap.scale === 0)).toBe(true);
    expect(structures.some((s) => s.mulWidth === 'tie')).toBe(true);
    expect(structures.some((s) => s.input[0] * s.input[1] * s.input[2] === 1)).toBe(true);
    expect(structures.some((s) => s.input[0] === 5 && s.input[1] === 7)).toBe(true);
    expect(cases.filter((c) => c.gaps > 0 || c.backpressure > 0).length).toBeGreaterThan(5);
    // every --pipeline level, on a network with a pixels first layer and a scores layer each
    expect(new Set(structures.map((s) => s.pipeline))).toEqual(new Set([0, 1, 2, 3]));
    expect(structures.some((s) => s.bitSerial)).toBe(true);
    // a binarized input (--input-bits 1) from both sources, at more than one threshold
    const binary = structures.filter((s) => s.inputThreshold !== null);
    expect(new Set(binary.map((s) => s.source))).toEqual(new Set(['float', 'folded']));
    expect(new Set(binary.map((s) => s.inputThreshold)).size).toBeGreaterThan(1);
    expect(cases.filter((c) => c.resets > 0).length).toBeGreaterThan(3);
    // Each case is a pure function of its seed.
    const again = makeCase(SEEDS[13]);
    expect(again.images).toEqual(cases[13].images);
    expect(again.folded).toEqual(cases[13].folded);
    expect(groupOf(SEEDS[13])).toBe(TEST_GROUPS[1]);
  });

  it('fail when the RTL is wrong: one bit of a scores ROM flipped', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-diff-tamper-'));
    try {
      const flipAddBit = (dir: string): void => {
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
        const last = manifest.stages[manifest.stages.length - 1];
        const file = path.join(dir, `${manifest.top}_${last.verilogName}_p0.mem`);
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        const digit = parseInt(lines[0].slice(-1), 16) ^ 1;
        lines[0] = lines[0].slice(0, -1) + digit.toString(16);
        fs.writeFileSync(file, lines.join('\n'));
      };
      const o = await runCase(SEEDS[1], { work, locate: 0, tamper: flipAddBit });
      expect(o.failures.some((l) => /images differ from the integer model/.test(l))).toBe(true);
      expect(o.failures.some((l) => /^image \d+: RTL class/.test(l))).toBe(true);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
