/**
 * Text-level mutations of valid line-oriented or markup files: lines deleted, repeated,
 * swapped; whitespace-separated tokens replaced by hostile numbers (huge, negative,
 * NaN, 400 digits); dictionary snippets (format keywords, XML entities) inserted;
 * truncation at any character or line; CRLF; and byte-level damage through UTF-8.
 */
import fc from 'fast-check';
import { MAX_INPUT_BYTES } from './harness.js';

export const INTERESTING_TOKENS = [
  '0', '1', '-1', '2', '-2', '3', '7', '16', '31', '32', '33', '255', '65535', '65536', '2147483647', '2147483648',
  '-2147483649', '4294967295', '4294967296', '9007199254740992', '9007199254740993', '99999999999',
  '1000000000', '1e308', '1e309', '-1e308', '1e-400', 'NaN', 'Infinity', '-Infinity', '-0', '0.5', '1.5', '',
  'x', '0x10', '+1', '1_000', '9'.repeat(400), '00000000000000000001',
];

type TextOp =
  | { op: 'deleteLine'; line: number }
  | { op: 'repeatLine'; line: number; times: number }
  | { op: 'swapLines'; a: number; b: number }
  | { op: 'token'; line: number; token: number; pick: number }
  | { op: 'dropToken'; line: number; token: number }
  | { op: 'addToken'; line: number; pick: number }
  | { op: 'insertSnippet'; at: number; pick: number }
  | { op: 'truncate'; at: number }
  | { op: 'truncateLine'; line: number }
  | { op: 'crlf' }
  | { op: 'setChar'; at: number; code: number };

const frac = fc.nat({ max: 0xffffffff });

function textOp(snippets: number): fc.Arbitrary<TextOp> {
  const snippet: fc.WeightedArbitrary<TextOp>[] =
    snippets > 0
      ? [{ weight: 4, arbitrary: fc.record({ op: fc.constant('insertSnippet' as const), at: frac, pick: fc.nat({ max: snippets - 1 }) }) }]
      : [];
  return fc.oneof(
    ...snippet,
    { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteLine' as const), line: frac }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('repeatLine' as const), line: frac, times: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('swapLines' as const), a: frac, b: frac }) },
    { weight: 8, arbitrary: fc.record({ op: fc.constant('token' as const), line: frac, token: frac, pick: fc.nat({ max: INTERESTING_TOKENS.length - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('dropToken' as const), line: frac, token: frac }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('addToken' as const), line: frac, pick: fc.nat({ max: INTERESTING_TOKENS.length - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: frac }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncateLine' as const), line: frac }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('crlf' as const) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('setChar' as const), at: frac, code: fc.nat({ max: 0xffff }) }) },
  );
}

function pos(f: number, n: number): number {
  return Math.floor((f / 2 ** 32) * n);
}

function applyText(t: string, m: TextOp, snippets: readonly string[]): string {
  const lines = t.split('\n');
  const li = (f: number): number => pos(f, lines.length);
  switch (m.op) {
    case 'deleteLine':
      lines.splice(li(m.line), 1);
      return lines.join('\n');
    case 'repeatLine': {
      const i = li(m.line);
      lines.splice(i, 0, ...Array<string>(m.times).fill(lines[i]));
      return lines.join('\n');
    }
    case 'swapLines': {
      const a = li(m.a);
      const b = li(m.b);
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
    case 'token':
    case 'dropToken':
    case 'addToken': {
      const i = li(m.line);
      const toks = lines[i].split(' ');
      if (m.op === 'token') toks[pos(m.token, toks.length)] = INTERESTING_TOKENS[m.pick];
      else if (m.op === 'dropToken') toks.splice(pos(m.token, toks.length), 1);
      else toks.push(INTERESTING_TOKENS[m.pick]);
      lines[i] = toks.join(' ');
      return lines.join('\n');
    }
    case 'insertSnippet': {
      const at = pos(m.at, t.length + 1);
      return t.slice(0, at) + snippets[m.pick] + t.slice(at);
    }
    case 'truncate':
      return t.slice(0, pos(m.at, t.length));
    case 'truncateLine':
      return lines.slice(0, li(m.line)).join('\n');
    case 'crlf':
      return t.replace(/\n/g, '\r\n');
    case 'setChar': {
      if (t.length === 0) return t;
      const at = pos(m.at, t.length);
      return t.slice(0, at) + String.fromCharCode(m.code) + t.slice(at + 1);
    }
  }
}

/** 1..4 stacked text mutations of one of `bases`, and plain garbage; at most 64 KiB. */
export function mutatedText(bases: string[], snippets: readonly string[] = []): fc.Arbitrary<string> {
  const mutated = fc
    .tuple(fc.nat({ max: bases.length - 1 }), fc.array(textOp(snippets.length), { minLength: 1, maxLength: 4 }))
    .map(([bi, ms]) => {
      let t = bases[bi];
      for (const m of ms) t = applyText(t, m, snippets);
      return t.length > MAX_INPUT_BYTES / 3 ? t.slice(0, MAX_INPUT_BYTES / 3) : t;
    });
  const garbage = fc.string({ unit: 'binary', maxLength: 512 });
  const tokens = fc
    .array(fc.oneof(fc.constantFrom(...INTERESTING_TOKENS), fc.constantFrom(...(snippets.length > 0 ? snippets : ['\n'])), fc.constant('\n'), fc.constant(' ')), { maxLength: 60 })
    .map((ts) => ts.join(''));
  return fc.oneof({ weight: 14, arbitrary: mutated }, { weight: 1, arbitrary: garbage }, { weight: 1, arbitrary: tokens });
}
