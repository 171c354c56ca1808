// Inventory on its own interval (DESIGN §3.4 item 4): due Macs, the stalest first, a bounded batch per tick.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { HOUR } from "@/server/clock";
import { createTestDeps } from "@/server/testing";
import { commands, computers, installedApps } from "@/db/schema";

import { applyDeviceInformation, applyInstalledApplicationList, queueDueInventory, type InstalledApplicationAnswer } from "./devices";

describe("queueDueInventory", () => {
  it("asks the stalest due Macs first, at most a batch per call, and never twice while a request is open", () => {
    const deps = createTestDeps();
    const now = deps.clock.now();
    const ago = (hours: number | null) => (hours === null ? null : new Date(now.getTime() - hours * HOUR));
    const ages: (number | null)[] = [30, null, 2, 50, 26, 40]; // hours since the last full inventory
    const ids = ages.map(
      (age, i) =>
        deps.db
          .insert(computers)
          .values({ udid: `INV-${i}`, enrolled: true, lastInventoryAt: ago(age), createdAt: now, updatedAt: now })
          .returning({ id: computers.id })
          .get().id,
    );
    const first = queueDueInventory(deps, 24 * HOUR, 3);
    expect(first).toEqual([ids[1], ids[3], ids[5]]); // never inventoried, then 50 h and 40 h
    expect(queueDueInventory(deps, 24 * HOUR, 3)).toEqual([ids[0], ids[4]]); // the 2 h Mac is not due
    expect(queueDueInventory(deps, 24 * HOUR, 3)).toEqual([]); // every due Mac has a request open
    const queued = deps.db.select({ computerId: commands.computerId, requestType: commands.requestType }).from(commands).all();
    expect(queued).toHaveLength(10);
    expect(queued.filter((c) => c.computerId === ids[2])).toEqual([]);
    expect(deps.db.select().from(commands).where(eq(commands.computerId, ids[1]!)).all().map((c) => c.requestType).sort()).toEqual(["DeviceInformation", "InstalledApplicationList"]);
  });

  const addMac = (deps: ReturnType<typeof createTestDeps>, udid: string, lastInventoryAt: Date | null) => {
    const now = deps.clock.now();
    return deps.db.insert(computers).values({ udid, enrolled: true, lastInventoryAt, createdAt: now, updatedAt: now }).returning({ id: computers.id }).get().id;
  };

  it("a Mac whose request stays open is looked at once per interval: the next calls reach the Macs after it", () => {
    const deps = createTestDeps();
    const t0 = deps.clock.now();
    const a = addMac(deps, "OPEN-A", null);
    expect(queueDueInventory(deps, 24 * HOUR, 1)).toEqual([a]); // A never answers
    const c = addMac(deps, "DUE-C", new Date(t0.getTime() + 60_000)); // checked a minute after A was asked
    deps.clock.advance(25 * HOUR);
    expect(queueDueInventory(deps, 24 * HOUR, 1)).toEqual([]); // A is looked at, its request still open
    expect(queueDueInventory(deps, 24 * HOUR, 1)).toEqual([c]); // the walk has moved past A
    expect(queueDueInventory(deps, 24 * HOUR, 1)).toEqual([]);
    expect(deps.db.select().from(commands).where(eq(commands.computerId, a)).all()).toHaveLength(2); // never asked twice
  });

  it("a request that failed is asked again an interval after it was made, not on the next tick", () => {
    const deps = createTestDeps();
    const a = addMac(deps, "FAILS", null);
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([a]);
    deps.db.update(commands).set({ status: "error" }).where(eq(commands.computerId, a)).run();
    deps.clock.advance(HOUR);
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([]);
    deps.clock.advance(23 * HOUR + 1);
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([a]);
  });

  it("an answer resets the interval: a Mac inventoried since it was asked is due an interval after the answer", () => {
    const deps = createTestDeps();
    const a = addMac(deps, "ANSWERS", null);
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([a]);
    deps.clock.advance(10 * HOUR);
    deps.db.update(commands).set({ status: "acknowledged" }).where(eq(commands.computerId, a)).run();
    applyInstalledApplicationList(deps.db, a, [], deps.clock.now());
    deps.clock.advance(20 * HOUR); // 30 h after the request, 20 h after the answer
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([]);
    deps.clock.advance(4 * HOUR + 1);
    expect(queueDueInventory(deps, 24 * HOUR, 5)).toEqual([a]);
  });
});

