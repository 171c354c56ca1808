// What the incremental engine pass needs to know between passes (DESIGN §3): which computers had a fact
// change (computers.engine_dirty), when the last pass ran and which smart group definitions it used, and
// whether a change that touches every target asked for a full pass. Writers call these inside their own
// transactions, so a fact and its mark are committed together.
import { eq } from "drizzle-orm";

import type { Db } from "@/db/client";
import { engineState } from "@/db/schema";

export type EngineState = { lastPassAt: Date | null; groupsVersion: string | null; fullPassRequested: boolean };

const dirtyStatements = new WeakMap<Db, { mark: (id: number) => void; clear: (id: number) => void; list: () => number[] }>();
function dirty(db: Db) {
  let s = dirtyStatements.get(db);
  if (!s) {
    const mark = db.$client.prepare("update computers set engine_dirty = 1 where id = ? and engine_dirty = 0");
    const clear = db.$client.prepare("update computers set engine_dirty = 0 where id = ? and engine_dirty = 1");
    const list = db.$client.prepare("select id from computers where engine_dirty = 1 order by id").pluck();
    s = { mark: (id) => void mark.run(id), clear: (id) => void clear.run(id), list: () => list.all() as number[] };
    dirtyStatements.set(db, s);
  }
  return s;
}

/** Marks computers whose engine inputs changed: the next scheduler pass visits them. */
export function markComputersDirty(db: Db, computerIds: Iterable<number>) {
  const s = dirty(db);
  for (const id of computerIds) s.mark(id);
}

/** Clears the marks of computers a pass is about to visit (in the pass's transaction, before it reads). */
export function clearComputersDirty(db: Db, computerIds: Iterable<number>) {
  const s = dirty(db);
  for (const id of computerIds) s.clear(id);
}

/** The marked computers, by id. */
export function dirtyComputerIds(db: Db): number[] {
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
