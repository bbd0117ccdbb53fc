/**
 * JSON from files, handled without trusting it:
 *
 * - parseJsonStrict: JSON.parse silently keeps the last of two equal keys, which would let
 *   a file say two different things about one field, so duplicate keys are refused; and
 *   nesting is limited to MAX_JSON_DEPTH, because every later walk of the value (checks,
 *   JSON.stringify when it is written back) recurses and a few thousand levels overflow
 *   the stack.
 * - describeValue: how an error message quotes a value from a file, bounded in depth and
 *   length whatever the value is.
 * - checkJsonValue: a value written with JSON.stringify reads back as the same value.
 */
import { InputError } from '../errors.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON document. Our files nest 3 or 4
 * levels; 64 leaves room for user metadata and keeps every recursive walk (JSON.stringify
 * included) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

/** Default length of a quoted value in an error message. */
const DESCRIBE_MAX_LENGTH = 80;
/** Containers nested deeper than this are shown as [...] or {...}. */
const DESCRIBE_MAX_DEPTH = 4;

/** What a structural scan of valid JSON text found. */
type JsonScan = { problem: 'none' } | { problem: 'duplicate'; key: string } | { problem: 'depth'; path: string };

/** One open array or object during a scan. */
interface ScanFrame {
  /** The keys seen so far (objects), or null (arrays). */
  keys: Set<string> | null;
  /** The last key read (objects) or the index of the current element (arrays). */
  at: string | number;
  /** How the parent reaches this container: ".key", "[3]", or "" for the document. */
  step: string;
}

/** `s` cut to maxLen characters, the last three of them "..." when something was cut. */
function cut(s: string, maxLen: number): string {
  return s.length > maxLen ? `${s.slice(0, Math.max(0, maxLen - 3))}...` : s;
}

/** The path of a container, as in "t.shape[0][0]", cut to DESCRIBE_MAX_LENGTH characters. */
function scanPath(stack: ScanFrame[], step: string): string {
  let path = '';
  for (const f of stack) {
    path += f.step;
    if (path.length > DESCRIBE_MAX_LENGTH) break;
  }
  return cut((path + step).replace(/^\./, ''), DESCRIBE_MAX_LENGTH);
}

/**
 * Walk a valid JSON text with a stack of open containers (iteratively, so depth costs no
 * call stack) and stop at the first container nested deeper than maxDepth, reporting
 * where it is, or the first key that occurs twice in one object. Strings are skipped as
 * whole tokens so that brackets inside them are not mistaken for structure. The text
 * must already have passed JSON.parse: an unterminated string would not be noticed here.
 */
function scanJson(text: string, maxDepth: number): JsonScan {
  const stack: ScanFrame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { problem: 'duplicate', key };
        top.keys.add(key);
        top.at = key;
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const step = parent === undefined ? '' : parent.keys ? `.${parent.at}` : `[${parent.at}]`;
      if (stack.length >= maxDepth) return { problem: 'depth', path: scanPath(stack, step) };
      stack.push({ keys: ch === 0x7b ? new Set() : null, at: 0, step });
      expectKey = ch === 0x7b;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (ch === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top && top.keys === null) top.at = (top.at as number) + 1;
      expectKey = top?.keys != null;
    }
  }
  return { problem: 'none' };
}

/**
 * JSON.parse that names the source and field on failure, and refuses duplicate keys and
 * nesting deeper than MAX_JSON_DEPTH. (V8's JSON.parse itself does not recurse, so the
 * depth is checked on the parsed text, where the scan is known to terminate.)
 */
