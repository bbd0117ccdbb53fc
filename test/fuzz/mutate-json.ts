/**
 * JSON-level mutations of valid JSON documents: fields deleted, duplicated (two equal
 * keys in one object, which JSON.parse silently resolves to the last), renamed or added;
 * values replaced by wrong types, NaN / Infinity (as raw tokens and as 1e400, which
 * JSON.parse turns into Infinity), negative and huge numbers (2^31, 2^53, 1e308); values
 * swapped between fields (shapes that disagree); deep nesting.
 *
 * The document is held as a tree whose objects are entry lists, so duplicate keys and
 * raw tokens survive until it is written out.
 */
import fc from 'fast-check';
import { MAX_INPUT_BYTES } from './harness.js';

export class Raw {
  constructor(readonly text: string) {}
}
export class Obj {
  constructor(public entries: [string, Tree][]) {}
}
export type Tree = null | boolean | number | string | Raw | Tree[] | Obj;

export function toTree(v: unknown): Tree {
  if (Array.isArray(v)) return v.map(toTree);
  if (v !== null && typeof v === 'object') return new Obj(Object.entries(v).map(([k, x]) => [k, toTree(x)]));
  if (v === undefined) return null;
  return v as Tree;
}

export function writeTree(t: Tree): string {
  if (t instanceof Raw) return t.text;
  if (t instanceof Obj) return `{${t.entries.map(([k, v]) => `${JSON.stringify(k)}:${writeTree(v)}`).join(',')}}`;
  if (Array.isArray(t)) return `[${t.map(writeTree).join(',')}]`;
  return JSON.stringify(t);
}

function clone(t: Tree): Tree {
  if (t instanceof Obj) return new Obj(t.entries.map(([k, v]) => [k, clone(v)]));
  if (Array.isArray(t)) return t.map(clone);
  return t;
}

/** Values that break naive field checks, as JSON text (some of it deliberately not JSON). */
export const INTERESTING_JSON = [
  'null', 'true', 'false', '0', '-0', '1', '-1', '2', '3', '0.5', '-0.5', '1.5', '255', '256', '65535', '65536',
  '1048577', '2147483647', '2147483648', '-2147483649', '4294967295', '4294967296', '9007199254740991',
  '9007199254740992', '9007199254740993', '1e308', '-1e308', '1.7976931348623157e308', '1e400', '-1e400',
  '1e-400', '5e-324', '""', '"x"', '"NaN"', '"Infinity"', '"1"', '"__proto__"', '"\\ud800"', '"\\u0000"',
  `"${'a'.repeat(5000)}"`, '[]', '{}', '[0]', '[1,2]', '[-1]', '[1.5]', '[null]', '[2147483648,2147483648,2147483648]',
  '[4294967296,4294967296]', '[9007199254740992]', '[65536,65536,65536,65536]', '{"__proto__":{"x":1}}',
  '{"constructor":1}', 'NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '01', '+1', '.5', '1.',
];

/** Nesting depths: past the ~5000 frames where recursive JSON.stringify overflows the stack, within 64 KiB. */
const DEPTHS = [64, 2000, 12000];
const UNKNOWN_KEYS = ['extra', '__proto__', 'constructor', '', 'x'.repeat(300)];

type Op = 'replace' | 'nearby' | 'delete' | 'duplicate' | 'rename' | 'addKey' | 'wrap' | 'deep' | 'swap';
interface JsonMutation {
  op: Op;
  node: number;
  other: number;
  pick: number;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  op: fc.constantFrom<Op>(
    'replace', 'replace', 'replace', 'replace', 'nearby', 'nearby', 'nearby', 'delete', 'delete',
    'duplicate', 'duplicate', 'rename', 'addKey', 'wrap', 'deep', 'swap', 'swap',
  ),
  node: fc.nat(),
  other: fc.nat(),
  pick: fc.nat({ max: INTERESTING_JSON.length - 1 }),
});

/** A slot holding a value: the root, an object entry or an array element. */
interface Slot {
  get(): Tree;
  set(v: Tree): void;
  /** Parent container and position, absent for the root. */
  parent?: Obj | Tree[];
  at?: number;
}

