/**
 * `bnnc verify` as a command: JSON output, the VCD window, option checks, and the
 * missing-tool error with PATH lacking verilator. Uses the same design as
 * sim-mutation.test.ts so that both share the cached Verilator builds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import verifyCommand from '../src/commands/verify.js';
import { ToolMissingError } from '../src/errors.js';
import { inferInt } from '../src/int/infer.js';
import { getBit } from '../src/int/bits.js';
import { readStageTaps } from '../src/sim/vcd.js';
import type { VerifyReport } from '../src/sim/verify.js';
import { compileDesign, mnistTest, randomFolded, type CompiledDesign } from './fixtures/sim/designs.js';

let work: string;
let d: CompiledDesign;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-sim-cli-'));
  d = compileDesign(randomFolded('tfc', 5), { kind: 'uniform', pe: 8, simd: 16 }, path.join(work, 'tfc'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Run `bnnc verify ...` in-process; returns what it printed on stdout, or throws its error. */
async function bnncVerify(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await yargs(['verify', ...args])
      .command(verifyCommand)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('bnnc verify', () => {
  it('prints a JSON report that passes', async () => {
    const text = await bnncVerify([d.dir, '--dataset', 'mnist', '--limit', '200', '--json']);
    const r = JSON.parse(text) as VerifyReport;
    expect(r.ok).toBe(true);
    expect(r.frames).toBe(200);
    expect(r.comparison.mismatchCount).toBe(0);
    expect(r.cycles.measured!.ii).toBe(d.manifest.cycles.ii);
    expect(r.cycles.measured!.latency).toBe(d.manifest.cycles.latency);
  });

  it('writes a VCD of the chosen images, whose stage taps carry their layer outputs', async () => {
    const vcd = path.join(work, 'wave.vcd');
    const text = await bnncVerify([d.dir, '--limit', '20', '--vcd', vcd, '--images', '5:7', '--json']);
    const r = JSON.parse(text) as VerifyReport;
    expect(r.ok).toBe(true);
    expect(r.vcd).toBe(vcd);
    const taps = await readStageTaps(vcd);
    const ds = mnistTest();
    // Images 5 and 6 pass through every stage inside the window.
    for (const img of [5, 6]) {
      const ref = inferInt(d.folded, ds.images.subarray(img * 784, (img + 1) * 784), true);
      for (let k = 0; k < d.folded.layers.length - 1; k++) {
        const want = ref.layerBits![k];
        const st = taps.stages.get(k)!;
        const hit = st.beats.some((b) => {
          for (let i = 0; i < st.width; i++) if (getBit(b.bits, i) !== getBit(want, i)) return false;
          return true;
        });
        expect(hit, `image ${img} layer ${k}`).toBe(true);
      }
    }
    // Only the window was dumped: far fewer tap beats than the 20 images would give.
    expect(taps.stages.get(0)!.beats.length).toBeLessThanOrEqual(5);
  });

  it('rejects a VCD without an image range and a bad range', async () => {
    await expect(bnncVerify([d.dir, '--vcd', path.join(work, 'x.vcd')])).rejects.toThrow(/--vcd \/ --images/);
    await expect(bnncVerify([d.dir, '--vcd', path.join(work, 'x.vcd'), '--images', '7:3'])).rejects.toThrow(/--images/);
    await expect(bnncVerify([d.dir, '--limit', '10', '--vcd', path.join(work, 'x.vcd'), '--images', '5:20'])).rejects.toThrow(
      /A:B with 0 <= A < B <= 10/,
    );
    await expect(bnncVerify([d.dir, '--gaps', '1.5'])).rejects.toThrow(/--gaps/);
  });

  it('names the install command when verilator is not on PATH', async () => {
    const empty = path.join(work, 'bin');
    fs.mkdirSync(empty, { recursive: true });
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      const err = await bnncVerify([d.dir, '--limit', '5']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolMissingError);
      expect((err as Error).message).toBe('verilator not found; install it with: apt-get install verilator (or make setup)');
    } finally {
      process.env.PATH = saved;
    }
  });
});
