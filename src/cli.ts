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
  process.stderr.write(`bnnc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(70);
});
