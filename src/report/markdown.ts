/** The report as markdown: the same tables as the page, for terminals and CI logs. */
import path from 'node:path';
import type { ReportData } from './data.js';
import { accuracyTable, checksTable, runLine, shellLine, sourcesTable, stagesTable, stepsTable, synthTables, trainingTable, type Table } from './tables.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(t: Table): string {
  const header = t.header.some((h) => h !== '') ? t.header : t.header.map((_, i) => (i === 0 ? 'item' : 'value'));
  return [
    `**${t.title}**`,
    '',
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
  ].join('\n');
}

export function reportMarkdown(r: ReportData, htmlName: string): string {
  const verdict = r.verify.ok && r.run.results.pass;
  const out = [
    `# bnnc report: ${r.run.name} — ${verdict ? 'PASS' : 'FAIL'}`,
    '',
    runLine(r),
    '',
    `Charts (training curves, confusion matrices, folding, cycles): [${htmlName}](${htmlName}).`,
    '',
    table(accuracyTable(r)),
    table(checksTable(r)),
    table(stagesTable(r)),
    table(trainingTable(r)),
  ];
  const synth = synthTables(r);
  if (synth.length > 0) out.push(...synth.map(table), ...(r.synth?.notes ?? []).map((n) => `- ${n}\n`));
  else out.push(r.synth ? `Synthesis: ${r.synth.file} gave no figures (${r.synth.notes.join('; ')}).\n` : `Synthesis: not run (no ${path.join(r.runDir, r.run.files.rtl)}.synth-<target>-<device>/report.json).\n`);
  out.push('Reproduce the whole run:', '', '```sh', shellLine(r.run.invocation), '```', '', table(stepsTable(r)), table(sourcesTable(r)));
  return out.join('\n');
}
