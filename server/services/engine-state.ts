// What the incremental engine pass needs to know between passes (DESIGN §3): which computers had a fact
// change (computers.engine_dirty), when the last pass ran and which smart group definitions it used, and
// whether a change that touches every target asked for a full pass. Writers call these inside their own
// transactions, so a fact and its mark are committed together.
import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { engineState } from "@/db/schema";

export type EngineState = { lastPassAt: Date | null; groupsVersion: string | null; fullPassRequested: boolean };

/** What a mark says changed: a target's input (1), or the computer's facts, so its groups too (2). */
export const TARGETS_CHANGED = 1;
export const FACTS_CHANGED = 2;
export type DirtyLevel = typeof TARGETS_CHANGED | typeof FACTS_CHANGED;

/**
 * The marked computers, sorted by the caller, not by ORDER BY id: for that order SQLite scanned the whole
 * table instead of searching the partial index computers_engine_dirty_idx, on every scheduler tick.
 */
export const DIRTY_COMPUTERS_SQL = "select id, engine_dirty level from computers where engine_dirty > 0";

const dirtyStatements = new WeakMap<
  Db,
  { mark: (id: number, level: DirtyLevel) => void; clear: (id: number) => void; regrouped: (id: number) => void; levelOf: (id: number) => number; list: () => { id: number; level: DirtyLevel }[] }
>();
function dirty(db: Db) {
  let s = dirtyStatements.get(db);
  if (!s) {
    const mark = db.$client.prepare("update computers set engine_dirty = @level where id = @id and engine_dirty < @level");
    const clear = db.$client.prepare("update computers set engine_dirty = 0 where id = ? and engine_dirty > 0");
    const regrouped = db.$client.prepare(`update computers set engine_dirty = ${TARGETS_CHANGED} where id = ? and engine_dirty = ${FACTS_CHANGED}`);
    const levelOf = db.$client.prepare<[number], number>("select engine_dirty from computers where id = ?").pluck();
    const list = db.$client.prepare(DIRTY_COMPUTERS_SQL);
    s = {
      mark: (id, level) => void mark.run({ id, level }),
      clear: (id) => void clear.run(id),
      regrouped: (id) => void regrouped.run(id),
      levelOf: (id) => levelOf.get(id) ?? 0,
      list: () => (list.all() as { id: number; level: DirtyLevel }[]).sort((a, b) => a.id - b.id),
    };
    dirtyStatements.set(db, s);
  }
  return s;
}

/** Marks computers whose engine inputs changed: the next scheduler pass visits them (and regroups on FACTS_CHANGED). */
export function markComputersDirty(db: Db, computerIds: Iterable<number>, level: DirtyLevel = FACTS_CHANGED) {
  const s = dirty(db);
  for (const id of computerIds) s.mark(id, level);
}

/** Clears the marks of computers a pass has just regrouped and is about to step (in the pass's transaction). */
export function clearComputersDirty(db: Db, computerIds: Iterable<number>) {
  const s = dirty(db);
  for (const id of computerIds) s.clear(id);
}

/** What is marked on one computer: 0, TARGETS_CHANGED or FACTS_CHANGED. */
export function dirtyLevelOf(db: Db, computerId: number): number {
  return dirty(db).levelOf(computerId);
}

/** A computer regrouped outside a pass (a verifying answer's slice): what is left for the scheduler is its targets. */
export function markRegrouped(db: Db, computerId: number) {
  dirty(db).regrouped(computerId);
}

/** The marked computers, by id, with what changed. */
export function dirtyComputers(db: Db): { id: number; level: DirtyLevel }[] {
  return dirty(db).list();
}

/** The stored state; a database that never ran a pass needs a full one. */
export function readEngineState(db: Db): EngineState {
  const row = db.select().from(engineState).where(eq(engineState.id, 1)).get();
  return row ? { lastPassAt: row.lastPassAt, groupsVersion: row.groupsVersion, fullPassRequested: row.fullPassRequested } : { lastPassAt: null, groupsVersion: null, fullPassRequested: true };
}

function upsert(db: Db, values: Partial<typeof engineState.$inferInsert>) {
  db.insert(engineState)
    .values({ id: 1, ...values })
    .onConflictDoUpdate({ target: engineState.id, set: values })
    .run();
}

/** Settings and catalog changes reach every target: the next scheduler pass is a full one. */
export function requestFullPass(db: Db) {
  upsert(db, { fullPassRequested: true });
}

/** A full pass starts: requests made from now on ask for another one. */
export function startFullPass(db: Db) {
  upsert(db, { fullPassRequested: false });
}

/** A scheduler pass finished at `at` with these smart group definitions. */
export function recordPass(db: Db, at: Date, groupsVersion: string) {
  upsert(db, { lastPassAt: at, groupsVersion });
}
