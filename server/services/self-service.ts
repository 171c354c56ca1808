// Self Service (DESIGN §3.4 item 1): what a Mac's user may install, and their Install click.
import { and, asc, eq } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { runEnginePassNow } from "@/server/services/engine-passes";
import { catalogTitles, computers, deployments, deploymentTargets, events } from "@/db/schema";

/** The Self Service titles of one computer, with their live status. */
export function listSelfService(deps: Pick<Deps, "db">, input: { computerId: number }) {
  const computer = deps.db.select({ id: computers.id }).from(computers).where(eq(computers.id, input.computerId)).get();
  if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${input.computerId}`);
  return deps.db
    .select({
      deploymentId: deployments.id,
      name: deployments.name,
      titleName: catalogTitles.name,
      publisher: catalogTitles.publisher,
      category: deployments.selfServiceCategory,
      description: deployments.selfServiceDescription,
      targetVersion: deploymentTargets.targetVersion,
      status: deploymentTargets.status,
      phase: deploymentTargets.phase,
      reason: deploymentTargets.reason,
      requestedAt: deploymentTargets.selfServiceRequestedAt,
    })
    .from(deploymentTargets)
    .innerJoin(deployments, eq(deployments.id, deploymentTargets.deploymentId))
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .where(and(eq(deploymentTargets.computerId, input.computerId), eq(deployments.distributionMethod, "self_service"), eq(deployments.enabled, true)))
    .orderBy(asc(catalogTitles.name))
    .all()
    .filter((r) => r.status !== "unqualified");
}

/**
 * The user clicked Install (through the signed Self Service link: "end user"), or an admin did it for them:
 * the target continues into the install flow at once. An admin's request is audited.
 */
export async function requestSelfServiceInstall(
  deps: Pick<Deps, "db" | "clock" | "log" | "push" | "publicUrl">,
  input: { computerId: number; deploymentId: number },
  by: Principal | "end user",
) {
  const now = deps.clock.now();
  const requested = deps.db.transaction(
    (tx) => {
      const target = tx
        .select()
        .from(deploymentTargets)
        .where(and(eq(deploymentTargets.computerId, input.computerId), eq(deploymentTargets.deploymentId, input.deploymentId)))
        .get();
      if (!target) throw new AppError("NOT_FOUND", "This title is not offered to this computer in Self Service");
      const fresh = target.status === "self_service_available";
      if (!fresh && !target.selfServiceRequestedAt) throw new AppError("CONFLICT", `This title cannot be installed from Self Service now: ${target.reason}`);
      const history = { computerId: input.computerId, deploymentId: input.deploymentId };
      if (fresh) tx.update(deploymentTargets).set({ selfServiceRequestedAt: now, updatedAt: now }).where(eq(deploymentTargets.id, target.id)).run();
      if (by !== "end user") {
        const summary = fresh ? "Install requested in Self Service" : "Install requested in Self Service again (already requested)";
        recordAdminAction(tx, now, by, { action: "self_service.requested", target: { type: "deployment_target", id: target.id }, summary, history: fresh ? history : undefined });
      } else if (fresh) {
        tx.insert(events).values({ at: now, category: "status", type: "self_service.requested", actor: by, ...history, message: `Install requested in Self Service by ${by}` }).run();
      }
      return fresh ? undefined : target.status;
    },
    { behavior: "immediate" },
  );
  if (requested !== undefined) return { requested: false, status: requested };
  const deployment = deps.db.select({ titleId: deployments.titleId }).from(deployments).where(eq(deployments.id, input.deploymentId)).get();
  await runEnginePassNow(deps, { computerIds: [input.computerId], titleIds: deployment ? [deployment.titleId] : undefined });
  return { requested: true, status: "in_progress" as const };
}
