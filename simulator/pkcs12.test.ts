// simulator/pkcs12.ts against independent implementations: node-forge's PKCS#12 (its KDF, its files, its
// reader) and OpenSSL's PKCS12_parse through node:tls. Pomona's P-256 identities are checked the same way,
// and with `openssl pkcs12`, in server/services/pki.test.ts.
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import tls from "node:tls";

import fc from "fast-check";
import forge from "node-forge";
import { beforeAll, describe, expect, it } from "vitest";

import { derSubjectPublicKeyInfo, derTime } from "./der";
import { pkcs12Kdf, Pkcs12Error, readPkcs12, writePkcs12 } from "./pkcs12";
import { makeTestIdentity, type TestIdentity } from "./test-identity";

const bmp = (password: string) => Buffer.concat([Buffer.from(password, "utf16le").swap16(), Buffer.alloc(2)]);

describe("PKCS#12 (simulator/pkcs12.ts)", () => {
  let identity: TestIdentity;
  beforeAll(() => {
    identity = makeTestIdentity("P12 device");
  });

  it("derives keys as node-forge's PKCS#12 KDF does (RFC 7292 appendix B)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        fc.constantFrom(1 as const, 2 as const, 3 as const),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 70 }),
        (password, salt, id, iterations, length) => {
          const theirs = forge.pkcs12.generateKey(password, forge.util.createBuffer(Buffer.from(salt).toString("binary")), id, iterations, length);
          expect(pkcs12Kdf(bmp(password), salt, id, iterations, length).toString("hex")).toBe(Buffer.from(theirs.getBytes(), "binary").toString("hex"));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("opens node-forge's 3DES PKCS#12 (an RSA identity as Pomona issued them before P-256)", () => {
    const opened = readPkcs12(identity.pkcs12, identity.password);
    expect(opened.privateKey.asymmetricKeyType).toBe("rsa");
    expect(opened.certificate).toEqual(new X509Certificate(identity.certificatePem).raw);
    expect(opened.certificates.map((c) => new X509Certificate(c).subject)).toEqual(["CN=P12 device\nO=Pomona", "CN=Test device CA"]);
    expect(new X509Certificate(opened.certificate).checkPrivateKey(opened.privateKey)).toBe(true);
  });

  it("writes a PKCS#12 that node-forge and OpenSSL open, and reads it back", () => {
    const { privateKey, certificate, certificates } = readPkcs12(identity.pkcs12, identity.password);
    const ca = certificates[1]!;
    const written = writePkcs12({ privateKey, certificates: [certificate, ca], password: "pässword-456", friendlyName: "P12 device" });

    expect(() => tls.createSecureContext({ pfx: written, passphrase: "pässword-456" })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx: written, passphrase: "pässword-455" })).toThrow(/mac verify failure/);

    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(written.toString("binary"))), "pässword-456");
    const keyBags = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? [];
    const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    expect(keyBags).toHaveLength(1);
    expect(certBags).toHaveLength(2);
    const forgeKey = keyBags[0]!.key as forge.pki.rsa.PrivateKey;
    expect((certBags[0]!.cert!.publicKey as forge.pki.rsa.PublicKey).n.equals(forgeKey.n)).toBe(true);
    // The key and the leaf share friendlyName and localKeyId; the CA has neither.
    expect(keyBags[0]!.attributes).toEqual(certBags[0]!.attributes);
    expect((certBags[0]!.attributes as { friendlyName?: string[] }).friendlyName).toEqual(["P12 device"]);
    expect(certBags[1]!.attributes).toEqual({});

    const back = readPkcs12(written, "pässword-456");
    expect(back.certificate).toEqual(certificate);
    expect(back.certificates).toEqual([certificate, ca]);
    expect(back.privateKey.export({ format: "jwk" })).toEqual(privateKey.export({ format: "jwk" }));
  });

  it("refuses a wrong password, a changed byte and what it does not read", () => {
    expect(() => readPkcs12(identity.pkcs12, "wrong")).toThrow(/wrong password/);
    const { privateKey, certificate } = readPkcs12(identity.pkcs12, identity.password);
    const written = writePkcs12({ privateKey, certificates: [certificate], password: "pw", friendlyName: "x" });
    let refused = 0;
    for (let i = 0; i < written.length; i += 7) {
      const mutant = Buffer.from(written);
      mutant[i] = mutant[i]! ^ 0x01;
      try {
        readPkcs12(mutant, "pw");
      } catch (e) {
        expect(e).toBeInstanceOf(Pkcs12Error);
        refused++;
      }
    }
    // Every byte counts: the MAC covers the contents, and the MAC's own fields change the MAC key or break it.
    expect(refused).toBe(Math.ceil(written.length / 7));
    expect(() => readPkcs12(Buffer.from("not a pfx"), "pw")).toThrow(Pkcs12Error);
    // PBES2 (OpenSSL 3's default, node-forge's "aes128") is not what Pomona writes: refused by name.
    const asn1 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }) as string), [forge.pki.certificateFromPem(identity.certificatePem)], "pw", {
      algorithm: "aes128",
    });
    expect(() => readPkcs12(Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"), "pw")).toThrow(/unsupported encryption 1.2.840.113549.1.5.13/);
  });

  it("builds a key's subjectPublicKeyInfo as OpenSSL exports it", () => {
    for (const [type, options] of [
      ["rsa", { modulusLength: 2048 }],
      ["ec", { namedCurve: "prime256v1" }],
      ["ec", { namedCurve: "secp384r1" }],
      ["ec", { namedCurve: "secp521r1" }],
      ["ec", { namedCurve: "secp256k1" }],
      ["ed25519", {}],
    ] as const) {
      for (let i = 0; i < 5; i++) {
        const { privateKey, publicKey } = generateKeyPairSync(type as "ec", options as { namedCurve: string });
        const openssl = publicKey.export({ format: "der", type: "spki" });
        expect(derSubjectPublicKeyInfo(privateKey)).toEqual(openssl);
        expect(derSubjectPublicKeyInfo(publicKey)).toEqual(openssl);
      }
    }
  });

  it("writes a certificate's times as RFC 5280 says: UTCTime through 2049, GeneralizedTime after", () => {
    expect(derTime(new Date("2049-12-31T23:59:59.999Z")).toString("latin1")).toBe("\x17\x0d491231235959Z");
    expect(derTime(new Date("2050-01-01T00:00:00Z")).toString("latin1")).toBe("\x18\x0f20500101000000Z");
    expect(derTime(new Date("1999-03-02T09:00:00Z")).toString("latin1")).toBe("\x17\x0d990302090000Z");
  });
});
