// The server under test, in its own process: createDeps on the copied snapshot plus node:http with
// handleMdmHttp, the same wiring scripts/serve.ts uses for /mdm (without Next.js, which is not on the /mdm
// path). Pushes go to the parent over IPC, where the virtual Macs they wake live. The parent asks for RSS,
// deployments (G3), scheduler ticks and counts over the same channel.
//
//   node --import tsx bench/server.ts --db <file> [--now <iso instant the clock starts at>]
import http from "node:http";
import { performance } from "node:perf_hooks";

import { startCheckpoints } from "@/db/checkpoints";
import { commitGroupStats } from "@/db/commit-group";
import { SYSTEM } from "@/server/auth/actor";
import { createSimulatedClock, systemClock } from "@/server/clock";
import { createDeps, type Deps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { noteConnection } from "@/server/event-loop";
import type { Logger, LogFields } from "@/server/log";
import { caSignatureChecks, caSignaturesFromBinding, certificateReads } from "@/server/mdm/device-auth";
import { handleMdmHttp, isMdmPath } from "@/server/mdm/http";
import type { PushProvider } from "@/server/push/provider";
import { runSchedulerTick } from "@/server/scheduler/tick";
import { commitDeployment } from "@/server/services/deployments";
import { checkinScopeVisits, runPendingScopes, type EnginePassResult } from "@/server/services/engine-passes";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { ensureDeviceCa } from "@/server/services/pki";

import { announceReady, serveIpc } from "./ipc";
import { countProgress } from "./progress.worker.mjs";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dbFile = arg("--db");
if (!dbFile) throw new Error("bench/server.ts needs --db <file>");

/** Counts log lines; prints the first few warnings and errors (a flood of them is itself a finding). */
function benchLogger(): Logger & { counts: Record<string, number>; samples: string[] } {
  const counts: Record<string, number> = { debug: 0, info: 0, warn: 0, error: 0 };
  const samples: string[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => {
    counts[level] = (counts[level] ?? 0) + 1;
    if ((level === "warn" || level === "error") && samples.length < 5) {
      const detail = fields?.error instanceof Error ? ` ${fields.error.message}` : "";
      samples.push(`${level}: ${msg}${detail}`);
      console.error(`[bench server] ${level} ${msg}${detail}`);
    }
  };
  return { counts, samples, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const ipcPush: PushProvider = {
  name: "bench-ipc",
  push(targets) {
    process.send?.({ type: "push", udids: targets.map((t) => t.udid) });
    return Promise.resolve(targets.map((t) => ({ udid: t.udid, ok: true as const })));
  },
  close: () => Promise.resolve(),
};

const log = benchLogger();
// Listening first tells us the port, which publicUrl (ManifestURL) needs; no request arrives before "ready".
const live: { deps?: Deps } = {};
const server = http.createServer((req, res) => {
  const pathname = (req.url ?? "/").split("?")[0] ?? "/";
  if (live.deps && isMdmPath(pathname)) return void handleMdmHttp(live.deps, req, res);
  res.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;
server.on("connection", noteConnection); // as scripts/serve.ts
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as { port: number }).port;

// The server's clock starts at the instant the snapshot was seeded (--now) and runs at real speed, so the
// server sees the fleet as a server in service would at that moment. On the system clock, a cached snapshot
// a day old made every Mac due for inventory at once and moved every date-based smart group: work that
// depended on the cache's age, not on the server.
const startAt = arg("--now");
const clock = startAt ? createSimulatedClock({ start: new Date(startAt), scale: 1 }) : systemClock;
const d = createDeps({ env: parseEnv({ POMONA_DB: dbFile, PORT: String(port), POMONA_DEMO: "0", POMONA_CLOCK: "system" }), clock, log, push: ipcPush });
ensureDeviceCa(d);
const checkpoints = startCheckpoints(d.db, { onError: (e) => log.warn("WAL checkpoint failed", { error: e }) }); // as scripts/serve.ts
live.deps = d;
const sql = d.db.$client;

let scoping: Promise<{ pass: EnginePassResult; ms: number; checkinVisits: number; stalls: string[] }> | undefined;

/** The event loop's stalls over 100 ms from `t0` on, as "when+how long" in ms: a timer every millisecond sees them. */
function stallRecorder(t0: number) {
  const stalls: string[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 100) stalls.push(`${Math.round(last - t0)}+${Math.round(now - last)}`);
    last = now;
  }, 1);
  return { stop: () => (clearInterval(timer), stalls) };
}
let ticking: { stop: boolean; durations: number[]; done: Promise<void> } | undefined;

serveIpc({
  logCounts: () => ({ counts: log.counts, samples: log.samples }),
  writeStats: () => ({ ...checkpoints.stats(), commitGroups: commitGroupStats(d.db) }),
  caChecks: () => ({ checked: caSignatureChecks.run, fromBinding: caSignaturesFromBinding.run }),
  certificateReads: () => certificateReads.run,
  // The admin's change as createDeployment makes it, split where it awaits: the commit (from which the App
  // Installer is in effect: a Mac that checks in gets its work in that request) and the pass behind it, which
  // writes every target and first command in slices while Macs are served (`scoped`).
  deploy: (m) => {
    const title = sql.prepare("select id from catalog_titles where bundle_id = ?").get(m.bundleId) as { id: number } | undefined;
    if (!title) throw new Error(`no catalog title ${String(m.bundleId)}`);
    const t0 = performance.now();
    const { id } = commitDeployment(d, { name: "G3 fan-out", titleId: title.id, smartGroupId: Number(m.groupId), distributionMethod: "install_automatically", updateMethod: "automatic" }, SYSTEM);
    const ms = performance.now() - t0;
    const visitsBefore = checkinScopeVisits.run;
    const stalls = stallRecorder(t0);
    scoping = runPendingScopes(d).then((pass) => ({ pass, ms: performance.now() - t0, checkinVisits: checkinScopeVisits.run - visitsBefore, stalls: stalls.stop() }));
    scoping.catch(() => undefined); // reported by `scoped`
    // The group's member the pass reaches last: the parent checks it in at once (G3's probe).
    const lastMember = sql
      .prepare("select c.udid from smart_group_members m join computers c on c.id = m.computer_id where m.smart_group_id = ? order by m.computer_id desc limit 1")
      .pluck()
      .get(Number(m.groupId)) as string | undefined;
    return { deploymentId: id, ms, lastMember };
  },
  scoped: async (m) => {
    if (!scoping) throw new Error("no deploy to wait for");
    const { pass, ms, checkinVisits, stalls } = await scoping;
    const id = Number(m.deploymentId);
    const targets = (sql.prepare("select count(*) n from deployment_targets where deployment_id = ?").get(id) as { n: number }).n;
    const commands = (sql.prepare("select count(*) n from commands where deployment_id = ?").get(id) as { n: number }).n;
    return { ms, targets, commands, pushed: pass.pushed, checkinVisits, stalls };
  },
  // One scheduler tick, as a server in service has run before an admin acts (whatever falls due at the
  // snapshot's instant is done before the deploy, not during it).
  tick: async () => {
    const t0 = performance.now();
    await runSchedulerTick(d);
    return { ms: performance.now() - t0 };
  },
  startTicks: (m) => {
    const intervalMs = Number(m.intervalMs);
    const state = { stop: false, durations: [] as number[], done: Promise.resolve() };
    state.done = (async () => {
      while (!state.stop) {
        await new Promise((r) => setTimeout(r, intervalMs));
        if (state.stop) break;
        const t0 = performance.now();
        await runSchedulerTick(d);
        state.durations.push(performance.now() - t0);
      }
    })();
    ticking = state;
    return { started: true };
  },
  stopTicks: async () => {
    const t = ticking;
    if (!t) return { ticks: 0, maxMs: 0, meanMs: 0 };
    t.stop = true;
    await t.done;
    ticking = undefined;
    const total = t.durations.reduce((a, b) => a + b, 0);
    return { ticks: t.durations.length, maxMs: Math.max(0, ...t.durations), meanMs: t.durations.length ? total / t.durations.length : 0 };
  },
  // At the end of the drain only: while Macs are served, the parent counts the progress on a thread of its own
  // (bench/progress.ts), not on this event loop.
  deploymentStatus: (m) => {
    const id = Number(m.deploymentId);
    const byStatus = sql.prepare("select status, phase, count(*) n from deployment_targets where deployment_id = ? group by status, phase").all(id) as { status: string; phase: string; n: number }[];
    return { ...countProgress(sql, id), byStatus };
  },
  enrollToken: () => createEnrollmentToken(d, { label: "bench storm" }, SYSTEM).token,
  countEnrolled: (m) => {
    const udids = m.udids as string[];
    let n = 0;
    const stmt = sql.prepare("select count(*) n from computers where enrolled = 1 and push_token is not null and udid in (select value from json_each(?))");
    for (let i = 0; i < udids.length; i += 5000) n += (stmt.get(JSON.stringify(udids.slice(i, i + 5000))) as { n: number }).n;
    return n;
  },
});
announceReady(port);
