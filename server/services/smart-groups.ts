// Smart groups (DESIGN §2.1, §3.2, §4.2): CRUD with validation, preview, members, and the recalculation that
// starts every engine pass. The rules live in server/engine/smart-groups.ts; this file reads and writes rows.
import { and, asc, count, eq, inArray, isNotNull, ne, sql } from "drizzle-orm";
import safeRegex from "safe-regex2";

import {
  compileSmartGroups,
  type AppIndex,
  evaluateSmartGroups,
  formatSmartGroupErrors,
  normalizeAppName,
  validateSmartGroup,
  validateSmartGroupCriteria,
  type CompiledGroups,
  type ComputerFacts,
  type Criterion,
  type GroupDefinition,
  type SmartGroupError,
} from "@/server/engine/smart-groups";
import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { changeStamp } from "@/server/services/change-stamps";
import { markComputersDirty, TARGETS_CHANGED } from "@/server/services/engine-state";
import type { Db } from "@/db/client";
import { inJson } from "@/db/sql";
import { computers, deployments, smartGroupCriteria, smartGroupMembers, smartGroups } from "@/db/schema";

/** Rows per INSERT, and ids per `IN (…)` list, when membership changes are written. */
const WRITE_CHUNK = 300;

const COMPUTER_GROUP = "Computer Group";

const validationOptions = { isSafeRegex: (pattern: string) => safeRegex(pattern) };

const lowerName = (name: string) => name.trim().toLowerCase();

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const factColumns = {
  id: computers.id,
  name: computers.name,
  serialNumber: computers.serialNumber,
  model: computers.model,
  modelName: computers.modelName,
  osVersion: computers.osVersion,
  architecture: computers.architecture,
  lastCheckinAt: computers.lastCheckinAt,
  lastInventoryAt: computers.lastInventoryAt,
};
/** An installed app as the engine reads it, an array per row (better-sqlite3's raw mode: no object per row). */
type AppRow = [computerId: number, bundleId: string | null, name: string];
/** A membership row, likewise. */
type MemberRow = [groupId: number, computerId: number];

/** Reads and writes an engine slice runs for its computers, prepared once per database (STYLE §3.8). */
function prepare(db: Db) {
  return {
    allFacts: db.select(factColumns).from(computers).orderBy(asc(computers.id)).prepare(),
    factsOf: db.select(factColumns).from(computers).where(inJson(computers.id, "ids")).orderBy(asc(computers.id)).prepare(),
    allApps: db.$client.prepare<[], AppRow>("select computer_id, bundle_id, name from installed_apps").raw(),
    appsOf: db.$client.prepare<[string], AppRow>("select computer_id, bundle_id, name from installed_apps where computer_id in (select value from json_each(?))").raw(),
    membersOf: db.$client
      .prepare<[string], MemberRow>("select smart_group_id, computer_id from smart_group_members where computer_id in (select value from json_each(?))")
      .raw(),
    membersOfIn: db.$client
      .prepare<[string, string], MemberRow>(
        "select smart_group_id, computer_id from smart_group_members where smart_group_id in (select value from json_each(?)) and computer_id in (select value from json_each(?))",
      )
      .raw(),
    removeMember: db
      .delete(smartGroupMembers)
      .where(and(eq(smartGroupMembers.smartGroupId, sql.placeholder("groupId")), eq(smartGroupMembers.computerId, sql.placeholder("computerId"))))
      .prepare(),
    // One row, prepared once: a slice adds a few memberships, and a drizzle insert prepares its statement per call.
    addMember: db.$client.prepare("insert into smart_group_members (smart_group_id, computer_id, added_at) values (?, ?, ?)"),
  };
}
const statementCache = new WeakMap<Db, ReturnType<typeof prepare>>();
export function smartGroupStatements(db: Db) {
  let s = statementCache.get(db);
  if (!s) statementCache.set(db, (s = prepare(db)));
  return s;
}

export type SmartGroupInput = { name: string; description?: string; criteria: Criterion[] };
export type UpdateSmartGroupInput = { id: number; name?: string; description?: string; criteria?: Criterion[] };
export type StoredCriterion = Required<Criterion>;

/** A criterion as stored: joiner "and" and no parentheses unless given. */
function normalizeCriterion(c: Criterion): StoredCriterion {
  return { joiner: c.joiner ?? "and", openParen: c.openParen ?? false, field: c.field, operator: c.operator, value: c.value, closeParen: c.closeParen ?? false };
}

