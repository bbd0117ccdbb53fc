/**
 * The smallest inputs the loader fuzzers found that a loader mishandles, one test each,
 * so that each finding reads as a plain failing case (and stays fixed once fixed).
 * docs/robustness.md lists them with the file and line that throws.
 *
 * Deeply nested JSON: a value nested DEPTH levels inside an otherwise valid file. The
 * loaders reject the value, but build the error message with JSON.stringify or String,
 * which recurse and overflow the stack (RangeError) long before the message is built.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { decodeModel } from '../../src/graph/io.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/graph/safetensors.js';
import { parseFoldingJson } from '../../src/hw/folding.js';
import { decodeFolded } from '../../src/int/serialize.js';
import { buildModel } from '../../src/nn/arch.js';
import { floatTensor, tensorValues } from '../../src/onnx/tensor.js';
import { readDesign } from '../../src/sim/design.js';
import { parseResults } from '../../src/sim/results.js';
import { readStageTaps } from '../../src/sim/vcd.js';
import { mlpGraph, tinyMlp } from '../fixtures/graph/models.js';
import { joinSafetensors, splitSafetensors } from './formats.js';
import { FOLDED_BASES } from './specs/int.js';
import { MANIFEST_BASES } from './specs/design.js';
import { vcdBase } from './specs/sim.js';

/** Far past the ~5000 levels at which Node's default 1 MB stack overflows in JSON.stringify. */
const DEPTH = 10_000;
const DEEP = '['.repeat(DEPTH) + ']'.repeat(DEPTH);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-fuzz-regress-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let files = 0;
function file(name: string, content: string | Uint8Array): string {
  const dir = path.join(tmp, String(files++));
  fs.mkdirSync(dir);
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** The error `fn` throws (or resolves to), so that the test can name what it got. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function expectInputError(fn: () => unknown, message?: RegExp): Promise<void> {
  const e = await thrown(fn);
  expect(e === undefined ? 'accepted' : `${(e as Error).constructor.name}: ${(e as Error).message.slice(0, 200)}`).toMatch(/^InputError: /);
  expect(e).toBeInstanceOf(InputError);
  if (message) expect((e as Error).message).toMatch(message);
}

describe('deeply nested JSON values are InputErrors, not stack overflows', () => {
  it('safetensors: a tensor shape nested 10 000 deep (src/graph/safetensors.ts checkEntry)', async () => {
    const header = `{"t":{"dtype":"F32","shape":${DEEP},"data_offsets":[0,0]}}`;
    await expectInputError(() => decodeSafetensors(joinSafetensors(header, new Uint8Array(0)), 'deep.safetensors'), /shape/);
  });

  it('model: a graph field nested 10 000 deep (src/graph/validate.ts show)', async () => {
    const graph = JSON.stringify(mlpGraph()).replace('"height":3', `"height":${DEEP}`);
    const bytes = encodeSafetensors(tinyMlp().tensors, { format: 'bnnc-model', version: '1', graph });
    await expectInputError(() => decodeModel(bytes, 'deep.bnn'), /input\.height/);
  });

  it('folding JSON: a document nested 10 000 deep (src/hw/folding.ts describe)', async () => {
    await expectInputError(() => parseFoldingJson(DEEP, 'deep.json'));
  });

  it('folded model: model.input nested 10 000 deep (src/int/check.ts checkFolded)', async () => {
    const { header, data } = splitSafetensors(FOLDED_BASES[0]);
    const h = JSON.parse(header) as { __metadata__: { model: string } };
    const model = h.__metadata__.model.replace(/"input":\[[0-9,]+\]/, `"input":${DEEP}`);
    const bytes = joinSafetensors(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, model } }), data);
    await expectInputError(() => decodeFolded(bytes, 'deep.bnnf'), /input/);
  });

  it('folded model: a layer kind nested 10 000 deep (src/int/serialize.ts decodeFolded)', async () => {
    const { header, data } = splitSafetensors(FOLDED_BASES[0]);
    const h = JSON.parse(header) as { __metadata__: { model: string } };
    const model = h.__metadata__.model.replace('"kind":"dense"', `"kind":${DEEP}`);
    const bytes = joinSafetensors(JSON.stringify({ ...h, __metadata__: { ...h.__metadata__, model } }), data);
    await expectInputError(() => decodeFolded(bytes, 'deep.bnnf'), /kind/);
  });

  it('manifest.json: top nested 10 000 deep (src/sim/design.ts str)', async () => {
    const base = JSON.stringify(MANIFEST_BASES[0]);
    expect(base).toContain('"top":"tiny2"');
    const dir = path.dirname(file('manifest.json', base.replace('"top":"tiny2"', `"top":${DEEP}`)));
    await expectInputError(() => readDesign(dir), /top/);
  });

  it('architecture JSON: a bias nested 10 000 deep (src/nn/arch.ts parseJson)', async () => {
    const f = file('arch.json', `[{"type":"fc","units":3,"bias":${DEEP}}]`);
    const input = { height: 2, width: 2, channels: 1, pixelScale: 1, pixelOffset: 0 };
    await expectInputError(() => buildModel(f, { input, classes: 3, seed: 1 }), /bias/);
  });
});

