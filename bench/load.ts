// The load generator: virtual Macs over keep-alive node:http, sending real signed plists. Each Mac is a tiny
// state machine: it sends Idle (precomputed, signed once) until the server hands it a command, then answers
// that command with Acknowledged (precomputed for the snapshot's queued DeviceInformation, otherwise built
// and signed per request with node:crypto, as a Mac does), then goes back to Idle.
// - closedLoop: N connections, each sends its next request as soon as the previous answer arrived (G1).
// - openLoop: requests at a fixed rate; latency is measured from the INTENDED send time, so a stalled server
//   is charged for the requests it made wait (coordinated-omission safe) (G2, G9).
// - WakeDrain: Macs woken by pushes run full sessions, paced (G3).
import http from "node:http";
import { constants, performance, PerformanceObserver } from "node:perf_hooks";

import type { MacSpec } from "../simulator/catalog";
import { arrayAt, booleanAt, decodePlist, dictAt, isPlistDict, stringAt, type PlistInputDict } from "../simulator/plist";

import { cpuWindow, type CpuPerRequest } from "./cpu";
import { deviceInformationAnswer, encodeBody, REPORT_CONTENT_TYPE, signFor, type Fleet, type FleetMac } from "./fleet";

// ---------------------------------------------------------------------------------------------------------
// Histogram: every sample kept (a sorted array is exact and small enough at these counts).
// ---------------------------------------------------------------------------------------------------------

export class Histogram {
  private values = new Float64Array(1024);
  private n = 0;
  private sorted = true;

  add(v: number) {
    if (this.n === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n++] = v;
    this.sorted = false;
  }

  get count() {
    return this.n;
  }

  private view() {
    const v = this.values.subarray(0, this.n);
    if (!this.sorted) {
      v.sort();
      this.sorted = true;
    }
    return v;
  }

  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const v = this.view();
    return v[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]!;
  }

  max() {
    return this.n === 0 ? NaN : this.view()[this.n - 1]!;
  }

  mean() {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.values[i]!;
    return this.n === 0 ? NaN : s / this.n;
  }

  summary() {
    return { count: this.n, p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), p999: this.percentile(99.9), max: this.max(), mean: this.mean() };
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------------

/** `flushedAt` (request handed to the OS) and `headersAt` (response headers read): performance.now() instants. */
export type Reply = { status: number; text: string; flushedAt?: number; headersAt?: number; reusedSocket?: boolean };

export function put(agent: http.Agent, port: number, body: Buffer, signature: string | undefined, contentType = REPORT_CONTENT_TYPE): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { "content-type": contentType, "content-length": body.length };
    if (signature !== undefined) headers["mdm-signature"] = signature;
    let flushedAt: number | undefined;
    const req = http.request({ host: "127.0.0.1", port, method: "PUT", path: "/mdm", agent, headers }, (res) => {
      const headersAt = performance.now();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: chunks.length === 0 ? "" : Buffer.concat(chunks).toString("utf8"), flushedAt, headersAt, reusedSocket: req.reusedSocket }),
      );
      res.on("error", reject);
    });
    req.on("finish", () => (flushedAt = performance.now()));
    req.on("error", reject);
    req.end(body);
  });
}

export function get(agent: http.Agent, port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "GET", path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------
// The Mac state machine
// ---------------------------------------------------------------------------------------------------------

export type RequestKind = "idle" | "ack" | "ack-signed";
type Next = { body: Buffer; signature: string; kind: RequestKind };

const COMMAND_UUID = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/;

/** A garbage collection of the load generator's that held its event loop, by when it began (ms since `performance`'s origin). */
export type GcPause = { atMs: number; ms: number; kind: string };
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "young",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental marking",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak callbacks",
};

/**
 * Records this process's collections of at least `minMs` until stopped: a paced phase's slow window is the
 * server's or the load generator's, and a collection of the generator's holds every send due meanwhile.
 */
export function observeGcPauses(minMs: number): { stop(): GcPause[] } {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < minMs) continue;
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      pauses.push({ atMs: entry.startTime, ms: entry.duration, kind: (kind !== undefined && GC_KINDS[kind]) || "other" });
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return {
    stop: () => {
      observer.disconnect();
      return pauses;
    },
  };
}

