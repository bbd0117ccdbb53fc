/**
 * Outputs are resolved and checked before any work starts (docs/robustness.md, "Inputs
 * and outputs of a command"). A command declares what it reads and what it writes:
 *
 *   const [out] = declareIo({
 *     inputs: [{ path: args.model, what: 'model' }, ...datasetInputs(spec, ['train'])],
 *     outputs: [{ path: args.out, what: 'model file', kind: 'file' }],
 *   });
 *
 * and writes only to the real paths it gets back. declareIo refuses, in one line naming
 * both, an output that is one of the inputs, contains one, or lies inside an input
 * directory; and an output that cannot be written (a parent that is a file, a read-only
 * or unwritable directory, a directory or device in the way, a name too long for the
 * temporary sibling the atomic writers use). The errors the writers still meet
 * (a full disk, say) become OutputError lines through asOutputError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BnncError, OutputConflictError, OutputError } from '../errors.js';

/**
 * Bytes the atomic writers add to a name for their temporary siblings:
 * `.` + name + `.tmp-<pid ≤ 7>-<ms 13>-<n ≤ 6>` + `.old` or the simulator's `.tmp`.
 */
export const TEMP_SUFFIX_BYTES = 38;
/** The longest file name (bytes) on Linux file systems. */
export const NAME_MAX = 255;
/** The longest output name bnnc accepts. */
export const MAX_OUTPUT_NAME_BYTES = NAME_MAX - TEMP_SUFFIX_BYTES;

export interface DeclaredInput {
  path: string;
  /** What it is, for the message: "model", "training images", "RTL directory"... */
  what: string;
  /** 'dir': nothing may be written inside it either (a design being verified). */
  kind?: 'file' | 'dir';
}

export interface DeclaredOutput {
  path: string;
  /** What it is, for the message: "model file", "waveform", "output directory"... */
  what: string;
  kind: 'file' | 'dir';
}

/**
 * The absolute path with every symbolic link of its existing part resolved; the part
 * that does not exist yet is appended as given.
 */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

/** a is b or lies below it (both real, absolute). */
function within(a: string, b: string): boolean {
  const rel = path.relative(b, a);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EMLINK: 'too many links',
  ENOENT: 'its directory disappeared',
  EEXIST: 'something else appeared in its place',
  ENOTEMPTY: 'something else appeared in its place',
  EXDEV: 'a temporary and its target are on different file systems',
  EBUSY: 'it is busy (a mount point?)',
};

/** A file-system error code, when `e` is one. */
export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** A file-system error met while writing `target` as one OutputError line; other errors unchanged. */
export function asOutputError(target: string, e: unknown): unknown {
  if (e instanceof BnncError) return e;
  const code = fsErrorCode(e);
  if (code === undefined) return e;
  return new OutputError(target, REASONS[code] ?? `${code}: ${(e as Error).message}`);
}

/**
 * mkdir -p, one component at a time. Node's own `mkdirSync(dir, { recursive: true })`
 * retries without end where mkdir fails with ENOENT under an existing parent (procfs:
 * `bnnc report --out /proc/x` hung); here the first failing mkdir throws its error.
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let cur = abs; !fs.existsSync(cur); cur = path.dirname(cur)) {
    missing.unshift(cur);
    if (path.dirname(cur) === cur) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      // Another process made it between the check and here: that is what we wanted.
      if (fsErrorCode(e) !== 'EEXIST' || !fs.statSync(d).isDirectory()) throw e;
    }
  }
}

/** The nearest existing ancestor of p (p itself excluded). */
function nearestExistingParent(p: string): string {
  let cur = path.dirname(p);
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

function describeKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The checks of one output before any work (see the header); throws OutputError. */
export function checkOutputWritable(arg: string, real: string, kind: 'file' | 'dir'): void {
  const base = path.basename(real);
  const bytes = Buffer.byteLength(base);
  if (bytes > MAX_OUTPUT_NAME_BYTES) {
    throw new OutputError(arg, `the name is ${bytes} bytes; with the temporary suffix of bnnc's atomic writes it must be at most ${MAX_OUTPUT_NAME_BYTES}`);
  }
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(real);
  } catch {
    st = null;
  }
  if (st) {
    if (kind === 'file' && !st.isFile()) throw new OutputError(arg, `it is ${describeKind(st)}; bnnc writes regular files`);
    if (kind === 'dir' && !st.isDirectory()) throw new OutputError(arg, `it is ${st.isFile() ? 'a file' : describeKind(st)}, not a directory`);
  }
  const parent = nearestExistingParent(real);
  let pst: fs.Stats;
  try {
    pst = fs.statSync(parent);
  } catch (e) {
    throw asOutputError(arg, e);
  }
  if (!pst.isDirectory()) throw new OutputError(arg, `${parent} is not a directory`);
  try {
    fs.accessSync(parent, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    const code = fsErrorCode(e);
    throw new OutputError(arg, `${parent}: ${code !== undefined && REASONS[code] ? REASONS[code] : String(e)}`);
  }
  if (parent !== path.dirname(real)) {
    // Directories must be made first: try one (and remove it), since access() passes
    // where mkdir still fails (procfs for root).
    const probe = path.join(parent, `.bnnc-probe-${process.pid}`);
    try {
      fs.mkdirSync(probe);
      fs.rmdirSync(probe);
    } catch (e) {
      const code = fsErrorCode(e);
      throw new OutputError(arg, `cannot make directories in ${parent}${code !== undefined ? ` (${code})` : ''}`);
    }
  }
}

/**
 * Resolve and check a command's outputs against its inputs and the file system, before
 * any work. Returns the outputs' real paths, in the order given.
 */
export function declareIo(decl: { inputs: DeclaredInput[]; outputs: DeclaredOutput[] }): string[] {
  const inputs = decl.inputs.map((i) => ({ ...i, real: realPath(i.path) }));
  return decl.outputs.map((o) => {
    const real = realPath(o.path);
    for (const i of inputs) {
      if (real === i.real) {
        throw new OutputConflictError(`${o.path}: refusing to write the ${o.what} over the ${i.what} ${i.path} (the same file)`);
      }
      if (within(i.real, real)) {
        throw new OutputConflictError(`${o.path}: refusing to replace the ${o.what}: it holds the ${i.what} ${i.path}`);
      }
      if (i.kind === 'dir' && within(real, i.real)) {
        throw new OutputConflictError(`${o.path}: refusing to write the ${o.what} inside the ${i.what} ${i.path}`);
      }
    }
    checkOutputWritable(o.path, real, o.kind);
    return real;
  });
}
