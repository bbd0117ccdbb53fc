/**
 * The ConvNet building blocks on their own, each in a small Icarus testbench against a
 * TypeScript reference, with random input gaps and random pauses on the output side:
 * - bnnc_swu: every window's words, in the folded weights' column order
 *   (j = (kh*K + kw)*C + c, SIMD elements per read, padding past MW), for K 1..5,
 *   channels not a multiple of SIMD, odd and even maps, bits and 8-bit pixels, without
 *   and with a column queue (QUEUE_W 1..3) that fills and empties under the pauses,
 *   two to four window banks;
 * - bnnc_pool: OR over S x S windows with stride S, remainders dropped, S 1..4;
 * - bnnc_flat_buffer: beats of a map flattened in (h, w, c) order, read SIMD bits a word;
 * - bnnc_fifo: beats leave in order; s_tready and m_tvalid follow the count the cycle
 *   model keeps (src/hw/timing.ts), cycle by cycle.
 * Each runs several frames back to back, so frame boundaries are crossed under stalls.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RTL_DIR } from '../src/emit/templates.js';
import { addrBits } from '../src/hw/widths.js';
import { Rng } from '../src/util/rng.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bnnc-rtl-blocks-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function hexOf(values: number[], elemBits: number): string {
  let v = 0n;
  for (let i = values.length - 1; i >= 0; i--) v = (v << BigInt(elemBits)) | BigInt(values[i]);
  return v.toString(16);
}

function runIcarus(name: string, tb: string, blocks: string[], mems: Record<string, string>): string[] {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(mems)) fs.writeFileSync(path.join(dir, f), text);
  fs.writeFileSync(path.join(dir, 'tb.v'), tb);
  const srcs = blocks.map((b) => path.join(RTL_DIR, b));
  execFileSync('iverilog', ['-g2005', '-Wall', '-o', 'tb.vvp', '-s', 'tb', 'tb.v', ...srcs], { cwd: dir, stdio: 'pipe' });
  const out = execFileSync('vvp', ['-n', 'tb.vvp'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  return out.split('\n').filter((l) => l.length > 0);
}

function lint(top: string, file: string | string[], params: Record<string, number | string>): string {
  const g = Object.entries(params).map(([k, v]) => (typeof v === 'string' ? `-G${k}="${v}"` : `-G${k}=${v}`));
  const files = (Array.isArray(file) ? file : [file]).map((f) => path.join(RTL_DIR, f));
  return execFileSync('verilator', ['--lint-only', '-Wall', ...g, '--top-module', top, ...files], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// ---------------------------------------------------------------- sliding window
interface SwuCase {
  w: number;
  h: number;
  c: number;
  k: number;
  inW: 1 | 8;
  simd: number;
  frames: number;
  seed: number;
  /** Column queue of 2**queueW columns (bnnc_swu's QUEUE_W); 0 or absent: none. */
  queueW?: number;
  /** Window banks (bnnc_swu's BANKS); absent: 2. */
  banks?: number;
}

/** The reference: per window (raster order), its MW elements in column order. */
function swuWindows(c: SwuCase, frame: Uint8Array): number[][] {
  const out: number[][] = [];
  for (let y = 0; y + c.k <= c.h; y++)
    for (let x = 0; x + c.k <= c.w; x++) {
      const win: number[] = [];
      for (let kh = 0; kh < c.k; kh++)
        for (let kw = 0; kw < c.k; kw++)
          for (let ch = 0; ch < c.c; ch++) win.push(frame[((y + kh) * c.w + (x + kw)) * c.c + ch]);
      out.push(win);
    }
  return out;
}

