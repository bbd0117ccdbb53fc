/**
 * The emitter's output: golden text for a tiny 2-layer design (kept small and
 * readable; regenerate with BNNC_UPDATE_GOLDEN=1 after an intended change and review
 * the diff), byte-identical output for identical inputs, ROM images that decode back
 * to the folded model, and no partial directory when emission fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign, renderDesign } from '../src/emit/emit.js';
import { sha256Hex } from '../src/emit/manifest.js';
import { RTL_DIR } from '../src/emit/templates.js';
import { InputError } from '../src/errors.js';
import { planHardware, mvtuStages } from '../src/hw/plan.js';
import { randomFoldedMlp } from '../src/hw/random-model.js';
import { clampThreshold } from '../src/hw/widths.js';
import { getBit } from '../src/int/bits.js';
import { loadFolded } from '../src/int/serialize.js';
import type { FoldedMatrixLayer } from '../src/int/types.js';
import { wordsPerRow } from '../src/int/types.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-emit-golden-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const GOLDEN_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'golden', 'tiny2');
const GOLDEN_FILES = ['tiny2.v', 'tiny2_fc2_rom.v', 'tiny2_fc1_w0.mem', 'tiny2_fc2_p1.mem', 'manifest.json'];

function tiny2() {
  const f = randomFoldedMlp({ input: [2, 3, 1], hidden: [4], classes: 3, seed: 11, name: 'tiny2' });
  // MW 6 on SIMD 4 and MH 3 on PE 2 exercise synapse and neuron padding.
  const plan = planHardware(f, { kind: 'perLayer', layers: [{ pe: 2, simd: 4 }, { pe: 2, simd: 3 }], source: 'golden' });
  return { f, plan };
}

function readDir(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir).sort()) m.set(name, fs.readFileSync(path.join(dir, name)));
  return m;
}

describe('golden text', () => {
  it('tiny 2-layer design', () => {
    const { f, plan } = tiny2();
    const { files } = renderDesign(f, plan, { version: 'golden' });
    if (process.env.BNNC_UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN_DIR, { recursive: true });
      for (const name of GOLDEN_FILES) fs.writeFileSync(path.join(GOLDEN_DIR, name), files.get(name)!);
    }
    for (const name of GOLDEN_FILES) {
      expect(files.get(name), name).toBeDefined();
      expect(String(files.get(name)), name).toBe(fs.readFileSync(path.join(GOLDEN_DIR, name), 'utf8'));
    }
  });

  it('hand-written blocks are copied verbatim', () => {
    const { f, plan } = tiny2();
    const { files, manifest } = renderDesign(f, plan, { version: 'golden' });
    const blocks = manifest.files.verilog.filter((v) => v.startsWith('bnnc_'));
    expect(blocks).toEqual(['bnnc_rom.v', 'bnnc_pixel_input.v', 'bnnc_vec_buffer.v', 'bnnc_pe.v', 'bnnc_mvtu.v', 'bnnc_argmax.v']);
    for (const b of blocks) expect(files.get(b)).toBe(fs.readFileSync(path.join(RTL_DIR, b), 'utf8'));
    // A single-layer design needs no vector buffer.
    const one = randomFoldedMlp({ input: [2, 2, 1], hidden: [], classes: 2, seed: 3 });
    const r = renderDesign(one, planHardware(one, { kind: 'uniform', pe: 1, simd: 1 }));
    expect(r.manifest.files.verilog).not.toContain('bnnc_vec_buffer.v');
  });
});

describe('determinism and atomicity', () => {
  it('emitting twice gives identical bytes; re-emitting replaces the directory', () => {
    const f = randomFoldedMlp({ input: [4, 4, 1], hidden: [9, 7], classes: 5, seed: 21, name: 'det' });
    const plan = planHardware(f, { kind: 'uniform', pe: 3, simd: 5 });
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    const ma = emitDesign(f, plan, a);
    emitDesign(f, plan, b);
    const da = readDir(a);
    const db = readDir(b);
    expect([...da.keys()]).toEqual([...db.keys()]);
    for (const [name, bytes] of da) expect(bytes.equals(db.get(name)!), name).toBe(true);
    // Every file is accounted for in the manifest (plus itself).
    expect(ma.files.folded).toBe('folded.bnnf');
    // The copy of the folded model reads back as the model itself.
    expect(loadFolded(path.join(a, 'folded.bnnf'))).toEqual(f);
    const listed = [...ma.files.verilog, ...ma.files.mem, ma.files.readme, 'folded.bnnf', 'manifest.json'].sort();
    expect([...da.keys()]).toEqual(listed);
    // Every file but the manifest has its sha256 recorded, equal to the bytes written.
    expect(Object.keys(ma.files.sha256).sort()).toEqual(listed.filter((n) => n !== 'manifest.json'));
    for (const [name, hash] of Object.entries(ma.files.sha256)) expect(sha256Hex(da.get(name)!), name).toBe(hash);

    // A file the user put beside the design, or an edited one, stops the replacement.
    fs.writeFileSync(path.join(a, 'synth.ys'), 'my script');
    expect(() => emitDesign(f, plan, a)).toThrow(/synth\.ys is not listed in its manifest\.json/);
    expect(fs.readFileSync(path.join(a, 'synth.ys'), 'utf8')).toBe('my script');
    fs.rmSync(path.join(a, 'synth.ys'));
    const edited = ma.files.verilog[ma.files.verilog.length - 1];
    fs.appendFileSync(path.join(a, edited), '// my fix\n');
    expect(() => emitDesign(f, plan, a)).toThrow(new RegExp(`${edited.replace('.', '\\.')} changed since compile wrote it`));
    expect(fs.readFileSync(path.join(a, edited), 'utf8')).toMatch(/my fix/);
    fs.writeFileSync(path.join(a, edited), da.get(edited)!);
    fs.mkdirSync(path.join(a, 'runs'));
    expect(() => emitDesign(f, plan, a)).toThrow(/runs is not listed/);
    fs.rmdirSync(path.join(a, 'runs'));
    // Only its own, unchanged files: replaced.
    emitDesign(f, plan, a);
    const again = readDir(a);
    for (const [name, bytes] of da) expect(bytes.equals(again.get(name)!), name).toBe(true);
    expect(fs.readdirSync(work).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('refuses to replace a directory that is not an earlier design', () => {
    const f = randomFoldedMlp({ input: [2, 2, 1], hidden: [3], classes: 2, seed: 24 });
    const plan = planHardware(f, { kind: 'uniform', pe: 1, simd: 1 });
    const precious = path.join(work, 'precious');
    fs.mkdirSync(precious);
    fs.writeFileSync(path.join(precious, 'thesis.tex'), 'years of work');
    expect(() => emitDesign(f, plan, precious)).toThrow(/output directory: expected absent, empty, or an earlier output/);
    expect(fs.readFileSync(path.join(precious, 'thesis.tex'), 'utf8')).toBe('years of work');
    fs.writeFileSync(path.join(precious, 'manifest.json'), '{"format":"something-else"}');
    expect(() => emitDesign(f, plan, precious)).toThrow(InputError);
    // A project folder holding a copied manifest of a real design is still not a design.
    const real = path.join(work, 'real');
    emitDesign(f, plan, real);
    fs.copyFileSync(path.join(real, 'manifest.json'), path.join(precious, 'manifest.json'));
    expect(() => emitDesign(f, plan, precious)).toThrow(/thesis\.tex is not listed/);
    expect(fs.readFileSync(path.join(precious, 'thesis.tex'), 'utf8')).toBe('years of work');
    // A symbolic link to a design: the directory it points to is replaced, the link stays.
    const link = path.join(work, 'link');
    fs.symlinkSync(real, link);
    emitDesign(f, plan, link);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(real, 'manifest.json'))).toBe(true);
    fs.rmSync(link);
    fs.rmSync(real, { recursive: true });
    expect(() => emitDesign(f, plan, '.')).toThrow(/working directory/);
    expect(() => emitDesign(f, plan, path.dirname(process.cwd()))).toThrow(/working directory/);
    expect(() => emitDesign(f, plan, '/')).toThrow(/root/);
    fs.rmSync(precious, { recursive: true });
    // Empty directories are fine.
    fs.mkdirSync(precious);
    emitDesign(f, plan, precious);
    expect(fs.existsSync(path.join(precious, 'manifest.json'))).toBe(true);
    fs.rmSync(precious, { recursive: true });
  });

  it('a failure leaves no directory behind', () => {
    const f = randomFoldedMlp({ input: [4, 4, 1], hidden: [9], classes: 5, seed: 22 });
    const other = randomFoldedMlp({ input: [4, 4, 1], hidden: [8], classes: 5, seed: 23 });
    const plan = planHardware(other, { kind: 'uniform', pe: 3, simd: 5 });
    const out = path.join(work, 'fail', 'rtl');
    expect(() => emitDesign(f, plan, out)).toThrow(/does not belong/);
    expect(fs.existsSync(out)).toBe(false);
    const encodeFails = () => {
      throw new Error('disk full');
    };
    const good = planHardware(f, { kind: 'uniform', pe: 3, simd: 5 });
    expect(() => emitDesign(f, good, out, { encodeFolded: encodeFails })).toThrow(/disk full/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('ROM images', () => {
  it('decode back to the folded weights, thresholds and score parameters', () => {
    const f = randomFoldedMlp({ input: [3, 5, 1], hidden: [11, 7], classes: 6, seed: 31, name: 'rom' });
    const plan = planHardware(f, {
      kind: 'perLayer',
      layers: [{ pe: 4, simd: 6 }, { pe: 3, simd: 5 }, { pe: 4, simd: 3 }],
      source: 'test',
    });
    const { files, manifest } = renderDesign(f, plan);
    mvtuStages(plan).forEach((s, k) => {
      const layer = f.layers[k] as FoldedMatrixLayer;
      const name = manifest.stages[k].verilogName;
      const wpr = wordsPerRow(layer.cols);
      for (let p = 0; p < s.pe; p++) {
        const w = String(files.get(`rom_${name}_w${p}.mem`)).trimEnd().split('\n');
        const prm = String(files.get(`rom_${name}_p${p}.mem`)).trimEnd().split('\n');
        expect(w).toHaveLength(s.nf * s.sf);
        expect(prm).toHaveLength(s.nf);
        for (const line of w) expect(line).toMatch(new RegExp(`^[0-9a-f]{${Math.ceil(s.simd / 4)}}$`));
        for (let nf = 0; nf < s.nf; nf++) {
          const row = nf * s.pe + p;
          for (let sf = 0; sf < s.sf; sf++) {
            const word = BigInt(`0x${w[nf * s.sf + sf]}`);
            for (let j = 0; j < s.simd; j++) {
              const col = sf * s.simd + j;
              const want = row < s.mh && col < s.mw ? getBit(layer.weights, row * wpr * 32 + col) : 0;
              expect(Number((word >> BigInt(j)) & 1n), `layer ${k} row ${row} col ${col}`).toBe(want);
            }
          }
          const v = BigInt(`0x${prm[nf]}`);
          if (row >= s.mh) {
            expect(v).toBe(0n);
          } else if (layer.output.kind === 'threshold') {
            const t = Number(BigInt.asIntN(s.accWidth, v));
            const signedT = s.input === 'pixels' ? t : Number(v);
            expect(signedT).toBe(clampThreshold(layer.output.thresholds[row], s.input, s.mw));
          } else {
            expect(Number(BigInt.asIntN(32, v))).toBe(layer.output.add[row]);
            expect(Number(BigInt.asIntN(s.mulWidth, v >> 32n))).toBe(layer.output.mul[row]);
          }
        }
      }
    });
  });
});
