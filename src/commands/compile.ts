/**
 * bnnc compile: a model becomes synthesizable Verilog (docs/hardware.md).
 *
 *   bnnc compile MODEL --out rtl-out/sfc [--fold FILE | --pe P --simd S | --target-cycles N | --target-fps F]
 *                [--max-luts L] [--max-bram B] [--device NAME] [--in-pix K] [--pipeline 0|1|2|3] [--bit-serial] [--top NAME] [--board] [--clock-mhz|--clock 100] [--rom-block-depth W] [--rom-block-bits B]
 *
 * MODEL is a float model (.bnn, folded here) or a folded model (.bnnf). Without a
 * folding option every layer is fully folded (PE = SIMD = 1: the least hardware).
 * --target-cycles / --target-fps and the resource limits have the planner pick the
 * folding (src/hw/planner.ts); limits alone pick the fastest design that fits them.
 * Prints the per-stage plan and the network's II, latency and throughput.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { emitDesign } from '../emit/emit.js';
import { InputError } from '../errors.js';
import { PIPELINE_LEVELS } from '../hw/cycles.js';
import { readFoldingFile, type FoldingSpec } from '../hw/folding.js';
import { DEVICE_NAMES, findDevice, type ResourceLimits } from '../hw/planner.js';
import { DEFAULT_ROM_RULE, romRuleFrom } from '../hw/memory.js';
import { planHardware } from '../hw/plan.js';
import { formatPlan } from '../hw/report.js';
import { loadAsFolded } from '../int/source.js';
import { declareIo } from '../util/outputs.js';

export interface CompileArgs {
  model: string;
  out: string;
  fold?: string;
  pe?: number;
  simd?: number;
  targetCycles?: number;
  targetFps?: number;
  maxLuts?: number;
  maxBram?: number;
  device?: string;
  inPix?: number;
  pipeline: number;
  bitSerial?: boolean;
  top?: string;
  board?: boolean;
  clockMhz: number;
  romBlockDepth?: number;
  romBlockBits?: number;
}

function positiveInt(v: number | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!(Number.isSafeInteger(v) && v >= 1)) throw new InputError('command line', flag, 'a positive integer', String(v));
  return v;
}

/** The folding the options ask for, and the input beat width if a folding file sets it. */
export function foldingFromArgs(
  args: Pick<CompileArgs, 'fold' | 'pe' | 'simd' | 'targetCycles' | 'targetFps' | 'maxLuts' | 'maxBram' | 'device'> & { clockMhz?: number },
): { spec: FoldingSpec; inPix?: number; bitSerial?: boolean } {
  const pe = positiveInt(args.pe, '--pe');
  const simd = positiveInt(args.simd, '--simd');
  const target = positiveInt(args.targetCycles, '--target-cycles');
  const uniform = pe !== undefined || simd !== undefined;
  const fps = args.targetFps;
  if (fps !== undefined && !(typeof fps === 'number' && fps > 0 && Number.isFinite(fps))) throw new InputError('command line', '--target-fps', 'a positive number of frames per second', String(fps));
  const maxLuts = positiveInt(args.maxLuts, '--max-luts');
  if (args.maxBram !== undefined && !(Number.isSafeInteger(args.maxBram) && args.maxBram >= 0)) {
    throw new InputError('command line', '--max-bram', 'a whole number of block RAMs (0: none)', String(args.maxBram));
  }
  // Checked here, before anything is read or written (src/synth/targets.ts lists them).
  if (args.device !== undefined) findDevice(String(args.device));
  const limits: ResourceLimits = {
    ...(maxLuts === undefined ? {} : { maxLuts }),
    ...(args.maxBram === undefined ? {} : { maxBram: args.maxBram }),
    ...(args.device === undefined ? {} : { device: String(args.device) }),
  };
  const limited = Object.keys(limits).length > 0;
  if ([args.fold !== undefined, uniform, target !== undefined, fps !== undefined].filter(Boolean).length > 1) {
    throw new InputError('command line', 'folding', 'one of --fold, --pe/--simd, --target-cycles, --target-fps');
  }
  if (limited && (args.fold !== undefined || uniform)) {
    throw new InputError('command line', 'folding', '--max-luts, --max-bram and --device without --fold or --pe/--simd (they have the planner pick the folding; check a given one with bnnc synth)');
  }
  if (args.fold !== undefined) {
    const file = readFoldingFile(args.fold);
    return { spec: file.spec, inPix: file.inPix, bitSerial: file.bitSerial };
  }
  if (target !== undefined) return { spec: { kind: 'target', targetCycles: target, limits } };
  if (fps !== undefined) {
    const clock = args.clockMhz ?? 100;
    const cycles = Math.floor((clock * 1e6) / fps);
    if (cycles < 1) throw new InputError('command line', '--target-fps', `at most ${clock * 1e6} frames per second at --clock-mhz ${clock} (one frame per cycle)`, String(fps));
    return { spec: { kind: 'target', targetCycles: cycles, limits, from: `--target-fps ${fps} at --clock-mhz ${clock}: ${cycles} cycles a frame` } };
  }
  if (limited) return { spec: { kind: 'fit', limits } };
  return { spec: { kind: 'uniform', pe: pe ?? 1, simd: simd ?? 1 } };
}

