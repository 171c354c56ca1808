// G3's progress: how many of a deployment's targets are acknowledged or settled. The count joins every target
// to its install command (~80 ms at 100k Macs). Run by the server over IPC, it took the server's event loop
// every 5 s, 1.6 % of the drain in a CPU profile, and stalled the requests in flight; no real workload runs it
// (the dashboard counts by status, through an index). So the load generator counts it here, on a thread of its
// own with a read-only connection to the server's file (WAL: readers do not block the writer), and the server
// answers it only once, with the breakdown, at the end (bench/server.ts, from the same statements).
// Plain JavaScript, so that it loads the same under tsx, Vitest and Node alone.
import { parentPort, workerData } from "node:worker_threads";

import Database from "better-sqlite3";

/** The statements, by what they count for a deployment id. */
export const PROGRESS_SQL = {
  total: "select count(*) n from deployment_targets where deployment_id = ?",
  done: `select count(*) n from deployment_targets t left join commands c on c.uuid = t.install_command_uuid
           where t.deployment_id = ? and (t.status in ('installed', 'failed', 'unqualified') or c.status = 'acknowledged')`,
};

/**
 * The counts on a connection.
 * @param {import("better-sqlite3").Database} db
 * @param {number} deploymentId
 * @returns {{ total: number; done: number }}
 */
export function countProgress(db, deploymentId) {
  const count = (/** @type {string} */ sql) => /** @type {{ n: number }} */ (db.prepare(sql).get(deploymentId)).n;
  return { total: count(PROGRESS_SQL.total), done: count(PROGRESS_SQL.done) };
}

if (parentPort && workerData?.progressDb) {
  const port = parentPort;
  const db = new Database(workerData.progressDb, { readonly: true, fileMustExist: true });
  port.on("message", (/** @type {{ deploymentId: number }} */ message) => {
    try {
      port.postMessage({ ok: true, counts: countProgress(db, message.deploymentId) });
    } catch (error) {
      port.postMessage({ ok: false, error: String(error) });
    }
  });
}
