import crypto from "node:crypto";

import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { isAppError } from "@/server/errors";
import type { PushProvider } from "@/server/push/provider";
import { createTestDeps, TEST_START, type TestDeps, actingAs } from "@/server/testing";
import { createContextInner } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { auditLog, credentials } from "@/db/schema";

import { getPushCertificate, installPushCertificate } from "./push-certificate";
import { pushCertificate, rsaKeys, type Keys } from "./test-push-certificate";

const TOPIC = `com.apple.mgmt.External.${crypto.randomUUID()}`;

let keys: Keys;
let otherKeys: Keys;
let validPem: string;

beforeAll(() => {
  keys = rsaKeys();
  otherKeys = rsaKeys();
  validPem = pushCertificate(keys, { uid: TOPIC });
});

const opened: TestDeps[] = [];
function testDeps() {
  const deps = createTestDeps();
  opened.push(deps);
  return deps;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.push.close()));
});

async function badRequest(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    expect(isAppError(e) && e.code).toBe("BAD_REQUEST");
    return (e as Error).message;
  }
  throw new Error("expected a BAD_REQUEST AppError");
}

function storedRows(deps: TestDeps) {
  return {
    credentials: deps.db.select().from(credentials).where(eq(credentials.name, "apns_push")).all(),
    audit: deps.db.select().from(auditLog).where(eq(auditLog.action, "push_certificate.installed")).all(),
  };
}

