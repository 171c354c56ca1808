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
