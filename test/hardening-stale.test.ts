/**
 * Stale temporaries (src/util/stale.ts) and the atomic writers that clean them
 * (src/util/atomic.ts): what a killed run leaves is removed by the next write of the same
 * target; a previous version parked in a .old sibling by a killed directory replacement
 * is put back; nothing belonging to a live process or to another target is touched.
 * The killed runs of the real CLI are in hardening-atomic.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDirAtomic, writeFileAtomic } from '../src/util/atomic.js';
import { cleanStaleSiblings, cleanStaleWorkDirs, makeWorkDir, parseTempSibling, processAlive } from '../src/util/stale.js';

let work: string;
/** The pid of a process that has exited (and been reaped): no process has it now. */
let deadPid: number;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-stale-'));
  const r = spawnSync(process.execPath, ['-e', '']);
  deadPid = r.pid!;
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function fresh(name: string): string {
  const d = path.join(work, name);
  fs.mkdirSync(d);
  return d;
}

const ls = (d: string): string[] => fs.readdirSync(d).sort();

describe('processAlive', () => {
  it('knows this process, pid 1 and a reaped child', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(1)).toBe(true);
    expect(processAlive(deadPid)).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-5)).toBe(false);
  });
});

describe('parseTempSibling', () => {
  it('reads the pid and stamp of a target\'s temporaries only', () => {
    expect(parseTempSibling('out', '.out.tmp-123-456-7')).toEqual({ pid: 123, stamp: 456, old: false });
    expect(parseTempSibling('out', '.out.tmp-123-456-7.old')).toEqual({ pid: 123, stamp: 456, old: true });
    expect(parseTempSibling('out', '.out2.tmp-123-456-7')).toBeNull();
    expect(parseTempSibling('out', '.xout.tmp-123-456-7')).toBeNull();
    expect(parseTempSibling('a.b', '.aXb.tmp-1-2-3')).toBeNull(); // the dot is literal
    // A name a tool derived from a temporary's is a temporary too (the harness's VCD.tmp).
    expect(parseTempSibling('out', '.out.tmp-123-456-7.tmp')).toEqual({ pid: 123, stamp: 456, old: false });
    expect(parseTempSibling('out', '.out.tmp-123-456-7.older')).toEqual({ pid: 123, stamp: 456, old: false });
    expect(parseTempSibling('out', '.out.tmp-123-456-7-8')).toBeNull();
    expect(parseTempSibling('out', 'out')).toBeNull();
  });
});

describe('writeFileAtomic', () => {
  it('removes what dead runs left beside the target, keeps live and unrelated temporaries', () => {
    const d = fresh('file');
    const target = path.join(d, 'model.bnn');
    fs.writeFileSync(target, 'previous');
    fs.writeFileSync(path.join(d, `.model.bnn.tmp-${deadPid}-1000-0`), 'half a mod');
    fs.writeFileSync(path.join(d, `.model.bnn.tmp-${process.pid}-1000-1`), 'in progress here');
    fs.writeFileSync(path.join(d, `.other.bnn.tmp-${deadPid}-1000-0`), 'another target');
    writeFileAtomic(target, 'new');
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
    expect(ls(d)).toEqual([`.model.bnn.tmp-${process.pid}-1000-1`, `.other.bnn.tmp-${deadPid}-1000-0`, 'model.bnn']);
  });

  it('leaves no temporary of its own, and none when the write fails', () => {
    const d = fresh('file2');
    writeFileAtomic(path.join(d, 'a.json'), '{}\n');
    expect(ls(d)).toEqual(['a.json']);
    // A directory in the way: the rename fails, the temporary goes.
    fs.mkdirSync(path.join(d, 'b.json'));
    fs.writeFileSync(path.join(d, 'b.json', 'x'), 'x');
    expect(() => writeFileAtomic(path.join(d, 'b.json'), 'y')).toThrow();
    expect(ls(d)).toEqual(['a.json', 'b.json']);
  });
});

