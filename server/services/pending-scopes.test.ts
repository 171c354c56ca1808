// An App Installer change is in effect from its commit (pending-scopes.ts): a Mac the pass behind it has not
// reached gets its work in the request it checks in with, a pass a stopped process left is resumed from its
// cursor, and a newer change of the same title restarts the scope.
import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { ScriptedMac } from "@/server/mdm/test-helpers";
import type { PushTarget } from "@/server/push/provider";
import { syncCatalog } from "@/server/services/catalog";
import { commitDeployment, createDeployment, getDeployment, setDeploymentEnabled } from "@/server/services/deployments";
import { checkinScopeVisits, PASS_SLICE, runPendingScopes, runScheduledPass } from "@/server/services/engine-passes";
import { createSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { catalogTitles, commands, computers, deploymentTargets, pendingScopes as pendingScopesTable } from "@/db/schema";

import { advanceScope, finishScope, pendingScopes, requestTitleScopes, scopeProgress } from "./pending-scopes";

async function setup() {
  const deps = createTestDeps({ POMONA_DEVICE_AUTH: "none", POMONA_PUBLIC_URL: "http://127.0.0.1:3000" });
  await syncCatalog(deps);
  const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
  const all = createSmartGroup(deps, { name: "All Macs", criteria: [] }, actingAs("admin"));
  const fields = { name: "Firefox", titleId, smartGroupId: all.id, distributionMethod: "install_automatically" as const, updateMethod: "automatic" as const };
  const macs: ScriptedMac[] = [];
  for (const udid of ["SCOPE-A", "SCOPE-B", "SCOPE-C"]) {
    const mac = new ScriptedMac(deps, udid, { osVersion: "15.1", model: "Mac15,3", appleSilicon: true });
    await mac.enroll();
    macs.push(mac);
  }
  const idOf = (udid: string) => deps.db.select().from(computers).where(eq(computers.udid, udid)).get()!.id;
  const targetsOf = (deploymentId: number) => deps.db.select().from(deploymentTargets).where(eq(deploymentTargets.deploymentId, deploymentId)).all();
  const commandsOf = (deploymentId: number, udid: string) =>
    deps.db
      .select({ n: count() })
      .from(commands)
      .where(and(eq(commands.deploymentId, deploymentId), eq(commands.computerId, idOf(udid))))
      .get()!.n;
  return { deps, titleId, fields, macs, idOf, targetsOf, commandsOf };
}

describe("pending scopes", () => {
  it("an App Installer is in effect from its commit: a Mac checking in before its pass gets its work in that session, and the pass adds nothing for it", async () => {
    const t = await setup();
    const [a, b, c] = t.macs as [ScriptedMac, ScriptedMac, ScriptedMac];
    const { id } = commitDeployment(t.deps, t.fields, actingAs("admin"));
    expect(pendingScopes(t.deps.db).map((p) => [p.titleId, p.cursor])).toEqual([[t.titleId, 0]]);
    expect(t.targetsOf(id)).toEqual([]);

    const visits = checkinScopeVisits.run;
    c.received = [];
    await c.poll(); // no pass has run: the check-in steps C's target itself
    expect(checkinScopeVisits.run - visits).toBe(1);
    expect(c.received).toEqual(["InstalledApplicationList", "InstallEnterpriseApplication"]);
    expect(t.targetsOf(id).map((x) => x.computerId)).toEqual([t.idOf("SCOPE-C")]);
    const cBefore = t.targetsOf(id)[0]!;

    const woken: string[] = [];
    for (const mac of [a, b, c]) t.deps.push.register(mac.udid, (p) => woken.push(p.udid));
    const pass = await runPendingScopes(t.deps);
    expect(pass).toMatchObject({ kind: "scoped", targetsCreated: 2, commandsQueued: 2, pushed: 2, computersVisited: 3 });
    expect(woken.sort()).toEqual(["SCOPE-A", "SCOPE-B"]);
    // The same target and install (the pass steps it on from the acknowledged install, as any pass would).
    expect(t.targetsOf(id).find((x) => x.computerId === t.idOf("SCOPE-C"))).toMatchObject({ id: cBefore.id, installCommandUuid: cBefore.installCommandUuid, attempts: 1 });
    expect(t.commandsOf(id, "SCOPE-C")).toBe(2); // its InstalledApplicationList and its install, nothing more
    expect(pendingScopes(t.deps.db)).toEqual([]);
    expect(scopeProgress(t.deps.db, t.titleId)).toBeUndefined();

    // With no scope pending, a check-in steps nothing itself.
    await a.poll();
    expect(checkinScopeVisits.run - visits).toBe(1);
  });

  it("a scope a stopped process left behind is resumed by the scheduler from its cursor", async () => {
    const t = await setup();
    const [a, b] = t.macs as [ScriptedMac, ScriptedMac, ScriptedMac];
    const { id } = commitDeployment(t.deps, t.fields, actingAs("admin"));
    // As if the process stopped after the pass committed a slice ending at B: A and B have their targets
    // (here from their own check-ins), the cursor is at B, and C was never reached.
    await a.poll();
    await b.poll();
    const [scope] = pendingScopes(t.deps.db);
    advanceScope(t.deps.db, scope!, t.idOf("SCOPE-B"), 2);
    expect(scopeProgress(t.deps.db, t.titleId)).toMatchObject({ visited: 2, total: null });
    expect(getDeployment(t.deps, id).scoping).toMatchObject({ visited: 2, total: null }); // the App Installer's page says so

    // A Mac at or below the cursor is not stepped by its check-in.
    const visits = checkinScopeVisits.run;
    await a.poll();
    expect(checkinScopeVisits.run).toBe(visits);

    const pass = await runScheduledPass(t.deps);
    expect(pass.targetsCreated).toBe(1);
    expect(t.targetsOf(id).map((x) => x.computerId).sort((x, y) => x - y)).toEqual(["SCOPE-A", "SCOPE-B", "SCOPE-C"].map(t.idOf));
    expect(t.commandsOf(id, "SCOPE-C")).toBe(1);
    expect(pendingScopes(t.deps.db)).toEqual([]);
    expect(getDeployment(t.deps, id).scoping).toBeNull();
  });

  it("enabling is in effect from its commit (DESIGN §3.4 item 10): a Mac checking in before the pass gets its InstalledApplicationList in that session", async () => {
    const t = await setup();
    const [a] = t.macs as [ScriptedMac, ScriptedMac, ScriptedMac];
    const { id } = await createDeployment(t.deps, { ...t.fields, enabled: false }, actingAs("admin"));
    expect(t.targetsOf(id)).toEqual([]); // a disabled App Installer sends nothing
    await setDeploymentEnabled(t.deps, { id, enabled: true }, actingAs("admin"), "commit"); // answered at the commit; the pass behind it waits for a turn
    expect(pendingScopes(t.deps.db).map((p) => p.titleId)).toEqual([t.titleId]);

    const visits = checkinScopeVisits.run;
    a.received = [];
    await a.poll();
    expect(checkinScopeVisits.run - visits).toBe(1); // stepped by its own check-in, not by the pass
    expect(a.received).toEqual(["InstalledApplicationList", "InstallEnterpriseApplication"]);
    await runPendingScopes(t.deps);
    expect(pendingScopes(t.deps.db)).toEqual([]);
    expect(t.targetsOf(id)).toHaveLength(3);
    expect(t.commandsOf(id, "SCOPE-A")).toBe(2);
  });

  it("a newer change of the same title restarts its scope: the earlier pass's progress and end miss it", () => {
    const deps = createTestDeps();
    deps.db.insert(catalogTitles).values({ name: "T", bundleId: "com.example.t", publisher: "P", category: "C", createdAt: deps.clock.now(), updatedAt: deps.clock.now() }).run();
    const titleId = deps.db.select().from(catalogTitles).get()!.id;
    requestTitleScopes(deps.db, [titleId], deps.clock.now());
    const [first] = pendingScopes(deps.db);
    advanceScope(deps.db, first!, 40, 10);
    requestTitleScopes(deps.db, [titleId], deps.clock.now());
    const [second] = pendingScopes(deps.db);
    expect(second!.request).not.toBe(first!.request);
    expect(second!.cursor).toBe(0); // every computer again
    advanceScope(deps.db, first!, 90, 50);
    finishScope(deps.db, first!);
    expect(pendingScopes(deps.db)).toEqual([second]);
    expect(scopeProgress(deps.db, titleId)).toMatchObject({ visited: 0 });
    finishScope(deps.db, second!);
    expect(deps.db.select().from(pendingScopesTable).all()).toEqual([]);
  });

  it("a pass of several slices wakes each slice's Macs once it is committed, every Mac once", async () => {
    const deps = createTestDeps();
    await syncCatalog(deps);
    const now = deps.clock.now();
    const size = PASS_SLICE * 12;
    for (let from = 0; from < size; from += 200) {
      deps.db
        .insert(computers)
        .values(
          Array.from({ length: 200 }, (_, k) => from + k).map((i) => ({
          udid: `WAKE-${i}`,
          name: `Mac ${i}`,
          serialNumber: `SNW${i}`,
          osVersion: "15.1",
          architecture: "arm64" as const,
          enrolled: true,
          pushToken: "ab".repeat(32),
          pushMagic: `magic-${i}`,
          pushTopic: "com.apple.mgmt.External.test",
          lastInventoryAt: now,
          lastCheckinAt: now,
          createdAt: now,
          updatedAt: now,
          })),
        )
        .run();
    }
    const batches: number[] = [];
    let targetsAtFirstPush = -1;
    deps.push.push = (targets: PushTarget[]) => {
      if (batches.length === 0) targetsAtFirstPush = deps.db.select({ n: count() }).from(deploymentTargets).get()!.n;
      batches.push(targets.length);
      return Promise.resolve(targets.map((x) => ({ udid: x.udid, ok: true as const })));
    };
    const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
    const all = createSmartGroup(deps, { name: "All Macs", criteria: [] }, actingAs("admin"));
    await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: all.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("admin"));
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.reduce((x, y) => x + y, 0)).toBe(size);
    expect(targetsAtFirstPush).toBeGreaterThan(0);
    expect(targetsAtFirstPush).toBeLessThan(size); // the first Macs were woken before the last slice
  });
});
