import http from "node:http";

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { getComputerHistory } from "@/server/services/computers";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { commitGroupStats } from "@/db/commit-group";
import { commands, computers, events, installedApps } from "@/db/schema";

import { handleMdmRequest, MAX_MDM_BODY_BYTES } from "./endpoint";
import { handleMdmHttp } from "./http";
import { decodeCheckin, decodeReport } from "./messages";
import { commandIn, countRows, fakeMac, fixture, FIXTURE_UDID, putCheckin, putReport, snapshotDb } from "./test-helpers";

const noAuth = () => createTestDeps({ POMONA_DEVICE_AUTH: "none" });

describe("golden decode of device plists (server/mdm/testdata)", () => {
  it.each([
    ["checkin-authenticate.plist", "Authenticate"],
    ["checkin-token-update.plist", "TokenUpdate"],
    ["checkin-token-update-user.plist", "TokenUpdate"],
    ["checkin-checkout.plist", "CheckOut"],
    ["checkin-user-authenticate.plist", "UserAuthenticate"],
    ["checkin-declarative-management.plist", "DeclarativeManagement"],
    ["checkin-get-bootstrap-token.plist", "GetBootstrapToken"],
    ["checkin-set-bootstrap-token.plist", "SetBootstrapToken"],
    ["checkin-get-token.plist", "GetToken"],
  ])("%s is a %s check-in", (file, type) => {
    const d = decodeCheckin(fixture(file));
    expect(d.ok && d.message.MessageType).toBe(type);
    expect(d.ok && d.raw).toBe(fixture(file)); // the raw text is kept for history
  });

  it("keeps a TokenUpdate's <data> exact across line breaks and tabs", () => {
    const d = decodeCheckin(fixture("checkin-token-update.plist"));
    expect(d.ok && d.message.MessageType === "TokenUpdate" && d.message.Token).toBe("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=");
  });

  it.each([
    ["report-idle.plist", "Idle"],
    ["report-acknowledged-device-information.plist", "Acknowledged"],
    ["report-acknowledged-installed-application-list.plist", "Acknowledged"],
    ["report-acknowledged-install-enterprise-application.plist", "Acknowledged"],
    ["report-acknowledged-install-profile.plist", "Acknowledged"],
    ["report-error.plist", "Error"],
    ["report-error-install.plist", "Error"],
    ["report-command-format-error.plist", "CommandFormatError"],
    ["report-not-now.plist", "NotNow"],
  ])("%s is a %s report", (file, status) => {
    const d = decodeReport(fixture(file));
    expect(d.ok && d.message.Status).toBe(status);
  });

  it("reads QueryResponses, a 300-app list and an ErrorChain", () => {
    const info = decodeReport(fixture("report-acknowledged-device-information.plist"));
    expect(info.ok && info.message.QueryResponses).toMatchObject({ OSVersion: "14.5", Model: "Mac14,2", IsAppleSilicon: true });
    const apps = decodeReport(fixture("report-acknowledged-installed-application-list.plist"));
    expect(apps.ok && apps.message.InstalledApplicationList?.length).toBe(300);
    const err = decodeReport(fixture("report-error.plist"));
    expect(err.ok && err.message.ErrorChain?.map((e) => e.ErrorCode)).toEqual([12021, 2604]);
  });

  it.each([
    ["bad-binary.plist", "latin1", /binary plists are not accepted/],
    ["bad-openstep.plist", "utf8", /not an XML plist/],
    ["bad-entity.plist", "utf8", /entity declarations are not accepted/],
    ["bad-deep.plist", "utf8", /nested deeper than 32/],
    ["bad-proto.plist", "utf8", /forbidden key __proto__/],
    ["bad-truncated.plist", "utf8", /malformed plist/],
    ["bad-missing-status.plist", "utf8", /missing key Status/],
  ] as const)("refuses %s with a one-line reason", (file, encoding, reason) => {
    const d = decodeReport(Buffer.from(fixture(file), "utf8").toString(encoding));
    expect(d.ok).toBe(false);
    expect(d.ok ? "" : d.reason).toMatch(reason);
    expect(d.ok ? "" : d.reason).not.toContain("\n");
  });

  it("names an unknown MessageType", () => {
    const d = decodeCheckin(fixture("bad-unknown-messagetype.plist"));
    expect(d.ok ? "" : d.reason).toBe('invalid check-in: unknown MessageType "FooBar"');
  });
});

