/**
 * The inner loops of the batch engine (./engine.ts) as a tiny WebAssembly module,
 * encoded by hand (no toolchain). V8 compiles `i64.popcnt` to the CPU's popcount
 * instruction and the v128 operations to SSE/AVX, several times faster than the same
 * loops in JavaScript. All pointers are byte offsets into the imported memory `env.mem`.
 *
 *   xorpop(x, w, rows, words64, out)                               (binary layers)
 *     for r < rows: out[r] = sum_{k < words64} popcount(x[k] XOR w[r * words64 + k])
 *     x, w: arrays of 64-bit words; out: int32. words64 must be even and >= 2 (rows are
 *     padded to 16 bytes with zero bits, which XOR to zero and count nothing).
 *
 *   pixtab(pix, chunks, tab)                                       (pixel layers)
 *     For each chunk j of 4 pixels p_0..p_3 (bytes pix[4j..4j+3]) the 16 signed sums
 *     T_j[m] = sum_b (bit b of m ? +p_b : -p_b), |T| <= 1020, as int16 split into bytes:
 *     tab[32j + m] = low byte of T_j[m], tab[32j + 16 + m] = high byte.
 *
 *   pixrows(tab, w, groups, chunks, out)
 *     For each group of 16 rows: S_r = sum_j T_j[nibble_rj], where nibble_rj (the row's
 *     4 weight bits of chunk j) is byte (16 (g * chunks + j) + i) of w for row 16g + i.
 *     One i8x16.swizzle per byte plane looks up 16 rows at once; the int16 partial sums
 *     (at most 32 chunks * 1020 < 2^15) are widened to int32 every 32 chunks.
 *     out: 16 int32 per group, in row order.
 *
 * Binary format: https://webassembly.github.io/spec/core/binary/ (SIMD opcodes are the
 * final 0xfd-prefixed numbering of the spec).
 */

import { encodeModule as encodeWasm, I32, I64, sleb, uleb, V128, type FuncDef, type ValType } from '../util/wasm.js';

/** The instructions used, by their text-format names. */
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const i64c0 = [0x42, 0x00];
const i64Load = (offset: number): number[] => [0x29, 0x03, ...uleb(offset)];
const i32Load8U = (offset: number): number[] => [0x2d, 0x00, ...uleb(offset)];
const i32Store = [0x36, 0x02, 0x00];
const i32Add = [0x6a];
const i32Sub = [0x6b];
const i32Shl = [0x74];
const i32LtU = [0x49];
const i32Eqz = [0x45];
const i64Xor = [0x85];
const i64Add = [0x7c];
const i64Popcnt = [0x7b];
const i32WrapI64 = [0xa7];
const select = [0x1b];
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const end = [0x0b];
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const v128Load = (offset: number): number[] => simd(0x00, 0x04, ...uleb(offset));
const v128Store = (offset: number): number[] => simd(0x0b, 0x04, ...uleb(offset));
const v128Const = (bytes: number[]): number[] => simd(0x0c, ...bytes);
const i16x8Const = (lanes: number[]): number[] => v128Const(lanes.flatMap((v) => [v & 0xff, (v >> 8) & 0xff]));
const v128Zero = v128Const(new Array<number>(16).fill(0));
const i8x16Shuffle = (lanes: number[]): number[] => simd(0x0d, ...lanes);
const i8x16Swizzle = simd(0x0e);
const i16x8Splat = simd(0x10);
const i16x8Add = simd(0x8e);
const i16x8Mul = simd(0x95);
const i32x4ExtendLowI16x8S = simd(0xa7);
const i32x4ExtendHighI16x8S = simd(0xa8);
const i32x4Add = simd(0xae);

/** ptr += delta */
const bump = (local: number, delta: number): number[] => [...get(local), ...i32c(delta), ...i32Add, ...set(local)];

interface Func {
  name: string;
  params: number;
  /** [count, type] runs of locals after the i32 parameters. */
  locals: [number, number][];
  code: number[];
}

