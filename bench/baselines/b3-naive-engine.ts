// B3: a naive object-loop engine, written independently of server/engine (it imports nothing from it), used
// as the reference time and as the correctness oracle of G4: the same inputs must give the same winners and
// statuses. Smart groups are parsed once into a tree and interpreted per computer; each group is evaluated
// per computer with a per-computer memo (Computer Group references); scope is collected per (computer,
// title) in a Map of arrays and sorted with the precedence comparator; the status of a new target follows
// DESIGN §3.1–§3.4 as written. Not handled (absent from the seeded data, asserted by the caller): reference
// cycles and invalid stored criteria (Pomona makes such groups match nothing).

export type NaiveCriterion = { joiner?: "and" | "or"; openParen?: boolean; field: string; operator: string; value: string; closeParen?: boolean };
export type NaiveGroup = { id: number; name: string; criteria: NaiveCriterion[] };
export type NaiveComputer = {
  id: number;
  name: string;
  serialNumber: string | null;
  model: string | null;
  osVersion: string | null;
  architecture: "arm64" | "x86_64" | null;
  lastCheckinAt: Date | null;
  lastInventoryAt: Date | null;
  appBundleIds: ReadonlySet<string>;
  appNames: ReadonlySet<string>;
};
export type NaiveDeployment = {
  id: number;
  name: string;
  titleId: number;
  bundleId: string;
  smartGroupId: number;
  distributionMethod: "install_automatically" | "self_service";
  updateMethod: "automatic" | "manual";
  version: string | null;
  enabled: boolean;
};
export type NaiveVersion = { version: string; shortVersion: string | null; minimumOsVersion: string; architectures: string[] };
export type InstalledRow = { shortVersion: string | null; version: string | null; installing: boolean };
export type EngineInput = {
  now: Date;
  computers: NaiveComputer[];
  enrolled: ReadonlySet<number>;
  groups: NaiveGroup[];
  deployments: NaiveDeployment[];
  versionsByTitle: Map<number, NaiveVersion[]>;
  /** `${computerId}:${bundleId}` → the rows the Mac reported for that bundle id. */
  installed: Map<string, InstalledRow[]>;
};
/** One (deployment, computer) outcome: did it win its title on that computer, and the target's status. */
export type Outcome = { deploymentId: number; computerId: number; winner: boolean; status: string };

const DAY = 86_400_000;

