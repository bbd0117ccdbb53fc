/**
 * Fuzz specs for the simulator result readers: src/sim/results.ts parseResults (the
 * Verilator harness's results file), src/sim/cocotb-junit.ts readJunit (cocotb's JUnit
 * XML) and src/sim/vcd.ts readStageTaps (stage taps out of a VCD).
 */
import path from 'node:path';
import { readJunit, type JunitCase } from '../../../src/sim/cocotb-junit.js';
import { parseResults, type SimResults } from '../../../src/sim/results.js';
import { readStageTaps, type TapTrace } from '../../../src/sim/vcd.js';
import { ensure } from '../formats.js';
import { showText, smallerText, type LoaderFuzz } from '../harness.js';
import { mutatedText } from '../mutate-text.js';
import { scratchDir, scratchFile } from '../scratch.js';

// ---- Verilator results file ----

/** A results file as the harness prints it (sim/verilator/harness.cpp). */
function formatResults(r: SimResults): string {
  const lines = ['BNNR 1', `frames ${r.frames} classes ${r.classes} inpix ${r.inPix} beats_per_frame ${r.beatsPerFrame}`];
  for (let k = 0; k < r.beats; k++) {
    const scores = Array.from(r.scores.subarray(k * r.classes, (k + 1) * r.classes));
    lines.push(['B', k, r.firstIn[k], r.lastIn[k], r.outCycle[k], r.classOut[k], ...scores].join(' '));
  }
  lines.push(`end cycles ${r.cycles} sim_seconds ${r.simSeconds} timeout ${r.timedOut ? 1 : 0} frames_in ${r.framesIn} beats ${r.beats} reset_ready ${r.resetReady}`);
  return lines.join('\n') + '\n';
}

export const RESULTS_BASES = [
  'BNNR 1\nframes 3 classes 2 inpix 4 beats_per_frame 3\nB 0 0 2 9 1 -5 17\nB 1 3 5 12 0 100 -100\nB 2 6 8 15 1 0 0\nend cycles 20 sim_seconds 0.000123 timeout 0 frames_in 3 beats 3 reset_ready 0\n',
  'BNNR 1\nframes 1 classes 10 inpix 784 beats_per_frame 1\nB 0 0 0 40 7 1 2 3 4 5 6 7 2147483647 -2147483648 0\nB 1 -1 -1 41 0 0 0 0 0 0 0 0 0 0 0\nend cycles 60 sim_seconds 1.5e-05 timeout 0 frames_in 1 beats 2 reset_ready 0\n',
  'BNNR 1\nframes 4 classes 3 inpix 1 beats_per_frame 16\nB 0 0 15 70 2 -1 -1 5\nend cycles 5000 sim_seconds 0.010000 timeout 1 frames_in 2 beats 1 reset_ready 2\n',
];

const RESULTS_TOKENS = ['BNNR 1', 'B ', 'end ', 'frames ', 'classes ', 'beats ', 'timeout ', 'reset_ready ', '\n', ' ', '-', '\r'];

/** Read the numbers of an accepted file independently and compare them with the parsed ones. */
function acceptResults(value: unknown, text: string): void {
  const r = value as SimResults;
  const counts = [r.frames, r.classes, r.inPix, r.beatsPerFrame, r.beats, r.cycles, r.framesIn, r.resetReady];
  ensure(counts.every((n) => Number.isSafeInteger(n) && n >= 0), `a count that is not a safe non-negative integer: ${counts.join(' ')}`);
  ensure(Number.isFinite(r.simSeconds), 'sim_seconds not finite');
  ensure(r.classOut.length === r.beats && r.scores.length === r.beats * r.classes, 'array lengths differ from beats / classes');
  const beatLines = text.split('\n').filter((l) => l.startsWith('B ')).slice(0, r.beats);
  beatLines.forEach((line, k) => {
    const nums = line.split(' ').slice(1).map(Number);
    const got = [k, r.firstIn[k], r.lastIn[k], r.outCycle[k], r.classOut[k], ...r.scores.subarray(k * r.classes, (k + 1) * r.classes)];
    ensure(nums.every(Number.isSafeInteger), `beat ${k}: a value that is not a safe integer was accepted: ${line.slice(0, 80)}`);
    ensure(nums.every((x, i) => x === got[i]), `beat ${k}: stored [${got.join(' ')}] for line "${line.slice(0, 80)}"`);
  });
  const again = parseResults(formatResults(r), 're-written');
  ensure(formatResults(again) === formatResults(r), 'results differ after re-writing');
}

export const resultsSpec: LoaderFuzz<string> = {
  name: 'sim-results',
  file: 'src/sim/results.ts',
  inputs: mutatedText(RESULTS_BASES, RESULTS_TOKENS),
  bases: RESULTS_BASES,
  size: (t) => t.length,
  show: (t) => showText(t),
  load: (t) => parseResults(t, 'results.txt'),
  sources: () => ['results.txt'],
  smaller: smallerText,
  accept: acceptResults,
};

// ---- cocotb JUnit XML ----

