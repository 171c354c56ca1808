// App Installer deployments: create, edit, enable, list, per-computer targets, retry, and the dry run.
import { and, asc, count, desc, eq, inArray, type SQL } from "drizzle-orm";
import { z } from "zod";

import { compileSmartGroups } from "@/server/engine/smart-groups";
import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { decideScope, targetVersionOf } from "@/server/services/deployment-engine";
import { runEnginePassNow, runPendingScopes } from "@/server/services/engine-passes";
import { requestTitleScopes, scopeProgress } from "@/server/services/pending-scopes";
import { evaluateStoredComputers, loadGroupDefinitions } from "@/server/services/smart-groups";
import {
  catalogTitles,
  catalogVersions,
  computers,
  deployments,
  deploymentTargets,
  events,
  smartGroups,
  TARGET_STATUSES,
  type Deployment,
  type TargetStatus,
} from "@/db/schema";

export const ZDeploymentFields = z.object({
  name: z.string().trim().min(1).max(200),
  titleId: z.number().int().positive(),
  smartGroupId: z.number().int().positive(),
  distributionMethod: z.enum(["install_automatically", "self_service"]),
  updateMethod: z.enum(["automatic", "manual"]),
  version: z.string().trim().min(1).max(100).nullish(),
  installSupportingProfiles: z.boolean().optional(),
  enabled: z.boolean().optional(),
  selfService: z.object({ category: z.string().trim().max(100).optional(), description: z.string().trim().max(4000).optional() }).optional(),
});
export type TDeploymentFields = z.infer<typeof ZDeploymentFields>;
export const ZUpdateDeploymentInput = ZDeploymentFields.partial().extend({ id: z.number().int().positive() });
export type TUpdateDeploymentInput = z.infer<typeof ZUpdateDeploymentInput>;

type DeploymentDeps = Pick<Deps, "db" | "clock" | "log" | "push" | "publicUrl">;

/** Checks references and the Manual/version rule; returns the row values to write. */
function validate(deps: Pick<Deps, "db">, input: TDeploymentFields) {
  const title = deps.db.select().from(catalogTitles).where(eq(catalogTitles.id, input.titleId)).get();
  if (!title) throw new AppError("BAD_REQUEST", `No catalog title with id ${input.titleId}`);
  const group = deps.db.select({ id: smartGroups.id }).from(smartGroups).where(eq(smartGroups.id, input.smartGroupId)).get();
  if (!group) throw new AppError("BAD_REQUEST", `No smart group with id ${input.smartGroupId}`);
  let version: string | null = null;
  if (input.updateMethod === "manual") {
    if (!input.version) throw new AppError("BAD_REQUEST", "Manual update needs a version: pick one of the catalog's versions");
    const listed = deps.db
      .select({ id: catalogVersions.id })
      .from(catalogVersions)
      .where(and(eq(catalogVersions.titleId, title.id), eq(catalogVersions.version, input.version)))
      .get();
    if (!listed) throw new AppError("BAD_REQUEST", `${title.name} has no version ${input.version} in the catalog`);
    version = input.version;
  } else if (input.version) {
    throw new AppError("BAD_REQUEST", "A version is chosen only with Manual update; Automatic always targets the newest version");
  }
  return {
    name: input.name,
    titleId: title.id,
    smartGroupId: group.id,
    distributionMethod: input.distributionMethod,
    updateMethod: input.updateMethod,
    version,
    installSupportingProfiles: input.installSupportingProfiles ?? false,
    enabled: input.enabled ?? true,
    selfServiceCategory: input.selfService?.category ?? null,
    selfServiceDescription: input.selfService?.description ?? null,
  };
}

function getRow(deps: Pick<Deps, "db">, id: number): Deployment {
  const row = deps.db.select().from(deployments).where(eq(deployments.id, id)).get();
  if (!row) throw new AppError("NOT_FOUND", `No App Installer with id ${id}`);
  return row;
}

/**
 * Creates an App Installer: in effect from this transaction's commit (its title's scope is pending, so a Mac
 * that checks in gets its work in that request), with the pass that writes every computer's target to follow
 * (`runPendingScopes`). createDeployment does both.
 */
