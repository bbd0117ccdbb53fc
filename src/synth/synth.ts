/**
 * bnnc synth, the work: Yosys maps a compiled design for a target (./targets.ts), its
 * statistics become rows per stage (./stat.ts), the figures are checked against the
 * device, nextpnr places and routes (./pnr.ts) and icepack/ecppack pack a bitstream
 * when asked. Everything lands in one output directory, written atomically, with
 * report.json (./report.ts) beside the logs. docs/synthesis.md.
 *
 * Yosys runs in the design directory (the ROM images are opened by relative path) and
 * writes only to the output directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, ToolFailedError } from '../errors.js';
import { readDesign } from '../sim/design.js';
import { writeDirAtomicAsync } from '../util/atomic.js';
import { spawnGroup } from '../util/processes.js';
import { requireTool, toolVersion, type FoundTool } from '../util/tools.js';
import { nextpnrArgs, nextpnrFailure, parseNextpnrReport } from './pnr.js';
import { FF_NAND2, fitCheck, REPORT_FORMAT, REPORT_VERSION, type ReportRow, type SynthReport } from './report.js';
import { memoryBitsByRow, parseMemoryStat, parseSelectList, parseStatJson, parseTopCells, rowsOf } from './stat.js';
import { resolveDevice, TARGET_SPECS, yosysScript, type Target } from './targets.js';

export interface SynthOptions {
  rtlDir: string;
  target: Target;
  device?: string;
  /** Clock nextpnr places for (MHz). */
  clockMhz: number;
  /** Place and route (targets with nextpnr only). */
  pnr: boolean;
  bitstream: boolean;
  /** Place the board wrapper (`bnnc compile --board`) as the top instead of the design. */
  board?: boolean;
  /** nextpnr's placer seed (default 1). */
  seed?: number;
  /** Output directory (absolute, checked by the caller). */
  out: string;
  /** One line per step, for the terminal. */
  onProgress?: (line: string) => void;
}

/**
 * Run a program in its own process group; stdout and stderr go to `logFile`, written as
 * they arrive (a long nextpnr run can be followed with `tail -f` in the output's
 * temporary directory).
 */
