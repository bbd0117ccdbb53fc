/** Build a run's report: read its files, render the charts, write report.html and report.md. */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { loadReportData, type ReportData } from './data.js';
import { reportFigures } from './figures.js';
import { reportHtml } from './html.js';
import { reportMarkdown } from './markdown.js';
import { renderSvg } from './render.js';

export const REPORT_HTML = 'report.html';
export const REPORT_MD = 'report.md';

export interface WrittenReport {
  html: string;
  markdown: string;
  /** The markdown text (printed by the CLI). */
  summary: string;
  data: ReportData;
  /** Ids of the charts on the page. */
  charts: string[];
}

/** Read everything first, then write both files (each atomically): a bad input writes nothing. */
export async function writeReport(runDir: string, outDir = runDir): Promise<WrittenReport> {
  const data = loadReportData(runDir);
  const figs = reportFigures(data);
  const svgs = new Map<string, string>();
  for (const f of figs) svgs.set(f.id, await renderSvg(f.spec));
  const html = reportHtml(data, figs, svgs);
  const summary = reportMarkdown(data, REPORT_HTML);
  const htmlPath = path.join(outDir, REPORT_HTML);
  const mdPath = path.join(outDir, REPORT_MD);
  writeFileAtomic(htmlPath, html);
  writeFileAtomic(mdPath, summary);
  return { html: htmlPath, markdown: mdPath, summary, data, charts: figs.map((f) => f.id) };
}
