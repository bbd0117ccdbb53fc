/**
 * Everything bnnc starts ends with it. Child programs (verilator, make, g++, the
 * simulation, python/cocotb) run in their own process group (spawnGroup), so that one
 * kill reaches the whole tree (make's g++ included) and a terminal's Ctrl-C reaches
 * only bnnc, which then decides. Temporaries (work directories, atomic-write siblings,
 * cache builds) are registered while they exist.
 *
 * On SIGINT, SIGTERM or SIGHUP the CLI (installInterruptHandlers) kills every live
 * group with SIGKILL, removes every registered temporary and exits 128 + the signal
 * number (130, 143, 129). The same clean-up runs at any exit, so a command that fails
 * while a child still runs leaves nothing behind either.
 */
import {
  spawn,
  type ChildProcessByStdio,
  type SpawnOptionsWithStdioTuple,
  type StdioNull,
  type StdioPipe,
} from 'node:child_process';
import type { Readable } from 'node:stream';
import fs from 'node:fs';

const liveGroups = new Set<number>();
const temporaries = new Set<string>();

/** spawn() with the child as leader of a new process group, ended by endEverything(). */
export function spawnGroup(
  command: string,
  args: readonly string[],
  opts: SpawnOptionsWithStdioTuple<StdioNull, StdioPipe, StdioPipe>,
): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(command, args, { ...opts, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    // 'exit' (not 'close'): the leader is gone; its group may still hold processes it
    // left behind, which the kill at the end of the group's use takes care of.
    child.once('exit', () => {
      killGroup(pid);
      liveGroups.delete(pid);
    });
  }
  return child;
}

/** SIGKILL a process group; quiet when it is already gone. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Pids of the groups bnnc started and that have not ended (for tests). */
export function liveProcessGroups(): number[] {
  return [...liveGroups];
}

/** Remember a temporary path (file or directory) to remove if bnnc is interrupted. */
export function registerTemporary(p: string): void {
  temporaries.add(p);
}

/** The temporary was renamed into place or removed: nothing to clean up any more. */
export function releaseTemporary(p: string): void {
  temporaries.delete(p);
}

/** Kill every live group and remove every registered temporary (synchronous). */
export function endEverything(): void {
  for (const pgid of liveGroups) killGroup(pgid);
  liveGroups.clear();
  for (const p of temporaries) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // A read-only parent: the next run's stale clean-up (util/stale.ts) removes it.
    }
  }
  temporaries.clear();
}

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

let installed = false;

/** For the CLI: end everything and exit 128+n on SIGINT/SIGTERM/SIGHUP, and clean up at any exit. */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [sig, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(sig as NodeJS.Signals, () => {
      endEverything();
      process.stderr.write(`\nbnnc: interrupted (${sig}); child processes ended, temporaries removed\n`);
      process.exit(code);
    });
  }
  process.on('exit', endEverything);
}
