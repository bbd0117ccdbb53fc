/**
 * The report's charts as Vega-Lite specs (rendered by ./render.ts). Each takes plain
 * figures read from the run's files and returns a spec with its data inline.
 */
import type { EpochRecord } from '../nn/train.js';
import type { ChartSpec } from './render.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** One box of the folding diagram: the pixel input or a stage. */
export interface FoldingBox {
  name: string;
  kind: string;
  /** Lines under the name: sizes, PE × SIMD, II, memory. */
  lines: string[];
  /** Cycles per image. */
  cycles: number;
  /** Its cycles per image equal the design's II. */
  bottleneck: boolean;
}

const BOX_W = 0.78;

/** The network as a row of stage boxes joined by arrows; the stages that set the II in red. */
export function foldingSpec(boxes: FoldingBox[], title: string): ChartSpec {
  const n = boxes.length;
  const rows = boxes.map((b, i) => ({
    i,
    x0: i,
    x1: i + BOX_W,
    xc: i + BOX_W / 2,
    name: b.name,
    kind: b.kind,
    text: b.lines.join('\n'),
    cycles: b.cycles,
    bottleneck: b.bottleneck,
  }));
  const arrows = rows.slice(1).map((r) => ({ from: r.i - 1 + BOX_W, to: r.i, y: 0.5 }));
  const x = { scale: { domain: [-0.05, n - 1 + BOX_W + 0.05] }, axis: null };
  const y = { scale: { domain: [0, 1] }, axis: null };
  return {
    $schema: SCHEMA,
    title,
    width: Math.max(300, 170 * n),
    height: 120,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'rect', cornerRadius: 6, strokeWidth: 2 },
        encoding: {
          x: { field: 'x0', type: 'quantitative', ...x },
          x2: { field: 'x1' },
          y: { datum: 0.04, type: 'quantitative', ...y },
          y2: { datum: 0.96 },
          fill: { field: 'kind', type: 'nominal', scale: { domain: ['input', 'mvtu', 'pool'], range: ['#eef3fb', '#e8f5e9', '#fff4e0'] }, legend: null },
          stroke: { field: 'bottleneck', type: 'nominal', scale: { domain: [false, true], range: ['#666', '#d62728'] }, legend: null },
          tooltip: [{ field: 'name' }, { field: 'cycles', title: 'cycles per image' }],
        },
      },
      {
        data: { values: rows },
        mark: { type: 'text', fontWeight: 'bold', fontSize: 13, baseline: 'top' },
        encoding: { x: { field: 'xc', type: 'quantitative', ...x }, y: { datum: 0.88, type: 'quantitative', ...y }, text: { field: 'name' } },
      },
      {
        data: { values: rows },
        mark: { type: 'text', fontSize: 11, baseline: 'top', lineBreak: '\n', lineHeight: 15 },
        encoding: { x: { field: 'xc', type: 'quantitative', ...x }, y: { datum: 0.68, type: 'quantitative', ...y }, text: { field: 'text' } },
      },
      {
        data: { values: arrows },
        mark: { type: 'rule', strokeWidth: 2, color: '#444' },
        encoding: { x: { field: 'from', type: 'quantitative', ...x }, x2: { field: 'to' }, y: { field: 'y', type: 'quantitative', ...y } },
      },
      {
        data: { values: arrows },
        mark: { type: 'point', shape: 'triangle-right', filled: true, size: 70, color: '#444' },
        encoding: { x: { field: 'to', type: 'quantitative', ...x }, y: { field: 'y', type: 'quantitative', ...y } },
      },
    ],
  } as ChartSpec;
}

/** Accuracy (train, validation) above and loss below, by epoch; the best epoch marked. */
export function curvesSpec(epochs: EpochRecord[], bestEpoch: number, title: string): ChartSpec {
  const acc = epochs.flatMap((e) => [
    { epoch: e.epoch, series: 'train', value: e.trainAccuracy * 100 },
    { epoch: e.epoch, series: 'validation', value: e.valAccuracy * 100 },
  ]);
  const loss = epochs.flatMap((e) => [
    { epoch: e.epoch, series: 'train', value: e.loss },
    { epoch: e.epoch, series: 'validation', value: e.valLoss },
  ]);
  const last = epochs[epochs.length - 1]?.epoch ?? 1;
  const first = epochs[0]?.epoch ?? 1;
  const xDomain = first === last ? [first - 1, last + 1] : [first, last];
  // Whole epochs only: every epoch as a tick up to 20, else integer steps.
  const epochAxis = epochs.length <= 20 ? { values: epochs.map((e) => e.epoch), format: 'd' } : { tickMinStep: 1, format: 'd' };
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#d62728'] } };
  const panel = (values: object[], yTitle: string, zero: boolean): object => ({
    width: 560,
    height: 200,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', scale: { domain: xDomain }, axis: epochAxis },
          y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero } },
          color,
        },
      },
      {
        data: { values: [{ epoch: bestEpoch, label: `best epoch ${bestEpoch}` }] },
        mark: { type: 'rule', strokeDash: [3, 3], color: '#2ca02c' },
        encoding: { x: { field: 'epoch', type: 'quantitative' } },
      },
    ],
  });
  return {
    $schema: SCHEMA,
    title,
    vconcat: [panel(acc, 'accuracy (%)', false), panel(loss, 'squared hinge loss', true)],
  } as ChartSpec;
}