function versionParts(v: string): number[] {
  const m = /^\s*v?(\d+(?:\.\d+)*)/i.exec(v);
  return m?.[1] ? m[1].split(".").map((x) => parseInt(x, 10)) : [];
}
function cmp(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

type Node = { op: "and" | "or"; kids: Node[] } | { leaf: NaiveCriterion; re?: RegExp };

/** Criteria → tree: parentheses first, then "and" runs joined by "or" (the first joiner is ignored). */
function parse(criteria: NaiveCriterion[]): Node {
  if (criteria.length === 0) return { op: "and", kids: [] }; // no criteria: every computer
  const toks: ("(" | ")" | "and" | "or" | NaiveCriterion)[] = [];
  criteria.forEach((c, i) => {
    if (i > 0) toks.push(c.joiner === "or" ? "or" : "and");
    if (c.openParen) toks.push("(");
    toks.push(c);
    if (c.closeParen) toks.push(")");
  });
  let p = 0;
  const or = (): Node => {
    const kids = [and()];
    while (toks[p] === "or") {
      p++;
      kids.push(and());
    }
    return { op: "or", kids };
  };
  const and = (): Node => {
    const kids = [factor()];
    while (toks[p] === "and") {
      p++;
      kids.push(factor());
    }
    return { op: "and", kids };
  };
  const factor = (): Node => {
    const t = toks[p++];
    if (t === "(") {
      const inner = or();
      if (toks[p] === ")") p++;
      return inner;
    }
    if (typeof t === "object") return { leaf: t, re: t.operator === "matches regex" ? new RegExp(t.value, "i") : undefined };
    return { op: "or", kids: [] }; // matches nothing
  };
  return or();
}

function test(node: Node, c: NaiveComputer, now: number, member: (groupName: string) => boolean): boolean {
  if ("op" in node) return node.op === "and" ? node.kids.every((k) => test(k, c, now, member)) : node.kids.some((k) => test(k, c, now, member));
  const { leaf } = node;
  const value = leaf.value.trim();
  const lower = value.toLowerCase();
  const text = (s: string | null) => (s ?? "").toLowerCase();
  switch (leaf.field) {
    case "Computer Name":
    case "Serial Number":
    case "Model": {
      const raw = leaf.field === "Computer Name" ? c.name : leaf.field === "Serial Number" ? c.serialNumber : c.model;
      if (leaf.operator === "is") return text(raw) === lower;
      if (leaf.operator === "is not") return text(raw) !== lower;
      if (leaf.operator === "like") return text(raw).includes(lower);
      if (leaf.operator === "not like") return !text(raw).includes(lower);
      return node.re!.test(raw ?? "");
    }
    case "Operating System Version": {
      const known = c.osVersion !== null && versionParts(c.osVersion).length > 0;
      const d = known ? cmp(c.osVersion!, value) : 0;
      if (leaf.operator === "is not") return !known || d !== 0;
      if (!known) return false;
      return { is: d === 0, "greater than": d > 0, "greater than or equal": d >= 0, "less than": d < 0, "less than or equal": d <= 0 }[leaf.operator] ?? false;
    }
    case "Architecture Type": {
      const arch = { arm64: "arm64", x86_64: "x86_64", "apple silicon": "arm64", intel: "x86_64" }[lower];
      return leaf.operator === "is" ? arch !== undefined && c.architecture === arch : c.architecture !== arch;
    }
    case "Application Title": {
      const title = lower.replace(/\.app$/, "").trim();
      return leaf.operator === "has" ? c.appNames.has(title) : !c.appNames.has(title);
    }
    case "Application Bundle ID":
      return leaf.operator === "has" ? c.appBundleIds.has(lower) : !c.appBundleIds.has(lower);
    case "Last Check-in":
    case "Last Inventory Update": {
      const at = (leaf.field === "Last Check-in" ? c.lastCheckinAt : c.lastInventoryAt)?.getTime();
      const edge = now - Number(value) * DAY;
      return leaf.operator === "more than x days ago" ? (at ?? -Infinity) < edge : at !== undefined && at >= edge;
    }
    case "Computer Group":
      return leaf.operator === "member of" ? member(lower) : !member(lower);
  }
  return false;
}

const INSTALL_AUTO = "install_automatically";

function precedes(a: NaiveDeployment & { target: NaiveVersion }, b: NaiveDeployment & { target: NaiveVersion }): number {
  if (a.distributionMethod !== b.distributionMethod) return a.distributionMethod === INSTALL_AUTO ? -1 : 1;
  if (a.updateMethod !== b.updateMethod) return a.updateMethod === "manual" ? -1 : 1;
  const v = cmp(b.target.version, a.target.version);
  if (v !== 0) return v;
  return a.id - b.id;
}

function installedAtTarget(rows: InstalledRow[] | undefined, target: NaiveVersion): boolean {
  if (!rows || rows.length === 0 || rows.some((r) => r.installing)) return false;
  let best = rows[0]!;
  for (const r of rows) if (cmp(r.shortVersion ?? r.version ?? "0", best.shortVersion ?? best.version ?? "0") > 0) best = r;
  if (best.shortVersion) return cmp(best.shortVersion, target.shortVersion ?? target.version) >= 0;
  return best.version !== null && cmp(best.version, target.version) >= 0;
}

/** The full pass: memberships, winners, and the status every (deployment, computer) target starts in. */
export function naiveEnginePass(input: EngineInput): Outcome[] {
  const now = input.now.getTime();
  const trees = new Map(input.groups.map((g) => [g.id, parse(g.criteria)]));
  const byName = new Map<string, NaiveGroup>();
  for (const g of [...input.groups].sort((a, b) => a.id - b.id)) if (!byName.has(g.name.trim().toLowerCase())) byName.set(g.name.trim().toLowerCase(), g);

  // Smart groups: every group, every computer.
  const members = new Map<number, number[]>(input.groups.map((g) => [g.id, []]));
  for (const c of input.computers) {
    const memo = new Map<number, boolean>();
    const evalGroup = (g: NaiveGroup): boolean => {
      const known = memo.get(g.id);
      if (known !== undefined) return known;
      const r = test(trees.get(g.id)!, c, now, (name) => {
        const ref = byName.get(name);
        return ref ? evalGroup(ref) : false;
      });
      memo.set(g.id, r);
      return r;
    };
    for (const g of input.groups) if (evalGroup(g)) members.get(g.id)!.push(c.id);
  }

  // Scope and precedence.
  const computers = new Map(input.computers.map((c) => [c.id, c]));
  const candidates = new Map<string, (NaiveDeployment & { target: NaiveVersion })[]>();
  for (const d of input.deployments) {
    if (!d.enabled) continue;
    const versions = input.versionsByTitle.get(d.titleId) ?? [];
    let target: NaiveVersion | undefined;
    if (d.updateMethod === "manual") target = versions.find((v) => v.version === d.version);
    else for (const v of versions) if (!target || cmp(v.version, target.version) > 0) target = v;
    if (!target) continue;
    for (const computerId of members.get(d.smartGroupId) ?? []) {
      if (!input.enrolled.has(computerId)) continue;
      const key = `${computerId}:${d.titleId}`;
      const list = candidates.get(key);
      if (list) list.push({ ...d, target });
      else candidates.set(key, [{ ...d, target }]);
    }
  }

  const out: Outcome[] = [];
  for (const [key, list] of candidates) {
    const computerId = Number(key.slice(0, key.indexOf(":")));
    const c = computers.get(computerId)!;
    list.sort(precedes);
    const winner = list[0]!;
    const v = winner.target;
    const unknown = c.architecture === null || c.osVersion === null || versionParts(c.osVersion).length === 0;
    const incompatible = !unknown && (cmp(c.osVersion!, v.minimumOsVersion) < 0 || !v.architectures.includes(c.architecture!));
    for (const d of list) {
      let status: string;
      if (d !== winner) status = "unqualified";
      else if (incompatible) status = "failed";
      else if (d.distributionMethod === "self_service") {
        const installed = installedAtTarget(input.installed.get(`${computerId}:${d.bundleId}`), d.target);
        status = installed && c.lastInventoryAt !== null ? "installed" : "self_service_available";
      } else status = "in_progress";
      out.push({ deploymentId: d.id, computerId, winner: d === winner, status });
    }
  }
  return out;
}
