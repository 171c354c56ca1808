import { performance } from "node:perf_hooks";
import { createDeps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { silentLogger } from "@/server/log";
import { createLocalPushProvider } from "@/server/push/local";
import { compileSmartGroups } from "@/server/engine/smart-groups";
import { runDeploymentPass } from "@/server/services/deployment-engine";
import { loadGroupDefinitions, recalculateMembershipFor } from "@/server/services/smart-groups";
import { DEFAULT_SETTINGS } from "@/server/services/settings";
const now = new Date("2026-11-24T09:00:00Z");
const deps = createDeps({ env: parseEnv({ POMONA_DB: "/tmp/prof/snap.db", POMONA_DEMO: "0" }), clock: { now: () => now }, log: silentLogger, push: createLocalPushProvider() });
const compiled = compileSmartGroups(loadGroupDefinitions(deps));
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let id = 1 + r * 300; id <= 300 + r * 300; id++) deps.db.transaction(() => runDeploymentPass(deps, recalculateMembershipFor(deps.db, compiled, [id], now), DEFAULT_SETTINGS, now, [id]), { behavior: "immediate" });
  console.log("per computer ms", ((performance.now() - t0) / 300).toFixed(2));
}
