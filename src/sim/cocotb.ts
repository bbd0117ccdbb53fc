/**
 * The cocotb bridge: runs the Python testbenches of sim/cocotb against a compiled RTL
 * directory and a vector file, and turns cocotb's JUnit XML into a report.
 *
 * Verilator checks whole test sets fast; cocotb (on Icarus) checks the protocol: random
 * idle cycles and back-pressure, frames back to back, reset in the middle of a frame,
 * no frame lost or duplicated, and the planned latency and II. See docs/cocotb.md.
 *
 * Test failures are results, not exceptions: the report says which test failed and,
 * when the message names one, which image. Exceptions are for a run that could not
 * happen: missing tools (ToolMissingError), bad input (InputError), a build or simulator
 * crash (ToolFailedError).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ToolFailedError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import { readJunit, type JunitStatus } from './cocotb-junit.js';
import { COCOTB_SIM_DIR, requirePython, requireSimulator, type CocotbSimulator } from './cocotb-tools.js';
import { makeWorkDir } from '../util/stale.js';
import { spawnGroup } from '../util/processes.js';
import { makeDirs } from '../util/outputs.js';

/** The tests in sim/cocotb/test_bnn_top.py, in the order they run. */
export const COCOTB_TESTS = [
  'test_back_to_back',
  'test_random_traffic',
  'test_reset_mid_frame',
  'test_cycle_figures',
] as const;
export type CocotbTestName = (typeof COCOTB_TESTS)[number];

export interface CocotbOptions {
  /** Directory written by `bnnc compile` (Verilog, .mem files, manifest.json). Read only. */
  rtlDir: string;
  /** .bnnv vector file with the integer model's expected results. */
  vectorsPath: string;
  /** Use the first `limit` records (default: all; Icarus runs a few hundred images a minute). */
  limit?: number;
  /** Seed of the random traffic (default 1). The same seed gives the same cycles. */
  seed?: number;
  /** Default 'icarus'. cocotb 2.x needs Verilator >= 5.036 (Debian has 5.006). */
  simulator?: CocotbSimulator;
  /** A subset of COCOTB_TESTS (default: all). */
  tests?: string[];
  /** Where to build and write results.xml; kept afterwards. Default: a temp dir, removed. */
  workDir?: string;
  /**
   * Beats of a frame its result depends on (src/hw/result-beats.ts; default: all). The
   * scoreboard expects a frame's result once these are accepted, so a ConvNet whose
   * pool drops the image's last rows may give it before the frame's last beat.
   */
  resultBeats?: number;
  /** Cycles without any handshake that count as a hang (default: from the planned figures). */
  stallCycles?: number;
  /** Dump waves (FST) into the work directory (give `workDir` to keep them). */
  waves?: boolean;
  /** Receives the runner's output line by line as it runs (default: written to stderr). */
  onOutput?: (line: string) => void;
  /** Environment for the tools (default: process.env); BNNC_PYTHON selects the interpreter. */
  env?: NodeJS.ProcessEnv;
}

export interface CocotbTestResult {
  name: string;
  status: JunitStatus;
  /** Wall-clock seconds. */
  seconds: number;
  /** Simulated time of the test, ns. */
  simTimeNs?: number;
  /** First line of the failure (the assertion message). */
  message?: string;
  /** Full failure text (traceback). */
  detail?: string;
  /** Dataset index of the image the failure names ("image N"), if any. */
  imageIndex?: number;
  /** Record of the vector file the failure names ("record R"), if any. */
  recordIndex?: number;
}

export interface CocotbReport {
  /** True when every test ran and passed. */
  ok: boolean;
  simulator: CocotbSimulator;
  seed: number;
  limit?: number;
  python: string;
  cocotbVersion: string;
  simulatorVersion: string;
  tests: CocotbTestResult[];
  /** The tests that failed or errored. */
  failures: CocotbTestResult[];
  /** results.xml, when `workDir` was given (else it was removed with the temp dir). */
  resultsXml?: string;
  seconds: number;
}

