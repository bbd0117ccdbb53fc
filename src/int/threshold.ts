/**
 * Folding of (bias, batch norm, sign) into one integer threshold per neuron, and of
 * (bias, batch norm) into fixed-point class scores. This is the ONE place the derivation
 * lives (docs/integer-contract.md repeats it for readers of the RTL).
 *
 * Every neuron sees an integer v computed by the hardware:
 *   bits input   (N = cols):  v = acc = popcount(xnor(x, w)) in [0, N];
 *                             the float pre-activation is a(v) = 2v - N + b
 *                             (the +-1 dot product is 2acc - N).
 *   pixels input (N = cols):  v = S = sum_i w_i p_i (w_i = +-1, p_i in 0..255) in
 *                             [-255N, 255N]; with x_i = s p_i + o the float
 *                             pre-activation is a(v) = s S + o sum_i w_i + b.
 * In both cases a(v) = alpha v + c0 (alpha = 2 or s; c0 = -N + b or o sum(w) + b).
 * Batch norm: y = gamma (a - mu) / sigma + beta, sigma = sqrt(var + eps).
 *
 * Threshold layers (sign follows, sign(0) = +1: bit = y >= 0):
 *   gamma alpha > 0: y is increasing in v and y >= 0 <=> v >= tau with
 *       tau = (mu - beta sigma / gamma - c0) / alpha       (bits: (N - b + mu - beta sigma/gamma)/2)
 *       => T = ceil(tau), bit = v >= T.
 *   gamma alpha < 0: y is decreasing and y >= 0 <=> v <= floor(tau). The weight row is
 *       inverted so the hardware still compares with >=: for bits acc' = N - acc, for
 *       pixels S' = -S (inverting a +-1 row negates it); both are v' = flip(v) and
 *       bit = v' >= T with T = flip(floor(tau)) (bits: N - floor(tau); pixels: -floor(tau)).
 *   gamma alpha = 0: y = beta (or the constant a): the bit is constant; T = lo (always 1)
 *       or T = hi + 1 (always 0), with no inversion.
 *   T is clamped to [lo, hi + 1] (bits: [0, N + 1]; pixels: [-255N, 255N + 1]).
 *
 * Exactness: tau computed in float64 can be off by rounding exactly when it lies on or
 * near an integer, which is where it matters. So T from tau is only a first guess: the
 * float decision d(v) = (y(v) >= 0) is then evaluated exactly as src/nn/eval.ts computes
 * it (same operations in the same order on the same float32-stored parameters) at T - 1
 * and T, and if the guess does not reproduce it there, T is found by binary search on d.
 * Each step of eval.ts's expression is a correctly rounded monotone operation, so d is
 * monotone in v and agreeing at the boundary means agreeing on the whole range; the
 * search also checks d at both ends of the range against the expected direction.
 * For bits input this reproduces eval.ts exactly (the dot product 2acc - N is an exact
 * integer there). For pixel input eval.ts sums sum_i w_i (s p_i + o) in float64; that
 * sum equals s S + o sum(w) exactly when s and o are dyadic (e.g. 1/128, -1), and
 * otherwise differs by at most a few ulps, which can only matter for an image whose
 * pre-activation lies within ~1e-13 of the threshold.
 *
 * Score layers (the last layer, no sign):
 *   score_j(v) = A_j v + B_j with A_j = gamma_j alpha / sigma_j and
 *   B_j = gamma_j (c0_j - mu_j) / sigma_j + beta_j.
 *   Integer: mul_j = round(A_j 2^F), add_j = round(B_j 2^F) (round half away from zero)
 *   with one F (fracBits) per layer: the largest F in [0, 30] such that
 *   max_j |mul_j| < 2^20 and max over v in [lo, hi] of |mul_j v + add_j| < 2^31 - 1,
 *   so every score is an exact int32 and a multiplier stays small in hardware.
 *   score_j = mul_j v + add_j; class = argmax_j score_j, ties to the lowest index.
 */
import { InputError } from '../errors.js';

/** The per-neuron float parameters that decide one output. */
export interface NeuronParams {
  /** bias of the matrix layer (0 without bias) */
  bias: number;
  gamma: number;
  beta: number;
  mean: number;
  variance: number;
  /** batch norm eps (float64, as in the graph) */
  eps: number;
}