function swuBench(c: SwuCase): { tb: string; mem: string; expected: string[] } {
  const rng = new Rng(c.seed);
  const npx = c.w * c.h;
  const mw = c.k * c.k * c.c;
  const sf = Math.ceil(mw / c.simd);
  const maxV = c.inW === 1 ? 2 : 256;
  const beats: string[] = [];
  const expected: string[] = [];
  for (let f = 0; f < c.frames; f++) {
    const frame = new Uint8Array(npx * c.c);
    for (let i = 0; i < frame.length; i++) frame[i] = rng.int(maxV);
    for (let p = 0; p < npx; p++) beats.push(hexOf(Array.from(frame.subarray(p * c.c, (p + 1) * c.c)), c.inW));
    for (const win of swuWindows(c, frame)) {
      for (let s = 0; s < sf; s++) {
        const lanes: number[] = [];
        for (let j = 0; j < c.simd; j++) {
          const e = s * c.simd + j;
          lanes.push(e < mw ? win[e] : c.inW === 1 ? 1 : 0);
        }
        expected.push(hexOf(lanes, c.inW));
      }
    }
  }
  const total = npx * c.frames;
  const pw = c.c * c.inW;
  const rw = c.simd * c.inW;
  const aw = addrBits(sf);
  const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${pw - 1}:0] beat_mem [0:${total - 1}];
  initial $readmemh("beats.mem", beat_mem);
  integer cycle = 0;
  integer bi = 0;
  integer seed = ${c.seed};
  reg gap = 1'b0;
  reg go = 1'b0;
  reg [${aw - 1}:0] addr = 0;
  reg pend = 1'b0;
  wire s_tvalid = !rst && !gap && bi < ${total};
  wire s_tready;
  wire rd_avail;
  wire rd_en = rd_avail && go;
  wire rd_release = rd_en && addr == ${sf - 1};
  wire [${rw - 1}:0] rd_data;
  bnnc_swu #(.W(${c.w}), .H(${c.h}), .C(${c.c}), .K(${c.k}), .IN_W(${c.inW}), .SIMD(${c.simd}), .SF(${sf}),
    .COL_W(${addrBits(c.w)}), .ROW_W(${addrBits(c.h)}), .ADDR_W(${aw}), .QUEUE_W(${c.queueW ?? 0}), .BANKS(${c.banks ?? 2})) dut (
    .clk(clk), .rst(rst), .s_tdata(beat_mem[bi < ${total} ? bi : 0]), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .rd_avail(rd_avail), .rd_en(rd_en), .rd_addr(addr), .rd_release(rd_release), .rd_data(rd_data));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    gap <= ($random(seed) & 3) == 0;
    // long read pauses now and then, so that the unit must hold pixels back
    go <= (cycle % 97) < 60 ? (($random(seed) & 3) != 0) : 1'b0;
    if (pend) $display("R %h", rd_data);
    pend <= rd_en;
    if (rd_en) addr <= rd_release ? 0 : addr + 1'b1;
    if (s_tvalid && s_tready) bi <= bi + 1;
    if (cycle == ${200 + 40 * total * sf}) $finish;
  end
