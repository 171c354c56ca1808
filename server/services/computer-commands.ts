// Admin actions on one computer's queue: cancel a pending command, request an inventory update.
import { eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { cancelCommand } from "@/server/queue/queue";
import { queueInventory } from "@/server/services/devices";
import { pushComputers } from "@/server/services/push";
import { commands, computers, events } from "@/db/schema";

/** Cancels a command the Mac has not accepted yet (queued, or deferred with NotNow), with an admin event. */
export function cancelComputerCommand(deps: Pick<Deps, "db" | "clock">, input: { uuid: string }, actor: string) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const command = tx.select().from(commands).where(eq(commands.uuid, input.uuid)).get();
      if (!command) throw new AppError("NOT_FOUND", `No command ${input.uuid}`);
      const result = cancelCommand(deps.db, input.uuid, now);
      if (!result.canceled) {
        throw new AppError("CONFLICT", `Only pending commands can be cancelled: this ${command.requestType} is ${command.status.replace("_", " ")}`);
      }
      tx.insert(events)
        .values({ at: now, category: "admin", type: "command.canceled", actor, computerId: command.computerId, deploymentId: command.deploymentId, commandUuid: command.uuid, message: `${command.requestType} cancelled by ${actor}` })
        .run();
      return { uuid: command.uuid, status: "canceled" as const };
    },
    { behavior: "immediate" },
  );
}

/** Queues DeviceInformation and InstalledApplicationList for an enrolled Mac and wakes it. */
export async function updateComputerInventory(deps: Pick<Deps, "db" | "clock" | "log" | "push">, input: { id: number }, actor: string) {
  const now = deps.clock.now();
  const commandUuids = deps.db.transaction(
    (tx) => {
      const computer = tx.select().from(computers).where(eq(computers.id, input.id)).get();
      if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.id}`);
      if (!computer.enrolled) throw new AppError("PRECONDITION_FAILED", `${computer.name || computer.udid} is not enrolled`);
      const uuids = queueInventory(deps.db, computer.id, now);
      tx.insert(events).values({ at: now, category: "admin", type: "computer.inventory_requested", actor, computerId: computer.id, message: `Inventory update requested by ${actor}` }).run();
      return uuids;
    },
    { behavior: "immediate" },
  );
  const push = await pushComputers(deps, [input.id]);
  return { queued: commandUuids.length, commandUuids, pushed: push.sent > 0 };
}
