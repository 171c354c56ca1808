import { asc, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import type { Criterion } from "@/server/engine/smart-groups";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { auditLog, catalogTitles, computers, deployments, events, installedApps, smartGroupCriteria, smartGroupMembers, smartGroups, type NewComputer } from "@/db/schema";

import {
  createSmartGroup,
  deleteSmartGroup,
  getSmartGroup,
  listSmartGroupMembers,
  listSmartGroups,
  loadComputerFacts,
  loadFleetFacts,
  loadGroupDefinitions,
  previewSmartGroup,
  recalculateSmartGroups,
  updateSmartGroup,
} from "./smart-groups";

type App = { name: string; bundleId?: string | null };

let serial = 0;
function addComputer(deps: TestDeps, values: Partial<NewComputer> & { apps?: App[] } = {}) {
  const { apps = [], ...rest } = values;
  const now = deps.clock.now();
  serial++;
  const row = deps.db
    .insert(computers)
    .values({ udid: `UDID-${serial}`, name: `Mac ${serial}`, serialNumber: `C02SERIAL${serial}`, enrolled: true, lastCheckinAt: now, lastInventoryAt: now, createdAt: now, updatedAt: now, ...rest })
    .returning()
    .get();
  if (apps.length > 0) deps.db.insert(installedApps).values(apps.map((a) => ({ computerId: row.id, name: a.name, bundleId: a.bundleId ?? null }))).run();
  return row.id;
}

const c = (field: string, operator: string, value: string, extra: Partial<Criterion> = {}): Criterion => ({ field, operator, value, ...extra });
const membersOf = (deps: TestDeps, groupId: number) =>
  deps.db
    .select({ id: smartGroupMembers.computerId })
    .from(smartGroupMembers)
    .where(eq(smartGroupMembers.smartGroupId, groupId))
    .all()
    .map((r) => r.id)
    .sort((a, b) => a - b);
const rowCount = (deps: TestDeps, table: typeof smartGroupMembers | typeof events | typeof auditLog | typeof smartGroups | typeof smartGroupCriteria) =>
  deps.db.select({ n: count() }).from(table).get()?.n ?? 0;
const lastAudit = (deps: TestDeps) => deps.db.select().from(auditLog).orderBy(asc(auditLog.id)).all().at(-1);

function addDeployment(deps: TestDeps, smartGroupId: number, name: string) {
  const now = deps.clock.now();
  const title = deps.db.insert(catalogTitles).values({ name: `Title ${name}`, bundleId: `com.example.${name.replace(/\W/g, "")}`, publisher: "Example", category: "Utilities", createdAt: now, updatedAt: now }).returning().get();
  return deps.db
    .insert(deployments)
    .values({ name, titleId: title.id, smartGroupId, distributionMethod: "install_automatically", updateMethod: "automatic", createdAt: now, updatedAt: now })
    .returning()
    .get().id;
}

describe("loadComputerFacts", () => {
  it("reads computers and their apps as engine facts, names and bundle ids normalized", () => {
    const deps = createTestDeps();
    const a = addComputer(deps, {
      name: "Lab-01",
      model: "Mac14,2",
      modelName: "MacBook Air",
      osVersion: "14.5",
      architecture: "arm64",
      apps: [{ name: "Google Chrome.app", bundleId: "com.google.Chrome" }, { name: "Legacy Tool" }],
    });
    const b = addComputer(deps, { name: "Lab-02", model: "Mac14,2", lastCheckinAt: null, lastInventoryAt: null });
    const facts = loadComputerFacts(deps);
    expect(facts.map((f) => f.id)).toEqual([a, b]);
    expect(facts[0]).toMatchObject({ name: "Lab-01", model: "MacBook Air", osVersion: "14.5", architecture: "arm64", lastCheckinAt: deps.clock.now() });
    expect([...facts[0]!.appNames].sort()).toEqual(["google chrome", "legacy tool"]);
    expect([...facts[0]!.appBundleIds]).toEqual(["com.google.chrome"]);
    expect(facts[1]).toMatchObject({ model: "Mac14,2", lastCheckinAt: null, osVersion: null, architecture: null });
    expect(facts[1]!.appNames.size).toBe(0);
    expect(loadComputerFacts(deps, [b]).map((f) => f.id)).toEqual([b]);
    expect(loadComputerFacts(deps, [])).toEqual([]);
  });

  it("indexes who has each app by position, as the facts' own sets say (a duplicate app row counted once)", () => {
    const deps = createTestDeps();
    const chrome = { name: "Google Chrome.app", bundleId: "com.google.Chrome" };
    const a = addComputer(deps, { name: "A", apps: [chrome, { name: "Slack", bundleId: "com.tinyspeck.slackmacgap" }] });
    addComputer(deps, { name: "B", apps: [{ name: "Legacy Tool" }] });
    const third = addComputer(deps, { name: "C", apps: [chrome, { ...chrome, name: "Google Chrome" }] });
    const { facts, apps } = loadFleetFacts(deps);
    expect(Object.fromEntries(apps.appBundleIds)).toEqual({ "com.google.chrome": [0, 2], "com.tinyspeck.slackmacgap": [0] });
    expect(Object.fromEntries(apps.appNames)).toEqual({ "google chrome": [0, 2], slack: [0], "legacy tool": [1] });
    for (const field of ["appNames", "appBundleIds"] as const)
      for (const [value, positions] of apps[field]) expect(Array.from(positions)).toEqual(facts.flatMap((f, i) => (f[field].has(value) ? [i] : [])));
    // Some computers only: positions are in the returned facts.
    const some = loadFleetFacts(deps, [third, a]);
    expect(some.facts.map((f) => f.id)).toEqual([a, third]);
    expect(Object.fromEntries(some.apps.appBundleIds)).toEqual({ "com.google.chrome": [0, 1], "com.tinyspeck.slackmacgap": [0] });
  });
});

describe("create, get, list", () => {
  it("creates a group with its criteria, computes its members at once and records an event", () => {
    const deps = createTestDeps();
    const lab1 = addComputer(deps, { name: "Lab-01", osVersion: "14.5", apps: [{ name: "Firefox.app", bundleId: "org.mozilla.firefox" }] });
    addComputer(deps, { name: "Lab-02", osVersion: "13.6" });
    addComputer(deps, { name: "Office-01", osVersion: "15.0", apps: [{ name: "Firefox", bundleId: "org.mozilla.firefox" }] });

    const criteria = [c("Computer Name", "like", "lab"), c("Operating System Version", "greater than or equal", "14", { joiner: "and" }), c("Application Title", "has", "firefox", { joiner: "or" })];
    const { id } = createSmartGroup(deps, { name: " Firefox or new Lab ", description: "Demo", criteria }, actingAs("admin@example.com"));

    const got = getSmartGroup(deps, id);
    expect(got).toMatchObject({ id, name: "Firefox or new Lab", description: "Demo", memberCount: 2, lastCalculatedAt: deps.clock.now(), usedBy: [] });
    expect(got.criteria).toEqual([
      { joiner: "and", openParen: false, field: "Computer Name", operator: "like", value: "lab", closeParen: false },
      { joiner: "and", openParen: false, field: "Operating System Version", operator: "greater than or equal", value: "14", closeParen: false },
      { joiner: "or", openParen: false, field: "Application Title", operator: "has", value: "firefox", closeParen: false },
    ]);
    expect(deps.db.select({ p: smartGroupCriteria.position }).from(smartGroupCriteria).orderBy(asc(smartGroupCriteria.position)).all().map((r) => r.p)).toEqual([0, 1, 2]);
    expect(membersOf(deps, id)).toEqual([lab1, lab1 + 2]);

    expect(lastAudit(deps)).toMatchObject({
      action: "smart_group.created",
      actorName: "admin@example.com",
      summary: 'Smart group "Firefox or new Lab" created: 3 criteria, 2 members',
      changes: { name: "Firefox or new Lab", criteria: got.criteria },
    });
  });

  it("lists groups by name with criteria and member counts", () => {
    const deps = createTestDeps();
    addComputer(deps, { name: "Lab-01" });
    addComputer(deps, { name: "Office-01" });
    const everyone = createSmartGroup(deps, { name: "everyone", criteria: [] }, actingAs("a")).id;
    const lab = createSmartGroup(deps, { name: "Lab", criteria: [c("Computer Name", "like", "lab")] }, actingAs("a")).id;
    const none = createSmartGroup(deps, { name: "Nobody", criteria: [c("Computer Name", "is", "x"), c("Computer Name", "is", "y")] }, actingAs("a")).id;
    expect(listSmartGroups(deps)).toEqual([
      { id: everyone, name: "everyone", description: "", criteriaCount: 0, memberCount: 2, lastCalculatedAt: deps.clock.now() },
      { id: lab, name: "Lab", description: "", criteriaCount: 1, memberCount: 1, lastCalculatedAt: deps.clock.now() },
      { id: none, name: "Nobody", description: "", criteriaCount: 2, memberCount: 0, lastCalculatedAt: deps.clock.now() },
    ]);
  });

  it("get names the deployments that use the group, and a missing id is NOT_FOUND", () => {
    const deps = createTestDeps();
    const { id } = createSmartGroup(deps, { name: "All", criteria: [] }, actingAs("a"));
    const deploymentId = addDeployment(deps, id, "Chrome for all");
    expect(getSmartGroup(deps, id).usedBy).toEqual([{ deploymentId, name: "Chrome for all" }]);
    expect(() => getSmartGroup(deps, 999)).toThrow(expect.objectContaining({ code: "NOT_FOUND", message: "No smart group with id 999" }));
  });

  it("refuses invalid criteria with every error on its own line, writing nothing", () => {
    const deps = createTestDeps();
    createSmartGroup(deps, { name: "Lab", criteria: [] }, actingAs("a"));
    const before = { groups: rowCount(deps, smartGroups), events: rowCount(deps, events), audit: rowCount(deps, auditLog) };
    const attempt = () =>
      createSmartGroup(
        deps,
        {
          name: "lab",
          criteria: [
            c("Colour", "is", "red"),
            c("Architecture Type", "is", "ppc", { joiner: "and" }),
            c("Computer Name", "matches regex", "(a+)+$", { joiner: "and" }),
            c("Computer Group", "member of", "Missing", { joiner: "or", closeParen: true }),
            c("Last Check-in", "more than x days ago", "-1", { openParen: true }),
          ],
        },
        actingAs("a"),
      );
    expect(attempt).toThrow(
      expect.objectContaining({
        code: "BAD_REQUEST",
        message: [
          'A smart group named "lab" already exists',
          'Criterion 1: Unknown field "Colour"',
          'Criterion 2: "ppc" is not an architecture (use arm64 or x86_64)',
          'Criterion 3: The regular expression "(a+)+$" could backtrack catastrophically (exponential time): simplify it',
          'Criterion 4: No smart group named "Missing"',
          "Criterion 4 closes a parenthesis that was never opened",
          "Criterion 5: The number of days cannot be negative (got -1)",
          "1 parenthesis is never closed",
        ].join("\n"),
      }),
    );
    expect({ groups: rowCount(deps, smartGroups), events: rowCount(deps, events), audit: rowCount(deps, auditLog) }).toEqual(before);
  });

  it("refuses a regex longer than 256 characters and one that does not compile", () => {
    const deps = createTestDeps();
    expect(() => createSmartGroup(deps, { name: "Long", criteria: [c("Model", "matches regex", "x".repeat(257))] }, actingAs("a"))).toThrow(
      "Criterion 1: The regular expression is 257 characters long (at most 256)",
    );
    expect(() => createSmartGroup(deps, { name: "Broken", criteria: [c("Model", "matches regex", "[a-")] }, actingAs("a"))).toThrow(
      "Criterion 1: Invalid regular expression: /[a-/i: Unterminated character class",
    );
  });
});

describe("update", () => {
  it("replaces the criteria (positions 0..n-1), recomputes members and records an event", () => {
    const deps = createTestDeps();
    const a = addComputer(deps, { name: "Lab-01" });
    const b = addComputer(deps, { name: "Office-01" });
    const { id } = createSmartGroup(deps, { name: "Lab", criteria: [c("Computer Name", "like", "lab"), c("Computer Name", "like", "01", { joiner: "and" })] }, actingAs("a"));
    expect(membersOf(deps, id)).toEqual([a]);

    deps.clock.advance(60_000);
    expect(updateSmartGroup(deps, { id, criteria: [c("Computer Name", "like", "office")], description: "Now the office" }, actingAs("bob"))).toEqual({ id });
    const got = getSmartGroup(deps, id);
    expect(got).toMatchObject({ name: "Lab", description: "Now the office", memberCount: 1, lastCalculatedAt: deps.clock.now() });
    expect(got.criteria).toEqual([{ joiner: "and", openParen: false, field: "Computer Name", operator: "like", value: "office", closeParen: false }]);
    expect(deps.db.select().from(smartGroupCriteria).all().map((r) => r.position)).toEqual([0]);
    expect(membersOf(deps, id)).toEqual([b]);
    expect(lastAudit(deps)).toMatchObject({ action: "smart_group.updated", actorName: "bob", summary: 'Smart group "Lab" updated: 1 criterion, 1 member' });
  });

  it("a rename updates other groups' Computer Group references", () => {
    const deps = createTestDeps();
    addComputer(deps, { name: "Lab-01" });
    const lab = createSmartGroup(deps, { name: "Lab", criteria: [c("Computer Name", "like", "lab")] }, actingAs("a")).id;
    const inLab = createSmartGroup(deps, { name: "In lab", criteria: [c("Computer Group", "member of", "LAB")] }, actingAs("a")).id;
    const notLab = createSmartGroup(deps, { name: "Not lab", criteria: [c("Computer Group", "not member of", "lab")] }, actingAs("a")).id;

    updateSmartGroup(deps, { id: lab, name: "Classroom" }, actingAs("a"));
    expect(getSmartGroup(deps, lab).criteria).toHaveLength(1); // criteria kept when not given
    expect(getSmartGroup(deps, inLab).criteria[0]?.value).toBe("Classroom");
    expect(getSmartGroup(deps, notLab).criteria[0]?.value).toBe("Classroom");
    expect(lastAudit(deps)).toMatchObject({
      summary: 'Smart group "Classroom" updated (renamed from "Lab"; 2 references updated): 1 criterion, 1 member',
      changes: { previousName: "Lab", name: "Classroom" },
    });
    // The references still resolve: recalculation finds no invalid group.
    const membership = recalculateSmartGroups(deps);
    expect(membership.get(inLab)?.size).toBe(1);
    expect(membership.get(notLab)?.size).toBe(0);
  });

  it("refuses a cycle, a duplicate name and an unknown id", () => {
    const deps = createTestDeps();
    const a = createSmartGroup(deps, { name: "A", criteria: [] }, actingAs("x")).id;
    const b = createSmartGroup(deps, { name: "B", criteria: [c("Computer Group", "member of", "A")] }, actingAs("x")).id;
    createSmartGroup(deps, { name: "C", criteria: [c("Computer Group", "member of", "B")] }, actingAs("x"));
    expect(() => updateSmartGroup(deps, { id: a, criteria: [c("Computer Group", "not member of", "c")] }, actingAs("x"))).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST", message: "Criterion 1: Smart group cycle: A → C → B → A" }),
    );
    expect(() => updateSmartGroup(deps, { id: a, criteria: [c("Computer Group", "member of", "a")] }, actingAs("x"))).toThrow("Criterion 1: Smart group cycle: A → A");
    expect(() => updateSmartGroup(deps, { id: b, name: "a" }, actingAs("x"))).toThrow('A smart group named "a" already exists');
    expect(() => updateSmartGroup(deps, { id: 999, name: "Z" }, actingAs("x"))).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    expect(loadGroupDefinitions(deps).map((g) => [g.name, g.criteria.length])).toEqual([
      ["A", 0],
      ["B", 1],
      ["C", 1],
    ]);
  });
});

