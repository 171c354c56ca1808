import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import type { Availability } from "./availability";
import type { MacSpec } from "./catalog";
import { generateFleetSpecs } from "./fleet";
import { VirtualMac, type MacBehaviour, type MacEvent, type Report } from "./mac";
import { decodePlist, encodePlist, type PlistInput } from "./plist";
import { makeEnrollmentProfile, makeTestIdentity, type TestIdentity } from "./test-identity";

const FAST: Partial<MacBehaviour> = { installDurationMs: [80, 80], appQuitDelayMs: [60, 60] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------------------
// A tiny origin for manifests and packages
// ---------------------------------------------------------------------------------------------------------

const files = new Map<string, { status?: number; body: Buffer | string }>();
let origin: Server;
let base = "";
const requests: string[] = [];

const CHUNK = 16 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const chunkHashes = (bytes: Buffer, chunk = CHUNK) => Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => sha(bytes.subarray(i * chunk, (i + 1) * chunk)));

/** Hosts a package and its manifest; `tamper` breaks the manifest the ways quirk 4 lists. */
function hostApp(name: string, bundleId: string, version: string, tamper?: "count" | "hash" | "missing-package" | "missing-manifest", title = name): string {
  const pkg = randomBytes(50 * 1024 + 123);
  let hashes = chunkHashes(pkg);
  if (tamper === "count") hashes = hashes.slice(1);
  if (tamper === "hash") hashes = hashes.map((h, i) => (i === 2 ? sha(Buffer.from("nope")) : h));
  if (tamper !== "missing-package") files.set(`/packages/${name}.pkg`, { body: pkg });
  const manifest = encodePlist({
    items: [
      {
        assets: [{ kind: "software-package", url: `${base}/packages/${name}.pkg`, "sha256-size": CHUNK, sha256s: hashes }],
        metadata: { "bundle-identifier": bundleId, "bundle-version": version, kind: "software", title },
      },
    ],
  });
  if (tamper !== "missing-manifest") files.set(`/manifests/${name}.plist`, { body: manifest });
  return `${base}/manifests/${name}.plist`;
}

beforeAll(async () => {
  origin = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const file = files.get(req.url ?? "");
    if (!file) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(file.status ?? 200, { "content-type": "application/octet-stream" }).end(file.body);
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => origin.close(() => r())));

// ---------------------------------------------------------------------------------------------------------

const macs: VirtualMac[] = [];
afterEach(async () => {
  await Promise.all(macs.splice(0).map((m) => m.stop()));
});

function spec(overrides: Partial<MacSpec> = {}): MacSpec {
  return { ...generateFleetSpecs(11, 1)[0]!, ...overrides };
}

function mac(options: { spec?: MacSpec; behaviour?: Partial<MacBehaviour>; events?: MacEvent[]; availability?: Availability } = {}) {
  const events = options.events ?? [];
  const m = new VirtualMac({ spec: options.spec ?? spec(), seed: 5, behaviour: { ...FAST, ...options.behaviour }, availability: options.availability, onEvent: (e) => events.push(e) });
  macs.push(m);
  return m;
}

let uuidCounter = 0;
const command = (body: Record<string, PlistInput>) => decodePlist(encodePlist({ CommandUUID: `CMD-${++uuidCounter}`, Command: body }));
const install = (manifestUrl: string) => command({ RequestType: "InstallEnterpriseApplication", ManifestURL: manifestUrl, InstallAsManaged: true });
const appList = (m: VirtualMac, ids?: string[]) => m.handle(command(ids ? { RequestType: "InstalledApplicationList", Identifiers: ids } : { RequestType: "InstalledApplicationList" }));
const entries = (r: Report) => r.InstalledApplicationList as Record<string, PlistInput>[];
/** Reports are sent as plists: look at them as the server would. */
const wire = (r: Report) => decodePlist(encodePlist(r)) as Record<string, unknown>;

