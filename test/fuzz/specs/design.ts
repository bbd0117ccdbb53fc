/**
 * Fuzz spec for the RTL directory reader: src/sim/design.ts readDesign (manifest.json
 * of a compiled design, src/emit/manifest.ts). The directory holds the files a valid
 * manifest names; each input replaces manifest.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { readDesign, type DesignInfo } from '../../../src/sim/design.js';
import { ensure } from '../formats.js';
import { showText, smallerText, type LoaderFuzz } from '../harness.js';
import { mutatedJson } from '../mutate-json.js';
import { mutatedText } from '../mutate-text.js';
import { scratchDir } from '../scratch.js';

const FILES = ['bnnc_mvtu.v', 'tiny_fc1_rom.v', 'tiny.v', 'tiny_fc1_w0.mem', 'tiny_fc1_p0.mem', 'tiny_fc2_w0.mem', 'tiny.bnnf'];

function stage(index: number, name: string, mh: number, mw: number, output: 'threshold' | 'scores', tapWidth: number): Record<string, unknown> {
  return {
    index, name, verilogName: name, kind: 'mvtu', input: index === 0 ? 'pixels' : 'bits', output,
    mw, mh, pe: 2, simd: 4, nf: Math.ceil(mh / 2), sf: Math.ceil(mw / 4), ii: Math.ceil(mh / 2) * Math.ceil(mw / 4),
    latency: 10, accWidth: 12, mulWidth: 8, paramWidth: 12, weightBits: mh * mw, paramBits: 12 * mh,
    tap: { tdata: `stage${index}_tdata`, tvalid: `stage${index}_tvalid`, tready: `stage${index}_tready`, width: tapWidth },
  };
}

/** A manifest shaped like src/emit/manifest.ts writes it, for a 12-5-3 MLP. */
export const MANIFEST_BASES: unknown[] = [null, 'tiny.bnnf'].map((folded) => ({
  format: 'bnnc-rtl',
  version: 1,
  bnncVersion: '0.1.0',
  top: 'tiny',
  model: { name: 'tiny mlp', hash: 'ab'.repeat(32), input: [3, 4, 1], classes: 3 },
  files: { verilog: FILES.slice(0, 3), mem: FILES.slice(3, 6), folded, readme: 'README.md' },
  workingDirectory: 'ROM images are loaded by relative file name.',
  ports: [{ name: 'clk', direction: 'input', width: 1 }],
  input: { pixels: 12, order: 'HWC', inPix: 4, beats: 3, beatBits: 32, packing: 'pixel i in beat i/4', imageBuffer: 'ram' },
  output: { beatBits: 112, classes: 3, classOffset: 0, classBits: 16, scoreOffset: 16, scoreBits: 32, scoreStride: 32, scoreSigned: true, tlast: '1' },
  stages: [stage(0, 'fc1', 5, 12, 'threshold', 5), stage(1, 'fc2', 3, 5, 'scores', 112)],
  cycles: { ii: 9, latency: 30, inputII: 3, mvtuOverhead: 4, bottleneck: 'fc1' },
  estimate: { luts: 100 },
}));

/** The RTL directory with every file the base manifests name. */
export function rtlDir(): string {
  const dir = path.join(scratchDir(), 'rtl');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    for (const f of FILES) fs.writeFileSync(path.join(dir, f), '');
  }
  return dir;
}

export const designSpec: LoaderFuzz<string> = {
  name: 'manifest',
  file: 'src/sim/design.ts',
  inputs: fc.oneof(
    { weight: 4, arbitrary: mutatedJson(MANIFEST_BASES) },
    { weight: 1, arbitrary: mutatedText(MANIFEST_BASES.map((m) => JSON.stringify(m, null, 2)), ['{', '}', '[', ']', ',', '"', 'null', '../', '.hidden', 'NaN']) },
  ),
  size: (t) => t.length,
  show: (t) => showText(t),
  bases: MANIFEST_BASES.map((m) => JSON.stringify(m, null, 2)),
  load: (t) => {
    const dir = rtlDir();
    fs.writeFileSync(path.join(dir, 'manifest.json'), t);
    return readDesign(dir);
  },
  sources: () => [rtlDir()],
  smaller: smallerText,
  accept(value) {
    const d = value as DesignInfo;
    const positive = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
    ensure([d.pixels, d.inPix, d.classes, d.ii, d.latency].every(positive), 'a size that is not a positive integer');
    ensure(d.stages.length > 0 && d.stages.every((s, k) => s.index === k && (s.kind === 'pool' ? [s.size, s.tapWidth] : [s.mh, s.mw, s.pe, s.simd, s.nf, s.sf, s.tapWidth]).every(positive)), 'a stage field out of range');
    ensure([...d.sources, ...d.memFiles].every((f) => f === path.basename(f) && fs.existsSync(path.join(d.rtlDir, f))), 'a file outside the RTL directory or missing');
  },
};

export const SPECS: Record<string, LoaderFuzz<string>> = { manifest: designSpec };
