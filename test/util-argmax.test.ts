import { describe, expect, it } from 'vitest';
import { argmax } from '../src/util/argmax.js';

describe('argmax: the class rule of the integer contract', () => {
  it('ties go to the lowest index, over the whole array or a sub-range', () => {
    expect(argmax([3, 7, 7, 1])).toBe(1);
    expect(argmax(new Int32Array([-5, -5, -5]))).toBe(0);
    expect(argmax(new Float32Array([0, 1, 9, 2, 9, 9]), 3, 3)).toBe(1);
    expect(argmax([4], 0, 1)).toBe(0);
  });
  it('agrees with a sort-based reference on random vectors with many ties', () => {
    let s = 12345;
    const next = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 5;
    for (let t = 0; t < 500; t++) {
      const v = Array.from({ length: 1 + (t % 12) }, next);
      const max = Math.max(...v);
      expect(argmax(v)).toBe(v.indexOf(max));
    }
  });
});
