/**
 * run.json: what one run of the flow did (written by `bnnc demo`, read by `bnnc report`).
 * A run directory holds everything the run wrote — the model and its curves, the RTL,
 * verify.json — and run.json names those files (relative to the run directory), the
 * commands that reproduce each step with their times, the machine, and the float and
 * integer results the steps computed. The reader is beside the writer and checks every
 * field the report uses, so a hand-edited run.json fails with the field's name.
 */
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readRegularFile } from '../util/inputs.js';

export const RUN_FORMAT = 'bnnc-run';
export const RUN_VERSION = 1;
export const RUN_FILE = 'run.json';

export interface RunStep {
  /** train, eval, compile, verify... */
  name: string;
  /** The command line that does this step alone (run from the directory the run ran in). */
  command: string[];
  /** The file the command's standard output goes to, if the run kept it (a path as the command line names it). */
  stdout?: string;
  started: string;
  seconds: number;
  ok: boolean;
}

/** Predictions of one model on the test split, counted. */
export interface RunPredictions {
  images: number;
  correct: number;
  /** [label][predicted class] (src/util/confusion.ts). */
  confusion: number[][];
}

export interface RunMachine {
  cpu: string;
  cores: number;
  platform: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  version: typeof RUN_VERSION;
  name: string;
  bnncVersion: string;
  started: string;
  finished: string;
  machine: RunMachine;
  /** The command that made the whole run, e.g. ["bnnc", "demo", "--epochs", "1"]. */
  invocation: string[];
  steps: RunStep[];
  /** Paths relative to the run directory. */
  files: { model: string; curves: string; rtl: string; verify: string };
  results: {
    dataset: string;
    split: string;
    float: RunPredictions;
    int: RunPredictions;
    /** Test images on which the float and integer models predict differently. */
    floatIntDiffer: number;
    pass: boolean;
  };
}

export function machineInfo(): RunMachine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))),
  };
}

export function writeRun(runDir: string, run: RunRecord): void {
  writeFileAtomic(path.join(runDir, RUN_FILE), JSON.stringify(run, null, 2) + '\n');
}

// --- reading, field by field -------------------------------------------------------

type Obj = Record<string, unknown>;

function get(o: Obj, key: string, src: string, at: string): unknown {
  if (!(key in o)) throw new InputError(src, at, 'present', 'missing');
  return o[key];
}

function obj(o: Obj, key: string, src: string, at = key): Obj {
  const v = get(o, key, src, at);
  if (!isPlainObject(v)) throw new InputError(src, at, 'an object', describeValue(v));
  return v;
}

function str(o: Obj, key: string, src: string, at = key): string {
  const v = get(o, key, src, at);
  if (typeof v !== 'string') throw new InputError(src, at, 'a string', describeValue(v));
  return v;
}

function num(o: Obj, key: string, src: string, at = key, integer = false): number {
  const v = get(o, key, src, at);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isSafeInteger(v))) {
    throw new InputError(src, at, integer ? 'a non-negative integer' : 'a non-negative number', describeValue(v));
  }
  return v;
}

function strings(o: Obj, key: string, src: string, at = key): string[] {
  const v = get(o, key, src, at);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InputError(src, at, 'a list of strings', describeValue(v));
  return v as string[];
}

/** A file name relative to the run directory that stays inside it. */
function inside(o: Obj, key: string, src: string, at: string): string {
  const v = str(o, key, src, at);
  if (v === '' || path.isAbsolute(v) || path.normalize(v).split(path.sep)[0] === '..') {
    throw new InputError(src, at, 'a path inside the run directory', describeValue(v));
  }
  return v;
}

/** A square matrix of non-negative integers with `classes` rows. */
export function readConfusion(v: unknown, src: string, at: string): number[][] {
  if (!Array.isArray(v) || v.length === 0) throw new InputError(src, at, 'a square matrix of counts', describeValue(v));
  const n = v.length;
  for (const [i, row] of v.entries()) {
    if (!Array.isArray(row) || row.length !== n || !row.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw new InputError(src, `${at}[${i}]`, `${n} non-negative integers`, describeValue(row));
    }
  }
  return v as number[][];
}