endmodule
`;
  return { tb, mem: beats.join('\n') + '\n', expected };
}

describe('bnnc_swu (Icarus) against the window reference', () => {
  const cases: SwuCase[] = [
    { w: 5, h: 5, c: 2, k: 3, inW: 1, simd: 4, frames: 3, seed: 1 },
    { w: 7, h: 6, c: 3, k: 3, inW: 8, simd: 5, frames: 3, seed: 2 },
    { w: 4, h: 3, c: 5, k: 1, inW: 1, simd: 3, frames: 3, seed: 3 },
    { w: 6, h: 5, c: 1, k: 2, inW: 8, simd: 1, frames: 3, seed: 4 },
    { w: 9, h: 7, c: 3, k: 4, inW: 1, simd: 7, frames: 2, seed: 5 },
    { w: 3, h: 3, c: 4, k: 3, inW: 1, simd: 36, frames: 4, seed: 6 },
    { w: 5, h: 5, c: 1, k: 5, inW: 8, simd: 10, frames: 3, seed: 7 },
    { w: 5, h: 5, c: 2, k: 3, inW: 1, simd: 4, frames: 3, seed: 8, queueW: 1 },
    { w: 7, h: 6, c: 3, k: 3, inW: 8, simd: 5, frames: 3, seed: 9, queueW: 3 },
    { w: 4, h: 3, c: 5, k: 1, inW: 1, simd: 3, frames: 3, seed: 10, queueW: 2 },
    { w: 6, h: 5, c: 1, k: 2, inW: 8, simd: 1, frames: 3, seed: 11, queueW: 2 },
    { w: 9, h: 7, c: 3, k: 4, inW: 1, simd: 7, frames: 2, seed: 12, queueW: 3 },
    { w: 6, h: 6, c: 2, k: 4, inW: 1, simd: 16, frames: 3, seed: 13, banks: 3 },
    { w: 7, h: 5, c: 3, k: 3, inW: 8, simd: 9, frames: 3, seed: 14, queueW: 2, banks: 4 },
    { w: 5, h: 5, c: 1, k: 5, inW: 8, simd: 13, frames: 3, seed: 15, queueW: 1, banks: 3 },
  ];
  {
    const rng = new Rng(77);
    const qrng = new Rng(78);
    for (let i = 0; i < 5; i++) {
      const k = 1 + rng.int(4);
      const w = k + rng.int(6);
      const h = k + rng.int(5);
      const ch = 1 + rng.int(9);
      const mw = k * k * ch;
      cases.push({ w, h, c: ch, k, inW: rng.int(2) ? 1 : 8, simd: 1 + rng.int(mw), frames: 2, seed: 100 + i, queueW: qrng.int(4) });
    }
  }
  for (const c of cases) {
    it(`W${c.w} H${c.h} C${c.c} K${c.k} ${c.inW === 1 ? 'bits' : 'pixels'} SIMD${c.simd} queue ${c.queueW ? 2 ** c.queueW : 0} banks ${c.banks ?? 2}`, () => {
      const b = swuBench(c);
      const lines = runIcarus(`swu_${c.seed}`, b.tb, ['bnnc_swu.v', 'bnnc_fifo.v'], { 'beats.mem': b.mem });
      const got = lines.filter((l) => l.startsWith('R ')).map((l) => BigInt(`0x${l.slice(2)}`).toString(16));
      expect(got).toEqual(b.expected);
      const mw = c.k * c.k * c.c;
      const sf = Math.ceil(mw / c.simd);
      expect(
        lint('bnnc_swu', ['bnnc_swu.v', 'bnnc_fifo.v'], {
          W: c.w, H: c.h, C: c.c, K: c.k, IN_W: c.inW, SIMD: c.simd, SF: sf,
          COL_W: addrBits(c.w), ROW_W: addrBits(c.h), ADDR_W: addrBits(sf), QUEUE_W: c.queueW ?? 0, BANKS: c.banks ?? 2,
        }),
      ).toBe('');
    });
  }
});

// ---------------------------------------------------------------- OR pool
interface PoolCase {
  w: number;
  h: number;
  c: number;
  s: number;
  frames: number;
  seed: number;
}

function poolBench(c: PoolCase): { tb: string; mem: string; expected: string[] } {
  const rng = new Rng(c.seed);
  const ow = Math.floor(c.w / c.s);
  const oh = Math.floor(c.h / c.s);
  const beats: string[] = [];
  const expected: string[] = [];
  for (let f = 0; f < c.frames; f++) {
    // Sparse ones, so that an OR of a window is often 0 and a wrong window shows.
    const px = Array.from({ length: c.w * c.h * c.c }, () => (rng.int(5) === 0 ? 1 : 0));
    for (let p = 0; p < c.w * c.h; p++) beats.push(hexOf(px.slice(p * c.c, (p + 1) * c.c), 1));
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const o: number[] = [];
        for (let ch = 0; ch < c.c; ch++) {
          let any = 0;
          for (let a = 0; a < c.s; a++) for (let b = 0; b < c.s; b++) any |= px[((y * c.s + a) * c.w + x * c.s + b) * c.c + ch];
          o.push(any);
        }
        expected.push(hexOf(o, 1));
      }
  }
  const total = c.w * c.h * c.frames;
  const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${c.c - 1}:0] beat_mem [0:${total - 1}];
  initial $readmemh("beats.mem", beat_mem);
  integer cycle = 0;
  integer bi = 0;
  integer seed = ${c.seed};
  reg gap = 1'b0;
  reg m_tready = 1'b0;
  wire s_tvalid = !rst && !gap && bi < ${total};
  wire s_tready;
  wire [${c.c - 1}:0] m_tdata;
  wire m_tvalid;
  bnnc_pool #(.W(${c.w}), .H(${c.h}), .C(${c.c}), .S(${c.s}), .COL_W(${addrBits(c.w)}), .ROW_W(${addrBits(c.h)}),
    .Q_W(${addrBits(ow)})) dut (
    .clk(clk), .rst(rst), .s_tdata(beat_mem[bi < ${total} ? bi : 0]), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    gap <= ($random(seed) & 3) == 0;
    m_tready <= (cycle % 53) < 30 ? (($random(seed) & 3) != 0) : 1'b0;
    if (m_tvalid && m_tready) $display("O %h", m_tdata);
    if (s_tvalid && s_tready) bi <= bi + 1;
    if (cycle == ${200 + 20 * total}) $finish;
  end
endmodule
`;
  return { tb, mem: beats.join('\n') + '\n', expected };
}

