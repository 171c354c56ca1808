// Which computers an engine pass visits, and when (DESIGN §3). The pass itself, over given computers, is
// deployment-engine.ts; here are its four callers' plans: the scheduler's incremental pass (marked computers,
// due targets, time-based criteria crossed), a full pass (smart groups, settings or the catalog changed), an
// admin action's pass over its titles and computers, and the slice a verifying InstalledApplicationList runs
// inside its own request. Passes are sliced so PUT /mdm is served between slices, and run one at a time.
import { performance } from "node:perf_hooks";

import type { Statement } from "better-sqlite3";

import { compileSmartGroups, DAY_MS, type CompiledGroups } from "@/server/engine/smart-groups";
import type { Deps } from "@/server/deps";
import { yieldToRequests } from "@/server/event-loop";
import { addPassResult, emptyPassResult, freshPassContext, loadPassContext, runDeploymentPass, type PassContext, type PassResult } from "@/server/services/deployment-engine";
import { clearComputersDirty, dirtyComputers, dirtyLevelOf, FACTS_CHANGED, markComputersDirty, markRegrouped, readEngineState, recordPass, startFullPass } from "@/server/services/engine-state";
import { advanceScope, finishScope, pendingScopes, startScope, type PendingScope } from "@/server/services/pending-scopes";
import { pushComputers } from "@/server/services/push";
import { getSettings } from "@/server/services/settings";
import { loadGroupDefinitions, markGroupsCalculated, recalculateMembershipFor, smartGroupsVersion, storedMembershipFor } from "@/server/services/smart-groups";
import { withinTransaction, type Db } from "@/db/client";
import { computers } from "@/db/schema";

const titleStatements = new WeakMap<Db, (deploymentId: number) => number | undefined>();
function titleOfDeployment(db: Db, deploymentId: number): number | undefined {
  let lookup = titleStatements.get(db);
  if (!lookup) {
    const statement = db.$client.prepare("select title_id from deployments where id = ?").pluck();
    titleStatements.set(db, (lookup = (id) => statement.get(id) as number | undefined));
  }
  return lookup(deploymentId);
}

/** Per database: the compiled smart groups, and pass contexts per title, that a verifying answer's slice reuses. */
const inlineCache = new WeakMap<Db, { groups: string; compiled: CompiledGroups; contexts: Map<number, PassContext> }>();

/**
 * The slice a verifying InstalledApplicationList answer runs inside its own request (DESIGN §2.1: membership
 * is recalculated when a computer's inventory changes): the computer's groups if its facts changed, then
 * the targets of the answered App Installer's title. The step's next command (the install) goes out in the
 * same session instead of waiting for the next tick and push. One IMMEDIATE transaction. Other titles'
 * targets are the scheduler's: the answer marked the computer, and a group change marks it again.
 */
export function runVerifyingSliceNow(deps: Pick<Deps, "db" | "clock" | "publicUrl">, computerId: number, deploymentId: number): PassResult {
  const titleId = titleOfDeployment(deps.db, deploymentId);
  if (titleId === undefined) return emptyPassResult();
  return runComputerSliceNow(deps, computerId, titleId);
}

/** One computer's targets of one title, now, in the caller's request: a verifying answer's, or a check-in a pending scope has not reached. */
function runComputerSliceNow(deps: Pick<Deps, "db" | "clock" | "publicUrl">, computerId: number, titleId: number): PassResult {
  const { db } = deps;
  const now = deps.clock.now();
  const groups = smartGroupsVersion(db);
  let cached = inlineCache.get(db);
  if (!cached || cached.groups !== groups) inlineCache.set(db, (cached = { groups, compiled: compileSmartGroups(loadGroupDefinitions(deps)), contexts: new Map() }));
  const known = cached.contexts.get(titleId);
  const context = known ? freshPassContext(db, known) : loadPassContext(db, [titleId]);
  cached.contexts.set(titleId, context);
  const settings = getSettings(deps);
  return withinTransaction(db, () => {
    // Regrouped when its facts changed (the answer changed a stored app, or an earlier change still waits
    // for the scheduler, such as a check-in after a day away); otherwise the stored membership is what
    // regrouping would write again. Regrouping every answering Mac was 15 % of the 100k drain's main thread.
    let membership: Map<number, Set<number>>;
    if (dirtyLevelOf(db, computerId) >= FACTS_CHANGED) {
      membership = recalculateMembershipFor(db, cached.compiled, [computerId], now).membership;
      markRegrouped(db, computerId);
    } else membership = storedMembershipFor(db, [computerId], context.groupIds);
    return runDeploymentPass(deps, membership, settings, now, { computerIds: [computerId], context });
  });
}

