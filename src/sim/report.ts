/** Human-readable text of a VerifyReport (the CLI's default output, and the demo's). */
import { InputError } from '../errors.js';
import { describeValue, isPlainObject, parseJsonStrict } from '../graph/json.js';
import type { VerifyReport } from './verify.js';

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(2)} %` : 'n/a');

function si(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(0) + ' ';
}

/**
 * Threshold-boundary coverage, one line per threshold layer: the share of neurons whose
 * accumulator was T - 1 and T on some image run, and of those whose flipped bit there
 * changes the scores (observed), from the integer model.
 */
export function formatBoundary(r: Pick<VerifyReport, 'boundary'>): string[] {
  const b = r.boundary;
  if (b.layers.length === 0) return [];
  const share = (k: number, of: number): string => `${k}/${of} (${of > 0 ? ((100 * k) / of).toFixed(1) : 'n/a'} %)`;
  const lines = [
    `  boundary coverage  neurons at T-1 / at T on some image, observed = the flipped bit changes the scores` +
      (b.directed > 0 ? ` (${b.directed} directed images added)` : ''),
  ];
  for (const l of b.layers) {
    const unreachable = l.unreachableBelow + l.unreachableAt > 0 ? `; unreachable ${l.unreachableBelow} / ${l.unreachableAt}` : '';
    lines.push(
      `    layer ${l.layer} (${l.name}) hit ${share(l.hitBelow, l.neurons)} / ${share(l.hitAt, l.neurons)}, ` +
        `observed ${share(l.observedBelow, l.neurons)} / ${share(l.observedAt, l.neurons)}${unreachable}`,
    );
  }
  return lines;
}

export function formatVerifyReport(r: VerifyReport): string {
  const c = r.comparison;
  const cy = r.cycles;
  const lines: string[] = [];
  lines.push(`verify ${r.design.model} (top ${r.design.top}, ${r.design.rtlDir}) on ${r.dataset}: ${r.frames} images${r.boundary.directed > 0 ? ` (${r.frames - r.boundary.directed} + ${r.boundary.directed} directed)` : ''} through Verilator`);
  if (r.integrity.changed.length === 0) lines.push(`  design files       ${r.integrity.checked} as compile wrote them (sha256)`);
  else {
    lines.push(`  design files       ${r.integrity.changed.length} differ from what compile wrote; verifying the design as it is now:`);
    for (const l of r.integrity.changed) lines.push(`    ${l}`);
  }
  if (r.traffic.gaps > 0 || r.traffic.backpressure > 0) {
    lines.push(`  traffic            idle gaps ${r.traffic.gaps}, back-pressure ${r.traffic.backpressure}, seed ${r.traffic.seed}`);
  }
  if (r.resets.probability > 0) {
    lines.push(
      `  resets             ${r.resets.made} mid-frame/mid-result resets (chance ${r.resets.probability} per frame): ` +
        `${r.resets.staleResults} stale results, ${r.resets.lateAccept} late first beats`,
    );
  }
  lines.push(...formatBoundary(r));
  lines.push(`  RTL accuracy       ${pct(r.rtlAccuracy)}  (${c.rtlCorrect}/${c.labelled} labelled)`);
  lines.push(`  integer accuracy   ${pct(r.intAccuracy)}  (${c.intCorrect}/${c.labelled})`);
  lines.push(`  mismatches         ${c.mismatchCount}${c.mismatchCount === 0 ? ' (bit-exact: class and every score)' : ''}`);
  lines.push(`  frames             ${c.frames} in, ${c.beats} results out (lost ${c.lost}, extra ${c.extra})${r.timedOut ? ', STALLED' : ''}`);
  const m = cy.measured;
  const ii = m === null || m.intervals === 0 ? 'not measured' : m.iiMin === m.iiMax ? `${m.ii}` : `${m.iiMin}..${m.iiMax}`;
  const where = cy.source === 'timing' ? ` (clean run of ${cy.frames} frames)` : '';
  lines.push(`  II                 ${ii} cycles, planned ${cy.planned.ii}${cy.iiOk ? '' : '  <-- DEPARTS'}${where}`);
  lines.push(`  latency            ${m === null ? 'not measured' : m.latency} cycles, planned ${cy.planned.latency}${cy.latencyOk ? '' : '  <-- DEPARTS'}`);
  lines.push(
    `  speed              ${si(r.speed.imagesPerSecond)}images/s, ${si(r.speed.cyclesPerSecond)}cycles/s (${r.speed.simulatedCycles} cycles in ${r.speed.simSeconds.toFixed(2)} s)`,
  );
  lines.push(`  build              ${r.build.cached ? 'cached' : `built in ${r.build.seconds.toFixed(1)} s`} (${r.build.key.slice(0, 12)}, ${r.build.warnings} warnings)`);
  const p = r.phases;
  lines.push(
    `  wall clock         vectors ${p.vectors.toFixed(1)} s, build ${p.build.toFixed(1)} s, simulate ${p.simulate.toFixed(1)} s` +
      (cy.source === 'timing' ? `, timing run ${p.timing.toFixed(1)} s` : '') +
      (r.locations.length > 0 ? `, locate ${p.locate.toFixed(1)} s` : ''),
  );
  if (r.vcd) lines.push(`  waveform           ${r.vcd}`);
  if (c.mismatches.length > 0) {
    lines.push('first mismatches:');
    for (const mm of c.mismatches.slice(0, Math.max(3, r.locations.length))) {
      lines.push(
        `  image ${mm.index} (label ${mm.label}): RTL class ${mm.rtlClass}, integer model class ${mm.expectedClass}; ` +
          `scores RTL [${mm.rtlScores.join(', ')}] vs [${mm.expectedScores.join(', ')}]`,
      );
      const loc = r.locations.find((l) => l.position === mm.position);
      if (loc) lines.push(`    -> ${loc.message}`);
    }
  }
  lines.push(r.ok ? 'PASS' : `FAIL: ${r.failures.join('; ')}`);
  return lines.join('\n') + '\n';
}

/** What a saved VerifyReport (`bnnc verify --json`, a run's verify.json) gives a reader. */
export interface VerifySummary {
  ok: boolean;
  failures: string[];
  dataset: string;
  frames: number;
  /** Null when no frame was labelled. */
  rtlAccuracy: number | null;
  intAccuracy: number | null;
  mismatches: number;
  lost: number;
  extra: number;
  labelled: number;
  rtlCorrect: number;
  intCorrect: number;
  rtlConfusion: number[][];
  planned: { ii: number; latency: number };
  /** Null when not measured; ii null when the run had too few frames for an interval. */
  measured: { ii: number | null; latency: number } | null;
  simulatedCyclesPerSecond: number | null;
  imagesPerSecond: number | null;
  verilator: string;
}

/**
 * Read a VerifyReport written as JSON (JSON turns its NaN figures into null), checking
 * every field a reader uses.
 */
export function readVerifySummary(text: string, src: string): VerifySummary {
  const r = parseJsonStrict(text, src, 'JSON');
  const at = (dotted: string): unknown => {
    let cur: unknown = r;
    for (const k of dotted.split('.')) {
      if (!isPlainObject(cur) || !(k in cur)) throw new InputError(src, dotted, 'present', 'missing');
      cur = cur[k];
    }
    return cur;
  };
  const count = (dotted: string): number => {
    const v = at(dotted);
    if (!(Number.isSafeInteger(v) && (v as number) >= 0)) throw new InputError(src, dotted, 'a non-negative integer', describeValue(v));
    return v as number;
  };
  const fraction = (dotted: string): number | null => {
    const v = at(dotted);
    if (v === null) return null;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InputError(src, dotted, 'a fraction in [0, 1] or null', describeValue(v));
    return v;
  };
  const rate = (dotted: string): number | null => {
    const v = at(dotted);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
  };
  const ok = at('ok');
  if (typeof ok !== 'boolean') throw new InputError(src, 'ok', 'true or false', describeValue(ok));
  const failures = at('failures');
  if (!Array.isArray(failures) || !failures.every((f) => typeof f === 'string')) throw new InputError(src, 'failures', 'a list of strings', describeValue(failures));
  const dataset = at('dataset');
  if (typeof dataset !== 'string') throw new InputError(src, 'dataset', 'a string', describeValue(dataset));
  const verilator = at('build.verilator');
  const measuredRaw = at('cycles.measured');
  const measured = measuredRaw === null ? null : { ii: rate('cycles.measured.ii'), latency: count('cycles.measured.latency') };
  const confusion = at('comparison.rtlConfusion');
  if (!Array.isArray(confusion) || !confusion.every((row) => Array.isArray(row) && row.length === confusion.length && row.every((x) => Number.isSafeInteger(x) && x >= 0))) {
    throw new InputError(src, 'comparison.rtlConfusion', 'a square matrix of counts', describeValue(confusion));
  }
  return {
    ok,
    failures: failures as string[],
    dataset,
    frames: count('frames'),
    rtlAccuracy: fraction('rtlAccuracy'),
    intAccuracy: fraction('intAccuracy'),
    mismatches: count('comparison.mismatchCount'),
    lost: count('comparison.lost'),
    extra: count('comparison.extra'),
    labelled: count('comparison.labelled'),
    rtlCorrect: count('comparison.rtlCorrect'),
    intCorrect: count('comparison.intCorrect'),
    rtlConfusion: confusion as number[][],
    planned: { ii: count('cycles.planned.ii'), latency: count('cycles.planned.latency') },
    measured,
    simulatedCyclesPerSecond: rate('speed.cyclesPerSecond'),
    imagesPerSecond: rate('speed.imagesPerSecond'),
    verilator: typeof verilator === 'string' ? verilator : 'unknown',
  };
}
