/**
 * The Verilator bridge: build the harness for a design (cached, see verilator-build.ts),
 * run it on a vector file with the RTL directory as working directory (the RTL's
 * $readmemh paths are relative), stream its progress and parse its results.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ToolFailedError } from '../errors.js';
import { readResults, type SimResults } from './results.js';
import { buildHarness, type HarnessBuild, type HarnessBuildOptions } from './verilator-build.js';
import { cleanStaleSiblings, makeWorkDir, tempSiblingName } from '../util/stale.js';
import { asOutputError, makeDirs } from '../util/outputs.js';
import { killGroup, spawnGroup } from '../util/processes.js';

export interface WaveformOptions {
  /** VCD file to write. */
  file: string;
  /** Frames [from, to) (positions in the vector file) are dumped. */
  from: number;
  to: number;
  /** Hierarchy levels below TOP to dump (0 = all). 2 = the ports and the top module's own signals. */
  depth?: number;
}

export interface SimRunOptions {
  /** Executable from buildHarness. */
  binary: string;
  /** The design's directory: the simulation runs there so that $readmemh finds the .mem files. */
  rtlDir: string;
  /** .bnnv vector file (docs/vector-format.md). */
  vectors: string;
  /** Pixels per input beat (manifest). */
  inPix: number;
  /** Probability that the source leaves s_axis idle in a cycle (0..1). */
  gaps?: number;
  /** Probability that m_axis_tready is low in a cycle (0..1). */
  backpressure?: number;
  seed?: number;
  /** Cycles without any handshake, while results are outstanding, before giving up. */
  stallLimit?: number;
  /** Cycles run after the last expected result, to catch an extra beat. */
  drain?: number;
  /** Chance per frame of a seeded reset while it is in flight (0..0.5; docs/verification.md). */
  resets?: number;
  /** Beats of a frame its result depends on (src/hw/result-beats.ts); default all. A result before them counts as stale after a reset. */
  resultBeats?: number;
  /** Cycle budget: the harness stops after this many cycles (results.budgetExceeded). */
  maxCycles?: number;
  /** Wall-clock limit in seconds: the simulation's process group is killed after it. */
  timeoutSeconds?: number;
  /** Initial state of the design: 0 zeros, 1 ones, 2 random (default). */
  randReset?: 0 | 1 | 2;
  /** Needs a binary built with trace: true. */
  vcd?: WaveformOptions;
  /** Called as results come out (done = result beats so far, cycle = current cycle). */
  onProgress?: (done: number, cycle: number) => void;
  env?: NodeJS.ProcessEnv;
}

export interface SimRun extends SimResults {
  /** Wall-clock seconds of the whole process (loading, simulating, writing). */
  wallSeconds: number;
}

function harnessArgs(o: SimRunOptions, resultsFile: string): string[] {
  const args = [
    '--vectors',
    path.resolve(o.vectors),
    '--results',
    resultsFile,
    '--in-pix',
    String(o.inPix),
    '--gaps',
    String(o.gaps ?? 0),
    '--backpressure',
    String(o.backpressure ?? 0),
    '--seed',
    String(o.seed ?? 1),
    '--rand-reset',
    String(o.randReset ?? 2),
  ];
  if (o.stallLimit !== undefined) args.push('--stall-limit', String(Math.ceil(o.stallLimit)));
  if (o.resets !== undefined && o.resets > 0) args.push('--resets', String(o.resets));
  if (o.maxCycles !== undefined) args.push('--max-cycles', String(Math.ceil(o.maxCycles)));
  if (o.drain !== undefined) args.push('--drain', String(Math.ceil(o.drain)));
  if (o.resultBeats !== undefined) args.push('--result-beats', String(o.resultBeats));
  if (o.vcd) {
    args.push(
      '--vcd',
      path.resolve(o.vcd.file),
      '--trace-from',
      String(o.vcd.from),
      '--trace-to',
      String(o.vcd.to),
      '--trace-depth',
      String(o.vcd.depth ?? 0),
    );
  }
  return args;
}

/** The most --gaps / --backpressure may be: each frame then takes at most ~100 times as long. */
export const MAX_TRAFFIC_PROBABILITY = 0.99;
/** The most --resets may be (chance per frame): the stream still makes progress. */
export const MAX_RESET_PROBABILITY = 0.5;

function checkProbability(name: string, p: number | undefined, max = MAX_TRAFFIC_PROBABILITY): void {
  if (p !== undefined && !(p >= 0 && p <= max)) throw new InputError('simulation options', name, `a probability in [0, ${max}]`, String(p));
}

