// Pomona's small PKI (DESIGN §4.1): one device CA kept in `credentials`, a device identity per enrollment
// (delivered in the profile's com.apple.security.pkcs12 payload), and the APNs topic the profile names.
// The CA (RSA-2048) is made once with node-forge. Identities are made with node:crypto and written as DER
// here (the certificate) and in simulator/pkcs12.ts (the PKCS#12): ~0.5 ms of CPU each, half of it the CA's
// RSA signature, where the RSA-2048 key alone took ~150 ms and node-forge's signing and PKCS#12 ~30 ms more.
import { createHash, createPrivateKey, generateKeyPair, generateKeyPairSync, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";

import { eq } from "drizzle-orm";
import forge from "node-forge";

import { DAY } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { credentials, settings } from "@/db/schema";
import {
  derBitString,
  derBoolean,
  derBytes,
  derChildren,
  derContent,
  derDirectoryString,
  derNull,
  derOctetString,
  derOid,
  derOidText,
  derSequence,
  derSet,
  derSmallInteger,
  derSubjectPublicKeyInfo,
  derTime,
  derUnsignedInteger,
  readDer,
  tlv,
} from "@/simulator/der";
import { writePkcs12 } from "@/simulator/pkcs12";

export const DEVICE_CA_CREDENTIAL = "device_ca";
export const APNS_PUSH_CREDENTIAL = "apns_push";
export const PLACEHOLDER_TOPIC_SETTING = "push.placeholderTopic";

const CA_VALIDITY_YEARS = 10;
const IDENTITY_VALIDITY_YEARS = 2;
/** notBefore is backdated a day so a Mac whose clock runs a little behind still accepts the certificate. */
const BACKDATE_MS = DAY;

export type DeviceCa = { certificatePem: string; privateKeyPem: string };
export type DeviceIdentity = { certificateDer: Buffer; privateKey: KeyObject; pkcs12: Buffer; password: string };

const RSA_OPTIONS = { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } } as const;