/**
 * Engine inputs for computers (all, or the given ids): the computers and their installed apps, two prepared
 * queries. "Model" is the model name (MacBook Air) as in Jamf Pro, else the model identifier.
 */
export function loadComputerFacts(deps: Pick<Deps, "db">, computerIds?: number[]): ComputerFacts[] {
  return loadFleetFacts(deps, computerIds).facts;
}

/**
 * loadComputerFacts, with the AppIndex of the same computers (positions in `facts`) for a fleet evaluation
 * (evaluateSmartGroups): made from the installed-app rows as they are read, so evaluating "has" criteria
 * does not walk every computer's app sets again.
 */
export function loadFleetFacts(deps: Pick<Deps, "db">, computerIds?: number[]): { facts: ComputerFacts[]; apps: AppIndex } {
  const appNames = new Map<string, number[]>();
  const appBundleIds = new Map<string, number[]>();
  if (computerIds?.length === 0) return { facts: [], apps: { appNames, appBundleIds } };
  const q = smartGroupStatements(deps.db);
  const ids = computerIds ? JSON.stringify(computerIds) : undefined;
  const rows = ids ? q.factsOf.all({ ids }) : q.allFacts.all();
  const positionOf = new Map<number, number>();
  rows.forEach((r, i) => positionOf.set(r.id, i));
  const bundleIds = new Array<Set<string> | undefined>(rows.length);
  const names = new Array<Set<string> | undefined>(rows.length);
  const add = (sets: (Set<string> | undefined)[], holders: Map<string, number[]>, i: number, value: string) => {
    const set = (sets[i] ??= new Set<string>());
    if (set.has(value)) return; // two copies of one app: the computer holds it once
    set.add(value);
    const list = holders.get(value);
    if (list) list.push(i);
    else holders.set(value, [i]);
  };
  // One string per distinct app across the fleet (hundreds), not one per row (millions at 100,000 Macs):
  // less memory, and set lookups over the fleet find each string's hash already computed.
  const lowered = new Map<string, string>();
  const normalized = new Map<string, string>();
  for (const [computerId, bundleId, appName] of ids ? q.appsOf.all(ids) : q.allApps.all()) {
    const i = positionOf.get(computerId);
    if (i === undefined) continue; // a row written after the computers were read
    if (bundleId) {
      let id = lowered.get(bundleId);
      if (id === undefined) lowered.set(bundleId, (id = bundleId.toLowerCase()));
      add(bundleIds, appBundleIds, i, id);
    }
    let name = normalized.get(appName);
    if (name === undefined) normalized.set(appName, (name = normalizeAppName(appName)));
    if (name) add(names, appNames, i, name);
  }
  const facts = rows.map((r, i) => ({
    id: r.id,
    name: r.name,
    serialNumber: r.serialNumber,
    model: r.modelName ?? r.model,
    osVersion: r.osVersion,
    architecture: r.architecture,
    lastCheckinAt: r.lastCheckinAt,
    lastInventoryAt: r.lastInventoryAt,
    appBundleIds: bundleIds[i] ?? new Set<string>(),
    appNames: names[i] ?? new Set<string>(),
  }));
  return { facts, apps: { appNames, appBundleIds } };
}

/** Every group's members among these computers (all of them by default), from their stored facts. */
export function evaluateStoredComputers(deps: Pick<Deps, "db">, compiled: CompiledGroups, now: Date, computerIds?: number[]): { facts: ComputerFacts[]; membership: Map<number, Set<number>> } {
  const { facts, apps } = loadFleetFacts(deps, computerIds);
  return { facts, membership: evaluateSmartGroups(compiled, facts, now, apps) };
}

/** Every stored group with its ordered criteria, as engine definitions (two queries). */
export function loadGroupDefinitions(deps: Pick<Deps, "db">): GroupDefinition[] {
  const { db } = deps;
  const groups = db.select({ id: smartGroups.id, name: smartGroups.name }).from(smartGroups).orderBy(asc(smartGroups.id)).all();
  const rows = db.select().from(smartGroupCriteria).orderBy(asc(smartGroupCriteria.smartGroupId), asc(smartGroupCriteria.position)).all();
  const byGroup = new Map<number, Criterion[]>();
  for (const r of rows) {
    const c: Criterion = { joiner: r.joiner, openParen: r.openParen, field: r.field, operator: r.operator, value: r.value, closeParen: r.closeParen };
    const list = byGroup.get(r.smartGroupId);
    if (list) list.push(c);
    else byGroup.set(r.smartGroupId, [c]);
  }
  return groups.map((g) => ({ id: g.id, name: g.name, criteria: byGroup.get(g.id) ?? [] }));
}

