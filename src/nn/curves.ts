/**
 * Training curves written beside a trained model: the per-epoch history as JSON, and a
 * small hand-written SVG (no plotting dependency) with two panels sharing the epoch
 * axis: train/validation accuracy on top, training/validation loss below.
 */
import type { EpochRecord } from './train.js';

export interface CurvesInfo {
  /** Shown in the title: architecture, dataset... */
  title: string;
  bestEpoch: number;
}

export function curvesJson(history: EpochRecord[], info: CurvesInfo & Record<string, unknown>): string {
  return JSON.stringify({ ...info, epochs: history }, null, 2) + '\n';
}

/** Round to a 1-2-5 step so that about `count` ticks cover [lo, hi]. */
function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  if (!(raw > 0)) return 1;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function ticks(lo: number, hi: number, count: number): number[] {
  const step = niceStep(lo, hi, count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fmt(v: number): string {
  return Number(v.toFixed(2)).toString();
}

interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  values: number[];
}

interface Panel {
  top: number;
  height: number;
  yLabel: string;
  lo: number;
  hi: number;
  series: Series[];
  tickFormat: (v: number) => string;
}

const W = 800;
const LEFT = 70;
const RIGHT = 190;
const PLOT_W = W - LEFT - RIGHT;

export function curvesSvg(history: EpochRecord[], info: CurvesInfo): string {
  const epochs = history.map((h) => h.epoch);
  const firstEpoch = epochs[0] ?? 1;
  const lastEpoch = epochs[epochs.length - 1] ?? 1;
  const xLo = firstEpoch === lastEpoch ? firstEpoch - 1 : firstEpoch;
  const xHi = firstEpoch === lastEpoch ? lastEpoch + 1 : lastEpoch;
  const x = (e: number): number => LEFT + ((e - xLo) / (xHi - xLo)) * PLOT_W;

  const accs = history.flatMap((h) => [h.trainAccuracy * 100, h.valAccuracy * 100]);
  const accLo = Math.max(0, Math.floor((Math.min(...accs, 100) - 2) / 5) * 5);
  const losses = history.flatMap((h) => [h.loss, h.valLoss]);
  const lossHi = Math.max(...losses, 1e-6) * 1.08;
  const panels: Panel[] = [
    {
      top: 50,
      height: 210,
      yLabel: 'accuracy (%)',
      lo: accLo,
      hi: 100,
      tickFormat: fmt,
      series: [
        { label: 'train accuracy', color: '#1f77b4', values: history.map((h) => h.trainAccuracy * 100) },
        { label: 'validation accuracy', color: '#d62728', values: history.map((h) => h.valAccuracy * 100) },
      ],
    },
    {
      top: 320,
      height: 170,
      yLabel: 'squared hinge loss',
      lo: 0,
      hi: lossHi,
      tickFormat: (v) => Number(v.toPrecision(3)).toString(),
      series: [
        { label: 'train loss', color: '#1f77b4', dashed: true, values: history.map((h) => h.loss) },
        { label: 'validation loss', color: '#d62728', dashed: true, values: history.map((h) => h.valLoss) },
      ],
    },
  ];
  const height = 545;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="26" font-size="15" font-weight="bold">${esc(info.title)}</text>`);

  const xTicks = ticks(xLo, xHi, Math.min(10, xHi - xLo)).filter((e) => Number.isInteger(e));
  for (const p of panels) {
    const y = (v: number): number => p.top + p.height - ((v - p.lo) / (p.hi - p.lo)) * p.height;
    const bottom = p.top + p.height;
    // grid, y ticks and labels
    for (const t of ticks(p.lo, p.hi, 6)) {
      out.push(`<line x1="${LEFT}" y1="${y(t).toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${LEFT - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${p.tickFormat(t)}</text>`);
    }
    for (const e of xTicks) {
      out.push(`<line x1="${x(e).toFixed(1)}" y1="${bottom}" x2="${x(e).toFixed(1)}" y2="${bottom + 5}" stroke="black"/>`);
      out.push(`<text x="${x(e).toFixed(1)}" y="${bottom + 18}" text-anchor="middle">${e}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${p.top}" width="${PLOT_W}" height="${p.height}" fill="none" stroke="black"/>`);
    const midY = p.top + p.height / 2;
    out.push(`<text transform="translate(18 ${midY}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
    out.push(`<text x="${LEFT + PLOT_W / 2}" y="${bottom + 34}" text-anchor="middle">epoch</text>`);
    // best epoch marker
    if (info.bestEpoch >= xLo && info.bestEpoch <= xHi) {
      out.push(`<line x1="${x(info.bestEpoch).toFixed(1)}" y1="${p.top}" x2="${x(info.bestEpoch).toFixed(1)}" y2="${bottom}" stroke="#2ca02c" stroke-dasharray="2 3"/>`);
    }
    // series
    p.series.forEach((s, k) => {
      const pts = s.values.map((v, i) => `${x(epochs[i]).toFixed(1)},${y(Math.min(p.hi, Math.max(p.lo, v))).toFixed(1)}`);
      const dash = s.dashed ? ' stroke-dasharray="6 3"' : '';
      if (pts.length > 1) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const pt of pts) {
        const [cx, cy] = pt.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
      }
      const ly = p.top + 14 + k * 18;
      const lx = LEFT + PLOT_W + 12;
      out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${lx + 28}" y="${ly}">${esc(s.label)}</text>`);
    });
  }
  const best = history.find((h) => h.epoch === info.bestEpoch);
  if (best) {
    out.push(
      `<text x="${LEFT + PLOT_W + 12}" y="${50 + 14 + 3 * 18}" fill="#2ca02c">best epoch ${best.epoch}</text>`,
      `<text x="${LEFT + PLOT_W + 12}" y="${50 + 14 + 4 * 18}" fill="#2ca02c">val ${(best.valAccuracy * 100).toFixed(2)} %</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
