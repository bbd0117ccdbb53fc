/**
 * What verification needs from a compiled RTL directory (manifest.json, written by
 * src/emit/manifest.ts; docs/hardware.md): the top module, its Verilog files, the
 * interface sizes, the planned cycle figures and the stage taps. Checked field by field,
 * so a hand-edited or foreign manifest fails with the field's name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { describeValue, parseJsonStrict } from '../graph/json.js';
import type { Manifest } from '../emit/manifest.js';
import { readRegularFile } from '../util/inputs.js';

interface DesignStageBase {
  index: number;
  name: string;
  /** Sanitized layer name used in module and .mem file names. */
  verilogName: string;
  /** Width of stage<k>_tdata. */
  tapWidth: number;
  /** Cycles of work per frame (docs/hardware.md). */
  frameCycles: number;
  /** Cycles the stage adds to a frame's latency (a pool's can be negative). */
  latency: number;
  /** Memory bits: ROMs and input buffer of an MVTU, the line memory of a pool. */
  memoryBits: number;
}

/** A max-pool stage: no ROMs. */
export interface DesignPoolStage extends DesignStageBase {
  kind: 'pool';
  size: number;
}

/** A dense or conv layer's MVTU stage. */
export interface DesignMvtuStage extends DesignStageBase {
  kind: 'mvtu';
  output: 'threshold' | 'scores';
  mh: number;
  mw: number;
  pe: number;
  simd: number;
  nf: number;
  sf: number;
  /** Cycles per input vector, NF*SF. */
  ii: number;
  weightBits: number;
  paramBits: number;
  bufferBits: number;
}

export type DesignStage = DesignMvtuStage | DesignPoolStage;

export interface DesignInfo {
  rtlDir: string;
  manifestPath: string;
  top: string;
  /** Verilog files, relative to rtlDir. */
  sources: string[];
  /** .mem files, relative to rtlDir. */
  memFiles: string[];
  /**
   * sha256 per file compile wrote (manifest files.sha256), or null when the manifest
   * has none (written by hand or by an older bnnc).
   */
  hashes: Map<string, string> | null;
  /** The folded model copy (absolute), or null when the compiler wrote none. */
  foldedPath: string | null;
  modelName: string;
  modelHash: string;
  /** The board wrapper (`bnnc compile --board`): its module and its ports' total bits; or null. */
  board: { module: string; pins: number } | null;
  pixels: number;
  inPix: number;
  classes: number;
  /** Planned figures (docs/hardware.md). */
  ii: number;
  latency: number;
  /** Cycles per frame of the pixel input stage (beats per image). */
  inputII: number;
  /** The slowest stage's layer name, or "input". */
  bottleneck: string;
  stages: DesignStage[];
}