/** Run a built harness on a vector file. */
export async function runSimulation(o: SimRunOptions): Promise<SimRun> {
  checkProbability('gaps', o.gaps);
  checkProbability('backpressure', o.backpressure);
  checkProbability('resets', o.resets, MAX_RESET_PROBABILITY);
  if (!fs.existsSync(o.vectors)) throw new InputError(o.vectors, 'vector file', 'an existing file');
  if (o.vcd) makeDirs(path.dirname(path.resolve(o.vcd.file)));
  const work = makeWorkDir('bnnc-sim-'); // pid-named: a killed run's is removed by the next (util/stale.ts)
  // The waveform is an output: written to a temporary sibling and renamed when the run succeeds.
  const vcdTarget = o.vcd ? path.resolve(o.vcd.file) : null;
  if (vcdTarget) cleanStaleSiblings(vcdTarget);
  const vcdTmp = vcdTarget ? tempSiblingName(vcdTarget) : null;
  try {
    const resultsFile = path.join(work, 'results.txt');
    const t0 = Date.now();
    const run = o.vcd ? { ...o, vcd: { ...o.vcd, file: vcdTmp! } } : o;
    let timedOutWall = false;
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const child = spawnGroup(o.binary, harnessArgs(run, resultsFile), {
        cwd: path.resolve(o.rtlDir),
        env: o.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const other: string[] = [];
      let partial = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          const m = /^progress (\d+) (\d+)$/.exec(line);
          if (m) o.onProgress?.(Number(m[1]), Number(m[2]));
          else other.push(line);
        }
      });
      // $display output of the design goes to stdout; keep it with the diagnostics.
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => other.push(...chunk.split('\n').filter((l) => l.length > 0)));
      child.on('error', reject);
      const timer =
        o.timeoutSeconds === undefined
          ? null
          : setTimeout(() => {
              timedOutWall = true;
              if (child.pid !== undefined) killGroup(child.pid);
            }, o.timeoutSeconds * 1000);
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (partial) other.push(partial);
        resolve({ code: code ?? (signal ? 128 : 1), stderr: other.join('\n') });
      });
    });
    const wallSeconds = (Date.now() - t0) / 1000;
    if (timedOutWall) {
      throw new ToolFailedError(
        'verilator simulation',
        `${o.binary} ran past its wall-clock limit of ${Math.round(o.timeoutSeconds!)} s (derived from the cycle budget of ${o.maxCycles ?? '?'} cycles) and was stopped`,
      );
    }
    // A ROM image the simulator could not read leaves the memory random: never a result.
    const readmem = stderr.split('\n').find((l) => /\$readmem/i.test(l));
    if (readmem !== undefined) {
      throw new ToolFailedError('verilator simulation', `a ROM image could not be read in ${o.rtlDir}: ${readmem.trim()}`);
    }
    if (code !== 0 || !fs.existsSync(resultsFile)) {
      const tail = stderr.trim().split('\n').slice(-20).join('\n');
      throw new ToolFailedError('verilator simulation', `${o.binary} in ${o.rtlDir} exited with ${code}:\n${tail}`);
    }
    const results = readResults(resultsFile);
    if (vcdTmp && fs.existsSync(vcdTmp)) {
      try {
        fs.renameSync(vcdTmp, vcdTarget!);
      } catch (e) {
        throw asOutputError(o.vcd!.file, e);
      }
    }
    return { ...results, wallSeconds };
  } finally {
    if (vcdTmp) {
      // Also what the harness derives from the name (it writes <name>.tmp, then renames).
      const dir = path.dirname(vcdTmp);
      for (const f of fs.readdirSync(dir)) if (f.startsWith(path.basename(vcdTmp))) fs.rmSync(path.join(dir, f), { force: true });
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface SimulateOptions extends Omit<SimRunOptions, 'binary'>, Omit<HarnessBuildOptions, 'trace' | 'env'> {}

/** Build (or reuse) and run in one step; the trace variant is built when a VCD is asked for. */
export async function simulate(o: SimulateOptions): Promise<{ build: HarnessBuild; run: SimRun }> {
  const build = await buildHarness({
    rtlDir: o.rtlDir,
    top: o.top,
    sources: o.sources,
    trace: o.vcd !== undefined,
    jobs: o.jobs,
    cacheDir: o.cacheDir,
    env: o.env,
  });
  const run = await runSimulation({ ...o, binary: build.binary });
  return { build, run };
}
