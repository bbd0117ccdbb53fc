/**
 * Random differential testing of ConvNets (make test's share): random conv stacks
 * (test/diff/conv-cases.ts, the bounded draw), eight value sets per structure, every one
 * through fold, plan, emit and Verilator against the integer model, bit for bit, with
 * the measured II and latency equal to the plan's (test/diff/run.ts). make fuzz runs
 * the full ranges (test/fuzz/diff.test.ts).
 *
 * Replay one case: BNNC_DIFF_SEED=<seed> npx vitest run test/diff
 */
import { describe, expect, it } from 'vitest';
import { planHardware } from '../../src/hw/plan.js';
import { resultInputBeats } from '../../src/hw/result-beats.js';
import { makeCase } from './cases.js';
import { convGroup, makeConvStructure } from './conv-cases.js';
import { defineDiffSuite, replaySeed, seedsOfGroups } from './driver.js';

/**
 * Six of the first 64 bounded structures, chosen for coverage (the test below holds them
 * to it) and few lanes, so that their six Verilator builds stay short. make fuzz takes
 * the full-range structures as they come.
 */
export const CONV_TEST_GROUPS = [0, 3, 12, 26, 34, 45].map((i) => convGroup(i, 'small'));
const SEEDS = seedsOfGroups(CONV_TEST_GROUPS);

defineDiffSuite({ title: 'differential: random ConvNets, fold -> compile -> Verilator', net: 'conv', seeds: SEEDS, minCases: 40 });

describe.skipIf(replaySeed() !== undefined)('differential ConvNet cases', () => {
  it('cover both sources, every folding kind and pipeline level, kernels 1..5, pools 2 and 3 with remainders, conv after conv, dense and conv scores, SIMD not dividing the channels, traffic and resets', () => {
    const structures = CONV_TEST_GROUPS.map(makeConvStructure);
    const cases = SEEDS.map(makeCase);
    const plans = structures.map((s, k) => planHardware(cases[8 * k].folded, s.folding, { pipeline: s.pipeline, bitSerial: s.bitSerial }));
    const stages = plans.flatMap((p) => p.stages);
    const windows = stages.flatMap((st) => (st.kind === 'mvtu' && st.feed.kind === 'window' ? [{ st, feed: st.feed }] : []));
    expect(new Set(structures.map((s) => s.source))).toEqual(new Set(['float', 'folded']));
    expect(new Set(structures.map((s) => s.folding.kind))).toEqual(new Set(['uniform', 'perLayer', 'target']));
    expect(new Set(structures.map((s) => s.pipeline))).toEqual(new Set([0, 1, 2, 3]));
    expect(structures.some((s) => s.bitSerial)).toBe(true);
    expect(new Set(structures.map((s) => s.input[2]))).toEqual(new Set([1, 2, 3]));
    expect(new Set(windows.map((w) => w.feed.kernel))).toEqual(new Set([1, 2, 3, 4, 5]));
    for (const size of [2, 3]) {
      expect(stages.some((st) => st.kind === 'pool' && st.size === size && (st.inShape[0] % size !== 0 || st.inShape[1] % size !== 0))).toBe(true);
    }
    expect(structures.some((s) => s.convs.some((it, k) => k > 0 && 'conv' in it && 'conv' in s.convs[k - 1]))).toBe(true);
    expect(structures.some((s) => s.input.slice(0, 2).some((d) => d % 2 === 1))).toBe(true);
    expect(structures.some((s) => s.input.slice(0, 2).some((d) => d % 2 === 0))).toBe(true);
    expect(structures.some((s) => s.scoresKernel !== undefined)).toBe(true);
    expect(structures.some((s) => s.scoresKernel === undefined && s.dense.length === 0)).toBe(true);
    expect(structures.some((s) => s.dense.length >= 1)).toBe(true);
    expect(windows.some((w) => w.st.input === 'bits' && w.st.simd > 1 && w.feed.channels % w.st.simd !== 0)).toBe(true);
    expect(cases.filter((c) => c.gaps > 0 || c.backpressure > 0).length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.resets > 0).length).toBeGreaterThan(3);
  });

  it('result beats: a ConvNet whose pool drops the last rows needs only the leading pixels; an MLP all its beats', () => {
    // Group 34's 6x6 image, conv k2 -> 5x5, pool 3 -> 1x1 (rows and columns 3, 4 dropped):
    // the result uses the image's 4x4 top-left pixels, the last at beat 3 * 6 + 4 = 22 of
    // 36. Its results leave before their frames' last beats; the harness once counted
    // them stale after a reset.
    const c = makeCase(convGroup(34, 'small') * 8);
    expect(c.summary).toContain('6x6x3 c11k2-p3-');
    expect(resultInputBeats(c.folded, 36)).toBe(22);
    // Without a dropping pool, the last pixel feeds the result.
    expect(resultInputBeats(makeCase(convGroup(0, 'small') * 8).folded, 25)).toBe(25);
    expect(resultInputBeats(makeCase(13).folded, 7)).toBe(7);
  });

  it('are pure functions of their seeds', () => {
    const a = makeCase(SEEDS[9]);
    const b = makeCase(SEEDS[9]);
    expect(b.images).toEqual(a.images);
    expect(b.folded).toEqual(a.folded);
    expect(makeConvStructure(CONV_TEST_GROUPS[1])).toEqual(b.structure);
  });
});
