// The install flow over time (DESIGN §3.4), one test per item, on a fresh database with the simulated clock,
// driven through the real /mdm handler with plists: Macs check in, the clock moves, the scheduler ticks.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";

import { HOUR, MINUTE, DAY } from "@/server/clock";
import { ScriptedMac } from "@/server/mdm/test-helpers";
import { syncCatalog, type Feed } from "@/server/services/catalog";
import { createDeployment, retryFailedTargets, setDeploymentEnabled, type TDeploymentFields } from "@/server/services/deployments";
import { listSelfService, requestSelfServiceInstall } from "@/server/services/self-service";
import { runScheduledPass } from "@/server/services/engine-passes";
import { requestFullPass } from "@/server/services/engine-state";
import { createSmartGroup, updateSmartGroup } from "@/server/services/smart-groups";
import { updateSettings } from "@/server/services/settings";
import { tickSimulatedClock } from "@/server/services/system";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { catalogTitles, commands, computers, deploymentTargets, events } from "@/db/schema";

const PROFILE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>PayloadContent</key><array/><key>PayloadIdentifier</key><string>com.example.editor.notifications</string><key>PayloadType</key><string>Configuration</string><key>PayloadUUID</key><string>6F1A7D52-0C0B-4B61-9C9E-5B0F6E1C2A11</string><key>PayloadVersion</key><integer>1</integer></dict></plist>`;

function feed(extra: Partial<Record<"editorVersions" | "viewerVersions", Feed["titles"][number]["versions"]>> = {}, packageUrl?: string): Feed {
  return {
    titles: [
      {
        name: "Editor",
        bundleId: "com.example.editor",
        publisher: "Example Inc.",
        category: "Productivity",
        versions: extra.editorVersions ?? [
          { version: "4.2.1", minimumOsVersion: "13.0", architectures: ["arm64", "x86_64"], ...(packageUrl ? { packageUrl, sizeBytes: 1000, sha256: "a".repeat(64) } : {}) },
          { version: "4.1.0", minimumOsVersion: "12.0", architectures: ["arm64", "x86_64"] },
        ],
        supportingProfiles: [{ identifier: "com.example.editor.notifications", displayName: "Editor notifications", mobileconfig: PROFILE }],
      },
      {
        name: "Viewer",
        bundleId: "com.example.viewer",
        publisher: "Example Inc.",
        category: "Utilities",
        versions: extra.viewerVersions ?? [{ version: "2.0", minimumOsVersion: "14.0", architectures: ["arm64"] }],
      },
    ],
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-tick-"));
let feedN = 0;
async function loadFeed(deps: TestDeps, f: Feed) {
  const file = path.join(tmp, `feed-${++feedN}.json`);
  fs.writeFileSync(file, JSON.stringify(f));
  return syncCatalog(deps, { source: file });
}

/**
 * The incremental pass's oracle, after every test here: once the scheduler's pass has taken what is marked
 * and due, a full pass over every computer and target must find nothing left to do.
 */
const databases: TestDeps[] = [];
afterEach(async () => {
  for (const deps of databases.splice(0)) {
    await runScheduledPass(deps);
    requestFullPass(deps.db);
    const full = await runScheduledPass(deps);
    expect(full.kind).toBe("full");
    expect({ created: full.targetsCreated, removed: full.targetsRemoved, statusChanges: full.statusChanges, queued: full.commandsQueued }).toEqual({ created: 0, removed: 0, statusChanges: 0, queued: 0 });
  }
});

async function setup(options: { publicUrl?: string; packageUrl?: string } = {}) {
  const deps = createTestDeps({ POMONA_DEVICE_AUTH: "none", POMONA_PUBLIC_URL: options.publicUrl ?? "http://127.0.0.1:3000" });
  databases.push(deps);
  await loadFeed(deps, feed({}, options.packageUrl));
  const all = createSmartGroup(deps, { name: "All Macs", criteria: [] }, actingAs("admin"));
  const title = (bundleId: string) => deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, bundleId)).get()!.id;
  const deploy = (patch: Partial<TDeploymentFields> = {}) =>
    createDeployment(
      deps,
      { name: "Editor", titleId: title("com.example.editor"), smartGroupId: all.id, distributionMethod: "install_automatically", updateMethod: "automatic", ...patch },
      actingAs("admin@example.com"),
    );
  const mac = (udid: string, facts: Partial<ScriptedMac["facts"]> = {}) => new ScriptedMac(deps, udid, { osVersion: "14.5", model: "Mac14,2", appleSilicon: true, ...facts });
  const tick = (ms: number) => tickSimulatedClock(deps, ms, actingAs("admin@example.com"));
  const target = (deploymentId: number, udid: string) => {
    const c = deps.db.select().from(computers).where(eq(computers.udid, udid)).get()!;
    return deps.db.select().from(deploymentTargets).where(and(eq(deploymentTargets.deploymentId, deploymentId), eq(deploymentTargets.computerId, c.id))).get();
  };
  const commandsOf = (udid: string, requestType?: string) => {
    const c = deps.db.select().from(computers).where(eq(computers.udid, udid)).get()!;
    return deps.db
      .select()
      .from(commands)
      .where(and(eq(commands.computerId, c.id), requestType ? eq(commands.requestType, requestType) : undefined))
      .orderBy(commands.seq)
      .all();
  };
  return { deps, all, title, deploy, mac, tick, target, commandsOf };
}

/** Drives a Mac through scheduler ticks: tick, let the Mac check in, repeat. */
async function run(t: { tick: (ms: number) => Promise<unknown> }, macs: ScriptedMac[], steps: number, every = MINUTE) {
  for (let i = 0; i < steps; i++) {
    await t.tick(every);
    for (const m of macs) await m.poll();
  }
}

describe("the install flow (DESIGN §3.4)", () => {
  it("item 2: within 15 minutes an InstalledApplicationList for the title is queued and the Mac pushed", async () => {
    const t = await setup();
    const m = t.mac("DISPATCH-1");
    await m.enroll();
    const woken: string[] = [];
    t.deps.push.register("DISPATCH-1", (p) => woken.push(p.udid));
    const created = t.deps.clock.now();
    const { id } = await t.deploy();
    const ila = t.commandsOf("DISPATCH-1", "InstalledApplicationList").filter((c) => c.deploymentId === id);
    expect(ila.length).toBe(1);
    expect(JSON.parse(ila[0]!.payload)).toEqual({ RequestType: "InstalledApplicationList", Identifiers: ["com.example.editor"] });
    expect(ila[0]!.createdAt.getTime() - created.getTime()).toBeLessThanOrEqual(15 * MINUTE);
    expect(woken).toEqual(["DISPATCH-1"]);
    expect(t.target(id, "DISPATCH-1")).toMatchObject({ status: "in_progress", phase: "waiting_for_device", attempts: 0 });
  });

  it("item 3: the install goes out in the session that answered InstalledApplicationList: no tick, no second push", async () => {
    const t = await setup();
    const m = t.mac("SAME-SESSION-1");
    await m.enroll();
    const { id } = await t.deploy({ installSupportingProfiles: false });
    m.received = [];
    const woken: string[] = [];
    t.deps.push.register("SAME-SESSION-1", (p) => woken.push(p.udid));
    await m.poll(); // one session, the clock not moved and no scheduler tick
    expect(m.received).toEqual(["InstalledApplicationList", "InstallEnterpriseApplication"]);
    expect(woken).toEqual([]);
    expect(t.target(id, "SAME-SESSION-1")).toMatchObject({ status: "in_progress", attempts: 1 });
  });

  it("item 10: a Mac re-enrolling (Authenticate, not yet TokenUpdate) keeps its targets and their history", async () => {
    const t = await setup();
    const m = t.mac("REENROLL-1");
    m.onInstall = "error";
    await m.enroll();
    const { id } = await t.deploy({ installSupportingProfiles: false });
    await run(t, [m], 2);
    const before = t.target(id, "REENROLL-1")!;
    expect(before.lastError).not.toBeNull();
    await m.mac.authenticate(); // the profile is being reinstalled: enrolled is false until TokenUpdate
    await t.tick(MINUTE);
    expect(t.target(id, "REENROLL-1")).toMatchObject({ id: before.id, attempts: before.attempts, lastError: before.lastError });
    await m.mac.tokenUpdate();
    await t.tick(MINUTE);
    expect(t.target(id, "REENROLL-1")).toMatchObject({ id: before.id, attempts: before.attempts });
  });

  it("item 2: a Mac offline for 7 days keeps waiting with no attempt used, then installs when it returns", async () => {
    const t = await setup();
    const m = t.mac("OFFLINE-1");
    await m.enroll();
    m.online = false;
    const { id } = await t.deploy();
    for (let i = 0; i < 28; i++) await t.tick(6 * HOUR);
    expect(t.target(id, "OFFLINE-1")).toMatchObject({ status: "in_progress", phase: "waiting_for_device", attempts: 0 });
    expect(t.commandsOf("OFFLINE-1", "InstallEnterpriseApplication")).toEqual([]);
    m.online = true;
    await run(t, [m], 12);
    expect(t.target(id, "OFFLINE-1")).toMatchObject({ status: "installed", attempts: 1 });
  });

  it("item 3: a Mac that already has the title at the target version is Installed with no install sent", async () => {
    const t = await setup();
    const m = t.mac("HAS-IT-1");
    m.apps.set("com.example.editor", { name: "Editor", shortVersion: "4.2.1", installing: false });
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 2);
    expect(t.target(id, "HAS-IT-1")).toMatchObject({ status: "installed", attempts: 0, reason: "Version 4.2.1 is already installed" });
    expect(m.received).not.toContain("InstallEnterpriseApplication");
  });

  it("items 3–4: supporting profiles go before InstallEnterpriseApplication; Installed only after InstalledApplicationList confirms", async () => {
    const t = await setup();
    const m = t.mac("PROFILES-1");
    await m.enroll();
    m.received = [];
    const { id } = await t.deploy({ installSupportingProfiles: true });
    await m.poll();
    await t.tick(MINUTE);
    await m.poll();
    expect(m.received).toEqual(["InstalledApplicationList", "InstallProfile", "InstallEnterpriseApplication"]);
    expect(m.profiles.length).toBe(1);
    // Acknowledged is not Installed: confirmation comes 5 minutes later.
    await t.tick(MINUTE);
    expect(t.target(id, "PROFILES-1")).toMatchObject({ status: "in_progress", phase: "verifying" });
    await run(t, [m], 6);
    expect(t.target(id, "PROFILES-1")).toMatchObject({ status: "installed", attempts: 1, reason: "Installed 4.2.1 (confirmed by InstalledApplicationList)" });
  });

  it("item 4: while the Mac reports Installing true, Pomona keeps verifying every confirmation delay", async () => {
    const t = await setup();
    const m = t.mac("INSTALLING-1");
    m.onInstall = "installing";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 30); // 30 minutes of confirmations every 5 minutes
    const verifying = t.target(id, "INSTALLING-1");
    expect(verifying).toMatchObject({ status: "in_progress", phase: "verifying", reason: "Verifying (attempt 1 of 3): the Mac reports the install is still running" });
    expect(t.commandsOf("INSTALLING-1", "InstalledApplicationList").filter((c) => c.deploymentId === id).length).toBeGreaterThanOrEqual(5);
    m.finishInstalling();
    await run(t, [m], 6);
    expect(t.target(id, "INSTALLING-1")).toMatchObject({ status: "installed", attempts: 1 });
  });

  it("item 5: three errors, six hours apart, then Failed with the Mac's error text and no fourth attempt", async () => {
    const t = await setup();
    const m = t.mac("ERRORS-1");
    m.onInstall = "error";
    m.installError = "Package signature cannot be verified";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 3);
    expect(t.target(id, "ERRORS-1")).toMatchObject({ status: "in_progress", phase: "waiting_for_next_attempt", attempts: 1, lastError: "Package signature cannot be verified" });
    // Not a minute before six hours.
    await t.tick(6 * HOUR - 10 * MINUTE);
    await m.poll();
    expect(t.commandsOf("ERRORS-1", "InstallEnterpriseApplication").length).toBe(1);
    await run(t, [m], 20);
    expect(t.commandsOf("ERRORS-1", "InstallEnterpriseApplication").length).toBe(2);
    await t.tick(6 * HOUR - 30 * MINUTE);
    await m.poll();
    await run(t, [m], 30);
    const installs = t.commandsOf("ERRORS-1", "InstallEnterpriseApplication");
    expect(installs.map((c) => c.attempt)).toEqual([1, 2, 3]);
    for (let i = 1; i < installs.length; i++) {
      const gap = installs[i]!.sentAt!.getTime() - installs[i - 1]!.sentAt!.getTime();
      expect(gap).toBeGreaterThanOrEqual(6 * HOUR);
      expect(gap).toBeLessThanOrEqual(6 * HOUR + 5 * MINUTE);
    }
    expect(t.target(id, "ERRORS-1")).toMatchObject({ status: "failed", attempts: 3, reason: "Not installed after 3 attempts: Package signature cannot be verified" });
    await run(t, [m], 4, 12 * HOUR);
    expect(t.commandsOf("ERRORS-1", "InstallEnterpriseApplication").length).toBe(3);
    // A later inventory that shows the title installed still turns it Installed.
    m.apps.set("com.example.editor", { name: "Editor", shortVersion: "4.2.1", installing: false });
    await t.tick(DAY + HOUR); // inventory on its own interval
    await m.poll();
    await t.tick(MINUTE);
    expect(t.target(id, "ERRORS-1")?.status).toBe("installed");
  });

  it("item 5: an install the Mac never answers is abandoned after six hours and never served beside the retry", async () => {
    const t = await setup();
    const m = t.mac("SILENT-INSTALL-1");
    m.onInstall = "silent";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 3);
    const first = t.commandsOf("SILENT-INSTALL-1", "InstallEnterpriseApplication");
    expect(first.map((c) => c.status)).toEqual(["sent"]);
    await t.tick(6 * HOUR);
    expect(t.target(id, "SILENT-INSTALL-1")).toMatchObject({ phase: "waiting_for_next_attempt", lastError: "not confirmed within 6 hours of being sent" });
    expect(t.commandsOf("SILENT-INSTALL-1", "InstallEnterpriseApplication").map((c) => c.status)).toEqual(["canceled"]);
    // Until then an unanswered command is offered again at each poll (at-least-once); from now on it never is.
    const receivedBefore = m.received.filter((r) => r === "InstallEnterpriseApplication").length;
    m.onInstall = "install";
    await run(t, [m], 400);
    const installs = t.commandsOf("SILENT-INSTALL-1", "InstallEnterpriseApplication");
    expect(installs.map((c) => [c.attempt, c.status])).toEqual([
      [1, "canceled"],
      [2, "acknowledged"],
    ]);
    expect(m.received.filter((r) => r === "InstallEnterpriseApplication").length - receivedBefore).toBe(1); // attempt 2 only
    expect(t.target(id, "SILENT-INSTALL-1")).toMatchObject({ status: "installed", attempts: 2 });
  });

  it("item 6: NotNow uses no attempt; the install is offered again at the next poll", async () => {
    const t = await setup();
    const m = t.mac("NOTNOW-1");
    m.onInstall = "notnow";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 5);
    expect(t.target(id, "NOTNOW-1")).toMatchObject({ status: "in_progress", phase: "not_now", attempts: 1 });
    m.onInstall = "install";
    await run(t, [m], 8);
    expect(t.target(id, "NOTNOW-1")).toMatchObject({ status: "installed", attempts: 1 });
    expect(t.commandsOf("NOTNOW-1", "InstallEnterpriseApplication").length).toBe(1);
  });

  it("item 7: two deployments of different titles never have two installs in flight on one Mac", async () => {
    const t = await setup();
    const m = t.mac("SERIAL-1");
    m.onInstall = "installing";
    await m.enroll();
    const a = await t.deploy();
    const b = await t.deploy({ name: "Viewer", titleId: t.title("com.example.viewer") });
    const inFlight = () =>
      t.deps.db.$client.prepare("select count(*) from commands c join computers m on m.id = c.computer_id where m.udid = 'SERIAL-1' and is_install = 1 and sent_at is not null and released_at is null").pluck().get() as number;
    for (let i = 0; i < 20; i++) {
      await t.tick(MINUTE);
      await m.poll();
      expect(inFlight()).toBeLessThanOrEqual(1);
    }
    const sentInstalls = t.commandsOf("SERIAL-1", "InstallEnterpriseApplication").filter((c) => c.sentAt !== null);
    expect(sentInstalls.length).toBe(1);
    expect([t.target(a.id, "SERIAL-1")?.phase, t.target(b.id, "SERIAL-1")?.phase].sort()).toEqual(["verifying", "waiting_for_install_slot"]);
    m.finishInstalling();
    m.onInstall = "install";
    await run(t, [m], 20);
    expect(t.target(a.id, "SERIAL-1")?.status).toBe("installed");
    expect(t.target(b.id, "SERIAL-1")?.status).toBe("installed");
  });

  it("item 8: an invalid manifest never leaves the server; the target fails with the validation error", async () => {
    const t = await setup({ publicUrl: "https://mdm.example.com", packageUrl: "http://cdn.example.com/editor.pkg" });
    const m = t.mac("MANIFEST-1");
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 3);
    expect(t.target(id, "MANIFEST-1")).toMatchObject({ status: "failed", reason: "Invalid manifest: package URL must use https (got http)" });
    expect(m.received).not.toContain("InstallEnterpriseApplication");
    expect(t.commandsOf("MANIFEST-1", "InstallEnterpriseApplication")).toEqual([]);
  });

  it("item 10: a Mac that leaves the smart group leaves the deployment; its unsent commands are cancelled", async () => {
    const t = await setup();
    const m = t.mac("LEAVER-1", { name: "Leaver" });
    m.online = false;
    await m.mac.enroll();
    const group = createSmartGroup(t.deps, { name: "Named", criteria: [{ field: "Computer Name", operator: "like", value: "Leaver" }] }, actingAs("admin"));
    const { id } = await t.deploy({ smartGroupId: group.id });
    expect(t.target(id, "LEAVER-1")).toBeDefined();
    const pending = t.commandsOf("LEAVER-1", "InstalledApplicationList").filter((c) => c.deploymentId === id);
    expect(pending.map((c) => c.status)).toEqual(["queued"]);
    updateSmartGroup(t.deps, { id: group.id, criteria: [{ field: "Computer Name", operator: "is", value: "Someone else" }] }, actingAs("admin"));
    await t.tick(MINUTE);
    expect(t.target(id, "LEAVER-1")).toBeUndefined();
    expect(t.commandsOf("LEAVER-1", "InstalledApplicationList").filter((c) => c.deploymentId === id).map((c) => c.status)).toEqual(["canceled"]);
    expect(t.deps.db.select().from(events).where(eq(events.type, "target.removed")).all().length).toBe(1);
  });

  it("item 9: Automatic follows a new catalog version; Manual stays pinned, older versions included", async () => {
    const t = await setup();
    const m = t.mac("UPDATE-1");
    await m.enroll();
    const auto = await t.deploy();
    const manual = await t.deploy({ name: "Viewer pinned", titleId: t.title("com.example.viewer"), updateMethod: "manual", version: "2.0" });
    await run(t, [m], 20); // one install at a time: Editor, then Viewer
    expect(t.target(auto.id, "UPDATE-1")?.status).toBe("installed");
    expect(t.target(manual.id, "UPDATE-1")?.status).toBe("installed");

    const next = feed({
      editorVersions: [{ version: "5.0.0", minimumOsVersion: "13.0", architectures: ["arm64", "x86_64"] }, ...feed().titles[0]!.versions],
      viewerVersions: [{ version: "3.0", minimumOsVersion: "14.0", architectures: ["arm64"] }, ...feed().titles[1]!.versions],
    });
    const report = await loadFeed(t.deps, next);
    expect(report.versionsAdded.map((v) => v.version).sort()).toEqual(["3.0", "5.0.0"]);
    await t.tick(MINUTE);
    expect(t.target(auto.id, "UPDATE-1")).toMatchObject({ status: "in_progress", targetVersion: "5.0.0", attempts: 0 });
    expect(t.target(manual.id, "UPDATE-1")).toMatchObject({ status: "installed", targetVersion: "2.0" });
    await run(t, [m], 10);
    expect(t.target(auto.id, "UPDATE-1")).toMatchObject({ status: "installed", targetVersion: "5.0.0" });
    expect(m.apps.get("com.example.editor")?.shortVersion).toBe("5.0.0");
    expect(m.apps.get("com.example.viewer")?.shortVersion).toBe("2.0");
  });

  it("item 1: Self Service waits for the user's Install, then installs", async () => {
    const t = await setup();
    const m = t.mac("SELF-1");
    await m.enroll();
    const { id } = await t.deploy({ distributionMethod: "self_service", selfService: { category: "Productivity", description: "Edit things" } });
    await run(t, [m], 3);
    expect(t.target(id, "SELF-1")).toMatchObject({ status: "self_service_available", phase: "waiting_for_user" });
    expect(m.received).not.toContain("InstallEnterpriseApplication");
    const computerId = t.deps.db.select().from(computers).where(eq(computers.udid, "SELF-1")).get()!.id;
    expect(listSelfService(t.deps, { computerId })).toMatchObject([{ deploymentId: id, titleName: "Editor", category: "Productivity", status: "self_service_available" }]);
    await requestSelfServiceInstall(t.deps, { computerId, deploymentId: id }, actingAs("user@SELF-1"));
    expect(t.target(id, "SELF-1")?.status).toBe("in_progress");
    await run(t, [m], 8);
    expect(t.target(id, "SELF-1")?.status).toBe("installed");
  });

  it("item 12: retry failed starts the attempts again", async () => {
    const t = await setup();
    const m = t.mac("RETRY-1");
    m.onInstall = "error";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 12, 7 * HOUR); // three attempts, each checked, sent and answered across ticks
    expect(t.target(id, "RETRY-1")).toMatchObject({ status: "failed", attempts: 3 });
    m.onInstall = "install";
    expect(await retryFailedTargets(t.deps, { id }, actingAs("admin@example.com"))).toEqual({ retried: 1 });
    await run(t, [m], 8);
    expect(t.target(id, "RETRY-1")).toMatchObject({ status: "installed", attempts: 1 });
    expect(t.commandsOf("RETRY-1", "InstallEnterpriseApplication").length).toBe(4);
  });

  it("item 10: a disabled deployment sends nothing new; enabling it resumes", async () => {
    const t = await setup();
    const m = t.mac("DISABLED-1");
    await m.enroll();
    m.online = false;
    const { id } = await t.deploy({ enabled: false });
    await run(t, [m], 3);
    expect(t.target(id, "DISABLED-1")).toBeUndefined();
    expect(t.commandsOf("DISABLED-1").filter((c) => c.deploymentId === id)).toEqual([]);
    m.online = true;
    await setDeploymentEnabled(t.deps, { id, enabled: true }, actingAs("admin"));
    await run(t, [m], 8);
    expect(t.target(id, "DISABLED-1")?.status).toBe("installed");
  });
});

describe("the durations are settings (DESIGN §3.4, last paragraph)", () => {
  it("2 attempts, 1 hour apart, when the admin says so", async () => {
    const t = await setup();
    updateSettings(t.deps, { maxAttempts: 2, retryIntervalMs: HOUR }, actingAs("admin"));
    const m = t.mac("SETTINGS-1");
    m.onInstall = "error";
    await m.enroll();
    const { id } = await t.deploy();
    await run(t, [m], 3);
    expect(t.target(id, "SETTINGS-1")).toMatchObject({ phase: "waiting_for_next_attempt", reason: "Attempt 1 of 2 failed: Package signature cannot be verified. Retrying 1 hour after it was sent" });
    await run(t, [m], 70);
    const installs = t.commandsOf("SETTINGS-1", "InstallEnterpriseApplication");
    expect(installs.map((c) => c.attempt)).toEqual([1, 2]);
    expect(installs[1]!.sentAt!.getTime() - installs[0]!.sentAt!.getTime()).toBeLessThan(HOUR + 5 * MINUTE);
    expect(t.target(id, "SETTINGS-1")).toMatchObject({ status: "failed", attempts: 2, reason: "Not installed after 2 attempts: Package signature cannot be verified" });
  });
});

describe("conflicts and compatibility in the flow (DESIGN §3.2–3.3)", () => {
  it("the losing deployment is Unqualified, naming the winner and the rule; only the winner installs", async () => {
    const t = await setup();
    const m = t.mac("CONFLICT-1");
    await m.enroll();
    const ss = await t.deploy({ name: "Editor (Self Service)", distributionMethod: "self_service" });
    const auto = await t.deploy({ name: "Editor (auto)" });
    await run(t, [m], 8);
    expect(t.target(ss.id, "CONFLICT-1")).toMatchObject({
      status: "unqualified",
      reason: `App Installer "Editor (auto)" (#${auto.id}) takes precedence: Install automatically wins over Make available in Self Service`,
    });
    expect(t.target(auto.id, "CONFLICT-1")?.status).toBe("installed");
    expect(t.commandsOf("CONFLICT-1", "InstallEnterpriseApplication").length).toBe(1);
  });

  it("an incompatible Mac is Failed with the reason; one without device information waits", async () => {
    const t = await setup();
    const intel = t.mac("INTEL-1", { model: "MacBookPro16,1", appleSilicon: false, osVersion: "14.5" });
    const old = t.mac("OLD-1", { osVersion: "13.6.7" });
    await intel.enroll();
    await old.enroll();
    const silent = t.mac("SILENT-1");
    silent.online = false;
    await silent.mac.enroll();
    // Authenticate gave it a model (arm64) but no DeviceInformation answer: force the unknown case.
    t.deps.db.update(computers).set({ architecture: null }).where(eq(computers.udid, "SILENT-1")).run();
    const { id } = await t.deploy({ name: "Viewer", titleId: t.title("com.example.viewer") });
    expect(t.target(id, "INTEL-1")).toMatchObject({ status: "failed", reason: "Not available for Intel (x86_64)" });
    expect(t.target(id, "OLD-1")).toMatchObject({ status: "failed", reason: "Requires macOS 14.0 or later (this Mac runs 13.6.7)" });
    expect(t.target(id, "SILENT-1")).toMatchObject({ status: "in_progress", phase: "waiting_for_device_information" });
  });
});
