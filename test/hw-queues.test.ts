/**
 * The queues of the sliding-window units (src/hw/plan.ts chooseQueues, docs/hardware.md):
 * with them the network II of a ConvNet is the slowest stage's work per frame.
 * - the cases whose II was above it before the column queue (a 3x3 conv on 8x8 pixels
 *   at 6 cycles a window: 224 against 216; a 32x32x3 net at the fewest-lanes folding
 *   within 4000 cycles: 3974 against 3920): the II now equals it, and the cycle model with the planner's column
 *   queues taken out gives the old II back, so the queue is what closes the gap;
 * - a convolution at fewer than (K + 1) / 2 cycles a window, which idles at every row's
 *   end with two window banks: a third makes the II its work again;
 * - random conv nets and random foldings (kernels 1..5, channels 1..12, maps 5..16,
 *   pools with remainders, conv after conv, pipeline levels, a bit-serial first layer):
 *   II = the most work per frame of any stage (input stage included), through the cycle
 *   model (src/hw/timing.ts, itself asserted against Icarus in test/hw-rtl-conv.test.ts);
 *   every queue's and bank's bits in the stage's buffer bits; and each chosen depth is
 *   the smallest power of two (or none), each bank count the smallest, that keeps it.
 */
import { describe, expect, it } from 'vitest';
import { modelHash } from '../src/graph/io.js';
import { PIPELINE_LEVELS, type PipelineLevel } from '../src/hw/cycles.js';
import { cheapestFolding, type FoldingSpec } from '../src/hw/folding.js';
import { planHardware, unitModelsOf, type HwPlan, type MvtuStage } from '../src/hw/plan.js';
import { randomFoldedNet, type RandomLayerSpec } from '../src/hw/random-model.js';
import { streamCycles, type UnitModel } from '../src/hw/timing.js';
import { foldModel } from '../src/int/fold.js';
import { buildModel } from '../src/nn/arch.js';
import { Rng } from '../src/util/rng.js';
import { FUZZ_FULL } from './fuzz/level.js';

const slowest = (p: HwPlan): number => Math.max(p.input.beats, ...p.stages.map((s) => s.frameCycles));

function windowStages(p: HwPlan): MvtuStage[] {
  return p.stages.filter((s): s is MvtuStage => s.kind === 'mvtu' && s.feed.kind === 'window');
}

/** The plan's cycle-model II with some of its queues changed. */
function iiWith(p: HwPlan, edit: (u: UnitModel, k: number) => void): number {
  const units = unitModelsOf(p).map((u) => structuredClone(u));
  units.forEach(edit);
  return streamCycles(p.input.beats, units).ii;
}

/**
 * A convolution with 2 * II < K + 1 cycles per window and two banks: at each row's end
 * its window half banks the row's last window, then shifts in the next row's K - 1
 * first columns, one a cycle, and banks that row's first window one cycle later; two
 * banked windows cover 2 * II of those K + 1 cycles, so its frame takes
 * OH * (OW * II + K + 1 - 2 * II) cycles (docs/hardware.md).
 */
function rowBound(s: MvtuStage): number {
  if (s.feed.kind !== 'window') return 0;
  const k = s.feed.kernel;
  const oh = s.feed.height - k + 1;
  const ow = s.feed.width - k + 1;
  return oh * (ow * s.ii + Math.max(0, k + 1 - 2 * s.ii));
}

const noColumnQueues = (u: UnitModel): void => {
  if (u.kind === 'mvtu' && u.feed.kind === 'window') u.feed.queue = 0;
};

