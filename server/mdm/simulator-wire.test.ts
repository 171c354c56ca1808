// The virtual fleet (simulator/, which shares no code with the server) against the real /mdm handler over
// HTTP: enrollment profile, PKCS#12 identity, Mdm-Signature, check-ins, local pushes to the fleet's wake
// server, inventory answers, and an InstallEnterpriseApplication of a Pomona-hosted package.
import http from "node:http";
import type { AddressInfo } from "node:net";

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildInstallEnterpriseApplication, buildInstalledApplicationList } from "@/server/queue/commands";
import { enqueueCommand } from "@/server/queue/queue";
import { syncCatalog } from "@/server/services/catalog";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { getVersionManifest } from "@/server/services/manifests";
import { pushComputers } from "@/server/services/push";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { catalogTitles, catalogVersions, computers, installedApps } from "@/db/schema";
import { createFleet, generateFleetSpecs, type Fleet } from "@/simulator/fleet";
import { VirtualMac, type MacEvent } from "@/simulator/mac";
import { decodePlist as decodeSimPlist, encodePlist as encodeSimPlist, PlistReal } from "@/simulator/plist";

import { handleMdmHttp } from "./http";
import { decodePlist } from "./plist";

const DEVICES = 5;

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("the virtual fleet against Pomona's /mdm over HTTP", () => {
  let deps: TestDeps;
  let server: http.Server;
  let fleet: Fleet;
  const answers: { method: string; path: string; status: number; contentType: string }[] = [];

  beforeAll(async () => {
    // Listen first (the profile's URLs need the port), then create deps and route to them.
    let handler: http.RequestListener = (_req, res) => void res.writeHead(503).end();
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    deps = createTestDeps({ POMONA_PUBLIC_URL: base });
    handler = (req, res) => {
      const path = new URL(req.url ?? "/", base).pathname;
      res.once("finish", () => answers.push({ method: req.method ?? "", path, status: res.statusCode, contentType: req.headers["content-type"] ?? "" }));
      void handleMdmHttp(deps, req, res);
    };
    const { token } = createEnrollmentToken(deps, { label: "sim" }, actingAs("test"));
    fleet = createFleet({ server: base, token, devices: DEVICES, seed: 2024, pollIntervalMs: 3_000, installDurationMs: [150, 250], openAppRate: 0 });
    await fleet.start();
  });

  afterAll(async () => {
    await fleet?.stop();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  it("[SIM][WIRE]: every Mac enrolls, answers DeviceInformation and InstalledApplicationList, and every signature verifies", async () => {
    expect(deps.env.POMONA_DEVICE_AUTH).not.toBe("none");
    expect(fleet.stats()).toMatchObject({ enrolled: DEVICES, enrollFailed: 0 });

    const rows = await until("inventory of every Mac", () => {
      const all = deps.db.select().from(computers).all();
      const ready = all.filter((c) => c.enrolled && c.architecture !== null && c.osVersion !== null);
      if (ready.length < DEVICES) return false;
      const withApps = ready.filter((c) => deps.db.select().from(installedApps).where(eq(installedApps.computerId, c.id)).all().length > 0);
      return withApps.length === DEVICES ? ready : false;
    });

    for (const mac of fleet.macs) {
      const row = rows.find((c) => c.udid === mac.udid);
      expect(row, mac.udid).toBeDefined();
      expect(row).toMatchObject({
        serialNumber: mac.spec.serialNumber,
        name: mac.spec.deviceName,
        model: mac.spec.model.identifier,
        modelName: mac.spec.model.name,
        osVersion: mac.spec.os.version,
        buildVersion: mac.spec.os.build,
        architecture: mac.spec.model.architecture,
      });
      // The push token is the wake URL's UTF-8, and the pushes reached this fleet's wake server.
      expect(Buffer.from(row!.pushToken!, "hex").toString("utf8")).toBe(`${fleet.wakeUrl}/wake/${mac.udid}`);
      expect(row!.pushMagic).toBe(mac.pushMagic);
      const apps = deps.db.select().from(installedApps).where(eq(installedApps.computerId, row!.id)).all();
      expect(apps.map((a) => a.bundleId).sort()).toEqual(mac.spec.apps.map((a) => a.identifier ?? null).sort());
      expect(apps.find((a) => a.bundleId === "com.apple.Safari")).toMatchObject({ installing: false });
    }

    // Every request got a 200: no refused signature, no refused body (POMONA_DEVICE_AUTH=signature by default).
    const puts = answers.filter((a) => a.method === "PUT");
    expect(puts.length).toBeGreaterThanOrEqual(DEVICES * 5); // Authenticate, TokenUpdate, Idle, 2 reports
    expect(puts.filter((a) => a.status !== 200)).toEqual([]);
    expect(puts.filter((a) => a.contentType === "application/x-apple-aspen-mdm-checkin")).toHaveLength(DEVICES * 2);
    expect(answers.filter((a) => a.path === "/mdm/enroll").map((a) => a.status)).toEqual(Array(DEVICES).fill(200));
    const stats = fleet.stats();
    expect(stats).toMatchObject({ rejected: 0, networkErrors: 0, formatErrors: 0 });
    expect(stats.pushesReceived).toBeGreaterThanOrEqual(DEVICES);
    expect(stats.acknowledged).toBeGreaterThanOrEqual(DEVICES * 2);
  });

  it("[SIM][WIRE][INSTALL]: a Mac installs a Pomona-hosted package from its manifest, verified by chunk hashes", async () => {
    await syncCatalog(deps);
    const version = deps.db
      .select({ id: catalogVersions.id, version: catalogVersions.version, shortVersion: catalogVersions.shortVersion, packageUrl: catalogVersions.packageUrl })
      .from(catalogVersions)
      .innerJoin(catalogTitles, eq(catalogTitles.id, catalogVersions.titleId))
      .where(eq(catalogTitles.bundleId, "com.knollsoft.Rectangle"))
      .all()
      .find((v) => v.packageUrl === null);
    expect(version).toBeDefined();
    const manifest = getVersionManifest(deps, version!.id)!;
    expect(manifest.check).toEqual({ ok: true });
    expect(manifest.manifest.items[0]!.assets[0]!.sha256s.length).toBeGreaterThan(1);

    const mac = fleet.macs[0]!;
    const computer = deps.db.select().from(computers).where(eq(computers.udid, mac.udid)).get()!;
    enqueueCommand(deps.db, { computerId: computer.id, command: buildInstallEnterpriseApplication({ manifestUrl: manifest.manifestUrl }), purpose: "admin" }, deps.clock.now());
    await pushComputers(deps, [computer.id]);
    const expected = version!.shortVersion ?? version!.version;
    await until("the install on the virtual Mac", () => !mac.installing && mac.app("com.knollsoft.Rectangle")?.shortVersion === expected);
    expect(answers.some((a) => a.path === `/mdm/manifests/${version!.id}.plist` && a.status === 200)).toBe(true);
    expect(answers.some((a) => a.path === `/mdm/packages/${version!.id}.pkg` && a.status === 200)).toBe(true);

    enqueueCommand(deps.db, { computerId: computer.id, command: buildInstalledApplicationList({ identifiers: ["com.knollsoft.Rectangle"] }), purpose: "admin" }, deps.clock.now());
    await pushComputers(deps, [computer.id]);
    await until("the new version in Pomona's inventory", () =>
      deps.db
        .select()
        .from(installedApps)
        .where(eq(installedApps.computerId, computer.id))
        .all()
        .some((a) => a.bundleId === "com.knollsoft.Rectangle" && a.shortVersion === expected && !a.installing),
    );
    expect(fleet.stats()).toMatchObject({ installsDone: 1, installsFailed: 0, installsLost: 0, rejected: 0 });
  });

  it("[SIM][WIRE][AUTH]: a body changed after signing is refused with 400, and the Mac counts the refusal", async () => {
    const { token } = createEnrollmentToken(deps, { label: "tamper" }, actingAs("test"));
    let tamper = false;
    const tamperingFetch: typeof fetch = (input, init) => {
      if (tamper && init?.method === "PUT" && Buffer.isBuffer(init.body)) {
        init = { ...init, body: Buffer.from(init.body.toString("utf8").replace("<string>Idle</string>", "<string>Idle</string> ")) };
      }
      return fetch(input, init);
    };
    const events: MacEvent[] = [];
    const spec = generateFleetSpecs(99, 1)[0]!;
    const mac = new VirtualMac({ spec, seed: 99, fetch: tamperingFetch, onEvent: (e) => events.push(e) });
    try {
      await mac.enroll({ server: deps.publicUrl, token, wakeUrl: "http://127.0.0.1:9/wake/none" });
      tamper = true;
      await mac.poll();
      expect(events.filter((e) => e.type === "rejected")).toEqual([{ type: "rejected", kind: "report", status: 400, reason: "Mdm-Signature does not match the body" }]);
    } finally {
      await mac.stop();
    }
  });

  it("[SIM][WIRE][PLIST]: Pomona's codec reads a plist written by the simulator exactly as the simulator does", () => {
    const value = {
      Status: "Acknowledged",
      UDID: fleet.macs[0]!.udid,
      Name: "Chloé’s MacBook Pro — 日本語 🍏",
      Escapes: "Tom & Jerry <b>bold</b> > done",
      "Key & <weird>": "ok",
      Integer: 42,
      Negative: -17,
      Real: 3.25,
      IntegralReal: new PlistReal(2),
      Yes: true,
      No: false,
      Date: new Date("2026-03-02T09:00:00Z"),
      Data: Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)),
      Empty: "",
      EmptyList: [],
      EmptyDict: {},
      Nested: { List: [1, "two", { Three: [3.5, false] }], Deeper: { Deepest: "x" } },
    };
    const text = encodeSimPlist(value);
    const ours = decodeSimPlist(text);
    const theirs = decodePlist(text);
    // The server normalises <data> to base64 text; do the same to the simulator's bytes, then compare.
    const normalise = (v: unknown): unknown => {
      if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
      if (Array.isArray(v)) return v.map(normalise);
      if (v instanceof Date) return v.toISOString();
      if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
      return v;
    };
    expect(normalise(theirs)).toEqual(normalise(ours));
    expect((theirs as Record<string, unknown>).Data).toBe(value.Data.toString("base64"));
    expect((theirs as Record<string, unknown>).IntegralReal).toBe(2);
  });
});
