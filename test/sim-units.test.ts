/**
 * Units of the Verilator bridge without a simulator: the results-file parser, VCD value
 * decoding, comparison with the integer model (lost, extra, mismatching frames) and the
 * cycle measurement.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { compareResults, measureCycles, type ExpectedResults } from '../src/sim/compare.js';
import { parseResults, type SimResults } from '../src/sim/results.js';
import { vcdBitsToWords } from '../src/sim/vcd.js';

const SAMPLE = [
  'BNNR 1',
  'frames 3 classes 2 inpix 4 beats_per_frame 3',
  'B 0 0 2 9 1 -5 17',
  'B 1 3 5 12 0 2147483647 -2147483648',
  'B 2 6 8 15 1 0 0',
  'end cycles 40 sim_seconds 0.000123 timeout 0 frames_in 3 beats 3 reset_ready 0',
  '',
].join('\n');

describe('parseResults', () => {
  it('reads every field of a results file', () => {
    const r = parseResults(SAMPLE, 'r.txt');
    expect([r.frames, r.classes, r.inPix, r.beatsPerFrame, r.beats]).toEqual([3, 2, 4, 3, 3]);
    expect(Array.from(r.classOut)).toEqual([1, 0, 1]);
    expect(Array.from(r.scores)).toEqual([-5, 17, 2147483647, -2147483648, 0, 0]);
    expect(Array.from(r.firstIn)).toEqual([0, 3, 6]);
    expect(Array.from(r.lastIn)).toEqual([2, 5, 8]);
    expect(Array.from(r.outCycle)).toEqual([9, 12, 15]);
    expect([r.cycles, r.simSeconds, r.timedOut, r.framesIn, r.resetReady]).toEqual([40, 0.000123, false, 3, 0]);
  });

  it.each([
    ['a score outside int32', SAMPLE.replace('2147483647', '2147483648'), /score 0/],
    ['a class field wider than 16 bits', SAMPLE.replace('B 2 6 8 15 1', 'B 2 6 8 15 65536'), /class/],
    ['a beat out of order', SAMPLE.replace('B 2 6', 'B 3 6'), /beat index/],
    ['a missing score', SAMPLE.replace(' -5 17', ' -5'), /beat line/],
    ['a non-integer', SAMPLE.replace('B 1 3 5 12', 'B 1 3 5 1e3'), /out/],
    ['a beat count that disagrees', SAMPLE.replace('beats 3 reset', 'beats 4 reset'), /beats/],
    ['no end line', SAMPLE.split('\nend')[0], /end line/],
    ['another header', SAMPLE.replace('BNNR 1', 'BNNR 2'), /header/],
  ])('rejects %s', (_what, text, field) => {
    let err: unknown;
    try {
      parseResults(text, 'r.txt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).field).toMatch(field);
  });

  it('sizes its arrays by the beat lines, not by the frame count in the file', () => {
    const r = parseResults(SAMPLE.replace('frames 3', 'frames 9007199254740991'), 'r.txt');
    expect(r.frames).toBe(9007199254740991);
    expect(r.classOut.length).toBe(3);
  });
});

describe('vcdBitsToWords', () => {
  it('reads MSB-first values, left-extending short ones with 0', () => {
    expect(Array.from(vcdBitsToWords('101', 8).words)).toEqual([5]);
    const wide = vcdBitsToWords('1' + '0'.repeat(32) + '11', 40);
    expect(Array.from(wide.words)).toEqual([3, 4]);
    expect(wide.unknown).toBe(false);
  });

  it('flags x and z digits, and extends a leading x', () => {
    expect(vcdBitsToWords('1x0', 3).unknown).toBe(true);
    const r = vcdBitsToWords('x1', 4);
    expect(r.unknown).toBe(true);
    expect(Array.from(r.words)).toEqual([1]);
  });
});

function sim(classOut: number[], scores: number[], outCycle: number[], frames: number, firstIn?: number[]): SimResults {
  const n = classOut.length;
  return {
    frames,
    classes: 2,
    inPix: 1,
    beatsPerFrame: 1,
    beats: n,
    classOut: Int32Array.from(classOut),
    scores: Int32Array.from(scores),
    firstIn: Float64Array.from(firstIn ?? outCycle.map(() => 0)),
    lastIn: Float64Array.from(outCycle.map(() => 0)),
    outCycle: Float64Array.from(outCycle),
    cycles: 100,
    simSeconds: 1,
    timedOut: false,
    budgetExceeded: false,
    resets: 0,
    staleResults: 0,
    lateAccept: 0,
    framesIn: frames,
    resetReady: 0,
  };
}

const EXPECTED: ExpectedResults = {
  classes: 2,
  indices: Int32Array.from([10, 11, 12]),
  labels: Int32Array.from([1, 0, -1]),
  predictions: Int32Array.from([1, 1, 0]),
  scores: Int32Array.from([0, 5, 7, 9, 3, 2]),
};

describe('compareResults', () => {
  it('counts accuracy over labelled frames and finds no mismatch in equal results', () => {
    const c = compareResults(EXPECTED, sim([1, 1, 0], [0, 5, 7, 9, 3, 2], [5, 8, 11], 3));
    expect(c).toMatchObject({ mismatchCount: 0, lost: 0, extra: 0, labelled: 2, intCorrect: 1, rtlCorrect: 1 });
    // Rows are labels, columns RTL classes; the unlabelled third frame is not counted.
    expect(c.rtlConfusion).toEqual([[0, 1], [0, 1]]);
  });

  it('counts the RTL confusion matrix over the frames that have a result, skipping impossible classes', () => {
    const labels = Int32Array.from([0, 1, 1, 0]);
    const e: ExpectedResults = { classes: 2, indices: Int32Array.from([0, 1, 2, 3]), labels, predictions: Int32Array.from([0, 1, 1, 0]), scores: new Int32Array(8) };
    // Frame 2 comes out as class 7 (no such class), frame 3 never comes out.
    const c = compareResults(e, sim([0, 0, 7], new Array(6).fill(0), [5, 8, 11], 4));
    expect(c.rtlConfusion).toEqual([[1, 0], [1, 0]]);
    expect(c.rtlCorrect).toBe(1);
  });

  it('reports a differing score even when the class agrees', () => {
    const c = compareResults(EXPECTED, sim([1, 1, 0], [0, 5, 7, 8, 3, 2], [5, 8, 11], 3));
    expect(c.mismatchCount).toBe(1);
    expect(c.mismatches[0]).toMatchObject({ position: 1, index: 11, label: 0, expectedClass: 1, rtlClass: 1, rtlScores: [7, 8], expectedScores: [7, 9] });
  });

  it('counts lost and extra frames', () => {
    expect(compareResults(EXPECTED, sim([1, 1], [0, 5, 7, 9], [5, 8], 3))).toMatchObject({ lost: 1, extra: 0, mismatchCount: 0 });
    expect(compareResults(EXPECTED, sim([1, 1, 0, 0], [0, 5, 7, 9, 3, 2, 3, 2], [5, 8, 11, 14], 3))).toMatchObject({ lost: 0, extra: 1 });
  });
});

describe('measureCycles', () => {
  it('takes latency from the first frame and II from the second half of the run', () => {
    const m = measureCycles(sim([0, 0, 0, 0, 0, 0], new Array(12).fill(0), [20, 23, 30, 40, 50, 60], 6, [2, 0, 0, 0, 0, 0]));
    expect(m).toEqual({ latency: 18, ii: 10, iiMin: 10, iiMax: 10, intervals: 3 });
  });

  it('shows an uneven pace as different min and max', () => {
    const m = measureCycles(sim([0, 0, 0, 0, 0, 0], new Array(12).fill(0), [0, 10, 20, 30, 39, 50], 6));
    expect([m.iiMin, m.iiMax]).toEqual([9, 11]);
  });
});
