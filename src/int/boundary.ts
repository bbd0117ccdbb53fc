/**
 * Threshold-boundary coverage: on the images run, which neurons of each threshold layer
 * had their accumulator exactly at T - 1 and at T. Those are the only values where
 * `acc >= T` differs from `acc > T` (at T) or from `acc >= T ± 1` (at T, at T - 1): a
 * wrong comparison or a threshold off by one in the RTL shows only on an image that
 * puts the neuron there, so a sampled verify says how much of that it exercised.
 *
 * Two figures per value: *hit* (the accumulator took the value on some image) and
 * *observed* (on some image it took the value and flipping that neuron's output bit
 * changes the scores, so a wrong bit there cannot pass verification unseen). Both come
 * from the integer model (IntProbe, ./engine.ts); no simulator is involved.
 *
 * searchBoundary adds directed images: small pixel perturbations of real images, each
 * pixel within ±eps of the image it came from, found by hill climbing on the integer
 * model, that drive neurons not yet observed to T - 1 and T. Pixel-input layers are
 * solved exactly (v is a signed sum of pixels); a deeper neuron is moved by flipping
 * first-layer neurons that lie close to their thresholds, one at a time, keeping a move
 * when the target accumulator comes no further from its value.
 */
import { getBit } from './bits.js';
import { IntProbe } from './engine.js';
import type { FoldedMatrixLayer, FoldedModel } from './types.js';
import { wordsPerRow } from './types.js';
import { Rng } from '../util/rng.js';

const BELOW_HIT = 1;
const AT_HIT = 2;
const BELOW_SEEN = 4;
const AT_SEEN = 8;

export interface BoundaryLayerFigures {
  /** Folded layer index. */
  layer: number;
  name: string;
  neurons: number;
  /** Neurons whose T - 1 (resp. T) lies outside the accumulator's range: no input reaches it. */
  unreachableBelow: number;
  unreachableAt: number;
  /** Neurons whose accumulator was T - 1 (resp. T) on some image. */
  hitBelow: number;
  hitAt: number;
  /** ... and both. */
  hitBoth: number;
  /** Neurons with a hit whose flipped output bit changes the scores on that image. */
  observedBelow: number;
  observedAt: number;
}

export interface BoundaryCoverage {
  /** Images measured (the run's images, then the directed ones). */
  images: number;
  /** Directed images added by the search (0 without it). */
  directed: number;
  layers: BoundaryLayerFigures[];
}

interface ThresholdLayer {
  index: number;
  layer: FoldedMatrixLayer;
  thresholds: Int32Array;
  /** Smallest and largest accumulator value any input can give, per row. */
  lo: Float64Array;
  hi: Float64Array;
  positions: number;
  flags: Uint8Array;
}

/** Accumulator range per row: bits input 0..cols; pixel input -255·(weights −1)..255·(weights +1). */
function accRange(l: FoldedMatrixLayer): { lo: Float64Array; hi: Float64Array } {
  const lo = new Float64Array(l.rows);
  const hi = new Float64Array(l.rows);
  const wpr = wordsPerRow(l.cols);
  for (let r = 0; r < l.rows; r++) {
    if (l.input === 'bits') {
      hi[r] = l.cols;
      continue;
    }
    let plus = 0;
    for (let c = 0; c < l.cols; c++) plus += getBit(l.weights, r * wpr * 32 + c);
    lo[r] = -255 * (l.cols - plus);
    hi[r] = 255 * plus;
  }
  return { lo, hi };
}

/** Coverage of the threshold layers, accumulated image by image. */
export class BoundaryTracker {
  readonly probe: IntProbe;
  readonly layers: ThresholdLayer[] = [];
  images = 0;
  directed = 0;
  private readonly reference: Int32Array;

  constructor(readonly f: FoldedModel) {
    this.probe = new IntProbe(f);
    this.reference = new Int32Array(f.classes);
    f.layers.forEach((l, index) => {
      if (l.kind === 'maxpool' || l.output.kind !== 'threshold') return;
      const { lo, hi } = accRange(l);
      this.layers.push({
        index,
        layer: l,
        thresholds: l.output.thresholds,
        lo,
        hi,
        positions: l.outShape[0] * l.outShape[1],
        flags: new Uint8Array(l.rows),
      });
    });
  }

  /** True when value `which` (T - 1 or T) of row r can be reached by some input. */
  reachable(t: ThresholdLayer, r: number, which: 'below' | 'at'): boolean {
    const v = t.thresholds[r] - (which === 'below' ? 1 : 0);
    return v >= t.lo[r] && v <= t.hi[r];
  }

  /** Is value `which` of row r of threshold layer t already observed? */
  observed(t: ThresholdLayer, r: number, which: 'below' | 'at'): boolean {
    return (t.flags[r] & (which === 'below' ? BELOW_SEEN : AT_SEEN)) !== 0;
  }

