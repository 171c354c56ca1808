// The engine pass over given computers (DESIGN §3): who is in scope of which deployment, who wins each
// title, who can run it, and one step of every target's install flow. Everything the engine decides is local
// to one computer (its groups, its winners, its targets), so a pass runs over the fleet in slices of
// computers (engine-passes.ts decides which and when): each slice reads what it needs through statements
// prepared once, asks the pure engine, and writes in one transaction.
import { eq, inArray, sql } from "drizzle-orm";

import { isEmpty, newBitset, setBit, type Bitset } from "@/server/engine/bitset";
import { resolvePrecedence, type PrecedenceCandidate } from "@/server/engine/precedence";
import { checkCompatibility, type Compatibility } from "@/server/engine/compatibility";
import { initialTargetState, STATUS_LABELS, stepTarget, type CommandFact, type InstalledFact, type TargetFacts, type TargetState } from "@/server/engine/status";
import { newestVersion } from "@/server/engine/versions";
import type { Deps } from "@/server/deps";
import { buildInstalledApplicationList, buildInstallEnterpriseApplication, buildInstallProfile } from "@/server/queue/commands";
import { commandBatch, retireInstall } from "@/server/queue/queue";
import { changeStamp } from "@/server/services/change-stamps";
import { insertEvents } from "@/server/services/events";
import { versionManifest, type VersionManifest } from "@/server/services/manifests";
import type { Settings } from "@/server/services/settings";
import { withinTransaction, type Db } from "@/db/client";
import { dateOf, inJson, msOf } from "@/db/sql";
import {
  catalogProfiles,
  catalogTitles,
  catalogVersions,
  computers,
  deployments,
  deploymentTargets,
  type CatalogVersion,
  type Command,
  type Deployment,
  type DeploymentTarget,
  type NewDeploymentTarget,
  type NewEvent,
} from "@/db/schema";

type DeploymentInfo = Deployment & { bundleId: string; titleName: string; publisher: string };
type ComputerInfo = { id: number; osVersion: string | null; architecture: "arm64" | "x86_64" | null; lastInventoryAt: Date | null; enrolled: boolean; unenrolledAt: Date | null };

/** What compatibility reads of a computer. */
type DeviceFacts = Pick<ComputerInfo, "osVersion" | "architecture">;

/**
 * A Mac between Authenticate and TokenUpdate of a re-enrollment: not enrolled, but it never checked out.
 * Its targets wait for the TokenUpdate instead of leaving scope (which would lose their attempts).
 */
const isReenrolling = (c: ComputerInfo | undefined) => c !== undefined && !c.enrolled && c.unenrolledAt === null;

/** A deployment's target version: the pinned one (Manual), else the catalog's newest (Automatic). */
export function targetVersionOf(deployment: Pick<Deployment, "updateMethod" | "version">, versions: readonly CatalogVersion[]): CatalogVersion | undefined {
  if (deployment.updateMethod === "manual") return versions.find((v) => v.version === deployment.version);
  return newestOf(versions);
}

/**
 * A title's newest version, remembered per versions array: a pass's context holds one array per title, and
 * a slice of one computer asks for every enabled App Installer's target (200 in the benchmark), each a
 * comparison of parsed version strings. Arrays are not changed once loaded; a different length is a miss.
 */
