/**
 * Finding the external programs a Verilator run needs (verilator, a C++ compiler, make)
 * before starting one, so that a missing tool is a one-line ToolMissingError naming the
 * install command rather than a spawn error in the middle of a build.
 */
import { spawnSync } from 'node:child_process';
import { ToolMissingError, ToolFailedError } from '../errors.js';
import { TOOLS as TOOL_TABLE } from '../util/tools.js';

export interface ToolInfo {
  /** The command as it will be run (looked up on PATH). */
  command: string;
  /** First line of its version output. */
  version: string;
}

interface ToolSpec {
  command: string;
  versionArgs: string[];
  installHint: string;
}

const TOOLS = {
  verilator: {
    command: 'verilator',
    versionArgs: ['--version'],
    installHint: TOOL_TABLE.verilator.installHint,
  },
  'g++': { command: 'g++', versionArgs: ['--version'], installHint: TOOL_TABLE['g++'].installHint },
  make: { command: 'make', versionArgs: ['--version'], installHint: TOOL_TABLE.make.installHint },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

/** Run `<tool> --version`; throws ToolMissingError when the program is not on PATH. */
export function probeTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): ToolInfo {
  const spec: ToolSpec = TOOLS[name];
  const r = spawnSync(spec.command, spec.versionArgs, { env, encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') throw new ToolMissingError(spec.command, spec.installHint);
    throw new ToolFailedError(spec.command, r.error.message);
  }
  if (r.status !== 0) {
    throw new ToolFailedError(spec.command, `'${spec.command} ${spec.versionArgs.join(' ')}' exited with ${r.status}`);
  }
  const version = `${r.stdout}${r.stderr}`.split('\n')[0].trim();
  return { command: spec.command, version };
}

/** Everything a Verilator build needs; returns verilator's version line (part of the cache key). */
export function requireVerilatorTools(env: NodeJS.ProcessEnv = process.env): ToolInfo {
  const verilator = probeTool('verilator', env);
  probeTool('g++', env);
  probeTool('make', env);
  return verilator;
}
