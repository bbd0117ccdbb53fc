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
import { makeCase } from './cases.js';
import { convGroup, makeConvStructure } from './conv-cases.js';
import { defineDiffSuite, replaySeed, seedsOfGroups } from './driver.js';

export const CONV_TEST_GROUPS = [0, 1, 2, 3, 4, 5].map((i) => convGroup(i, 'small'));
const SEEDS = seedsOfGroups(CONV_TEST_GROUPS);

defineDiffSuite({ title: 'differential: random ConvNets, fold -> compile -> Verilator', net: 'conv', seeds: SEEDS, minCases: 40 });

describe.skipIf(replaySeed() !== undefined)('differential ConvNet cases', () => {
  it('are pure functions of their seeds', () => {
    const a = makeCase(SEEDS[9]);
    const b = makeCase(SEEDS[9]);
    expect(b.images).toEqual(a.images);
    expect(b.folded).toEqual(a.folded);
    expect(makeConvStructure(CONV_TEST_GROUPS[1])).toEqual(b.structure);
  });
});
