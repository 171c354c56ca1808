import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import tls from "node:tls";

import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { credentials, settings } from "@/db/schema";
import { derChildren, derContent, derOidText, readDer } from "@/simulator/der";
import { readPkcs12 } from "@/simulator/pkcs12";

import {
  assembleCertificate,
  certificateIssuer,
  certificateSha256,
  ensureDeviceCa,
  getPushTopic,
  identityTbsCertificate,
  issueDeviceIdentity,
  type DeviceIdentity,
} from "./pki";

const field = (name: forge.pki.Certificate["subject"], short: string) => (name.getField(short) as { value?: string } | null)?.value;

/** A certificate's extensions as encoded: OID → { critical, value (extnValue's bytes, hex) }. */
function extensionsOf(der: Buffer): Record<string, { critical: boolean; value: string }> {
  const [tbs] = derChildren(der, readDer(der));
  const wrapper = derChildren(der, tbs!).find((f) => f.tag === 0xa3)!;
  const out: Record<string, { critical: boolean; value: string }> = {};
  for (const extension of derChildren(der, derChildren(der, wrapper)[0]!)) {
    const parts = derChildren(der, extension);
    out[derOidText(der, parts[0]!)] = { critical: parts.length === 3 && der[parts[1]!.contentStart] === 0xff, value: derContent(der, parts.at(-1)!).toString("hex") };
  }
  return out;
}

