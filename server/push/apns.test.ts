import crypto from "node:crypto";
import http2 from "node:http2";
import net from "node:net";
import type { TLSSocket } from "node:tls";

import forge from "node-forge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { certificateNotAfter, createApnsProvider, topicFromCertificate, type ApnsProviderOptions } from "./apns";
import { isPermanentApnsReason, type PushProvider } from "./provider";

const TOPIC = `com.apple.mgmt.External.${crypto.randomUUID()}`;
const TOKEN = "a1b2c3d4".repeat(8);
const MAGIC = crypto.randomUUID().toUpperCase();
const target = { udid: "UDID-1", token: TOKEN, pushMagic: MAGIC, topic: TOPIC };

type Seen = { method: string; path: string; headers: http2.IncomingHttpHeaders; body: string; peerSubject: string | undefined };
type Answer = { status: number; body?: unknown; goaway?: boolean };

// Node generates the RSA keys (fast); forge builds and signs the certificates.
function rsaKeys() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    forgePrivate: forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()),
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString()),
  };
}

function makeCert(options: {
  subject: forge.pki.CertificateField[];
  issuer?: forge.pki.CertificateField[];
  publicKey: forge.pki.PublicKey;
  signingKey: forge.pki.rsa.PrivateKey;
  serial: string;
  extensions: object[];
}) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = options.publicKey;
  cert.serialNumber = options.serial;
  cert.validity.notBefore = new Date("2025-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2036-01-01T00:00:00Z");
  cert.setSubject(options.subject);
  cert.setIssuer(options.issuer ?? options.subject);
  cert.setExtensions(options.extensions);
  cert.sign(options.signingKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

let serverKeyPem: string;
let serverCertPem: string;
let caCertPem: string;
let pushCertPem: string;
let pushKeyPem: string;

let server: http2.Http2SecureServer;
let port: number;
const seen: Seen[] = [];
let answers: Answer[] = [];
let sessions = 0;
const providers: PushProvider[] = [];

beforeAll(async () => {
  const serverKeys = rsaKeys();
  const caKeys = rsaKeys();
  serverKeyPem = serverKeys.privatePem;
  serverCertPem = makeCert({
    subject: [{ name: "commonName", value: "localhost" }],
    publicKey: serverKeys.forgePublic,
    signingKey: serverKeys.forgePrivate,
    serial: "01",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  const caSubject = [{ name: "commonName", value: "Test Push CA" }];
  caCertPem = makeCert({
    subject: caSubject,
    publicKey: caKeys.forgePublic,
    signingKey: caKeys.forgePrivate,
    serial: "02",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true },
    ],
  });
  // The push certificate reuses the server's key pair: a third RSA key would only slow the test down.
  pushKeyPem = serverKeys.privatePem;
  pushCertPem = makeCert({
    subject: [
      { type: "0.9.2342.19200300.100.1.1", value: TOPIC },
      { name: "commonName", value: `APSP:${crypto.randomUUID()}` },
    ],
    issuer: caSubject,
    publicKey: serverKeys.forgePublic,
    signingKey: caKeys.forgePrivate,
    serial: "03",
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "extKeyUsage", clientAuth: true },
    ],
  });

  server = http2.createSecureServer({ key: serverKeyPem, cert: serverCertPem, ca: [caCertPem], requestCert: true, rejectUnauthorized: true });
  server.on("session", () => sessions++);
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
      const uid = (peer?.subject as unknown as Record<string, string> | undefined)?.UID;
      seen.push({ method: String(headers[":method"]), path: String(headers[":path"]), headers, body: Buffer.concat(chunks).toString("utf8"), peerSubject: uid });
      const answer = answers.shift() ?? { status: 200 };
      stream.respond({ ":status": answer.status, "apns-id": crypto.randomUUID(), ...(answer.body === undefined ? {} : { "content-type": "application/json" }) });
      stream.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      // A graceful close sends GOAWAY, as APNs does when it rotates connections.
      if (answer.goaway) stream.session?.close();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  seen.length = 0;
  answers = [];
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function provider(overrides: Partial<ApnsProviderOptions> = {}) {
  const sleeps: number[] = [];
  const p = createApnsProvider({
    certificatePem: pushCertPem,
    privateKeyPem: pushKeyPem,
    origin: `https://localhost:${port}`,
    ca: serverCertPem,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...overrides,
  });
  providers.push(p);
  return { p, sleeps };
}

describe("createApnsProvider", () => {
  it("[PUSH][APNS]: sends the MDM push exactly as APNs expects, authenticated by the push certificate", async () => {
    const { p } = provider();
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(`/3/device/${TOKEN}`);
    expect(req?.headers["apns-topic"]).toBe(TOPIC);
    expect(req?.headers["apns-push-type"]).toBe("mdm");
    expect(req?.headers["apns-priority"]).toBe("10");
    expect(req?.headers["apns-expiration"]).toBe("0");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.body).toBe(`{"mdm":"${MAGIC}"}`);
    expect(req?.peerSubject).toBe(TOPIC);
  });

  it("[PUSH][APNS]: reuses one HTTP/2 session for many pushes", async () => {
    const { p } = provider();
    const targets = Array.from({ length: 5 }, (_, i) => ({ ...target, udid: `UDID-${i}` }));
    const outcomes = await p.push(targets);
    expect(outcomes.map((o) => o.udid)).toEqual(targets.map((t) => t.udid));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(seen).toHaveLength(6);
  });

  it("[PUSH][APNS]: 410 Unregistered is permanent and not retried", async () => {
    const { p, sleeps } = provider();
    answers = [{ status: 410, body: { reason: "Unregistered", timestamp: 1_700_000_000_000 } }];
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: false, permanent: true, status: 410, reason: "Unregistered" }]);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("[PUSH][APNS]: 400 BadDeviceToken is permanent", async () => {
    const { p } = provider();
    answers = [{ status: 400, body: { reason: "BadDeviceToken" } }];
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: false, permanent: true, status: 400, reason: "BadDeviceToken" }]);
    expect(seen).toHaveLength(1);
  });

  it("[PUSH][APNS]: 429 is retried after a backoff, then succeeds", async () => {
    const { p, sleeps } = provider();
    answers = [{ status: 429, body: { reason: "TooManyRequests" } }, { status: 200 }];
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(seen).toHaveLength(2);
    expect(sleeps).toEqual([200]);
  });

  it("[PUSH][APNS]: 503 on every attempt ends as a transient failure after maxAttempts", async () => {
    const { p, sleeps } = provider();
    answers = [1, 2, 3, 4].map(() => ({ status: 503, body: { reason: "ServiceUnavailable" } }));
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: false, permanent: false, status: 503, reason: "ServiceUnavailable" }]);
    expect(seen).toHaveLength(3);
    expect(sleeps).toEqual([200, 400]);
  });

  it("[PUSH][APNS]: a server that is not listening is a transient failure", async () => {
    const free = net.createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const closedPort = (free.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const { p, sleeps } = provider({ origin: `https://127.0.0.1:${closedPort}` });
    const [outcome] = await p.push([target]);
    expect(outcome).toMatchObject({ udid: "UDID-1", ok: false, permanent: false });
    expect(outcome?.ok === false && outcome.reason).toMatch(/^transport error: .*ECONNREFUSED/);
    expect(sleeps).toEqual([200, 400]);
  });

  it("[PUSH][APNS]: a token that is not hex is refused without a request", async () => {
    const { p } = provider();
    expect(await p.push([{ ...target, token: "../../evil" }])).toEqual([{ udid: "UDID-1", ok: false, permanent: true, reason: "BadDeviceToken" }]);
    expect(seen).toHaveLength(0);
  });

  it("[PUSH][APNS]: reconnects after the session is gone", async () => {
    const { p } = provider();
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    await p.close();
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(seen).toHaveLength(2);
  });

  it("[PUSH][APNS]: opens a new session after APNs sends GOAWAY", async () => {
    const { p } = provider();
    sessions = 0;
    answers = [{ status: 200, goaway: true }];
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await p.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(seen).toHaveLength(2);
    expect(sessions).toBe(2);
  });
});

