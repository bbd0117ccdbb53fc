/**
 * Where the simulation assets live. Both src/sim/*.ts (run through tsx/vitest) and
 * dist/sim/*.js sit two levels below the package root, so one relative URL serves both.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  return path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
}

/** The static C++ harness (sim/verilator/harness.cpp). */
export function harnessSource(): string {
  return path.join(packageRoot(), 'sim', 'verilator', 'harness.cpp');
}

/** Default home of cached Verilator builds; BNNC_CACHE_DIR overrides the .cache root. */
export function defaultVerilatorCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.BNNC_CACHE_DIR ? path.resolve(env.BNNC_CACHE_DIR) : path.join(packageRoot(), '.cache');
  return path.join(root, 'verilator');
}