function slots(root: { v: Tree }): Slot[] {
  const out: Slot[] = [{ get: () => root.v, set: (v) => (root.v = v) }];
  const visit = (t: Tree): void => {
    if (t instanceof Obj) {
      t.entries.forEach((e, i) => {
        out.push({ get: () => e[1], set: (v) => (e[1] = v), parent: t, at: i });
        visit(e[1]);
      });
    } else if (Array.isArray(t)) {
      t.forEach((x, i) => {
        out.push({ get: () => t[i], set: (v) => (t[i] = v), parent: t, at: i });
        visit(x);
      });
    }
  };
  visit(root.v);
  return out;
}

function nearby(t: Tree, pick: number): Tree {
  if (typeof t === 'number') {
    const vs = [t + 1, t - 1, t * 2, -t, t + 0.5, t * 1000, t - 2, Math.floor(t / 2), t + 2 ** 31, t * 2 ** 20];
    return vs[pick % vs.length];
  }
  if (typeof t === 'string') {
    const vs = ['', t + t, t.slice(1), t.toUpperCase(), t + 'x', ' ' + t];
    return vs[pick % vs.length];
  }
  if (Array.isArray(t)) {
    if (t.length === 0) return [0];
    const vs = [t.slice(0, -1), [...t, clone(t[t.length - 1])], [...t].reverse(), t.slice(1), [...t, ...t.map(clone)]];
    return vs[pick % vs.length];
  }
  if (t instanceof Obj) {
    if (t.entries.length === 0) return new Obj([['x', 1]]);
    return new Obj(t.entries.filter((_, i) => i !== pick % t.entries.length));
  }
  if (typeof t === 'boolean') return !t;
  return 0;
}

function applyJson(root: { v: Tree }, m: JsonMutation): void {
  const all = slots(root);
  const s = all[m.node % all.length];
  const interesting = (): Tree => new Raw(INTERESTING_JSON[m.pick]);
  switch (m.op) {
    case 'replace':
      s.set(interesting());
      return;
    case 'nearby':
      s.set(nearby(s.get(), m.pick));
      return;
    case 'delete':
      if (s.parent instanceof Obj) s.parent.entries.splice(s.at!, 1);
      else if (Array.isArray(s.parent)) s.parent.splice(s.at!, 1);
      else s.set(new Raw(''));
      return;
    case 'duplicate':
      if (s.parent instanceof Obj) {
        const key = s.parent.entries[s.at!][0];
        // Half the time the duplicate says something else, half the time the same thing.
        const v = m.pick % 2 === 0 ? clone(s.get()) : interesting();
        s.parent.entries.splice(m.other % 2 === 0 ? s.at! + 1 : s.parent.entries.length, 0, [key, v]);
      } else if (Array.isArray(s.parent)) s.parent.splice(s.at!, 0, clone(s.get()));
      else s.set(new Raw(`${writeTree(s.get())}${writeTree(s.get())}`));
      return;
    case 'rename':
      if (s.parent instanceof Obj) {
        const keys = s.parent.entries.map(([k]) => k);
        const names = [...UNKNOWN_KEYS, ...keys];
        s.parent.entries[s.at!][0] = names[m.other % names.length];
      }
      return;
    case 'addKey': {
      const t = s.get();
      if (t instanceof Obj) t.entries.push([UNKNOWN_KEYS[m.other % UNKNOWN_KEYS.length], interesting()]);
      return;
    }
    case 'wrap':
      s.set(m.other % 2 === 0 ? [s.get()] : new Obj([['value', s.get()]]));
      return;
    case 'deep': {
      const d = DEPTHS[m.other % DEPTHS.length];
      s.set(new Raw(m.pick % 2 === 0 ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d / 2) + '1' + '}'.repeat(d / 2)));
      return;
    }
    case 'swap': {
      const o = all[m.other % all.length];
      const a = clone(s.get());
      const b = clone(o.get());
      s.set(b);
      o.set(a);
      return;
    }
  }
}

/** Apply 1..3 JSON mutations to one of `bases` (plain JSON values) and write it out. */
export function mutatedJson(bases: unknown[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat({ max: bases.length - 1 }), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
    .map(([bi, ms]) => {
      const root = { v: toTree(bases[bi]) };
      for (const m of ms) applyJson(root, m);
      const text = writeTree(root.v);
      // Stacked growth (a deep value duplicated) could pass 64 KiB: cut it, still malformed.
      return text.length > MAX_INPUT_BYTES - 8192 ? text.slice(0, MAX_INPUT_BYTES - 8192) : text;
    });
}