describe('column queues: the cases that were above the slowest stage', () => {
  it('3x3 conv on 8x8 pixels at 6 cycles a window: II 216 (was 224), two columns queued', () => {
    const f = randomFoldedNet({ input: [8, 8, 1], layers: [{ conv: 4, kernel: 3 }, { pool: 2 }, { dense: 6 }], classes: 3, seed: 1, name: 'conv_pool_fc' });
    const p = planHardware(f, { kind: 'perLayer', layers: [{ pe: 2, simd: 3 }, { pe: 3, simd: 5 }, { pe: 2, simd: 4 }], source: 'test' }, { pipeline: 1 });
    expect(slowest(p)).toBe(216);
    expect(p.ii).toBe(216);
    const conv = windowStages(p)[0];
    expect(conv.feed).toMatchObject({ queueColumns: 2, queueBits: 2 * 3 * 1 * 8 });
    expect(iiWith(p, noColumnQueues)).toBe(224);
  });

  it('32x32x3 conv:8x3,8x3,pool,12x3,pool,fc10 at the fewest lanes within 4000 cycles: II 3920 (was 3974)', () => {
    const m = buildModel('conv:8x3,8x3,pool,12x3,pool,fc10', { input: { height: 32, width: 32, channels: 3, pixelScale: 2 / 255, pixelOffset: -1 }, classes: 10, seed: 1 });
    const f = foldModel(m, modelHash(m));
    // The folding --target-cycles 4000 picked before it weighed foldings by modelled cost
    // (fewest PE x SIMD lanes per layer): the case that needed a column queue.
    const layers = f.layers.flatMap((l) => (l.kind === 'maxpool' ? [] : [cheapestFolding(l.rows, l.cols, Math.floor(4000 / (l.outShape[0] * l.outShape[1])))!]));
    const p = planHardware(f, { kind: 'perLayer', layers, source: 'test' });
    expect(slowest(p)).toBe(3920);
    expect(p.ii).toBe(3920);
    const conv1 = windowStages(p)[1];
    expect(conv1.feed.kind === 'window' && conv1.feed.queueColumns).toBeGreaterThan(0);
    expect(iiWith(p, noColumnQueues)).toBe(3974);
  });
});

describe('window banks: a convolution at fewer than (K + 1) / 2 cycles a window', () => {
  it('4x4 conv on 16x10 pixels at 2 cycles a window: II 182 with 3 banks (195 with 2, 1 cycle per row)', () => {
    const f = randomFoldedNet({ input: [16, 10, 1], layers: [{ conv: 1, kernel: 4 }, { pool: 2 }, { conv: 8, kernel: 2 }, { conv: 2, kernel: 2 }, { dense: 6 }], classes: 2, seed: 510 });
    const p = planHardware(f, { kind: 'target', targetCycles: 225 });
    const conv = windowStages(p)[0];
    expect(conv.ii).toBe(2);
    expect(slowest(p)).toBe(182);
    expect(p.ii).toBe(182);
    expect(conv.feed).toMatchObject({ banks: 3, registerBits: (3 * 4 * 1 + 3 * 16) * 8 });
    const twoBanks = iiWith(p, (u, k) => {
      if (k === 0 && u.kind === 'mvtu' && u.feed.kind === 'window') u.feed.banks = 2;
    });
    expect(twoBanks).toBe(195);
    expect(twoBanks).toBe(rowBound(conv));
  });
});

/** A random conv net: convs (some back to back), pools after convs, dense layers. */
function randomNet(rng: Rng): { input: [number, number, number]; layers: RandomLayerSpec[] } {
  let h = 5 + rng.int(12);
  let w = 5 + rng.int(12);
  const input: [number, number, number] = [h, w, 1 + rng.int(3)];
  const layers: RandomLayerSpec[] = [];
  const convs = 1 + rng.int(3);
  for (let i = 0; i < convs; i++) {
    const k = 1 + rng.int(Math.min(5, h, w));
    layers.push({ conv: 1 + rng.int(12), kernel: k });
    h -= k - 1;
    w -= k - 1;
    if (i < convs - 1 && rng.int(3) === 0) {
      const s = 2 + rng.int(2);
      if (h >= s + 2 && w >= s + 2) {
        layers.push({ pool: s });
        h = Math.floor(h / s);
        w = Math.floor(w / s);
      }
    }
    if (h < 2 || w < 2) break;
  }
  for (let i = rng.int(2); i > 0; i--) layers.push({ dense: 2 + rng.int(10) });
  return { input, layers };
}

// 24 in make test; 300 with BNNC_FUZZ=full npx vitest run test/hw-queues.test.ts.
const N_NETS = FUZZ_FULL ? 300 : 24;

