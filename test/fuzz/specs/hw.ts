/**
 * Fuzz spec for the folding JSON reader: src/hw/folding.ts parseFoldingJson.
 */
import fc from 'fast-check';
import { parseFoldingJson, type FoldingFile } from '../../../src/hw/folding.js';
import { ensure } from '../formats.js';
import { showText, smallerText, type LoaderFuzz } from '../harness.js';
import { mutatedJson } from '../mutate-json.js';
import { mutatedText } from '../mutate-text.js';

const FOLDING_BASES = [
  { layers: [{ pe: 2, simd: 4, name: 'fc1' }, { pe: 1, simd: 5 }, { pe: 10, simd: 1, name: 'fc3' }], inPix: 4 },
  { layers: [{ pe: 16, simd: 32 }] },
];
const FOLDING_TEXTS = FOLDING_BASES.map((b) => JSON.stringify(b, null, 2));

/** The file a parsed folding came from, written back in canonical form. */
export function writeFolding(f: FoldingFile): string {
  const layers = f.spec.layers.map((l, i) => {
    const name = f.spec.names?.[i];
    return name === undefined ? { pe: l.pe, simd: l.simd } : { pe: l.pe, simd: l.simd, name };
  });
  return JSON.stringify(f.inPix === undefined ? { layers } : { layers, inPix: f.inPix });
}

export const foldingSpec: LoaderFuzz<string> = {
  name: 'folding-json',
  file: 'src/hw/folding.ts',
  inputs: fc.oneof(
    { weight: 3, arbitrary: mutatedJson(FOLDING_BASES) },
    { weight: 1, arbitrary: mutatedText(FOLDING_TEXTS, ['{', '}', '[', ']', ',', ':', '"', '"pe"', '"simd"', '"layers"', '"inPix"', 'NaN', '1e400', '-1']) },
  ),
  size: (t) => t.length,
  show: (t) => showText(t),
  bases: FOLDING_TEXTS,
  load: (t) => parseFoldingJson(t, 'folding.json'),
  sources: () => ['folding.json'],
  smaller: smallerText,
  accept(value) {
    const f = value as FoldingFile;
    const positive = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
    ensure(f.spec.layers.length > 0, 'no layers accepted');
    ensure(f.spec.layers.every((l) => positive(l.pe) && positive(l.simd)), 'a pe / simd that is not a positive integer');
    ensure(f.inPix === undefined || positive(f.inPix), `inPix ${f.inPix}`);
    const text = writeFolding(f);
    ensure(writeFolding(parseFoldingJson(text, 're-written')) === text, 'folding differs after re-writing');
  },
};

export const SPECS: Record<string, LoaderFuzz<string>> = { 'folding-json': foldingSpec };
