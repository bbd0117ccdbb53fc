/**
 * The input stage: s_axis beats of IN_PIX 8-bit pixels. In front of a dense first layer
 * it is bnnc_pixel_input, a two-bank image buffer the first MVTU reads SIMD pixels at a
 * time; in front of a convolution it buffers nothing: a beat is one pixel's C channels
 * and goes straight into the first sliding-window unit (which holds K - 1 lines).
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
}

/** The input stage of an MLP: a two-bank image buffer read by the first MVTU. */
export function planImageInput(npix: number, inPix: number, firstSimd: number, firstSf: number): PixelInputStage {
  const beats = inputBeats(npix, inPix);
  const ram = inPix === firstSimd;
  return {
    kind: 'pixelInput',
    npix,
    inPix,
    beats,
    ii: beats,
    ram,
    stream: false,
    // RAM: two banks of 2^addrBits(SF) words of SIMD pixels; registers: two banks of whole beats.
    bufferBits: ram ? 2 * 2 ** addrBits(firstSf) * 8 * inPix : 2 * 8 * beats * inPix,
  };
}

/** The input stage of a ConvNet: one pixel (C channels) per beat, no buffer. */
export function planStreamInput(npix: number, channels: number): PixelInputStage {
  const beats = npix / channels;
  return { kind: 'pixelInput', npix, inPix: channels, beats, ii: beats, ram: false, stream: true, bufferBits: 0 };
}

export function estimateInput(s: PixelInputStage, firstSimd: number, firstSf: number): StageEstimate {
  const control = 20;
  if (s.stream) return { luts: 0, flipFlops: 0, romBits: 0, ramBits: 0 };
  if (s.ram) return { luts: control + 8 * s.inPix, flipFlops: control + 8 * firstSimd, romBits: 0, ramBits: s.bufferBits };
  return {
    luts: control + muxLuts(firstSf, 8 * firstSimd) + 8 * s.npix,
    flipFlops: control + s.bufferBits + 8 * firstSimd,
    romBits: 0,
    ramBits: 0,
  };
}
