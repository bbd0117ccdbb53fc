/**
 * The folding planner (docs/hardware.md, "Folding"): for `--target-cycles N`,
 * `--target-fps F` (N = clock / F) and the resource limits `--max-luts`, `--max-bram` and
 * `--device`, it picks each matrix layer's PE x SIMD by the modelled cost of the stage
 * it makes (src/hw/area.ts estimateStage: LUTs, and block RAMs counted by the plan's
 * ROM rule), not by the fewest lanes.
 *
 * - Candidates: for every distinct NF the smallest PE giving it, for every distinct SF
 *   the smallest SIMD giving it (a larger PE or SIMD with the same folds is all cost).
 * - Cost of a stage: LUTs (the calibrated estimate's, its logic ROMs included) + W x block
 *   RAMs, W = the device's LUTs per block RAM (a block
 *   costs the share of the device it takes; xc7z020's 380 without --device). The first
 *   dense layer also carries the input stage it shapes (its image buffer).
 * - The input beat: the first dense layer's SIMD (= pixels per beat by default) is at most
 *   MAX_BEAT_PIXELS, unless the budget needs more (then the fewest pixels that meet it).
 * - Limits: the cost-cheapest pick per stage is taken when it fits; otherwise picks made
 *   with other weights between LUTs and block RAMs (a Lagrangian sweep) are tried and the
 *   cheapest that fits is taken. Without a cycle budget (limits alone) the planner finds
 *   the smallest budget at which a pick fits, by bisection: the fastest design that fits.
 * - Impossible: one InputError naming the layer that needs the most of the resource that
 *   runs out, with the numbers.
 */
import { InputError } from '../errors.js';
import type { FoldedLayer, FoldedMatrixLayer } from '../int/types.js';
import { TARGET_SPECS, TARGETS, type Device, type Target } from '../synth/targets.js';
import { estimateInput, estimateStage } from './area.js';
import type { LayerFolding } from './folding.js';
import { planImageInput } from './stages/input.js';
import type { MvtuStage } from './stages/mvtu.js';
import type { PoolStage } from './stages/pool.js';

/**
 * The widest input beat (pixels, 8 bits each: 512 bits) the planner gives a dense first
 * layer on its own: past it, fewer pixels per beat with more PEs cost about the same
 * lanes, and a port of thousands of bits fits no package nor any DMA (the board
 * wrapper and AXI width converters are built from a few bytes at a time).
 */
export const MAX_BEAT_PIXELS = 64;

/** The resource limits of a planned folding (command line: --max-luts, --max-bram, --device). */
export interface ResourceLimits {
  maxLuts?: number;
  maxBram?: number;
  /** A device of src/synth/targets.ts: its LUTs, flip-flops and block RAMs are limits too. */
  device?: string;
}

/** What the planner chose and why (plan.planner, the manifest's planner, compile's output). */
export interface PlannerChoice {
  /** Every stage's cycles per frame at most this; null: the fastest that fits the limits. */
  targetCycles: number | null;
  /** The budget the stages were picked within: every stage's cycles per frame at most this. */
  budget: number;
  /** Where the cycle budget came from ("--target-cycles 512", "--target-fps 1000 at 100 MHz"). */
  from: string;
  limits: { maxLuts: number | null; maxBram: number | null; maxFlipFlops: number | null; device: string | null };
  /** The block RAM unit counted: "RAMB36" (xc7, RAMB18 = 0.5), "SB_RAM40_4K", "DP16KD". */
  bramUnit: string;
  /** LUTs a block RAM is worth in the cost. */
  bramWeight: number;
  /** The chosen folding's modelled totals (the estimate's LUTs, logic ROMs included). */
  luts: number;
  flipFlops: number;
  bram: number;
  /** The constraint that bound the choice: "cycles", "luts", "bram" or "flipFlops". */
  bound: 'cycles' | 'luts' | 'bram' | 'flipFlops';
  /** One sentence for people. */
  reason: string;
}

/** Block RAM shapes (words x bits) of each target, and what one counts as in the device's unit. */
const BLOCKS: Record<Exclude<Target, 'generic'>, { unit: string; per: number; shapes: [number, number][] }> = {
  // RAMB18E1 (counted as half a RAMB36, as `bnnc synth` does)
  xc7: { unit: 'RAMB36', per: 0.5, shapes: [[16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18], [512, 36]] },
  ice40: { unit: 'SB_RAM40_4K', per: 1, shapes: [[2048, 2], [1024, 4], [512, 8], [256, 16]] },
  ecp5: { unit: 'DP16KD', per: 1, shapes: [[16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18], [512, 36]] },
};

