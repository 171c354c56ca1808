// Device identity certificates for the seeded fleet, minted fast: Pomona's issueDeviceIdentity takes about
// 240 ms per Mac here (an RSA key pair plus node-forge signing and a 3DES PKCS#12), i.e. hours for 100,000
// Macs. The benchmark instead reuses ONE RSA key pair for every leaf (acceptable for a benchmark: the
// server never compares public keys across devices, it binds the certificate's SHA-256 to one UDID) and
// builds each certificate's DER itself, signed by Pomona's own device CA with node:crypto. Every
// certificate has its own serial and CN, so every Mac has its own identity hash, exactly one UDID each.
import { createHash, createPrivateKey, createPublicKey, sign, X509Certificate, type KeyObject } from "node:crypto";

import { derChildren, derBytes, derNull, derOctetString, derOid, derSequence, derSet, derUtcTime, readDer, tlv } from "../simulator/der";

const OID = {
  sha256WithRsa: "1.2.840.113549.1.1.11",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const rdn = (oid: string, value: string) => derSet(derSequence(derOid(oid), utf8(value)));
const bool = (v: boolean) => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
const bitString = (bytes: Uint8Array, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), bytes);
const extension = (oid: string, critical: boolean, value: Buffer) => derSequence(derOid(oid), ...(critical ? [bool(true)] : []), derOctetString(value));

export type LeafIssuer = {
  /** Mints the certificate (DER) of device `index`. Deterministic for a given CA, key and `notBefore`. */
  issue(index: number, commonName: string): Buffer;
  /** The shared leaf private key. */
  privateKey: KeyObject;
};

/** The subject Name of a certificate, exactly as encoded (it becomes the issuer of the leaves). */
function subjectOf(certificateDer: Buffer): Buffer {
  const tbs = derChildren(certificateDer, readDer(certificateDer))[0];
  if (!tbs) throw new Error("CA certificate without tbsCertificate");
  const fields = derChildren(certificateDer, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject || subject.tag !== 0x30) throw new Error("CA certificate subject not found");
  return derBytes(certificateDer, subject);
}

/** A positive 16-byte serial derived from the index (top bit clear, second bit set: no leading zero byte). */
function serialFor(index: number): Buffer {
  const bytes = createHash("sha256").update(`pomona-bench-serial-${index}`).digest().subarray(0, 16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return tlv(0x02, bytes);
}

export function createLeafIssuer(options: { caCertificatePem: string; caPrivateKeyPem: string; leafPrivateKeyPem: string; notBefore: Date; notAfter: Date }): LeafIssuer {
  const ca = new X509Certificate(options.caCertificatePem);
  const caKey = createPrivateKey(options.caPrivateKeyPem);
  const privateKey = createPrivateKey(options.leafPrivateKeyPem);
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  const issuer = subjectOf(ca.raw);
  const sigAlg = derSequence(derOid(OID.sha256WithRsa), derNull());
  const validity = derSequence(derUtcTime(options.notBefore), derUtcTime(options.notAfter));
  const extensions = tlv(
    0xa3,
    derSequence(
      extension(OID.basicConstraints, true, derSequence()),
      // digitalSignature (bit 0) and keyEncipherment (bit 2): 0b1010_0000, 5 unused bits.
      extension(OID.keyUsage, true, bitString(Buffer.from([0xa0]), 5)),
      extension(OID.extKeyUsage, false, derSequence(derOid(OID.clientAuth))),
    ),
  );
  const version = tlv(0xa0, tlv(0x02, Buffer.from([2])));

  return {
    privateKey,
    issue(index, commonName) {
      const subject = derSequence(rdn(OID.commonName, commonName), rdn(OID.organization, "Pomona"));
      const tbs = derSequence(version, serialFor(index), sigAlg, issuer, validity, subject, spki, extensions);
      const signature = sign("sha256", tbs, caKey);
      return derSequence(tbs, sigAlg, bitString(signature));
    },
  };
}
