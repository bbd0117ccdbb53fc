/**
 * The trainer's numeric kernels, written as WebAssembly SIMD (f32x4) and run on one
 * shared memory so that worker threads can split the work (src/nn/pool.ts).
 *
 * Every kernel computes each output element with a fixed sequence of float32
 * operations that depends only on its inputs, never on how the work is split between
 * threads or on the loop order: sparse products add val * M into the output entry by
 * entry in list order, and every dot product is the same 4-accumulator sum. That is
 * what makes training byte-for-byte reproducible with any thread count. All pointers
 * are byte offsets into the memory; every row width is a multiple of 4 floats and
 * every row starts 16-byte aligned.
 *
 *   gather(out, rowPtr, idx, val, nRows, M, width)
 *     for k < nRows: out[k,:] += sum over e in [rowPtr[k], rowPtr[k+1]) of val[e] * M[idx[e],:]
 *     (sparse rows times a small or cache-resident M: convolution windows times
 *     weights, and weight gradients = input columns times output gradients)
 *   scatter(out, colPtr, idx, val, nCols, M, width, o0, o1)
 *     for j < nCols, e in [colPtr[j], colPtr[j+1]): out[idx[e], o0:o1] += val[e] * M[j, o0:o1]
 *     (the same product from the other side, M read once: dense forward with a large
 *     weight matrix; columns o0..o1 only, so threads can split the outputs)
 *   dotsCols(out, colPtr, idx, nCols, A, B, width, outStride)
 *     for j < nCols, e in col j: out[idx[e]*outStride + j] = dot(A[idx[e],:], B[j,:])
 *     (input gradients of a dense layer where a later mask lets them through)
 *   dotsRows(out, A, nA, B, nB, width, outStride)   [A rows outer]
 *   dotsByB(out, A, nA, B, nB, width, outStride)    [B rows outer]
 *     out[a*outStride + b] = dot(A[a,:], B[b,:])
 *   binDense(out, X, n, W, nW, rowBytes, outStride, bits)
 *     out[r*outStride + o] = bits - 2 * popcount(X[r] xor W[o]) for r < n, o < nW
 *     (the product of +-1 vectors packed one bit per value, 1 = negative, rows of
 *     rowBytes, a multiple of 16, zero past `bits`: a binary layer's forward when its
 *     input is all +-1. Integers, so exactly what the float kernels give.)
 *   signedSums(T, G, nb, width)
 *     T[b*16 + c][:] = ((s0 G[4b] + s1 G[4b+1]) + s2 G[4b+2]) + s3 G[4b+3], s_i = -1 where
 *     bit i of c is set, else +1, for blocks b < nb (rows of width floats)
 *   signSumsDW(out, T, idx, nb, b0, b1, rows, width, o0, o1, accumulate)
 *     out[j, o0:o1] = (accumulate ? out[j, o0:o1] : 0) + sum over b0 <= b < b1, in order,
 *     of T[b*16 + idx[j*nb + b], o0:o1]  (callers split b into chunks whose part of the
 *     table stays in cache; the sums are the same as in one call)
 *     (the weight gradient of a binary layer with +-1 inputs, X^T G: with idx the 4 sign
 *     bits of x[4b..4b+3][j], each block of 4 examples costs one add instead of four
 *     multiply-adds -- the "four Russians" table of signed sums)
 *   blockNibbles(idx, X, nb, rowBytes, j0, j1)
 *     idx[j*nb + b] (a byte) = bit i set where bit j of row 4b + i of X is set (value
 *     -1), for b < nb, j0 <= j < j1 (X: packed +-1 rows of rowBytes bytes, as binDense's)
 *     (the sign bits of 4 convolution windows per input j, for signSumsDW: the windows
 *     are the "examples" of a convolution's weight gradient)
 *   addWindows(dx, P, nPad, nImg, oh, ow, inSize, rowStride, C, jList, offs, nj)
 *     for e < nj, j = jList[e], windows m = (b, oy, ox) in order (b < nImg, oy < oh,
 *     ox < ow): dx[b*inSize + oy*rowStride + ox*C + offs[j]] += P[j*nPad + m]
 *     (col2im: window gradients, one row per window column j, added back onto the
 *     input; each dx value gets its terms in jList order)
 *   signForward(y, pass, x, n)
 *     y[i] = x[i] >= 0 ? 1 : -1, pass[i] (a byte) = -1 <= x[i] <= 1 ? 1 : 0, for i < n
 *     rounded up to a multiple of 16 (the sign activation and its straight-through mask;
 *     compare-and-select, no branches to mispredict on random signs)
 *   bnSum(acc, x, rows, F, f0, f1, mean)      acc[f] += x[r*F + f]
 *   bnSumSquares(acc, x, rows, F, f0, f1, mean) acc[f] += (x[r*F + f] - mean[f])^2
 *     for f0 <= f < f1, rows r in order; acc and mean float64, x float32, F, f0, f1
 *     multiples of 4 (batch-norm statistics: the float64 operations, in the order, of
 *     the JavaScript loops they replace, so the same bits)
 *   bnApply(y, xhat, x, rows, F, mean, inv, g, b)
 *     h = (x[r*F + f] - mean[f]) * inv[f] (float64); xhat = f32(h); y = f32(g[f] * h + b[f])
 *     (batch norm in training, as BatchNormLayer computes it in JavaScript)
 *   bnBackSums(acc, dy, xhat, rows, F, f0, f1)
 *     acc[f] += dy[r*F + f]; acc[F + f] += dy[r*F + f] * xhat[r*F + f] (float64)
 *   bnBackApply(dx, dy, xhat, rows, F, m1, m2, k)
 *     dx = f32(k[f] * ((dy - m1[f]) - xhat * m2[f])) (float64)
 *     (batch norm's backward, as BatchNormLayer computes it in JavaScript)
 *   signNibbles(out, latent, nVec)
 *     out[k] (a byte) = bit i set where latent[4k + i] < 0, for k < nVec (the sign bits of
 *     each 4 weights of a row, indices into a signedSums table)
 *   signs(bin, latent, rows, width, colSum)
 *     bin = latent >= 0 ? 1 : -1 (rows of width floats); colSum[q] += bin[j][q] over rows j
 *     (refreshing a binary layer's weights after each step; integers, exact)
 *   packSigns(bits, latent, rows, width, cols, words)
 *     bit (j & 31) of bits[o*words + (j >> 5)] = latent[j*width + o] < 0, for o < cols
 *     (a multiple of 4), j < rows
 *     (the weights packed by neuron for binDense; bits past `rows` are 0)
 *   adam(w, g, m, v, n, step, b1, c1, b2, c2, eps, lo, hi)
 *     m = b1*m + c1*g; v = b2*v + c2*g*g; w = clamp(w - step*m/(sqrt(v)+eps), lo, hi)
 *
 * Products keep 32-float tiles of the output (or of M) in registers, and loop over the
 * large operand in the outer loop so that it is streamed from memory once.
 */