/** Block RAMs (the target's unit) of a ROM of `depth` words of `width` bits: the best shape, tiled. */
export function romBlocks(target: Exclude<Target, 'generic'>, depth: number, width: number): number {
  const b = BLOCKS[target];
  return b.per * Math.min(...b.shapes.map(([d, w]) => Math.ceil(depth / d) * Math.ceil(width / w)));
}

/**
 * Block RAMs of a stage: its ROMs the plan's rule puts in block RAM (stage.rom), one
 * weight ROM and one parameter ROM per PE. RAMs (image buffer, line memories) are left
 * to the synthesis tool and not counted.
 */
function stageBlocks(target: Exclude<Target, 'generic'>, s: MvtuStage | PoolStage): number {
  if (s.kind === 'pool') return 0;
  const w = s.rom.weights === 'block' ? romBlocks(target, s.nf * s.sf, s.simd) : 0;
  const p = s.rom.params === 'block' ? romBlocks(target, s.nf, s.paramWidth) : 0;
  return s.pe * (w + p);
}

/** The names of every device of src/synth/targets.ts but the technology-independent target's. */
export const DEVICE_NAMES: string[] = TARGETS.flatMap((t) => Object.keys(TARGET_SPECS[t].devices));

/** Every device of src/synth/targets.ts by name (names are unique across targets). */
export function findDevice(name: string): { target: Exclude<Target, 'generic'>; device: Device } {
  for (const t of TARGETS) {
    if (t === 'generic') continue;
    const d = TARGET_SPECS[t].devices[name.toLowerCase()];
    if (d !== undefined) return { target: t, device: d };
  }
  throw new InputError('command line', '--device', `one of ${DEVICE_NAMES.join(', ')}`, JSON.stringify(name));
}

/**
 * The modelled figures of a plan by the planner's measure: LUTs (the estimate's),
 * flip-flops, block RAMs in the device's unit, and the cost LUTs + weight x block RAMs
 * (xc7z020's units and weight without a device).
 */
export function planFigures(
  plan: { stages: (MvtuStage | PoolStage)[]; estimate: { luts: number; flipFlops: number } },
  device?: string,
): { luts: number; flipFlops: number; bram: number; weight: number; cost: number } {
  const dev = device === undefined ? { target: 'xc7' as const, device: TARGET_SPECS.xc7.devices[TARGET_SPECS.xc7.defaultDevice as string] } : findDevice(device);
  const weight = Math.round(dev.device.luts / dev.device.bram);
  const luts = plan.estimate.luts;
  const bram = plan.stages.reduce((a, s) => a + stageBlocks(dev.target, s), 0);
  return { luts, flipFlops: plan.estimate.flipFlops, bram, weight, cost: luts + weight * bram };
}

/** A candidate folding of one matrix layer, with its modelled figures. */
interface Candidate {
  f: LayerFolding;
  /** Cycles of work per frame. */
  frame: number;
  luts: number;
  ffs: number;
  bram: number;
  lanes: number;
  pad: number;
}

/** The smallest value of 1..n for each distinct ceil(n / v). */
function distinctFolds(n: number): number[] {
  const out: number[] = [];
  for (let v = 1; v <= n; v++) if (v === 1 || Math.ceil(n / (v - 1)) !== Math.ceil(n / v)) out.push(v);
  return out;
}

