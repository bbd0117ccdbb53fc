/**
 * The trainer's numeric kernels, written as WebAssembly SIMD (f32x4) and run on one
 * shared memory so that worker threads can split the work (src/nn/pool.ts).
 *
 * Every kernel computes each output element with a fixed sequence of float32
 * operations that depends only on its inputs, never on how rows are split between
 * threads: that is what makes training byte-for-byte reproducible with any thread
 * count. All pointers are byte offsets into the memory; every row width is a multiple
 * of 4 floats and every row starts 16-byte aligned.
 *
 *   gather(out, rowPtr, idx, val, nRows, M, width)
 *     for k < nRows: out[k,:] += sum over j in [rowPtr[k], rowPtr[k+1]) of val[j] * M[idx[j],:]
 *     (a sparse-times-dense product, CSR on the left: the forward pass and the weight
 *     gradient of binary layers, whose inputs are mostly zeros or one repeated value)
 *   dotsList(out, rowPtr, idx, nRows, A, B, width, outStride)
 *     for k < nRows, j in row k: out[k*outStride + idx[j]] = dot(A[k,:], B[idx[j],:])
 *     (input gradients, only where a later mask lets them through)
 *   dotsDense(out, A, nA, B, nB, width)
 *     out[a*nB + b] = dot(A[a,:], B[b,:])
 *   adam(w, g, m, v, n, step, b1, c1, b2, c2, eps, lo, hi)
 *     m = b1*m + c1*g; v = b2*v + c2*g*g; w = clamp(w - step*m/(sqrt(v)+eps), lo, hi)
 */
import { encodeModule, F32, I32, op, V128, type Code, type FuncDef, type ValType } from './encode.js';

/** 64 KiB pages; 65536 pages = 4 GiB, the wasm32 limit. */
export const WASM_PAGE = 65536;
export const MAX_PAGES = 65536;

/** Names locals so kernel bodies read like code, not like index arithmetic. */
class Locals {
  private readonly types: ValType[] = [];
  constructor(private readonly nParams: number) {}
  add(t: ValType): number {
    this.types.push(t);
    return this.nParams + this.types.length - 1;
  }
  list(): ValType[] {
    return this.types;
  }
}

const { get, set, tee, i32 } = op;

/** `while (cond) { body }` where cond leaves an i32 on the stack. */
function whileLoop(cond: Code[], body: Code[]): Code[] {
  return [op.block, op.loop, ...cond, op.i32Eqz, op.brIf(1), ...body, op.br(0), op.end, op.end];
}

/** `do { body } while (a < b)` over unsigned pointers. */
function doWhileLtU(body: Code[], a: number, b: number): Code[] {
  return [op.loop, ...body, get(a), get(b), op.i32LtU, op.brIf(0), op.end];
}

/** ptr += delta */
function bump(ptr: number, delta: number): Code[] {
  return [get(ptr), i32(delta), op.i32Add, set(ptr)];
}

/** A row width in floats, as bytes. */
function widthBytes(width: number): Code[] {
  return [get(width), i32(2), op.i32Shl, set(width)];
}

function gather(): FuncDef {
  const [out, rowPtr, idx, val, nRows, M, width] = [0, 1, 2, 3, 4, 5, 6];
  const L = new Locals(7);
  const j = L.add(I32);
  const jEnd = L.add(I32);
  const o = L.add(I32);
  const oEnd = L.add(I32);
  const m = L.add(I32);
  const a = L.add(V128);
  return {
    name: 'gather',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...widthBytes(width),
      ...whileLoop(
        [get(nRows)],
        [
          get(rowPtr), op.i32Load(0), set(j),
          get(rowPtr), op.i32Load(4), set(jEnd),
          ...whileLoop(
            [get(j), get(jEnd), op.i32LtU],
            [
              // m = M + idx[j] * width; a = splat(val[j])
              get(M), get(idx), get(j), i32(2), op.i32Shl, op.i32Add, op.i32Load(0), get(width), op.i32Mul, op.i32Add, set(m),
              get(val), get(j), i32(2), op.i32Shl, op.i32Add, op.f32Load(0), op.f32x4Splat, set(a),
              get(out), set(o),
              get(out), get(width), op.i32Add, set(oEnd),
              ...doWhileLtU(
                [
                  get(o), get(o), op.v128Load(0), get(m), op.v128Load(0), get(a), op.f32x4Mul, op.f32x4Add, op.v128Store(0),
                  ...bump(o, 16),
                  ...bump(m, 16),
                ],
                o,
                oEnd,
              ),
              ...bump(j, 1),
            ],
          ),
          get(out), get(width), op.i32Add, set(out),
          ...bump(rowPtr, 4),
          get(nRows), i32(1), op.i32Sub, set(nRows),
        ],
      ),
    ],
  };
}

