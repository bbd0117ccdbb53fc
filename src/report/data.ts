/**
 * Everything a report shows, read from the files one run wrote: run.json (./run.ts),
 * the model's training metadata and curves, the design's manifest.json, verify.json
 * and, when `bnnc synth` has run on the design, its report.json. Each file is listed
 * with its modification time, so the page can say where every number came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { loadModel, modelHash } from '../graph/io.js';
import { readCurves, type Curves } from '../nn/curves.js';
import { readDesign, type DesignInfo } from '../sim/design.js';
import { readVerifySummary, type VerifySummary } from '../sim/report.js';
import { readRegularFile } from '../util/inputs.js';
import { readRun, RUN_FILE, type RunRecord } from './run.js';
import { readSynthSummary, type SynthSummary } from './synth.js';

/** The file `bnnc synth` writes in its output directory (src/synth/report.ts). */
export const SYNTH_REPORT = 'report.json';

/**
 * The report.json of every `bnnc synth` run on the design at its default place,
 * RTL_DIR.synth-<target>[-<device>]/ beside the design (src/commands/synth.ts), in name
 * order, relative to the run directory.
 */
export function synthReports(runDir: string, rtlRel: string): string[] {
  const parent = path.dirname(path.join(runDir, rtlRel));
  const prefix = `${path.basename(rtlRel)}.synth-`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && fs.existsSync(path.join(parent, n, SYNTH_REPORT)))
    .sort()
    .map((n) => path.relative(runDir, path.join(parent, n, SYNTH_REPORT)));
}

export interface SourceFile {
  /** Path relative to the run directory. */
  path: string;
  what: string;
  modified: string;
}

export interface ReportData {
  runDir: string;
  run: RunRecord;
  model: { name: string; arch: string; hash: string; layers: number; meta: Record<string, unknown> };
  curves: Curves;
  design: DesignInfo;
  verify: VerifySummary;
  synth: SynthSummary | null;
  sources: SourceFile[];
}

export function loadReportData(runDir: string): ReportData {
  if (!fs.existsSync(path.join(runDir, RUN_FILE))) {
    throw new InputError(runDir, RUN_FILE, 'a run directory written by bnnc demo', `no ${RUN_FILE}`);
  }
  const run = readRun(runDir);
  const at = (rel: string): string => path.join(runDir, rel);
  const sources: SourceFile[] = [];
  const note = (rel: string, what: string): void => {
    sources.push({ path: rel, what, modified: fs.statSync(at(rel)).mtime.toISOString() });
  };
  note(RUN_FILE, 'run record: commands, times, float and integer results');

  const m = loadModel(at(run.files.model));
  note(run.files.model, 'trained model and its training metadata');
  const curves = readCurves(at(run.files.curves));
  note(run.files.curves, 'training curves');
  const design = readDesign(at(run.files.rtl));
  note(path.join(run.files.rtl, 'manifest.json'), 'design: stages, folding, cycles, memories');
  const hash = modelHash(m);
  if (design.modelHash !== hash) {
    throw new InputError(design.manifestPath, 'model.hash', `${hash} (the run's model ${run.files.model})`, design.modelHash);
  }
  const verifyPath = at(run.files.verify);
  const verify = readVerifySummary(readRegularFile(verifyPath, 'verify results (bnnc verify --json)', 'utf8'), verifyPath);
  note(run.files.verify, 'RTL verification: accuracy, mismatches, measured cycles');
  const classes = run.results.float.confusion.length;
  if (verify.rtlConfusion.length !== classes) {
    throw new InputError(verifyPath, 'comparison.rtlConfusion', `${classes} classes, as ${RUN_FILE}`, String(verify.rtlConfusion.length));
  }
  const found: SynthSummary[] = [];
  for (const rel of synthReports(runDir, run.files.rtl)) {
    const one = readSynthSummary(at(rel));
    if (!one) continue;
    note(rel, 'synthesis results (bnnc synth)');
    found.push({ ...one, file: rel });
  }
  const synth: SynthSummary | null =
    found.length === 0
      ? null
      : {
          file: found.map((f) => f.file).join(', '),
          written: found.map((f) => f.written).sort().at(-1)!,
          targets: found.flatMap((f) => f.targets),
          notes: found.flatMap((f) => f.notes),
        };
  return {
    runDir,
    run,
    model: { name: m.graph.name, arch: m.graph.arch ?? 'custom', hash, layers: m.graph.layers.length, meta: m.graph.meta ?? {} },
    curves,
    design,
    verify,
    synth,
    sources,
  };
}
