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
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ToolFailedError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { defaultVerilatorCacheDir, harnessSource } from './paths.js';
import { probeTool, requireVerilatorTools } from './tools.js';

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
export function verilatorArgs(top: string, trace: boolean, jobs: number): string[] {
  const args = [
    '--cc',
    '--exe',
    '--build',
    '-O3',
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
    // verilated.mk defaults to -Os; the simulation runs for millions of cycles.
    '-MAKEFLAGS',
    'OPT_FAST=-O2',
    '-MAKEFLAGS',
    'OPT_SLOW=-O1',
    '-MAKEFLAGS',
    'OPT_GLOBAL=-O2',
  ];
  if (trace) {
    // Stage taps are as wide as a layer (1024 bits and more); the default limit is 256.
    args.push('--trace', '--trace-max-width', '65536', '-CFLAGS', '-DBNNC_TRACE');
  }
  return args;
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
    args: verilatorArgs(opts.top, opts.trace ?? false, 1),
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

  if (fs.existsSync(binary) && fs.existsSync(recordFile)) {
    const rec = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as BuildRecord;
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

  fs.mkdirSync(cacheDir, { recursive: true });
  removeAbandonedBuilds(cacheDir);
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.build-${process.pid}-`));
  try {
    const objDir = path.join(tmp, 'obj');
    const trace = opts.trace ?? false;
    const args = [
      ...verilatorArgs(opts.top, trace, opts.jobs ?? 2),
      '-Mdir',
      objDir,
      `-I${rtlDir}`,
      harnessSource(),
      ...sources.map((f) => path.join(rtlDir, f)),
    ];
    const t0 = Date.now();
    const { code, log } = await runLogged('verilator', args, tmp, env);
    const seconds = (Date.now() - t0) / 1000;
    fs.writeFileSync(path.join(tmp, 'build.log'), `verilator ${args.join(' ')}\n\n${log}`);
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
    };
    writeFileAtomic(path.join(tmp, 'build.json'), JSON.stringify(rec, null, 2) + '\n');
    try {
      fs.renameSync(tmp, dir);
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
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
