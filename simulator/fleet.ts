// A fleet of virtual Macs against one Pomona: generated from a seed, enrolled a few at a time, woken through
// one shared loopback "APNs" (POST /wake/<UDID> with {"mdm": PushMagic}, what Pomona's local push provider
// sends), polling on their own interval, some of them offline in rotating windows or away on holiday.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { createOfflineSchedule, type Availability } from "./availability";
import { generateMacSpecs, type MacSpec } from "./catalog";
import { VirtualMac, type MacBehaviour, type MacEvent } from "./mac";
import { rngFor } from "./random";

export type FleetOptions = {
  /** Pomona's base URL, e.g. http://127.0.0.1:3000 (enrollment starts at GET <server>/mdm/enroll). */
  server: string;
  /** An enrollment token. */
  token: string;
  devices: number;
  seed?: number;
  /** Share of Macs offline at any moment, in rotating windows (default 0). */
  offlineRate?: number;
  /** Length of an offline window (default 10 minutes). */
  offlineWindowMs?: number;
  /** Share of Macs away for a long stretch, starting within the first window (default 0). */
  holidayRate?: number;
  /** How long a holiday lasts (default 24 hours). */
  holidayMs?: number;
  /** Chance that a package download fails (default 0). */
  failureRate?: number;
  /** Chance per poll session that a Mac is locked / has no user: installs get NotNow (default 0). */
  notNowRate?: number;
  /** Chance that an app being updated is open (default 0.15). */
  openAppRate?: number;
  /** Each Mac also polls on its own this often, ±20 % (default 60 s; 0 = only when pushed). */
  pollIntervalMs?: number;
  /** Install duration range, real time (default 2–6 s). */
  installDurationMs?: [number, number];
  /** How long an open app stays open after its update was staged (default 5–30 s). */
  appQuitDelayMs?: [number, number];
  /** Share of Apple silicon Macs (default 0.7). */
  appleSiliconShare?: number;
  /** Enrollments in flight at once (default 16). */
  enrollConcurrency?: number;
  /** What each Mac does, line by line (verbose). */
  log?: (line: string) => void;
  /** Problems: failed enrollments, refused requests, network errors (defaults to `log`). */
  warn?: (line: string) => void;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
};

export type FleetStats = {
  devices: number;
  enrolled: number;
  enrollFailed: number;
  /** Poll sessions (each starts with PUT Idle). */
  polls: number;
  requests: number;
  /** Commands answered, by Status. */
  commands: number;
  acknowledged: number;
  errors: number;
  notNow: number;
  formatErrors: number;
  installsStarted: number;
  installsDone: number;
  installsFailed: number;
  /** Installs acknowledged and then never done (a second concurrent one, or a wedged installer). */
  installsLost: number;
  /** Installs done into a temporary folder because the app was open. */
  installsStaged: number;
  pushesReceived: number;
  /** Pushes that reached a Mac while it was offline (kept, acted on when it comes back). */
  pushesDeferred: number;
  pushesIgnored: number;
  /** Requests Pomona answered with something other than 200 (400 = refused, e.g. a bad signature). */
  rejected: number;
  networkErrors: number;
  offlineNow: number;
  installingNow: number;
  wedgedNow: number;
};

export type Fleet = {
  readonly macs: readonly VirtualMac[];
  /** Base URL of the wake server, e.g. http://127.0.0.1:54321 ("" until start()). */
  readonly wakeUrl: string;
  /** Starts the wake server and enrolls every Mac (16 at a time); resolves when all have tried. */
  start(): Promise<void>;
  /** Stops timers and sessions and closes the wake server. */
  stop(): Promise<void>;
  stats(): FleetStats;
};

const MAX_WAKE_BODY = 4096;

type Counters = Omit<FleetStats, "devices" | "offlineNow" | "installingNow" | "wedgedNow">;

const zeroCounters = (): Counters => ({
  enrolled: 0,
  enrollFailed: 0,
  polls: 0,
  requests: 0,
  commands: 0,
  acknowledged: 0,
  errors: 0,
  notNow: 0,
  formatErrors: 0,
  installsStarted: 0,
  installsDone: 0,
  installsFailed: 0,
  installsLost: 0,
  installsStaged: 0,
  pushesReceived: 0,
  pushesDeferred: 0,
  pushesIgnored: 0,
  rejected: 0,
  networkErrors: 0,
});

