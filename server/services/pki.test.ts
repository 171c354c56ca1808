import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { countEventLoopTurns, createTestDeps, type TestDeps } from "@/server/testing";
import { credentials, settings } from "@/db/schema";

import { certificateSha256, emptyKeyPoolForTests, ensureDeviceCa, getPushTopic, issueDeviceIdentity, type DeviceIdentity } from "./pki";

const field = (name: forge.pki.Certificate["subject"], short: string) => (name.getField(short) as { value?: string } | null)?.value;
const derOf = (pem: string) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(pem))).getBytes(), "binary");

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

  it("issues an identity that chains to the CA, for client authentication", () => {
    const ca = forge.pki.certificateFromPem(ensureDeviceCa(deps).certificatePem);
    const leaf = forge.pki.certificateFromPem(identity.certificatePem);
    expect(ca.verify(leaf)).toBe(true);
    expect(leaf.issuer.hash).toBe(ca.subject.hash);
    expect(field(leaf.subject, "CN")).toBe("Pomona device test");
    expect(leaf.serialNumber).toMatch(/^[0-7][0-9a-f]{31}$/);
    const eku = leaf.getExtension("extKeyUsage") as { clientAuth?: boolean };
    expect(eku.clientAuth).toBe(true);
    const ku = leaf.getExtension("keyUsage") as { digitalSignature?: boolean; keyEncipherment?: boolean };
    expect(ku.digitalSignature && ku.keyEncipherment).toBe(true);
    expect(leaf.validity.notAfter.getUTCFullYear()).toBe(deps.clock.now().getUTCFullYear() + 2);
    expect(forge.pki.verifyCertificateChain(forge.pki.createCaStore([ca]), [leaf], { validityCheckDate: deps.clock.now() })).toBe(true);
  });

  it("packs key and certificate in a PKCS#12 that opens with the password", () => {
    expect(identity.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(identity.pkcs12.toString("binary"))), identity.password);
    const keyBags = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
    const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    expect(keyBags).toHaveLength(1);
    expect(certBags).toHaveLength(2);
    const key = keyBags[0]!.key as forge.pki.rsa.PrivateKey;
    const leaf = forge.pki.certificateFromPem(identity.certificatePem);
    expect((leaf.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n)).toBe(true);
    const leafBag = certBags.find((b) => (b.cert && field(b.cert.subject, "CN")) === "Pomona device test");
    expect((leafBag?.attributes as { friendlyName?: string[] } | undefined)?.friendlyName).toEqual(["Pomona device test"]);
    expect(() => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(identity.pkcs12.toString("binary"))), "wrong password")).toThrow();
  });

  it("gives every identity its own key and serial", async () => {
    const second = await issueDeviceIdentity(deps, { commonName: "Pomona device other" });
    expect(certificateSha256(derOf(second.certificatePem))).not.toBe(certificateSha256(derOf(identity.certificatePem)));
    expect(second.privateKeyPem).not.toBe(identity.privateKeyPem);
    expect(second.password).not.toBe(identity.password);
  });

  it("makes identity keys off the event loop: other work runs while a key is made", async () => {
    // From an empty pool, so this identity's key is made now. (With pooled keys, a burst's certificate
    // signing and PKCS#12 work run back to back on the loop, which says nothing about the keys.)
    await emptyKeyPoolForTests();
    const loop = countEventLoopTurns();
    await issueDeviceIdentity(deps, { commonName: "Pomona device fresh key" });
    const turns = loop.stop();
    // An RSA-2048 key takes tens of milliseconds or more; made on the threadpool, the loop keeps turning.
    expect(turns).toBeGreaterThan(20);
  });

  it("gives every identity of a burst its own key", async () => {
    const issued = await Promise.all(Array.from({ length: 12 }, (_, i) => issueDeviceIdentity(deps, { commonName: `Pomona device burst ${i}` })));
    expect(new Set(issued.map((i) => i.privateKeyPem)).size).toBe(12);
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
