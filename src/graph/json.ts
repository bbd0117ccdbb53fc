/**
 * Strict JSON for file headers: JSON.parse silently keeps the last of two equal keys,
 * which would let a file say two different things about one field. parseJsonStrict
 * rejects duplicate keys, and checkJsonValue makes sure a value written with
 * JSON.stringify reads back as the same value.
 */
import { InputError } from '../errors.js';

/**
 * The first key that occurs twice in one object of a valid JSON text, if any. It walks
 * the text with a stack of key sets; strings are skipped as whole tokens so that
 * brackets inside them are not mistaken for structure.
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (ch === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

/** JSON.parse that names the source and field on failure and rejects duplicate keys. */
export function parseJsonStrict(text: string, source: string, field: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(source, field, 'valid JSON', (e as Error).message);
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new InputError(source, field, 'JSON without duplicate keys', `key ${JSON.stringify(dup)} twice`);
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Throw unless `v` survives JSON.stringify/JSON.parse unchanged: null, booleans, strings,
 * finite numbers, arrays and plain objects of those. (JSON turns NaN into null and drops
 * undefined, so writing such a value would silently change it.)
 */
export function checkJsonValue(v: unknown, source: string, field: string): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InputError(source, field, 'a finite number (JSON has no NaN or Infinity)', String(v));
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkJsonValue(x, source, `${field}[${i}]`));
    return;
  }
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) checkJsonValue(x, source, `${field}.${k}`);
    return;
  }
  const what = typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v;
  throw new InputError(source, field, 'a JSON value (null, boolean, string, finite number, array, plain object)', what);
}
