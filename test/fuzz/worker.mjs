// Bootstrap of the fuzz worker thread: plain ESM, so that Node can start it; it loads the
// TypeScript worker body and the spec module through tsx (a dev dependency).
import { tsImport } from 'tsx/esm/api';

const { runWorker } = await tsImport('./worker-main.ts', import.meta.url);
await runWorker();
