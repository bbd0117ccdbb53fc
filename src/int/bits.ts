/**
 * Bit vectors packed into 32-bit words, LSB first: bit i of a vector is bit (i & 31) of
 * word (i >>> 5). 1 stands for +1, 0 for -1 (the integer contract's encoding). Bits past
 * the end of a vector are always 0; the fast kernels rely on that invariant (an XOR of
 * two zero paddings is zero, so no masking is needed in inner loops).
 */
import { wordsPerRow } from './types.js';

/** Number of set bits of a 32-bit word (SWAR, no table). */
export function popcount32(x: number): number {
  let v = x | 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

/** Mask of the valid bits in the last word of an n-bit vector (all ones if n % 32 == 0). */
export function lastWordMask(n: number): number {
  const r = n & 31;
  return r === 0 ? 0xffffffff : ((1 << r) - 1) >>> 0;
}

/** Pack signs: value >= 0 -> 1 (+1, since sign(0) = +1), value < 0 -> 0. NaN packs as 0. */
export function packSigns(values: ArrayLike<number>): Uint32Array {
  const n = values.length;
  const out = new Uint32Array(wordsPerRow(n));
  for (let i = 0; i < n; i++) if (values[i] >= 0) out[i >>> 5] |= 1 << (i & 31);
  return out;
}

/** Pack a 0/1 vector (any nonzero value counts as 1). */
export function packBits(bits: ArrayLike<number>): Uint32Array {
  const n = bits.length;
  const out = new Uint32Array(wordsPerRow(n));
  for (let i = 0; i < n; i++) if (bits[i] !== 0) out[i >>> 5] |= 1 << (i & 31);
  return out;
}

/** Unpack the first n bits into a 0/1 byte array. */
export function unpackBits(words: Uint32Array, n: number, offset = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = getBit(words, offset + i);
  return out;
}

/** Unpack the first n bits into +-1 values. */
export function unpackSigns(words: Uint32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = getBit(words, i) ? 1 : -1;
  return out;
}

export function getBit(words: ArrayLike<number>, i: number): number {
  return (words[i >>> 5] >>> (i & 31)) & 1;
}

export function setBit(words: Uint32Array | Int32Array, i: number): void {
  words[i >>> 5] |= 1 << (i & 31);
}

/**
 * Number of positions among the first n bits where a and b agree: popcount(xnor(a, b))
 * over n bits. a is read from word aOffset, b from word bOffset. Bits past n are
 * ignored (masked), so this helper does not rely on the zero-padding invariant.
 */
export function xnorPopcount(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  aOffset = 0,
  bOffset = 0,
): number {
  const full = n >>> 5;
  let differ = 0;
  for (let k = 0; k < full; k++) differ += popcount32(a[aOffset + k] ^ b[bOffset + k]);
  if ((n & 31) !== 0) differ += popcount32((a[aOffset + full] ^ b[bOffset + full]) & lastWordMask(n));
  return n - differ;
}

/**
 * Copy len bits from src (starting at bit srcBit) into dst (starting at bit dstBit).
 * Destination bits outside [dstBit, dstBit + len) are left unchanged. Word-at-a-time:
 * used to gather convolution windows and pool runs, which are runs of k*C bits.
 */
export function copyBits(
  src: Uint32Array | Int32Array,
  srcBit: number,
  dst: Uint32Array | Int32Array,
  dstBit: number,
  len: number,
): void {
  while (len > 0) {
    const dOff = dstBit & 31;
    const take = Math.min(len, 32 - dOff);
    const chunk = readBits(src, srcBit, take);
    const mask = take === 32 ? -1 : ((1 << take) - 1) << dOff;
    const di = dstBit >>> 5;
    dst[di] = (dst[di] & ~mask) | ((chunk << dOff) & mask);
    srcBit += take;
    dstBit += take;
    len -= take;
  }
}

/** OR len bits from src (at srcBit) into dst (at dstBit). */
export function orBits(
  src: Uint32Array | Int32Array,
  srcBit: number,
  dst: Uint32Array | Int32Array,
  dstBit: number,
  len: number,
): void {
  while (len > 0) {
    const dOff = dstBit & 31;
    const take = Math.min(len, 32 - dOff);
    const chunk = readBits(src, srcBit, take);
    dst[dstBit >>> 5] |= chunk << dOff;
    srcBit += take;
    dstBit += take;
    len -= take;
  }
}

/** The n (1..32) bits of src starting at bit `bit`, in the low bits of the result. */
function readBits(src: Uint32Array | Int32Array, bit: number, n: number): number {
  const wi = bit >>> 5;
  const off = bit & 31;
  let v = src[wi] >>> off;
  if (off !== 0 && off + n > 32) v |= src[wi + 1] << (32 - off);
  return n === 32 ? v | 0 : v & ((1 << n) - 1);
}
