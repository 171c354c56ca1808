// device-auth.ts reads a signer certificate's facts with cms.ts's DER walker (factsFromDer) and keeps
// OpenSSL's X509Certificate (factsFromX509) for anything that path leaves. These tests hold the two equal on
// every kind of certificate a Mac or an attacker can present, and on single-byte mutants of a real one.
import { generateKeyPairSync } from "node:crypto";

import fc from "fast-check";
import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { certificateSha256, ensureDeviceCa } from "@/server/services/pki";
import { createTestDeps, actingAs } from "@/server/testing";

import { createLeafIssuer } from "../../bench/certs";
import { caFacts, factsFromDer, factsFromX509, type CaFacts, type CertFacts } from "./device-auth";
import { handleEnrollRequest } from "./enroll";
import { derOf, identityFromProfile, legacyRsaIdentity, rsaKey } from "./test-identity";

const comparable = (f: CertFacts) => ({
  sha256: f.sha256,
  notBefore: f.notBefore.toISOString(),
  notAfter: f.notAfter.toISOString(),
  issuedByCa: f.issuedByCa,
  clientAuth: f.clientAuth,
  publicKey: f.publicKey.export({ format: "jwk" }),
});

type Leaf = { notBefore: Date; notAfter: Date; extensions?: object[]; issuerKey?: forge.pki.rsa.PrivateKey; issuerName?: forge.pki.CertificateField[]; md?: forge.md.MessageDigest };

