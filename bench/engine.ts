// G4 and G5: Pomona's engine (server/engine smart groups, server/services/deployment-engine decideScope,
// server/engine/status stepTarget) against B3, the naive oracle, on inputs loaded from the snapshot.
import { createHash } from "node:crypto";
import { constants, performance, PerformanceObserver } from "node:perf_hooks";

import { eq, inArray } from "drizzle-orm";

import { andInto, countBits, fullBitset, newBitset, setBit, type Bitset } from "@/server/engine/bitset";
import { compileSmartGroups, evaluateSmartGroupBits, evaluateSmartGroupsForComputer, normalizeAppName, type AppIndex, type CompiledGroups, type ComputerFacts } from "@/server/engine/smart-groups";
import { firstStepInventoryRelation, initialTargetState, stepTarget, type InstalledFact, type TargetFacts } from "@/server/engine/status";
import type { Deps } from "@/server/deps";
import { yieldToRequests } from "@/server/event-loop";
import { forEachScopeGroupInFleet, installedFact, loadPassContext, runDeploymentPass, type decideScope } from "@/server/services/deployment-engine";
import { applyInstalledApplicationList, type InstalledApplicationAnswer } from "@/server/services/devices";
import { loadFleetFacts, loadGroupDefinitions, recalculateMembershipFor, storedMembershipFor } from "@/server/services/smart-groups";
import { DEFAULT_SETTINGS } from "@/server/services/settings";
import { catalogTitles, catalogVersions, computers, deployments, installedApps, type CatalogVersion } from "@/db/schema";

import { naiveEnginePass, type EngineInput, type InstalledRow, type NaiveDeployment, type Outcome } from "./baselines/b3-naive-engine";
import { Histogram } from "./load";

type DeploymentInfo = Parameters<typeof decideScope>[0][number];
type ComputerInfo = { id: number; osVersion: string | null; architecture: "arm64" | "x86_64" | null; lastInventoryAt: Date | null; enrolled: boolean; unenrolledAt: Date | null };

export type LoadedEngineInput = EngineInput & {
  facts: ComputerFacts[];
  /** Who has each app, by position in `facts`, as the loader reads the rows (loadFleetFacts). */
  apps: AppIndex;
  deploymentInfos: DeploymentInfo[];
  /** The enabled ones, and each by id: loaded once, as a pass's context holds them (loadPassContext). */
  enabled: DeploymentInfo[];
  deploymentAt: DeploymentInfo[];
  versions: Map<number, CatalogVersion[]>;
  computerInfo: Map<number, ComputerInfo>;
  /**
   * A load of given computers only (G5): each one's installed facts by bundle id, as a fleet of one
   * computer (position 0). A one-computer slice reads its own small table, not two fleet-wide maps per title.
   */
  installedByComputer: Map<number, Map<string, InstalledByPosition>>;
  /** computerInfo in the order of `facts` (position i is facts[i]). */
  infos: ComputerInfo[];
  /** Each title's installed facts by position in `facts`, for the whole-fleet pass (a fleet load only). */
  installedAt: Map<string, InstalledByPosition>;
  loadMs: number;
};

/**
 * Everything a pass needs, read once (the DB part is timed separately: loadMs): for the whole fleet (G4),
 * or for the given computers only (G5, which times single computers as a server in service does, in a
 * process that does not hold the fleet's inputs).
 */
