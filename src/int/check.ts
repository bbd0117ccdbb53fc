/**
 * Validation of a folded model (what loadFolded reads, or any FoldedModel handed to the
 * hardware compiler): the layer chain is consistent, every array has the right size,
 * weight padding bits are 0 and every threshold and score fits the contract
 * (docs/integer-contract.md). Errors are InputErrors naming the field.
 */
import { InputError } from '../errors.js';
import { describeValue } from '../graph/json.js';
import type { Shape3 } from '../graph/types.js';
import { lastWordMask } from './bits.js';
import { MAX_FRAC_BITS, MUL_LIMIT, SCORE_LIMIT, accRange } from './threshold.js';
import { FOLDED_FORMAT, FOLDED_VERSION, FOLDED_VERSION_BINARY_INPUT, firstInput, type FoldedLayer, type FoldedModel, wordsPerRow } from './types.js';

/** Largest activation (h * w * c values) accepted from a file: far above any BinaryNet. */
export const MAX_ACTIVATION = 2 ** 26;

const sameShape = (a: Shape3, b: Shape3): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
const fmt = (s: Shape3): string => `[${s.join(', ')}]`;

export function isShape3(v: unknown): v is Shape3 {
  return Array.isArray(v) && v.length === 3 && v.every((d) => Number.isSafeInteger(d) && d >= 1) && v[0] * v[1] * v[2] <= MAX_ACTIVATION;
}