export const JUNIT_BASES = [
  `<?xml version='1.0' encoding='utf-8'?>
<testsuites name="cocotb tests"><testsuite name="test_bnn_top" errors="0" failures="1" skipped="1" tests="3" time="0.055">
<testcase classname="test_bnn_top" name="test_back_to_back" time="0.012"><properties><property name="cocotb" value="True" /><property name="sim_time_unit" value="ns" /><property name="sim_time_duration" value="1310.0" /></properties></testcase>
<testcase classname="test_bnn_top" name="test_random_traffic" time="0.5"><failure message="image 1007 (record 7): scores [1, -2] &lt;&amp;&gt; &#x41;&#66;" type="AssertionError">Traceback (most recent call last):
  File "axis.py", line 255, in run
AssertionError: image 1007 (record 7) &lt;tb&gt;
</failure><properties><property name="random_seed" value="3" /></properties><system-out>out</system-out></testcase>
<testcase classname="test_bnn_top" name="test_cycle_figures" time="0"><skipped message="Test was skipped" /></testcase>
</testsuite></testsuites>`,
  `<testsuite><!-- c --><testcase name="a" time="1.5"><error message='m &apos;q&apos;'><![CDATA[<raw & text>]]></error></testcase></testsuite>`,
];

const XML_SNIPPETS = [
  '&#x110000;', '&#1114112;', '&#99999999999999999999;', '&#xFFFFFFFFFF;', '&#0;', '&#xD800;', '&#;', '&#x;', '&amp;', '&bogus;',
  '&', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>', '<!DOCTYPE x>', '<testcase name="x"/>', '<testcase>',
  '</testcase>', '<failure message="m">', '</failure>', '<properties><property name="p"/></properties>', '"', "'", '=', '/>', '<', '>',
  ' time="NaN"', ' time="1e400"', ' name=""', ' name="a" name="b"', '<testsuite>', '</testsuites>', '\u0000',
];

export const junitSpec: LoaderFuzz<string> = {
  name: 'cocotb-junit',
  file: 'src/sim/cocotb-junit.ts',
  inputs: mutatedText(JUNIT_BASES, XML_SNIPPETS),
  bases: JUNIT_BASES,
  size: (t) => t.length,
  show: (t) => showText(t),
  load: (t) => readJunit(t, 'results.xml'),
  sources: () => ['results.xml'],
  smaller: smallerText,
  accept(value) {
    const cases = value as JunitCase[];
    for (const c of cases) {
      ensure(typeof c.name === 'string' && typeof c.classname === 'string', 'a case without string name / classname');
      ensure(['passed', 'failed', 'error', 'skipped'].includes(c.status), `status ${c.status}`);
      ensure(Number.isFinite(c.time), `time ${c.time}`);
      ensure(Object.values(c.properties).every((v) => typeof v === 'string'), 'a property that is not a string');
    }
  },
};

// ---- VCD stage taps ----

/** A VCD shaped like the harness's: clk low at 10c, rising at 10c + 5, two stages of taps. */
export function vcdBase(cycles: number, withRst: boolean): string {
  const head = [
    '$date today $end',
    '$timescale 1ps $end',
    '$scope module TOP $end',
    '$var wire 1 ! clk $end',
    '$scope module top $end',
    '$var wire 1 # clk $end',
    withRst ? '$var wire 1 $ rst $end' : '',
    '$var wire 8 % stage0_tdata [7:0] $end',
    '$var wire 1 & stage0_tvalid $end',
    "$var wire 1 ' stage0_tready $end",
    '$var wire 40 ( stage1_tdata [39:0] $end',
    '$var wire 1 ) stage1_tvalid $end',
    '$var wire 1 * stage1_tready $end',
    '$upscope $end',
    '$upscope $end',
    '$enddefinitions $end',
  ].filter((l) => l !== '');
  const body: string[] = [];
  for (let c = 0; c < cycles; c++) {
    body.push(`#${10 * c}`, '0#');
    if (withRst) body.push(c === 0 ? '1$' : '0$');
    body.push(`b${((c * 37) & 255).toString(2)} %`, c % 3 === 0 ? '0&' : '1&', "1'");
    body.push(`b${c % 2 === 0 ? '1x' : '1'.repeat(40)} (`, c % 2 === 0 ? '1)' : '0)', '1*');
    body.push(`#${10 * c + 5}`, '1#');
  }
  return [...head, '$dumpvars', ...body, ''].join('\n');
}

export const VCD_BASES = [vcdBase(6, true), vcdBase(3, false)];
const VCD_SNIPPETS = ['$var wire 2147483648 + stage2_tdata $end\n', '$var wire -8 + stage3_tdata $end\n', '$scope module', '$upscope $end\n', '$enddefinitions $end\n', '#', 'b', 'x', 'z', '$end', ' ', '\n'];

export const vcdSpec: LoaderFuzz<string> = {
  name: 'vcd-taps',
  file: 'src/sim/vcd.ts',
  inputs: mutatedText(VCD_BASES, VCD_SNIPPETS),
  bases: VCD_BASES,
  size: (t) => t.length,
  show: (t) => showText(t),
  load: (t) => readStageTaps(scratchFile('wave.vcd', t)),
  sources: () => [path.join(scratchDir(), 'wave.vcd')],
  smaller: smallerText,
  accept(value) {
    const tr = value as TapTrace;
    for (const [k, s] of tr.stages) {
      ensure(Number.isSafeInteger(k) && k >= 0, `stage index ${k}`);
      ensure(Number.isSafeInteger(s.width) && s.width >= 1, `stage ${k} width ${s.width} accepted`);
      for (const b of s.beats) {
        ensure(Number.isSafeInteger(b.cycle) && b.cycle >= 0, `stage ${k} beat at cycle ${b.cycle} accepted`);
        ensure(b.bits.length === (s.width + 31) >>> 5, `stage ${k}: ${b.bits.length} words for width ${s.width}`);
      }
    }
  },
};

export const SPECS: Record<string, LoaderFuzz<string>> = {
  'sim-results': resultsSpec,
  'cocotb-junit': junitSpec,
  'vcd-taps': vcdSpec,
};
