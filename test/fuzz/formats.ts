/**
 * Small helpers to take valid files apart and put (possibly inconsistent) pieces back
 * together, independently of the loaders under test.
 */
import { MAX_INPUT_BYTES } from './harness.js';

/** Split a safetensors file into header text and data buffer, trusting nothing but the base file. */
export function splitSafetensors(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

/**
 * Assemble a safetensors file. `lengthDelta` makes the length prefix lie (by a few bytes
 * either way); the header is padded with spaces to 8 bytes as the format recommends.
 */
export function joinSafetensors(header: string, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = new TextEncoder().encode(header);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, padded + lengthDelta)), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}

/** Offsets inside a safetensors file where truncation is interesting. */
export function safetensorsBoundaries(bytes: Uint8Array): number[] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const out = [0, 1, 4, 7, 8, 9, 8 + n - 1, 8 + n, bytes.length - 1, bytes.length];
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets?: number[] }>;
    for (const e of Object.values(header)) for (const o of e.data_offsets ?? []) out.push(8 + n + o);
  } catch {
    /* a base is always valid; nothing to add otherwise */
  }
  return out;
}

/**
 * Cut an assembled file to the fuzz input limit. JSON escaping inside a safetensors
 * header can double a mutated document; the cut file is still a malformed input.
 */
export function capBytes(b: Uint8Array): Uint8Array {
  return b.length > MAX_INPUT_BYTES ? b.slice(0, MAX_INPUT_BYTES) : b;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throw (so the harness reports "accepted but ...") unless `cond`. */
export function ensure(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}