export function parseJsonStrict(text: string, source: string, field: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8's messages quote at most a short excerpt of the text, so they are bounded.
    throw new InputError(source, field, 'JSON text', (e as Error).message);
  }
  const scan = scanJson(text, MAX_JSON_DEPTH);
  if (scan.problem === 'depth') {
    throw new InputError(source, field, `JSON nested at most ${MAX_JSON_DEPTH} levels deep`, `deeper nesting at ${scan.path}`);
  }
  if (scan.problem === 'duplicate') throw new InputError(source, field, 'JSON without duplicate keys', `key ${describeValue(scan.key)} twice`);
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A value as an error message quotes it: JSON for what is small (strings quoted, numbers
 * as String gives them, so NaN and Infinity show), containers nested deeper than a few
 * levels as [...] / {...}, and the whole cut to maxLen characters with "...". The work
 * is bounded by maxLen and the depth limit, not by the size of the value, so a value
 * nested thousands of levels deep or a megabyte string cannot overflow the stack or
 * flood the message.
 */
export function describeValue(v: unknown, maxLen = DESCRIBE_MAX_LENGTH): string {
  const out: string[] = [];
  let length = 0;
  const emit = (s: string): void => {
    out.push(s);
    length += s.length;
  };
  const full = (): boolean => length > maxLen;
  const walk = (x: unknown, depth: number): void => {
    if (typeof x === 'string') {
      // Quote only what can be shown: the slice keeps a long string from being copied whole.
      emit(JSON.stringify(x.length > maxLen ? x.slice(0, maxLen) : x));
      if (x.length > maxLen) emit('...');
    } else if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint' || x === null || x === undefined) {
      emit(String(x));
    } else if (Array.isArray(x)) {
      if (depth >= DESCRIBE_MAX_DEPTH && x.length > 0) return emit('[...]');
      emit('[');
      for (let i = 0; i < x.length && !full(); i++) {
        if (i > 0) emit(',');
        walk(x[i], depth + 1);
      }
      emit(']');
    } else if (isPlainObject(x)) {
      const keys = Object.keys(x);
      if (depth >= DESCRIBE_MAX_DEPTH && keys.length > 0) return emit('{...}');
      emit('{');
      for (let i = 0; i < keys.length && !full(); i++) {
        if (i > 0) emit(',');
        walk(keys[i], depth + 1);
        emit(':');
        walk(x[keys[i]], depth + 1);
      }
      emit('}');
    } else if (ArrayBuffer.isView(x)) {
      emit(`a ${x.constructor.name} of ${x.byteLength} bytes`);
    } else if (typeof x === 'object') {
      emit(`a ${(x as object).constructor?.name ?? 'object'}`);
    } else {
      emit(`a ${typeof x}`);
    }
  };
  walk(v, 0);
  return cut(out.join(''), maxLen);
}

/**
 * Throw unless `v` survives JSON.stringify/JSON.parse unchanged: null, booleans, strings,
 * finite numbers, arrays and plain objects of those, nested at most `maxDepth` levels (a
 * deeper value could not be read back by parseJsonStrict). (JSON turns NaN into null and
 * drops undefined, so writing such a value would silently change it.) Iterative: an
 * in-memory value of any depth is refused without recursion.
 */
export function checkJsonValue(v: unknown, source: string, field: string, maxDepth = MAX_JSON_DEPTH): void {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: v, path: field, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, path, depth } = item;
    if (value === null || typeof value === 'boolean' || typeof value === 'string') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InputError(source, path, 'a finite number (JSON has no NaN or Infinity)', String(value));
      continue;
    }
    const isArray = Array.isArray(value);
    if (!isArray && !isPlainObject(value)) {
      const what = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
      throw new InputError(source, path, 'a JSON value (null, boolean, string, finite number, array, plain object)', what);
    }
    if (depth >= maxDepth) throw new InputError(source, cut(path, DESCRIBE_MAX_LENGTH), `a value nested at most ${maxDepth} levels deep`, 'deeper nesting');
    // Pushed in reverse so that the first offending element (in document order) is reported.
    const entries: [string, unknown][] = isArray
      ? (value as unknown[]).map((x, i) => [`${path}[${i}]`, x])
      : Object.entries(value as Record<string, unknown>).map(([k, x]) => [`${path}.${k}`, x]);
    for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i][1], path: entries[i][0], depth: depth + 1 });
  }
}