/** What the planner needs of planHardware: the layers and how a layer at a folding is planned. */
export interface PlannerInput {
  all: FoldedLayer[];
  matrix: FoldedMatrixLayer[];
  /** The MVTU stage of matrix layer m (index in `matrix`) at folding f. */
  stage: (m: number, f: LayerFolding) => MvtuStage;
  /** The pool stages (fixed cost and cycles). */
  pools: PoolStage[];
  /** An MLP: the image input (its cost follows the first layer's SIMD); null for a ConvNet. */
  image: { npix: number; inPix: number | undefined; threshold: number | null } | null;
  /** A ConvNet's input stage estimate (fixed); null for an MLP. */
  fixedInput: { luts: number; flipFlops: number } | null;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export class Planner {
  private readonly cands: Candidate[][];
  private readonly target: Exclude<Target, 'generic'>;
  private readonly device: Device | null;
  readonly weight: number;
  private readonly fixed: { luts: number; ffs: number };

  constructor(
    private readonly p: PlannerInput,
    private readonly limits: ResourceLimits,
  ) {
    const dev = limits.device === undefined ? null : findDevice(limits.device);
    this.target = dev?.target ?? 'xc7';
    this.device = dev?.device ?? null;
    const ref = this.device ?? TARGET_SPECS.xc7.devices[TARGET_SPECS.xc7.defaultDevice as string];
    this.weight = Math.round(ref.luts / ref.bram);
    const poolEst = p.pools.map(estimateStage);
    const inp = p.fixedInput ?? { luts: 0, flipFlops: 0 };
    this.fixed = { luts: inp.luts + poolEst.reduce((a, e) => a + e.luts, 0), ffs: inp.flipFlops + poolEst.reduce((a, e) => a + e.flipFlops, 0) };
    this.cands = p.matrix.map((l, m) => {
      const out: Candidate[] = [];
      for (const pe of distinctFolds(l.rows)) {
        for (const simd of distinctFolds(l.cols)) {
          const s = p.stage(m, { pe, simd });
          const e = estimateStage(s);
          let luts = e.luts;
          let ffs = e.flipFlops;
          if (m === 0) {
            const inp = this.inputEstimate(s);
            luts += inp.luts;
            ffs += inp.flipFlops;
          }
          out.push({ f: { pe, simd }, frame: s.frameCycles, luts, ffs, bram: stageBlocks(this.target, s), lanes: pe * simd, pad: s.nf * pe * s.sf * simd - l.rows * l.cols });
        }
      }
      return out;
    });
  }

  /** The input stage's estimate when the first matrix layer is planned as `s`. */
  private inputEstimate(s: MvtuStage): { luts: number; flipFlops: number } {
    const img = this.p.image;
    if (img === null) return { luts: 0, flipFlops: 0 };
    return estimateInput(planImageInput(img.npix, img.inPix ?? s.simd, s.simd, s.sf, img.threshold), s.simd, s.sf);
  }

  private cost(c: Candidate): number {
    return c.luts + this.weight * c.bram;
  }

  /** The candidates of matrix layer m within a budget of N cycles per frame (and the beat rule). */
  private within(m: number, n: number): Candidate[] {
    const ok = this.cands[m].filter((c) => c.frame <= n);
    if (m !== 0 || this.p.image === null || ok.length === 0) return ok;
    const need = Math.min(...ok.map((c) => c.f.simd));
    const cap = Math.max(MAX_BEAT_PIXELS, need, this.p.image.inPix ?? 0);
    return ok.filter((c) => c.f.simd <= cap);
  }

  /** Per layer the candidate least by a*LUTs + b*BRAM, ties by cost, lanes, padding, PEs. */
  private pick(lists: Candidate[][], a: number, b: number): Candidate[] {
    return lists.map((list) => {
      let best = list[0];
      for (const c of list) {
        const d = a * c.luts + b * c.bram - (a * best.luts + b * best.bram);
        const better =
          d < 0 ||
          (d === 0 &&
            (this.cost(c) < this.cost(best) ||
              (this.cost(c) === this.cost(best) && (c.lanes < best.lanes || (c.lanes === best.lanes && (c.pad < best.pad || (c.pad === best.pad && c.f.pe < best.f.pe)))))));
        if (better) best = c;
      }
      return best;
    });
  }

  private totals(picks: Candidate[]): { luts: number; ffs: number; bram: number } {
    return {
      luts: this.fixed.luts + picks.reduce((s, c) => s + c.luts, 0),
      ffs: this.fixed.ffs + picks.reduce((s, c) => s + c.ffs, 0),
      bram: picks.reduce((s, c) => s + c.bram, 0),
    };
  }

  /** The limits in force (the device's capacity where no tighter flag is given). */
  caps(): { luts: number; bram: number; ffs: number } {
    const d = this.device;
    return {
      luts: Math.min(this.limits.maxLuts ?? Infinity, d?.luts ?? Infinity),
      bram: Math.min(this.limits.maxBram ?? Infinity, d?.bram ?? Infinity),
      ffs: d?.ffs ?? Infinity,
    };
  }

  private fits(t: { luts: number; ffs: number; bram: number }): boolean {
    const c = this.caps();
    return t.luts <= c.luts && t.bram <= c.bram && t.ffs <= c.ffs;
  }

  /** The layers have candidates within N (the caller reports unreachable budgets). */
  reachable(n: number): boolean {
    return this.p.matrix.every((_, m) => this.within(m, n).length > 0);
  }

  /**
   * The cheapest picks within N cycles that fit the limits, and whether the limits bound
   * them (the cost-cheapest did not fit); null if none found.
   */
  choose(n: number): { foldings: LayerFolding[]; picks: Candidate[]; bound: boolean } | null {
    const lists = this.p.matrix.map((_, m) => this.within(m, n));
    const cheapest = this.pick(lists, 1, this.weight);
    if (this.fits(this.totals(cheapest))) return { foldings: cheapest.map((c) => c.f), picks: cheapest, bound: false };
    let best: Candidate[] | null = null;
    let bestCost = Infinity;
    const w = this.weight;
    // LUTs against block RAMs at weights from "RAM is free" to "RAM is all that counts",
    // and flip-flops (a device's other limit) by themselves.
    const weights: [number, number][] = [[1, 0], [1, w / 16], [1, w / 4], [1, w * 4], [1, w * 16], [1, w * 256], [0, 1], [1e-6, 1]];
    const sweeps = weights.map(([a, b]) => this.pick(lists, a, b));
    sweeps.push(lists.map((list) => list.reduce((x, c) => (c.ffs < x.ffs || (c.ffs === x.ffs && this.cost(c) < this.cost(x)) ? c : x))));
    for (const picks of sweeps) {
      const t = this.totals(picks);
      const cost = t.luts + w * t.bram;
      if (this.fits(t) && cost < bestCost) {
        best = picks;
        bestCost = cost;
      }
    }
    return best === null ? null : { foldings: best.map((c) => c.f), picks: best, bound: true };
  }

  /** The InputError saying which layer makes the limits impossible within N cycles. */
  impossible(n: number | null, nAt: number): InputError {
    const lists = this.p.matrix.map((_, m) => this.within(m, nAt));
    const at = n === null ? `even fully folded (II ${nAt})` : `at II <= ${n}`;
    const c = this.caps();
    const d = this.device;
    const named = (m: number): string => `layer ${this.p.matrix[m].name} (layers[${this.p.all.indexOf(this.p.matrix[m])}])`;
    // The flag that set a limit: --max-luts / --max-bram when at or below the device's capacity.
    const flagOf = (key: 'luts' | 'bram', flagVal: number | undefined): string =>
      flagVal !== undefined && flagVal <= (d?.[key] ?? Infinity) ? `--max-${key}` : `--device ${d?.name}`;
    const check = (key: 'luts' | 'bram' | 'ffs', what: string, cap: number, flag: string): InputError | null => {
      const mins = lists.map((list) => Math.min(...list.map((x) => x[key])));
      const fixed = key === 'luts' ? this.fixed.luts : key === 'ffs' ? this.fixed.ffs : 0;
      const total = fixed + mins.reduce((a, v) => a + v, 0);
      if (total <= cap) return null;
      let worst = 0;
      mins.forEach((v, i) => {
        if (v > mins[worst]) worst = i;
      });
      return new InputError('command line', flag, `room for ${named(worst)}, which needs at least ${fmt(mins[worst])} ${what} ${at} (the whole design at least ${fmt(total)})`, `${fmt(cap)} ${what}`);
    };
    const e =
      check('luts', 'LUTs', c.luts, flagOf('luts', this.limits.maxLuts)) ??
      check('bram', this.unit(), c.bram, flagOf('bram', this.limits.maxBram)) ??
      check('ffs', 'flip-flops', c.ffs, `--device ${d?.name}`);
    if (e !== null) return e;
    // Each limit alone can be met, not both: name the layer whose best balance of the two
    // takes the largest share of them.
    const share = (x: Candidate): number => x.luts / c.luts + (Number.isFinite(c.bram) ? x.bram / Math.max(c.bram, 0.5) : 0);
    const best = lists.map((list) => list.reduce((y, x) => (share(x) < share(y) ? x : y)));
    let worst = 0;
    best.forEach((x, i) => {
      if (share(x) > share(best[worst])) worst = i;
    });
    const fewestLuts = this.totals(this.pick(lists, 1, 1e-6));
    const fewestBram = this.totals(this.pick(lists, 1e-6, 1));
    const flags = [flagOf('luts', this.limits.maxLuts), flagOf('bram', this.limits.maxBram)].filter((v, i, all) => all.indexOf(v) === i).join(' and ');
    return new InputError(
      'command line',
      flags,
      `room for ${named(worst)} (at best ~${fmt(best[worst].luts)} LUTs with ${fmt(best[worst].bram)} ${this.unit()}) and the rest ${at}: the design with the fewest LUTs needs ~${fmt(fewestLuts.luts)} LUTs and ${fmt(fewestLuts.bram)} ${this.unit()}, the one with the fewest block RAMs ~${fmt(fewestBram.luts)} LUTs and ${fmt(fewestBram.bram)}`,
      `${fmt(c.luts)} LUTs and ${fmt(c.bram)} ${this.unit()}`,
    );
  }

  unit(): string {
    return BLOCKS[this.target].unit;
  }

  /** The first limit the cost-cheapest picks within N cycles break, or null. */
  private broken(n: number): 'luts' | 'bram' | 'flipFlops' | null {
    if (!this.reachable(n)) return null;
    const t = this.totals(this.pick(this.p.matrix.map((_, m) => this.within(m, n)), 1, this.weight));
    const c = this.caps();
    return t.luts > c.luts ? 'luts' : t.bram > c.bram ? 'bram' : t.ffs > c.ffs ? 'flipFlops' : null;
  }

  private limitText(key: 'luts' | 'bram' | 'flipFlops'): string {
    const c = this.caps();
    const d = this.device;
    if (key === 'luts') return this.limits.maxLuts !== undefined && this.limits.maxLuts === c.luts ? `--max-luts ${c.luts}` : `${c.luts} LUTs of --device ${d?.name}`;
    if (key === 'bram') return this.limits.maxBram !== undefined && this.limits.maxBram === c.bram ? `--max-bram ${c.bram}` : `${c.bram} ${this.unit()} of --device ${d?.name}`;
    return `${c.ffs} flip-flops of --device ${d?.name}`;
  }

  /** What was chosen and why, with the plan's modelled figures (its estimate, and block RAMs by stageBlocks). */
  describe(
    plan: { stages: (MvtuStage | PoolStage)[]; estimate: { luts: number; flipFlops: number }; ii: number },
    o: { target: number | null; budget: number; from: string; bound: boolean },
  ): PlannerChoice {
    const c = this.caps();
    const { luts, bram } = planFigures(plan, this.device?.name);
    const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
    const limits = { maxLuts: fin(c.luts), maxBram: fin(c.bram), maxFlipFlops: fin(c.ffs), device: this.device?.name ?? null };
    const dv = this.device;
    const fits = [
      ...(this.limits.maxLuts !== undefined ? [`--max-luts ${this.limits.maxLuts}`] : []),
      ...(this.limits.maxBram !== undefined ? [`--max-bram ${this.limits.maxBram}`] : []),
      ...(dv !== null ? [`--device ${dv.name} (${dv.luts} LUTs, ${dv.ffs} flip-flops, ${dv.bram} ${this.unit()})`] : []),
    ];
    const costRule = `per layer the folding of least modelled cost (LUTs + ${this.weight} per ${this.unit()})`;
    let bound: PlannerChoice['bound'] = 'cycles';
    let reason: string;
    if (o.target !== null) {
      const b = o.bound ? this.broken(o.budget) : null;
      if (b === null) {
        reason = `every stage within ${o.budget} cycles per frame (${o.from}); ${costRule}${fits.length ? `, within ${fits.join(', ')}` : ''}`;
      } else {
        bound = b;
        reason = `every stage within ${o.budget} cycles per frame (${o.from}); the least-cost folding breaks ${this.limitText(b)}, so the least-cost one within it (trading LUTs against block RAM)`;
      }
    } else {
      const b = this.broken(o.budget - 1);
      if (b === null) {
        reason = `the fastest design within ${fits.join(', ')}: every stage at its fewest cycles per frame (${o.budget}); ${costRule}`;
      } else {
        bound = b;
        reason = `the fastest design within ${fits.join(', ')}: every stage within ${o.budget} cycles per frame (${o.budget - 1} would break ${this.limitText(b)}); ${costRule}`;
      }
    }
    return {
      targetCycles: o.target,
      budget: o.budget,
      from: o.from,
      limits,
      bramUnit: this.unit(),
      bramWeight: this.weight,
      luts,
      flipFlops: plan.estimate.flipFlops,
      bram,
      bound,
      reason,
    };
  }
}
