// A report's answer runs in one transaction: the report, the engine slice a verifying answer runs and the
// command served next. A slice that fails is undone alone (a savepoint): the report stays, the Mac is
// marked, and the scheduler's next pass does what the slice would have.
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { createDeployment } from "@/server/services/deployments";
import { runScheduledPass } from "@/server/services/engine-passes";
import type * as EnginePasses from "@/server/services/engine-passes";
import { createSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { catalogTitles, commands, computers, deploymentTargets, smartGroupMembers } from "@/db/schema";

import { ScriptedMac } from "./test-helpers";

const failing = vi.hoisted(() => ({ slice: false }));

vi.mock("@/server/services/engine-passes", async (importOriginal) => {
  const real = await importOriginal<typeof EnginePasses>();
  return {
    ...real,
    // The real slice, which writes (the install it queues, the target's step), then a failure.
    runVerifyingSliceNow: (...args: Parameters<typeof real.runVerifyingSliceNow>) => {
      const result = real.runVerifyingSliceNow(...args);
      if (failing.slice) throw new Error("the slice failed after writing");
      return result;
    },
  };
});

describe("a report's transaction", () => {
  it("a verifying answer whose slice fails keeps the report, undoes the slice and marks the Mac for the scheduler", async () => {
    const deps = createTestDeps({ POMONA_DEVICE_AUTH: "none" });
    await syncCatalog(deps);
    const all = createSmartGroup(deps, { name: "All Macs", criteria: [] }, actingAs("a"));
    const mac = new ScriptedMac(deps, "SLICE-FAILS-1", { osVersion: "15.1", model: "Mac14,2", appleSilicon: true });
    await mac.enroll();
    const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: all.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    const computer = () => deps.db.select().from(computers).where(eq(computers.udid, "SLICE-FAILS-1")).get()!;
    const target = () => deps.db.select().from(deploymentTargets).where(eq(deploymentTargets.deploymentId, id)).get()!;
    const ofDeployment = () => deps.db.select().from(commands).where(eq(commands.deploymentId, id)).all();
    const before = target();

    failing.slice = true;
    mac.received = [];
    await mac.poll();
    failing.slice = false;

    expect(mac.received).toEqual(["InstalledApplicationList"]); // no install: the slice that queued it was undone
    expect(ofDeployment().map((c) => [c.requestType, c.status])).toEqual([["InstalledApplicationList", "acknowledged"]]);
    expect(target()).toEqual(before);
    expect(computer().engineDirty).toBeGreaterThan(0);
    expect(deps.log.entries.some((e) => e.level === "error" && e.msg.includes("engine slice after an InstalledApplicationList failed"))).toBe(true);

    await runScheduledPass(deps);
    await mac.poll();
    expect(mac.received).toEqual(["InstalledApplicationList", "InstallEnterpriseApplication"]);
  });

  it("a verifying answer regroups the Mac when it changed the Mac's apps, and uses its stored groups when it did not", async () => {
    const deps = createTestDeps({ POMONA_DEVICE_AUTH: "none" });
    await syncCatalog(deps);
    const all = createSmartGroup(deps, { name: "All Macs", criteria: [] }, actingAs("a"));
    const hasFirefox = createSmartGroup(deps, { name: "Has Firefox", criteria: [{ field: "Application Bundle ID", operator: "has", value: "org.mozilla.firefox" }] }, actingAs("a"));
    const hasChrome = createSmartGroup(deps, { name: "Has Chrome", criteria: [{ field: "Application Bundle ID", operator: "has", value: "com.google.chrome" }] }, actingAs("a"));
    const withApp = new ScriptedMac(deps, "VERIFY-CHANGED-1", { osVersion: "15.1", model: "Mac14,2", appleSilicon: true });
    const without = new ScriptedMac(deps, "VERIFY-SAME-1", { osVersion: "15.1", model: "Mac14,2", appleSilicon: true });
    await withApp.enroll();
    await without.enroll();
    await runScheduledPass(deps); // the enrollment inventories regrouped: nobody has Firefox or Chrome
    const computerId = (udid: string) => deps.db.select().from(computers).where(eq(computers.udid, udid)).get()!.id;
    const groupsOf = (udid: string) =>
      deps.db.select({ id: smartGroupMembers.smartGroupId }).from(smartGroupMembers).where(eq(smartGroupMembers.computerId, computerId(udid))).all().map((r) => r.id).sort((a, b) => a - b);
    expect(groupsOf("VERIFY-CHANGED-1")).toEqual([all.id]);
    // A stored membership the Mac's facts do not support (only a regroup would remove it): it shows which
    // answers regroup.
    deps.db.insert(smartGroupMembers).values({ smartGroupId: hasChrome.id, computerId: computerId("VERIFY-SAME-1"), addedAt: deps.clock.now() }).run();
    deps.db.insert(smartGroupMembers).values({ smartGroupId: hasChrome.id, computerId: computerId("VERIFY-CHANGED-1"), addedAt: deps.clock.now() }).run();

    // Firefox installed by hand on one Mac since its inventory; then Firefox is deployed to every Mac.
    withApp.apps.set("org.mozilla.firefox", { name: "Firefox", shortVersion: "999.0", installing: false });
    const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: all.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    await withApp.poll();
    await without.poll();

    // Changed: regrouped within its own request (into Has Firefox, out of the unsupported Has Chrome), and
    // left to the scheduler for its other titles only.
    expect(groupsOf("VERIFY-CHANGED-1")).toEqual([all.id, hasFirefox.id]);
    expect(deps.db.select().from(computers).where(eq(computers.udid, "VERIFY-CHANGED-1")).get()!.engineDirty).toBe(1); // TARGETS_CHANGED
    expect(deps.db.select().from(deploymentTargets).where(eq(deploymentTargets.computerId, computerId("VERIFY-CHANGED-1"))).get()).toMatchObject({ deploymentId: id, status: "installed" });
    // Unchanged: its stored groups as they were, and the install went out in the same session.
    expect(groupsOf("VERIFY-SAME-1")).toEqual([all.id, hasChrome.id]);
    expect(without.received.slice(-2)).toEqual(["InstalledApplicationList", "InstallEnterpriseApplication"]);
  });
});
