/**
 * ROM images ($readmemh text: one hexadecimal word per line, word 0 first) for one
 * MVTU stage: PE p's weight ROM and PE p's parameter ROM. The layouts are the ones
 * bnnc_mvtu.v reads:
 * - weight word nf*SF + sf of PE p, bit j = weight (row nf*PE + p, column sf*SIMD + j);
 *   rows past MH and columns past MW are 0 (padding adds nothing, see bnnc_mvtu.v);
 * - parameter word nf of PE p = the threshold of row nf*PE + p, clamped into the
 *   accumulator's range plus one, in accWidth bits: unsigned for binary inputs (the RTL
 *   compares `acc >= T` unsigned), two's complement for pixel inputs (compared signed);
 *   or {mul, add} of the class (mul in mulWidth bits above add's 32 bits); padding rows
 *   are 0 (docs/hardware.md, "ROM images").
 */
import { getBit } from '../int/bits.js';
import type { FoldedMatrixLayer } from '../int/types.js';
import { wordsPerRow } from '../int/types.js';
import type { MvtuStage } from '../hw/plan.js';
import { clampThreshold, SCORE_BITS } from '../hw/widths.js';

const HEX = '0123456789abcdef';

export function hexDigits(bits: number): number {
  return Math.ceil(bits / 4);
}

/** A two's complement value of `bits` bits as hex with a fixed number of digits. */
export function toHex(value: bigint, bits: number): string {
  return BigInt.asUintN(bits, value).toString(16).padStart(hexDigits(bits), '0');
}

export function weightImage(layer: FoldedMatrixLayer, s: MvtuStage, p: number): string {
  const wordBits = wordsPerRow(layer.cols) * 32;
  const digits = hexDigits(s.simd);
  const nibbles = new Uint8Array(digits);
  const lines: string[] = new Array(s.nf * s.sf);
  for (let nf = 0; nf < s.nf; nf++) {
    const row = nf * s.pe + p;
    for (let sf = 0; sf < s.sf; sf++) {
      nibbles.fill(0);
      if (row < s.mh) {
        const base = row * wordBits + sf * s.simd;
        const lanes = Math.min(s.simd, s.mw - sf * s.simd);
        for (let j = 0; j < lanes; j++) {
          if (getBit(layer.weights, base + j)) nibbles[digits - 1 - (j >> 2)] |= 1 << (j & 3);
        }
      }
      let line = '';
      for (let d = 0; d < digits; d++) line += HEX[nibbles[d]];
      lines[nf * s.sf + sf] = line;
    }
  }
  return lines.join('\n') + '\n';
}

export function paramImage(layer: FoldedMatrixLayer, s: MvtuStage, p: number): string {
  const lines: string[] = new Array(s.nf);
  const out = layer.output;
  for (let nf = 0; nf < s.nf; nf++) {
    const row = nf * s.pe + p;
    let word = 0n;
    if (row < s.mh) {
      if (out.kind === 'threshold') {
        word = BigInt(clampThreshold(out.thresholds[row], s.input, s.mw));
      } else {
        const mul = BigInt.asUintN(s.mulWidth, BigInt(out.mul[row]));
        word = (mul << BigInt(SCORE_BITS)) | BigInt.asUintN(SCORE_BITS, BigInt(out.add[row]));
      }
    }
    lines[nf] = toHex(word, s.paramWidth);
  }
  return lines.join('\n') + '\n';
}