describe("PUT /mdm: enrollment, inventory and the queue", () => {
  it("Authenticate → TokenUpdate → DeviceInformation → InstalledApplicationList, as Apple documents", async () => {
    const deps = noAuth();
    expect((await putCheckin(deps, fixture("checkin-authenticate.plist"))).status).toBe(200);
    let mac = deps.db.select().from(computers).where(eq(computers.udid, FIXTURE_UDID)).get();
    expect(mac).toMatchObject({ name: "Design Lab Mac 07", serialNumber: "C02TEST0001", osVersion: "14.5", buildVersion: "23F79", enrolled: false });
    expect(countRows(deps, "commands")).toBe(0);

    const token = await putCheckin(deps, fixture("checkin-token-update.plist"));
    expect(token).toEqual({ status: 200 });
    mac = deps.db.select().from(computers).where(eq(computers.udid, FIXTURE_UDID)).get();
    expect(mac).toMatchObject({ enrolled: true, pushToken: Buffer.from("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=", "base64").toString("hex") });
    expect(mac?.pushMagic).toBeTruthy();

    // Idle → DeviceInformation first (it carries the architecture), with exactly DESIGN §4.1's queries.
    const first = commandIn(await putReport(deps, fixture("report-idle.plist")));
    expect(first?.Command).toEqual({
      RequestType: "DeviceInformation",
      Queries: ["DeviceName", "OSVersion", "BuildVersion", "Model", "ModelName", "ProductName", "SerialNumber", "IsAppleSilicon"],
    });

    const infoAck = fixture("report-acknowledged-device-information.plist").replace(/<key>CommandUUID<\/key>\s*<string>[^<]*<\/string>/, `<key>CommandUUID</key><string>${first!.CommandUUID}</string>`);
    const second = commandIn(await putReport(deps, infoAck));
    expect(second?.Command).toEqual({ RequestType: "InstalledApplicationList" });
    mac = deps.db.select().from(computers).where(eq(computers.udid, FIXTURE_UDID)).get();
    expect(mac).toMatchObject({ architecture: "arm64", osVersion: "14.5", model: "Mac14,2" });
    expect(mac?.deviceInformationAt).not.toBeNull();

    const listAck = fixture("report-acknowledged-installed-application-list.plist").replace(/<key>CommandUUID<\/key>\s*<string>[^<]*<\/string>/, `<key>CommandUUID</key><string>${second!.CommandUUID}</string>`);
    expect(await putReport(deps, listAck)).toEqual({ status: 200 }); // queue empty: 200 with an empty body
    const apps = deps.db.select().from(installedApps).where(eq(installedApps.computerId, mac!.id)).all();
    expect(apps.length).toBe(300);
    expect(apps.filter((a) => a.bundleId === null).length).toBeGreaterThanOrEqual(3); // kept by name
    expect(apps.find((a) => a.bundleId === "com.microsoft.VSCode")?.installing).toBe(true);
    expect(apps.find((a) => a.bundleId === "com.google.Chrome")?.shortVersion).toBe("131.0.6778.86");
    expect(deps.db.select().from(computers).where(eq(computers.id, mac!.id)).get()?.lastInventoryAt).not.toBeNull();

    // Management history: every command with its outcome, and the device events.
    const history = getComputerHistory(deps, { id: mac!.id });
    expect(history.commands.map((c) => [c.requestType, c.status])).toEqual([
      ["InstalledApplicationList", "acknowledged"],
      ["DeviceInformation", "acknowledged"],
    ]);
    expect(history.events.map((e) => e.type)).toEqual(expect.arrayContaining(["device.authenticate", "device.enrolled"]));
  });

  it("the requests of one event-loop turn share one commit, and each is answered after it", async () => {
    const deps = noAuth();
    const macs = ["GROUP-1", "GROUP-2", "GROUP-3"].map((udid) => fakeMac(deps, udid));
    for (const mac of macs) await mac.enroll();
    const before = commitGroupStats(deps.db);
    const answers = await Promise.all([...macs.map((mac) => mac.idle()), fakeMac(deps, "NEVER-ENROLLED").idle()]);
    expect(answers.slice(0, 3).map((a) => commandIn(a)?.Command.RequestType)).toEqual(["DeviceInformation", "DeviceInformation", "DeviceInformation"]);
    expect(answers[3]?.status).toBe(400);
    const after = commitGroupStats(deps.db);
    expect({ groups: after.groups - before.groups, members: after.members - before.members, failedGroups: after.failedGroups }).toEqual({ groups: 1, members: 4, failedGroups: 0 });
    expect(deps.db.$client.inTransaction).toBe(false);
    const sent = deps.db.select().from(commands).where(eq(commands.requestType, "DeviceInformation")).all();
    expect(sent.map((c) => c.status)).toEqual(["sent", "sent", "sent"]);
  });

  it("an Intel Mac's architecture comes from IsAppleSilicon false; an old macOS's from its model identifier", async () => {
    for (const [file, expected] of [
      ["report-acknowledged-device-information-intel.plist", "x86_64"],
      ["report-acknowledged-device-information-old.plist", "x86_64"],
    ] as const) {
      const deps = noAuth();
      const udid = /<key>UDID<\/key>\s*<string>([^<]+)<\/string>/.exec(fixture(file))![1]!;
      const mac = fakeMac(deps, udid, { model: "Mac14,2" });
      await mac.enroll();
      const cmd = commandIn(await mac.idle())!;
      const body = fixture(file).replace(/<key>CommandUUID<\/key>\s*<string>[^<]*<\/string>/, `<key>CommandUUID</key><string>${cmd.CommandUUID}</string>`);
      await putReport(deps, body);
      expect(deps.db.select().from(computers).where(eq(computers.udid, udid)).get()?.architecture).toBe(expected);
    }
  });

  it("NotNow keeps the command queued, skips it for that poll, and offers it again at the next poll", async () => {
    const deps = noAuth();
    const mac = fakeMac(deps, "NOTNOW-1");
    await mac.enroll();
    const info = commandIn(await mac.idle())!;
    const next = commandIn(await mac.report(info.CommandUUID, "NotNow"))!;
    expect(next.Command.RequestType).toBe("InstalledApplicationList"); // not the NotNow'd one
    const again = commandIn(await mac.report(next.CommandUUID, "NotNow"));
    expect(again).toBeUndefined(); // both deferred in this session
    const retry = commandIn(await mac.idle())!;
    expect(retry.CommandUUID).toBe(info.CommandUUID); // FIFO: the first one comes back first
    const row = deps.db.select().from(commands).where(eq(commands.uuid, info.CommandUUID)).get();
    expect(row).toMatchObject({ status: "sent", notNowCount: 1 });
  });

  it("terminal statuses are sticky: a replayed Acknowledged or a late NotNow changes nothing and gets 200", async () => {
    const deps = noAuth();
    const mac = fakeMac(deps, "STICKY-1");
    await mac.enroll();
    const info = commandIn(await mac.idle())!;
    await mac.report(info.CommandUUID, "Acknowledged", { QueryResponses: { OSVersion: "14.6" } });
    const before = snapshotDb(deps);
    for (const status of ["Acknowledged", "NotNow", "Error"]) {
      expect(await mac.report(info.CommandUUID, status, { QueryResponses: { OSVersion: "9.9" } })).toEqual({ status: 200 });
    }
    // Only the last check-in time may move; the command and the computer's facts stay.
    expect(deps.db.select().from(commands).where(eq(commands.uuid, info.CommandUUID)).get()?.status).toBe("acknowledged");
    expect(deps.db.select().from(computers).where(eq(computers.udid, "STICKY-1")).get()?.osVersion).toBe("14.6");
    const commandsTable = (snapshot: string) => (JSON.parse(snapshot) as [string, unknown][]).find(([t]) => t === "commands");
    expect(commandsTable(snapshotDb(deps))).toEqual(commandsTable(before));
  });

  it("Error stores the ErrorChain and a readable event", async () => {
    const deps = noAuth();
    const mac = fakeMac(deps, "ERR-1");
    await mac.enroll();
    const info = commandIn(await mac.idle())!;
    const body = fixture("report-error.plist")
      .replace(/<key>CommandUUID<\/key>\s*<string>[^<]*<\/string>/, `<key>CommandUUID</key><string>${info.CommandUUID}</string>`)
      .replace(FIXTURE_UDID, "ERR-1");
    expect((await putReport(deps, body)).status).toBe(200);
    const row = deps.db.select().from(commands).where(eq(commands.uuid, info.CommandUUID)).get();
    expect(row?.status).toBe("error");
    expect(row?.errorChain?.[1]).toMatchObject({ ErrorCode: 2604, ErrorDomain: "DeviceManagement.error", LocalizedDescription: "Could not validate manifest." });
    expect(row?.response).toContain("MCInstallationErrorDomain");
    const history = getComputerHistory(deps, { id: row!.computerId });
    expect(history.commands.find((c) => c.uuid === info.CommandUUID)?.errorChain?.length).toBe(2);
    expect(history.events.some((e) => e.type === "command.error")).toBe(true);
  });

  it("a new Authenticate for a known UDID starts a fresh enrollment and cancels the old queue", async () => {
    const deps = noAuth();
    const mac = fakeMac(deps, "REENROLL-1");
    await mac.enroll();
    expect(countRows(deps, "commands", "status = 'queued'")).toBe(2);
    await mac.authenticate();
    expect(countRows(deps, "commands", "status = 'canceled'")).toBe(2);
    expect(deps.db.select().from(computers).where(eq(computers.udid, "REENROLL-1")).get()).toMatchObject({ enrolled: false, pushMagic: null });
    expect((await mac.idle()).status).toBe(400); // not enrolled until TokenUpdate
    await mac.tokenUpdate();
    expect(countRows(deps, "commands", "status = 'queued'")).toBe(2); // a fresh first inventory
  });

  it("CheckOut unenrolls; the Mac's later reports are refused", async () => {
    const deps = noAuth();
    const mac = fakeMac(deps, "CHECKOUT-1");
    await mac.enroll();
    expect((await mac.checkOut()).status).toBe(200);
    expect(deps.db.select().from(computers).where(eq(computers.udid, "CHECKOUT-1")).get()).toMatchObject({ enrolled: false });
    expect(countRows(deps, "commands", "status = 'canceled'")).toBe(2);
    const r = await mac.idle();
    expect(r.status).toBe(400);
    expect(String(r.body)).toContain("not enrolled");
  });

  it("answers the other check-ins as documented: UserAuthenticate 410, unsupported ones a clean 400", async () => {
    const deps = noAuth();
    await putCheckin(deps, fixture("checkin-authenticate.plist"));
    await putCheckin(deps, fixture("checkin-token-update.plist"));
    expect((await putCheckin(deps, fixture("checkin-user-authenticate.plist"))).status).toBe(410);
    for (const f of ["checkin-declarative-management.plist", "checkin-get-bootstrap-token.plist", "checkin-set-bootstrap-token.plist", "checkin-get-token.plist"]) {
      const r = await putCheckin(deps, fixture(f));
      expect(r.status, f).toBe(400);
      expect(String(r.body)).toMatch(/is not supported by Pomona/);
    }
    // A user-channel TokenUpdate is accepted and does not touch the device channel's push token.
    const before = deps.db.select().from(computers).get()?.pushToken;
    expect((await putCheckin(deps, fixture("checkin-token-update-user.plist"))).status).toBe(200);
    expect(deps.db.select().from(computers).get()?.pushToken).toBe(before);
  });
});