export function loadEngineInput(deps: Pick<Deps, "db">, now: Date, computerIds?: number[]): LoadedEngineInput {
  const t0 = performance.now();
  const { facts, apps } = loadFleetFacts(deps, computerIds);
  const only = computerIds ? new Set(computerIds) : undefined;
  const groups = loadGroupDefinitions(deps);
  const deploymentInfos: DeploymentInfo[] = deps.db
    .select({ d: deployments, bundleId: catalogTitles.bundleId, titleName: catalogTitles.name, publisher: catalogTitles.publisher })
    .from(deployments)
    .innerJoin(catalogTitles, eq(catalogTitles.id, deployments.titleId))
    .all()
    .map((r) => ({ ...r.d, bundleId: r.bundleId, titleName: r.titleName, publisher: r.publisher }));
  const versions = new Map<number, CatalogVersion[]>();
  for (const v of deps.db.select().from(catalogVersions).all()) versions.set(v.titleId, [...(versions.get(v.titleId) ?? []), v]);
  const computerInfo = new Map<number, ComputerInfo>();
  for (const c of deps.db
    .select({ id: computers.id, osVersion: computers.osVersion, architecture: computers.architecture, lastInventoryAt: computers.lastInventoryAt, enrolled: computers.enrolled, unenrolledAt: computers.unenrolledAt })
    .from(computers)
    .all())
    if (!only || only.has(c.id)) computerInfo.set(c.id, c);
  const bundleIds = [...new Set(deploymentInfos.map((d) => d.bundleId))];
  const installed = new Map<string, InstalledRow[]>();
  const installedByBundle = new Map<string, Map<number, InstalledRow[]>>();
  for (const a of deps.db
    .select({ computerId: installedApps.computerId, bundleId: installedApps.bundleId, shortVersion: installedApps.shortVersion, version: installedApps.version, installing: installedApps.installing })
    .from(installedApps)
    .where(inArray(installedApps.bundleId, bundleIds))
    .all()) {
    if (only && !only.has(a.computerId)) continue;
    const key = `${a.computerId}:${a.bundleId}`;
    const list = installed.get(key);
    if (list) list.push(a);
    else installed.set(key, [a]);
    if (a.bundleId === null) continue;
    let perComputer = installedByBundle.get(a.bundleId);
    if (!perComputer) installedByBundle.set(a.bundleId, (perComputer = new Map<number, InstalledRow[]>()));
    const rows = perComputer.get(a.computerId);
    if (rows) rows.push(a);
    else perComputer.set(a.computerId, [a]);
  }
  const enrolled = new Set([...computerInfo.values()].filter((c) => c.enrolled).map((c) => c.id));
  const naiveDeployments: NaiveDeployment[] = deploymentInfos.map((d) => ({
    id: d.id,
    name: d.name,
    titleId: d.titleId,
    bundleId: d.bundleId,
    smartGroupId: d.smartGroupId,
    distributionMethod: d.distributionMethod,
    updateMethod: d.updateMethod,
    version: d.version,
    enabled: d.enabled,
  }));
  return {
    now,
    computers: facts,
    facts,
    apps,
    enrolled,
    groups,
    deployments: naiveDeployments,
    versionsByTitle: versions,
    installed,
    deploymentInfos,
    enabled: deploymentInfos.filter((d) => d.enabled),
    deploymentAt: deploymentInfos.reduce<DeploymentInfo[]>((at, d) => ((at[d.id] = d), at), []),
    versions,
    computerInfo,
    installedByComputer: only ? byComputer(installedByBundle) : new Map<number, Map<string, InstalledByPosition>>(),
    infos: facts.map((f) => computerInfo.get(f.id)!),
    installedAt: only ? new Map<string, InstalledByPosition>() : byPosition(installedByBundle, new Map(facts.map((f, i) => [f.id, i]))),
    loadMs: performance.now() - t0,
  };
}

/**
 * A title's installed facts by the position of their computer, interned: `codes[r]` is the fact of the
 * computer at `positions[r]`, as an index into `facts` (0 = none). Made by the loader as it reads the rows,
 * as loadFleetFacts indexes apps: a pass then reads two typed arrays per title, not two million row objects
 * spread over the heap (whose cache misses were a sixth of the pass).
 */
type InstalledByPosition = { positions: Int32Array; codes: Int32Array; facts: (InstalledFact | null)[] };

function byPosition(installedByBundle: Map<string, Map<number, InstalledRow[]>>, positionOf: Map<number, number>): Map<string, InstalledByPosition> {
  const out = new Map<string, InstalledByPosition>();
  for (const [bundleId, byComputer] of installedByBundle) {
    const interner = new InstalledInterner();
    const positions: number[] = [];
    const codes: number[] = [];
    for (const [computerId, list] of byComputer) {
      const i = positionOf.get(computerId);
      const code = i === undefined ? 0 : interner.codeOf(list);
      if (code === 0) continue;
      positions.push(i!);
      codes.push(code);
    }
    out.set(bundleId, { positions: Int32Array.from(positions), codes: Int32Array.from(codes), facts: interner.facts });
  }
  return out;
}