function count(c: Counters, e: MacEvent) {
  switch (e.type) {
    case "enrolled":
      c.enrolled++;
      break;
    case "enroll-failed":
      c.enrollFailed++;
      break;
    case "session":
      c.polls++;
      break;
    case "request":
      c.requests++;
      break;
    case "command":
      c.commands++;
      if (e.status === "Acknowledged") c.acknowledged++;
      else if (e.status === "Error") c.errors++;
      else if (e.status === "NotNow") c.notNow++;
      else c.formatErrors++;
      break;
    case "install-started":
      c.installsStarted++;
      break;
    case "install-done":
      c.installsDone++;
      if (e.staged) c.installsStaged++;
      break;
    case "install-failed":
      c.installsFailed++;
      break;
    case "install-lost":
      c.installsLost++;
      break;
    case "push":
      c.pushesReceived++;
      if (e.deferred) c.pushesDeferred++;
      break;
    case "push-ignored":
      c.pushesIgnored++;
      break;
    case "rejected":
      c.rejected++;
      break;
    case "network-error":
      c.networkErrors++;
      break;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Picks exactly round(rate × n) of the indexes 0…n-1, seeded. */
function pickShare(seed: number, label: string, n: number, rate: number): Set<number> {
  const k = Math.round(Math.max(0, Math.min(1, rate)) * n);
  return new Set(rngFor(seed, label).shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, k));
}

/** The specs a fleet of `devices` Macs would have for `seed` (what createFleet uses). */
export function generateFleetSpecs(seed: number, devices: number, appleSiliconShare?: number): MacSpec[] {
  return generateMacSpecs(seed, devices, { appleSiliconShare });
}

export function createFleet(options: FleetOptions): Fleet {
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const warn = options.warn ?? log;
  const counters = zeroCounters();
  const startMs = Date.now();
  const windowMs = options.offlineWindowMs ?? 10 * 60_000;
  const holidayMs = options.holidayMs ?? 24 * 3_600_000;
  const holidays = pickShare(seed, "holiday", options.devices, options.holidayRate ?? 0);
  const behaviour: Partial<MacBehaviour> = {
    failureRate: options.failureRate ?? 0,
    notNowRate: options.notNowRate ?? 0,
    openAppRate: options.openAppRate ?? 0.15,
    ...(options.installDurationMs ? { installDurationMs: options.installDurationMs } : {}),
    ...(options.appQuitDelayMs ? { appQuitDelayMs: options.appQuitDelayMs } : {}),
  };

  const specs = generateFleetSpecs(seed, options.devices, options.appleSiliconShare);
  const macs = specs.map((spec, i) => {
    const holidayStart = startMs + rngFor(seed, "holiday-start", i).next() * windowMs;
    const availability: Availability = createOfflineSchedule({
      seed,
      key: i,
      startMs,
      offlineRate: options.offlineRate ?? 0,
      windowMs,
      holiday: holidays.has(i) ? { fromMs: holidayStart, untilMs: holidayStart + holidayMs } : undefined,
    });
    return new VirtualMac({ spec, seed, behaviour, availability, fetch: options.fetch, log, warn, onEvent: (e) => count(counters, e) });
  });
  const byUdid = new Map(macs.map((m) => [m.udid, m]));

  let server: Server | null = null;
  let wakeUrl = "";
  let stopping = false;

  function answer(res: ServerResponse, status: number, text = "") {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  /** The loopback APNs: 200 = accepted (not delivered), 404 = unknown device token, as Pomona reads it. */
  function handleWake(req: IncomingMessage, res: ServerResponse) {
    const match = /^\/wake\/([0-9A-Fa-f-]{1,64})$/.exec(req.url ?? "");
    if (!match) return answer(res, 404, "not found\n");
    if (req.method !== "POST") return answer(res, 405, "POST only\n");
    const mac = byUdid.get(match[1]!);
    if (!mac) return answer(res, 404, "Unregistered\n");
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_WAKE_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_WAKE_BODY) return answer(res, 413, "PayloadTooLarge\n");
      let magic: unknown;
      try {
        magic = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { mdm?: unknown }).mdm;
      } catch {
        return answer(res, 400, "BadPayload\n");
      }
      if (typeof magic !== "string") return answer(res, 400, "BadPayload\n");
      answer(res, 200);
      if (!stopping) mac.receivePush(magic);
    });
    req.on("error", () => answer(res, 400));
  }

  return {
    macs,
    get wakeUrl() {
      return wakeUrl;
    },
    async start() {
      if (server) throw new Error("the fleet is already started");
      const s = createServer(handleWake);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve());
      });
      wakeUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      log(`wake server listening on ${wakeUrl}`);
      await mapLimit(macs, options.enrollConcurrency ?? 16, async (mac) => {
        if (stopping) return;
        try {
          await mac.enroll({ server: options.server, token: options.token, wakeUrl: `${wakeUrl}/wake/${mac.udid}` });
          mac.startPolling(options.pollIntervalMs ?? 60_000);
        } catch (e) {
          if (!stopping) warn(`${mac.spec.deviceName} [${mac.udid.slice(0, 8)}]: ${(e as Error).message}`);
        }
      });
    },
    async stop() {
      stopping = true;
      await Promise.all(macs.map((m) => m.stop()));
      const s = server;
      if (s) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
    },
    stats() {
      const now = Date.now();
      return {
        devices: macs.length,
        ...counters,
        offlineNow: macs.filter((m) => m.isOffline(now)).length,
        installingNow: macs.filter((m) => m.installing).length,
        wedgedNow: macs.filter((m) => m.installerWedged).length,
      };
    },
  };
}