describe("push certificate", () => {
  it("installs a valid certificate: stored with one audit event, summary read back, push provider switched to APNs", async () => {
    const deps = testDeps();
    expect(getPushCertificate(deps)).toBeNull();
    const local = deps.push;
    let localClosed = false;
    const closeLocal = local.close.bind(local);
    local.close = async () => {
      localClosed = true;
      await closeLocal();
    };

    const summary = await installPushCertificate(deps, { certificatePem: validPem, privateKeyPem: keys.privatePem }, actingAs("alice"));
    const notAfter = new Date("2027-01-01T00:00:00Z");
    const daysLeft = Math.floor((notAfter.getTime() - TEST_START.getTime()) / DAY);
    expect(summary).toEqual({ topic: TOPIC, subject: `UID=${TOPIC}, CN=APSP:test-push`, notAfter, daysLeft });
    expect(getPushCertificate(deps)).toEqual(summary);

    const rows = storedRows(deps);
    expect(rows.credentials).toHaveLength(1);
    expect(rows.credentials[0]).toMatchObject({ topic: TOPIC, notAfter, certificatePem: validPem.trim(), privateKeyPem: keys.privatePem.trim(), createdAt: TEST_START });
    expect(rows.audit).toHaveLength(1);
    expect(rows.audit[0]).toMatchObject({ actorName: "alice", actorRole: "admin", at: TEST_START, targetType: "push_certificate" });
    expect(rows.audit[0]!.summary).toContain(TOPIC);
    expect(JSON.stringify(rows.audit)).not.toContain("PRIVATE KEY");

    expect((deps.push as PushProvider).name).toBe("apns");
    expect(localClosed).toBe(true);

    deps.clock.advance(DAY);
    expect(getPushCertificate(deps)?.daysLeft).toBe(daysLeft - 1);
  });

  it("replacing the certificate updates the one row, keeps createdAt and writes a second audit event", async () => {
    const deps = testDeps();
    await installPushCertificate(deps, { certificatePem: validPem, privateKeyPem: keys.privatePem }, actingAs("alice"));
    deps.clock.advance(DAY);
    const renewed = pushCertificate(otherKeys, { uid: TOPIC, notAfter: new Date("2027-06-01T00:00:00Z") });
    const summary = await installPushCertificate(deps, { certificatePem: renewed, privateKeyPem: otherKeys.privatePem }, actingAs("bob"));
    expect(summary.notAfter).toEqual(new Date("2027-06-01T00:00:00Z"));
    const rows = storedRows(deps);
    expect(rows.credentials).toHaveLength(1);
    expect(rows.credentials[0]).toMatchObject({ createdAt: TEST_START, updatedAt: deps.clock.now(), certificatePem: renewed.trim() });
    expect(rows.audit.map((e) => e.actorName)).toEqual(["alice", "bob"]);
  });

  it("refuses a private key that does not match the certificate, and changes nothing", async () => {
    const deps = testDeps();
    const before = deps.push;
    const message = await badRequest(installPushCertificate(deps, { certificatePem: validPem, privateKeyPem: otherKeys.privatePem }, actingAs("alice")));
    expect(message).toBe("The private key does not match the certificate");
    expect(storedRows(deps)).toEqual({ credentials: [], audit: [] });
    expect(deps.push).toBe(before);
    expect(getPushCertificate(deps)).toBeNull();
  });

  it("refuses an expired certificate", async () => {
    const deps = testDeps();
    const expired = pushCertificate(keys, { uid: TOPIC, notAfter: new Date("2026-03-01T00:00:00Z") });
    const message = await badRequest(installPushCertificate(deps, { certificatePem: expired, privateKeyPem: keys.privatePem }, actingAs("alice")));
    expect(message).toMatch(/^The certificate expired on 2026-03-01/);
    expect(storedRows(deps)).toEqual({ credentials: [], audit: [] });
  });

  it("refuses a certificate that is not an MDM push certificate (no UID, or a topic outside com.apple.mgmt.)", async () => {
    const deps = testDeps();
    const noUid = pushCertificate(keys);
    expect(await badRequest(installPushCertificate(deps, { certificatePem: noUid, privateKeyPem: keys.privatePem }, actingAs("alice")))).toMatch(/subject has no UID/);
    const other = pushCertificate(keys, { uid: "com.example.app" });
    expect(await badRequest(installPushCertificate(deps, { certificatePem: other, privateKeyPem: keys.privatePem }, actingAs("alice")))).toMatch(
      /topic "com\.example\.app" does not start with com\.apple\.mgmt\./,
    );
    expect(storedRows(deps)).toEqual({ credentials: [], audit: [] });
  });

  it("refuses text that is not a certificate or not a private key", async () => {
    const deps = testDeps();
    expect(await badRequest(installPushCertificate(deps, { certificatePem: "hello", privateKeyPem: keys.privatePem }, actingAs("alice")))).toMatch(/certificate could not be read/);
    expect(await badRequest(installPushCertificate(deps, { certificatePem: validPem, privateKeyPem: validPem }, actingAs("alice")))).toMatch(/private key could not be read/);
    expect(storedRows(deps)).toEqual({ credentials: [], audit: [] });
  });

  it("shows a certificate about to expire with its days left, negative once expired", async () => {
    const deps = testDeps();
    const soon = pushCertificate(keys, { uid: TOPIC, notAfter: new Date(TEST_START.getTime() + 10 * DAY + 1000) });
    expect((await installPushCertificate(deps, { certificatePem: soon, privateKeyPem: keys.privatePem }, actingAs("alice"))).daysLeft).toBe(10);
    deps.clock.advance(11 * DAY);
    expect(getPushCertificate(deps)?.daysLeft).toBe(-1);
  });

  it("system.pushCertificate and system.uploadPushCertificate call the service with the actor's name", async () => {
    const deps = testDeps();
    const caller = createCallerFactory(appRouter)(createContextInner({ deps, actor: actingAs("carol") }));
    expect(await caller.system.pushCertificate()).toBeNull();
    const uploaded = await caller.system.uploadPushCertificate({ certificatePem: validPem, privateKeyPem: keys.privatePem });
    expect(uploaded.topic).toBe(TOPIC);
    expect(await caller.system.pushCertificate()).toEqual(uploaded);
    expect(storedRows(deps).audit[0]?.actorName).toBe("carol");
    await expect(caller.system.uploadPushCertificate({ certificatePem: "x".repeat(20_001), privateKeyPem: "" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.system.uploadPushCertificate({ certificatePem: validPem, privateKeyPem: otherKeys.privatePem })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "The private key does not match the certificate",
    });
  });
});
