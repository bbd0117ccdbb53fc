/**
 * Determinism through the real CLI: the same command twice gives the same bytes.
 * - `bnnc train` (tfc, 2000 images, one epoch), twice with --threads 1 and twice with
 *   --threads 2: one .bnn and one curves SVG for all four runs (the thread count must
 *   not change the model); the curves JSON equal apart from its two wall-clock fields.
 * - `bnnc compile` twice, at three foldings: byte-identical directory trees, every file;
 *   and the same tree again when compiling the folded.bnnf copy instead of the .bnn.
 * - folding twice (foldModel + encodeFolded, in this process): identical .bnnf bytes,
 *   equal to the copy compile wrote.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, modelHash } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { encodeFolded } from '../src/int/serialize.js';
import { ensureCli, runCli } from './diff/cli.js';

let work: string;
beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hardening-determinism-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Relative path -> sha256 of every file below dir, sorted. */
function tree(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push([path.relative(dir, p), createHash('sha256').update(fs.readFileSync(p)).digest('hex')]);
    }
  };
  walk(dir);
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Wall-clock fields of the curves JSON: they measure the run, so no two runs share them. */
const WALL_CLOCK = ['seconds', 'samplesPerSecond'];

function curvesWithoutWallClock(file: string): string {
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { epochs: Record<string, unknown>[] };
  for (const e of c.epochs) for (const k of WALL_CLOCK) delete e[k];
  return JSON.stringify(c);
}

describe('determinism through the CLI', () => {
  const runs: string[] = [];

  beforeAll(async () => {
    // Same file name in different directories: the model is named after its file.
    for (const [k, threads] of [1, 1, 2, 2].entries()) {
      const dir = path.join(work, `train-${k}-t${threads}`);
      fs.mkdirSync(dir);
      const r = await runCli(['train', '--arch', 'tfc', '--dataset', 'mnist', '--limit', '2000', '--epochs', '1', '--seed', '11', '--threads', String(threads), '--no-progress', '--out', path.join(dir, 'tfc.bnn')]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      runs.push(dir);
    }
  });

  it('bnnc train twice, with 1 and with 2 threads: byte-identical model and curves SVG', () => {
    const first = tree(runs[0]).filter(([f]) => f !== 'tfc.bnn.curves.json');
    expect(first.map(([f]) => f)).toEqual(['tfc.bnn', 'tfc.bnn.curves.svg']);
    for (const dir of runs.slice(1)) expect(tree(dir).filter(([f]) => f !== 'tfc.bnn.curves.json')).toEqual(first);
  });

  it('bnnc train twice: the curves JSON equal apart from its wall-clock fields', () => {
    const first = curvesWithoutWallClock(path.join(runs[0], 'tfc.bnn.curves.json'));
    expect(JSON.parse(first).epochs).toHaveLength(1);
    for (const dir of runs.slice(1)) expect(curvesWithoutWallClock(path.join(dir, 'tfc.bnn.curves.json'))).toBe(first);
    // Only those fields differ: putting the first run's values back gives its bytes.
    const a = JSON.parse(fs.readFileSync(path.join(runs[0], 'tfc.bnn.curves.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(path.join(runs[3], 'tfc.bnn.curves.json'), 'utf8'));
    for (const [i, e] of b.epochs.entries()) for (const k of WALL_CLOCK) e[k] = a.epochs[i][k];
    expect(JSON.stringify(b, null, 2) + '\n').toBe(fs.readFileSync(path.join(runs[0], 'tfc.bnn.curves.json'), 'utf8'));
  });

  it.each([
    ['fully folded', [] as string[]],
    ['PE 7 SIMD 9 (padding)', ['--pe', '7', '--simd', '9']],
    ['a 2000-cycle target, 3 pixels per beat', ['--target-cycles', '2000', '--in-pix', '3']],
  ])('bnnc compile twice (%s), and from the folded copy: byte-identical trees', async (_label, folding) => {
    const model = path.join(runs[0], 'tfc.bnn');
    const tag = folding.join('') || 'full';
    const outs = [path.join(work, `rtl-${tag}-a`), path.join(work, `rtl-${tag}-b`)];
    for (const out of outs) {
      const r = await runCli(['compile', model, '--out', out, ...folding]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const a = tree(outs[0]);
    expect(a.map(([f]) => f)).toContain('manifest.json');
    expect(a.map(([f]) => f)).toContain('folded.bnnf');
    expect(a.filter(([f]) => f.endsWith('.mem')).length).toBeGreaterThanOrEqual(8);
    expect(tree(outs[1])).toEqual(a);
    // From the .bnnf copy: the same folded model, so the same design.
    const copy = path.join(work, `copy-${tag}.bnnf`);
    fs.copyFileSync(path.join(outs[0], 'folded.bnnf'), copy);
    const fromFolded = path.join(work, `rtl-${tag}-c`);
    expect((await runCli(['compile', copy, '--out', fromFolded, ...folding])).code).toBe(0);
    expect(tree(fromFolded)).toEqual(a);
  });

  it('folding twice gives identical .bnnf bytes, equal to the copy bnnc compile wrote', async () => {
    const file = path.join(runs[0], 'tfc.bnn');
    const once = encodeFolded(foldModel(loadModel(file), modelHash(loadModel(file))));
    const twice = encodeFolded(foldModel(loadModel(file), modelHash(loadModel(file))));
    expect(Buffer.from(twice).equals(Buffer.from(once))).toBe(true);
    const out = path.join(work, 'rtl-fold');
    expect((await runCli(['compile', file, '--out', out])).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'folded.bnnf')).equals(Buffer.from(once))).toBe(true);
  });
});