describe("delete", () => {
  it("refuses while a deployment targets the group, naming it", () => {
    const deps = createTestDeps();
    const { id } = createSmartGroup(deps, { name: "All", criteria: [] }, actingAs("a"));
    addDeployment(deps, id, "Chrome for all");
    expect(() => deleteSmartGroup(deps, { id }, actingAs("a"))).toThrow(
      expect.objectContaining({ code: "CONFLICT", message: 'Smart group "All" cannot be deleted: it is used by deployment "Chrome for all"' }),
    );
    expect(getSmartGroup(deps, id).name).toBe("All");
  });

  it("refuses while another group refers to it, naming that group", () => {
    const deps = createTestDeps();
    const { id } = createSmartGroup(deps, { name: "Lab", criteria: [] }, actingAs("a"));
    createSmartGroup(deps, { name: "Not lab", criteria: [c("Computer Group", "not member of", "lab")] }, actingAs("a"));
    expect(() => deleteSmartGroup(deps, { id }, actingAs("a"))).toThrow(
      expect.objectContaining({ code: "CONFLICT", message: 'Smart group "Lab" cannot be deleted: it is used by smart group "Not lab"' }),
    );
  });

  it("deletes the group, its criteria and memberships, with an event", () => {
    const deps = createTestDeps();
    addComputer(deps);
    const { id } = createSmartGroup(deps, { name: "All", criteria: [c("Computer Name", "like", "mac")] }, actingAs("a"));
    expect(rowCount(deps, smartGroupMembers)).toBe(1);
    expect(deleteSmartGroup(deps, { id }, actingAs("carol"))).toEqual({ id });
    expect([rowCount(deps, smartGroups), rowCount(deps, smartGroupCriteria), rowCount(deps, smartGroupMembers)]).toEqual([0, 0, 0]);
    expect(lastAudit(deps)).toMatchObject({ action: "smart_group.deleted", actorName: "carol", summary: 'Smart group "All" deleted' });
    expect(() => deleteSmartGroup(deps, { id }, actingAs("carol"))).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });
});

