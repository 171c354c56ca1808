// Test-side Mac identity: open the enrollment profile's PKCS#12 and sign bodies as macOS does. Pomona issues
// P-256 identities; Macs enrolled before keep the RSA ones node-forge made (legacyRsaIdentity makes one).
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

import forge from "node-forge";

import type { Deps } from "@/server/deps";
import { ensureDeviceCa } from "@/server/services/pki";
import { derNull, derOctetString, derOid, derSequence, derSet, derSmallInteger, derUtcTime, sortSetMembers, tlv } from "@/simulator/der";
import { readPkcs12 } from "@/simulator/pkcs12";
import { issuerAndSerial, OID } from "@/simulator/signing";

import { decodePlist, type PlistValue } from "./plist";

export type Identity = { privateKey: KeyObject; certificateDer: Buffer };

export const derOf = (cert: forge.pki.Certificate) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
export const forgeCertificate = (der: Buffer) => forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString("binary"))));
const forgeKey = (key: KeyObject) => forge.pki.privateKeyFromPem(key.export({ type: "pkcs1", format: "pem" }) as string);

export function rsaKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { key, pub: forge.pki.setRsaPublicKey(key.n, key.e), privateKey: createPrivateKey(privateKey) };
}

const DIGEST_OIDS = { sha256: "2.16.840.1.101.3.4.2.1", sha384: "2.16.840.1.101.3.4.2.2", sha512: "2.16.840.1.101.3.4.2.3" } as const;
export const SIGNATURE_OIDS = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
} as const;

export type SignedDataOptions = {
  signingTime: Date;
  /** The body travels inside the CMS too (a Mac's Mdm-Signature is detached). */
  attached?: boolean;
  digest?: keyof typeof DIGEST_OIDS;
  /** SignerInfo.signatureAlgorithm's OID (default: ecdsa-with-SHA256 for EC, rsaEncryption for RSA). */
  signatureAlgorithm?: string;
};

/**
 * A CMS SignedData over `body` (RFC 5652), built here with node:crypto for RSA and EC signers alike, in the
 * shapes tests need (several signers, attached content, another algorithm OID). Independent of
 * simulator/signing.ts, which the wire tests check against Pomona.
 */
export function signedData(body: Buffer, signers: Identity[], options: SignedDataOptions): string {
  const digest = options.digest ?? "sha256";
  const digestAlg = derSequence(derOid(DIGEST_OIDS[digest]), derNull());
  const attributes = sortSetMembers([
    derSequence(derOid(OID.contentType), derSet(derOid(OID.data))),
    derSequence(derOid(OID.signingTime), derSet(derUtcTime(options.signingTime))),
    derSequence(derOid(OID.messageDigest), derSet(derOctetString(createHash(digest).update(body).digest()))),
  ]);
  const signerInfos = signers.map((signer) => {
    const ec = signer.privateKey.asymmetricKeyType === "ec";
    const oid = options.signatureAlgorithm ?? (ec ? SIGNATURE_OIDS.ecdsaWithSha256 : SIGNATURE_OIDS.rsaEncryption);
    const algorithm = oid.startsWith("1.2.840.10045.4.") ? derSequence(derOid(oid)) : derSequence(derOid(oid), derNull());
    const signature = sign(digest, derSet(...attributes), signer.privateKey);
    return derSequence(derSmallInteger(1), issuerAndSerial(signer.certificateDer), digestAlg, tlv(0xa0, ...attributes), algorithm, derOctetString(signature));
  });
  const content = options.attached ? derSequence(derOid(OID.data), tlv(0xa0, derOctetString(body))) : derSequence(derOid(OID.data));
  const certificates = tlv(0xa0, ...new Set(signers.map((s) => s.certificateDer)));
  const sd = derSequence(derSmallInteger(1), derSet(digestAlg), content, certificates, derSet(...signerInfos));
  return derSequence(derOid(OID.signedData), tlv(0xa0, sd)).toString("base64");
}

/**
 * What macOS sends in Mdm-Signature: base64 DER of a detached SignedData over the body (sha256, signed
 * attributes). RSA identities are signed by node-forge's PKCS#7 (another CMS writer than Pomona's tests and
 * the simulator); EC ones by `signedData` (node-forge has no ECDSA).
 */
export function signLikeAMac(body: Buffer, identity: Identity, signingTime: Date): string {
  if (identity.privateKey.asymmetricKeyType === "ec") return signedData(body, [identity], { signingTime });
  const cert = forgeCertificate(identity.certificateDer);
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(body.toString("binary"));
  p7.addCertificate(cert);
  p7.addSigner({
    key: forgeKey(identity.privateKey),
    certificate: cert,
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
  const opened = readPkcs12(Buffer.from(pkcs12Base64, "base64"), password);
  return { privateKey: opened.privateKey, certificateDer: opened.certificate };
}

/** Installs an enrollment profile (its text) the way a Mac does: finds the identity payload and opens it. */
export function identityFromProfile(profileText: string): Identity {
  const profile = decodePlist(profileText) as Record<string, PlistValue>;
  const payloads = profile.PayloadContent as Record<string, PlistValue>[];
  const p12 = payloads.find((p) => p.PayloadType === "com.apple.security.pkcs12");
  if (!p12) throw new Error("no com.apple.security.pkcs12 payload in the profile");
  return openIdentity(p12.PayloadContent as string, p12.Password as string);
}

/**
 * An identity as Pomona issued them before P-256 (an RSA-2048 key, the certificate signed by node-forge with
 * keyEncipherment, a node-forge 3DES PKCS#12 at 2,048 iterations): Macs enrolled then still sign with these.
 */
export function legacyRsaIdentity(deps: Pick<Deps, "db" | "clock">, commonName: string): Identity & { pkcs12: Buffer; password: string } {
  const ca = ensureDeviceCa(deps);
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const keys = rsaKey();
  const now = deps.clock.now();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.pub;
  cert.serialNumber = `4${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(now.getTime() - 86_400_000);
  cert.validity.notAfter = new Date(now.getTime() + 2 * 365 * 86_400_000);
  cert.setSubject([
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "Pomona" },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.privateKeyPem), forge.md.sha256.create());
  const password = randomBytes(18).toString("base64url");
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.key, [cert, caCert], password, { algorithm: "3des", friendlyName: commonName, generateLocalKeyId: true });
  return { privateKey: keys.privateKey, certificateDer: derOf(cert), pkcs12: Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary"), password };
}
