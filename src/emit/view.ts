/**
 * Template views: everything the handlebars templates may print. Templates run with
 * escaping off (Verilog is not HTML), so the views are the security boundary: they are
 * built only from numbers and sanitized identifiers, and assertTemplateSafe checks
 * every leaf before rendering.
 */
import type { HwPlan, MvtuStage, PoolStage, Stage } from '../hw/plan.js';
import { twoStepWeights } from '../hw/stages/mvtu.js';
import { addrBits, CLASS_FIELD_BITS, SCORE_BITS, unsignedBits } from '../hw/widths.js';
import { isSafeIdentifier } from './sanitize.js';

export interface DesignNames {
  /** Top module name; also the prefix of every per-design module and file. */
  top: string;
  /** Sanitized, unique layer names, one per stage. */
  layers: string[];
}

export interface RomPeView {
  p: number;
  wFile: string;
  pFile: string;
  wHi: number;
  wLo: number;
  pHi: number;
  pLo: number;
}

export interface LayerView {
  /** The template partial of the stage's kind (templates/stages/<partial>.v.hbs). */
  partial: 'mvtu';
  /** Where the weight and parameter ROMs go: bnnc_rom's STYLE (the plan's stage.rom). */
  wStyle: 'block' | 'logic';
  pStyle: 'block' | 'logic';
  isPool: false;
  /** The feed of the MVTU: exactly one is true. */
  feedImage: boolean;
  feedVector: boolean;
  feedFlatten: boolean;
  feedWindow: boolean;
  /** Input vectors per frame (windows of a convolution). */
  vectors: number;
  /** bnnc_flat_buffer: beats per frame, bits per beat, beat counter bits. */
  flatBeats: number;
  flatBeatW: number;
  flatBeatC: number;
  /** bnnc_fifo in front of the sliding-window unit: its address bits (depth 2**fifoAddrW); 0 = no queue. */
  fifoAddrW: number;
  /** bnnc_swu: its column queue's address bits (2**swuQueueW columns); 0 = no queue. */
  swuQueueW: number;
  /** bnnc_swu: window banks. */
  swuBanks: number;
  /** bnnc_swu: input map, kernel, counter bits. */
  swuW: number;
  swuH: number;
  swuC: number;
  swuK: number;
  swuColW: number;
  swuRowW: number;
  index: number;
  prev: number;
  lname: string;
  /** Module name of the stage's ROM bank. */
  rom: string;
  first: boolean;
  last: boolean;
  inKind: 'pixels' | 'bits';
  outKind: 'bits' | 'scores';
  paramKind: 'threshold' | 'score';
  mw: number;
  mh: number;
  pe: number;
  simd: number;
  nf: number;
  sf: number;
  ii: number;
  inW: number;
  outW: number;
  accW: number;
  mulW: number;
  /** Bits scores are computed and compared in (bnnc_mvtu.v's SCORE_W; 32 for a threshold stage, unused). */
  scoreW: number;
  pW: number;
  xAddrW: number;
  wAddrW: number;
  pAddrW: number;
  xDataW: number;
  wDataW: number;
  pDataW: number;
  wDepth: number;
  pDepth: number;
  /** Pipeline level (bnnc_mvtu.v's PIPE). */
  pipe: number;
  /** 1: the vector buffer registers its read twice (bnnc_vec_buffer RD_REG, bnnc_mvtu X_FED): level 2 on a vector feed. */
  xFed: number;
  /** 1: a second output register (bnnc_mvtu SKID): level 3, every stage but the last. */
  skid: number;
  /** The weight ROMs read in two registered steps (bnnc_rom_2step, bnnc_mvtu W_FED; twoStepWeights). */
  wFed: boolean;
  /** Bit planes per read (bnnc_mvtu.v's PLANES): 1, or 8 for a bit-serial first layer. */
  planes: number;
  bitSerial: boolean;
  /** Class index bits (bnnc_mvtu.v's IDX_W; used by the scores stage). */
  idxW: number;
  /** Bits of the MVTU's output vector (the scores stage: and the class above it). */
  outBits: number;
  /** Bits of the scores in it (the scores stage; else outBits). */
  scoreBits: number;
  /** Bits of the stage<k>_tdata tap (the result beat for the last stage). */
  tapBits: number;
}

