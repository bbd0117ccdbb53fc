/**
 * The board wrapper (`bnnc compile --board`, templates/board.v.hbs) simulated with Icarus
 * Verilog: random images go in one byte per transfer through pix_data/pix_valid/
 * pix_ready, class indices come out through class_data/class_valid/class_ready, and
 * - every class index equals inferInt's prediction (src/int/infer.ts), image by image,
 *   none lost or duplicated;
 * - so it stays with random gaps on the pixel side and random back-pressure on the
 *   class side, and with a reset in the middle of an image (the image is then sent again
 *   from its first byte);
 * - with no gaps and no back-pressure, the first result leaves exactly
 *   npix - beats + plan.latency cycles after the first byte is taken, one more when the
 *   wrapper packs several pixels into a beat (the beat leaves the cycle after its last
 *   byte: the design sees its last beat npix - beats + 1 cycles later than back to
 *   back), and one every max(plan.ii, npix)
 *   cycles after it (one byte per cycle can not beat npix cycles an image);
 * - `verilator --lint-only -Wall` has nothing to say about the wrapper on top;
 * for one pixel per beat (the wrapper passes the byte through), several pixels per beat
 * that do not divide the image (the last beat is part padding), and a pipelined design.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../src/emit/emit.js';
import type { Manifest } from '../src/emit/manifest.js';
import type { PipelineLevel } from '../src/hw/cycles.js';
import { planHardware, type HwPlan } from '../src/hw/plan.js';
import { randomFoldedMlp, randomImages } from '../src/hw/random-model.js';
import { inferInt } from '../src/int/infer.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-board-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  input: [number, number, number];
  hidden: number[];
  classes: number;
  pe: number;
  simd: number;
  inPix: number;
  pipeline: PipelineLevel;
  seed: number;
}

const cases: Case[] = [
  { name: 'one_pixel_per_beat', input: [4, 4, 1], hidden: [8], classes: 4, pe: 2, simd: 4, inPix: 1, pipeline: 0, seed: 1 },
  { name: 'packed_with_padding', input: [5, 5, 1], hidden: [12], classes: 5, pe: 3, simd: 7, inPix: 7, pipeline: 1, seed: 2 },
  { name: 'pipelined_ii_bound', input: [4, 4, 2], hidden: [10, 7], classes: 10, pe: 1, simd: 3, inPix: 4, pipeline: 2, seed: 3 },
];

interface Run {
  /** Cycle at which each image's first byte was taken. */
  starts: number[];
  outs: { cycle: number; cls: number }[];
  outsBeforeReset: number;
}

/** The testbench: bytes of `frames` images in, class indices out (stamped with cycles). */
function testbench(m: Manifest, npix: number, frames: number, stall: boolean, resetAt: number, restartFrame: number, maxCycles: number, linger: number): string {
  const board = m.board!;
  const total = npix * frames;
  return `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [7:0] bytes [0:${total - 1}];
  initial $readmemh("tb_bytes.mem", bytes);
  integer cycle = 0;
  integer bi = 0;
  integer seed = 777;
  integer outs = 0;      // results since the last reset
  integer stop = -1;     // cycle to stop at: a while after the last result expected
  reg gap = 1'b0;
  reg c_ready = 1'b1;
  wire p_valid = !rst && !gap && bi < ${total};
  wire p_ready;
  wire [${board.classBits - 1}:0] c_data;
  wire c_valid;
  ${board.module} dut (
    .clk(clk), .rst(rst),
    .pix_data(bytes[bi < ${total} ? bi : 0]), .pix_valid(p_valid), .pix_ready(p_ready),
    .class_data(c_data), .class_valid(c_valid), .class_ready(c_ready));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    if (${stall ? 1 : 0}) begin
      gap <= ($random(seed) & 3) == 0;
      c_ready <= ($random(seed) & 3) != 0;
    end
    if (cycle == ${resetAt}) begin
      rst <= 1'b1;
      bi <= ${restartFrame * npix};
      $display("RST %0d", cycle);
    end else if (cycle == ${resetAt + 2}) begin
      rst <= 1'b0;
    end else if (p_valid && p_ready) begin
      if (bi % ${npix} == 0) $display("IN %0d %0d", bi / ${npix}, cycle);
      bi <= bi + 1;
    end
    if (rst) outs <= 0;
    else if (c_valid && c_ready) begin
      $display("OUT %0d %0d", cycle, c_data);
      outs <= outs + 1;
      // A lost or duplicated result shows within one II after the last expected one.
      if (outs + 1 == ${frames - restartFrame}) stop <= cycle + ${linger};
    end
    if (cycle == ${maxCycles} || cycle == stop) $finish;
  end
endmodule
`;
}

