/**
 * Names from a model are user data. They must come out as legal, unique, non-reserved
 * Verilog identifiers, never reach a template unchecked, and never steer a file out of
 * the output directory.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { designNames, emitDesign } from '../src/emit/emit.js';
import { assertPlainFileName, isSafeIdentifier, isVerilogKeyword, sanitizeIdentifier, UniqueNames } from '../src/emit/sanitize.js';
import { assertTemplateSafe } from '../src/emit/view.js';
import { InputError } from '../src/errors.js';
import { planHardware } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-emit-names-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('sanitizeIdentifier', () => {
  it('makes legal identifiers', () => {
    const cases: [string, string][] = [
      ['sfc', 'sfc'],
      ['my net-1', 'my_net_1'],
      ['1abc', 'net_1abc'],
      ['', 'net'],
      ['___', 'net'],
      ['a; endmodule', 'a_endmodule'],
      ['a;\nendmodule\nmodule evil(', 'a_endmodule_module_evil'],
      ['../../etc/passwd', 'etc_passwd'],
      ['r\u00e9sum\u00e9', 'r_sum'],
      ['$display', 'display'],
      ['\\escaped ', 'escaped'],
      ['`define X', 'define_X'],
      ['bnnc_rom', 'net_bnnc_rom'],
      ['BNNC_top', 'net_BNNC_top'],
    ];
    for (const [raw, want] of cases) {
      const got = sanitizeIdentifier(raw);
      expect(got, JSON.stringify(raw)).toBe(want);
      expect(isSafeIdentifier(got)).toBe(true);
    }
  });

  it('avoids Verilog and SystemVerilog keywords', () => {
    for (const kw of ['module', 'wire', 'reg', 'input', 'logic', 'always_ff', 'endmodule', 'begin', 'class', 'interface', 'xor']) {
      expect(isVerilogKeyword(kw)).toBe(true);
      const s = sanitizeIdentifier(kw);
      expect(s).toBe(`${kw}_`);
      expect(isVerilogKeyword(s)).toBe(false);
      expect(isSafeIdentifier(s)).toBe(true);
    }
    // A name that becomes a keyword only after cutting.
    expect(sanitizeIdentifier('modulex', 6)).toBe('modul_');
  });

  it('limits length', () => {
    const s = sanitizeIdentifier('x'.repeat(100), 32);
    expect(s).toHaveLength(32);
    expect(sanitizeIdentifier('ab_'.repeat(20), 10)).toBe('ab_ab_ab_a');
  });

  it('uniquifies ignoring case, within the length limit', () => {
    const u = new UniqueNames(8, 'layer');
    expect(['fc', 'fc', 'FC', 'f c', 'abcdefghij', 'abcdefgh', 'abcdefgh'].map((n) => u.take(n))).toEqual([
      'fc',
      'fc_2',
      'FC_3',
      'f_c',
      'abcdefgh',
      'abcdef_2',
      'abcdef_3',
    ]);
  });
});

describe('template views', () => {
  it('accept numbers, booleans and safe words only', () => {
    expect(() => assertTemplateSafe({ top: 'net', n: 3, ok: true, list: ['a.mem', 'b_1.v', '0.1.0'] })).not.toThrow();
    for (const bad of ['a b', 'x;y', 'q"', 'a\nb', '', '/etc', 'a//b', '(']) {
      expect(() => assertTemplateSafe({ x: bad }), JSON.stringify(bad)).toThrow(/not template-safe/);
    }
    expect(() => assertTemplateSafe({ n: 1.5 })).toThrow();
    expect(() => assertTemplateSafe({ n: -2 })).toThrow();
    expect(() => assertTemplateSafe({ deep: [{ lname: 'module' }] })).toThrow(/not a safe identifier/);
    expect(() => assertTemplateSafe({ top: '1x' })).toThrow(/not a safe identifier/);
    expect(() => assertTemplateSafe({ f: () => 1 })).toThrow();
  });

  it('file names stay plain', () => {
    for (const ok of ['a.v', 'net_fc1_w0.mem', 'manifest.json']) expect(() => assertPlainFileName(ok)).not.toThrow();
    for (const bad of ['../a.v', 'a/b.v', 'a\\b', '..', '.hidden', '']) expect(() => assertPlainFileName(bad), bad).toThrow();
  });
});

describe('names in a generated design', () => {
  it('an explicit top name must already be legal', () => {
    const f = randomFoldedMlp({ input: [2, 2, 1], hidden: [3], classes: 2, seed: 1 });
    const plan = planHardware(f, { kind: 'uniform', pe: 1, simd: 1 });
    expect(designNames(f, plan, 'my_top').top).toBe('my_top');
    for (const bad of ['a b', 'module', '1x', 'bnnc_top', 'x'.repeat(40), '../x']) {
      expect(() => designNames(f, plan, bad), bad).toThrow(InputError);
    }
  });

  it('hostile model and layer names produce a design that every tool accepts, inside the output directory', () => {
    const f = randomFoldedMlp({ input: [2, 3, 1], hidden: [4, 3], classes: 3, seed: 5, name: 'a;\nendmodule\nmodule evil(' });
    f.layers[0].name = 'module';
    f.layers[1].name = '../../../tmp/x';
    f.layers[2].name = 'TMP/X';
    const plan = planHardware(f, { kind: 'uniform', pe: 2, simd: 2 });
    const parent = path.join(work, 'hostile');
    fs.mkdirSync(parent);
    const out = path.join(parent, 'rtl');
    const m = emitDesign(f, plan, out);

    expect(m.top).toBe('a_endmodule_module_evil');
    expect(m.stages.map((s) => s.verilogName)).toEqual(['module_', 'tmp_x', 'TMP_X_2']);
    expect(m.stages.map((s) => s.name)).toEqual(['module', '../../../tmp/x', 'TMP/X']);
    // Everything landed in the output directory and nowhere else.
    expect(fs.readdirSync(parent)).toEqual(['rtl']);
    for (const name of fs.readdirSync(out)) expect(name).toMatch(/^[A-Za-z0-9_.]+$/);
    const verilog = m.files.verilog.map((v) => fs.readFileSync(path.join(out, v), 'utf8')).join('\n');
    expect(verilog).not.toMatch(/evil\(/);
    expect(verilog).not.toContain('../');
    // The tools agree the result is clean Verilog.
    execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', m.top, ...m.files.verilog], { cwd: out, stdio: 'pipe' });
    execFileSync('iverilog', ['-g2005', '-s', m.top, '-o', '/dev/null', ...m.files.verilog], { cwd: out, stdio: 'pipe' });
  });
});
