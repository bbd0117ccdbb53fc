/**
 * Random differential testing of the whole flow, full count (make fuzz: BNNC_FUZZ=full):
 * 512 MLP cases, 64 structures of eight value sets each, and 304 ConvNet cases of the
 * full ranges, 19 structures of sixteen value sets each (test/diff/conv-cases.ts),
 * through fold, plan, emit and Verilator against the integer model with the cycle model
 * checked (test/diff/run.ts). The counts are printed at the end and written to
 * bench/out/diff.json and bench/out/diff-conv.json. Without BNNC_FUZZ=full (make test)
 * it runs the first MLP structure's eight cases only (make test's ConvNet cases are
 * test/diff/conv.test.ts's).
 *
 * The structures are other groups than make test's (test/diff/flow.test.ts,
 * test/diff/conv.test.ts); BNNC_FUZZ_SEED=k moves to the k-th block of structures.
 * Replay one case: BNNC_DIFF_SEED=<seed> npx vitest run test/diff
 */
import path from 'node:path';
import { convGroups } from '../diff/conv-cases.js';
import { defineDiffSuite, seedsOfGroups } from '../diff/driver.js';
import { FUZZ_FULL } from './level.js';

const FULL = FUZZ_FULL;
const BLOCK = Number(process.env.BNNC_FUZZ_SEED ?? 0);
if (!(Number.isSafeInteger(BLOCK) && BLOCK >= 0 && BLOCK < 2 ** 20)) throw new Error(`BNNC_FUZZ_SEED must be an integer in 0..2^20-1, got ${process.env.BNNC_FUZZ_SEED}`);
const GROUPS = FULL ? 64 : 1;
/** Groups 4096 + 64k .. 4096 + 64k + 63: far from make test's (0..63). */
const FIRST_GROUP = 4096 + 64 * BLOCK;

defineDiffSuite({
  title: `differential fuzz${FULL ? '' : ' (slice; BNNC_FUZZ=full for 512 cases)'}: fold -> compile -> Verilator`,
  net: 'mlp',
  seeds: seedsOfGroups(Array.from({ length: GROUPS }, (_, k) => FIRST_GROUP + k)),
  minCases: FULL ? 500 : 8,
  reportFile: FULL ? path.resolve('bench/out/diff.json') : undefined,
  // 64 new structures per block: keep their builds out of the shared cache.
  privateCache: FULL,
});

/** ConvNet structures of the full ranges, 16 cases each (test/diff/conv-cases.ts); BNNC_FUZZ_SEED moves them too. */
const CONV_STRUCTURES = 19;
if (FULL) {
  defineDiffSuite({
    title: `differential fuzz: random ConvNets (${CONV_STRUCTURES * 16} cases), fold -> compile -> Verilator`,
    net: 'conv',
    seeds: seedsOfGroups(Array.from({ length: CONV_STRUCTURES }, (_, k) => convGroups(32 * BLOCK + k, 'full')).flat()),
    minCases: 300,
    reportFile: path.resolve('bench/out/diff-conv.json'),
    privateCache: true,
  });
}
