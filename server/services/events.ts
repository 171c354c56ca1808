// Event rows (DESIGN §3.1 histories) written where many are written: a deployment pass, and a Mac's
// enrollment (the profile, Authenticate, TokenUpdate). One insert prepared per database: a drizzle insert
// builds and prepares its statement on every call, which cost more than the write itself.
import type { Db } from "@/db/client";
import type { NewEvent } from "@/db/schema";

const COLUMNS = "at, category, type, actor, computer_id, deployment_id, command_uuid, message, data";

/** The statements, prepared once per database: one row bound, and many read from a JSON array. */
const statements = new WeakMap<Db, { one: ReturnType<Db["$client"]["prepare"]>; many: ReturnType<Db["$client"]["prepare"]> }>();
function eventStatements(db: Db) {
  let s = statements.get(db);
  if (!s) {
    s = {
      one: db.$client.prepare(`insert into events (${COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // Rows in the order given, the values read by SQLite itself: the driver binding nine per row cost more
      // than the rows in a 100k fan-out, which writes one event per Mac.
      many: db.$client.prepare(
        `insert into events (${COLUMNS})
         select e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8
         from json_each(?) e order by e.key`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

/** An event's column values, as drizzle stores them (instants as milliseconds, `data` as JSON). */
function eventRow(e: NewEvent) {
  return [
    e.at.getTime(),
    e.category,
    e.type,
    e.actor,
    e.computerId ?? null,
    e.deploymentId ?? null,
    e.commandUuid ?? null,
    e.message,
    e.data === undefined || e.data === null ? null : JSON.stringify(e.data),
  ];
}

/** Writes one event row. */
export function insertEvent(db: Db, e: NewEvent): void {
  eventStatements(db).one.run(eventRow(e));
}

/** Writes event rows in one statement, in the order given (an engine pass's slice). */
export function insertEvents(db: Db, events: readonly NewEvent[]): void {
  if (events.length > 0) eventStatements(db).many.run(JSON.stringify(events.map(eventRow)));
}
