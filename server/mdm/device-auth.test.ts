// THE ENROLLMENT TEST: a Mac downloads its profile, opens the identity with the profile's password, signs a
// request body exactly as macOS does (detached CMS SignedData in Mdm-Signature), and Pomona verifies it.
import { randomBytes } from "node:crypto";

import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { DAY, HOUR } from "@/server/clock";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { certificateSha256, ensureDeviceCa } from "@/server/services/pki";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { events } from "@/db/schema";

import { verifyMdmSignature } from "./device-auth";
import { handleEnrollRequest } from "./enroll";
import { decodePlist, type PlistValue } from "./plist";
import { derOf, openIdentity, rsaKey, signLikeAMac, type Identity } from "./test-identity";

type Dict = Record<string, PlistValue>;

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
  return { key: leaf.key, cert };
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

  const body = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string><key>Topic</key><string>x</string><key>UDID</key><string>0000FE00-1234</string></dict></plist>\n`,
  );

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

  it("verifies a body signed by the enrolled identity, like a Mac", async () => {
    const header = signLikeAMac(body, identity, deps.clock.now());
    const result = await verifyMdmSignature(body, header, caPem, deps.clock.now());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.certificateDer.equals(derOf(identity.cert))).toBe(true);
    expect(result.certificateSha256).toBe(certificateSha256(derOf(identity.cert)));
    expect(result.certificateSha256).toMatch(/^[0-9a-f]{64}$/);
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
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(other.toString("binary"));
    p7.addCertificate(identity.cert);
    p7.addSigner({ key: identity.key, certificate: identity.cert, digestAlgorithm: forge.pki.oids.sha256!, authenticatedAttributes: [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }] });
    p7.sign();
    const attached = Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary").toString("base64");
    expect(await verifyMdmSignature(other, attached, caPem, deps.clock.now())).toMatchObject({ ok: true });
    expect(await verifyMdmSignature(body, attached, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
  });

  it("refuses a signature with two signers", async () => {
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(body.toString("binary"));
    p7.addCertificate(identity.cert);
    for (let i = 0; i < 2; i++) p7.addSigner({ key: identity.key, certificate: identity.cert, digestAlgorithm: forge.pki.oids.sha256!, authenticatedAttributes: [{ type: forge.pki.oids.contentType!, value: forge.pki.oids.data! }, { type: forge.pki.oids.messageDigest! }] });
    p7.sign({ detached: true });
    const header = Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary").toString("base64");
    const result = await verifyMdmSignature(body, header, caPem, deps.clock.now());
    expect(result).toEqual({ ok: false, reason: "Mdm-Signature must have exactly one signer (found 2)" });
  });

  it("refuses a signature by a certificate from another CA", async () => {
    const foreign = makeForeignIdentity(deps.clock.now());
    const header = signLikeAMac(body, foreign, deps.clock.now());
    expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "signer certificate is not issued by Pomona's device CA" });
  });

  it("refuses a signature that carries another certificate than the signer's", async () => {
    const foreign = makeForeignIdentity(deps.clock.now());
    // Signed with a foreign key but presenting Pomona's certificate: the signature cannot verify.
    const header = signLikeAMac(body, { key: foreign.key, cert: identity.cert }, deps.clock.now());
    expect(await verifyMdmSignature(body, header, caPem, deps.clock.now())).toEqual({ ok: false, reason: "Mdm-Signature does not match the body" });
  });

  it("refuses a signer certificate once it has expired", async () => {
    const later = new Date(deps.clock.now().getTime() + 3 * 365 * DAY);
    const header = signLikeAMac(body, identity, later);
    expect(await verifyMdmSignature(body, header, caPem, later)).toEqual({ ok: false, reason: "signer certificate expired" });
    // Still fine a day before the two years are up.
    const before = new Date(identity.cert.validity.notAfter.getTime() - HOUR);
    expect((await verifyMdmSignature(body, signLikeAMac(body, identity, before), caPem, before)).ok).toBe(true);
  });

  it("gives every enrollment its own identity", async () => {
    const second = await handleEnrollRequest(deps, token);
    expect(second.status).toBe(200);
    const content = (decodePlist(String(second.body)) as Dict).PayloadContent as Dict[];
    const p12 = content.find((p) => p.PayloadType === "com.apple.security.pkcs12")!;
    const other = openIdentity(p12.PayloadContent as string, p12.Password as string);
    expect(certificateSha256(derOf(other.cert))).not.toBe(certificateSha256(derOf(identity.cert)));
    expect(p12.Password).not.toBe(pkcs12Payload.Password);
    // Same CA, same topic.
    expect(forge.pki.certificateFromPem(caPem).verify(other.cert)).toBe(true);
    expect(content.find((p) => p.PayloadType === "com.apple.mdm")?.Topic).toBe(mdmPayload.Topic);
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
