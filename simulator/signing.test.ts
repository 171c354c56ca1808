import { createHash, createPublicKey, verify, X509Certificate } from "node:crypto";

import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { derChildren, derContent, readDer } from "./der";
import { openPkcs12, parseEnrollmentProfile, unwrapProfile } from "./profile";
import { createMdmSigner, issuerAndSerial } from "./signing";
import { makeEnrollmentProfile, makeTestIdentity, type TestIdentity } from "./test-identity";

const OID_SIGNED_DATA = "06092a864886f70d010702";

function oidText(bytes: Buffer) {
  return forge.asn1.derToOid(forge.util.createBuffer(bytes.toString("binary")));
}

/** Takes a Mdm-Signature apart and checks it as a server would (the wire test checks it against Pomona too). */
function checkSignature(header: string, body: Buffer, certificatePem: string) {
  const der = Buffer.from(header, "base64");
  const ci = readDer(der);
  expect(ci.end).toBe(der.length);
  const [type, explicit] = derChildren(der, ci);
  expect(Buffer.from(der.subarray(type!.start, type!.end)).toString("hex")).toBe(OID_SIGNED_DATA);
  const [signedData] = derChildren(der, explicit!);
  const [version, digestAlgs, encap, certs, signerInfos] = derChildren(der, signedData!);
  expect(derContent(der, version!)).toEqual(Buffer.from([1]));
  expect(oidText(derContent(der, derChildren(der, derChildren(der, digestAlgs!)[0]!)[0]!))).toBe("2.16.840.1.101.3.4.2.1");
  // Detached: the encapsulated content info has a type and no content.
  expect(derChildren(der, encap!)).toHaveLength(1);
  const certDer = Buffer.from(der.subarray(derChildren(der, certs!)[0]!.start, derChildren(der, certs!)[0]!.end));
  expect(certDer.equals(new X509Certificate(certificatePem).raw)).toBe(true);

  const [signerInfo] = derChildren(der, signerInfos!);
  const fields = derChildren(der, signerInfo!);
  const sid = Buffer.from(der.subarray(fields[1]!.start, fields[1]!.end));
  expect(sid).toEqual(issuerAndSerial(certDer));
  // signatureAlgorithm: rsaEncryption with NULL parameters (RFC 3370 §3.2).
  expect(Buffer.from(der.subarray(fields[4]!.start, fields[4]!.end)).toString("hex")).toBe("300d06092a864886f70d0101010500");
  const attrsNode = fields[3]!;
  expect(attrsNode.tag).toBe(0xa0);
  const attrs = new Map(
    derChildren(der, attrsNode).map((a) => {
      const [oid, values] = derChildren(der, a);
      return [oidText(derContent(der, oid!)), derChildren(der, values!)[0]!] as const;
    }),
  );
  expect([...attrs.keys()].sort()).toEqual(["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5"]);
  expect(derContent(der, attrs.get("1.2.840.113549.1.9.4")!)).toEqual(createHash("sha256").update(body).digest());
  // The signature covers the attributes re-tagged as SET OF (0x31).
  const signedAttrs = Buffer.from(der.subarray(attrsNode.start, attrsNode.end));
  signedAttrs[0] = 0x31;
  const signature = derContent(der, fields[5]!);
  return verify("sha256", signedAttrs, createPublicKey(certificatePem), signature);
}

describe("Mdm-Signature (simulator/signing.ts)", () => {
  let identity: TestIdentity;
  beforeAll(() => {
    identity = makeTestIdentity("Sim signer");
  });

  it("[SIM][SIGN]: opens the PKCS#12 with its password and signs bodies as a detached CMS SignedData", () => {
    // node-forge made this PKCS#12 (RSA key, 3DES, 2,048 iterations), as Pomona did before its P-256 identities.
    const opened = openPkcs12(identity.pkcs12, identity.password);
    expect(opened.privateKey.asymmetricKeyType).toBe("rsa");
    expect(opened.certificateDer).toEqual(new X509Certificate(identity.certificatePem).raw);
    expect(new X509Certificate(opened.certificateDer).subject).toContain("CN=Sim signer");
    expect(new X509Certificate(opened.certificateDer).checkPrivateKey(opened.privateKey)).toBe(true);
    const sign = createMdmSigner(opened);
    const body = Buffer.from("<plist><dict><key>Status</key><string>Idle</string></dict></plist>");
    const header = sign(body, new Date("2026-03-02T09:00:00Z"));
    expect(checkSignature(header, body, identity.certificatePem)).toBe(true);
    // A different body does not match the signature.
    expect(() => checkSignature(header, Buffer.from("tampered"), identity.certificatePem)).toThrow();
    // node-forge reads it as PKCS#7 SignedData too.
    const msg = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(header, "base64").toString("binary"))));
    expect((msg as unknown as { type: string }).type).toBe(forge.pki.oids.signedData);
  });

  it("[SIM][SIGN]: refuses a wrong password", () => {
    expect(() => openPkcs12(identity.pkcs12, "wrong")).toThrow(/cannot be opened/);
  });

  it("[SIM][SIGN]: signing is fast enough for load tests (node:crypto does the RSA)", () => {
    const sign = createMdmSigner(openPkcs12(identity.pkcs12, identity.password));
    const body = Buffer.alloc(4096, 0x41);
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sign(body);
    const perSignature = (performance.now() - t0) / n;
    // Reported, not asserted (STYLE §3.11: no timing assertions).
    console.info(`Mdm-Signature: ${perSignature.toFixed(3)} ms per signature`);
    expect(perSignature).toBeGreaterThan(0);
  });

  it("[SIM][PROFILE]: reads an enrollment profile, plain or CMS-signed", () => {
    const text = makeEnrollmentProfile(identity, "http://127.0.0.1:9/mdm");
    const parsed = parseEnrollmentProfile(Buffer.from(text));
    expect(parsed).toMatchObject({ serverUrl: "http://127.0.0.1:9/mdm", checkInUrl: "http://127.0.0.1:9/mdm", topic: "com.apple.mgmt.External.test", signMessage: true, accessRights: 8191 });

    // A signed profile: SignedData with the plist as encapsulated content.
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(text, "utf8");
    const signer = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(identity.pkcs12.toString("binary"))), identity.password);
    const keyBag = signer.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]![0]!;
    const cert = forge.pki.certificateFromPem(identity.certificatePem);
    p7.addCertificate(cert);
    p7.addSigner({ key: keyBag.key!, certificate: cert, digestAlgorithm: forge.pki.oids.sha256!, authenticatedAttributes: [] });
    p7.sign();
    const signed = Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary");
    expect(Buffer.from(unwrapProfile(signed)).toString("utf8")).toBe(text);
    expect(parseEnrollmentProfile(signed).topic).toBe("com.apple.mgmt.External.test");
  });
});
