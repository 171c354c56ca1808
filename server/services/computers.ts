// Reading computers: the searchable list and one computer with its inventory, groups and deployments.
import { and, asc, count, desc, eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { containsText } from "@/server/services/text-search";
import { catalogTitles, commands, computers, deployments, deploymentTargets, events, installedApps, smartGroupMembers, smartGroups } from "@/db/schema";

export type ListComputersInput = { search?: string; page?: number; pageSize?: number };

/** One page of computers, by name, filtered on name, serial number, UDID or model (DESIGN §4.2 `computers.list`). */
export function listComputers(deps: Pick<Deps, "db">, input: ListComputersInput = {}) {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 50;
  const where = containsText([computers.name, computers.serialNumber, computers.udid, computers.model, computers.modelName], input.search);
  const total = deps.db.select({ n: count() }).from(computers).where(where).get()?.n ?? 0;
  const items = deps.db
    .select({
      id: computers.id,
      udid: computers.udid,
      name: computers.name,
      serialNumber: computers.serialNumber,
      model: computers.model,
      modelName: computers.modelName,
      osVersion: computers.osVersion,
      architecture: computers.architecture,
      enrolled: computers.enrolled,
      lastCheckinAt: computers.lastCheckinAt,
      lastInventoryAt: computers.lastInventoryAt,
    })
    .from(computers)
    .where(where)
    .orderBy(asc(computers.name), asc(computers.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .all();
  return { items, total, page, pageSize };
}

/** One computer with installed apps, smart group memberships and its status in every deployment. */
export function getComputer(deps: Pick<Deps, "db">, key: { id: number } | { udid: string }) {
  const computer = deps.db
    .select()
    .from(computers)
    .where("id" in key ? eq(computers.id, key.id) : eq(computers.udid, key.udid))
    .get();
  if (!computer) throw new AppError("NOT_FOUND", "id" in key ? `No computer with id ${key.id}` : `No computer with UDID ${key.udid}`);

  const apps = deps.db
    .select({ bundleId: installedApps.bundleId, name: installedApps.name, version: installedApps.version, shortVersion: installedApps.shortVersion, installing: installedApps.installing })
    .from(installedApps)
    .where(eq(installedApps.computerId, computer.id))
    .orderBy(asc(installedApps.name))
    .all();
  const groups = deps.db
    .select({ id: smartGroups.id, name: smartGroups.name })
    .from(smartGroupMembers)
    .innerJoin(smartGroups, eq(smartGroups.id, smartGroupMembers.smartGroupId))
    .where(eq(smartGroupMembers.computerId, computer.id))
    .orderBy(asc(smartGroups.name))
    .all();
  const targets = deps.db
    .select({
      deploymentId: deployments.id,
      deploymentName: deployments.name,
      titleName: catalogTitles.name,
      distributionMethod: deployments.distributionMethod,
      status: deploymentTargets.status,
      phase: deploymentTargets.phase,
      reason: deploymentTargets.reason,
      attempts: deploymentTargets.attempts,
      targetVersion: deploymentTargets.targetVersion,
      nextAttemptAt: deploymentTargets.nextAttemptAt,
      updatedAt: deploymentTargets.updatedAt,
    })
    .from(deploymentTargets)
    .innerJoin(deployments, eq(deployments.id, deploymentTargets.deploymentId))
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .where(and(eq(deploymentTargets.computerId, computer.id)))
    .orderBy(desc(deploymentTargets.updatedAt))
    .all();

  return {
    id: computer.id,
    udid: computer.udid,
    name: computer.name,
    serialNumber: computer.serialNumber,
    model: computer.model,
    modelName: computer.modelName,
    productName: computer.productName,
    osVersion: computer.osVersion,
    buildVersion: computer.buildVersion,
    architecture: computer.architecture,
    enrolled: computer.enrolled,
    enrolledAt: computer.enrolledAt,
    lastCheckinAt: computer.lastCheckinAt,
    lastInventoryAt: computer.lastInventoryAt,
    installedApps: apps,
    groups,
    deployments: targets,
  };
}

/** A computer's management history: every command with its outcome, and its event timeline (DESIGN §4.2). */
export function getComputerHistory(deps: Pick<Deps, "db">, input: { id: number; limit?: number }) {
  const limit = input.limit ?? 500;
  const exists = deps.db.select({ id: computers.id }).from(computers).where(eq(computers.id, input.id)).get();
  if (!exists) throw new AppError("NOT_FOUND", `No computer with id ${input.id}`);
  const commandRows = deps.db
    .select({
      uuid: commands.uuid,
      requestType: commands.requestType,
      status: commands.status,
      purpose: commands.purpose,
      deploymentId: commands.deploymentId,
      attempt: commands.attempt,
      createdAt: commands.createdAt,
      sentAt: commands.sentAt,
      completedAt: commands.completedAt,
      notNowCount: commands.notNowCount,
      errorChain: commands.errorChain,
    })
    .from(commands)
    .where(eq(commands.computerId, input.id))
    .orderBy(desc(commands.seq))
    .limit(limit)
    .all();
  const eventRows = deps.db
    .select({ id: events.id, at: events.at, category: events.category, type: events.type, actor: events.actor, deploymentId: events.deploymentId, commandUuid: events.commandUuid, message: events.message })
    .from(events)
    .where(eq(events.computerId, input.id))
    .orderBy(desc(events.at), desc(events.id))
    .limit(limit)
    .all();
  return { commands: commandRows, events: eventRows };
}
