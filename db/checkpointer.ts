// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
// past 1,000 pages, and that commit syncs the database file: about one write in a hundred took 8–13 ms more
// (G5 of `npm run bench`, all of it in COMMIT; with the sync off, for the measurement only, the tail went).
// Here a worker thread with its own connection checkpoints every `intervalMs` (PASSIVE: it never waits for
// anyone and nobody waits for it), so the copy and the sync happen off the event loop, and whenever the
// server pauses between writes the checkpoint completes and the next write starts the WAL over.
//
// Bounded (reliability-security.md §3: a checkpointer without a bound let the WAL grow to 4 GB in a minute):
// a PASSIVE checkpoint cannot finish while writes never pause, and the WAL starts over only after one has.
// So the server's connection keeps its automatic checkpoint, at `maxWalBytes` instead of 4 MB: under writes
// that never pause it checkpoints in a commit as before (little is left to copy by then), sixteen times less
// often; journal_size_limit keeps the file on disk at that size.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

import type { Db } from "./client";
import { BUSY_TIMEOUT_MS } from "./client";

export type CheckpointerOptions = {
  /** How often the worker checkpoints. */
  intervalMs?: number;
  /** The WAL size at which the server's own connection checkpoints (SQLite's automatic checkpoint). */
  maxWalBytes?: number;
};

export type CheckpointStats = { checkpoints: number; maxWalFrames: number; lastError?: string };

export type Checkpointer = {
  /** Counts so far: checkpoints run, the largest WAL seen (in frames), the last error if any. */
  stats(): Promise<CheckpointStats>;
  /** Stops the worker and gives the checkpoints back to SQLite's automatic ones at the default size. */
  stop(): Promise<void>;
};

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma("synchronous = NORMAL");
db.pragma("wal_autocheckpoint = 0");
const stats = { checkpoints: 0, maxWalFrames: 0 };
const tick = () => {
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    stats.checkpoints++;
    stats.maxWalFrames = Math.max(stats.maxWalFrames, result.log);
  } catch (e) {
    stats.lastError = String((e && e.message) || e);
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m === "stats") parentPort.postMessage({ stats });
  if (m === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.postMessage({ stopped: true });
    parentPort.close();
  }
});
`;

/**
 * Starts checkpointing `file` (the database `db` is open on) from a worker thread, and raises `db`'s
 * automatic checkpoint to `maxWalBytes` (64 MB). A database in memory has no WAL: nothing starts.
 */
export function startCheckpointer(db: Db, file: string, options: CheckpointerOptions = {}): Checkpointer | undefined {
  if (file === ":memory:") return undefined;
  const maxWalBytes = options.maxWalBytes ?? 64 * 1024 * 1024;
  const sqlite = db.$client;
  const pageSize = sqlite.pragma("page_size", { simple: true }) as number;
  sqlite.pragma(`journal_size_limit = ${maxWalBytes}`);
  sqlite.pragma(`wal_autocheckpoint = ${Math.max(1000, Math.floor(maxWalBytes / pageSize))}`);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), file, busyTimeoutMs: BUSY_TIMEOUT_MS, intervalMs: options.intervalMs ?? 100 },
  });
  worker.unref();
  const ask = <T>(message: string, key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (!(key in m)) return;
        worker.off("message", onMessage);
        resolve(m[key] as T);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.postMessage(message);
    });
  return {
    stats: () => ask<CheckpointStats>("stats", "stats"),
    stop: async () => {
      await ask("stop", "stopped");
      if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
    },
  };
}
