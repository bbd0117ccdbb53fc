/**
 * Every command through the output and input faults of docs/robustness.md, with the
 * real CLI (node dist/cli.js) on tiny inputs (4x4 images, mlp:16-8-10): an output that
 * is or holds an input, a read-only file system, a full one, a directory in the way, a
 * name too long for the atomic temporaries, a path under a file, FIFOs in place of
 * inputs, a reader that goes away (EPIPE), a ROM image replaced by a directory, and a
 * compile into a design while verify of it runs. Each refusal is one line on stderr,
 * exit status 1, no stack, and every file of the user's working directory is
 * byte-identical afterwards (hashed before and after each case).
 *
 * The read-only and full file systems are tmpfs mounts (`mount -t tmpfs`): root, which
 * runs these tests here, ignores permission bits, so a read-only directory cannot be
 * made with chmod. Where mounting is not permitted the two cases say so in their names
 * and are skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../src/data/idx.js';
import { saveModel } from '../src/graph/io.js';
import { buildModel } from '../src/nn/arch.js';
import { Rng } from '../src/util/rng.js';
import { CLI, ensureCli } from './diff/cli.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;

/** `bnnc args` in `work`, killed (and failed) after timeoutMs: nothing may block. */
function bnnc(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}, onSpawn?: (pid: number) => void): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: work,
    // The project's Verilator cache (.cache): the tiny design is the same every run.
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  onSpawn?.(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const timer = setTimeout(() => {
    stderr += `\n[test: killed after ${timeoutMs} ms: it blocked]`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Every entry under dir: a file's sha256, 'dir', 'fifo' or the link target (FIFOs are not opened). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out.set(rel, `link ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else if (e.isFIFO()) out.set(rel, 'fifo');
      else out.set(rel, createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Run a command that must be refused: one line naming `mention`, exit 1, nothing changed. */
async function refused(args: string[], mention: RegExp, timeoutMs?: number): Promise<string> {
  const before = snapshot(work);
  const r = await bnnc(args, timeoutMs);
  const lines = r.stderr.trim().split('\n');
  expect(r.stderr, `bnnc ${args.join(' ')}`).not.toMatch(/internal error|    at |killed after/);
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^bnnc: /);
  expect(lines[0]).toMatch(mention);
  expect(r.code, r.stderr).toBe(1);
  expect([...snapshot(work)]).toEqual([...before]);
  return lines[0];
}

const ds = ['--dataset', 'idx', '--train-images', 'train-img.idx', '--train-labels', 'train-lab.idx', '--test-images', 'test-img.idx', '--test-labels', 'test-lab.idx'];
const train = (out: string, arch = 'mlp:16-8-10'): string[] => ['train', '--arch', arch, ...ds, '--epochs', '1', '--batch', '10', '--holdout', '10', '--threads', '1', '--progress', 'false', '--out', out];

function tryMount(dir: string, opts: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]).status === 0;
}
const mounts: string[] = [];
let canMount = false;
{
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-mount-probe-'));
  canMount = tryMount(probe, 'size=64k,ro');
  if (canMount) spawnSync('umount', [probe]);
  fs.rmSync(probe, { recursive: true, force: true });
}
const MOUNT_NOTE = canMount ? '' : ' (skipped: mount -t tmpfs is not permitted on this machine)';

beforeAll(async () => {
  await ensureCli();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-safety-outputs-'));
  const rng = new Rng(7);
  const images = (n: number) => Uint8Array.from({ length: n * 16 }, () => rng.int(256));
  const labels = (n: number) => Uint8Array.from({ length: n }, () => rng.int(10));
  fs.writeFileSync(path.join(work, 'train-img.idx'), encodeIdx([60, 4, 4], images(60)));
  fs.writeFileSync(path.join(work, 'train-lab.idx'), encodeIdx([60], labels(60)));
  fs.writeFileSync(path.join(work, 'test-img.idx'), encodeIdx([20, 4, 4], images(20)));
  fs.writeFileSync(path.join(work, 'test-lab.idx'), encodeIdx([20], labels(20)));
  const input = { height: 4, width: 4, channels: 1, pixelScale: 2 / 255, pixelOffset: -1 };
  saveModel(path.join(work, 'm.bnn'), buildModel('mlp:16-8-10', { input, classes: 10, seed: 1 }));
  saveModel(path.join(work, 'm2.bnn'), buildModel('mlp:16-8-10', { input, classes: 10, seed: 2 }));
  fs.writeFileSync(path.join(work, 'arch.json'), JSON.stringify([{ type: 'fc', units: 8 }, { type: 'fc', units: 10 }]));
  fs.writeFileSync(path.join(work, 'fold.json'), JSON.stringify({ layers: [{ pe: 2, simd: 4 }, { pe: 2, simd: 4 }] }));
  fs.writeFileSync(path.join(work, 'notes.txt'), 'a file of the user\n');
  const c = await bnnc(['compile', 'm.bnn', '--out', 'rtl', '--pe', '2', '--simd', '4']);
  expect(c.stderr).toBe('');
  expect(c.code).toBe(0);
  for (const f of ['fifo', 'fifo.bnn', 'fifo.json']) expect(spawnSync('mkfifo', [path.join(work, f)]).status).toBe(0);
  fs.mkdirSync(path.join(work, 'adir.bnn'));
  fs.mkdirSync(path.join(work, 'adir.onnx'));
}, 120_000);

afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('an output that is, holds or lies inside an input is refused before any work', () => {
  it('vectors m.bnn --out m.bnn', () => refused(['vectors', 'm.bnn', ...ds, '--out', 'm.bnn'], /m\.bnn: refusing to write the vector file over the model m\.bnn/));
  it('vectors --out the test images file', () => refused(['vectors', 'm.bnn', ...ds, '--out', 'test-img.idx'], /over the test images test-img\.idx/));
  it('train --out the training images file', () => refused(train('train-img.idx'), /over the train images train-img\.idx/));
  it('train --out the --arch file', () => refused(train('arch.json', 'arch.json'), /over the architecture file arch\.json|over the .*arch\.json/));
  it('train --out a symbolic link to the training labels', () => {
    fs.symlinkSync('train-lab.idx', path.join(work, 'lab-link.bnn'));
    return refused(train('lab-link.bnn'), /over the train labels train-lab\.idx/);
  });
  it('verify d --vcd d/manifest.json', () =>
    refused(['verify', 'rtl', ...ds, '--vcd', 'rtl/manifest.json', '--images', '0:1'], /refusing to write the waveform .*(over|inside) the design directory rtl/));
  it('verify --vcd the test labels', () => refused(['verify', 'rtl', ...ds, '--vcd', 'test-lab.idx', '--images', '0:1'], /over the test labels test-lab\.idx/));
  it('compile --out a directory holding the model', async () => {
    fs.mkdirSync(path.join(work, 'proj'));
    fs.copyFileSync(path.join(work, 'm.bnn'), path.join(work, 'proj', 'inner.bnn'));
    await refused(['compile', 'proj/inner.bnn', '--out', 'proj', '--pe', '2', '--simd', '4'], /refusing to replace the output directory: it holds the model proj\/inner\.bnn/);
  });
  it('compile --out a directory holding the --fold file', async () => {
    fs.mkdirSync(path.join(work, 'proj2'));
    fs.copyFileSync(path.join(work, 'fold.json'), path.join(work, 'proj2', 'fold.json'));
    await refused(['compile', 'm.bnn', '--out', 'proj2', '--fold', 'proj2/fold.json'], /holds the folding file proj2\/fold\.json/);
  });
  it('compile --out a design with a file of the user beside the RTL', async () => {
    fs.writeFileSync(path.join(work, 'rtl', 'synth.tcl'), 'synth_design\n');
    await refused(['compile', 'm2.bnn', '--out', 'rtl', '--pe', '2', '--simd', '4'], /synth\.tcl is not listed in its manifest\.json/);
    fs.rmSync(path.join(work, 'rtl', 'synth.tcl'));
  });
  it('compile --out a folder that merely holds a copied manifest', async () => {
    fs.mkdirSync(path.join(work, 'copied'));
    fs.copyFileSync(path.join(work, 'rtl', 'manifest.json'), path.join(work, 'copied', 'manifest.json'));
    fs.writeFileSync(path.join(work, 'copied', 'run.log'), 'mine\n');
    await refused(['compile', 'm2.bnn', '--out', 'copied', '--pe', '2', '--simd', '4'], /run\.log is not listed in its manifest\.json/);
  });
  it('compile --out a design whose RTL was edited', async () => {
    const v = fs.readdirSync(path.join(work, 'rtl')).find((f) => f.endsWith('.v'))!;
    fs.cpSync(path.join(work, 'rtl'), path.join(work, 'edited'), { recursive: true });
    fs.appendFileSync(path.join(work, 'edited', v), '// my change\n');
    await refused(['compile', 'm2.bnn', '--out', 'edited', '--pe', '2', '--simd', '4'], new RegExp(`${v.replace('.', '\\.')} changed since compile wrote it`));
  });
  it('export --out a link to the model', () => {
    fs.symlinkSync('m.bnn', path.join(work, 'm-link.onnx'));
    return refused(['export', 'm.bnn', '--out', 'm-link.onnx'], /refusing to write the ONNX file over the model m\.bnn/);
  });
  it('import --out a link to the ONNX file', async () => {
    const e = await bnnc(['export', 'm.bnn', '--out', 'm.onnx']);
    expect(e.code, e.stderr).toBe(0);
    fs.symlinkSync('m.onnx', path.join(work, 'onnx-link.bnn'));
    await refused(['import', 'm.onnx', '--out', 'onnx-link.bnn'], /refusing to write the model file over the ONNX model m\.onnx/);
  });
});

describe('outputs that cannot be written are found before the work, in one line', () => {
  const long = `${'n'.repeat(250)}.bnn`; // 254 bytes: legal, but not with a temporary suffix
  const cases: Array<[string, (out: string) => string[], string]> = [
    ['train', (o) => train(o), 'file'],
    ['vectors', (o) => ['vectors', 'm.bnn', ...ds, '--out', o], 'file'],
    ['compile', (o) => ['compile', 'm.bnn', '--out', o, '--pe', '2', '--simd', '4'], 'dir'],
    ['verify --vcd', (o) => ['verify', 'rtl', ...ds, '--vcd', o, '--images', '0:1'], 'file'],
    ['export', (o) => ['export', 'm.bnn', '--out', o.replace(/\.bnn$|$/, '.onnx')], 'file'],
    ['import', (o) => ['import', 'm.onnx', '--out', o.endsWith('.bnn') ? o : `${o}.bnn`], 'file'],
  ];
  for (const [name, args, kind] of cases) {
    it(`${name}: a directory in the way, a path under a file, an over-long name`, async () => {
      if (kind === 'file') await refused(args('adir.bnn'), /adir\.(bnn|onnx): cannot write: it is a directory/);
      else await refused(args('notes.txt'), /notes\.txt.*(a file|not a directory)/);
      await refused(args('notes.txt/x.bnn'), /notes\.txt\/x\.(bnn|onnx): cannot write: .*notes\.txt is not a directory/);
      await refused(args(long), /cannot write: the name is 25\d bytes/);
    });
    it(`${name}: a parent directory mkdir cannot make (procfs)`, async () => {
      // Node's recursive mkdir retried without end here; the failing mkdir is one line.
      await refused(args('/proc/bnnc-no-such-dir/out.bnn'), /\/proc\/bnnc-no-such-dir\/out\.(bnn|onnx): cannot write/, 20_000);
    });
    it(`${name}: a read-only file system${MOUNT_NOTE}`, { skip: !canMount }, async () => {
      const ro = path.join(work, 'ro');
      if (!fs.existsSync(ro)) {
        expect(tryMount(ro, 'size=64k,ro')).toBe(true);
        mounts.push(ro);
      }
      await refused(args('ro/out.bnn'), /ro\/out\.(bnn|onnx): cannot write: .*read-only file system/);
    });
  }
  it(`train, vectors, compile, export, import: a full file system${MOUNT_NOTE}`, { skip: !canMount, timeout: 300_000 }, async () => {
    const full = path.join(work, 'full');
    expect(tryMount(full, 'size=64k')).toBe(true);
    mounts.push(full);
    // Fill it but for a few blocks: smaller than any of these outputs.
    const fill = path.join(full, 'filler');
    try {
      fs.writeFileSync(fill, Buffer.alloc(60 * 1024));
    } catch {
      // ENOSPC: full enough
    }
    fs.writeFileSync(path.join(full, 'keep.txt'), 'x');
    for (const [name, args] of cases) {
      if (name === 'verify --vcd') continue; // needs a simulation; the writer is the same
      const line = await refused(args('full/out.bnn'), /full\/out(\.bnn)?(\.onnx)?: cannot write: no space left on device/, 120_000);
      expect(line, name).not.toMatch(/internal/);
      expect(fs.readdirSync(full).sort()).toEqual(['filler', 'keep.txt']);
    }
  });
});

describe('inputs that are not regular files never block', () => {
  it('eval, vectors, compile, export: a FIFO as the model', async () => {
    await refused(['eval', 'fifo.bnn', ...ds], /fifo\.bnn: file: expected a .bnn model file, got not a regular file|fifo\.bnn: .*FIFO/, 20_000);
    await refused(['vectors', 'fifo.bnn', ...ds, '--out', 'v.bnnv'], /fifo\.bnn: .*(FIFO|not a regular file)/, 20_000);
    await refused(['compile', 'fifo.bnn', '--out', 'x', '--pe', '2', '--simd', '4'], /fifo\.bnn: .*(FIFO|not a regular file)/, 20_000);
    await refused(['export', 'fifo.bnn', '--out', 'x.onnx'], /fifo\.bnn: .*(FIFO|not a regular file)/, 20_000);
    await refused(['import', 'fifo', '--out', 'x.bnn'], /fifo: .*(FIFO|not a regular file)/, 20_000);
  });
  it('train --arch FIFO, compile --fold FIFO, a FIFO as IDX images', async () => {
    await refused(train('t.bnn', 'fifo.json'), /fifo\.json: .*(FIFO|not a regular file)/, 20_000);
    await refused(['compile', 'm.bnn', '--out', 'x', '--fold', 'fifo.json'], /fifo\.json: .*(FIFO|not a regular file)/, 20_000);
    const fifoDs = ds.map((a) => (a === 'test-img.idx' ? 'fifo' : a));
    await refused(['eval', 'm.bnn', ...fifoDs], /fifo: .*(FIFO|not a regular file)/, 20_000);
  });
  it('verify: a FIFO or a directory in place of a .mem file is named as such', async () => {
    for (const kind of ['fifo', 'directory'] as const) {
      const d = `rtl-${kind}`;
      fs.cpSync(path.join(work, 'rtl'), path.join(work, d), { recursive: true });
      const mem = fs.readdirSync(path.join(work, d)).find((f) => f.endsWith('.mem'))!;
      fs.rmSync(path.join(work, d, mem));
      if (kind === 'fifo') expect(spawnSync('mkfifo', [path.join(work, d, mem)]).status).toBe(0);
      else fs.mkdirSync(path.join(work, d, mem));
      const line = await refused(['verify', d, ...ds], new RegExp(`${mem.replace('.', '\\.')}.*(${kind === 'fifo' ? 'FIFO' : 'a directory'})`), 30_000);
      expect(line).not.toMatch(/images differ/);
    }
  });
});

describe('a reader that goes away, and a compile during verify', () => {
  it('eval | (a reader that exits at once): quiet, status 141', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" eval m.bnn ${ds.join(' ')} | true; echo "status \${PIPESTATUS[0]}" >&2`], {
      cwd: work,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr.trim()).toBe('status 141');
  });

  it('compiling another model into the design while verify of it runs: verify checks what it copied', async () => {
    // verify's work directory in a private TMPDIR, to see when its copy exists.
    const tmp = path.join(work, 'verify-tmp');
    fs.mkdirSync(tmp);
    let pid = 0;
    const verify = bnnc(['verify', 'rtl', ...ds, '--json'], 300_000, { TMPDIR: tmp }, (p) => (pid = p));
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000 && !fs.readdirSync(tmp).some((n) => fs.existsSync(path.join(tmp, n, 'design', 'manifest.json')))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // Held still while the compile replaces the design: the compile surely runs between
    // verify's copy and its simulation, whatever the machine's speed.
    process.kill(pid, 'SIGSTOP');
    const before = fs.readFileSync(path.join(work, 'rtl', 'manifest.json'), 'utf8');
    const c = await bnnc(['compile', 'm2.bnn', '--out', 'rtl', '--pe', '2', '--simd', '4']);
    process.kill(pid, 'SIGCONT');
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'rtl', 'manifest.json'), 'utf8')).not.toBe(before);
    const r = await verify;
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; comparison: { mismatchCount: number }; integrity: { changed: string[] } };
    expect(report.ok).toBe(true);
    expect(report.comparison.mismatchCount).toBe(0);
    expect(report.integrity.changed).toEqual([]);
  }, 320_000);
});