describe("PUT /mdm refusals: 400 with a reason, nothing written", () => {
  let deps: TestDeps;
  beforeAll(async () => {
    deps = noAuth();
    await fakeMac(deps, FIXTURE_UDID).enroll();
    await fakeMac(deps, "OTHER-MAC").enroll();
  });

  const cases: [string, () => Promise<{ status: number; body?: unknown }>, RegExp][] = [
    ["a body over 1 MiB", () => putReport(deps, `<plist><dict>${" ".repeat(MAX_MDM_BODY_BYTES)}</dict></plist>`), /body larger than 1048576 bytes/],
    ["a binary plist", () => putReport(deps, Buffer.from(fixture("bad-binary.plist"), "utf8").toString("latin1")), /binary plists are not accepted/],
    ["an OpenStep plist", () => putCheckin(deps, fixture("bad-openstep.plist")), /not an XML plist/],
    ["an entity declaration", () => putReport(deps, fixture("bad-entity.plist")), /entity declarations/],
    ["nesting deeper than 32", () => putReport(deps, fixture("bad-deep.plist")), /nested deeper than 32/],
    ["a __proto__ key", () => putReport(deps, fixture("bad-proto.plist")), /forbidden key __proto__/],
    ["a constructor key", () => putReport(deps, { UDID: FIXTURE_UDID, Status: "Idle", constructor: "x" }), /forbidden key constructor/],
    ["a truncated plist", () => putReport(deps, fixture("bad-truncated.plist")), /malformed plist/],
    ["a report without Status", () => putReport(deps, fixture("bad-missing-status.plist")), /missing key Status/],
    ["an unknown MessageType", () => putCheckin(deps, fixture("bad-unknown-messagetype.plist")), /unknown MessageType "FooBar"/],
    ["an Authenticate without UDID", () => putCheckin(deps, { MessageType: "Authenticate", Topic: "t" }), /missing key UDID/],
    ["a report without CommandUUID", () => putReport(deps, { UDID: FIXTURE_UDID, Status: "Acknowledged" }), /CommandUUID is required/],
    ["an unknown device", () => putReport(deps, { UDID: "NEVER-SEEN", Status: "Idle" }), /unknown device NEVER-SEEN/],
    ["a TokenUpdate before Authenticate", () => putCheckin(deps, { MessageType: "TokenUpdate", UDID: "NEVER-SEEN", Topic: "t", Token: Buffer.alloc(32), PushMagic: "m" }), /send Authenticate first/],
    ["a plist that is not a dictionary", () => putReport(deps, "<plist><array/></plist>"), /must be a plist dictionary/],
    ["an empty body", () => putReport(deps, ""), /empty body/],
  ];

  it.each(cases)("refuses %s", async (_name, send, reason) => {
    const before = snapshotDb(deps);
    const r = await send();
    expect(r.status).toBe(400);
    expect(String(r.body)).toMatch(reason);
    expect(String(r.body).trim()).not.toContain("\n");
    expect(snapshotDb(deps)).toBe(before);
  });

  it("refuses another computer's CommandUUID, and an unknown one, with a security event and no other change", async () => {
    const others = commandIn(await fakeMac(deps, "OTHER-MAC").idle())!;
    for (const uuid of [others.CommandUUID, "00000000-0000-0000-0000-000000000000"]) {
      const before = snapshotDb(deps);
      const securityBefore = countRows(deps, "events", "category = 'security'");
      const r = await putReport(deps, { UDID: FIXTURE_UDID, Status: "Acknowledged", CommandUUID: uuid });
      expect(r.status).toBe(400);
      expect(String(r.body)).toContain("was never sent to this device");
      expect(countRows(deps, "events", "category = 'security'")).toBe(securityBefore + 1);
      const strip = (s: string) => (JSON.parse(s) as [string, unknown][]).filter(([t]) => t !== "events");
      expect(strip(snapshotDb(deps))).toEqual(strip(before));
    }
    expect(deps.db.select().from(commands).where(eq(commands.uuid, others.CommandUUID)).get()?.status).toBe("sent");
    expect(deps.db.select().from(events).where(eq(events.category, "security")).all().at(-1)?.message).toMatch(/never sent to this computer/);
  });

  it("answers 405 to GET, POST and OPTIONS", async () => {
    for (const method of ["GET", "POST", "OPTIONS"]) {
      const r = await handleMdmRequest(deps, { method, contentType: "", body: Buffer.alloc(0) });
      expect(r.status).toBe(405);
      expect(r.headers?.allow).toBe("PUT");
    }
  });
});