describe("push certificate", () => {
  it("[PUSH][APNS]: topicFromCertificate reads the subject UID", () => {
    expect(topicFromCertificate(pushCertPem)).toBe(TOPIC);
    expect(topicFromCertificate(serverCertPem)).toBeUndefined();
    expect(topicFromCertificate("not a certificate")).toBeUndefined();
  });

  it("[PUSH][APNS]: certificateNotAfter reads the expiry", () => {
    expect(certificateNotAfter(pushCertPem).toISOString()).toBe("2036-01-01T00:00:00.000Z");
  });
});

describe("isPermanentApnsReason", () => {
  const cases: [number, string, boolean][] = [
    [410, "Unregistered", true],
    [410, "ExpiredToken", true],
    [400, "BadDeviceToken", true],
    [400, "DeviceTokenNotForTopic", true],
    [400, "BadTopic", true],
    [400, "TopicDisallowed", true],
    [400, "MissingTopic", true],
    [403, "BadCertificate", true],
    [403, "BadCertificateEnvironment", true],
    [403, "Forbidden", true],
    [429, "TooManyRequests", false],
    [500, "InternalServerError", false],
    [503, "ServiceUnavailable", false],
    [503, "Shutdown", false],
    [400, "BadPriority", false],
  ];
  it.each(cases)("[PUSH][APNS]: %i %s → permanent %s", (status, reason, permanent) => {
    expect(isPermanentApnsReason(status, reason)).toBe(permanent);
  });
});
