import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";

import { startCheckpointer, type Checkpointer } from "./checkpointer";
import { createDb, type Db } from "./client";

const open: { db?: Db; checkpointer?: Checkpointer } = {};
afterEach(async () => {
  await open.checkpointer?.stop();
  open.db?.$client.close();
  open.checkpointer = undefined;
  open.db = undefined;
});

function tempDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-checkpointer-"));
  const file = path.join(dir, "pomona.db");
  const db = createDb(file);
  db.$client.exec("create table t (id integer primary key, body text not null)");
  open.db = db;
  return { db, file };
}

/** About `pages` pages of WAL (4 KB each), in small transactions as a server writes. */
function write(db: Db, pages: number) {
  const insert = db.$client.prepare("insert into t (body) values (?)");
  for (let i = 0; i < pages; i++) db.$client.transaction(() => insert.run("x".repeat(3500)))();
}

const walBytes = (file: string) => fs.statSync(`${file}-wal`).size;

async function until(condition: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not reached in 5 s");
}

describe("startCheckpointer", () => {
  it("checkpoints from its worker, so the WAL starts over after a pause without the server's connection checkpointing", async () => {
    const { db, file } = tempDb();
    const limit = 256 * 1024;
    open.checkpointer = startCheckpointer(db, file, { intervalMs: 20, maxWalBytes: limit });
    // The server's own automatic checkpoint is at the bound (here SQLite's floor of 1,000 pages), so the 600
    // pages below stay in the WAL unless the worker checkpoints them.
    expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    write(db, 600);
    expect(walBytes(file)).toBeGreaterThan(2 * 1024 * 1024);
    const before = (await open.checkpointer!.stats()).checkpoints;
    await until(async () => (await open.checkpointer!.stats()).checkpoints >= before + 2);
    // The next write finds every frame checkpointed: the WAL starts over, truncated to journal_size_limit.
    write(db, 1);
    expect(walBytes(file)).toBeLessThanOrEqual(limit);
    expect((await open.checkpointer!.stats()).lastError).toBeUndefined();
  });

  it("raises the server's automatic checkpoint to the bound and gives it back on stop", async () => {
    const { db, file } = tempDb();
    const checkpointer = startCheckpointer(db, file, { maxWalBytes: 64 * 1024 * 1024 })!;
    expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(16384);
    expect(db.$client.pragma("journal_size_limit", { simple: true })).toBe(64 * 1024 * 1024);
    await checkpointer.stop();
    expect(db.$client.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
  });

  it("keeps every committed row: the database checks out after checkpoints and a reopen", async () => {
    const { db, file } = tempDb();
    open.checkpointer = startCheckpointer(db, file, { intervalMs: 10 });
    for (let round = 0; round < 5; round++) {
      write(db, 100);
      await new Promise((r) => setTimeout(r, 30));
    }
    await open.checkpointer!.stop();
    open.checkpointer = undefined;
    db.$client.close();
    open.db = undefined;
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(reopened.prepare("select count(*) from t").pluck().get()).toBe(500);
    reopened.close();
  });

  it("starts nothing for a database in memory (no WAL)", () => {
    const db = createDb(":memory:");
    expect(startCheckpointer(db, ":memory:")).toBeUndefined();
    db.$client.close();
  });
});
