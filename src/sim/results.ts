/**
 * The harness's results file (text, one line per result beat; docs/verification.md):
 *
 *   BNNR 1
 *   frames <n> classes <C> inpix <IN_PIX> beats_per_frame <B>
 *   B <k> <firstIn> <lastIn> <out> <class> <score_0> ... <score_C-1>     (k = 0, 1, ...)
 *   end cycles <N> sim_seconds <s> timeout <0|1> frames_in <n> beats <count> reset_ready <r>
 *
 * Result beat k is paired with input frame k (results leave in order); firstIn / lastIn
 * are the rising edges at which frame k's first / last input beat was accepted (-1 when
 * there is no frame k, i.e. an extra beat), out the edge at which beat k was accepted.
 * reset_ready counts reset cycles (after the first rising edge with rst high) in which
 * s_axis_tready or m_axis_tvalid was high, which docs/hardware.md forbids.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';

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
  if (lines[0] !== 'BNNR 1') fail('header', "'BNNR 1'", JSON.stringify(lines[0]));
  li = 1;
  const head = /^frames (\d+) classes (\d+) inpix (\d+) beats_per_frame (\d+)$/.exec(lines[1] ?? '');
  if (!head) fail('sizes line', "'frames N classes C inpix P beats_per_frame B'", JSON.stringify(lines[1]));
  const [frames, classes, inPix, beatsPerFrame] = head!.slice(1).map(Number);

  const cap = Math.max(frames, lines.length - 3, 0);
  const classOut = new Int32Array(cap);
  const scores = new Int32Array(cap * classes);
  const firstIn = new Float64Array(cap);
  const lastIn = new Float64Array(cap);
  const outCycle = new Float64Array(cap);
  let beats = 0;
  for (li = 2; li < lines.length; li++) {
    const line = lines[li];
    if (!line.startsWith('B ')) break;
    const f = line.split(' ');
    if (f.length !== 7 + classes - 1) fail('beat line', `${6 + classes} fields`, String(f.length - 1));
    const nums = f.slice(1).map(Number);
    if (nums.some((x) => !Number.isInteger(x))) fail('beat line', 'integers', line);
    if (nums[0] !== beats) fail('beat index', String(beats), String(nums[0]));
    firstIn[beats] = nums[1];
    lastIn[beats] = nums[2];
    outCycle[beats] = nums[3];
    classOut[beats] = nums[4];
    for (let j = 0; j < classes; j++) scores[beats * classes + j] = nums[5 + j];
    beats++;
  }
  const end = /^end cycles (\d+) sim_seconds ([\d.eE+-]+) timeout ([01]) frames_in (\d+) beats (\d+) reset_ready (\d+)$/.exec(
    lines[li] ?? '',
  );
  if (!end) {
    fail('end line', "'end cycles N sim_seconds S timeout T frames_in F beats K reset_ready R'", JSON.stringify(lines[li]));
  }
  const [cycles, simSeconds, timeout, framesIn, beatCount, resetReady] = end!.slice(1).map(Number);
  if (beatCount !== beats) fail('beats', `${beats} (the beat lines)`, String(beatCount));
  return {
    frames,
    classes,
    inPix,
    beatsPerFrame,
    beats,
    classOut: classOut.slice(0, beats),
    scores: scores.slice(0, beats * classes),
    firstIn: firstIn.slice(0, beats),
    lastIn: lastIn.slice(0, beats),
    outCycle: outCycle.slice(0, beats),
    cycles,
    simSeconds,
    timedOut: timeout === 1,
    framesIn,
    resetReady,
  };
}

export function readResults(file: string): SimResults {
  return parseResults(fs.readFileSync(file, 'utf8'), file);
}
