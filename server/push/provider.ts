// What every push transport implements: APNs for real Macs, the local provider for the demo and tests.
// A push only wakes a Mac so it checks in; it carries no command, so a lost push costs a delay, never data.

/** One Mac to wake: its APNs token (hex), the PushMagic it gave at TokenUpdate, and the push certificate's topic. */
export type PushTarget = { udid: string; token: string; pushMagic: string; topic: string };

/** What happened to one target; `permanent` failures will not succeed on retry with the same token, topic or certificate. */
export type PushOutcome = { udid: string; ok: true } | { udid: string; ok: false; permanent: boolean; status?: number; reason: string };

/** A push transport: one outcome per target, in the targets' order; it never throws for a single failed device. */
export type PushProvider = {
  readonly name: string;
  push(targets: PushTarget[]): Promise<PushOutcome[]>;
  close(): Promise<void>;
};

// Fleet's permanent list (server/mdm/apple/apns_errors.go) and mdm-protocol.md §4: a dead token, a token pushed under
// the wrong topic, or a certificate problem. Retrying any of these only gets the certificate throttled.
const PERMANENT_REASONS = new Set([
  "Unregistered",
  "ExpiredToken",
  "BadDeviceToken",
  "DeviceTokenNotForTopic",
  "BadTopic",
  "TopicDisallowed",
  "MissingTopic",
  "BadCertificate",
  "BadCertificateEnvironment",
  "Forbidden",
]);

/** True when an APNs answer means "stop retrying" (410, the 403 family, and the token/topic 400s); 429 and 5xx are transient. */
export const isPermanentApnsReason = (status: number, reason: string): boolean => status === 410 || status === 403 || (status < 500 && status !== 429 && PERMANENT_REASONS.has(reason));

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the input order; `fn` is expected not to throw. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
