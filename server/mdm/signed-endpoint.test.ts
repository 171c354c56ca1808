// A client that knows only Apple's documentation: enroll through /mdm/enroll, install the identity, sign
// every request (Mdm-Signature), check in, receive commands, report, and see it all in computers.history.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

import { createCallerFactory } from "@/server/trpc/init";
import { createContextInner } from "@/server/trpc/context";
import { TEST_ADMIN } from "@/server/trpc/test-caller";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { issueDeviceIdentity } from "@/server/services/pki";
import { computers } from "@/db/schema";

import { caSignatureChecks, caSignaturesFromBinding, forgetCertificateKeys, forgetIssuedCertificates } from "./device-auth";
import { CHECKIN_CONTENT_TYPE, handleMdmRequest } from "./endpoint";
import { handleEnrollRequest } from "./enroll";
import { encodePlist, type PlistInput } from "./plist";
import { commandIn, snapshotDb } from "./test-helpers";
import { identityFromProfile, openIdentity, signLikeAMac, type Identity } from "./test-identity";

const caller = (deps: TestDeps) => createCallerFactory(appRouter)(createContextInner({ deps, actor: TEST_ADMIN }));

/** A Mac with an enrolled identity, speaking signed plists. */
function signedMac(deps: TestDeps, identity: Identity, udid: string) {
  const send = (contentType: string, body: PlistInput, sign: Identity | null = identity) => {
    const bytes = Buffer.from(encodePlist(body));
    return handleMdmRequest(deps, { method: "PUT", contentType, body: bytes, signature: sign ? signLikeAMac(bytes, sign, deps.clock.now()) : undefined });
  };
  const topic = "com.apple.mgmt.External.test";
  return {
    authenticate: (as: Identity = identity) => send(CHECKIN_CONTENT_TYPE, { MessageType: "Authenticate", UDID: udid, Topic: topic, DeviceName: `Mac ${udid}`, Model: "Mac14,2", OSVersion: "14.5" }, as),
    tokenUpdate: (as: Identity = identity) => send(CHECKIN_CONTENT_TYPE, { MessageType: "TokenUpdate", UDID: udid, Topic: topic, Token: Buffer.alloc(32, 1), PushMagic: "magic" }, as),
    idle: (as: Identity | null = identity) => send("application/x-apple-aspen-mdm", { UDID: udid, Status: "Idle" }, as),
    report: (uuid: string, status: string, extra: Record<string, PlistInput> = {}) => send("application/x-apple-aspen-mdm", { UDID: udid, Status: status, CommandUUID: uuid, ...extra }),
  };
}

async function enrollIdentity(deps: TestDeps): Promise<Identity> {
  const { token } = await caller(deps).enrollment.createToken({ label: "test" });
  const res = await handleEnrollRequest(deps, token);
  expect(res.status).toBe(200);
  expect(res.headers?.["content-type"]).toBe("application/x-apple-aspen-config");
  return identityFromProfile(String(res.body));
}

