// Device authentication by `Mdm-Signature` (DESIGN §4.1, mdm-protocol.md §9.1, reliability-security.md §2):
// the header is base64 of a CMS SignedData with detached content, the device identity's signature over the
// exact request body. NanoMDM's `cryptoutil.VerifyMdmSignature` plus its chain check to the device CA.
// The CMS and the signer's certificate are read by a small DER walker (cms.ts) and verified with node:crypto;
// what depends only on the certificate (chain, validity, key usage) is cached per certificate, so a request
// from a recently seen Mac costs a hash and one signature verification, and one from another Mac adds its
// certificate's reading and, for a certificate neither seen by this process nor bound to a computer, the
// CA's signature check. The endpoint runs an EC signer's check (every identity Pomona issues), its key's
// build included, on the verifier's thread (ec-verifier.ts), and the others on libuv's thread pool. Every
// failure is a one-line reason, never a throw.
import { createHash, createPublicKey, timingSafeEqual, verify, X509Certificate, type KeyObject } from "node:crypto";

import { certificateSha256 } from "@/server/services/pki";

import { DerError, parseSignedData, readCertificate, type CertificateParts } from "./cms";
import { checkEcSignature, isWorkerCheck, type EcOutcome } from "./ec-verifier";
import { ecPublicKey } from "./ec-verifier.worker.mjs";

export type MdmSignatureResult = { ok: true; certificateDer: Buffer; certificateSha256: string } | { ok: false; reason: string };

/** A real Mdm-Signature is a few KiB; anything this large is refused before decoding. */
const MAX_HEADER_LENGTH = 64 * 1024;
const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_ANY = "2.5.29.37.0";

/** Digest algorithms a Mac may use (RFC 5754 / RFC 3370), by OID → node:crypto name. */
const DIGESTS: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "1.3.14.3.2.26": "sha1",
};
/**
 * SignerInfo signature algorithms, by OID → the signer's key type and, for ECDSA, the hash the OID names.
 * rsaEncryption, sha*WithRSAEncryption, ecdsa-with-SHA* (RFC 5753/5758), and id-ecPublicKey, which signers in
 * NSS's lineage write for ECDSA as they write rsaEncryption for RSA (the digest algorithm names the hash).
 * The signature is verified with the digest algorithm's hash; an ECDSA OID naming another hash is refused,
 * since an ECDSA signature, unlike PKCS#1 v1.5, does not carry the hash it was made with.
 */
const SIGNATURE_ALGORITHMS: Record<string, { key: "rsa" | "ec"; hash?: string }> = {
  "1.2.840.113549.1.1.1": { key: "rsa" },
  "1.2.840.113549.1.1.5": { key: "rsa" },
  "1.2.840.113549.1.1.11": { key: "rsa" },
  "1.2.840.113549.1.1.12": { key: "rsa" },
  "1.2.840.113549.1.1.13": { key: "rsa" },
  "1.2.840.10045.2.1": { key: "ec" },
  "1.2.840.10045.4.3.2": { key: "ec", hash: "sha256" },
  "1.2.840.10045.4.3.3": { key: "ec", hash: "sha384" },
  "1.2.840.10045.4.3.4": { key: "ec", hash: "sha512" },
};

const fail = (reason: string): MdmSignatureResult => ({ ok: false, reason });

/** Signature algorithms of a certificate issued by Pomona's CA that the fast path checks, by OID → digest. */
const CERTIFICATE_SIGNATURES: Record<string, string> = {
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
};
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
/** Named curves an EC signer key may use, by OID → JWK name and coordinate size. */
const EC_CURVES: Record<string, { crv: string; size: number }> = {
  "1.2.840.10045.3.1.7": { crv: "P-256", size: 32 },
  "1.3.132.0.34": { crv: "P-384", size: 48 },
  "1.3.132.0.35": { crv: "P-521", size: 66 },
};

/**
 * The device CA as the checks use it. `id` names it in cache keys (its PEM's length and fingerprint);
 * `issued` holds the SHA-256 of certificates whose signature by this CA verified (rememberIssued).
 */
