/**
 * manifest.json of a generated design: everything a testbench, the verifier or a user
 * needs to drive the top level without reading the Verilog (docs/hardware.md).
 */
import { createHash } from 'node:crypto';
import type { AreaEstimate } from '../hw/area.js';
import { MVTU_OVERHEAD } from '../hw/cycles.js';
import type { RomRule } from '../hw/memory.js';
import type { HwPlan, MvtuStage, PoolStage } from '../hw/plan.js';
import type { PlannerChoice } from '../hw/planner.js';
import { CLASS_FIELD_BITS, SCORE_BITS } from '../hw/widths.js';
import type { FoldedModel } from '../int/types.js';
import { resultBits, type DesignNames } from './view.js';

export const MANIFEST_FORMAT = 'bnnc-rtl';
export const MANIFEST_VERSION = 1;

export interface ManifestPort {
  name: string;
  direction: 'input' | 'output';
  width: number;
}

interface ManifestStageNames {
  /** Layer name in the model. */
  name: string;
  /** The sanitized name used in module and file names. */
  verilogName: string;
  /** The stage tap wires in the top level and the width of its tdata. */
  tap: { tdata: string; tvalid: string; tready: string; width: number };
}

/** An MVTU stage as the manifest lists it: the plan's figures, plus names and tap wires. */
export type ManifestMvtuStage = Omit<MvtuStage, 'layer'> & ManifestStageNames;
/** A pool stage as the manifest lists it. */
export type ManifestPoolStage = Omit<PoolStage, 'layer'> & ManifestStageNames;
export type ManifestStage = ManifestMvtuStage | ManifestPoolStage;

/** The board wrapper (`bnnc compile --board`, templates/board.v.hbs), when there is one. */
export interface ManifestBoard {
  module: string;
  file: string;
  ports: ManifestPort[];
  /** pix_data: one pixel per transfer, HWC order; class_data: the class index. */
  pixelBits: 8;
  classBits: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  bnncVersion: string;
  top: string;
  model: { name: string; hash: string; input: [number, number, number]; classes: number };
  files: {
    verilog: string[];
    mem: string[];
    folded: string | null;
    readme: string;
    /**
     * sha256 (hex) of every other file compile wrote, by name: what `bnnc verify` checks
     * the design against, and what lets a later compile replace the directory.
     */
    sha256: Record<string, string>;
  };
  workingDirectory: string;
  ports: ManifestPort[];
  /** The board wrapper around the top, or null (compiled without --board). */
  board: ManifestBoard | null;
  input: {
    pixels: number;
    order: 'HWC';
    inPix: number;
    beats: number;
    beatBits: number;
    packing: string;
    /** 'none': a ConvNet's pixels stream into its first sliding-window unit. */
    imageBuffer: 'ram' | 'registers' | 'none';
    /**
     * A binarized input: the input stage turns each 8-bit pixel p into the bit
     * p >= threshold (the wire still carries 8-bit pixels); null: 8-bit pixels throughout.
     */
    threshold: number | null;
  };
  output: {
    beatBits: number;
    classes: number;
    classOffset: number;
    classBits: number;
    scoreOffset: number;
    scoreBits: number;
    scoreStride: number;
    scoreSigned: true;
    tlast: string;
  };
  /** The plan's rule for ROMs in block RAM or logic (src/hw/memory.ts); each stage's rom says the outcome. */
  romRule: RomRule;
  stages: ManifestStage[];
  cycles: {
    /** Cycles between results in steady state. */
    ii: number;
    /** Cycles from accepting a frame's first beat to accepting its result. */
    latency: number;
    /** Input stage II = beats per image. */
    inputII: number;
    /** Cycles an unpipelined MVTU stage adds beyond its II (docs/hardware.md). */
    mvtuOverhead: number;
    /** Pipeline level of the MVTU stages (`--pipeline`); each stage lists its pipelineCycles. */
    pipeline: number;
    /** The slowest stage: "input" or a stage's layer name. */
    bottleneck: string;
  };
  estimate: AreaEstimate;
  /** How the planner chose the folding (--target-cycles, --target-fps, resource limits; src/hw/planner.ts); absent for a given folding. */
  planner?: PlannerChoice;
}