describe("VirtualMac commands", () => {
  it("[SIM][MAC]: DeviceInformation answers exactly the queried keys", async () => {
    const m = mac({ spec: spec({ os: { version: "14.6.1", build: "23G93" } }) });
    const r = wire(await m.handle(command({ RequestType: "DeviceInformation", Queries: ["OSVersion", "BuildVersion", "Model", "IsAppleSilicon", "NoSuchKey"] })));
    expect(r).toMatchObject({ Status: "Acknowledged", UDID: m.udid, CommandUUID: `CMD-${uuidCounter}` });
    expect(r.QueryResponses).toEqual({ OSVersion: "14.6.1", BuildVersion: "23G93", Model: m.spec.model.identifier, IsAppleSilicon: m.spec.model.architecture === "arm64" });

    // Without Queries: everything it knows, capacities as reals.
    const all = (await m.handle(command({ RequestType: "DeviceInformation" }))).QueryResponses as Record<string, PlistInput>;
    expect(Object.keys(all)).toEqual(expect.arrayContaining(["DeviceName", "SerialNumber", "ModelName", "ProductName", "UDID", "DeviceCapacity", "IsAppleSilicon"]));
    expect(encodePlist(all)).toMatch(/<key>DeviceCapacity<\/key>\n\t<real>/);
  });

  it("[SIM][MAC]: IsAppleSilicon is sent from macOS 12 on, and omitted below", async () => {
    const queries = { RequestType: "DeviceInformation", Queries: ["OSVersion", "IsAppleSilicon"] };
    const old = mac({ spec: spec({ os: { version: "11.7.10", build: "20G1427" } }) });
    expect((await old.handle(command(queries))).QueryResponses).toEqual({ OSVersion: "11.7.10" });
    for (const m of generateFleetSpecs(3, 40).map((s) => mac({ spec: s }))) {
      const answers = (await m.handle(command(queries))).QueryResponses as Record<string, unknown>;
      expect(answers.IsAppleSilicon).toBe(m.architecture === "arm64");
    }
  });

  it("[SIM][MAC]: InstalledApplicationList lists the apps, filtered by Identifiers when given", async () => {
    const m = mac();
    const full = entries(await appList(m));
    expect(full).toHaveLength(m.spec.apps.length);
    expect(full.find((e) => e.Identifier === "com.apple.Safari")).toMatchObject({ Name: "Safari", Installing: false });
    const filtered = entries(await appList(m, ["com.apple.Safari", "com.example.absent"]));
    expect(filtered.map((e) => e.Identifier)).toEqual(["com.apple.Safari"]);
    expect(entries(await appList(m, []))).toHaveLength(full.length);
  });

  it("[SIM][MAC]: InstallProfile keeps the profile's PayloadIdentifier; a malformed one is an Error", async () => {
    const m = mac();
    const payload = Buffer.from(encodePlist({ PayloadType: "Configuration", PayloadIdentifier: "com.example.wifi", PayloadUUID: "U-1", PayloadContent: [{ PayloadType: "com.apple.wifi.managed" }] }));
    expect((await m.handle(command({ RequestType: "InstallProfile", Payload: payload }))).Status).toBe("Acknowledged");
    expect(m.profiles()).toEqual([expect.objectContaining({ identifier: "com.example.wifi", payloadTypes: ["com.apple.wifi.managed"] })]);
    const bad = await m.handle(command({ RequestType: "InstallProfile", Payload: Buffer.from("garbage") }));
    expect(bad.Status).toBe("Error");
    expect(wire(bad).ErrorChain).toEqual([expect.objectContaining({ ErrorDomain: "MCProfileErrorDomain" })]);
  });

  it("[SIM][MAC]: unknown commands get Error, malformed ones CommandFormatError", async () => {
    const m = mac();
    expect((await m.handle(command({ RequestType: "EraseDevice" }))).Status).toBe("Error");
    expect((await m.handle(command({ RequestType: "InstallEnterpriseApplication" }))).Status).toBe("CommandFormatError");
    await expect(m.handle(decodePlist(encodePlist({ Command: { RequestType: "DeviceInformation" } })))).rejects.toThrow(/CommandUUID/);
  });

  it("[SIM][NOT_NOW]: a locked Mac answers NotNow to installs, still answers inventory, and installs once unlocked", async () => {
    const m = mac();
    m.setLocked(true);
    const url = hostApp("Locked", "com.example.locked", "1.0");
    expect((await m.handle(install(url))).Status).toBe("NotNow");
    expect((await m.handle(command({ RequestType: "InstallProfile", Payload: Buffer.from(encodePlist({ PayloadIdentifier: "p" })) }))).Status).toBe("NotNow");
    expect((await appList(m)).Status).toBe("Acknowledged");
    expect(m.app("com.example.locked")).toBeUndefined();
    m.setLocked(false);
    expect((await m.handle(install(url))).Status).toBe("Acknowledged");
    await m.whenInstallsSettle();
    expect(m.app("com.example.locked")?.shortVersion).toBe("1.0");
  });
});

