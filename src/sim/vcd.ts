/**
 * Reading the stage taps (docs/hardware.md: stage<k>_tdata / _tvalid / _tready) out of a
 * VCD written by the harness, to locate where the RTL departs from the integer model.
 *
 * The harness dumps the settled state of cycle c (inputs applied, clock low) at time
 * 10·c and the state after the rising edge at 10·c + 5. A handshake of cycle c is
 * therefore read from the values in force just before the block at time 10·c + 5, in
 * which clk rises.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { InputError } from '../errors.js';
import { describeValue } from '../graph/json.js';

export interface TapBeat {
  /** Rising edge (cycle after reset) at which the beat was accepted. */
  cycle: number;
  /** The tdata vector, bit i = bit (i & 31) of word i >> 5. */
  bits: Uint32Array;
}

export interface StageTrace {
  stage: number;
  /** Width of stage<k>_tdata in bits. */
  width: number;
  beats: TapBeat[];
}

export interface TapTrace {
  /** Hierarchical scope (space separated, as in the VCD) holding the taps. */
  scope: string;
  /** Stages found, by index (missing indices had no taps in the VCD). */
  stages: Map<number, StageTrace>;
  /** True when some sampled tap value held x or z bits (read as 0). */
  unknownBits: boolean;
}

/** Widest tap read (bits): far beyond any layer, small enough to allocate per beat. */
const MAX_TAP_WIDTH = 1 << 24;

interface VarDecl {
  scope: string;
  name: string;
  id: string;
  width: number;
}

/** Parse an MSB-first VCD binary value (possibly shorter than the width) into words. */
export function vcdBitsToWords(value: string, width: number): { words: Uint32Array; unknown: boolean } {
  const words = new Uint32Array((width + 31) >>> 5);
  let unknown = false;
  const n = value.length;
  // VCD left-extends a short value with 0, or with x / z when that is its first digit.
  const fill = value[0] === 'x' || value[0] === 'X' || value[0] === 'z' || value[0] === 'Z';
  for (let i = 0; i < width; i++) {
    const ch = i < n ? value[n - 1 - i] : fill ? 'x' : '0';
    if (ch === '1') words[i >>> 5] |= 1 << (i & 31);
    else if (ch !== '0') unknown = true;
  }
  return { words, unknown };
}

/**
 * The time of a `#<time>` line: a decimal integer (the VCD grammar's simulation time),
 * a safe integer, and not before the previous stamp. Anything else (`#Infinity`,
 * `#5 Infinity`, `#-1`, 400 digits) would turn into a beat at cycle NaN or Infinity.
 */
function timeStamp(line: string, previous: number, file: string): number {
  const digits = line.slice(1);
  const t = /^[0-9]+$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(t)) throw new InputError(file, 'time stamp', '#<time> with a non-negative integer time', describeValue(line));
  if (t < previous) throw new InputError(file, 'time stamp', `a time not before the previous #${previous}`, describeValue(line));
  return t;
}

/** Read the stage taps of the design scope from a VCD file. */
export async function readStageTaps(file: string): Promise<TapTrace> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const scopeStack: string[] = [];
  const vars: VarDecl[] = [];
  let inHeader = true;
  // Resolved after the header.
  let clkId = '';
  let rstId = '';
  let scope = '';
  const stageIds = new Map<number, { data: string; valid: string; ready: string; width: number }>();
  const watched = new Set<string>();
  const cur = new Map<string, string>();
  let block: Array<[string, string]> = [];
  let blockTime = -1;
  const stages = new Map<number, StageTrace>();
  let unknownBits = false;

  const resolve = (): void => {
    // The design scope is the shallowest one that declares stage0_tdata (or any stage tap).
    const tapScopes = vars.filter((v) => /^stage\d+_tdata$/.test(v.name)).map((v) => v.scope);
    if (tapScopes.length === 0) {
      throw new InputError(file, 'stage taps', 'signals named stage<k>_tdata (see docs/hardware.md)', 'none');
    }
    scope = tapScopes.sort((a, b) => a.split(' ').length - b.split(' ').length)[0];
    const inScope = new Map(vars.filter((v) => v.scope === scope).map((v) => [v.name, v]));
    const clk = inScope.get('clk');
    if (!clk) throw new InputError(file, `${scope}.clk`, 'a clock signal beside the stage taps', 'none');
    clkId = clk.id;
    rstId = inScope.get('rst')?.id ?? '';
    for (const v of inScope.values()) {
      const m = /^stage(\d+)_tdata$/.exec(v.name);
      if (!m) continue;
      const k = Number(m[1]);
      const valid = inScope.get(`stage${k}_tvalid`);
      const ready = inScope.get(`stage${k}_tready`);
      if (!valid || !ready) {
        throw new InputError(file, `stage${k} taps`, 'stage<k>_tdata, _tvalid and _tready', 'an incomplete set');
      }
      if (!(Number.isSafeInteger(v.width) && v.width >= 1 && v.width <= MAX_TAP_WIDTH)) {
        throw new InputError(file, `stage${k}_tdata width`, `an integer in 1..${MAX_TAP_WIDTH}`, String(v.width));
      }
      stageIds.set(k, { data: v.id, valid: valid.id, ready: ready.id, width: v.width });
      stages.set(k, { stage: k, width: v.width, beats: [] });
      watched.add(v.id).add(valid.id).add(ready.id);
    }
    watched.add(clkId);
    if (rstId) watched.add(rstId);
  };

  const flush = (): void => {
    let rises = false;
    for (const [id, val] of block) if (id === clkId && val === '1' && cur.get(clkId) === '0') rises = true;
    if (rises && !(rstId && cur.get(rstId) === '1')) {
      const cycle = Math.floor(blockTime / 10);
      for (const [k, ids] of stageIds) {
        if (cur.get(ids.valid) === '1' && cur.get(ids.ready) === '1') {
          const { words, unknown } = vcdBitsToWords(cur.get(ids.data) ?? '', ids.width);
          if (unknown) unknownBits = true;
          stages.get(k)!.beats.push({ cycle, bits: words });
        }
      }
    }
    for (const [id, val] of block) cur.set(id, val);
    block = [];
  };

  for await (const raw of rl) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (inHeader) {
      const tok = line.split(/\s+/);
      if (tok[0] === '$scope') scopeStack.push(tok[2]);
      else if (tok[0] === '$upscope') scopeStack.pop();
      else if (tok[0] === '$var') {
        // $var <type> <width> <id> <name> [<range>] $end
        vars.push({ scope: scopeStack.join(' '), width: Number(tok[2]), id: tok[3], name: tok[4] });
      } else if (tok[0] === '$enddefinitions') {
        inHeader = false;
        resolve();
      }
      continue;
    }
    const c = line[0];
    if (c === '#') {
      flush();
      blockTime = timeStamp(line, blockTime, file);
    } else if (c === 'b' || c === 'B') {
      const sp = line.indexOf(' ');
      const id = line.slice(sp + 1).trim();
      if (watched.has(id)) block.push([id, line.slice(1, sp)]);
    } else if (c === '0' || c === '1' || c === 'x' || c === 'X' || c === 'z' || c === 'Z') {
      const id = line.slice(1);
      if (watched.has(id)) block.push([id, c]);
    }
    // $dumpvars / $end / real values: nothing to do.
  }
  if (inHeader) throw new InputError(file, 'VCD header', '$enddefinitions', 'end of file');
  flush();
  return { scope, stages, unknownBits };
}
