/**
 * Folding specifications: how many PEs and SIMD lanes each MVTU stage gets.
 *
 * - uniform {pe, simd}: the same for every layer, clamped per layer to MH and MW;
 * - per layer: an explicit list, usually read from a folding JSON file;
 * - target {targetCycles}: the planner (./planner.ts) picks, for each layer, the folding of
 *   least modelled cost whose work per frame is at most the target, within the resource
 *   limits if any (`from` says where the target came from, e.g. --target-fps);
 * - fit {limits}: the planner picks the fastest folding that fits the limits.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';
import { describeValue, parseJsonStrict } from '../graph/json.js';
import { readRegularFile } from '../util/inputs.js';
import { folds } from './cycles.js';
import type { ResourceLimits } from './planner.js';

export interface LayerFolding {
  pe: number;
  simd: number;
}

export type FoldingSpec =
  | { kind: 'uniform'; pe: number; simd: number }
  | { kind: 'perLayer'; layers: LayerFolding[]; names?: (string | undefined)[]; source: string }
  | { kind: 'target'; targetCycles: number; limits?: ResourceLimits; from?: string }
  | { kind: 'fit'; limits: ResourceLimits };

/**
 * A folding JSON file: { "layers": [{ "pe": P, "simd": S, "name"?: N }, ...], "inPix"?: K,
 * "bitSerial"?: true|false } (bitSerial: the first layer takes its pixels one bit plane
 * per cycle, src/hw/plan.ts).
 */
export interface FoldingFile {
  spec: FoldingSpec & { kind: 'perLayer' };
  inPix?: number;
  bitSerial?: boolean;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/** Parse and check the structure of a folding JSON text (ranges are checked against the model by the planner). */
export function parseFoldingJson(text: string, source: string): FoldingFile {
  // Strict: a key given twice ({"pe":2,"pe":8}) would otherwise silently read as the last one.
  const raw = parseJsonStrict(text, source, '(file)');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(source, '(top level)', 'an object { "layers": [...] }', describeValue(raw));
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'layers' && key !== 'inPix' && key !== 'bitSerial') throw new InputError(source, key, 'only "layers", "inPix" and "bitSerial"', 'an unknown key');
  }
  if (!Array.isArray(obj.layers) || obj.layers.length === 0) {
    throw new InputError(source, 'layers', 'a non-empty array of { "pe", "simd" }', describeValue(obj.layers));
  }
  const layers: LayerFolding[] = [];
  const names: (string | undefined)[] = [];
  obj.layers.forEach((entry: unknown, k: number) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InputError(source, `layers[${k}]`, 'an object { "pe", "simd" }', describeValue(entry));
    }
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      if (key !== 'pe' && key !== 'simd' && key !== 'name') {
        throw new InputError(source, `layers[${k}].${key}`, 'only "pe", "simd" and "name"', 'an unknown key');
      }
    }
    if (!isPositiveInt(e.pe)) throw new InputError(source, `layers[${k}].pe`, 'a positive integer', describeValue(e.pe));
    if (!isPositiveInt(e.simd)) throw new InputError(source, `layers[${k}].simd`, 'a positive integer', describeValue(e.simd));
    if (e.name !== undefined && typeof e.name !== 'string') {
      throw new InputError(source, `layers[${k}].name`, 'a string', describeValue(e.name));
    }
    layers.push({ pe: e.pe, simd: e.simd });
    names.push(e.name as string | undefined);
  });
  let inPix: number | undefined;
  if (obj.inPix !== undefined) {
    if (!isPositiveInt(obj.inPix)) throw new InputError(source, 'inPix', 'a positive integer', describeValue(obj.inPix));
    inPix = obj.inPix;
  }
  if (obj.bitSerial !== undefined && typeof obj.bitSerial !== 'boolean') {
    throw new InputError(source, 'bitSerial', 'true or false', describeValue(obj.bitSerial));
  }
  return { spec: { kind: 'perLayer', layers, names, source }, inPix, bitSerial: obj.bitSerial as boolean | undefined };
}

export function readFoldingFile(file: string): FoldingFile {
  let text: string;
  text = readRegularFile(file, 'a readable folding JSON file', 'utf8');
  return parseFoldingJson(text, file);
}

/** Padding of a folding: PE*SIMD lane-cycles per vector that do no useful work. */
export function paddingOf(mh: number, mw: number, f: LayerFolding): number {
  const { nf, sf } = folds(mh, mw, f.pe, f.simd);
  return nf * f.pe * sf * f.simd - mh * mw;
}

/**
 * The folding of an MH x MW layer with NF*SF <= target with the fewest PE*SIMD lanes,
 * then least padding, then fewest PEs (fewer, deeper ROMs). null if none exists
 * (target < 1). For a given PE the smallest SIMD that meets the target is the only
 * candidate worth considering, since more lanes never cost less. (The planner chose
 * this way before it weighed foldings by their modelled cost; tests compare against it.)
 */
export function cheapestFolding(mh: number, mw: number, target: number): LayerFolding | null {
  let best: LayerFolding | null = null;
  let bestCost = Infinity;
  let bestPad = Infinity;
  for (let pe = 1; pe <= mh; pe++) {
    const nf = Math.ceil(mh / pe);
    // Skip PE values with the same NF as a smaller PE: same SIMD, more lanes.
    if (pe > 1 && Math.ceil(mh / (pe - 1)) === nf) continue;
    const maxSf = Math.floor(target / nf);
    if (maxSf < 1) continue;
    const simd = Math.ceil(mw / Math.min(maxSf, mw));
    const cost = pe * simd;
    const pad = paddingOf(mh, mw, { pe, simd });
    if (cost < bestCost || (cost === bestCost && pad < bestPad)) {
      best = { pe, simd };
      bestCost = cost;
      bestPad = pad;
    }
  }
  return best;
}