describe("PUT /mdm with device identities (Mdm-Signature)", () => {
  let deps: TestDeps;
  let first: Identity;
  let second: Identity;
  let third: Identity;
  beforeAll(async () => {
    deps = createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    first = await enrollIdentity(deps);
    second = await enrollIdentity(deps);
    third = await enrollIdentity(deps);
  });

  it("a Mac enrolls, checks in, gets its commands, reports, and the history shows it", async () => {
    const mac = signedMac(deps, first, "SIGNED-1");
    expect((await mac.authenticate()).status).toBe(200);
    expect((await mac.tokenUpdate()).status).toBe(200);
    const info = commandIn(await mac.idle())!;
    expect(info.Command.RequestType).toBe("DeviceInformation");
    const list = commandIn(await mac.report(info.CommandUUID, "Acknowledged", { QueryResponses: { OSVersion: "14.5", Model: "Mac14,2", IsAppleSilicon: true } }))!;
    expect(list.Command.RequestType).toBe("InstalledApplicationList");
    expect(await mac.report(list.CommandUUID, "Acknowledged", { InstalledApplicationList: [{ Identifier: "com.apple.Safari", Name: "Safari", ShortVersion: "18.1", Installing: false }] })).toEqual({ status: 200 });

    const computer = await caller(deps).computers.get({ udid: "SIGNED-1" });
    expect(computer).toMatchObject({ enrolled: true, architecture: "arm64", installedApps: [{ bundleId: "com.apple.Safari", shortVersion: "18.1" }] });
    const history = await caller(deps).computers.history({ id: computer.id });
    expect(history.commands.map((c) => `${c.requestType}:${c.status}`)).toEqual(["InstalledApplicationList:acknowledged", "DeviceInformation:acknowledged"]);
    expect(history.commands.every((c) => c.sentAt !== null && c.completedAt !== null)).toBe(true);
  });

  it("after a restart, a Mac's first request takes its bound identity as the CA's instead of checking the CA's signature again", async () => {
    const issued = await issueDeviceIdentity(deps, { commonName: "Pomona device before a restart" });
    const identity = openIdentity(issued.pkcs12.toString("base64"), issued.password);
    const mac = signedMac(deps, identity, "SIGNED-RESTART");
    const checks = caSignatureChecks.run;
    expect((await mac.authenticate()).status).toBe(200);
    expect((await mac.tokenUpdate()).status).toBe(200);
    expect(caSignatureChecks.run).toBe(checks + 1); // at Authenticate, before the certificate was bound

    forgetCertificateKeys();
    forgetIssuedCertificates();
    const fromBinding = caSignaturesFromBinding.run;
    expect((await mac.idle()).status).toBe(200);
    expect([caSignatureChecks.run - checks, caSignaturesFromBinding.run - fromBinding]).toEqual([1, 1]);
    // Another Mac's identity, not bound to any computer, is checked against the CA at its Authenticate.
    const stranger = await issueDeviceIdentity(deps, { commonName: "Pomona device not bound" });
    const other = signedMac(deps, openIdentity(stranger.pkcs12.toString("base64"), stranger.password), "SIGNED-UNBOUND");
    expect((await other.authenticate()).status).toBe(200);
    expect([caSignatureChecks.run - checks, caSignaturesFromBinding.run - fromBinding]).toEqual([2, 1]);
  });

  it("another device's certificate for this UDID gets 400 and changes nothing", async () => {
    const mac = signedMac(deps, third, "SIGNED-2");
    expect((await mac.authenticate()).status).toBe(200);
    expect((await mac.tokenUpdate()).status).toBe(200);
    const other = signedMac(deps, second, "SIGNED-OTHER");
    expect((await other.authenticate()).status).toBe(200);

    const before = snapshotDb(deps);
    for (const attempt of [() => mac.idle(second), () => mac.tokenUpdate(second)]) {
      const r = await attempt();
      expect(r.status).toBe(400);
      expect(String(r.body)).toContain("does not match the one this device enrolled with");
    }
    // Authenticate with a certificate already bound to another Mac is refused too (no certificate reuse).
    const steal = await signedMac(deps, second, "SIGNED-2").authenticate();
    expect(steal.status).toBe(400);
    expect(String(steal.body)).toContain("already belongs to another device");
    expect(snapshotDb(deps)).toBe(before);
    expect(deps.db.select().from(computers).where(eq(computers.udid, "SIGNED-2")).get()?.enrolled).toBe(true);
  });

  it("an unsigned request and a tampered body get 400, never 401, and change nothing", async () => {
    const mac = signedMac(deps, first, "SIGNED-1");
    const before = snapshotDb(deps);
    const unsigned = await mac.idle(null);
    expect(unsigned.status).toBe(400);
    expect(String(unsigned.body)).toContain("missing Mdm-Signature header");

    const body = Buffer.from(encodePlist({ UDID: "SIGNED-1", Status: "Idle" }));
    const signature = signLikeAMac(body, first, deps.clock.now());
    const tampered = Buffer.from(body.toString().replace("Idle", "Idl "));
    const r = await handleMdmRequest(deps, { method: "PUT", contentType: "application/x-apple-aspen-mdm", body: tampered, signature });
    expect(r.status).toBe(400);
    expect(String(r.body)).toContain("does not match the body");
    expect(snapshotDb(deps)).toBe(before);
  });

  it("an invalid or revoked enrollment token gets no profile", async () => {
    const res = await handleEnrollRequest(deps, "enr_nope");
    expect(res.status).toBe(403);
    const { id, token } = await caller(deps).enrollment.createToken({ label: "revoked" });
    await caller(deps).enrollment.revokeToken({ id });
    expect((await handleEnrollRequest(deps, token)).status).toBe(403);
  });
});
