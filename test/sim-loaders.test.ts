/**
 * Simulator-side inputs that must not crash verification: the time stamps of a VCD
 * (src/sim/vcd.ts), the input-error line the cocotb runner prints (src/sim/cocotb.ts
 * reportedInputError) and a damaged Verilator cache record (src/sim/verilator-build.ts,
 * one quick build of the tiny fixture).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, ToolFailedError } from '../src/errors.js';
import { reportedInputError } from '../src/sim/cocotb.js';
import { readStageTaps } from '../src/sim/vcd.js';
import { buildHarness } from '../src/sim/verilator-build.js';
import { FIXTURE_DIR, TINY_TOP } from './fixtures/sim/tiny.js';
import { vcdBase } from './fuzz/specs/sim.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-loaders-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let count = 0;
function vcdFile(text: string): string {
  const p = path.join(tmp, `w${count++}.vcd`);
  fs.writeFileSync(p, text);
  return p;
}

describe('VCD time stamps', () => {
  it('reads the cycles of the beats from valid stamps', async () => {
    // vcdBase: stage0 is valid in cycles 1, 2, 4, 5 (not c % 3 === 0), cycle 0 is in reset.
    const trace = await readStageTaps(vcdFile(vcdBase(6, true)));
    expect(trace.stages.get(0)!.beats.map((b) => b.cycle)).toEqual([1, 2, 4, 5]);
  });

  it('refuses stamps that are not non-negative integers, quoting the line', async () => {
    const refused = async (stamp: string): Promise<InputError> => {
      const e = await readStageTaps(vcdFile(vcdBase(3, true).replace('#15\n', `${stamp}\n`))).catch((x: unknown) => x);
      expect(e, stamp).toBeInstanceOf(InputError);
      expect((e as InputError).field).toBe('time stamp');
      return e as InputError;
    };
    for (const bad of ['#Infinity', '#5 Infinity', '#-5', '#1e3', '#0x10', '#']) expect((await refused(bad)).got).toBe(JSON.stringify(bad));
    // 400 digits: not a safe integer, quoted cut to 80 characters.
    expect((await refused(`#${'9'.repeat(400)}`)).got).toBe(`"#${'9'.repeat(75)}...`);
  });

  it('refuses a stamp earlier than the one before', async () => {
    const f = vcdFile(vcdBase(3, true).replace('#15\n', '#4\n'));
    await expect(readStageTaps(f)).rejects.toThrow(/time stamp: expected a time not before the previous #10, got "#4"/);
  });
});

describe('cocotb input-error line', () => {
  it('becomes the InputError run.py reported', () => {
    const e = reportedInputError('{"source": "v.bnnv", "field": "magic", "expected": "BNNV", "got": "XXXX"}');
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe('v.bnnv: magic: expected BNNV, got XXXX');
    expect(reportedInputError('{"source": "v.bnnv", "field": "f", "expected": "e", "got": null}').message).toBe('v.bnnv: f: expected e');
  });

  it('is a ToolFailedError quoting the line when it is not the record', () => {
    for (const line of ['{"source": "v.bnnv"', '[1, 2]', '{"source": 1, "field": "f", "expected": "e", "got": null}', '{"source":"a","source":"b","field":"f","expected":"e"}', '['.repeat(10_000)]) {
      const e = reportedInputError(line);
      expect(e, line.slice(0, 40)).toBeInstanceOf(ToolFailedError);
      expect(e.message).toMatch(/^cocotb failed: run\.py reported bad input in an unreadable form: "/);
      expect(e.message.length).toBeLessThan(160);
    }
  });
});

describe('Verilator build cache', () => {
  it('rebuilds an entry whose build.json is damaged or belongs to another key, and reuses a sound one', async () => {
    const opts = { rtlDir: FIXTURE_DIR, top: TINY_TOP.top, sources: ['tiny_top.v'], cacheDir: path.join(tmp, 'cache'), quick: true };
    const first = await buildHarness(opts);
    expect(first.cached).toBe(false);
    const record = path.join(first.dir, 'build.json');
    const sound = fs.readFileSync(record, 'utf8');
    for (const damaged of ['{"key":', JSON.stringify({ ...JSON.parse(sound), key: 'another' }), JSON.stringify({ ...JSON.parse(sound), warnings: -1 })]) {
      fs.writeFileSync(record, damaged);
      const again = await buildHarness(opts);
      expect(again.cached, damaged).toBe(false);
      expect(fs.existsSync(again.binary)).toBe(true);
      expect(fs.readFileSync(record, 'utf8')).not.toBe(damaged);
    }
    const reused = await buildHarness(opts);
    expect([reused.cached, reused.key, reused.warnings]).toEqual([true, first.key, first.warnings]);
  }, 300_000);
});
