// An App Installer's timeline for its page: every status change and admin action (DESIGN §3.4 item 11), with
// the computer's name beside the events that concern one computer.
import { desc, eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { computers, deployments, events } from "@/db/schema";

/** The newest events of one App Installer, newest first, each with its computer's name when it has one. */
export function listDeploymentActivity(deps: Pick<Deps, "db">, input: { id: number; limit?: number }) {
  if (!deps.db.select({ id: deployments.id }).from(deployments).where(eq(deployments.id, input.id)).get()) throw new AppError("NOT_FOUND", `No App Installer with id ${input.id}`);
  return deps.db
    .select({ id: events.id, at: events.at, category: events.category, type: events.type, actor: events.actor, computerId: events.computerId, computerName: computers.name, message: events.message })
    .from(events)
    .leftJoin(computers, eq(computers.id, events.computerId))
    .where(eq(events.deploymentId, input.id))
    .orderBy(desc(events.at), desc(events.id))
    .limit(input.limit ?? 50)
    .all();
}