/** Check-ins a pending scope had not reached, visited in their own request (the bench's G3 counts them). */
export const checkinScopeVisits = { run: 0 };

/**
 * The computers a check-in already stepped, per pending scope (by its request): one visit after the change
 * is all a scope asks, and a session's later requests (its answers) would step the same targets again.
 * Memory only: a computer stepped twice (after a restart, or by a second process) ends where it was.
 */
const steppedAtCheckin = new WeakMap<Db, Map<number, Set<number>>>();

/**
 * Before a check-in's next command is chosen: the titles whose scope the pass behind an admin's change has
 * not reached this computer in yet, nor its own earlier check-in (pending-scopes.ts). Most check-ins find
 * no scope pending: one read of an empty table.
 */
export function pendingTitlesFor(db: Db, computerId: number): number[] {
  const scopes = pendingScopes(db);
  let stepped = steppedAtCheckin.get(db);
  if (scopes.length === 0) {
    stepped?.clear();
    return [];
  }
  if (!stepped) steppedAtCheckin.set(db, (stepped = new Map<number, Set<number>>()));
  for (const request of stepped.keys()) if (!scopes.some((s) => s.request === request)) stepped.delete(request);
  const titles: number[] = [];
  for (const scope of scopes) {
    if (computerId <= scope.cursor) continue;
    let computers = stepped.get(scope.request);
    if (!computers) stepped.set(scope.request, (computers = new Set()));
    if (computers.has(computerId)) continue;
    computers.add(computerId);
    titles.push(scope.titleId);
  }
  return titles;
}

/**
 * Steps a computer's targets of those titles now, in its own request, so an App Installer change is in
 * effect for every Mac from its commit, not from the slice that reaches it. The pass, reaching the computer
 * later, steps its targets to the state they already have.
 */