export function commitDeployment(deps: DeploymentDeps, input: TDeploymentFields, by: Principal) {
  const now = deps.clock.now();
  const values = validate(deps, input);
  const id = deps.db.transaction(
    (tx) => {
      const row = tx.insert(deployments).values({ ...values, createdAt: now, updatedAt: now }).returning({ id: deployments.id }).get();
      requestTitleScopes(deps.db, [values.titleId], now);
      recordAdminAction(tx, now, by, {
        action: "deployment.created",
        target: { type: "deployment", id: row.id, name: values.name },
        summary: `App Installer "${values.name}" created`,
        changes: { ...values },
        history: { deploymentId: row.id },
      });
      return row.id;
    },
    { behavior: "immediate" },
  );
  return { id };
}

/**
 * What an App Installer change's caller waits for: "commit", an admin's request, answers once the change is
 * in effect, and the App Installer's page shows the pass behind it (at 100,000 Macs, seconds); "pass",
 * scripts, the demo and tests, returns when every target exists.
 */
export type PassWait = "commit" | "pass";

async function passBehind(deps: DeploymentDeps, wait: PassWait) {
  const pass = runPendingScopes(deps);
  if (wait === "pass") {
    await pass;
    return;
  }
  // The scope stays pending until the pass ends: a failed pass is resumed by the next scheduler tick.
  pass.catch((e: unknown) => deps.log.error("the pass behind an App Installer change failed; the next scheduler tick resumes it", { error: e }));
}

/** Creates an App Installer: committed and in effect, then its pass (waited for or not, `wait`). */
export async function createDeployment(deps: DeploymentDeps, input: TDeploymentFields, by: Principal, wait: PassWait = "pass") {
  const created = commitDeployment(deps, input, by);
  await passBehind(deps, wait);
  return created;
}

/** The fields an edit results in: the stored App Installer with the given changes applied. */
export function mergeDeploymentUpdate(deps: Pick<Deps, "db">, input: TUpdateDeploymentInput): TDeploymentFields {
  const current = getRow(deps, input.id);
  const updateMethod = input.updateMethod ?? current.updateMethod;
  return {
    name: input.name ?? current.name,
    titleId: input.titleId ?? current.titleId,
    smartGroupId: input.smartGroupId ?? current.smartGroupId,
    distributionMethod: input.distributionMethod ?? current.distributionMethod,
    updateMethod,
    version: input.version !== undefined ? input.version : updateMethod === "manual" ? current.version : null,
    installSupportingProfiles: input.installSupportingProfiles ?? current.installSupportingProfiles,
    enabled: input.enabled ?? current.enabled,
    selfService: input.selfService ?? { category: current.selfServiceCategory ?? undefined, description: current.selfServiceDescription ?? undefined },
  };
}

/** Edits an App Installer (every field of DESIGN §2); the change takes effect in the same engine pass. */
export async function updateDeployment(deps: DeploymentDeps, input: TUpdateDeploymentInput, by: Principal, wait: PassWait = "pass") {
  const now = deps.clock.now();
  const current = getRow(deps, input.id);
  const merged = mergeDeploymentUpdate(deps, input);
  const values = validate(deps, merged);
  const changes = Object.fromEntries(
    Object.entries(values)
      .filter(([k, v]) => current[k as keyof Deployment] !== v)
      .map(([k, v]) => [k, { from: current[k as keyof Deployment], to: v }]),
  );
  deps.db.transaction(
    (tx) => {
      tx.update(deployments).set({ ...values, updatedAt: now }).where(eq(deployments.id, input.id)).run();
      // Both titles when the title changed: the old one's other App Installers may win where this one left.
      requestTitleScopes(deps.db, [current.titleId, values.titleId], now);
      const changed = Object.keys(changes).length > 0;
      recordAdminAction(tx, now, by, {
        action: "deployment.updated",
        target: { type: "deployment", id: input.id, name: values.name },
        summary: changed ? `App Installer "${values.name}" changed: ${Object.keys(changes).join(", ")}` : `App Installer "${values.name}" saved with no change`,
        changes,
        history: changed ? { deploymentId: input.id } : undefined,
      });
    },
    { behavior: "immediate" },
  );
  await passBehind(deps, wait);
  return { id: input.id };
}