/** The tbsCertificate's fields as encoded, in order. */
function tbsFieldsOf(der: Buffer): Buffer[] {
  const [tbs] = derChildren(der, readDer(der));
  return derChildren(der, tbs!).map((n) => der.subarray(n.start, n.end));
}

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe("pki", () => {
  let deps: TestDeps;
  let identity: DeviceIdentity;

  beforeAll(async () => {
    deps = createTestDeps();
    identity = await issueDeviceIdentity(deps, { commonName: "Pomona device test" });
  });

  it("creates the device CA once and reuses it", () => {
    const first = ensureDeviceCa(deps);
    const second = ensureDeviceCa(deps);
    expect(second).toEqual(first);
    expect(deps.db.select().from(credentials).all().filter((r) => r.name === "device_ca")).toHaveLength(1);

    const ca = forge.pki.certificateFromPem(first.certificatePem);
    expect(field(ca.subject, "CN")).toBe("Pomona Device CA");
    expect(field(ca.subject, "O")).toBe("Pomona");
    expect(ca.isIssuer(ca)).toBe(true);
    const bc = ca.getExtension("basicConstraints") as { cA?: boolean; critical?: boolean };
    expect(bc.cA).toBe(true);
    expect(bc.critical).toBe(true);
    const ku = ca.getExtension("keyUsage") as { keyCertSign?: boolean; cRLSign?: boolean };
    expect(ku.keyCertSign && ku.cRLSign).toBe(true);
    const now = deps.clock.now().getTime();
    expect(ca.validity.notBefore.getTime()).toBe(now - 24 * 3600 * 1000);
    expect(ca.validity.notAfter.getUTCFullYear()).toBe(deps.clock.now().getUTCFullYear() + 10);
  });

  it("a creator that loses the race to insert returns the winner's CA", () => {
    const other = createTestDeps();
    const winner = ensureDeviceCa(other);
    // The loser's first read ran before the winner's insert: it saw no CA, made its own, and its insert is ignored.
    let firstRead = true;
    const db = new Proxy(other.db, {
      get(target, prop, receiver) {
        if (prop === "select" && firstRead) {
          firstRead = false;
          return () => ({ from: () => ({ where: () => ({ get: () => undefined }) }) });
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const loser = ensureDeviceCa({ ...other, db });
    expect(firstRead).toBe(false);
    expect(loser).toEqual(winner);
    expect(other.db.select().from(credentials).all()).toHaveLength(1);
  });

  it("issues an identity that chains to the CA, for client authentication, on a P-256 key", () => {
    const caPem = ensureDeviceCa(deps).certificatePem;
    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(identity.certificateDer);
    // OpenSSL's X509_check_issued: issuer name = CA subject, authorityKeyIdentifier = the CA's key id.
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subject).toBe("CN=Pomona device test\nO=Pomona");
    expect(leaf.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // node's keyUsage is the extended key usages
    expect(leaf.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    expect(leaf.checkPrivateKey(identity.privateKey)).toBe(true);
    const now = deps.clock.now().getTime();
    expect(new Date(leaf.validFrom).getTime()).toBe(now - DAY);
    expect(new Date(leaf.validTo).getUTCFullYear()).toBe(deps.clock.now().getUTCFullYear() + 2);

    // The issuer Name is the CA's subject byte for byte, and the extensions are those Pomona always issued.
    const caFields = tbsFieldsOf(ca.raw);
    expect(tbsFieldsOf(identity.certificateDer)[3]).toEqual(caFields[5]);
    const caKeyId = forge.pki.certificateFromPem(caPem).generateSubjectKeyIdentifier().toHex();
    const jwk = identity.privateKey.export({ format: "jwk" });
    const uncompressed = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    expect(extensionsOf(identity.certificateDer)).toEqual({
      "2.5.29.19": { critical: true, value: "3000" },
      "2.5.29.15": { critical: true, value: "03020780" }, // digitalSignature only: an EC key enciphers nothing
      "2.5.29.37": { critical: false, value: "300a06082b06010505070302" },
      "2.5.29.14": { critical: false, value: `0414${createHash("sha1").update(uncompressed).digest("hex")}` },
      "2.5.29.35": { critical: false, value: `30168014${caKeyId}` },
    });
    expect(extensionsOf(ca.raw)["2.5.29.14"]?.value).toBe(`0414${caKeyId}`);
  });

  it("builds an RSA identity's certificate with keyEncipherment too (identities issued before P-256 keep it)", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const issuer = certificateIssuer(ensureDeviceCa(deps));
    const now = deps.clock.now();
    const tbs = identityTbsCertificate(issuer, { serial: Buffer.from("4a1b2c", "hex"), commonName: "Pomona device rsa", notBefore: now, notAfter: new Date(now.getTime() + DAY), publicKey: privateKey });
    const der = assembleCertificate(issuer, tbs, sign("sha256", tbs, issuer.key));
    // node-forge, an independent X.509 reader, parses and verifies it.
    const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(der).toString("binary"))));
    expect(forge.pki.certificateFromPem(ensureDeviceCa(deps).certificatePem).verify(cert)).toBe(true);
    expect(field(cert.subject, "CN")).toBe("Pomona device rsa");
    expect(cert.serialNumber).toBe("4a1b2c");
    const ku = cert.getExtension("keyUsage") as { digitalSignature?: boolean; keyEncipherment?: boolean; critical?: boolean };
    expect(ku).toMatchObject({ digitalSignature: true, keyEncipherment: true, critical: true });
    expect(new X509Certificate(der).checkPrivateKey(privateKey)).toBe(true);
  });

  it("never issues an identity valid past its CA", async () => {
    const other = createTestDeps();
    ensureDeviceCa(other);
    other.clock.advance(9 * 365 * DAY); // the CA has a year left
    const late = new X509Certificate((await issueDeviceIdentity(other, { commonName: "Pomona device late" })).certificateDer);
    expect(late.validTo).toBe(new X509Certificate(ensureDeviceCa(other).certificatePem).validTo);
  });

  it("packs key, certificate and CA in a PKCS#12 that OpenSSL opens with the password, and only with it", () => {
    expect(identity.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // OpenSSL's PKCS12_parse, through node:tls; it pairs the key with its certificate by localKeyId.
    expect(() => tls.createSecureContext({ pfx: identity.pkcs12, passphrase: identity.password })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx: identity.pkcs12, passphrase: "wrong password" })).toThrow(/mac verify failure/);

    const opened = readPkcs12(identity.pkcs12, identity.password);
    expect(opened.certificate.equals(identity.certificateDer)).toBe(true);
    expect(opened.certificates).toEqual([identity.certificateDer, new X509Certificate(ensureDeviceCa(deps).certificatePem).raw]);
    expect(new X509Certificate(opened.certificate).checkPrivateKey(opened.privateKey)).toBe(true);
    expect(opened.privateKey.export({ format: "jwk" })).toEqual(identity.privateKey.export({ format: "jwk" }));
  });

  it.skipIf(!hasOpenssl)("is read by `openssl pkcs12` as node-forge's 3DES PKCS#12 was: certificates in the clear, the key shrouded, a SHA-1 MAC", () => {
    const run = (password: string) =>
      spawnSync("openssl", ["pkcs12", "-info", "-noout", "-legacy", "-passin", `pass:${password}`], { input: identity.pkcs12, encoding: "utf8" });
    const ok = run(identity.password);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/MAC: sha1, Iteration 1\n[\s\S]*PKCS7 Data\nCertificate bag\nCertificate bag\nPKCS7 Data\nShrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1/);
    const bags = spawnSync("openssl", ["pkcs12", "-nodes", "-legacy", "-passin", `pass:${identity.password}`], { input: identity.pkcs12, encoding: "utf8" });
    const localKeyId = createHash("sha1").update(identity.certificateDer).digest("hex").toUpperCase().match(/../g)!.join(" ");
    // The leaf and the key carry the same friendlyName and localKeyId; the CA carries none.
    expect(bags.stdout.match(/friendlyName: Pomona device test/g)).toHaveLength(2);
    expect(bags.stdout.match(new RegExp(`localKeyID: ${localKeyId}`, "g"))).toHaveLength(2);
    expect(bags.stdout).toContain("Bag Attributes: <No Attributes>\nsubject=CN = Pomona Device CA, O = Pomona");
    expect(run("wrong password").status).not.toBe(0);
  });

  it("gives every identity its own key and serial", async () => {
    const second = await issueDeviceIdentity(deps, { commonName: "Pomona device other" });
    expect(certificateSha256(second.certificateDer)).not.toBe(certificateSha256(identity.certificateDer));
    expect(new X509Certificate(second.certificateDer).serialNumber).not.toBe(new X509Certificate(identity.certificateDer).serialNumber);
    expect(second.privateKey.export({ format: "jwk" }).d).not.toBe(identity.privateKey.export({ format: "jwk" }).d);
    expect(second.password).not.toBe(identity.password);
  });

  it("gives every identity of a burst its own key", async () => {
    const issued = await Promise.all(Array.from({ length: 12 }, (_, i) => issueDeviceIdentity(deps, { commonName: `Pomona device burst ${i}` })));
    expect(new Set(issued.map((i) => i.privateKey.export({ format: "jwk" }).d)).size).toBe(12);
  });

  it("hashes a certificate's DER as lowercase hex SHA-256", () => {
    expect(certificateSha256(Buffer.from("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("uses a stable placeholder topic until a push certificate is installed", () => {
    const topic = getPushTopic(deps);
    expect(topic).toMatch(/^com\.apple\.mgmt\.External\.[0-9a-f-]{36}$/);
    expect(getPushTopic(deps)).toBe(topic);
    expect(deps.db.select().from(settings).all().find((s) => s.key === "push.placeholderTopic")?.value).toBe(topic);

    const now = deps.clock.now();
    deps.db
      .insert(credentials)
      .values({ name: "apns_push", certificatePem: "x", privateKeyPem: "y", topic: "com.apple.mgmt.External.real-topic", createdAt: now, updatedAt: now })
      .run();
    expect(getPushTopic(deps)).toBe("com.apple.mgmt.External.real-topic");
  });
});