export function runPendingScopesFor(deps: Pick<Deps, "db" | "clock" | "publicUrl">, computerId: number, titleIds: number[]) {
  for (const titleId of titleIds) {
    checkinScopeVisits.run++;
    runComputerSliceNow(deps, computerId, titleId);
  }
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
/** What an admin action on computers touched: its computers, in its titles or all. (A change to App Installers is a pending scope.) */
export type ActionScope = { computerIds: number[]; titleIds?: number[] };
export type EnginePassResult = PassResult & { pushed: number; kind: "full" | "incremental" | "scoped"; computersVisited: number };

function serialized(run: () => Promise<EnginePassResult>): Promise<EnginePassResult> {
  const next = (passChain.__pomonaPasses ?? Promise.resolve()).then(run);
  passChain.__pomonaPasses = next.catch(() => undefined);
  return next;
}

/**
 * Runs a pass now over the computers an admin action touched (a retry, a Self Service request) and wakes
 * those with new work; no scope is a full pass. Passes run one after another: a second caller waits for the
 * pass in progress, then runs its own.
 */
export function runEnginePassNow(deps: PassDeps, scope?: ActionScope): Promise<EnginePassResult> {
  return serialized(() => (scope ? runScopedPass(deps, scope) : runFullPass(deps)));
}

/**
 * The passes behind App Installer changes (pending-scopes.ts): every pending scope, each resumed from its
 * cursor. The admin's change calls it after its commit; a scope another caller finished meanwhile is gone.
 */
export function runPendingScopes(deps: PassDeps): Promise<EnginePassResult> {
  return serialized(() => scopePending(deps));
}

/**
 * The scheduler's pass (DESIGN §3): incremental. It visits the computers whose facts changed since the last
 * pass (engine_dirty: inventory, enrollment, a command's status, group membership), those whose time-based
 * group criteria crossed a threshold, and those with a target due (a retry, a confirmation, an attempt's
 * window ending); every other target would step to the state it already has. It is a full pass when smart
 * group definitions changed, when settings or the catalog asked for one, and on a database's first pass.
 * A pending scope left behind (the process stopped during its pass) is resumed first.
 */
export function runScheduledPass(deps: PassDeps): Promise<EnginePassResult> {
  return serialized(async () => {
    const resumed = pendingScopes(deps.db).length > 0 ? await scopePending(deps) : undefined;
    const now = deps.clock.now();
    const state = readEngineState(deps.db);
    const version = smartGroupsVersion(deps.db);
    const pass = state.fullPassRequested || state.groupsVersion !== version || !state.lastPassAt || now < state.lastPassAt ? await runFullPass(deps) : await runIncrementalPass(deps, state.lastPassAt, version);
    if (!resumed) return pass;
    return Object.assign(addPassResult(addPassResult(emptyPassResult(), resumed), pass), { pushed: resumed.pushed + pass.pushed, kind: pass.kind, computersVisited: resumed.computersVisited + pass.computersVisited });
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
  timeCriteriaSeenUntil.set(deps.db, now.getTime()); // every computer was just regrouped at `now`
  return finish(result, "full", ids.length);
}

/**
 * Computers with a target due, not DISTINCT (the caller's Set dedupes): for DISTINCT, SQLite walked
 * deployment_targets_computer_idx, every target on every tick, instead of searching deployment_targets_due_idx.
 */
export const DUE_TARGETS_SQL = "select computer_id from deployment_targets where due_at <= ?";

/**
 * How often the scheduler's pass looks for computers a time-based criterion moved. The criteria count whole
 * days, and looking scans the computers table (last_checkin_at has no index: every request writes it, and
 * an index cost 13 µs more per check-in, measured on the 100k benchmark snapshot), so not on every tick.
 */
export const TIME_CRITERIA_INTERVAL_MS = 60_000;
/**
 * Up to when time-based criteria were looked at, per database. Kept in memory: after a restart the search
 * starts an interval before the last pass, which covers every instant since the last look (a computer
 * regrouped twice ends where it would have).
 */
const timeCriteriaSeenUntil = new WeakMap<Db, number>();

async function runIncrementalPass(deps: PassDeps, since: Date, version: string): Promise<EnginePassResult> {
  const now = deps.clock.now();
  const { db } = deps;
  const marked = dirtyComputers(db);
  const dirty = new Set(marked.map((m) => m.id));
  const seenUntil = timeCriteriaSeenUntil.get(db) ?? since.getTime() - TIME_CRITERIA_INTERVAL_MS;
  const lookAtTime = now.getTime() - seenUntil >= TIME_CRITERIA_INTERVAL_MS;
  const timed = lookAtTime ? timeCriteriaCandidates(db, compileSmartGroups(loadGroupDefinitions(deps)), new Date(seenUntil), now) : [];
  const regroup = new Set([...marked.filter((m) => m.level === FACTS_CHANGED).map((m) => m.id), ...timed]);
  const due = new Set(db.$client.prepare(DUE_TARGETS_SQL).pluck().all(now.getTime()) as number[]);
  const ids = [...new Set([...dirty, ...regroup, ...due])].sort((a, b) => a - b);
  const result = await runSlices(deps, ids, now, { regroup: (id) => regroup.has(id), visit: (id, changed) => dirty.has(id) || due.has(id) || changed.has(id) });
  recordPass(db, now, version);
  if (lookAtTime) timeCriteriaSeenUntil.set(db, now.getTime());
  return finish(result, "incremental", ids.length);
}

/** Computers whose `field` lies in one of `ranges` [from, to) ranges, given as 2 × ranges bounds. */
export function timeCriteriaSql(field: "Last Check-in" | "Last Inventory Update", ranges: number): string {
  const column = field === "Last Check-in" ? "last_checkin_at" : "last_inventory_at";
  return `select id from computers where ${Array.from({ length: ranges }, () => `(${column} >= ? and ${column} < ?)`).join(" or ")}`;
}

/**
 * Computers whose groups may have changed with time alone since `since`: for each "x days ago" criterion
 * in use, the instants that crossed now − x days. (A stale Mac that checks in again, and may rejoin "less
 * than x days ago", is marked by its check-in: devices.ts.)
 */
function timeCriteriaCandidates(db: Db, compiled: CompiledGroups, since: Date, now: Date): number[] {
  const out: number[] = [];
  // One statement per column, its ranges OR'd: last_checkin_at has no index (every request writes it), so
  // each range on it was a scan of the whole computers table, one per "x days" in use, on every tick.
  for (const field of ["Last Check-in", "Last Inventory Update"] as const) {
    const days = [...new Set(compiled.timeCriteria.filter((c) => c.field === field).map((c) => c.days))];
    if (days.length === 0) continue;
    const bounds = days.flatMap((d) => [since.getTime() - d * DAY_MS, now.getTime() - d * DAY_MS]);
    out.push(...(db.$client.prepare(timeCriteriaSql(field, days.length)).pluck().all(...bounds) as number[]));
  }
  return out;
}

/**
 * The computers to regroup before an admin action's pass: those marked since the scheduler's last pass and
 * those a time-based criterion moved since (DESIGN §3.2: the target smart group is recalculated at the start
 * of a deployment). Their marks stay for the scheduler's pass, which visits every title.
 */
function regroupFirst(deps: PassDeps, now: Date): Set<number> {
  const { db } = deps;
  const since = readEngineState(db).lastPassAt;
  const regroup = new Set(dirtyComputers(db).filter((m) => m.level === FACTS_CHANGED).map((m) => m.id));
  if (since && since <= now) for (const id of timeCriteriaCandidates(db, compileSmartGroups(loadGroupDefinitions(deps)), since, now)) regroup.add(id);
  return regroup;
}

/** An admin action's pass over its computers (in its titles, or all). */
async function runScopedPass(deps: PassDeps, scope: ActionScope): Promise<EnginePassResult> {
  const now = deps.clock.now();
  const regroup = regroupFirst(deps, now);
  const ids = [...new Set(scope.computerIds)].sort((a, b) => a - b);
  const result = await runSlices(deps, ids, now, { regroup: (id) => regroup.has(id), visit: () => true, titleIds: scope.titleIds, keepDirty: true });
  return finish(result, "scoped", ids.length);
}

/** Every pending scope's pass, one title after another (precedence is decided per title). */
async function scopePending(deps: PassDeps): Promise<EnginePassResult> {
  const total: SlicesResult = { result: emptyPassResult(), pushed: [] };
  let visited = 0;
  for (const scope of pendingScopes(deps.db)) {
    const { ids, slices } = await runTitleScope(deps, scope);
    addPassResult(total.result, slices.result);
    total.pushed.push(...slices.pushed);
    visited += ids;
  }
  return finish(total, "scoped", visited);
}

const scopeStatements = new WeakMap<Db, { members: Statement<[string], number>; targeted: Statement<[string], number> }>();

/**
 * The computers a title's scope visits, above `cursor`, in ascending id: its App Installers' groups' members,
 * the computers they target, and those to regroup. One synchronous step before the first slice: for 100,000
 * members, drizzle's row objects and a sort with a comparator held the event loop ~220 ms; plucked ids and a
 * typed array's numeric sort, ~40 ms.
 */
function scopeComputers(db: Db, context: PassContext, regroup: Set<number>, cursor: number): number[] {
  let q = scopeStatements.get(db);
  if (!q) {
    q = {
      members: db.$client.prepare<[string], number>("select computer_id from smart_group_members where smart_group_id in (select value from json_each(?))").pluck(),
      targeted: db.$client.prepare<[string], number>("select computer_id from deployment_targets where deployment_id in (select value from json_each(?))").pluck(),
    };
    scopeStatements.set(db, q);
  }
  const ids = new Set<number>(regroup);
  for (const id of q.members.all(JSON.stringify([...new Set(context.deployments.map((d) => d.smartGroupId))]))) ids.add(id);
  for (const id of q.targeted.all(JSON.stringify(context.deployments.map((d) => d.id)))) ids.add(id);
  const sorted = Float64Array.from(ids).sort();
  const from = sorted.findIndex((id) => id > cursor);
  return from < 0 ? [] : Array.from(sorted.subarray(from));
}

/**
 * A pending scope's pass: every computer in the title's App Installers' smart groups or already targeted by
 * them, above the scope's cursor, in ascending id; each slice moves the cursor in its own transaction, and
 * the last ends the scope.
 */
async function runTitleScope(deps: PassDeps, scope: PendingScope): Promise<{ ids: number; slices: SlicesResult }> {
  const now = deps.clock.now();
  const { db } = deps;
  const regroup = regroupFirst(deps, now);
  await yieldToRequests(); // each of the two steps before the first slice is tens of milliseconds at 100,000 Macs
  const context = loadPassContext(db, [scope.titleId]);
  const ids = scopeComputers(db, context, regroup, scope.cursor);
  startScope(db, scope, ids.length);
  const slices = await runSlices(deps, ids, now, {
    regroup: (id) => regroup.has(id),
    visit: () => true,
    titleIds: [scope.titleId],
    keepDirty: true,
    context,
    afterSlice: (slice) => advanceScope(db, scope, slice[slice.length - 1]!, slice.length),
  });
  finishScope(db, scope);
  return { ids: ids.length, slices };
}

type SlicePlan = {
  /** Re-evaluate this computer's smart groups first. */
  regroup: (id: number) => boolean;
  /** Step this computer's targets (`changed`: computers whose groups just changed). */
  visit: (id: number, changed: Set<number>) => boolean;
  titleIds?: number[];
  /** Already loaded for `titleIds`. */
  context?: PassContext;
  /** A scoped pass leaves the marks for the scheduler's pass, which visits every title. */
  keepDirty?: boolean;
  /** In each slice's transaction, after its computers were visited. */
  afterSlice?: (slice: number[]) => void;
};

/** A pass's outcome, and the pushes of its slices (each slice wakes its Macs once it is committed). */
type SlicesResult = { result: PassResult; pushed: Promise<number>[] };

/**
 * Runs a pass over `ids` in slices: each slice is one IMMEDIATE transaction sized to about SLICE_BUDGET_MS,
 * and the event loop serves requests between slices. Every engine decision is local to one computer, so
 * slicing changes no outcome. A slice's Macs with new work are pushed once it is committed, not after the
 * last slice: a deployment to 100,000 Macs wakes the first of them seconds earlier.
 */
async function runSlices(deps: PassDeps, ids: number[], now: Date, plan: SlicePlan): Promise<SlicesResult> {
  const settings = getSettings(deps);
  const total = emptyPassResult();
  const pushed: Promise<number>[] = [];
  if (ids.length === 0) return { result: total, pushed };
  let groups = smartGroupsVersion(deps.db);
  let compiled = compileSmartGroups(loadGroupDefinitions(deps));
  let context = plan.context ?? loadPassContext(deps.db, plan.titleIds);
  let size = PASS_SLICE;
  for (let i = 0; i < ids.length; ) {
    if (i > 0) {
      // Requests that arrived meanwhile are read, and connections waiting to be accepted are (event-loop.ts).
      await yieldToRequests();
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
        let out: PassResult | undefined;
        if (visit.length > 0) {
          const regrouped = new Set(regroup);
          const membership = recalculated.membership;
          const rest = visit.filter((id) => !regrouped.has(id));
          for (const [groupId, members] of storedMembershipFor(deps.db, rest, context.groupIds)) {
            const set = membership.get(groupId);
            if (set) for (const id of members) set.add(id);
            else membership.set(groupId, members);
          }
          out = runDeploymentPass(deps, membership, settings, now, { computerIds: visit, context });
        }
        plan.afterSlice?.(slice);
        return out;
      },
      { behavior: "immediate" },
    );
    const took = performance.now() - started;
    size = Math.max(10, Math.min(2000, Math.round((slice.length * SLICE_BUDGET_MS) / Math.max(took, 0.5))));
    if (!pass) continue;
    addPassResult(total, pass);
    if (pass.wake.length > 0) {
      const push = pushComputers(deps, pass.wake).then((r) => r.sent);
      push.catch(() => undefined); // awaited by finish, which rethrows; not an unhandled rejection meanwhile
      pushed.push(push);
    }
  }
  return { result: total, pushed };
}

async function finish(slices: SlicesResult, kind: EnginePassResult["kind"], computersVisited: number): Promise<EnginePassResult> {
  const pushed = (await Promise.all(slices.pushed)).reduce((a, b) => a + b, 0);
  return Object.assign({}, slices.result, { pushed, kind, computersVisited });
}