import { encodeModule, F32, I32, op, V128, type Code, type FuncDef, type ValType } from '../../util/wasm.js';

/** 64 KiB pages; 65536 pages = 4 GiB, the wasm32 limit. */
export const WASM_PAGE = 65536;
export const MAX_PAGES = 65536;

/** Vectors (of 4 floats) per register tile. */
const TILE = 8;
const TILE_BYTES = TILE * 16;
/** Floats per register tile: threads split scatter outputs on these boundaries. */
export const TILE_FLOATS = TILE * 4;

/** Names locals so kernel bodies read like code, not like index arithmetic. */
class Locals {
  private readonly types: ValType[] = [];
  constructor(private readonly nParams: number) {}
  add(t: ValType): number {
    this.types.push(t);
    return this.nParams + this.types.length - 1;
  }
  many(t: ValType, n: number): number[] {
    return Array.from({ length: n }, () => this.add(t));
  }
  list(): ValType[] {
    return this.types;
  }
}

const { get, set, i32 } = op;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** `while (cond) { body }` where cond leaves an i32 on the stack. */
function whileLoop(cond: Code[], body: Code[]): Code[] {
  return [op.block, op.loop, ...cond, op.i32Eqz, op.brIf(1), ...body, op.br(0), op.end, op.end];
}

/** ptr += delta (a constant) */
function bump(ptr: number, delta: number): Code[] {
  return [get(ptr), i32(delta), op.i32Add, set(ptr)];
}

/** x += y (a local) */
function addTo(x: number, y: number): Code[] {
  return [get(x), get(y), op.i32Add, set(x)];
}

/** Convert a float count in a parameter to bytes, in place. */
function toBytes(local: number): Code[] {
  return [get(local), i32(2), op.i32Shl, set(local)];
}

/** a + k <= b (unsigned), leaving an i32. */
function fits(a: number, k: number, b: number): Code[] {
  return [get(a), i32(k), op.i32Add, get(b), op.i32LeU];
}

/** Load the 4-byte element `index` of the array at `base`: base[index]. */
function loadAt(base: number, index: number, load: Code): Code[] {
  return [get(base), get(index), i32(2), op.i32Shl, op.i32Add, load];
}

function gather(): FuncDef {
  const [out, rowPtr, idx, val, nRows, M, width] = range(7);
  const L = new Locals(7);
  const [e0, e1, e, t, m] = L.many(I32, 5);
  const v = L.add(V128);
  const acc = L.many(V128, TILE);
  /** acc[0..n) += M[idx[e]] (at tile t) * val[e], for e in [e0, e1). */
  const entries = (n: number): Code[] => [
    get(e0), set(e),
    ...whileLoop(
      [get(e), get(e1), op.i32LtU],
      [
        get(M), ...loadAt(idx, e, op.i32Load(0)), get(width), op.i32Mul, op.i32Add, get(t), op.i32Add, set(m),
        ...loadAt(val, e, op.f32Load(0)), op.f32x4Splat, set(v),
        ...range(n).flatMap((q) => [get(acc[q]), get(m), op.v128Load(16 * q), get(v), op.f32x4Mul, op.f32x4Add, set(acc[q])]),
        ...bump(e, 1),
      ],
    ),
  ];
  /** Load n accumulators from out (at tile t), run the entries, store them back. */
  const tile = (n: number): Code[] => [
    ...range(n).flatMap((q) => [get(out), get(t), op.i32Add, op.v128Load(16 * q), set(acc[q])]),
    ...entries(n),
    ...range(n).flatMap((q) => [get(out), get(t), op.i32Add, get(acc[q]), op.v128Store(16 * q)]),
  ];
  return {
    name: 'gather',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      ...whileLoop(
        [get(nRows)],
        [
          get(rowPtr), op.i32Load(0), set(e0),
          get(rowPtr), op.i32Load(4), set(e1),
          i32(0), set(t),
          ...whileLoop(fits(t, TILE_BYTES, width), [...tile(TILE), ...bump(t, TILE_BYTES)]),
          ...whileLoop([get(t), get(width), op.i32LtU], [...tile(1), ...bump(t, 16)]),
          ...addTo(out, width),
          ...bump(rowPtr, 4),
          get(nRows), i32(1), op.i32Sub, set(nRows),
        ],
      ),
    ],
  };
}

