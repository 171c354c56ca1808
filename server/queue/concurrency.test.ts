// Several writers at once (separate processes, separate connections, one database file) never surface
// SQLITE_BUSY: WAL, busy_timeout and BEGIN IMMEDIATE for every read-then-write (reliability-security.md §3).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { createDb } from "@/db/client";
import { migrateDb } from "@/db/migrate";
import { computers } from "@/db/schema";

const WORKERS = 4;
const OPS = 400;

function run(file: string, id: number): Promise<{ worker: number; done: number; busy: number; other: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "concurrency-worker.ts"), file, String(id), String(OPS)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as { worker: number; done: number; busy: number; other: number }) : reject(new Error(`worker ${id} exited ${code}`))));
  });
}

describe("concurrent writers", () => {
  it(`${WORKERS} processes × ${OPS} enqueue/serve/report transactions on one file: no SQLITE_BUSY reaches a caller`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-conc-"));
    const file = path.join(dir, "pomona.db");
    const db = createDb(file);
    migrateDb(db);
    const at = new Date(1_700_000_000_000);
    db.insert(computers).values([1, 2, 3, 4].map((i) => ({ udid: `CONC-${i}`, name: `Mac ${i}`, enrolled: true, createdAt: at, updatedAt: at }))).run();
    db.$client.close();

    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => run(file, i)));
    expect(results.map((r) => r.busy)).toEqual(Array(WORKERS).fill(0));
    expect(results.map((r) => r.other)).toEqual(Array(WORKERS).fill(0));
    expect(results.reduce((n, r) => n + r.done, 0)).toBe(WORKERS * OPS);

    const check = createDb(file);
    expect(check.$client.prepare("select count(*) from commands").pluck().get()).toBe(WORKERS * OPS);
    // seq stayed unique under concurrent enqueues (FIFO order is total)
    expect(check.$client.prepare("select count(distinct seq) from commands").pluck().get()).toBe(WORKERS * OPS);
    check.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