describe('bnnc_pool (Icarus) against the OR-pool reference', () => {
  const cases: PoolCase[] = [
    { w: 4, h: 4, c: 3, s: 2, frames: 3, seed: 11 },
    { w: 7, h: 5, c: 2, s: 2, frames: 3, seed: 12 },
    { w: 9, h: 8, c: 5, s: 3, frames: 3, seed: 13 },
    { w: 5, h: 6, c: 1, s: 1, frames: 2, seed: 14 },
    { w: 3, h: 3, c: 4, s: 3, frames: 4, seed: 15 },
    { w: 11, h: 9, c: 2, s: 4, frames: 2, seed: 16 },
    { w: 2, h: 3, c: 7, s: 2, frames: 3, seed: 17 },
  ];
  for (const c of cases) {
    it(`W${c.w} H${c.h} C${c.c} S${c.s}`, () => {
      const b = poolBench(c);
      const lines = runIcarus(`pool_${c.seed}`, b.tb, ['bnnc_pool.v'], { 'beats.mem': b.mem });
      const got = lines.filter((l) => l.startsWith('O ')).map((l) => BigInt(`0x${l.slice(2)}`).toString(16));
      expect(got).toEqual(b.expected);
      expect(
        lint('bnnc_pool', 'bnnc_pool.v', {
          W: c.w, H: c.h, C: c.c, S: c.s, COL_W: addrBits(c.w), ROW_W: addrBits(c.h), Q_W: addrBits(Math.floor(c.w / c.s)),
        }),
      ).toBe('');
    });
  }
});

