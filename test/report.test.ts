/**
 * bnnc report on a small real run (a 784-16-10 MLP, one epoch on 1000 images, 100 test
 * images through Verilator, made by `bnnc demo`): the run's figures against an
 * independent recomputation, the page and the markdown against the run's files, the
 * synthesis section against a fixture, bad input, and the page opened in headless
 * Chromium: every chart drawn whole, no console error, no request, a screenshot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import demoCommand from '../src/commands/demo.js';
import reportCommand from '../src/commands/report.js';
import { InputError } from '../src/errors.js';
import { loadModel, modelHash } from '../src/graph/io.js';
import { foldModel } from '../src/int/fold.js';
import { inferIntBatch } from '../src/int/infer.js';
import { predictFloat } from '../src/nn/predict.js';
import { datasetSpecFromArgs, loadDataset } from '../src/data/registry.js';
import { readDesign, type DesignInfo, type DesignMvtuStage } from '../src/sim/design.js';
import { foldingBoxes, stageCycles } from '../src/report/figures.js';
import { readRun } from '../src/report/run.js';
import { runSynth } from '../src/synth/synth.js';
import { TARGET_SPECS } from '../src/synth/targets.js';
import { defaultSynthOut } from '../src/commands/synth.js';
import { readSynthSummary } from '../src/report/synth.js';
import { confusionMatrix } from '../src/util/confusion.js';
import { visitPage } from '../tools/chromium.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-report-test-'));
const runDir = path.join(work, 'run');
const VERIFIED = 100;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function cli(cmd: any, argv: string[]): Promise<void> {
  await yargs(argv).command(cmd).strict().fail(false).parseAsync();
}

/** Run fn with stdout captured (the demo and the report print a lot). */
async function quietly(fn: () => Promise<void>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => ((out += chunk.toString()), true)) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

