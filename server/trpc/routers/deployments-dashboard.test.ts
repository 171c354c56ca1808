// The procedures Step 5 adds to the deployments router: dashboard, previewUpdate and activity.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { HOUR } from "@/server/clock";
import { syncCatalog } from "@/server/services/catalog";
import { runPendingScopes } from "@/server/services/engine-passes";
import { createContextInner } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps } from "@/server/testing";
import { catalogTitles, computers } from "@/db/schema";

import { codeOf, TEST_ADMIN } from "../test-caller";

const createCaller = createCallerFactory(appRouter);


async function setup() {
  const deps = createTestDeps();
  await syncCatalog(deps);
  const now = deps.clock.now();
  const macs = [
    { name: "Studio Mac 01", architecture: "arm64" as const, osVersion: "15.1", lastCheckinAt: now },
    { name: "Old Intel", architecture: "x86_64" as const, osVersion: "13.6.9", lastCheckinAt: new Date(now.getTime() - 30 * HOUR) },
    { name: "Never seen", architecture: null, osVersion: null, lastCheckinAt: null },
  ];
  const ids = macs.map(
    (m, i) =>
      deps.db
        .insert(computers)
        .values({ udid: `UDID-${i}`, serialNumber: `SN${i}`, enrolled: true, lastInventoryAt: m.lastCheckinAt, createdAt: now, updatedAt: now, ...m })
        .returning({ id: computers.id })
        .get().id,
  );
  deps.db.insert(computers).values({ udid: "GONE", name: "Unenrolled", enrolled: false, lastCheckinAt: now, createdAt: now, updatedAt: now }).run();
  const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
  const group = await caller.smartGroups.create({ name: "Everyone", criteria: [] });
  const titleId = (bundleId: string) => deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, bundleId)).get()!.id;
  return { deps, caller, ids, group, titleId };
}

describe("deployments.dashboard", () => {
  it("counts enrolled Macs and those checked in within 24 h, lists installers with counts and the newest failures", async () => {
    const { deps, caller, ids, group, titleId } = await setup();
    const whisky = await caller.deployments.create({ name: "Whisky", titleId: titleId("com.isaacmarovitz.Whisky"), smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" });
    deps.clock.advance(HOUR);
    const lm = await caller.deployments.create({ name: "LM Studio", titleId: titleId("ai.elementlabs.lmstudio"), smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" });
    await runPendingScopes(deps); // the passes behind the two changes (each answered at its commit)

    const d = await caller.deployments.dashboard();
    expect(d.computers).toEqual({ total: 4, enrolled: 3, checkedInLast24h: 1 });
    expect(d.installers.map((i) => [i.name, i.titleName, i.enabled, i.counts.failed, i.counts.in_progress])).toEqual([
      ["Whisky", "Whisky", true, 1, 2],
      ["LM Studio", "LM Studio", true, 1, 2],
    ]);
    // Newest first: LM Studio failed an hour after Whisky; both on the Intel Mac, for its architecture.
    expect(d.recentFailures.map((f) => [f.deploymentId, f.computerId, f.computerName])).toEqual([
      [lm.id, ids[1], "Old Intel"],
      [whisky.id, ids[1], "Old Intel"],
    ]);
    expect(d.recentFailures[0]?.reason).toMatch(/architecture|Intel|x86_64/i);
    // Auditors read everything; a caller who is not signed in reads nothing.
    expect(await createCaller(createContextInner({ deps, actor: { kind: "token", id: "t-ro", name: "token:ro", role: "auditor" } })).deployments.dashboard()).toEqual(d);
    expect(await codeOf(createCaller(createContextInner({ deps })).deployments.dashboard())).toBe("UNAUTHORIZED");
  });
});

describe("deployments.previewUpdate", () => {
  it("judges the edited installer in place of its stored row, keeping its id", async () => {
    const { caller, group, titleId } = await setup();
    const discord = titleId("com.hnc.Discord");
    const base = { titleId: discord, smartGroupId: group.id, updateMethod: "automatic" as const };
    const first = await caller.deployments.create({ ...base, name: "Discord (Self Service)", distributionMethod: "self_service" });
    const second = await caller.deployments.create({ ...base, name: "Discord (Self Service, too)", distributionMethod: "self_service" });

    // preview treats the fields as a new installer: it competes with (and loses to) the stored one.
    const asNew = await caller.deployments.preview({ ...base, name: "x", distributionMethod: "self_service" });
    expect(asNew.outcomes.unqualified.count).toBe(3);

    // previewUpdate of the first: it keeps its id, so it still wins over the second.
    const unchanged = await caller.deployments.previewUpdate({ id: first.id });
    const counts = (p: typeof unchanged) => Object.fromEntries(Object.entries(p.outcomes).map(([k, v]) => [k, v.count]));
    expect(counts(unchanged)).toEqual({ install: 0, self_service: 2, unqualified: 0, failed: 0, waiting: 1 });

    // The second, edited to Install automatically, now wins (rule 1) over the first.
    const promoted = await caller.deployments.previewUpdate({ id: second.id, distributionMethod: "install_automatically" });
    expect(counts(promoted)).toEqual({ install: 2, self_service: 0, unqualified: 0, failed: 0, waiting: 1 });
    const unchangedSecond = await caller.deployments.previewUpdate({ id: second.id });
    expect(unchangedSecond.outcomes.unqualified.count).toBe(3);
    expect(unchangedSecond.outcomes.unqualified.sample[0]?.reason).toContain("Discord (Self Service)");

    expect((await caller.deployments.previewUpdate({ id: first.id, updateMethod: "manual", version: "0.0.324" })).targetVersion).toBe("0.0.324");
    expect(await codeOf(caller.deployments.previewUpdate({ id: first.id, updateMethod: "manual" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.deployments.previewUpdate({ id: first.id, updateMethod: "manual", version: "9.9" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.deployments.previewUpdate({ id: 9999 }))).toBe("NOT_FOUND");
  });
});

describe("deployments.activity", () => {
  it("lists the installer's events newest first, with the computer's name where there is one", async () => {
    const { deps, caller, ids, group, titleId } = await setup();
    const { id } = await caller.deployments.create({ name: "Whisky", titleId: titleId("com.isaacmarovitz.Whisky"), smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" });
    await runPendingScopes(deps);
    await caller.deployments.setEnabled({ id, enabled: false });
    await runPendingScopes(deps);
    const activity = await caller.deployments.activity({ id });
    expect(activity[0]).toMatchObject({ type: "deployment.disabled", actor: "admin@example.com", computerId: null, computerName: null });
    expect(activity.at(-1)).toMatchObject({ type: "deployment.created" });
    const failed = activity.find((e) => e.computerId === ids[1]);
    expect(failed).toMatchObject({ computerName: "Old Intel", type: "target.status_changed" });
    expect(failed?.message).toMatch(/^Failed: /);
    expect(await caller.deployments.activity({ id, limit: 1 })).toHaveLength(1);
    expect(await codeOf(caller.deployments.activity({ id: 9999 }))).toBe("NOT_FOUND");
  });
});