/** Enable or disable: a disabled App Installer sends nothing new (DESIGN §3.4 item 10). */
export async function setDeploymentEnabled(deps: DeploymentDeps, input: { id: number; enabled: boolean }, by: Principal, wait: PassWait = "pass") {
  const now = deps.clock.now();
  const current = getRow(deps, input.id);
  const switched = deps.db.transaction(
    (tx) => {
      const verb = input.enabled ? "enabled" : "disabled";
      const changed = current.enabled !== input.enabled;
      if (changed) {
        tx.update(deployments).set({ enabled: input.enabled, updatedAt: now }).where(eq(deployments.id, input.id)).run();
        requestTitleScopes(deps.db, [current.titleId], now);
      }
      recordAdminAction(tx, now, by, {
        action: `deployment.${verb}`,
        target: { type: "deployment", id: input.id, name: current.name },
        summary: changed ? `App Installer "${current.name}" ${verb}` : `App Installer "${current.name}" was already ${verb}`,
        changes: changed ? { enabled: { from: current.enabled, to: input.enabled } } : {},
        history: changed ? { deploymentId: input.id } : undefined,
      });
      return changed;
    },
    { behavior: "immediate" },
  );
  // Enabling deploys; disabling sends nothing new for it, but its title's other App Installers may now win.
  if (switched) await passBehind(deps, wait);
  return { id: input.id, enabled: input.enabled };
}

function statusCounts(deps: Pick<Deps, "db">, deploymentIds?: number[]) {
  const rows = deps.db
    .select({ deploymentId: deploymentTargets.deploymentId, status: deploymentTargets.status, n: count() })
    .from(deploymentTargets)
    .where(deploymentIds ? inArray(deploymentTargets.deploymentId, deploymentIds) : undefined)
    .groupBy(deploymentTargets.deploymentId, deploymentTargets.status)
    .all();
  const byDeployment = new Map<number, Record<TargetStatus, number>>();
  for (const r of rows) {
    const counts = byDeployment.get(r.deploymentId) ?? (Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as Record<TargetStatus, number>);
    counts[r.status] = r.n;
    byDeployment.set(r.deploymentId, counts);
  }
  return (id: number) => byDeployment.get(id) ?? (Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as Record<TargetStatus, number>);
}

const deploymentColumns = {
  id: deployments.id,
  name: deployments.name,
  titleId: deployments.titleId,
  titleName: catalogTitles.name,
  bundleId: catalogTitles.bundleId,
  smartGroupId: deployments.smartGroupId,
  smartGroupName: smartGroups.name,
  distributionMethod: deployments.distributionMethod,
  updateMethod: deployments.updateMethod,
  version: deployments.version,
  installSupportingProfiles: deployments.installSupportingProfiles,
  enabled: deployments.enabled,
  selfServiceCategory: deployments.selfServiceCategory,
  selfServiceDescription: deployments.selfServiceDescription,
  createdAt: deployments.createdAt,
  updatedAt: deployments.updatedAt,
};

/** Every App Installer with its per-status counts (DESIGN §4.2 `deployments.list`). */
export function listDeployments(deps: Pick<Deps, "db">) {
  const rows = deps.db
    .select(deploymentColumns)
    .from(deployments)
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .innerJoin(smartGroups, eq(smartGroups.id, deployments.smartGroupId))
    .orderBy(asc(deployments.id))
    .all();
  const counts = statusCounts(deps);
  return rows.map((r) => ({ ...r, counts: counts(r.id) }));
}

/** One App Installer with its counts and the version it targets now. */
export function getDeployment(deps: Pick<Deps, "db">, id: number) {
  const row = deps.db
    .select(deploymentColumns)
    .from(deployments)
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .innerJoin(smartGroups, eq(smartGroups.id, deployments.smartGroupId))
    .where(eq(deployments.id, id))
    .get();
  if (!row) throw new AppError("NOT_FOUND", `No App Installer with id ${id}`);
  const versions = deps.db.select().from(catalogVersions).where(eq(catalogVersions.titleId, row.titleId)).all();
  const target = targetVersionOf(row, versions);
  // While the pass behind a change of this title runs, the counts cover the computers it has reached.
  const scoping = scopeProgress(deps.db, row.titleId);
  return {
    ...row,
    targetVersion: target?.version ?? null,
    counts: statusCounts(deps, [id])(id),
    scoping: scoping ? { visited: scoping.visited, total: scoping.total, requestedAt: scoping.requestedAt.toISOString() } : null,
  };
}