const compileCommand: CommandModule<object, CompileArgs> = {
  command: 'compile <model>',
  describe: 'compile a model to synthesizable Verilog with ROM images and a manifest',
  builder: (y: Argv<object>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'float model (.bnn) or folded model (.bnnf)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory: created, or replaced when every file in it is one an earlier compile wrote, unchanged (a symbolic link: the directory it points to)' })
      .option('fold', { type: 'string', describe: 'folding JSON file: {"layers": [{"pe": P, "simd": S}, ...], "inPix"?: K}' })
      .option('pe', { type: 'number', describe: 'processing elements per layer (clamped to the layer\'s neurons)' })
      .option('simd', { type: 'number', describe: 'SIMD lanes per PE (clamped to the layer\'s inputs)' })
      .option('target-cycles', { type: 'number', describe: 'pick per layer the folding of least modelled cost (LUTs, block RAMs) with every stage at most N cycles per frame, and the network II at most N' })
      .option('target-fps', { type: 'number', describe: 'as --target-cycles with N = clock / F: at least F frames per second at --clock-mhz' })
      .option('max-luts', { type: 'number', describe: 'the planner\'s folding within N LUTs by the model (with a target: the cheapest that fits; alone: the fastest that fits)' })
      .option('max-bram', { type: 'number', describe: 'the planner\'s folding within N block RAMs (RAMB36 equivalents, or the --device\'s block; ROMs the ROM rule puts in block RAM)' })
      .option('device', { type: 'string', describe: `the planner's folding fits this device's LUTs, flip-flops and block RAMs (a bnnc synth device: ${DEVICE_NAMES.join(', ')}; LUTs as the model counts them, LUT6-like)` })
      .option('in-pix', { type: 'number', describe: 'pixels per input beat (default: the first layer\'s SIMD)' })
      .option('pipeline', {
        type: 'number',
        default: 0,
        describe: 'pipeline registers in every MVTU: 0 none; 1 the adder tree\'s sum, and the score multiply, score and argmax of the last layer; 2 also the memory outputs and the middle of the adder tree (each adds cycles of latency, not of II); 3 as 2, a second output register in every MVTU but the last (a skid buffer: no ready path runs through the stages) and thresholds compared as the sign of acc - T (same latency and II)',
      })
      .option('bit-serial', {
        type: 'boolean',
        describe: 'first layer bit-serial: each read of 8-bit pixels taken one bit plane per cycle with 1-bit lanes (8x its II, a fraction of its adders; also "bitSerial": true in a --fold file; not for a model trained with --input-bits 1, whose first layer already has 1-bit lanes)',
      })
      .option('top', { type: 'string', describe: 'top module name (default: the model name, sanitized)' })
      .option('board', {
        type: 'boolean',
        describe: 'also write the board wrapper <top>_board.v: 8-bit pixels in, class index out (valid/ready each), so the design fits a package (bnnc synth --board places it)',
      })
      .option('rom-block-depth', { type: 'number', describe: `ROMs of at least this many words (and --rom-block-bits bits) go to block RAM, smaller ones to logic (default ${DEFAULT_ROM_RULE.minDepth})` })
      .option('rom-block-bits', { type: 'number', describe: `ROMs of at least this many bits (and --rom-block-depth words) go to block RAM (default ${DEFAULT_ROM_RULE.minBits})` })
      .option('clock-mhz', { alias: 'clock', type: 'number', default: 100, describe: 'clock frequency (MHz) for the throughput figures and --target-fps' }) as unknown as Argv<CompileArgs>,
  handler: (args: ArgumentsCamelCase<CompileArgs>) => {
    if (!(typeof args.clockMhz === 'number' && args.clockMhz > 0 && Number.isFinite(args.clockMhz))) {
      throw new InputError('command line', '--clock-mhz', 'a positive number', String(args.clockMhz));
    }
    declareIo({
      inputs: [{ path: args.model, what: 'model' }, ...(args.fold === undefined ? [] : [{ path: args.fold, what: 'folding file' }])],
      outputs: [{ path: args.out, what: 'output directory', kind: 'dir' }],
    });
    const { spec, inPix: fileInPix, bitSerial: fileBitSerial } = foldingFromArgs(args);
    const inPix = positiveInt(args.inPix, '--in-pix') ?? fileInPix;
    const { folded } = loadAsFolded(args.model);
    const pipeline = PIPELINE_LEVELS.find((l) => l === args.pipeline);
    if (pipeline === undefined) throw new InputError('command line', '--pipeline', PIPELINE_LEVELS.join(', '), String(args.pipeline));
    const romRule = romRuleFrom(args.romBlockDepth, args.romBlockBits);
    const plan = planHardware(folded, spec, { inPix, romRule, pipeline, bitSerial: args.bitSerial ?? fileBitSerial ?? false });
    const m = emitDesign(folded, plan, args.out, { top: args.top, board: args.board ?? false });
    process.stdout.write(`compiled ${folded.name} -> ${args.out} (top module ${m.top}${m.board ? `, board wrapper ${m.board.module}` : ''}, ${m.files.verilog.length} Verilog files, ${m.files.mem.length} ROM images)\n`);
    process.stdout.write(`${formatPlan(plan, args.clockMhz)}\n`);
  },
};

export default compileCommand;