/** How the integer v of a neuron maps to the float pre-activation (before bias). */
export type InputMap =
  | { kind: 'bits'; cols: number }
  /** sumW = sum of the row's +-1 weights (before any inversion). */
  | { kind: 'pixels'; cols: number; scale: number; offset: number; sumW: number };

/** The range [lo, hi] of v for a layer. */
export function accRange(input: InputMap): { lo: number; hi: number } {
  return input.kind === 'bits' ? { lo: 0, hi: input.cols } : { lo: -255 * input.cols, hi: 255 * input.cols };
}

/** v -> the inverted row's v (bits: N - acc, pixels: -S). */
function flip(input: InputMap, v: number): number {
  return input.kind === 'bits' ? input.cols - v : -v;
}

/**
 * The float pre-activation before batch norm, as eval.ts computes it. Bits: the dot
 * product 2acc - N is an exact integer, then + bias. Pixels: s S + o sum(w) (exact for
 * dyadic s and o), then + bias.
 */
function preActivation(input: InputMap, v: number, bias: number): number {
  const dot = input.kind === 'bits' ? 2 * v - input.cols : input.scale * v + input.offset * input.sumW;
  return dot + bias;
}

/** The float batch-norm output, with eval.ts's exact expression and operation order. */
function bnOutput(x: number, p: NeuronParams): number {
  return (p.gamma * (x - p.mean)) / Math.sqrt(p.variance + p.eps) + p.beta;
}

/** The float model's sign decision (y >= 0) for integer input v. */
export function floatDecision(input: InputMap, p: NeuronParams, v: number): boolean {
  return bnOutput(preActivation(input, v, p.bias), p) >= 0;
}

export interface FoldedThreshold {
  /** bit = v' >= threshold, where v' = v, or flip(v) when invert. */
  threshold: number;
  /** The weight row must be inverted (gamma alpha < 0). */
  invert: boolean;
}

/** Check the parameters a fold relies on; `where` names the neuron for messages. */
export function checkNeuronParams(input: InputMap, p: NeuronParams, where: string): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isFinite(v)) throw new InputError(where, k, 'a finite number', String(v));
  }
  if (!(p.variance + p.eps > 0)) {
    throw new InputError(where, 'running_var + eps', 'a positive number', String(p.variance + p.eps));
  }
  if (input.kind === 'pixels' && !(Number.isFinite(input.scale) && Number.isFinite(input.offset))) {
    throw new InputError(where, 'input pixelScale/pixelOffset', 'finite numbers', `${input.scale}, ${input.offset}`);
  }
}

/** Direction of y in v: +1 increasing, -1 decreasing, 0 constant. */
function direction(input: InputMap, gamma: number): number {
  const alpha = input.kind === 'bits' ? 2 : input.scale;
  return Math.sign(gamma) * Math.sign(alpha);
}

/**
 * Fold one neuron's bias + batch norm + sign into an integer threshold (see the header
 * comment for the derivation). The result reproduces floatDecision for every v in range.
 */
export function foldThreshold(input: InputMap, p: NeuronParams, where: string): FoldedThreshold {
  checkNeuronParams(input, p, where);
  const { lo, hi } = accRange(input);
  const dir = direction(input, p.gamma);
  const d = (v: number): boolean => floatDecision(input, p, v);

  if (dir === 0) return { threshold: d(lo) ? lo : hi + 1, invert: false };

  // First guess from tau in float64.
  const alpha = input.kind === 'bits' ? 2 : input.scale;
  const c0 = input.kind === 'bits' ? -input.cols + p.bias : input.offset * input.sumW + p.bias;
  const sigma = Math.sqrt(p.variance + p.eps);
  const tau = (p.mean - (p.beta * sigma) / p.gamma - c0) / alpha;
  const clamp = (t: number): number => (Number.isFinite(t) ? Math.min(hi + 1, Math.max(lo, t)) : t > 0 ? hi + 1 : lo);

  if (dir > 0) {
    // d is non-decreasing: T = the smallest v with d(v), hi + 1 if none.
    if (d(lo) && !d(hi)) throw new Error(`${where}: float decision not monotone (increasing expected)`);
    let t = clamp(Math.ceil(tau));
    if (!isIncreasingBoundary(d, t, lo, hi)) t = firstTrue(d, lo, hi);
    return { threshold: t, invert: false };
  }
  // d is non-increasing: the largest v with d(v) is F (lo - 1 if none); bit = v <= F,
  // which on the inverted row is flip(v) >= flip(F).
  if (!d(lo) && d(hi)) throw new Error(`${where}: float decision not monotone (decreasing expected)`);
  let f = clamp(Math.floor(tau) + 1) - 1; // F in [lo - 1, hi]
  if (!isDecreasingBoundary(d, f, lo, hi)) f = lastTrue(d, lo, hi);
  return { threshold: flip(input, f), invert: true };
}

