/**
 * Synthesis results for the report, read from the report.json that `bnnc synth` writes
 * beside a design. That format is younger than this reader, so it is read defensively:
 * the names below are all accepted, anything else is ignored, and a file that gives no
 * figure at all becomes a note on the page instead of an error (docs/report.md shows
 * the shape this reader is tested with).
 *
 *   { "targets": [ { "target": "xc7", "device": "...", "fmaxMHz": 123.4,
 *                    "total": { "luts": 1, "ffs": 2, "bram18": 3, "bram36": 4, "dsp": 0 },
 *                    "stages": [ { "name": "fc0", "luts": 1, "ffs": 2, ... }, ... ] } ] }
 *
 * A single target object at the top level is accepted too, and so are "results" for
 * "targets", "totals"/"summary" for "total", "hierarchy"/"perStage" (a list, or an
 * object keyed by stage name) for "stages".
 */
import fs from 'node:fs';
import { parseJsonStrict, isPlainObject } from '../graph/json.js';

export interface SynthRow {
  name: string;
  luts: number | null;
  ffs: number | null;
  /** Block RAMs as the tool counts them ("3", or "3 + 4" for RAMB18 + RAMB36). */
  bram: string | null;
  dsp: number | null;
  fmaxMHz: number | null;
}

export interface SynthTarget {
  target: string;
  device: string | null;
  total: SynthRow;
  stages: SynthRow[];
}

export interface SynthSummary {
  file: string;
  /** When the file was last written (ISO). */
  written: string;
  targets: SynthTarget[];
  /** Why some or all of the file was not used. */
  notes: string[];
}

type Obj = Record<string, unknown>;

const NAMES = {
  luts: ['luts', 'lut', 'LUT', 'LUTs', 'lut4', 'lut6', 'logicCells', 'lc', 'LC'],
  ffs: ['ffs', 'ff', 'FF', 'FFs', 'flipFlops', 'dff', 'registers'],
  bram: ['bram', 'brams', 'BRAM', 'blockRam', 'ebr', 'EBR', 'ram'],
  dsp: ['dsp', 'dsps', 'DSP', 'mult', 'multipliers'],
  fmax: ['fmaxMHz', 'fmaxMhz', 'fmax_mhz', 'fmax', 'Fmax', 'maxFrequencyMHz'],
};

function firstNumber(o: Obj, keys: string[]): number | null {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return null;
}

function bramOf(o: Obj): string | null {
  const b18 = firstNumber(o, ['bram18', 'ramb18', 'RAMB18']);
  const b36 = firstNumber(o, ['bram36', 'ramb36', 'RAMB36']);
  if (b18 !== null || b36 !== null) return `${b18 ?? 0} + ${b36 ?? 0}`;
  const b = firstNumber(o, NAMES.bram);
  return b === null ? null : String(b);
}

function row(name: string, o: Obj, fmaxFallback: number | null = null): SynthRow {
  return {
    name,
    luts: firstNumber(o, NAMES.luts),
    ffs: firstNumber(o, NAMES.ffs),
    bram: bramOf(o),
    dsp: firstNumber(o, NAMES.dsp),
    fmaxMHz: firstNumber(o, NAMES.fmax) ?? fmaxFallback,
  };
}

const hasFigure = (r: SynthRow): boolean => r.luts !== null || r.ffs !== null || r.bram !== null || r.fmaxMHz !== null;

function pick(o: Obj, keys: string[]): unknown {
  for (const k of keys) if (k in o) return o[k];
  return undefined;
}

function target(o: Obj, i: number): SynthTarget {
  const name = pick(o, ['target', 'arch', 'family', 'flow']);
  const device = pick(o, ['device', 'part']);
  const totalRaw = pick(o, ['total', 'totals', 'summary', 'resources']);
  const fmax = firstNumber(o, NAMES.fmax) ?? (isPlainObject(pick(o, ['timing', 'pnr'])) ? firstNumber(pick(o, ['timing', 'pnr']) as Obj, NAMES.fmax) : null);
  const total = row('total', isPlainObject(totalRaw) ? totalRaw : o, fmax);
  const stagesRaw = pick(o, ['stages', 'hierarchy', 'perStage', 'modules']);
  const stages: SynthRow[] = [];
  if (Array.isArray(stagesRaw)) {
    stagesRaw.forEach((s, k) => {
      if (!isPlainObject(s)) return;
      const n = pick(s, ['name', 'stage', 'module', 'layer']);
      stages.push(row(typeof n === 'string' ? n : typeof n === 'number' ? `stage ${n}` : `stage ${k}`, s));
    });
  } else if (isPlainObject(stagesRaw)) {
    for (const [n, s] of Object.entries(stagesRaw)) if (isPlainObject(s)) stages.push(row(n, s));
  }
  return {
    target: typeof name === 'string' ? name : `target ${i + 1}`,
    // bnnc synth writes the device as an object (src/synth/targets.ts Device).
    device: typeof device === 'string' ? device : isPlainObject(device) && typeof device.name === 'string' ? device.name : null,
    total,
    stages: stages.filter(hasFigure),
  };
}

/** The synthesis results in `file`, or null when there is no such file. Never throws on content. */
export function readSynthSummary(file: string): SynthSummary | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return null;
  }
  const notes: string[] = [];
  const summary: SynthSummary = { file, written: stat.mtime.toISOString(), targets: [], notes };
  if (!stat.isFile()) {
    notes.push(`${file} is not a regular file`);
    return summary;
  }
  let raw: unknown;
  try {
    raw = parseJsonStrict(fs.readFileSync(file, 'utf8'), file, 'JSON');
  } catch (e) {
    notes.push(`not read: ${(e as Error).message}`);
    return summary;
  }
  if (!isPlainObject(raw)) {
    notes.push(`${file}: not a JSON object`);
    return summary;
  }
  const list = pick(raw, ['targets', 'results', 'runs']);
  const items: unknown[] = Array.isArray(list) ? list : isPlainObject(list) ? Object.entries(list).map(([k, v]) => (isPlainObject(v) ? { target: k, ...v } : v)) : [raw];
  items.forEach((t, i) => {
    if (!isPlainObject(t)) return void notes.push(`entry ${i + 1}: not an object`);
    const r = target(t, i);
    if (hasFigure(r.total) || r.stages.length > 0) summary.targets.push(r);
    else notes.push(`entry ${i + 1} (${r.target}): no LUT, FF, BRAM or Fmax figure under a known name`);
  });
  return summary;
}
