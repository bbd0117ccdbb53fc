/**
 * The synthesis targets of `bnnc synth` (docs/synthesis.md): for each, the Yosys script
 * that maps a compiled design, the devices a design can be checked against (and placed
 * and routed on), and what each of the target's cells counts as.
 *
 * Every script keeps the hierarchy (no flatten before mapping), so Yosys' statistics
 * have one module per stage instance and the report a row per stage; the netlist is
 * flattened only after the statistics, for nextpnr.
 */
import { InputError } from '../errors.js';

export const TARGETS = ['xc7', 'ice40', 'ecp5', 'generic'] as const;
export type Target = (typeof TARGETS)[number];

/** What a device offers, in the units the report counts (see Resources in ./stat.ts). */
export interface Device {
  name: string;
  /** Full part name, for the report. */
  part: string;
  /** LUTs (xc7: LUT6; iCE40: logic cells; ECP5: LUT4). */
  luts: number;
  ffs: number;
  /** Block RAMs (xc7: RAMB36 equivalents; iCE40: SB_RAM40_4K; ECP5: DP16KD). */
  bram: number;
  /** Multipliers (xc7: DSP48E1; iCE40: SB_MAC16; ECP5: MULT18X18D). */
  dsp: number;
  /** User I/O pins of the package nextpnr places on. */
  io: number;
  /** nextpnr's device and package arguments (none: no open place and route). */
  pnrArgs: string[] | null;
}

export interface TargetSpec {
  target: Target;
  /** The device used when --device is not given (null: technology-independent). */
  defaultDevice: string | null;
  devices: Record<string, Device>;
  /** The Yosys pass that maps the design, with its options (the top module is added). */
  synthCommand: (device: Device | null) => string;
  /** nextpnr for this target, when there is one. */
  pnrTool: 'nextpnr-ice40' | 'nextpnr-ecp5' | null;
}

const ice40: Record<string, Device> = {
  hx1k: { name: 'hx1k', part: 'iCE40HX1K-TQ144', luts: 1280, ffs: 1280, bram: 16, dsp: 0, io: 96, pnrArgs: ['--hx1k', '--package', 'tq144'] },
  hx8k: { name: 'hx8k', part: 'iCE40HX8K-CT256', luts: 7680, ffs: 7680, bram: 32, dsp: 0, io: 206, pnrArgs: ['--hx8k', '--package', 'ct256'] },
  up5k: { name: 'up5k', part: 'iCE40UP5K-SG48', luts: 5280, ffs: 5280, bram: 30, dsp: 8, io: 39, pnrArgs: ['--up5k', '--package', 'sg48'] },
};

// Capacities from Lattice's ECP5 family data sheet (FPGA-DS-02012): LUT4s (= flip-flops),
// EBR blocks, 18x18 multipliers; I/O of the CABGA381 package.
const ecp5: Record<string, Device> = {
  '25k': { name: '25k', part: 'LFE5U-25F-CABGA381', luts: 24288, ffs: 24288, bram: 56, dsp: 28, io: 197, pnrArgs: ['--25k', '--package', 'CABGA381'] },
  '45k': { name: '45k', part: 'LFE5U-45F-CABGA381', luts: 43848, ffs: 43848, bram: 108, dsp: 72, io: 203, pnrArgs: ['--45k', '--package', 'CABGA381'] },
  '85k': { name: '85k', part: 'LFE5U-85F-CABGA381', luts: 83640, ffs: 83640, bram: 208, dsp: 156, io: 205, pnrArgs: ['--85k', '--package', 'CABGA381'] },
};

// Capacities from AMD's 7-series product tables (DS180): LUT6, flip-flops, RAMB36 tiles,
// DSP48E1 slices. No open place and route: a fit check against the synthesis figures only.
const xc7: Record<string, Device> = {
  xc7z020: { name: 'xc7z020', part: 'XC7Z020 (PYNQ-Z1)', luts: 53200, ffs: 106400, bram: 140, dsp: 220, io: 200, pnrArgs: null },
  xc7a35t: { name: 'xc7a35t', part: 'XC7A35T', luts: 20800, ffs: 41600, bram: 50, dsp: 90, io: 250, pnrArgs: null },
  xc7a100t: { name: 'xc7a100t', part: 'XC7A100T', luts: 63400, ffs: 126800, bram: 135, dsp: 240, io: 300, pnrArgs: null },
};

