// One process, two paths (DESIGN §1): /mdm goes straight to Pomona's handler, everything else to Next.js;
// the scheduler starts here and nowhere else. With the demo on, the virtual fleet starts here too.
import http from "node:http";

import next from "next";

import { createFleet, type Fleet } from "../simulator/fleet";

import { startCheckpoints } from "@/db/checkpoints";
import { CLIENT_IP_HEADER, clientIpFromSocket } from "@/server/auth/origins";
import { createDeps, setDeps } from "@/server/deps";
import { env } from "@/server/env.js";
import { noteConnection } from "@/server/event-loop";
import { handleMdmHttp, isMdmPath } from "@/server/mdm/http";
import { startScheduler } from "@/server/scheduler/driver";
import { syncCatalog } from "@/server/services/catalog";
import { seedDemo } from "@/server/services/demo";
import { listUsers } from "@/server/services/users";
import { enrollmentUrl } from "@/server/services/enrollment";
import { ensureDeviceCa, getPushTopic } from "@/server/services/pki";

const dev = process.argv.includes("--dev");

async function main() {
  const deps = createDeps({ env });
  setDeps(deps);
  deps.log.info("database ready", { file: env.POMONA_DB, clock: env.POMONA_CLOCK });
  const checkpoints = startCheckpoints(deps.db, { onError: (e) => deps.log.warn("WAL checkpoint failed", { error: e }) });
  if (env.POMONA_DEVICE_AUTH === "none") {
    deps.log.warn("POMONA_DEVICE_AUTH=none: Mdm-Signature checks are OFF. Any client can act as any Mac. For local experiments only.");
  }

  ensureDeviceCa(deps);
  deps.log.info("device identity CA ready", { pushTopic: getPushTopic(deps), push: deps.push.name });
  if (env.POMONA_ENROLL_TOKEN) deps.log.info(`enrollment link: ${enrollmentUrl(deps, env.POMONA_ENROLL_TOKEN)}`);

  const report = await syncCatalog(deps);
  deps.log.info("catalog loaded", { source: report.source, titles: report.titles, versionsAdded: report.versionsAdded.length });

  const app = next({ dev, dir: process.cwd(), hostname: "localhost", port: env.PORT });
  const handleNext = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    if (isMdmPath(pathname)) return void handleMdmHttp(deps, req, res);
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const ip = clientIpFromSocket(req.socket.remoteAddress, { realIp: one(req.headers["x-real-ip"]), forwardedFor: one(req.headers["x-forwarded-for"]) });
    if (ip) req.headers[CLIENT_IP_HEADER] = ip;
    else delete req.headers[CLIENT_IP_HEADER];
    void handleNext(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.on("connection", noteConnection); // long passes yield until bursts of new connections are accepted
  await new Promise<void>((resolve) => server.listen(env.PORT, resolve));

  const scheduler = startScheduler(deps);
  deps.log.info(`Pomona is running at http://localhost:${env.PORT}`, { mode: dev ? "development" : "production", publicUrl: deps.publicUrl });

  let fleet: Fleet | undefined;
  if (env.POMONA_DEMO) fleet = await startDemo(deps);
  else if (listUsers(deps).length === 0) deps.log.warn("No admin account yet: create the first one with `npm run users -- create you@example.com`");

  const shutdown = (signal: string) => {
    deps.log.info("shutting down", { signal });
    scheduler.stop();
    checkpoints.stop();
    void fleet?.stop();
    server.close(() => {
      void deps.push.close().finally(() => {
        deps.db.$client.close();
        process.exit(0);
      });
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

/** Seeds the demo's groups and App Installers and starts 50 virtual Macs against this server. */
async function startDemo(deps: ReturnType<typeof createDeps>): Promise<Fleet> {
  const { token, url, created, admin } = await seedDemo(deps);
  const fleet = createFleet({
    server: `http://127.0.0.1:${env.PORT}`,
    token,
    devices: 50,
    seed: 2026,
    offlineRate: 0.1,
    holidayRate: 0.04,
    holidayMs: 10 * 60_000,
    failureRate: 0.25,
    notNowRate: 0.1,
    openAppRate: 0.15,
    pollIntervalMs: 30_000,
    warn: (line) => deps.log.debug(`fleet: ${line}`),
  });
  const banner = [
    "",
    "  Pomona demo",
    `  Dashboard:        http://localhost:${env.PORT}`,
    `  Admin login:      ${admin.email} / ${admin.password}   (a new password on every demo start)`,
    `  Enrollment token: ${token}`,
    `  Enrollment link:  ${url}`,
    `  Virtual fleet:    50 Macs, simulated clock ${env.POMONA_TIME_SCALE ?? 0}× real time${created ? ", demo App Installers created" : ""}`,
    "  Start without the demo: POMONA_DEMO=0 npm start",
    "",
  ];
  console.log(banner.join("\n"));
  void fleet.start().then(() => {
    const s = fleet.stats();
    deps.log.info("demo fleet enrolled", { enrolled: s.enrolled, failed: s.enrollFailed });
  });
  return fleet;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
