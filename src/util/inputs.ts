/**
 * Reading a file bnnc was given: it must be a regular file. The file is opened
 * non-blocking and checked on the open descriptor, so a FIFO (or a device, a socket,
 * a directory) in place of a model, a folding or a ROM image is one InputError line
 * instead of a read that blocks forever.
 */
import fs from 'node:fs';
import { InputError } from '../errors.js';

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Open `file` for reading; throws InputError unless it is a regular file. The caller closes the fd. */
export function openRegularFile(file: string, what = 'a regular file'): number {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new InputError(file, 'file', what, 'a directory');
    throw new InputError(file, 'file', what, code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new InputError(file, 'file', what, kindOf(st));
  }
  return fd;
}

/** The whole contents of a regular file (see openRegularFile). */
export function readRegularFile(file: string, what?: string): Buffer;
export function readRegularFile(file: string, what: string | undefined, encoding: BufferEncoding): string;
export function readRegularFile(file: string, what?: string, encoding?: BufferEncoding): Buffer | string {
  const fd = openRegularFile(file, what);
  try {
    const data = fs.readFileSync(fd);
    return encoding ? data.toString(encoding) : data;
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws InputError unless `file` is a regular file (stat follows links; no open, so nothing blocks). */
export function requireRegularFile(file: string, what = 'a regular file'): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, 'file', what, code === 'ENOENT' ? 'no such file' : String(code ?? e));
  }
  if (!st.isFile()) throw new InputError(file, 'file', what, kindOf(st));
}