function scatter(): FuncDef {
  const [out, colPtr, idx, val, nCols, M, width, o0, o1] = range(9);
  const L = new Locals(9);
  const [t, cp, j, mRow, e, e1, p] = L.many(I32, 7);
  const v = L.add(V128);
  const mv = L.many(V128, TILE);
  /** For every column j: keep M[j] (at tile t) in registers and add it into each listed output row. */
  const columns = (n: number): Code[] => [
    get(colPtr), set(cp),
    get(M), get(t), op.i32Add, set(mRow),
    get(nCols), set(j),
    ...whileLoop(
      [get(j)],
      [
        ...range(n).flatMap((q) => [get(mRow), op.v128Load(16 * q), set(mv[q])]),
        get(cp), op.i32Load(0), set(e),
        get(cp), op.i32Load(4), set(e1),
        ...whileLoop(
          [get(e), get(e1), op.i32LtU],
          [
            get(out), ...loadAt(idx, e, op.i32Load(0)), get(width), op.i32Mul, op.i32Add, get(t), op.i32Add, set(p),
            ...loadAt(val, e, op.f32Load(0)), op.f32x4Splat, set(v),
            // out += M * val: the same operands and order as gather, so the same bits.
            ...range(n).flatMap((q) => [get(p), get(p), op.v128Load(16 * q), get(mv[q]), get(v), op.f32x4Mul, op.f32x4Add, op.v128Store(16 * q)]),
            ...bump(e, 1),
          ],
        ),
        ...bump(cp, 4),
        ...addTo(mRow, width),
        get(j), i32(1), op.i32Sub, set(j),
      ],
    ),
  ];
  return {
    name: 'scatter',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      ...toBytes(o0),
      ...toBytes(o1),
      get(o0), set(t),
      ...whileLoop(fits(t, TILE_BYTES, o1), [...columns(TILE), ...bump(t, TILE_BYTES)]),
      ...whileLoop([get(t), get(o1), op.i32LtU], [...columns(1), ...bump(t, 16)]),
    ],
  };
}

/**
 * Pushes dot(row at a, row at b) over the bytes up to aEnd; clobbers a and b. Four
 * accumulators over 16-float blocks, the rest into the first, then a fixed reduction.
 */
function dot(a: number, b: number, aEnd: number, acc: number[]): Code[] {
  const step = (q: number, offset: number): Code[] => [
    get(acc[q]), get(a), op.v128Load(offset), get(b), op.v128Load(offset), op.f32x4Mul, op.f32x4Add, set(acc[q]),
  ];
  return [
    ...acc.flatMap((x) => [op.v128Zero, set(x)]),
    ...whileLoop(fits(a, 64, aEnd), [...range(4).flatMap((q) => step(q, 16 * q)), ...bump(a, 64), ...bump(b, 64)]),
    ...whileLoop([get(a), get(aEnd), op.i32LtU], [...step(0, 0), ...bump(a, 16), ...bump(b, 16)]),
    get(acc[0]), get(acc[1]), op.f32x4Add, get(acc[2]), get(acc[3]), op.f32x4Add, op.f32x4Add, set(acc[0]),
    get(acc[0]), op.f32x4ExtractLane(0), get(acc[0]), op.f32x4ExtractLane(1), op.f32Add,
    get(acc[0]), op.f32x4ExtractLane(2), get(acc[0]), op.f32x4ExtractLane(3), op.f32Add,
    op.f32Add,
  ];
}

function dotsCols(): FuncDef {
  const [out, colPtr, idx, nCols, A, B, width, outStride] = range(8);
  const L = new Locals(8);
  const [j, e, e1, r, a, b, aEnd] = L.many(I32, 7);
  const acc = L.many(V128, 4);
  return {
    name: 'dotsCols',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      ...toBytes(outStride),
      i32(0), set(j),
      ...whileLoop(
        [get(j), get(nCols), op.i32LtU],
        [
          get(colPtr), op.i32Load(0), set(e),
          get(colPtr), op.i32Load(4), set(e1),
          ...whileLoop(
            [get(e), get(e1), op.i32LtU],
            [
              ...loadAt(idx, e, op.i32Load(0)), set(r),
              get(A), get(r), get(width), op.i32Mul, op.i32Add, set(a),
              get(a), get(width), op.i32Add, set(aEnd),
              get(B), get(j), get(width), op.i32Mul, op.i32Add, set(b),
              // &out[r * outStride + j]
              get(out), get(r), get(outStride), op.i32Mul, op.i32Add, get(j), i32(2), op.i32Shl, op.i32Add,
              ...dot(a, b, aEnd, acc),
              op.f32Store(0),
              ...bump(e, 1),
            ],
          ),
          ...bump(colPtr, 4),
          ...bump(j, 1),
        ],
      ),
    ],
  };
}

/** out[a*outStride + b] = dot(A[a], B[b]) with the A loop (or the B loop) outside. */
function dots(name: string, aOuter: boolean): FuncDef {
  const [out, A, nA, B, nB, width, outStride] = range(7);
  const L = new Locals(7);
  const [ai, bi, a, b, aEnd] = L.many(I32, 5);
  const acc = L.many(V128, 4);
  const inner = (outerIdx: number, innerIdx: number, innerCount: number): Code[] => [
    i32(0), set(innerIdx),
    ...whileLoop(
      [get(innerIdx), get(innerCount), op.i32LtU],
      [
        get(A), get(ai), get(width), op.i32Mul, op.i32Add, set(a),
        get(a), get(width), op.i32Add, set(aEnd),
        get(B), get(bi), get(width), op.i32Mul, op.i32Add, set(b),
        get(out), get(ai), get(outStride), op.i32Mul, op.i32Add, get(bi), i32(2), op.i32Shl, op.i32Add,
        ...dot(a, b, aEnd, acc),
        op.f32Store(0),
        ...bump(innerIdx, 1),
      ],
    ),
    ...bump(outerIdx, 1),
  ];
  const [outer, innerI, outerN, innerN] = aOuter ? [ai, bi, nA, nB] : [bi, ai, nB, nA];
  return {
    name,
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      ...toBytes(outStride),
      i32(0), set(outer),
      ...whileLoop([get(outer), get(outerN), op.i32LtU], inner(outer, innerI, innerN)),
    ],
  };
}