describe("preview", () => {
  it("counts and samples matching computers by name without writing anything", () => {
    const deps = createTestDeps();
    const ids = ["Lab-03", "Lab-01", "Office", "Lab-02"].map((name) => addComputer(deps, { name, osVersion: "14.5", architecture: "arm64" }));
    const before = [rowCount(deps, smartGroups), rowCount(deps, smartGroupMembers), rowCount(deps, events), rowCount(deps, auditLog)];
    const serialOf = (id: number | undefined) => deps.db.select().from(computers).all().find((r) => r.id === id)?.serialNumber;
    const preview = previewSmartGroup(deps, { criteria: [c("Computer Name", "like", "lab")] }, { sampleSize: 2 });
    expect(preview).toEqual({
      ok: true,
      count: 3,
      sample: [
        { id: ids[1], name: "Lab-01", serialNumber: serialOf(ids[1]), osVersion: "14.5", architecture: "arm64" },
        { id: ids[3], name: "Lab-02", serialNumber: serialOf(ids[3]), osVersion: "14.5", architecture: "arm64" },
      ],
    });
    expect([rowCount(deps, smartGroups), rowCount(deps, smartGroupMembers), rowCount(deps, events), rowCount(deps, auditLog)]).toEqual(before);
    expect(previewSmartGroup(deps, { criteria: [] })).toMatchObject({ ok: true, count: 4 });
  });

  it("returns validation errors instead of throwing", () => {
    const deps = createTestDeps();
    expect(previewSmartGroup(deps, { criteria: [c("Architecture Type", "is", "PowerPC")] })).toEqual({
      ok: false,
      errors: [{ index: 0, message: '"PowerPC" is not an architecture (use arm64 or x86_64)' }],
    });
  });

  it("previews new criteria for an existing group, which may refer to other groups but not to itself", () => {
    const deps = createTestDeps();
    addComputer(deps, { name: "Lab-01" });
    addComputer(deps, { name: "Office-01" });
    const lab = createSmartGroup(deps, { name: "Lab", criteria: [c("Computer Name", "like", "lab")] }, actingAs("a")).id;
    const other = createSmartGroup(deps, { name: "Other", criteria: [] }, actingAs("a")).id;
    expect(previewSmartGroup(deps, { id: other, criteria: [c("Computer Group", "not member of", "Lab")] })).toMatchObject({ ok: true, count: 1, sample: [{ name: "Office-01" }] });
    expect(previewSmartGroup(deps, { id: lab, criteria: [c("Computer Group", "member of", "Lab")] })).toEqual({
      ok: false,
      errors: [{ index: 0, message: "Smart group cycle: Lab → Lab" }],
    });
    expect(() => previewSmartGroup(deps, { id: 999, criteria: [] })).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });
});

