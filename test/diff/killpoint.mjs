/**
 * Kill points for the hardening tests: loaded into the real CLI with
 * NODE_OPTIONS=--import <this file>, it stops the process (SIGSTOP) at one exact point
 * of its file work, so that the test can SIGKILL it in a known state instead of after a
 * guessed delay.
 *
 * BNNC_KILLPOINT = {"op": "renameSync" | "writeFileSync" | "openSync" | "mkdirSync" |
 *                   "mkdtempSync" | "rmSync" | "spawn",
 *                   "match": <regular expression>, "nth": N, "when": "before" | "after"}
 * The N-th call of `op` whose subject matches stops the process just before or just after
 * the call runs. The subject is the path (renameSync: "FROM -> TO"; spawn: the command
 * line). Before stopping, the subject is written to BNNC_KILLPOINT_MARK, which tells the
 * test that the point was reached.
 */
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const spec = JSON.parse(process.env.BNNC_KILLPOINT ?? 'null');
const mark = process.env.BNNC_KILLPOINT_MARK;

if (spec && mark) {
  const re = new RegExp(spec.match);
  let seen = 0;
  const original = {
    writeFileSync: fs.writeFileSync,
    renameSync: fs.renameSync,
  };
  const stop = (subject) => {
    original.writeFileSync(mark, `${spec.op} ${spec.when} ${subject}\n`);
    process.kill(process.pid, 'SIGSTOP');
  };
  const subjectOf = (op, args) => {
    if (op === 'renameSync') return `${args[0]} -> ${args[1]}`;
    if (op === 'spawn') return [args[0], ...(Array.isArray(args[1]) ? args[1] : [])].join(' ');
    return String(args[0]);
  };
  const host = spec.op === 'spawn' ? childProcess : fs;
  const fn = host[spec.op];
  if (typeof fn !== 'function') throw new Error(`killpoint: no function ${spec.op}`);
  host[spec.op] = function killpointWrapper(...args) {
    const subject = subjectOf(spec.op, args);
    const hit = re.test(subject) && ++seen === spec.nth;
    if (hit && spec.when === 'before') stop(subject);
    const result = fn.apply(this, args);
    if (hit && spec.when === 'after') stop(subject);
    return result;
  };
  syncBuiltinESMExports();
}