function binDense(): FuncDef {
  const [out, X, n, W, nW, rowBytes, outStride, bits] = range(8);
  const L = new Locals(8);
  const [o, r, x, w, xEnd, wRow, outRow] = L.many(I32, 7);
  const acc = L.add(V128);
  const sums = L.add(V128);
  return {
    name: 'binDense',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(outStride),
      get(W), set(wRow),
      i32(0), set(o),
      ...whileLoop(
        [get(o), get(nW), op.i32LtU],
        [
          get(out), get(o), i32(2), op.i32Shl, op.i32Add, set(outRow),
          i32(0), set(r),
          ...whileLoop(
            [get(r), get(n), op.i32LtU],
            [
              get(X), get(r), get(rowBytes), op.i32Mul, op.i32Add, set(x),
              get(x), get(rowBytes), op.i32Add, set(xEnd),
              get(wRow), set(w),
              op.v128Zero, set(acc),
              // 16-bit lanes gain at most 16 per block: no overflow below 2^19 bits.
              ...whileLoop(
                [get(x), get(xEnd), op.i32LtU],
                [
                  get(acc),
                  get(x), op.v128Load(0), get(w), op.v128Load(0), op.v128Xor, op.i8x16Popcnt,
                  op.i16x8ExtaddPairwiseI8x16U, op.i16x8Add, set(acc),
                  ...bump(x, 16), ...bump(w, 16),
                ],
              ),
              get(acc), op.i32x4ExtaddPairwiseI16x8U, set(sums),
              // out = bits - 2 * popcount
              get(outRow),
              get(bits),
              get(sums), op.i32x4ExtractLane(0), get(sums), op.i32x4ExtractLane(1), op.i32Add,
              get(sums), op.i32x4ExtractLane(2), op.i32Add, get(sums), op.i32x4ExtractLane(3), op.i32Add,
              i32(1), op.i32Shl, op.i32Sub,
              op.f32ConvertI32S,
              op.f32Store(0),
              ...addTo(outRow, outStride),
              ...bump(r, 1),
            ],
          ),
          ...addTo(wRow, rowBytes),
          ...bump(o, 1),
        ],
      ),
    ],
  };
}

function signedSums(): FuncDef {
  const [T, G, nb, width] = range(4);
  const L = new Locals(4);
  const [q, t, rowBytes] = L.many(I32, 3);
  const g = L.many(V128, 4);
  const v = L.add(V128);
  /** v = ((s0 g0 + s1 g1) + s2 g2) + s3 g3 for the signs of combination c, stored at T row c. */
  const combo = (c: number): Code[] => [
    get(g[0]), ...(c & 1 ? [op.f32x4Neg] : []),
    ...[1, 2, 3].flatMap((i) => [get(g[i]), (c >> i) & 1 ? op.f32x4Sub : op.f32x4Add]),
    set(v),
    get(t), i32(c), get(rowBytes), op.i32Mul, op.i32Add, get(q), op.i32Add, get(v), op.v128Store(0),
  ];
  return {
    name: 'signedSums',
    params: [I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      get(width), set(rowBytes),
      get(T), set(t),
      ...whileLoop(
        [get(nb)],
        [
          i32(0), set(q),
          ...whileLoop(
            [get(q), get(width), op.i32LtU],
            [
              ...range(4).flatMap((i) => [get(G), get(q), op.i32Add, get(rowBytes), i32(i), op.i32Mul, op.i32Add, op.v128Load(0), set(g[i])]),
              ...range(16).flatMap(combo),
              ...bump(q, 16),
            ],
          ),
          get(t), get(rowBytes), i32(4), op.i32Shl, op.i32Add, set(t),
          get(G), get(rowBytes), i32(2), op.i32Shl, op.i32Add, set(G),
          get(nb), i32(1), op.i32Sub, set(nb),
        ],
      ),
    ],
  };
}

function signSumsDW(): FuncDef {
  const [out, T, idx, nb, b0, b1, rows, width, o0, o1, accumulate] = range(11);
  const L = new Locals(11);
  const [t, j, b, ip, p, rowBytes, blockBytes, outRow, k] = L.many(I32, 9);
  const acc = L.many(V128, TILE);
  const jLoop = (n: number): Code[] => [
    i32(0), set(j),
    get(out), get(t), op.i32Add, set(outRow),
    ...whileLoop(
      [get(j), get(rows), op.i32LtU],
      [
        // Blocks before b0 were summed by an earlier call: go on from its result.
        ...range(n).flatMap((q) => [get(accumulate), op.if(V128), get(outRow), op.v128Load(16 * q), op.else, op.v128Zero, op.end, set(acc[q])]),
        get(T), get(t), op.i32Add, get(b0), get(blockBytes), op.i32Mul, op.i32Add, set(p),
        get(idx), get(j), get(nb), op.i32Mul, op.i32Add, get(b0), op.i32Add, set(ip),
        get(b0), set(b),
        ...whileLoop(
          [get(b), get(b1), op.i32LtU],
          [
            // row b*16 + idx of the table, at tile t
            get(p), get(ip), op.i32Load8U(0), get(rowBytes), op.i32Mul, op.i32Add, set(k),
            ...range(n).flatMap((q) => [get(acc[q]), get(k), op.v128Load(16 * q), op.f32x4Add, set(acc[q])]),
            ...addTo(p, blockBytes),
            ...bump(ip, 1),
            ...bump(b, 1),
          ],
        ),
        ...range(n).flatMap((q) => [get(outRow), get(acc[q]), op.v128Store(16 * q)]),
        ...addTo(outRow, rowBytes),
        ...bump(j, 1),
      ],
    ),
  ];
  return {
    name: 'signSumsDW',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width), ...toBytes(o0), ...toBytes(o1),
      get(width), set(rowBytes),
      get(rowBytes), i32(4), op.i32Shl, set(blockBytes),
      get(o0), set(t),
      ...whileLoop(fits(t, TILE_BYTES, o1), [...jLoop(TILE), ...bump(t, TILE_BYTES)]),
      ...whileLoop([get(t), get(o1), op.i32LtU], [...jLoop(1), ...bump(t, 16)]),
    ],
  };
}