/** A max-pool stage (templates/stages/pool.v.hbs). */
export interface PoolView {
  partial: 'pool';
  isPool: true;
  index: number;
  prev: number;
  lname: string;
  first: false;
  last: false;
  poolW: number;
  poolH: number;
  poolC: number;
  size: number;
  colW: number;
  rowW: number;
  qW: number;
  frameCycles: number;
  tapBits: number;
}

export type StageView = LayerView | PoolView;

export interface RomBankView extends LayerView {
  module: string;
  top: string;
  version: string;
  pes: RomPeView[];
}

export interface TopView {
  top: string;
  version: string;
  hash: string;
  npix: number;
  inPix: number;
  beats: number;
  beatW: number;
  inBits: number;
  /** A binarized input: the input stage stores each pixel as the bit p >= inThresh. */
  inBinary: boolean;
  /** bnnc_binarize's THRESH (128, unused, for an 8-bit input). */
  inThresh: number;
  /** Bits per stored pixel (bnnc_pixel_input's IN_W): 8, or 1 binarized. */
  inElemW: number;
  resultBits: number;
  classes: number;
  classW: number;
  classPad: number;
  ii: number;
  latency: number;
  pipeline: number;
  /** Bits of the last stage's scores. */
  scoreBits: number;
  lastIndex: number;
  layers: StageView[];
}

/** The board wrapper's view (templates/board.v.hbs): byte-wide pixels in, class index out. */
export interface BoardView {
  board: string;
  top: string;
  version: string;
  hash: string;
  npix: number;
  inPix: number;
  inBits: number;
  resultBits: number;
  classW: number;
  /** More than one pixel per beat: the wrapper packs bytes into beats. */
  pack: boolean;
  byteW: number;
  lastSlot: number;
  pixW: number;
  lastPixel: number;
  /** The wrapper's port bits. */
  pins: number;
}

/** The board wrapper's module name. */
export function boardModuleName(names: DesignNames): string {
  return `${names.top}_board`;
}

/** The board wrapper's ports (clk, rst, 8-bit pixels and the class index, each with valid/ready). */
export function boardPorts(classes: number): { name: string; direction: 'input' | 'output'; width: number }[] {
  return [
    { name: 'clk', direction: 'input', width: 1 },
    { name: 'rst', direction: 'input', width: 1 },
    { name: 'pix_data', direction: 'input', width: 8 },
    { name: 'pix_valid', direction: 'input', width: 1 },
    { name: 'pix_ready', direction: 'output', width: 1 },
    { name: 'class_data', direction: 'output', width: classIndexBits(classes) },
    { name: 'class_valid', direction: 'output', width: 1 },
    { name: 'class_ready', direction: 'input', width: 1 },
  ];
}

export function boardView(plan: HwPlan, names: DesignNames, version: string): BoardView {
  const inPix = plan.input.inPix;
  return {
    board: boardModuleName(names),
    top: names.top,
    version,
    hash: printableHash(plan.sourceHash),
    npix: plan.input.npix,
    inPix,
    inBits: 8 * inPix,
    resultBits: resultBits(plan.classes),
    classW: classIndexBits(plan.classes),
    pack: inPix > 1,
    byteW: addrBits(inPix),
    lastSlot: inPix - 1,
    pixW: addrBits(plan.input.npix),
    lastPixel: plan.input.npix - 1,
    pins: boardPorts(plan.classes).reduce((n, p) => n + p.width, 0),
  };
}

export interface ReadmeView extends TopView {
  blocks: string[];
  files: string;
}

/** File names of a stage's ROM images. */
export function memFileNames(names: DesignNames, k: number, p: number): { w: string; p: string } {
  const base = `${names.top}_${names.layers[k]}`;
  return { w: `${base}_w${p}.mem`, p: `${base}_p${p}.mem` };
}

