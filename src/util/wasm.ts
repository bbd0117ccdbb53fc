/**
 * A minimal WebAssembly binary encoder: just enough to write the few SIMD kernels of the
 * trainer (src/nn/wasm/kernels.ts) and of the integer engine (src/int/wasm.ts) as
 * readable instruction lists, without a toolchain. V8 runs f32x4 code about ten times faster than the equivalent scalar
 * JavaScript loop over a Float32Array, which is what makes training in Node practical.
 *
 * Only the parts of the binary format the kernels use are here: function types, one
 * imported shared memory, functions with locals, exports, and the opcodes below.
 * Reference: https://webassembly.github.io/spec/core/binary/ (and the SIMD proposal).
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

/** One instruction (or a short sequence) as bytes. */
export type Code = number[];

const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
/** memarg: alignment exponent and offset. */
const mem = (align: number, offset: number): number[] => [align, ...uleb(offset)];

/** The instructions the kernels use, by their text-format names. */
export const op = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  f32: (v: number): Code => {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return [0x43, ...b];
  },
  i32Add: [0x6a] as Code,
  i32Sub: [0x6b] as Code,
  i32Mul: [0x6c] as Code,
  i32Shl: [0x74] as Code,
  i32ShrU: [0x76] as Code,
  i32And: [0x71] as Code,
  i32LtU: [0x49] as Code,
  i32LeU: [0x4d] as Code,
  i32GeU: [0x4f] as Code,
  /** select(a, b, cond): a if cond != 0, else b */
  select: [0x1b] as Code,
  i32Eqz: [0x45] as Code,
  i32Load: (offset = 0): Code => [0x28, ...mem(2, offset)],
  i32Load8U: (offset = 0): Code => [0x2d, ...mem(0, offset)],
  i32Store8: (offset = 0): Code => [0x3a, ...mem(0, offset)],
  f32Load: (offset = 0): Code => [0x2a, ...mem(2, offset)],
  f32Store: (offset = 0): Code => [0x38, ...mem(2, offset)],
  i32Store: (offset = 0): Code => [0x36, ...mem(2, offset)],
  f32Add: [0x92] as Code,
  f32ConvertI32S: [0xb2] as Code,
  v128Load: (offset = 0): Code => simd(0x00, ...mem(4, offset)),
  v128Store: (offset = 0): Code => simd(0x0b, ...mem(4, offset)),
  v128Load64Zero: (offset = 0): Code => simd(0x5d, ...mem(3, offset)),
  v128Store64Lane: (lane: number, offset = 0): Code => simd(0x5b, ...mem(3, offset), lane),
  f64x2PromoteLowF32x4: simd(0x5f),
  f32x4DemoteF64x2Zero: simd(0x5e),
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  v128Zero: simd(0x0c, ...new Array<number>(16).fill(0)),
  f32x4Splat: simd(0x13),
  f32x4ExtractLane: (lane: number): Code => simd(0x1f, lane),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  f32x4Min: simd(0xe8),
  f32x4Max: simd(0xe9),
  f32x4Sqrt: simd(0xe3),
  f32x4Neg: simd(0xe1),
  f32x4Abs: simd(0xe0),
  f32x4Le: simd(0x45),
  i16x8NarrowI32x4S: simd(0x85),
  i8x16NarrowI16x8S: simd(0x65),
  i8x16Abs: simd(0x60),
  i32x4Bitmask: simd(0xa4),
  v128Xor: simd(0x51),
  v128Or: simd(0x50),
  v128And: simd(0x4e),
  v128Bitselect: simd(0x52),
  f32x4Lt: simd(0x43),
  f32x4Ge: simd(0x46),
  i32x4Shl: simd(0xab),
  i32x4ShrU: simd(0xad),
  i8x16Popcnt: simd(0x62),
  i16x8Add: simd(0x8e),
  i16x8ExtaddPairwiseI8x16U: simd(0x7d),
  i32x4ExtaddPairwiseI16x8U: simd(0x7f),
  i32x4ExtractLane: (lane: number): Code => simd(0x1b, lane),
  i32x4ReplaceLane: (lane: number): Code => simd(0x1c, lane),
  block: [0x02, 0x40] as Code,
  /** if with a result of the given value type */
  if: (t: number): Code => [0x04, t],
  else: [0x05] as Code,
  loop: [0x03, 0x40] as Code,
  end: [0x0b] as Code,
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
};

export interface FuncDef {
  name: string;
  params: ValType[];
  /** Locals after the parameters, in order. */
  locals: ValType[];
  body: Code[];
}

/** The memory the module imports as `env.mem`. */
export type MemoryImport =
  /** Shared between worker threads (needs a maximum). */
  | { shared: true; maxPages: number }
  /** Private to one instance, growable without bound. */
  | { shared: false };

/**
 * A module importing one memory `env.mem` and exporting each function under its name.
 * All functions return nothing.
 */
export function encodeModule(funcs: FuncDef[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec([])]);
  // limits flag 0x03: has maximum, shared; 0x00: minimum only.
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(memory.maxPages)] : [0x00, ...uleb(1)];
  const memImport = [...name('env'), ...name('mem'), 0x02, ...limits];
  const bodies = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [...uleb(1), t]));
    const body = [...locals, ...f.body.flat(), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memImport])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
