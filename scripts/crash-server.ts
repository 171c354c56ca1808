// The process `npm run crashtest` kills: Pomona's /mdm handler and scheduler on a database file, without
// Next.js (not on the Macs' path), plus one admin hook answering only after the durable commit:
// POST /admin/inventory/<computerId> queues an inventory update and returns the queued command UUIDs.
import http from "node:http";

import { SYSTEM } from "@/server/auth/actor";
import { createDeps } from "@/server/deps";
import { env } from "@/server/env.js";
import { handleMdmHttp, isMdmPath } from "@/server/mdm/http";
import { startScheduler } from "@/server/scheduler/driver";
import { updateComputerInventory } from "@/server/services/computer-commands";
import { ensureDeviceCa } from "@/server/services/pki";

const deps = createDeps({ env });
ensureDeviceCa(deps);

const server = http.createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (isMdmPath(path)) return void handleMdmHttp(deps, req, res);
  const admin = /^\/admin\/inventory\/(\d+)$/.exec(path);
  if (admin && req.method === "POST") {
    const computerId = Number(admin[1]);
    updateComputerInventory(deps, { id: computerId }, SYSTEM)
      .then((r) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(r.commandUuids)))
      .catch((e: unknown) => res.writeHead(409).end(String((e as Error).message)));
    return;
  }
  res.writeHead(404).end();
});
server.listen(env.PORT, "127.0.0.1", () => {
  startScheduler(deps, 200);
  process.send?.("ready");
});