function byComputer(installedByBundle: Map<string, Map<number, InstalledRow[]>>): Map<number, Map<string, InstalledByPosition>> {
  const out = new Map<number, Map<string, InstalledByPosition>>();
  for (const [bundleId, rowsOf] of installedByBundle) {
    for (const [computerId, rows] of rowsOf) {
      const fact = installedFact(rows);
      if (!fact) continue;
      let mine = out.get(computerId);
      if (!mine) out.set(computerId, (mine = new Map<string, InstalledByPosition>()));
      mine.set(bundleId, { positions: Int32Array.of(0), codes: Int32Array.of(1), facts: [null, fact] });
    }
  }
  return out;
}

/**
 * Installed facts (installedFact of a computer's rows) interned, so equal facts share a code (0 = none). A
 * class, not closures made per call: the bench runs under tsx, whose keepNames wraps every named closure in
 * a call that sets its name, a cost paid per creation that G5's one-computer calls would measure.
 */
class InstalledInterner {
  readonly facts: (InstalledFact | null)[] = [null];
  private byVersion = new Map<string | null, Map<string | null, number>>();
  private installing = 0;
  private last: { shortVersion: string | null; version: string | null; code: number } | undefined;
  codeOf(rows: InstalledRow[]): number {
    // One row (most Macs): it is the installed fact.
    const only = rows.length === 1 ? rows[0]! : undefined;
    const fact = only && !only.installing ? only : installedFact(rows);
    if (!fact) return 0;
    if (fact.installing) return this.installing || (this.installing = this.facts.push({ shortVersion: null, version: null, installing: true }) - 1);
    // By (ShortVersion, Version), without building a key per row. Most Macs of a fleet run the same
    // version of a title, so the previous row's answer is tried first.
    const { shortVersion, version } = fact;
    const last = this.last;
    if (last && last.shortVersion === shortVersion && last.version === version) return last.code;
    let byVersion = this.byVersion.get(shortVersion);
    if (!byVersion) this.byVersion.set(shortVersion, (byVersion = new Map<string | null, number>()));
    let code = byVersion.get(version);
    if (code === undefined) byVersion.set(version, (code = this.facts.push({ shortVersion, version, installing: false }) - 1));
    this.last = { shortVersion, version, code };
    return code;
  }
}

const SETTINGS = { maxAttempts: DEFAULT_SETTINGS.maxAttempts, retryIntervalMs: DEFAULT_SETTINGS.retryIntervalMs, confirmationDelayMs: DEFAULT_SETTINGS.confirmationDelayMs };

/**
 * Outcomes in columns (deployment id, computer id, winner, status code), grown as needed: millions of
 * small objects would cost more in allocation and garbage collection than the engine work itself.
 */
