// Test-side Mac identity: open the enrollment profile's PKCS#12 and sign bodies as macOS does.
import { generateKeyPairSync } from "node:crypto";

import forge from "node-forge";

import { decodePlist, type PlistValue } from "./plist";

export type Identity = { key: forge.pki.rsa.PrivateKey; cert: forge.pki.Certificate };

export const derOf = (cert: forge.pki.Certificate) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");

export function rsaKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { key, pub: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** What macOS sends in Mdm-Signature: base64 DER of a detached SignedData over the body (sha256, signed attributes). */
export function signLikeAMac(body: Buffer, identity: Identity, signingTime: Date): string {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(body.toString("binary"));
  p7.addCertificate(identity.cert);
  p7.addSigner({
    key: identity.key,
    certificate: identity.cert,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime!, value: signingTime as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), "binary").toString("base64");
}

/** Opens the profile's PKCS#12 with its Password, as macOS does when installing the profile. */
export function openIdentity(pkcs12Base64: string, password: string): Identity {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pkcs12Base64, "base64").toString("binary"))), password);
  const keyBag = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]?.[0];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const key = keyBag?.key;
  if (!key) throw new Error("no key in the PKCS#12");
  const cert = certBags.map((b) => b.cert).find((c) => c && (c.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n));
  if (!cert) throw new Error("no certificate for the key in the PKCS#12");
  return { key, cert };
}

/** Installs an enrollment profile (its text) the way a Mac does: finds the identity payload and opens it. */
export function identityFromProfile(profileText: string): Identity {
  const profile = decodePlist(profileText) as Record<string, PlistValue>;
  const payloads = profile.PayloadContent as Record<string, PlistValue>[];
  const p12 = payloads.find((p) => p.PayloadType === "com.apple.security.pkcs12");
  if (!p12) throw new Error("no com.apple.security.pkcs12 payload in the profile");
  return openIdentity(p12.PayloadContent as string, p12.Password as string);
}
