/**
 * bnnc export and bnnc import, run in-process: files written, one-line refusals, no
 * output over the input, nothing left behind on a refusal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ArgumentsCamelCase } from 'yargs';
import exportCommand from '../src/commands/export.js';
import importCommand from '../src/commands/import.js';
import { InputError, OutputConflictError } from '../src/errors.js';
import { loadModel, modelHash, saveModel } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { tinyCnn } from './fixtures/graph/models.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-onnx-cmd-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(handler: unknown, args: Record<string, unknown>): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  try {
    await (handler as (a: ArgumentsCamelCase<Record<string, unknown>>) => unknown)({ _: [], $0: 'bnnc', ...args });
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('bnnc export / bnnc import', () => {
  const src = path.join(dir, 'cnn.bnn');
  saveModel(src, tinyCnn());
  const onnx = path.join(dir, 'cnn.onnx');
  const back = path.join(dir, 'back.bnn');

  it('export then import gives a model with the same predictions', async () => {
    expect(await run(exportCommand.handler, { model: src, out: onnx, inputScale: '1/255' })).toMatch(/exported .*cnn\.onnx/);
    const out = await run(importCommand.handler, { model: onnx, out: back, inputScale: '1/255' });
    expect(out).toMatch(/imported .*back\.bnn \(cnn, sha256/);
    expect(out).toMatch(/conv 3x3 2 -> 4/);
    const a = loadModel(src);
    const b = loadModel(back);
    const px = new Uint8Array(8 * 6 * 6 * 2).map((_, i) => (i * 37) % 256);
    const fa = foldModel(a, modelHash(a));
    const fb = foldModel(b, modelHash(b));
    expect(Array.from(inferIntBatch(fb, px, 8).scores)).toEqual(Array.from(inferIntBatch(fa, px, 8).scores));
  });

  it('refuses to write over the input and bad options, in one line, writing nothing', async () => {
    await expect(run(importCommand.handler, { model: onnx, out: onnx, inputScale: '1/255' })).rejects.toThrow(/refusing to write the model file over the ONNX model .*\(the same file\)/);
    await expect(run(exportCommand.handler, { model: src, out: src, inputScale: '1/255' })).rejects.toThrow(OutputConflictError);
    await expect(run(importCommand.handler, { model: onnx, out: path.join(dir, 'x.bnn'), inputScale: '-2' })).rejects.toThrow(/--input-scale/);
    await expect(run(importCommand.handler, { model: onnx, out: path.join(dir, 'x.bnn'), inputScale: '1/255', inputShape: '6x6x3' })).rejects.toThrow(/--input-shape: expected 6x6x2/);
    await expect(run(importCommand.handler, { model: path.join(dir, 'missing.onnx'), out: path.join(dir, 'x.bnn'), inputScale: '1/255' })).rejects.toThrow(/missing\.onnx: file: expected an ONNX model file, got no such file/);
    fs.writeFileSync(path.join(dir, 'junk.onnx'), 'not a model at all');
    await expect(run(importCommand.handler, { model: path.join(dir, 'junk.onnx'), out: path.join(dir, 'x.bnn'), inputScale: '1/255' })).rejects.toThrow(/junk\.onnx/);
    expect(fs.existsSync(path.join(dir, 'x.bnn'))).toBe(false);
  });
});