export class OutcomeColumns {
  length = 0;
  deploymentIds: Int32Array;
  computerIds: Int32Array;
  winners: Uint8Array;
  statuses: Uint8Array;
  /** `capacity`: the expected count, when known (each growth copies the columns). */
  constructor(capacity = 1 << 10) {
    this.deploymentIds = new Int32Array(capacity);
    this.computerIds = new Int32Array(capacity);
    this.winners = new Uint8Array(capacity);
    this.statuses = new Uint8Array(capacity);
  }
  static readonly STATUS_NAMES: string[] = [];
  static code(status: string): number {
    let i = OutcomeColumns.STATUS_NAMES.indexOf(status);
    if (i < 0) i = OutcomeColumns.STATUS_NAMES.push(status) - 1;
    return i;
  }
  /**
   * `count` outcomes of one App Installer and one winner flag (filled at once); returns the first one's index:
   * the caller writes their computer ids and statuses.
   */
  append(count: number, deploymentId: number, winner: boolean): number {
    while (this.length + count > this.deploymentIds.length) this.grow();
    const start = this.length;
    this.length += count;
    this.deploymentIds.fill(deploymentId, start, this.length);
    this.winners.fill(winner ? 1 : 0, start, this.length);
    return start;
  }
  /** Empty, with room for `capacity` (a pass that runs again writes into the same columns). */
  reset(capacity: number): this {
    this.length = 0;
    if (this.deploymentIds.length < capacity) Object.assign(this, new OutcomeColumns(capacity));
    return this;
  }
  private grow() {
    const n = Math.max(1 << 10, this.deploymentIds.length * 2);
    const bigger = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T) => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.deploymentIds = bigger(this.deploymentIds, (k) => new Int32Array(k));
    this.computerIds = bigger(this.computerIds, (k) => new Int32Array(k));
    this.winners = bigger(this.winners, (k) => new Uint8Array(k));
    this.statuses = bigger(this.statuses, (k) => new Uint8Array(k));
  }
  toOutcomes(): Outcome[] {
    return Array.from({ length: this.length }, (_, i) => ({
      deploymentId: this.deploymentIds[i]!,
      computerId: this.computerIds[i]!,
      winner: this.winners[i] === 1,
      status: OutcomeColumns.STATUS_NAMES[this.statuses[i]!]!,
    }));
  }
}

/** The installed facts of one title at a time, by position (InstalledByPosition scattered over the fleet). */
class InstalledCodes {
  readonly codes: Int32Array;
  facts: (InstalledFact | null)[] = [null];
  bundleId: string | undefined;
  private positions: Int32Array = new Int32Array(0);
  constructor(size: number) {
    this.codes = new Int32Array(size);
  }
  load(bundleId: string, installed: InstalledByPosition | undefined) {
    const { codes } = this;
    for (const i of this.positions) codes[i] = 0;
    this.bundleId = bundleId;
    this.positions = installed?.positions ?? new Int32Array(0);
    this.facts = installed?.facts ?? [null];
    if (!installed) return;
    const { positions, codes: theirs } = installed;
    for (let r = 0; r < positions.length; r++) codes[positions[r]!] = theirs[r]!;
  }
}

const targetOfVersion = new WeakMap<CatalogVersion, TargetFacts["target"]>(); // one per version, not per target
const statusCodes = new Map<string, number>();

/** A new target's first status (its code in OutcomeColumns), from what its first step reads. */
function firstStatusCode(
  now: Date,
  d: DeploymentInfo,
  version: CatalogVersion,
  scope: TargetFacts["scope"],
  compatibility: TargetFacts["compatibility"],
  installed: InstalledFact | null,
  lastInventoryAt: Date | null,
): number {
  let target = targetOfVersion.get(version);
  if (!target) targetOfVersion.set(version, (target = { version: version.version, shortVersion: version.shortVersion }));
  const facts: TargetFacts = {
    scope,
    distributionMethod: d.distributionMethod,
    target,
    compatibility,
    installed,
    lastInventoryAt,
    inventoryCommand: null,
    installCommand: null,
    manifestCheck: { ok: true },
    hasSupportingProfiles: false,
  };
  const status = stepTarget(initialTargetState(facts, now), facts, SETTINGS, now).state.status;
  let code = statusCodes.get(status);
  if (code === undefined) statusCodes.set(status, (code = OutcomeColumns.code(status)));
  return code;
}

/**
 * Scope, precedence, compatibility and each new target's first step, for smart group members given as
 * bitsets over `computers` (position i is computers[i]; enrolled or not, as loaded). A new target's first
 * step depends on its App Installer, scope, compatibility, installed version and firstStepInventoryRelation
 * only, so stepTarget runs once per distinct combination, not once per target.
 */
