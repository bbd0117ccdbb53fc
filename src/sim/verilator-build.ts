/**
 * Building the Verilator simulation of a design together with the C++ harness, with a
 * content-addressed cache: .cache/verilator/<sha256 of the RTL sources, the harness, the
 * options and the tool versions>/. A second run with the same inputs reuses the binary.
 *
 * The .mem ROM images are not part of the key: $readmemh reads them when the simulation
 * starts (from its working directory, the RTL directory), so editing a ROM image needs
 * no rebuild.
 *
 * A cache entry is built in a temporary sibling directory and renamed into place, so a
 * killed or failed build never leaves an entry behind.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ToolFailedError } from '../errors.js';
import { isPlainObject, parseJsonStrict } from '../graph/json.js';
import { writeFileAtomic } from '../util/atomic.js';
import { defaultVerilatorCacheDir, harnessSource } from './paths.js';
import { probeTool, requireVerilatorTools } from './tools.js';
import { registerTemporary, releaseTemporary, spawnGroup } from '../util/processes.js';
import { makeDirs } from '../util/outputs.js';

export interface HarnessBuildOptions {
  /** Directory holding the design's Verilog. */
  rtlDir: string;
  /** Name of the top-level module. */
  top: string;
  /** Verilog files, relative to rtlDir. Default: every *.v and *.sv file in rtlDir. */
  sources?: string[];
  /** Build the variant that can dump a VCD (--trace); slower, used for waveforms and debugging. */
  trace?: boolean;
  /** Parallel jobs for verilation and the C++ build (default 2). */
  jobs?: number;
  /**
   * Build for a short run: Verilator and the C++ compiler without optimisation
   * (QUICK_MAKE_VARS). A large design builds 2-3 times faster and simulates slower, which
   * pays for a few hundred frames (the random differential tests); default false.
   */
  quick?: boolean;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface HarnessBuild {
  /** The simulation executable. */
  binary: string;
  /** Cache key (sha256 hex). */
  key: string;
  /** True when the binary came from the cache and nothing was built. */
  cached: boolean;
  /** Wall-clock seconds spent building (0 when cached). */
  seconds: number;
  verilatorVersion: string;
  /** Verilator warnings printed while building (see build.log in the cache entry). */
  warnings: number;
  /** The cache entry directory. */
  dir: string;
}

/** Version of the key layout; bump when the meaning of an entry changes. */
const CACHE_FORMAT = 1;

/** Verilator options, apart from paths; part of the cache key. */
export function verilatorArgs(top: string, trace: boolean, jobs: number, quick = false): string[] {
  const args = [
    '--cc',
    '--exe',
    quick ? '-O0' : '-O3',
    // X values become whatever is fastest, and initial state is random per seed (the
    // harness turns randomisation on), so the design must come up through its reset.
    '--x-assign',
    'fast',
    '--x-initial',
    'unique',
    '-j',
    String(jobs),
    '--top-module',
    top,
    // A fixed class name (Vtop) keeps the harness free of templating.
    '--prefix',
    'Vtop',
    '-o',
    'Vtop',
    // Lint findings are the compiler's business (its own lint test); they must not stop
    // verification, but they are counted and kept in build.log.
    '-Wno-fatal',
  ];
  if (trace) {
    // Stage taps are as wide as a layer (1024 bits and more); the default limit is 256.
    args.push('--trace', '--trace-max-width', '65536', '-CFLAGS', '-DBNNC_TRACE');
  }
  return args;
}

/** make variables of the C++ build: verilated.mk defaults to -Os; simulations run for millions of cycles. */
export const MAKE_VARS = ['OPT_FAST=-O2', 'OPT_SLOW=-O1', 'OPT_GLOBAL=-O2'];
/** make variables of a quick build (HarnessBuildOptions.quick): no optimisation at all. */
export const QUICK_MAKE_VARS = ['OPT_FAST=-O0', 'OPT_SLOW=-O0', 'OPT_GLOBAL=-O0'];

function makeVars(quick: boolean | undefined): string[] {
  return quick ? QUICK_MAKE_VARS : MAKE_VARS;
}

/** The Verilog sources of a design: the given list, or every *.v / *.sv file, sorted. */
export function designSources(rtlDir: string, sources?: string[]): string[] {
  if (!fs.existsSync(rtlDir) || !fs.statSync(rtlDir).isDirectory()) {
    throw new InputError(rtlDir, 'RTL directory', 'an existing directory');
  }
  const list =
    sources ??
    fs
      .readdirSync(rtlDir)
      .filter((f) => /\.s?v$/.test(f))
      .sort();
  if (list.length === 0) throw new InputError(rtlDir, 'Verilog sources', 'at least one *.v or *.sv file');
  for (const f of list) {
    if (!fs.existsSync(path.join(rtlDir, f))) throw new InputError(rtlDir, `source ${f}`, 'an existing file');
  }
  return list;
}

