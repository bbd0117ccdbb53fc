/**
 * The harness's results file (text, one line per result beat; docs/verification.md):
 *
 *   BNNR 1
 *   frames <n> classes <C> inpix <IN_PIX> beats_per_frame <B>
 *   B <k> <firstIn> <lastIn> <out> <class> <score_0> ... <score_C-1>     (k = 0, 1, ...)
 *   end cycles <N> sim_seconds <s> timeout <0|1> frames_in <n> beats <count> reset_ready <r>
 *       [budget <0|1> resets <n> stale <n> late_accept <n>]
 *
 * Result beat k is paired with input frame k (results leave in order); firstIn / lastIn
 * are the rising edges at which frame k's first / last input beat was accepted (-1 when
 * there is no frame k, i.e. an extra beat), out the edge at which beat k was accepted.
 * reset_ready counts reset cycles (after the first rising edge with rst high) in which
 * s_axis_tready or m_axis_tvalid was high, which docs/hardware.md forbids. The optional
 * tail (the harness always writes it): budget 1 when the run hit --max-cycles; resets
 * made by --resets; stale results (a frame's result out before the frame was sent whole
 * again after a reset); late_accept (a first beat after reset not accepted at once).
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { describeValue } from '../graph/json.js';

export interface SimResults {
  /** Frames sent (records in the vector file). */
  frames: number;
  classes: number;
  inPix: number;
  beatsPerFrame: number;
  /** Result beats seen; equals `frames` when nothing was lost or duplicated. */
  beats: number;
  /** Per beat: class field (bits [15:0]). */
  classOut: Int32Array;
  /** Per beat, classes scores each (beat-major). */
  scores: Int32Array;
  /** Per beat: cycle stamps (-1 when absent). */
  firstIn: Float64Array;
  lastIn: Float64Array;
  outCycle: Float64Array;
  /** Rising edges simulated after reset. */
  cycles: number;
  /** Seconds the harness spent simulating (excluding loading). */
  simSeconds: number;
  /** The harness gave up: no handshake for the stall limit while results were outstanding. */
  timedOut: boolean;
  /** The harness gave up: the cycle budget (--max-cycles) ran out. */
  budgetExceeded: boolean;
  /** Resets made in the stream (--resets). */
  resets: number;
  /** Results that came out for frames not sent whole since the last reset. */
  staleResults: number;
  /** First beats after a reset that the design did not accept at once. */
  lateAccept: number;
  /** Frames whose last input beat was accepted. */
  framesIn: number;
  /** Reset cycles in which s_axis_tready or m_axis_tvalid was high (must be 0). */
  resetReady: number;
}

export function parseResults(text: string, source: string): SimResults {
  const lines = text.split('\n');
  let li = 0;
  const fail = (field: string, expected: string, got?: string): never => {
    throw new InputError(`${source}:${li + 1}`, field, expected, got);
  };
  if (lines[0] !== 'BNNR 1') fail('header', "'BNNR 1'", describeValue(lines[0]));
  li = 1;
  const head = /^frames (\d+) classes (\d+) inpix (\d+) beats_per_frame (\d+)$/.exec(lines[1] ?? '');
  if (!head) fail('sizes line', "'frames N classes C inpix P beats_per_frame B'", describeValue(lines[1]));
  const [frames, classes, inPix, beatsPerFrame] = head!.slice(1).map(Number);
  for (const [name, v] of Object.entries({ frames, classes, inPix, beatsPerFrame })) {
    if (!Number.isSafeInteger(v)) fail(name, 'a safe integer', String(v));
  }
  if (classes < 1 || classes > 32768) fail('classes', '1..32768', String(classes));

  // Sized by the beat lines present, never by a number in the file.
  let count = 0;
  while (2 + count < lines.length && lines[2 + count].startsWith('B ')) count++;
  const classOut = new Int32Array(count);
  const scores = new Int32Array(count * classes);
  const firstIn = new Float64Array(count);
  const lastIn = new Float64Array(count);
  const outCycle = new Float64Array(count);
  const int = (tok: string, lo: number, hi: number, what: string): number => {
    const v = /^-?\d{1,16}$/.test(tok) ? Number(tok) : NaN;
    if (!(Number.isSafeInteger(v) && v >= lo && v <= hi)) fail(what, `an integer in ${lo}..${hi}`, describeValue(tok, 40));
    return v;
  };
  let beats = 0;
  for (li = 2; li < 2 + count; li++) {
    const f = lines[li].split(' ');
    if (f.length !== 6 + classes) fail('beat line', `${5 + classes} fields after B`, String(f.length - 1));
    if (int(f[1], 0, Number.MAX_SAFE_INTEGER, 'beat index') !== beats) fail('beat index', String(beats), f[1]);
    firstIn[beats] = int(f[2], -1, Number.MAX_SAFE_INTEGER, 'firstIn');
    lastIn[beats] = int(f[3], -1, Number.MAX_SAFE_INTEGER, 'lastIn');
    outCycle[beats] = int(f[4], 0, Number.MAX_SAFE_INTEGER, 'out');
    classOut[beats] = int(f[5], 0, 0xffff, 'class');
    for (let j = 0; j < classes; j++) scores[beats * classes + j] = int(f[6 + j], -0x80000000, 0x7fffffff, `score ${j}`);
    beats++;
  }
  const end = /^end cycles (\d+) sim_seconds ([\d.eE+-]+) timeout ([01]) frames_in (\d+) beats (\d+) reset_ready (\d+)(?: budget ([01]) resets (\d+) stale (\d+) late_accept (\d+))?$/.exec(
    lines[li] ?? '',
  );
  if (!end) {
    fail('end line', "'end cycles N sim_seconds S timeout T frames_in F beats K reset_ready R'", describeValue(lines[li]));
  }
  const [cycles, simSeconds, timeout, framesIn, beatCount, resetReady, budget, resets, staleResults, lateAccept] = end!
    .slice(1)
    .map((v) => (v === undefined ? 0 : Number(v)));
  for (const [name, v] of Object.entries({ cycles, framesIn, beats: beatCount, resetReady, resets, stale: staleResults, late_accept: lateAccept })) {
    if (!Number.isSafeInteger(v)) fail(name, 'a safe integer', String(v));
  }
  if (!Number.isFinite(simSeconds)) fail('sim_seconds', 'a finite number', end![2]);
  if (beatCount !== beats) fail('beats', `${beats} (the beat lines)`, String(beatCount));
  return {
    frames,
    classes,
    inPix,
    beatsPerFrame,
    beats,
    classOut,
    scores,
    firstIn,
    lastIn,
    outCycle,
    cycles,
    simSeconds,
    timedOut: timeout === 1,
    budgetExceeded: budget === 1,
    resets,
    staleResults,
    lateAccept,
    framesIn,
    resetReady,
  };
}

export function readResults(file: string): SimResults {
  return parseResults(fs.readFileSync(file, 'utf8'), file);
}
