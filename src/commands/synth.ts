/**
 * bnnc synth: synthesize a compiled design with Yosys for a target, place and route it
 * with nextpnr (iCE40, ECP5), and report resources per stage, the fit against a device,
 * Fmax and utilisation (docs/synthesis.md).
 *
 *   bnnc synth RTL_DIR --target xc7|ice40|ecp5|generic [--device NAME] [--clock MHz]
 *       [--no-pnr] [--seed N] [--bitstream] [--board] [--out DIR] [--json]
 *
 * Writes DIR (default RTL_DIR.synth-<target>-<device>) with report.json, the logs and
 * the netlist. Exit status 1 when the design does not fit the device (the report is
 * still written, with the numbers).
 */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { BnncError } from '../errors.js';
import { describeOver, formatSynthReport } from '../synth/report.js';
import { runSynth } from '../synth/synth.js';
import { parseTarget, resolveDevice, TARGET_SPECS, TARGETS } from '../synth/targets.js';
import { declareIo } from '../util/outputs.js';

interface SynthArgs {
  rtlDir: string;
  target: string;
  device?: string;
  clock: number;
  pnr: boolean;
  seed: number;
  bitstream: boolean;
  board: boolean;
  out?: string;
  json: boolean;
}

/** Where the report goes by default: beside the design, named by target and device. */
export function defaultSynthOut(rtlDir: string, target: string, device: string | null): string {
  const base = path.resolve(rtlDir).replace(/\/+$/, '');
  return `${base}.synth-${target}${device === null ? '' : `-${device}`}`;
}

const devicesHelp = TARGETS.map((t) => {
  const d = Object.keys(TARGET_SPECS[t].devices);
  return d.length ? `${t}: ${d.join(', ')} (default ${TARGET_SPECS[t].defaultDevice})` : `${t}: none`;
}).join('; ');

const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth <rtl-dir>',
  describe: 'synthesize a compiled design (Yosys), place and route it (nextpnr) and report resources per stage and Fmax',
  builder: (y: Argv<object>) =>
    y
      .positional('rtl-dir', { type: 'string', demandOption: true, describe: 'directory written by bnnc compile' })
      .option('target', { type: 'string', choices: [...TARGETS], demandOption: true, describe: 'xc7 (Yosys synth_xilinx), ice40, ecp5, generic (NAND2 count)' })
      .option('device', { type: 'string', describe: `device to fit and place on: ${devicesHelp}` })
      .option('clock', { type: 'number', default: 100, describe: 'clock constraint for place and route (MHz)' })
      .option('pnr', { type: 'boolean', default: true, describe: 'place and route (ice40, ecp5); --no-pnr: synthesis only' })
      .option('seed', { type: 'number', default: 1, describe: 'nextpnr placer seed (Fmax moves by a few per cent from seed to seed)' })
      .option('bitstream', { type: 'boolean', default: false, describe: 'pack a bitstream (ice40: icepack; ecp5: ecppack)' })
      .option('board', { type: 'boolean', default: false, describe: 'synthesize and place the board wrapper (bnnc compile --board) as the top: 8-bit pixels in, class index out' })
      .option('out', { type: 'string', describe: 'output directory (default: RTL_DIR.synth-<target>[-<device>])' })
      .option('json', { type: 'boolean', default: false, describe: 'print report.json instead of the table' }) as unknown as Argv<SynthArgs>,
  handler: async (args: ArgumentsCamelCase<SynthArgs>) => {
    const target = parseTarget(args.target);
    const device = resolveDevice(target, args.device);
    const outArg = args.out ?? defaultSynthOut(args.rtlDir, target, device?.name ?? null);
    const [out] = declareIo({
      inputs: [{ path: args.rtlDir, what: 'design directory', kind: 'dir' }],
      outputs: [{ path: outArg, what: 'synthesis output directory', kind: 'dir' }],
    });
    const report = await runSynth({
      rtlDir: args.rtlDir,
      target,
      device: args.device,
      clockMhz: args.clock,
      pnr: args.pnr,
      seed: args.seed,
      bitstream: args.bitstream,
      board: args.board,
      out,
      onProgress: args.json ? undefined : (l) => process.stderr.write(`synth: ${l}\n`),
    });
    process.stdout.write(args.json ? JSON.stringify(report) + '\n' : formatSynthReport(report) + `report: ${path.join(outArg, 'report.json')}\n`);
    if (report.fit !== null && !report.fit.fits && report.device !== null) {
      throw new BnncError(`${report.design.top} does not fit ${report.device.part}: ${describeOver(target, report.fit.over)} (report: ${path.join(outArg, 'report.json')})`);
    }
  },
};

export default synthCommand;
