/**
 * Locating a mismatch: given the stage taps recorded while a few mismatching images ran
 * through the RTL (vcd.ts), find the first folded layer whose output departs from the
 * integer model (inferInt with keepLayers) and, in it, the first departing neuron.
 *
 * Stage k's beats carry layer k's output vectors in order (docs/hardware.md), so the
 * beats of one image, concatenated, are the layer's whole output in (h, w, c) order,
 * whatever the beat width. The last stage carries the scores (32 bits per class), with
 * the class field in front when it is the result beat itself (16 + 32·C bits).
 */
import { getBit } from '../int/bits.js';
import { inferInt } from '../int/infer.js';
import type { FoldedModel } from '../int/types.js';
import type { StageTrace, TapTrace } from './vcd.js';

export interface MismatchLocation {
  /** Position of the image in the verification run, and its index in the dataset split. */
  position: number;
  index: number;
  /** Folded layer index and name where the RTL first departs; -1 when it was not found. */
  layer: number;
  layerName: string;
  /**
   * 'bit': a threshold / pool output bit differs; 'score': a class score differs;
   * 'class': scores equal but the class field differs; 'beats': the stage produced the
   * wrong number of vectors; 'not-reproduced': every tap and the result matched when the
   * image ran alone (the failure depends on the frames around it); 'no-taps': the design
   * has no stage taps to compare.
   */
  kind: 'bit' | 'score' | 'class' | 'beats' | 'not-reproduced' | 'no-taps';
  /** Output neuron (channel for conv / pool layers, class for the score layer). */
  neuron: number;
  /** Output position (h, w) of the neuron for conv / pool layers. */
  position2d?: [number, number];
  /** Expected (integer model) and RTL values: bits 0/1, scores, classes or beat counts. */
  expected?: number;
  rtl?: number;
  /** For 'score': both scores. For 'class': the classes. */
  message: string;
}

function layerOutputBits(f: FoldedModel, k: number): number {
  const [h, w, c] = f.layers[k].outShape;
  return h * w * c;
}

/** The beats of `image` (0-based within the traced run) of one stage, concatenated. */
function imageVector(
  st: StageTrace,
  bitsPerImage: number,
  image: number,
): { bits: Uint32Array; beats: number } | { beatsPerImage: number; have: number } {
  const beatsPerImage = Math.max(1, Math.round(bitsPerImage / st.width));
  const have = st.beats.length - image * beatsPerImage;
  if (beatsPerImage * st.width < bitsPerImage || have < beatsPerImage) return { beatsPerImage, have: Math.max(0, have) };
  const out = new Uint32Array((bitsPerImage + 31) >>> 5);
  let o = 0;
  for (let b = 0; b < beatsPerImage; b++) {
    const words = st.beats[image * beatsPerImage + b].bits;
    for (let i = 0; i < st.width && o < bitsPerImage; i++, o++) {
      if (getBit(words, i)) out[o >>> 5] |= 1 << (o & 31);
    }
  }
  return { bits: out, beats: beatsPerImage };
}

/** Signed 32-bit field at bit offset `off` of a word vector. */
function field32(words: Uint32Array, off: number): number {
  let v = 0;
  for (let i = 0; i < 32; i++) v |= getBit(words, off + i) << i;
  return v | 0;
}

/**
 * Locate the departure for image `image` of a traced run. `pixels` is that image,
 * `position` / `index` identify it in the verification run for the message.
 */
