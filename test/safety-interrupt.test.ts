/**
 * Interrupts end everything bnnc started (src/util/processes.ts): the real CLI, verifying
 * a design with an empty Verilator cache, gets SIGTERM (or SIGINT) sent to its own pid
 * only while verilator / make / g++ are building. It must exit 143 (130), and no process
 * of the groups it started may survive; its temporaries (the cache build directory, the
 * verify work directory) must be gone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureCli, ROOT } from './diff/cli.js';
import { descendants, inGroups } from './diff/procs.js';
import { compileDesign, randomFolded } from './fixtures/sim/designs.js';

const BUILDERS = new Set(['make', 'g++', 'cc1plus', 'verilator', 'verilator_bin', 'as', 'ld']);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('interrupts during a Verilator build', () => {
  let work: string;
  let design: string;
  beforeAll(async () => {
    await ensureCli();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-interrupt-'));
    design = path.join(work, 'rtl');
    compileDesign(randomFolded('mlp:784-16-10', 5), { kind: 'uniform', pe: 2, simd: 8 }, design);
  }, 120_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s to bnnc alone ends the build it started, exit %i, temporaries removed', async (signal, status) => {
    const cache = path.join(work, `cache-${signal}`);
    const child = spawn(process.execPath, [CLI, 'verify', design, '--dataset', 'mnist', '--limit', '2'], {
      cwd: ROOT,
      env: { ...process.env, BNNC_CACHE_DIR: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.stdout.resume();
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, sig) => resolve({ code, signal: sig })),
    );
    const bnncGroup = Number(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
    // Wait for the state, not for a time: a compiler or make running under bnnc, in a
    // group of its own (the version probes run briefly in bnnc's group, synchronously).
    const groups = new Set<number>();
    const t0 = Date.now();
    let building = false;
    while (!building && Date.now() - t0 < 120_000 && child.exitCode === null) {
      const tree = descendants(child.pid!);
      for (const p of tree) if (p.pgid !== bnncGroup) groups.add(p.pgid);
      building = tree.some((p) => BUILDERS.has(p.name) && p.pgid !== bnncGroup);
      if (!building) await sleep(20);
    }
    expect(building, `no build process appeared under bnnc (stderr: ${stderr})`).toBe(true);

    process.kill(child.pid!, signal);
    const r = await done;
    expect(r.code, stderr).toBe(status);
    expect(stderr).toMatch(new RegExp(`interrupted \\(${signal}\\)`));
    // Nothing of what it started survives (a SIGKILLed group empties at once; allow reaping).
    let left = inGroups(groups);
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await sleep(20);
      left = inGroups(groups);
    }
    expect(left.map((p) => `${p.pid} ${p.name}`)).toEqual([]);
    // Its temporaries are gone: the cache's build directory and verify's work directory.
    const cacheDir = path.join(cache, 'verilator');
    const inCache = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((n) => n.startsWith(`.build-${child.pid}-`)) : [];
    expect(inCache).toEqual([]);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`bnnc-verify-${child.pid}-`))).toEqual([]);
  }, 180_000);
});