const newestCache = new WeakMap<readonly CatalogVersion[], { length: number; newest: CatalogVersion | undefined }>();
function newestOf(versions: readonly CatalogVersion[]): CatalogVersion | undefined {
  const known = newestCache.get(versions);
  if (known && known.length === versions.length) return known.newest;
  const newest = newestVersion(versions, (v) => v.version);
  newestCache.set(versions, { length: versions.length, newest });
  return newest;
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
  computerById: Map<number, DeviceFacts>,
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
 * once, so none is kept. Sets are turned into bitsets over the computers they hold (forEachScopeGroupInFleet).
 */
export function forEachScopeDecision(
  enabled: DeploymentInfo[],
  versionsByTitle: Map<number, CatalogVersion[]>,
  membership: Map<number, Set<number>>,
  computerById: Map<number, DeviceFacts>,
  visit: ScopeVisitor,
): void {
  const positionOf = new Map<number, number>();
  const computerIds: number[] = [];
  const used = new Set(enabled.map((d) => d.smartGroupId));
  for (const [groupId, members] of membership) {
    if (!used.has(groupId)) continue;
    for (const id of members) if (!positionOf.has(id)) positionOf.set(id, computerIds.push(id) - 1);
  }
  const groups = new Map<number, Bitset>();
  for (const [groupId, members] of membership) {
    // An empty group is left out (as a group no one is in): a slice of one Mac is in few of them.
    if (!used.has(groupId) || members.size === 0) continue;
    const bits = newBitset(computerIds.length);
    for (const id of members) setBit(bits, positionOf.get(id)!);
    groups.set(groupId, bits);
  }
  const devices = computerIds.map((id) => computerById.get(id));
  forEachScopeGroupInFleet(enabled, versionsByTitle, { size: computerIds.length, groups }, devices, (deploymentId, version, scope, compatibility, positions) => {
    for (const i of positions) visit(deploymentId, computerIds[i]!, version, scope, compatibility);
  });
}

/** Smart group members as bitsets over one array of computers (evaluateSmartGroupBits), by group id. */
export type FleetMembership = { size: number; groups: Map<number, Bitset> };

/**
 * Computers (positions, increasing) that share an App Installer, scope and compatibility: one decision for
 * all of them. `positions` is a view into a buffer reused by the next visit: read it, do not keep it. A
 * winner's visit comes first; its losers' visits (the same computers, whose scope is Unqualified for losing
 * to it) follow right after it, with the same `positions` object.
 */
export type ScopeGroupVisitor = (deploymentId: number, version: CatalogVersion, scope: TargetFacts["scope"], compatibility: Compatibility, positions: Int32Array) => void;

/**
 * Scope, precedence and compatibility for every (enabled deployment, computer in its group) pair, with
 * computers as positions in one array (`devices[i]` is computer i, undefined when unknown), visited in
 * groups of positions that share the decision, title by title. Precedence is resolved once per combination
 * of App Installers that hold a computer (a fleet has few), and compatibility once per (version, macOS
 * version, architecture); per computer there is only a lookup of its combination and its class.
 */
export function forEachScopeGroupInFleet(
  enabled: DeploymentInfo[],
  versionsByTitle: Map<number, CatalogVersion[]>,
  membership: FleetMembership,
  devices: ArrayLike<DeviceFacts | undefined>,
  visit: ScopeGroupVisitor,
): void {
  const { size } = membership;
  if (size === 1 && visitOneComputer(enabled, versionsByTitle, membership.groups, devices[0], visit)) return;
  const byTitle = new Map<number, { candidates: Candidate[]; members: Bitset[] }>();
  for (const d of enabled) {
    const members = membership.groups.get(d.smartGroupId);
    if (!members || isEmpty(members)) continue; // first: a slice's computers are in few of the groups
    const version = targetVersionOf(d, versionsByTitle.get(d.titleId) ?? NO_VERSIONS);
    if (!version) continue;
    let title = byTitle.get(d.titleId);
    if (!title) byTitle.set(d.titleId, (title = { candidates: [], members: [] }));
    title.candidates.push({ id: d.id, name: d.name, distributionMethod: d.distributionMethod, updateMethod: d.updateMethod, targetVersion: version.version, version });
    title.members.push(members);
  }
  const arrays = scratch(size);
  arrays.busy = true;
  try {
    const compatibility = compatibilityClasses(devices, size, arrays.classOf);
    for (const title of byTitle.values()) visitTitle(title, size, compatibility, arrays, visit);
  } finally {
    arrays.busy = false;
    arrays.maskAt.fill(0);
  }
}

type Compatibilities = ReturnType<typeof compatibilityClasses>;
type Scratch = ReturnType<typeof scratch>;
/** App Installers of one title that hold a computer, resolved, with the compatibility answers of the winner's version. */
type Combination = { resolved: Resolved; buckets: number[]; answerOfClass: number[] };

/**
 * What a slice of one computer needs of the enabled App Installers, made once per pass context (the same
 * `enabled` and `versionsByTitle`): each title's candidates (bit j of a mask is candidate j), the App
 * Installers of each group, and, remembered across computers, each title's resolved combinations and each
 * version's compatibility per (macOS version, architecture). A one-Mac slice then reads only its own groups'
 * App Installers and makes no objects per title: its time is mostly memory the event loop's other work has
 * pushed out of the caches, so touching less of it is what makes it faster.
 */
type OneComputerPlan = {
  length: number;
  versionsByTitle: Map<number, CatalogVersion[]>;
  titles: { candidates: Candidate[]; resolved: Map<number, Resolved> }[];
  /**
   * By group id: the App Installers it scopes, as (title, candidate bit, position in `enabled`) triples in one
   * typed array (a slice reads one array per group, not an object per App Installer).
   */
  byGroup: Map<number, Int32Array>;
  compatibility: Map<CatalogVersion, Map<string, Compatibility>>;
};
const oneComputerPlans = new WeakMap<DeploymentInfo[], OneComputerPlan | null>();

/** null when a title has more than 30 App Installers (masks are 31-bit): forEachScopeGroupInFleet's general path then. */
function oneComputerPlan(enabled: DeploymentInfo[], versionsByTitle: Map<number, CatalogVersion[]>): OneComputerPlan | null {
  const known = oneComputerPlans.get(enabled);
  if (known !== undefined && (known === null || (known.length === enabled.length && known.versionsByTitle === versionsByTitle))) return known;
  const titleIndex = new Map<number, number>();
  const plan: OneComputerPlan = { length: enabled.length, versionsByTitle, titles: [], byGroup: new Map(), compatibility: new Map() };
  const byGroup = new Map<number, number[]>();
  let fits = true;
  enabled.forEach((d, order) => {
    const version = targetVersionOf(d, versionsByTitle.get(d.titleId) ?? NO_VERSIONS);
    if (!version) return;
    let t = titleIndex.get(d.titleId);
    if (t === undefined) titleIndex.set(d.titleId, (t = plan.titles.push({ candidates: [], resolved: new Map() }) - 1));
    const title = plan.titles[t]!;
    const bit = title.candidates.push({ id: d.id, name: d.name, distributionMethod: d.distributionMethod, updateMethod: d.updateMethod, targetVersion: version.version, version }) - 1;
    if (bit > 30) fits = false;
    const list = byGroup.get(d.smartGroupId);
    if (list) list.push(t, bit, order);
    else byGroup.set(d.smartGroupId, [t, bit, order]);
  });
  for (const [groupId, list] of byGroup) plan.byGroup.set(groupId, Int32Array.from(list));
  oneComputerPlans.set(enabled, fits ? plan : null);
  return fits ? plan : null;
}

/**
 * forEachScopeGroupInFleet for a fleet of one computer, with the same visits in the same order (titles by
 * their first App Installer holding the computer, in `enabled` order). False when it cannot (see oneComputerPlan).
 */
function visitOneComputer(enabled: DeploymentInfo[], versionsByTitle: Map<number, CatalogVersion[]>, groups: Map<number, Bitset>, device: DeviceFacts | undefined, visit: ScopeGroupVisitor): boolean {
  const plan = oneComputerPlan(enabled, versionsByTitle);
  if (!plan) return false;
  const masks = new Int32Array(plan.titles.length);
  const firstAt = new Map<number, number>(); // touched title → its first App Installer's place in `enabled`
  for (const [groupId, members] of groups) {
    if ((members[0]! & 1) === 0) continue;
    const scoped = plan.byGroup.get(groupId);
    if (!scoped) continue;
    for (let k = 0; k < scoped.length; k += 3) {
      const title = scoped[k]!;
      const order = scoped[k + 2]!;
      masks[title]! |= 1 << scoped[k + 1]!;
      const first = firstAt.get(title);
      if (first === undefined || order < first) firstAt.set(title, order);
    }
  }
  const touched = [...firstAt.keys()].sort((a, b) => firstAt.get(a)! - firstAt.get(b)!);
  const deviceKey = device ? `${device.osVersion}|${device.architecture}` : "unknown";
  const only = Int32Array.of(0);
  for (const t of touched) {
    const title = plan.titles[t]!;
    const mask = masks[t]!;
    let resolved = title.resolved.get(mask);
    if (!resolved) title.resolved.set(mask, (resolved = resolveCombination(title.candidates.filter((_, j) => (mask & (1 << j)) !== 0))));
    const { version } = resolved.winner;
    let answers = plan.compatibility.get(version);
    if (!answers) plan.compatibility.set(version, (answers = new Map<string, Compatibility>()));
    let compat = answers.get(deviceKey);
    if (!compat) answers.set(deviceKey, (compat = compatibilityOf(version, device)));
    visit(resolved.winner.id, version, WINNER, compat, only);
    for (const loser of resolved.losers) visit(loser.candidate.id, loser.candidate.version, loser.scope, compat, only);
  }
  return true;
}

/**
 * One title: each position gets a bucket (combination × compatibility answer), positions are laid out
 * bucket by bucket (a counting sort, order kept), and each bucket is visited once.
 */
function visitTitle(title: { candidates: Candidate[]; members: Bitset[] }, size: number, compatibility: Compatibilities, arrays: Scratch, visit: ScopeGroupVisitor) {
  const { candidates, members } = title;
  const { order, bucketOf, held, maskAt, classOf } = arrays;
  const k = candidates.length;
  const buckets: { resolved: Resolved; answer: number; count: number }[] = [];
  // A combination by mask: a table where it is no larger than the fleet (up to 16 App Installers), else a map.
  const table: (Combination | undefined)[] | undefined = k <= 16 && 1 << k <= size ? new Array<Combination | undefined>(1 << k) : undefined;
  const combinations = new Map<number | string, Combination>();
  let lastKey: number | string = -1;
  let last: Combination | undefined;
  let n = 0;
  const words = members[0]!.length;
  for (let w = 0; w < words; w++) {
    // Each position's mask, built from the members' bits (work per membership, not per position × k).
    let union = 0;
    if (k <= 30) {
      for (let j = 0; j < k; j++) {
        let word = members[j]![w]!;
        union |= word;
        while (word !== 0) {
          const low = word & -word;
          word ^= low;
          maskAt[31 - Math.clz32(low)]! |= 1 << j;
        }
      }
    } else for (let j = 0; j < k; j++) union |= members[j]![w]!;
    while (union !== 0) {
      const low = union & -union;
      union ^= low;
      const bit = 31 - Math.clz32(low);
      const i = (w << 5) + bit;
      const key = k <= 30 ? maskAt[bit]! : combinationKey(members, w, low);
      maskAt[bit] = 0;
      if (key !== lastKey || !last) {
        let known = table ? table[key as number] : combinations.get(key);
        if (!known) {
          const resolved = resolveCombination(presentAt(candidates, members, w, low));
          const { answers, answerOfClass } = compatibility.of(resolved.winner.version);
          known = { resolved, buckets: answers.map(() => -1), answerOfClass };
          if (table) table[key as number] = known;
          else combinations.set(key, known);
        }
        lastKey = key;
        last = known;
      }
      const answer = last.answerOfClass[classOf[i]!]!;
      let b = last.buckets[answer]!;
      if (b < 0) last.buckets[answer] = b = buckets.push({ resolved: last.resolved, answer, count: 0 }) - 1;
      buckets[b]!.count++;
      held[n] = i;
      bucketOf[n++] = b;
    }
  }
  // Small per title (a few buckets): plain arrays, not typed ones (a slice runs this for one computer).
  const starts: number[] = [0];
  for (let b = 0; b < buckets.length; b++) starts[b + 1] = starts[b]! + buckets[b]!.count;
  const next = starts.slice(0, buckets.length);
  for (let p = 0; p < n; p++) order[next[bucketOf[p]!]!++] = held[p]!;
  buckets.forEach(({ resolved, answer }, b) => {
    const positions = order.subarray(starts[b], starts[b + 1]);
    const compat = compatibility.of(resolved.winner.version).answers[answer]!;
    // Losers share the winner's compatibility (they are Unqualified either way).
    visit(resolved.winner.id, resolved.winner.version, WINNER, compat, positions);
    for (const loser of resolved.losers) visit(loser.candidate.id, loser.candidate.version, loser.scope, compat, positions);
  });
}

/**
 * Per-computer work arrays, kept between calls and grown as needed: a slice of one computer would otherwise
 * allocate five typed arrays per call, and many small ArrayBuffers are garbage the collector must sweep.
 * Not reentrant: a visitor that decides scope again gets arrays of its own.
 */
let scratchArrays: { size: number; busy: boolean; order: Int32Array; bucketOf: Int32Array; held: Int32Array; classOf: Int32Array; maskAt: Int32Array } | undefined;
function scratch(size: number) {
  const make = (n: number) => ({ size: n, busy: false, order: new Int32Array(n), bucketOf: new Int32Array(n), held: new Int32Array(n), classOf: new Int32Array(n), maskAt: new Int32Array(32) });
  if (scratchArrays?.busy) return make(size);
  if (!scratchArrays || scratchArrays.size < size) scratchArrays = make(Math.max(size, 64));
  return scratchArrays;
}

type Candidate = PrecedenceCandidate & { version: CatalogVersion };
type Resolved = { winner: Candidate; losers: { candidate: Candidate; scope: TargetFacts["scope"] }[] };
const NO_VERSIONS: readonly CatalogVersion[] = Object.freeze([]);
const WINNER: TargetFacts["scope"] = Object.freeze({ kind: "winner" });
const UNKNOWN_DEVICE: Compatibility = Object.freeze({ kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" });

/**
 * The candidates whose member set holds the position (`low` bit of word `w`). A function of its own, not a
 * closure in visitTitle's loop: a closure there that reads `w` and `low` makes V8 allocate a context for
 * every position the loop visits, whether or not it runs (100 MB of garbage per 100,000-Mac pass).
 */
function presentAt(candidates: Candidate[], members: Bitset[], w: number, low: number): Candidate[] {
  const present: Candidate[] = [];
  for (let j = 0; j < candidates.length; j++) if ((members[j]![w]! & low) !== 0) present.push(candidates[j]!);
  return present;
}

/** Which of one title's member sets hold the position (`low` bit of word `w`), as a list (over 30 sets). */
function combinationKey(members: Bitset[], w: number, low: number): string {
  return members.flatMap((m, j) => ((m[w]! & low) !== 0 ? [j] : [])).join(",");
}

/** Precedence among the App Installers of one title that scope a computer (in the order they came). */
function resolveCombination(present: Candidate[]): Resolved {
  if (present.length === 1) return { winner: present[0]!, losers: [] };
  const byId = new Map(present.map((c) => [c.id, c]));
  const { winner, losers } = resolvePrecedence(present);
  return { winner, losers: losers.map((l) => ({ candidate: byId.get(l.id)!, scope: Object.freeze({ kind: "unqualified" as const, reason: l.reason }) })) };
}

/** checkCompatibility of a catalog version on a computer; Unknown until its macOS version and architecture are known. */
function compatibilityOf(version: CatalogVersion, device: DeviceFacts | undefined): Compatibility {
  return device ? checkCompatibility({ version: { version: version.version, minimumOsVersion: version.minimumOsVersion, architectures: version.architectures }, computer: device }) : UNKNOWN_DEVICE;
}

/**
 * checkCompatibility, remembered per (catalog version, macOS version, architecture): computers are
 * numbered once by class of equal (macOS version, architecture); per version, each class maps to one of
 * the version's distinct answers.
 */
function compatibilityClasses(devices: ArrayLike<DeviceFacts | undefined>, size: number, classOf: Int32Array) {
  const representatives: (DeviceFacts | undefined)[] = [];
  const classes = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    const device = devices[i];
    const key = device ? `${device.osVersion}|${device.architecture}` : "unknown";
    let c = classes.get(key);
    if (c === undefined) classes.set(key, (c = representatives.push(device) - 1));
    classOf[i] = c;
  }
  const byVersion = new Map<CatalogVersion, { answers: Compatibility[]; answerOfClass: number[] }>();
  const forVersion = (version: CatalogVersion) => {
    let known = byVersion.get(version);
    if (known) return known;
    const answers: Compatibility[] = [];
    const index = new Map<string, number>();
    const answerOfClass: number[] = [];
    representatives.forEach((device, c) => {
      const answer = compatibilityOf(version, device);
      const key = `${answer.kind}|${"reason" in answer ? answer.reason : ""}`;
      let a = index.get(key);
      if (a === undefined) index.set(key, (a = answers.push(answer) - 1));
      answerOfClass[c] = a;
    });
    byVersion.set(version, (known = { answers, answerOfClass }));
    return known;
  };
  return { of: forVersion };
}

/**
 * A command as passStatements' `commands` reads it, an array (better-sqlite3's raw mode, as targets): instants
 * in ms, the flag as 0/1, the error chain as JSON text.
 */
type CommandFactRow = [uuid: string, computerId: number, status: Command["status"], sentAt: number | null, completedAt: number | null, isInstall: number, errorChain: string | null];

function commandFact(c: CommandFactRow | undefined, slotHolders: Set<number>): CommandFact | null {
  if (!c) return null;
  const [uuid, computerId, status, sentAt, completedAt, isInstall, errorChain] = c;
  const first = errorChain === null ? undefined : (JSON.parse(errorChain) as Command["errorChain"])?.[0];
  return {
    uuid,
    status,
    sentAt: dateOf(sentAt),
    completedAt: dateOf(completedAt),
    errorText: first ? (first.USEnglishDescription ?? first.LocalizedDescription ?? `error ${first.ErrorCode ?? "?"} (${first.ErrorDomain ?? "unknown domain"})`) : null,
    waitingForSlot: isInstall === 1 && status === "queued" && slotHolders.has(computerId),
  };
}

/** The highest version of a title the Mac reported (Installing wins: an install in progress is not done). */
export function installedFact(rows: { shortVersion: string | null; version: string | null; installing: boolean }[] | undefined): InstalledFact | null {
  if (!rows || rows.length === 0) return null;
  if (rows.some((r) => r.installing)) return { shortVersion: null, version: null, installing: true };
  const best = newestVersion(rows, (r) => r.shortVersion ?? r.version ?? "0");
  return best ? { shortVersion: best.shortVersion, version: best.version, installing: false } : null;
}

export type PassResult = { targetsCreated: number; targetsRemoved: number; statusChanges: number; commandsQueued: number; wake: number[] };

/** A pass that did nothing yet. */
export function emptyPassResult(): PassResult {
  return { targetsCreated: 0, targetsRemoved: 0, statusChanges: 0, commandsQueued: 0, wake: [] };
}

/** Adds `from` into `into`: a pass's slices, or the passes a scheduler tick runs. */
export function addPassResult(into: PassResult, from: PassResult): PassResult {
  into.targetsCreated += from.targetsCreated;
  into.targetsRemoved += from.targetsRemoved;
  into.statusChanges += from.statusChanges;
  into.commandsQueued += from.commandsQueued;
  for (const id of from.wake) into.wake.push(id);
  return into;
}

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

/** Changes whenever an App Installer or the catalog (a title, a version, a supporting profile) is written. */
function contextStamp(db: Db): string {
  return `context:${changeStamp(db, "pass_context")}`;
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
    .map((r) => Object.assign({}, r.d, { bundleId: r.bundleId, titleName: r.titleName, publisher: r.publisher }));
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
      .select({
        id: computers.id,
        osVersion: computers.osVersion,
        architecture: computers.architecture,
        lastInventoryAt: computers.lastInventoryAt,
        enrolled: computers.enrolled,
        unenrolledAt: computers.unenrolledAt,
      })
      .from(computers)
      .where(inJson(computers.id, "ids"))
      .prepare(),
    // Raw, mapped by targetOf: drizzle's row mapping cost more than the read (~46 rows of 17 columns a Mac).
    targets: db.$client.prepare<[string], TargetRow>(`${TARGET_COLUMNS} where computer_id in (select value from json_each(?))`).raw(),
    apps: db.$client
      .prepare<[string, string], [computerId: number, bundleId: string, shortVersion: string | null, version: string | null, installing: number]>(
        `select computer_id, bundle_id, short_version, version, installing from installed_apps
         where computer_id in (select value from json_each(?)) and bundle_id in (select value from json_each(?))`,
      )
      .raw(),
    // What a target's step reads of its commands, not the whole row: an answered InstalledApplicationList
    // keeps its full report (up to tens of KB), and a pass reads each target's commands again.
    commands: db.$client
      .prepare<[string], CommandFactRow>("select uuid, computer_id, status, sent_at, completed_at, is_install, error_chain from commands where uuid in (select value from json_each(?))")
      .raw(),
    // is_install = 1 written into the SQL: bound, it is compared with the partial index's WHERE, and SQLite
    // prepared the statement again on every run (queue.ts, `candidates`).
    slotHolders: db.$client
      .prepare<[string], number>("select computer_id from commands where is_install = 1 and sent_at is not null and released_at is null and computer_id in (select value from json_each(?))")
      .pluck(),
    // By the computer's open commands (commands_next_idx). Without statistics SQLite chose
    // commands_deployment_idx and read every command of the deployment: 100k rows after a fleet-wide one.
    cancelUnsent: db.$client.prepare(
      "update commands set status = 'canceled', completed_at = @now where computer_id = @computerId and status in ('queued', 'not_now') and +deployment_id = @deploymentId",
    ),
    deleteTarget: db.delete(deploymentTargets).where(eq(deploymentTargets.id, sql.placeholder("id"))).prepare(),
    // New targets in one INSERT … SELECT over a JSON array of rows (insertTargets): a fan-out writes one
    // target (and one event, events.ts) per Mac, and binding sixteen values per row cost more than the rows.
    insertTargets: db.$client.prepare(
      `insert into deployment_targets (deployment_id, computer_id, status, phase, reason, target_version, attempts, next_attempt_at, last_error,
         self_service_requested_at, pending_inventory_command_uuid, install_command_uuid, status_changed_at, due_at, created_at, updated_at)
       select t.value ->> 0, t.value ->> 1, t.value ->> 2, t.value ->> 3, t.value ->> 4, t.value ->> 5, t.value ->> 6, t.value ->> 7, t.value ->> 8,
         t.value ->> 9, t.value ->> 10, t.value ->> 11, t.value ->> 12, t.value ->> 13, t.value ->> 14, t.value ->> 15
       from json_each(?) t order by t.key`,
    ),
  };
}


/**
 * A deployment_targets row as a raw statement reads it, as an array (better-sqlite3's raw mode): a slice of
 * one Mac reads ~46 rows of 17 columns, and building a keyed object per row cost twice the array.
 */
type TargetRow = [
  id: number,
  deploymentId: number,
  computerId: number,
  status: DeploymentTarget["status"],
  phase: DeploymentTarget["phase"],
  reason: string,
  targetVersion: string,
  attempts: number,
  nextAttemptAt: number | null,
  lastError: string | null,
  selfServiceRequestedAt: number | null,
  pendingInventoryCommandUuid: string | null,
  installCommandUuid: string | null,
  statusChangedAt: number,
  dueAt: number | null,
  createdAt: number,
  updatedAt: number,
];
const TARGET_COLUMNS = `select id, deployment_id, computer_id, status, phase, reason, target_version, attempts, next_attempt_at, last_error, self_service_requested_at,
  pending_inventory_command_uuid, install_command_uuid, status_changed_at, due_at, created_at, updated_at from deployment_targets`;

/** A target as drizzle would map the row (the schema's timestamp mode). */
function targetOf(r: TargetRow): DeploymentTarget {
  return {
    id: r[0],
    deploymentId: r[1],
    computerId: r[2],
    status: r[3],
    phase: r[4],
    reason: r[5],
    targetVersion: r[6],
    attempts: r[7],
    nextAttemptAt: dateOf(r[8]),
    lastError: r[9],
    selfServiceRequestedAt: dateOf(r[10]),
    pendingInventoryCommandUuid: r[11],
    installCommandUuid: r[12],
    statusChangedAt: new Date(r[13]),
    dueAt: dateOf(r[14]),
    createdAt: new Date(r[15]),
    updatedAt: new Date(r[16]),
  };
}

/** The targets of the given computers, as a pass reads them. */
export function targetsOfComputers(db: Db, computerIds: readonly number[]): DeploymentTarget[] {
  return passStatements(db).targets.all(JSON.stringify(computerIds)).map(targetOf);
}

/** A new target as insertTargets' row: instants as milliseconds, as drizzle stores them. */
function targetRow(t: NewDeploymentTarget) {
  return [
    t.deploymentId,
    t.computerId,
    t.status,
    t.phase,
    t.reason,
    t.targetVersion,
    t.attempts ?? 0,
    msOf(t.nextAttemptAt),
    t.lastError ?? null,
    msOf(t.selfServiceRequestedAt),
    t.pendingInventoryCommandUuid ?? null,
    t.installCommandUuid ?? null,
    msOf(t.statusChangedAt),
    msOf(t.dueAt),
    msOf(t.createdAt),
    msOf(t.updatedAt),
  ];
}

function insertTargets(db: Db, targets: readonly NewDeploymentTarget[]) {
  if (targets.length > 0) passStatements(db).insertTargets.run(JSON.stringify(targets.map(targetRow)));
}

const passStatementCache = new WeakMap<Db, ReturnType<typeof preparePass>>();
export function passStatements(db: Db) {
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
  const result = emptyPassResult();
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
    if (!groupsInUse.has(groupId) || members.size === 0) continue; // absent is empty (decideScope)
    const enrolled = new Set<number>();
    for (const id of members) if (computerById.get(id)?.enrolled) enrolled.add(id);
    enrolledMembership.set(groupId, enrolled);
  }

  const decisions = decideScope(enabled, versionsByTitle, enrolledMembership, computerById);
  const decisionByKey = new Map(decisions.map((d) => [`${d.deploymentId}:${d.computerId}`, d]));

  const existing = targetsOfComputers(db, computerIds).filter((t) => deploymentById.has(t.deploymentId));
  const existingByKey = new Map(existing.map((t) => [`${t.deploymentId}:${t.computerId}`, t]));

  // Installed apps for the deployed titles only.
  const appsByKey = new Map<string, { shortVersion: string | null; version: string | null; installing: boolean }[]>();
  for (const [computerId, bundleId, shortVersion, version, installing] of q.apps.all(ids, context.bundleIdsJson)) {
    const key = `${computerId}:${bundleId}`;
    const app = { shortVersion, version, installing: installing === 1 };
    const list = appsByKey.get(key);
    if (list) list.push(app);
    else appsByKey.set(key, [app]);
  }

  // The commands targets follow, and which Macs have an install slot taken.
  const uuids = existing.flatMap((t) => [t.pendingInventoryCommandUuid, t.installCommandUuid]).filter((u): u is string => u !== null);
  const commandByUuid = new Map<string, CommandFactRow>();
  if (uuids.length > 0) for (const c of q.commands.all(JSON.stringify(uuids))) commandByUuid.set(c[0], c);
  const slotHolders = new Set(q.slotHolders.all(ids));

  const manifestOf = (version: CatalogVersion): VersionManifest | undefined => {
    const title = titleById.get(version.titleId);
    return title ? versionManifest(deps, version, title) : undefined;
  };

  const newEvents: NewEvent[] = [];
  const newTargets: NewDeploymentTarget[] = [];
  // Commands are written together (queue.ts commandBatch), flushed before a step cancels or retires any.
  const queued = commandBatch(db, now);
  const targetSettings = { maxAttempts: settings.maxAttempts, retryIntervalMs: settings.retryIntervalMs, confirmationDelayMs: settings.confirmationDelayMs };

  withinTransaction(db, () => {
    // Leavers: the computer left the group (or the Mac unenrolled). Unsent commands go; what it installed stays.
    for (const t of existing) {
      const d = deploymentById.get(t.deploymentId);
      if (!d?.enabled) continue; // a disabled deployment changes nothing
      if (isReenrolling(computerById.get(t.computerId))) continue;
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
            next.pendingInventoryCommandUuid = queued.add({ computerId: computer.id, command: buildInstalledApplicationList({ identifiers: [d.bundleId] }), purpose: "verify", deploymentId: d.id });
            wake.add(computer.id);
            result.commandsQueued++;
            break;
          }
          case "queue_install": {
            if (action.withProfiles) {
              for (const p of profilesByTitle.get(d.titleId) ?? []) {
                queued.add({ computerId: computer.id, command: buildInstallProfile(p.mobileconfig), purpose: "profile", deploymentId: d.id, attempt: action.attempt });
                result.commandsQueued++;
              }
            }
            const manifest = manifestOf(decision.version)!;
            next.installCommandUuid = queued.add({
              computerId: computer.id,
              command: buildInstallEnterpriseApplication({ manifestUrl: manifest.manifestUrl, installAsManaged: true, removeWithMdm: false }),
              purpose: "install",
              deploymentId: d.id,
              attempt: action.attempt,
            });
            wake.add(computer.id);
            result.commandsQueued++;
            break;
          }
          case "release_install":
            queued.flush();
            if (before.installCommandUuid) retireInstall(db, before.installCommandUuid, now);
            break;
          case "cancel_pending":
            queued.flush();
            cancelUnsent(db, d.id, computer.id, now);
            break;
        }
      }

      const dueAt = dueAtOf(next, facts.installCommand, settings);
      if (!row) {
        newTargets.push(Object.assign({}, next, { dueAt, deploymentId: d.id, computerId: computer.id, createdAt: now, updatedAt: now }));
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
    queued.flush();
    insertTargets(db, newTargets);
    insertEvents(db, newEvents);
  });
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
        nextAttemptAt: msOf(t.nextAttemptAt),
        lastError: t.lastError,
        targetVersion: t.targetVersion,
        selfServiceRequestedAt: msOf(t.selfServiceRequestedAt),
        pendingInventoryCommandUuid: t.pendingInventoryCommandUuid,
        installCommandUuid: t.installCommandUuid,
        statusChangedAt: msOf(t.statusChangedAt),
        dueAt: msOf(dueAt),
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
