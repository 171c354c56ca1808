// Wakes real Macs through Apple's push service: HTTP/2 to api.push.apple.com, authenticated by the MDM push
// certificate as the TLS client certificate (mdm-protocol.md §4; the NanoMDM, MicroMDM and Fleet way).
import http2 from "node:http2";
import tls from "node:tls";

import forge from "node-forge";

import { silentLogger, type Logger } from "@/server/log";

import { isPermanentApnsReason, mapConcurrently, type PushOutcome, type PushProvider, type PushTarget } from "./provider";

export type ApnsProviderOptions = {
  certificatePem: string;
  privateKeyPem: string;
  /** Default https://api.push.apple.com (MDM certificates only work on production APNs). */
  origin?: string;
  /** Extra trust anchor, added to Node's roots (tests run a local server). */
  ca?: string | Buffer;
  /** Tries per target for 429, 5xx and transport errors (3). */
  maxAttempts?: number;
  /** Requests in flight at once over the single HTTP/2 session (64). */
  concurrency?: number;
  /** How long one request may take before it counts as a transport error (15 s). */
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
};

const UID_OID = "0.9.2342.19200300.100.1.1";
const BACKOFF_BASE_MS = 200;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const HEX = /^[0-9a-f]+$/i;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describeError = (err: unknown) => (err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err));

/** The MDM topic (com.apple.mgmt.External.<uuid>): the push certificate's subject UID, or undefined if absent or unreadable. */
export function topicFromCertificate(certificatePem: string): string | undefined {
  try {
    const field = forge.pki.certificateFromPem(certificatePem).subject.getField({ type: UID_OID }) as { value?: unknown; valueTagClass?: number } | null;
    if (typeof field?.value !== "string" || field.value === "") return undefined;
    return field.valueTagClass === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(field.value) : field.value;
  } catch {
    return undefined;
  }
}

/** When the push certificate expires (Apple's are valid for one year and must be renewed, not replaced). */
export function certificateNotAfter(certificatePem: string): Date {
  return forge.pki.certificateFromPem(certificatePem).validity.notAfter;
}

/** Builds the APNs provider; one HTTP/2 session is shared by all pushes and reopened when APNs closes it. */
export function createApnsProvider(options: ApnsProviderOptions): PushProvider {
  const origin = options.origin ?? "https://api.push.apple.com";
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 64));
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const sleep = options.sleep ?? defaultSleep;
  const log = options.log ?? silentLogger;
  // `ca` replaces Node's roots when given, so keep them: the extra anchor adds trust, it does not narrow it.
  const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
  let session: http2.ClientHttp2Session | undefined;

  function currentSession(): http2.ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(origin, { cert: options.certificatePem, key: options.privateKeyPem, ca });
    const forget = () => {
      if (session === s) session = undefined;
    };
    // Without an "error" listener a refused connection would crash the process; the streams report it too.
    s.on("error", (err) => {
      log.warn("APNs connection error", { origin, error: describeError(err) });
      forget();
    });
    // After a GOAWAY the session finishes its streams but takes no new ones: new pushes open a fresh session.
    s.on("goaway", (code) => {
      log.info("APNs sent GOAWAY", { origin, code });
      forget();
    });
    s.on("close", forget);
    session = s;
    return s;
  }

  function sendOnce(target: PushTarget, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: http2.OutgoingHttpHeaders = {
        ":method": "POST",
        ":path": `/3/device/${target.token}`,
        "apns-push-type": "mdm",
        "apns-priority": "10",
        "apns-expiration": "0",
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      };
      // Optional with a single-topic certificate (APNs takes it from the certificate), so omit rather than send "".
      if (target.topic) headers["apns-topic"] = target.topic;
      let req: http2.ClientHttp2Stream;
      try {
        req = currentSession().request(headers);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      let settled = false;
      let timedOut = false;
      let status = 0;
      let size = 0;
      const chunks: Buffer[] = [];
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      req.on("response", (h) => {
        status = Number(h[":status"]);
      });
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ERROR_BODY_BYTES) chunks.push(chunk);
      });
      req.on("end", () => {
        if (settled) return;
        settled = true;
        resolve({ status, body: Buffer.concat(chunks).toString("utf8") });
      });
      req.on("error", fail);
      req.on("close", () => fail(new Error(timedOut ? `no answer within ${requestTimeoutMs} ms` : `stream closed before an answer (code ${req.rstCode})`)));
      req.setTimeout(requestTimeoutMs, () => {
        timedOut = true;
        req.close(http2.constants.NGHTTP2_CANCEL);
      });
      req.end(body);
    });
  }

  async function pushOne(target: PushTarget): Promise<PushOutcome> {
    const udid = target.udid;
    // The token becomes part of the request path: anything but hex is refused before it reaches the wire.
    if (!HEX.test(target.token)) return { udid, ok: false, permanent: true, reason: "BadDeviceToken" };
    const body = JSON.stringify({ mdm: target.pushMagic });
    let last: Extract<PushOutcome, { ok: false }> = { udid, ok: false, permanent: false, reason: "not attempted" };
    let attempts = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      attempts = attempt;
      if (attempt > 1) await sleep(BACKOFF_BASE_MS * 2 ** (attempt - 2));
      let res: { status: number; body: string };
      try {
        res = await sendOnce(target, body);
      } catch (err) {
        last = { udid, ok: false, permanent: false, reason: `transport error: ${describeError(err)}` };
        log.debug("APNs push attempt failed", { udid, attempt, reason: last.reason });
        continue;
      }
      if (res.status === 200) return { udid, ok: true };
      const reason = parseReason(res.body) ?? `HTTP ${res.status}`;
      if (isPermanentApnsReason(res.status, reason)) {
        log.warn("APNs refused the push", { udid, status: res.status, reason });
        return { udid, ok: false, permanent: true, status: res.status, reason };
      }
      last = { udid, ok: false, permanent: false, status: res.status, reason };
      // Other 4xx answers describe a malformed request: sending it again would get the same answer.
      if (res.status !== 429 && res.status < 500) break;
      log.debug("APNs push attempt failed", { udid, attempt, status: res.status, reason });
    }
    log.warn("APNs push failed", { udid, attempts, reason: last.reason });
    return last;
  }

  return {
    name: "apns",
    push(targets) {
      return mapConcurrently(targets, concurrency, pushOne);
    },
    async close() {
      const s = session;
      session = undefined;
      if (!s || s.destroyed) return;
      if (s.closed) {
        await new Promise<void>((resolve) => s.once("close", () => resolve()));
        return;
      }
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** The `reason` of an APNs error body ({"reason": "...", "timestamp": n}), if the body is one. */
function parseReason(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === "object" && typeof (parsed as { reason?: unknown }).reason === "string") return (parsed as { reason: string }).reason;
  } catch {
    // not JSON: the caller falls back to the HTTP status
  }
  return undefined;
}
