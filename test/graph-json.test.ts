/**
 * The JSON helpers every loader uses on file contents (src/graph/json.ts): the bounded
 * value describer of error messages, the strict parser (duplicate keys, nesting depth)
 * and the JSON round-trip check, on values far deeper and longer than any stack or
 * message can take.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { checkJsonValue, describeValue, MAX_JSON_DEPTH, parseJsonStrict } from '../src/graph/json.js';

const nestedText = (depth: number, inner = '1'): string => '['.repeat(depth) + inner + ']'.repeat(depth);

function nestedValue(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** The InputError fn throws (fails the test on anything else). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

describe('describeValue', () => {
  it('writes small values as JSON, and numbers JSON cannot write as String does', () => {
    const values: unknown[] = [0, -2.5, 'dense', '', true, null, [1, 2, 3], { kind: 'fc', units: [64, { bias: false }] }, []];
    for (const v of values) expect(describeValue(v)).toBe(JSON.stringify(v));
    expect([NaN, Infinity, -Infinity, undefined].map((v) => describeValue(v))).toEqual(['NaN', 'Infinity', '-Infinity', 'undefined']);
    expect(describeValue(new Uint32Array(3))).toBe('a Uint32Array of 12 bytes');
  });

  it('shows containers deeper than four levels as [...] / {...}', () => {
    expect(describeValue([[[[[[1]]]]]])).toBe('[[[[[...]]]]]');
    expect(describeValue({ a: { b: { c: { d: { e: 1 } } } } })).toBe('{"a":{"b":{"c":{"d":{...}}}}}');
    expect(describeValue([[[[[]]]]])).toBe('[[[[[]]]]]');
  });

  it('stays short and does not overflow the stack on a value 10^5 levels deep', () => {
    expect(describeValue(nestedValue(100_000))).toBe('[[[[[...]]]]]');
  });

  it('cuts long strings, wide arrays and wide objects to the length asked for', () => {
    const long = describeValue('x'.repeat(1_000_000));
    expect(long).toBe(`"${'x'.repeat(76)}...`);
    const wide = describeValue(new Array(1_000_000).fill(7));
    expect(wide).toBe(`[${'7,'.repeat(38)}...`);
    expect(wide.length).toBe(80);
    const obj = describeValue(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])), 20);
    expect(obj).toBe('{"k0":0,"k1":1,"k...');
  });
});

describe('parseJsonStrict', () => {
  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses one more, naming where`, () => {
    expect(parseJsonStrict(nestedText(MAX_JSON_DEPTH), 'f.json', 'doc')).toEqual(nestedValue(MAX_JSON_DEPTH));
    const e = inputError(() => parseJsonStrict(`{"a":[0,{"b":${nestedText(MAX_JSON_DEPTH - 2)}}]}`, 'f.json', 'doc'));
    expect([e.source, e.field]).toEqual(['f.json', 'doc']);
    expect(e.expected).toBe(`JSON nested at most ${MAX_JSON_DEPTH} levels deep`);
    // The 65th container: the object, "a", its element 1, "b", then 61 levels of [0].
    expect(e.got).toBe(`deeper nesting at a[1].b${'[0]'.repeat(23)}[0...`); // cut to 80 characters
  });

  it('refuses 10 000 levels with an InputError (the parse itself does not recurse)', () => {
    const e = inputError(() => parseJsonStrict(nestedText(10_000), 'deep.json', 'doc'));
    expect(e.message).toMatch(/^deep\.json: doc: expected JSON nested at most 64 levels deep, got deeper nesting at \[0\]\[0\]/);
    expect(e.message.length).toBeLessThan(200);
  });

  it('counts brackets inside strings as text, not nesting', () => {
    const text = `{"s":"${'['.repeat(500)}\\"{{{"}`;
    expect(parseJsonStrict(text, 'f.json', 'doc')).toEqual({ s: `${'['.repeat(500)}"{{{` });
  });

  it('refuses a key given twice in one object, and allows it in different objects', () => {
    const e = inputError(() => parseJsonStrict('{"layers":[{"pe":2,"simd":4,"pe":8}]}', 'f.json', 'doc'));
    expect(e.message).toBe('f.json: doc: expected JSON without duplicate keys, got key "pe" twice');
    expect(parseJsonStrict('[{"pe":2},{"pe":8}]', 'f.json', 'doc')).toEqual([{ pe: 2 }, { pe: 8 }]);
    // Escapes decoded before comparing: "p\u0065" is "pe".
    expect(() => parseJsonStrict('{"pe":2,"p\\u0065":8}', 'f.json', 'doc')).toThrow(/key "pe" twice/);
  });

  it('names the source and field of text that is not JSON', () => {
    expect(() => parseJsonStrict('{"a":', 'f.json', 'doc')).toThrow(/^f\.json: doc: expected JSON text, got /);
  });
});

describe('checkJsonValue', () => {
  it('accepts a JSON value nested up to the limit and refuses one level more', () => {
    expect(() => checkJsonValue({ a: nestedValue(MAX_JSON_DEPTH - 1) }, 'm', 'meta')).not.toThrow();
    const e = inputError(() => checkJsonValue({ a: nestedValue(MAX_JSON_DEPTH) }, 'm', 'meta'));
    expect(e.expected).toBe(`a value nested at most ${MAX_JSON_DEPTH} levels deep`);
    expect(e.field).toBe(`meta.a${'[0]'.repeat(23)}[0...`); // cut to 80 characters
  });

  it('refuses an in-memory value 10^5 levels deep without recursing', () => {
    expect(() => checkJsonValue(nestedValue(100_000), 'm', 'meta', 10)).toThrow(/meta\[0\].*expected a value nested at most 10 levels deep/);
  });

  it('reports the first value JSON would change, in document order', () => {
    const e = inputError(() => checkJsonValue({ a: [1, { b: NaN }], c: undefined }, 'm', 'meta'));
    expect([e.field, e.got]).toEqual(['meta.a[1].b', 'NaN']);
    expect(() => checkJsonValue({ d: new Date(0) }, 'm', 'meta')).toThrow(/meta\.d: expected a JSON value .*got Date/);
    expect(() => checkJsonValue({ x: 'ok', y: [null, true, -0.5] }, 'm', 'meta')).not.toThrow();
  });
});