describe('other malformed inputs the fuzzers found', () => {
  it('manifest.json holding `null` (src/sim/design.ts: TypeError reading null.format)', async () => {
    const dir = path.dirname(file('manifest.json', 'null'));
    await expectInputError(() => readDesign(dir));
  });

  it('results file: a class count of 400 digits (src/sim/results.ts: RangeError, typed array of Infinity)', async () => {
    await expectInputError(() => parseResults(`BNNR 1\nframes 4 classes ${'9'.repeat(400)} inpix 1 beats_per_frame 16\n`, 'r.txt'), /classes/);
  });

  it('results file: a cycle stamp of 1e308 (src/sim/results.ts accepts it; not a cycle count)', async () => {
    const text = 'BNNR 1\nframes 1 classes 2 inpix 4 beats_per_frame 1\nB 0 0 1e308 40 1 5 -5\nend cycles 60 sim_seconds 0.1 timeout 0 frames_in 1 beats 1 reset_ready 0\n';
    await expectInputError(() => parseResults(text, 'r.txt'));
  });

  it('results file: frames_in 2^53 + 1 (src/sim/results.ts accepts it, read back as 2^53)', async () => {
    const text = 'BNNR 1\nframes 1 classes 2 inpix 4 beats_per_frame 1\nB 0 0 0 40 1 5 -5\nend cycles 60 sim_seconds 0.1 timeout 0 frames_in 9007199254740993 beats 1 reset_ready 0\n';
    await expectInputError(() => parseResults(text, 'r.txt'));
  });

  it('results file: a score of 2^32 (src/sim/results.ts stores it in an Int32Array as 0)', async () => {
    const text = 'BNNR 1\nframes 1 classes 2 inpix 4 beats_per_frame 1\nB 0 0 0 40 1 4294967296 -5\nend cycles 60 sim_seconds 0.1 timeout 0 frames_in 1 beats 1 reset_ready 0\n';
    await expectInputError(() => parseResults(text, 'r.txt'));
  });

  it('VCD: a negative tap width (src/sim/vcd.ts accepts it, with 0-word beats)', async () => {
    const f = file('neg.vcd', vcdBase(3, true).replace('$var wire 8 % stage0_tdata [7:0] $end', '$var wire -1 % stage0_tdata $end'));
    await expectInputError(() => readStageTaps(f), /-1/);
  });

  it('VCD: a time stamp that is not a number (src/sim/vcd.ts returns beats at cycle NaN)', async () => {
    const f = file('nan.vcd', vcdBase(3, true).replace('#15\n', '#Infinity\n'));
    await expectInputError(() => readStageTaps(f), /Infinity/);
  });
});

describe('ONNX importer', () => {
  it('a tensor whose dims promise 16 M values but whose raw data holds 60 is refused before the values are allocated', () => {
    // make fuzz found it: src/onnx/tensor.ts allocated the Float64Array (here 128 MiB) before checking raw_data's length.
    const t = floatTensor('fc1.weight', [4096, 4096], new Float32Array(60));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => tensorValues(t, 'm.onnx', 'initializer "fc1.weight"')).toThrow(
      /m\.onnx: initializer "fc1\.weight"\.raw_data: expected 67108864 bytes \(dims \[4096, 4096\]\), got 240 bytes/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