// ---------------------------------------------------------------- flatten buffer
describe('bnnc_flat_buffer (Icarus): (h, w, c) flattening, SIMD bits a read', () => {
  const cases = [
    { beatW: 3, beats: 5, simd: 4, seed: 21 },
    { beatW: 8, beats: 4, simd: 8, seed: 22 },
    { beatW: 5, beats: 1, simd: 2, seed: 23 },
    { beatW: 1, beats: 9, simd: 9, seed: 24 },
  ];
  for (const c of cases) {
    it(`${c.beats} beats of ${c.beatW} bits, SIMD ${c.simd}`, () => {
      const rng = new Rng(c.seed);
      const frames = 4;
      const mw = c.beatW * c.beats;
      const sf = Math.ceil(mw / c.simd);
      const beats: string[] = [];
      const expected: string[] = [];
      for (let f = 0; f < frames; f++) {
        const bits = Array.from({ length: mw }, () => rng.int(2));
        for (let b = 0; b < c.beats; b++) beats.push(hexOf(bits.slice(b * c.beatW, (b + 1) * c.beatW), 1));
        for (let s = 0; s < sf; s++) {
          const lanes = Array.from({ length: c.simd }, (_, j) => (s * c.simd + j < mw ? bits[s * c.simd + j] : 1));
          expected.push(hexOf(lanes, 1));
        }
      }
      const total = c.beats * frames;
      const aw = addrBits(sf);
      const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${c.beatW - 1}:0] beat_mem [0:${total - 1}];
  initial $readmemh("beats.mem", beat_mem);
  integer cycle = 0;
  integer bi = 0;
  integer seed = ${c.seed};
  reg gap = 1'b0;
  reg go = 1'b0;
  reg [${aw - 1}:0] addr = 0;
  reg pend = 1'b0;
  wire s_tvalid = !rst && !gap && bi < ${total};
  wire s_tready;
  wire rd_avail;
  wire rd_en = rd_avail && go;
  wire rd_release = rd_en && addr == ${sf - 1};
  wire [${c.simd - 1}:0] rd_data;
  bnnc_flat_buffer #(.BEAT_W(${c.beatW}), .BEATS(${c.beats}), .BEAT_C(${addrBits(c.beats)}), .SIMD(${c.simd}), .SF(${sf}),
    .ADDR_W(${aw})) dut (
    .clk(clk), .rst(rst), .s_tdata(beat_mem[bi < ${total} ? bi : 0]), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .rd_avail(rd_avail), .rd_en(rd_en), .rd_addr(addr), .rd_release(rd_release), .rd_data(rd_data));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    gap <= ($random(seed) & 3) == 0;
    go <= (cycle % 41) < 20 ? (($random(seed) & 3) != 0) : 1'b0;
    if (pend) $display("R %h", rd_data);
    pend <= rd_en;
    if (rd_en) addr <= rd_release ? 0 : addr + 1'b1;
    if (s_tvalid && s_tready) bi <= bi + 1;
    if (cycle == ${300 + 40 * total * sf}) $finish;
  end
endmodule
`;
      const lines = runIcarus(`flat_${c.seed}`, tb, ['bnnc_flat_buffer.v'], { 'beats.mem': beats.join('\n') + '\n' });
      const got = lines.filter((l) => l.startsWith('R ')).map((l) => BigInt(`0x${l.slice(2)}`).toString(16));
      expect(got).toEqual(expected);
      expect(
        lint('bnnc_flat_buffer', 'bnnc_flat_buffer.v', {
          BEAT_W: c.beatW, BEATS: c.beats, BEAT_C: addrBits(c.beats), SIMD: c.simd, SF: sf, ADDR_W: aw,
        }),
      ).toBe('');
    });
  }
});

// ---------------------------------------------------------------- queue
describe('bnnc_fifo (Icarus): order kept, s_tready and m_tvalid as the cycle model counts', () => {
  const cases = [
    { w: 3, addrW: 1, beats: 60, seed: 31 },
    { w: 8, addrW: 2, beats: 80, seed: 32 },
    { w: 5, addrW: 4, beats: 120, seed: 33 },
  ];
  for (const c of cases) {
    it(`W${c.w} DEPTH ${1 << c.addrW}`, () => {
      const rng = new Rng(c.seed);
      const data = Array.from({ length: c.beats }, () => rng.int(1 << c.w));
      // Input offered 3 cycles in 4 and output taken 1 cycle in 2 (then the reverse), by
      // a fixed pattern the reference below replays: the queue fills, empties, and both.
      const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${c.w - 1}:0] beat_mem [0:${c.beats - 1}];
  initial $readmemh("beats.mem", beat_mem);
  integer cycle = 0;
  integer bi = 0;
  wire phase = (cycle / 40) % 2 == 1;
  wire s_tvalid = !rst && bi < ${c.beats} && (phase ? (cycle % 2 == 0) : (cycle % 4 != 3));
  wire m_tready = !rst && (phase ? (cycle % 4 != 1) : (cycle % 2 == 1));
  wire s_tready;
  wire [${c.w - 1}:0] m_tdata;
  wire m_tvalid;
  bnnc_fifo #(.W(${c.w}), .ADDR_W(${c.addrW})) dut (
    .clk(clk), .rst(rst), .s_tdata(beat_mem[bi < ${c.beats} ? bi : 0]), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .m_tdata(m_tdata), .m_tvalid(m_tvalid), .m_tready(m_tready));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    if (!rst) $display("C %0d %0d %0d", cycle, s_tready, m_tvalid);
    if (m_tvalid && m_tready) $display("O %h", m_tdata);
    if (s_tvalid && s_tready) bi <= bi + 1;
    if (cycle == ${100 + 6 * c.beats}) $finish;
  end
endmodule
`;
      const lines = runIcarus(`fifo_${c.seed}`, tb, ['bnnc_fifo.v'], { 'beats.mem': data.map((d) => d.toString(16)).join('\n') + '\n' });
      const got = lines.filter((l) => l.startsWith('O ')).map((l) => parseInt(l.slice(2), 16));
      expect(got).toEqual(data);
      // The reference: count += in - out each edge; ready = count < DEPTH, valid = count > 0.
      const depth = 1 << c.addrW;
      let count = 0;
      let sent = 0;
      for (const l of lines.filter((x) => x.startsWith('C '))) {
        const [cycle, ready, valid] = l.slice(2).split(' ').map(Number);
        expect([ready, valid], `cycle ${cycle}`).toEqual([count < depth ? 1 : 0, count > 0 ? 1 : 0]);
        const phase = Math.floor(cycle / 40) % 2 === 1;
        const sv = sent < c.beats && (phase ? cycle % 2 === 0 : cycle % 4 !== 3);
        const mr = phase ? cycle % 4 !== 1 : cycle % 2 === 1;
        const inFire = sv && count < depth;
        const outFire = mr && count > 0;
        count += (inFire ? 1 : 0) - (outFire ? 1 : 0);
        if (inFire) sent++;
      }
      expect(lint('bnnc_fifo', 'bnnc_fifo.v', { W: c.w, ADDR_W: c.addrW })).toBe('');
    });
  }
});

