// Group commit: the writes of the Macs' requests served in one event-loop turn share one transaction and
// one commit (issue #8).
//
// A commit writes every page its transaction changed to the WAL, and a checkpoint later copies each one back.
// Requests served side by side change many of the same pages (a table's last page, an index's hot leaves),
// and alone each one paid for them: an Idle's check-in stamp was ~40 µs of the event loop in its own commit
// plus ~65 µs of checkpoint, ~13 + ~33 µs in a shared one; an enrollment's Authenticate and TokenUpdate wrote
// 31 WAL frames per Mac alone, 7 in groups of 16 (.scratch measurements on the 100k benchmark snapshot).
//
// What a 200 means does not change: a member's promise settles only after the COMMIT that holds its writes,
// so the answer goes out after them, as it did when each request committed alone. Each member's work runs
// in a savepoint of the group's transaction, so one member's error undoes its own writes only. If the group
// cannot commit (SQLite rolled the whole transaction back on an I/O error or a full disk, or COMMIT failed),
// every member is rejected: nothing of theirs was stored, and each Mac sends its request again.
//
// The group opens with the turn's first member and commits in the same turn's check phase (setImmediate),
// after the I/O callbacks that bring the other members: Node resolves the verifier thread's batch of
// signature checks in one callback, so the requests it answers run their writes together. WAL checkpoints
// (timers, db/checkpoints.ts) run between turns and never see the group open. Other writes that run while a
// group is open (an admin's change read in the same turn, a scheduler slice resumed there) nest in it as
// savepoints and commit with it; they do not wait for that commit, which only a full disk or an I/O error
// could make fail, and then what they wrote is gone with the rest and the next page load shows it.
//
// Measured (G1, 100k Macs, 32 connections, alternating with the tree before): 10.6–11.8 requests per
// commit; the server's main thread 176 and 202 µs per request against 212 and 231; 4,019 and 3,630 req/s
// against 3,509 and 3,330.
import type Database from "better-sqlite3";

import type { Db } from "./client";

export type CommitGroupStats = { groups: number; members: number; failedGroups: number };

type Member = { resolve: () => void; reject: (error: unknown) => void };
type Group = { members: Member[]; failure?: { error: unknown } };

const lost = () => ({ error: new Error("the group's transaction was rolled back before it could commit") });

class CommitGroups {
  readonly stats: CommitGroupStats = { groups: 0, members: 0, failedGroups: 0 };
  private open: Group | undefined;
  private readonly begin: Database.Statement;
  private readonly commitStatement: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    this.begin = sqlite.prepare("BEGIN IMMEDIATE");
    this.commitStatement = sqlite.prepare("COMMIT");
    this.rollback = sqlite.prepare("ROLLBACK");
  }

  /** Async only to turn a throw into a rejection: `work` runs before the first await, that is, now. */
  async run<T>(work: () => T): Promise<T> {
    const group = this.join();
    let result: T;
    try {
      result = this.sqlite.transaction(work)(); // a savepoint: an error undoes this member's writes alone
    } catch (error) {
      // SQLite itself rolled back the whole transaction (a failed group's transaction is never reopened:
      // the next member opens a new group): the other members' writes are gone too.
      if (group !== undefined && !this.sqlite.inTransaction) group.failure ??= { error };
      throw error;
    }
    // Inside a transaction someone else opened (a test's, a caller's), it is that transaction's to commit.
    if (group === undefined) return result;
    this.stats.members++;
    return new Promise<T>((resolve, reject) => group.members.push({ resolve: () => resolve(result), reject }));
  }

  /** The open group, opening one if needed; undefined inside a transaction that is not a group's. */
  private join(): Group | undefined {
    if (this.open !== undefined && !this.sqlite.inTransaction) {
      // The open group's transaction is gone (SQLite rolled it back in an earlier member's work, which
      // recorded why): its members will be rejected, and this one starts a new group.
      this.open.failure ??= lost();
      this.open = undefined;
    }
    if (this.open !== undefined) return this.open;
    if (this.sqlite.inTransaction) return undefined;
    this.begin.run();
    const group: Group = { members: [] };
    this.open = group;
    this.stats.groups++;
    setImmediate(() => this.commit(group));
    return group;
  }

  private commit(group: Group) {
    if (this.open === group) this.open = undefined;
    let failure = group.failure;
    if (failure === undefined) {
      if (!this.sqlite.inTransaction) failure = lost();
      else {
        try {
          this.commitStatement.run();
        } catch (error) {
          failure = { error };
          if (this.sqlite.inTransaction) this.rollback.run();
        }
      }
    }
    if (failure !== undefined) this.stats.failedGroups++;
    for (const member of group.members) {
      if (failure === undefined) member.resolve();
      else member.reject(failure.error);
    }
  }
}

const byConnection = new WeakMap<Database.Database, CommitGroups>();
function groupsOf(db: Db): CommitGroups {
  let groups = byConnection.get(db.$client);
  if (!groups) byConnection.set(db.$client, (groups = new CommitGroups(db.$client)));
  return groups;
}

/**
 * Runs `work` now, in a savepoint of the transaction this event-loop turn's requests share, and settles
 * once that transaction has committed: with `work`'s result, or rejected with the error of `work` (its
 * writes undone) or of the group's commit (nothing of it stored).
 */
export function inCommitGroup<T>(db: Db, work: () => T): Promise<T> {
  return groupsOf(db).run(work);
}

/** Groups opened, members committed or waiting, groups that failed, on this connection since it opened. */
export function commitGroupStats(db: Db): CommitGroupStats {
  return { ...groupsOf(db).stats };
}