function currentMembers(db: Db, groupId?: number): Map<number, Set<number>> {
  const rows = db
    .select({ groupId: smartGroupMembers.smartGroupId, computerId: smartGroupMembers.computerId })
    .from(smartGroupMembers)
    .where(groupId === undefined ? undefined : eq(smartGroupMembers.smartGroupId, groupId))
    .all();
  const map = new Map<number, Set<number>>();
  for (const r of rows) {
    const set = map.get(r.groupId);
    if (set) set.add(r.computerId);
    else map.set(r.groupId, new Set([r.computerId]));
  }
  return map;
}

/**
 * Writes only the differences between stored and computed membership (chunked inserts and deletes) and
 * marks every computer that joined or left a group for the engine's next pass. Returns those computers.
 */
/** Up to this many new memberships go in one prepared row at a time; more, in multi-row inserts. */
const SINGLE_ROW_INSERTS = 64;

function writeMembershipChanges(db: Db, next: Map<number, Set<number>>, current: Map<number, Set<number>>, now: Date): Set<number> {
  const inserts: { smartGroupId: number; computerId: number; addedAt: Date }[] = [];
  const changed = new Set<number>();
  for (const [groupId, members] of next) {
    const before = current.get(groupId) ?? new Set<number>();
    for (const computerId of members) {
      if (before.has(computerId)) continue;
      inserts.push({ smartGroupId: groupId, computerId, addedAt: now });
      changed.add(computerId);
    }
    for (const computerId of before) {
      if (members.has(computerId)) continue;
      smartGroupStatements(db).removeMember.run({ groupId, computerId });
      changed.add(computerId);
    }
  }
  if (inserts.length <= SINGLE_ROW_INSERTS) for (const r of inserts) smartGroupStatements(db).addMember.run(r.smartGroupId, r.computerId, r.addedAt.getTime());
  else for (const rows of chunk(inserts, WRITE_CHUNK)) db.insert(smartGroupMembers).values(rows).run();
  markComputersDirty(db, [...changed], TARGETS_CHANGED); // already regrouped: its targets are what is left
  return changed;
}

function markCalculated(db: Db, groupIds: number[], now: Date) {
  for (const ids of chunk(groupIds, WRITE_CHUNK)) db.update(smartGroups).set({ lastCalculatedAt: now }).where(inArray(smartGroups.id, ids)).run();
}

/** Evaluates every group over every computer and stores one group's membership (create, update). */
function recalculateOne(db: Db, groupId: number, now: Date): number {
  const { membership } = evaluateStoredComputers({ db }, compileSmartGroups(loadGroupDefinitions({ db })), now);
  const members = membership.get(groupId) ?? new Set<number>();
  writeMembershipChanges(db, new Map([[groupId, members]]), currentMembers(db, groupId), now);
  markCalculated(db, [groupId], now);
  return members.size;
}

/**
 * Evaluates every group for these computers only and writes their membership differences: one slice of an
 * engine pass (server/services/deployment-engine.ts). Returns group id → member ids among `computerIds`,
 * and the computers whose membership changed.
 */
export function recalculateMembershipFor(db: Db, compiled: CompiledGroups, computerIds: number[], now: Date): { membership: Map<number, Set<number>>; changed: Set<number> } {
  const { membership } = evaluateStoredComputers({ db }, compiled, now, computerIds);
  const changed = writeMembershipChanges(db, membership, storedMembershipFor(db, computerIds), now);
  return { membership, changed };
}

/** The stored membership of these computers (in all groups, or in `groupIds`): group id → member ids. */
export function storedMembershipFor(db: Db, computerIds: number[], groupIds?: number[]): Map<number, Set<number>> {
  const current = new Map<number, Set<number>>();
  if (computerIds.length === 0 || groupIds?.length === 0) return current;
  const ids = JSON.stringify(computerIds);
  const rows = groupIds ? smartGroupStatements(db).membersOfIn.all(JSON.stringify(groupIds), ids) : smartGroupStatements(db).membersOf.all(ids);
  for (const [groupId, computerId] of rows) {
    const set = current.get(groupId);
    if (set) set.add(computerId);
    else current.set(groupId, new Set([computerId]));
  }
  return current;
}

