/**
 * Runs one loader's fuzz in a worker thread. A loader that loops forever inside one
 * synchronous call would otherwise block the test's own thread, so vitest's test timeout
 * could never fire; in a worker it does, the worker is terminated, and the input it was
 * stuck on is printed. A loader that exhausts the heap kills only the worker (its heap
 * is capped), and the failure names the input too.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TestContext } from 'vitest';
import { describeFailures, MAX_INPUT_BYTES, record, replayInput, RUNS, seedFor, type FuzzReport, type LoaderFuzz } from './harness.js';
import type { WorkerJob } from './worker-main.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.mjs');
/** Heap cap of the worker: far above what a loader needs for a 64 KiB input. */
const WORKER_HEAP_MB = 1024;
/** Stack of the worker: Node's main thread has about 1 MB, where the CLI runs the loaders. */
const WORKER_STACK_MB = 1;

async function describeInput<I>(spec: LoaderFuzz<I>, index: number): Promise<string> {
  if (index < 0) return 'while shrinking a failing input';
  const input = await replayInput(spec, seedFor(spec.name), index);
  return `at run index ${index} (seed ${seedFor(spec.name)}): ${spec.show(input)}`;
}

/**
 * Fuzz `specs[name]` (exported as SPECS by `specModule`) in a worker, record the counts,
 * and throw the grouped failures if any. Pass the test context so that a timeout
 * terminates the worker and names the input it hung on.
 */
export async function runLoaderFuzz<I>(
  ctx: TestContext,
  specModule: string,
  spec: LoaderFuzz<I>,
  runs = RUNS,
): Promise<FuzzReport<I>> {
  const progress = new SharedArrayBuffer(4);
  const job: WorkerJob = { specModule, name: spec.name, runs, progress };
  const worker = new Worker(WORKER, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, stackSizeMb: WORKER_STACK_MB } });
  const current = (): number => Atomics.load(new Int32Array(progress), 0);
  let settled = false;
  ctx.onTestFailed(async () => {
    if (settled) return;
    const index = current();
    await worker.terminate();
    console.error(`fuzz ${spec.name}: no result; the loader was ${await describeInput(spec, index)}`);
  });
  const report = await new Promise<FuzzReport<I>>((resolve, reject) => {
    worker.once('message', (r: FuzzReport<I>) => {
      settled = true;
      resolve(r);
    });
    worker.once('error', (e) => {
      settled = true;
      void describeInput(spec, current()).then((where) => reject(new Error(`fuzz ${spec.name}: the worker died (${e.message}) ${where}`)));
    });
    worker.once('exit', (code) => {
      if (code !== 0 && !settled) void describeInput(spec, current()).then((where) => reject(new Error(`fuzz ${spec.name}: the worker exited with ${code} ${where}`)));
    });
  });
  await worker.terminate();
  record(report as FuzzReport<unknown>);
  if (report.largest > MAX_INPUT_BYTES) throw new Error(`fuzz ${spec.name}: the generator made a ${report.largest}-byte input (limit ${MAX_INPUT_BYTES})`);
  if (report.failures > 0) throw new Error(describeFailures(report, spec.show));
  return report;
}
