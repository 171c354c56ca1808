// Mdm-Signature, as macOS makes it (mdm-protocol.md §9.1): base64 DER of a CMS ContentInfo holding a
// detached SignedData over the exact request body: SHA-256, one signer identified by issuer and serial,
// signed attributes contentType, signingTime and messageDigest, the signer certificate included.
// The structure is built once per identity; per request only the digest, the time and the signature change,
// and the signature is made by node:crypto (OpenSSL), not in JavaScript: RSA (PKCS#1 v1.5) for an RSA
// identity, ECDSA for an EC one (as a Mac with an ACME-issued, hardware-bound identity signs).
import { createHash, sign } from "node:crypto";

import {
  derChildren,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derUtcTime,
  readDer,
  sortSetMembers,
  tlv,
  derBytes,
} from "./der";
import type { DeviceIdentity } from "./profile";

/** The object identifiers a CMS signature names (also used by server/mdm/test-identity.ts to build odd ones). */
export const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
} as const;

export type MdmSigner = (body: Uint8Array, signingTime?: Date) => string;

/** IssuerAndSerialNumber of a certificate, sliced from its DER exactly as encoded. */
export function issuerAndSerial(certificateDer: Uint8Array): Buffer {
  const cert = readDer(certificateDer);
  const [tbs] = derChildren(certificateDer, cert);
  if (!tbs) throw new Error("certificate without tbsCertificate");
  const fields = derChildren(certificateDer, tbs);
  // [0] version is optional (absent = v1).
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (!serial || serial.tag !== 0x02 || !issuer || issuer.tag !== 0x30) throw new Error("certificate fields are not where X.509 puts them");
  return derSequence(derBytes(certificateDer, issuer), derBytes(certificateDer, serial));
}

/** A signer for one identity: `(body) => Mdm-Signature header value`. */
export function createMdmSigner(identity: DeviceIdentity): MdmSigner {
  const sha256Alg = derSequence(derOid(OID.sha256), derNull());
  // RFC 3370 §3.2: rsaEncryption with NULL parameters; RFC 5758 §3.2: ecdsa-with-SHA256 with none. node:crypto
  // writes an ECDSA signature as the DER Ecdsa-Sig-Value that CMS carries.
  const signatureAlg = identity.privateKey.asymmetricKeyType === "ec" ? derSequence(derOid(OID.ecdsaWithSha256)) : derSequence(derOid(OID.rsaEncryption), derNull());
  const sid = issuerAndSerial(identity.certificateDer);
  const contentTypeAttr = derSequence(derOid(OID.contentType), derSet(derOid(OID.data)));
  const signedDataHead = Buffer.concat([
    derSmallInteger(1),
    derSet(sha256Alg),
    derSequence(derOid(OID.data)), // detached: no eContent
    tlv(0xa0, identity.certificateDer), // certificates [0] IMPLICIT
  ]);
  const signerHead = Buffer.concat([derSmallInteger(1), sid, sha256Alg]);

  return (body, signingTime = new Date()) => {
    const digest = createHash("sha256").update(body).digest();
    const attributes = sortSetMembers([
      contentTypeAttr,
      derSequence(derOid(OID.signingTime), derSet(derUtcTime(signingTime))),
      derSequence(derOid(OID.messageDigest), derSet(derOctetString(digest))),
    ]);
    // The signature covers the attributes encoded as a SET OF (tag 0x31), not as the [0] they travel in.
    const signature = sign("sha256", derSet(...attributes), identity.privateKey);
    const signerInfo = derSequence(signerHead, tlv(0xa0, ...attributes), signatureAlg, derOctetString(signature));
    const signedData = derSequence(signedDataHead, derSet(signerInfo));
    return derSequence(derOid(OID.signedData), tlv(0xa0, signedData)).toString("base64");
  };
}
