/**
 * The report's tables, as text cells: the HTML page and the markdown summary print the
 * same tables, so they cannot disagree on a number.
 */
import type { ReportData } from './data.js';
import { bits } from './figures.js';

export interface Table {
  id: string;
  title: string;
  header: string[];
  rows: string[][];
}

const pct = (correct: number, n: number): string => (n > 0 ? `${((100 * correct) / n).toFixed(2)} %` : 'n/a');
const num = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined ? '—' : v.toFixed(digits));

/** A command line as a shell would take it back. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function accuracyTable(r: ReportData): Table {
  const { float, int } = r.run.results;
  const v = r.verify;
  return {
    id: 'accuracy-table',
    title: 'Accuracy',
    header: ['model', 'images', 'correct', 'accuracy', 'from'],
    rows: [
      ['float (training graph, evaluation mode)', String(float.images), String(float.correct), pct(float.correct, float.images), 'run.json'],
      ['integer golden model', String(int.images), String(int.correct), pct(int.correct, int.images), 'run.json'],
      ['integer golden model, verified images', String(v.labelled), String(v.intCorrect), pct(v.intCorrect, v.labelled), r.run.files.verify],
      ['RTL (Verilator)', String(v.labelled), String(v.rtlCorrect), pct(v.rtlCorrect, v.labelled), r.run.files.verify],
    ],
  };
}

export function checksTable(r: ReportData): Table {
  const v = r.verify;
  const m = v.measured;
  return {
    id: 'checks-table',
    title: 'Agreement and cycles',
    header: ['check', 'result'],
    rows: [
      ['float vs integer: images predicted differently', `${r.run.results.floatIntDiffer} of ${r.run.results.float.images}`],
      ['RTL vs integer: mismatches (class and every score)', `${v.mismatches} of ${v.frames}`],
      ['frames lost / extra', `${v.lost} / ${v.extra}`],
      ['II (cycles per image): measured / planned', `${m?.ii ?? 'not measured'} / ${v.planned.ii}`],
      ['latency (cycles): measured / planned', `${m?.latency ?? 'not measured'} / ${v.planned.latency}`],
      ['simulation speed', v.simulatedCyclesPerSecond === null ? 'n/a' : `${(v.simulatedCyclesPerSecond / 1e6).toFixed(2)} Mcycles/s, ${num(v.imagesPerSecond)} images/s (${v.verilator})`],
      ['verdict', v.ok ? 'PASS' : `FAIL: ${v.failures.join('; ')}`],
    ],
  };
}

export function stagesTable(r: ReportData): Table {
  const d = r.design;
  const rows: string[][] = [['input', 'pixels', `${d.pixels} px`, '—', '—', '—', '—', '—', String(d.inputII), '—', '—']];
  for (const s of d.stages) {
    if (s.kind === 'pool') rows.push([s.name, `pool ${s.size}×${s.size}`, '—', '—', '—', '—', '—', '—', String(s.frameCycles), String(s.latency), bits(s.memoryBits)]);
    else rows.push([s.name, s.output === 'scores' ? 'mvtu, scores' : 'mvtu', `${s.mw} → ${s.mh}`, String(s.pe), String(s.simd), String(s.nf), String(s.sf), String(s.ii), String(s.frameCycles), String(s.latency), bits(s.memoryBits)]);
  }
  return {
    id: 'stages-table',
    title: `Stages of ${d.top} (II ${d.ii}, latency ${d.latency} cycles, bottleneck ${d.bottleneck})`,
    header: ['stage', 'kind', 'size', 'PE', 'SIMD', 'NF', 'SF', 'II', 'cycles/image', 'latency', 'memory'],
    rows,
  };
}

export function trainingTable(r: ReportData): Table {
  const meta = r.model.meta;
  const keys = ['arch', 'dataset', 'epochs', 'batchSize', 'lrStart', 'lrFin', 'seed', 'trainImages', 'valImages', 'bestEpoch', 'valAccuracy'];
  const rows = keys.filter((k) => k in meta).map((k) => [k, k === 'valAccuracy' && typeof meta[k] === 'number' ? `${((meta[k] as number) * 100).toFixed(2)} %` : String(meta[k])]);
  const last = r.curves.epochs[r.curves.epochs.length - 1];
  rows.push(['training speed (last epoch)', `${last.samplesPerSecond.toFixed(0)} samples/s, ${last.seconds.toFixed(1)} s`]);
  return { id: 'training-table', title: `Training of ${r.model.name} (${r.run.files.model})`, header: ['', ''], rows };
}

export function synthTables(r: ReportData): Table[] {
  return (r.synth?.targets ?? []).map((t, i) => ({
    id: `synth-table-${i}`,
    title: `Synthesis: ${t.target}${t.device ? `, ${t.device}` : ''}`,
    header: ['stage', 'LUT', 'FF', 'BRAM', 'DSP', 'Fmax (MHz)'],
    rows: [...t.stages, t.total].map((s) => [s.name, num(s.luts), num(s.ffs), s.bram ?? '—', num(s.dsp), num(s.fmaxMHz, 1)]),
  }));
}

export function stepsTable(r: ReportData): Table {
  return {
    id: 'steps-table',
    title: 'Commands that reproduce the run',
    header: ['step', 'command', 'started', 'seconds', 'result'],
    rows: r.run.steps.map((s) => [s.name, shellLine(s.command) + (s.stdout ? ` > ${shellLine([s.stdout])}` : ''), s.started, s.seconds.toFixed(1), s.ok ? 'ok' : 'failed']),
  };
}

export function sourcesTable(r: ReportData): Table {
  return {
    id: 'sources-table',
    title: 'Files this report was made from',
    header: ['file', 'content', 'written'],
    rows: r.sources.map((s) => [s.path, s.what, s.modified]),
  };
}

export function runLine(r: ReportData): string {
  const m = r.run.machine;
  return (
    `Run ${r.run.name}, ${r.run.started} to ${r.run.finished}, bnnc ${r.run.bnncVersion}, ` +
    `${m.cpu} (${m.cores} cores, ${m.platform}, Node ${m.node}, load average ${m.loadAverage.join(' ')})`
  );
}
