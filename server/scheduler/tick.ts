// One scheduler tick (STYLE §3.6): the single function production's timer, system.tick and tests all call.
import type { Deps } from "@/server/deps";

export type TickResult = { now: Date };

/**
 * Runs every scheduler pass once at the clock's current time. The passes (engine pass, 15-minute dispatch,
 * retries, inventory) arrive with the deployment engine; today a tick only reads the time.
 */
export function runSchedulerTick(deps: Pick<Deps, "clock">): TickResult {
  return { now: deps.clock.now() };
}
