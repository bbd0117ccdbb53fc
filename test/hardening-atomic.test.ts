/**
 * Atomic outputs under kill: the real CLI (node dist/cli.js) is stopped at exact points
 * of its file work (test/diff/killpoint.mjs: the N-th matching fs call, before or after
 * it) and its whole process group SIGKILLed there. Then:
 * - each output is either absent (only between the two renames of a directory
 *   replacement), byte-identical to the version before the run, or (only once the
 *   rename happened) the complete new version;
 * - the next run of the same command succeeds, leaves no `.tmp-` sibling (it removes
 *   the temporaries of the dead run: src/util/stale.ts) and writes the complete new
 *   version;
 * - a Verilator cache entry is complete (binary and build.json) or absent, and the next
 *   run rebuilds and passes.
 * No assertion depends on timing: kill points are states, found by polling.
 *
 * `make test` runs a few kill points of each command (the ones between the renames, and
 * the cache entry's last steps); `make fuzz` (BNNC_FUZZ=full) runs them all.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../src/data/idx.js';
import { emitDesign } from '../src/emit/emit.js';
import { saveModel } from '../src/graph/io.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp, randomImages } from '../src/hw/random-model.js';
import { encodeFolded } from '../src/int/serialize.js';
import { buildModel } from '../src/nn/arch.js';
import { processAlive } from '../src/util/stale.js';
import { CLI, ensureCli, runCli, runToKillPoint, type KillPoint } from './diff/cli.js';
import { FUZZ_FULL } from './fuzz/level.js';

/** All kill points with BNNC_FUZZ=full (make fuzz); in make test, those at `keep`. */
function sampled<T>(all: T[], keep: number[]): T[] {
  return FUZZ_FULL ? all : keep.map((k) => all[k]);
}

const MNIST_INPUT = { height: 28, width: 28, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };

let work: string;
beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hardening-atomic-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Relative path -> sha256 of every file below dir (null if dir does not exist). */
function tree(dir: string): Map<string, string> | null {
  if (!fs.existsSync(dir)) return null;
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const temporaries = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.includes('.tmp-')).sort();