/** Stamps every group's lastCalculatedAt at the end of a pass. */
export function markGroupsCalculated(db: Db, now: Date) {
  db.update(smartGroups).set({ lastCalculatedAt: now }).where(isNotNull(smartGroups.id)).run(); // every group
}

/** Changes whenever a group or a criterion is created, edited or deleted (a pass recompiles when it does). */
export function smartGroupsVersion(db: Db): string {
  return `groups:${changeStamp(db, "smart_groups")}`;
}

/**
 * DESIGN §2.1, §3.2: evaluates every group over every computer and writes only the differences (new members
 * with addedAt = now, leavers deleted), setting lastCalculatedAt, in one transaction. Called at the start of
 * every engine pass; returns group id → member computer ids.
 */
export function recalculateSmartGroups(deps: Pick<Deps, "db" | "clock">): Map<number, Set<number>> {
  const now = deps.clock.now();
  return deps.db.transaction(
    () => {
      const defs = loadGroupDefinitions(deps);
      const { membership } = evaluateStoredComputers(deps, compileSmartGroups(defs), now);
      writeMembershipChanges(deps.db, membership, currentMembers(deps.db), now);
      markCalculated(
        deps.db,
        defs.map((d) => d.id),
        now,
      );
      return membership;
    },
    { behavior: "immediate" },
  );
}

function countsBy(rows: { id: number; n: number }[]) {
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** DESIGN §4.2 `smartGroups.list`: every group with its criteria and member counts, by name. */
export function listSmartGroups(deps: Pick<Deps, "db">) {
  const groups = deps.db.select().from(smartGroups).all();
  const members = countsBy(
    deps.db.select({ id: smartGroupMembers.smartGroupId, n: count() }).from(smartGroupMembers).groupBy(smartGroupMembers.smartGroupId).all(),
  );
  const criteria = countsBy(
    deps.db.select({ id: smartGroupCriteria.smartGroupId, n: count() }).from(smartGroupCriteria).groupBy(smartGroupCriteria.smartGroupId).all(),
  );
  return groups
    .sort((a, b) => a.name.localeCompare(b.name, "en", { sensitivity: "base" }) || a.id - b.id)
    .map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      criteriaCount: criteria.get(g.id) ?? 0,
      memberCount: members.get(g.id) ?? 0,
      lastCalculatedAt: g.lastCalculatedAt,
    }));
}

function findGroup(db: Db, id: number) {
  const group = db.select().from(smartGroups).where(eq(smartGroups.id, id)).get();
  if (!group) throw new AppError("NOT_FOUND", `No smart group with id ${id}`);
  return group;
}

/** DESIGN §4.2 `smartGroups.get`: one group with its ordered criteria, member count and the deployments using it. */
export function getSmartGroup(deps: Pick<Deps, "db">, id: number) {
  const group = findGroup(deps.db, id);
  const criteria = deps.db
    .select({
      joiner: smartGroupCriteria.joiner,
      openParen: smartGroupCriteria.openParen,
      field: smartGroupCriteria.field,
      operator: smartGroupCriteria.operator,
      value: smartGroupCriteria.value,
      closeParen: smartGroupCriteria.closeParen,
    })
    .from(smartGroupCriteria)
    .where(eq(smartGroupCriteria.smartGroupId, id))
    .orderBy(asc(smartGroupCriteria.position))
    .all();
  const memberCount = deps.db.select({ n: count() }).from(smartGroupMembers).where(eq(smartGroupMembers.smartGroupId, id)).get()?.n ?? 0;
  const usedBy = deps.db
    .select({ deploymentId: deployments.id, name: deployments.name })
    .from(deployments)
    .where(eq(deployments.smartGroupId, id))
    .orderBy(asc(deployments.id))
    .all();
  return { id: group.id, name: group.name, description: group.description, criteria, memberCount, lastCalculatedAt: group.lastCalculatedAt, usedBy };
}

function throwIfInvalid(result: { ok: true } | { ok: false; errors: SmartGroupError[] }) {
  if (!result.ok) throw new AppError("BAD_REQUEST", formatSmartGroupErrors(result.errors).join("\n"));
}

