// G4 or G5 in a process of its own (a large heap for 100,000 Macs, and no garbage from other phases in the
// timings): loads the engine inputs from the given copy, measures, sends the result to the parent, exits.
//
//   node --import tsx --max-old-space-size=8192 --expose-gc bench/engine-phase.ts --phase g4|g5 --db <file> --now <iso> --samples N --seed S
import { performance } from "node:perf_hooks";

import { startCheckpoints } from "@/db/checkpoints";
import { createDeps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { silentLogger } from "@/server/log";
import { createLocalPushProvider } from "@/server/push/local";
import { recalculateSmartGroups } from "@/server/services/smart-groups";

import { compileSmartGroups } from "@/server/engine/smart-groups";

import { g5Sample, loadEngineInput, measureG4, measureG5 } from "./engine";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`bench/engine-phase.ts needs ${name}`);
  return v;
};
const phase = arg("--phase");
const now = new Date(arg("--now"));
const deps = createDeps({ env: parseEnv({ POMONA_DB: arg("--db"), POMONA_DEMO: "0" }), clock: { now: () => now }, log: silentLogger, push: createLocalPushProvider() });

let result: unknown;
if (phase === "g4") {
  const input = loadEngineInput(deps, now);
  const g4 = await measureG4(input, { runs: 5 });
  const t0 = performance.now();
  recalculateSmartGroups(deps);
  result = { ...g4, recalculateSmartGroupsMs: performance.now() - t0, peakRss: process.memoryUsage().rss };
} else {
  const options = { samples: Number(arg("--samples")), seed: Number(arg("--seed")) };
  const sample = g5Sample(deps, options);
  const input = loadEngineInput(deps, now, [...new Set(sample)]);
  const checkpoints = startCheckpoints(deps.db); // as the server (scripts/serve.ts)
  result = { ...(await measureG5(deps, input, compileSmartGroups(input.groups), sample, options)), peakRss: process.memoryUsage().rss };
  checkpoints.stop();
}
deps.db.$client.close();
process.send?.({ type: "result", result }, () => process.exit(0));
