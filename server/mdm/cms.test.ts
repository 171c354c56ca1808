import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

import { createEnrollmentToken } from "@/server/services/enrollment";
import { ensureDeviceCa } from "@/server/services/pki";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";

import { verifyMdmSignature, verifyMdmSignatureSync } from "./device-auth";
import { handleEnrollRequest } from "./enroll";
import { identityFromProfile, legacyRsaIdentity, signLikeAMac, type Identity } from "./test-identity";

// Each property runs on a P-256 identity (what Pomona issues) and on an RSA one (what Macs enrolled before have).
describe.each(["ec", "rsa"] as const)("Mdm-Signature reading (cms.ts + device-auth.ts), %s identity", (keyType) => {
  let deps: TestDeps;
  let ca = "";
  let body: Buffer;
  let der: Buffer;
  let original = "";

  beforeAll(async () => {
    deps = createTestDeps();
    const { token } = createEnrollmentToken(deps, {}, actingAs("test"));
    const enrolled = identityFromProfile(String((await handleEnrollRequest(deps, token)).body));
    expect(enrolled.privateKey.asymmetricKeyType).toBe("ec");
    const identity: Identity = keyType === "ec" ? enrolled : legacyRsaIdentity(deps, "Pomona device legacy");
    ca = ensureDeviceCa(deps).certificatePem;
    body = Buffer.from("<plist><dict><key>Status</key><string>Idle</string><key>UDID</key><string>CMS-1</string></dict></plist>");
    der = Buffer.from(signLikeAMac(body, identity, deps.clock.now()), "base64");
    const ok = verifyMdmSignatureSync(body, der.toString("base64"), ca, deps.clock.now());
    if (!ok.ok) throw new Error(ok.reason);
    original = ok.certificateSha256;
  });

  it("never throws on random bytes, and never accepts them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const r = verifyMdmSignatureSync(body, Buffer.from(bytes).toString("base64"), ca, deps.clock.now());
        expect(r.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("a signature with any byte changed is refused, unless the change touched nothing it relies on (same identity)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutated = Buffer.from(der);
        const i = at % mutated.length;
        mutated[i] = mutated[i]! ^ xor;
        const r = verifyMdmSignatureSync(body, mutated.toString("base64"), ca, deps.clock.now());
        if (r.ok) expect(r.certificateSha256).toBe(original);
      }),
      { numRuns: 3000 },
    );
  });

  it("a truncated signature is refused with the CMS reason", () => {
    for (const cut of [1, 10, der.length >> 1, der.length - 1]) {
      const r = verifyMdmSignatureSync(body, der.subarray(0, cut).toString("base64"), ca, deps.clock.now());
      expect(r).toEqual({ ok: false, reason: "Mdm-Signature is not valid base64 CMS" });
    }
  });

  it("the endpoint's path, with its checks on the thread pool, answers every mutant as the synchronous one", async () => {
    // Each single-byte change at every 5th offset (signer certificate, CA signature, signed attributes,
    // signature), with either path first, so both compute a certificate's facts as well as read them cached.
    let refused = 0;
    for (let i = 0; i < der.length; i += 5) {
      const mutated = Buffer.from(der);
      mutated[i] = mutated[i]! ^ 0x21;
      const header = mutated.toString("base64");
      const now = deps.clock.now();
      let pool, sync;
      if (i % 2 === 0) {
        pool = await verifyMdmSignature(body, header, ca, now);
        sync = verifyMdmSignatureSync(body, header, ca, now);
      } else {
        sync = verifyMdmSignatureSync(body, header, ca, now);
        pool = await verifyMdmSignature(body, header, ca, now);
      }
      expect(pool).toEqual(sync);
      if (!sync.ok) refused++;
    }
    expect(refused).toBeGreaterThan(der.length / 5 / 2); // most offsets matter: the comparison is not vacuous
    expect(await verifyMdmSignature(body, der.toString("base64"), ca, deps.clock.now())).toMatchObject({ ok: true, certificateSha256: original });
  });
});