/** One line per failed test: "test_x failed at image 12: <message>". */
export function describeCocotbFailures(report: CocotbReport): string[] {
  return report.failures.map((f) => {
    const where = f.imageIndex === undefined ? '' : ` at image ${f.imageIndex}`;
    return `${f.name} ${f.status}${where}: ${f.message ?? '(no message)'}`;
  });
}

const IMAGE_REF = /\bimage (\d+)(?: \(record (\d+)\))?/;
const INPUT_ERROR_TAG = 'BNNC_INPUT_ERROR ';
/** run.py's exit statuses (see its docstring). */
const EXIT_INPUT = 2;
const EXIT_BUILD = 3;

/**
 * The InputError run.py reported on its tagged line ({source, field, expected, got} as
 * JSON). A line that does not hold that record is the Python side misbehaving, so it
 * becomes a ToolFailedError quoting the line rather than a SyntaxError.
 */
export function reportedInputError(json: string): InputError | ToolFailedError {
  let record: unknown;
  try {
    record = parseJsonStrict(json, 'cocotb run.py', 'input error record');
  } catch {
    record = undefined;
  }
  if (isPlainObject(record)) {
    const { source, field, expected, got } = record;
    if (typeof source === 'string' && typeof field === 'string' && typeof expected === 'string' && (typeof got === 'string' || got === null || got === undefined)) {
      return new InputError(source, field, expected, got ?? undefined);
    }
  }
  return new ToolFailedError('cocotb', `run.py reported bad input in an unreadable form: ${describeValue(json)}`);
}

function checkOptions(opts: CocotbOptions): void {
  const manifest = path.join(opts.rtlDir, 'manifest.json');
  if (!fs.existsSync(manifest)) {
    throw new InputError(opts.rtlDir, 'manifest.json', 'an RTL directory written by `bnnc compile`', 'no manifest.json');
  }
  if (!fs.existsSync(opts.vectorsPath)) {
    throw new InputError(opts.vectorsPath, 'file', 'a .bnnv vector file', 'no such file');
  }
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) {
    throw new InputError('cocotb options', 'limit', 'a positive integer', String(opts.limit));
  }
  if (opts.seed !== undefined && !(Number.isInteger(opts.seed) && opts.seed >= 0)) {
    throw new InputError('cocotb options', 'seed', 'a non-negative integer', String(opts.seed));
  }
  if (opts.resultBeats !== undefined && !(Number.isInteger(opts.resultBeats) && opts.resultBeats >= 1)) {
    throw new InputError('cocotb options', 'resultBeats', 'a positive integer', String(opts.resultBeats));
  }
  for (const t of opts.tests ?? []) {
    if (!(COCOTB_TESTS as readonly string[]).includes(t)) {
      throw new InputError('cocotb options', 'tests', `names among ${COCOTB_TESTS.join(', ')}`, t);
    }
  }
}

