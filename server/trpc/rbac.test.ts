// The RBAC matrix (Step 6): every mutation the router defines, for every kind of caller. Anonymous callers
// are UNAUTHORIZED, auditors FORBIDDEN, admins succeed and leave exactly one audit row; a failing admin call
// leaves none. Every query is closed to anonymous callers and open to auditors. A procedure added to the
// router without a row here fails the first test.
import crypto from "node:crypto";

import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

import type { Actor } from "@/server/auth/actor";
import { enqueueCommand } from "@/server/queue/queue";
import { syncCatalog } from "@/server/services/catalog";
import { runPendingScopes } from "@/server/services/engine-passes";
import { selfServiceSignature } from "@/server/services/self-service-links";
import { pushCertificate, rsaKeys } from "@/server/services/test-push-certificate";
import { actingAs, createTestDeps, type TestDeps } from "@/server/testing";
import { auditLog, catalogTitles, computers, deploymentTargets, events, user, type Role } from "@/db/schema";

import { createContextInner } from "./context";
import { createCallerFactory } from "./init";
import { appRouter } from "./root";
import { codeOf } from "./test-caller";

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

const ANONYMOUS: Actor = { kind: "anonymous" };
const AUDITOR: Actor = { kind: "user", id: "u-auditor", name: "auditor@example.com", role: "auditor" };
const AUDITOR_TOKEN: Actor = { kind: "token", id: "7", name: "token:reader", role: "auditor" };
const ADMIN: Actor = { kind: "user", id: "u-admin", name: "admin@example.com", role: "admin" };
const ADMIN_TOKEN: Actor = { kind: "token", id: "8", name: "token:ci", role: "admin" };

/** A fleet with one of everything a mutation can act on. */
async function seeded() {
  const deps = createTestDeps();
  await syncCatalog(deps);
  const now = deps.clock.now();
  const computerId = deps.db
    .insert(computers)
    .values({ udid: "UDID-RBAC", name: "Lab Mac", serialNumber: "SNRBAC", osVersion: "15.1", architecture: "arm64", enrolled: true, lastInventoryAt: now, lastCheckinAt: now, createdAt: now, updatedAt: now })
    .returning({ id: computers.id })
    .get().id;
  const admin = createCaller(createContextInner({ deps, actor: actingAs("setup@example.com") }));
  const group = await admin.smartGroups.create({ name: "Everyone", criteria: [] });
  const spare = await admin.smartGroups.create({ name: "Spare", criteria: [] });
  const titleId = (bundleId: string) => deps.db.select().from(catalogTitles).where(eq(catalogTitles.bundleId, bundleId)).get()!.id;
  const installer = await admin.deployments.create({ name: "Firefox", titleId: titleId("org.mozilla.firefox"), smartGroupId: group.id, distributionMethod: "install_automatically", updateMethod: "automatic" });
  const selfService = await admin.deployments.create({ name: "Discord", titleId: titleId("com.hnc.Discord"), smartGroupId: group.id, distributionMethod: "self_service", updateMethod: "automatic" });
  await runPendingScopes(deps); // answered at their commits: every target once the passes behind them end
  const enrollmentToken = await admin.enrollment.createToken({ label: "lab" });
  const apiToken = await admin.system.createApiToken({ label: "script", role: "auditor" });
  // Accounts inserted directly: their passwords play no part here, and scrypt at full cost is slow.
  const account = (id: string, email: string, role: Role) => deps.db.insert(user).values({ id, email, name: email, role, createdAt: now, updatedAt: now }).run();
  account("u-person", "person@example.com", "auditor");
  account("u-second-admin", "second-admin@example.com", "admin");
  const person = { id: "u-person" };
  const command = enqueueCommand(deps.db, { computerId, command: { RequestType: "DeviceInformation", Queries: ["OSVersion"] }, purpose: "admin" }, now);
  return { deps, computerId, group, spare, installer, selfService, enrollmentToken, apiToken, person, command, titleId };
}
type Seed = Awaited<ReturnType<typeof seeded>>;

