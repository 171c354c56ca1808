// The dashboard's one read: fleet counts, every App Installer with its status counts, the newest failures.
import { and, count, desc, eq, gte } from "drizzle-orm";

import { DAY } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { listDeployments } from "@/server/services/deployments";
import { catalogTitles, computers, deployments, deploymentTargets } from "@/db/schema";

/** Enrolled Macs, those checked in within 24 hours of the clock's now, App Installers, and the latest failed targets. */
export function getDashboard(deps: Pick<Deps, "db" | "clock">, options: { failureLimit?: number } = {}) {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - DAY);
  const total = deps.db.select({ n: count() }).from(computers).get()?.n ?? 0;
  const enrolled = deps.db.select({ n: count() }).from(computers).where(eq(computers.enrolled, true)).get()?.n ?? 0;
  const checkedInLast24h =
    deps.db
      .select({ n: count() })
      .from(computers)
      .where(and(eq(computers.enrolled, true), gte(computers.lastCheckinAt, since)))
      .get()?.n ?? 0;
  const installers = listDeployments(deps).map((d) => ({
    id: d.id,
    name: d.name,
    titleName: d.titleName,
    smartGroupName: d.smartGroupName,
    distributionMethod: d.distributionMethod,
    enabled: d.enabled,
    counts: d.counts,
  }));
  const recentFailures = deps.db
    .select({
      deploymentId: deployments.id,
      deploymentName: deployments.name,
      titleName: catalogTitles.name,
      computerId: computers.id,
      computerName: computers.name,
      reason: deploymentTargets.reason,
      lastError: deploymentTargets.lastError,
      attempts: deploymentTargets.attempts,
      failedAt: deploymentTargets.statusChangedAt,
    })
    .from(deploymentTargets)
    .innerJoin(deployments, eq(deployments.id, deploymentTargets.deploymentId))
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .innerJoin(computers, eq(computers.id, deploymentTargets.computerId))
    .where(eq(deploymentTargets.status, "failed"))
    .orderBy(desc(deploymentTargets.statusChangedAt), desc(deploymentTargets.id))
    .limit(options.failureLimit ?? 8)
    .all();
  return { now, computers: { total, enrolled, checkedInLast24h }, installers, recentFailures };
}
