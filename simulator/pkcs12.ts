// PKCS#12 (RFC 7292) in the one shape Apple's profiles carry an identity in: Pomona writes it for the
// com.apple.security.pkcs12 payload (server/services/pki.ts) and the virtual Mac opens it (profile.ts). The
// shape is node-forge's `toPkcs12Asn1(…, { algorithm: "3des" })`, which Pomona served before and macOS
// installs: an AuthenticatedSafe of two plain `data` ContentInfos, the certificates (leaf first) in the first,
// the key in a pkcs8ShroudedKeyBag (pbeWithSHAAnd3-KeyTripleDES-CBC) in the second, the leaf and the key
// sharing friendlyName and localKeyId (SHA-1 of the leaf), and an HMAC-SHA1 MAC (Apple's open-source PKCS#12
// decoder takes no other MAC; 3DES is the PBE every macOS reads). Made and opened with node:crypto: node-forge's
// pure-JS 3DES and KDF cost ~29 ms to open one.
// Shared by writer and reader, so tests check the writer against OpenSSL (PKCS12_parse, `openssl pkcs12`) and
// the reader against node-forge's files.
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";

import {
  derBmpString,
  derBytes,
  derChildren,
  derContent,
  derNull,
  derOctetString,
  derOid,
  derOidText,
  derSequence,
  derSet,
  derSmallInteger,
  derSubjectPublicKeyInfo,
  derUnsigned,
  derUnsignedInteger,
  readDer,
  sortSetMembers,
  tlv,
  type DerNode,
} from "./der";

export class Pkcs12Error extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "Pkcs12Error";
  }
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  pbeWithSha1And3DesCbc: "1.2.840.113549.1.12.1.3",
  sha1: "1.3.14.3.2.26",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
} as const;

/**
 * KDF iterations for the key bag's encryption and for the MAC. One, on purpose: the work factor slows down
 * guessing a password, and here there is nothing to guess. The profile carries `Password` right beside the
 * PKCS#12 (Apple's CertificatePKCS12 doc: a profile is obfuscated, not encrypted), so whoever holds the file
 * holds the key already; and the password is 144 random bits, beyond any guessing at any work factor. What
 * protects the identity is how the profile is delivered (TLS, to whoever holds an enrollment token). One iteration is also
 * what Apple's own PKCS#12 encoder writes for the MAC, and what `openssl pkcs12 -noiter -nomaciter` writes.
 * Measured here: writing an identity's PKCS#12 costs ~0.1 ms at 1 iteration against ~8.7 ms at node-forge's
 * 2,048 (four SHA-1 chains of that length: two for the 3DES key, one each for the IV and the MAC key), and
 * opening it ~0.2 ms, most of it OpenSSL decoding the key.
 */
export const PKCS12_ITERATIONS = 1;
/** A reader's bound on a file's iteration counts: enough for any real file, not a way to make it spin. */
const MAX_ITERATIONS = 1_000_000;
const SALT_BYTES = 8;

/** A PKCS#12 password as RFC 7292 appendix B.1 feeds it to the KDF: BMPString (UTF-16BE) with a 0x0000 end. */
function bmpPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, "utf16le").swap16(), Buffer.alloc(2)]);
}