describe("applyInstalledApplicationList", () => {
  const safari = { Identifier: "com.apple.Safari", Name: "Safari", ShortVersion: "18.1", Version: "20619.2.8", BundleSize: 1000 };
  const zoom = { Identifier: "us.zoom.xos", Name: "zoom.us", ShortVersion: "6.2.0", Version: "6.2.0 (41823)", BundleSize: 2000 };
  const script = { Name: "Helper Script" }; // no Identifier: kept by name
  const setup = () => {
    const deps = createTestDeps();
    const now = deps.clock.now();
    const id = deps.db.insert(computers).values({ udid: "APPS-1", enrolled: true, createdAt: now, updatedAt: now }).returning({ id: computers.id }).get().id;
    const rows = () =>
      deps.db
        .select({ id: installedApps.id, bundleId: installedApps.bundleId, name: installedApps.name, shortVersion: installedApps.shortVersion, version: installedApps.version, bundleSize: installedApps.bundleSize, installing: installedApps.installing })
        .from(installedApps)
        .where(eq(installedApps.computerId, id))
        .all()
        .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
    const apply = (apps: InstalledApplicationAnswer[], identifiers?: string[]) => applyInstalledApplicationList(deps.db, id, apps, now, { identifiers });
    return { deps, rows, apply, content: () => rows().map(({ id: _id, ...r }) => r) };
  };

  it("stores exactly the answer's apps, and a repeat of the same list writes no row", () => {
    const t = setup();
    t.apply([safari, zoom, script, script]);
    const before = t.rows();
    expect(before.map((r) => r.name)).toEqual(["Helper Script", "Helper Script", "Safari", "zoom.us"]);
    t.apply([zoom, script, safari, script]);
    expect(t.rows()).toEqual(before); // same rows, same ids: nothing deleted or inserted
  });

  it("writes only the difference: a changed version replaces that row, a removed app goes, duplicates count", () => {
    const t = setup();
    t.apply([safari, zoom, script, script]);
    const safariId = t.rows().find((r) => r.name === "Safari")!.id;
    t.apply([safari, { ...zoom, ShortVersion: "6.3.0" }, script, { Identifier: "com.example.new", Name: "New", Installing: true }]);
    expect(t.content()).toEqual([
      { bundleId: null, name: "Helper Script", shortVersion: null, version: null, bundleSize: null, installing: false },
      { bundleId: "com.example.new", name: "New", shortVersion: null, version: null, bundleSize: null, installing: true },
      { bundleId: "com.apple.Safari", name: "Safari", shortVersion: "18.1", version: "20619.2.8", bundleSize: 1000, installing: false },
      { bundleId: "us.zoom.xos", name: "zoom.us", shortVersion: "6.3.0", version: "6.2.0 (41823)", bundleSize: 2000, installing: false },
    ]);
    expect(t.rows().find((r) => r.name === "Safari")!.id).toBe(safariId);
    t.apply([]);
    expect(t.rows()).toEqual([]);
  });

  it("an answer to a command limited to Identifiers replaces only those bundle ids, and one absent from it is gone", () => {
    const t = setup();
    t.apply([safari, zoom, script]);
    t.apply([{ ...zoom, ShortVersion: "6.4.0" }], ["us.zoom.xos"]);
    expect(t.content().map((r) => `${r.name} ${r.shortVersion ?? ""}`)).toEqual(["Helper Script ", "Safari 18.1", "zoom.us 6.4.0"]);
    t.apply([], ["com.example.never-installed"]);
    expect(t.content()).toHaveLength(3);
    t.apply([], ["us.zoom.xos"]); // asked for and not in the answer: uninstalled
    expect(t.content().map((r) => r.name)).toEqual(["Helper Script", "Safari"]);
    // An app the Mac answered with beside the one asked for replaces its stored row too, not a second one.
    t.apply([{ ...safari, ShortVersion: "18.2" }], ["us.zoom.xos"]);
    expect(t.content().map((r) => `${r.name} ${r.shortVersion ?? ""}`)).toEqual(["Helper Script ", "Safari 18.2"]);
  });
});

describe("applyDeviceInformation", () => {
  it("stores what the answer reports, keeps what it leaves out, and reads the architecture from IsAppleSilicon or the model", () => {
    const deps = createTestDeps();
    const now = deps.clock.now();
    const id = deps.db.insert(computers).values({ udid: "DI-1", name: "old name", enrolled: true, createdAt: now, updatedAt: now }).returning({ id: computers.id }).get().id;
    const row = () => {
      const c = deps.db.select().from(computers).where(eq(computers.id, id)).get()!;
      return { name: c.name, osVersion: c.osVersion, buildVersion: c.buildVersion, model: c.model, modelName: c.modelName, productName: c.productName, serialNumber: c.serialNumber, architecture: c.architecture, deviceInformationAt: c.deviceInformationAt?.getTime() };
    };
    applyDeviceInformation(deps.db, id, { DeviceName: "Design Lab Mac 07", OSVersion: "14.5", BuildVersion: "23F79", Model: "Mac14,2", ModelName: "MacBook Air", ProductName: "Mac14,2", SerialNumber: "C02XYZ", IsAppleSilicon: true }, now);
    expect(row()).toEqual({ name: "Design Lab Mac 07", osVersion: "14.5", buildVersion: "23F79", model: "Mac14,2", modelName: "MacBook Air", productName: "Mac14,2", serialNumber: "C02XYZ", architecture: "arm64", deviceInformationAt: now.getTime() });
    const later = new Date(now.getTime() + HOUR);
    applyDeviceInformation(deps.db, id, { OSVersion: "15.1" }, later); // a partial answer
    expect(row()).toEqual({ name: "Design Lab Mac 07", osVersion: "15.1", buildVersion: "23F79", model: "Mac14,2", modelName: "MacBook Air", productName: "Mac14,2", serialNumber: "C02XYZ", architecture: "arm64", deviceInformationAt: later.getTime() });
    applyDeviceInformation(deps.db, id, { Model: "MacBookPro16,1" }, later); // no IsAppleSilicon (macOS 11): from the model
    expect(row()).toMatchObject({ model: "MacBookPro16,1", architecture: "x86_64" });
  });
});