export class MacStates {
  private next: (Next | undefined)[];
  readonly busy: Uint8Array;
  /** Requests whose body had to be signed on the spot, and the time spent signing. */
  signedOnTheFly = 0;
  signMs = 0;

  constructor(readonly fleet: Fleet) {
    this.next = new Array<Next | undefined>(fleet.macs.length);
    this.busy = new Uint8Array(fleet.macs.length);
  }

  private cursor = 0;
  private readonly answering: number[] = [];

  /**
   * The next Mac to send: one that has a command to answer first (a Mac answers within its session, right
   * after the command arrives), else the next idle Mac in round-robin order.
   */
  pick(): FleetMac | undefined {
    const macs = this.fleet.macs;
    while (this.answering.length > 0) {
      const i = this.answering.shift()!;
      if (this.busy[i] === 0) return macs[i];
    }
    for (let tries = 0; tries < macs.length; tries++) {
      const mac = macs[this.cursor++ % macs.length]!;
      if (this.busy[mac.index] === 0) return mac;
    }
    return undefined;
  }

  request(mac: FleetMac): Next {
    return this.next[mac.index] ?? { body: mac.idle.body, signature: mac.idle.signature, kind: "idle" };
  }

  /** Updates the Mac from the server's answer: a command → its Acknowledged is next; empty → Idle. */
  answer(mac: FleetMac, reply: Reply): "empty" | "command" | "error" {
    if (reply.status !== 200) {
      this.next[mac.index] = undefined;
      return "error";
    }
    if (reply.text.length === 0) {
      this.next[mac.index] = undefined;
      return "empty";
    }
    const uuid = COMMAND_UUID.exec(reply.text)?.[1];
    if (!uuid) {
      this.next[mac.index] = undefined;
      return "error";
    }
    this.answering.push(mac.index);
    if (mac.ack && mac.ack.uuid === uuid) {
      this.next[mac.index] = { body: mac.ack.body, signature: mac.ack.signature, kind: "ack" };
    } else {
      const t0 = performance.now();
      const body = encodeBody({ UDID: mac.udid, CommandUUID: uuid, Status: "Acknowledged" });
      this.next[mac.index] = { body, signature: signFor(this.fleet, mac, body), kind: "ack-signed" };
      this.signMs += performance.now() - t0;
      this.signedOnTheFly++;
    }
    return "command";
  }
}

export type LoadResult = {
  seconds: number;
  requests: number;
  rps: number;
  errors: number;
  errorSamples: string[];
  byKind: Record<string, number>;
  latencyMs: ReturnType<Histogram["summary"]>;
  signedOnTheFly: number;
  signMsPerRequest: number;
  /** CPU per timed request: the server's process and main thread, and this load generator (where /proc is). */
  cpu?: CpuPerRequest;
};

function recordError(samples: string[], e: unknown) {
  if (samples.length >= 3) return;
  samples.push(e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e));
}

// ---------------------------------------------------------------------------------------------------------
// Closed loop (G1, B0, B1)
// ---------------------------------------------------------------------------------------------------------

