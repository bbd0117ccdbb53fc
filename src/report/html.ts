/**
 * The report page: one self-contained HTML file (charts as inline SVG, styles inline,
 * no script, nothing loaded from anywhere), readable offline and in any browser.
 */
import path from 'node:path';
import type { ReportData } from './data.js';
import type { Figure } from './figures.js';
import { accuracyTable, checksTable, runLine, shellLine, sourcesTable, stagesTable, stepsTable, synthTables, trainingTable, type Table } from './tables.js';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function table(t: Table): string {
  const head = t.header.some((h) => h !== '') ? `<thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : '';
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${t.id}"><caption>${esc(t.title)}</caption>${head}<tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1250px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.run { color: #555; } .verdict { font-weight: bold; padding: 0.1em 0.5em; border-radius: 4px; }
.pass { background: #e3f4e3; color: #1b6e1b; } .fail { background: #fbe3e3; color: #a11; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td:not(:first-child) { font-variant-numeric: tabular-nums; }
figure.chart { display: inline-block; margin: 0.5em 1.5em 0.5em 0; vertical-align: top; }
.row { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 1em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
.note { color: #666; }
`;

export function reportHtml(r: ReportData, figs: Figure[], svgs: Map<string, string>): string {
  const fig = (id: string): string => {
    const f = figs.find((x) => x.id === id);
    if (!f) return '';
    return `<figure class="chart" id="${f.id}" data-section="${f.section}">${svgs.get(f.id) ?? ''}</figure>`;
  };
  const section = (s: Figure['section']): string => figs.filter((f) => f.section === s).map((f) => fig(f.id)).join('\n');
  const verdict = r.verify.ok && r.run.results.pass;
  const synth = r.synth;
  let synthHtml: string;
  const rtl = path.join(r.runDir, r.run.files.rtl);
  if (!synth) synthHtml = `<p class="note">Not run: no ${esc(rtl)}.synth-&lt;target&gt;-&lt;device&gt;/report.json. Run <code>bnnc synth ${esc(shellLine([rtl]))}</code>, then <code>bnnc report</code> again.</p>`;
  else {
    synthHtml =
      `<p class="note">From ${esc(synth.file)}, written ${esc(synth.written)}.</p>` +
      synthTables(r).map(table).join('\n') +
      `<div class="row">${section('synthesis')}</div>` +
      synth.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n');
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bnnc report: ${esc(r.run.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>bnnc report: ${esc(r.run.name)} <span class="verdict ${verdict ? 'pass' : 'fail'}">${verdict ? 'PASS' : 'FAIL'}</span></h1>
<p class="run" id="run">${esc(runLine(r))}</p>
<p>Model <code>${esc(r.model.name)}</code> (${esc(r.model.arch)}, ${r.model.layers} layers, hash ${esc(r.model.hash.slice(0, 16))}) on ${esc(r.run.results.dataset)} ${esc(r.run.results.split)}, compiled to <code>${esc(r.design.top)}</code>.</p>

<h2>Accuracy: float, integer and RTL</h2>
<div class="row">${section('results')}
${table(accuracyTable(r))}</div>
${table(checksTable(r))}

<h2>Network and folding</h2>
${section('network')}
${table(stagesTable(r))}

<h2>Training</h2>
<div class="row">${section('training')}
${table(trainingTable(r))}</div>

<h2>Confusion matrices</h2>
<p class="note">Rows: true label; columns: predicted class (argmax of the scores, ties to the lowest index); shade: share of the row.</p>
<div class="row">${section('confusion')}</div>

<h2>Cycles per stage</h2>
${section('cycles')}

<h2>Synthesis</h2>
${synthHtml}

<h2>Reproduce</h2>
<p>The whole run:</p>
<pre>${esc(shellLine(r.run.invocation))}</pre>
${table(stepsTable(r))}
<p>This page: <code>bnnc report ${esc(shellLine([r.runDir]))}</code></p>

<h2>Sources</h2>
${table(sourcesTable(r))}
</body>
</html>
`;
}
