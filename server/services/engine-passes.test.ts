// The pass in slices of computers: every computer covered once, the event loop served between slices, and
// passes never overlapping; the scheduler's pass visits only what changed or is due.
import { and, count, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { createDeployment } from "@/server/services/deployments";
import { DAY_MS } from "@/server/engine/smart-groups";
import { nextCommand, recordReport } from "@/server/queue/queue";
import { markComputersDirty, requestFullPass } from "@/server/services/engine-state";
import { touchCheckin } from "@/server/services/devices";
import { DEFAULT_SETTINGS, updateSettings } from "@/server/services/settings";
import { createSmartGroup, updateSmartGroup } from "@/server/services/smart-groups";
import { actingAs, countEventLoopTurns, createTestDeps } from "@/server/testing";
import * as schema from "@/db/schema";
import { catalogTitles, commands, computers, deploymentTargets, smartGroupMembers } from "@/db/schema";

import { PASS_SLICE, runEnginePassNow, runScheduledPass, TIME_CRITERIA_INTERVAL_MS } from "./engine-passes";

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
    // Slices grow to 2,000 computers when each is quick: enough Lab computers for four of them.
    const size = PASS_SLICE * 40 + 17;
    const { deps, titleId } = await fleet(size);
    const group = createSmartGroup(deps, { name: "Lab", criteria: [{ field: "Computer Name", operator: "like", value: "Lab-" }] }, actingAs("a"));
    const loop = countEventLoopTurns();
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    const turns = loop.stop();
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

describe("the scheduler's pass is incremental", () => {
  /**
 * Lab-0 answers its InstalledApplicationList (the title is absent): the pass queues attempt 1, the Mac is
 * sent it, and the next pass (the send marked the Mac) records when the attempt's window ends.
 */
async function sendFirstInstall(deps: Awaited<ReturnType<typeof enrolledFleet>>["deps"], deploymentId: number) {
  const lab = computerId(deps, "Lab-0");
  const ila = deps.db.select().from(commands).where(and(eq(commands.computerId, lab), eq(commands.deploymentId, deploymentId))).get()!;
  const now = deps.clock.now();
  deps.db.update(commands).set({ status: "sent", sentAt: now }).where(eq(commands.uuid, ila.uuid)).run();
  recordReport(deps.db, lab, { commandUuid: ila.uuid, status: "Acknowledged" }, now);
  markComputersDirty(deps.db, [lab]);
  const queued = await runScheduledPass(deps);
  const install = nextCommand(deps.db, lab, { afterNotNow: false }, now);
  await runScheduledPass(deps);
  return { lab, now, queued, install };
}

async function enrolledFleet(size: number) {
    const { deps, titleId } = await fleet(size);
    const group = createSmartGroup(deps, { name: "Lab", criteria: [{ field: "Computer Name", operator: "like", value: "Lab-" }] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    const first = await runScheduledPass(deps);
    expect(first.kind).toBe("full"); // a database's first scheduler pass
    return { deps, titleId, group, deploymentId: id };
  }
  const computerId = (deps: ReturnType<typeof createTestDeps>, name: string) => deps.db.select().from(computers).where(eq(computers.name, name)).get()!.id;

  it("visits no computer when nothing changed, and a full pass then finds nothing to do", async () => {
    const { deps } = await enrolledFleet(40);
    const quiet = await runScheduledPass(deps);
    expect(quiet).toMatchObject({ kind: "incremental", computersVisited: 0, targetsCreated: 0, statusChanges: 0, commandsQueued: 0 });
    requestFullPass(deps.db);
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "full", computersVisited: 40, targetsCreated: 0, targetsRemoved: 0, statusChanges: 0, commandsQueued: 0 });
  });

  it("visits only the computer whose facts changed: a rename moves it into the group and it gets its target", async () => {
    const { deps, deploymentId } = await enrolledFleet(40);
    const office = computerId(deps, "Office-1");
    deps.db.update(computers).set({ name: "Lab-renamed" }).where(eq(computers.id, office)).run();
    markComputersDirty(deps.db, [office]);
    const pass = await runScheduledPass(deps);
    expect(pass).toMatchObject({ kind: "incremental", computersVisited: 1, targetsCreated: 1, commandsQueued: 1 });
    expect(deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, deploymentId), eq(deploymentTargets.computerId, office))).get()).toBeDefined();
    expect(deps.db.select({ n: count() }).from(computers).where(gt(computers.engineDirty, 0)).get()!.n).toBe(0);
  });

  it("a changed smart group makes the next pass a full one; its leavers lose their targets", async () => {
    const { deps, group, deploymentId } = await enrolledFleet(40);
    updateSmartGroup(deps, { id: group.id, criteria: [{ field: "Computer Name", operator: "like", value: "Lab-1" }] }, actingAs("a"));
    const pass = await runScheduledPass(deps);
    expect(pass.kind).toBe("full");
    const left = deps.db.select({ n: count() }).from(deploymentTargets).where(eq(deploymentTargets.deploymentId, deploymentId)).get()!.n;
    expect(left).toBe(deps.db.select({ n: count() }).from(smartGroupMembers).where(eq(smartGroupMembers.smartGroupId, group.id)).get()!.n);
    expect(left).toBeLessThan(20);
  });

  it("a time-based criterion moves computers with time alone: those that crossed it are visited", async () => {
    const { deps, titleId } = await fleet(10);
    const start = deps.clock.now();
    const stale = computerId(deps, "Lab-4");
    deps.db
      .update(computers)
      .set({ lastInventoryAt: new Date(start.getTime() - 6 * DAY_MS) })
      .where(eq(computers.id, stale))
      .run();
    const fresh = createSmartGroup(deps, { name: "Fresh", criteria: [{ field: "Last Inventory Update", operator: "less than x days ago", value: "7" }] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: fresh.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    await runScheduledPass(deps);
    expect(rows(deps, deploymentTargets)).toBe(10);
    deps.clock.advance(1.5 * DAY_MS); // Lab-4's inventory is now 7.5 days old; the others' 1.5
    const pass = await runScheduledPass(deps);
    expect(pass).toMatchObject({ kind: "incremental", computersVisited: 1, targetsRemoved: 1 });
    expect(deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, id), eq(deploymentTargets.computerId, stale))).get()).toBeUndefined();
  });

  it("looks at time-based criteria once an interval: a threshold crossed between looks is found at the next look, once", async () => {
    const { deps, titleId } = await fleet(6);
    const quiet = createSmartGroup(deps, { name: "Quiet", criteria: [{ field: "Last Check-in", operator: "more than x days ago", value: "1" }] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: quiet.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    await runScheduledPass(deps);
    const lab = computerId(deps, "Lab-2");
    const target = () => deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, id), eq(deploymentTargets.computerId, lab))).get();
    // Lab-2 last checked in a day ago less 30 s: it joins "more than 1 day ago" 30 s from now, with no write.
    deps.db
      .update(computers)
      .set({ lastCheckinAt: new Date(deps.clock.now().getTime() - DAY_MS + 30_000) })
      .where(eq(computers.id, lab))
      .run();
    const tick = TIME_CRITERIA_INTERVAL_MS / 6;
    for (let i = 1; i < 6; i++) {
      deps.clock.advance(tick);
      expect(await runScheduledPass(deps)).toMatchObject({ kind: "incremental", computersVisited: 0 });
    }
    expect(target()).toBeUndefined();
    deps.clock.advance(tick); // an interval since the last look
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "incremental", computersVisited: 1, targetsCreated: 1 });
    expect(target()).toBeDefined();
    deps.clock.advance(TIME_CRITERIA_INTERVAL_MS);
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "incremental", computersVisited: 0 });
  });

  it("after a restart, the first look at time-based criteria reaches back an interval before the last pass", async () => {
    const { deps, titleId } = await fleet(6);
    const quiet = createSmartGroup(deps, { name: "Quiet", criteria: [{ field: "Last Check-in", operator: "more than x days ago", value: "1" }] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: quiet.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    await runScheduledPass(deps); // the last look: now
    const lab = computerId(deps, "Lab-4");
    deps.db
      .update(computers)
      .set({ lastCheckinAt: new Date(deps.clock.now().getTime() - DAY_MS + 25_000) })
      .where(eq(computers.id, lab))
      .run();
    for (let i = 0; i < 5; i++) {
      deps.clock.advance(10_000);
      await runScheduledPass(deps); // no look yet; Lab-4 crosses at 25 s
    }
    // A new process: what the last one knew in memory is gone; the database (and its last pass, 50 s) stays.
    const restarted = { ...deps, db: drizzle({ client: deps.db.$client, schema }) };
    deps.clock.advance(5_000);
    expect(await runScheduledPass(restarted)).toMatchObject({ kind: "incremental", computersVisited: 1, targetsCreated: 1 });
    expect(deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, id), eq(deploymentTargets.computerId, lab))).get()).toBeDefined();
  });

  it("a Mac back after ten days is regrouped by its check-in: it rejoins \"Last Check-in less than 7 days ago\"", async () => {
    const { deps, titleId } = await fleet(6);
    const away = computerId(deps, "Lab-2");
    deps.db
      .update(computers)
      .set({ lastCheckinAt: new Date(deps.clock.now().getTime() - 10 * DAY_MS) })
      .where(eq(computers.id, away))
      .run();
    const recent = createSmartGroup(deps, { name: "Recent", criteria: [{ field: "Last Check-in", operator: "less than x days ago", value: "7" }] }, actingAs("a"));
    const { id } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: recent.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, actingAs("a"));
    await runScheduledPass(deps);
    const target = () => deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, id), eq(deploymentTargets.computerId, away))).get();
    expect(target()).toBeUndefined();
    const fresh = computerId(deps, "Lab-0");
    touchCheckin(deps, deps.db.select().from(computers).where(eq(computers.id, fresh)).get()!); // checked in today: no mark
    touchCheckin(deps, deps.db.select().from(computers).where(eq(computers.id, away)).get()!);
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "incremental", computersVisited: 1, targetsCreated: 1 });
    expect(target()).toBeDefined();
  });

  it("a settings change makes the next pass a full one: a sent install's window follows the new retry interval", async () => {
    const { deps, deploymentId } = await enrolledFleet(4);
    const { lab, now } = await sendFirstInstall(deps, deploymentId);
    const target = () => deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, deploymentId), eq(deploymentTargets.computerId, lab))).get()!;
    expect(target().dueAt).toEqual(new Date(now.getTime() + DEFAULT_SETTINGS.retryIntervalMs));
    updateSettings(deps, { retryIntervalMs: 60 * 60 * 1000 }, actingAs("a"));
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "full" });
    expect(target().dueAt).toEqual(new Date(now.getTime() + 60 * 60 * 1000));
  });

  it("an install the Mac never confirms is visited when its window ends (due_at), not before", async () => {
    const { deps, deploymentId } = await enrolledFleet(4);
    const { lab, now, queued, install } = await sendFirstInstall(deps, deploymentId);
    expect(queued).toMatchObject({ computersVisited: 1, commandsQueued: 1 });
    expect(install?.requestType).toBe("InstallEnterpriseApplication");
    const target = () => deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, deploymentId), eq(deploymentTargets.computerId, lab))).get()!;
    expect(target()).toMatchObject({ phase: "install_sent", attempts: 1, dueAt: new Date(now.getTime() + DEFAULT_SETTINGS.retryIntervalMs) });
    deps.clock.advance(DEFAULT_SETTINGS.retryIntervalMs - 1000);
    expect(await runScheduledPass(deps)).toMatchObject({ computersVisited: 0 });
    deps.clock.advance(1000);
    const expired = await runScheduledPass(deps);
    expect(expired).toMatchObject({ kind: "incremental", computersVisited: 1 });
    expect(target()).toMatchObject({ phase: "waiting_for_next_attempt", attempts: 1, dueAt: deps.clock.now() });
    expect(target().reason).toMatch(/Attempt 1 of 3 failed: not confirmed within 6 hours/);
    // Six hours after attempt 1 was sent is now: the same due time brings the retry's inventory check.
    expect(await runScheduledPass(deps)).toMatchObject({ kind: "incremental", computersVisited: 1, commandsQueued: 1 });
    expect(target()).toMatchObject({ phase: "waiting_for_device", attempts: 1, dueAt: null });
  });
});