export async function closedLoop(options: { port: number; states: MacStates; connections: number; warmupS: number; seconds: number; serverPid?: number }): Promise<LoadResult> {
  const { port, states, connections } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let measuring = false;
  let stop = false;
  const hist = new Histogram();
  const byKind: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;

  const worker = async () => {
    while (!stop) {
      const mac = states.pick();
      if (!mac) throw new Error("more connections than Macs");
      states.busy[mac.index] = 1;
      const req = states.request(mac);
      const t0 = performance.now();
      try {
        const reply = await put(agent, port, req.body, req.signature);
        const outcome = states.answer(mac, reply);
        if (measuring) {
          hist.add(performance.now() - t0);
          const key = `${req.kind}→${outcome}`;
          byKind[key] = (byKind[key] ?? 0) + 1;
          if (outcome === "error") {
            errors++;
            recordError(errorSamples, `HTTP ${reply.status}: ${reply.text.trim().split("\n")[0] ?? ""}`);
          }
        }
      } catch (e) {
        if (measuring) {
          errors++;
          recordError(errorSamples, e);
        }
      } finally {
        states.busy[mac.index] = 0;
      }
    }
  };

  const running = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, options.warmupS * 1000));
  const signedBefore = states.signedOnTheFly;
  const signMsBefore = states.signMs;
  measuring = true;
  const cpu = options.serverPid === undefined ? undefined : cpuWindow(options.serverPid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  measuring = false;
  const cpuPerRequest = cpu?.end(hist.count);
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(running);
  agent.destroy();
  const signed = states.signedOnTheFly - signedBefore;
  return {
    seconds: elapsed,
    requests: hist.count,
    rps: hist.count / elapsed,
    errors,
    errorSamples,
    byKind,
    latencyMs: hist.summary(),
    signedOnTheFly: signed,
    signMsPerRequest: signed ? (states.signMs - signMsBefore) / signed : 0,
    cpu: cpuPerRequest,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Open loop, paced (G2, G9)
// ---------------------------------------------------------------------------------------------------------

export type OpenLoopResult = LoadResult & {
  rate: number;
  intended: number;
  /** Requests still unanswered (or never sent) when the grace period ended: counted with their wait so far. */
  incomplete: number;
  /** Latency per window of `windowS` seconds of intended send time. */
  windows: { fromS: number; p50: number; p99: number; count: number }[];
};

export async function openLoop(options: { port: number; states: MacStates; rate: number; seconds: number; maxInFlight: number; graceS: number; windowS?: number; onSecond?: (second: number) => void }): Promise<OpenLoopResult> {
  const { port, states, rate, seconds } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(rate * seconds);
  const windowS = options.windowS ?? 1;
  const windowHists: Histogram[] = Array.from({ length: Math.ceil(seconds / windowS) }, () => new Histogram());
  const hist = new Histogram();
  const byKind: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let issued = 0;
  let inFlight = 0;
  let completed = 0;
  let lastCompletion = 0;
  const outstanding = new Set<number>(); // intended times (ms since start) of requests in flight
  const start = performance.now();
  const intendedAt = (i: number) => (i * 1000) / rate;

  const record = (intended: number, latency: number) => {
    hist.add(latency);
    windowHists[Math.min(windowHists.length - 1, Math.floor(intended / 1000 / windowS))]?.add(latency);
  };

  const send = (i: number) => {
    const intended = intendedAt(i);
    const mac = states.pick();
    if (!mac) {
      errors++;
      recordError(errorSamples, "no idle Mac left to send from");
      return;
    }
    states.busy[mac.index] = 1;
    inFlight++;
    const key = i;
    outstanding.add(key);
    const req = states.request(mac);
    put(agent, port, req.body, req.signature)
      .then(
        (reply) => {
          const outcome = states.answer(mac, reply);
          const k = `${req.kind}→${outcome}`;
          byKind[k] = (byKind[k] ?? 0) + 1;
          if (outcome === "error") {
            errors++;
            recordError(errorSamples, `HTTP ${reply.status}: ${reply.text.trim().split("\n")[0] ?? ""}`);
          }
        },
        (e: unknown) => {
          errors++;
          recordError(errorSamples, e);
        },
      )
      .finally(() => {
        if (!outstanding.delete(key)) return; // already counted as incomplete
        states.busy[mac.index] = 0;
        inFlight--;
        completed++;
        lastCompletion = performance.now() - start;
        record(intended, performance.now() - start - intended);
      });
  };

  let lastSecond = -1;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now() - start;
      while (issued < total && intendedAt(issued) <= now && inFlight < options.maxInFlight) send(issued++);
      const second = Math.floor(now / 1000);
      if (second !== lastSecond) {
        lastSecond = second;
        options.onSecond?.(second);
      }
      if (now >= seconds * 1000) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  const sendWindowEnd = performance.now() - start;
  // Requests the generator never sent (in-flight cap reached): they waited from their intended time.
  const neverSent = total - issued;
  for (let i = issued; i < total; i++) record(intendedAt(i), sendWindowEnd - intendedAt(i));

  const graceEnd = performance.now() + options.graceS * 1000;
  while (outstanding.size > 0 && performance.now() < graceEnd) await new Promise((r) => setTimeout(r, 10));
  const abandoned = outstanding.size;
  const end = performance.now() - start;
  for (const i of outstanding) record(intendedAt(i), end - intendedAt(i));
  outstanding.clear();
  agent.destroy();

  return {
    seconds,
    rate,
    intended: total,
    requests: completed,
    rps: completed / (Math.max(sendWindowEnd, lastCompletion) / 1000),
    errors,
    errorSamples,
    byKind,
    latencyMs: hist.summary(),
    incomplete: neverSent + abandoned,
    windows: windowHists.map((h, i) => ({ fromS: i * windowS, p50: h.percentile(50), p99: h.percentile(99), count: h.count })),
    signedOnTheFly: states.signedOnTheFly,
    signMsPerRequest: states.signedOnTheFly ? states.signMs / states.signedOnTheFly : 0,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Wake-up sessions (G3): a push wakes a Mac, which runs a full session (Idle, then every command, answered
// as simulator/mac.ts answers it) until the server has nothing more for it.
// ---------------------------------------------------------------------------------------------------------

function appList(spec: MacSpec, identifiers: string[] | undefined): PlistInputDict[] {
  const wanted = identifiers && identifiers.length > 0 ? new Set(identifiers) : undefined;
  return spec.apps
    .filter((a) => !wanted || (a.identifier !== undefined && wanted.has(a.identifier)))
    .map((a) => {
      const entry: PlistInputDict = { Name: a.name, ShortVersion: a.shortVersion, Version: a.version, BundleSize: a.bundleSize, Installing: false };
      if (a.identifier !== undefined) entry.Identifier = a.identifier;
      return entry;
    });
}

export type DrainResult = { sessions: number; requests: number; errors: number; errorSamples: string[]; latencyMs: ReturnType<Histogram["summary"]>; over1s: number; slowSamples: string[]; byRequestType: Record<string, number>; signMs: number };

export class WakeDrain {
  private queue: number[] = [];
  private queued = new Uint8Array(0);
  private again = new Uint8Array(0);
  private inSession = new Uint8Array(0);
  private readonly byUdid = new Map<string, number>();
  private readonly agent: http.Agent;
  private stopped = false;
  private workers: Promise<void>[] = [];
  private tokens = 0;
  private lastRefill = performance.now();
  readonly hist = new Histogram();
  readonly byRequestType: Record<string, number> = {};
  errors = 0;
  errorSamples: string[] = [];
  sessions = 0;
  signMs = 0;
  over1s = 0;
  /** The first requests over 1 s: type, latency and when they were sent. */
  slowSamples: string[] = [];
  private startedAt = performance.now();

  constructor(private readonly options: { port: number; fleet: Fleet; specs: MacSpec[]; pushesPerSecond: number; sessions: number }) {
    const n = options.fleet.macs.length;
    this.queued = new Uint8Array(n);
    this.again = new Uint8Array(n);
    this.inSession = new Uint8Array(n);
    options.fleet.macs.forEach((m) => this.byUdid.set(m.udid, m.index));
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.sessions });
  }

  /** A push for these UDIDs arrived (APNs keeps one pending notification per device). */
  push(udids: string[]) {
    for (const udid of udids) {
      const i = this.byUdid.get(udid);
      if (i === undefined) continue;
      if (this.inSession[i]) this.again[i] = 1;
      else if (!this.queued[i]) {
        this.queued[i] = 1;
        this.queue.push(i);
      }
    }
  }

  start() {
    this.startedAt = performance.now();
    this.workers = Array.from({ length: this.options.sessions }, () => this.worker());
  }

  async stop(): Promise<DrainResult> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.agent.destroy();
    return {
      sessions: this.sessions,
      requests: this.hist.count,
      errors: this.errors,
      errorSamples: this.errorSamples,
      latencyMs: this.hist.summary(),
      over1s: this.over1s,
      slowSamples: this.slowSamples,
      byRequestType: this.byRequestType,
      signMs: this.signMs,
    };
  }

  /**
   * One session for this Mac now, outside the pushes' pace (a Mac that checks in on its own): the commands it
   * was sent, and how long the session took. Undefined when the Mac is in a session already.
   */
  async probe(udid: string): Promise<{ commands: string[]; ms: number } | undefined> {
    const i = this.byUdid.get(udid);
    if (i === undefined || this.inSession[i]) return undefined;
    this.inSession[i] = 1;
    const commands: string[] = [];
    const t0 = performance.now();
    try {
      await this.session(i, commands);
    } finally {
      this.inSession[i] = 0;
      // A push that arrived meanwhile is served as any other (push() left it for the session in progress).
      if (this.again[i]) {
        this.again[i] = 0;
        this.push([udid]);
      }
    }
    return { commands, ms: performance.now() - t0 };
  }

  private async take(): Promise<number | undefined> {
    while (!this.stopped) {
      const now = performance.now();
      this.tokens = Math.min(this.options.pushesPerSecond, this.tokens + ((now - this.lastRefill) / 1000) * this.options.pushesPerSecond);
      this.lastRefill = now;
      if (this.queue.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        return this.queue.shift();
      }
      await new Promise((r) => setTimeout(r, this.queue.length > 0 ? 1 : 20));
    }
    return undefined;
  }

  private async worker() {
    for (;;) {
      const i = await this.take();
      if (i === undefined) return;
      this.queued[i] = 0;
      this.inSession[i] = 1;
      do {
        this.again[i] = 0;
        await this.session(i);
      } while (this.again[i] && !this.stopped);
      this.inSession[i] = 0;
    }
  }

  private answer(mac: FleetMac, spec: MacSpec, text: string): { body: Buffer; signature: string; type: string } | undefined {
    const command = decodePlist(text);
    if (!isPlistDict(command)) return undefined;
    const uuid = stringAt(command, "CommandUUID");
    const body = dictAt(command, "Command");
    const type = body ? (stringAt(body, "RequestType") ?? "?") : "?";
    if (!uuid) return undefined;
    if (mac.ack && mac.ack.uuid === uuid) return { body: mac.ack.body, signature: mac.ack.signature, type };
    const report: PlistInputDict = { UDID: mac.udid, CommandUUID: uuid, Status: "Acknowledged" };
    if (type === "DeviceInformation") report.QueryResponses = deviceInformationAnswer(spec);
    if (type === "InstalledApplicationList" && body) {
      const ids = arrayAt(body, "Identifiers")?.filter((v): v is string => typeof v === "string");
      void booleanAt(body, "ManagedAppsOnly");
      report.InstalledApplicationList = appList(spec, ids);
    }
    const encoded = encodeBody(report);
    const t0 = performance.now();
    const signature = signFor(this.options.fleet, mac, encoded);
    this.signMs += performance.now() - t0;
    return { body: encoded, signature, type };
  }

  private async session(i: number, sent?: string[]) {
    const mac = this.options.fleet.macs[i]!;
    const spec = this.options.specs[i]!;
    this.sessions++;
    let next: { body: Buffer; signature: string; type: string } | undefined = { body: mac.idle.body, signature: mac.idle.signature, type: "Idle" };
    for (let step = 0; next && step < 20; step++) {
      const t0 = performance.now();
      let reply: Reply;
      try {
        reply = await put(this.agent, this.options.port, next.body, next.signature);
      } catch (e) {
        this.errors++;
        recordError(this.errorSamples, e);
        return;
      }
      const ms = performance.now() - t0;
      this.hist.add(ms);
      if (ms > 1000) {
        this.over1s++;
        if (this.slowSamples.length < 8) {
          // Where the time went: before the request reached the OS (the load generator), or after (the server).
          const at = (t: number | undefined) => (t === undefined ? "?" : `${Math.round(t - t0)} ms`);
          this.slowSamples.push(
            `${next.type} ${Math.round(ms)} ms, sent ${((t0 - this.startedAt) / 1000).toFixed(1)} s after the drain began (flushed to the socket after ${at(reply.flushedAt)}, response headers after ${at(reply.headersAt)}, ${reply.reusedSocket ? "kept-alive" : "new"} socket)`,
          );
        }
      }
      this.byRequestType[next.type] = (this.byRequestType[next.type] ?? 0) + 1;
      if (reply.status !== 200) {
        this.errors++;
        recordError(this.errorSamples, `HTTP ${reply.status}: ${reply.text.trim().split("\n")[0] ?? ""}`);
        return;
      }
      if (reply.text.length === 0) return;
      next = this.answer(mac, spec, reply.text);
      if (next) sent?.push(next.type);
    }
  }
}