function scopeAndStatus(
  input: LoadedEngineInput,
  computers: readonly ComputerInfo[],
  groupBits: Map<number, Bitset>,
  installedOf: Map<string, InstalledByPosition> | undefined,
  into?: OutcomeColumns,
): OutcomeColumns {
  const size = computers.length;
  const { enabled, deploymentAt } = input;
  const enrolled = newBitset(size);
  const relation = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const c = computers[i]!;
    if (c.enrolled) setBit(enrolled, i);
    relation[i] = firstStepInventoryRelation(c.lastInventoryAt, input.now);
  }
  // Only enrolled Macs are deployed to (a copy of each group only when some are not).
  const allEnrolled = countBits(enrolled) === size;
  const groups = new Map<number, Bitset>();
  for (const d of enabled) {
    const members = groupBits.get(d.smartGroupId);
    if (!members || groups.has(d.smartGroupId)) continue;
    let scoped = members;
    if (!allEnrolled) andInto((scoped = members.slice()), enrolled);
    groups.set(d.smartGroupId, scoped);
  }
  const ids = new Int32Array(size);
  for (let i = 0; i < size; i++) ids[i] = computers[i]!.id;
  let pairs = 0; // at most one per (enabled App Installer, enrolled member)
  for (const d of enabled) {
    const members = groups.get(d.smartGroupId);
    if (members) pairs += countBits(members);
  }

  const installed = new InstalledCodes(size);
  const out = into?.reset(pairs) ?? new OutcomeColumns(pairs);
  // Each visit is one (App Installer, scope, compatibility) for many computers; per computer, the first step
  // is then looked up by installed code × 3 + relation, in a table shared by the visits of the same decision
  // (a title's visits are one per bucket of computers, and the same decision recurs across buckets).
  // By the scope's reason (a loser's scope is made per combination of App Installers, its reason per winner).
  const byDecision = new Map<string, Map<TargetFacts["compatibility"], Map<number, Int16Array>>>(); // for the current title
  // A winner's losers are visited right after it with the same `positions` (ScopeGroupVisitor): their
  // computers' ids and keys are read once, at the winner (the losers' visits are half of the pairs).
  let bucket: Int32Array | undefined;
  let bucketStart = 0;
  const keys = new Int32Array(size);
  forEachScopeGroupInFleet(enabled, input.versions, { size, groups }, computers, (deploymentId, version, scope, compatibility, positions) => {
    const d = deploymentAt[deploymentId]!;
    if (d.bundleId !== installed.bundleId) {
      installed.load(d.bundleId, installedOf?.get(d.bundleId));
      byDecision.clear(); // installed codes are the title's
    }
    const { codes, facts } = installed;
    if (size === 1) {
      // One computer (G5): one target per visit, nothing for a table to share, so it is stepped directly.
      const at = out.append(1, deploymentId, scope.kind === "winner");
      out.computerIds[at] = ids[0]!;
      out.statuses[at] = firstStatusCode(input.now, d, version, scope, compatibility, facts[codes[0]!]!, computers[0]!.lastInventoryAt);
      return;
    }
    const scopeKey = scope.kind === "winner" ? "" : scope.reason;
    let byCompatibility = byDecision.get(scopeKey);
    if (!byCompatibility) byDecision.set(scopeKey, (byCompatibility = new Map<TargetFacts["compatibility"], Map<number, Int16Array>>()));
    let byDeployment = byCompatibility.get(compatibility);
    if (!byDeployment) byCompatibility.set(compatibility, (byDeployment = new Map<number, Int16Array>()));
    // A typed table (−1 = not yet stepped), not a sparse array: sparse keys turn a JS array into a dictionary.
    let byRest = byDeployment.get(deploymentId);
    if (!byRest) byDeployment.set(deploymentId, (byRest = new Int16Array(facts.length * 3).fill(-1)));
    const n = positions.length;
    const start = out.append(n, deploymentId, scope.kind === "winner");
    const { computerIds, statuses } = out;
    if (scope.kind !== "winner" && positions === bucket) {
      // The same computers as the visit before (a loser of its bucket): their ids are the outcomes just
      // written, and their keys are remembered; only the status table is this App Installer's.
      computerIds.copyWithin(start, bucketStart, bucketStart + n);
      for (let p = 0; p < n; p++) {
        const key = keys[p]!;
        let code = byRest[key]!;
        if (code < 0) byRest[key] = code = firstStatusCode(input.now, d, version, scope, compatibility, facts[codes[positions[p]!]!]!, computers[positions[p]!]!.lastInventoryAt);
        statuses[start + p] = code;
      }
      return;
    }
    bucket = positions;
    bucketStart = start;
    for (let p = 0; p < n; p++) {
      const i = positions[p]!;
      const key = codes[i]! * 3 + relation[i]!;
      keys[p] = key;
      let code = byRest[key]!;
      if (code < 0) byRest[key] = code = firstStatusCode(input.now, d, version, scope, compatibility, facts[codes[i]!]!, computers[i]!.lastInventoryAt);
      computerIds[start + p] = ids[i]!;
      statuses[start + p] = code;
    }
  });
  return out;
}

