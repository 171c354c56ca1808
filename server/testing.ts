// Deps for integration tests: a fresh migrated in-memory database, a simulated clock, a quiet logger.
import type { Principal } from "@/server/auth/actor";
import { createSimulatedClock, type SimulatedClock } from "@/server/clock";
import { createDeps, type Deps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { createMemoryLogger } from "@/server/log";
import { createLocalPushProvider, type LocalPushProvider } from "@/server/push/local";
import { createDb } from "@/db/client";
import type { Role } from "@/db/schema";

export const TEST_START = new Date("2026-03-02T09:00:00.000Z");

export type TestDeps = Deps & { clock: SimulatedClock; log: ReturnType<typeof createMemoryLogger>; push: LocalPushProvider };

export function createTestDeps(env: Record<string, string> = {}): TestDeps {
  const clock = createSimulatedClock({ start: TEST_START });
  const log = createMemoryLogger();
  const push = createLocalPushProvider({ log });
  const deps = createDeps({ env: parseEnv({ POMONA_DB: ":memory:", POMONA_CLOCK: "simulated", POMONA_DEMO: "0", ...env }), db: createDb(":memory:"), clock, log, push });
  return { ...deps, clock, log, push };
}

/** A signed-in person for service tests: `by` of admin mutations and the name their audit rows carry. */
export function actingAs(name: string, role: Role = "admin"): Principal {
  return { kind: "user", id: name, name, role };
}

/**
 * Counts event-loop turns (setImmediate) until `stop()`, which returns the count: a test's evidence that other
 * work ran while something long was in progress.
 */
export function countEventLoopTurns(): { stop(): number } {
  let turns = 0;
  let spinning = true;
  const spin = () => {
    if (!spinning) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  return {
    stop() {
      spinning = false;
      return turns;
    },
  };
}