describe("VirtualMac installs", () => {
  it("[SIM][INSTALL]: downloads, verifies chunk hashes, reports Installing with placeholder versions, then the version", async () => {
    const events: MacEvent[] = [];
    const m = mac({ events, behaviour: { installDurationMs: [150, 150] } });
    const url = hostApp("Editor", "com.example.editor", "4.2.1");
    const r = await m.handle(install(url));
    expect(r.Status).toBe("Acknowledged");
    expect(r.ErrorChain).toBeUndefined();
    expect(requests).toEqual(expect.arrayContaining(["GET /manifests/Editor.plist", "GET /packages/Editor.pkg"]));
    // While it works: Installing true, ShortVersion "0".
    expect(entries(await appList(m, ["com.example.editor"]))).toEqual([{ Identifier: "com.example.editor", Name: "Editor", ShortVersion: "0", Version: "0", BundleSize: 0, Installing: true }]);
    await m.whenInstallsSettle();
    expect(entries(await appList(m, ["com.example.editor"]))).toEqual([expect.objectContaining({ ShortVersion: "4.2.1", Version: "4.2.1", Installing: false })]);
    expect(m.app("com.example.editor")).toMatchObject({ location: "/Applications", managed: true });
    expect(entries(await m.handle(command({ RequestType: "InstalledApplicationList", ManagedAppsOnly: true }))).map((e) => e.Identifier)).toEqual(["com.example.editor"]);
    expect(events.map((e) => e.type)).toEqual(["install-started", "command", "command", "install-done", "command", "command"]);
  });

  it("[SIM][INSTALL][QUIRK]: a second install scheduled while one runs is acknowledged and lost", async () => {
    const events: MacEvent[] = [];
    const m = mac({ events, behaviour: { installDurationMs: [200, 200] } });
    const first = hostApp("First", "com.example.first", "1.0");
    const second = hostApp("Second", "com.example.second", "2.0");
    expect((await m.handle(install(first))).Status).toBe("Acknowledged");
    expect((await m.handle(install(second))).Status).toBe("Acknowledged");
    await m.whenInstallsSettle();
    await sleep(250);
    expect(m.app("com.example.first")?.shortVersion).toBe("1.0");
    expect(m.app("com.example.second")).toBeUndefined();
    expect(events.filter((e) => e.type === "install-lost")).toEqual([{ type: "install-lost", reason: "busy" }]);
    // Once the first is done, the next install works.
    expect((await m.handle(install(second))).Status).toBe("Acknowledged");
    await m.whenInstallsSettle();
    expect(m.app("com.example.second")?.shortVersion).toBe("2.0");
  });

  for (const [tamper, expected] of [
    ["count", /hashes for \d+ chunks/],
    ["hash", /does not match the manifest/],
    ["missing-package", /package download failed: HTTP 404/],
    ["missing-manifest", /manifest download failed: HTTP 404/],
  ] as const) {
    it(`[SIM][INSTALL][QUIRK]: a bad manifest (${tamper}) is an Error with an ErrorChain and wedges installs until reboot`, async () => {
      const events: MacEvent[] = [];
      const m = mac({ events });
      const r = wire(await m.handle(install(hostApp(`Bad-${tamper}`, `com.example.bad.${tamper}`, "1.0", tamper))));
      expect(r.Status).toBe("Error");
      const chain = r.ErrorChain as Record<string, unknown>[];
      if (tamper === "missing-package") expect(chain[0]).toMatchObject({ ErrorCode: 2606, ErrorDomain: "DeviceManagement.error", LocalizedDescription: expect.stringMatching(/download .* failed/) as unknown });
      else expect(chain[0]).toEqual({ ErrorCode: 2604, ErrorDomain: "DeviceManagement.error", LocalizedDescription: "Could not validate manifest.", USEnglishDescription: "Could not validate manifest." });
      expect(events.find((e) => e.type === "install-failed")).toMatchObject({ wedged: true, reason: expect.stringMatching(expected) as unknown });
      expect(m.installerWedged).toBe(true);

      // Wedged: a good install is acknowledged and never happens.
      const good = hostApp(`Good-${tamper}`, `com.example.good.${tamper}`, "3.0");
      expect((await m.handle(install(good))).Status).toBe("Acknowledged");
      await sleep(150);
      expect(m.app(`com.example.good.${tamper}`)).toBeUndefined();
      expect(events.filter((e) => e.type === "install-lost")).toEqual([{ type: "install-lost", reason: "wedged" }]);

      m.reboot();
      expect(m.installerWedged).toBe(false);
      expect((await m.handle(install(good))).Status).toBe("Acknowledged");
      await m.whenInstallsSettle();
      expect(m.app(`com.example.good.${tamper}`)?.shortVersion).toBe("3.0");
    });
  }

  it("[SIM][INSTALL]: a failed download (failure rate) is an Error saying the download failed, and does not wedge", async () => {
    const m = mac({ behaviour: { failureRate: 1 } });
    const r = wire(await m.handle(install(hostApp("Flaky", "com.example.flaky", "1.0"))));
    expect(r.Status).toBe("Error");
    const chain = r.ErrorChain as { LocalizedDescription: string; ErrorDomain: string }[];
    expect(chain[0]!.LocalizedDescription).toBe("The download of “Flaky” failed.");
    expect(chain[1]!.ErrorDomain).toBe("NSURLErrorDomain");
    expect(m.installerWedged).toBe(false);
    expect(m.installing).toBe(false);
  });

  it("[SIM][INSTALL]: updating an open app stages the new version (reported) and moves it to /Applications on quit", async () => {
    const s = spec();
    const target = s.apps.find((a) => !a.identifier?.startsWith("com.apple."))!;
    const m = mac({ spec: s, behaviour: { openAppRate: 1, appQuitDelayMs: [200, 200] } });
    expect((await m.handle(install(hostApp("OpenApp", target.identifier!, "999.0", undefined, target.name)))).Status).toBe("Acknowledged");
    expect(m.app(target.identifier!)).toMatchObject({ installing: true, open: true });
    await m.whenInstallsSettle();
    expect(m.app(target.identifier!)).toMatchObject({ installing: false, open: true, location: "temporary", shortVersion: "999.0" });
    expect(entries(await appList(m, [target.identifier!]))[0]).toMatchObject({ ShortVersion: "999.0", Installing: false });
    await until(() => m.app(target.identifier!)?.location === "/Applications");
    expect(m.app(target.identifier!)?.open).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Enrollment, polling and pushes against a minimal fake server
// ---------------------------------------------------------------------------------------------------------

describe("VirtualMac on the wire", () => {
  let identity: TestIdentity;
  let server: Server;
  let url = "";
  const puts: { contentType: string; signed: boolean; body: Record<string, unknown> }[] = [];
  const queue: Record<string, PlistInput>[] = [];

  beforeAll(async () => {
    identity = makeTestIdentity("Wire Mac");
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.method === "GET" && req.url?.startsWith("/mdm/enroll?token=good")) {
          res.writeHead(200, { "content-type": "application/x-apple-aspen-config" }).end(makeEnrollmentProfile(identity, `${url}/mdm`));
          return;
        }
        if (req.method === "GET") return void res.writeHead(403).end("invalid or expired enrollment token\n");
        const body = decodePlist(Buffer.concat(chunks)) as Record<string, unknown>;
        puts.push({ contentType: req.headers["content-type"] ?? "", signed: typeof req.headers["mdm-signature"] === "string", body });
        const next = body.MessageType === undefined ? queue.shift() : undefined;
        res.writeHead(200).end(next ? encodePlist(next) : "");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("[SIM][ENROLL]: enrolls with signed Authenticate and TokenUpdate; a session runs commands until an empty answer", async () => {
    const m = mac();
    await expect(m.enroll({ server: url, token: "bad", wakeUrl: "http://127.0.0.1:9/wake/X" })).rejects.toThrow(/403/);
    puts.length = 0;
    await m.enroll({ server: url, token: "good", wakeUrl: "http://127.0.0.1:9/wake/X" });
    expect(puts.map((p) => [p.body.MessageType, p.contentType, p.signed])).toEqual([
      ["Authenticate", "application/x-apple-aspen-mdm-checkin", true],
      ["TokenUpdate", "application/x-apple-aspen-mdm-checkin", true],
    ]);
    expect(puts[0]!.body).toMatchObject({ UDID: m.udid, SerialNumber: m.spec.serialNumber, Model: m.spec.model.identifier, OSVersion: m.spec.os.version, Topic: "com.apple.mgmt.External.test" });
    expect(Buffer.from(puts[1]!.body.Token as Uint8Array).toString("utf8")).toBe("http://127.0.0.1:9/wake/X");
    expect(puts[1]!.body.PushMagic).toBe(m.pushMagic);
    expect(m.profiles().map((p) => p.identifier)).toEqual(["com.pomona.mdm.enrollment"]);

    puts.length = 0;
    queue.push({ CommandUUID: "A", Command: { RequestType: "DeviceInformation", Queries: ["OSVersion"] } }, { CommandUUID: "B", Command: { RequestType: "InstalledApplicationList", Identifiers: ["com.apple.Safari"] } });
    await m.poll();
    expect(puts.map((p) => [p.body.Status, p.body.CommandUUID, p.contentType])).toEqual([
      ["Idle", undefined, "application/x-apple-aspen-mdm"],
      ["Acknowledged", "A", "application/x-apple-aspen-mdm"],
      ["Acknowledged", "B", "application/x-apple-aspen-mdm"],
    ]);
    expect(puts[1]!.body.QueryResponses).toEqual({ OSVersion: m.spec.os.version });
  });

  it("[SIM][PUSH][OFFLINE]: a push with the right PushMagic starts a poll; one received offline waits until the Mac is back", async () => {
    const events: MacEvent[] = [];
    let offlineUntil = 0;
    const availability: Availability = { isOffline: (now) => now < offlineUntil, nextOnlineAt: (now) => Math.max(now, offlineUntil) };
    const m = mac({ events, availability });
    await m.enroll({ server: url, token: "good", wakeUrl: "http://127.0.0.1:9/wake/Y" });
    puts.length = 0;

    m.receivePush("stale-magic");
    await sleep(50);
    expect(puts).toHaveLength(0);
    expect(events.at(-1)).toEqual({ type: "push-ignored", reason: "unknown PushMagic" });

    m.receivePush(m.pushMagic!);
    await until(() => puts.length === 1);
    expect(puts[0]!.body.Status).toBe("Idle");

    offlineUntil = Date.now() + 300;
    m.receivePush(m.pushMagic!);
    m.receivePush(m.pushMagic!); // APNs keeps one: still a single poll later
    expect(await m.poll().then(() => puts.length)).toBe(1); // offline Macs do not poll
    await sleep(150);
    expect(puts).toHaveLength(1);
    await until(() => puts.length === 2, 2000);
    await sleep(150);
    expect(puts).toHaveLength(2);
    expect(events.filter((e) => e.type === "push")).toEqual([
      { type: "push", deferred: false },
      { type: "push", deferred: true },
      { type: "push", deferred: true },
    ]);
  });
});