export type CaFacts = { x509: X509Certificate; publicKey: KeyObject; subject: Buffer; notAfter: Date; id: string; issued: Set<string> };
export type CertFacts = { sha256: string; publicKey: KeyObject; notBefore: Date; notAfter: Date; issuedByCa: boolean; clientAuth: boolean };
/**
 * A signer's key as the checks take it: built (an RSA key, or any key X509Certificate read), or an EC key's
 * curve and uncompressed point, built where its signature is checked (ec-verifier.ts) and never on the event
 * loop. `type` is the key's type (`asymmetricKeyType`).
 */
type SignerKey = { type: string; object: KeyObject; crv?: undefined; point?: undefined } | { type: "ec"; crv: string; point: Buffer; object?: undefined };

const caCache = new Map<string, CaFacts>();
/**
 * Certificates kept, for the requests that follow one another within a Mac's session (the answer to the
 * command just handed over). An EC identity's entry holds its facts and point; its key is kept, if at all, by
 * the verifier's thread. An RSA identity's entry holds an OpenSSL key, about 3.2 KB (measured), so only the
 * last few Macs' are kept. Few, too, so that such a key dies young: a `KeyObject` is freed by a weak callback, ~3 µs
 * in a young collection, where a few hundred die at a time, but ~10 µs in a mark-compact, which frees all
 * that died old since the last one in one pause. With 2,048 kept at 1,000 req/s (two seconds, four young
 * collections) every key was promoted (`--trace-gc-nvp`: ~780 handles promoted per young collection), and
 * each mark-compact spent 16–28 ms freeing them, most of G2's p99. 128 is a quarter of the ~500 requests
 * between two young collections of the server's 32 MB semi-space.
 *
 * A ring of slots, not a Map used first in, first out: with a Map of 128 the keys were still promoted
 * (~690 handles per young collection, measured in-process), and with this ring none were. The server also
 * runs without allocation-site pretenuring (package.json): V8 otherwise chose, in some runs and not others,
 * to allocate in the old generation what held the keys, and they died there whatever this bound.
 */
export const CERT_CACHE_LIMIT = 128;
const certRing: (CertReading | undefined)[] = new Array<CertReading | undefined>(CERT_CACHE_LIMIT).fill(undefined);
const certRingKeys: string[] = new Array<string>(CERT_CACHE_LIMIT).fill("");
/** Cache key → its slot in the ring. */
const certIndex = new Map<string, number>();
/** The slot the next certificate takes, evicting the one kept longest. */
let certNext = 0;
/**
 * Certificates remembered as issued by the CA, beyond the keys kept: a Mac whose key was evicted costs its
 * certificate's reading, its key's build and its own signature again, not the CA's RSA check as well (in
 * the benchmark's G1, 100,000 Macs in turn, every request missed the key cache and paid both). The check is
 * a pure function of the certificate's bytes and the CA, and a SHA-256 names those bytes, so remembering its
 * `true` is the check itself; validity and key usage are still read from the certificate every time. An
 * entry is a 64-character string in a Set, about 100 bytes: the bound is 25 MB, first in, first out.
 */
export const ISSUED_MEMORY_LIMIT = 250_000;
/** How many CA signature checks were run (not answered from memory): the benchmark's notes, and tests. */
export const caSignatureChecks = { run: 0 };
/**
 * Whether a certificate (by SHA-256) is a computer's bound identity. Authenticate binds only a certificate
 * whose every check passed, the CA's signature included, and Pomona's device CA is never replaced; so a
 * bound certificate's CA check is that earlier check, and the database remembers it across restarts, where
 * `issued` (memory) starts empty: after a restart, every Mac's first request paid the CA's check again (in
 * the benchmark's G3 drain, ~84,000 of them on the thread pool). Validity, key usage and the Mac's own
 * signature are still checked on every request.
 */