function blockNibbles(): FuncDef {
  const [idx, X, nb, rowBytes, j0, j1] = range(6);
  const L = new Locals(6);
  const [b, j, jEnd, p, row, w] = L.many(I32, 6);
  const v = L.add(V128);
  return {
    name: 'blockNibbles',
    params: [I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      i32(0), set(b),
      get(X), set(row),
      ...whileLoop(
        [get(b), get(nb), op.i32LtU],
        [
          get(j0), set(j),
          ...whileLoop(
            [get(j), get(j1), op.i32LtU],
            [
              // v = word j/32 of the 4 rows
              get(row), get(j), i32(5), op.i32ShrU, i32(2), op.i32Shl, op.i32Add, set(w),
              op.v128Zero,
              ...range(4).flatMap((i) => [get(w), ...(i ? [get(rowBytes), i32(i), op.i32Mul, op.i32Add] : []), op.i32Load(0), op.i32x4ReplaceLane(i)]),
              set(v),
              // to the end of that word or j1
              get(j), i32(32), op.i32Add, i32(-32), op.i32And, set(jEnd),
              get(jEnd), get(j1), get(jEnd), get(j1), op.i32LtU, op.select, set(jEnd),
              get(idx), get(j), get(nb), op.i32Mul, op.i32Add, get(b), op.i32Add, set(p),
              ...whileLoop(
                [get(j), get(jEnd), op.i32LtU],
                [
                  // bit j & 31 of each lane moved to the lane's top bit
                  get(p), get(v), i32(31), get(j), i32(31), op.i32And, op.i32Sub, op.i32x4Shl, op.i32x4Bitmask, op.i32Store8(0),
                  ...addTo(p, nb),
                  ...bump(j, 1),
                ],
              ),
            ],
          ),
          get(row), get(rowBytes), i32(2), op.i32Shl, op.i32Add, set(row),
          ...bump(b, 1),
        ],
      ),
    ],
  };
}

function addWindows(): FuncDef {
  const [dx, P, nPad, nImg, oh, ow, inSize, rowStride, C, jList, offs, nj] = range(12);
  const L = new Locals(12);
  const [e, j, src, dst0, b, oy, ox, dst, rowDst] = L.many(I32, 9);
  return {
    name: 'addWindows',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(nPad), ...toBytes(inSize), ...toBytes(rowStride), ...toBytes(C),
      i32(0), set(e),
      ...whileLoop(
        [get(e), get(nj), op.i32LtU],
        [
          ...loadAt(jList, e, op.i32Load(0)), set(j),
          get(P), get(j), get(nPad), op.i32Mul, op.i32Add, set(src),
          get(dx), ...loadAt(offs, j, op.i32Load(0)), i32(2), op.i32Shl, op.i32Add, set(dst0),
          i32(0), set(b),
          ...whileLoop(
            [get(b), get(nImg), op.i32LtU],
            [
              get(dst0), get(b), get(inSize), op.i32Mul, op.i32Add, set(rowDst),
              i32(0), set(oy),
              ...whileLoop(
                [get(oy), get(oh), op.i32LtU],
                [
                  get(rowDst), set(dst),
                  get(ow), set(ox),
                  ...whileLoop(
                    [get(ox)],
                    [
                      get(dst), get(dst), op.f32Load(0), get(src), op.f32Load(0), op.f32Add, op.f32Store(0),
                      ...addTo(dst, C),
                      ...bump(src, 4),
                      get(ox), i32(1), op.i32Sub, set(ox),
                    ],
                  ),
                  ...addTo(rowDst, rowStride),
                  ...bump(oy, 1),
                ],
              ),
              ...bump(b, 1),
            ],
          ),
          ...bump(e, 1),
        ],
      ),
    ],
  };
}

function signForward(): FuncDef {
  const [y, pass, x, n] = range(4);
  const L = new Locals(4);
  const end = L.add(I32);
  const [one, minus] = L.many(V128, 2);
  const v = L.many(V128, 4);
  return {
    name: 'signForward',
    params: [I32, I32, I32, I32],
    locals: L.list(),
    body: [
      op.f32(1), op.f32x4Splat, set(one),
      op.f32(-1), op.f32x4Splat, set(minus),
      get(x), get(n), i32(15), op.i32Add, i32(-16), op.i32And, i32(2), op.i32Shl, op.i32Add, set(end),
      ...whileLoop(
        [get(x), get(end), op.i32LtU],
        [
          ...range(4).flatMap((q) => [
            get(x), op.v128Load(16 * q), set(v[q]),
            get(y), get(one), get(minus), get(v[q]), op.v128Zero, op.f32x4Ge, op.v128Bitselect, op.v128Store(16 * q),
          ]),
          // |x| <= 1 as lane masks (-1), narrowed to 16 bytes, made 1
          get(pass),
          ...range(4).flatMap((q) => [get(v[q]), op.f32x4Abs, get(one), op.f32x4Le]),
          set(v[3]), set(v[2]), op.i16x8NarrowI32x4S, set(v[1]),
          get(v[2]), get(v[3]), op.i16x8NarrowI32x4S,
          set(v[0]), get(v[1]), get(v[0]), op.i8x16NarrowI16x8S, op.i8x16Abs,
          op.v128Store(0),
          ...bump(x, 64), ...bump(y, 64), ...bump(pass, 16),
        ],
      ),
    ],
  };
}

