/**
 * emitDesign: a folded model and its hardware plan become a directory of Verilog, ROM
 * images, manifest.json, README.md and a copy of the folded model.
 *
 * The output is a pure function of the inputs (no timestamps, stable ordering), built
 * in memory first and then written with writeDirAtomic, so a failure leaves no partial
 * directory. File and module names come from sanitized identifiers only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { mvtuStages, type HwPlan } from '../hw/plan.js';
import { twoStepWeights } from '../hw/stages/mvtu.js';
import type { FoldedMatrixLayer, FoldedModel } from '../int/types.js';
import { encodeFolded } from '../int/serialize.js';
import { writeDirAtomic } from '../util/atomic.js';
import { readManifestHashes } from '../sim/design.js';
import { realPath } from '../util/outputs.js';
import { buildManifest, sha256Hex, type Manifest, type ManifestBoard } from './manifest.js';
import { paramImage, weightImage } from './mem.js';
import { assertPlainFileName, isSafeIdentifier, sanitizeIdentifier, UniqueNames } from './sanitize.js';
import { bnncVersion, readBlock, renderTemplate } from './templates.js';
import {
  assertTemplateSafe,
  boardPorts,
  boardView,
  memFileNames,
  romBankView,
  romModuleName,
  topView,
  type DesignNames,
} from './view.js';

export interface EmitOptions {
  /** Top module name (a legal identifier); default: the model name, sanitized. */
  top?: string;
  /** Version stamped into the files; default: bnnc's package version. */
  version?: string;
  /**
   * Serializes the folded model into folded.bnnf, the verifier's golden reference;
   * default: encodeFolded (src/int/serialize.ts). null: no copy, manifest.files.folded
   * is null.
   */
  encodeFolded?: ((f: FoldedModel) => Uint8Array) | null;
  /**
   * Also write the board wrapper <top>_board.v (byte-wide pixels in, class index out;
   * templates/board.v.hbs), listed last in files.verilog and in manifest.board.
   */
  board?: boolean;
}

/** Longest top-module and layer names; module names stay well under tools' limits. */
export const MAX_TOP_NAME = 32;
export const MAX_LAYER_NAME = 24;

/** The hand-written blocks a design uses, in dependency order. */
function blocksFor(plan: HwPlan): string[] {
  const feeds = new Set(mvtuStages(plan).map((s) => s.feed.kind));
  const blocks = ['bnnc_rom.v'];
  if (mvtuStages(plan).some(twoStepWeights)) blocks.push('bnnc_rom_2step.v');
  if (plan.input.threshold !== null) blocks.push('bnnc_binarize.v');
  if (feeds.has('image')) blocks.push('bnnc_pixel_input.v');
  if (feeds.has('vector')) blocks.push('bnnc_vec_buffer.v');
  if (feeds.has('flatten')) blocks.push('bnnc_flat_buffer.v');
  if (feeds.has('window')) blocks.push('bnnc_swu.v');
  if (plan.stages.some((s) => s.kind === 'mvtu' && s.feed.kind === 'window' && (s.feed.fifoDepth > 0 || s.feed.queueColumns > 0))) blocks.push('bnnc_fifo.v');
  if (plan.stages.some((s) => s.kind === 'pool')) blocks.push('bnnc_pool.v');
  blocks.push('bnnc_pe.v', 'bnnc_mvtu.v', 'bnnc_argmax.v');
  return blocks;
}

export function designNames(f: FoldedModel, plan: HwPlan, top?: string): DesignNames {
  let topName: string;
  if (top !== undefined) {
    if (!isSafeIdentifier(top) || top.length > MAX_TOP_NAME || /^bnnc_/i.test(top)) {
      throw new InputError('--top', 'top module name', `an identifier [A-Za-z_][A-Za-z0-9_]* of at most ${MAX_TOP_NAME} characters, not a keyword, not starting with bnnc_`, JSON.stringify(top));
    }
    topName = top;
  } else {
    topName = sanitizeIdentifier(f.name, MAX_TOP_NAME, 'bnn');
  }
  const unique = new UniqueNames(MAX_LAYER_NAME, 'layer');
  const layers = plan.stages.map((s) => unique.take(s.layer));
  return { top: topName, layers };
}

function checkPlanMatches(f: FoldedModel, plan: HwPlan): void {
  const bad = (what: string): never => {
    throw new Error(`emitDesign: the plan does not belong to model ${f.name}: ${what}`);
  };
  if (plan.sourceHash !== f.sourceHash) bad('model hash differs');
  if (plan.stages.length !== f.layers.length) bad('layer count differs');
  plan.stages.forEach((s, k) => {
    const l = f.layers[k];
    if (s.kind === 'pool') {
      if (l.kind !== 'maxpool' || l.size !== s.size) bad(`layer ${k} differs`);
    } else if (l.kind === 'maxpool' || l.rows !== s.mh || l.cols !== s.mw || l.output.kind !== s.output) {
      bad(`layer ${k} differs`);
    }
  });
}