describe("members", () => {
  it("pages a group's members by name", () => {
    const deps = createTestDeps();
    for (const name of ["Mac C", "Mac A", "Mac B", "Other"]) addComputer(deps, { name, osVersion: "15.1", architecture: "x86_64" });
    const { id } = createSmartGroup(deps, { name: "Macs", criteria: [c("Computer Name", "like", "mac ")] }, actingAs("a"));
    const first = listSmartGroupMembers(deps, { id, pageSize: 2 });
    expect(first.total).toBe(3);
    expect(first.items.map((i) => i.name)).toEqual(["Mac A", "Mac B"]);
    expect(Object.keys(first.items[0]!).sort()).toEqual(["architecture", "id", "lastCheckinAt", "name", "osVersion", "serialNumber", "udid"]);
    expect(first.items[0]).toMatchObject({ osVersion: "15.1", architecture: "x86_64", lastCheckinAt: deps.clock.now() });
    expect(listSmartGroupMembers(deps, { id, page: 2, pageSize: 2 }).items.map((i) => i.name)).toEqual(["Mac C"]);
    expect(() => listSmartGroupMembers(deps, { id: 999 })).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
  });
});

describe("recalculateSmartGroups", () => {
  it("moves a computer whose OS changed from one group to another, writing only the difference", () => {
    const deps = createTestDeps();
    const stays = addComputer(deps, { name: "Stays", osVersion: "14.6" });
    const moves = addComputer(deps, { name: "Moves", osVersion: "14.5" });
    const sonoma = createSmartGroup(deps, { name: "Sonoma", criteria: [c("Operating System Version", "greater than or equal", "14"), c("Operating System Version", "less than", "15", { joiner: "and" })] }, actingAs("a")).id;
    const sequoia = createSmartGroup(deps, { name: "Sequoia", criteria: [c("Operating System Version", "greater than or equal", "15")] }, actingAs("a")).id;
    const joinedAt = deps.clock.now();
    expect(membersOf(deps, sonoma)).toEqual([stays, moves]);
    expect(membersOf(deps, sequoia)).toEqual([]);

    deps.clock.advance(DAY);
    deps.db.update(computers).set({ osVersion: "15.1" }).where(eq(computers.id, moves)).run();
    const membership = recalculateSmartGroups(deps);
    expect([...(membership.get(sonoma) ?? [])]).toEqual([stays]);
    expect([...(membership.get(sequoia) ?? [])]).toEqual([moves]);
    expect(membersOf(deps, sonoma)).toEqual([stays]);
    expect(membersOf(deps, sequoia)).toEqual([moves]);
    const rows = deps.db.select().from(smartGroupMembers).all();
    expect(rows.find((r) => r.computerId === stays)?.addedAt).toEqual(joinedAt); // unchanged rows are not rewritten
    expect(rows.find((r) => r.computerId === moves)?.addedAt).toEqual(deps.clock.now());
    expect(listSmartGroups(deps).map((g) => g.lastCalculatedAt)).toEqual([deps.clock.now(), deps.clock.now()]);
  });

  it("Last Check-in membership changes as time passes with no data change", () => {
    const deps = createTestDeps();
    const mac = addComputer(deps, { name: "Quiet" }); // checked in now
    const never = addComputer(deps, { name: "Never", lastCheckinAt: null });
    const stale = createSmartGroup(deps, { name: "Stale", criteria: [c("Last Check-in", "more than x days ago", "7")] }, actingAs("a")).id;
    const active = createSmartGroup(deps, { name: "Active", criteria: [c("Last Check-in", "less than x days ago", "7")] }, actingAs("a")).id;
    expect(membersOf(deps, stale)).toEqual([never]);
    expect(membersOf(deps, active)).toEqual([mac]);

    deps.clock.advance(8 * DAY);
    recalculateSmartGroups(deps);
    expect(membersOf(deps, stale)).toEqual([mac, never]);
    expect(membersOf(deps, active)).toEqual([]);
  });

  it("follows group references and inventory (apps), and handles more rows than one chunk", () => {
    const deps = createTestDeps();
    const now = deps.clock.now();
    deps.db
      .insert(computers)
      .values(Array.from({ length: 700 }, (_, i) => ({ udid: `BULK-${i}`, name: `Bulk ${i}`, createdAt: now, updatedAt: now })))
      .run();
    const withChrome = createSmartGroup(deps, { name: "Chrome", criteria: [c("Application Bundle ID", "has", "com.google.chrome")] }, actingAs("a")).id;
    const withoutChrome = createSmartGroup(deps, { name: "No Chrome", criteria: [c("Computer Group", "not member of", "Chrome")] }, actingAs("a")).id;
    expect(membersOf(deps, withChrome)).toHaveLength(0);
    expect(membersOf(deps, withoutChrome)).toHaveLength(700);

    const ids = deps.db.select({ id: computers.id }).from(computers).all().map((r) => r.id);
    deps.db.insert(installedApps).values(ids.map((computerId) => ({ computerId, name: "Google Chrome", bundleId: "com.google.Chrome" }))).run();
    const membership = recalculateSmartGroups(deps);
    expect(membership.get(withChrome)?.size).toBe(700);
    expect(membership.get(withoutChrome)?.size).toBe(0);
    expect(membersOf(deps, withChrome)).toHaveLength(700);
    expect(membersOf(deps, withoutChrome)).toHaveLength(0);
  });

  it("a computer removed from inventory leaves its groups", () => {
    const deps = createTestDeps();
    const gone = addComputer(deps, { name: "Gone" });
    const { id } = createSmartGroup(deps, { name: "All", criteria: [] }, actingAs("a"));
    expect(membersOf(deps, id)).toEqual([gone]);
    deps.db.delete(computers).where(eq(computers.id, gone)).run();
    expect(recalculateSmartGroups(deps).get(id)?.size).toBe(0);
    expect(membersOf(deps, id)).toEqual([]);
  });
});
