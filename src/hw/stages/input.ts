/**
 * The input stage: s_axis beats of IN_PIX 8-bit pixels. In front of a dense first layer
 * it is bnnc_pixel_input, a two-bank image buffer the first MVTU reads SIMD pixels at a
 * time; in front of a convolution it buffers nothing: a beat is one pixel's C channels
 * and goes straight into the first sliding-window unit (which holds K - 1 lines).
 * A binarized input (the folded model's inputThreshold) keeps 8-bit pixels on the wire
 * and turns each into its bit p >= threshold as it arrives (bnnc_binarize), so the
 * image buffer and the first layer hold 1 bit per pixel.
 */
import { inputBeats } from '../cycles.js';
import { addrBits } from '../widths.js';
import type { StageEstimate } from './estimate.js';
import { muxLuts } from './estimate.js';

export interface PixelInputStage {
  kind: 'pixelInput';
  /** Pixels (bytes) per image, H*W*C. */
  npix: number;
  /** Pixels per s_axis beat. */
  inPix: number;
  /** Beats per image = the stage's II. */
  beats: number;
  ii: number;
  /** The image buffer is a RAM (one beat = one read word) rather than registers. */
  ram: boolean;
  /** No image buffer: the beats stream into a sliding-window unit (a ConvNet). */
  stream: boolean;
  /** Bits of the two image banks (0 when streaming). */
  bufferBits: number;
  /** Bits per stored pixel: 8, or 1 for a binarized input. */
  bits: 1 | 8;
  /** A binarized input: pixel p is the bit p >= threshold (1..255); null for 8 bits. */
  threshold: number | null;
}

/** The input stage of an MLP: a two-bank image buffer read by the first MVTU. */
export function planImageInput(npix: number, inPix: number, firstSimd: number, firstSf: number, threshold: number | null = null): PixelInputStage {
  const beats = inputBeats(npix, inPix);
  const ram = inPix === firstSimd;
  const bits = threshold === null ? 8 : 1;
  return {
    kind: 'pixelInput',
    npix,
    inPix,
    beats,
    ii: beats,
    ram,
    stream: false,
    // RAM: two banks of 2^addrBits(SF) words of SIMD pixels; registers: two banks of whole beats.
    bufferBits: ram ? 2 * 2 ** addrBits(firstSf) * bits * inPix : 2 * bits * beats * inPix,
    bits,
    threshold,
  };
}

/** The input stage of a ConvNet: one pixel (C channels) per beat, no buffer. */
export function planStreamInput(npix: number, channels: number, threshold: number | null = null): PixelInputStage {
  const beats = npix / channels;
  const bits = threshold === null ? 8 : 1;
  return { kind: 'pixelInput', npix, inPix: channels, beats, ii: beats, ram: false, stream: true, bufferBits: 0, bits, threshold };
}

/**
 * LUT6 per unit of the input stage's terms (fitted to Yosys xc7, estimate.ts): compare
 * (a binarize comparator per pixel of a beat, for a threshold other than 128, which is
 * the top bit), writeBit (per stored bit of a register image buffer: its write enable
 * and data select), readMux (the SF:1 read multiplexer of a register buffer, muxLuts),
 * ramBit (per bit of a beat written into a RAM buffer), stage (beat counter, bank flags).
 */
export const INPUT_LUT = { compare: 2, writeBit: 1.0, readMux: 1.0, ramBit: 0, stage: 13 } as const;
/** Flip-flops: bufferBit (a register image buffer), readBit (the read register), stage (counters, flags). */
export const INPUT_FF = { bufferBit: 1.0, readBit: 1.0, stage: 10 } as const;

/** The structural counts of the input stage that the model's terms multiply. */
export function inputTerms(s: PixelInputStage, firstSimd: number, firstSf: number): { luts: Record<keyof typeof INPUT_LUT, number>; flipFlops: Record<keyof typeof INPUT_FF, number> } {
  const compare = s.threshold === null || s.threshold === 128 ? 0 : s.inPix;
  const e = s.bits;
  if (s.stream) return { luts: { compare, writeBit: 0, readMux: 0, ramBit: 0, stage: 0 }, flipFlops: { bufferBit: 0, readBit: 0, stage: 0 } };
  // A RAM of at most 64 words is LUT RAM, whose read register is flip-flops; a deeper one
  // is block RAM, which holds its own (Yosys' xc7 memory mapping, as for the ROMs).
  const lutRam = s.bufferBits / (e * s.inPix) <= 64;
  if (s.ram) return { luts: { compare, writeBit: 0, readMux: 0, ramBit: e * s.inPix, stage: 1 }, flipFlops: { bufferBit: 0, readBit: lutRam ? e * firstSimd : 0, stage: 1 } };
  return {
    luts: { compare, writeBit: e * s.npix, readMux: muxLuts(firstSf, e * firstSimd), ramBit: 0, stage: 1 },
    flipFlops: { bufferBit: s.bufferBits, readBit: e * firstSimd, stage: 1 },
  };
}

export function estimateInput(s: PixelInputStage, firstSimd: number, firstSf: number): StageEstimate {
  const t = inputTerms(s, firstSimd, firstSf);
  const sum = <K extends string>(c: Record<K, number>, coef: Record<K, number>): number => Math.round((Object.keys(coef) as K[]).reduce((a, k) => a + coef[k] * c[k], 0));
  return { luts: sum(t.luts, INPUT_LUT), flipFlops: sum(t.flipFlops, INPUT_FF), romBits: 0, ramBits: s.ram ? s.bufferBits : 0 };
}