export const TARGET_SPECS: Record<Target, TargetSpec> = {
  xc7: {
    target: 'xc7',
    defaultDevice: 'xc7z020',
    devices: xc7,
    synthCommand: () => 'synth_xilinx -family xc7',
    pnrTool: null,
  },
  ice40: {
    target: 'ice40',
    defaultDevice: 'hx8k',
    devices: ice40,
    // The UltraPlus parts have SB_MAC16 multipliers; the HX parts do not.
    synthCommand: (d) => `synth_ice40 -noflatten${d !== null && d.dsp > 0 ? ' -dsp' : ''}`,
    pnrTool: 'nextpnr-ice40',
  },
  ecp5: {
    target: 'ecp5',
    defaultDevice: '85k',
    devices: ecp5,
    synthCommand: () => 'synth_ecp5 -noflatten',
    pnrTool: 'nextpnr-ecp5',
  },
  generic: {
    target: 'generic',
    defaultDevice: null,
    devices: {},
    // Yosys' internal gate library, then every gate as 2-input NANDs (NOT = a NAND with
    // its inputs tied): the NAND2 count is the technology-independent figure.
    synthCommand: () => 'synth -noabc',
    pnrTool: null,
  },
};

/** The target named on the command line, or InputError. */
export function parseTarget(v: unknown): Target {
  if (typeof v !== 'string' || !(TARGETS as readonly string[]).includes(v)) {
    throw new InputError('command line', '--target', TARGETS.join(' | '), JSON.stringify(v));
  }
  return v as Target;
}

/** The device --device names (or the target's default), or InputError listing the choices. */
export function resolveDevice(target: Target, name: string | undefined): Device | null {
  const spec = TARGET_SPECS[target];
  if (name === undefined) return spec.defaultDevice === null ? null : spec.devices[spec.defaultDevice];
  const d = spec.devices[name.toLowerCase()];
  if (d === undefined) {
    const choices = Object.keys(spec.devices);
    throw new InputError('command line', '--device', choices.length ? `one of ${choices.join(', ')} for --target ${target}` : `no device for --target ${target}`, JSON.stringify(name));
  }
  return d;
}

/** Files the script writes, absolute. */
export interface ScriptPaths {
  stat: string;
  topCells: string;
  latches: string;
  memories: string;
  /** `stat -json` before memory mapping (memory bits per module). */
  memoryStat: string;
  /** Flattened netlist for nextpnr (ice40, ecp5), or null. */
  netlist: string | null;
}

/** Quote a path for a Yosys script (no spaces or quotes allowed there). */
function ysPath(p: string): string {
  if (/[\s"';]/.test(p)) throw new InputError(p, 'path', 'a path without spaces or quotes (Yosys scripts cannot quote them)');
  return p;
}

/**
 * The Yosys script for a design: read, check for latches and list the memories Yosys
 * infers (before mapping), map, keep the statistics per module, then (for place and
 * route) flatten and write the netlist.
 */
export function yosysScript(target: Target, device: Device | null, top: string, sources: string[], out: ScriptPaths, board: string | null = null): string {
  const spec = TARGET_SPECS[target];
  const lines = [
    `read_verilog ${sources.map(ysPath).join(' ')}`,
    `hierarchy -check -top ${board ?? top}`,
    // proc turns every incomplete assignment into a $dlatch: a latch found here is one
    // the RTL describes, whatever the mapping does with it later.
    'proc',
    `tee -q -o ${ysPath(out.latches)} select -list t:$dlatch t:$adlatch t:$dlatchsr t:$sr`,
    // The memories as Yosys sees them before mapping (name, size): what the
    // target's memory mapper then turns into block RAM, LUT RAM or logic.
    'opt_clean',
    // Memory bits per module (words x width of each inferred array), before they are
    // collected into $mem_v2 cells, which stat no longer counts as memory.
    `tee -q -o ${ysPath(out.memoryStat)} stat -json`,
    'memory -nomap',
    `tee -q -o ${ysPath(out.memories)} select -list t:$mem_v2`,
    `${spec.synthCommand(device)} -top ${board ?? top}`,
  ];
  if (target === 'generic') lines.push('abc -g NAND', 'opt_clean');
  lines.push(`tee -q -o ${ysPath(out.stat)} stat -json`);
  // The design's top module alone, for its instance names (stage k's cells are u_l<k>_*);
  // with a board wrapper on top, the design is the wrapper's submodule.
  lines.push('design -save mapped', board === null ? 'delete A:top %n' : `delete ${top} %n`, `write_json ${ysPath(out.topCells)}`);
  if (out.netlist !== null) lines.push('design -load mapped', 'flatten', `write_json ${ysPath(out.netlist)}`);
  return lines.join('\n') + '\n';
}
