/** Bit-vector helpers against one-bit-at-a-time references. */
import { describe, expect, it } from 'vitest';
import { copyBits, getBit, lastWordMask, orBits, packBits, packSigns, popcount32, unpackBits, xnorPopcount } from '../src/int/bits.js';
import { Rng } from '../src/util/rng.js';

function randomWords(rng: Rng, n: number): Uint32Array {
  return Uint32Array.from({ length: n }, () => rng.nextU32());
}

describe('bits', () => {
  it('popcount32 counts set bits', () => {
    const rng = new Rng(1);
    for (const x of [0, 1, 0x80000000, 0xffffffff, 0x55555555, ...Array.from({ length: 500 }, () => rng.nextU32())]) {
      let n = 0;
      for (let i = 0; i < 32; i++) n += (x >>> i) & 1;
      expect(popcount32(x)).toBe(n);
    }
  });

  it('packSigns / packBits / unpackBits: LSB first, sign(0) = +1, padding 0', () => {
    expect(Array.from(packSigns([1, -1, 0, -0.5, 2]))).toEqual([0b10101]);
    const rng = new Rng(2);
    for (const n of [1, 31, 32, 33, 65, 100]) {
      const bits = Array.from({ length: n }, () => rng.int(2));
      const w = packBits(bits);
      expect(w.length).toBe(Math.ceil(n / 32));
      expect(Array.from(unpackBits(w, n))).toEqual(bits);
      expect(w[w.length - 1] & ~lastWordMask(n)).toBe(0);
    }
  });

  it('xnorPopcount counts agreeing bits and ignores bits past n', () => {
    const rng = new Rng(3);
    for (const n of [1, 7, 32, 33, 64, 95]) {
      const a = randomWords(rng, 4);
      const b = randomWords(rng, 4);
      let same = 0;
      for (let i = 0; i < n; i++) same += getBit(a, i) === getBit(b, i) ? 1 : 0;
      expect(xnorPopcount(a, b, n)).toBe(same);
    }
  });

  it('copyBits and orBits at any offsets and lengths', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 2000; trial++) {
      const src = randomWords(rng, 8);
      const dst = randomWords(rng, 8);
      const len = rng.int(130);
      const s = rng.int(256 - len);
      const d = rng.int(256 - len);
      const copied = dst.slice();
      copyBits(src, s, copied, d, len);
      const ored = dst.slice();
      orBits(src, s, ored, d, len);
      const wantCopy: number[] = [];
      const wantOr: number[] = [];
      for (let i = 0; i < 256; i++) {
        const inside = i >= d && i < d + len;
        wantCopy.push(inside ? getBit(src, s + i - d) : getBit(dst, i));
        wantOr.push(inside ? getBit(src, s + i - d) | getBit(dst, i) : getBit(dst, i));
      }
      expect(Array.from(unpackBits(copied, 256)), `copy ${len} bits ${s} -> ${d}`).toEqual(wantCopy);
      expect(Array.from(unpackBits(ored, 256)), `or ${len} bits ${s} -> ${d}`).toEqual(wantOr);
    }
  });
});
