// `npm start` / `npm run dev`: one process, two paths (DESIGN §1). /mdm goes straight to Pomona's handler,
// everything else to Next.js; the scheduler starts here and nowhere else.
import http from "node:http";

import next from "next";

import { createDeps, setDeps } from "@/server/deps";
import { env } from "@/server/env.js";
import { handleMdmHttp, isMdmPath } from "@/server/mdm/http";
import { startScheduler } from "@/server/scheduler/driver";
import { syncCatalog } from "@/server/services/catalog";
import { enrollmentUrl } from "@/server/services/enrollment";
import { ensureDeviceCa, getPushTopic } from "@/server/services/pki";

const dev = process.argv.includes("--dev");

async function main() {
  const deps = createDeps({ env });
  setDeps(deps);
  deps.log.info("database ready", { file: env.POMONA_DB, clock: env.POMONA_CLOCK });
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
    void handleNext(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(env.PORT, resolve));

  const scheduler = startScheduler(deps);
  deps.log.info(`Pomona is running at http://localhost:${env.PORT}`, { mode: dev ? "development" : "production", publicUrl: deps.publicUrl });

  const shutdown = (signal: string) => {
    deps.log.info("shutting down", { signal });
    scheduler.stop();
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

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
