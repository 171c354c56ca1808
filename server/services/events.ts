// Event rows (DESIGN §3.1 histories) written where many are written: a deployment pass, and a Mac's
// enrollment (the profile, Authenticate, TokenUpdate). One insert prepared per database: a drizzle insert
// builds and prepares its statement on every call, which cost more than the write itself.
import type { Db } from "@/db/client";
import type { NewEvent } from "@/db/schema";

const statements = new WeakMap<Db, ReturnType<Db["$client"]["prepare"]>>();

/** Writes one event row, as drizzle would (instants as milliseconds, `data` as JSON). */
export function insertEvent(db: Db, e: NewEvent): void {
  let statement = statements.get(db);
  if (!statement) {
    statement = db.$client.prepare(
      `insert into events (at, category, type, actor, computer_id, deployment_id, command_uuid, message, data)
       values (@at, @category, @type, @actor, @computerId, @deploymentId, @commandUuid, @message, @data)`,
    );
    statements.set(db, statement);
  }
  statement.run({
    at: e.at.getTime(),
    category: e.category,
    type: e.type,
    actor: e.actor,
    computerId: e.computerId ?? null,
    deploymentId: e.deploymentId ?? null,
    commandUuid: e.commandUuid ?? null,
    message: e.message,
    data: e.data === undefined || e.data === null ? null : JSON.stringify(e.data),
  });
}

const batchStatements = new WeakMap<Db, ReturnType<Db["$client"]["prepare"]>>();

/**
 * Writes event rows in one statement, in the order given: an INSERT … SELECT over a JSON array of rows,
 * so SQLite reads the values itself instead of the driver binding nine per row (a 100k fan-out writes one
 * event per Mac: the bindings cost more than the rows).
 */
export function insertEvents(db: Db, events: readonly NewEvent[]): void {
  if (events.length === 0) return;
  let statement = batchStatements.get(db);
  if (!statement) {
    statement = db.$client.prepare(
      `insert into events (at, category, type, actor, computer_id, deployment_id, command_uuid, message, data)
       select e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 5, e.value ->> 6, e.value ->> 7, e.value ->> 8
       from json_each(?) e order by e.key`,
    );
    batchStatements.set(db, statement);
  }
  const rows = events.map((e) => [
    e.at.getTime(),
    e.category,
    e.type,
    e.actor,
    e.computerId ?? null,
    e.deploymentId ?? null,
    e.commandUuid ?? null,
    e.message,
    e.data === undefined || e.data === null ? null : JSON.stringify(e.data),
  ]);
  statement.run(JSON.stringify(rows));
}
