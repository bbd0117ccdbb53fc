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

// The bases are the golden design's manifest (test/golden/tiny2, written by
// src/emit/manifest.ts and kept current by test/emit-golden.test.ts), so the fuzzer
// mutates the format the writer produces today, not a hand-copied one that drifts.
const GOLDEN = JSON.parse(fs.readFileSync(new URL('../../golden/tiny2/manifest.json', import.meta.url), 'utf8')) as {
  files: { verilog: string[]; mem: string[]; folded: string | null; readme?: string };
};
const FILES = [...GOLDEN.files.verilog, ...GOLDEN.files.mem, GOLDEN.files.folded ?? 'folded.bnnf'];

/** The golden manifest, with and without the folded model. */
export const MANIFEST_BASES: unknown[] = [null, GOLDEN.files.folded].map((folded) => ({
  ...GOLDEN,
  files: { ...GOLDEN.files, folded },
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
