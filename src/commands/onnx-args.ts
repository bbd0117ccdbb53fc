/** Options shared by `bnnc import` and `bnnc export`. */
import { InputError } from '../errors.js';
import { declareIo } from '../util/outputs.js';

/** "1/255", "0.5" or "1" -> a positive finite number. */
export function parseInputScale(s: string): number {
  const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/.exec(s);
  const v = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!(Number.isFinite(v) && v > 0)) throw new InputError('command line', '--input-scale', 'a positive number or fraction (e.g. 1/255)', s);
  return v;
}

/**
 * The one output of import / export, resolved and checked against its input before
 * anything is read (src/util/outputs.ts): returns its real path.
 */
export function declareModelIo(input: string, inputWhat: string, out: string, outWhat: string): string {
  return declareIo({ inputs: [{ path: input, what: inputWhat }], outputs: [{ path: out, what: outWhat, kind: 'file' }] })[0];
}