/** t is the first true of a non-decreasing d on [lo, hi] (hi + 1 = none true). */
function isIncreasingBoundary(d: (v: number) => boolean, t: number, lo: number, hi: number): boolean {
  return (t === lo || !d(t - 1)) && (t === hi + 1 || d(t));
}

/** f is the last true of a non-increasing d on [lo, hi] (lo - 1 = none true). */
function isDecreasingBoundary(d: (v: number) => boolean, f: number, lo: number, hi: number): boolean {
  return (f === lo - 1 || d(f)) && (f === hi || !d(f + 1));
}

/** Smallest v in [lo, hi] with d(v) for a non-decreasing d; hi + 1 if none. */
function firstTrue(d: (v: number) => boolean, lo: number, hi: number): number {
  let a = lo;
  let b = hi + 1;
  while (a < b) {
    const m = Math.floor((a + b) / 2);
    if (d(m)) b = m;
    else a = m + 1;
  }
  return a;
}

/** Largest v in [lo, hi] with d(v) for a non-increasing d; lo - 1 if none. */
function lastTrue(d: (v: number) => boolean, lo: number, hi: number): number {
  let a = lo - 1;
  let b = hi;
  while (a < b) {
    const m = Math.ceil((a + b) / 2);
    if (d(m)) a = m;
    else b = m - 1;
  }
  return a;
}

/** The float score of a last-layer neuron as a line in v: score = A v + B. */
export function scoreLine(input: InputMap, p: NeuronParams): { A: number; B: number } {
  const alpha = input.kind === 'bits' ? 2 : input.scale;
  const c0 = input.kind === 'bits' ? -input.cols + p.bias : input.offset * input.sumW + p.bias;
  const sigma = Math.sqrt(p.variance + p.eps);
  return { A: (p.gamma * alpha) / sigma, B: (p.gamma * (c0 - p.mean)) / sigma + p.beta };
}

/** Round half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Largest allowed |mul| is below this (keeps the score multiplier a small constant). */
export const MUL_LIMIT = 2 ** 20;
/** Every |score| is below this, so scores are exact int32 with headroom. */
export const SCORE_LIMIT = 2 ** 31 - 1;
export const MAX_FRAC_BITS = 30;

export interface FoldedScores {
  mul: Int32Array;
  add: Int32Array;
  fracBits: number;
}

/** Fold the last layer's bias + batch norm into fixed-point scores (one F per layer). */
export function foldScores(inputs: InputMap[], params: NeuronParams[], where: string): FoldedScores {
  const rows = params.length;
  const lines = params.map((p, j) => {
    checkNeuronParams(inputs[j], p, `${where} row ${j}`);
    const line = scoreLine(inputs[j], p);
    if (!Number.isFinite(line.A) || !Number.isFinite(line.B)) {
      throw new InputError(`${where} row ${j}`, 'score', 'a finite score line', `${line.A} v + ${line.B}`);
    }
    return line;
  });
  for (let f = MAX_FRAC_BITS; f >= 0; f--) {
    const scale = 2 ** f;
    const mul = new Int32Array(rows);
    const add = new Int32Array(rows);
    let ok = true;
    for (let j = 0; j < rows && ok; j++) {
      const m = roundHalfAway(lines[j].A * scale);
      const a = roundHalfAway(lines[j].B * scale);
      const { lo, hi } = accRange(inputs[j]);
      const extreme = Math.max(Math.abs(m * lo + a), Math.abs(m * hi + a));
      if (!(Math.abs(m) < MUL_LIMIT && extreme < SCORE_LIMIT)) ok = false;
      mul[j] = m;
      add[j] = a;
    }
    if (ok) return { mul, add, fracBits: f };
  }
  throw new InputError(where, 'scores', `class scores that fit in 32 bits with fracBits = 0 (|score| < ${SCORE_LIMIT})`, 'larger scores');
}