function runLogged(tool: FoundTool, args: string[], cwd: string, logFile: string): Promise<{ code: number; log: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'w');
    // 'close' can follow 'error' (a failed spawn): the log is closed once.
    let open = true;
    const closeLog = (): void => {
      if (open) fs.closeSync(fd);
      open = false;
    };
    const child = spawnGroup(tool.path, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const take = (b: Buffer): void => {
      chunks.push(b);
      if (open) fs.writeSync(fd, b);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => {
      closeLog();
      reject(new ToolFailedError(tool.name, e.message));
    });
    child.on('close', (code, signal) => {
      closeLog();
      resolve({ code: code ?? (signal ? 128 : 1), log: Buffer.concat(chunks).toString('utf8'), seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** The line of a Yosys log that says why it stopped. */
function yosysFailure(log: string): string {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => l.startsWith('ERROR:'));
  return i >= 0 ? lines[i].trim() : (lines.filter((l) => l.trim() !== '').pop() ?? '(no output)');
}

/** The design's top-level I/O pins: the bits of every port in the manifest. */
function ioPinsOf(manifestPath: string): number {
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { ports?: { width: number }[] };
  return (m.ports ?? []).reduce((s, p) => s + p.width, 0);
}

/**
 * Synthesize (and place and route) a compiled design. Returns the report, also
 * written to <out>/report.json. A design that does not fit its device still gets its
 * report (fit.fits false); the caller decides what that means for the exit status.
 */
export async function runSynth(o: SynthOptions): Promise<SynthReport> {
  const progress = o.onProgress ?? (() => {});
  const spec = TARGET_SPECS[o.target];
  const device = resolveDevice(o.target, o.device);
  const design = readDesign(o.rtlDir);
  if (o.bitstream && spec.pnrTool === null) throw new InputError('command line', '--bitstream', 'a target with open place and route (ice40, ecp5)', `--target ${o.target}`);
  if (o.bitstream && !o.pnr) throw new InputError('command line', '--bitstream', 'place and route (not --no-pnr)');
  if (!(o.clockMhz > 0 && Number.isFinite(o.clockMhz))) throw new InputError('command line', '--clock', 'a positive number of MHz', String(o.clockMhz));
  const seed = o.seed ?? 1;
  if (!(Number.isSafeInteger(seed) && seed >= 1 && seed < 2 ** 31)) throw new InputError('command line', '--seed', 'an integer from 1 to 2^31 - 1', String(o.seed));
  // Every tool the run needs, found before any work.
  const yosys = requireTool('yosys');
  const pnrTool = o.pnr && spec.pnrTool !== null ? requireTool(spec.pnrTool) : null;
  const packer = o.bitstream ? requireTool(o.target === 'ice40' ? 'icepack' : 'ecppack') : null;
  const tools: Record<string, string> = { yosys: toolVersion('yosys') };

  if (o.board && design.board === null) throw new InputError(design.manifestPath, 'board', 'a design compiled with --board (bnnc synth --board places its wrapper)', 'null');
  const board = o.board ? design.board : null;
  const ioPins = board !== null ? board.pins : ioPinsOf(design.manifestPath);
  // ECP5 is placed out of context (no I/O buffers) unless a bitstream is wanted: its
  // figures then describe the design as a block inside a larger one.
  const outOfContext = o.target === 'ecp5' && !o.bitstream;
  let report: SynthReport | null = null;

  await writeDirAtomicAsync(o.out, async (tmp) => {
    const abs = (f: string): string => path.join(tmp, f);
    const wantNetlist = o.pnr && spec.pnrTool !== null;
    const script = yosysScript(o.target, device, design.top, design.sources, {
      stat: abs('stat.json'),
      topCells: abs('top-cells.json'),
      latches: abs('latches.txt'),
      memories: abs('memories.txt'),
      memoryStat: abs('memory-stat.json'),
      netlist: wantNetlist ? abs('netlist.json') : null,
    }, board?.module ?? null);
    fs.writeFileSync(abs('synth.ys'), script);
    progress(`yosys: ${spec.synthCommand(device)} on ${board?.module ?? design.top}${device ? ` for ${device.name}` : ''} (in ${design.rtlDir})...`);
    const ys = await runLogged(yosys, ['-q', '-l', abs('yosys.log'), '-s', abs('synth.ys')], design.rtlDir, abs('yosys.stdout'));
    if (ys.code !== 0) {
      const log = fs.existsSync(abs('yosys.log')) ? fs.readFileSync(abs('yosys.log'), 'utf8') : ys.log;
      throw new ToolFailedError('yosys', `${yosysFailure(log)} (script: ${o.target}, design ${design.rtlDir})`);
    }
    progress(`yosys: done in ${ys.seconds.toFixed(1)} s`);
    const yosysLog = fs.readFileSync(abs('yosys.log'), 'utf8');
    fs.rmSync(abs('yosys.stdout'), { force: true });

    const cells = parseStatJson(fs.readFileSync(abs('stat.json'), 'utf8'), abs('stat.json'));
    const topCells = parseTopCells(fs.readFileSync(abs('top-cells.json'), 'utf8'), design.top, abs('top-cells.json'));
    const { rows, total } = rowsOf(o.target, design.top, cells, topCells, board?.module ?? null);
    const mem = memoryBitsByRow(parseMemoryStat(fs.readFileSync(abs('memory-stat.json'), 'utf8'), abs('memory-stat.json')), design.top, topCells);
    for (const [row, r] of rows) r.memoryBits = mem.rows.get(row) ?? 0;
    total.memoryBits = board === null ? mem.total : [...rows.values()].reduce((a, r) => a + r.memoryBits, 0);
    const layerOf = (row: string): string | null => {
      const m = /^stage (\d+)$/.exec(row);
      return m ? (design.stages[Number(m[1])]?.name ?? null) : null;
    };
    const reportRows: ReportRow[] = [...rows.entries()].map(([row, r]) => ({ name: layerOf(row) ?? row, row, layer: layerOf(row), ...r }));
    const latches = parseSelectList(fs.readFileSync(abs('latches.txt'), 'utf8'));
    const memories = parseSelectList(fs.readFileSync(abs('memories.txt'), 'utf8'));
    const checkIo = o.target === 'ice40' || (o.target === 'ecp5' && !outOfContext);
    const fit = device === null ? null : fitCheck(o.target, device, total, ioPins, checkIo);

    let pnr: SynthReport['pnr'] = null;
    let pnrSkipped: string | null = null;
    let pnrSeconds: number | null = null;
    let bitstream: string | null = null;
    let bitSeconds: number | null = null;
    if (!o.pnr) pnrSkipped = '--no-pnr';
    else if (pnrTool === null || device === null) pnrSkipped = `no open place and route for ${o.target}`;
    else if (fit !== null && !fit.fits) pnrSkipped = 'the design does not fit the device';
    else {
      tools[pnrTool.name] = toolVersion(pnrTool.name);
      const textBits = o.bitstream ? (o.target === 'ice40' ? 'design.asc' : 'design.config') : null;
      // Names relative to the output directory nextpnr runs in: the YoWASP (WebAssembly)
      // builds see only their working directory, not absolute paths.
      const args = nextpnrArgs(o.target === 'ice40' ? 'ice40' : 'ecp5', device, o.clockMhz, { netlist: 'netlist.json', report: 'nextpnr-report.json', bitstreamText: textBits }, outOfContext, seed);
      progress(`${pnrTool.name}: placing and routing on ${device.part} at ${o.clockMhz} MHz${outOfContext ? ' (out of context)' : ''}...`);
      const r = await runLogged(pnrTool, args, tmp, abs('nextpnr.log'));
      if (r.code !== 0) throw new ToolFailedError(pnrTool.name, `${nextpnrFailure(r.log)} (${pnrTool.name} ${args.map((a) => path.basename(a)).join(' ')})`);
      pnrSeconds = r.seconds;
      progress(`${pnrTool.name}: done in ${r.seconds.toFixed(1)} s`);
      pnr = parseNextpnrReport(fs.readFileSync(abs('nextpnr-report.json'), 'utf8'), abs('nextpnr-report.json'), outOfContext, seed);
      if (packer !== null && textBits !== null) {
        bitstream = o.target === 'ice40' ? 'design.bin' : 'design.bit';
        progress(`${packer.name}: packing ${bitstream}...`);
        const b = await runLogged(packer, [textBits, bitstream], tmp, abs(`${packer.name}.log`));
        if (b.code !== 0) throw new ToolFailedError(packer.name, nextpnrFailure(b.log));
        bitSeconds = b.seconds;
      }
    }

    report = {
      format: REPORT_FORMAT,
      version: REPORT_VERSION,
      design: { rtlDir: design.rtlDir, top: design.top, board: board?.module ?? null, model: design.modelName, ii: design.ii, latency: design.latency },
      target: o.target,
      device,
      tools,
      clockMhz: o.clockMhz,
      total,
      nand2Equivalents: o.target === 'generic' ? total.nand2 + FF_NAND2 * total.ffs : null,
      stages: reportRows,
      latches,
      memories,
      yosysWarnings: (yosysLog.match(/^Warning:/gm) ?? []).length,
      ioPins,
      fit,
      pnr,
      pnrSkipped,
      files: {
        yosysLog: 'yosys.log',
        script: 'synth.ys',
        stat: 'stat.json',
        netlist: wantNetlist ? 'netlist.json' : null,
        pnrLog: pnr !== null ? 'nextpnr.log' : null,
        pnrReport: pnr !== null ? 'nextpnr-report.json' : null,
        bitstream,
      },
      seconds: { yosys: ys.seconds, pnr: pnrSeconds, bitstream: bitSeconds },
    };
    fs.writeFileSync(abs('report.json'), JSON.stringify(report, null, 2) + '\n');
  });
  return report!;
}