/** Pomona's full pass in memory: compile, evaluate every group over the fleet (bitsets), scope, status. */
export function oursEnginePass(input: LoadedEngineInput, into?: OutcomeColumns): { outcomes: OutcomeColumns; compiled: CompiledGroups; phases: { groupsMs: number; scopeMs: number } } {
  const t0 = performance.now();
  const compiled = compileSmartGroups(input.groups);
  const slots = evaluateSmartGroupBits(compiled, input.facts, input.now, input.apps);
  const groupBits = new Map(compiled.groups.map((g) => [g.id, slots[g.slot]!]));
  const t1 = performance.now();
  const outcomes = scopeAndStatus(input, input.infos, groupBits, input.installedAt, into);
  return { outcomes, compiled, phases: { groupsMs: t1 - t0, scopeMs: performance.now() - t1 } };
}

/** Order-independent fingerprint of winners and statuses (sorted, then hashed). */
export function checksum(outcomes: Outcome[]): string {
  const sorted = [...outcomes].sort((a, b) => a.deploymentId - b.deploymentId || a.computerId - b.computerId);
  const h = createHash("sha256");
  for (const o of sorted) h.update(`${o.deploymentId},${o.computerId},${o.winner ? 1 : 0},${o.status}\n`);
  return h.digest("hex").slice(0, 16);
}

const statusCounts = (outcomes: Outcome[]) => outcomes.reduce<Record<string, number>>((acc, o) => ((acc[o.status] = (acc[o.status] ?? 0) + 1), acc), {});

export type G4Result = {
  computers: number;
  groups: number;
  deployments: number;
  pairs: number;
  oursMs: number;
  oursRuns: number[];
  /** Untimed passes before them, and the timed ones during which V8 ran a full collection. */
  warmUps: number;
  fullCollections: number;
  /** Of the median run: smart groups (compile + evaluate) and scope + precedence + status. */
  oursPhases: { groupsMs: number; scopeMs: number };
  naiveMs: number;
  checksumOurs: string;
  checksumNaive: string;
  identical: boolean;
  statuses: Record<string, number>;
  loadMs: number;
  cycles: number;
  invalid: number;
};

const G4_WARM_UPS = 3;
const G4_MAX_WARM_UPS = 12;

/** Counts V8's full collections (mark-compact) as perf_hooks reports them, between two turns of the event loop. */
function fullCollectionCounter() {
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) count++;
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    /** The count so far, once pending entries are delivered (they arrive on a later turn). */
    read: async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return count;
    },
    stop: () => observer.disconnect(),
  };
}