/** Run the cocotb testbenches on an RTL directory. */
export async function runCocotbVerify(opts: CocotbOptions): Promise<CocotbReport> {
  const started = Date.now();
  const env = { ...(opts.env ?? process.env) };
  const simulator = opts.simulator ?? 'icarus';
  const seed = opts.seed ?? 1;
  checkOptions(opts);
  const python = requirePython(env);
  const simulatorVersion = requireSimulator(simulator, env);

  const keep = opts.workDir !== undefined;
  const workDir = keep ? path.resolve(opts.workDir!) : makeWorkDir('bnnc-cocotb-');
  makeDirs(workDir);
  const resultsXml = path.join(workDir, 'results.xml');
  fs.rmSync(resultsXml, { force: true });

  const args = [
    path.join(COCOTB_SIM_DIR, 'run.py'),
    '--rtl-dir',
    path.resolve(opts.rtlDir),
    '--vectors',
    path.resolve(opts.vectorsPath),
    '--work-dir',
    workDir,
    '--results',
    resultsXml,
    '--seed',
    String(seed),
    '--sim',
    simulator,
  ];
  if (opts.limit !== undefined) args.push('--limit', String(opts.limit));
  if (opts.tests && opts.tests.length > 0) args.push('--tests', opts.tests.join(','));
  if (opts.resultBeats !== undefined) args.push('--result-beats', String(opts.resultBeats));
  if (opts.stallCycles !== undefined) args.push('--stall-cycles', String(opts.stallCycles));
  if (opts.waves) args.push('--waves');

  try {
    const run = await runLogged(python.command, args, workDir, {
      ...env,
      PYTHONDONTWRITEBYTECODE: '1',
      COCOTB_ANSI_OUTPUT: '0',
    }, opts.onOutput ?? ((line) => process.stderr.write(line + '\n')));

    if (run.code === EXIT_INPUT) {
      const tagged = run.tail.find((l) => l.startsWith(INPUT_ERROR_TAG));
      if (tagged) {
        throw reportedInputError(tagged.slice(INPUT_ERROR_TAG.length));
      }
    }
    if (run.code === EXIT_BUILD) {
      throw new ToolFailedError(simulator === 'icarus' ? 'iverilog' : 'verilator', `build of ${opts.rtlDir} failed:\n${run.tail.slice(-30).join('\n')}`);
    }
    if (!fs.existsSync(resultsXml)) {
      throw new ToolFailedError('cocotb', `no results.xml (exit ${run.code ?? run.signal}):\n${run.tail.slice(-30).join('\n')}`);
    }
    const tests = readJunit(fs.readFileSync(resultsXml, 'utf8'), resultsXml).map((c): CocotbTestResult => {
      const r: CocotbTestResult = { name: c.name, status: c.status, seconds: c.time };
      const sim = Number(c.properties.sim_time_duration);
      if (Number.isFinite(sim) && c.properties.sim_time_unit === 'ns') r.simTimeNs = sim;
      if (c.message !== undefined) r.message = c.message;
      if (c.detail !== undefined) r.detail = c.detail;
      const m = IMAGE_REF.exec(c.message ?? '');
      if (m) {
        r.imageIndex = Number(m[1]);
        if (m[2] !== undefined) r.recordIndex = Number(m[2]);
      }
      return r;
    });
    const expected = opts.tests && opts.tests.length > 0 ? opts.tests : [...COCOTB_TESTS];
    const ran = new Set(tests.map((t) => t.name));
    const missing = expected.filter((t) => !ran.has(t));
    if (missing.length > 0) {
      throw new ToolFailedError('cocotb', `results.xml lacks ${missing.join(', ')} (exit ${run.code ?? run.signal}):\n${run.tail.slice(-30).join('\n')}`);
    }
    const failures = tests.filter((t) => t.status === 'failed' || t.status === 'error');
    if (run.code !== 0 && failures.length === 0) {
      throw new ToolFailedError('cocotb', `exit ${run.code ?? run.signal} with every test passed:\n${run.tail.slice(-30).join('\n')}`);
    }
    return {
      ok: failures.length === 0 && tests.every((t) => t.status === 'passed'),
      simulator,
      seed,
      limit: opts.limit,
      python: python.command,
      cocotbVersion: python.cocotbVersion,
      simulatorVersion,
      tests,
      failures,
      resultsXml: keep ? resultsXml : undefined,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    if (!keep) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

interface LoggedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of output (stdout and stderr interleaved as they arrived). */
  tail: string[];
}

const TAIL_LINES = 200;

/** Spawn, pass each output line to `onLine` as it arrives, keep the tail for messages. */
function runLogged(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<LoggedRun> {
  return new Promise((resolve, reject) => {
    const child = spawnGroup(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const pending = { stdout: '', stderr: '' };
    const take = (which: 'stdout' | 'stderr', chunk: Buffer, flush = false): void => {
      pending[which] += chunk.toString('utf8');
      const lines = pending[which].split('\n');
      pending[which] = flush ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (flush && line === '') continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        onLine(line);
      }
    };
    child.stdout.on('data', (c: Buffer) => take('stdout', c));
    child.stderr.on('data', (c: Buffer) => take('stderr', c));
    child.on('error', (e) => reject(new ToolFailedError(command, e.message)));
    child.on('close', (code, signal) => {
      take('stdout', Buffer.alloc(0), true);
      take('stderr', Buffer.alloc(0), true);
      resolve({ code, signal, tail });
    });
  });
}
