// The pass in slices of computers: every computer covered once, the event loop served between slices, and
// passes never overlapping.
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { createDeployment } from "@/server/services/deployments";
import { createSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { catalogTitles, commands, computers, deploymentTargets, smartGroupMembers } from "@/db/schema";

import { PASS_SLICE, runEnginePassNow } from "./deployment-engine";

async function fleet(size: number) {
  const deps = createTestDeps();
  await syncCatalog(deps);
  const now = deps.clock.now();
  for (let i = 0; i < size; i += 500) {
    deps.db
      .insert(computers)
      .values(
        Array.from({ length: Math.min(500, size - i) }, (_, k) => ({
          udid: `UDID-${i + k}`,
          name: (i + k) % 2 === 0 ? `Lab-${i + k}` : `Office-${i + k}`,
          serialNumber: `SN${i + k}`,
          osVersion: "15.1",
          architecture: "arm64" as const,
          enrolled: true,
          lastInventoryAt: now,
          lastCheckinAt: now,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .run();
  }
  const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
  return { deps, titleId };
}

const rows = (deps: ReturnType<typeof createTestDeps>, table: typeof deploymentTargets | typeof commands | typeof smartGroupMembers) => deps.db.select({ n: count() }).from(table).get()!.n;

describe("engine pass in slices", () => {
  it("covers a fleet of several slices exactly once, yielding between slices", async () => {
    const size = PASS_SLICE * 3 + 17;
    const { deps, titleId } = await fleet(size);
    const group = createSmartGroup(deps, { name: "Lab", criteria: [{ field: "Computer Name", operator: "like", value: "Lab-" }] }, actingAs("a"));
    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    spinning = false;
    const lab = Math.ceil(size / 2);
    expect(deps.db.select({ n: count() }).from(deploymentTargets).where(eq(deploymentTargets.deploymentId, id)).get()!.n).toBe(lab);
    expect(rows(deps, commands)).toBe(lab); // one InstalledApplicationList each, no duplicates
    expect(rows(deps, smartGroupMembers)).toBe(lab);
    expect(turns).toBeGreaterThanOrEqual(3); // other work ran between the slices
  });

  it("runs passes one after another: two at once create each target once", async () => {
    const { deps, titleId } = await fleet(PASS_SLICE * 2);
    const group = createSmartGroup(deps, { name: "All", criteria: [] }, actingAs("a"));
    const creating = createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    const [a, b] = await Promise.all([runEnginePassNow(deps), runEnginePassNow(deps)]);
    await creating;
    expect(rows(deps, deploymentTargets)).toBe(PASS_SLICE * 2);
    expect(rows(deps, commands)).toBe(PASS_SLICE * 2);
    expect(a.targetsCreated + b.targetsCreated).toBeLessThanOrEqual(PASS_SLICE * 2);
  });
});