/** bnSum / bnSumSquares: 16 features (8 float64 pairs) per pass over the rows, then 4 at a time. */
function bnSums(name: string, squares: boolean): FuncDef {
  const [acc, x, rows, F, f0, f1, mean] = range(7);
  const L = new Locals(7);
  const [f, p, r] = L.many(I32, 3);
  const a = L.many(V128, 8);
  const m = L.many(V128, 8);
  const v = L.add(V128);
  const group = (n: number): Code[] => [
    ...range(n).flatMap((q) => [get(acc), get(f), i32(1), op.i32Shl, op.i32Add, op.v128Load(16 * q), set(a[q])]),
    ...(squares ? range(n).flatMap((q) => [get(mean), get(f), i32(1), op.i32Shl, op.i32Add, op.v128Load(16 * q), set(m[q])]) : []),
    get(x), get(f), op.i32Add, set(p),
    get(rows), set(r),
    ...whileLoop(
      [get(r)],
      [
        ...range(n).flatMap((q) => [
          get(p), op.v128Load64Zero(8 * q), op.f64x2PromoteLowF32x4,
          ...(squares ? [get(m[q]), op.f64x2Sub, set(v), get(v), get(v), op.f64x2Mul] : []),
          set(v), get(a[q]), get(v), op.f64x2Add, set(a[q]),
        ]),
        ...addTo(p, F),
        get(r), i32(1), op.i32Sub, set(r),
      ],
    ),
    ...range(n).flatMap((q) => [get(acc), get(f), i32(1), op.i32Shl, op.i32Add, get(a[q]), op.v128Store(16 * q)]),
  ];
  return {
    name,
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      // f counts bytes of float32 (features * 4); float64 offsets are twice that.
      ...toBytes(F), ...toBytes(f0), ...toBytes(f1),
      get(f0), set(f),
      ...whileLoop(fits(f, 64, f1), [...group(8), ...bump(f, 64)]),
      ...whileLoop([get(f), get(f1), op.i32LtU], [...group(2), ...bump(f, 16)]),
    ],
  };
}

function bnApply(): FuncDef {
  const [y, xhat, x, rows, F, mean, inv, g, b] = range(9);
  const L = new Locals(9);
  const [f, d] = L.many(I32, 2);
  const h = L.add(V128);
  return {
    name: 'bnApply',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(F),
      ...whileLoop(
        [get(rows)],
        [
          i32(0), set(f),
          ...whileLoop(
            [get(f), get(F), op.i32LtU],
            [
              get(f), i32(1), op.i32Shl, set(d),
              get(x), get(f), op.i32Add, op.v128Load64Zero(0), op.f64x2PromoteLowF32x4,
              get(mean), get(d), op.i32Add, op.v128Load(0), op.f64x2Sub,
              get(inv), get(d), op.i32Add, op.v128Load(0), op.f64x2Mul, set(h),
              get(xhat), get(f), op.i32Add, get(h), op.f32x4DemoteF64x2Zero, op.v128Store64Lane(0),
              get(y), get(f), op.i32Add,
              get(g), get(f), op.i32Add, op.v128Load64Zero(0), op.f64x2PromoteLowF32x4, get(h), op.f64x2Mul,
              get(b), get(f), op.i32Add, op.v128Load64Zero(0), op.f64x2PromoteLowF32x4, op.f64x2Add,
              op.f32x4DemoteF64x2Zero, op.v128Store64Lane(0),
              ...bump(f, 8),
            ],
          ),
          ...addTo(x, F), ...addTo(xhat, F), ...addTo(y, F),
          get(rows), i32(1), op.i32Sub, set(rows),
        ],
      ),
    ],
  };
}

function bnBackSums(): FuncDef {
  const [acc, dy, xhat, rows, F, f0, f1] = range(7);
  const L = new Locals(7);
  const [f, p, q, r, accF] = L.many(I32, 5);
  const a = L.many(V128, 4);
  const c = L.many(V128, 4);
  const v = L.add(V128);
  const group = (n: number): Code[] => [
    ...range(n).flatMap((k) => [
      get(acc), get(f), i32(1), op.i32Shl, op.i32Add, op.v128Load(16 * k), set(a[k]),
      get(accF), get(f), i32(1), op.i32Shl, op.i32Add, op.v128Load(16 * k), set(c[k]),
    ]),
    get(dy), get(f), op.i32Add, set(p),
    get(xhat), get(f), op.i32Add, set(q),
    get(rows), set(r),
    ...whileLoop(
      [get(r)],
      [
        ...range(n).flatMap((k) => [
          get(p), op.v128Load64Zero(8 * k), op.f64x2PromoteLowF32x4, set(v),
          get(a[k]), get(v), op.f64x2Add, set(a[k]),
          get(c[k]), get(v), get(q), op.v128Load64Zero(8 * k), op.f64x2PromoteLowF32x4, op.f64x2Mul, op.f64x2Add, set(c[k]),
        ]),
        ...addTo(p, F), ...addTo(q, F),
        get(r), i32(1), op.i32Sub, set(r),
      ],
    ),
    ...range(n).flatMap((k) => [
      get(acc), get(f), i32(1), op.i32Shl, op.i32Add, get(a[k]), op.v128Store(16 * k),
      get(accF), get(f), i32(1), op.i32Shl, op.i32Add, get(c[k]), op.v128Store(16 * k),
    ]),
  ];
  return {
    name: 'bnBackSums',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(F), ...toBytes(f0), ...toBytes(f1),
      // the second sums start F float64 (2F float32 bytes) later
      get(acc), get(F), i32(1), op.i32Shl, op.i32Add, set(accF),
      get(f0), set(f),
      ...whileLoop(fits(f, 32, f1), [...group(4), ...bump(f, 32)]),
      ...whileLoop([get(f), get(f1), op.i32LtU], [...group(2), ...bump(f, 16)]),
    ],
  };
}

