// G3's progress counted off the server's process: a thread of the load generator with its own read-only
// connection (progress.worker.mjs says why). One count in flight at a time, as the drain's loop asks.
import { Worker } from "node:worker_threads";

export type ProgressCounts = { total: number; done: number };
type Answer = { ok: true; counts: ProgressCounts } | { ok: false; error: string };

export function progressCounter(dbFile: string): { count(deploymentId: number): Promise<ProgressCounts>; close(): Promise<void> } {
  const worker = new Worker(new URL("./progress.worker.mjs", import.meta.url), { workerData: { progressDb: dbFile } });
  let waiting: { resolve: (c: ProgressCounts) => void; reject: (e: Error) => void } | undefined;
  const settle = (fn: (w: NonNullable<typeof waiting>) => void) => {
    const w = waiting;
    waiting = undefined;
    if (w) fn(w);
  };
  worker.on("message", (answer: Answer) => settle((w) => (answer.ok ? w.resolve(answer.counts) : w.reject(new Error(`progress count failed: ${answer.error}`)))));
  worker.on("error", (error) => settle((w) => w.reject(error)));
  worker.on("exit", (code) => settle((w) => w.reject(new Error(`progress counter exited (${code})`))));
  return {
    count(deploymentId) {
      if (waiting) return Promise.reject(new Error("a progress count is already in flight"));
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        worker.postMessage({ deploymentId });
      });
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