export async function measureG4(input: LoadedEngineInput, options: { runs: number }): Promise<G4Result> {
  // Loading left about a gigabyte of garbage (the rows read), which V8 otherwise collects during one of the
  // passes (a full collection, 0.4–0.7 s): collected first, untimed, as a server's would be long before its
  // next pass. Each pass's own garbage stays in its time.
  globalThis.gc?.();
  const collections = fullCollectionCounter();
  const forced = await collections.read();
  // Then warm-up passes until the JIT and the heap are steady, as in a server that has run passes before.
  // Traced (--trace-opt --trace-deopt --trace-gc): the first pass optimizes the loops, the second
  // deoptimizes the code that inlined the first pass's closures ("wrong call target") and reoptimizes it;
  // from the third on, nothing is recompiled. And after a forced collection V8 sets the old generation's
  // limit close to the live heap: its first full collection of its own came within five passes (0.5–0.7 s
  // for the 0.55 GB of loaded inputs, and it drops optimized code that the next pass recompiles, "weak
  // objects"); after it, none in the next 14 passes. So the warm-ups go on past that collection (at most
  // G4_MAX_WARM_UPS), and a full collection in a timed pass is counted in the result.
  // Each pass writes its outcomes into the previous pass's columns, as a server running passes would: 4.7
  // million outcomes are 47 MB of typed arrays, and allocating them anew each time made V8 run a full
  // collection of the loaded inputs in most passes.
  let last = oursEnginePass(input);
  let warmUps = 1;
  while (warmUps < G4_WARM_UPS || ((await collections.read()) === forced && warmUps < G4_MAX_WARM_UPS)) {
    last = oursEnginePass(input, last.outcomes);
    warmUps++;
  }
  const beforeTimed = await collections.read();
  const runs: { ms: number; phases: { groupsMs: number; scopeMs: number } }[] = [];
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    last = oursEnginePass(input, last.outcomes);
    runs.push({ ms: performance.now() - t0, phases: last.phases });
  }
  const fullCollections = (await collections.read()) - beforeTimed;
  collections.stop();
  const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
  const t0 = performance.now();
  const naive = naiveEnginePass(input);
  const naiveMs = performance.now() - t0;
  const ours = last.outcomes.toOutcomes(); // not timed: the checksum reads both sides the same way
  const checksumOurs = checksum(ours);
  const checksumNaive = checksum(naive);
  return {
    computers: input.facts.length,
    groups: input.groups.length,
    deployments: input.deployments.length,
    pairs: ours.length,
    oursMs: median.ms,
    oursRuns: runs.map((r) => r.ms), // in the order they ran
    warmUps,
    fullCollections,
    oursPhases: median.phases,
    naiveMs,
    checksumOurs,
    checksumNaive,
    identical: checksumOurs === checksumNaive && naive.length === ours.length,
    statuses: statusCounts(ours),
    loadMs: input.loadMs,
    cycles: last.compiled.cycles.length,
    invalid: last.compiled.invalid.length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// G5: one computer's new inventory → its memberships and winners
// ---------------------------------------------------------------------------------------------------------

export type G5Result = { samples: number; engine: ReturnType<Histogram["summary"]>; withWrite: ReturnType<Histogram["summary"]>; membershipChanges: number };

/** A changed inventory: Slack removed if present, added if absent (moves the Mac in and out of groups). */
function changedApps(facts: ComputerFacts, apps: InstalledApplicationAnswer[]): InstalledApplicationAnswer[] {
  const slack = "com.tinyspeck.slackmacgap";
  if (facts.appBundleIds.has(slack)) return apps.filter((a) => a.Identifier !== slack);
  return [...apps, { Identifier: slack, Name: "Slack", Version: "4.41.105", ShortVersion: "4.41.105", BundleSize: 478_150_656, Installing: false }];
}

/** The computers G5 times, drawn with replacement (seeded): `samples` timed after 50 warm-up ones. */
export function g5Sample(deps: Pick<Deps, "db">, options: { samples: number; seed: number }): number[] {
  const ids = deps.db.$client.prepare("select id from computers order by id").pluck().all() as number[];
  let x = options.seed >>> 0;
  const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296);
  return Array.from({ length: options.samples + 50 }, () => ids[Math.floor(rand() * ids.length)]!);
}

/** G5's engine part: one computer's facts → its groups → its winners and first statuses, in memory. */
export function oneComputerEngine(input: LoadedEngineInput, compiled: CompiledGroups, computer: ComputerFacts, into?: OutcomeColumns): OutcomeColumns {
  const one = new Map<number, Bitset>();
  const member = fullBitset(1); // shared: scopeAndStatus copies before it intersects
  for (const g of evaluateSmartGroupsForComputer(compiled, computer, input.now)) one.set(g, member);
  return scopeAndStatus(input, [input.computerInfo.get(computer.id)!], one, input.installedByComputer.get(computer.id), into);
}

