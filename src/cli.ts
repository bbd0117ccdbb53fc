#!/usr/bin/env node
/**
 * bnnc command line. Each command lives in src/commands/<name>.ts as a yargs
 * CommandModule; this file only wires them together and turns BnncErrors into one
 * clear line and a non-zero exit status.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BnncError } from './errors.js';
import { commands } from './commands/index.js';
import { fsErrorCode } from './util/outputs.js';
import { endEverything, installInterruptHandlers } from './util/processes.js';

// Ctrl-C, kill and hang-ups end the child process groups and remove the temporaries.
installInterruptHandlers();
// A reader that goes away (`bnnc eval ... | head`) ends the command quietly, with the
// status of a process killed by SIGPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    endEverything();
    process.exit(141);
  });
}

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName('bnnc')
    .usage('$0 <command> [options]\n\nTrain BinaryNet networks and compile them to verified Verilog.')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .fail((msg, err, y) => {
      if (err) throw err;
      process.stderr.write(`${y.help()}\n\nbnnc: ${msg}\n`);
      process.exit(2);
    })
    .help()
    .version();
  for (const c of commands) cli = cli.command(c);
  await cli.parseAsync();
}

main().catch((e: unknown) => {
  if (e instanceof BnncError) {
    process.stderr.write(`bnnc: ${e.message}\n`);
    process.exit(1);
  }
  // A file-system error no check foresaw (the file system changed under bnnc): one line.
  const code = fsErrorCode(e);
  const file = (e as NodeJS.ErrnoException | null)?.path;
  if (code !== undefined && typeof file === 'string') {
    process.stderr.write(`bnnc: ${file}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`bnnc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(70);
});