export interface AccuracyBar {
  model: string;
  images: number;
  correct: number;
}

/** Accuracy of the float, integer and RTL models side by side, each with its image count. */
export function accuracySpec(bars: AccuracyBar[]): ChartSpec {
  const values = bars.map((b) => ({
    model: `${b.model} (${b.images} images)`,
    accuracy: (100 * b.correct) / b.images,
    label: `${((100 * b.correct) / b.images).toFixed(2)} %`,
  }));
  const lo = Math.max(0, Math.floor(Math.min(...values.map((v) => v.accuracy)) - 2));
  return {
    $schema: SCHEMA,
    title: 'Test accuracy',
    width: 420,
    height: 30 * values.length,
    data: { values },
    encoding: {
      y: { field: 'model', type: 'nominal', sort: null, title: null, axis: { labelLimit: 300 } },
      x: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [lo, 100] } },
    },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8', clip: true } },
      { mark: { type: 'text', align: 'right', dx: -4, color: 'white', fontWeight: 'bold' }, encoding: { text: { field: 'label' } } },
    ],
  } as ChartSpec;
}

/** A confusion matrix as a heat map: rows true labels, columns predictions, shade = row fraction. */
export function confusionSpec(matrix: number[][], title: string, classNames?: string[]): ChartSpec {
  const name = (i: number): string => classNames?.[i] ?? String(i);
  const values = matrix.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ label: name(i), predicted: name(j), count, fraction: total > 0 ? count / total : 0, diagonal: i === j }));
  });
  const order = matrix.map((_, i) => name(i));
  return {
    $schema: SCHEMA,
    title,
    width: 22 * matrix.length + 40,
    height: 22 * matrix.length + 40,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: 0 } },
      y: { field: 'label', type: 'ordinal', sort: order, title: 'true label' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'fraction', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'share of row' },
          tooltip: [{ field: 'label' }, { field: 'predicted' }, { field: 'count' }],
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'count' },
          color: { condition: { test: 'datum.fraction > 0.5', value: 'white' }, value: '#333' },
        },
      },
    ],
  } as ChartSpec;
}

export interface StageCycles {
  name: string;
  /** Cycles of work per image. */
  cycles: number;
  /** Cycles this stage adds to the latency (a pool's can be negative). */
  latency: number;
}

/** Cycles per image of each stage against the design's II, and each stage's share of the latency. */
export function cyclesSpec(stages: StageCycles[], ii: number, latency: number): ChartSpec {
  const order = stages.map((s) => s.name);
  const perImage = stages.map((s) => ({ stage: s.name, cycles: s.cycles, pace: s.cycles === ii ? 'sets the II' : 'below the II' }));
  const share = stages.map((s) => ({ stage: s.name, cycles: s.latency, share: latency > 0 ? s.latency / latency : 0 }));
  return {
    $schema: SCHEMA,
    hconcat: [
      {
        title: `Cycles per image by stage (II ${ii})`,
        width: 320,
        height: 26 * stages.length,
        layer: [
          {
            data: { values: perImage },
            mark: 'bar',
            encoding: {
              y: { field: 'stage', type: 'nominal', sort: order, title: null },
              x: { field: 'cycles', type: 'quantitative', title: 'cycles per image' },
              color: { field: 'pace', type: 'nominal', title: null, scale: { domain: ['sets the II', 'below the II'], range: ['#d62728', '#4c78a8'] } },
            },
          },
          { data: { values: [{ ii }] }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { field: 'ii', type: 'quantitative' } } },
        ],
      },
      {
        title: `Share of the latency (${latency} cycles)`,
        width: 320,
        height: 26 * stages.length,
        data: { values: share },
        encoding: {
          y: { field: 'stage', type: 'nominal', sort: order, title: null },
          x: { field: 'share', type: 'quantitative', title: 'share of latency', axis: { format: '%' } },
        },
        layer: [
          { mark: { type: 'bar', color: '#72b7b2' } },
          { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { text: { field: 'cycles', type: 'quantitative' } } },
        ],
      },
    ],
  } as ChartSpec;
}

export interface SynthBar {
  stage: string;
  luts: number | null;
  ffs: number | null;
}

/** LUTs and flip-flops per stage from synthesis. */
export function synthSpec(rows: SynthBar[], title: string): ChartSpec {
  const order = rows.map((r) => r.stage);
  const values = rows.flatMap((r) => [
    ...(r.luts !== null ? [{ stage: r.stage, resource: 'LUT', count: r.luts }] : []),
    ...(r.ffs !== null ? [{ stage: r.stage, resource: 'FF', count: r.ffs }] : []),
  ]);
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'stage', type: 'nominal', sort: order, title: null },
      yOffset: { field: 'resource', type: 'nominal' },
      x: { field: 'count', type: 'quantitative', title: 'cells' },
      color: { field: 'resource', type: 'nominal', title: null, scale: { domain: ['LUT', 'FF'], range: ['#4c78a8', '#f58518'] } },
    },
  } as ChartSpec;
}
