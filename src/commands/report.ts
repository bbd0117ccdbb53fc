/**
 * bnnc report RUN [--out DIR]: one self-contained HTML page and a markdown summary of a
 * run directory (written by bnnc demo): accuracy of the float, integer and RTL models,
 * the folding, training curves, confusion matrices, cycles per stage, synthesis results
 * when bnnc synth has run, and the commands that reproduce the run (docs/report.md).
 */
import path from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { RUN_FILE } from '../report/run.js';
import { REPORT_HTML, REPORT_MD, writeReport } from '../report/write.js';
import { declareIo } from '../util/outputs.js';

interface ReportArgs {
  run: string;
  out?: string;
  quiet: boolean;
}

const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <run>',
  describe: 'write an HTML page and a markdown summary of a run directory (bnnc demo writes one)',
  builder: (y: Argv<object>) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: `run directory (holds ${RUN_FILE})` })
      .option('out', { type: 'string', describe: `directory for ${REPORT_HTML} and ${REPORT_MD} (default: the run directory)` })
      .option('quiet', { type: 'boolean', default: false, describe: 'do not print the markdown summary' }) as unknown as Argv<ReportArgs>,
  handler: async (args: ArgumentsCamelCase<ReportArgs>) => {
    const out = args.out ?? args.run;
    declareIo({
      inputs: [{ path: path.join(args.run, RUN_FILE), what: 'run record' }],
      outputs: [
        { path: path.join(out, REPORT_HTML), what: 'report page', kind: 'file' },
        { path: path.join(out, REPORT_MD), what: 'report summary', kind: 'file' },
      ],
    });
    const r = await writeReport(args.run, out);
    if (!args.quiet) process.stdout.write(r.summary + '\n');
    process.stdout.write(`report: ${r.html} (${r.charts.length} charts), ${r.markdown}\n`);
  },
};

export default reportCommand;
