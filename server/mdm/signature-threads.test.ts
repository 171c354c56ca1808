// Mdm-Signature checked on worker threads (signature-threads.ts) gives the answers verifyMdmSignatureSync
// gives on the event loop, for good signatures and for each kind of refusal; PUT /mdm takes them from
// deps.signatures; a thread that dies fails its requests (never leaves them hanging) and is replaced.
import { randomBytes } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { createMemoryLogger } from "@/server/log";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { certificateSha256, ensureDeviceCa } from "@/server/services/pki";
import { actingAs, createTestDeps, type TestDeps } from "@/server/testing";

import { verifyMdmSignatureSync, type SignatureVerifier } from "./device-auth";
import { CHECKIN_CONTENT_TYPE, handleMdmRequest } from "./endpoint";
import { handleEnrollRequest } from "./enroll";
import { encodePlist } from "./plist";
import { createSignatureThreads } from "./signature-threads";
import { identityFromProfile, signLikeAMac, type Identity } from "./test-identity";

async function enroll(deps: TestDeps): Promise<Identity> {
  const token = createEnrollmentToken(deps, { label: "threads" }, actingAs("alice")).token;
  return identityFromProfile(String((await handleEnrollRequest(deps, token)).body));
}

describe("Mdm-Signature on signature threads", () => {
  let deps: TestDeps;
  let caPem: string;
  let identity: Identity;
  let other: Identity;
  let threads: SignatureVerifier;
  const log = createMemoryLogger();

  beforeAll(async () => {
    deps = createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    identity = await enroll(deps);
    other = await enroll(deps);
    caPem = ensureDeviceCa(deps).certificatePem;
    threads = createSignatureThreads({ threads: 2, log });
  });
  afterAll(async () => {
    await threads.close();
  });

  const body = (udid: string) => Buffer.from(encodePlist({ MessageType: "Authenticate", UDID: udid, Topic: "com.apple.mgmt.External.test" }));

  it("answers as the in-process check does, for a good signature and for each refusal", async () => {
    const now = deps.clock.now();
    const good = body("THREAD-1");
    const header = signLikeAMac(good, identity, now);
    const tampered = Buffer.from(good);
    tampered[40] = tampered[40]! ^ 1;
    const der = Buffer.from(header, "base64");
    const cases: [Buffer, string | undefined, Date][] = [
      [good, header, now],
      [good, signLikeAMac(good, other, now), now],
      [tampered, header, now],
      [good, undefined, now],
      [good, "not base64!", now],
      [good, randomBytes(400).toString("base64"), now],
      [good, der.subarray(0, der.length - 40).toString("base64"), now],
      [good, header, new Date(now.getTime() + 3 * 365 * DAY)], // the identity has expired by then
      [good, signLikeAMac(good, identity, now), new Date(now.getTime() - 2 * DAY)], // not valid yet
    ];
    const inProcess = cases.map(([b, h, at]) => verifyMdmSignatureSync(b, h, caPem, at));
    const onThreads = await Promise.all(cases.map(([b, h, at]) => threads.verify(b, h, caPem, at)));
    expect(onThreads).toEqual(inProcess);
    // Not one answer repeated: each case is a different outcome or a different identity.
    expect(inProcess[0]).toMatchObject({ ok: true, certificateSha256: certificateSha256(identity.certificateDer) });
    expect(inProcess[1]).toMatchObject({ ok: true, certificateSha256: certificateSha256(other.certificateDer) });
    expect(new Set(inProcess.slice(2).map((r) => (r.ok ? "ok" : r.reason))).size).toBeGreaterThanOrEqual(4);
    const first = onThreads[0]!;
    expect(first.ok && Buffer.isBuffer(first.certificateDer) && first.certificateDer.equals(identity.certificateDer)).toBe(true);
  });

  it("checks a body taken from a larger buffer by its own bytes only", async () => {
    const now = deps.clock.now();
    const good = body("THREAD-2");
    const pool = Buffer.concat([Buffer.from("garbage before"), good, Buffer.from("garbage after")]);
    const view = pool.subarray(14, 14 + good.length);
    expect(await threads.verify(view, signLikeAMac(good, identity, now), caPem, now)).toMatchObject({ ok: true });
    expect(view.equals(good)).toBe(true); // the caller's bytes are untouched (the thread gets a copy)
  });

  it("is what PUT /mdm checks when deps carry it", async () => {
    const withThreads = Object.assign({}, deps, { signatures: threads });
    const good = body("THREAD-3");
    const signed = await handleMdmRequest(withThreads, { method: "PUT", contentType: CHECKIN_CONTENT_TYPE, body: good, signature: signLikeAMac(good, identity, deps.clock.now()) });
    expect(signed.status).toBe(200);
    const forged = await handleMdmRequest(withThreads, { method: "PUT", contentType: CHECKIN_CONTENT_TYPE, body: body("THREAD-4"), signature: signLikeAMac(good, identity, deps.clock.now()) });
    expect(forged).toMatchObject({ status: 400, body: "Mdm-Signature does not match the body\n" });
  });

  it("fails the requests of a thread that dies, and starts another for the next", async () => {
    const dying = createSignatureThreads({ threads: 1, log, module: "./testdata/exiting-signature-thread.ts" });
    const now = deps.clock.now();
    const good = body("THREAD-5");
    await expect(dying.verify(good, signLikeAMac(good, identity, now), caPem, now)).rejects.toThrow("signature thread exited (3)");
    // A dead thread left in place would never answer: this one is new, and dies the same way.
    await expect(dying.verify(good, signLikeAMac(good, identity, now), caPem, now)).rejects.toThrow("signature thread exited (3)");
    await dying.close();
    await expect(dying.verify(good, signLikeAMac(good, identity, now), caPem, now)).rejects.toThrow("signature threads are closed");
  });
});