function predictions(o: Obj, key: string, src: string): RunPredictions {
  const p = obj(o, key, src, `results.${key}`);
  const images = num(p, 'images', src, `results.${key}.images`, true);
  const correct = num(p, 'correct', src, `results.${key}.correct`, true);
  if (correct > images) throw new InputError(src, `results.${key}.correct`, `at most images (${images})`, String(correct));
  return { images, correct, confusion: readConfusion(get(p, 'confusion', src, `results.${key}.confusion`), src, `results.${key}.confusion`) };
}

export function readRun(runDir: string): RunRecord {
  const src = path.join(runDir, RUN_FILE);
  const raw = parseJsonStrict(readRegularFile(src, `a run record (${RUN_FILE}, written by bnnc demo)`, 'utf8'), src, 'JSON');
  if (!isPlainObject(raw)) throw new InputError(src, 'JSON', 'an object', describeValue(raw));
  if (raw.format !== RUN_FORMAT) throw new InputError(src, 'format', JSON.stringify(RUN_FORMAT), describeValue(raw.format));
  if (raw.version !== RUN_VERSION) throw new InputError(src, 'version', String(RUN_VERSION), describeValue(raw.version));
  const m = obj(raw, 'machine', src);
  const loadAverage = get(m, 'loadAverage', src, 'machine.loadAverage');
  if (!Array.isArray(loadAverage) || !loadAverage.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InputError(src, 'machine.loadAverage', 'a list of numbers', describeValue(loadAverage));
  }
  const stepsRaw = get(raw, 'steps', src, 'steps');
  if (!Array.isArray(stepsRaw)) throw new InputError(src, 'steps', 'a list', describeValue(stepsRaw));
  const steps = stepsRaw.map((s: unknown, i): RunStep => {
    const at = `steps[${i}]`;
    if (!isPlainObject(s)) throw new InputError(src, at, 'an object', describeValue(s));
    const ok = get(s, 'ok', src, `${at}.ok`);
    if (typeof ok !== 'boolean') throw new InputError(src, `${at}.ok`, 'true or false', describeValue(ok));
    const stdout = s.stdout === undefined ? undefined : str(s, 'stdout', src, `${at}.stdout`);
    return {
      name: str(s, 'name', src, `${at}.name`),
      command: strings(s, 'command', src, `${at}.command`),
      ...(stdout === undefined ? {} : { stdout }),
      started: str(s, 'started', src, `${at}.started`),
      seconds: num(s, 'seconds', src, `${at}.seconds`),
      ok,
    };
  });
  const files = obj(raw, 'files', src);
  const results = obj(raw, 'results', src);
  const pass = get(results, 'pass', src, 'results.pass');
  if (typeof pass !== 'boolean') throw new InputError(src, 'results.pass', 'true or false', describeValue(pass));
  const float = predictions(results, 'float', src);
  const int = predictions(results, 'int', src);
  if (float.confusion.length !== int.confusion.length) {
    throw new InputError(src, 'results.int.confusion', `${float.confusion.length} classes, as results.float.confusion`, String(int.confusion.length));
  }
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    name: str(raw, 'name', src),
    bnncVersion: str(raw, 'bnncVersion', src),
    started: str(raw, 'started', src),
    finished: str(raw, 'finished', src),
    machine: {
      cpu: str(m, 'cpu', src, 'machine.cpu'),
      cores: num(m, 'cores', src, 'machine.cores', true),
      platform: str(m, 'platform', src, 'machine.platform'),
      node: str(m, 'node', src, 'machine.node'),
      loadAverage: loadAverage as number[],
    },
    invocation: strings(raw, 'invocation', src),
    steps,
    files: {
      model: inside(files, 'model', src, 'files.model'),
      curves: inside(files, 'curves', src, 'files.curves'),
      rtl: inside(files, 'rtl', src, 'files.rtl'),
      verify: inside(files, 'verify', src, 'files.verify'),
    },
    results: {
      dataset: str(results, 'dataset', src, 'results.dataset'),
      split: str(results, 'split', src, 'results.split'),
      float,
      int,
      floatIntDiffer: num(results, 'floatIntDiffer', src, 'results.floatIntDiffer', true),
      pass,
    },
  };
}
