/**
 * The report's figures: which chart shows what, built from the run's data. The HTML
 * writer renders them; the test checks that each one rendered.
 */
import type { DesignInfo } from '../sim/design.js';
import { accuracySpec, confusionSpec, curvesSpec, cyclesSpec, foldingSpec, synthSpec, type FoldingBox, type StageCycles } from './charts.js';
import type { ReportData } from './data.js';
import type { ChartSpec } from './render.js';

export interface Figure {
  /** Stable id, used as the HTML element id (the test looks them up). */
  id: string;
  section: 'results' | 'network' | 'training' | 'confusion' | 'cycles' | 'synthesis';
  spec: ChartSpec;
}

export function bits(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} Mbit`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kbit`;
  return `${n} bit`;
}

export function foldingBoxes(d: DesignInfo): FoldingBox[] {
  const boxes: FoldingBox[] = [
    { name: 'input', kind: 'input', lines: [`${d.pixels} pixels`, `${d.inPix} per beat`, `${d.inputII} cycles`], cycles: d.inputII, bottleneck: d.inputII === d.ii },
  ];
  for (const s of d.stages) {
    const lines =
      s.kind === 'pool'
        ? [`max-pool ${s.size}×${s.size}`, `${s.frameCycles} cycles`, bits(s.memoryBits)]
        : [`${s.mw} → ${s.mh}`, `PE ${s.pe} × SIMD ${s.simd}`, `II ${s.ii}${s.frameCycles !== s.ii ? ` (${s.frameCycles}/image)` : ''}`, bits(s.memoryBits)];
    boxes.push({ name: s.name, kind: s.kind, lines, cycles: s.frameCycles, bottleneck: s.frameCycles === d.ii });
  }
  return boxes;
}

/** Per-stage cycles; the latency not spent in a stage (input, output) as its own row. */
export function stageCycles(d: DesignInfo): StageCycles[] {
  const rows: StageCycles[] = d.stages.map((s) => ({ name: s.name, cycles: s.frameCycles, latency: s.latency }));
  const rest = d.latency - rows.reduce((a, r) => a + r.latency, 0);
  return [{ name: 'input', cycles: d.inputII, latency: rest }, ...rows];
}

export function reportFigures(r: ReportData): Figure[] {
  const { run, verify, design } = r;
  const figs: Figure[] = [];
  figs.push({
    id: 'accuracy',
    section: 'results',
    spec: accuracySpec([
      { model: 'float', images: run.results.float.images, correct: run.results.float.correct },
      { model: 'integer', images: run.results.int.images, correct: run.results.int.correct },
      { model: 'RTL', images: verify.labelled, correct: verify.rtlCorrect },
    ]),
  });
  figs.push({ id: 'folding', section: 'network', spec: foldingSpec(foldingBoxes(design), `${design.top}: stages and folding (red: the stages that set the II of ${design.ii} cycles)`) });
  figs.push({ id: 'curves', section: 'training', spec: curvesSpec(r.curves.epochs, r.curves.bestEpoch, r.curves.title) });
  figs.push({ id: 'confusion-float', section: 'confusion', spec: confusionSpec(run.results.float.confusion, `float model (${run.results.float.images} images)`) });
  figs.push({ id: 'confusion-int', section: 'confusion', spec: confusionSpec(run.results.int.confusion, `integer model (${run.results.int.images} images)`) });
  figs.push({ id: 'confusion-rtl', section: 'confusion', spec: confusionSpec(verify.rtlConfusion, `RTL, Verilator (${verify.labelled} images)`) });
  figs.push({ id: 'cycles', section: 'cycles', spec: cyclesSpec(stageCycles(design), design.ii, design.latency) });
  for (const [i, t] of (r.synth?.targets ?? []).entries()) {
    const rows = t.stages.filter((s) => s.luts !== null || s.ffs !== null);
    if (rows.length === 0) continue;
    figs.push({
      id: `synth-${i}`,
      section: 'synthesis',
      spec: synthSpec(rows.map((s) => ({ stage: s.name, luts: s.luts, ffs: s.ffs })), `${t.target}${t.device ? ` (${t.device})` : ''}: LUT and FF per stage`),
    });
  }
  return figs;
}
