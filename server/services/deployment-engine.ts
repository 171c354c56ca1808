// The engine pass (DESIGN §3): who is in scope of which deployment, who wins each title, who can run it,
// and one step of every target's install flow. Everything the engine decides is local to one computer (its
// groups, its winners, its targets), so a pass runs over the fleet in slices of computers: each slice reads
// what it needs in a handful of queries, asks the pure engine, and writes in one transaction; between slices
// the event loop serves PUT /mdm. One pass at a time per process.
import { performance } from "node:perf_hooks";

import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";

import { resolvePrecedence, type PrecedenceCandidate } from "@/server/engine/precedence";
import { checkCompatibility, type Compatibility } from "@/server/engine/compatibility";
import { initialTargetState, STATUS_LABELS, stepTarget, type CommandFact, type InstalledFact, type TargetFacts, type TargetState } from "@/server/engine/status";
import { newestVersion } from "@/server/engine/versions";
import type { Deps } from "@/server/deps";
import { buildInstalledApplicationList, buildInstallEnterpriseApplication, buildInstallProfile } from "@/server/queue/commands";
import { enqueueCommand, retireInstall } from "@/server/queue/queue";
import { versionManifest, type VersionManifest } from "@/server/services/manifests";
import { pushComputers } from "@/server/services/push";
import { getSettings, type Settings } from "@/server/services/settings";
import { compileSmartGroups, DAY_MS, type CompiledGroups } from "@/server/engine/smart-groups";
import { clearComputersDirty, dirtyComputers, FACTS_CHANGED, markComputersDirty, readEngineState, recordPass, startFullPass } from "@/server/services/engine-state";
import { loadGroupDefinitions, markGroupsCalculated, recalculateMembershipFor, smartGroupsVersion, storedMembershipFor } from "@/server/services/smart-groups";
import type { Db } from "@/db/client";
import { inJson } from "@/db/sql";
import {
  catalogProfiles,
  catalogTitles,
  catalogVersions,
  commands,
  computers,
  deployments,
  deploymentTargets,
  installedApps,
  smartGroupMembers,
  type CatalogVersion,
  type Command,
  type Deployment,
  type DeploymentTarget,
  type NewDeploymentTarget,
  type NewEvent,
} from "@/db/schema";

const CHUNK = 500;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type DeploymentInfo = Deployment & { bundleId: string; titleName: string; publisher: string };
type ComputerInfo = { id: number; osVersion: string | null; architecture: "arm64" | "x86_64" | null; lastInventoryAt: Date | null; enrolled: boolean };

/** A deployment's target version: the pinned one (Manual), else the catalog's newest (Automatic). */
export function targetVersionOf(deployment: Pick<Deployment, "updateMethod" | "version">, versions: CatalogVersion[]): CatalogVersion | undefined {
  if (deployment.updateMethod === "manual") return versions.find((v) => v.version === deployment.version);
  return newestVersion(versions, (v) => v.version);
}

export type ScopeDecision = { deploymentId: number; computerId: number; version: CatalogVersion; scope: TargetFacts["scope"]; compatibility: Compatibility };

/**
 * Scope, precedence and compatibility for every (enabled deployment, computer in its group) pair: the part
 * of a pass that `deployments.preview` shares. Pure apart from its inputs.
 */
export function decideScope(
  enabled: DeploymentInfo[],
  versionsByTitle: Map<number, CatalogVersion[]>,
  membership: Map<number, Set<number>>,
  computerById: Map<number, ComputerInfo>,
): ScopeDecision[] {
  const out: ScopeDecision[] = [];
  forEachScopeDecision(enabled, versionsByTitle, membership, computerById, (deploymentId, computerId, version, scope, compatibility) =>
    out.push({ deploymentId, computerId, version, scope, compatibility }),
  );
  return out;
}

export type ScopeVisitor = (deploymentId: number, computerId: number, version: CatalogVersion, scope: TargetFacts["scope"], compatibility: Compatibility) => void;

/**
 * decideScope, one decision at a time: a whole-fleet pass has millions, and the caller usually needs each
 * once, so none is kept.
 */
export function forEachScopeDecision(
  enabled: DeploymentInfo[],
  versionsByTitle: Map<number, CatalogVersion[]>,
  membership: Map<number, Set<number>>,
  computerById: Map<number, ComputerInfo>,
  visit: ScopeVisitor,
): void {
  // Candidates per title, then per computer: numeric keys, one candidate object per deployment (it is the
  // same for every member), and a bare candidate where there is one (most computers): a pass visits every
  // (deployment, member) pair.
  const byTitle = new Map<number, Map<number, Candidate | Candidate[]>>();
  for (const d of enabled) {
    const version = targetVersionOf(d, versionsByTitle.get(d.titleId) ?? []);
    const members = membership.get(d.smartGroupId);
    if (!version || !members || members.size === 0) continue;
    const candidate: Candidate = { id: d.id, name: d.name, distributionMethod: d.distributionMethod, updateMethod: d.updateMethod, targetVersion: version.version, version };
    let perComputer = byTitle.get(d.titleId);
    if (!perComputer) byTitle.set(d.titleId, (perComputer = new Map<number, Candidate | Candidate[]>()));
    for (const computerId of members) {
      const known = perComputer.get(computerId);
      if (known === undefined) perComputer.set(computerId, candidate);
      else if (Array.isArray(known)) known.push(candidate);
      else perComputer.set(computerId, [known, candidate]);
    }
  }
  const compatibility = compatibilityCache();
  for (const perComputer of byTitle.values()) {
    for (const [computerId, known] of perComputer) {
      const computer = computerById.get(computerId);
      if (!Array.isArray(known)) {
        visit(known.id, computerId, known.version, WINNER, compatibility(known.version, computer));
        continue;
      }
      const { winner, losers } = resolvePrecedence(known);
      const compat = compatibility(winner.version, computer);
      visit(winner.id, computerId, winner.version, WINNER, compat);
      for (const loser of losers) visit(loser.id, computerId, known.find((c) => c.id === loser.id)!.version, { kind: "unqualified", reason: loser.reason }, compat);
    }
  }
}

