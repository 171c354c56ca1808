import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { createDb, readPragmas, WAL_AUTOCHECKPOINT_PAGES, withinTransaction } from "./client";
import { migrateDb } from "./migrate";

const EXPECTED_TABLES = [
  "account",
  "api_tokens",
  "audit_log",
  "catalog_profiles",
  "catalog_titles",
  "catalog_versions",
  "change_stamps",
  "clock_state",
  "commands",
  "computers",
  "credentials",
  "deployment_targets",
  "deployments",
  "engine_state",
  "enrollment_tokens",
  "events",
  "installed_apps",
  "login_failures",
  "pending_scopes",
  "session",
  "settings",
  "smart_group_criteria",
  "smart_group_members",
  "smart_groups",
  "user",
  "verification",
];

const tablesOf = (db: ReturnType<typeof createDb>) =>
  db.$client
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name")
    .pluck()
    .all();

describe("database", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const tempFile = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-db-"));
    dirs.push(dir);
    return path.join(dir, "nested", "pomona.db");
  };

  it("migrates :memory: to every table of DESIGN §2", () => {
    const db = createDb(":memory:");
    migrateDb(db);
    expect(tablesOf(db)).toEqual(EXPECTED_TABLES);
  });

  it("migrates a fresh file (creating its folder), and migrating again is a no-op", () => {
    const file = tempFile();
    const db = createDb(file);
    migrateDb(db);
    migrateDb(db);
    expect(tablesOf(db)).toEqual(EXPECTED_TABLES);
    db.$client.close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it("sets WAL, synchronous, foreign keys, busy_timeout and the checkpoint mark on every connection, including reopens", () => {
    const file = tempFile();
    const first = createDb(file);
    migrateDb(first);
    const second = createDb(file); // the file is already WAL: better-sqlite3's default synchronous would differ
    for (const db of [first, second]) {
      expect(readPragmas(db)).toEqual({ journalMode: "wal", synchronous: 1, foreignKeys: 1, busyTimeout: 5000, walAutocheckpoint: WAL_AUTOCHECKPOINT_PAGES, tempStore: 2 }); // 2: MEMORY
    }
    first.$client.close();
    second.$client.close();
  });

  it("keeps foreign keys and the one-install-in-flight index in force", () => {
    const db = createDb(":memory:");
    migrateDb(db);
    const c = db.$client;
    expect(() => c.prepare("insert into installed_apps (computer_id, name) values (999, 'x')").run()).toThrow(/FOREIGN KEY/);
    c.prepare("insert into computers (udid, created_at, updated_at) values ('U1', 0, 0)").run();
    const install = c.prepare(
      "insert into commands (uuid, computer_id, request_type, payload, status, seq, purpose, is_install, created_at, sent_at) values (?, 1, 'InstallEnterpriseApplication', '', 'sent', ?, 'install', 1, 0, 1)",
    );
    install.run("A", 1);
    expect(() => install.run("B", 2)).toThrow(/UNIQUE/);
    c.prepare("update commands set released_at = 2 where uuid = 'A'").run();
    expect(() => install.run("B", 2)).not.toThrow();
  });

  it("withinTransaction opens an IMMEDIATE transaction, or joins the open one without a savepoint", () => {
    const db = createDb(":memory:");
    migrateDb(db);
    const c = db.$client;
    const add = c.prepare("insert into computers (udid, created_at, updated_at) values (?, 0, 0)");
    const count = () => c.prepare("select count(*) from computers").pluck().get();
    // Alone: its own transaction, rolled back whole on an error.
    expect(() =>
      withinTransaction(db, () => {
        expect(c.inTransaction).toBe(true);
        add.run("A");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(count()).toBe(0);
    // Inside another: the same transaction (no savepoint undoes its rows when the outer one catches its error).
    db.transaction(() => {
      try {
        withinTransaction(db, () => {
          add.run("B");
          throw new Error("boom");
        });
      } catch {
        // the outer transaction goes on
      }
    });
    expect(count()).toBe(1);
  });
});
