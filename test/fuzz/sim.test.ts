/**
 * Fuzzing the simulator result readers (src/sim/results.ts, src/sim/cocotb-junit.ts,
 * src/sim/vcd.ts) and checking that declared sizes are refused before allocation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readJunit } from '../../src/sim/cocotb-junit.js';
import { readDesign } from '../../src/sim/design.js';
import { parseResults } from '../../src/sim/results.js';
import { readStageTaps } from '../../src/sim/vcd.js';
import { runLoaderFuzz } from './isolate.js';
import { designSpec } from './specs/design.js';
import { junitSpec, resultsSpec, vcdBase, vcdSpec } from './specs/sim.js';

const SPEC_MODULE = fileURLToPath(new URL('./specs/sim.ts', import.meta.url));
const DESIGN_SPEC_MODULE = fileURLToPath(new URL('./specs/design.ts', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-sim-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('fuzz: simulator result readers', () => {
  it('sim-results: parseResults accepts what it reads faithfully, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, resultsSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('cocotb-junit: readJunit accepts well-formed reports, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, junitSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 4);
  });

  it('vcd-taps: readStageTaps returns well-formed traces, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, SPEC_MODULE, vcdSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 10);
  });
});

describe('fuzz: RTL directory reader', () => {
  it('manifest: readDesign returns a consistent design, or throws InputError', async (ctx) => {
    const r = await runLoaderFuzz(ctx, DESIGN_SPEC_MODULE, designSpec);
    expect(r.rejected).toBeGreaterThan(r.inputs / 2);
  });

  it('a manifest.json holding null is an InputError', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'rtl-'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), 'null');
    expect(() => readDesign(dir)).toThrow(InputError);
  });
});

describe('simulator readers refuse huge declared sizes before allocating', () => {
  it('a results file declaring 10^11 frames is refused naming the count, or read without allocating for them', () => {
    const text = 'BNNR 1\nframes 99999999999 classes 3 inpix 1 beats_per_frame 1\nend cycles 1 sim_seconds 0 timeout 0 frames_in 0 beats 0 reset_ready 0\n';
    const before = process.memoryUsage().arrayBuffers;
    let threw: unknown;
    try {
      parseResults(text, 'r.txt');
    } catch (e) {
      threw = e;
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    if (threw !== undefined) {
      expect(threw).toBeInstanceOf(InputError);
      expect(String(threw)).toMatch(/99999999999/);
    }
  });

  it('a results file declaring 10^8 frames of 10 classes does not allocate for them', () => {
    const text = 'BNNR 1\nframes 100000000 classes 10 inpix 1 beats_per_frame 1\nend cycles 1 sim_seconds 0 timeout 0 frames_in 0 beats 0 reset_ready 0\n';
    const before = process.memoryUsage().arrayBuffers;
    let threw: unknown;
    try {
      parseResults(text, 'r.txt');
    } catch (e) {
      threw = e;
    }
    // Accepting the file is fine (no beat arrived); reserving ~7 GB for 10^8 frames is not.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    if (threw !== undefined) expect(threw).toBeInstanceOf(InputError);
  });

  it('a VCD declaring a tap of 2^24 + 1 bits (beyond any design bnnc emits) is refused, naming the width', async () => {
    // Tap widths are at most a layer's neurons (2^20) or the result beat (16 + 32 x 65535
    // bits). Just past 2^24 rather than 2^31: a reader that trusted the width would take
    // minutes and gigabytes on 2^31 bits per beat before this test could fail.
    const text = vcdBase(3, true).replace('$var wire 8 % stage0_tdata [7:0] $end', '$var wire 16777217 % stage0_tdata $end');
    const f = path.join(tmp, 'wide.vcd');
    fs.writeFileSync(f, text);
    const err = await readStageTaps(f).then(
      () => new Error('accepted'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/16777217/);
  });

  it('a character reference beyond U+10FFFF in a JUnit report is an InputError', () => {
    expect(() => readJunit('<testsuite><testcase name="&#x110000;"/></testsuite>', 'r.xml')).toThrow(InputError);
  });
});