beforeAll(async () => {
  await quietly(() =>
    cli(demoCommand, ['demo', '--arch', 'mlp:784-16-10', '--epochs', '1', '--train-limit', '1000', '--limit', String(VERIFIED), '--out', runDir]),
  );
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('bnnc demo writes a run directory', () => {
  it('run.json: float and integer results equal an independent recomputation; commands and files recorded', () => {
    const run = readRun(runDir);
    expect(run.steps.map((s) => s.name)).toEqual(['train', 'eval', 'compile', 'verify']);
    expect(run.steps.every((s) => s.ok && s.seconds > 0 && s.command[0] === 'bnnc')).toBe(true);
    expect(run.invocation).toContain('--train-limit');
    const model = loadModel(path.join(runDir, run.files.model));
    const test = loadDataset(datasetSpecFromArgs({ dataset: 'mnist' }), 'test');
    // With --limit, the float and integer figures cover the verified images only.
    const images = test.images.subarray(0, VERIFIED * 784);
    const fl = predictFloat(model, images, VERIFIED);
    const int = inferIntBatch(foldModel(model, modelHash(model)), images, VERIFIED);
    expect(run.results.float.confusion).toEqual(confusionMatrix(test.labels, fl.predictions, 10, VERIFIED));
    expect(run.results.int.confusion).toEqual(confusionMatrix(test.labels, int.predictions, 10, VERIFIED));
    expect(run.results.float.images).toBe(VERIFIED);
    let differ = 0;
    for (let i = 0; i < VERIFIED; i++) if (fl.predictions[i] !== int.predictions[i]) differ++;
    expect(run.results.floatIntDiffer).toBe(differ);
    // verify.json: the RTL matched the integer model on every image, so its confusion
    // matrix is the integer model's over the verified images.
    const verify = JSON.parse(fs.readFileSync(path.join(runDir, run.files.verify), 'utf8'));
    expect(verify.ok).toBe(true);
    expect(verify.comparison.mismatchCount).toBe(0);
    expect(verify.comparison.rtlConfusion).toEqual(confusionMatrix(test.labels, int.predictions, 10, VERIFIED));
  });
});

describe('bnnc report', () => {
  it('the markdown and the page carry the run\'s numbers and the commands that reproduce it', () => {
    const run = readRun(runDir);
    const md = fs.readFileSync(path.join(runDir, 'report.md'), 'utf8');
    const html = fs.readFileSync(path.join(runDir, 'report.html'), 'utf8');
    const acc = `${((100 * run.results.float.correct) / VERIFIED).toFixed(2)} %`;
    expect(md).toContain(`| float (training graph, evaluation mode) | ${VERIFIED} | ${run.results.float.correct} | ${acc} | run.json |`);
    expect(html).toContain(`<td>${run.results.float.correct}</td><td>${acc}</td>`);
    expect(md).toContain(`| RTL vs integer: mismatches (class and every score) | 0 of ${VERIFIED} |`);
    // The folding table is the manifest's.
    const d = readDesign(path.join(runDir, 'rtl'));
    for (const s of d.stages as DesignMvtuStage[]) {
      expect(md).toContain(`| ${s.name} | ${s.output === 'scores' ? 'mvtu, scores' : 'mvtu'} | ${s.mw} → ${s.mh} | ${s.pe} | ${s.simd} | ${s.nf} | ${s.sf} | ${s.ii} |`);
    }
    for (const step of run.steps) expect(md).toContain(step.command.join(' '));
    expect(html).toContain(run.started);
    expect(md).toContain('Synthesis: not run');
    // Self-contained: no script, no stylesheet or image from elsewhere.
    expect(html).not.toMatch(/<script|<link|<img|https?:\/\/(?!www\.w3\.org)/);
  });

  it('shows the results of a real bnnc synth run beside the design (xc7, synthesis only)', async () => {
    const rtl = path.join(runDir, 'rtl');
    const device = TARGET_SPECS.xc7.defaultDevice;
    const synth = await runSynth({ rtlDir: rtl, target: 'xc7', clockMhz: 100, pnr: false, bitstream: false, out: defaultSynthOut(rtl, 'xc7', device) });
    const out = await quietly(() => cli(reportCommand, ['report', runDir]));
    expect(out).toContain('report.html (8 charts)');
    const md = fs.readFileSync(path.join(runDir, 'report.md'), 'utf8');
    expect(md).toContain(`**Synthesis: xc7, ${device}**`);
    // The page's figures are the synth report's, row by row.
    for (const row of synth.stages) expect(md).toContain(`| ${row.name} | ${row.luts} | ${row.ffs} | ${row.bram} | ${row.dsp} | — |`);
    expect(md).toContain(`| total | ${synth.total.luts} | ${synth.total.ffs} | ${synth.total.bram} | ${synth.total.dsp} | — |`);
    expect(md).toContain(`rtl.synth-xc7-${device}/report.json`);
  }, 300_000);

  it('a synth report.json it cannot read is a note, not a failure', () => {
    const bad = path.join(work, 'bad-synth.json');
    fs.writeFileSync(bad, '{"targets": [1, 2');
    expect(readSynthSummary(bad)!.notes[0]).toMatch(/^not read: .*JSON text/);
    fs.writeFileSync(bad, '{"luts": 12, "flipFlops": 3, "fmax": 80}');
    expect(readSynthSummary(bad)!.targets[0].total).toEqual({ name: 'total', luts: 12, ffs: 3, bram: null, dsp: null, fmaxMHz: 80 });
    expect(readSynthSummary(path.join(work, 'absent.json'))).toBeNull();
  });

  it('a bad run.json is one InputError naming the field, and nothing is written', async () => {
    const broken = path.join(work, 'broken');
    fs.cpSync(runDir, broken, { recursive: true });
    for (const f of ['report.html', 'report.md']) fs.rmSync(path.join(broken, f));
    const run = JSON.parse(fs.readFileSync(path.join(broken, 'run.json'), 'utf8'));
    run.results.int.correct = run.results.int.images + 1;
    fs.writeFileSync(path.join(broken, 'run.json'), JSON.stringify(run));
    await expect(cli(reportCommand, ['report', broken, '--quiet'])).rejects.toThrow(/run\.json: results\.int\.correct: expected at most images/);
    run.results.int.correct = 0;
    run.files.model = '../../etc/passwd';
    fs.writeFileSync(path.join(broken, 'run.json'), JSON.stringify(run));
    await expect(cli(reportCommand, ['report', broken, '--quiet'])).rejects.toThrow(InputError);
    await expect(cli(reportCommand, ['report', work, '--quiet'])).rejects.toThrow(/run\.json: expected a run directory written by bnnc demo/);
    expect(fs.readdirSync(broken).filter((f) => f.startsWith('report') || f.includes('.tmp-'))).toEqual([]);
  });
});

describe('figures of a ConvNet design (conv, pool, dense)', () => {
  // The figures of the manifest of `bnnc demo --arch conv:4x5,pool,fc10 --train-limit 500`.
  const base = { tapWidth: 1, verilogName: 'x' };
  const d: DesignInfo = {
    rtlDir: '/x', manifestPath: '/x/manifest.json', top: 't', sources: [], memFiles: [], hashes: null, foldedPath: null,
    modelName: 'm', modelHash: 'h', board: null, pixels: 784, inPix: 1, classes: 10, ii: 960, latency: 1751, inputII: 784, bottleneck: 'fc1',
    stages: [
      { ...base, index: 0, name: 'conv0', kind: 'mvtu', output: 'threshold', mh: 4, mw: 25, pe: 4, simd: 25, nf: 1, sf: 1, ii: 1, weightBits: 100, paramBits: 64, bufferBits: 1440, memoryBits: 1604, frameCycles: 576, latency: 4 },
      { ...base, index: 1, name: 'pool0', kind: 'pool', size: 2, memoryBits: 48, frameCycles: 576, latency: 1 },
      { ...base, index: 2, name: 'fc1', kind: 'mvtu', output: 'scores', mh: 10, mw: 576, pe: 1, simd: 6, nf: 10, sf: 96, ii: 960, weightBits: 5760, paramBits: 640, bufferBits: 1152, memoryBits: 7552, frameCycles: 960, latency: 963 },
    ],
  };
  it('a box per stage with its folding; red where the cycles per image set the II', () => {
    const boxes = foldingBoxes(d);
    expect(boxes.map((b) => [b.name, b.cycles, b.bottleneck])).toEqual([['input', 784, false], ['conv0', 576, false], ['pool0', 576, false], ['fc1', 960, true]]);
    expect(boxes[1].lines).toEqual(['25 → 4', 'PE 4 × SIMD 25', 'II 1 (576/image)', '1.6 kbit']);
    expect(boxes[2].lines).toEqual(['max-pool 2×2', '576 cycles', '48 bit']);
  });
  it('latency shares add up to the design latency, the rest counted at the input', () => {
    const rows = stageCycles(d);
    expect(rows.reduce((a, r) => a + r.latency, 0)).toBe(1751);
    expect(rows[0]).toEqual({ name: 'input', cycles: 784, latency: 1751 - 4 - 1 - 963 });
  });
});

/** Facts about each chart, gathered in the page. */
const PROBE = `[...document.querySelectorAll('figure.chart')].map((f) => {
  const svg = f.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
  const marks = {};
  for (const g of f.querySelectorAll('g[class*="role-mark"]')) {
    const kind = [...g.classList].find((c) => c.startsWith('mark-')).slice(5);
    marks[kind] = (marks[kind] || 0) + g.children.length;
  }
  return { id: f.id, svgs: f.querySelectorAll('svg').length, width: box.width, height: box.height, marks };
})`;

interface ChartFacts {
  id: string;
  svgs: number;
  width: number;
  height: number;
  marks: Record<string, number>;
}

describe('the page in headless Chromium (make setup installs the Debian package chromium)', () => {
  it('draws every chart whole, with no console error and no request, and saves a screenshot', async () => {
    const v = await visitPage<ChartFacts[]>(path.join(runDir, 'report.html'), PROBE);
    expect(v.errors).toEqual([]);
    expect(v.requests).toEqual([]);
    const byId = new Map(v.probe.map((c) => [c.id, c]));
    expect([...byId.keys()]).toEqual(['accuracy', 'folding', 'curves', 'confusion-float', 'confusion-int', 'confusion-rtl', 'cycles', 'synth-0']);
    for (const c of v.probe) {
      expect(c.svgs, c.id).toBe(1);
      expect(c.width * c.height, c.id).toBeGreaterThan(100 * 100);
    }
    // Every cell of each 10 x 10 confusion matrix: a rectangle and its count.
    for (const id of ['confusion-float', 'confusion-int', 'confusion-rtl']) expect(byId.get(id)!.marks).toEqual({ rect: 100, text: 100 });
    // Float, integer and RTL bars; input + 2 stages in the diagram; a line per series and panel.
    expect(byId.get('accuracy')!.marks.rect).toBe(3);
    expect(byId.get('folding')!.marks.rect).toBe(3);
    expect(byId.get('curves')!.marks.line).toBe(4);
    // A LUT bar and an FF bar per row of the synth report (input, fc0, fc1, top glue).
    const synthRows = readSynthSummary(path.join(runDir, `rtl.synth-xc7-${TARGET_SPECS.xc7.defaultDevice}`, 'report.json'))!.targets[0].stages.length;
    expect(synthRows).toBeGreaterThanOrEqual(3);
    expect(byId.get('synth-0')!.marks.rect).toBe(2 * synthRows);
    const png = path.join(work, 'report.png');
    fs.writeFileSync(png, v.png);
    expect(v.png.subarray(1, 4).toString()).toBe('PNG');
    expect(v.png.readUInt32BE(16)).toBe(1300); // IHDR width
    expect(v.png.readUInt32BE(20)).toBeGreaterThan(2000); // the whole page, not one screen
  });

  it('the check can fail: a page with an error and a request is caught', async () => {
    const page = path.join(work, 'bad.html');
    fs.writeFileSync(page, '<!DOCTYPE html><p>x</p><img src="http://bnnc.invalid/x.png"><script>console.error("boom"); undefinedCall();</script>');
    const v = await visitPage<number>(page, '1');
    expect(v.requests).toEqual(['http://bnnc.invalid/x.png']);
    expect(v.errors.some((e) => e.includes('boom'))).toBe(true);
    expect(v.errors.some((e) => e.includes('undefinedCall'))).toBe(true);
  });
});
