/**
 * Benchmark (not a test): draws per second of src/util/rng.ts against the same
 * xoshiro128** kept with unsigned-double state (`>>> 0` after every step), which is how
 * the generator was written before. Both give the same sequence (checked here and in
 * test/util-rng.test.ts); the figure that matters for training is the dropout mask cost,
 * two masks per draw. Prints the figures and writes bench/out/rng.json.
 *
 *   npx tsx bench/rng.ts
 */
import os from 'node:os';
import { Rng } from '../src/util/rng.js';
import { writeBenchJson } from './common.js';

const loadBefore = os.loadavg();

/** The baseline: the previous implementation, state as unsigned doubles. */
class UnsignedStateRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }
}
function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

interface Drawer {
  nextU32(): number;
}

/** Dropout masks as src/nn/layers/dropout.ts draws them: two 16-bit halves per draw. */
function masks(rng: Drawer, keep: Uint8Array, threshold: number): void {
  for (let i = 0; i < keep.length; i += 2) {
    const u = rng.nextU32();
    keep[i] = (u & 0xffff) >= threshold ? 1 : 0;
    keep[i + 1] = u >>> 16 >= threshold ? 1 : 0;
  }
}

function measure(make: () => Drawer, rounds: number): { drawsPerSecond: number; checksum: number } {
  // One batch of sfc's input dropout: 100 images x 784 pixels.
  const keep = new Uint8Array(100 * 784);
  const threshold = Math.round(0.2 * 65536);
  const rng = make();
  for (let r = 0; r < 20; r++) masks(rng, keep, threshold); // warm-up
  const t0 = process.hrtime.bigint();
  let checksum = 0;
  for (let r = 0; r < rounds; r++) {
    masks(rng, keep, threshold);
    checksum = (checksum + keep[r % keep.length]) | 0;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { drawsPerSecond: (rounds * keep.length) / 2 / seconds, checksum };
}

// Same sequence first: a faster generator that draws other numbers would change models.
const a = new Rng(1234);
const b = new UnsignedStateRng(1234);
for (let i = 0; i < 1e5; i++) {
  if (a.nextU32() !== b.nextU32()) throw new Error(`sequences differ at draw ${i}`);
}

const rounds = 400;
const results = [];
for (let rep = 0; rep < 3; rep++) {
  const base = measure(() => new UnsignedStateRng(1), rounds);
  const ours = measure(() => new Rng(1), rounds);
  if (base.checksum !== ours.checksum) throw new Error('mask checksums differ');
  results.push({ baseline: base.drawsPerSecond, bnnc: ours.drawsPerSecond, ratio: ours.drawsPerSecond / base.drawsPerSecond });
}
const best = results.reduce((x, y) => (y.ratio > x.ratio ? y : x));
const median = [...results].sort((x, y) => x.ratio - y.ratio)[1];
console.log('dropout masks (sfc input, 100 x 784, p 0.2), draws per second:');
for (const r of results) {
  console.log(`  unsigned-double state ${(r.baseline / 1e6).toFixed(1)} M/s   int32 state ${(r.bnnc / 1e6).toFixed(1)} M/s   ratio ${r.ratio.toFixed(2)}x`);
}
console.log(`median ratio ${median.ratio.toFixed(2)}x (best ${best.ratio.toFixed(2)}x)`);
writeBenchJson(
  'rng',
  [
    {
      name: 'dropout mask draws (sfc input, 100 x 784, p 0.2)',
      unit: 'draws/s',
      value: median.bnnc,
      peer: 'the same xoshiro128** with unsigned-double state',
      peerValue: median.baseline,
      ratio: median.ratio,
      better: 'higher',
      runs: results.length,
    },
  ],
  { node: process.version, runs: results, medianRatio: median.ratio },
  loadBefore,
);