type Candidate = PrecedenceCandidate & { version: CatalogVersion };
const WINNER: TargetFacts["scope"] = Object.freeze({ kind: "winner" });
const UNKNOWN_DEVICE: Compatibility = Object.freeze({ kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" });

/** (macOS version, architecture) as one string, made once per computer object: a pass asks once per target. */
const compatibilityKeys = new WeakMap<ComputerInfo, string>();
function compatibilityKeyOf(computer: ComputerInfo): string {
  let key = compatibilityKeys.get(computer);
  if (key === undefined) compatibilityKeys.set(computer, (key = `${computer.osVersion}|${computer.architecture}`));
  return key;
}

/**
 * checkCompatibility, remembered per (catalog version, macOS version, architecture): a fleet has a few dozen
 * such pairs per version, and a pass asks once per target.
 */
function compatibilityCache() {
  const byVersion = new Map<CatalogVersion, Map<string, Compatibility>>();
  return (version: CatalogVersion, computer: ComputerInfo | undefined): Compatibility => {
    if (!computer) return UNKNOWN_DEVICE;
    let known = byVersion.get(version);
    if (!known) byVersion.set(version, (known = new Map<string, Compatibility>()));
    const key = compatibilityKeyOf(computer);
    let result = known.get(key);
    if (!result) {
      result = checkCompatibility({ version: { version: version.version, minimumOsVersion: version.minimumOsVersion, architectures: version.architectures }, computer });
      known.set(key, result);
    }
    return result;
  };
}

function commandFact(c: Command | undefined, slotHolders: Set<number>): CommandFact | null {
  if (!c) return null;
  const first = c.errorChain?.[0];
  return {
    uuid: c.uuid,
    status: c.status,
    sentAt: c.sentAt,
    completedAt: c.completedAt,
    errorText: first ? (first.USEnglishDescription ?? first.LocalizedDescription ?? `error ${first.ErrorCode ?? "?"} (${first.ErrorDomain ?? "unknown domain"})`) : null,
    waitingForSlot: c.isInstall && c.status === "queued" && slotHolders.has(c.computerId),
  };
}

/** The highest version of a title the Mac reported (Installing wins: an install in progress is not done). */
function installedFact(rows: { shortVersion: string | null; version: string | null; installing: boolean }[] | undefined): InstalledFact | null {
  if (!rows || rows.length === 0) return null;
  if (rows.some((r) => r.installing)) return { shortVersion: null, version: null, installing: true };
  const best = newestVersion(rows, (r) => r.shortVersion ?? r.version ?? "0");
  return best ? { shortVersion: best.shortVersion, version: best.version, installing: false } : null;
}

export type PassResult = { targetsCreated: number; targetsRemoved: number; statusChanges: number; commandsQueued: number; wake: number[] };

/**
 * What a pass reads once, not per slice: the App Installers (of some titles, or all), their titles, catalog
 * versions and supporting profiles. `stamp` tells a later slice whether an admin changed them meanwhile.
 */
export type PassContext = {
  stamp: string;
  titleIds: number[] | undefined;
  deployments: DeploymentInfo[];
  deploymentById: Map<number, DeploymentInfo>;
  enabled: DeploymentInfo[];
  versionsByTitle: Map<number, CatalogVersion[]>;
  profilesByTitle: Map<number, { mobileconfig: string; identifier: string }[]>;
  titleById: Map<number, typeof catalogTitles.$inferSelect>;
  bundleIds: string[];
  bundleIdsJson: string;
  /** The smart groups the enabled App Installers target: the only memberships a slice reads. */
  groupIds: number[];
};

/** Changes whenever an App Installer or the catalog is created or edited. */
function contextStamp(db: Db): string {
  return passStatements(db).contextStamp.get() as string;
}

/** Loads a pass's context: every App Installer, or those of `titleIds`. */
export function loadPassContext(db: Db, titleIds?: number[]): PassContext {
  const stamp = contextStamp(db);
  const deploymentRows: DeploymentInfo[] = db
    .select({ d: deployments, bundleId: catalogTitles.bundleId, titleName: catalogTitles.name, publisher: catalogTitles.publisher })
    .from(deployments)
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .where(titleIds ? inArray(deployments.titleId, titleIds) : undefined)
    .all()
    .map((r) => ({ ...r.d, bundleId: r.bundleId, titleName: r.titleName, publisher: r.publisher }));
  const ids = [...new Set(deploymentRows.map((d) => d.titleId))];
  const versionsByTitle = new Map<number, CatalogVersion[]>();
  for (const v of db.select().from(catalogVersions).where(inArray(catalogVersions.titleId, ids)).all()) {
    versionsByTitle.set(v.titleId, [...(versionsByTitle.get(v.titleId) ?? []), v]);
  }
  const profilesByTitle = new Map<number, { mobileconfig: string; identifier: string }[]>();
  for (const p of db.select().from(catalogProfiles).where(inArray(catalogProfiles.titleId, ids)).all()) {
    profilesByTitle.set(p.titleId, [...(profilesByTitle.get(p.titleId) ?? []), p]);
  }
  return {
    stamp,
    titleIds,
    deployments: deploymentRows,
    deploymentById: new Map(deploymentRows.map((d) => [d.id, d])),
    enabled: deploymentRows.filter((d) => d.enabled),
    versionsByTitle,
    profilesByTitle,
    titleById: new Map(db.select().from(catalogTitles).where(inArray(catalogTitles.id, ids)).all().map((t) => [t.id, t])),
    bundleIds: [...new Set(deploymentRows.map((d) => d.bundleId))],
    bundleIdsJson: JSON.stringify([...new Set(deploymentRows.map((d) => d.bundleId))]),
    groupIds: [...new Set(deploymentRows.filter((d) => d.enabled).map((d) => d.smartGroupId))],
  };
}

/** The context again if an admin changed App Installers or the catalog since it was loaded. */
export function freshPassContext(db: Db, context: PassContext): PassContext {
  return contextStamp(db) === context.stamp ? context : loadPassContext(db, context.titleIds);
}

export type PassScope = {
  /** The computers to visit (`membership` need only cover them). */
  computerIds: number[];
  /** Only the App Installers of these titles (precedence is decided per title, so a title is a unit). */
  titleIds?: number[];
  /** Loaded once per pass; loaded here when absent. */
  context?: PassContext;
};

/** What a slice reads and writes, prepared once per database (STYLE §3.8): a pass runs them per slice. */
function preparePass(db: Db) {
  return {
    computers: db
      .select({ id: computers.id, osVersion: computers.osVersion, architecture: computers.architecture, lastInventoryAt: computers.lastInventoryAt, enrolled: computers.enrolled })
      .from(computers)
      .where(inJson(computers.id, "ids"))
      .prepare(),
    targets: db.select().from(deploymentTargets).where(inJson(deploymentTargets.computerId, "ids")).prepare(),
    apps: db
      .select({ computerId: installedApps.computerId, bundleId: installedApps.bundleId, shortVersion: installedApps.shortVersion, version: installedApps.version, installing: installedApps.installing })
      .from(installedApps)
      .where(and(inJson(installedApps.computerId, "ids"), inJson(installedApps.bundleId, "bundles")))
      .prepare(),
    commands: db.select().from(commands).where(inJson(commands.uuid, "uuids")).prepare(),
    slotHolders: db
      .select({ computerId: commands.computerId })
      .from(commands)
      .where(and(eq(commands.isInstall, true), isNotNull(commands.sentAt), isNull(commands.releasedAt), inJson(commands.computerId, "ids")))
      .prepare(),
    cancelUnsent: db
      .update(commands)
      .set({ status: "canceled", completedAt: sql`${sql.placeholder("now")}` })
      .where(and(eq(commands.deploymentId, sql.placeholder("deploymentId")), eq(commands.computerId, sql.placeholder("computerId")), inArray(commands.status, ["queued", "not_now"])))
      .prepare(),
    titleOf: db.$client.prepare("select title_id from deployments where id = ?").pluck(),
    deleteTarget: db.delete(deploymentTargets).where(eq(deploymentTargets.id, sql.placeholder("id"))).prepare(),
    contextStamp: db.$client
      .prepare(
        `select (select count(*) || ':' || ifnull(max(id), '') || ':' || ifnull(max(updated_at), '') from deployments)
           || '|' || (select count(*) || ':' || ifnull(max(id), '') || ':' || ifnull(max(updated_at), '') from catalog_versions)
           || '|' || (select count(*) || ':' || ifnull(max(id), '') || ':' || ifnull(max(updated_at), '') from catalog_profiles)`,
      )
      .pluck(),
    // Raw single-row inserts: a fan-out writes one target and one event per Mac, and a drizzle insert
    // builds and type-checks its statement per call.
    insertTarget: db.$client.prepare(
      `insert into deployment_targets (deployment_id, computer_id, status, phase, reason, target_version, attempts, next_attempt_at, last_error,
         self_service_requested_at, pending_inventory_command_uuid, install_command_uuid, status_changed_at, due_at, created_at, updated_at)
       values (@deploymentId, @computerId, @status, @phase, @reason, @targetVersion, @attempts, @nextAttemptAt, @lastError,
         @selfServiceRequestedAt, @pendingInventoryCommandUuid, @installCommandUuid, @statusChangedAt, @dueAt, @createdAt, @updatedAt)`,
    ),
    insertEvent: db.$client.prepare(
      `insert into events (at, category, type, actor, computer_id, deployment_id, command_uuid, message, data)
       values (@at, @category, @type, @actor, @computerId, @deploymentId, @commandUuid, @message, @data)`,
    ),
  };
}

const ms = (d: Date | null | undefined) => (d ? d.getTime() : null);

function targetRow(t: NewDeploymentTarget) {
  return {
    deploymentId: t.deploymentId,
    computerId: t.computerId,
    status: t.status,
    phase: t.phase,
    reason: t.reason,
    targetVersion: t.targetVersion,
    attempts: t.attempts ?? 0,
    nextAttemptAt: ms(t.nextAttemptAt),
    lastError: t.lastError ?? null,
    selfServiceRequestedAt: ms(t.selfServiceRequestedAt),
    pendingInventoryCommandUuid: t.pendingInventoryCommandUuid ?? null,
    installCommandUuid: t.installCommandUuid ?? null,
    statusChangedAt: ms(t.statusChangedAt),
    dueAt: ms(t.dueAt),
    createdAt: ms(t.createdAt),
    updatedAt: ms(t.updatedAt),
  };
}

function eventRow(e: NewEvent) {
  return {
    at: ms(e.at),
    category: e.category,
    type: e.type,
    actor: e.actor,
    computerId: e.computerId ?? null,
    deploymentId: e.deploymentId ?? null,
    commandUuid: e.commandUuid ?? null,
    message: e.message,
    data: e.data === undefined || e.data === null ? null : JSON.stringify(e.data),
  };
}
const passStatementCache = new WeakMap<Db, ReturnType<typeof preparePass>>();
function passStatements(db: Db) {
  let s = passStatementCache.get(db);
  if (!s) passStatementCache.set(db, (s = preparePass(db)));
  return s;
}

/**
 * Runs one engine pass at `now` over `scope.computerIds`, given their current smart group membership: for
 * every App Installer, or for those of `scope.titleIds`.
 */
export function runDeploymentPass(deps: Pick<Deps, "db" | "publicUrl">, membership: Map<number, Set<number>>, settings: Settings, now: Date, scope: PassScope): PassResult {
  const { db } = deps;
  const { computerIds } = scope;
  const result: PassResult = { targetsCreated: 0, targetsRemoved: 0, statusChanges: 0, commandsQueued: 0, wake: [] };
  const wake = new Set<number>();
  if (computerIds.length === 0) return result;

  const context = scope.context ?? loadPassContext(db, scope.titleIds);
  const { deploymentById, enabled, versionsByTitle, profilesByTitle, titleById } = context;
  if (context.deployments.length === 0) return result;

  const q = passStatements(db);
  const ids = JSON.stringify(computerIds);
  const computerById = new Map<number, ComputerInfo>();
  for (const c of q.computers.all({ ids })) computerById.set(c.id, c);
  // Only enrolled Macs are deployed to.
  const enrolledMembership = new Map<number, Set<number>>();
  const groupsInUse = new Set(enabled.map((d) => d.smartGroupId));
  for (const [groupId, members] of membership) {
    if (groupsInUse.has(groupId)) enrolledMembership.set(groupId, new Set([...members].filter((id) => computerById.get(id)?.enrolled)));
  }

  const decisions = decideScope(enabled, versionsByTitle, enrolledMembership, computerById);
  const decisionByKey = new Map(decisions.map((d) => [`${d.deploymentId}:${d.computerId}`, d]));

  const existing = q.targets.all({ ids }).filter((t) => deploymentById.has(t.deploymentId));
  const existingByKey = new Map(existing.map((t) => [`${t.deploymentId}:${t.computerId}`, t]));

  // Installed apps for the deployed titles only.
  const appsByKey = new Map<string, { shortVersion: string | null; version: string | null; installing: boolean }[]>();
  for (const a of q.apps.all({ ids, bundles: context.bundleIdsJson })) {
    const key = `${a.computerId}:${a.bundleId}`;
    const list = appsByKey.get(key);
    if (list) list.push(a);
    else appsByKey.set(key, [a]);
  }

  // The commands targets follow, and which Macs have an install slot taken.
  const uuids = existing.flatMap((t) => [t.pendingInventoryCommandUuid, t.installCommandUuid]).filter((u): u is string => u !== null);
  const commandByUuid = new Map<string, Command>();
  if (uuids.length > 0) for (const c of q.commands.all({ uuids: JSON.stringify(uuids) })) commandByUuid.set(c.uuid, c);
  const slotHolders = new Set(q.slotHolders.all({ ids }).map((r) => r.computerId));

  const manifestOf = (version: CatalogVersion): VersionManifest | undefined => {
    const title = titleById.get(version.titleId);
    return title ? versionManifest(deps, version, title) : undefined;
  };

  const newEvents: NewEvent[] = [];
  const newTargets: NewDeploymentTarget[] = [];
  const targetSettings = { maxAttempts: settings.maxAttempts, retryIntervalMs: settings.retryIntervalMs, confirmationDelayMs: settings.confirmationDelayMs };

  db.transaction(
    () => {
      // Leavers: the computer left the group (or the Mac unenrolled). Unsent commands go; what it installed stays.
      for (const t of existing) {
        const d = deploymentById.get(t.deploymentId);
        if (!d?.enabled) continue; // a disabled deployment changes nothing
        if (decisionByKey.has(`${t.deploymentId}:${t.computerId}`)) continue;
        cancelUnsent(db, t.deploymentId, t.computerId, now);
        if (t.installCommandUuid) retireInstall(db, t.installCommandUuid, now);
        passStatements(db).deleteTarget.run({ id: t.id });
        newEvents.push({ at: now, category: "status", type: "target.removed", actor: "system", computerId: t.computerId, deploymentId: t.deploymentId, message: "Left the App Installer's scope: unsent commands cancelled" });
        result.targetsRemoved++;
      }

      for (const decision of decisions) {
        const d = deploymentById.get(decision.deploymentId)!;
        const computer = computerById.get(decision.computerId)!;
        const row = existingByKey.get(`${decision.deploymentId}:${decision.computerId}`);
        const facts: TargetFacts = {
          scope: decision.scope,
          distributionMethod: d.distributionMethod,
          target: { version: decision.version.version, shortVersion: decision.version.shortVersion },
          compatibility: decision.compatibility,
          installed: installedFact(appsByKey.get(`${decision.computerId}:${d.bundleId}`)),
          lastInventoryAt: computer.lastInventoryAt,
          inventoryCommand: commandFact(row?.pendingInventoryCommandUuid ? commandByUuid.get(row.pendingInventoryCommandUuid) : undefined, slotHolders),
          installCommand: commandFact(row?.installCommandUuid ? commandByUuid.get(row.installCommandUuid) : undefined, slotHolders),
          manifestCheck: manifestOf(decision.version)?.check ?? { ok: false, reason: "Invalid manifest: the catalog version has no manifest" },
          hasSupportingProfiles: d.installSupportingProfiles && (profilesByTitle.get(d.titleId)?.length ?? 0) > 0,
        };
        const before: TargetState = row ? stateOf(row) : initialTargetState(facts, now);
        const step = stepTarget(before, facts, targetSettings, now);
        const next = step.state;

        for (const action of step.actions) {
          switch (action.kind) {
            case "queue_inventory": {
              const c = enqueueCommand(db, { computerId: computer.id, command: buildInstalledApplicationList({ identifiers: [d.bundleId] }), purpose: "verify", deploymentId: d.id }, now);
              next.pendingInventoryCommandUuid = c.uuid;
              wake.add(computer.id);
              result.commandsQueued++;
              break;
            }
            case "queue_install": {
              if (action.withProfiles) {
                for (const p of profilesByTitle.get(d.titleId) ?? []) {
                  enqueueCommand(db, { computerId: computer.id, command: buildInstallProfile(p.mobileconfig), purpose: "profile", deploymentId: d.id, attempt: action.attempt }, now);
                  result.commandsQueued++;
                }
              }
              const manifest = manifestOf(decision.version)!;
              const c = enqueueCommand(
                db,
                { computerId: computer.id, command: buildInstallEnterpriseApplication({ manifestUrl: manifest.manifestUrl, installAsManaged: true, removeWithMdm: false }), purpose: "install", deploymentId: d.id, attempt: action.attempt },
                now,
              );
              next.installCommandUuid = c.uuid;
              wake.add(computer.id);
              result.commandsQueued++;
              break;
            }
            case "release_install":
              if (before.installCommandUuid) retireInstall(db, before.installCommandUuid, now);
              break;
            case "cancel_pending":
              cancelUnsent(db, d.id, computer.id, now);
              break;
          }
        }

        const dueAt = dueAtOf(next, facts.installCommand, settings);
        if (!row) {
          newTargets.push({ ...next, dueAt, deploymentId: d.id, computerId: computer.id, createdAt: now, updatedAt: now });
          result.targetsCreated++;
        } else if (changed(before, next) || row.dueAt?.getTime() !== dueAt?.getTime()) {
          targetUpdate(db)(row.id, next, dueAt, now);
        }
        if (!row || before.status !== next.status || (before.reason !== next.reason && next.status !== "in_progress")) {
          result.statusChanges++;
          newEvents.push({
            at: now,
            category: "status",
            type: "target.status_changed",
            actor: "system",
            computerId: computer.id,
            deploymentId: d.id,
            message: `${STATUS_LABELS[next.status]}: ${next.reason}`,
            data: { from: row ? before.status : null, to: next.status, phase: next.phase, attempts: next.attempts },
          });
        }
      }
      for (const t of newTargets) q.insertTarget.run(targetRow(t));
      for (const e of newEvents) q.insertEvent.run(eventRow(e));
    },
    { behavior: "immediate" },
  );
  result.wake = [...wake];
  return result;
}

/**
 * A target's state written back by id. Prepared once per database (a pass writes thousands), in plain SQL
 * because drizzle's update builder takes no placeholders; instants are stored as milliseconds, as drizzle does.
 */
const targetUpdates = new WeakMap<Db, (id: number, state: TargetState, dueAt: Date | null, now: Date) => void>();
function targetUpdate(db: Db) {
  let update = targetUpdates.get(db);
  if (!update) {
    const statement = db.$client.prepare(
      `update deployment_targets set status = @status, phase = @phase, reason = @reason, attempts = @attempts, next_attempt_at = @nextAttemptAt,
         last_error = @lastError, target_version = @targetVersion, self_service_requested_at = @selfServiceRequestedAt,
         pending_inventory_command_uuid = @pendingInventoryCommandUuid, install_command_uuid = @installCommandUuid,
         status_changed_at = @statusChangedAt, due_at = @dueAt, updated_at = @updatedAt where id = @id`,
    );
    update = (id, t, dueAt, now) =>
      statement.run({
        id,
        status: t.status,
        phase: t.phase,
        reason: t.reason,
        attempts: t.attempts,
        nextAttemptAt: ms(t.nextAttemptAt),
        lastError: t.lastError,
        targetVersion: t.targetVersion,
        selfServiceRequestedAt: ms(t.selfServiceRequestedAt),
        pendingInventoryCommandUuid: t.pendingInventoryCommandUuid,
        installCommandUuid: t.installCommandUuid,
        statusChangedAt: ms(t.statusChangedAt),
        dueAt: ms(dueAt),
        updatedAt: now.getTime(),
      });
    targetUpdates.set(db, update);
  }
  return update;
}

/**
 * When time alone next moves this target (DESIGN §3.4 items 4, 5): its next attempt or confirmation, or the
 * end of the sent install's window. Null when only a new fact (a report, inventory, an admin) can move it.
 */
export function dueAtOf(state: TargetState, install: CommandFact | null, settings: Pick<Settings, "retryIntervalMs">): Date | null {
  let due = state.nextAttemptAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (state.installCommandUuid && install?.uuid === state.installCommandUuid && install.sentAt && (install.status === "sent" || install.status === "not_now" || install.status === "acknowledged")) {
    due = Math.min(due, install.sentAt.getTime() + settings.retryIntervalMs);
  }
  return Number.isFinite(due) ? new Date(due) : null;
}

/** Cancels a deployment's commands to one Mac that it has not accepted (queued or NotNow'd). */
function cancelUnsent(db: Db, deploymentId: number, computerId: number, now: Date): number {
  return passStatements(db).cancelUnsent.run({ deploymentId, computerId, now: now.getTime() }).changes;
}

function stateOf(t: DeploymentTarget): TargetState {
  return {
    status: t.status,
    phase: t.phase,
    reason: t.reason,
    attempts: t.attempts,
    nextAttemptAt: t.nextAttemptAt,
    lastError: t.lastError,
    targetVersion: t.targetVersion,
    selfServiceRequestedAt: t.selfServiceRequestedAt,
    pendingInventoryCommandUuid: t.pendingInventoryCommandUuid,
    installCommandUuid: t.installCommandUuid,
    statusChangedAt: t.statusChangedAt,
  };
}

function changed(a: TargetState, b: TargetState): boolean {
  return (Object.keys(b) as (keyof TargetState)[]).some((k) => {
    const x = a[k];
    const y = b[k];
    return x instanceof Date || y instanceof Date ? (x as Date | null)?.getTime() !== (y as Date | null)?.getTime() : x !== y;
  });
}


/** Per database: the compiled smart groups, and pass contexts per title, that a verifying answer's slice reuses. */
const inlineCache = new WeakMap<Db, { groups: string; compiled: CompiledGroups; contexts: Map<number, PassContext> }>();

/**
 * The slice a verifying InstalledApplicationList answer runs inside its own request (DESIGN §2.1: membership
 * is recalculated when a computer's inventory changes): the computer's groups, then the targets of the
 * answered App Installer's title. The step's next command (the install) goes out in the same session
 * instead of waiting for the next tick and push. One IMMEDIATE transaction. Other titles' targets are the
 * scheduler's: the answer marked the computer, and a group change marks it again.
 */
export function runVerifyingSliceNow(deps: Pick<Deps, "db" | "clock" | "publicUrl">, computerId: number, deploymentId: number): PassResult {
  const { db } = deps;
  const now = deps.clock.now();
  const titleId = passStatements(db).titleOf.get(deploymentId) as number | undefined;
  const empty: PassResult = { targetsCreated: 0, targetsRemoved: 0, statusChanges: 0, commandsQueued: 0, wake: [] };
  if (titleId === undefined) return empty;
  const groups = smartGroupsVersion(db);
  let cached = inlineCache.get(db);
  if (!cached || cached.groups !== groups) inlineCache.set(db, (cached = { groups, compiled: compileSmartGroups(loadGroupDefinitions(deps)), contexts: new Map() }));
  const known = cached.contexts.get(titleId);
  const context = known ? freshPassContext(db, known) : loadPassContext(db, [titleId]);
  cached.contexts.set(titleId, context);
  const settings = getSettings(deps);
  return db.transaction(
    () => {
      const { membership } = recalculateMembershipFor(db, cached.compiled, [computerId], now);
      return runDeploymentPass(deps, membership, settings, now, { computerIds: [computerId], context });
    },
    { behavior: "immediate" },
  );
}

/** A verifying slice that failed: the scheduler's next pass regroups the computer and steps every target. */
export function markForScheduledPass(db: Db, computerId: number) {
  markComputersDirty(db, [computerId], FACTS_CHANGED);
}

/** The first slice's size; later slices are sized so that each takes about SLICE_BUDGET_MS. */
export const PASS_SLICE = 250;
/** How long one slice may keep PUT /mdm waiting: requests need several event-loop turns each. */
const SLICE_BUDGET_MS = 12;

/** The pass in progress, on globalThis: Next.js bundles its own copy of this module beside the server's (DESIGN §1). */
const passChain = globalThis as unknown as { __pomonaPasses?: Promise<unknown> };

type PassDeps = Pick<Deps, "db" | "clock" | "log" | "push" | "publicUrl">;
/** What an admin action touched: its titles (every computer in or targeted by them), its computers, or both. */
export type ActionScope = { computerIds?: number[]; titleIds?: number[] };
export type EnginePassResult = PassResult & { pushed: number; kind: "full" | "incremental" | "scoped"; computersVisited: number };

function serialized(run: () => Promise<EnginePassResult>): Promise<EnginePassResult> {
  const next = (passChain.__pomonaPasses ?? Promise.resolve()).then(run);
  passChain.__pomonaPasses = next.catch(() => undefined);
  return next;
}

/**
 * Runs a pass now and wakes the Macs with new work: the admin actions that must take effect at once
 * (create, edit, enable, retry, Self Service) pass the titles and computers they touched; no scope is a
 * full pass. Passes run one after another: a second caller waits for the pass in progress, then runs its own.
 */
export function runEnginePassNow(deps: PassDeps, scope?: ActionScope): Promise<EnginePassResult> {
  return serialized(() => (scope ? runScopedPass(deps, scope) : runFullPass(deps)));
}

/**
 * The scheduler's pass (DESIGN §3): incremental. It visits the computers whose facts changed since the last
 * pass (engine_dirty: inventory, enrollment, a command's status, group membership), those whose time-based
 * group criteria crossed a threshold, and those with a target due (a retry, a confirmation, an attempt's
 * window ending); every other target would step to the state it already has. It is a full pass when smart
 * group definitions changed, when settings or the catalog asked for one, and on a database's first pass.
 */
export function runScheduledPass(deps: PassDeps): Promise<EnginePassResult> {
  return serialized(async () => {
    const now = deps.clock.now();
    const state = readEngineState(deps.db);
    const version = smartGroupsVersion(deps.db);
    if (state.fullPassRequested || state.groupsVersion !== version || !state.lastPassAt || now < state.lastPassAt) return runFullPass(deps);
    return runIncrementalPass(deps, state.lastPassAt, version);
  });
}

async function runFullPass(deps: PassDeps): Promise<EnginePassResult> {
  const now = deps.clock.now();
  startFullPass(deps.db);
  const version = smartGroupsVersion(deps.db);
  const ids = deps.db.select({ id: computers.id }).from(computers).orderBy(computers.id).all().map((r) => r.id);
  const result = await runSlices(deps, ids, now, { regroup: () => true, visit: () => true });
  markGroupsCalculated(deps.db, now);
  recordPass(deps.db, now, version);
  return finish(deps, result, "full", ids.length);
}

async function runIncrementalPass(deps: PassDeps, since: Date, version: string): Promise<EnginePassResult> {
  const now = deps.clock.now();
  const { db } = deps;
  const marked = dirtyComputers(db);
  const dirty = new Set(marked.map((m) => m.id));
  const regroup = new Set([...marked.filter((m) => m.level === FACTS_CHANGED).map((m) => m.id), ...timeCriteriaCandidates(db, compileSmartGroups(loadGroupDefinitions(deps)), since, now)]);
  const due = new Set(db.$client.prepare("select distinct computer_id from deployment_targets where due_at <= ?").pluck().all(now.getTime()) as number[]);
  const ids = [...new Set([...dirty, ...regroup, ...due])].sort((a, b) => a - b);
  const result = await runSlices(deps, ids, now, { regroup: (id) => regroup.has(id), visit: (id, changed) => dirty.has(id) || due.has(id) || changed.has(id) });
  recordPass(db, now, version);
  return finish(deps, result, "incremental", ids.length);
}

/**
 * Computers whose groups may have changed with time alone since `since`: for each "x days ago" criterion
 * in use, the instants that crossed now − x days. (A stale Mac that checks in again, and may rejoin "less
 * than x days ago", is marked by its check-in: devices.ts.)
 */
function timeCriteriaCandidates(db: Db, compiled: CompiledGroups, since: Date, now: Date): number[] {
  const out: number[] = [];
  for (const c of compiled.timeCriteria) {
    const column = c.field === "Last Check-in" ? "last_checkin_at" : "last_inventory_at";
    const shift = c.days * DAY_MS;
    out.push(...(db.$client.prepare(`select id from computers where ${column} >= ? and ${column} < ?`).pluck().all(since.getTime() - shift, now.getTime() - shift) as number[]));
  }
  return out;
}

/**
 * An admin action's pass: only its titles (every computer in or already targeted by them) or its computers.
 * Stored membership is current but for the computers marked since the scheduler's last pass and those a
 * time-based criterion moved since: these are regrouped first (DESIGN §3.2: the target smart group is
 * recalculated at the start of a deployment), and their marks stay for the scheduler's pass, which visits
 * every title.
 */
async function runScopedPass(deps: PassDeps, scope: ActionScope): Promise<EnginePassResult> {
  const now = deps.clock.now();
  const { db } = deps;
  const since = readEngineState(db).lastPassAt;
  const regroup = new Set(dirtyComputers(db).filter((m) => m.level === FACTS_CHANGED).map((m) => m.id));
  if (since && since <= now) for (const id of timeCriteriaCandidates(db, compileSmartGroups(loadGroupDefinitions(deps)), since, now)) regroup.add(id);
  let ids = scope.computerIds;
  if (!ids) {
    const context = loadPassContext(db, scope.titleIds);
    const groups = [...new Set(context.deployments.map((d) => d.smartGroupId))];
    const deploymentIds = context.deployments.map((d) => d.id);
    const members = chunks(groups).flatMap((part) => db.select({ id: smartGroupMembers.computerId }).from(smartGroupMembers).where(inArray(smartGroupMembers.smartGroupId, part)).all());
    const targeted = chunks(deploymentIds).flatMap((part) => db.select({ id: deploymentTargets.computerId }).from(deploymentTargets).where(inArray(deploymentTargets.deploymentId, part)).all());
    ids = [...members, ...targeted].map((r) => r.id).concat([...regroup]);
  }
  ids = [...new Set(ids)].sort((a, b) => a - b);
  const result = await runSlices(deps, ids, now, { regroup: (id) => regroup.has(id), visit: () => true, titleIds: scope.titleIds, keepDirty: true });
  return finish(deps, result, "scoped", ids.length);
}

type SlicePlan = {
  /** Re-evaluate this computer's smart groups first. */
  regroup: (id: number) => boolean;
  /** Step this computer's targets (`changed`: computers whose groups just changed). */
  visit: (id: number, changed: Set<number>) => boolean;
  titleIds?: number[];
  /** A scoped pass leaves the marks for the scheduler's pass, which visits every title. */
  keepDirty?: boolean;
};

/**
 * Runs a pass over `ids` in slices: each slice is one IMMEDIATE transaction sized to about SLICE_BUDGET_MS,
 * and the event loop serves requests between slices. Every engine decision is local to one computer, so
 * slicing changes no outcome.
 */
async function runSlices(deps: PassDeps, ids: number[], now: Date, plan: SlicePlan): Promise<PassResult> {
  const settings = getSettings(deps);
  const total: PassResult = { targetsCreated: 0, targetsRemoved: 0, statusChanges: 0, commandsQueued: 0, wake: [] };
  if (ids.length === 0) return total;
  let groups = smartGroupsVersion(deps.db);
  let compiled = compileSmartGroups(loadGroupDefinitions(deps));
  let context = loadPassContext(deps.db, plan.titleIds);
  let size = PASS_SLICE;
  for (let i = 0; i < ids.length; ) {
    if (i > 0) {
      // A timer, not setImmediate: the poll phase runs first, so requests that arrived meanwhile are read.
      await new Promise((resolve) => setTimeout(resolve, 0));
      // An admin may have edited a group or an App Installer while the event loop was free: later slices
      // use what is stored now (the admin's own pass follows this one).
      const latest = smartGroupsVersion(deps.db);
      if (latest !== groups) [groups, compiled] = [latest, compileSmartGroups(loadGroupDefinitions(deps))];
      context = freshPassContext(deps.db, context);
    }
    const slice = ids.slice(i, i + size);
    i += slice.length;
    const started = performance.now();
    const pass = deps.db.transaction(
      () => {
        const regroup = slice.filter((id) => plan.regroup(id));
        const recalculated = regroup.length > 0 ? recalculateMembershipFor(deps.db, compiled, regroup, now) : { membership: new Map<number, Set<number>>(), changed: new Set<number>() };
        // After regrouping (which marks the computers it moved): this slice visits them now.
        if (!plan.keepDirty) clearComputersDirty(deps.db, slice);
        const visit = slice.filter((id) => plan.visit(id, recalculated.changed));
        if (visit.length === 0) return undefined;
        const regrouped = new Set(regroup);
        const membership = recalculated.membership;
        const rest = visit.filter((id) => !regrouped.has(id));
        for (const [groupId, members] of storedMembershipFor(deps.db, rest, context.groupIds)) {
          const set = membership.get(groupId);
          if (set) for (const id of members) set.add(id);
          else membership.set(groupId, members);
        }
        return runDeploymentPass(deps, membership, settings, now, { computerIds: visit, context });
      },
      { behavior: "immediate" },
    );
    const took = performance.now() - started;
    size = Math.max(10, Math.min(2000, Math.round((slice.length * SLICE_BUDGET_MS) / Math.max(took, 0.5))));
    if (!pass) continue;
    total.targetsCreated += pass.targetsCreated;
    total.targetsRemoved += pass.targetsRemoved;
    total.statusChanges += pass.statusChanges;
    total.commandsQueued += pass.commandsQueued;
    total.wake.push(...pass.wake);
  }
  return total;
}

async function finish(deps: PassDeps, result: PassResult, kind: EnginePassResult["kind"], computersVisited: number): Promise<EnginePassResult> {
  const pushed = result.wake.length > 0 ? (await pushComputers(deps, result.wake)).sent : 0;
  return { ...result, pushed, kind, computersVisited };
}
