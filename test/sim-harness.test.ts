/**
 * The Verilator harness and bridge on the hand-written fixture tops: every result beat
 * equals the fixture's reference model, cycle stamps follow its documented timing, random
 * gaps and back-pressure lose or duplicate nothing, the build cache is reused, the VCD
 * covers the requested frames and its stage taps read back, and a missing verilator is a
 * ToolMissingError naming the install command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolMissingError } from '../src/errors.js';
import { buildHarness } from '../src/sim/verilator-build.js';
import { runSimulation, simulate } from '../src/sim/verilator.js';
import { readStageTaps } from '../src/sim/vcd.js';
import {
  FIXTURE_DIR,
  TINY_NARROW,
  TINY_TOP,
  randomImages,
  tinyExpected,
  tinyInterval,
  tinyLatency,
  writeTinyVectors,
  type TinyDesign,
} from './fixtures/sim/tiny.js';
import type { SimResults } from '../src/sim/results.js';
import { compareResults, type ExpectedResults } from '../src/sim/compare.js';

let work: string;
let cacheDir: string;
const sources = ['tiny_top.v', 'tiny_narrow.v', 'tiny_faulty.v'];

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-harness-'));
  cacheDir = path.join(work, 'cache');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function expectResults(d: TinyDesign, images: Uint8Array[], r: SimResults): void {
  expect(r.timedOut).toBe(false);
  expect(r.beats).toBe(images.length);
  expect(r.framesIn).toBe(images.length);
  images.forEach((img, k) => {
    const { cls, scores } = tinyExpected(d, img);
    expect(r.classOut[k]).toBe(cls);
    expect(Array.from(r.scores.subarray(k * d.classes, (k + 1) * d.classes))).toEqual(Array.from(scores));
  });
}

describe('verilator harness on tiny_top (32-bit input, 112-bit result)', () => {
  const d = TINY_TOP;
  const images = randomImages(d, 60, 7);
  let vectors: string;
  beforeAll(() => {
    vectors = path.join(work, 'tiny.bnnv');
    writeTinyVectors(d, images, vectors);
  });

  it('builds once, then reuses the cache entry', async () => {
    const first = await buildHarness({ rtlDir: FIXTURE_DIR, top: d.top, sources, cacheDir });
    expect(first.cached).toBe(false);
    expect(fs.existsSync(first.binary)).toBe(true);
    const second = await buildHarness({ rtlDir: FIXTURE_DIR, top: d.top, sources, cacheDir });
    expect(second.cached).toBe(true);
    expect(second.key).toBe(first.key);
    // Nothing half-built is left beside the entry.
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('streams every frame bit-exact with the documented cycle stamps', async () => {
    const progress: number[] = [];
    const { run } = await simulate({
      rtlDir: FIXTURE_DIR,
      top: d.top,
      sources,
      cacheDir,
      vectors,
      inPix: d.inPix,
      drain: 100,
      onProgress: (done) => progress.push(done),
    });
    expectResults(d, images, run);
    expect(run.resetReady).toBe(0);
    const ii = tinyInterval(d);
    for (let k = 0; k < images.length; k++) {
      expect(run.firstIn[k]).toBe(k * ii);
      expect(run.lastIn[k]).toBe(k * ii + Math.ceil(d.npix / d.inPix) - 1);
      expect(run.outCycle[k] - run.firstIn[k]).toBe(tinyLatency(d));
    }
    expect(progress[progress.length - 1]).toBe(images.length);
  });

  it('keeps order and count under random gaps and back-pressure', async () => {
    for (const seed of [1, 2]) {
      const { run } = await simulate({
        rtlDir: FIXTURE_DIR,
        top: d.top,
        sources,
        cacheDir,
        vectors,
        inPix: d.inPix,
        gaps: 0.4,
        backpressure: 0.6,
        seed,
        drain: 100,
      });
      expectResults(d, images, run);
      // Stalls only ever add cycles.
      expect(run.outCycle[images.length - 1]).toBeGreaterThan((images.length - 1) * tinyInterval(d) + tinyLatency(d));
    }
  });

  it('dumps a VCD for the chosen frames only, and the stage taps read back', async () => {
    const vcd = path.join(work, 'wave.vcd');
    const { build, run } = await simulate({
      rtlDir: FIXTURE_DIR,
      top: d.top,
      sources,
      cacheDir,
      vectors,
      inPix: d.inPix,
      drain: 100,
      vcd: { file: vcd, from: 3, to: 6 },
    });
    expect(build.cached).toBe(false); // the trace variant is a separate cache entry
    expectResults(d, images, run);
    const taps = await readStageTaps(vcd);
    const s0 = taps.stages.get(0)!;
    expect(s0.width).toBe(8);
    expect(taps.unknownBits).toBe(false);
    // The dump starts when frame 3's first beat is presented and ends a few cycles after
    // frame 5's result: it holds the taps of frames 3..5 (the tap of frame k fires in the
    // cycle after its last input beat) and at most one neighbour on each side.
    const inRange = s0.beats.filter((b) => b.cycle >= run.firstIn[3] && b.cycle <= run.outCycle[5]);
    expect(inRange.map((b) => b.bits[0])).toEqual([3, 4, 5].map((k) => images[k][0] ^ images[k][1]));
    expect(inRange.map((b) => b.cycle)).toEqual([3, 4, 5].map((k) => run.lastIn[k] + 1));
    expect(s0.beats.length).toBeLessThanOrEqual(5);
    expect(s0.beats[0].cycle).toBeGreaterThan(run.lastIn[1]);
    expect(s0.beats[s0.beats.length - 1].cycle).toBeLessThan(run.firstIn[7]);
  });
});

describe('verilator harness on tiny_narrow (8-bit input, 48-bit result)', () => {
  it('handles scalar port types', async () => {
    const d = TINY_NARROW;
    const images = randomImages(d, 40, 3);
    const vectors = path.join(work, 'narrow.bnnv');
    writeTinyVectors(d, images, vectors);
    const { run } = await simulate({
      rtlDir: FIXTURE_DIR,
      top: d.top,
      sources,
      cacheDir,
      vectors,
      inPix: d.inPix,
      backpressure: 0.3,
      drain: 50,
    });
    expectResults(d, images, run);
    // tiny_narrow keeps s_axis_tready high in reset: every reset cycle is reported.
    expect(run.resetReady).toBe(4);
  });

  it('rejects a pixels-per-beat that does not match the port width', async () => {
    const d = TINY_NARROW;
    const vectors = path.join(work, 'narrow2.bnnv');
    writeTinyVectors(d, randomImages(d, 2, 4), vectors);
    const build = await buildHarness({ rtlDir: FIXTURE_DIR, top: d.top, sources, cacheDir });
    await expect(
      runSimulation({ binary: build.binary, rtlDir: FIXTURE_DIR, vectors, inPix: 4 }),
    ).rejects.toThrow(/s_axis_tdata.*32/);
  });
});

/** The fixture's reference results in the verifier's form. */
function tinyReference(d: TinyDesign, images: Uint8Array[]): ExpectedResults {
  const n = images.length;
  const scores = new Int32Array(n * d.classes);
  const predictions = new Int32Array(n);
  images.forEach((img, k) => {
    const e = tinyExpected(d, img);
    predictions[k] = e.cls;
    scores.set(e.scores, k * d.classes);
  });
  return { classes: d.classes, indices: Int32Array.from(images.keys()), labels: new Int32Array(n).fill(-1), predictions, scores };
}

