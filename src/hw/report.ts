/**
 * The plan as a table for people: per stage PE, SIMD, NF, SF, II and memory bits, then
 * the network's II, latency and throughput at a clock frequency, and the (labelled)
 * area estimate.
 */
import type { HwPlan } from './plan.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

/** Frames per second at a clock of `clockMhz` MHz: one frame every II cycles. */
export function framesPerSecond(plan: HwPlan, clockMhz: number): number {
  return (clockMhz * 1e6) / plan.ii;
}

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

export function formatPlan(plan: HwPlan, clockMhz: number): string {
  // Frame cycles only matter when a stage runs more than once per frame (a ConvNet).
  const streaming = plan.stages.some((s) => s.kind === 'pool' || s.vectors > 1);
  const rows: string[][] = [['stage', 'layer', 'MW', 'MH', 'PE', 'SIMD', 'NF', 'SF', 'II', ...(streaming ? ['frame cycles'] : []), 'weight bits', 'param bits']];
  const inp = plan.input;
  rows.push(['input', `${inp.npix} px, ${inp.inPix}/beat${inp.threshold !== null ? `, binarized p >= ${inp.threshold}` : ''}`, '-', '-', '-', '-', '-', '-', String(inp.ii), ...(streaming ? [String(inp.ii)] : []), '-', '-']);
  for (const s of plan.stages) {
    if (s.kind === 'pool') {
      const [h, w, c] = s.inShape;
      rows.push([String(s.index), `${s.layer} (max-pool ${s.size}x${s.size} of ${h}x${w}x${c})`, '-', '-', '-', '-', '-', '-', '-', String(s.frameCycles), '-', '-']);
      continue;
    }
    const what = s.feed.kind === 'window' ? `conv ${s.feed.kernel}x${s.feed.kernel}, ` : '';
    rows.push([
      String(s.index),
      `${s.layer} (${what}${s.input} -> ${s.output === 'scores' ? 'scores' : 'bits'})`,
      String(s.mw),
      String(s.mh),
      String(s.pe),
      String(s.simd),
      String(s.nf),
      String(s.sf),
      String(s.ii),
      ...(streaming ? [String(s.frameCycles)] : []),
      String(s.weightBits),
      String(s.paramBits),
    ]);
  }
  const bottleneck = plan.bottleneck < 0 ? 'the input stage' : `stage ${plan.bottleneck} (${plan.stages[plan.bottleneck].layer})`;
  const fps = framesPerSecond(plan, clockMhz);
  const latencyUs = plan.latency / clockMhz;
  const e = plan.estimate;
  const roms = plan.stages.flatMap((s) => (s.kind === 'mvtu' ? [`${s.index} weights ${s.rom.weights}, ${s.output === 'scores' ? 'scores' : 'thresholds'} ${s.rom.params}`] : []));
  return [
    table(rows),
    `ROMs (block RAM when >= ${plan.romRule.minDepth} words and >= ${plan.romRule.minBits} bits, else logic): stage ${roms.join('; ')}`,
    streaming
      ? `network: II ${plan.ii} cycles (most work per frame: ${bottleneck}), latency ${plan.latency} cycles`
      : `network: II ${plan.ii} cycles (set by ${bottleneck}), latency ${plan.latency} cycles`,
    ...(plan.pipeline > 0 ? [`pipeline level ${plan.pipeline}: ${plan.stages.map((s) => (s.kind === 'mvtu' ? s.pipelineCycles : 0)).join(' + ')} cycles of latency in the stages`] : []),
    `at ${clockMhz} MHz: ${fmt(fps)} frames/s, latency ${fmt(latencyUs)} us`,
    `estimate (not a synthesis result): ~${e.luts} LUTs, ~${e.flipFlops} flip-flops, ${e.romBits} ROM bits, ${e.ramBits} RAM bits`,
    ...(plan.planner === undefined ? [] : [plannerLine(plan.planner)]),
  ].join('\n');
}

/** The planner's choice: what bound it and the modelled figures it was weighed by. */
function plannerLine(c: NonNullable<HwPlan['planner']>): string {
  return `planner (bound by ${c.bound === 'cycles' ? 'the cycle target' : c.bound === 'luts' ? 'the LUT limit' : c.bound === 'bram' ? 'the block RAM limit' : 'the flip-flop limit'}): ${c.reason}; modelled ~${c.luts} LUTs with logic ROMs, ${c.bram} ${c.bramUnit}`;
}