/** Header files a source may `include: hashed too, since they change the build. */
function includeFiles(rtlDir: string): string[] {
  return fs
    .readdirSync(rtlDir)
    .filter((f) => /\.(vh|svh)$/.test(f))
    .sort();
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function cacheKey(
  opts: HarnessBuildOptions,
  sources: string[],
  verilatorVersion: string,
  cxxVersion: string,
): string {
  const rtlDir = path.resolve(opts.rtlDir);
  const key = {
    format: CACHE_FORMAT,
    harness: sha256File(harnessSource()),
    sources: sources.map((f) => [f, sha256File(path.join(rtlDir, f))]),
    includes: includeFiles(rtlDir).map((f) => [f, sha256File(path.join(rtlDir, f))]),
    // -j does not change the result, so it stays out of the key.
    args: verilatorArgs(opts.top, opts.trace ?? false, 1, opts.quick),
    make: makeVars(opts.quick),
    verilatorVersion,
    cxxVersion,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

interface BuildRecord {
  key: string;
  top: string;
  trace: boolean;
  sources: string[];
  rtlDir: string;
  verilatorVersion: string;
  seconds: number;
  warnings: number;
  /** The run-time library objects came from the cache. */
  runtimeReused: boolean;
}

/**
 * The record of a finished cache entry, or null when it is unreadable or not the entry
 * of `key` (a hand-edited or damaged file): such an entry is rebuilt, not trusted.
 */
function readBuildRecord(recordFile: string, key: string): BuildRecord | null {
  let rec: unknown;
  try {
    rec = parseJsonStrict(fs.readFileSync(recordFile, 'utf8'), recordFile, 'build record');
  } catch {
    return null;
  }
  if (!isPlainObject(rec) || rec.key !== key) return null;
  if (typeof rec.warnings !== 'number' || !Number.isSafeInteger(rec.warnings) || rec.warnings < 0) return null;
  return rec as unknown as BuildRecord;
}

/**
 * Build (or find in the cache) the simulation binary of a design. Throws ToolMissingError
 * when verilator, g++ or make is missing, ToolFailedError (with the end of the log) when
 * the build fails.
 */
export async function buildHarness(opts: HarnessBuildOptions): Promise<HarnessBuild> {
  const env = opts.env ?? process.env;
  const verilator = requireVerilatorTools(env);
  const cxx = probeTool('g++', env);
  const rtlDir = path.resolve(opts.rtlDir);
  const sources = designSources(rtlDir, opts.sources);
  const key = cacheKey(opts, sources, verilator.version, cxx.version);
  const cacheDir = path.resolve(opts.cacheDir ?? defaultVerilatorCacheDir(env));
  const dir = path.join(cacheDir, key);
  const binary = path.join(dir, 'Vtop');
  const recordFile = path.join(dir, 'build.json');

  // Entries appear whole (a directory renamed into place), so one without a binary or a
  // readable record is damaged: it is removed, or the new build could not take its place.
  const rec = fs.existsSync(binary) ? readBuildRecord(recordFile, key) : null;
  if (rec === null && fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  if (rec !== null) {
    return {
      binary,
      key,
      cached: true,
      seconds: 0,
      verilatorVersion: verilator.version,
      warnings: rec.warnings,
      dir,
    };
  }

  makeDirs(cacheDir);
  removeAbandonedBuilds(cacheDir);
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.build-${process.pid}-`));
  registerTemporary(tmp);
  try {
    const objDir = path.join(tmp, 'obj');
    const trace = opts.trace ?? false;
    const jobs = opts.jobs ?? 2;
    const args = [
      ...verilatorArgs(opts.top, trace, jobs, opts.quick),
      '-Mdir',
      objDir,
      `-I${rtlDir}`,
      harnessSource(),
      ...sources.map((f) => path.join(rtlDir, f)),
    ];
    const t0 = Date.now();
    const verilated = await runLogged('verilator', args, tmp, env);
    let log = `verilator ${args.join(' ')}\n\n${verilated.log}`;
    let code = verilated.code;
    let runtimeReused = false;
    if (code === 0) {
      // Verilator's run-time library does not depend on the design: reuse its objects.
      const runtime = runtimeCacheDir(cacheDir, verilator.version, cxx.version, trace, makeVars(opts.quick));
      runtimeReused = restoreRuntimeObjects(runtime, objDir);
      const makeArgs = ['-C', objDir, '-f', 'Vtop.mk', `-j${jobs}`, ...makeVars(opts.quick), 'Vtop'];
      const made = await runLogged('make', makeArgs, tmp, env);
      log += `\nmake ${makeArgs.join(' ')}${runtimeReused ? '  (run-time objects from the cache)' : ''}\n\n${made.log}`;
      code = made.code;
      if (code === 0 && !runtimeReused) saveRuntimeObjects(runtime, objDir);
    }
    const seconds = (Date.now() - t0) / 1000;
    fs.writeFileSync(path.join(tmp, 'build.log'), log);
    if (code !== 0 || !fs.existsSync(path.join(objDir, 'Vtop'))) {
      const tail = log.trim().split('\n').slice(-25).join('\n');
      throw new ToolFailedError('verilator', `building ${opts.top} from ${rtlDir} (exit ${code}):\n${tail}`);
    }
    const warnings = (log.match(/^%Warning/gm) ?? []).length;
    // Keep only the executable and the log: the object directory is large and not needed.
    fs.renameSync(path.join(objDir, 'Vtop'), path.join(tmp, 'Vtop'));
    fs.rmSync(objDir, { recursive: true, force: true });
    const rec: BuildRecord = {
      key,
      top: opts.top,
      trace,
      sources,
      rtlDir,
      verilatorVersion: verilator.version,
      seconds,
      warnings,
      runtimeReused,
    };
    writeFileAtomic(path.join(tmp, 'build.json'), JSON.stringify(rec, null, 2) + '\n');
    // mkdtemp makes the directory private; the cache is as readable as the rest of .cache.
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, dir);
      releaseTemporary(tmp);
    } catch (e) {
      // Another process finished the same build first; its entry is as good as ours.
      if (!fs.existsSync(binary)) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return { binary, key, cached: false, seconds, verilatorVersion: verilator.version, warnings, dir };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Where the compiled run-time library objects (verilated.o, verilated_threads.o, and
 * verilated_vcd_c.o for traces) of one tool/option combination are kept. They depend on
 * the Verilator and compiler versions, the make variables and the trace switch (which
 * sets VM_TRACE), never on the design.
 */
function runtimeCacheDir(cacheDir: string, verilatorVersion: string, cxxVersion: string, trace: boolean, make: string[]): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ format: CACHE_FORMAT, verilatorVersion, cxxVersion, make, trace }))
    .digest('hex');
  return path.join(cacheDir, `runtime-${key.slice(0, 32)}`);
}

const RUNTIME_OBJECT = /^verilated[a-z_]*\.o$/;

/** Copy cached run-time objects into a fresh object directory; false when there are none. */
function restoreRuntimeObjects(runtimeDir: string, objDir: string): boolean {
  if (!fs.existsSync(runtimeDir)) return false;
  const objs = fs.readdirSync(runtimeDir).filter((f) => RUNTIME_OBJECT.test(f));
  if (objs.length === 0) return false;
  // verilated.mk makes these objects depend on Vtop.mk (just written by verilator): the
  // copies must be newer, or make compiles them again (harmless, only slower).
  const later = new Date(Date.now() + 2000);
  for (const f of objs) {
    fs.copyFileSync(path.join(runtimeDir, f), path.join(objDir, f));
    fs.utimesSync(path.join(objDir, f), later, later);
  }
  return true;
}

/** Keep the run-time objects of a successful build (atomically: a temporary directory renamed). */
function saveRuntimeObjects(runtimeDir: string, objDir: string): void {
  if (fs.existsSync(runtimeDir)) return;
  const objs = fs.readdirSync(objDir).filter((f) => RUNTIME_OBJECT.test(f));
  if (objs.length === 0) return;
  const tmp = fs.mkdtempSync(path.join(path.dirname(runtimeDir), `.build-${process.pid}-rt-`));
  try {
    for (const f of objs) fs.copyFileSync(path.join(objDir, f), path.join(tmp, f));
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, runtimeDir);
  } catch {
    // Another build saved them first, or the cache is read-only: either way nothing is lost.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Remove temporary build directories left by processes that no longer exist (killed builds). */
function removeAbandonedBuilds(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const m = /^\.build-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) {
      fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run a program, collecting stdout and stderr interleaved. */
function runLogged(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const log = Buffer.concat(chunks).toString('utf8');
      resolve({ code: code ?? (signal ? 128 : 1), log });
    });
  });
}