  /** Add one image (pixels at images[off..]); returns how many new figures it covered. */
  add(images: Uint8Array, off = 0): number {
    const p = this.probe;
    p.run(images, off);
    this.reference.set(p.scores);
    this.images++;
    let fresh = 0;
    // Deepest layer first: a flip recomputes only the layers after the flipped one.
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const t = this.layers[k];
      const accs = p.accs[t.index];
      const rows = t.layer.rows;
      for (let pos = 0; pos < t.positions; pos++) {
        for (let r = 0; r < rows; r++) {
          const d = accs[pos * rows + r] - t.thresholds[r];
          if (d !== 0 && d !== -1) continue;
          const hit = d === 0 ? AT_HIT : BELOW_HIT;
          const seen = d === 0 ? AT_SEEN : BELOW_SEEN;
          if (!(t.flags[r] & hit)) {
            t.flags[r] |= hit;
            fresh++;
          }
          if (!(t.flags[r] & seen) && p.flipChangesScores(t.index, pos * rows + r, this.reference)) {
            t.flags[r] |= seen;
            fresh++;
          }
        }
      }
    }
    return fresh;
  }

  /** Add n images stored back to back. */
  addAll(images: Uint8Array, n: number): void {
    const px = this.f.input[0] * this.f.input[1] * this.f.input[2];
    for (let i = 0; i < n; i++) this.add(images, i * px);
  }

  figures(): BoundaryCoverage {
    return {
      images: this.images,
      directed: this.directed,
      layers: this.layers.map((t) => {
        let unreachableBelow = 0;
        let unreachableAt = 0;
        const count = (bit: number): number => t.flags.reduce((a, f) => a + ((f & bit) === bit ? 1 : 0), 0);
        for (let r = 0; r < t.layer.rows; r++) {
          if (!this.reachable(t, r, 'below')) unreachableBelow++;
          if (!this.reachable(t, r, 'at')) unreachableAt++;
        }
        return {
          layer: t.index,
          name: t.layer.name,
          neurons: t.layer.rows,
          unreachableBelow,
          unreachableAt,
          hitBelow: count(BELOW_HIT),
          hitAt: count(AT_HIT),
          hitBoth: count(BELOW_HIT | AT_HIT),
          observedBelow: count(BELOW_SEEN),
          observedAt: count(AT_SEEN),
        };
      }),
    };
  }
}

export interface BoundarySearchOptions {
  seed?: number;
  /** At most this many directed images (default: 2 per threshold neuron). */
  maxImages?: number;
  /** Each pixel stays within ±eps of the real image it came from (default 32). */
  eps?: number;
  /** Integer-model evaluations per target and start image (default 128). */
  evaluations?: number;
  /** Real images tried as starting points per target (default 4, the closest ones). */
  starts?: number;
  /** The real images the search starts from: at most this many of the run's first (default 100). */
  pool?: number;
}

/**
 * The pixel index read by column `col` of a first-layer neuron at output position `pos`
 * (dense: col itself; conv: the window's (kh, kw, c) element).
 */
function pixelIndex(l: FoldedMatrixLayer, pos: number, col: number): number {
  if (l.kind === 'dense') return col;
  const [, iw, ic] = l.inShape;
  const ow = l.outShape[1];
  const r = (pos / ow) | 0;
  const q = pos - r * ow;
  const ci = col % ic;
  const kk = (col - ci) / ic;
  const kw = kk % l.kernel;
  const kh = (kk - kw) / l.kernel;
  return ((r + kh) * iw + (q + kw)) * ic + ci;
}

/**
 * Directed images that drive threshold neurons to T - 1 and T (see the header). They
 * are added to `tracker` as they are found; returns them back to back, with the index
 * of the real image each came from.
 */