export function romModuleName(names: DesignNames, k: number): string {
  return `${names.top}_${names.layers[k]}_rom`;
}

/** A model hash as printed in comments: lowercase hex or nothing that could break out of one. */
export function printableHash(h: string): string {
  return /^[0-9a-f]{1,128}$/.test(h) ? h : 'unknown';
}

/** Bits of a class index (at least 1). */
export function classIndexBits(classes: number): number {
  return unsignedBits(Math.max(0, classes - 1));
}

export function resultBits(classes: number): number {
  return CLASS_FIELD_BITS + SCORE_BITS * classes;
}

function layerView(plan: HwPlan, names: DesignNames, s: MvtuStage): LayerView {
  const k = s.index;
  const last = k === plan.stages.length - 1;
  const outW = s.output === 'scores' ? SCORE_BITS : 1;
  const inW = s.input === 'pixels' ? 8 : 1;
  const f = s.feed;
  const idxW = classIndexBits(plan.classes);
  return {
    partial: 'mvtu',
    wStyle: s.rom.weights,
    pStyle: s.rom.params,
    isPool: false,
    feedImage: f.kind === 'image',
    feedVector: f.kind === 'vector',
    feedFlatten: f.kind === 'flatten',
    feedWindow: f.kind === 'window',
    vectors: s.vectors,
    flatBeats: f.kind === 'flatten' ? f.beats : 0,
    flatBeatW: f.kind === 'flatten' ? f.beatBits : 0,
    flatBeatC: f.kind === 'flatten' ? addrBits(f.beats) : 0,
    fifoAddrW: f.kind === 'window' && f.fifoDepth > 0 ? Math.log2(f.fifoDepth) : 0,
    swuQueueW: f.kind === 'window' && f.queueColumns > 0 ? Math.log2(f.queueColumns) : 0,
    swuBanks: f.kind === 'window' ? f.banks : 0,
    swuW: f.kind === 'window' ? f.width : 0,
    swuH: f.kind === 'window' ? f.height : 0,
    swuC: f.kind === 'window' ? f.channels : 0,
    swuK: f.kind === 'window' ? f.kernel : 0,
    swuColW: f.kind === 'window' ? addrBits(f.width) : 0,
    swuRowW: f.kind === 'window' ? addrBits(f.height) : 0,
    index: k,
    prev: k - 1,
    lname: names.layers[k],
    rom: romModuleName(names, k),
    first: k === 0,
    last,
    inKind: s.input,
    outKind: s.output === 'scores' ? 'scores' : 'bits',
    paramKind: s.output === 'scores' ? 'score' : 'threshold',
    mw: s.mw,
    mh: s.mh,
    pe: s.pe,
    simd: s.simd,
    nf: s.nf,
    sf: s.sf,
    ii: s.ii,
    inW,
    outW,
    accW: s.accWidth,
    // MUL_W is unused by a threshold stage; 2 keeps the parameter legal.
    mulW: s.output === 'scores' ? s.mulWidth : 2,
    scoreW: s.output === 'scores' ? s.scoreWidth : 32,
    pW: s.paramWidth,
    xAddrW: addrBits(s.sf),
    wAddrW: addrBits(s.nf * s.sf),
    pAddrW: addrBits(s.nf),
    xDataW: s.simd * inW,
    wDataW: s.pe * s.simd,
    pDataW: s.pe * s.paramWidth,
    wDepth: s.nf * s.sf,
    pDepth: s.nf,
    pipe: s.pipeline,
    xFed: s.pipeline >= 2 && f.kind === 'vector' ? 1 : 0,
    skid: s.pipeline >= 3 && !last ? 1 : 0,
    wFed: twoStepWeights(s),
    planes: s.planes,
    bitSerial: s.planes === 8,
    idxW,
    outBits: s.mh * outW + (s.output === 'scores' ? idxW : 0),
    scoreBits: s.mh * outW,
    tapBits: last ? resultBits(plan.classes) : s.mh * outW,
  };
}

