/**
 * report.json of `bnnc synth` (fields in docs/synthesis.md) and the table it prints:
 * resources per row (input, stage k, top glue) and in total, the fit against
 * the device, and after place and route the Fmax and the utilisation.
 */
import type { PnrResult } from './pnr.js';
import type { Resources } from './stat.js';
import type { Device, Target } from './targets.js';

export const REPORT_FORMAT = 'bnnc-synth';
export const REPORT_VERSION = 1;

/**
 * Flip-flops in NAND2 equivalents for the generic target's total: a D flip-flop with
 * enable and synchronous reset is about 6 two-input NANDs in common standard-cell
 * libraries (a plain DFF ~4.5, plus the enable multiplexer and the reset gate).
 */
export const FF_NAND2 = 6;

export interface ReportRow extends Resources {
  /** The layer name of a stage row, else the row itself (what bnnc report shows). */
  name: string;
  /** "input", "stage <k>" or "top" (the top level's own cells). */
  row: string;
  /** The layer name of a stage row, else null. */
  layer: string | null;
}

export interface FitItem {
  resource: 'luts' | 'ffs' | 'bram' | 'dsp' | 'io';
  used: number;
  available: number;
}

export interface SynthReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  /** `board`: the wrapper module placed as the top (`--board`), else null. */
  design: { rtlDir: string; top: string; board: string | null; model: string; ii: number; latency: number };
  target: Target;
  device: Device | null;
  tools: Record<string, string>;
  /** The clock nextpnr placed for (MHz). */
  clockMhz: number;
  total: Resources;
  /** generic only: nand2 + FF_NAND2 per flip-flop; null elsewhere. */
  nand2Equivalents: number | null;
  stages: ReportRow[];
  /** Latches the RTL describes (after `proc`, before mapping): must be none. */
  latches: string[];
  /** Memories Yosys inferred before mapping ("module/memory"). */
  memories: string[];
  /** Yosys warnings in the log. */
  yosysWarnings: number;
  /** The design's top-level I/O pins (port bits). */
  ioPins: number;
  /** Fit against the device from the synthesis figures (null: no device). */
  fit: { fits: boolean; items: FitItem[]; over: FitItem[] } | null;
  /** Place and route, or null (with pnrSkipped saying why). */
  pnr: PnrResult | null;
  pnrSkipped: string | null;
  /** File names in the report's directory. */
  files: { yosysLog: string; script: string; stat: string; netlist: string | null; pnrLog: string | null; pnrReport: string | null; bitstream: string | null };
  seconds: { yosys: number; pnr: number | null; bitstream: number | null };
}

/** The fit check from synthesis figures (place and route, when run, has the last word). */
export function fitCheck(target: Target, device: Device, total: Resources, ioPins: number, checkIo: boolean): SynthReport['fit'] {
  // ECP5: a CCU2C carry cell holds two LUT4s beside the LUT4 cells.
  const luts = target === 'ecp5' ? total.luts + 2 * total.carries : total.luts;
  const items: FitItem[] = [
    { resource: 'luts', used: luts, available: device.luts },
    { resource: 'ffs', used: total.ffs, available: device.ffs },
    { resource: 'bram', used: total.bram, available: device.bram },
    { resource: 'dsp', used: total.dsp, available: device.dsp },
  ];
  if (checkIo) items.push({ resource: 'io', used: ioPins, available: device.io });
  const over = items.filter((i) => i.used > i.available);
  return { fits: over.length === 0, items, over };
}

const UNIT: Record<Target, Record<FitItem['resource'], string>> = {
  xc7: { luts: 'LUT', ffs: 'FF', bram: 'BRAM36', dsp: 'DSP48E1', io: 'I/O pins' },
  ice40: { luts: 'LUT4', ffs: 'FF', bram: 'SB_RAM40_4K', dsp: 'SB_MAC16', io: 'I/O pins' },
  ecp5: { luts: 'LUT4', ffs: 'FF', bram: 'DP16KD', dsp: 'MULT18X18D', io: 'I/O pins' },
  generic: { luts: 'LUT', ffs: 'FF', bram: 'BRAM', dsp: 'DSP', io: 'I/O pins' },
};

const num = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US').replace(/,/g, ' ') : n.toFixed(1));

/** "27 373 LUT4 > 7 680; 216 I/O pins > 206" for what does not fit. */
export function describeOver(target: Target, over: FitItem[]): string {
  return over.map((i) => `${num(i.used)} ${UNIT[target][i.resource]} > ${num(i.available)}`).join('; ');
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The printed report. */
export function formatSynthReport(r: SynthReport): string {
  const out: string[] = [];
  const dev = r.device === null ? 'technology-independent' : `${r.device.name} (${r.device.part})`;
  out.push(`${r.design.top} on ${r.target}, ${dev} (Yosys: ${r.tools.yosys ?? '?'})`);
  const rowName = (x: ReportRow): string => (x.layer === null ? x.row : `${x.row} (${x.layer})`);
  if (r.target === 'generic') {
    const rows = r.stages.map((x) => [rowName(x), num(x.nand2), num(x.ffs)]);
    rows.push(['total', num(r.total.nand2), num(r.total.ffs)]);
    out.push(table(['', 'NAND2', 'FF'], rows));
    out.push(`NAND2 equivalents: ${num(r.nand2Equivalents ?? 0)} (logic ${num(r.total.nand2)} + ${FF_NAND2} per flip-flop)`);
  } else {
    const u = UNIT[r.target];
    const rows = r.stages.map((x) => [rowName(x), num(x.luts), num(x.ffs), num(x.carries), num(x.lutram), num(x.bram), num(x.dsp)]);
    rows.push(['total', num(r.total.luts), num(r.total.ffs), num(r.total.carries), num(r.total.lutram), num(r.total.bram), num(r.total.dsp)]);
    out.push(table(['', u.luts, u.ffs, 'carry', 'LUTRAM', u.bram, u.dsp], rows));
  }
  out.push(`memories inferred before mapping: ${r.memories.length}; latches: ${r.latches.length}; Yosys warnings: ${r.yosysWarnings}`);
  if (r.fit !== null && r.device !== null) {
    out.push(
      r.fit.fits
        ? `fits ${r.device.name}: ${r.fit.items.map((i) => `${num(i.used)}/${num(i.available)} ${UNIT[r.target][i.resource]}`).join(', ')}`
        : `DOES NOT FIT ${r.device.name}: ${describeOver(r.target, r.fit.over)}`,
    );
  }
  if (r.pnr !== null) {
    const used = Object.entries(r.pnr.utilisation)
      .filter(([, v]) => v.used > 0)
      .map(([k, v]) => `${k} ${num(v.used)}/${num(v.available)} (${((100 * v.used) / v.available).toFixed(0)} %)`);
    out.push(`placed and routed${r.pnr.outOfContext ? ' (out of context: no I/O buffers)' : ''}: Fmax ${r.pnr.fmaxMHz.toFixed(1)} MHz (constraint ${r.clockMhz} MHz${r.pnr.fmaxMHz >= r.clockMhz ? ', met' : ', not met'})`);
    out.push(`  ${used.join(', ')}`);
  } else if (r.pnrSkipped !== null) {
    out.push(`no place and route: ${r.pnrSkipped}`);
  }
  if (r.files.bitstream !== null) out.push(`bitstream: ${r.files.bitstream}`);
  return out.join('\n') + '\n';
}
