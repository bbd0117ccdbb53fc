/**
 * Process trees on Linux, from /proc: the descendants of a process (with their process
 * groups), so that tests can tell whether anything a CLI run started is still alive.
 */
import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** The command name (comm). */
  name: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // f[0] state, f[1] ppid, f[2] pgrp; a zombie has ended.
    if (f[0] === 'Z') return null;
    return { pid, ppid: Number(f[1]), pgid: Number(f[2]), name };
  } catch {
    return null;
  }
}

/** Every live process on the machine. */
export function allProcesses(): ProcInfo[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map((n) => readProc(Number(n)))
    .filter((p): p is ProcInfo => p !== null);
}

/** The live descendants of `root` (not root itself). */
export function descendants(root: number): ProcInfo[] {
  const all = allProcesses();
  const out: ProcInfo[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const p = frontier.pop()!;
    for (const c of all) if (c.ppid === p) {
      out.push(c);
      frontier.push(c.pid);
    }
  }
  return out;
}

/** Live processes in any of these process groups. */
export function inGroups(pgids: Iterable<number>): ProcInfo[] {
  const set = new Set(pgids);
  return allProcesses().filter((p) => set.has(p.pgid));
}