describe('writeDirAtomic', () => {
  it('removes a dead run\'s half-written directory and its parked previous version when the target exists', () => {
    const d = fresh('dir');
    const target = path.join(d, 'rtl');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'top.v'), 'previous');
    const half = path.join(d, `.rtl.tmp-${deadPid}-2000-0`);
    fs.mkdirSync(half);
    fs.writeFileSync(path.join(half, 'top.v'), 'mod');
    fs.mkdirSync(path.join(d, `.rtl.tmp-${deadPid}-1999-3.old`));
    writeDirAtomic(target, (tmp) => fs.writeFileSync(path.join(tmp, 'top.v'), 'new'));
    expect(ls(d)).toEqual(['rtl']);
    expect(ls(target)).toEqual(['top.v']);
    expect(fs.readFileSync(path.join(target, 'top.v'), 'utf8')).toBe('new');
  });
});

describe('cleanStaleSiblings', () => {
  it('puts back the previous version when a replacement was killed between its two renames', () => {
    const d = fresh('between');
    const target = path.join(d, 'rtl');
    // State after rename(target -> .old) and before rename(tmp -> target), then a kill.
    const old = path.join(d, `.rtl.tmp-${deadPid}-3000-1.old`);
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'top.v'), 'previous');
    const tmp = path.join(d, `.rtl.tmp-${deadPid}-3000-0`);
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'top.v'), 'new, complete but never renamed');
    const r = cleanStaleSiblings(target);
    expect(r.restored).toBe(old);
    expect(r.removed).toEqual([tmp]);
    expect(ls(d)).toEqual(['rtl']);
    expect(fs.readFileSync(path.join(target, 'top.v'), 'utf8')).toBe('previous');
  });

  it('restores the newest parked version when there are several, and nothing of a live process', () => {
    const d = fresh('several');
    const target = path.join(d, 'rtl');
    for (const [stamp, text] of [[100, 'oldest'], [300, 'newest'], [200, 'middle']] as const) {
      const p = path.join(d, `.rtl.tmp-${deadPid}-${stamp}-0.old`);
      fs.mkdirSync(p);
      fs.writeFileSync(path.join(p, 'v'), text);
    }
    const live = path.join(d, `.rtl.tmp-${process.pid}-400-0.old`);
    fs.mkdirSync(live);
    cleanStaleSiblings(target);
    expect(fs.readFileSync(path.join(target, 'v'), 'utf8')).toBe('newest');
    expect(ls(d)).toEqual([path.basename(live), 'rtl']);
  });

  it('does nothing in a directory that does not exist', () => {
    expect(cleanStaleSiblings(path.join(work, 'nowhere', 'x'))).toEqual({ removed: [], restored: null });
  });
});

describe('makeWorkDir', () => {
  it('names the directory with the pid and removes the ones dead processes left', () => {
    const parent = fresh('tmpdirs');
    const dead = path.join(parent, `bnnc-verify-${deadPid}-AbC123`);
    fs.mkdirSync(dead);
    fs.writeFileSync(path.join(dead, 'vectors.bnnv'), 'x');
    const live = path.join(parent, `bnnc-verify-${process.pid}-XyZ789`);
    fs.mkdirSync(live);
    const other = path.join(parent, `bnnc-sim-${deadPid}-QQQ111`);
    fs.mkdirSync(other);
    const noPid = path.join(parent, 'bnnc-verify-AbCdEf');
    fs.mkdirSync(noPid);
    const d = makeWorkDir('bnnc-verify-', parent);
    expect(path.basename(d).startsWith(`bnnc-verify-${process.pid}-`)).toBe(true);
    expect(ls(parent)).toEqual([path.basename(noPid), `bnnc-sim-${deadPid}-QQQ111`, path.basename(live), path.basename(d)].sort());
    expect(cleanStaleWorkDirs(parent, 'bnnc-sim-')).toEqual([other]);
  });
});
