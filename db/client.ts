// Opens Pomona's SQLite database with the pragmas every connection needs (reliability-security.md §3).
import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";

import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** The handle a `db.transaction` callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** How long a writer waits for another connection's lock before SQLite reports SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * WAL pages after which a commit checkpoints: SQLite's default, set on every connection so it is stated. The
 * server checkpoints a little at a time between requests (db/checkpoints.ts); this is the bound while it
 * cannot (a long synchronous pass).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Opens (creating if needed) the database at `file`, or an in-memory one for ":memory:".
 * `synchronous` is set on every open because better-sqlite3's effective default depends on whether the file
 * was already in WAL mode. NORMAL in WAL keeps every committed transaction across an application crash
 * (SIGKILL); only an OS crash or power loss can roll back the last commits. See README, "Reliability".
 */
export function createDb(file: string): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  applyPragmas(sqlite);
  return drizzle({ client: sqlite, schema });
}

export function applyPragmas(sqlite: Database.Database) {
  sqlite.pragma("journal_mode = WAL"); // ":memory:" stays "memory", which is fine
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Statement journals, savepoints' subjournals and sorts in memory: with the default (files), a subjournal
  // past 64 KiB went to a temporary file created, written and deleted within the statement; in a 100k
  // fan-out that was 10 % of the pass's CPU in pwrite, close and unlink (perf, the benchmark snapshot).
  sqlite.pragma("temp_store = MEMORY");
}

/**
 * Runs `fn` in an IMMEDIATE transaction, or inside the one already open. A nested transaction is a savepoint,
 * and SQLite copies each page a savepoint changes, that the transaction had already changed, into the
 * savepoint's journal: work for nothing when an error from `fn` is never caught before the outer transaction
 * rolls back. Where a caller does catch one and goes on (mdm/endpoint.ts, the verifying slice), it opens
 * its own savepoint on purpose.
 */
export function withinTransaction<T>(db: Db, fn: () => T): T {
  return db.$client.inTransaction ? fn() : db.transaction(fn, { behavior: "immediate" });
}

/** The pragmas as SQLite reports them, for startup checks and tests. */
export function readPragmas(db: Db) {
  const c = db.$client;
  return {
    journalMode: c.pragma("journal_mode", { simple: true }) as string,
    synchronous: c.pragma("synchronous", { simple: true }) as number,
    foreignKeys: c.pragma("foreign_keys", { simple: true }) as number,
    busyTimeout: c.pragma("busy_timeout", { simple: true }) as number,
    walAutocheckpoint: c.pragma("wal_autocheckpoint", { simple: true }) as number,
    tempStore: c.pragma("temp_store", { simple: true }) as number,
  };
}
