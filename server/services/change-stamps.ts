// Whether the definitions the engine compiles were written since a caller compiled them (db/schema.ts
// `changeStamps`, kept by the triggers of migration 0010). A caller keeps the stamp it compiled at and
// compiles again when the stamp moved: a primary-key read instead of an aggregate over each table on every
// verifying answer.
import type { Db } from "@/db/client";
import type { changeStamps } from "@/db/schema";

export type ChangeStampName = (typeof changeStamps.$inferSelect)["name"];

const statements = new WeakMap<Db, (name: ChangeStampName) => unknown>();

/** The stamp: two equal reads mean nothing behind it was written between them (or a 2^-53 coincidence). */
export function changeStamp(db: Db, name: ChangeStampName): number {
  let get = statements.get(db);
  if (!get) {
    const statement = db.$client.prepare<[ChangeStampName]>("select stamp from change_stamps where name = ?").pluck();
    statements.set(db, (get = (n) => statement.get(n)));
  }
  const stamp = get(name);
  // The migration inserts the three rows; without one, nothing would ever tell a cache it is stale.
  if (typeof stamp !== "number") throw new Error(`change stamp "${name}" is missing (migration 0010)`);
  return stamp;
}