describe('random conv nets through the cycle model', () => {
  const rng = new Rng(2026);
  for (let i = 0; i < N_NETS; i++) {
    const spec = randomNet(rng);
    const seed = 500 + i;
    const pipeline = rng.int(PIPELINE_LEVELS.length) as PipelineLevel;
    const bitSerial = rng.int(6) === 0;
    const useTarget = rng.int(3) === 0;
    const targetFactor = 0.6 + rng.next() * 0.8;
    const peSimd = Array.from({ length: 8 }, () => [rng.next(), rng.next()]);
    it(`net ${i}: ${JSON.stringify(spec.input)} ${spec.layers.map((l) => ('conv' in l ? `c${l.conv}k${l.kernel}` : 'pool' in l ? `p${l.pool}` : `fc${l.dense}`)).join(',')} pipeline ${pipeline}${bitSerial ? ' bit-serial' : ''}`, () => {
      const f = randomFoldedNet({ ...spec, classes: 2 + (seed % 5), seed });
      const matrix = f.layers.filter((l) => l.kind !== 'maxpool');
      let folding: FoldingSpec = {
        kind: 'perLayer',
        layers: matrix.map((l, k) => ({ pe: 1 + Math.floor(peSimd[k % 8][0] * l.rows), simd: 1 + Math.floor(peSimd[k % 8][1] * l.cols) })),
        source: 'test',
      };
      if (useTarget) {
        // A target near the first convolution's fully folded work, so stages are balanced.
        const first = matrix[0];
        const work = first.outShape[0] * first.outShape[1] * first.rows * first.cols;
        const beats = f.input[0] * f.input[1];
        folding = { kind: 'target', targetCycles: Math.max(beats, Math.floor((work / 8) * targetFactor)) };
      }
      let p: HwPlan;
      try {
        p = planHardware(f, folding, { pipeline, bitSerial });
      } catch (e) {
        // An unreachable target (a pool or the input above it) is the planner's answer, not a failure here.
        expect(String(e)).toMatch(/unreachable/);
        return;
      }
      expect(p.ii, 'II = the slowest stage').toBe(slowest(p));
      for (const s of windowStages(p)) {
        if (s.feed.kind !== 'window') continue;
        const e = s.input === 'pixels' ? 8 : 1;
        expect(s.feed.queueBits).toBe(s.feed.queueColumns * s.feed.kernel * s.feed.channels * e);
        expect(s.feed.registerBits).toBe(((s.feed.kernel - 1) * s.feed.kernel * s.feed.channels + s.feed.banks * s.mw) * e);
        expect(s.bufferBits).toBe(s.feed.lineBits + s.feed.registerBits + s.feed.fifoDepth * s.feed.channels + s.feed.queueBits);
        // The fewest banks: one less costs throughput.
        if (s.feed.banks > 2) {
          const k = s.index;
          const n = s.feed.banks - 1;
          expect(iiWith(p, (u, j) => j === k && u.kind === 'mvtu' && u.feed.kind === 'window' && (u.feed.banks = n) >= 0)).toBeGreaterThan(p.ii);
        }
        // The smallest: halving the column queue (or dropping a queue of 2) costs throughput.
        if (s.feed.queueColumns > 0) {
          const half = s.feed.queueColumns === 2 ? 0 : s.feed.queueColumns / 2;
          const k = s.index;
          expect(iiWith(p, (u, j) => j === k && u.kind === 'mvtu' && u.feed.kind === 'window' && (u.feed.queue = half) >= 0)).toBeGreaterThan(p.ii);
        }
      }
      const fifo = windowStages(p).find((s) => s.index > 0 && s.feed.kind === 'window' && s.feed.fifoDepth > 0);
      if (fifo && fifo.feed.kind === 'window') {
        const half = fifo.feed.fifoDepth === 2 ? 0 : fifo.feed.fifoDepth / 2;
        expect(iiWith(p, (u, j) => j > 0 && u.kind === 'mvtu' && u.feed.kind === 'window' && (u.feed.fifo = half) >= 0)).toBeGreaterThan(p.ii);
      }
    });
  }
});
