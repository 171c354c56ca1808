// A push provider with no Apple in it, for the demo and tests. A virtual Mac either registers a listener in this
// process, or puts its loopback wake-up URL (UTF-8, hex-encoded) where a real Mac puts its APNs token.
import { silentLogger, type Logger } from "@/server/log";

import { mapConcurrently, type PushOutcome, type PushProvider, type PushTarget } from "./provider";

export type PushListener = (target: PushTarget) => void;

export type LocalPushProvider = PushProvider & {
  /** Delivers this Mac's pushes to `listener` until the returned function is called. */
  register(udid: string, listener: PushListener): () => void;
};

export type LocalPushProviderOptions = { fetch?: typeof fetch; log?: Logger };

const CONCURRENCY = 32;
const TIMEOUT_MS = 5000;
const HEX = /^(?:[0-9a-f]{2})+$/i;
const LOOPBACK_PREFIXES = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The loopback URL hidden in a virtual Mac's token, or undefined for anything else (a real APNs token included). */
export function decodeLoopbackWakeUrl(token: string): URL | undefined {
  if (!HEX.test(token)) return undefined;
  const text = Buffer.from(token, "hex").toString("utf8");
  if (!LOOPBACK_PREFIXES.some((prefix) => text.startsWith(prefix))) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  // The prefix alone is not enough: "http://127.0.0.1:80@example.com/" starts with it but points elsewhere.
  if (url.protocol !== "http:" || url.username !== "" || url.password !== "" || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return url;
}

/** Builds the local provider: in-process listeners first, then loopback wake-up URLs; it never leaves the machine. */
export function createLocalPushProvider(options: LocalPushProviderOptions = {}): LocalPushProvider {
  const doFetch = options.fetch ?? fetch;
  const log = options.log ?? silentLogger;
  const listeners = new Map<string, Set<PushListener>>();

  async function wakeOverHttp(target: PushTarget, url: URL): Promise<PushOutcome> {
    try {
      const res = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ mdm: target.pushMagic }),
        // A redirect could lead off the machine: refuse it rather than follow it.
        redirect: "error",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (res.ok) return { udid: target.udid, ok: true };
      if (res.status === 404 || res.status === 410) return { udid: target.udid, ok: false, permanent: true, status: res.status, reason: "Unregistered" };
      return { udid: target.udid, ok: false, permanent: false, status: res.status, reason: `HTTP ${res.status}` };
    } catch (err) {
      return { udid: target.udid, ok: false, permanent: false, reason: `transport error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async function pushOne(target: PushTarget): Promise<PushOutcome> {
    const registered = listeners.get(target.udid);
    if (registered && registered.size > 0) {
      try {
        for (const listener of [...registered]) listener(target);
        return { udid: target.udid, ok: true };
      } catch (err) {
        log.warn("Local push listener failed", { udid: target.udid, error: err });
        return { udid: target.udid, ok: false, permanent: false, reason: `listener failed: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    const url = decodeLoopbackWakeUrl(target.token);
    if (url) return wakeOverHttp(target, url);
    return { udid: target.udid, ok: false, permanent: false, reason: "no local listener for this device" };
  }

  return {
    name: "local",
    async push(targets) {
      const outcomes = await mapConcurrently(targets, CONCURRENCY, pushOne);
      log.debug("Local push", { targets: targets.length, ok: outcomes.filter((o) => o.ok).length });
      return outcomes;
    },
    register(udid, listener) {
      let set = listeners.get(udid);
      if (!set) listeners.set(udid, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(udid) === set) listeners.delete(udid);
      };
    },
    close() {
      listeners.clear();
      return Promise.resolve();
    },
  };
}
