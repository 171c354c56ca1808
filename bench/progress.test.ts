// G3's progress counted on the load generator's thread: the same counts as the server's statements, read from
// the server's file while it writes, committed writes only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { createDeployment } from "@/server/services/deployments";
import { createSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { createDb } from "@/db/client";
import { migrateDb } from "@/db/migrate";
import { catalogTitles, commands, computers, deploymentTargets } from "@/db/schema";

import { progressCounter } from "./progress";
import { countProgress } from "./progress.worker.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-progress-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("G3 progress counter", () => {
  it("counts from its own thread what the server's statements count, and sees only committed writes", async () => {
    const file = path.join(dir, "g3.db");
    const deps = createTestDeps();
    const db = createDb(file);
    migrateDb(db);
    Object.assign(deps, { db });
    await syncCatalog(deps);
    const now = deps.clock.now();
    deps.db
      .insert(computers)
      .values(Array.from({ length: 6 }, (_, i) => ({ udid: `U-${i}`, name: `Lab-${i}`, osVersion: "15.1", architecture: "arm64" as const, enrolled: true, lastInventoryAt: now, lastCheckinAt: now, createdAt: now, updatedAt: now })))
      .run();
    const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
    const group = createSmartGroup(deps, { name: "All", criteria: [] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    const targets = deps.db.select().from(deploymentTargets).where(eq(deploymentTargets.deploymentId, id)).all();
    expect(targets).toHaveLength(6);
    deps.db.update(deploymentTargets).set({ status: "installed" }).where(eq(deploymentTargets.id, targets[0]!.id)).run();
    deps.db.update(deploymentTargets).set({ status: "failed" }).where(eq(deploymentTargets.id, targets[1]!.id)).run();

    const counter = progressCounter(file);
    try {
      expect(await counter.count(id)).toEqual({ total: 6, done: 2 });
      expect(countProgress(deps.db.$client, id)).toEqual({ total: 6, done: 2 });
      // A write the server has not committed yet is not counted.
      deps.db.$client.exec("begin immediate");
      deps.db.update(deploymentTargets).set({ status: "installed" }).where(eq(deploymentTargets.id, targets[2]!.id)).run();
      expect(await counter.count(id)).toEqual({ total: 6, done: 2 });
      deps.db.$client.exec("commit");
      expect(await counter.count(id)).toEqual({ total: 6, done: 3 });
      // An in-progress target whose install was acknowledged counts too.
      const command = deps.db.select().from(commands).where(eq(commands.computerId, targets[3]!.computerId)).get()!;
      deps.db.update(commands).set({ status: "acknowledged" }).where(eq(commands.uuid, command.uuid)).run();
      deps.db.update(deploymentTargets).set({ installCommandUuid: command.uuid }).where(eq(deploymentTargets.id, targets[3]!.id)).run();
      expect(await counter.count(id)).toEqual({ total: 6, done: 4 });
      expect(countProgress(deps.db.$client, id)).toEqual({ total: 6, done: 4 });
      expect(await counter.count(id + 1)).toEqual({ total: 0, done: 0 });
    } finally {
      await counter.close();
      deps.db.$client.close();
    }
  });
});