/**
 * `input` holds the sampled computers only (loadEngineInput with `sample`): a server in service keeps no
 * fleet-wide inputs in memory, and a 3.5 GB heap of them made G5's tail the garbage collector's.
 */
export async function measureG5(deps: Pick<Deps, "db" | "publicUrl">, input: LoadedEngineInput, compiled: CompiledGroups, sample: number[], options: { samples: number }): Promise<G5Result> {
  const engine = new Histogram();
  const withWrite = new Histogram();
  const sqlite = deps.db.$client;
  const current = sqlite.prepare("select smart_group_id as g from smart_group_members where computer_id = ?");
  // Loaded once per pass by the scheduler (App Installers, catalog versions, profiles), as here.
  const context = loadPassContext(deps.db);
  const appsOf = sqlite.prepare("select bundle_id as Identifier, name as Name, version as Version, short_version as ShortVersion, bundle_size as BundleSize from installed_apps where computer_id = ?");
  let membershipChanges = 0;

  const factsById = new Map(input.facts.map((f) => [f.id, f]));
  let columns: OutcomeColumns | undefined; // each computer's outcomes written over the previous one's
  for (let i = 0; i < options.samples + 50; i++) {
    // Between two computers the event loop turns, as the scheduler's pass yields between slices
    // (yieldToRequests): timers run there, the server's WAL checkpoints among them (db/checkpoints.ts).
    await yieldToRequests(1);
    const facts = factsById.get(sample[i]!)!;
    const rows = (appsOf.all(facts.id) as { Identifier: string | null; Name: string; Version: string | null; ShortVersion: string | null; BundleSize: number | null }[]).map((r) => ({
      Identifier: r.Identifier ?? undefined,
      Name: r.Name,
      Version: r.Version ?? undefined,
      ShortVersion: r.ShortVersion ?? undefined,
      BundleSize: r.BundleSize ?? undefined,
    }));
    const apps = changedApps(facts, rows);
    // Not timed: the computer as a pass left it (its targets exist), so what is timed is what new inventory
    // changes, as in a server in service. The snapshot has no targets: G4 measures creating all of them.
    deps.db.transaction(() => runDeploymentPass(deps, storedMembershipFor(deps.db, [facts.id]), DEFAULT_SETTINGS, input.now, { computerIds: [facts.id], context }), { behavior: "immediate" });

    // Engine only: the new facts in memory → groups → winners.
    const newFacts: ComputerFacts = {
      ...facts,
      appBundleIds: new Set(apps.flatMap((a) => (a.Identifier ? [a.Identifier.toLowerCase()] : []))),
      appNames: new Set(apps.map((a) => normalizeAppName(a.Name ?? ""))),
    };
    let t0 = performance.now();
    columns = oneComputerEngine(input, compiled, newFacts, columns);
    if (i >= 50) engine.add(performance.now() - t0);

    // With the write: store the inventory (applyInstalledApplicationList), then Pomona's own slice of an
    // engine pass for this one computer (recalculateMembershipFor + runDeploymentPass for [id]): facts
    // reloaded, groups evaluated, membership difference stored, winners, statuses and commands written; one
    // IMMEDIATE transaction, as the scheduler's pass runs each slice.
    t0 = performance.now();
    deps.db.transaction(
      () => {
        applyInstalledApplicationList(deps.db, facts.id, apps, input.now);
        const before = (current.all(facts.id) as { g: number }[]).length;
        const { membership } = recalculateMembershipFor(deps.db, compiled, [facts.id], input.now);
        runDeploymentPass(deps, membership, DEFAULT_SETTINGS, input.now, { computerIds: [facts.id], context });
        membershipChanges += Math.abs((current.all(facts.id) as { g: number }[]).length - before);
      },
      { behavior: "immediate" },
    );
    if (i >= 50) withWrite.add(performance.now() - t0);
  }
  return { samples: options.samples, engine: engine.summary(), withWrite: withWrite.summary(), membershipChanges };
}