function bnBackApply(): FuncDef {
  const [dx, dy, xhat, rows, F, m1, m2, k] = range(8);
  const L = new Locals(8);
  const [f, d] = L.many(I32, 2);
  return {
    name: 'bnBackApply',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(F),
      ...whileLoop(
        [get(rows)],
        [
          i32(0), set(f),
          ...whileLoop(
            [get(f), get(F), op.i32LtU],
            [
              get(f), i32(1), op.i32Shl, set(d),
              get(dx), get(f), op.i32Add,
              get(k), get(d), op.i32Add, op.v128Load(0),
              get(dy), get(f), op.i32Add, op.v128Load64Zero(0), op.f64x2PromoteLowF32x4,
              get(m1), get(d), op.i32Add, op.v128Load(0), op.f64x2Sub,
              get(xhat), get(f), op.i32Add, op.v128Load64Zero(0), op.f64x2PromoteLowF32x4,
              get(m2), get(d), op.i32Add, op.v128Load(0), op.f64x2Mul,
              op.f64x2Sub, op.f64x2Mul,
              op.f32x4DemoteF64x2Zero, op.v128Store64Lane(0),
              ...bump(f, 8),
            ],
          ),
          ...addTo(dx, F), ...addTo(dy, F), ...addTo(xhat, F),
          get(rows), i32(1), op.i32Sub, set(rows),
        ],
      ),
    ],
  };
}

function signNibbles(): FuncDef {
  const [out, latent, nVec] = range(3);
  const L = new Locals(3);
  return {
    name: 'signNibbles',
    params: [I32, I32, I32],
    locals: L.list(),
    body: [
      ...whileLoop(
        [get(nVec)],
        [
          get(out), get(latent), op.v128Load(0), op.v128Zero, op.f32x4Lt, op.i32x4Bitmask, op.i32Store8(0),
          ...bump(out, 1), ...bump(latent, 16),
          get(nVec), i32(1), op.i32Sub, set(nVec),
        ],
      ),
    ],
  };
}

function signs(): FuncDef {
  const [bin, latent, rows, width, colSum] = range(5);
  const L = new Locals(5);
  const [q, s] = L.many(I32, 2);
  const [one, minus, v] = L.many(V128, 3);
  return {
    name: 'signs',
    params: [I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      op.f32(1), op.f32x4Splat, set(one),
      op.f32(-1), op.f32x4Splat, set(minus),
      ...whileLoop(
        [get(rows)],
        [
          i32(0), set(q),
          ...whileLoop(
            [get(q), get(width), op.i32LtU],
            [
              get(one), get(minus), get(latent), get(q), op.i32Add, op.v128Load(0), op.v128Zero, op.f32x4Ge, op.v128Bitselect, set(v),
              get(bin), get(q), op.i32Add, get(v), op.v128Store(0),
              get(colSum), get(q), op.i32Add, set(s),
              get(s), get(s), op.v128Load(0), get(v), op.f32x4Add, op.v128Store(0),
              ...bump(q, 16),
            ],
          ),
          ...addTo(bin, width),
          ...addTo(latent, width),
          get(rows), i32(1), op.i32Sub, set(rows),
        ],
      ),
    ],
  };
}

function packSigns(): FuncDef {
  const [bits, latent, rows, width, cols, words] = range(6);
  const L = new Locals(6);
  const [o, k, jj, j, p, wordBytes, colBase, out] = L.many(I32, 8);
  const acc = L.add(V128);
  return {
    name: 'packSigns',
    params: [I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...toBytes(width),
      ...toBytes(cols),
      get(words), i32(2), op.i32Shl, set(wordBytes),
      i32(0), set(o),
      // Four neurons at a time: lane q of acc is the word of neuron o + q.
      ...whileLoop(
        [get(o), get(cols), op.i32LtU],
        [
          get(latent), get(o), op.i32Add, set(colBase),
          i32(0), set(k),
          i32(0), set(j),
          ...whileLoop(
            [get(k), get(words), op.i32LtU],
            [
              op.v128Zero, set(acc),
              i32(0), set(jj),
              ...whileLoop(
                [get(jj), i32(32), op.i32LtU, get(j), get(rows), op.i32LtU, op.i32And],
                [
                  get(colBase), get(j), get(width), op.i32Mul, op.i32Add, set(p),
                  get(acc),
                  get(p), op.v128Load(0), op.v128Zero, op.f32x4Lt, i32(31), op.i32x4ShrU, get(jj), op.i32x4Shl,
                  op.v128Or, set(acc),
                  ...bump(jj, 1), ...bump(j, 1),
                ],
              ),
              // &bits[(o/4 lanes) * words + k]: o counts bytes, so neuron = o >> 2
              get(bits), get(o), i32(2), op.i32ShrU, get(wordBytes), op.i32Mul, op.i32Add, get(k), i32(2), op.i32Shl, op.i32Add, set(out),
              ...range(4).flatMap((lane) => [get(out), get(acc), op.i32x4ExtractLane(lane), op.i32Store(0), ...addTo(out, wordBytes)]),
              ...bump(k, 1),
            ],
          ),
          ...bump(o, 16),
        ],
      ),
    ],
  };
}

