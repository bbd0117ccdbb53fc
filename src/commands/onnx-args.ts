/** Options shared by `bnnc import` and `bnnc export`. */
import path from 'node:path';
import { InputError } from '../errors.js';

/** "1/255", "0.5" or "1" -> a positive finite number. */
export function parseInputScale(s: string): number {
  const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+)\s*)?$/.exec(s);
  const v = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!(Number.isFinite(v) && v > 0)) throw new InputError('command line', '--input-scale', 'a positive number or fraction (e.g. 1/255)', s);
  return v;
}

/** An output that would overwrite the input is refused before anything is read. */
export function refuseSamePath(input: string, out: string): void {
  if (path.resolve(input) === path.resolve(out)) throw new InputError('command line', '--out', `a file other than the input ${input}`, out);
}
