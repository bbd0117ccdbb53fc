/**
 * Test helpers for the cocotb bridge: vectors for the hand-written toy top level, and
 * designs made wrong on purpose from a working RTL directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../src/util/rng.js';

export const TOY_DIR = path.resolve('test/fixtures/cocotb/toy');

/** What the toy (test/fixtures/cocotb/toy/toy_top.v) computes, from toy_offsets.mem. */
export const TOY = { pixels: 10, classes: 3, offsets: [5, -16, 0] } as const;

export interface ToyRecord {
  image: number;
  pixels: Uint8Array;
  expectedClass: number;
  scores: Int32Array;
}

/** score_j = offset_j + sum over pixels i with i % C == j of (p_i - 128); class = argmax. */
export function toyRecords(n: number, seed: number): ToyRecord[] {
  const rng = new Rng(seed);
  const out: ToyRecord[] = [];
  for (let r = 0; r < n; r++) {
    const pixels = new Uint8Array(TOY.pixels);
    for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
    const scores = Int32Array.from(TOY.offsets);
    for (let i = 0; i < pixels.length; i++) scores[i % TOY.classes] += pixels[i] - 128;
    let best = 0;
    for (let j = 1; j < TOY.classes; j++) if (scores[j] > scores[best]) best = j;
    out.push({ image: 500 + 7 * r, pixels, expectedClass: best, scores });
  }
  return out;
}

/**
 * Encode records as a .bnnv file per docs/vector-format.md (no activations). Written
 * here independently of src/int/vectors.ts so the Python reader is checked against a
 * second reading of the format.
 */
export function encodeVectors(records: ToyRecord[], pixels: number, classes: number): Uint8Array {
  const padded = Math.ceil(pixels / 4) * 4;
  const recSize = 12 + 4 * classes + padded;
  const buf = new Uint8Array(28 + records.length * recSize);
  const dv = new DataView(buf.buffer);
  buf.set([0x42, 0x4e, 0x4e, 0x56], 0); // "BNNV"
  const header = [1, records.length, pixels, classes, 0, 0];
  header.forEach((v, i) => dv.setUint32(4 + 4 * i, v, true));
  records.forEach((rec, r) => {
    const off = 28 + r * recSize;
    dv.setUint32(off, rec.image, true);
    dv.setInt32(off + 4, -1, true);
    dv.setUint32(off + 8, rec.expectedClass, true);
    rec.scores.forEach((s, j) => dv.setInt32(off + 12 + 4 * j, s, true));
    buf.set(rec.pixels, off + 12 + 4 * classes);
  });
  return buf;
}

/** The manifest.json fields (src/emit/manifest.ts) a wrapper needs. */
export function manifestView(dir: string): { top: string; verilog: string[]; inPix: number; classes: number } {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  return { top: m.top, verilog: m.files.verilog, inPix: m.input.inPix, classes: m.output.classes };
}

function setVerilogFiles(dir: string, verilog: string[]): void {
  const p = path.join(dir, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(p, 'utf8'));
  m.files.verilog = verilog;
  fs.writeFileSync(p, JSON.stringify(m, null, 2));
}

/** Copy an RTL directory (flat: Verilog, .mem files, manifest.json). */
export function copyRtlDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) {
    const src = path.join(from, f);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(to, f));
  }
}

/**
 * A copy of `rtlDir` whose top level ignores m_axis_tready: the original top is renamed
 * <top>_inner and wrapped by a module that ties the inner m_axis_tready to 1, so the
 * result's tvalid drops after one cycle whether or not anyone took the beat.
 */
export function ignoreReadyCopy(rtlDir: string, outDir: string): void {
  copyRtlDir(rtlDir, outDir);
  const m = manifestView(outDir);
  const topRe = new RegExp(`\\bmodule\\s+${m.top}\\b`);
  const topFile = m.verilog.find((f) => f.endsWith('.v') && topRe.test(fs.readFileSync(path.join(outDir, f), 'utf8')));
  if (!topFile) throw new Error(`no file of ${rtlDir} declares module ${m.top}`);
  const p = path.join(outDir, topFile);
  fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(topRe, `module ${m.top}_inner`));
  const wrapper = `\`default_nettype none
// Wrong on purpose: the inner design sees m_axis_tready = 1 whatever the sink does.
module ${m.top} (
  input  wire clk,
  input  wire rst,
  input  wire [${8 * m.inPix - 1}:0] s_axis_tdata,
  input  wire s_axis_tvalid,
  output wire s_axis_tready,
  input  wire s_axis_tlast,
  output wire [${16 + 32 * m.classes - 1}:0] m_axis_tdata,
  output wire m_axis_tvalid,
  input  wire m_axis_tready,
  output wire m_axis_tlast
);
  ${m.top}_inner inner (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(1'b1),
    .m_axis_tlast(m_axis_tlast)
  );
endmodule
\`default_nettype wire
`;
  const wrapperFile = `${m.top}_ignore_ready.v`;
  fs.writeFileSync(path.join(outDir, wrapperFile), wrapper);
  setVerilogFiles(outDir, [...m.verilog, wrapperFile]);
}