/** Throws an InputError (source = where the model came from) unless f is a valid folded model. */
export function checkFolded(f: FoldedModel, source: string): void {
  if (f.format !== FOLDED_FORMAT) throw new InputError(source, 'format', `"${FOLDED_FORMAT}"`, describeValue(f.format));
  const t = f.inputThreshold;
  if (t !== undefined && !(Number.isSafeInteger(t) && t >= 1 && t <= 255)) {
    throw new InputError(source, 'inputThreshold', 'an integer in 1..255', describeValue(t));
  }
  const version = t === undefined ? FOLDED_VERSION : FOLDED_VERSION_BINARY_INPUT;
  if (f.version !== version) {
    throw new InputError(source, 'version', `${version} (${t === undefined ? 'an 8-bit input' : 'a binarized input, inputThreshold'})`, describeValue(f.version));
  }
  if (typeof f.name !== 'string') throw new InputError(source, 'name', 'a string', typeof f.name);
  if (typeof f.sourceHash !== 'string') throw new InputError(source, 'sourceHash', 'a string', typeof f.sourceHash);
  if (!isShape3(f.input)) throw new InputError(source, 'input', `[h, w, c] positive integers, h*w*c <= ${MAX_ACTIVATION}`, describeValue(f.input));
  if (!(Number.isSafeInteger(f.classes) && f.classes >= 1)) throw new InputError(source, 'classes', 'a positive integer', describeValue(f.classes));
  if (!Array.isArray(f.layers) || f.layers.length === 0) throw new InputError(source, 'layers', 'a non-empty array', describeValue(f.layers));

  let shape: Shape3 = f.input;
  let prev: FoldedLayer | null = null;
  f.layers.forEach((l, i) => {
    const at = `layers[${i}]`;
    const isLast = i === f.layers.length - 1;
    if (typeof l.name !== 'string') throw new InputError(source, `${at}.name`, 'a string', typeof l.name);
    if (!isShape3(l.inShape) || !sameShape(l.inShape, shape)) {
      throw new InputError(source, `${at}.inShape`, `${fmt(shape)} (the previous output)`, describeValue(l.inShape));
    }
    if (!isShape3(l.outShape)) throw new InputError(source, `${at}.outShape`, '[h, w, c] positive integers', describeValue(l.outShape));
    const [h, w, c] = l.inShape;

    if (l.kind === 'maxpool') {
      if (isLast) throw new InputError(source, at, 'a scores layer last', 'maxpool');
      if (!prev || prev.kind === 'maxpool' || prev.output.kind !== 'threshold') {
        throw new InputError(source, at, 'a maxpool only right after a threshold layer', prev ? prev.kind : 'the input');
      }
      if (!(Number.isSafeInteger(l.size) && l.size >= 1 && l.size <= h && l.size <= w)) {
        throw new InputError(source, `${at}.size`, `an integer in 1..${Math.min(h, w)}`, describeValue(l.size));
      }
      const expected: Shape3 = [Math.floor(h / l.size), Math.floor(w / l.size), c];
      if (!sameShape(l.outShape, expected)) throw new InputError(source, `${at}.outShape`, fmt(expected), fmt(l.outShape));
    } else if (l.kind === 'dense' || l.kind === 'conv') {
      const expectInput = i === 0 ? firstInput(f) : 'bits';
      if (l.input !== expectInput) throw new InputError(source, `${at}.input`, `"${expectInput}"`, describeValue(l.input));
      if (!(Number.isSafeInteger(l.rows) && l.rows >= 1 && l.rows <= MAX_ACTIVATION)) {
        throw new InputError(source, `${at}.rows`, 'a positive integer', describeValue(l.rows));
      }
      const k = l.kernel;
      let cols: number;
      let expected: Shape3;
      if (l.kind === 'dense') {
        if (k !== 1) throw new InputError(source, `${at}.kernel`, '1 for a dense layer', describeValue(k));
        cols = h * w * c;
        expected = [1, 1, l.rows];
      } else {
        if (!(Number.isSafeInteger(k) && k >= 1 && k <= h && k <= w)) {
          throw new InputError(source, `${at}.kernel`, `an integer in 1..${Math.min(h, w)}`, describeValue(k));
        }
        cols = k * k * c;
        expected = [h - k + 1, w - k + 1, l.rows];
      }
      if (l.cols !== cols) throw new InputError(source, `${at}.cols`, String(cols), describeValue(l.cols));
      if (!sameShape(l.outShape, expected)) throw new InputError(source, `${at}.outShape`, fmt(expected), fmt(l.outShape));
      checkWeights(l.weights, l.rows, cols, source, `${at}.weights`);
      const { lo, hi } = accRange(l.input === 'bits' ? { kind: 'bits', cols } : { kind: 'pixels', cols, scale: 1, offset: 0, sumW: 0 });

      if (isLast) {
        if (l.output.kind !== 'scores') throw new InputError(source, `${at}.output.kind`, '"scores" in the last layer', describeValue(l.output.kind));
        if (l.rows !== f.classes) throw new InputError(source, `${at}.rows`, `${f.classes} (classes)`, describeValue(l.rows));
        if (l.outShape[0] !== 1 || l.outShape[1] !== 1) throw new InputError(source, `${at}.outShape`, `[1, 1, ${f.classes}]`, fmt(l.outShape));
        const { mul, add, fracBits } = l.output;
        if (!(Number.isSafeInteger(fracBits) && fracBits >= 0 && fracBits <= MAX_FRAC_BITS)) {
          throw new InputError(source, `${at}.output.fracBits`, `an integer in 0..${MAX_FRAC_BITS}`, describeValue(fracBits));
        }
        checkInt32(mul, l.rows, source, `${at}.output.mul`);
        checkInt32(add, l.rows, source, `${at}.output.add`);
        for (let r = 0; r < l.rows; r++) {
          if (!(Math.abs(mul[r]) < MUL_LIMIT)) throw new InputError(source, `${at}.output.mul[${r}]`, `|mul| < 2^20`, String(mul[r]));
          const extreme = Math.max(Math.abs(mul[r] * lo + add[r]), Math.abs(mul[r] * hi + add[r]));
          if (!(extreme < SCORE_LIMIT)) {
            throw new InputError(source, `${at}.output row ${r}`, `|mul * v + add| < 2^31 - 1 for v in [${lo}, ${hi}]`, String(extreme));
          }
        }
      } else {
        if (l.output.kind !== 'threshold') throw new InputError(source, `${at}.output.kind`, '"threshold" before the last layer', describeValue(l.output.kind));
        const t = l.output.thresholds;
        checkInt32(t, l.rows, source, `${at}.output.thresholds`);
        for (let r = 0; r < l.rows; r++) {
          if (!(t[r] >= lo && t[r] <= hi + 1)) throw new InputError(source, `${at}.output.thresholds[${r}]`, `an integer in [${lo}, ${hi + 1}]`, String(t[r]));
        }
      }
    } else {
      throw new InputError(source, `${at}.kind`, '"dense", "conv" or "maxpool"', describeValue((l as { kind: unknown }).kind));
    }
    shape = l.outShape;
    prev = l;
  });
}

function checkWeights(w: unknown, rows: number, cols: number, source: string, field: string): void {
  const wpr = wordsPerRow(cols);
  if (!(w instanceof Uint32Array) || w.length !== rows * wpr) {
    throw new InputError(source, field, `a Uint32Array of ${rows} x ${wpr} words`, w instanceof Uint32Array ? `${w.length} words` : typeof w);
  }
  if ((cols & 31) === 0) return;
  const unused = ~lastWordMask(cols) >>> 0;
  for (let r = 0; r < rows; r++) {
    if ((w[r * wpr + wpr - 1] & unused) !== 0) {
      throw new InputError(source, `${field} row ${r}`, `unused bits ${cols & 31}..31 of the last word 0`, `0x${w[r * wpr + wpr - 1].toString(16)}`);
    }
  }
}

function checkInt32(a: unknown, n: number, source: string, field: string): void {
  if (!(a instanceof Int32Array) || a.length !== n) {
    throw new InputError(source, field, `an Int32Array of ${n} values`, a instanceof Int32Array ? `${a.length} values` : typeof a);
  }
}
