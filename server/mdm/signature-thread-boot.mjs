// A signature thread's entry (server/mdm/signature-threads.ts): a worker thread does not inherit tsx's
// loader from whatever started its process (tsx, `node --import tsx`, Vitest), so it loads the TypeScript
// module through tsx's API, relative to this file.
import { workerData } from "node:worker_threads";

import { tsImport } from "tsx/esm/api";

await tsImport(workerData.module, import.meta.url);