function poolView(names: DesignNames, s: PoolStage): PoolView {
  const [h, w, c] = s.inShape;
  return {
    partial: 'pool',
    isPool: true,
    index: s.index,
    prev: s.index - 1,
    lname: names.layers[s.index],
    first: false,
    last: false,
    poolW: w,
    poolH: h,
    poolC: c,
    size: s.size,
    colW: addrBits(w),
    rowW: addrBits(h),
    qW: addrBits(s.outShape[1]),
    frameCycles: s.frameCycles,
    tapBits: c,
  };
}

function stageView(plan: HwPlan, names: DesignNames, s: Stage): StageView {
  return s.kind === 'pool' ? poolView(names, s) : layerView(plan, names, s);
}

export function topView(plan: HwPlan, names: DesignNames, version: string): TopView {
  const classW = classIndexBits(plan.classes);
  return {
    top: names.top,
    version,
    hash: printableHash(plan.sourceHash),
    npix: plan.input.npix,
    inPix: plan.input.inPix,
    beats: plan.input.beats,
    beatW: addrBits(plan.input.beats),
    inBits: 8 * plan.input.inPix,
    inBinary: plan.input.threshold !== null,
    inThresh: plan.input.threshold ?? 128,
    inElemW: plan.input.bits,
    resultBits: resultBits(plan.classes),
    classes: plan.classes,
    classW,
    classPad: CLASS_FIELD_BITS - classW,
    ii: plan.ii,
    latency: plan.latency,
    pipeline: plan.pipeline,
    scoreBits: SCORE_BITS * plan.classes,
    lastIndex: plan.stages.length - 1,
    layers: plan.stages.map((s) => stageView(plan, names, s)),
  };
}

export function romBankView(plan: HwPlan, names: DesignNames, k: number, version: string): RomBankView {
  const s = plan.stages[k];
  if (s.kind !== 'mvtu') throw new Error(`internal error: stage ${k} (${s.layer}) has no ROMs`);
  const lv = layerView(plan, names, s);
  const pes: RomPeView[] = [];
  for (let p = 0; p < lv.pe; p++) {
    const files = memFileNames(names, k, p);
    pes.push({
      p,
      wFile: files.w,
      pFile: files.p,
      wHi: (p + 1) * lv.simd - 1,
      wLo: p * lv.simd,
      pHi: (p + 1) * lv.pW - 1,
      pLo: p * lv.pW,
    });
  }
  return { ...lv, module: lv.rom, top: names.top, version, pes };
}

const SAFE_WORD = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/**
 * Every leaf of a view is a non-negative safe integer, a boolean, or a word of
 * [A-Za-z0-9_.+-] (identifiers, file names, version, hex hash): nothing that can close
 * a comment, a string or a statement in Verilog. Keys named like identifiers must be
 * legal, non-reserved identifiers.
 */
export function assertTemplateSafe(view: unknown, path = 'view'): void {
  if (typeof view === 'number') {
    if (!(Number.isSafeInteger(view) && view >= -1)) throw new Error(`internal error: ${path} = ${view} is not a template-safe number`);
  } else if (typeof view === 'boolean') {
    return;
  } else if (typeof view === 'string') {
    if (!SAFE_WORD.test(view)) throw new Error(`internal error: ${path} = ${JSON.stringify(view)} is not template-safe`);
    const identifierKey = /\.(top|lname|rom|module)$/.test(path);
    if (identifierKey && !isSafeIdentifier(view)) throw new Error(`internal error: ${path} = ${JSON.stringify(view)} is not a safe identifier`);
  } else if (Array.isArray(view)) {
    view.forEach((v, i) => assertTemplateSafe(v, `${path}[${i}]`));
  } else if (typeof view === 'object' && view !== null) {
    for (const [k, v] of Object.entries(view)) assertTemplateSafe(v, `${path}.${k}`);
  } else {
    throw new Error(`internal error: ${path} has type ${typeof view}`);
  }
}
