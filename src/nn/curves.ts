/**
 * Training curves written beside a trained model: the per-epoch history as JSON (this
 * file, with its reader) and drawn by the report's curves chart (src/report/charts.ts),
 * the one drawing of them, used by `bnnc train` for <out>.curves.svg and by `bnnc report`.
 */
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import { readRegularFile } from '../util/inputs.js';
import type { EpochRecord } from './train.js';

export interface CurvesInfo {
  /** Shown in the title: architecture, dataset... */
  title: string;
  bestEpoch: number;
}

export function curvesJson(history: EpochRecord[], info: CurvesInfo & Record<string, unknown>): string {
  return JSON.stringify({ ...info, epochs: history }, null, 2) + '\n';
}

export interface Curves extends CurvesInfo {
  epochs: EpochRecord[];
}

const EPOCH_FIELDS = ['epoch', 'loss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'lr', 'seconds', 'samplesPerSecond'] as const;

/** Read <model>.curves.json, checking every field of every epoch. */
export function readCurves(file: string): Curves {
  const raw = parseJsonStrict(readRegularFile(file, 'training curves (<model>.curves.json, written by bnnc train)', 'utf8'), file, 'JSON');
  if (!isPlainObject(raw)) throw new InputError(file, 'JSON', 'an object', describeValue(raw));
  if (typeof raw.title !== 'string') throw new InputError(file, 'title', 'a string', describeValue(raw.title));
  if (!Array.isArray(raw.epochs) || raw.epochs.length === 0) throw new InputError(file, 'epochs', 'a non-empty list', describeValue(raw.epochs));
  const epochs = raw.epochs.map((e: unknown, i: number): EpochRecord => {
    if (!isPlainObject(e)) throw new InputError(file, `epochs[${i}]`, 'an object', describeValue(e));
    for (const k of EPOCH_FIELDS) {
      const v = e[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(file, `epochs[${i}].${k}`, 'a finite number', describeValue(v));
    }
    return Object.fromEntries(EPOCH_FIELDS.map((k) => [k, e[k]])) as unknown as EpochRecord;
  });
  const best = raw.bestEpoch;
  if (!epochs.some((e) => e.epoch === best)) throw new InputError(file, 'bestEpoch', 'one of the epochs listed', describeValue(best));
  return { title: raw.title, bestEpoch: best as number, epochs };
}
