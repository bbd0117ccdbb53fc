/**
 * `bnnc compile` on ConvNets through the real CLI: a float ConvNet compiles (folded on
 * the fly) into a design whose manifest lists its conv, pool and dense stages; a conv
 * with padding, a conv with a stride, and a pool before the sign are each refused with
 * one line naming the layer, and leave no output directory behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDesign } from '../src/sim/design.js';
import { saveModel } from '../src/graph/io.js';
import { encodeSafetensors } from '../src/graph/safetensors.js';
import { MODEL_FORMAT, MODEL_VERSION, type Model } from '../src/graph/types.js';
import { Rng } from '../src/util/rng.js';
import { ensureCli, runCli } from './diff/cli.js';
import { buildNet } from './int-fixtures.js';

let work: string;
beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-conv-cli-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function convNet(): Model {
  return buildNet(new Rng(5), {
    name: 'tinycnv',
    input: [9, 9, 2],
    blocks: [
      { kind: 'conv', out: 5, k: 3, pool: 2 },
      { kind: 'conv', out: 6, k: 2 },
      { kind: 'dense', out: 4 },
    ],
  });
}

function save(name: string, m: Model): string {
  const file = path.join(work, `${name}.bnn`);
  saveModel(file, m);
  return file;
}

describe('bnnc compile on ConvNets', () => {
  it('compiles a float ConvNet: conv, pool, conv and dense stages; one pixel per input beat', async () => {
    const out = path.join(work, 'ok');
    const r = await runCli(['compile', save('ok', convNet()), '--out', out, '--target-cycles', '300']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/conv 3x3, pixels -> bits/);
    expect(r.stdout).toMatch(/max-pool 2x2 of 7x7x5/);
    const d = readDesign(out);
    expect(d.stages.map((s) => s.kind)).toEqual(['mvtu', 'pool', 'mvtu', 'mvtu']);
    expect(d.inPix).toBe(2);
    const m = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.input.imageBuffer).toBe('none');
    expect(m.stages[0].feed).toMatchObject({ kind: 'window', width: 9, height: 9, channels: 2, kernel: 3, lineBits: 9 * 2 * 2 * 8 });
    expect(m.stages[3].feed).toMatchObject({ kind: 'flatten', beats: 4, beatBits: 6 });
    expect(m.files.verilog).toEqual(expect.arrayContaining(['bnnc_swu.v', 'bnnc_pool.v', 'bnnc_flat_buffer.v']));
  });

  const bad: [string, (m: Model) => void, RegExp][] = [
    [
      'a convolution with padding',
      (m) => {
        (m.graph.layers.find((l) => l.kind === 'conv2d') as { padding: number }).padding = 1;
      },
      /conv0/,
    ],
    [
      'a convolution with a stride',
      (m) => {
        (m.graph.layers.find((l) => l.kind === 'conv2d') as unknown as { stride: number }).stride = 2;
      },
      /conv0/,
    ],
    [
      'a pool before the sign',
      (m) => {
        const ls = m.graph.layers;
        const pool = ls.findIndex((l) => l.kind === 'maxpool');
        const [p] = ls.splice(pool, 1);
        ls.splice(1, 0, p); // right after conv0, before its batch norm and sign
      },
      /pool/,
    ],
  ];
  for (const [what, edit, names] of bad) {
    it(`refuses ${what} with one line naming the layer, and writes nothing`, async () => {
      const m = convNet();
      edit(m);
      const file = path.join(work, `bad-${what.replace(/\W+/g, '_')}.bnn`);
      // The writer refuses such graphs, so the bytes are put together here.
      const metadata = { format: MODEL_FORMAT, version: String(MODEL_VERSION), graph: JSON.stringify(m.graph) };
      fs.writeFileSync(file, encodeSafetensors(m.tensors, metadata));
      const out = path.join(work, `bad-out-${what.replace(/\W+/g, '_')}`);
      const r = await runCli(['compile', file, '--out', out]);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(names);
      expect(fs.existsSync(out)).toBe(false);
    });
  }
});