export type BoundIdentityCheck = (certificateSha256: string) => boolean;
/** How many CA checks a computer's bound identity answered (the benchmark's notes, and tests). */
export const caSignaturesFromBinding = { run: 0 };
/** How many certificates were read (not found kept): the benchmark's notes, and tests. */
export const certificateReads = { run: 0 };

export function caFacts(pem: string): CaFacts {
  let facts = caCache.get(pem);
  if (!facts) {
    const x509 = new X509Certificate(pem);
    facts = { x509, publicKey: x509.publicKey, subject: readCertificate(x509.raw).subject, notAfter: new Date(x509.validTo), id: `${pem.length}:${x509.fingerprint256}`, issued: new Set() };
    caCache.clear(); // one CA at a time: a new one replaces the old
    caCache.set(pem, facts);
  }
  return facts;
}

const allowsClientAuth = (usages: string[] | null | undefined) => !usages || usages.includes(EKU_CLIENT_AUTH) || usages.includes(EKU_ANY);

/** One RSA or ECDSA signature to check: run here (sync) or on libuv's thread pool (the endpoint). */
type SignatureCheck = { digest: string; data: Buffer; key: KeyObject; signature: Buffer; counter?: { run: number } };
/** Facts whose CA signature may still need checking, with the signer's key as the checks take it. */
type CertReading = Omit<CertFacts, "issuedByCa" | "publicKey"> & { key: SignerKey; issuedByCa: boolean | SignatureCheck };

function checkNow(check: SignatureCheck | boolean): boolean {
  if (typeof check === "boolean") return check;
  if (check.counter) check.counter.run++;
  try {
    return verify(check.digest, check.data, check.key, check.signature);
  } catch {
    return false;
  }
}

/**
 * The same check on the thread pool: the event loop spends about 3 µs on it instead of 18 µs (RSA-2048) or
 * 60 µs (ECDSA P-256), so a request's two checks run on the other core while PUT /mdm goes on serving.
 */
