/**
 * What verify simulates is a private copy of the design, checked against the hashes
 * compile recorded (manifest.json files.sha256):
 *
 * - every file the manifest names is copied into verify's work directory, each read as
 *   a regular file (a directory or a FIFO in place of a ROM image is one InputError
 *   line, not a simulation of garbage or a read that blocks);
 * - the copy is hashed and compared with the manifest: one line per file that changed
 *   since compile (or is missing, or the manifest lists no hashes at all);
 * - if manifest.json itself changed while the files were being copied (a compile into
 *   the same directory, replacing it), the copy is made again; after three tries it is
 *   an error that says so, never a simulation of half of each design.
 *
 * Everything after this (build, simulation, locating) reads the copy only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BnncError } from '../errors.js';
import { sha256Hex } from '../emit/manifest.js';
import { readRegularFile } from '../util/inputs.js';
import { readDesign, type DesignInfo } from './design.js';
import { makeDirs } from '../util/outputs.js';

export interface DesignCopy {
  /** The design as read from the copy (rtlDir = the copy). */
  design: DesignInfo;
  /** The directory the user named (absolute). */
  sourceDir: string;
  /** One line per file whose contents differ from what compile wrote (empty: all as compiled). */
  changed: string[];
  /** Files checked against their recorded hash. */
  checked: number;
}

const TRIES = 3;

/** Copy a compiled design into `dest` (created) and check it; see the header. */
export function copyDesign(rtlDir: string, dest: string): DesignCopy {
  const sourceDir = path.resolve(rtlDir);
  const manifestPath = path.join(sourceDir, 'manifest.json');
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    // Validates the manifest and that every file it names is there.
    const original = readDesign(rtlDir);
    const manifestBytes = readRegularFile(manifestPath, 'a readable manifest.json');
    fs.rmSync(dest, { recursive: true, force: true });
    makeDirs(dest);
    fs.writeFileSync(path.join(dest, 'manifest.json'), manifestBytes);
    const names = new Set<string>([...original.sources, ...original.memFiles]);
    if (original.foldedPath) names.add(path.basename(original.foldedPath));
    for (const name of original.hashes?.keys() ?? []) names.add(name);
    const changed: string[] = [];
    let checked = 0;
    for (const name of [...names].sort()) {
      const from = path.join(sourceDir, name);
      if (!fs.existsSync(from)) {
        // Only files listed in sha256 alone can be missing here (readDesign checked the rest).
        changed.push(`${name}: missing (compile wrote it)`);
        continue;
      }
      const bytes = readRegularFile(from, `a regular file (manifest.json lists ${name})`);
      fs.writeFileSync(path.join(dest, name), bytes);
      const want = original.hashes?.get(name);
      if (want === undefined) continue;
      checked++;
      if (sha256Hex(bytes) !== want) changed.push(`${name}: changed since compile (sha256 differs from manifest.json)`);
    }
    if (original.hashes === null) changed.push('manifest.json: lists no sha256 hashes, so no file can be checked against what compile wrote');
    // A compile that replaced the directory meanwhile shows as a different manifest.
    let now: Buffer | null;
    try {
      now = readRegularFile(manifestPath, 'a readable manifest.json');
    } catch {
      now = null;
    }
    if (now === null || !now.equals(manifestBytes)) continue;
    const design = readDesign(dest);
    return { design, sourceDir, changed, checked };
  }
  throw new BnncError(`${rtlDir}: the design changed while verify copied it, ${TRIES} times (is a compile into it running?); run verify again when it is done`);
}