describe('frame accounting on broken designs', () => {
  const d = TINY_TOP;
  const images = randomImages(d, 12, 9);
  let vectors: string;
  beforeAll(() => {
    vectors = path.join(work, 'faulty.bnnv');
    writeTinyVectors(d, images, vectors);
  });

  it('sees a duplicated result beat, and every later frame one position late', async () => {
    const { run } = await simulate({ rtlDir: FIXTURE_DIR, top: 'tiny_dup', sources, cacheDir, vectors, inPix: d.inPix, drain: 100 });
    expect(run.timedOut).toBe(false);
    expect(run.beats).toBe(13);
    const c = compareResults(tinyReference(d, images), run);
    expect(c.extra).toBe(1);
    expect(c.lost).toBe(0);
    expect(c.mismatches[0].position).toBe(6);
    // Beat 6 repeats frame 5's result.
    expect(c.mismatches[0].rtlScores).toEqual(Array.from(tinyExpected(d, images[5]).scores));
  });

  it('gives up on a design that stops accepting input, counting the frames that never came out', async () => {
    const { run } = await simulate({
      rtlDir: FIXTURE_DIR,
      top: 'tiny_hang',
      sources,
      cacheDir,
      vectors,
      inPix: d.inPix,
      stallLimit: 500,
      drain: 100,
    });
    expect(run.timedOut).toBe(true);
    expect(run.beats).toBe(8);
    expect(run.framesIn).toBe(8);
    const c = compareResults(tinyReference(d, images), run);
    expect(c).toMatchObject({ lost: 4, extra: 0, mismatchCount: 0 });
  });
});

describe('missing tools', () => {
  it('names the install command when verilator is not on PATH', async () => {
    const bin = path.join(work, 'emptybin');
    fs.mkdirSync(bin, { recursive: true });
    const err = await buildHarness({
      rtlDir: FIXTURE_DIR,
      top: 'tiny_top',
      sources,
      cacheDir,
      env: { ...process.env, PATH: bin },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolMissingError);
    expect((err as ToolMissingError).tool).toBe('verilator');
    expect((err as Error).message).toContain('apt-get install verilator');
  });
});