export function locateMismatch(
  f: FoldedModel,
  taps: TapTrace,
  image: number,
  pixels: Uint8Array,
  position: number,
  index: number,
  /** The result beat of this image in the traced run, when it came out. */
  rtlResult?: { cls: number; scores: ArrayLike<number> },
): MismatchLocation {
  const where = `image ${index} (run position ${position})`;
  const base = { position, index };
  if (taps.stages.size === 0) {
    return { ...base, layer: -1, layerName: '', kind: 'no-taps', neuron: -1, message: `${where}: the design has no stage taps` };
  }
  const ref = inferInt(f, pixels, true);
  const L = f.layers.length;
  for (let k = 0; k < L; k++) {
    const layer = f.layers[k];
    const st = taps.stages.get(k);
    if (!st) continue;
    const name = `layer ${k} (${layer.name})`;
    if (k < L - 1) {
      const nbits = layerOutputBits(f, k);
      const got = imageVector(st, nbits, image);
      if (!('bits' in got)) {
        return {
          ...base,
          layer: k,
          layerName: layer.name,
          kind: 'beats',
          neuron: -1,
          expected: got.beatsPerImage,
          rtl: got.have,
          message: `${where}: ${name}: stage${k} produced ${got.have} output vector(s) of ${st.width} bits, expected ${got.beatsPerImage}`,
        };
      }
      const want = ref.layerBits![k];
      for (let i = 0; i < nbits; i++) {
        const e = getBit(want, i);
        const r = getBit(got.bits, i);
        if (e === r) continue;
        const [, ow, oc] = layer.outShape;
        const neuron = i % oc;
        const pix = (i - neuron) / oc;
        const pos: [number, number] = [Math.floor(pix / ow), pix % ow];
        const at = layer.outShape[0] * layer.outShape[1] > 1 ? ` at (h, w) = (${pos[0]}, ${pos[1]})` : '';
        return {
          ...base,
          layer: k,
          layerName: layer.name,
          kind: 'bit',
          neuron,
          position2d: layer.outShape[0] * layer.outShape[1] > 1 ? pos : undefined,
          expected: e,
          rtl: r,
          message: `${where}: ${name} departs first, neuron ${neuron}${at}: RTL ${r ? '+1' : '-1'}, integer model ${e ? '+1' : '-1'}`,
        };
      }
      continue;
    }
    // The score layer.
    const C = f.classes;
    const withClass = st.width === 16 + 32 * C;
    if (!withClass && st.width !== 32 * C) {
      return {
        ...base,
        layer: k,
        layerName: layer.name,
        kind: 'beats',
        neuron: -1,
        message: `${where}: ${name}: stage${k}_tdata is ${st.width} bits, expected ${32 * C} (scores) or ${16 + 32 * C} (result beat)`,
      };
    }
    if (st.beats.length <= image) {
      return {
        ...base,
        layer: k,
        layerName: layer.name,
        kind: 'beats',
        neuron: -1,
        expected: image + 1,
        rtl: st.beats.length,
        message: `${where}: ${name}: stage${k} produced ${st.beats.length} result(s), expected at least ${image + 1}`,
      };
    }
    const words = st.beats[image].bits;
    const off = withClass ? 16 : 0;
    for (let j = 0; j < C; j++) {
      const got = field32(words, off + 32 * j);
      if (got !== ref.scores[j]) {
        return {
          ...base,
          layer: k,
          layerName: layer.name,
          kind: 'score',
          neuron: j,
          expected: ref.scores[j],
          rtl: got,
          message: `${where}: ${name} departs first, class ${j}: RTL score ${got}, integer model score ${ref.scores[j]}`,
        };
      }
    }
    if (withClass) {
      const cls = words[0] & 0xffff;
      if (cls !== ref.prediction) {
        return {
          ...base,
          layer: k,
          layerName: layer.name,
          kind: 'class',
          neuron: cls,
          expected: ref.prediction,
          rtl: cls,
          message: `${where}: ${name}: scores equal but RTL class ${cls}, integer model class ${ref.prediction}`,
        };
      }
    }
  }
  // Every tap agrees: what is left is the path from the last stage to m_axis.
  if (rtlResult) {
    const k = L - 1;
    const name = `layer ${k} (${f.layers[k].name})`;
    for (let j = 0; j < f.classes; j++) {
      if (rtlResult.scores[j] !== ref.scores[j]) {
        return {
          ...base,
          layer: k,
          layerName: f.layers[k].name,
          kind: 'score',
          neuron: j,
          expected: ref.scores[j],
          rtl: rtlResult.scores[j],
          message: `${where}: the taps agree but the result beat departs, ${name} class ${j}: RTL score ${rtlResult.scores[j]}, integer model score ${ref.scores[j]}`,
        };
      }
    }
    if (rtlResult.cls !== ref.prediction) {
      return {
        ...base,
        layer: k,
        layerName: f.layers[k].name,
        kind: 'class',
        neuron: rtlResult.cls,
        expected: ref.prediction,
        rtl: rtlResult.cls,
        message: `${where}: ${name}: scores equal but RTL class ${rtlResult.cls}, integer model class ${ref.prediction}`,
      };
    }
  }
  return {
    ...base,
    layer: -1,
    layerName: '',
    kind: 'not-reproduced',
    neuron: -1,
    message: `${where}: every stage tap matched the integer model when the image ran alone; the mismatch depends on the frames around it`,
  };
}
