// THE ENROLLMENT TEST: a Mac downloads its profile, opens the identity with the profile's password, signs a
// request body exactly as macOS does (detached CMS SignedData in Mdm-Signature), and Pomona verifies it.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { DAY, HOUR } from "@/server/clock";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { certificateSha256, ensureDeviceCa, issueDeviceIdentity } from "@/server/services/pki";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { events } from "@/db/schema";
import { derBytes, derChildren, derContent, readDer } from "@/simulator/der";
import { createMdmSigner } from "@/simulator/signing";

import { CERT_CACHE_LIMIT, caSignatureChecks, caSignaturesFromBinding, certificateReads, forgetCertificateKeys, verifyMdmSignature, verifyMdmSignatureSync } from "./device-auth";
import { handleEnrollRequest } from "./enroll";
import { decodePlist, type PlistValue } from "./plist";
import { derOf, forgeCertificate, legacyRsaIdentity, openIdentity, rsaKey, SIGNATURE_OIDS, signedData, signLikeAMac, type Identity } from "./test-identity";

type Dict = Record<string, PlistValue>;

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

/** A CA Pomona never saw, and an identity it issued (same names as Pomona's, to make the forgery tempting). */
function makeForeignIdentity(now: Date): Identity {
  const ca = rsaKey();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.pub;
  caCert.serialNumber = "01";
  caCert.validity.notBefore = new Date(now.getTime() - DAY);
  caCert.validity.notAfter = new Date(now.getTime() + 365 * DAY);
  const caName = [
    { name: "commonName", value: "Pomona Device CA" },
    { name: "organizationName", value: "Pomona" },
  ];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([{ name: "basicConstraints", cA: true, critical: true }]);
  caCert.sign(ca.key, forge.md.sha256.create());

  const leaf = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = leaf.pub;
  cert.serialNumber = "02";
  cert.validity.notBefore = new Date(now.getTime() - DAY);
  cert.validity.notAfter = new Date(now.getTime() + 365 * DAY);
  cert.setSubject([{ name: "commonName", value: "Pomona device 00000000" }]);
  cert.setIssuer(caName);
  cert.setExtensions([{ name: "extKeyUsage", clientAuth: true }]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { privateKey: leaf.privateKey, certificateDer: derOf(cert) };
}

/**
 * What a remembered CA signature leaves checked, for `mac`'s certificate whose CA signature `caPem` has on
 * record: a changed body, an expired certificate, and another CA (even under the same name) still fail.
 */
async function expectOnlyTheCaSignatureRemembered(body: Buffer, mac: Identity, caPem: string, now: Date) {
  const tampered = Buffer.from(body);
  tampered[60] = tampered[60]! ^ 0x01;
  expect(await verifyMdmSignature(tampered, signLikeAMac(body, mac, now), caPem, now)).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
  const later = new Date(now.getTime() + 3 * 365 * DAY);
  expect(await verifyMdmSignature(body, signLikeAMac(body, mac, later), caPem, later)).toEqual({ ok: false, reason: "signer certificate expired" });
  const otherCa = ensureDeviceCa(createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" })).certificatePem;
  expect(otherCa).not.toBe(caPem);
  expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), otherCa, now)).toEqual({ ok: false, reason: "signer certificate is not issued by Pomona's device CA" });
}

