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

export function estimateInput(s: PixelInputStage, firstSimd: number, firstSf: number): StageEstimate {
  const control = 20;
  // a comparator per pixel of a beat for a threshold other than 128 (128 is the top bit)
  const compare = s.threshold === null || s.threshold === 128 ? 0 : 2 * s.inPix;
  if (s.stream) return { luts: compare, flipFlops: 0, romBits: 0, ramBits: 0 };
  const e = s.bits;
  if (s.ram) return { luts: control + compare + e * s.inPix, flipFlops: control + e * firstSimd, romBits: 0, ramBits: s.bufferBits };
  return {
    luts: control + compare + muxLuts(firstSf, e * firstSimd) + e * s.npix,
    flipFlops: control + s.bufferBits + e * firstSimd,
    romBits: 0,
    ramBits: 0,
  };
}
