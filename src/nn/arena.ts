/**
 * Memory for training: one shared WebAssembly memory that the SIMD kernels (and the
 * worker threads running them) address by byte offset, handed out as typed-array views.
 *
 * Allocation only grows (a network allocates its buffers once, for its largest batch);
 * every block starts on a 64-byte boundary so SIMD rows are aligned and two threads
 * never write the same cache line from different blocks.
 */
import { MAX_PAGES, WASM_PAGE } from './wasm/kernels.js';

const ALIGN = 64;

/** A Float32Array view into the arena together with its byte offset for the kernels. */
export interface F32Block {
  ptr: number;
  a: Float32Array;
}

export interface I32Block {
  ptr: number;
  a: Int32Array;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  private top = ALIGN; // keep offset 0 unused so a 0 pointer is never valid data
  /** The memory's buffer objects views were made on (a grow gives a new one). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(initialBytes = 1 << 20) {
    const pages = Math.max(1, Math.ceil(initialBytes / WASM_PAGE));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
  }

  private reserve(bytes: number): number {
    const ptr = this.top;
    this.top = ptr + Math.ceil(Math.max(bytes, 1) / ALIGN) * ALIGN;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      const need = Math.ceil((this.top - have) / WASM_PAGE);
      if (have / WASM_PAGE + need > MAX_PAGES) {
        throw new RangeError(`training needs more than 4 GiB of buffers (asked for ${this.top} bytes)`);
      }
      // Grow by at least a quarter to keep the number of grow calls small.
      this.memory.grow(Math.max(need, Math.min(MAX_PAGES - have / WASM_PAGE, Math.ceil(have / WASM_PAGE / 4))));
    }
    return ptr;
  }

  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Zero-filled float32 block of n elements. */
  f32(n: number): F32Block {
    const ptr = this.reserve(n * 4);
    return { ptr, a: new Float32Array(this.buffer(), ptr, n) };
  }

  /** Zero-filled int32 block of n elements. */
  i32(n: number): I32Block {
    const ptr = this.reserve(n * 4);
    return { ptr, a: new Int32Array(this.buffer(), ptr, n) };
  }

  /** Zero-filled block of n bytes. */
  u8(n: number): { ptr: number; a: Uint8Array } {
    const ptr = this.reserve(n);
    return { ptr, a: new Uint8Array(this.buffer(), ptr, n) };
  }

  /**
   * The byte offset of a view into this arena that starts a 64-byte line (a block, or a
   * subarray from a block's start), else null: such a view may be read up to the end
   * of its line by the kernels, which stays inside its block.
   */
  lineStart(a: Float32Array): number | null {
    return this.buffers.has(a.buffer) && a.byteOffset % ALIGN === 0 ? a.byteOffset : null;
  }

  /** Bytes handed out so far. */
  get used(): number {
    return this.top;
  }
}

/** n rounded up to a multiple of 4 (the SIMD row width). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}
