// The batched writes an engine pass uses (one INSERT … SELECT over a JSON array of rows) write exactly the
// rows the one-row writes do: events (events.ts) and commands (queue.ts commandBatch); and the pass's raw
// reads map rows as drizzle does.
import { asc, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { buildDeviceInformation, buildInstallEnterpriseApplication, buildInstalledApplicationList } from "@/server/queue/commands";
import { commandBatch, enqueueCommand, type BatchedCommand } from "@/server/queue/queue";
import { syncCatalog } from "@/server/services/catalog";
import { targetsOfComputers } from "@/server/services/deployment-engine";
import { createDeployment } from "@/server/services/deployments";
import { insertEvent, insertEvents } from "@/server/services/events";
import { createSmartGroup } from "@/server/services/smart-groups";
import { actingAs, createTestDeps } from "@/server/testing";
import { catalogTitles, commands, computers, deploymentTargets, events, type NewEvent } from "@/db/schema";

function setup() {
  const deps = createTestDeps();
  const now = deps.clock.now();
  const ids = [1, 2].map((i) => deps.db.insert(computers).values({ udid: `BATCH-${i}`, name: `Mac ${i}`, createdAt: now, updatedAt: now }).returning().get().id);
  return { deps, now, ids };
}

describe("batched inserts", () => {
  it("insertEvents writes the rows insertEvent writes, in order", () => {
    const { deps, now, ids } = setup();
    const samples: NewEvent[] = [
      { at: now, category: "status", type: "target.status_changed", actor: "system", computerId: ids[0], deploymentId: null, message: "In progress: Waiting for the Mac's inventory", data: { from: null, to: "in_progress", attempts: 0 } },
      { at: new Date(now.getTime() + 1), category: "device", type: "device.enrolled", actor: "device", computerId: ids[1], message: 'quotes " and \\ backslash, ünïcødé ✓, emoji 🍎, a\nnew line' },
      { at: now, category: "admin", type: "x", actor: "admin@pomona.local", computerId: null, deploymentId: null, commandUuid: "C-1", message: "", data: null },
      { at: now, category: "status", type: "y", actor: "system", message: "nested", data: { list: [1, 2.5, "three", true, null], deep: { n: -1 } } },
    ];
    for (const e of samples) insertEvent(deps.db, e);
    insertEvents(deps.db, samples);
    insertEvents(deps.db, []); // nothing
    const rows = deps.db.select().from(events).orderBy(asc(events.id)).all();
    expect(rows).toHaveLength(samples.length * 2);
    const strip = (r: (typeof rows)[number]) => Object.assign({}, r, { id: 0 });
    expect(rows.slice(samples.length).map(strip)).toEqual(rows.slice(0, samples.length).map(strip));
  });

  it("commandBatch writes the rows enqueueCommand writes, with seq in the order added, once flushed", () => {
    const { deps, now, ids } = setup();
    const inputs: BatchedCommand[] = [
      { computerId: ids[0]!, command: buildInstalledApplicationList({ identifiers: ["org.mozilla.firefox"] }), purpose: "verify", deploymentId: null },
      { computerId: ids[1]!, command: buildInstallEnterpriseApplication({ manifestUrl: "https://pomona.example/m/1.plist", installAsManaged: true }), purpose: "install", attempt: 2 },
      { computerId: ids[0]!, command: buildDeviceInformation(), purpose: "device_information", priority: 5 },
    ];
    const one = inputs.map((input) => enqueueCommand(deps.db, input, now));
    const batch = commandBatch(deps.db, now);
    const uuids = inputs.map((input) => batch.add(input));
    expect(deps.db.select().from(commands).all()).toHaveLength(inputs.length); // added, not yet written
    expect(batch.flush()).toBe(inputs.length);
    expect(batch.flush()).toBe(0);

    const stored = (uuid: string) => deps.db.select().from(commands).where(eq(commands.uuid, uuid)).get()!;
    const maxSeq = Math.max(...one.map((c) => c.seq));
    uuids.forEach((uuid, i) => {
      const row = stored(uuid);
      expect(row.seq).toBe(maxSeq + 1 + i);
      expect(Object.assign({}, row, { uuid: "", seq: 0 })).toEqual(Object.assign({}, stored(one[i]!.uuid), { uuid: "", seq: 0 }));
    });
  });
});

describe("the pass's raw reads", () => {
  it("targetsOfComputers reads each target as drizzle maps its row", async () => {
    const { deps, now, ids } = setup();
    await syncCatalog(deps);
    const titleId = deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, "org.mozilla.firefox")).get()!.id;
    const group = createSmartGroup(deps, { name: "Nobody", criteria: [{ field: "Computer Name", operator: "is", value: "no such Mac" }] }, actingAs("a"));
    const { id: deploymentId } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "self_service", updateMethod: "automatic" }, actingAs("a"));
    const later = (ms: number) => new Date(now.getTime() + ms);
    deps.db
      .insert(deploymentTargets)
      .values([
        // Every nullable column null, then every one set (instants with milliseconds).
        { deploymentId, computerId: ids[0]!, status: "in_progress", phase: "waiting_for_inventory", reason: "Waiting", targetVersion: "140.0", statusChangedAt: now, createdAt: now, updatedAt: now },
        {
          deploymentId,
          computerId: ids[1]!,
          status: "failed",
          phase: "install_sent",
          reason: "Install failed: 'quoted' ünïcødé",
          targetVersion: "140.0.1",
          attempts: 2,
          nextAttemptAt: later(6 * 3_600_000 + 7),
          lastError: "MCMDMErrorDomain 12021",
          selfServiceRequestedAt: later(-1),
          pendingInventoryCommandUuid: "0190-INV",
          installCommandUuid: "0190-INSTALL",
          statusChangedAt: later(3),
          dueAt: later(11),
          createdAt: later(-999),
          updatedAt: later(5),
        },
      ])
      .run();
    const viaDrizzle = deps.db.select().from(deploymentTargets).where(inArray(deploymentTargets.computerId, ids)).all();
    expect(viaDrizzle).toHaveLength(2);
    const sortById = (rows: typeof viaDrizzle) => [...rows].sort((a, b) => a.id - b.id);
    expect(sortById(targetsOfComputers(deps.db, ids))).toEqual(sortById(viaDrizzle));
    expect(targetsOfComputers(deps.db, [ids[1]!]).map((t) => t.computerId)).toEqual([ids[1]]);
  });
});