/** `length` bytes of `source` repeated (RFC 7292 B.2 steps 2–3); empty for an empty source. */
function repeatTo(source: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
  return out;
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-1 (u = 20, v = 64): `id` 1 for a cipher key,
 * 2 for an IV, 3 for a MAC key. `password` is the BMPString form (bmpPassword).
 */
export function pkcs12Kdf(password: Uint8Array, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Buffer {
  const u = 20;
  const v = 64;
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([repeatTo(salt, salt.length ? v * Math.ceil(salt.length / v) : 0), repeatTo(password, password.length ? v * Math.ceil(password.length / v) : 0)]);
  const out = Buffer.alloc(length);
  for (let block = 0; block * u < length; block++) {
    let a = createHash("sha1").update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash("sha1").update(a).digest();
    a.copy(out, block * u, 0, Math.min(u, length - block * u));
    if ((block + 1) * u >= length) break;
    // Each v-byte block Ij of I becomes (Ij + B + 1) mod 2^(8v), where B is A repeated to v bytes.
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = i[j + k]! + a[k % u]! + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

/** pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 appendix C): 3DES-CBC with key and IV from the KDF. */
function tripleDes(mode: "encrypt" | "decrypt", password: Buffer, salt: Uint8Array, iterations: number, data: Uint8Array): Buffer {
  const key = pkcs12Kdf(password, salt, 1, iterations, 24);
  const iv = pkcs12Kdf(password, salt, 2, iterations, 8);
  const cipher = mode === "encrypt" ? createCipheriv("des-ede3-cbc", key, iv) : createDecipheriv("des-ede3-cbc", key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

const pbeAlgorithm = (salt: Buffer, iterations: number) => derSequence(derOid(OID.pbeWithSha1And3DesCbc), derSequence(derOctetString(salt), derUnsignedInteger(iterationBytes(iterations))));

function iterationBytes(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from(bytes);
}

/**
 * A private key as PKCS#8 PrivateKeyInfo. EC keys carry their curve inside ECPrivateKey too (RFC 5915 says
 * implementations MUST include the parameters; OpenSSL's PKCS#8 export leaves them to the outer algorithm).
 */
function privateKeyInfo(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== "ec") return key.export({ format: "der", type: "pkcs8" });
  const sec1 = key.export({ format: "der", type: "sec1" });
  const params = derChildren(sec1, readDer(sec1)).find((n) => n.tag === 0xa0);
  const curve = params && derChildren(sec1, params)[0];
  if (!curve) throw new Pkcs12Error("EC key without a named curve");
  return derSequence(derSmallInteger(0), derSequence(derOid(OID.ecPublicKey), derBytes(sec1, curve)), derOctetString(sec1));
}

export type Pkcs12Input = {
  privateKey: KeyObject;
  /** The key's certificate (DER), then the rest of its chain (the issuing CA), each in its own certBag. */
  certificates: [Buffer, ...Buffer[]];
  password: string;
  friendlyName: string;
  iterations?: number;
};

/** Writes an identity as a PKCS#12 (the shape above), encrypted and MACed under `password`. */
export function writePkcs12(input: Pkcs12Input): Buffer {
  const iterations = input.iterations ?? PKCS12_ITERATIONS;
  const password = bmpPassword(input.password);
  const [leaf, ...chain] = input.certificates;
  const attributes = derSet(
    ...sortSetMembers([
      derSequence(derOid(OID.localKeyId), derSet(derOctetString(createHash("sha1").update(leaf).digest()))),
      derSequence(derOid(OID.friendlyName), derSet(derBmpString(input.friendlyName))),
    ]),
  );
  const certBag = (certificate: Buffer, attrs: Buffer[]) =>
    derSequence(derOid(OID.certBag), tlv(0xa0, derSequence(derOid(OID.x509Certificate), tlv(0xa0, derOctetString(certificate)))), ...attrs);
  const certificates = derSequence(certBag(leaf, [attributes]), ...chain.map((c) => certBag(c, [])));

  const keySalt = randomBytes(SALT_BYTES);
  const encryptedKey = derSequence(pbeAlgorithm(keySalt, iterations), derOctetString(tripleDes("encrypt", password, keySalt, iterations, privateKeyInfo(input.privateKey))));
  const keys = derSequence(derSequence(derOid(OID.pkcs8ShroudedKeyBag), tlv(0xa0, encryptedKey), attributes));

  const dataContent = (content: Buffer) => derSequence(derOid(OID.data), tlv(0xa0, derOctetString(content)));
  const authSafe = derSequence(dataContent(certificates), dataContent(keys));
  const macSalt = randomBytes(SALT_BYTES);
  const mac = createHmac("sha1", pkcs12Kdf(password, macSalt, 3, iterations, 20)).update(authSafe).digest();
  const macData = derSequence(derSequence(derSequence(derOid(OID.sha1), derNull()), derOctetString(mac)), derOctetString(macSalt), derUnsignedInteger(iterationBytes(iterations)));
  return derSequence(derSmallInteger(3), dataContent(authSafe), macData);
}

export type Pkcs12Contents = {
  privateKey: KeyObject;
  /** The certificate whose public key is the private key's (DER). */
  certificate: Buffer;
  /** Every certificate in the file, in file order. */
  certificates: Buffer[];
};

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const CONTEXT_0 = 0xa0;

/** A node of the expected tag (a wrong one is a malformed file, not something to skip). */
function expectNode(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node?.tag !== tag) throw new Pkcs12Error(`malformed PKCS#12: expected ${what}`);
  return node;
}

/** The children of a node of the expected tag. */
const fieldsOf = (buf: Buffer, node: DerNode | undefined, tag: number, what: string) => derChildren(buf, expectNode(node, tag, what));

/** An OCTET STRING's bytes, primitive or (BER, as some writers make it) constructed from pieces. */
function octets(buf: Buffer, node: DerNode | undefined): Buffer {
  if (node?.tag === OCTET_STRING) return derContent(buf, node);
  if (node?.tag === 0x24) return Buffer.concat(derChildren(buf, node).map((piece) => octets(buf, piece)));
  throw new Pkcs12Error("malformed PKCS#12: expected an OCTET STRING");
}

/** An AlgorithmIdentifier: its OID and its parameters node. */
function algorithmOf(buf: Buffer, node: DerNode | undefined): { oid: string; params: DerNode | undefined } {
  const [oid, params, ...rest] = fieldsOf(buf, node, SEQUENCE, "an AlgorithmIdentifier");
  if (rest.length) throw new Pkcs12Error("malformed PKCS#12: an AlgorithmIdentifier with extra fields");
  return { oid: derOidText(buf, expectNode(oid, 0x06, "an algorithm OID")), params };
}

function iterationsOf(buf: Buffer, node: DerNode | undefined): number {
  const n = node ? derUnsigned(buf, node) : 1;
  if (n < 1 || n > MAX_ITERATIONS) throw new Pkcs12Error(`unsupported iteration count ${n}`);
  return n;
}

/** Decrypts what a PBE AlgorithmIdentifier protects (only pbeWithSHAAnd3-KeyTripleDES-CBC). */
function decrypt(buf: Buffer, algorithmNode: DerNode | undefined, encrypted: Buffer, password: Buffer): Buffer {
  const algorithm = algorithmOf(buf, algorithmNode);
  if (algorithm.oid !== OID.pbeWithSha1And3DesCbc) throw new Pkcs12Error(`unsupported encryption ${algorithm.oid}`);
  const [salt, count] = fieldsOf(buf, algorithm.params, SEQUENCE, "PBE parameters");
  const [saltBytes, iterations] = [octets(buf, salt), iterationsOf(buf, count)];
  try {
    return tripleDes("decrypt", password, saltBytes, iterations, encrypted);
  } catch (e) {
    throw new Pkcs12Error("wrong password (the key does not decrypt)", { cause: e });
  }
}

/** The MAC over the AuthenticatedSafe (HMAC-SHA1, key from the KDF): a wrong password fails here. */
function verifyMac(buf: Buffer, macData: DerNode, authSafe: Buffer, password: Buffer) {
  const [digestInfo, salt, count] = fieldsOf(buf, macData, SEQUENCE, "MacData");
  const [algorithmNode, digest] = fieldsOf(buf, digestInfo, SEQUENCE, "the MAC's DigestInfo");
  const algorithm = algorithmOf(buf, algorithmNode);
  if (algorithm.oid !== OID.sha1 || (algorithm.params && derBytes(buf, algorithm.params).toString("hex") !== "0500")) throw new Pkcs12Error("unsupported MAC algorithm");
  const expected = createHmac("sha1", pkcs12Kdf(password, octets(buf, salt), 3, iterationsOf(buf, count), 20)).update(authSafe).digest();
  const got = octets(buf, digest);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new Pkcs12Error("wrong password (the MAC does not match)");
}

/**
 * A PrivateKeyInfo as a KeyObject, through the inner key's own decoder where it can: OpenSSL 3's PKCS#8
 * decoder costs ~0.3 ms, the PKCS#1 (RSA) and SEC1 (EC, when it names its curve) decoders ~0.1 ms.
 */
function importPrivateKey(info: Buffer): KeyObject {
  const [, algorithm, key] = derChildren(info, readDer(info));
  const oid = algorithm && derChildren(info, algorithm)[0];
  const type = oid && derOidText(info, oid);
  if (key && type === OID.rsaEncryption) return createPrivateKey({ key: octets(info, key), format: "der", type: "pkcs1" });
  if (key && type === OID.ecPublicKey) {
    const sec1 = octets(info, key);
    if (derChildren(sec1, readDer(sec1)).some((field) => field.tag === 0xa0)) return createPrivateKey({ key: sec1, format: "der", type: "sec1" });
  }
  return createPrivateKey({ key: info, format: "der", type: "pkcs8" });
}

/** The subjectPublicKeyInfo of a certificate, as encoded (compared with the key's, derSubjectPublicKeyInfo). */
function spkiOf(certificate: Buffer): Buffer {
  const [tbs] = derChildren(certificate, readDer(certificate));
  const fields = tbs ? derChildren(certificate, tbs) : [];
  const spki = fields[fields[0]?.tag === 0xa0 ? 6 : 5];
  if (!spki) throw new Pkcs12Error("a certificate without subjectPublicKeyInfo");
  return derBytes(certificate, spki);
}

/**
 * Opens a PKCS#12 with its password: checks the MAC, decrypts the key (3DES PBE) and picks the certificate
 * that holds the key's public half. Reads what `writePkcs12` and node-forge (`algorithm: "3des"`) write;
 * anything else (PBES2, RC2, another MAC) is refused with a Pkcs12Error, as is a wrong password.
 */
export function readPkcs12(der: Uint8Array, passwordText: string): Pkcs12Contents {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const password = bmpPassword(passwordText);
  try {
    const pfx = expectNode(readDer(buf), SEQUENCE, "a PFX");
    if (pfx.end !== buf.length) throw new Pkcs12Error("malformed PKCS#12: trailing bytes after the PFX");
    const [version, authSafeInfo, macData, ...rest] = derChildren(buf, pfx);
    if (rest.length || !version || derUnsigned(buf, version) !== 3) throw new Pkcs12Error("not a version 3 PFX");
    const [type, explicit] = fieldsOf(buf, authSafeInfo, SEQUENCE, "the authSafe ContentInfo");
    if (derOidText(buf, expectNode(type, 0x06, "a content type")) !== OID.data) throw new Pkcs12Error("the AuthenticatedSafe is not data (public-key integrity is not supported)");
    const authSafe = octets(buf, fieldsOf(buf, explicit, CONTEXT_0, "[0] content")[0]);
    if (macData) verifyMac(buf, macData, authSafe, password);

    const keys: KeyObject[] = [];
    const certificates: Buffer[] = [];
    for (const info of fieldsOf(authSafe, readDer(authSafe), SEQUENCE, "an AuthenticatedSafe")) {
      const [infoType, content] = fieldsOf(authSafe, info, SEQUENCE, "a ContentInfo");
      const kind = derOidText(authSafe, expectNode(infoType, 0x06, "a content type"));
      const [inner] = fieldsOf(authSafe, content, CONTEXT_0, "[0] content");
      let safe: Buffer;
      if (kind === OID.data) {
        safe = octets(authSafe, inner);
      } else if (kind === OID.encryptedData) {
        // EncryptedData { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT encryptedContent } }
        const [, encryptedContentInfo] = fieldsOf(authSafe, inner, SEQUENCE, "EncryptedData");
        const [, algorithm, encrypted] = fieldsOf(authSafe, encryptedContentInfo, SEQUENCE, "EncryptedContentInfo");
        if (encrypted?.tag !== 0x80 && encrypted?.tag !== CONTEXT_0) throw new Pkcs12Error("malformed PKCS#12: EncryptedData without content");
        const bytes = encrypted.tag === 0x80 ? derContent(authSafe, encrypted) : Buffer.concat(derChildren(authSafe, encrypted).map((p) => octets(authSafe, p)));
        safe = decrypt(authSafe, algorithm, bytes, password);
      } else {
        continue; // another content type: nothing this reader needs
      }
      for (const bag of fieldsOf(safe, readDer(safe), SEQUENCE, "SafeContents")) {
        const [bagId, value] = fieldsOf(safe, bag, SEQUENCE, "a SafeBag");
        const bagType = derOidText(safe, expectNode(bagId, 0x06, "a bag type"));
        const [bagValue] = fieldsOf(safe, value, CONTEXT_0, "[0] bagValue");
        if (bagType === OID.pkcs8ShroudedKeyBag) {
          const [algorithm, encrypted] = fieldsOf(safe, bagValue, SEQUENCE, "EncryptedPrivateKeyInfo");
          keys.push(importPrivateKey(decrypt(safe, algorithm, octets(safe, encrypted), password)));
        } else if (bagType === OID.keyBag) {
          keys.push(importPrivateKey(derBytes(safe, expectNode(bagValue, SEQUENCE, "PrivateKeyInfo"))));
        } else if (bagType === OID.certBag) {
          const [certType, certValue] = fieldsOf(safe, bagValue, SEQUENCE, "a CertBag");
          if (derOidText(safe, expectNode(certType, 0x06, "a certificate type")) === OID.x509Certificate) certificates.push(octets(safe, fieldsOf(safe, certValue, CONTEXT_0, "[0] certValue")[0]));
        }
      }
    }
    if (keys.length !== 1) throw new Pkcs12Error(`expected one private key, found ${keys.length}`);
    const privateKey = keys[0]!;
    const spki = derSubjectPublicKeyInfo(privateKey);
    const certificate = certificates.find((c) => spkiOf(c).equals(spki));
    if (!certificate) throw new Pkcs12Error("no certificate holds the private key's public key");
    return { privateKey, certificate, certificates };
  } catch (e) {
    if (e instanceof Pkcs12Error) throw e;
    throw new Pkcs12Error("malformed PKCS#12", { cause: e });
  }
}