// ---------------------------------------------------------------- vector buffer
describe('bnnc_vec_buffer (Icarus): SIMD bits a read, padding 1, one and two read steps', () => {
  // The MVTU at --pipeline 2 registers the word it reads once more (its PEs' x register,
  // enabled by its pipeline enable); RD_REG = 1 moves that register into the buffer's
  // read multiplexer. The testbench adds that register for RD_REG = 0, so both must give
  // the same words at the same enabled edges, under random read gaps and stalls.
  const cases = [
    { mw: 64, simd: 1, nf: 2, seed: 31 },
    { mw: 64, simd: 2, nf: 1, seed: 32 },
    { mw: 13, simd: 4, nf: 3, seed: 33 },
    { mw: 5, simd: 3, nf: 2, seed: 34 },
    { mw: 9, simd: 9, nf: 2, seed: 35 },
  ];
  for (const c of cases) {
    for (const rdReg of [0, 1]) {
      it(`MW ${c.mw}, SIMD ${c.simd}, ${c.nf} passes, RD_REG ${rdReg}`, () => {
        const rng = new Rng(c.seed);
        const frames = 4;
        const sf = Math.ceil(c.mw / c.simd);
        const vecs: string[] = [];
        const expected: string[] = [];
        for (let f = 0; f < frames; f++) {
          const bits = Array.from({ length: c.mw }, () => rng.int(2));
          vecs.push(hexOf(bits, 1));
          for (let n = 0; n < c.nf; n++) {
            for (let s = 0; s < sf; s++) {
              const lanes = Array.from({ length: c.simd }, (_, j) => (s * c.simd + j < c.mw ? bits[s * c.simd + j] : 1));
              expected.push(hexOf(lanes, 1));
            }
          }
        }
        const aw = addrBits(sf);
        const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [${c.mw - 1}:0] vec_mem [0:${frames - 1}];
  initial $readmemh("vecs.mem", vec_mem);
  integer cycle = 0;
  integer vi = 0;
  integer seed = ${c.seed};
  reg gap = 1'b0;
  reg go = 1'b0;
  reg adv = 1'b0;
  reg [${aw - 1}:0] addr = 0;
  integer pass = 0;
  reg p1 = 1'b0;
  reg show = 1'b0;
  wire s_tvalid = !rst && !gap && vi < ${frames};
  wire s_tready;
  wire rd_avail;
  wire rd_en = rd_avail && go && adv;
  wire rd_release = rd_en && addr == ${sf - 1} && pass == ${c.nf - 1};
  wire [${c.simd - 1}:0] rd_data;
  reg  [${c.simd - 1}:0] x_reg;
  wire [${c.simd - 1}:0] q = ${rdReg ? 'rd_data' : 'x_reg'};
  bnnc_vec_buffer #(.MW(${c.mw}), .SIMD(${c.simd}), .SF(${sf}), .ADDR_W(${aw}), .RD_REG(${rdReg})) dut (
    .clk(clk), .rst(rst), .s_tdata(vec_mem[vi < ${frames} ? vi : 0]), .s_tvalid(s_tvalid), .s_tready(s_tready),
    .rd_avail(rd_avail), .rd_en(rd_en), .rd_addr(addr), .rd_release(rd_release), .rd_adv(adv), .rd_data(rd_data));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (cycle == 2) rst <= 1'b0;
    gap <= ($random(seed) & 3) == 0;
    go <= ($random(seed) & 3) != 0;
    adv <= ($random(seed) & 3) != 0;
    if (show) $display("R %h", q);
    if (adv) begin
      x_reg <= rd_data;
      p1 <= rd_en;
      show <= p1;
    end else begin
      show <= 1'b0;
    end
    if (rd_en) begin
      addr <= addr == ${sf - 1} ? 0 : addr + 1'b1;
      if (addr == ${sf - 1}) pass <= rd_release ? 0 : pass + 1;
    end
    if (s_tvalid && s_tready) vi <= vi + 1;
    if (cycle == ${300 + 20 * frames * sf * c.nf}) $finish;
  end
endmodule
`;
        const lines = runIcarus(`vec_${c.seed}_${rdReg}`, tb, ['bnnc_vec_buffer.v'], { 'vecs.mem': vecs.join('\n') + '\n' });
        const got = lines.filter((l) => l.startsWith('R ')).map((l) => BigInt(`0x${l.slice(2)}`).toString(16));
        expect(got).toEqual(expected);
        expect(lint('bnnc_vec_buffer', 'bnnc_vec_buffer.v', { MW: c.mw, SIMD: c.simd, SF: sf, ADDR_W: aw, RD_REG: rdReg })).toBe('');
      });
    }
  }
});

// ---------------------------------------------------------------- ROM read in two steps
describe('bnnc_rom_2step (Icarus): the word of the last en edge at each adv edge, as bnnc_rom and a register behind it', () => {
  // At --pipeline 3 the PEs' weight register moves into a logic ROM's read multiplexer
  // (bnnc_mvtu W_FED). Under random en, adv and addresses, q must be, after every edge,
  // what a register enabled by adv behind bnnc_rom holds: the TypeScript reference below
  // and bnnc_rom itself (beside it in the testbench) both say so. The cases cover the
  // first step taking 0, 1 and several address bits, a last group the ROM only partly
  // fills, and groups the high address bits can name that the ROM does not fill (640
  // words: 10 groups of 64 of the 16 that 4 bits name).
  const cases = [
    { width: 1, depth: 640, addrW: 10, seed: 41 },
    { width: 4, depth: 9, addrW: 4, seed: 42 },
    { width: 3, depth: 2, addrW: 1, seed: 43 },
    { width: 2, depth: 3, addrW: 2, seed: 44 },
    { width: 8, depth: 100, addrW: 7, seed: 45 },
    { width: 5, depth: 16, addrW: 4, seed: 46 },
  ];
  for (const c of cases) {
    it(`WIDTH ${c.width}, DEPTH ${c.depth}, ADDR_W ${c.addrW}`, () => {
      const rng = new Rng(c.seed);
      const words = Array.from({ length: c.depth }, () => rng.int(2 ** c.width));
      const n = 400 + 2 * c.depth;
      // stimulus word: {en, adv, addr}; addresses run through the ROM in order half the time
      const stim: { en: number; adv: number; addr: number }[] = [];
      for (let i = 0; i < n; i++) stim.push({ en: rng.int(4) === 0 ? 0 : 1, adv: rng.int(4) === 0 ? 0 : 1, addr: i % 2 === 0 ? rng.int(c.depth) : i % c.depth });
      const stimHex = stim.map((s) => ((((s.en << 1) | s.adv) * 2 ** c.addrW) + s.addr).toString(16)).join('\n') + '\n';
      // the reference: after edge i, q = (adv_i ? word of the last en edge before i : q)
      const expected: string[] = [];
      let last: number | null = null;
      let q: number | null = null;
      for (const s of stim) {
        if (s.adv) q = last;
        if (s.en) last = words[s.addr];
        expected.push(q === null ? 'x' : q.toString(16));
      }
      const sw = c.addrW + 2;
      const tb = `\`timescale 1ns/1ps
\`default_nettype none
module tb;
  reg clk = 1'b0;
  reg [${sw - 1}:0] stim [0:${n - 1}];
  initial $readmemh("stim.mem", stim);
  integer i = 0;
  wire [${sw - 1}:0] s = stim[i];
  wire en = s[${sw - 1}];
  wire adv = s[${sw - 2}];
  wire [${c.addrW - 1}:0] addr = s[${c.addrW - 1}:0];
  wire [${c.width - 1}:0] q, q1;
  reg  [${c.width - 1}:0] q1_reg;
  bnnc_rom_2step #(.WIDTH(${c.width}), .DEPTH(${c.depth}), .ADDR_W(${c.addrW}), .FILE("rom.mem")) dut (
    .clk(clk), .en(en), .addr(addr), .adv(adv), .q(q));
  bnnc_rom #(.WIDTH(${c.width}), .DEPTH(${c.depth}), .ADDR_W(${c.addrW}), .FILE("rom.mem"), .STYLE("logic")) ref1 (
    .clk(clk), .en(en), .addr(addr), .q(q1));
  always #5 clk = ~clk;
  always @(posedge clk) begin
    if (adv) q1_reg <= q1;
    i <= i + 1;
  end
  always @(negedge clk) begin
    if (i >= 1) $display("Q %h %h", q, q1_reg);
    if (i == ${n}) $finish;
  end
endmodule
`;
      const lines = runIcarus(`rom2_${c.seed}`, tb, ['bnnc_rom.v', 'bnnc_rom_2step.v'], {
        'stim.mem': stimHex,
        'rom.mem': words.map((w) => w.toString(16)).join('\n') + '\n',
      });
      const got = lines.filter((l) => l.startsWith('Q ')).map((l) => l.slice(2).split(' '));
      expect(got.length).toBe(n);
      const norm = (h: string): string => (/x/i.test(h) ? 'x' : BigInt(`0x${h}`).toString(16));
      expect(got.map((g) => norm(g[0]))).toEqual(expected);
      expect(got.map((g) => norm(g[1]))).toEqual(expected);
      expect(expected.filter((e) => e !== 'x').length).toBeGreaterThan(n / 2);
      expect(lint('bnnc_rom_2step', 'bnnc_rom_2step.v', { WIDTH: c.width, DEPTH: c.depth, ADDR_W: c.addrW, FILE: 'rom.mem' })).toBe('');
    });
  }
});
