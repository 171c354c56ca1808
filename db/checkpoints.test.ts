// The server's WAL checkpoints between requests (db/checkpoints.ts): they copy the WAL into the database
// while SQLite's own, inside a commit, never fires; they leave a transaction alone; SQLite's own still
// bounds the WAL when the event loop is held; slow checkpoints space out the next; stop() stops them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { nextCheckpointDelay, startCheckpoints, type Checkpoints } from "./checkpoints";
import { createDb, WAL_AUTOCHECKPOINT_PAGES, type Db } from "./client";

const PAGE = 4096;
const dirs: string[] = [];
const open: { db: Db; checkpoints?: Checkpoints }[] = [];

function tempDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-checkpoints-"));
  dirs.push(dir);
  const file = path.join(dir, "t.db");
  const db = createDb(file);
  db.$client.exec("create table blobs (id integer primary key, b blob)");
  db.$client.pragma("wal_checkpoint(TRUNCATE)"); // start from an empty WAL
  const insert = db.$client.prepare("insert into blobs (b) values (?)");
  // `pages` new pages (a blob of nearly a page overflows onto one of its own), in one transaction.
  const write = (pages: number) =>
    db.$client.transaction(() => {
      for (let i = 0; i < pages; i++) insert.run(Buffer.alloc(PAGE - 100, i));
    })();
  const entry: { db: Db; checkpoints?: Checkpoints } = { db };
  open.push(entry);
  return { file, db, write, entry };
}

const size = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}

afterEach(() => {
  for (const { db, checkpoints } of open.splice(0)) {
    checkpoints?.stop();
    db.$client.close();
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("startCheckpoints", () => {
  it("copies the WAL into the database between commits, well before SQLite's own checkpoint would", async () => {
    const { file, db, write, entry } = tempDb();
    const before = size(file);
    write(200); // a fifth of the automatic checkpoint's mark: SQLite's own never runs
    await sleep(30);
    expect(size(file)).toBe(before); // only a checkpoint writes pages into the database file
    entry.checkpoints = startCheckpoints(db, { intervalMs: 5 });
    await until(() => size(file) >= before + 200 * PAGE);
    expect(db.$client.prepare("select count(*) from blobs").pluck().get()).toBe(200);
  });

  it("leaves an open transaction alone and checkpoints after it", async () => {
    const { file, db, write, entry } = tempDb();
    entry.checkpoints = startCheckpoints(db, { intervalMs: 5 });
    const before = size(file);
    db.$client.exec("BEGIN IMMEDIATE");
    write(50); // a savepoint inside the open transaction
    await sleep(40);
    expect(db.$client.inTransaction).toBe(true);
    expect(size(file)).toBe(before);
    db.$client.exec("COMMIT");
    await until(() => size(file) >= before + 50 * PAGE);
  });

  it("leaves SQLite's own checkpoint as the bound while the event loop is held", () => {
    const { file, db, write, entry } = tempDb();
    entry.checkpoints = startCheckpoints(db, { intervalMs: 5 });
    let peak = 0;
    for (let t = 0; t < 300; t++) {
      write(10); // 3,000 pages without a turn of the event loop: no timer runs
      peak = Math.max(peak, size(`${file}-wal`));
    }
    expect(peak / (PAGE + 24)).toBeLessThan(WAL_AUTOCHECKPOINT_PAGES + 10 + 5); // the mark, one transaction, a few frames of slack
  });

  it("stops", async () => {
    const { file, db, write, entry } = tempDb();
    const checkpoints = (entry.checkpoints = startCheckpoints(db, { intervalMs: 5 }));
    checkpoints.stop();
    const before = size(file);
    write(100);
    await sleep(40);
    expect(size(file)).toBe(before);
  });

  it("counts what the checkpoints cost", async () => {
    const { db, write, entry } = tempDb();
    const checkpoints = (entry.checkpoints = startCheckpoints(db, { intervalMs: 5 }));
    write(100);
    await until(() => checkpoints.stats().count >= 3);
    const stats = checkpoints.stats();
    expect(stats.totalMs).toBeGreaterThan(0);
    expect(stats.maxMs).toBeGreaterThan(0);
    expect(stats.maxMs).toBeLessThanOrEqual(stats.totalMs);
  });
});

describe("nextCheckpointDelay", () => {
  const pacing = { intervalMs: 20, share: 0.1, maxGapMs: 250, maxFrames: 500 };
  const idle = { frames: 0, sinceMs: 20 };

  it("waits the interval after a cheap checkpoint", () => {
    expect(nextCheckpointDelay({ tookMs: 0, ...idle }, pacing)).toBe(20);
    expect(nextCheckpointDelay({ tookMs: 1, ...idle }, pacing)).toBe(20);
  });

  it("spaces slow checkpoints so that they hold at most their share of the event loop", () => {
    for (const tookMs of [3, 5, 12.5, 20]) {
      const wait = nextCheckpointDelay({ tookMs, ...idle }, pacing);
      expect(tookMs / (tookMs + wait)).toBeCloseTo(0.1, 10);
    }
    expect(nextCheckpointDelay({ tookMs: 5, ...idle }, { ...pacing, share: 0.05 })).toBeCloseTo(95, 10);
  });

  it("comes before the WAL reaches the frames it may hold at the last write rate", () => {
    // 100 frames in 20 ms: 500 frames in 100 ms, sooner than the 180 ms a 20 ms checkpoint's share allows.
    expect(nextCheckpointDelay({ tookMs: 20, frames: 100, sinceMs: 20 }, pacing)).toBeCloseTo(100, 10);
    // Slow writes leave the share to decide.
    expect(nextCheckpointDelay({ tookMs: 5, frames: 10, sinceMs: 20 }, pacing)).toBeCloseTo(45, 10);
    // Writes faster than any pacing: the interval, and SQLite's own checkpoint is the bound.
    expect(nextCheckpointDelay({ tookMs: 5, frames: 2_000, sinceMs: 20 }, pacing)).toBe(20);
  });

  it("never waits longer than the longest gap", () => {
    expect(nextCheckpointDelay({ tookMs: 500, ...idle }, pacing)).toBe(250);
  });
});