function field(obj: unknown, dotted: string, source: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split('.')) {
    if (typeof cur !== 'object' || cur === null || !(key in cur)) throw new InputError(source, dotted, 'present', 'missing');
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function posInt(obj: unknown, dotted: string, source: string): number {
  const v = field(obj, dotted, source);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new InputError(source, dotted, 'a positive integer', describeValue(v));
  return v;
}

function int(obj: unknown, dotted: string, source: string, min = 0): number {
  const v = field(obj, dotted, source);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InputError(source, dotted, min === 0 ? 'a non-negative integer' : 'an integer', describeValue(v));
  return v;
}

function str(obj: unknown, dotted: string, source: string): string {
  const v = field(obj, dotted, source);
  if (typeof v !== 'string') throw new InputError(source, dotted, 'a string', describeValue(v));
  return v;
}

/** A file name inside the RTL directory: no directories, nothing hidden. */
function plainFile(rtlDir: string, name: unknown, what: string, source: string): string {
  if (typeof name !== 'string' || name !== path.basename(name) || name.startsWith('.')) {
    throw new InputError(source, what, 'a plain file name in the RTL directory', describeValue(name));
  }
  if (!fs.existsSync(path.join(rtlDir, name))) throw new InputError(source, what, `a file present in ${rtlDir}`, `${name} is missing`);
  return name;
}

/** manifest files.sha256, checked: plain file names (not manifest.json) to 64 hex digits; null when absent. */
function hashesOf(m: unknown, src: string): Map<string, string> | null {
  const files = field(m, 'files', src);
  if (typeof files !== 'object' || files === null || !('sha256' in files)) return null;
  const raw = (files as Record<string, unknown>).sha256;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InputError(src, 'files.sha256', 'an object of file name -> sha256', describeValue(raw));
  const out = new Map<string, string>();
  for (const [name, hash] of Object.entries(raw)) {
    if (name !== path.basename(name) || name.startsWith('.') || name === 'manifest.json') {
      throw new InputError(src, 'files.sha256', 'plain file names of the RTL directory (not manifest.json)', describeValue(name));
    }
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw new InputError(src, `files.sha256.${name}`, '64 lowercase hex digits', describeValue(hash));
    out.set(name, hash);
  }
  return out;
}

/**
 * The hashes of the files a design's compile wrote (manifest.json files.sha256), or
 * null when its manifest lists none. Throws InputError when manifest.json is missing,
 * unreadable or not a bnnc-rtl manifest.
 */
export function readManifestHashes(rtlDir: string): Map<string, string> | null {
  const src = path.join(rtlDir, 'manifest.json');
  const m = parseJsonStrict(readRegularFile(src, 'a readable manifest.json', 'utf8'), src, 'JSON') as Manifest;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new InputError(src, 'JSON', 'an object', describeValue(m));
  if (m.format !== 'bnnc-rtl') throw new InputError(src, 'format', '"bnnc-rtl"', describeValue(m.format));
  return hashesOf(m, src);
}

/** manifest.board: absent or null without a wrapper; else its module and port bits. */
function boardOf(m: Manifest, src: string): DesignInfo['board'] {
  const b = (m as { board?: unknown }).board;
  if (b === undefined || b === null) return null;
  const module = str(b, 'module', `${src} board`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(module)) throw new InputError(src, 'board.module', 'a Verilog identifier', describeValue(module));
  const ports = field(b, 'ports', `${src} board`);
  if (!Array.isArray(ports) || ports.length === 0) throw new InputError(src, 'board.ports', 'a non-empty list of ports');
  const pins = ports.reduce((n: number, p: unknown, i: number) => n + posInt(p, 'width', `${src} board.ports[${i}]`), 0);
  return { module, pins };
}

export function readDesign(rtlDirArg: string): DesignInfo {
  const rtlDir = path.resolve(rtlDirArg);
  const manifestPath = path.join(rtlDir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new InputError(rtlDirArg, 'manifest.json', 'an RTL directory written by `bnnc compile`', 'no manifest.json');
  }
  const src = manifestPath;
  let text: string;
  text = readRegularFile(manifestPath, 'a readable manifest.json', 'utf8');
  const m = parseJsonStrict(text, src, 'JSON') as Manifest;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new InputError(src, 'JSON', 'an object', describeValue(m));
  if (m.format !== 'bnnc-rtl') throw new InputError(src, 'format', '"bnnc-rtl"', describeValue(m.format));
  if (m.version !== 1) throw new InputError(src, 'version', '1', describeValue(m.version));
  const top = str(m, 'top', src);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(top)) throw new InputError(src, 'top', 'a Verilog identifier', describeValue(top));
  const verilog = field(m, 'files.verilog', src);
  if (!Array.isArray(verilog) || verilog.length === 0) throw new InputError(src, 'files.verilog', 'a non-empty list of file names');
  const sources = verilog.map((f, i) => plainFile(rtlDir, f, `files.verilog[${i}]`, src));
  const mem = field(m, 'files.mem', src);
  if (!Array.isArray(mem)) throw new InputError(src, 'files.mem', 'a list of file names');
  const memFiles = mem.map((f, i) => plainFile(rtlDir, f, `files.mem[${i}]`, src));
  const folded = field(m, 'files.folded', src);
  const foldedPath = folded === null ? null : path.join(rtlDir, plainFile(rtlDir, folded, 'files.folded', src));

  const stagesRaw = field(m, 'stages', src);
  if (!Array.isArray(stagesRaw) || stagesRaw.length === 0) throw new InputError(src, 'stages', 'a non-empty list');
  const stages: DesignStage[] = stagesRaw.map((s: unknown, k: number) => {
    const at = `stages[${k}]`;
    const index = field(s, 'index', src);
    if (index !== k) throw new InputError(src, `${at}.index`, String(k), describeValue(index));
    const kind = str(s, 'kind', src);
    if (kind !== 'mvtu' && kind !== 'pool') throw new InputError(src, `${at}.kind`, '"mvtu" or "pool"', describeValue(kind));
    const tap = field(s, 'tap', src);
    const want = { tdata: `stage${k}_tdata`, tvalid: `stage${k}_tvalid`, tready: `stage${k}_tready` };
    for (const [key, name] of Object.entries(want)) {
      if (field(tap, key, `${src} ${at}.tap`) !== name) throw new InputError(src, `${at}.tap.${key}`, describeValue(name), describeValue((tap as Record<string, unknown>)[key]));
    }
    const base = {
      index: k,
      name: str(s, 'name', src),
      verilogName: str(s, 'verilogName', src),
      tapWidth: posInt(tap, 'width', `${src} ${at}.tap`),
      frameCycles: posInt(s, 'frameCycles', `${src} ${at}`),
      latency: int(s, 'latency', `${src} ${at}`, -Number.MAX_SAFE_INTEGER),
    };
    if (kind === 'pool') return { ...base, kind, size: posInt(s, 'size', src), memoryBits: int(s, 'lineBits', `${src} ${at}`) };
    const output = str(s, 'output', src);
    if (output !== 'threshold' && output !== 'scores') throw new InputError(src, `${at}.output`, '"threshold" or "scores"', describeValue(output));
    const weightBits = int(s, 'weightBits', `${src} ${at}`);
    const paramBits = int(s, 'paramBits', `${src} ${at}`);
    const bufferBits = int(s, 'bufferBits', `${src} ${at}`);
    return {
      ...base,
      kind,
      output,
      ii: posInt(s, 'ii', `${src} ${at}`),
      weightBits,
      paramBits,
      bufferBits,
      memoryBits: weightBits + paramBits + bufferBits,
      mh: posInt(s, 'mh', src),
      mw: posInt(s, 'mw', src),
      pe: posInt(s, 'pe', src),
      simd: posInt(s, 'simd', src),
      nf: posInt(s, 'nf', src),
      sf: posInt(s, 'sf', src),
    };
  });

  return {
    rtlDir,
    manifestPath,
    top,
    sources,
    memFiles,
    hashes: hashesOf(m, src),
    foldedPath,
    modelName: str(m, 'model.name', src),
    modelHash: str(m, 'model.hash', src),
    board: boardOf(m, src),
    pixels: posInt(m, 'input.pixels', src),
    inPix: posInt(m, 'input.inPix', src),
    classes: posInt(m, 'output.classes', src),
    ii: posInt(m, 'cycles.ii', src),
    latency: posInt(m, 'cycles.latency', src),
    inputII: posInt(m, 'cycles.inputII', src),
    bottleneck: str(m, 'cycles.bottleneck', src),
    stages,
  };
}