function simulate(dir: string, m: Manifest, plan: HwPlan, images: Uint8Array, frames: number, stall: boolean, resetAt = -1, restartFrame = 0): Run {
  const npix = plan.input.npix;
  const bytes = Array.from(images.subarray(0, npix * frames), (v) => v.toString(16).padStart(2, '0'));
  fs.writeFileSync(path.join(dir, 'tb_bytes.mem'), bytes.join('\n') + '\n');
  const maxCycles = 4 * (frames + 1) * (Math.max(plan.ii, npix) + plan.latency) + 100;
  const linger = 2 * Math.max(plan.ii, npix) + 10;
  fs.writeFileSync(path.join(dir, 'tb.v'), testbench(m, npix, frames, stall, resetAt, restartFrame, maxCycles, linger));
  execFileSync('iverilog', ['-g2005', '-Wall', '-o', 'tb.vvp', '-s', 'tb', 'tb.v', ...m.files.verilog], { cwd: dir, stdio: 'pipe' });
  const text = execFileSync('vvp', ['-n', 'tb.vvp'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const r: Run = { starts: [], outs: [], outsBeforeReset: -1 };
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p[0] === 'IN') r.starts.push(Number(p[2]));
    else if (p[0] === 'OUT') r.outs.push({ cycle: Number(p[1]), cls: Number(p[2]) });
    else if (p[0] === 'RST') r.outsBeforeReset = r.outs.length;
  }
  return r;
}

describe.each(cases)('board wrapper $name', (c) => {
  const f = randomFoldedMlp({ input: c.input, hidden: c.hidden, classes: c.classes, seed: c.seed, name: c.name });
  const plan: HwPlan = planHardware(f, { kind: 'uniform', pe: c.pe, simd: c.simd }, { inPix: c.inPix, pipeline: c.pipeline });
  const dir = path.join(work, c.name);
  const m = emitDesign(f, plan, dir, { board: true, encodeFolded: null });
  const npix = plan.input.npix;
  const frames = 6;
  const images = randomImages(100 + c.seed, npix, frames);
  const want = Array.from({ length: frames }, (_, i) => inferInt(f, images.subarray(i * npix, (i + 1) * npix)).prediction);

  it('is listed in the manifest and lint-clean on top', () => {
    expect(m.board).toEqual({
      module: `${m.top}_board`,
      file: `${m.top}_board.v`,
      ports: expect.any(Array),
      pixelBits: 8,
      classBits: Math.max(1, Math.ceil(Math.log2(c.classes))),
    });
    expect(m.files.verilog[m.files.verilog.length - 1]).toBe(m.board!.file);
    expect(m.board!.ports.reduce((n, p) => n + p.width, 0)).toBe(2 + 10 + 2 + m.board!.classBits);
    execFileSync('verilator', ['--lint-only', '-Wall', '--top-module', m.board!.module, ...m.files.verilog], { cwd: dir, stdio: 'pipe' });
  });

  it('gives inferInt\'s class of every image at the modelled cycles', () => {
    const r = simulate(dir, m, plan, images, frames, false);
    expect(r.outs.map((o) => o.cls)).toEqual(want);
    expect(r.outs[0].cycle - r.starts[0]).toBe(npix - plan.input.beats + (c.inPix > 1 ? 1 : 0) + plan.latency);
    const gaps = r.outs.slice(1).map((o, i) => o.cycle - r.outs[i].cycle);
    expect(gaps).toEqual(gaps.map(() => Math.max(plan.ii, npix)));
  });

  it('keeps every result under random gaps and back-pressure', () => {
    const r = simulate(dir, m, plan, images, frames, true);
    expect(r.outs.map((o) => o.cls)).toEqual(want);
  });

  it('starts over cleanly after a reset in the middle of an image', () => {
    // Reset while the second image's bytes are going in; then send from image 1 again.
    const resetAt = 3 + npix + Math.floor(npix / 2);
    const r = simulate(dir, m, plan, images, frames, false, resetAt, 1);
    const after = r.outs.slice(r.outsBeforeReset).map((o) => o.cls);
    expect(after).toEqual(want.slice(1));
  });
});
