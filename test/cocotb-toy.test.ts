/**
 * The cocotb bridge end to end on a small hand-written top level (test/fixtures/cocotb/
 * toy) that obeys docs/hardware.md: it passes, and designs or vectors made wrong on
 * purpose fail in the test, with the image, the bridge reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ToolFailedError } from '../src/errors.js';
import { runCocotbVerify, type CocotbOptions, type CocotbReport } from '../src/sim/cocotb.js';
import { copyRtlDir, encodeVectors, ignoreReadyCopy, toyRecords, TOY, TOY_DIR } from './cocotb-helpers.js';

let tmp: string;
let vectors: string;
const records = toyRecords(40, 7);

async function run(opts: Partial<CocotbOptions> & { rtlDir: string }): Promise<{ report: CocotbReport; log: string[] }> {
  const log: string[] = [];
  const report = await runCocotbVerify({ vectorsPath: vectors, seed: 3, onOutput: (l) => log.push(l), ...opts });
  return { report, log };
}

function listing(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cocotb-toy-test-'));
  vectors = path.join(tmp, 'toy.bnnv');
  fs.writeFileSync(vectors, encodeVectors(records, TOY.pixels, TOY.classes));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('cocotb bridge on the toy top level', () => {
  it('passes every test on a correct design and writes nothing into the RTL directory', async () => {
    const before = listing(TOY_DIR);
    const workDir = path.join(tmp, 'work-ok');
    const { report, log } = await run({ rtlDir: TOY_DIR, workDir });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.tests.map((t) => [t.name, t.status])).toEqual([
      ['test_back_to_back', 'passed'],
      ['test_random_traffic', 'passed'],
      ['test_reset_mid_frame', 'passed'],
      ['test_cycle_figures', 'passed'],
    ]);
    expect(report.cocotbVersion).toMatch(/^2\./);
    // every image was checked in the back-to-back and random tests
    expect(log.some((l) => l.includes(`test_random_traffic: ${records.length} results correct`))).toBe(true);
    // the toy's planned figures (manifest.json) were measured: latency 5, II 3
    expect(log.some((l) => /latency 5 cycles, result gaps \[3, 3, 3, 3, 3, 3, 3\]/.test(l))).toBe(true);
    expect(listing(TOY_DIR)).toEqual(before);
    expect(report.resultsXml).toBe(path.join(workDir, 'results.xml'));
    expect(fs.existsSync(report.resultsXml!)).toBe(true);
  });

  it('is reproducible: the same seed gives the same simulated time, another seed another', async () => {
    const tests = ['test_random_traffic'];
    const a = await run({ rtlDir: TOY_DIR, tests, seed: 11 });
    const b = await run({ rtlDir: TOY_DIR, tests, seed: 11 });
    const c = await run({ rtlDir: TOY_DIR, tests, seed: 12 });
    expect(a.report.tests[0].simTimeNs).toBeGreaterThan(0);
    expect(b.report.tests[0].simTimeNs).toBe(a.report.tests[0].simTimeNs);
    expect(c.report.tests[0].simTimeNs).not.toBe(a.report.tests[0].simTimeNs);
  });

  it('fails, naming the test and the image, when the design ignores m_axis_tready', async () => {
    const bad = path.join(tmp, 'ignore-ready');
    ignoreReadyCopy(TOY_DIR, bad);
    const { report } = await run({ rtlDir: bad });
    expect(report.ok).toBe(false);
    const failed = report.failures.map((f) => f.name);
    // back-to-back traffic never stalls the output, so only the stalling tests can tell
    expect(failed).toEqual(['test_random_traffic', 'test_reset_mid_frame']);
    for (const f of report.failures) {
      expect(f.message).toMatch(/m_axis_tvalid dropped at cycle \d+ before m_axis_tready took the beat/);
      expect(records.map((r) => r.image)).toContain(f.imageIndex);
      expect(records[f.recordIndex!].image).toBe(f.imageIndex);
    }
  });

  it('fails the reset test when reset does not drop the frames in flight', async () => {
    const bad = path.join(tmp, 'no-reset-drop');
    copyRtlDir(TOY_DIR, bad);
    const v = path.join(bad, 'toy_top.v');
    const src = fs.readFileSync(v, 'utf8');
    expect(src).toContain('      valid_q <= 0;\n');
    // the pipeline starts empty (no X), but reset leaves it alone
    const mutated = src
      .replace('      valid_q <= 0;\n', '')
      .replace('reg [LAT-1:0] valid_q;', 'reg [LAT-1:0] valid_q = 0;');
    expect(mutated).toContain('valid_q = 0;');
    fs.writeFileSync(v, mutated);
    const { report } = await run({ rtlDir: bad, tests: ['test_reset_mid_frame'] });
    expect(report.failures.map((f) => f.name)).toEqual(['test_reset_mid_frame']);
    expect(report.failures[0].message).toMatch(/first edge after reset|unexpected result beat|result mismatch/);
  });

  it('fails with the waiting image when a design loses its results (stall watchdog)', async () => {
    const bad = path.join(tmp, 'never-valid');
    copyRtlDir(TOY_DIR, bad);
    const v = path.join(bad, 'toy_top.v');
    const src = fs.readFileSync(v, 'utf8');
    const lost = src.replace('take && beat_q == BEATS - 1};', "1'b0};");
    expect(lost).not.toBe(src);
    fs.writeFileSync(v, lost);
    const { report } = await run({ rtlDir: bad, tests: ['test_back_to_back'], stallCycles: 300 });
    expect(report.failures).toHaveLength(1);
    const f = report.failures[0];
    expect(f.message).toMatch(/^image \d+ \(record 0\): no handshake on s_axis or m_axis for 3\d\d cycles while sending back to back/);
    expect(f.imageIndex).toBe(records[0].image);
  });

  it('a design that does not compile is a ToolFailedError showing the compiler output', async () => {
    const bad = path.join(tmp, 'syntax-error');
    copyRtlDir(TOY_DIR, bad);
    fs.appendFileSync(path.join(bad, 'toy_top.v'), '\nmodule broken (; endmodule\n');
    const err = await run({ rtlDir: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolFailedError);
    expect((err as ToolFailedError).tool).toBe('iverilog');
    expect((err as ToolFailedError).message).toMatch(/build of .*syntax-error failed:[\s\S]*toy_top\.v:\d+: syntax error/);
  });

  it('reports a result mismatch with the image index and the expected values', async () => {
    const wrong = toyRecords(40, 7);
    const r = 5;
    wrong[r].scores[1] += 1;
    const wrongVectors = path.join(tmp, 'wrong.bnnv');
    fs.writeFileSync(wrongVectors, encodeVectors(wrong, TOY.pixels, TOY.classes));
    const { report } = await run({ rtlDir: TOY_DIR, vectorsPath: wrongVectors, tests: ['test_back_to_back'] });
    expect(report.failures).toHaveLength(1);
    const f = report.failures[0];
    expect(f.name).toBe('test_back_to_back');
    expect(f.imageIndex).toBe(wrong[r].image);
    expect(f.recordIndex).toBe(r);
    const s = records[r].scores;
    expect(f.message).toContain(`scores [${s[0]}, ${s[1]}, ${s[2]}] (expected [${s[0]}, ${s[1] + 1}, ${s[2]}])`);
  });

  it('honours limit: only the first records are used', async () => {
    const { report, log } = await run({ rtlDir: TOY_DIR, limit: 6, tests: ['test_back_to_back'] });
    expect(report.ok).toBe(true);
    expect(log.some((l) => l.includes('test_back_to_back: 6 results correct'))).toBe(true);
  });

  it('turns a bad vector file or a width disagreement into an InputError', async () => {
    const garbage = path.join(tmp, 'garbage.bnnv');
    fs.writeFileSync(garbage, 'not a vector file at all, just some text');
    await expect(run({ rtlDir: TOY_DIR, vectorsPath: garbage })).rejects.toThrow(
      new InputError(garbage, 'magic', '"BNNV"', "'not '"),
    );
    const truncated = path.join(tmp, 'truncated.bnnv');
    fs.writeFileSync(truncated, fs.readFileSync(vectors).subarray(0, 100));
    await expect(run({ rtlDir: TOY_DIR, vectorsPath: truncated })).rejects.toThrow(/file size: expected 1468 bytes for 40 records of 36 bytes, got 100 bytes/);
    const otherShape = path.join(tmp, 'other-shape.bnnv');
    fs.writeFileSync(otherShape, encodeVectors(records, TOY.pixels, TOY.classes).map((b, i) => (i === 12 ? 12 : b)));
    await expect(run({ rtlDir: TOY_DIR, vectorsPath: otherShape })).rejects.toThrow(
      new InputError(otherShape, 'pixels', '10 bytes per image (manifest.json)', '12'),
    );
    await expect(run({ rtlDir: TOY_DIR, tests: ['test_nonexistent'] })).rejects.toThrow(/tests: expected names among test_back_to_back/);
  });
});
