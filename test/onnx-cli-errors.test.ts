/**
 * Malformed ONNX through the real CLI (`node dist/cli.js import`): a truncated file, a wrong
 * op set, a cycle, a tensor of the wrong size and unknown ops, each made from the Brevitas
 * TFC fixture, give exactly one line on stderr naming the file and what was expected,
 * exit code 1, nothing on stdout and no output file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx, type OnnxModel } from '../src/onnx/proto.js';
import { ensureCli, runCli } from './diff/cli.js';

const FIXTURE = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures', 'qonnx', 'tfc.onnx');

let work: string;
beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-onnx-errors-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const fixture = (): OnnxModel => decodeOnnx(fs.readFileSync(FIXTURE), 'tfc.onnx');
const node = (m: OnnxModel, name: string) => m.graph.node.find((n) => n.name === name)!;

const cases: [string, () => Uint8Array, RegExp][] = [
  ['truncated', () => fs.readFileSync(FIXTURE).subarray(0, 100_000), /: file: expected an ONNX model \(protobuf ModelProto\), got undecodable bytes/],
  [
    'wrong op set',
    () => {
      const m = fixture();
      m.opsetImport.find((o) => o.domain === '')!.version = 7;
      return encodeOnnx(m);
    },
    /: opset_import: expected ONNX op set 9\.\.25, got op set 7$/,
  ],
  [
    'a cycle',
    () => {
      const m = fixture();
      node(m, 'node_mul').input[0] = node(m, 'node_linear_1').output[0];
      return encodeOnnx(m);
    },
    /: node "node_\w+" \((Mul|Sub|Reshape|Gemm|BatchNormalization|BipolarQuant)\): expected an acyclic graph, got a cycle through this node$/,
  ],
  [
    'a tensor of the wrong size',
    () => {
      const m = fixture();
      const w = m.graph.initializer.find((t) => t.name === 'features.1.weight')!;
      w.rawData = w.rawData.subarray(0, w.rawData.length - 4);
      return encodeOnnx(m);
    },
    /: initializer "features\.1\.weight"\.raw_data: expected 200704 bytes/,
  ],
  [
    'an unknown standard op',
    () => {
      const m = fixture();
      node(m, 'node__symbolic_1').opType = 'Softsign';
      node(m, 'node__symbolic_1').domain = '';
      node(m, 'node__symbolic_1').input.length = 1;
      return encodeOnnx(m);
    },
    /: node "node__symbolic_1" \(Softsign\): expected a supported op \(Gemm, MatMul, Conv, .*\), got Softsign$/,
  ],
  [
    'an op of an unknown domain',
    () => {
      const m = fixture();
      node(m, 'node__symbolic_1').domain = 'com.example';
      return encodeOnnx(m);
    },
    /: node "node__symbolic_1" \(BipolarQuant\): expected an op of the ONNX or QONNX op sets, got domain "com\.example"$/,
  ],
];

describe('bnnc import of malformed ONNX: one line, exit 1, nothing written', () => {
  it('the unmodified fixture imports (the cases below differ from it in one thing)', async () => {
    const r = await runCli(['import', FIXTURE, '--out', path.join(work, 'ok.bnn')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(work, 'ok.bnn'))).toBe(true);
  });

  it.each(cases)('%s', async (name, make, line) => {
    const file = path.join(work, `${name.replace(/\W+/g, '-')}.onnx`);
    const out = path.join(work, `${name.replace(/\W+/g, '-')}.bnn`);
    fs.writeFileSync(file, make());
    const r = await runCli(['import', file, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0].startsWith(`bnnc: ${file}`)).toBe(true);
    expect(lines[0]).toMatch(line);
    expect(fs.existsSync(out)).toBe(false);
  });
});