let push: { certificatePem: string; privateKeyPem: string };
beforeAll(() => {
  const keys = rsaKeys();
  push = { certificatePem: pushCertificate(keys, { uid: `com.apple.mgmt.External.${crypto.randomUUID()}` }), privateKeyPem: keys.privatePem };
});

/** Each mutation: a call that succeeds for an admin on a fresh seed, and one that fails (no audit row). */
const MUTATIONS: Record<string, { ok: (c: Caller, s: Seed) => Promise<unknown>; fails: (c: Caller, s: Seed) => Promise<unknown> }> = {
  "computers.cancelCommand": { ok: (c, s) => c.computers.cancelCommand({ uuid: s.command.uuid }), fails: (c) => c.computers.cancelCommand({ uuid: "no-such-command" }) },
  "computers.updateInventory": { ok: (c, s) => c.computers.updateInventory({ id: s.computerId }), fails: (c) => c.computers.updateInventory({ id: 9999 }) },
  "smartGroups.create": { ok: (c) => c.smartGroups.create({ name: "New", criteria: [] }), fails: (c) => c.smartGroups.create({ name: "Everyone", criteria: [] }) },
  "smartGroups.update": { ok: (c, s) => c.smartGroups.update({ id: s.spare.id, name: "Renamed" }), fails: (c, s) => c.smartGroups.update({ id: s.spare.id, name: "Everyone" }) },
  "smartGroups.delete": { ok: (c, s) => c.smartGroups.delete({ id: s.spare.id }), fails: (c, s) => c.smartGroups.delete({ id: s.group.id }) },
  "catalog.sync": {
    ok: (c, s) => {
      delete s.deps.env.POMONA_CATALOG_FEED;
      return c.catalog.sync();
    },
    fails: (c, s) => {
      s.deps.env.POMONA_CATALOG_FEED = "/nonexistent/feed.json";
      return c.catalog.sync();
    },
  },
  "deployments.create": {
    ok: (c, s) => c.deployments.create({ name: "Zoom", titleId: s.titleId("us.zoom.xos"), smartGroupId: s.group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }),
    fails: (c, s) => c.deployments.create({ name: "Zoom", titleId: 99_999, smartGroupId: s.group.id, distributionMethod: "install_automatically", updateMethod: "automatic" }),
  },
  "deployments.update": { ok: (c, s) => c.deployments.update({ id: s.installer.id, name: "Firefox for all" }), fails: (c) => c.deployments.update({ id: 9999, name: "x" }) },
  "deployments.setEnabled": { ok: (c, s) => c.deployments.setEnabled({ id: s.installer.id, enabled: false }), fails: (c) => c.deployments.setEnabled({ id: 9999, enabled: false }) },
  "deployments.retryFailed": { ok: (c, s) => c.deployments.retryFailed({ id: s.installer.id }), fails: (c) => c.deployments.retryFailed({ id: 9999 }) },
  "selfService.install": {
    ok: (c, s) => c.selfService.install({ computerId: s.computerId, deploymentId: s.selfService.id }),
    fails: (c, s) => c.selfService.install({ computerId: s.computerId, deploymentId: s.installer.id }),
  },
  "enrollment.createToken": { ok: (c) => c.enrollment.createToken({ label: "more" }), fails: (c, s) => c.enrollment.createToken({ expiresAt: new Date(s.deps.clock.now().getTime() - 1000).toISOString() }) },
  "enrollment.revokeToken": { ok: (c, s) => c.enrollment.revokeToken({ id: s.enrollmentToken.id }), fails: (c) => c.enrollment.revokeToken({ id: 9999 }) },
  "system.updateSettings": { ok: (c) => c.system.updateSettings({ maxAttempts: 4 }), fails: (c) => c.system.updateSettings({ maxAttempts: 0 }) },
  "system.tick": { ok: (c) => c.system.tick({ advanceMs: 60_000 }), fails: (c) => c.system.tick({ advanceMs: -1 }) },
  "system.uploadPushCertificate": { ok: (c) => c.system.uploadPushCertificate(push), fails: (c) => c.system.uploadPushCertificate({ ...push, privateKeyPem: "not a key" }) },
  "system.createApiToken": { ok: (c) => c.system.createApiToken({ label: "deploy", role: "admin" }), fails: (c) => c.system.createApiToken({ label: "", role: "admin" }) },
  "system.revokeApiToken": { ok: (c, s) => c.system.revokeApiToken({ id: s.apiToken.id }), fails: (c) => c.system.revokeApiToken({ id: 9999 }) },
  "users.create": { ok: (c) => c.users.create({ email: "new@example.com", role: "auditor" }), fails: (c) => c.users.create({ email: "person@example.com", role: "auditor" }) },
  "users.setRole": { ok: (c, s) => c.users.setRole({ id: s.person.id, role: "admin" }), fails: (c) => c.users.setRole({ id: "nobody", role: "admin" }) },
  "users.resetPassword": { ok: (c, s) => c.users.resetPassword({ id: s.person.id }), fails: (c) => c.users.resetPassword({ id: "nobody" }) },
  "users.delete": { ok: (c, s) => c.users.delete({ id: s.person.id }), fails: (c) => c.users.delete({ id: "nobody" }) },
};

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>);
const mutations = procedures.filter(([, p]) => p._def.type === "mutation").map(([path]) => path);
const queries = procedures.filter(([, p]) => p._def.type === "query").map(([path]) => path);