/** The hash manifest.files.sha256 records for a file's contents. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function buildManifest(
  f: FoldedModel,
  plan: HwPlan,
  names: DesignNames,
  bnncVersion: string,
  files: Manifest['files'],
  board: ManifestBoard | null = null,
): Manifest {
  const last = plan.stages.length - 1;
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    bnncVersion,
    top: names.top,
    model: { name: f.name, hash: f.sourceHash, input: [f.input[0], f.input[1], f.input[2]], classes: f.classes },
    files,
    workingDirectory: 'ROM images are loaded by relative file name: run simulators and synthesis in this directory.',
    ports: [
      { name: 'clk', direction: 'input', width: 1 },
      { name: 'rst', direction: 'input', width: 1 },
      { name: 's_axis_tdata', direction: 'input', width: 8 * plan.input.inPix },
      { name: 's_axis_tvalid', direction: 'input', width: 1 },
      { name: 's_axis_tready', direction: 'output', width: 1 },
      { name: 's_axis_tlast', direction: 'input', width: 1 },
      { name: 'm_axis_tdata', direction: 'output', width: resultBits(plan.classes) },
      { name: 'm_axis_tvalid', direction: 'output', width: 1 },
      { name: 'm_axis_tready', direction: 'input', width: 1 },
      { name: 'm_axis_tlast', direction: 'output', width: 1 },
    ],
    board,
    input: {
      pixels: plan.input.npix,
      order: 'HWC',
      inPix: plan.input.inPix,
      beats: plan.input.beats,
      beatBits: 8 * plan.input.inPix,
      packing: `pixel i is in beat floor(i/${plan.input.inPix}) at bits [8*(i mod ${plan.input.inPix}) +: 8]; padding bytes of the last beat are ignored; s_axis_tlast is not used`,
      imageBuffer: plan.input.stream ? 'none' : plan.input.ram ? 'ram' : 'registers',
      threshold: plan.input.threshold,
    },
    output: {
      beatBits: resultBits(plan.classes),
      classes: plan.classes,
      classOffset: 0,
      classBits: CLASS_FIELD_BITS,
      scoreOffset: CLASS_FIELD_BITS,
      scoreBits: SCORE_BITS,
      scoreStride: SCORE_BITS,
      scoreSigned: true,
      tlast: '1 on every result beat',
    },
    romRule: plan.romRule,
    stages: plan.stages.map((s): ManifestStage => {
      const ids = { name: s.layer, verilogName: names.layers[s.index] };
      const tap = {
        tdata: `stage${s.index}_tdata`,
        tvalid: `stage${s.index}_tvalid`,
        tready: `stage${s.index}_tready`,
        width: s.index === last ? resultBits(plan.classes) : s.kind === 'pool' ? s.inShape[2] : s.mh,
      };
      if (s.kind === 'pool') {
        return {
          index: s.index,
          ...ids,
          kind: s.kind,
          inShape: s.inShape,
          outShape: s.outShape,
          size: s.size,
          frameCycles: s.frameCycles,
          latency: s.latency,
          done: s.done,
          lineBits: s.lineBits,
          tap,
        };
      }
      return {
        index: s.index,
        ...ids,
        kind: s.kind,
        input: s.input,
        output: s.output,
        mw: s.mw,
        mh: s.mh,
        pe: s.pe,
        simd: s.simd,
        nf: s.nf,
        sf: s.sf,
        planes: s.planes,
        ii: s.ii,
        pipeline: s.pipeline,
        pipelineCycles: s.pipelineCycles,
        latency: s.latency,
        done: s.done,
        accWidth: s.accWidth,
        mulWidth: s.mulWidth,
        scoreWidth: s.scoreWidth,
        paramWidth: s.paramWidth,
        weightBits: s.weightBits,
        paramBits: s.paramBits,
        vectors: s.vectors,
        frameCycles: s.frameCycles,
        bufferBits: s.bufferBits,
        feed: s.feed,
        rom: s.rom,
        tap,
      };
    }),
    cycles: {
      ii: plan.ii,
      latency: plan.latency,
      inputII: plan.input.ii,
      mvtuOverhead: MVTU_OVERHEAD,
      pipeline: plan.pipeline,
      bottleneck: plan.bottleneck < 0 ? 'input' : plan.stages[plan.bottleneck].layer,
    },
    estimate: plan.estimate,
    ...(plan.planner === undefined ? {} : { planner: plan.planner }),
  };
}

/** The MVTU stages of a manifest (dense and conv layers), in order. */
export function manifestMvtuStages(m: Manifest): ManifestMvtuStage[] {
  return m.stages.filter((s): s is ManifestMvtuStage => s.kind === 'mvtu');
}
