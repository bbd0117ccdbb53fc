/**
 * An allocation guard for the fuzz worker thread: the typed-array and ArrayBuffer
 * constructors of the thread's global scope are replaced by proxies that refuse any
 * single allocation above GUARD_BYTES. A loader that trusts a size read from a 64 KiB
 * input and asks for gigabytes then fails at once, with the size in the message,
 * instead of filling memory shared with the whole machine. Node's own internals keep
 * their original constructors and are not affected.
 */
export const GUARD_BYTES = 512 * 1024 * 1024;

export class AllocationGuardError extends Error {
  override name = 'AllocationGuardError';
}

const CONSTRUCTORS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'SharedArrayBuffer',
] as const;

export function installAllocationGuard(): void {
  const g = globalThis as unknown as Record<string, new (...args: unknown[]) => object>;
  for (const name of CONSTRUCTORS) {
    const target = g[name] as unknown as { BYTES_PER_ELEMENT?: number } & (new (...args: unknown[]) => object);
    const size = target.BYTES_PER_ELEMENT ?? 1;
    g[name] = new Proxy(target, {
      construct(t, args, newTarget) {
        const n = args[0];
        if (typeof n === 'number' && n * size > GUARD_BYTES) {
          throw new AllocationGuardError(`${name}(${n}) would allocate ${n * size} bytes (guard ${GUARD_BYTES})`);
        }
        return Reflect.construct(t, args, newTarget) as object;
      },
    });
  }
}