function checkOnPool(check: SignatureCheck | boolean): Promise<boolean> | boolean {
  if (typeof check === "boolean") return check;
  if (check.counter) check.counter.run++;
  return new Promise((resolve) => {
    try {
      verify(check.digest, check.data, check.key, check.signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/**
 * A signer's public key from its certificate's key bytes, the cheapest way node:crypto has (OpenSSL's SPKI
 * decoder costs ~0.1 ms for either): an RSA key built from its PKCS#1 bytes (~0.01 ms); an EC key on a named
 * curve left as its uncompressed point (a copy: the certificate's bytes are the request's), which ecPublicKey
 * builds as a JWK (~0.06 ms; OpenSSL checks the point is on the curve) where the signature is checked.
 * Undefined for anything else.
 */
function signerKeyOf(parts: CertificateParts): SignerKey | undefined {
  if (parts.publicKeyAlgorithm === RSA_ENCRYPTION) return { type: "rsa", object: createPublicKey({ key: parts.publicKey, format: "der", type: "pkcs1" }) };
  const curve = parts.publicKeyAlgorithm === EC_PUBLIC_KEY && parts.publicKeyParameters ? EC_CURVES[parts.publicKeyParameters] : undefined;
  const point = parts.publicKey;
  if (!curve || point.length !== 1 + 2 * curve.size || point[0] !== 4) return undefined;
  return { type: "ec", crv: curve.crv, point: Buffer.from(point) };
}

/** The signer's key built (an EC point's here, on the calling thread); throws for a point off its curve. */
function keyObjectOf(key: SignerKey): KeyObject {
  return key.object ?? ecPublicKey(key.crv, key.point);
}

/**
 * A certificate's facts read by cms.ts's DER walker: about 0.03 ms where OpenSSL's X509Certificate takes
 * 0.1 ms, and the key as signerKeyOf leaves it. Undefined for anything this path does not cover (another key
 * type or curve, another algorithm, an issuer name not byte-equal to the CA's subject): `factsFromX509`
 * decides those. The CA's signature is left as a check to run.
 */
function readFactsFromDer(der: Buffer, sha256: string, ca: CaFacts): CertReading | undefined {
  let parts: CertificateParts;
  try {
    parts = readCertificate(der);
  } catch {
    return undefined;
  }
  const digest = CERTIFICATE_SIGNATURES[parts.signatureAlgorithm];
  if (!digest || !parts.issuer.equals(ca.subject)) return undefined;
  let key: SignerKey | undefined;
  try {
    key = signerKeyOf(parts);
  } catch {
    return undefined;
  }
  if (!key) return undefined;
  // As OpenSSL's X509_verify: the outer algorithm must equal the signed one, and the signature verify.
  const issuedByCa = parts.algorithmsMatch && (ca.issued.has(sha256) || { digest, data: parts.tbs, key: ca.publicKey, signature: parts.signature, counter: caSignatureChecks });
  return { sha256, key, notBefore: parts.notBefore, notAfter: parts.notAfter, issuedByCa, clientAuth: allowsClientAuth(parts.extendedKeyUsages) };
}

/** readFactsFromDer with the signer's key built and the CA's signature checked (undefined for a key OpenSSL refuses). */
export function factsFromDer(der: Buffer, sha256: string, ca: CaFacts): CertFacts | undefined {
  const reading = readFactsFromDer(der, sha256, ca);
  if (!reading) return undefined;
  let publicKey: KeyObject;
  try {
    publicKey = keyObjectOf(reading.key);
  } catch {
    return undefined;
  }
  return { sha256: reading.sha256, publicKey, notBefore: reading.notBefore, notAfter: reading.notAfter, issuedByCa: checkNow(reading.issuedByCa), clientAuth: reading.clientAuth };
}

/** The same facts through OpenSSL's X509Certificate: the reference, and the path for what factsFromDer leaves. */
export function factsFromX509(der: Buffer, sha256: string, ca: CaFacts): CertFacts {
  const x509 = new X509Certificate(der);
  return {
    sha256,
    publicKey: x509.publicKey,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    issuedByCa: x509.checkIssued(ca.x509) && x509.verify(ca.publicKey),
    clientAuth: allowsClientAuth(x509.keyUsage), // keyUsage is the extended key usages; undefined when none
  };
}

/**
 * What a certificate alone decides, computed once per (certificate, CA) and kept, within a bound: a
 * reading that still has the CA's signature to check is kept by `remember` once that check has run.
 */
function certReading(der: Buffer, ca: CaFacts): { reading: CertReading; key: string } {
  const sha256 = certificateSha256(der);
  const key = `${sha256}:${ca.id}`;
  const at = certIndex.get(key);
  const cached = at === undefined ? undefined : certRing[at];
  if (cached) return { reading: cached, key };
  certificateReads.run++;
  return { reading: readFactsFromDer(der, sha256, ca) ?? readingOf(factsFromX509(der, sha256, ca)), key };
}

/** X509Certificate's facts as a reading (its key already built). */
function readingOf(facts: CertFacts): CertReading {
  const { publicKey, ...rest } = facts;
  return Object.assign(rest, { key: { type: publicKey.asymmetricKeyType ?? "unknown", object: publicKey } });
}

/** Notes that `ca` signed the certificate `sha256` names (a verified check only), within the bound. */
function rememberIssued(ca: CaFacts, sha256: string) {
  if (ca.issued.has(sha256)) return;
  if (ca.issued.size >= ISSUED_MEMORY_LIMIT) ca.issued.delete(ca.issued.values().next().value!);
  ca.issued.add(sha256);
}

/**
 * Notes a certificate the device CA signed a moment ago in this process (GET /mdm/enroll), so that its
 * Mac's Authenticate does not check the CA's signature again: Pomona made that signature itself. Every
 * other check of the request still runs (the Mac's own signature, validity, key usage, the algorithms).
 */
export function rememberIssuedCertificate(caCertificatePem: string, certificateDer: Buffer) {
  rememberIssued(caFacts(caCertificatePem), certificateSha256(certificateDer));
}

/** Lets go of every CA signature remembered, as a restart does (tests). */
export function forgetIssuedCertificates() {
  for (const ca of caCache.values()) ca.issued.clear();
}

/** Lets go of every kept certificate's facts and key, as the bound does to a Mac not seen lately (tests). */
export function forgetCertificateKeys() {
  certIndex.clear();
  certRing.fill(undefined);
  certRingKeys.fill("");
}

function remember(key: string, reading: CertReading, issuedByCa: boolean) {
  if (certIndex.has(key)) return;
  const evicted = certRingKeys[certNext]!;
  if (evicted !== "") certIndex.delete(evicted);
  certRing[certNext] = Object.assign({}, reading, { issuedByCa });
  certRingKeys[certNext] = key;
  certIndex.set(key, certNext);
  certNext = (certNext + 1) % CERT_CACHE_LIMIT;
}

/** The signer's signature over the signed attributes (or the body), with its key as the reading holds it. */
type SignerCheck = { digest: string; data: Buffer; key: SignerKey; signature: Buffer };
/** A signature whose parsing and cheap checks passed, with its two signatures still to check. */
type PreparedSignature = { ca: CaFacts; cert: CertReading; cacheKey: string; signer: SignerCheck; certificateDer: Buffer };
/** The signer's check's outcome: `unreadable-key` for an EC point OpenSSL refuses (not on its curve). */
type SignerOutcome = EcOutcome;

/**
 * Verifies `Mdm-Signature` against the body and Pomona's device CA at the instant `now`, and returns the
 * signer certificate (DER) with its SHA-256, the identity bound to the UDID at Authenticate. The two
 * signature checks (the signer's, RSA or ECDSA, over the body; the CA's over a certificate neither seen by
 * this process nor, by `isBoundIdentity`, bound to a computer) run off the event loop.
 */
export async function verifyMdmSignature(
  body: Buffer,
  signatureHeader: string | undefined,
  caCertificatePem: string,
  now: Date,
  isBoundIdentity?: BoundIdentityCheck,
): Promise<MdmSignatureResult> {
  const prepared = prepareSignature(body, signatureHeader, caCertificatePem, isBoundIdentity);
  if ("ok" in prepared) return prepared;
  const [signer, issuedByCa] = await Promise.all([checkSignerAway(prepared.signer), checkOnPool(prepared.cert.issuedByCa)]);
  return concludeSignature(prepared, signer, issuedByCa, now);
}

/** The signer's check off the event loop: an EC key's on the verifier's thread, another on libuv's pool. */
function checkSignerAway(check: SignerCheck): Promise<SignerOutcome> | SignerOutcome {
  const { key } = check;
  if (key.object) {
    const valid = checkOnPool({ digest: check.digest, data: check.data, key: key.object, signature: check.signature });
    return typeof valid === "boolean" ? outcomeOf(valid) : valid.then(outcomeOf);
  }
  const ec = { digest: check.digest, crv: key.crv, point: key.point, data: check.data, signature: check.signature };
  return isWorkerCheck(ec) ? checkEcSignature(ec) : checkSignerHere(check);
}

/** The signer's check on the calling thread, its key built here. */
function checkSignerHere(check: SignerCheck): SignerOutcome {
  let key: KeyObject;
  try {
    key = keyObjectOf(check.key);
  } catch {
    return "unreadable-key";
  }
  return outcomeOf(checkNow({ digest: check.digest, data: check.data, key, signature: check.signature }));
}

const outcomeOf = (valid: boolean): SignerOutcome => (valid ? "valid" : "invalid");

/** verifyMdmSignature with both checks on the calling thread (tests, and the fuzz suite's many mutants). */
export function verifyMdmSignatureSync(body: Buffer, signatureHeader: string | undefined, caCertificatePem: string, now: Date): MdmSignatureResult {
  const prepared = prepareSignature(body, signatureHeader, caCertificatePem);
  if ("ok" in prepared) return prepared;
  return concludeSignature(prepared, checkSignerHere(prepared.signer), checkNow(prepared.cert.issuedByCa), now);
}

function prepareSignature(body: Buffer, signatureHeader: string | undefined, caCertificatePem: string, isBoundIdentity?: BoundIdentityCheck): PreparedSignature | MdmSignatureResult {
  if (signatureHeader === undefined || signatureHeader.trim() === "") return fail("missing Mdm-Signature header");
  const compact = signatureHeader.replace(/\s+/g, "");
  if (compact.length > MAX_HEADER_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return fail("Mdm-Signature is not valid base64 CMS");

  let parsed: ReturnType<typeof parseSignedData>;
  try {
    parsed = parseSignedData(Buffer.from(compact, "base64"));
  } catch (e) {
    if (e instanceof DerError || e instanceof RangeError) return fail("Mdm-Signature is not valid base64 CMS");
    throw e;
  }
  if (parsed.signers !== 1) return fail(`Mdm-Signature must have exactly one signer (found ${parsed.signers})`);
  const signer = parsed.signer;
  if (parsed.certificates === 0 || !signer) return fail("Mdm-Signature carries no signer certificate");
  const digest = DIGESTS[signer.digestAlgorithm];
  const algorithm = SIGNATURE_ALGORITHMS[signer.signatureAlgorithm];
  if (!digest || !algorithm || (algorithm.hash && algorithm.hash !== digest)) return fail("Mdm-Signature uses an unsupported digest algorithm");

  let ca: CaFacts;
  try {
    ca = caFacts(caCertificatePem);
  } catch {
    return fail("Pomona's device CA certificate cannot be read");
  }
  let cert: { reading: CertReading; key: string };
  try {
    cert = certReading(signer.certificate, ca);
  } catch {
    return fail("signer certificate cannot be read");
  }
  if (cert.reading.key.type !== algorithm.key) return fail("Mdm-Signature's algorithm does not fit the signer certificate's key");
  // A reading with the CA's check still to run is this request's own (one kept has its outcome).
  if (typeof cert.reading.issuedByCa !== "boolean" && isBoundIdentity?.(cert.reading.sha256)) {
    caSignaturesFromBinding.run++;
    cert.reading.issuedByCa = true;
  }

  // The signature covers the signed attributes, whose messageDigest must be this body's digest; any
  // content carried inside the CMS is ignored, so a signature over another message cannot pass.
  let signed: Buffer = body;
  if (signer.signedAttributes) {
    const expected = createHash(digest).update(body).digest();
    const got = signer.messageDigest;
    if (!got || got.length !== expected.length || !timingSafeEqual(got, expected)) return fail("Mdm-Signature does not match the body");
    signed = signer.signedAttributes;
  }
  return { ca, cert: cert.reading, cacheKey: cert.key, signer: { digest, data: signed, key: cert.reading.key, signature: signer.signature }, certificateDer: signer.certificate };
}

function concludeSignature(prepared: PreparedSignature, signer: SignerOutcome, issuedByCa: boolean, now: Date): MdmSignatureResult {
  const { ca, cert } = prepared;
  if (issuedByCa) rememberIssued(ca, cert.sha256);
  // As before the key's build moved to where it is checked: a key OpenSSL cannot build is a certificate that
  // cannot be read (and is not kept).
  if (signer === "unreadable-key") return fail("signer certificate cannot be read");
  remember(prepared.cacheKey, cert, issuedByCa);
  if (signer !== "valid") return fail("Mdm-Signature does not match the body");
  if (!issuedByCa) return fail("signer certificate is not issued by Pomona's device CA");
  const at = now.getTime();
  if (at < cert.notBefore.getTime()) return fail("signer certificate is not valid yet");
  if (at > cert.notAfter.getTime()) return fail("signer certificate expired");
  if (at > ca.notAfter.getTime()) return fail("Pomona's device CA certificate expired");
  if (!cert.clientAuth) return fail("signer certificate is not for client authentication");
  return { ok: true, certificateDer: Buffer.from(prepared.certificateDer), certificateSha256: cert.sha256 };
}
