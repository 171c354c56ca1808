// Pomona's small PKI (DESIGN §4.1): one device CA kept in `credentials`, a device identity per enrollment
// (delivered in the profile's com.apple.security.pkcs12 payload), and the APNs topic the profile names.
// Keys come from node:crypto (native, fast); node-forge builds and signs the certificates and the PKCS#12.
import { createHash, generateKeyPair, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";

import { eq } from "drizzle-orm";
import forge from "node-forge";

import { DAY } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { credentials, settings } from "@/db/schema";

export const DEVICE_CA_CREDENTIAL = "device_ca";
export const APNS_PUSH_CREDENTIAL = "apns_push";
export const PLACEHOLDER_TOPIC_SETTING = "push.placeholderTopic";

const CA_VALIDITY_YEARS = 10;
const IDENTITY_VALIDITY_YEARS = 2;
/** notBefore is backdated a day so a Mac whose clock runs a little behind still accepts the certificate. */
const BACKDATE_MS = DAY;

export type DeviceCa = { certificatePem: string; privateKeyPem: string };
export type DeviceIdentity = { certificatePem: string; privateKeyPem: string; pkcs12: Buffer; password: string };

const RSA_OPTIONS = { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } } as const;

function forgeKeys(privateKeyPem: string) {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  return { privateKeyPem, privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function generateRsaKeyPair() {
  return forgeKeys(generateKeyPairSync("rsa", RSA_OPTIONS).privateKey);
}

/**
 * Identity keys, made ahead on libuv's threadpool. An RSA-2048 key costs about 180 ms of CPU: generated on the
 * event loop, every enrollment would stall PUT /mdm for every other Mac. The pool holds a few keys, refilled
 * after each one taken, so a burst of enrollments is served at once and a storm at the threadpool's pace.
 */
const KEY_POOL_SIZE = 8;
const keyPool: string[] = [];
let keysBeingMade = 0;

function makeKey(): Promise<string> {
  return new Promise((resolve, reject) => generateKeyPair("rsa", RSA_OPTIONS, (err, _publicKey, privateKey) => (err ? reject(err) : resolve(privateKey))));
}

function refillKeyPool() {
  while (keyPool.length + keysBeingMade < KEY_POOL_SIZE) {
    keysBeingMade++;
    makeKey()
      .then((key) => keyPool.push(key))
      .catch(() => undefined) // the next take makes its own
      .finally(() => keysBeingMade--);
  }
}

/** Tests: waits for the keys being made, then empties the pool, so the next identity makes its own key. */
export async function emptyKeyPoolForTests() {
  while (keysBeingMade > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  keyPool.length = 0;
}

async function takeRsaKeyPair() {
  const pooled = keyPool.pop();
  refillKeyPool();
  return forgeKeys(pooled ?? (await makeKey()));
}

function addYears(at: Date, years: number): Date {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** A positive 16-byte serial: the top bit cleared (DER INTEGERs are signed) and the next one set (no leading zero). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
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
  cert.serialNumber = randomSerialHex();
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

/**
 * Issues a device identity signed by the device CA: a fresh RSA key, a client-auth certificate valid two
 * years, and a PKCS#12 (3DES, which macOS accepts) holding key, certificate and CA, under a random password.
 */
export async function issueDeviceIdentity(deps: Pick<Deps, "db" | "clock">, options: { commonName: string }): Promise<DeviceIdentity> {
  const keys = await takeRsaKeyPair();
  const ca = ensureDeviceCa(deps);
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const caKey = forge.pki.privateKeyFromPem(ca.privateKeyPem);
  const now = deps.clock.now();

  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = addYears(now, IDENTITY_VALIDITY_YEARS);
  if (cert.validity.notAfter > caCert.validity.notAfter) cert.validity.notAfter = caCert.validity.notAfter;
  cert.setSubject([
    { name: "commonName", value: options.commonName },
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
  cert.sign(caKey, forge.md.sha256.create());

  const password = randomBytes(18).toString("base64url");
  const p12Asn1 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert, caCert], password, {
    algorithm: "3des",
    friendlyName: options.commonName,
    generateLocalKeyId: true,
  });
  const pkcs12 = Buffer.from(forge.asn1.toDer(p12Asn1).getBytes(), "binary");
  return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem, pkcs12, password };
}

/**
 * The APNs topic for `com.apple.mdm` `Topic`: the push certificate's when one is installed, else a stable
 * placeholder (`com.apple.mgmt.External.<uuid>`) created once, so every profile Pomona issues names the same.
 */
export function getPushTopic(deps: Pick<Deps, "db" | "clock">): string {
  const push = deps.db.select({ topic: credentials.topic }).from(credentials).where(eq(credentials.name, APNS_PUSH_CREDENTIAL)).get();
  if (push?.topic) return push.topic;

  const read = () => deps.db.select({ value: settings.value }).from(settings).where(eq(settings.key, PLACEHOLDER_TOPIC_SETTING)).get()?.value;
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