/** All files of the design, name -> contents, in a stable order. */
export function renderDesign(
  f: FoldedModel,
  plan: HwPlan,
  opts: EmitOptions = {},
): { files: Map<string, string | Uint8Array>; manifest: Manifest } {
  checkPlanMatches(f, plan);
  const version = opts.version ?? bnncVersion();
  const names = designNames(f, plan, opts.top);
  const files = new Map<string, string | Uint8Array>();
  const blocks = blocksFor(plan);
  const verilog: string[] = [];
  const mem: string[] = [];

  for (const b of blocks) {
    files.set(b, readBlock(b));
    verilog.push(b);
  }
  plan.stages.forEach((s, k) => {
    if (s.kind !== 'mvtu') return;
    const layer = f.layers[k] as FoldedMatrixLayer;
    const view = romBankView(plan, names, k, version);
    assertTemplateSafe(view);
    const file = `${romModuleName(names, k)}.v`;
    files.set(file, renderTemplate('rom_bank.v.hbs', view));
    verilog.push(file);
    for (let p = 0; p < s.pe; p++) {
      const m = memFileNames(names, k, p);
      files.set(m.w, weightImage(layer, s, p));
      files.set(m.p, paramImage(layer, s, p));
      mem.push(m.w, m.p);
    }
  });
  const top = topView(plan, names, version);
  assertTemplateSafe(top);
  const topFile = `${names.top}.v`;
  files.set(topFile, renderTemplate('top.v.hbs', top));
  verilog.push(topFile);
  let board: ManifestBoard | null = null;
  if (opts.board) {
    const bv = boardView(plan, names, version);
    assertTemplateSafe(bv);
    const file = `${bv.board}.v`;
    files.set(file, renderTemplate('board.v.hbs', bv));
    verilog.push(file);
    board = { module: bv.board, file, ports: boardPorts(plan.classes), pixelBits: 8, classBits: bv.classW };
  }

  let folded: string | null = null;
  const encode = opts.encodeFolded === undefined ? encodeFolded : opts.encodeFolded;
  if (encode) {
    folded = 'folded.bnnf';
    files.set(folded, encode(f));
  }
  const readme = { ...top, blocks, files: verilog, folded: folded !== null, romMinDepth: plan.romRule.minDepth, romMinBits: plan.romRule.minBits };
  assertTemplateSafe(readme);
  files.set('README.md', renderTemplate('README.md.hbs', readme));

  const sha256: Record<string, string> = {};
  for (const name of [...files.keys()].sort()) sha256[name] = sha256Hex(files.get(name)!);
  const manifest = buildManifest(f, plan, names, version, { verilog, mem, folded, readme: 'README.md', sha256 }, board);
  files.set('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
  for (const name of files.keys()) assertPlainFileName(name);
  return { files, manifest };
}

/**
 * The output directory is replaced as a whole, so it must be one that may be: absent,
 * empty, or an earlier design every entry of which is a file its manifest.json lists
 * with the sha256 compile wrote (so nothing the user put there or edited is lost); never
 * the working directory, one of its parents, or the filesystem root. Symbolic links are
 * resolved: a linked outDir replaces the directory the link points to.
 */
export function checkOutputDir(outDir: string): void {
  const abs = realPath(outDir);
  const field = 'output directory';
  if (abs === path.parse(abs).root) throw new InputError(outDir, field, 'a directory below the filesystem root', 'the root');
  const rel = path.relative(abs, realPath(process.cwd()));
  if (rel === '' || !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))) {
    throw new InputError(outDir, field, 'a directory outside the working directory', 'the working directory or one of its parents');
  }
  if (!fs.existsSync(abs)) return;
  if (!fs.statSync(abs).isDirectory()) throw new InputError(outDir, field, 'a directory (or a new name)', 'a file');
  const entries = fs.readdirSync(abs).sort();
  if (entries.length === 0) return;
  const refuse = (entry: string, why: string): never => {
    throw new InputError(
      outDir,
      field,
      'absent, empty, or an earlier output of bnnc compile (it is replaced as a whole)',
      `${entry} ${why}; move it away or choose another --out`,
    );
  };
  let hashes: Map<string, string> | null;
  try {
    hashes = readManifestHashes(abs);
  } catch (e) {
    hashes = null;
    if (!entries.includes('manifest.json')) refuse(entries[0], 'is not a file of a bnnc design (no manifest.json)');
    refuse('manifest.json', `is not a bnnc manifest (${e instanceof Error ? e.message : String(e)})`);
  }
  if (hashes === null) return refuse(entries[0], 'is not a file of a bnnc design (its manifest.json lists no hashes)');
  for (const entry of entries) {
    if (entry === 'manifest.json') continue;
    const want = hashes.get(entry);
    if (want === undefined) refuse(entry, 'is not listed in its manifest.json');
    const st = fs.lstatSync(path.join(abs, entry));
    if (!st.isFile()) refuse(entry, 'is not a regular file');
    if (sha256Hex(fs.readFileSync(path.join(abs, entry))) !== want) refuse(entry, 'changed since compile wrote it');
  }
}

/**
 * Write the design into outDir, created or replaced as a whole (see checkOutputDir).
 * Every file lands directly inside it.
 */
export function emitDesign(f: FoldedModel, plan: HwPlan, outDir: string, opts: EmitOptions = {}): Manifest {
  checkOutputDir(outDir);
  const { files, manifest } = renderDesign(f, plan, opts);
  writeDirAtomic(realPath(outDir), (tmp) => {
    for (const [name, data] of files) fs.writeFileSync(path.join(tmp, name), data);
  });
  return manifest;
}