function insertCriteria(db: Db, groupId: number, criteria: StoredCriterion[]) {
  for (const rows of chunk(
    criteria.map((c, position) => Object.assign({}, c, { smartGroupId: groupId, position })),
    WRITE_CHUNK,
  ))
    db.insert(smartGroupCriteria).values(rows).run();
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** DESIGN §4.2 `smartGroups.create`: validates, stores the group and its criteria, computes its members, records an event. */
export function createSmartGroup(deps: Pick<Deps, "db" | "clock">, input: SmartGroupInput, by: Principal): { id: number } {
  const now = deps.clock.now();
  return deps.db.transaction(
    () => {
      const name = input.name.trim();
      throwIfInvalid(validateSmartGroup({ name, criteria: input.criteria }, loadGroupDefinitions(deps), validationOptions));
      const criteria = input.criteria.map(normalizeCriterion);
      const { id } = deps.db
        .insert(smartGroups)
        .values({ name, description: input.description?.trim() ?? "", createdAt: now, updatedAt: now })
        .returning({ id: smartGroups.id })
        .get();
      insertCriteria(deps.db, id, criteria);
      const members = recalculateOne(deps.db, id, now);
      recordAdminAction(deps.db, now, by, {
        action: "smart_group.created",
        target: { type: "smart_group", id, name },
        summary: `Smart group "${name}" created: ${plural(criteria.length, "criterion", "criteria")}, ${plural(members, "member", "members")}`,
        changes: { name, criteria },
      });
      return { id };
    },
    { behavior: "immediate" },
  );
}

/**
 * DESIGN §4.2 `smartGroups.update`: validates, replaces the criteria, renames references to the group in
 * other groups' Computer Group criteria, recomputes its members and records an event.
 */
export function updateSmartGroup(deps: Pick<Deps, "db" | "clock">, input: UpdateSmartGroupInput, by: Principal): { id: number } {
  const now = deps.clock.now();
  return deps.db.transaction(
    () => {
      const existing = findGroup(deps.db, input.id);
      const defs = loadGroupDefinitions(deps);
      const name = input.name?.trim() ?? existing.name;
      const renamed = name !== existing.name;
      const renameReference = (c: Criterion): Criterion =>
        renamed && c.field === COMPUTER_GROUP && lowerName(c.value) === lowerName(existing.name) ? Object.assign({}, c, { value: name }) : c;
      // Validate against the other groups as they will be once their references follow the rename.
      const others = defs.filter((d) => d.id !== existing.id).map((d) => Object.assign({}, d, { criteria: d.criteria.map(renameReference) }));
      const criteria = (input.criteria ?? defs.find((d) => d.id === existing.id)?.criteria ?? []).map(normalizeCriterion);
      throwIfInvalid(validateSmartGroup({ id: existing.id, name, criteria }, others, validationOptions));

      deps.db
        .update(smartGroups)
        .set({ name, description: input.description?.trim() ?? existing.description, updatedAt: now })
        .where(eq(smartGroups.id, existing.id))
        .run();
      if (input.criteria) {
        deps.db.delete(smartGroupCriteria).where(eq(smartGroupCriteria.smartGroupId, existing.id)).run();
        insertCriteria(deps.db, existing.id, criteria);
      }
      let referencesRenamed = 0;
      if (renamed) {
        const references = deps.db
          .select({ id: smartGroupCriteria.id, value: smartGroupCriteria.value })
          .from(smartGroupCriteria)
          .where(and(eq(smartGroupCriteria.field, COMPUTER_GROUP), ne(smartGroupCriteria.smartGroupId, existing.id)))
          .all()
          .filter((r) => lowerName(r.value) === lowerName(existing.name));
        for (const ids of chunk(
          references.map((r) => r.id),
          WRITE_CHUNK,
        ))
          deps.db.update(smartGroupCriteria).set({ value: name }).where(inArray(smartGroupCriteria.id, ids)).run();
        referencesRenamed = references.length;
      }
      const members = recalculateOne(deps.db, existing.id, now);
      const renameNote = renamed ? ` (renamed from "${existing.name}"; ${plural(referencesRenamed, "reference", "references")} updated)` : "";
      recordAdminAction(deps.db, now, by, {
        action: "smart_group.updated",
        target: { type: "smart_group", id: existing.id, name },
        summary: `Smart group "${name}" updated${renameNote}: ${plural(criteria.length, "criterion", "criteria")}, ${plural(members, "member", "members")}`,
        changes: { name, criteria, ...(renamed ? { previousName: existing.name } : {}) },
      });
      return { id: existing.id };
    },
    { behavior: "immediate" },
  );
}

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(", ");

/** DESIGN §4.2 `smartGroups.delete`: refused while a deployment targets the group or another group refers to it. */
export function deleteSmartGroup(deps: Pick<Deps, "db" | "clock">, input: { id: number }, by: Principal): { id: number } {
  const now = deps.clock.now();
  return deps.db.transaction(
    () => {
      const group = findGroup(deps.db, input.id);
      const usedBy = deps.db.select({ name: deployments.name }).from(deployments).where(eq(deployments.smartGroupId, group.id)).orderBy(asc(deployments.id)).all();
      const referencedBy = loadGroupDefinitions(deps).filter(
        (d) => d.id !== group.id && d.criteria.some((c) => c.field === COMPUTER_GROUP && lowerName(c.value) === lowerName(group.name)),
      );
      const reasons: string[] = [];
      if (usedBy.length > 0) reasons.push(`${usedBy.length === 1 ? "deployment" : "deployments"} ${quoted(usedBy.map((d) => d.name))}`);
      if (referencedBy.length > 0) reasons.push(`${referencedBy.length === 1 ? "smart group" : "smart groups"} ${quoted(referencedBy.map((d) => d.name))}`);
      if (reasons.length > 0) throw new AppError("CONFLICT", `Smart group "${group.name}" cannot be deleted: it is used by ${reasons.join(" and ")}`);

      deps.db.delete(smartGroups).where(eq(smartGroups.id, group.id)).run();
      recordAdminAction(deps.db, now, by, {
        action: "smart_group.deleted",
        target: { type: "smart_group", id: group.id, name: group.name },
        summary: `Smart group "${group.name}" deleted`,
      });
      return { id: group.id };
    },
    { behavior: "immediate" },
  );
}

export type SmartGroupPreview =
  | { ok: false; errors: SmartGroupError[] }
  | { ok: true; count: number; sample: { id: number; name: string; serialNumber: string | null; osVersion: string | null; architecture: "arm64" | "x86_64" | null }[] };

/**
 * DESIGN §4.2 `smartGroups.preview`: who the criteria would hold right now (a count and a sample by name),
 * or the validation errors. With `id`, the criteria replace that group's for the preview. Writes nothing.
 */
export function previewSmartGroup(deps: Pick<Deps, "db" | "clock">, input: { criteria: Criterion[]; id?: number }, options: { sampleSize?: number } = {}): SmartGroupPreview {
  const sampleSize = options.sampleSize ?? 25;
  const defs = loadGroupDefinitions(deps);
  const self = input.id === undefined ? undefined : defs.find((d) => d.id === input.id);
  if (input.id !== undefined && !self) throw new AppError("NOT_FOUND", `No smart group with id ${input.id}`);
  const others = defs.filter((d) => d.id !== input.id);
  const validation = validateSmartGroupCriteria(input.criteria, others, validationOptions, self?.name);
  if (!validation.ok) return validation;

  const candidateId = self?.id ?? 0; // stored ids start at 1
  const compiled = compileSmartGroups([...others, { id: candidateId, name: self?.name ?? "", criteria: input.criteria }]);
  const { facts, membership } = evaluateStoredComputers(deps, compiled, deps.clock.now());
  const members = membership.get(candidateId) ?? new Set<number>();
  const sample = facts
    .filter((f) => members.has(f.id))
    .sort((a, b) => a.name.localeCompare(b.name, "en", { sensitivity: "base" }) || a.id - b.id)
    .slice(0, sampleSize)
    .map((f) => ({ id: f.id, name: f.name, serialNumber: f.serialNumber, osVersion: f.osVersion, architecture: f.architecture }));
  return { ok: true, count: members.size, sample };
}

/** DESIGN §4.2 `smartGroups.members`: one page of a group's stored members, by name. */
export function listSmartGroupMembers(deps: Pick<Deps, "db">, input: { id: number; page?: number; pageSize?: number }) {
  const page = input.page ?? 1;
  const pageSize = input.pageSize ?? 50;
  findGroup(deps.db, input.id);
  const total = deps.db.select({ n: count() }).from(smartGroupMembers).where(eq(smartGroupMembers.smartGroupId, input.id)).get()?.n ?? 0;
  const items = deps.db
    .select({
      id: computers.id,
      udid: computers.udid,
      name: computers.name,
      serialNumber: computers.serialNumber,
      osVersion: computers.osVersion,
      architecture: computers.architecture,
      lastCheckinAt: computers.lastCheckinAt,
    })
    .from(smartGroupMembers)
    .innerJoin(computers, eq(computers.id, smartGroupMembers.computerId))
    .where(eq(smartGroupMembers.smartGroupId, input.id))
    .orderBy(asc(computers.name), asc(computers.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .all();
  return { items, total };
}
