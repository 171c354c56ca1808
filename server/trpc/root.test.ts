import { describe, expect, it } from "vitest";

import { HOUR, systemClock } from "@/server/clock";
import { createDeps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { silentLogger } from "@/server/log";
import { createTestDeps, TEST_START } from "@/server/testing";
import { createDb } from "@/db/client";
import { computers, installedApps } from "@/db/schema";

import { createContext, createContextInner } from "./context";
import { TEST_ADMIN } from "@/server/trpc/test-caller";
import { createCallerFactory } from "./init";
import { appRouter } from "./root";

import { codeOf } from "./test-caller";

const createCaller = createCallerFactory(appRouter);


describe("appRouter", () => {
  it("names every router of DESIGN §4.2", () => {
    const routers = new Set(Object.keys(appRouter._def.procedures).map((p) => p.split(".")[0]));
    for (const name of ["computers", "catalog", "system"]) expect(routers).toContain(name);
    expect(Object.keys(appRouter._def.record).sort()).toEqual(["audit", "catalog", "computers", "deployments", "enrollment", "selfService", "smartGroups", "system", "users"]);
  });

  it("catalog.sync, list and get", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    expect((await caller.catalog.sync()).titles).toBeGreaterThanOrEqual(30);
    const list = await caller.catalog.list();
    const firefox = list.find((t) => t.bundleId === "org.mozilla.firefox");
    expect(firefox?.name).toBe("Mozilla Firefox");
    const one = await caller.catalog.get({ id: firefox!.id });
    expect(one.versions.length).toBe(firefox!.versions.length);
    expect(await codeOf(caller.catalog.get({ id: 99999 }))).toBe("NOT_FOUND");
    expect(await codeOf(caller.catalog.get({ id: -1 }))).toBe("BAD_REQUEST");
  });

  it("computers.list searches and paginates; get and history find a computer", async () => {
    const deps = createTestDeps();
    const now = TEST_START;
    const rows = Array.from({ length: 30 }, (_, i) => ({
      udid: `UDID-${String(i).padStart(2, "0")}`,
      name: `Mac ${String(i).padStart(2, "0")}`,
      serialNumber: `C02X${String(i).padStart(4, "0")}`,
      osVersion: "14.5",
      createdAt: now,
      updatedAt: now,
    }));
    deps.db.insert(computers).values(rows).run();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    const page2 = await caller.computers.list({ page: 2, pageSize: 10 });
    expect(page2.total).toBe(30);
    expect(page2.items.map((c) => c.name)).toEqual(Array.from({ length: 10 }, (_, i) => `Mac ${i + 10}`));
    const found = await caller.computers.list({ search: "C02X0007" });
    expect(found.items.map((c) => c.udid)).toEqual(["UDID-07"]);
    expect((await caller.computers.list({ search: "100%" })).total).toBe(0);

    const id = found.items[0]!.id;
    deps.db.insert(installedApps).values({ computerId: id, bundleId: "com.google.Chrome", name: "Google Chrome", version: "131.0.6778.86" }).run();
    const byUdid = await caller.computers.get({ udid: "UDID-07" });
    expect(byUdid).toMatchObject({ id, name: "Mac 07", installedApps: [{ bundleId: "com.google.Chrome", version: "131.0.6778.86" }], groups: [], deployments: [] });
    expect(await caller.computers.history({ id })).toEqual({ commands: [], events: [] });
    expect(await codeOf(caller.computers.get({ id: 4242 }))).toBe("NOT_FOUND");
    expect(await codeOf(caller.computers.history({ id: 4242 }))).toBe("NOT_FOUND");
  });

  it("system.tick moves the simulated clock; system.settings shows defaults and the clock", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    const { now } = await caller.system.tick({ advanceMs: 6 * HOUR });
    expect(now.toISOString()).toBe(new Date(TEST_START.getTime() + 6 * HOUR).toISOString());
    const settings = await caller.system.settings();
    expect(settings).toMatchObject({ dispatchWindowMs: 15 * 60_000, maxAttempts: 3, retryIntervalMs: 6 * HOUR, clock: { simulated: true } });
    expect(await caller.system.updateSettings({ maxAttempts: 5 })).toMatchObject({ maxAttempts: 5 });
    expect(await codeOf(caller.system.updateSettings({ maxAttempts: 0 }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.system.tick({ advanceMs: -5 }))).toBe("BAD_REQUEST");
  });

  it("system.tick is refused on the system clock", async () => {
    const deps = createDeps({ env: parseEnv({ POMONA_DB: ":memory:" }), db: createDb(":memory:"), clock: systemClock, log: silentLogger });
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    expect(await codeOf(caller.system.tick({ advanceMs: 1000 }))).toBe("PRECONDITION_FAILED");
  });

  it("a wrong bearer token is UNAUTHORIZED; POMONA_API_TOKEN is accepted", async () => {
    const deps = createTestDeps({ POMONA_API_TOKEN: "test-admin-token-0123456789" });
    (globalThis as { __pomonaDeps?: unknown }).__pomonaDeps = deps;
    try {
      const withBearer = (token: string) => createCaller(() => createContext({ req: new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${token}` } }) }));
      expect(await codeOf(withBearer("wrong").catalog.list())).toBe("UNAUTHORIZED");
      expect(await withBearer("test-admin-token-0123456789").catalog.list()).toEqual([]);
    } finally {
      delete (globalThis as { __pomonaDeps?: unknown }).__pomonaDeps;
    }
  });
});
