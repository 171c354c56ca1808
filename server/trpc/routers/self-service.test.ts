import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { runPendingScopes } from "@/server/services/engine-passes";
import { selfServiceSignature } from "@/server/services/self-service-links";
import type { Actor } from "@/server/auth/actor";
import { createContextInner } from "@/server/trpc/context";
import { TEST_ADMIN } from "@/server/trpc/test-caller";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { auditLog, catalogTitles, computers, events } from "@/db/schema";

import { codeOf } from "../test-caller";

const createCaller = createCallerFactory(appRouter);


const caller = (deps: TestDeps, actor: Actor = TEST_ADMIN, bearerRejected?: boolean) => createCaller(createContextInner({ deps, actor, bearerRejected }));

async function setup() {
  const deps = createTestDeps();
  await syncCatalog(deps);
  const now = deps.clock.now();
  const [mac, other] = ["Alex’s MacBook Air", "Front Desk Mac 02"].map(
    (name, i) =>
      deps.db
        .insert(computers)
        .values({ udid: `UDID-${i}`, name, serialNumber: `SN${i}`, osVersion: "15.1", architecture: "arm64", enrolled: true, lastInventoryAt: now, lastCheckinAt: now, createdAt: now, updatedAt: now })
        .returning({ id: computers.id })
        .get().id,
  );
  const admin = caller(deps);
  const group = await admin.smartGroups.create({ name: "Everyone", criteria: [] });
  const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "com.hnc.Discord")).get()!.id;
  const { id: deploymentId } = await admin.deployments.create({
    name: "Discord for all",
    titleId,
    smartGroupId: group.id,
    distributionMethod: "self_service",
    updateMethod: "automatic",
    selfService: { category: "Chat", description: "Talk to your team" },
  });
  await runPendingScopes(deps); // answered at its commit: every target once the pass behind it ends
  return { deps, mac: mac!, other: other!, deploymentId };
}

describe("selfService router", () => {
  it("link returns the signed URL for an admin; unknown computers are NOT_FOUND; other roles are FORBIDDEN", async () => {
    const { deps, mac } = await setup();
    const { url } = await caller(deps).selfService.link({ computerId: mac });
    expect(url).toBe(`${deps.publicUrl}/self-service/${mac}?sig=${selfServiceSignature(deps, mac)}`);
    expect(await codeOf(caller(deps).selfService.link({ computerId: 9999 }))).toBe("NOT_FOUND");
    expect(await codeOf(caller(deps, { kind: "token", id: "t-ro", name: "token:ro", role: "auditor" }).selfService.link({ computerId: mac }))).toBe("FORBIDDEN");
    expect(await codeOf(caller(deps, undefined, true).selfService.link({ computerId: mac }))).toBe("UNAUTHORIZED");
  });

  it("with a valid signature, an auditor token or anonymous caller lists and installs as the end user", async () => {
    const { deps, mac, deploymentId } = await setup();
    const signature = selfServiceSignature(deps, mac);
    const user = caller(deps, { kind: "token", id: "t-kiosk", name: "token:kiosk", role: "auditor" });
    expect(await user.selfService.computer({ computerId: mac, signature })).toEqual({ id: mac, name: "Alex’s MacBook Air" });
    const [item] = await user.selfService.available({ computerId: mac, signature });
    expect(item).toMatchObject({ deploymentId, titleName: "Discord", category: "Chat", description: "Talk to your team", status: "self_service_available" });

    expect(await user.selfService.install({ computerId: mac, deploymentId, signature })).toEqual({ requested: true, status: "in_progress" });
    const requested = deps.db.select().from(events).where(eq(events.type, "self_service.requested")).get();
    expect(requested).toMatchObject({ actor: "end user", computerId: mac, deploymentId });
    expect((await caller(deps).selfService.available({ computerId: mac, signature }))[0]?.status).toBe("in_progress");
  });

  it("a signature that does not match the computer is FORBIDDEN, even for an admin", async () => {
    const { deps, mac, other, deploymentId } = await setup();
    const otherSignature = selfServiceSignature(deps, other);
    for (const c of [caller(deps), caller(deps, { kind: "token", id: "t-ci", name: "token:ci", role: "admin" })]) {
      expect(await codeOf(c.selfService.available({ computerId: mac, signature: otherSignature }))).toBe("FORBIDDEN");
      expect(await codeOf(c.selfService.install({ computerId: mac, deploymentId, signature: otherSignature }))).toBe("FORBIDDEN");
      expect(await codeOf(c.selfService.computer({ computerId: mac, signature: "forged" }))).toBe("FORBIDDEN");
    }
    // A forged signature for a computer that does not exist says FORBIDDEN too, not which ids exist.
    expect(await codeOf(caller(deps).selfService.available({ computerId: 9999, signature: otherSignature }))).toBe("FORBIDDEN");
    expect(deps.db.select().from(events).where(eq(events.type, "self_service.requested")).all()).toEqual([]);
  });

  it("without a signature, roles apply: auditors read, admins install (audited), anonymous callers get nothing", async () => {
    const { deps, mac, deploymentId } = await setup();
    expect(await caller(deps, { kind: "token", id: "t-ro", name: "token:ro", role: "auditor" }).selfService.available({ computerId: mac })).toHaveLength(1);
    expect(await codeOf(caller(deps, { kind: "anonymous" }).selfService.available({ computerId: mac }))).toBe("UNAUTHORIZED");
    expect(await codeOf(caller(deps, { kind: "anonymous" }).selfService.install({ computerId: mac, deploymentId }))).toBe("UNAUTHORIZED");
    expect(await codeOf(caller(deps, { kind: "token", id: "t-ro", name: "token:ro", role: "auditor" }).selfService.install({ computerId: mac, deploymentId }))).toBe("FORBIDDEN");
    expect(await codeOf(caller(deps, undefined, true).selfService.available({ computerId: mac }))).toBe("UNAUTHORIZED");
    expect(await codeOf(caller(deps).selfService.available({ computerId: 9999 }))).toBe("NOT_FOUND");

    const admin = caller(deps, { kind: "token", id: "t-ci", name: "token:ci", role: "admin" });
    expect(await admin.selfService.available({ computerId: mac })).toHaveLength(1);
    expect(await admin.selfService.install({ computerId: mac, deploymentId })).toEqual({ requested: true, status: "in_progress" });
    expect(deps.db.select().from(events).where(eq(events.type, "self_service.requested")).get()).toMatchObject({ actor: "token:ci", category: "admin" });
    expect(await caller(deps).selfService.install({ computerId: mac, deploymentId })).toEqual({ requested: false, status: "in_progress" });
    expect(deps.db.select().from(auditLog).where(eq(auditLog.action, "self_service.requested")).all().map((a) => a.actorName)).toEqual(["token:ci", "admin@example.com"]);
  });
});
