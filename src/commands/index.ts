/** The list of CLI commands, in the order `bnnc --help` shows them. */
import type { CommandModule } from 'yargs';
import trainCommand from './train.js';
import evalCommand from './eval.js';
import vectorsCommand from './vectors.js';
import compileCommand from './compile.js';
import verifyCommand from './verify.js';
import synthCommand from './synth.js';
import demoCommand from './demo.js';
import reportCommand from './report.js';
import importCommand from './import.js';
import exportCommand from './export.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  trainCommand,
  evalCommand,
  vectorsCommand,
  compileCommand,
  verifyCommand,
  synthCommand,
  importCommand,
  exportCommand,
  reportCommand,
  demoCommand,
];