function xorpop(): Func {
  // params: 0 x, 1 w, 2 rows, 3 words64, 4 out; locals: 5 xp, 6 xend, 7 nbytes (i32), 8 acc (i64)
  const [x, w, rows, words64, out, xp, xend, nbytes, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const popAt = (offset: number): number[] => [...get(xp), ...i64Load(offset), ...get(w), ...i64Load(offset), ...i64Xor, ...i64Popcnt];
  const code = [
    ...get(words64), ...i32c(3), ...i32Shl, ...set(nbytes),
    ...block,
    ...loop,
    ...get(rows), ...i32Eqz, ...brIf(1),
    ...i64c0, ...set(acc),
    ...get(x), ...set(xp),
    ...get(x), ...get(nbytes), ...i32Add, ...set(xend),
    ...loop,
    // acc += popcount(x[k] ^ w[k]) + popcount(x[k+1] ^ w[k+1])
    ...get(acc), ...popAt(0), ...popAt(8), ...i64Add, ...i64Add, ...set(acc),
    ...bump(xp, 16),
    ...bump(w, 16),
    ...get(xp), ...get(xend), ...i32LtU, ...brIf(0),
    ...end,
    ...get(out), ...get(acc), ...i32WrapI64, ...i32Store,
    ...bump(out, 4),
    ...bump(rows, -1),
    ...br(0),
    ...end,
    ...end,
  ];
  return { name: 'xorpop', params: 5, locals: [[3, I32], [1, I64]], code };
}

/** Lanes m = 8h .. 8h + 7 of the sign of pixel b in T[m]: +1 if bit b of m is set, else -1. */
function signLanes(b: number, h: number): number[] {
  return Array.from({ length: 8 }, (_, i) => (((8 * h + i) >> b) & 1 ? 1 : -1));
}

function pixtab(): Func {
  // params: 0 pix, 1 chunks, 2 tab; locals: 3 a (T[0..7]), 4 b (T[8..15]) (v128), 5 p (v128)
  const [pix, chunks, tab, a, bv, p] = [0, 1, 2, 3, 4, 5];
  const even = Array.from({ length: 16 }, (_, i) => 2 * i);
  const odd = even.map((v) => v + 1);
  const code: number[] = [
    ...block,
    ...loop,
    ...get(chunks), ...i32Eqz, ...brIf(1),
    ...v128Zero, ...set(a),
    ...v128Zero, ...set(bv),
  ];
  for (let b = 0; b < 4; b++) {
    code.push(
      ...get(pix), ...i32Load8U(b), ...i16x8Splat, ...set(p),
      ...get(a), ...get(p), ...i16x8Const(signLanes(b, 0)), ...i16x8Mul, ...i16x8Add, ...set(a),
      ...get(bv), ...get(p), ...i16x8Const(signLanes(b, 1)), ...i16x8Mul, ...i16x8Add, ...set(bv),
    );
  }
  code.push(
    // low bytes of the 16 int16 sums, then the high bytes
    ...get(tab), ...get(a), ...get(bv), ...i8x16Shuffle(even), ...v128Store(0),
    ...get(tab), ...get(a), ...get(bv), ...i8x16Shuffle(odd), ...v128Store(16),
    ...bump(pix, 4),
    ...bump(tab, 32),
    ...bump(chunks, -1),
    ...br(0),
    ...end,
    ...end,
  );
  return { name: 'pixtab', params: 3, locals: [[3, V128]], code };
}

function pixrows(): Func {
  // params: 0 tab, 1 w, 2 groups, 3 chunks, 4 out
  // locals: 5 j, 6 jend, 7 tp (i32); 8 s0, 9 s1, 10..13 a0..a3, 14 idx, 15 lo, 16 hi (v128)
  const [tab, w, groups, chunks, out, j, jend, tp, s0, s1, a0, a1, a2, a3, idx, lo, hi] = Array.from({ length: 17 }, (_, i) => i);
  const lowRows = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
  const highRows = lowRows.map((v) => v + 8);
  const widen = (acc: number, s: number, ext: number[]): number[] => [...get(acc), ...get(s), ...ext, ...i32x4Add, ...set(acc)];
  const code = [
    ...block,
    ...loop, // groups
    ...get(groups), ...i32Eqz, ...brIf(1),
    ...v128Zero, ...set(a0), ...v128Zero, ...set(a1), ...v128Zero, ...set(a2), ...v128Zero, ...set(a3),
    ...get(tab), ...set(tp),
    ...i32c(0), ...set(j),
    ...block,
    ...loop, // blocks of up to 32 chunks
    ...get(j), ...get(chunks), ...i32LtU, ...i32Eqz, ...brIf(1),
    // jend = min(j + 32, chunks)
    ...get(j), ...i32c(32), ...i32Add, ...get(chunks),
    ...get(j), ...i32c(32), ...i32Add, ...get(chunks), ...i32LtU, ...select, ...set(jend),
    ...v128Zero, ...set(s0), ...v128Zero, ...set(s1),
    ...loop, // chunks
    ...get(w), ...v128Load(0), ...set(idx),
    ...get(tp), ...v128Load(0), ...get(idx), ...i8x16Swizzle, ...set(lo),
    ...get(tp), ...v128Load(16), ...get(idx), ...i8x16Swizzle, ...set(hi),
    ...get(s0), ...get(lo), ...get(hi), ...i8x16Shuffle(lowRows), ...i16x8Add, ...set(s0),
    ...get(s1), ...get(lo), ...get(hi), ...i8x16Shuffle(highRows), ...i16x8Add, ...set(s1),
    ...bump(w, 16),
    ...bump(tp, 32),
    ...bump(j, 1),
    ...get(j), ...get(jend), ...i32LtU, ...brIf(0),
    ...end,
    ...widen(a0, s0, i32x4ExtendLowI16x8S),
    ...widen(a1, s0, i32x4ExtendHighI16x8S),
    ...widen(a2, s1, i32x4ExtendLowI16x8S),
    ...widen(a3, s1, i32x4ExtendHighI16x8S),
    ...br(0),
    ...end,
    ...end,
    ...get(out), ...get(a0), ...v128Store(0),
    ...get(out), ...get(a1), ...v128Store(16),
    ...get(out), ...get(a2), ...v128Store(32),
    ...get(out), ...get(a3), ...v128Store(48),
    ...bump(out, 64),
    ...bump(groups, -1),
    ...br(0),
    ...end,
    ...end,
  ];
  return { name: 'pixrows', params: 5, locals: [[3, I32], [9, V128]], code };
}

/** A kernel as the shared encoder takes it: i32 parameters, local runs expanded. */
function toFuncDef(f: Func): FuncDef {
  return {
    name: f.name,
    params: new Array<ValType>(f.params).fill(I32),
    locals: f.locals.flatMap(([n, t]) => new Array<ValType>(n).fill(t as ValType)),
    body: [f.code],
  };
}

function encodeModule(): Uint8Array<ArrayBuffer> {
  return encodeWasm([xorpop(), pixtab(), pixrows()].map(toFuncDef), { shared: false });
}

let compiled: WebAssembly.Module | null = null;

export interface IntKernels {
  memory: WebAssembly.Memory;
  xorpop: (x: number, w: number, rows: number, words64: number, out: number) => void;
  pixtab: (pix: number, chunks: number, tab: number) => void;
  pixrows: (tab: number, w: number, groups: number, chunks: number, out: number) => void;
}

/** The kernels on a fresh zero-filled memory of at least `bytes` bytes. */
export function createIntKernels(bytes: number): IntKernels {
  compiled ??= new WebAssembly.Module(encodeModule());
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const e = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports;
  return {
    memory,
    xorpop: e.xorpop as IntKernels['xorpop'],
    pixtab: e.pixtab as IntKernels['pixtab'],
    pixrows: e.pixrows as IntKernels['pixrows'],
  };
}
