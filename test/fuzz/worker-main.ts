/**
 * Body of the fuzz worker thread: installs the allocation guard, loads one spec module,
 * runs one loader's fuzz and posts the report. The index of the input being loaded is kept in shared memory so that the
 * test thread can name it if the loader never returns or the worker dies.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { installAllocationGuard } from './guard.js';
import { fuzzLoader, type LoaderFuzz } from './harness.js';
import { removeScratch } from './scratch.js';

export interface WorkerJob {
  specModule: string;
  name: string;
  runs: number;
  /** Int32Array(1) over a SharedArrayBuffer: the run index being loaded (-1 while shrinking). */
  progress: SharedArrayBuffer;
}

export async function runWorker(): Promise<void> {
  const job = workerData as WorkerJob;
  // Before the spec module (and the loaders) load, so that they see the guarded globals.
  installAllocationGuard();
  const mod = (await tsImport(pathToFileURL(job.specModule).href, import.meta.url)) as { SPECS: Record<string, LoaderFuzz<unknown>> };
  const spec = mod.SPECS[job.name];
  if (!spec) throw new Error(`no fuzz spec ${job.name} in ${job.specModule}`);
  const progress = new Int32Array(job.progress);
  let report;
  try {
    report = await fuzzLoader(spec, job.runs, (i) => Atomics.store(progress, 0, i));
  } finally {
    // Before the report goes out: the test thread terminates the worker on receipt.
    removeScratch();
  }
  parentPort!.postMessage(report);
}
