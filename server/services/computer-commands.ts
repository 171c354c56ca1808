// Admin actions on one computer's queue: cancel a pending command, request an inventory update.
import { eq } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { cancelCommand } from "@/server/queue/queue";
import { recordAdminAction } from "@/server/services/audit";
import { queueInventory } from "@/server/services/devices";
import { pushComputers } from "@/server/services/push";
import { commands, computers } from "@/db/schema";

/** Cancels a command the Mac has not accepted yet (queued, or deferred with NotNow), with an admin event. */
export function cancelComputerCommand(deps: Pick<Deps, "db" | "clock">, input: { uuid: string }, by: Principal) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const command = tx.select().from(commands).where(eq(commands.uuid, input.uuid)).get();
      if (!command) throw new AppError("NOT_FOUND", `No command ${input.uuid}`);
      const result = cancelCommand(deps.db, input.uuid, now);
      if (!result.canceled) {
        throw new AppError("CONFLICT", `Only pending commands can be cancelled: this ${command.requestType} is ${command.status.replace("_", " ")}`);
      }
      recordAdminAction(tx, now, by, {
        action: "command.canceled",
        target: { type: "command", id: command.uuid, name: command.requestType },
        summary: `${command.requestType} cancelled`,
        changes: { status: { from: command.status, to: "canceled" } },
        history: { computerId: command.computerId, deploymentId: command.deploymentId ?? undefined, commandUuid: command.uuid },
      });
      return { uuid: command.uuid, status: "canceled" as const };
    },
    { behavior: "immediate" },
  );
}

/** Queues DeviceInformation and InstalledApplicationList for an enrolled Mac and wakes it. */
export async function updateComputerInventory(deps: Pick<Deps, "db" | "clock" | "log" | "push">, input: { id: number }, by: Principal) {
  const now = deps.clock.now();
  const commandUuids = deps.db.transaction(
    (tx) => {
      const computer = tx.select().from(computers).where(eq(computers.id, input.id)).get();
      if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.id}`);
      if (!computer.enrolled) throw new AppError("PRECONDITION_FAILED", `${computer.name || computer.udid} is not enrolled`);
      const uuids = queueInventory(deps.db, computer.id, now);
      recordAdminAction(tx, now, by, {
        action: "computer.inventory_requested",
        target: { type: "computer", id: computer.id, name: computer.name || computer.udid },
        summary: "Inventory update requested",
        changes: { commands: uuids },
        history: { computerId: computer.id },
      });
      return uuids;
    },
    { behavior: "immediate" },
  );
  const push = await pushComputers(deps, [input.id]);
  return { queued: commandUuids.length, commandUuids, pushed: push.sent > 0 };
}