export function searchBoundary(
  tracker: BoundaryTracker,
  images: Uint8Array,
  n: number,
  opts: BoundarySearchOptions = {},
): { images: Uint8Array; from: number[] } {
  const f = tracker.f;
  const px = f.input[0] * f.input[1] * f.input[2];
  const rng = new Rng((opts.seed ?? 1) ^ 0x0b0d);
  const eps = opts.eps ?? 32;
  const budget = opts.evaluations ?? 128;
  const starts = opts.starts ?? 4;
  const totalRows = tracker.layers.reduce((a, t) => a + t.layer.rows, 0);
  const maxImages = opts.maxImages ?? 2 * totalRows;
  const poolN = Math.min(n, opts.pool ?? 100);
  const found: Uint8Array[] = [];
  const from: number[] = [];
  if (tracker.layers.length === 0 || poolN === 0) return { images: new Uint8Array(0), from };
  const first = tracker.layers[0];
  // The search moves first-layer accumulators directly; it needs a pixel-input layer.
  if (first.layer.input !== 'pixels' || first.index !== 0) return { images: new Uint8Array(0), from };
  const probe = tracker.probe;

  // Accumulators of the pool images, per threshold layer.
  const poolAccs = tracker.layers.map((t) => new Int32Array(poolN * t.positions * t.layer.rows));
  for (let i = 0; i < poolN; i++) {
    probe.run(images, i * px);
    tracker.layers.forEach((t, k) => poolAccs[k].set(probe.accs[t.index], i * t.positions * t.layer.rows));
  }

  const fl = first.layer;
  const wpr0 = wordsPerRow(fl.cols);
  const x = new Uint8Array(px);
  const base = new Uint8Array(px);
  // Pixels changed by the last move and their old values, to undo it.
  const undoIdx: number[] = [];
  const undoVal: number[] = [];

  /**
   * Change pixels so that first-layer row r at position pos gets v = target; false (and
   * nothing changed) when the ±eps bounds do not allow it.
   */
  const setFirst = (pos: number, r: number, current: number, target: number): boolean => {
    let need = target - current;
    undoIdx.length = 0;
    undoVal.length = 0;
    if (need === 0) return true;
    const cols = fl.cols;
    const startCol = rng.int(cols);
    for (let s = 0; s < cols && need !== 0; s++) {
      const c = (startCol + s) % cols;
      const i = pixelIndex(fl, pos, c);
      const plus = getBit(fl.weights, r * wpr0 * 32 + c) === 1;
      // v changes by +delta for a +1 weight and by -delta for a -1 weight.
      const want = plus ? need : -need;
      const lo = Math.max(0, base[i] - eps);
      const hi = Math.min(255, base[i] + eps);
      const nv = Math.max(lo, Math.min(hi, x[i] + want));
      if (nv === x[i]) continue;
      undoIdx.push(i);
      undoVal.push(x[i]);
      need -= plus ? nv - x[i] : x[i] - nv;
      x[i] = nv;
    }
    if (need !== 0) {
      undo();
      return false;
    }
    return true;
  };
  const undo = (): void => {
    for (let k = undoIdx.length - 1; k >= 0; k--) x[undoIdx[k]] = undoVal[k];
    undoIdx.length = 0;
    undoVal.length = 0;
  };

  for (let k = 0; k < tracker.layers.length && found.length < maxImages; k++) {
    const t = tracker.layers[k];
    const rows = t.layer.rows;
    const per = t.positions * rows;
    for (let r = 0; r < rows && found.length < maxImages; r++) {
      for (const which of ['below', 'at'] as const) {
        if (found.length >= maxImages) break;
        if (tracker.observed(t, r, which) || !tracker.reachable(t, r, which)) continue;
        const target = t.thresholds[r] - (which === 'below' ? 1 : 0);
        // Start images: the pool images (and positions) whose accumulator is closest.
        const cands: { img: number; pos: number; d: number }[] = [];
        for (let i = 0; i < poolN; i++) {
          let best = -1;
          let bd = Infinity;
          for (let pos = 0; pos < t.positions; pos++) {
            const d = Math.abs(poolAccs[k][i * per + pos * rows + r] - target);
            if (d < bd) {
              bd = d;
              best = pos;
            }
          }
          cands.push({ img: i, pos: best, d: bd });
        }
        cands.sort((a, b) => a.d - b.d || a.img - b.img);
        for (let s = 0; s < Math.min(starts, cands.length); s++) {
          const { img, pos } = cands[s];
          base.set(images.subarray(img * px, (img + 1) * px));
          x.set(base);
          if (climb(k, t, pos, r, target)) {
            tracker.add(x);
            tracker.directed++;
            found.push(x.slice());
            from.push(img);
            break;
          }
        }
      }
    }
  }

  /** Hill climbing from x towards accumulator `target` of row r at position pos, observed. */
  function climb(k: number, t: ThresholdLayer, pos: number, r: number, target: number): boolean {
    const rows = t.layer.rows;
    const at = pos * rows + r;
    const accOf = (): number => {
      probe.run(x, 0, t.index);
      return probe.accs[t.index][at];
    };
    const observedHere = (): boolean => {
      probe.run(x, 0);
      const ref = probe.scores.slice();
      return probe.flipChangesScores(t.index, at, ref);
    };
    if (k === 0) {
      // v is a signed sum of pixels: set it exactly.
      if (!setFirst(pos, r, accOf(), target)) return false;
      return accOf() === target && observedHere();
    }
    let d = Math.abs(accOf() - target);
    const acc0 = probe.accs[first.index];
    const per0 = first.positions * fl.rows;
    for (let e = 0; e < budget; e++) {
      if (d === 0 && observedHere()) return true;
      // Flip a first-layer neuron close to its threshold: the best of a few random ones.
      probe.run(x, 0, first.index);
      let pick = -1;
      let pd = Infinity;
      for (let c = 0; c < 8; c++) {
        const j = rng.int(per0);
        const row = j % fl.rows;
        const v = acc0[j];
        const dist = v >= first.thresholds[row] ? v - first.thresholds[row] + 1 : first.thresholds[row] - v;
        if (dist < pd) {
          pd = dist;
          pick = j;
        }
      }
      const row = pick % fl.rows;
      const p0 = (pick - row) / fl.rows;
      const v = acc0[pick];
      const goal = v >= first.thresholds[row] ? first.thresholds[row] - 1 : first.thresholds[row];
      if (!setFirst(p0, row, v, goal)) continue;
      const nd = Math.abs(accOf() - target);
      if (nd < d || (nd === d && rng.next() < 0.5)) d = nd;
      else undo();
    }
    return d === 0 && observedHere();
  }

  const out = new Uint8Array(found.length * px);
  found.forEach((img, i) => out.set(img, i * px));
  return { images: out, from };
}