describe("[MDM][ENROLL] enrollment profile and Mdm-Signature", () => {
  let deps: TestDeps;
  let caPem: string;
  let token: string;
  let profile: Dict;
  let pkcs12Payload: Dict;
  let mdmPayload: Dict;
  let identity: Identity;
  let contentType: string | undefined;

  beforeAll(async () => {
    deps = createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    token = createEnrollmentToken(deps, { label: "Lab Macs" }, actingAs("alice")).token;
    const result = await handleEnrollRequest(deps, token);
    expect(result.status).toBe(200);
    contentType = result.headers?.["content-type"];
    expect(result.headers?.["content-disposition"]).toBe('attachment; filename="pomona-enroll.mobileconfig"');
    profile = decodePlist(String(result.body)) as Dict;
    const content = profile.PayloadContent as Dict[];
    pkcs12Payload = content.find((p) => p.PayloadType === "com.apple.security.pkcs12")!;
    mdmPayload = content.find((p) => p.PayloadType === "com.apple.mdm")!;
    identity = openIdentity(pkcs12Payload.PayloadContent as string, pkcs12Payload.Password as string);
    caPem = ensureDeviceCa(deps).certificatePem;
  });

  it("issues a P-256 identity the profile's password opens", () => {
    expect(identity.privateKey.asymmetricKeyType).toBe("ec");
    expect(identity.privateKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    expect(new X509Certificate(identity.certificateDer).checkPrivateKey(identity.privateKey)).toBe(true);
  });

  it("serves an enrollment profile with Apple's keys", () => {
    expect(contentType).toBe("application/x-apple-aspen-config");
    expect(profile).toMatchObject({ PayloadType: "Configuration", PayloadVersion: 1, PayloadDisplayName: "Pomona MDM enrollment", PayloadOrganization: "Pomona" });
    expect(profile.PayloadUUID).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(typeof profile.PayloadIdentifier).toBe("string");
    expect(pkcs12Payload).toMatchObject({ PayloadVersion: 1, PayloadDisplayName: "Device identity" });
    expect(typeof pkcs12Payload.Password).toBe("string");
    expect(mdmPayload).toMatchObject({
      PayloadVersion: 1,
      ServerURL: "https://mdm.example.com/mdm",
      CheckInURL: "https://mdm.example.com/mdm",
      IdentityCertificateUUID: pkcs12Payload.PayloadUUID,
      SignMessage: true,
      CheckOutWhenRemoved: true,
      AccessRights: 8191,
    });
    expect(mdmPayload).not.toHaveProperty("ServerCapabilities");
    expect(mdmPayload.Topic).toMatch(/^com\.apple\.mgmt\./);
    const uuids = [profile.PayloadUUID, pkcs12Payload.PayloadUUID, mdmPayload.PayloadUUID];
    expect(new Set(uuids).size).toBe(3);
  });

  it("records the issued profile as one device event naming the token", () => {
    const issued = deps.db.select().from(events).all().filter((e) => e.type === "enrollment.profile_issued");
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ category: "device", actor: "system" });
    expect(issued[0]!.message).toContain("Lab Macs");
    expect(JSON.stringify(issued)).not.toContain(token);
  });

  it("gives every enrollment its own identity", async () => {
    const second = await handleEnrollRequest(deps, token);
    expect(second.status).toBe(200);
    const content = (decodePlist(String(second.body)) as Dict).PayloadContent as Dict[];
    const p12 = content.find((p) => p.PayloadType === "com.apple.security.pkcs12")!;
    const other = openIdentity(p12.PayloadContent as string, p12.Password as string);
    expect(certificateSha256(other.certificateDer)).not.toBe(certificateSha256(identity.certificateDer));
    expect(p12.Password).not.toBe(pkcs12Payload.Password);
    // Same CA, same topic.
    expect(new X509Certificate(other.certificateDer).verify(new X509Certificate(caPem).publicKey)).toBe(true);
    expect(content.find((p) => p.PayloadType === "com.apple.mdm")?.Topic).toBe(mdmPayload.Topic);
  });

  it("notes the identity it issued as the CA's: the Mac's first request checks its own signature, not the CA's again", async () => {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string></dict></plist>\n`);
    const now = deps.clock.now();
    const start = caSignatureChecks.run;
    expect(await verifyMdmSignature(body, signLikeAMac(body, identity, now), caPem, now)).toMatchObject({ ok: true, certificateSha256: certificateSha256(identity.certificateDer) });
    expect(caSignatureChecks.run).toBe(start);
    await expectOnlyTheCaSignatureRemembered(body, identity, caPem, now);
  });

  it("refuses an enrollment without a valid token, saying only that", async () => {
    for (const bad of [null, "", "enr_wrong"]) {
      const result = await handleEnrollRequest(deps, bad);
      expect(result.status).toBe(403);
      expect(result.headers?.["content-type"]).toMatch(/^text\/plain/);
      expect(result.body).toBe("invalid or expired enrollment token\n");
    }
  });
});

// The signature checks, on a P-256 identity (what Pomona issues) and on an RSA one (Macs enrolled before).
describe.each(["ec", "rsa"] as const)("[MDM][ENROLL] Mdm-Signature by a %s identity", (keyType) => {
  let deps: TestDeps;
  let caPem: string;
  let identity: Identity;

  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string><key>Topic</key><string>x</string><key>UDID</key><string>0000FE00-1234</string></dict></plist>\n`,
  );

  /** A new identity of this key type from Pomona's device CA: an enrollment's, or a legacy RSA one. */
  async function issueIdentity(): Promise<Identity> {
    if (keyType === "rsa") {
      const legacy = legacyRsaIdentity(deps, "Pomona device legacy");
      return openIdentity(legacy.pkcs12.toString("base64"), legacy.password);
    }
    const token = createEnrollmentToken(deps, { label: "Lab Macs" }, actingAs("alice")).token;
    const payloads = (decodePlist(String((await handleEnrollRequest(deps, token)).body)) as Dict).PayloadContent as Dict[];
    const p12 = payloads.find((p) => p.PayloadType === "com.apple.security.pkcs12")!;
    return openIdentity(p12.PayloadContent as string, p12.Password as string);
  }

  /**
   * The same, signed by the CA but not issued by this process's enrollment, as a Mac enrolled before a
   * restart is seen: nothing remembers its CA signature yet.
   */
  async function identityFromBeforeARestart(): Promise<Identity> {
    if (keyType === "rsa") return issueIdentity();
    const issued = await issueDeviceIdentity(deps, { commonName: "Pomona device before a restart" });
    return openIdentity(issued.pkcs12.toString("base64"), issued.password);
  }

  beforeAll(async () => {
    deps = createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    identity = await issueIdentity();
    expect(identity.privateKey.asymmetricKeyType).toBe(keyType);
    caPem = ensureDeviceCa(deps).certificatePem;
  });

  it("verifies a body signed by the enrolled identity, like a Mac", async () => {
    const header = signLikeAMac(body, identity, deps.clock.now());
    const result = await verifyMdmSignature(body, header, caPem, deps.clock.now());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.certificateDer.equals(identity.certificateDer)).toBe(true);
    expect(result.certificateSha256).toBe(certificateSha256(identity.certificateDer));
    expect(result.certificateSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("checks the CA's signature on a certificate once: a Mac whose key was let go costs its own signature only", async () => {
    const mac = await identityFromBeforeARestart();
    const now = deps.clock.now();
    const start = caSignatureChecks.run;
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now)).toMatchObject({ ok: true });
    expect(caSignatureChecks.run).toBe(start + 1);
    forgetCertificateKeys();
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now)).toMatchObject({ ok: true, certificateSha256: certificateSha256(mac.certificateDer) });
    expect(verifyMdmSignatureSync(body, signLikeAMac(body, mac, now), caPem, now)).toMatchObject({ ok: true });
    expect(caSignatureChecks.run).toBe(start + 1);
    forgetCertificateKeys();
    await expectOnlyTheCaSignatureRemembered(body, mac, caPem, now);
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now)).toMatchObject({ ok: true });
  });

  it("takes a computer's bound identity as the CA's without checking its signature again, and still checks the rest", async () => {
    const mac = await identityFromBeforeARestart();
    const stranger = await identityFromBeforeARestart();
    const now = deps.clock.now();
    const sha = certificateSha256(mac.certificateDer);
    const asked: string[] = [];
    const bound = (candidate: string) => (asked.push(candidate), candidate === sha);
    const [checks, fromBinding] = [caSignatureChecks.run, caSignaturesFromBinding.run];
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now, bound)).toMatchObject({ ok: true, certificateSha256: sha });
    expect([caSignatureChecks.run - checks, caSignaturesFromBinding.run - fromBinding]).toEqual([0, 1]);
    // Remembered now: the database is not asked again, even once the key is let go.
    forgetCertificateKeys();
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now, bound)).toMatchObject({ ok: true });
    expect(asked).toEqual([sha]);
    // A certificate no computer holds has the CA's signature checked.
    expect(await verifyMdmSignature(body, signLikeAMac(body, stranger, now), caPem, now, bound)).toMatchObject({ ok: true });
    expect([caSignatureChecks.run - checks, caSignaturesFromBinding.run - fromBinding]).toEqual([1, 1]);
    // Whatever the binding says, the body, the validity and the algorithms are the request's own checks.
    forgetCertificateKeys();
    const anyBound = () => true;
    const tampered = Buffer.from(body);
    tampered[60] = tampered[60]! ^ 0x01;
    expect(await verifyMdmSignature(tampered, signLikeAMac(body, mac, now), caPem, now, anyBound)).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
    const later = new Date(now.getTime() + 3 * 365 * DAY);
    expect(await verifyMdmSignature(body, signLikeAMac(body, mac, later), caPem, later, anyBound)).toEqual({ ok: false, reason: "signer certificate expired" });
  });

  // The ring does not depend on the key type; a legacy RSA identity takes ~0.2 s to make, 129 of them too long.
  it.runIf(keyType === "ec")("keeps the last Macs' keys in a ring: the one kept longest goes first, and each answer names its own certificate", async () => {
    const macs: Identity[] = [];
    for (let i = 0; i <= CERT_CACHE_LIMIT; i++) macs.push(await issueIdentity());
    const now = deps.clock.now();
    const reads = () => certificateReads.run;
    const check = async (mac: Identity) =>
      expect(await verifyMdmSignature(body, signLikeAMac(body, mac, now), caPem, now)).toMatchObject({ ok: true, certificateSha256: certificateSha256(mac.certificateDer) });
    forgetCertificateKeys();
    let start = reads();
    for (const mac of macs.slice(0, CERT_CACHE_LIMIT)) await check(mac);
    expect(reads()).toBe(start + CERT_CACHE_LIMIT);
    // All kept, the ring full: no certificate is read again.
    start = reads();
    for (const mac of macs.slice(0, CERT_CACHE_LIMIT)) await check(mac);
    expect(reads()).toBe(start);
    // One more takes the slot of the first one kept.
    await check(macs[CERT_CACHE_LIMIT]!);
    expect(reads()).toBe(start + 1);
    await check(macs[1]!);
    await check(macs[CERT_CACHE_LIMIT]!);
    expect(reads()).toBe(start + 1);
    await check(macs[0]!); // read again, in the second Mac's slot
    expect(reads()).toBe(start + 2);
    await check(macs[1]!);
    expect(reads()).toBe(start + 3);
    // A forgotten ring reads every certificate again, each still under its own name.
    forgetCertificateKeys();
    start = reads();
    for (const mac of macs.slice(0, 3)) await check(mac);
    expect(reads()).toBe(start + 3);
  });

  it("refuses a body changed by one byte", async () => {
    const header = signLikeAMac(body, identity, deps.clock.now());
    const tampered = Buffer.from(body);
    tampered[60] = tampered[60]! ^ 0x01;
    expect(await verifyMdmSignature(tampered, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
  });

  it("refuses a missing or garbage header", async () => {
    const now = deps.clock.now();
    expect(await verifyMdmSignature(body, undefined, caPem, now)).toEqual({ ok: false, reason: "missing Mdm-Signature header" });
    expect(await verifyMdmSignature(body, "  ", caPem, now)).toEqual({ ok: false, reason: "missing Mdm-Signature header" });
    for (const garbage of ["not base64 at all!", "AAAA", randomBytes(300).toString("base64"), Buffer.from("<plist/>").toString("base64")]) {
      expect(await verifyMdmSignature(body, garbage, caPem, now)).toEqual({ ok: false, reason: "Mdm-Signature is not valid base64 CMS" });
    }
  });

  it("refuses a signature whose signed attributes were cut off mid-way", async () => {
    const header = signLikeAMac(body, identity, deps.clock.now());
    const der = Buffer.from(header, "base64");
    const result = await verifyMdmSignature(body, der.subarray(0, der.length - 40).toString("base64"), caPem, deps.clock.now());
    expect(result.ok).toBe(false);
  });

  it("verifies the body, not content a signer attached", async () => {
    const other = Buffer.from(body.toString().replace("Authenticate", "TokenUpdate"));
    const attached = signedData(other, [identity], { signingTime: deps.clock.now(), attached: true });
    expect(await verifyMdmSignature(other, attached, caPem, deps.clock.now())).toMatchObject({ ok: true });
    expect(await verifyMdmSignature(body, attached, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
    if (keyType === "rsa") {
      // The same with node-forge's PKCS#7 (which signs RSA only).
      const cert = forgeCertificate(identity.certificateDer);
      const p7 = forge.pkcs7.createSignedData();
      p7.content = forge.util.createBuffer(other.toString("binary"));
      p7.addCertificate(cert);
      const key = forge.pki.privateKeyFromPem(identity.privateKey.export({ type: "pkcs1", format: "pem" }) as string);
      p7.addSigner({ key, certificate: cert, digestAlgorithm: forge.pki.oids.sha256!, authenticatedAttributes: [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }] });
      p7.sign();
      const forged = Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary").toString("base64");
      expect(await verifyMdmSignature(other, forged, caPem, deps.clock.now())).toMatchObject({ ok: true });
      expect(await verifyMdmSignature(body, forged, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
    }
  });

  it("refuses a signature with two signers", async () => {
    const headers = [signedData(body, [identity, identity], { signingTime: deps.clock.now() })];
    if (keyType === "rsa") {
      // The same with node-forge's PKCS#7 (which signs RSA only).
      const cert = forgeCertificate(identity.certificateDer);
      const key = forge.pki.privateKeyFromPem(identity.privateKey.export({ type: "pkcs1", format: "pem" }) as string);
      const p7 = forge.pkcs7.createSignedData();
      p7.content = forge.util.createBuffer(body.toString("binary"));
      p7.addCertificate(cert);
      for (let i = 0; i < 2; i++) p7.addSigner({ key, certificate: cert, digestAlgorithm: forge.pki.oids.sha256!, authenticatedAttributes: [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }] });
      p7.sign({ detached: true });
      headers.push(Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary").toString("base64"));
    }
    for (const header of headers) {
      expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature must have exactly one signer (found 2)" });
    }
  });

  it("refuses a signature by a certificate from another CA", async () => {
    const foreign = makeForeignIdentity(deps.clock.now());
    const header = signLikeAMac(body, foreign, deps.clock.now());
    expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "signer certificate is not issued by Pomona's device CA" });
  });

  it("refuses a signature that carries another certificate than the signer's", async () => {
    const foreign = makeForeignIdentity(deps.clock.now());
    // Signed with a foreign key but presenting Pomona's certificate: the signature cannot verify.
    const header = signLikeAMac(body, { privateKey: keyType === "ec" ? generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey : foreign.privateKey, certificateDer: identity.certificateDer }, deps.clock.now());
    expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
  });

  it("refuses a signer certificate once it has expired", async () => {
    const later = new Date(deps.clock.now().getTime() + 3 * 365 * DAY);
    const header = signLikeAMac(body, identity, later);
    expect(await verifyMdmSignature(body, header, caPem, later)).toEqual({ ok: false, reason: "signer certificate expired" });
    // Still fine a day before the two years are up.
    const before = new Date(new Date(new X509Certificate(identity.certificateDer).validTo).getTime() - HOUR);
    expect((await verifyMdmSignature(body, signLikeAMac(body, identity, before), caPem, before)).ok).toBe(true);
  });

  it("refuses a signature algorithm that does not fit the key, or an ECDSA one naming another hash than the digest", async () => {
    const now = deps.clock.now();
    const other = keyType === "ec" ? SIGNATURE_OIDS.sha256WithRsa : SIGNATURE_OIDS.ecdsaWithSha256;
    expect(await verifyMdmSignature(body, signedData(body, [identity], { signingTime: now, signatureAlgorithm: other }), caPem, now)).toEqual({
      ok: false,
      reason: "Mdm-Signature's algorithm does not fit the signer certificate's key",
    });
    if (keyType === "ec") {
      // ecdsa-with-SHA384 over a SHA-256 digest: ECDSA signatures do not say which hash they were made with.
      expect(await verifyMdmSignature(body, signedData(body, [identity], { signingTime: now, signatureAlgorithm: SIGNATURE_OIDS.ecdsaWithSha384 }), caPem, now)).toEqual({
        ok: false,
        reason: "Mdm-Signature uses an unsupported digest algorithm",
      });
      // …and the same with a SHA-384 digest, as RFC 5753 pairs them, is fine.
      expect(await verifyMdmSignature(body, signedData(body, [identity], { signingTime: now, signatureAlgorithm: SIGNATURE_OIDS.ecdsaWithSha384, digest: "sha384" }), caPem, now)).toMatchObject({ ok: true });
    }
  });

  it("verifies the virtual Mac's signature (simulator/signing.ts)", async () => {
    const header = createMdmSigner(identity)(body, deps.clock.now());
    expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toMatchObject({ ok: true, certificateSha256: certificateSha256(identity.certificateDer) });
    // SignerInfo.signatureAlgorithm: ecdsa-with-SHA256 without parameters (RFC 5758 §3.2), rsaEncryption with NULL.
    const der = Buffer.from(header, "base64");
    const signedDataNode = derChildren(der, derChildren(der, readDer(der))[1]!)[0]!;
    const signerInfo = derChildren(der, derChildren(der, signedDataNode).at(-1)!)[0]!;
    const [, , , attributes, algorithm, signature] = derChildren(der, signerInfo);
    expect(derBytes(der, algorithm!).toString("hex")).toBe(keyType === "ec" ? "300a06082a8648ce3d040302" : "300d06092a864886f70d0101010500");
    // The signature is over the signed attributes as a SET OF; ECDSA's is the DER Ecdsa-Sig-Value.
    const signed = derBytes(der, attributes!);
    signed[0] = 0x31;
    expect(verify("sha256", signed, identity.privateKey, derContent(der, signature!))).toBe(true);
    if (keyType === "ec") expect(derContent(der, signature!)[0]).toBe(0x30);
  });

  it.skipIf(!hasOpenssl)("verifies what OpenSSL's CMS signs, and OpenSSL verifies the virtual Mac's signature", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "pomona-cms-"));
    try {
      const file = (name: string, content: string | Buffer) => (writeFileSync(path.join(dir, name), content), path.join(dir, name));
      const cert = file("cert.pem", new X509Certificate(identity.certificateDer).toString());
      const key = file("key.pem", identity.privateKey.export({ type: "pkcs8", format: "pem" }));
      const content = file("body.plist", body);
      const signed = spawnSync("openssl", ["cms", "-sign", "-binary", "-in", content, "-signer", cert, "-inkey", key, "-md", "sha256", "-outform", "DER", "-nosmimecap"]);
      expect(signed.status, signed.stderr.toString()).toBe(0);
      expect(verifyMdmSignatureSync(body, signed.stdout.toString("base64"), caPem, deps.clock.now())).toMatchObject({ ok: true });
      expect(verifyMdmSignatureSync(Buffer.from(body.toString().replace("Authenticate", "TokenUpdate")), signed.stdout.toString("base64"), caPem, deps.clock.now())).toMatchObject({ ok: false });

      const ours = file("ours.der", Buffer.from(createMdmSigner(identity)(body, deps.clock.now()), "base64"));
      const verified = spawnSync("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", ours, "-content", content, "-noverify", "-out", path.join(dir, "out")]);
      expect(verified.status, verified.stderr.toString()).toBe(0);
      expect(verified.stderr.toString()).toContain("Verification successful");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts the public key's algorithm as the signature algorithm, as NSS-lineage signers write it", async () => {
    const now = deps.clock.now();
    const oid = keyType === "ec" ? SIGNATURE_OIDS.ecPublicKey : SIGNATURE_OIDS.rsaEncryption;
    expect(await verifyMdmSignature(body, signedData(body, [identity], { signingTime: now, signatureAlgorithm: oid }), caPem, now)).toMatchObject({ ok: true });
    expect(await verifyMdmSignature(body, signedData(body, [identity], { signingTime: now, signatureAlgorithm: oid, digest: "sha512" }), caPem, now)).toMatchObject({ ok: true });
  });
});
