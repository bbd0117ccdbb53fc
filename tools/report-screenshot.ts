/**
 * A PNG of a run's report page as headless Chromium draws it (the picture in docs/report.md).
 *
 *   npx tsx tools/report-screenshot.ts runs/demo-sfc docs/img/report-demo-sfc.png
 */
import fs from 'node:fs';
import path from 'node:path';
import { visitPage } from './chromium.js';

const [runDir, out] = process.argv.slice(2);
if (!runDir || !out) {
  process.stderr.write('usage: tsx tools/report-screenshot.ts RUN_DIR OUT.png\n');
  process.exit(2);
}
const v = await visitPage<number>(path.join(runDir, 'report.html'), 'document.querySelectorAll("figure.chart svg").length');
if (v.errors.length > 0 || v.requests.length > 0) {
  process.stderr.write(`the page is not clean: ${[...v.errors, ...v.requests].join('; ')}\n`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, v.png);
process.stdout.write(`${out}: ${v.probe} charts, ${v.png.readUInt32BE(16)}x${v.png.readUInt32BE(20)} pixels\n`);