const auditRows = (deps: TestDeps) => deps.db.select().from(auditLog).all();
const call = (caller: Caller, path: string, input: unknown) => {
  const [router, name] = path.split(".") as [string, string];
  const fn = (caller as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[router]![name]!;
  return fn(input);
};

describe("RBAC matrix", () => {
  it("lists every mutation of the router, and only those", () => {
    expect(mutations.length).toBeGreaterThan(15);
    expect(Object.keys(MUTATIONS).sort()).toEqual([...mutations].sort());
  });

  it.each(mutations)("%s: anonymous → UNAUTHORIZED, auditor → FORBIDDEN, nothing written", async (path) => {
    const s = await seeded();
    const before = { audit: auditRows(s.deps).length, events: s.deps.db.select().from(events).all().filter((e) => e.category !== "security").length };
    for (const [actor, code] of [
      [ANONYMOUS, "UNAUTHORIZED"],
      [AUDITOR, "FORBIDDEN"],
      [AUDITOR_TOKEN, "FORBIDDEN"],
    ] as const) {
      expect(await codeOf(MUTATIONS[path]!.ok(createCaller(createContextInner({ deps: s.deps, actor })), s)), `${actor.kind} ${path}`).toBe(code);
    }
    expect({ audit: auditRows(s.deps).length, events: s.deps.db.select().from(events).all().filter((e) => e.category !== "security").length }).toEqual(before);
    // Each refusal is itself recorded as a security event.
    expect(s.deps.db.select().from(events).all().filter((e) => e.type === "admin.access_denied" && (e.data as { path?: string }).path === path)).toHaveLength(3);
  });

  it.each(mutations)("%s: an admin succeeds with exactly one audit row naming them; a failing call writes none", async (path) => {
    for (const actor of [ADMIN, ADMIN_TOKEN]) {
      const s = await seeded();
      const caller = createCaller(createContextInner({ deps: s.deps, actor }));
      const before = auditRows(s.deps).length;
      expect(await codeOf(MUTATIONS[path]!.fails(caller, s))).not.toBe("no error");
      expect(auditRows(s.deps)).toHaveLength(before);
      expect(await codeOf(MUTATIONS[path]!.ok(caller, s))).toBe("no error");
      const added = auditRows(s.deps).slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({ actorKind: actor.kind, actorName: actor.name, actorRole: "admin", at: s.deps.clock.now() });
      expect(added[0]!.summary.length).toBeGreaterThan(0);
    }
  });

  it.each(queries)("%s: anonymous → UNAUTHORIZED; an auditor may read", async (path) => {
    const s = await seeded();
    const inputs: Record<string, unknown> = {
      "computers.get": { id: s.computerId },
      "computers.history": { id: s.computerId },
      "smartGroups.get": { id: s.group.id },
      "smartGroups.preview": { criteria: [] },
      "smartGroups.members": { id: s.group.id },
      "catalog.get": { id: s.titleId("org.mozilla.firefox") },
      "deployments.get": { id: s.installer.id },
      "deployments.targets": { id: s.installer.id },
      "deployments.preview": { name: "x", titleId: s.titleId("org.mozilla.firefox"), smartGroupId: s.group.id, distributionMethod: "install_automatically", updateMethod: "automatic" },
      "deployments.previewUpdate": { id: s.installer.id },
      "deployments.activity": { id: s.installer.id },
      "deployments.events": { id: s.installer.id },
      "selfService.available": { computerId: s.computerId },
      "selfService.computer": { computerId: s.computerId },
      "selfService.link": { computerId: s.computerId },
      "audit.list": {},
    };
    const as = (actor: Actor) => createCaller(createContextInner({ deps: s.deps, actor }));
    expect(await codeOf(call(as(ANONYMOUS), path, inputs[path]))).toBe("UNAUTHORIZED");
    // A signed Self Service link hands its holder an install on that Mac: an admin power, though a query.
    expect(await codeOf(call(as(AUDITOR), path, inputs[path]))).toBe(path === "selfService.link" ? "FORBIDDEN" : "no error");
    expect(await codeOf(call(as(ADMIN), path, inputs[path]))).toBe("no error");
  });

  it("the Self Service end user needs no account, only the computer's signed link", async () => {
    const s = await seeded();
    const endUser = createCaller(createContextInner({ deps: s.deps, actor: ANONYMOUS }));
    const signature = selfServiceSignature(s.deps, s.computerId);
    expect(await endUser.selfService.available({ computerId: s.computerId, signature })).toHaveLength(1);
    const before = auditRows(s.deps).length;
    expect(await endUser.selfService.install({ computerId: s.computerId, deploymentId: s.selfService.id, signature })).toMatchObject({ requested: true });
    expect(auditRows(s.deps)).toHaveLength(before); // not an admin action: it is in the computer's history instead
    expect(s.deps.db.select().from(deploymentTargets).where(eq(deploymentTargets.deploymentId, s.selfService.id)).get()?.selfServiceRequestedAt).not.toBeNull();
  });
});

describe("audit log", () => {
  it("cannot be updated or deleted, even with direct SQL through the app's connection", async () => {
    const s = await seeded();
    const rows = auditRows(s.deps).length;
    expect(rows).toBeGreaterThan(0);
    expect(() => s.deps.db.$client.prepare("update audit_log set summary = 'edited'").run()).toThrow(/append-only/);
    expect(() => s.deps.db.$client.prepare("delete from audit_log").run()).toThrow(/append-only/);
    expect(auditRows(s.deps)).toHaveLength(rows);
    expect(auditRows(s.deps).some((r) => r.summary === "edited")).toBe(false);
  });

  it("audit.list filters by actor, action, target type, text and time, newest first", async () => {
    const s = await seeded();
    const c = createCaller(createContextInner({ deps: s.deps, actor: AUDITOR }));
    const all = await c.audit.list({});
    expect(all.total).toBe(auditRows(s.deps).length);
    expect(all.items.map((i) => i.id)).toEqual([...all.items.map((i) => i.id)].sort((a, b) => b - a));
    expect((await c.audit.list({ action: "deployment.created" })).items.map((i) => i.targetName)).toEqual(["Discord", "Firefox"]);
    expect((await c.audit.list({ targetType: "api_token" })).items.map((i) => i.targetName)).toEqual(["script"]);
    expect((await c.audit.list({ actor: "setup@example.com" })).total).toBe(all.total);
    expect((await c.audit.list({ search: "Firefox" })).items.every((i) => `${i.summary} ${i.targetName}`.includes("Firefox"))).toBe(true);
    expect((await c.audit.list({ search: "100%" })).total).toBe(0); // % is literal, not a wildcard
    const later = new Date(s.deps.clock.now().getTime() + 1000).toISOString();
    expect((await c.audit.list({ from: later })).total).toBe(0);
    expect((await c.audit.list({ to: later })).total).toBe(all.total);
    const facets = await c.audit.facets();
    expect(facets.actors).toEqual(["setup@example.com"]);
    for (const type of ["api_token", "deployment", "enrollment_token", "smart_group"]) expect(facets.targetTypes).toContain(type);
  });
});