function generateRsaKeyPair() {
  const privateKeyPem = generateKeyPairSync("rsa", RSA_OPTIONS).privateKey;
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  return { privateKeyPem, privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function addYears(at: Date, years: number): Date {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** A positive 16-byte serial: the top bit cleared (DER INTEGERs are signed) and the next one set (no leading zero). */
function randomSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

const describeName = (attrs: forge.pki.CertificateField[]) => attrs.map((a) => `${a.shortName ?? a.name}=${String(a.value)}`).join(", ");

const caByDb = new WeakMap<Deps["db"], DeviceCa>();

/**
 * The device CA for verifying requests: read once per database handle and kept, since a CA never changes
 * once created (PUT /mdm asks on every request).
 */
export function deviceCa(deps: Pick<Deps, "db" | "clock">): DeviceCa {
  let ca = caByDb.get(deps.db);
  if (!ca) {
    ca = ensureDeviceCa(deps);
    caByDb.set(deps.db, ca);
  }
  return ca;
}

/** Pomona's device CA: loaded from `credentials`, or created once (a racing second creator reads the winner's). */
export function ensureDeviceCa(deps: Pick<Deps, "db" | "clock">): DeviceCa {
  const existing = deps.db.select().from(credentials).where(eq(credentials.name, DEVICE_CA_CREDENTIAL)).get();
  if (existing) return { certificatePem: existing.certificatePem, privateKeyPem: existing.privateKeyPem };

  const now = deps.clock.now();
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial().toString("hex");
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = addYears(now, CA_VALIDITY_YEARS);
  const subject = [
    { name: "commonName", value: "Pomona Device CA" },
    { name: "organizationName", value: "Pomona" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());

  deps.db
    .insert(credentials)
    .values({
      name: DEVICE_CA_CREDENTIAL,
      certificatePem: forge.pki.certificateToPem(cert),
      privateKeyPem: keys.privateKeyPem,
      subject: describeName(cert.subject.attributes),
      topic: null,
      notAfter: cert.validity.notAfter,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: credentials.name })
    .run();
  const stored = deps.db.select().from(credentials).where(eq(credentials.name, DEVICE_CA_CREDENTIAL)).get();
  if (!stored) throw new Error("The device CA could not be stored");
  return { certificatePem: stored.certificatePem, privateKeyPem: stored.privateKeyPem };
}

const OID = {
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  authorityKeyIdentifier: "2.5.29.35",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** The device CA as an issuer: its key, and what every certificate it issues repeats from its own. */
export type CertificateIssuer = {
  key: KeyObject;
  certificateDer: Buffer;
  /** The CA's subject Name exactly as encoded in its certificate: the issuer of every identity. */
  name: Buffer;
  /** The CA's subject key identifier, for the identities' authorityKeyIdentifier. */
  keyIdentifier: Buffer;
  notAfter: Date;
  /** The AlgorithmIdentifier the CA signs with (sha256WithRSAEncryption for Pomona's RSA CA). */
  signatureAlgorithm: Buffer;
};

/** A certificate's tbsCertificate fields (RFC 5280 §4.1), sliced as encoded. */
function tbsFields(der: Buffer) {
  const [tbs] = derChildren(der, readDer(der));
  if (!tbs) throw new Error("certificate without tbsCertificate");
  const fields = derChildren(der, tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0; // optional explicit version
  const subject = fields[i + 4];
  const spki = fields[i + 5];
  if (subject?.tag !== 0x30 || spki?.tag !== 0x30) throw new Error("certificate fields are not where X.509 puts them");
  const extensions = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  return { subject, spki, extensions };
}

/** The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes. */
function keyIdentifierOf(spki: Buffer): Buffer {
  const bits = derChildren(spki, readDer(spki))[1];
  if (bits?.tag !== 0x03) throw new Error("subjectPublicKeyInfo without a key");
  return createHash("sha1").update(spki.subarray(bits.contentStart + 1, bits.end)).digest();
}

/** Reads the device CA into an issuer: its subjectKeyIdentifier extension, else the key identifier of its key. */
export function certificateIssuer(ca: DeviceCa): CertificateIssuer {
  const x509 = new X509Certificate(ca.certificatePem);
  const der = x509.raw;
  const { subject, spki, extensions } = tbsFields(der);
  let keyIdentifier: Buffer | undefined;
  for (const extension of extensions ? derChildren(der, derChildren(der, extensions)[0]!) : []) {
    const parts = derChildren(der, extension);
    if (parts[0] && derOidText(der, parts[0]) === OID.subjectKeyIdentifier) {
      const value = derContent(der, parts.at(-1)!);
      keyIdentifier = derContent(value, readDer(value));
    }
  }
  const key = createPrivateKey(ca.privateKeyPem);
  const signatureAlgorithm =
    key.asymmetricKeyType === "rsa" ? derSequence(derOid(OID.sha256WithRsa), derNull()) : key.asymmetricKeyType === "ec" ? derSequence(derOid(OID.ecdsaWithSha256)) : undefined;
  if (!signatureAlgorithm) throw new Error(`the device CA's ${key.asymmetricKeyType} key cannot sign certificates here`);
  return {
    key,
    certificateDer: der,
    name: derBytes(der, subject),
    keyIdentifier: keyIdentifier ?? keyIdentifierOf(derBytes(der, spki)),
    notAfter: new Date(x509.validTo),
    signatureAlgorithm,
  };
}

const issuerByDb = new WeakMap<Deps["db"], CertificateIssuer>();

/** The device CA as an issuer, read once per database handle (like deviceCa) and kept. */
function deviceCaIssuer(deps: Pick<Deps, "db" | "clock">): CertificateIssuer {
  let issuer = issuerByDb.get(deps.db);
  if (!issuer) {
    issuer = certificateIssuer(deviceCa(deps));
    issuerByDb.set(deps.db, issuer);
  }
  return issuer;
}

/** What one identity's certificate says; `publicKey` may be the private key (its public half is taken). */
export type IdentityCertificateFields = { serial: Buffer; commonName: string; notBefore: Date; notAfter: Date; publicKey: KeyObject };

const extension = (oid: string, critical: boolean, value: Buffer) => derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value));

/**
 * The tbsCertificate of a device identity (RFC 5280 §4.1), with the fields and extensions Pomona has always
 * issued: v3, subject CN + O=Pomona, issuer = the CA's subject as encoded, basicConstraints cA false
 * (critical), keyUsage digitalSignature (critical; with keyEncipherment for an RSA key: an EC key cannot
 * encipher), extKeyUsage clientAuth, subjectKeyIdentifier and authorityKeyIdentifier = the CA's.
 */
export function identityTbsCertificate(issuer: CertificateIssuer, fields: IdentityCertificateFields): Buffer {
  const spki = derSubjectPublicKeyInfo(fields.publicKey);
  // digitalSignature is bit 0, keyEncipherment bit 2; DER drops trailing zero bits.
  const keyUsage = fields.publicKey.asymmetricKeyType === "rsa" ? derBitString(Buffer.from([0xa0]), 5) : derBitString(Buffer.from([0x80]), 7);
  return derSequence(
    tlv(0xa0, derSmallInteger(2)),
    derUnsignedInteger(fields.serial),
    issuer.signatureAlgorithm,
    issuer.name,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    derSequence(derSet(derSequence(derOid(OID.commonName), derDirectoryString(fields.commonName))), derSet(derSequence(derOid(OID.organization), derDirectoryString("Pomona")))),
    spki,
    tlv(
      0xa3,
      derSequence(
        extension(OID.basicConstraints, true, derSequence()),
        extension(OID.keyUsage, true, keyUsage),
        extension(OID.extKeyUsage, false, derSequence(derOid(OID.clientAuth))),
        extension(OID.subjectKeyIdentifier, false, derOctetString(keyIdentifierOf(spki))),
        extension(OID.authorityKeyIdentifier, false, derSequence(tlv(0x80, issuer.keyIdentifier))),
      ),
    ),
  );
}

/** The certificate: tbsCertificate, the CA's signature algorithm and its signature over tbsCertificate. */
export function assembleCertificate(issuer: CertificateIssuer, tbs: Buffer, signature: Buffer): Buffer {
  return derSequence(tbs, issuer.signatureAlgorithm, derBitString(signature));
}

/** Signs on libuv's thread pool: the CA's RSA-2048 signature (~0.26 ms) runs beside the event loop, not on it. */
function signOnPool(data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => sign("sha256", data, key, (error, signature) => (error ? reject(error) : resolve(signature))));
}

/**
 * A P-256 key pair made on libuv's thread pool. Inline it cost the event loop ~5 % of its CPU in an
 * enrollment storm (OpenSSL sets up the curve for every key), measured with perf.
 */
function ecKeyPairOnPool(): Promise<KeyObject> {
  return new Promise((resolve, reject) => generateKeyPair("ec", { namedCurve: "prime256v1" }, (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey))));
}

/**
 * Issues a device identity signed by the device CA: a fresh ECDSA P-256 key, a client-auth certificate valid
 * two years (never past the CA), and a PKCS#12 (3DES, which macOS accepts) holding key, certificate and CA,
 * under a random password.
 *
 * Why P-256 and not RSA: an RSA-2048 key costs ~150 ms of CPU to make, a P-256 key ~0.03 ms, so one is
 * made per enrollment. macOS takes EC identities for MDM: the ACME payload (com.apple.security.acme, KeyType
 * ECSECPrimeRandom, hardware-bound keys from macOS 14) gives Macs EC MDM identities, so the server must
 * accept an ECDSA Mdm-Signature anyway (server/mdm/device-auth.ts does), and the keychain has held ECDSA
 * identities since macOS 10.7. The CA stays RSA-2048, and Macs enrolled with RSA identities keep them.
 */
export async function issueDeviceIdentity(deps: Pick<Deps, "db" | "clock">, options: { commonName: string }): Promise<DeviceIdentity> {
  const issuer = deviceCaIssuer(deps);
  const now = deps.clock.now();
  const privateKey = await ecKeyPairOnPool();
  const notAfter = addYears(now, IDENTITY_VALIDITY_YEARS);
  const tbs = identityTbsCertificate(issuer, {
    serial: randomSerial(),
    commonName: options.commonName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfter > issuer.notAfter ? issuer.notAfter : notAfter,
    publicKey: privateKey,
  });
  const certificateDer = assembleCertificate(issuer, tbs, await signOnPool(tbs, issuer.key));
  const password = randomBytes(18).toString("base64url");
  const pkcs12 = writePkcs12({ privateKey, certificates: [certificateDer, issuer.certificateDer], password, friendlyName: options.commonName });
  return { certificateDer, privateKey, pkcs12, password };
}

/** Read at every enrollment (GET /mdm/enroll): prepared once per database. */
const topicStatementCache = new WeakMap<Deps["db"], ReturnType<typeof prepareTopic>>();
function prepareTopic(db: Deps["db"]) {
  return {
    pushTopic: db.select({ topic: credentials.topic }).from(credentials).where(eq(credentials.name, APNS_PUSH_CREDENTIAL)).prepare(),
    placeholderTopic: db.select({ value: settings.value }).from(settings).where(eq(settings.key, PLACEHOLDER_TOPIC_SETTING)).prepare(),
  };
}
function topicStatements(db: Deps["db"]) {
  let s = topicStatementCache.get(db);
  if (!s) topicStatementCache.set(db, (s = prepareTopic(db)));
  return s;
}

/**
 * The APNs topic for `com.apple.mdm` `Topic`: the push certificate's when one is installed, else a stable
 * placeholder (`com.apple.mgmt.External.<uuid>`) created once, so every profile Pomona issues names the same.
 */
export function getPushTopic(deps: Pick<Deps, "db" | "clock">): string {
  const s = topicStatements(deps.db);
  const push = s.pushTopic.get();
  if (push?.topic) return push.topic;

  const read = () => s.placeholderTopic.get()?.value;
  const isTopic = (v: unknown): v is string => typeof v === "string" && v.startsWith("com.apple.mgmt.");
  const stored = read();
  if (isTopic(stored)) return stored;

  const topic = `com.apple.mgmt.External.${randomUUID()}`;
  const now = deps.clock.now();
  if (stored === undefined) {
    deps.db.insert(settings).values({ key: PLACEHOLDER_TOPIC_SETTING, value: topic, updatedAt: now }).onConflictDoNothing({ target: settings.key }).run();
  } else {
    // A stored value that is not a topic (hand-edited): replace it.
    deps.db.update(settings).set({ value: topic, updatedAt: now }).where(eq(settings.key, PLACEHOLDER_TOPIC_SETTING)).run();
  }
  const final = read();
  return isTopic(final) ? final : topic;
}

/** Lowercase hex SHA-256 of a certificate's DER: the identity hash bound at Authenticate (NanoMDM cert-auth). */
export function certificateSha256(der: Buffer): string {
  return createHash("sha256").update(der).digest("hex");
}