function adam(): FuncDef {
  const [w, g, m, v, n] = range(5);
  const [step, b1, c1, b2, c2, eps, lo, hi] = [5, 6, 7, 8, 9, 10, 11, 12];
  const L = new Locals(13);
  const end = L.add(I32);
  const [vs, vb1, vc1, vb2, vc2, veps, vlo, vhi, gv, mv, vv] = L.many(V128, 11);
  const splat = (from: number, to: number): Code[] => [get(from), op.f32x4Splat, set(to)];
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    locals: L.list(),
    body: [
      ...splat(step, vs), ...splat(b1, vb1), ...splat(c1, vc1), ...splat(b2, vb2),
      ...splat(c2, vc2), ...splat(eps, veps), ...splat(lo, vlo), ...splat(hi, vhi),
      get(w), get(n), i32(2), op.i32Shl, op.i32Add, set(end),
      ...whileLoop(
        [get(w), get(end), op.i32LtU],
        [
          get(g), op.v128Load(0), set(gv),
          // m = b1*m + c1*g
          get(m), op.v128Load(0), get(vb1), op.f32x4Mul, get(gv), get(vc1), op.f32x4Mul, op.f32x4Add, set(mv),
          get(m), get(mv), op.v128Store(0),
          // v = b2*v + c2*g*g
          get(v), op.v128Load(0), get(vb2), op.f32x4Mul, get(gv), get(gv), op.f32x4Mul, get(vc2), op.f32x4Mul, op.f32x4Add, set(vv),
          get(v), get(vv), op.v128Store(0),
          // w = min(max(w - step*m/(sqrt(v)+eps), lo), hi)
          get(w),
          get(w), op.v128Load(0),
          get(vs), get(mv), op.f32x4Mul, get(vv), op.f32x4Sqrt, get(veps), op.f32x4Add, op.f32x4Div,
          op.f32x4Sub,
          get(vlo), op.f32x4Max, get(vhi), op.f32x4Min,
          op.v128Store(0),
          ...bump(w, 16), ...bump(g, 16), ...bump(m, 16), ...bump(v, 16),
        ],
      ),
    ],
  };
}

/** Parameter types of each kernel, in export order (the pool marshals arguments with them). */
export const KERNEL_SIGNATURES = {
  gather: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  scatter: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  dotsCols: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  dotsRows: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  dotsByB: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  binDense: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  signedSums: ['i32', 'i32', 'i32', 'i32'],
  signSumsDW: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  blockNibbles: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  addWindows: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  signForward: ['i32', 'i32', 'i32', 'i32'],
  bnSum: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  bnSumSquares: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  bnApply: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  bnBackSums: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  bnBackApply: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  signNibbles: ['i32', 'i32', 'i32'],
  signs: ['i32', 'i32', 'i32', 'i32', 'i32'],
  packSigns: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  adam: ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'],
} as const;
export type KernelName = keyof typeof KERNEL_SIGNATURES;
export const KERNEL_NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];

export interface KernelExports {
  gather(out: number, rowPtr: number, idx: number, val: number, nRows: number, M: number, width: number): void;
  scatter(out: number, colPtr: number, idx: number, val: number, nCols: number, M: number, width: number, o0: number, o1: number): void;
  dotsCols(out: number, colPtr: number, idx: number, nCols: number, A: number, B: number, width: number, outStride: number): void;
  dotsRows(out: number, A: number, nA: number, B: number, nB: number, width: number, outStride: number): void;
  dotsByB(out: number, A: number, nA: number, B: number, nB: number, width: number, outStride: number): void;
  binDense(out: number, X: number, n: number, W: number, nW: number, rowBytes: number, outStride: number, bits: number): void;
  signedSums(T: number, G: number, nb: number, width: number): void;
  signSumsDW(
    out: number, T: number, idx: number, nb: number, b0: number, b1: number, rows: number, width: number, o0: number, o1: number, accumulate: number,
  ): void;
  blockNibbles(idx: number, X: number, nb: number, rowBytes: number, j0: number, j1: number): void;
  addWindows(
    dx: number, P: number, nPad: number, nImg: number, oh: number, ow: number, inSize: number, rowStride: number, C: number,
    jList: number, offs: number, nj: number,
  ): void;
  signForward(y: number, pass: number, x: number, n: number): void;
  bnSum(acc: number, x: number, rows: number, F: number, f0: number, f1: number, mean: number): void;
  bnSumSquares(acc: number, x: number, rows: number, F: number, f0: number, f1: number, mean: number): void;
  bnApply(y: number, xhat: number, x: number, rows: number, F: number, mean: number, inv: number, g: number, b: number): void;
  bnBackSums(acc: number, dy: number, xhat: number, rows: number, F: number, f0: number, f1: number): void;
  bnBackApply(dx: number, dy: number, xhat: number, rows: number, F: number, m1: number, m2: number, k: number): void;
  signNibbles(out: number, latent: number, nVec: number): void;
  signs(bin: number, latent: number, rows: number, width: number, colSum: number): void;
  packSigns(bits: number, latent: number, rows: number, width: number, cols: number, words: number): void;
  adam(
    w: number, g: number, m: number, v: number, n: number,
    step: number, b1: number, c1: number, b2: number, c2: number, eps: number, lo: number, hi: number,
  ): void;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled kernel module (compiled once per thread; workers receive it by message). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const defs: Record<KernelName, () => FuncDef> = {
      gather,
      scatter,
      dotsCols,
      dotsRows: () => dots('dotsRows', true),
      dotsByB: () => dots('dotsByB', false),
      binDense,
      signedSums,
      signSumsDW,
      blockNibbles,
      addWindows,
      signForward,
      bnSum: () => bnSums('bnSum', false),
      bnSumSquares: () => bnSums('bnSumSquares', true),
      bnApply,
      bnBackSums,
      bnBackApply,
      signNibbles,
      signs,
      packSigns,
      adam,
    };
    compiled = new WebAssembly.Module(encodeModule(KERNEL_NAMES.map((k) => defs[k]()), { shared: true, maxPages: MAX_PAGES }));
  }
  return compiled;
}

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(kernelModule(), { env: { mem: memory } });
  return inst.exports as unknown as KernelExports;
}
