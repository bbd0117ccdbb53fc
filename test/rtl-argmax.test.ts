/**
 * bnnc_argmax alone (Icarus), one value per fold (PE = 1), against argmax with ties to
 * the lowest index computed here: values from 0..3 (W = 4) so that ties, and ties between
 * neighbours, are the rule, and signed 16-bit values whose high and low halves tie and
 * differ in every combination (W = 16, where PRE compares the halves side by side); folds taken back to back and with gaps; the value register
 * loaded every cycle or not. In both modes: PRE = 0 (compare in the loop) and PRE = 1
 * (compare a cycle early, as the MVTU uses it with one PE and registered scores).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/util/rng.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-argmax-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const block = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'templates', 'rtl', 'bnnc_argmax.v');

const N = 5;
const CYCLES = 3000;

/**
 * Values drawn: 0..3 at W = 4; at W = 16 (PRE compares as high and low halves, each 8
 * bits) signed values whose halves tie and differ in every way, ties between them too.
 */
const WIDE = [-32768, -257, -256, -255, -1, 0, 1, 255, 256, 257, 511, 32767];

/** Per cycle: next_en, en (implies next_en), next_value; and the values each en takes. */
function stimulus(seed: number, dense: boolean, w: number): { lines: string[]; taken: number[] } {
  const rng = new Rng(seed);
  const lines: string[] = [];
  const taken: number[] = [];
  let reg = 0;
  for (let t = 0; t < CYCLES; t++) {
    const nextEn = dense || rng.int(4) !== 0 ? 1 : 0;
    const en = nextEn && (dense || rng.int(3) !== 0) ? 1 : 0;
    const next = w === 4 ? rng.int(4) : WIDE[rng.int(WIDE.length)];
    lines.push(`${nextEn}${en}${(next & ((1 << w) - 1)).toString(16).padStart(w / 4, '0')}`);
    if (en) taken.push(reg);
    if (nextEn) reg = next;
  }
  return { lines, taken };
}

function expected(taken: number[]): number[] {
  const out: number[] = [];
  for (let v = 0; v + N <= taken.length; v += N) {
    const vec = taken.slice(v, v + N);
    out.push(vec.indexOf(Math.max(...vec)));
  }
  return out;
}

function run(pre: number, seed: number, dense: boolean, w: number): { got: number[]; want: number[] } {
  const dir = fs.mkdtempSync(path.join(work, `p${pre}-`));
  const { lines, taken } = stimulus(seed, dense, w);
  fs.writeFileSync(path.join(dir, 'stim.mem'), lines.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'tb.v'),
    `\`timescale 1ns/1ps
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${w + 7}:0] stim [0:${CYCLES - 1}];
  initial $readmemh("stim.mem", stim);
  integer t = 0;
  integer taken = 0;
  reg [${w - 1}:0] values = ${w}'d0;
  wire next_en = !rst && stim[t][${w + 4}];
  wire en      = !rst && stim[t][${w}];
  wire [${w - 1}:0] next_value = stim[t][${w - 1}:0];
  wire [2:0] index;
  bnnc_argmax #(.N(${N}), .PE(1), .NF(${N}), .W(${w}), .IDX_W(3), .PRE(${pre})) dut (
    .clk(clk), .rst(rst), .en(en), .next_en(next_en), .next_value(next_value), .values(values), .index(index));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    if (rst) rst <= 1'b0;
    else begin
      if (en) begin
        if (taken % ${N} == ${N - 1}) $display("IDX %0d", index);
        taken <= taken + 1;
      end
      if (next_en) values <= next_value;
      t <= t + 1;
      if (t == ${CYCLES - 1}) $finish;
    end
  end
endmodule
`,
  );
  execFileSync('iverilog', ['-g2005', '-o', 'tb.vvp', '-s', 'tb', 'tb.v', block], { cwd: dir, stdio: 'pipe' });
  const text = execFileSync('vvp', ['-n', 'tb.vvp'], { cwd: dir, encoding: 'utf8' });
  const got = text.split('\n').filter((l) => l.startsWith('IDX ')).map((l) => Number(l.slice(4)));
  return { got, want: expected(taken) };
}

describe('bnnc_argmax, one value per fold, ties everywhere', () => {
  for (const w of [4, 16]) {
    for (const pre of [0, 1]) {
      for (const dense of [true, false]) {
        it(`W ${w}, PRE ${pre}, folds ${dense ? 'back to back' : 'with gaps'}: the index of the first largest of every vector`, () => {
          const { got, want } = run(pre, 40 + pre + (dense ? 2 : 0) + (w === 4 ? 0 : w), dense, w);
          expect(want.length).toBeGreaterThan(200);
          expect(got).toEqual(want);
        });
      }
    }
  }
});
