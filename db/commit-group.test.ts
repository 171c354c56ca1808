// Group commit (db/commit-group.ts): the requests of one event-loop turn share a commit, and each settles
// only once its writes are committed; one member's error undoes its own writes only; a group that cannot
// commit rejects every member and stores nothing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";

import { createDb, type Db } from "./client";
import { commitGroupStats, inCommitGroup } from "./commit-group";

const dirs: string[] = [];
const connections: { close(): unknown }[] = [];

afterEach(() => {
  for (const c of connections.splice(0)) c.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A database file with a table `rows`, and a second connection that sees only what was committed. */
function tempDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-commit-group-"));
  dirs.push(dir);
  const file = path.join(dir, "t.db");
  const db = createDb(file);
  db.$client.exec(`
    create table parents (id integer primary key);
    create table rows (id integer primary key, label text not null,
      parent_id integer references parents (id) deferrable initially deferred)`);
  const reader = new Database(file, { readonly: true });
  connections.push(db.$client, reader);
  const insert = db.$client.prepare("insert into rows (label, parent_id) values (?, ?)");
  const add = (label: string, parentId: number | null = null) => insert.run(label, parentId);
  const committed = () => (reader.prepare("select label from rows order by id").all() as { label: string }[]).map((r) => r.label);
  return { db, add, committed };
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

describe("commit groups", () => {
  it("the writes of one turn share one commit, and each member settles only after it", async () => {
    const { db, add, committed } = tempDb();
    const before = commitGroupStats(db);
    const seenAtSettle: string[][] = [];
    const members = ["a", "b", "c", "d"].map((label) =>
      inCommitGroup(db, () => {
        add(label);
        return label.toUpperCase();
      }).then((value) => {
        seenAtSettle.push(committed()); // what another connection can read when this member hears back
        return value;
      }),
    );
    expect(committed()).toEqual([]); // written, not yet committed: nothing has been answered
    expect(db.$client.inTransaction).toBe(true);

    expect(await Promise.all(members)).toEqual(["A", "B", "C", "D"]);
    expect(seenAtSettle).toEqual(Array.from({ length: 4 }, () => ["a", "b", "c", "d"]));
    expect(db.$client.inTransaction).toBe(false);
    const after = commitGroupStats(db);
    expect({ groups: after.groups - before.groups, members: after.members - before.members, failedGroups: after.failedGroups - before.failedGroups }).toEqual({ groups: 1, members: 4, failedGroups: 0 });

    // Members from different callbacks of one turn (sockets read, a thread's answers) share it too.
    const fromCallbacks = await new Promise<unknown[]>((resolve) => {
      const pending: Promise<unknown>[] = [];
      setImmediate(() => pending.push(inCommitGroup(db, () => add("from a first callback"))));
      setImmediate(() => {
        pending.push(inCommitGroup(db, () => add("from a second")));
        resolve(Promise.all(pending));
      });
    });
    expect(fromCallbacks).toHaveLength(2);
    expect(commitGroupStats(db).groups - before.groups).toBe(2);

    // The next turn's writes are a group of their own.
    await inCommitGroup(db, () => add("e"));
    expect(commitGroupStats(db).groups - before.groups).toBe(3);
    expect(committed()).toEqual(["a", "b", "c", "d", "from a first callback", "from a second", "e"]);
  });

  it("a member's error undoes its own writes and rejects it alone", async () => {
    const { db, add, committed } = tempDb();
    const results = await Promise.all([
      settle(inCommitGroup(db, () => add("kept-1"))),
      settle(
        inCommitGroup(db, () => {
          add("undone");
          throw new Error("this request failed after writing");
        }),
      ),
      settle(inCommitGroup(db, () => add("kept-2"))),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ ok: false, error: { message: "this request failed after writing" } });
    expect(committed()).toEqual(["kept-1", "kept-2"]);
  });

  it("when SQLite rolls the whole transaction back, the members before are rejected and the turn goes on in a new group", async () => {
    const { db, add, committed } = tempDb();
    const before = commitGroupStats(db);
    const rollback = db.$client.prepare("ROLLBACK");
    const results = await Promise.all([
      settle(inCommitGroup(db, () => add("lost-with-the-transaction"))),
      // What SQLite does on an I/O error or a full disk inside a statement: the transaction is gone.
      settle(
        inCommitGroup(db, () => {
          add("lost-too");
          rollback.run();
        }),
      ),
      settle(inCommitGroup(db, () => add("after, in a new group"))),
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
    // The first member hears the error that lost its writes, not a generic one.
    expect(results[0]).toMatchObject({ ok: false, error: (results[1] as { error: unknown }).error });
    expect(committed()).toEqual(["after, in a new group"]);
    const after = commitGroupStats(db);
    expect({ groups: after.groups - before.groups, failedGroups: after.failedGroups - before.failedGroups }).toEqual({ groups: 2, failedGroups: 1 });
    expect(db.$client.inTransaction).toBe(false);
  });

  it("a COMMIT that fails rejects every member, stores nothing and leaves no transaction open", async () => {
    const { db, add, committed } = tempDb();
    // A deferred foreign key is checked at COMMIT: each member's work succeeds, the commit does not.
    const results = await Promise.all([settle(inCommitGroup(db, () => add("fine"))), settle(inCommitGroup(db, () => add("orphan", 404)))]);
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: "SQLITE_CONSTRAINT_FOREIGNKEY" } });
    expect(committed()).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);

    await inCommitGroup(db, () => add("next turn"));
    expect(committed()).toEqual(["next turn"]);
  });

  it("inside a transaction another caller opened, the work is a savepoint of it and that caller commits", async () => {
    const { db, add, committed } = tempDb();
    const before = commitGroupStats(db);
    let inner: Promise<unknown> | undefined;
    db.transaction(() => {
      add("outer");
      inner = inCommitGroup(db, () => add("inner"));
    });
    await inner;
    expect(committed()).toEqual(["outer", "inner"]);
    expect(commitGroupStats(db).groups).toBe(before.groups);

    // And its error undoes its own writes, not the caller's.
    let failed: Promise<unknown> | undefined;
    db.transaction(() => {
      add("outer-2");
      failed = inCommitGroup(db, () => {
        add("inner-2");
        throw new Error("no");
      });
    });
    await expect(failed).rejects.toThrow("no");
    expect(committed()).toEqual(["outer", "inner", "outer-2"]);
  });

  it("an in-memory database groups the same way", async () => {
    const db: Db = createDb(":memory:");
    connections.push(db.$client);
    db.$client.exec("create table t (x integer)");
    const before = commitGroupStats(db);
    await Promise.all([inCommitGroup(db, () => db.$client.prepare("insert into t values (1)").run()), inCommitGroup(db, () => db.$client.prepare("insert into t values (2)").run())]);
    expect(db.$client.prepare("select count(*) n from t").get()).toEqual({ n: 2 });
    expect(commitGroupStats(db).groups - before.groups).toBe(1);
  });
});