/** The per-computer table of one App Installer, filterable by status (DESIGN §4.2 `deployments.targets`). */
export function listDeploymentTargets(deps: Pick<Deps, "db">, input: { id: number; status?: TargetStatus; page?: number; pageSize?: number }) {
  getRow(deps, input.id);
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 50;
  const where: SQL | undefined = and(eq(deploymentTargets.deploymentId, input.id), input.status ? eq(deploymentTargets.status, input.status) : undefined);
  const total = deps.db.select({ n: count() }).from(deploymentTargets).where(where).get()?.n ?? 0;
  const items = deps.db
    .select({
      computerId: deploymentTargets.computerId,
      udid: computers.udid,
      computerName: computers.name,
      status: deploymentTargets.status,
      phase: deploymentTargets.phase,
      reason: deploymentTargets.reason,
      attempts: deploymentTargets.attempts,
      targetVersion: deploymentTargets.targetVersion,
      lastError: deploymentTargets.lastError,
      nextAttemptAt: deploymentTargets.nextAttemptAt,
      updatedAt: deploymentTargets.updatedAt,
    })
    .from(deploymentTargets)
    .innerJoin(computers, eq(computers.id, deploymentTargets.computerId))
    .where(where)
    .orderBy(asc(computers.name), asc(computers.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .all();
  return { items, total, page, pageSize };
}

/** Failed targets start again with fresh attempts (DESIGN §3.4 item 12): all, or the chosen computers. */
export async function retryFailedTargets(deps: DeploymentDeps, input: { id: number; computerIds?: number[] }, by: Principal) {
  const now = deps.clock.now();
  const d = getRow(deps, input.id);
  const retried = deps.db.transaction(
    (tx) => {
      const failed = tx
        .select({ id: deploymentTargets.id, computerId: deploymentTargets.computerId })
        .from(deploymentTargets)
        .where(and(eq(deploymentTargets.deploymentId, d.id), eq(deploymentTargets.status, "failed"), input.computerIds ? inArray(deploymentTargets.computerId, input.computerIds) : undefined))
        .all();
      recordAdminAction(tx, now, by, {
        action: "deployment.retry_failed",
        target: { type: "deployment", id: d.id, name: d.name },
        summary: `Retry of ${failed.length} failed computer(s) requested`,
        changes: { computerIds: failed.map((f) => f.computerId) },
        history: failed.length > 0 ? { deploymentId: d.id } : undefined,
      });
      if (failed.length === 0) return [];
      tx.update(deploymentTargets)
        .set({
          status: "in_progress",
          phase: "waiting_for_inventory",
          reason: `Retry requested by ${by.name}`,
          attempts: 0,
          lastError: null,
          nextAttemptAt: null,
          pendingInventoryCommandUuid: null,
          installCommandUuid: null,
          statusChangedAt: now,
          updatedAt: now,
        })
        .where(inArray(deploymentTargets.id, failed.map((f) => f.id)))
        .run();
      tx.insert(events)
        .values(failed.map((f) => ({ at: now, category: "status" as const, type: "target.status_changed", actor: by.name, computerId: f.computerId, deploymentId: d.id, message: `In progress: Retry requested by ${by.name}` })))
        .run();
      return failed.map((f) => f.computerId);
    },
    { behavior: "immediate" },
  );
  if (retried.length > 0) await runEnginePassNow(deps, { computerIds: retried, titleIds: [d.titleId] });
  return { retried: retried.length };
}

export type PreviewOutcome = "install" | "self_service" | "unqualified" | "failed" | "waiting";

/**
 * The dry run of create (DESIGN §4.2 `deployments.preview`): who would install, be offered it in Self
 * Service, be Unqualified, fail compatibility, or wait for device information — and why. Writes nothing.
 * With `id`, the dry run of an edit: the fields replace that stored App Installer and keep its id, so it
 * does not compete with its own saved copy (precedence rule 4 ties on the id).
 */
export function previewDeployment(deps: Pick<Deps, "db" | "clock">, input: TDeploymentFields, options: { sampleSize?: number; id?: number } = {}) {
  const values = validate(deps, input);
  const sampleSize = options.sampleSize ?? 10;
  const now = deps.clock.now();
  const { membership } = evaluateStoredComputers(deps, compileSmartGroups(loadGroupDefinitions(deps)), now);
  if (options.id !== undefined) getRow(deps, options.id);
  const all = deps.db.select().from(deployments).all();
  const previewId = options.id ?? Math.max(0, ...all.map((d) => d.id)) + 1;
  const virtual: Deployment = { ...values, id: previewId, createdAt: now, updatedAt: now };
  const titles = new Map(deps.db.select().from(catalogTitles).all().map((t) => [t.id, t]));
  const versions = deps.db.select().from(catalogVersions).where(eq(catalogVersions.titleId, values.titleId)).all();
  const sameTitle = [...all.filter((d) => d.enabled && d.titleId === values.titleId && d.id !== previewId), virtual].map((d) => ({
    ...d,
    bundleId: titles.get(d.titleId)?.bundleId ?? "",
    titleName: titles.get(d.titleId)?.name ?? "",
    publisher: titles.get(d.titleId)?.publisher ?? "",
  }));
  const enrolled = new Map(
    deps.db
      .select({ id: computers.id, osVersion: computers.osVersion, architecture: computers.architecture, lastInventoryAt: computers.lastInventoryAt, enrolled: computers.enrolled, name: computers.name })
      .from(computers)
      .where(eq(computers.enrolled, true))
      .all()
      .map((c) => [c.id, c]),
  );
  const scoped = new Map([...membership].map(([g, members]) => [g, new Set([...members].filter((id) => enrolled.has(id)))]));
  const decisions = decideScope(sameTitle, new Map([[values.titleId, versions]]), scoped, enrolled).filter((d) => d.deploymentId === previewId);

  const outcomes: Record<PreviewOutcome, { count: number; sample: { computerId: number; computerName: string; reason: string }[] }> = {
    install: { count: 0, sample: [] },
    self_service: { count: 0, sample: [] },
    unqualified: { count: 0, sample: [] },
    failed: { count: 0, sample: [] },
    waiting: { count: 0, sample: [] },
  };
  for (const d of decisions.sort((a, b) => a.computerId - b.computerId)) {
    let outcome: PreviewOutcome;
    let reason: string;
    if (d.scope.kind === "unqualified") [outcome, reason] = ["unqualified", d.scope.reason];
    else if (d.compatibility.kind === "incompatible") [outcome, reason] = ["failed", d.compatibility.reason];
    else if (d.compatibility.kind === "unknown") [outcome, reason] = ["waiting", d.compatibility.reason];
    else if (values.distributionMethod === "self_service") [outcome, reason] = ["self_service", "Will be offered in Self Service"];
    else [outcome, reason] = ["install", `Will install ${d.version.shortVersion ?? d.version.version}`];
    const bucket = outcomes[outcome];
    bucket.count++;
    if (bucket.sample.length < sampleSize) bucket.sample.push({ computerId: d.computerId, computerName: enrolled.get(d.computerId)?.name ?? "", reason });
  }
  const target = targetVersionOf(values, versions);
  return { targetVersion: target?.version ?? null, inScope: decisions.length, outcomes };
}

/** Recent status and admin events of one App Installer, newest first. */
export function listDeploymentEvents(deps: Pick<Deps, "db">, input: { id: number; limit?: number }) {
  return deps.db
    .select({ id: events.id, at: events.at, category: events.category, type: events.type, actor: events.actor, computerId: events.computerId, message: events.message })
    .from(events)
    .where(eq(events.deploymentId, input.id))
    .orderBy(desc(events.at), desc(events.id))
    .limit(input.limit ?? 200)
    .all();
}