describe("the /mdm HTTP adapter", () => {
  let deps: TestDeps;
  let server: http.Server;
  let base = "";
  beforeAll(async () => {
    deps = noAuth();
    await fakeMac(deps, "HTTP-MAC").enroll();
    server = http.createServer((req, res) => void handleMdmHttp(deps, req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends a body with Transfer-Encoding: chunked (no Content-Length), in 64 KiB chunks. */
  function putChunked(bytes: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}/mdm`, { method: "PUT", headers: { "content-type": "application/x-apple-aspen-mdm" } }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", (e) => (e.message.includes("EPIPE") || e.message.includes("ECONNRESET") ? undefined : reject(e)));
      const head = Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict><key>UDID</key><string>HTTP-MAC</string><key>Status</key><string>Idle</string><key>Pad</key><string>`);
      const tail = Buffer.from("</string></dict></plist>");
      const pad = bytes - head.length - tail.length;
      req.write(head);
      const chunk = Buffer.alloc(64 * 1024, "a");
      for (let left = pad; left > 0; left -= chunk.length) req.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
      req.end(tail);
    });
  }

  it("refuses a chunked body of 1 MiB + 1 byte with 400, changing nothing", async () => {
    const before = snapshotDb(deps);
    const r = await putChunked(MAX_MDM_BODY_BYTES + 1);
    expect(r.status).toBe(400);
    expect(r.body).toContain("body larger than 1048576 bytes");
    expect(snapshotDb(deps)).toBe(before);
  });

  it("accepts a chunked body of exactly 1 MiB", async () => {
    const r = await putChunked(MAX_MDM_BODY_BYTES);
    expect(r.status).toBe(200);
  });

  it("refuses a declared Content-Length over 1 MiB before reading", async () => {
    const res = await fetch(`${base}/mdm`, { method: "PUT", body: "x".repeat(MAX_MDM_BODY_BYTES + 1) });
    expect(res.status).toBe(400);
  });

  it("serves 405 with Allow: PUT to GET, POST and OPTIONS", async () => {
    for (const method of ["GET", "POST", "OPTIONS"]) {
      const res = await fetch(`${base}/mdm`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("PUT");
    }
  });
});
