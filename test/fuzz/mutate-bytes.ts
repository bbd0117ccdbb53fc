/**
 * Byte-level mutations of valid files. A mutation is generated as data (positions as
 * 32-bit fractions of the current length, so one description applies to any input) and
 * then applied; 1..4 of them are stacked on a valid base.
 *
 * The format under test describes itself with `boundaries` (offsets where truncation
 * is interesting: end of magic, of header, of each record) and `fields` (integer
 * fields: where, how wide, which byte order), so that size fields get the values that
 * break naive loaders: 0, all ones, 2^31, 2^32 - 1, 2^53, and neighbours of the truth.
 */
import fc from 'fast-check';
import { MAX_INPUT_BYTES } from './harness.js';

export interface IntField {
  at: number;
  size: 1 | 2 | 4 | 8;
  little: boolean;
}

export interface ByteFormat {
  /** Valid files of the format. */
  bases: Uint8Array[];
  /** Interesting truncation offsets of a base. */
  boundaries?(base: Uint8Array): number[];
  /** Integer header fields of a base. */
  fields?(base: Uint8Array): IntField[];
  /** Length of the magic number at offset 0. */
  magicLength?: number;
}

type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'truncateAtBoundary'; which: number; delta: number }
  | { op: 'setBytes'; at: number; bytes: number[] }
  | { op: 'flipBit'; at: number; bit: number }
  | { op: 'setField'; which: number; value: number; random: bigint }
  | { op: 'magic'; bytes: number[] }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; len: number }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'append'; bytes: number[] };

const frac = fc.nat({ max: 0xffffffff });
const someBytes = (max: number) => fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: max });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: frac }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('truncateAtBoundary' as const), which: frac, delta: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('setBytes' as const), at: frac, bytes: someBytes(8) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('flipBit' as const), at: frac, bit: fc.nat({ max: 7 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('setField' as const),
      which: frac,
      value: fc.nat({ max: 31 }),
      random: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('magic' as const), bytes: someBytes(8) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: frac, bytes: someBytes(16) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: frac, len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at: frac, len: fc.integer({ min: 1, max: 256 }), times: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('append' as const), bytes: someBytes(64) }) },
);

function pos(f: number, len: number): number {
  return Math.floor((f / 2 ** 32) * len);
}

/** The value a setField mutation writes, by index: edge cases first, then neighbours, then random. */
function fieldValue(field: IntField, old: bigint, which: number, random: bigint): bigint {
  const bits = BigInt(field.size * 8);
  const max = (1n << bits) - 1n;
  const edges = [0n, 1n, 2n, 3n, max, max - 1n, 1n << (bits - 1n), (1n << (bits - 1n)) - 1n, 255n, 256n, 65535n, 65536n];
  if (field.size >= 4) edges.push(0x7fffffffn, 0x80000000n, 0xffffffffn, 1000000n, 1n << 24n, 1n << 28n, 1n << 30n);
  if (field.size === 8) edges.push(1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, 100000001n);
  const near = [old + 1n, old - 1n, old * 2n, old / 2n, old + 4n, old - 4n, old * 1000n, old + 8n, old - 8n, old + 3n];
  const all = [...edges, ...near];
  const v = which < all.length ? all[which] : random;
  return ((v % (max + 1n)) + (max + 1n)) % (max + 1n);
}

function readField(b: Uint8Array, f: IntField): bigint {
  let v = 0n;
  for (let i = 0; i < f.size; i++) {
    const byte = BigInt(b[f.at + (f.little ? f.size - 1 - i : i)] ?? 0);
    v = (v << 8n) | byte;
  }
  return v;
}

function writeField(b: Uint8Array, f: IntField, v: bigint): void {
  for (let i = 0; i < f.size; i++) {
    const shift = BigInt(8 * (f.little ? i : f.size - 1 - i));
    if (f.at + i < b.length) b[f.at + i] = Number((v >> shift) & 0xffn);
  }
}

function splice(b: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

function apply(format: ByteFormat, base: Uint8Array, b: Uint8Array, m: Mutation): Uint8Array {
  const n = b.length;
  switch (m.op) {
    case 'truncate':
      return b.slice(0, pos(m.at, n));
    case 'truncateAtBoundary': {
      const bs = format.boundaries?.(base) ?? [0, n];
      const at = bs[pos(m.which, bs.length)] + m.delta;
      return b.slice(0, Math.max(0, Math.min(n, at)));
    }
    case 'setBytes': {
      const out = b.slice();
      const at = pos(m.at, n);
      m.bytes.forEach((v, i) => {
        if (at + i < n) out[at + i] = v;
      });
      return out;
    }
    case 'flipBit': {
      if (n === 0) return b;
      const out = b.slice();
      out[pos(m.at, n)] ^= 1 << m.bit;
      return out;
    }
    case 'setField': {
      const fields = (format.fields?.(base) ?? []).filter((f) => f.at + f.size <= n);
      if (fields.length === 0) return b;
      const f = fields[pos(m.which, fields.length)];
      const out = b.slice();
      writeField(out, f, fieldValue(f, readField(b, f), m.value, m.random));
      return out;
    }
    case 'magic': {
      const out = b.slice();
      const len = Math.min(format.magicLength ?? 4, n);
      for (let i = 0; i < len; i++) out[i] = m.bytes[i % m.bytes.length];
      return out;
    }
    case 'insert':
      return splice(b, pos(m.at, n + 1), 0, m.bytes);
    case 'delete': {
      const at = pos(m.at, n);
      return splice(b, at, Math.min(m.len, n - at), []);
    }
    case 'repeat': {
      const at = pos(m.at, n);
      const chunk = b.subarray(at, Math.min(n, at + m.len));
      const rep = new Uint8Array(chunk.length * m.times);
      for (let i = 0; i < m.times; i++) rep.set(chunk, i * chunk.length);
      return splice(b, at, 0, rep);
    }
    case 'append':
      return splice(b, n, 0, m.bytes);
  }
}

/** Malformed variants of a format's valid files: stacked mutations, and plain garbage. */
export function mutatedBytes(format: ByteFormat): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.nat({ max: format.bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([bi, ms]) => {
      const base = format.bases[bi];
      let b = base;
      for (const m of ms) b = apply(format, base, b, m);
      return b.length > MAX_INPUT_BYTES ? b.slice(0, MAX_INPUT_BYTES) : b;
    });
  const garbage = fc.uint8Array({ maxLength: 1024 });
  // Garbage behind a valid start: gets past the magic check into the header parser.
  const validStart = fc
    .tuple(fc.nat({ max: format.bases.length - 1 }), fc.nat({ max: 64 }), fc.uint8Array({ maxLength: 256 }))
    .map(([bi, keep, tail]) => {
      const base = format.bases[bi];
      const head = base.subarray(0, Math.min(keep, base.length));
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    });
  return fc.oneof({ weight: 16, arbitrary: mutated }, { weight: 1, arbitrary: garbage }, { weight: 1, arbitrary: validStart });
}
