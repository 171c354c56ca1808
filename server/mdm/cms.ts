// A minimal reader for the one CMS structure Pomona verifies: the detached SignedData of `Mdm-Signature`
// (RFC 5652 §5). It walks DER and returns the raw pieces the verifier needs; it decides nothing itself.
// Written for speed on the Macs' hot path (a general ASN.1 library spent ~3.8 ms per request here).

export class DerError extends Error {}

type Node = { tag: number; start: number; contentStart: number; end: number };

/** Reads one DER element at `offset` (definite lengths only, as DER requires). */
function readNode(buf: Buffer, offset: number, limit = buf.length): Node {
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not used here");
  let length = buf[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new DerError("unsupported length");
    if (contentStart + bytes > limit) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[contentStart + i]!;
    contentStart += bytes;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError("element runs past its container");
  return { tag, start: offset, contentStart, end };
}

function children(buf: Buffer, node: Node): Node[] {
  const out: Node[] = [];
  for (let at = node.contentStart; at < node.end; ) {
    const child = readNode(buf, at, node.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function expectTag(node: Node | undefined, tag: number, what: string): Node {
  if (!node || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

/** Dotted form of an OBJECT IDENTIFIER's content. */
function oid(buf: Buffer, node: Node): string {
  const bytes = buf.subarray(node.contentStart, node.end);
  if (bytes.length === 0) throw new DerError("empty OID");
  const parts: number[] = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const OCTET_STRING = 0x04;
const INTEGER = 0x02;
const CONTEXT_0 = 0xa0;
const CONTEXT_0_PRIMITIVE = 0x80;

export const OIDS = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
} as const;

export type SignerInfo = {
  /** The signer's certificate (DER), picked from `certificates` by issuer and serial number or key id. */
  certificate: Buffer;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  signature: Buffer;
  /** The signed attributes re-encoded as the SET the signature covers (RFC 5652 §5.4), or null. */
  signedAttributes: Buffer | null;
  messageDigest: Buffer | null;
  contentType: string | null;
};

export type SignedData = { signers: number; certificates: number; signer: SignerInfo | null };

/** The (issuer, serial) of a certificate: the raw bytes of both, for matching a SignerInfo's sid. */
function issuerAndSerialOf(buf: Buffer): { issuer: Buffer; serial: Buffer } {
  const cert = expectTag(readNode(buf, 0), SEQUENCE, "Certificate");
  const tbs = expectTag(children(buf, cert)[0], SEQUENCE, "TBSCertificate");
  const fields = children(buf, tbs);
  const i = fields[0]?.tag === CONTEXT_0 ? 1 : 0; // optional explicit version
  const serial = expectTag(fields[i], INTEGER, "serialNumber");
  const issuer = expectTag(fields[i + 2], SEQUENCE, "issuer");
  return { issuer: buf.subarray(issuer.start, issuer.end), serial: buf.subarray(serial.contentStart, serial.end) };
}

/** Parses the ContentInfo/SignedData of a detached CMS signature. Throws DerError on anything malformed. */
export function parseSignedData(der: Buffer): SignedData {
  const contentInfo = expectTag(readNode(der, 0), SEQUENCE, "ContentInfo");
  if (contentInfo.end !== der.length) throw new DerError("trailing bytes after ContentInfo");
  const [typeNode, explicit] = children(der, contentInfo);
  if (oid(der, expectTag(typeNode, OID, "contentType")) !== OIDS.signedData) throw new DerError("not SignedData");
  const signedData = expectTag(children(der, expectTag(explicit, CONTEXT_0, "[0] content"))[0], SEQUENCE, "SignedData");
  const fields = children(der, signedData);
  // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
  const signerInfos = expectTag(fields.at(-1), SET, "signerInfos");
  const certsNode = fields.find((f, i) => i >= 3 && f.tag === CONTEXT_0);
  const certificates = certsNode ? children(der, certsNode).filter((c) => c.tag === SEQUENCE).map((c) => der.subarray(c.start, c.end)) : [];
  const infos = children(der, signerInfos);
  if (infos.length !== 1) return { signers: infos.length, certificates: certificates.length, signer: null };

  const si = children(der, expectTag(infos[0], SEQUENCE, "SignerInfo"));
  // version, sid, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1] unsignedAttrs?
  const sid = si[1];
  const digestAlgorithm = oid(der, expectTag(children(der, expectTag(si[2], SEQUENCE, "digestAlgorithm"))[0], OID, "digest OID"));
  let next = 3;
  let signedAttributes: Buffer | null = null;
  let messageDigest: Buffer | null = null;
  let contentType: string | null = null;
  if (si[3]?.tag === CONTEXT_0) {
    const attrs = si[3];
    signedAttributes = Buffer.from(der.subarray(attrs.start, attrs.end));
    signedAttributes[0] = SET; // the signature covers the attributes as an explicit SET OF
    for (const attr of children(der, attrs)) {
      const [type, values] = children(der, expectTag(attr, SEQUENCE, "Attribute"));
      const id = oid(der, expectTag(type, OID, "attribute type"));
      const value = children(der, expectTag(values, SET, "attribute values"))[0];
      if (id === OIDS.messageDigest) messageDigest = der.subarray(expectTag(value, OCTET_STRING, "messageDigest").contentStart, value!.end);
      if (id === OIDS.contentType) contentType = oid(der, expectTag(value, OID, "contentType value"));
    }
    next = 4;
  }
  const signatureAlgorithm = oid(der, expectTag(children(der, expectTag(si[next], SEQUENCE, "signatureAlgorithm"))[0], OID, "signature OID"));
  const sigNode = expectTag(si[next + 1], OCTET_STRING, "signature");
  const signature = der.subarray(sigNode.contentStart, sigNode.end);

  // Pick the signer's certificate: by issuer and serial number, or by subject key identifier.
  let certificate: Buffer | undefined;
  if (sid?.tag === SEQUENCE) {
    const [issuer, serial] = children(der, sid);
    const wantIssuer = der.subarray(issuer!.start, issuer!.end);
    const wantSerial = der.subarray(expectTag(serial, INTEGER, "serial").contentStart, serial!.end);
    certificate = certificates.find((c) => {
      const got = issuerAndSerialOf(c);
      return got.issuer.equals(wantIssuer) && got.serial.equals(wantSerial);
    });
  } else if (sid?.tag === CONTEXT_0_PRIMITIVE && certificates.length === 1) {
    certificate = certificates[0]; // subjectKeyIdentifier: checked by the signature itself
  }
  if (!certificate) return { signers: 1, certificates: certificates.length, signer: null };
  return { signers: 1, certificates: certificates.length, signer: { certificate, digestAlgorithm, signatureAlgorithm, signature, signedAttributes, messageDigest, contentType } };
}

const BIT_STRING = 0x03;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const CONTEXT_3 = 0xa3;
const EXTENDED_KEY_USAGE = "2.5.29.37";

/** The pieces of an X.509 certificate (RFC 5280 §4.1) that device authentication checks. */
export type CertificateParts = {
  /** The DER of tbsCertificate: what the issuer signed. */
  tbs: Buffer;
  /** signatureAlgorithm's OID, and whether its whole AlgorithmIdentifier equals the one inside tbs. */
  signatureAlgorithm: string;
  algorithmsMatch: boolean;
  /** The issuer's signature (the BIT STRING's bytes). */
  signature: Buffer;
  /** The issuer Name exactly as encoded. */
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  /**
   * subjectPublicKeyInfo: its algorithm OID, the parameters' OID when they are one (an EC key's named curve),
   * the whole SPKI and the key bytes (PKCS#1 RSAPublicKey for RSA, the point for EC).
   */
  publicKeyAlgorithm: string;
  publicKeyParameters: string | null;
  spki: Buffer;
  publicKey: Buffer;
  /** The extended key usage OIDs, or null when the certificate has no such extension (any use). */
  extendedKeyUsages: string[] | null;
};

/** The content of a BIT STRING whose bit count is a whole number of bytes (signatures and keys are). */
function wholeBytes(buf: Buffer, bitString: Node | undefined, what: string): Buffer {
  const node = expectTag(bitString, BIT_STRING, what);
  if (node.end === node.contentStart || buf[node.contentStart] !== 0) throw new DerError(`${what} is not whole bytes`);
  return buf.subarray(node.contentStart + 1, node.end);
}

/** UTCTime (years 1950–2049) or GeneralizedTime, in the Zulu form with seconds RFC 5280 §4.1.2.5 requires. */
function time(buf: Buffer, node: Node | undefined): Date {
  if (!node || (node.tag !== UTC_TIME && node.tag !== GENERALIZED_TIME)) throw new DerError("expected a time");
  const text = buf.toString("latin1", node.contentStart, node.end);
  const match = node.tag === UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new DerError("unsupported time format");
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const year = node.tag === UTC_TIME ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

/**
 * Reads a certificate's fields without building an OpenSSL object (which costs ~0.1 ms here, a third of
 * a check-in). Nothing here is trusted by itself: the verifier checks the issuer's signature over `tbs`,
 * so only bytes Pomona's CA signed can pass. Throws DerError on anything malformed.
 */
export function readCertificate(der: Buffer): CertificateParts {
  const cert = expectTag(readNode(der, 0), SEQUENCE, "Certificate");
  if (cert.end !== der.length) throw new DerError("trailing bytes after Certificate");
  const [tbsNode, outerAlgorithm, signatureNode, ...rest] = children(der, cert);
  if (rest.length) throw new DerError("unexpected fields after the signature");
  const tbs = expectTag(tbsNode, SEQUENCE, "TBSCertificate");
  const algorithm = expectTag(outerAlgorithm, SEQUENCE, "signatureAlgorithm");
  const fields = children(der, tbs);
  const i = fields[0]?.tag === CONTEXT_0 ? 1 : 0; // optional explicit version
  const innerAlgorithm = expectTag(fields[i + 1], SEQUENCE, "signature");
  const issuer = expectTag(fields[i + 2], SEQUENCE, "issuer");
  const [notBefore, notAfter] = children(der, expectTag(fields[i + 3], SEQUENCE, "validity"));
  const subject = expectTag(fields[i + 4], SEQUENCE, "subject");
  const spki = expectTag(fields[i + 5], SEQUENCE, "subjectPublicKeyInfo");
  const [keyAlgorithm, keyBits] = children(der, spki);
  const [keyOid, keyParameters] = children(der, expectTag(keyAlgorithm, SEQUENCE, "key algorithm"));

  let extendedKeyUsages: string[] | null = null;
  const extensions = fields.slice(i + 6).find((f) => f.tag === CONTEXT_3);
  if (extensions) {
    for (const extension of children(der, expectTag(children(der, extensions)[0], SEQUENCE, "Extensions"))) {
      const parts = children(der, expectTag(extension, SEQUENCE, "Extension"));
      if (oid(der, expectTag(parts[0], OID, "extnID")) !== EXTENDED_KEY_USAGE) continue;
      const value = expectTag(parts.at(-1), OCTET_STRING, "extnValue");
      const list = expectTag(readNode(der, value.contentStart, value.end), SEQUENCE, "ExtKeyUsageSyntax");
      extendedKeyUsages = children(der, list).map((u) => oid(der, expectTag(u, OID, "KeyPurposeId")));
    }
  }
  const slice = (n: Node) => der.subarray(n.start, n.end);
  return {
    tbs: slice(tbs),
    signatureAlgorithm: oid(der, expectTag(children(der, algorithm)[0], OID, "signature OID")),
    algorithmsMatch: slice(algorithm).equals(slice(innerAlgorithm)),
    signature: wholeBytes(der, signatureNode, "signatureValue"),
    issuer: slice(issuer),
    subject: slice(subject),
    notBefore: time(der, notBefore),
    notAfter: time(der, notAfter),
    publicKeyAlgorithm: oid(der, expectTag(keyOid, OID, "key OID")),
    publicKeyParameters: keyParameters?.tag === OID ? oid(der, keyParameters) : null,
    spki: slice(spki),
    publicKey: wholeBytes(der, keyBits, "subjectPublicKey"),
    extendedKeyUsages,
  };
}