/** Pushes dot(A row at ptr a, B row at ptr b) over `width` bytes; clobbers a, b, acc. */
function dot(a: number, b: number, aEnd: number, acc: number): Code[] {
  return [
    op.v128Zero, set(acc),
    ...doWhileLtU(
      [
        get(acc), get(a), op.v128Load(0), get(b), op.v128Load(0), op.f32x4Mul, op.f32x4Add, set(acc),
        ...bump(a, 16),
        ...bump(b, 16),
      ],
      a,
      aEnd,
    ),
    // Fixed horizontal order: (l0 + l1) + (l2 + l3).
    get(acc), op.f32x4ExtractLane(0), get(acc), op.f32x4ExtractLane(1), op.f32Add,
    get(acc), op.f32x4ExtractLane(2), get(acc), op.f32x4ExtractLane(3), op.f32Add,
    op.f32Add,
  ];
}

function dotsList(): FuncDef {
  const [out, rowPtr, idx, nRows, A, B, width, outStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const L = new Locals(8);
  const j = L.add(I32);
  const jEnd = L.add(I32);
  const i = L.add(I32);
  const a = L.add(I32);
  const b = L.add(I32);
  const aEnd = L.add(I32);
  const acc = L.add(V128);
  return {
    name: 'dotsList',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...widthBytes(width),
      get(outStride), i32(2), op.i32Shl, set(outStride),
      ...whileLoop(
        [get(nRows)],
        [
          get(rowPtr), op.i32Load(0), set(j),
          get(rowPtr), op.i32Load(4), set(jEnd),
          ...whileLoop(
            [get(j), get(jEnd), op.i32LtU],
            [
              get(idx), get(j), i32(2), op.i32Shl, op.i32Add, op.i32Load(0), set(i),
              get(A), set(a),
              get(A), get(width), op.i32Add, set(aEnd),
              get(B), get(i), get(width), op.i32Mul, op.i32Add, set(b),
              // address of out[k*outStride + i], then the dot product, then store
              get(out), get(i), i32(2), op.i32Shl, op.i32Add,
              ...dot(a, b, aEnd, acc),
              op.f32Store(0),
              ...bump(j, 1),
            ],
          ),
          get(A), get(width), op.i32Add, set(A),
          get(out), get(outStride), op.i32Add, set(out),
          ...bump(rowPtr, 4),
          get(nRows), i32(1), op.i32Sub, set(nRows),
        ],
      ),
    ],
  };
}

function dotsDense(): FuncDef {
  const [out, A, nA, B, nB, width] = [0, 1, 2, 3, 4, 5];
  const L = new Locals(6);
  const bRow = L.add(I32);
  const bEnd = L.add(I32);
  const a = L.add(I32);
  const b = L.add(I32);
  const aEnd = L.add(I32);
  const acc = L.add(V128);
  return {
    name: 'dotsDense',
    params: [I32, I32, I32, I32, I32, I32],
    locals: L.list(),
    body: [
      ...widthBytes(width),
      get(B), get(nB), get(width), op.i32Mul, op.i32Add, set(bEnd),
      ...whileLoop(
        [get(nA)],
        [
          get(B), set(bRow),
          get(A), get(width), op.i32Add, set(aEnd),
          ...whileLoop(
            [get(bRow), get(bEnd), op.i32LtU],
            [
              get(A), set(a),
              get(bRow), set(b),
              get(out),
              ...dot(a, b, aEnd, acc),
              op.f32Store(0),
              ...bump(out, 4),
              get(bRow), get(width), op.i32Add, set(bRow),
            ],
          ),
          get(A), get(width), op.i32Add, set(A),
          get(nA), i32(1), op.i32Sub, set(nA),
        ],
      ),
    ],
  };
}

function adam(): FuncDef {
  const [w, g, m, v, n] = [0, 1, 2, 3, 4];
  const [step, b1, c1, b2, c2, eps, lo, hi] = [5, 6, 7, 8, 9, 10, 11, 12];
  const L = new Locals(13);
  const end = L.add(I32);
  const vs = L.add(V128);
  const vb1 = L.add(V128);
  const vc1 = L.add(V128);
  const vb2 = L.add(V128);
  const vc2 = L.add(V128);
  const veps = L.add(V128);
  const vlo = L.add(V128);
  const vhi = L.add(V128);
  const gv = L.add(V128);
  const mv = L.add(V128);
  const vv = L.add(V128);
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
  dotsList: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  dotsDense: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  adam: ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'],
} as const;
export type KernelName = keyof typeof KERNEL_SIGNATURES;
export const KERNEL_NAMES = Object.keys(KERNEL_SIGNATURES) as KernelName[];

export interface KernelExports {
  gather(out: number, rowPtr: number, idx: number, val: number, nRows: number, M: number, width: number): void;
  dotsList(out: number, rowPtr: number, idx: number, nRows: number, A: number, B: number, width: number, outStride: number): void;
  dotsDense(out: number, A: number, nA: number, B: number, nB: number, width: number): void;
  adam(
    w: number, g: number, m: number, v: number, n: number,
    step: number, b1: number, c1: number, b2: number, c2: number, eps: number, lo: number, hi: number,
  ): void;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled kernel module (compiled once per thread; workers receive it by message). */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    const defs: Record<KernelName, () => FuncDef> = { gather, dotsList, dotsDense, adam };
    compiled = new WebAssembly.Module(encodeModule(KERNEL_NAMES.map((k) => defs[k]()), MAX_PAGES));
  }
  return compiled;
}

export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  const inst = new WebAssembly.Instance(kernelModule(), { env: { mem: memory } });
  return inst.exports as unknown as KernelExports;
}