describe('bnnc compile killed while writing lfc fully folded (6 MB of ROM images)', () => {
  const versions: { model: string; tree: Map<string, string> }[] = [];
  let outParent: string;
  let out: string;
  let mark: string;

  beforeAll(async () => {
    outParent = path.join(work, 'compile');
    out = path.join(outParent, 'lfc');
    mark = path.join(work, 'compile.mark');
    fs.mkdirSync(outParent);
    for (const seed of [1, 2]) {
      const model = path.join(work, `lfc-${seed}`, 'lfc.bnn');
      fs.mkdirSync(path.dirname(model));
      saveModel(model, buildModel('lfc', { input: MNIST_INPUT, classes: 10, seed }));
      const ref = path.join(work, `ref-${seed}`);
      const r = await runCli(['compile', model, '--out', ref]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      versions.push({ model, tree: tree(ref)! });
    }
    // The two versions differ in their ROM images, not in their file names.
    expect([...versions[0].tree.keys()]).toEqual([...versions[1].tree.keys()]);
    expect(versions[0].tree).not.toEqual(versions[1].tree);
    expect(versions[0].tree.size).toBeGreaterThan(20);
    const r = await runCli(['compile', versions[0].model, '--out', out]);
    expect(r.code).toBe(0);
  });

  const tmpFile = '\\.lfc\\.tmp-\\d+-\\d+-\\d+/[^/]+$';
  const points: { name: string; point: KillPoint; after: 'previous' | 'absent' | 'new'; left: RegExp[] }[] = [
    { name: 'temporary directory made, no file written', point: { op: 'writeFileSync', match: tmpFile, when: 'before' }, after: 'previous', left: [/^\.lfc\.tmp-\d+-\d+-\d+$/] },
    { name: 'half of the files written', point: { op: 'writeFileSync', match: tmpFile, nth: 11, when: 'after' }, after: 'previous', left: [/^\.lfc\.tmp-\d+-\d+-\d+$/] },
    { name: 'every file written, nothing renamed', point: { op: 'renameSync', match: 'lfc -> .*\\.old$', when: 'before' }, after: 'previous', left: [/^\.lfc\.tmp-\d+-\d+-\d+$/] },
    {
      name: 'previous version moved aside, new one not yet renamed',
      point: { op: 'renameSync', match: 'lfc -> .*\\.old$', when: 'after' },
      after: 'absent',
      left: [/^\.lfc\.tmp-\d+-\d+-\d+$/, /^\.lfc\.tmp-\d+-\d+-\d+\.old$/],
    },
    { name: 'new version renamed, previous not yet removed', point: { op: 'renameSync', match: '\\.lfc\\.tmp-\\d+-\\d+-\\d+ -> .*/lfc$', when: 'after' }, after: 'new', left: [/^\.lfc\.tmp-\d+-\d+-\d+\.old$/] },
  ];

  let current = 0; // index of the version the target holds
  it.each(sampled(points, [1, 3]))('$name: the target is intact and the next run cleans up', async ({ point, after, left }) => {
    const next = 1 - current;
    const before = tree(out);
    expect(before).toEqual(versions[current].tree);
    const k = await runToKillPoint(['compile', versions[next].model, '--out', out], { ...point, match: point.match.replace(/^lfc/, re(out)) }, mark);
    expect(k.killed, `the run never reached the kill point (exit ${k.code}: ${k.stderr})`).toBe(true);
    expect(k.signal).toBe('SIGKILL');

    const expected = after === 'absent' ? null : after === 'previous' ? versions[current].tree : versions[next].tree;
    expect(tree(out)).toEqual(expected);
    const stale = temporaries(outParent);
    expect(stale.length).toBe(left.length);
    left.forEach((pattern, i) => expect(stale.filter((n) => pattern.test(n)).length, `${stale.join(', ')} vs ${pattern}`).toBe(1));

    // The next run of the same command: success, the new version, no temporaries.
    const r = await runCli(['compile', versions[next].model, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readdirSync(outParent)).toEqual(['lfc']);
    expect(tree(out)).toEqual(versions[next].tree);
    current = next;
  });

  it('killed as soon as its temporary directory is seen (no hook): the target is never partial', async () => {
    // Plain polling of the directory, as a user's kill would land: the invariant only.
    const next = 1 - current;
    const child = spawn(process.execPath, [CLI, 'compile', versions[next].model, '--out', out], { stdio: 'ignore', detached: true });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let done = false;
    void exited.then(() => (done = true));
    while (!done && temporaries(outParent).length === 0) await new Promise((r) => setImmediate(r));
    if (!done) process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const t = tree(out);
    const whole = (v: Map<string, string>): boolean => t !== null && JSON.stringify([...t]) === JSON.stringify([...v]);
    expect(t === null || whole(versions[current].tree) || whole(versions[next].tree), 'a partial output directory').toBe(true);
    const r = await runCli(['compile', versions[next].model, '--out', out]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(outParent)).toEqual(['lfc']);
    expect(tree(out)).toEqual(versions[next].tree);
    current = next;
  });
});

describe('bnnc train killed while saving (tfc, 200 images)', () => {
  const files = ['m.bnn', 'm.bnn.curves.json', 'm.bnn.curves.svg'];
  /** The curves JSON without its wall-clock fields (seconds, samplesPerSecond), which no two runs share. */
  const curvesSansTime = (file: string): unknown => {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { epochs: Record<string, unknown>[] };
    for (const e of c.epochs) {
      delete e.seconds;
      delete e.samplesPerSecond;
    }
    return c;
  };
  const args = (seed: number, out: string): string[] =>
    ['train', '--arch', 'tfc', '--dataset', 'mnist', '--limit', '200', '--holdout', '100', '--epochs', '1', '--batch', '50', '--threads', '1', '--no-progress', '--seed', String(seed), '--out', out];
  const refs: string[] = [];
  let dir: string;
  let out: string;
  let mark: string;

  beforeAll(async () => {
    for (const seed of [1, 2]) {
      const ref = path.join(work, `train-ref-${seed}`);
      fs.mkdirSync(ref);
      const r = await runCli(args(seed, path.join(ref, 'm.bnn')));
      expect(r.code).toBe(0);
      refs.push(ref);
    }
    expect(sha(path.join(refs[0], 'm.bnn'))).not.toBe(sha(path.join(refs[1], 'm.bnn')));
    dir = path.join(work, 'train');
    fs.mkdirSync(dir);
    out = path.join(dir, 'm.bnn');
    mark = path.join(work, 'train.mark');
  });

  /** Which version each output file holds: the bytes of the file before the run, or the new reference's content. */
  function versionOf(file: string, previous: Map<string, Buffer>, newRef: string): 'previous' | 'new' | 'absent' | 'other' {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return 'absent';
    if (fs.readFileSync(p).equals(previous.get(file)!)) return 'previous';
    const ref = path.join(newRef, file);
    const same = file.endsWith('.json') ? JSON.stringify(curvesSansTime(p)) === JSON.stringify(curvesSansTime(ref)) : sha(p) === sha(ref);
    return same ? 'new' : 'other';
  }

  const model = '/\\.m\\.bnn\\.tmp-\\d+-\\d+-\\d+ -> .*/m\\.bnn$';
  const points: { name: string; point: KillPoint; expect: string[]; left: number }[] = [
    { name: 'model written to its temporary, not renamed', point: { op: 'renameSync', match: model, when: 'before' }, expect: ['previous', 'previous', 'previous'], left: 1 },
    { name: 'model renamed, curves not yet written', point: { op: 'renameSync', match: model, when: 'after' }, expect: ['new', 'previous', 'previous'], left: 0 },
    { name: 'curves temporary opened, nothing in it', point: { op: 'openSync', match: '\\.m\\.bnn\\.curves\\.json\\.tmp-', when: 'after' }, expect: ['new', 'previous', 'previous'], left: 1 },
    { name: 'curves JSON renamed, SVG temporary written', point: { op: 'renameSync', match: '\\.m\\.bnn\\.curves\\.svg\\.tmp-', when: 'before' }, expect: ['new', 'new', 'previous'], left: 1 },
  ];

  it.each(sampled(points, [1]))('$name: every file is whole, the next run cleans up', async ({ point, expect: want, left }) => {
    // The previous version: a complete run with seed 1.
    expect((await runCli(args(1, out))).code).toBe(0);
    expect(temporaries(dir)).toEqual([]);
    const previous = new Map(files.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    const k = await runToKillPoint(args(2, out), point, mark);
    expect(k.killed, `the run never reached the kill point (exit ${k.code}: ${k.stderr})`).toBe(true);
    expect(files.map((f) => versionOf(f, previous, refs[1]))).toEqual(want);
    expect(temporaries(dir).length).toBe(left);

    const r = await runCli(args(2, out));
    expect(r.code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(files);
    expect(files.map((f) => versionOf(f, previous, refs[1]))).toEqual(['new', 'new', 'new']);
  });
});

describe('the Verilator build of bnnc verify killed in a fresh cache', () => {
  let cacheRoot: string;
  let tmp: string;
  let cache: string;
  let dataArgs: string[];
  let mark: string;
  let designs = 0;

  beforeAll(() => {
    cacheRoot = path.join(work, 'cache-root');
    cache = path.join(cacheRoot, 'verilator');
    mark = path.join(work, 'verify.mark');
    tmp = path.join(work, 'tmp');
    fs.mkdirSync(tmp);
    const n = 6;
    const images = randomImages(7, 35, n);
    images.fill(0, 0, 35);
    images.fill(255, 35, 70);
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    fs.writeFileSync(path.join(work, 'images.idx'), encodeIdx([n, 5, 7], images));
    fs.writeFileSync(path.join(work, 'labels.idx'), encodeIdx([n], labels));
    dataArgs = ['--dataset', 'idx', '--test-images', path.join(work, 'images.idx'), '--test-labels', path.join(work, 'labels.idx'), '--json'];
  });

  /** A design no cache entry has seen: the model seed (and hash) is new each time. */
  function newDesign(): string {
    designs++;
    const f = randomFoldedMlp({ input: [5, 7, 1], hidden: [6], classes: 10, seed: 900 + designs });
    const dir = path.join(work, `design-${designs}`);
    emitDesign(f, planHardware(f, { kind: 'uniform', pe: 2, simd: 5 }), dir, { encodeFolded });
    return dir;
  }

  /** The cache in cacheRoot; work directories (bnnc-verify-<pid>-*, bnnc-sim-<pid>-*) in a private TMPDIR. */
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, BNNC_CACHE_DIR: cacheRoot, TMPDIR: tmp });
  const workDirs = (): string[] => fs.readdirSync(tmp).filter((n) => n.startsWith('bnnc-'));

  /** Entries complete, temporaries only of dead processes. */
  function checkCache(): { entries: string[]; runtimes: string[]; temporaries: string[] } {
    const names = fs.existsSync(cache) ? fs.readdirSync(cache).sort() : [];
    const entries = names.filter((n) => /^[0-9a-f]{64}$/.test(n));
    const runtimes = names.filter((n) => /^runtime-[0-9a-f]{32}$/.test(n));
    const temps = names.filter((n) => n.startsWith('.build-'));
    expect(entries.length + runtimes.length + temps.length, `unexpected names in the cache: ${names.join(', ')}`).toBe(names.length);
    for (const e of entries) {
      const rec = JSON.parse(fs.readFileSync(path.join(cache, e, 'build.json'), 'utf8')) as { key: string };
      expect(rec.key).toBe(e);
      fs.accessSync(path.join(cache, e, 'Vtop'), fs.constants.X_OK);
    }
    for (const rt of runtimes) expect(fs.readdirSync(path.join(cache, rt)).filter((f) => /^verilated.*\.o$/.test(f)).length).toBeGreaterThan(0);
    for (const t of temps) expect(processAlive(Number(/^\.build-(\d+)-/.exec(t)![1]))).toBe(false);
    return { entries, runtimes, temporaries: temps };
  }

  const points: { name: string; point: KillPoint; entry: boolean }[] = [
    { name: 'compiled, saving the run-time objects (first build in the cache)', point: { op: 'mkdtempSync', match: '-rt-$', when: 'after' }, entry: false },
    { name: 'build directory made, verilator not started', point: { op: 'mkdtempSync', match: '/\\.build-\\d+-$', when: 'after' }, entry: false },
    { name: 'make compiling the model', point: { op: 'spawn', match: '^make ', when: 'after' }, entry: false },
    { name: 'entry complete in its temporary directory', point: { op: 'renameSync', match: '/\\.build-\\d+-\\w+ -> .*/[0-9a-f]{64}$', when: 'before' }, entry: false },
    { name: 'entry renamed into place, simulation not started', point: { op: 'renameSync', match: '/\\.build-\\d+-\\w+ -> .*/[0-9a-f]{64}$', when: 'after' }, entry: true },
  ];

  it.each(sampled(points, [3, 4]))('$name: a cache entry is complete or absent, the next run builds and passes', async ({ point, entry }) => {
    const design = newDesign();
    const before = checkCache();
    const k = await runToKillPoint(['verify', design, ...dataArgs], point, mark, { env: env() });
    expect(k.killed, `the run never reached the kill point (exit ${k.code}: ${k.stderr})`).toBe(true);
    const after = checkCache();
    expect(after.entries.length).toBe(before.entries.length + (entry ? 1 : 0));
    if (!entry) expect(after.temporaries.length).toBeGreaterThan(0);
    // The killed run's work directory is still there (its pid in the name)...
    expect(workDirs().filter((n) => n.startsWith(`bnnc-verify-${k.pid}-`))).toHaveLength(1);

    const r = await runCli(['verify', design, ...dataArgs], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; frames: number; build: { cached: boolean } };
    expect(report.ok).toBe(true);
    expect(report.frames).toBe(6);
    expect(report.build.cached).toBe(entry);
    const final = checkCache();
    expect(final.temporaries).toEqual([]);
    expect(final.entries.length).toBe(before.entries.length + 1);
    expect(final.runtimes.length).toBe(1);
    // ...and the next run removed it (and its own).
    expect(workDirs()).toEqual([]);
  });

  it('verify --vcd killed with the simulation running: the waveform is the previous one, the next run writes it whole', async () => {
    const design = newDesign();
    const vcdDir = path.join(work, 'vcd');
    fs.mkdirSync(vcdDir);
    const vcd = path.join(vcdDir, 'wave.vcd');
    const args = (images: string): string[] => ['verify', design, ...dataArgs, '--vcd', vcd, '--images', images];
    // The new version's bytes, from a complete run to another name (the waveform is deterministic).
    const ref = path.join(work, 'wave-ref.vcd');
    expect((await runCli(['verify', design, ...dataArgs, '--vcd', ref, '--images', '1:3'], { env: env() })).code).toBe(0);
    expect((await runCli(args('0:2'), { env: env() })).code).toBe(0);
    const previous = fs.readFileSync(vcd);
    expect(previous.equals(fs.readFileSync(ref))).toBe(false);

    // Stopped right after starting the simulation: it may write its waveform, never into place.
    const k = await runToKillPoint(args('1:3'), { op: 'spawn', match: '/Vtop --vectors ', when: 'after' }, mark, { env: env() });
    expect(k.killed, `the run never reached the kill point (exit ${k.code}: ${k.stderr})`).toBe(true);
    expect(fs.readFileSync(vcd).equals(previous)).toBe(true);

    const r = await runCli(args('1:3'), { env: env() });
    expect(r.code).toBe(0);
    expect(fs.readdirSync(vcdDir)).toEqual(['wave.vcd']);
    expect(fs.readFileSync(vcd).equals(fs.readFileSync(ref))).toBe(true);
    expect(workDirs()).toEqual([]);
  });
});
