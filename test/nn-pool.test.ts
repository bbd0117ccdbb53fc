/**
 * The kernel thread pool: split calls give the single-thread bits, and a worker never
 * runs a job twice -- in particular not when the caller's notify for a job arrives
 * after the worker has already run it (the caller was preempted between publishing the
 * job and notifying), which once made 2-thread training diverge after ~10^5 calls.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../src/nn/arena.js';
import { KernelPool } from '../src/nn/pool.js';
import { Rng } from '../src/util/rng.js';

function setup(arena: Arena) {
  const rng = new Rng(3);
  const [J, O, B] = [64, 64, 64];
  const M = arena.f32(J * O);
  for (let i = 0; i < M.a.length; i++) M.a[i] = rng.next() < 0.5 ? 1 : -1;
  const rowPtr = arena.i32(B + 1);
  const idx = arena.i32(B * J);
  const val = arena.f32(B * J);
  let nnz = 0;
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < J; j++) {
      if (rng.next() < 0.6) {
        idx.a[nnz] = j;
        val.a[nnz] = rng.uniform(-2, 2);
        nnz++;
      }
    }
    rowPtr.a[r + 1] = nnz;
  }
  return { M, rowPtr, idx, val, B, O };
}

describe('kernel pool', () => {
  it('a split call gives the single-thread result bit for bit', async () => {
    const arena = new Arena();
    const pool = await KernelPool.create(arena, 2);
    try {
      const { M, rowPtr, idx, val, B, O } = setup(arena);
      const one = arena.f32(B * O);
      const two = arena.f32(B * O);
      KernelPool.single(arena).gather(one.ptr, rowPtr.ptr, idx.ptr, val.ptr, B, M.ptr, O);
      pool.gather(two.ptr, rowPtr.ptr, idx.ptr, val.ptr, B, M.ptr, O);
      expect(pool.workerJobs()).toEqual([1]); // the call was split
      expect(Buffer.from(two.a.buffer, two.ptr, B * O * 4).equals(Buffer.from(one.a.buffer, one.ptr, B * O * 4))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('a late notify does not make a worker run its last job again', async () => {
    const arena = new Arena();
    const pool = await KernelPool.create(arena, 2);
    try {
      const { M, rowPtr, idx, val, B, O } = setup(arena);
      const out = arena.f32(B * O);
      pool.gather(out.ptr, rowPtr.ptr, idx.ptr, val.ptr, B, M.ptr, O);
      const once = out.a.slice(0, B * O);
      // Wake the worker while it waits for its next job with nothing new published:
      // exactly what a notify delayed past the job's completion does. A notify only
      // succeeds once the worker waits again, i.e. after it has fully handled the
      // previous wake-up, so after three the first two are handled.
      const control = (pool as unknown as { workers: { ci: Int32Array }[] }).workers[0].ci;
      for (let k = 0; k < 3; k++) {
        while (Atomics.notify(control, 0, 1) === 0) {
          /* the worker is not waiting (yet, or again) */
        }
      }
      expect(pool.workerJobs()).toEqual([1]);
      expect(Array.from(out.a.subarray(0, B * O))).toEqual(Array.from(once));
      // And the next real job still runs, once.
      const other = arena.f32(B * O);
      pool.gather(other.ptr, rowPtr.ptr, idx.ptr, val.ptr, B, M.ptr, O);
      expect(pool.workerJobs()).toEqual([2]);
      expect(Array.from(other.a.subarray(0, B * O))).toEqual(Array.from(once));
    } finally {
      await pool.close();
    }
  });
});