describe("signer certificate facts: the DER path equals X509Certificate", () => {
  const deps = createTestDeps();
  const now = deps.clock.now();
  let ca: CaFacts;
  let caKey: forge.pki.rsa.PrivateKey;
  let caName: forge.pki.CertificateField[];
  let enrolled: Buffer;
  let legacy: Buffer;

  /** A leaf issued (by default) by Pomona's CA with the given validity and extensions. */
  function leaf(options: Leaf): Buffer {
    const key = rsaKey();
    const cert = forge.pki.createCertificate();
    cert.publicKey = key.pub;
    cert.serialNumber = "0a1b2c";
    cert.validity.notBefore = options.notBefore;
    cert.validity.notAfter = options.notAfter;
    cert.setSubject([{ name: "commonName", value: "Pomona device test" }]);
    cert.setIssuer(options.issuerName ?? caName);
    cert.setExtensions(options.extensions ?? [{ name: "extKeyUsage", clientAuth: true }]);
    cert.sign(options.issuerKey ?? caKey, options.md ?? forge.md.sha256.create());
    return derOf(cert);
  }

  function expectSame(der: Buffer, fastPath: boolean): CertFacts {
    const sha = certificateSha256(der);
    const reference = factsFromX509(der, sha, ca);
    const fast = factsFromDer(der, sha, ca);
    if (fastPath) expect(fast, "the DER path covers this certificate").toBeDefined();
    if (fast) expect(comparable(fast)).toEqual(comparable(reference));
    return reference;
  }

  beforeAll(async () => {
    const pem = ensureDeviceCa(deps);
    ca = caFacts(pem.certificatePem);
    caKey = forge.pki.privateKeyFromPem(pem.privateKeyPem);
    caName = forge.pki.certificateFromPem(pem.certificatePem).subject.attributes;
    const { token } = createEnrollmentToken(deps, {}, actingAs("test"));
    enrolled = identityFromProfile(String((await handleEnrollRequest(deps, token)).body)).certificateDer;
    legacy = legacyRsaIdentity(deps, "Pomona device legacy").certificateDer;
  });

  it("an identity Pomona issues at enrollment (P-256), and one it issued before (RSA)", () => {
    expect(expectSame(enrolled, true)).toMatchObject({ issuedByCa: true, clientAuth: true });
    expect(expectSame(enrolled, true).publicKey.asymmetricKeyType).toBe("ec");
    expect(expectSame(legacy, true)).toMatchObject({ issuedByCa: true, clientAuth: true });
    expect(expectSame(legacy, true).publicKey.asymmetricKeyType).toBe("rsa");
  });

  it("the benchmark's minted leaves", () => {
    const pem = ensureDeviceCa(deps);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const issuer = createLeafIssuer({ caCertificatePem: pem.certificatePem, caPrivateKeyPem: pem.privateKeyPem, leafPrivateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 30 * DAY) });
    for (const i of [0, 1, 99_999]) expect(expectSame(issuer.issue(i, `bench-${i}`), true).issuedByCa).toBe(true);
  });

  it("validity in the past, in the future, and past 2049 (GeneralizedTime)", () => {
    expectSame(leaf({ notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - DAY) }), true);
    expectSame(leaf({ notBefore: new Date(now.getTime() + DAY), notAfter: new Date(now.getTime() + 400 * DAY) }), true);
    const late = expectSame(leaf({ notBefore: new Date("2049-12-31T23:59:59Z"), notAfter: new Date("2061-03-04T05:06:07Z") }), true);
    expect(late.notAfter.toISOString()).toBe("2061-03-04T05:06:07.000Z");
  });

  it("extended key usages: none, server only, any, client among others", () => {
    const validity = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) };
    expect(expectSame(leaf({ ...validity, extensions: [] }), true).clientAuth).toBe(true);
    expect(expectSame(leaf({ ...validity, extensions: [{ name: "extKeyUsage", serverAuth: true }] }), true).clientAuth).toBe(false);
    expect(expectSame(leaf({ ...validity, extensions: [{ name: "extKeyUsage", serverAuth: true, codeSigning: true, clientAuth: true }] }), true).clientAuth).toBe(true);
    expect(expectSame(leaf({ ...validity, extensions: [{ name: "basicConstraints", cA: false }, { name: "keyUsage", digitalSignature: true }] }), true).clientAuth).toBe(true);
  });

  it("issued by another CA with Pomona's CA name, or signed with SHA-1 or SHA-512", () => {
    const validity = { notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) };
    expect(expectSame(leaf({ ...validity, issuerKey: rsaKey().key }), true).issuedByCa).toBe(false);
    expect(expectSame(leaf({ ...validity, issuerName: [{ name: "commonName", value: "Someone Else" }] }), false).issuedByCa).toBe(false);
    expectSame(leaf({ ...validity, md: forge.md.sha1.create() }), false);
    expect(expectSame(leaf({ ...validity, md: forge.md.sha512.create() }), true).issuedByCa).toBe(true);
  });

  it("EC keys on P-256, P-384 and P-521 are read by the DER path; another curve is left to X509Certificate", () => {
    const pem = ensureDeviceCa(deps);
    const ecLeaf = (namedCurve: string) => {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve });
      const issuer = createLeafIssuer({ caCertificatePem: pem.certificatePem, caPrivateKeyPem: pem.privateKeyPem, leafPrivateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) });
      return issuer.issue(7, `ec-leaf-${namedCurve}`);
    };
    for (const curve of ["prime256v1", "secp384r1", "secp521r1"]) expect(expectSame(ecLeaf(curve), true)).toMatchObject({ issuedByCa: true, clientAuth: true });
    const k1 = ecLeaf("secp256k1");
    expect(factsFromDer(k1, certificateSha256(k1), ca)).toBeUndefined();
    expect(expectSame(k1, false)).toMatchObject({ issuedByCa: true, clientAuth: true });
  });

  it("an EC point off the curve is refused by both paths", () => {
    const good = enrolled;
    const point = good.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 4;
    const bad = Buffer.from(good);
    bad[point + 63] = bad[point + 63]! ^ 0x01; // y off by one bit: not on P-256
    expect(factsFromDer(bad, certificateSha256(bad), ca)).toBeUndefined();
    expect(() => factsFromX509(bad, certificateSha256(bad), ca)).toThrow();
  });

  it.each(["ec", "rsa"] as const)("every single-byte mutant of an issued %s identity: never issued by the CA on one path only", (keyType) => {
    const original = keyType === "ec" ? enrolled : legacy;
    let readByDer = 0;
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const mutant = Buffer.from(original);
        const i = at % mutant.length;
        mutant[i] = mutant[i]! ^ xor;
        const sha = certificateSha256(mutant);
        let reference: CertFacts | undefined;
        try {
          reference = factsFromX509(mutant, sha, ca);
        } catch {
          reference = undefined; // OpenSSL cannot read it
        }
        const fast = factsFromDer(mutant, sha, ca);
        if (fast) readByDer++;
        if (fast?.issuedByCa) expect(reference && comparable(reference)).toEqual(comparable(fast));
        if (fast && reference) expect(fast.issuedByCa).toBe(reference.issuedByCa);
      }),
      { numRuns: 1500 },
    );
    expect(readByDer, "most mutants still parse, so the comparison is not vacuous").toBeGreaterThan(750);
  });
});
